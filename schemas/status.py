"""Observed state: Kubernetes-style conditions written back by the reconcilers."""

from datetime import datetime
from enum import StrEnum

from schemas.wire import CamelModel


class ConditionType(StrEnum):
    READY = "Ready"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"


class Condition(CamelModel):
    type: ConditionType
    status: bool
    reason: str
    message: str = ""
    last_transition_time: datetime


def set_condition(conditions: list[Condition], new: Condition) -> list[Condition]:
    """Replace the condition of `new.type`, keeping its transition time if the status did not change."""
    kept = [c for c in conditions if c.type != new.type]
    old = next((c for c in conditions if c.type == new.type), None)
    if old is not None and old.status == new.status:
        new = new.model_copy(update={"last_transition_time": old.last_transition_time})
    return sorted([*kept, new], key=lambda c: c.type)


Judgement = tuple[bool, str, str]  # a condition's status, reason and message


def judged_conditions(
    previous: list[Condition], ready: Judgement, progressing: Judgement, degraded: Judgement, now: datetime
) -> list[Condition]:
    """`previous` with the three standard conditions set as judged at `now`."""
    result = list(previous)
    for kind, (status, reason, message) in (
        (ConditionType.READY, ready),
        (ConditionType.PROGRESSING, progressing),
        (ConditionType.DEGRADED, degraded),
    ):
        result = set_condition(
            result, Condition(type=kind, status=status, reason=reason, message=message, last_transition_time=now)
        )
    return result
