"""Environments and compose specs for the AWS reconciler tests."""

from typing import Any
from uuid import UUID

from reconcilers.ports import EnvironmentRecord
from schemas.desired import EnvironmentSpec

ENVIRONMENT_ID = UUID("00000000-0000-4000-8000-0000000000e1")
APPLICATION_ID = UUID("00000000-0000-4000-8000-0000000000a1")


def web_container(**overrides: Any) -> dict[str, Any]:
    container = {
        "name": "web",
        "imageReference": {"type": "external", "identifier": "nginx:1.27"},
        "memory": 256,
        "exposedPorts": [80],
        "environment": [{"name": "MODE", "value": "web"}],
    }
    container.update(overrides)
    return container


def environment(
    containers: list[dict[str, Any]] | None = None,
    *,
    generation: int = 1,
    deleting: bool = False,
    min_capacity: int = 1,
    variables: list[dict[str, str]] | None = None,
    compose: dict[str, Any] | None = None,
    environment_id: UUID = ENVIRONMENT_ID,
    organisation: str = "acme",
    application: str = "shop",
    name: str = "production",
) -> EnvironmentRecord:
    spec = EnvironmentSpec.model_validate(
        {
            "compose": {"containers": containers or [web_container()], **(compose or {})},
            "minCapacity": min_capacity,
            "maxCapacity": max(min_capacity, 1),
            "variables": variables or [],
        }
    )
    return EnvironmentRecord(
        id=environment_id,
        application_id=APPLICATION_ID,
        organisation=organisation,
        application=application,
        name=name,
        spec=spec,
        generation=generation,
        deleting=deleting,
    )
