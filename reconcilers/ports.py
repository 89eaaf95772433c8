"""What a reconciler may ask of the runtime: the state store and the pass's context.

The controller implements these; reconcilers only see the Protocols, so they
never import the runtime and can be driven by a fake in tests.
"""

from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, overload
from uuid import UUID

from reconcilers.results import Result
from schemas.desired import EnvironmentSpec
from schemas.outputs import Outputs
from schemas.status import Condition

O = TypeVar("O", bound=Outputs)
# The outputs model a pass writes: its own kind's. A reconciler that names it
# (`ctx: ReconcileContext[NetworkOutputs]`) cannot type-check writing another kind's
# model; unnamed (`ReconcileContext`), it is any model, checked only when written.
W = TypeVar("W", bound=Outputs)


@dataclass(frozen=True, slots=True)
class EnvironmentRecord:
    id: UUID
    application_id: UUID
    organisation: str
    application: str
    name: str
    spec: EnvironmentSpec
    generation: int
    deleting: bool
    # The kinds that may still hold cloud resources for it (Kubernetes-style finalizers):
    # what the workload uses waits for `ecs-environment` to leave before tearing down.
    finalizers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """One rollout of a workload revision; `deployment_id` is the cloud's own id."""

    deployment_id: str
    task_definition_arn: str
    image_tag: str
    status: str  # IN_PROGRESS, COMPLETED, FAILED, ROLLED_BACK, SUPERSEDED (replaced before it completed)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StatusUpdate(Generic[O]):
    """A kind's status: its conditions and its outputs model. (A plain dict of outputs is
    what a kind not yet moved onto its model writes and reads.)"""

    observed_generation: int
    conditions: list[Condition]
    outputs: O | dict[str, Any] = field(default_factory=dict)


class LeaseLost(Exception):
    """Another worker owns the key now; this pass must not write anything more."""


class StateStore(Protocol[W]):
    """Reads of desired state and fenced writes of observed state.

    Every write checks, in its own transaction, that this pass still holds the
    key's lease, and raises `LeaseLost` otherwise: a pass whose lease expired can
    never overwrite what its successor wrote.
    """

    async def environment(self, environment_id: UUID) -> EnvironmentRecord | None: ...

    @overload
    async def outputs(self, kind: type[O], key: str) -> O | None: ...
    @overload
    async def outputs(self, kind: str, key: str) -> dict[str, Any] | None: ...
    async def outputs(self, kind: type[O] | str, key: str) -> O | dict[str, Any] | None:
        """The outputs a kind last wrote for `key` as its model (None: not written yet).
        Named by the model, `outputs(NetworkOutputs, SHARED_KEY)`; by a kind's name, the
        stored dict."""
        ...

    @overload
    async def status(self, kind: type[O], key: str) -> StatusUpdate[O] | None: ...
    @overload
    async def status(self, kind: str, key: str) -> StatusUpdate | None: ...
    async def status(self, kind: type[O] | str, key: str) -> StatusUpdate | None: ...

    async def network_scope_users(self, scope_key: str, *, excluding: UUID) -> int:
        """How many environments other than `excluding` have an `environment-network`
        status whose outputs carry this `scopeKey`: the users of a shared security
        group or namespace, which goes only when none is left."""
        ...

    async def write_status(self, update: StatusUpdate[W]) -> None:
        """Outputs given as a model must be the pass's own kind's (else `TypeError`)."""
        ...

    async def record_deployment(self, environment_id: UUID, deployment: DeploymentRecord) -> bool:
        """Insert or update by `deployment_id`; True when the row is new."""
        ...

    async def record_event(
        self, *, reason: str, message: str, warning: bool = False, environment_id: UUID | None = None
    ) -> None: ...

    async def release_environment(self, environment_id: UUID) -> None:
        """This pass's kind holds nothing more for the environment: it stops being one of
        its finalizers and its status goes. When the environment is being deleted and
        no finalizer is left, its rows go too (and the application's, once it has no
        environment left). Ignored when the spec changed since this pass read it: the
        write queued another pass, which may need the kind again."""
        ...


class ReconcileContext(Protocol[W]):
    kind: str
    key: str
    reconcile_id: str
    store: StateStore[W]

    def bind(self, **fields: Any) -> None:
        """Add fields (application, environment, generation, …) to this pass's log line."""
        ...

    def log(self, event: str, **fields: Any) -> None: ...


# The context a reconciler needs: `ReconcileContext`, or one whose store answers more
# (the kube kinds' `KubeContext`). Contravariant: a reconciler content with a plain
# context runs wherever a richer one is given.
C = TypeVar("C", bound=ReconcileContext, contravariant=True)


class Reconciler(Protocol[C]):
    """One kind's loop. What it needs of other kinds is declared in `schemas.kind_graph`:
    when a pass of one of those kinds changes what it reads, the runtime makes this
    kind's pass due at once, so a reconciler waiting on another needs only a slow
    backstop poll."""

    kind: str

    async def reconcile(self, ctx: C) -> Result: ...


WRONG_OUTPUTS = "a {kind} pass wrote {model}, the outputs of {other}"


def parsed_outputs(kind: type[O] | str, raw: dict[str, Any] | None) -> O | dict[str, Any] | None:
    """Stored outputs as `kind` asked for them: its model, or (named by a string) the dict."""
    if isinstance(kind, str):
        return raw
    return kind.stored(raw)


def stored_outputs(writer: str, outputs: Outputs | dict[str, Any]) -> dict[str, Any]:
    """What a pass of kind `writer` stores: a model only of its own kind."""
    if isinstance(outputs, dict):
        return outputs
    if outputs.kind != writer:
        raise TypeError(WRONG_OUTPUTS.format(kind=writer, model=type(outputs).__name__, other=outputs.kind))
    return outputs.to_stored()
