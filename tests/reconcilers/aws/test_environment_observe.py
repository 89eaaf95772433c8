"""Claiming an observation: only what carries the environment's own tag is its own (pure)."""

from dataclasses import dataclass

import pytest

from reconcilers.aws.environment_observe import EnvironmentObservation, claim
from reconcilers.aws.service import ObservedService
from reconcilers.results import PermanentError

MINE, THEIRS = "env-mine", "env-theirs"


def tags(owner: str | None) -> list[dict[str, str]]:
    return [] if owner is None else [{"key": "berth:environment-id", "value": owner}]


def service(status: str, owner: str | None) -> ObservedService:
    return ObservedService.from_description(
        {
            "serviceArn": "arn:svc",
            "serviceName": "acme_shop_production",
            "status": status,
            "tags": tags(owner),
        }
    )


def revision(owner: str | None) -> dict:
    return {"family": "acme_shop_production", "taskDefinitionArn": "arn:td:1", "tags": tags(owner)}


@dataclass(frozen=True)
class Case:
    reason: str
    service: ObservedService | None
    latest: dict | None
    keeps_service: bool = False
    draining: bool = False
    refused: str = ""  # what the PermanentError names, when claiming is refused


CASES = [
    Case("nothing there", None, None),
    Case("its own service and revision", service("ACTIVE", MINE), revision(MINE), keeps_service=True),
    Case("its own draining service", service("DRAINING", MINE), None, keeps_service=True, draining=True),
    Case("another environment's ACTIVE service", service("ACTIVE", THEIRS), None, refused="service"),
    Case("an untagged ACTIVE service", service("ACTIVE", None), None, refused="service"),
    Case("a deleted environment's INACTIVE service is absent", service("INACTIVE", THEIRS), None),
    Case("…and a DRAINING one must finish first", service("DRAINING", THEIRS), None, draining=True),
    Case("a family whose latest revision is another's", None, revision(THEIRS), refused="family"),
    Case("a family whose latest revision is untagged", None, revision(None), refused="family"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_claim(case: Case):
    observation = EnvironmentObservation(service=case.service, latest_task_definition=case.latest)
    if case.refused:
        with pytest.raises(PermanentError, match=case.refused) as raised:
            claim(observation, MINE)
        assert raised.value.reason == "NameOwnedElsewhere", case.reason
        return
    claimed = claim(observation, MINE)
    assert (claimed.service is not None) == case.keeps_service, case.reason
    assert claimed.name_draining == case.draining, case.reason
    assert claimed.latest_task_definition == case.latest, case.reason
