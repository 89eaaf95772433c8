"""The one status vocabulary every kind writes, the runtime's permanent-error path too.

A kind judges its three standard conditions as a `Verdict` and `conditions(previous,
verdict, now)` writes them. Waiting on another kind is always Ready=False with reason
`WaitingFor<Kind>` naming what is missing (`waiting_for`); a name that something else
owns is always `NameOwnedElsewhere` (`owned_elsewhere`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from schemas.kind_graph import Need
from schemas.kinds import Kind
from schemas.outputs import OUTPUTS, Outputs
from schemas.status import Condition, ConditionType, Judgement, judged_conditions, set_condition

AS_DESIRED_REASON = "AsDesired"
NAME_OWNED_ELSEWHERE = "NameOwnedElsewhere"
AS_DESIRED: Judgement = (False, AS_DESIRED_REASON, "")

NOT_WRITTEN = "no outputs yet"
WAITING_FOR = "waiting for {kind}: {missing}"
OWNED_ELSEWHERE = (
    "not this environment's, so left alone: {resources}; delete or retag them "
    "(berth:environment-id) to let berth make them"
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """(status, reason, message) of Ready, Progressing and Degraded."""

    ready: Judgement
    progressing: Judgement
    degraded: Judgement = AS_DESIRED

    @property
    def rolling_out(self) -> bool:
        return self.progressing[0]


def conditions(previous: Sequence[Condition], verdict: Verdict, now: datetime) -> list[Condition]:
    """`previous` with the three standard conditions set as judged at `now`."""
    return judged_conditions(list(previous), verdict.ready, verdict.progressing, verdict.degraded, now)


def same_reason(reason: str, message: str, *, ready: bool = False, progressing: bool = True) -> Verdict:
    """Ready and Progressing for one reason; not degraded."""
    return Verdict((ready, reason, message), (progressing, reason, message))


def waiting_reason(kind: Kind) -> str:
    return f"WaitingFor{kind.pascal_case}"


def unmet(need: Need, outputs: Outputs | None) -> tuple[str, ...]:
    """What of `need` its kind's outputs do not give yet (empty: nothing)."""
    if outputs is None:
        return (NOT_WRITTEN,)
    assert isinstance(outputs, OUTPUTS[need.kind]), (need.kind, type(outputs))
    return outputs.missing(need.outputs)


def waiting_for(kind: Kind, missing: Sequence[str]) -> Verdict:
    """Ready=False while another kind's outputs lack what this one needs; Progressing,
    since that kind's pass wakes this one when they change."""
    return same_reason(waiting_reason(kind), WAITING_FOR.format(kind=kind.value, missing=", ".join(missing)))


def owned_elsewhere(resources: Sequence[str]) -> Verdict:
    """Same-named resources that carry another owner's tags: left alone, and degraded
    until the user deletes or retags them."""
    message = OWNED_ELSEWHERE.format(resources=", ".join(resources))
    judged = (False, NAME_OWNED_ELSEWHERE, message)
    return Verdict(judged, judged, (True, NAME_OWNED_ELSEWHERE, message))


def permanent_failure(reason: str, message: str, previous: Sequence[Condition], now: datetime) -> list[Condition]:
    """The runtime's record of a `PermanentError`: not ready, degraded, Progressing kept."""
    result = list(previous)
    for kind, status in ((ConditionType.READY, False), (ConditionType.DEGRADED, True)):
        condition = Condition(type=kind, status=status, reason=reason, message=message, last_transition_time=now)
        result = set_condition(result, condition)
    return result
