"""Drift: a difference between the cloud and the desired state that berth did not make.

Pure. A pass is a *resync* when the kind's last status was written for this very
generation and said Ready: nothing asked for a change since the resources converged, so
whatever the plan finds to do now was changed outside berth (or, rarely, by a
dependency's outputs moving under a converged environment — reported the same way).

Policy (`EnvironmentSpec.drift_policy`): `correct` (the default) applies the plan as
always and records `DriftCorrected`; `report` records `DriftDetected` and changes
nothing. Messages name fields, never values: a task definition's fields may carry
secret references, and values are the cloud's business.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconcilers.ports import StatusUpdate
from schemas.desired import DriftPolicy, EnvironmentSpec
from schemas.status import ConditionType

DRIFT_CORRECTED = "DriftCorrected"
DRIFT_DETECTED = "DriftDetected"

CORRECTED = "{resource} was changed outside berth ({fields}); put back as desired"
DETECTED = "{resource} was changed outside berth ({fields}); left as it is: the drift policy is report"


def is_resync(previous: StatusUpdate | None, generation: int) -> bool:
    if previous is None or previous.observed_generation != generation:
        return False
    return any(c.type == ConditionType.READY and c.status for c in previous.conditions)


def corrects(spec: EnvironmentSpec) -> bool:
    return spec.drift_policy != DriftPolicy.REPORT


@dataclass(frozen=True, slots=True)
class Drift:
    resource: str  # "ECS service shop_production", "security group berth-env-…"
    fields: tuple[str, ...]

    def event(self, corrected: bool) -> tuple[str, str, bool]:
        """(reason, message, warning)."""
        template = CORRECTED if corrected else DETECTED
        message = template.format(resource=self.resource, fields=", ".join(self.fields))
        return (DRIFT_CORRECTED if corrected else DRIFT_DETECTED), message, not corrected


def drift_of(resource: str, fields: Iterable[str]) -> Drift | None:
    found = tuple(sorted(set(fields)))
    return Drift(resource, found) if found else None


def drift_output(drifts: Sequence[Drift]) -> list[dict[str, object]]:
    """For the status outputs while the policy is report: what is left drifted."""
    return [{"resource": d.resource, "fields": list(d.fields)} for d in drifts]
