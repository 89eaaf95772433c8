"""Convergence as the client sees it: each resource's phase (pending → converging → ready,
or failed) read from the API's answers, and the loop that follows an apply until every
application is ready or failed, or time runs out.

The production environment decides: it is what a declarative apply changes, and its
`generation`/`observedGeneration` say whether the reconciler has acted on the spec just
written (a Degraded condition left from an older spec is not this apply's failure).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

PRODUCTION = "production"


class Phase(StrEnum):
    PENDING = "pending"
    CONVERGING = "converging"
    READY = "ready"
    FAILED = "failed"
    DELETING = "deleting"


TERMINAL = (Phase.READY, Phase.FAILED)
# The API's `status` words, for servers (or resources) without generations.
STATUS_PHASES = {
    "pending": Phase.PENDING,
    "deploying": Phase.CONVERGING,
    "running": Phase.READY,
    "degraded": Phase.FAILED,
    "deleting": Phase.DELETING,
}
DATABASE_READY = "available"


@dataclass(frozen=True, slots=True)
class Resource:
    kind: str  # application, environment, database, filesystem
    name: str
    phase: Phase
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """One application's resources, the application first; `phase` decides the apply."""

    application: str
    resources: tuple[Resource, ...]

    @property
    def phase(self) -> Phase:
        return self.resources[0].phase


def _conditions(environment: Mapping[str, Any]) -> dict[str | None, Mapping[str, Any]]:
    return {c.get("type"): c for c in environment.get("conditions") or [] if isinstance(c, Mapping)}


def _said(condition: Mapping[str, Any] | None) -> str:
    if not condition:
        return ""
    reason, message = condition.get("reason") or "", condition.get("message") or ""
    return f"{reason}: {message}" if reason and message else reason or message


def counts(resource: Mapping[str, Any]) -> str:
    running, desired = resource.get("runningCount"), resource.get("desiredCount")
    return "" if desired is None else f"{running or 0}/{desired} running"


def _joined(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def environment_phase(environment: Mapping[str, Any]) -> tuple[Phase, str]:
    status = environment.get("status")
    conditions = _conditions(environment)
    generation, observed = environment.get("generation"), environment.get("observedGeneration")
    rollout = environment.get("deploymentStatus")
    rollout = f"rollout {rollout}" if rollout else ""
    if status == "deleting":
        return Phase.DELETING, ""
    if generation is None:  # a server without berth's additions: its status word alone
        phase = STATUS_PHASES.get(status or "", Phase.PENDING)
        return phase, _joined(environment.get("deploymentFailureReason") or "", rollout, counts(environment))
    if observed is None:
        return Phase.PENDING, "waiting for the reconciler"
    if observed < generation:
        return Phase.CONVERGING, _joined(f"generation {generation} not yet observed (at {observed})", counts(environment))
    degraded, ready = conditions.get("Degraded"), conditions.get("Ready")
    if degraded and degraded.get("status") is True:
        return Phase.FAILED, _said(degraded)
    if ready and ready.get("status") is True:
        return Phase.READY, counts(environment)
    progressing = conditions.get("Progressing")
    waiting = progressing if progressing and progressing.get("status") is True else ready
    return Phase.CONVERGING, _joined(_said(waiting), rollout, counts(environment))


def database_phase(database: Mapping[str, Any]) -> tuple[Phase, str]:
    status = database.get("rdsInstanceStatus") or "pending"
    detail = _joined(database.get("rdsInstanceEngine") or "", database.get("rdsInstanceEndpoint") or "")
    if status == DATABASE_READY:
        return Phase.READY, detail
    return (Phase.PENDING if status == "pending" else Phase.CONVERGING), _joined(status, detail)


def observation(application: Mapping[str, Any], production: Mapping[str, Any] | None) -> Observation:
    """What `GET …/applications/{name}` and `GET …/environments/production` say."""
    name = application.get("appName") or "?"
    image = (application.get("imageReference") or {}).get("identifier") or ""
    if production is not None:
        phase, detail = environment_phase(production)
    else:
        phase, detail = STATUS_PHASES.get(application.get("status") or "", Phase.PENDING), counts(application)
    resources = [
        Resource("application", name, phase, image),
        Resource("environment", f"{name}/{PRODUCTION}", phase, detail),
    ]
    if database := application.get("database"):
        resources.append(Resource("database", f"{name}/{PRODUCTION}", *database_phase(database)))
    if filesystem := application.get("filesystem"):
        found = filesystem.get("filesystemId")
        resources.append(Resource(
            "filesystem", f"{name}/{PRODUCTION}", Phase.READY if found else Phase.PENDING,
            _joined(found or "", filesystem.get("mountPath") or ""),
        ))
    return Observation(name, tuple(resources))


Observe = Callable[[str], Awaitable[Observation]]
Report = Callable[[dict[str, Observation]], None]


async def follow(
    names: list[str],
    observe: Observe,
    report: Report,
    *,
    timeout: float,
    interval: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> dict[str, Observation]:
    """Observe every application until each is ready or failed, or `timeout` seconds have
    passed; report every round. Returns the last observations."""
    deadline = clock() + timeout
    while True:
        seen = {name: await observe(name) for name in names}
        report(seen)
        remaining = deadline - clock()
        if all(o.phase in TERMINAL for o in seen.values()) or remaining <= 0:
            return seen
        await sleep(min(interval, remaining))
