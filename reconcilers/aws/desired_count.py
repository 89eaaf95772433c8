"""How many tasks the service should run, and when a restart is due (pure).

- stopped: 0;
- running, service about to be created: the minimum capacity;
- running, service present: left as it is while within [min, max] — the autoscaler
  (`ecs-autoscaling`) owns it there — and clamped into the range otherwise (a stop
  just lifted, the range changed, or a change out of band).

`spec.restarts` is a counter `PUT …/state` raises; the workload keeps the value it
last acted on in its outputs (`restartsApplied`). A counter above it means one
forced new deployment. A service being created needs none: it starts fresh.
"""

from schemas.desired import EnvironmentSpec, RunState


def desired_count(spec: EnvironmentSpec, observed: int | None) -> int:
    """`observed`: the ACTIVE service's desiredCount; None when there is none."""
    if spec.state == RunState.STOPPED:
        return 0
    if observed is None:
        return spec.min_capacity
    return max(spec.min_capacity, min(spec.max_capacity, observed))


def restarts_applied(spec: EnvironmentSpec, recorded: object) -> int:
    """The counter last acted on; an environment that never recorded one (new, or
    converged before restarts existed) has nothing pending."""
    return recorded if isinstance(recorded, int) and not isinstance(recorded, bool) else spec.restarts


def restart_due(spec: EnvironmentSpec, applied: int, service_exists: bool) -> bool:
    return service_exists and spec.restarts > applied
