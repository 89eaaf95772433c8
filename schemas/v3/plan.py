"""The dry run of a declarative write: the field-level changes between the desired state
stored for an environment and the one posted, and what the reconcilers would do about each.

Pure: no IO, no clock. The compared documents are in the application body's vocabulary
(`composeDefinition`, `minCapacity`, `environment`, …) so that a change's `path` is a JSON
pointer (RFC 6901) into what the client posted. Applying the changes in order, as RFC 6902
operations, to the stored document yields the posted one (`patched`).

Values are shown as they are: variables are plain configuration (the variables routes show
them too) and container `secrets` are references (`valueFrom`), never secret values.
"""

import copy
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from schemas.desired import EnvironmentSpec
from schemas.v3.applications import APP_NAME_PATTERN, PRODUCTION, CreateApplicationRequest
from schemas.wire import CamelModel

# The environment spec's fields that an application body owns (wire names): a declarative
# write replaces these and keeps the rest (state, restarts, imageTag, imageSuffix, scaling
# policies), which other routes own.
APPLICATION_OWNED = ("compose", "minCapacity", "maxCapacity", "variables", "database", "filesystem")


class ApplyApplicationRequest(CreateApplicationRequest):
    """The body of the declarative `PUT …/applications/{application}`: a create request
    whose `appName` may be left out (the path names the application)."""

    app_name: Annotated[str, Field(pattern=APP_NAME_PATTERN)] | None = None  # type: ignore[assignment]


def requested_workload(request: CreateApplicationRequest) -> EnvironmentSpec:
    """The production environment's spec an application body asks for; the fields not in
    `APPLICATION_OWNED` keep their defaults (a create) or stored values (a replace)."""
    return EnvironmentSpec(
        compose=request.compose_definition,
        min_capacity=request.desired_min_capacity,
        max_capacity=request.desired_max_capacity,
        variables=request.environment or [],
        database=request.database,
        filesystem=request.filesystem,
    )


class Op(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    REPLACE = "replace"


class PlanAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    NONE = "none"


class Effect(CamelModel):
    """What one reconciler would do on one resource."""

    resource: str
    action: str


class Change(CamelModel):
    """One RFC 6902 operation; `before` is absent for an add, `after` for a remove."""

    path: str
    op: Op
    before: Any = None
    after: Any = None


class PlannedChange(Change):
    effects: list[Effect]


class ApplicationPlan(CamelModel):
    """The answer of a dry run: nothing was written."""

    app_name: str
    action: PlanAction
    # The stored generations the plan was computed against (absent when creating).
    generation: int | None = None
    production_generation: int | None = None
    changes: list[PlannedChange]
    # True when the plan rolls out new tasks (a task-definition revision or a forced deployment).
    new_deployment: bool


# --- the generic JSON diff ------------------------------------------------------------

def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def same(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1`, as it is in Python."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """The operations that turn `before` into `after`, applied in order.

    Objects are compared key by key; arrays index by index, extra elements added at the
    end and missing ones removed from the end backwards (so every index stays valid while
    the operations are applied one after another). Empty when the two are equal."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key, value in after.items():
            here = f"{path}/{_escape(key)}"
            if key in before:
                changes += diff(before[key], value, here)
            else:
                changes.append(Change(path=here, op=Op.ADD, after=value))
        changes += [
            Change(path=f"{path}/{_escape(key)}", op=Op.REMOVE, before=value)
            for key, value in before.items()
            if key not in after
        ]
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index, (old, new) in enumerate(zip(before, after, strict=False)):
            changes += diff(old, new, f"{path}/{index}")
        changes += [Change(path=f"{path}/{i}", op=Op.ADD, after=after[i]) for i in range(len(before), len(after))]
        changes += [
            Change(path=f"{path}/{i}", op=Op.REMOVE, before=before[i]) for i in reversed(range(len(after), len(before)))
        ]
        return changes
    if same(before, after):
        return []
    return [Change(path=path, op=Op.REPLACE, before=before, after=after)]


def patched(document: Any, changes: list[Change]) -> Any:
    """`document` with `changes` applied in order (RFC 6902 add / remove / replace)."""
    result = copy.deepcopy(document)
    for change in changes:
        if change.path == "":
            result = copy.deepcopy(change.after)
            continue
        *parents, last = [_unescape(t) for t in change.path.split("/")[1:]]
        target = result
        for token in parents:
            target = target[int(token)] if isinstance(target, list) else target[token]
        key: Any = int(last) if isinstance(target, list) else last
        if change.op == Op.REMOVE:
            del target[key]
        elif change.op == Op.ADD and isinstance(target, list):
            target.insert(key, copy.deepcopy(change.after))
        else:
            target[key] = copy.deepcopy(change.after)
    return result


# --- the documents compared -----------------------------------------------------------

def document(spec: EnvironmentSpec) -> dict[str, Any]:
    """The part of an environment's desired state that an application body sets, in the
    body's names (capacity as it takes effect, whichever level of the body gave it)."""
    found: dict[str, Any] = {
        "composeDefinition": spec.compose.to_wire(),
        "minCapacity": spec.min_capacity,
        "maxCapacity": spec.max_capacity,
        "environment": [variable.to_wire() for variable in spec.variables],
    }
    if spec.database is not None:
        found["database"] = spec.database.to_wire()
    if spec.filesystem is not None:
        found["filesystem"] = spec.filesystem.to_wire()
    return found


# --- what the reconcilers would do ----------------------------------------------------

TASK_DEFINITION = "ECS task definition"
SERVICE = "ECS service"
SECURITY_GROUPS = "EC2 security groups"
SERVICE_DISCOVERY = "Cloud Map"
SCALABLE_TARGET = "Application Auto Scaling scalable target"
RDS = "RDS instance"
CONNECTION_SECRET = "Secrets Manager connection secret"
EFS = "EFS file system"
STORED = "berth"

NEW_REVISION = Effect(resource=TASK_DEFINITION, action="new revision")
ROLLING = Effect(resource=SERVICE, action="rolling deployment of the new revision")
REDEPLOY = [NEW_REVISION, ROLLING]
FIRST_RUN = [
    Effect(resource=TASK_DEFINITION, action="first revision registered"),
    Effect(resource=SERVICE, action="created, with its log group and security groups"),
]
INGRESS = Effect(resource=SECURITY_GROUPS, action="ingress rules: the exposed ports")
EDGE_ONLY = Effect(resource=SECURITY_GROUPS, action="ingress rules: exposed ports restricted to the edge (ipAllow)")
SPOT = [Effect(resource=SERVICE, action="capacity providers changed, forced deployment")]
SPOT_IN_PRODUCTION = [
    Effect(resource=SERVICE, action="none: production runs on-demand whatever the strategy (SpotStrategyOverridden)")
]
CROSS_ENV = [
    Effect(resource=SECURITY_GROUPS, action="the service joins or leaves the application's security group"),
    Effect(resource=SERVICE, action="network configuration updated, rolling deployment"),
]
CROSS_APP = [
    Effect(resource=SECURITY_GROUPS, action="the service joins or leaves the organisation's security group"),
    Effect(resource=SERVICE_DISCOVERY, action="service registered in (or removed from) the private namespace"),
    Effect(resource=SERVICE, action="network configuration updated, rolling deployment"),
]
COMPOSE_CAPACITY = [Effect(resource=STORED, action="stored only: the capacity in effect is /minCapacity and /maxCapacity")]
MIN_CAPACITY = [
    Effect(resource=SCALABLE_TARGET, action="minimum capacity"),
    Effect(resource=SERVICE, action="desired count raised into the range when below it"),
]
MAX_CAPACITY = [
    Effect(resource=SCALABLE_TARGET, action="maximum capacity"),
    Effect(resource=SERVICE, action="desired count lowered into the range when above it"),
]
DATABASE_CREATED = [
    Effect(resource=RDS, action="created (master password generated into Secrets Manager)"),
    Effect(resource=CONNECTION_SECRET, action="created; DB_* injected into every container"),
    *REDEPLOY,
]
DATABASE_DELETED = [
    Effect(resource=RDS, action="deleted, after a final snapshot unless skipFinalSnapshot"),
    Effect(resource=CONNECTION_SECRET, action="deleted; DB_* no longer injected"),
    *REDEPLOY,
]
ENGINE_REFUSED = [Effect(resource=RDS, action="replacement refused: the engine of an instance is never changed (Degraded)")]
# As the rds-database reconciler modifies: the class waits for the maintenance window
# (a reboot), storage growth and Multi-AZ are applied at once.
MODIFY_LATER = [Effect(resource=RDS, action="modify (applied in the maintenance window; pending until then)")]
MODIFY_NOW = [Effect(resource=RDS, action="modify (applied at once)")]
STORAGE_SHRINK_REFUSED = [Effect(resource=RDS, action="refused: allocated storage cannot shrink (Degraded)")]
SNAPSHOT_CHOICE = [Effect(resource=RDS, action="none now: decides the final snapshot when it is deleted")]
FILESYSTEM_CREATED = [
    Effect(resource=EFS, action="created, with an access point and a mount target per subnet"),
    Effect(resource=TASK_DEFINITION, action="new revision mounting it in every container"),
    ROLLING,
]
FILESYSTEM_DELETED = [
    Effect(resource=EFS, action="deleted with its access point and mount targets: its data is lost"),
    Effect(resource=TASK_DEFINITION, action="new revision without the mount"),
    ROLLING,
]
NOTHING = [Effect(resource=STORED, action="stored only: nothing changes on AWS")]
# A new environment: the fields that size or configure what is created with it.
CREATING = {
    "/minCapacity": [
        Effect(resource=SCALABLE_TARGET, action="registered with this minimum"),
        Effect(resource=SERVICE, action="created with this desired count"),
    ],
    "/maxCapacity": [Effect(resource=SCALABLE_TARGET, action="registered with this maximum")],
    "/environment": [Effect(resource=TASK_DEFINITION, action="variables in the first revision")],
}

# Effects that roll out new tasks.
DEPLOYING = {NEW_REVISION, ROLLING, *SPOT, CROSS_ENV[1], *FIRST_RUN}

Effects = Callable[[Change, bool], list[Effect]]


def _required(value: Any) -> bool:
    return isinstance(value, dict) and value.get("required", True) is not False


def _mounted(before: bool, after: bool) -> list[Effect]:
    if after and not before:
        return FILESYSTEM_CREATED
    if before and not after:
        return FILESYSTEM_DELETED
    return NOTHING


def _filesystem(change: Change, _: bool) -> list[Effect]:
    return _mounted(_required(change.before), _required(change.after))


def _filesystem_required(change: Change, _: bool) -> list[Effect]:
    return _mounted(change.before is not False, change.after is not False)


def _database(change: Change, _: bool) -> list[Effect]:
    # Two objects are compared field by field, so `/database` itself is only added or removed.
    return DATABASE_DELETED if change.op == Op.REMOVE else DATABASE_CREATED


def _container(change: Change, _: bool) -> list[Effect]:
    """A container added or removed; its exposed ports open or close ingress too."""
    whole = change.after if change.op == Op.ADD else change.before
    return [*REDEPLOY, INGRESS] if isinstance(whole, dict) and whole.get("exposedPorts") else REDEPLOY


def _storage(change: Change, _: bool) -> list[Effect]:
    if isinstance(change.before, int) and isinstance(change.after, int) and change.after < change.before:
        return STORAGE_SHRINK_REFUSED
    return MODIFY_NOW


def _always(found: list[Effect]) -> Effects:
    return lambda _change, _production: found


CONTAINER = r"^/composeDefinition/containers/\d+"
# First match wins; a pointer no rule matches redeploys (the task definition carries it).
RULES: list[tuple[re.Pattern[str], Effects]] = [
    (re.compile(r"^/composeDefinition$"), _always(FIRST_RUN)),
    (re.compile(CONTAINER + r"$"), _container),
    (re.compile(CONTAINER + r"/exposedPorts(/|$)"), _always([*REDEPLOY, INGRESS])),
    (re.compile(CONTAINER + r"/originProtection(Config)?(/|$)"), _always([EDGE_ONLY])),
    (re.compile(r"^/composeDefinition/spotConfiguration(/|$)"),
     lambda _change, production: SPOT_IN_PRODUCTION if production else SPOT),
    (re.compile(r"^/composeDefinition/enableCrossEnvNetworking$"), _always(CROSS_ENV)),
    (re.compile(r"^/composeDefinition/enableCrossAppNetworking$"), _always(CROSS_APP)),
    (re.compile(r"^/composeDefinition/(minCapacity|maxCapacity)$"), _always(COMPOSE_CAPACITY)),
    (re.compile(r"^/minCapacity$"), _always(MIN_CAPACITY)),
    (re.compile(r"^/maxCapacity$"), _always(MAX_CAPACITY)),
    (re.compile(r"^/database$"), _database),
    (re.compile(r"^/database/engine$"), _always(ENGINE_REFUSED)),
    (re.compile(r"^/database/instanceClass$"), _always(MODIFY_LATER)),
    (re.compile(r"^/database/multiAz$"), _always(MODIFY_NOW)),
    (re.compile(r"^/database/storageGb$"), _storage),
    (re.compile(r"^/database/skipFinalSnapshot$"), _always(SNAPSHOT_CHOICE)),
    (re.compile(r"^/filesystem$"), _filesystem),
    (re.compile(r"^/filesystem/required$"), _filesystem_required),
]


def effects(change: Change, production: bool = True, filesystem_required: bool = True) -> list[Effect]:
    """What the reconcilers would do about `change`. `filesystem_required` is whether the
    posted document mounts a file system (a new mount path means nothing without one)."""
    if change.path == "/filesystem/mountPath" and not filesystem_required:
        return NOTHING
    for pattern, rule in RULES:
        if pattern.search(change.path):
            return rule(change, production)
    return REDEPLOY


def plan(
    stored: EnvironmentSpec | None, wanted: EnvironmentSpec, environment: str = PRODUCTION
) -> tuple[PlanAction, list[PlannedChange]]:
    """The changes from `stored` (None: nothing yet) to `wanted`, each with its effects."""
    after = document(wanted)
    changes = diff(document(stored) if stored is not None else {}, after)
    production = environment == PRODUCTION
    required = _required(after.get("filesystem"))
    planned = [
        PlannedChange(
            **change.model_dump(),
            effects=(stored is None and CREATING.get(change.path)) or effects(change, production, required),
        )
        for change in changes
    ]
    if stored is None:
        return PlanAction.CREATE, planned
    return (PlanAction.UPDATE if planned else PlanAction.NONE), planned


def deploys(changes: list[PlannedChange]) -> bool:
    return any(effect in DEPLOYING for change in changes for effect in change.effects)


def owned_fields(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The application-owned fields of a wire environment spec (those it has)."""
    return {key: spec[key] for key in APPLICATION_OWNED if key in spec}
