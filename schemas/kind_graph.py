"""What each kind needs from which other kinds: the dependency graph, declared once.

A kind waits (Ready=False, `WaitingFor<Kind>`) until every kind it needs has written
outputs that are ready and carry the fields it names. The runtime derives its watches
from this graph: a pass that changes any of those outputs (or their `ready`) makes the
dependents' passes due at once, so no kind polls another. A need is on the same key,
except a need on a shared kind (key `default`), which every key of the dependent reads.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from schemas.kinds import Kind, SHARED_KINDS
from schemas.outputs import OUTPUTS, NetworkOutputs, WorkloadOutputs


@dataclass(frozen=True, slots=True)
class Need:
    kind: Kind
    outputs: tuple[str, ...]  # field names of the kind's outputs model

    @property
    def shared(self) -> bool:
        return self.kind in SHARED_KINDS

    def watched(self) -> tuple[str, ...]:
        """The stored output names whose change matters to the dependent: the fields it
        needs, and `ready` for a kind that judges it."""
        model = OUTPUTS[self.kind]
        judged = ("ready",) if "ready" in model.model_fields else ()
        return judged + tuple(model.stored_name(name) for name in self.outputs)


NEEDS: Mapping[Kind, tuple[Need, ...]] = {
    Kind.ENVIRONMENT_NETWORK: (Need(Kind.AWS_NETWORK, ("vpc_id", "security_group_ids")),),
    Kind.RDS_DATABASE: (
        Need(Kind.AWS_NETWORK, ("vpc_id", "subnet_ids")),
        Need(Kind.ENVIRONMENT_NETWORK, ("peer_security_group_ids",)),
    ),
    Kind.EFS_FILESYSTEM: (
        Need(Kind.AWS_NETWORK, ("vpc_id", "subnet_ids")),
        Need(Kind.ENVIRONMENT_NETWORK, ("peer_security_group_ids",)),
    ),
    Kind.ECS_ENVIRONMENT: (
        Need(Kind.AWS_NETWORK, NetworkOutputs.essential),
        Need(Kind.ENVIRONMENT_NETWORK, ("security_group_ids",)),
        # only when the spec asks for a database or requires a file system
        Need(Kind.RDS_DATABASE, ("injected_secrets",)),
        Need(Kind.EFS_FILESYSTEM, ("filesystem_id", "access_point_id")),
    ),
    Kind.ECS_AUTOSCALING: (Need(Kind.ECS_ENVIRONMENT, WorkloadOutputs.essential),),
}


def need(dependent: Kind, kind: Kind) -> Need:
    return next(n for n in NEEDS.get(dependent, ()) if n.kind == kind)


def watchers() -> dict[Kind, dict[Kind, tuple[str, ...]]]:
    """kind → {each kind that needs it: the stored outputs of it that kind reads}."""
    found: dict[Kind, dict[Kind, tuple[str, ...]]] = {kind: {} for kind in Kind}
    for dependent, needs in NEEDS.items():
        for n in needs:
            found[n.kind][dependent] = n.watched()
    return found


def graph_lines() -> list[str]:
    """`berth kinds`: each kind, what it needs, and who needs it."""
    users = watchers()
    lines = []
    for kind in Kind:
        lines.append(kind.value)
        for n in NEEDS.get(kind, ()):
            scope = " (shared)" if n.shared else ""
            lines.append(f"  needs {n.kind.value}{scope}: {', '.join(n.watched())}")
        for dependent in users[kind]:
            lines.append(f"  needed by {dependent.value}")
    return lines
