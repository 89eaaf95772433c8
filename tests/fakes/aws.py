"""Test doubles for the AWS reconcilers: moto in server mode, an in-memory state store
and pass context, and a client wrapper that records (and can break) AWS calls."""

import logging
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from reconcilers.aws.clients import SERVICES
from reconcilers.ports import (
    DeploymentRecord,
    EnvironmentRecord,
    ReconcileContext,
    StateStore,
    StatusUpdate,
    parsed_outputs,
    stored_outputs,
)
from schemas.outputs import Outputs

AWS_REGION = "us-east-1"
AWS_TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": AWS_REGION,
    "AWS_DEFAULT_REGION": AWS_REGION,
}
READ_PREFIXES = ("describe_", "list_", "get_")


class MotoServer:
    """moto's ThreadedMotoServer on a free port of 127.0.0.1, for a whole test session."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> "MotoServer":
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def endpoint(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()


@dataclass
class RecordedEvent:
    kind: str
    key: str
    reason: str
    message: str
    warning: bool
    environment_id: UUID | None


@dataclass
class FakeDatabase:
    """The rows a real store would keep, shared by every pass's `FakeStateStore`."""

    environments: dict[UUID, EnvironmentRecord] = field(default_factory=dict)
    statuses: dict[tuple[str, str], StatusUpdate] = field(default_factory=dict)
    deployments: dict[UUID, dict[str, DeploymentRecord]] = field(default_factory=dict)
    deployment_writes: list[DeploymentRecord] = field(default_factory=list)
    events: list[RecordedEvent] = field(default_factory=list)
    finalized: list[UUID] = field(default_factory=list)  # environments whose rows went
    released: list[tuple[str, UUID]] = field(default_factory=list)  # (kind, environment)

    def context(self, kind: str, key: str) -> "FakeContext":
        return FakeContext(kind=kind, key=key, store=FakeStateStore(self, kind, key))

    def event_reasons(self) -> list[str]:
        return [e.reason for e in self.events]


def _name(kind: type[Outputs] | str) -> str:
    return kind if isinstance(kind, str) else kind.kind


class FakeStateStore:
    """A `StateStore` bound to one (kind, key), as the runtime's fenced store is."""

    def __init__(self, database: FakeDatabase, kind: str, key: str):
        self.database = database
        self.kind = kind
        self.key = key

    async def environment(self, environment_id: UUID) -> EnvironmentRecord | None:
        return self.database.environments.get(environment_id)

    async def outputs(self, kind: type[Outputs] | str, key: str) -> Any:
        status = self.database.statuses.get((_name(kind), key))
        return None if status is None else parsed_outputs(kind, status.outputs)

    async def status(self, kind: type[Outputs] | str, key: str) -> StatusUpdate | None:
        status = self.database.statuses.get((_name(kind), key))
        if status is None or isinstance(kind, str):
            return status
        return replace(status, outputs=parsed_outputs(kind, status.outputs or {}))

    async def network_scope_users(self, scope_key: str, *, excluding: UUID) -> int:
        return sum(
            1
            for (kind, key), status in self.database.statuses.items()
            if kind == "environment-network"
            and key != str(excluding)
            and status.outputs.get("scopeKey") == scope_key
        )

    async def write_status(self, update: StatusUpdate) -> None:
        """Kept as the real store keeps it: the outputs' stored (JSON) form."""
        stored = stored_outputs(self.kind, update.outputs)
        self.database.statuses[(self.kind, self.key)] = replace(update, outputs=stored)

    async def record_deployment(self, environment_id: UUID, deployment: DeploymentRecord) -> bool:
        rows = self.database.deployments.setdefault(environment_id, {})
        new = deployment.deployment_id not in rows
        rows[deployment.deployment_id] = deployment
        self.database.deployment_writes.append(deployment)
        return new

    async def record_event(
        self, *, reason: str, message: str, warning: bool = False, environment_id: UUID | None = None
    ) -> None:
        self.database.events.append(
            RecordedEvent(self.kind, self.key, reason, message, warning, environment_id)
        )

    async def release_environment(self, environment_id: UUID) -> None:
        env = self.database.environments.get(environment_id)
        if env is None:
            return
        left = tuple(k for k in env.finalizers if k != self.kind)
        self.database.environments[environment_id] = replace(env, finalizers=left)
        self.database.statuses.pop((self.kind, str(environment_id)), None)
        self.database.released.append((self.kind, environment_id))
        if env.deleting and not left:
            self.database.environments.pop(environment_id, None)
            self.database.statuses = {
                k: v for k, v in self.database.statuses.items() if k[1] != str(environment_id)
            }
            self.database.finalized.append(environment_id)


@dataclass
class FakeContext:
    kind: str
    key: str
    store: StateStore  # a FakeStateStore (FakeDatabase.context), typed as the Protocol it stands in for
    reconcile_id: str = "test-pass"
    bound: dict[str, Any] = field(default_factory=dict)
    logged: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def bind(self, **fields: Any) -> None:
        self.bound.update(fields)

    def log(self, event: str, **fields: Any) -> None:
        self.logged.append((event, fields))


class CrashAfter(Exception):
    """Raised by `RecordingClient` right after the operation it was told to break after."""


class RecordingClient:
    """Wraps an aioboto3 client: records every operation called, and can raise
    `CrashAfter` once the named operation has succeeded (a pass dying mid-way)."""

    def __init__(self, client: Any, crash_after: Iterable[str] = (), calls: list[str] | None = None):
        self._client = client
        self.calls: list[str] = [] if calls is None else calls
        self.crash_after = set(crash_after)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("_") or name in ("get_paginator", "close"):
            return attribute

        async def recorded(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            answer = await attribute(*args, **kwargs)
            if name in self.crash_after:
                self.crash_after.discard(name)
                raise CrashAfter(name)
            return answer

        recorded.__name__ = name
        return recorded

    def writes(self) -> list[str]:
        return [c for c in self.calls if not c.startswith(READ_PREFIXES)]


@dataclass
class RecordingClients:
    """Stands in for `AwsClients` with recording wrappers around its clients. `ecs_once`
    (the ECS client without SDK retries) records into `ecs.calls`: one ECS call log."""

    ecs: RecordingClient
    ecs_once: RecordingClient
    ec2: RecordingClient
    rds: RecordingClient
    secretsmanager: RecordingClient
    efs: RecordingClient
    servicediscovery: RecordingClient
    autoscaling: RecordingClient
    logs: RecordingClient
    cloudwatch: RecordingClient
    ecr: RecordingClient

    @classmethod
    def around(cls, clients: Any, crash_after: Iterable[str] = ()) -> "RecordingClients":
        crash = set(crash_after)
        ecs = RecordingClient(clients.ecs, crash)
        others = {name: RecordingClient(getattr(clients, name), crash) for name in SERVICES if name != "ecs"}
        return cls(ecs=ecs, ecs_once=RecordingClient(clients.ecs_once, crash, calls=ecs.calls), **others)


def _conforms(database: FakeDatabase) -> tuple[StateStore, ReconcileContext]:
    """Never called: mypy (`make test`) checks here that the fakes still are what they
    stand in for, so a fake that drifts from its Protocol fails the build."""
    return FakeStateStore(database, "kind", "key"), database.context("kind", "key")
