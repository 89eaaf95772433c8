"""A pass's own event: what it came to and how long it took, beside the events it recorded.

`ReconcileCompleted` follows a pass that recorded something (it changed or found
something): its outcome, duration and when the next pass is due. `ReconcileFailed`
(a warning) follows the first failure of a streak (later retries of the same streak
say nothing more; the status and the log carry them), and every permanent failure
(one per resync at most). Passes that found nothing to do record nothing.
"""

from typing import Any
from uuid import UUID

import structlog

from controller.store.pool import DATABASE_ERRORS
from reconcilers.ports import LeaseLost, StateStore

log = structlog.get_logger("berth.controller")

SUCCEEDED = frozenset({"done", "requeue", "forget"})
FAILED = frozenset({"temporary_error", "permanent_error", "error"})

COMPLETED = "{outcome} in {seconds:.2f} s after {events} recorded {noun}{next}"
FAILURE = "{outcome} after {seconds:.2f} s: {error}{next}"
NEXT_PASS = "; next pass in {delay:.0f} s"
RETRY = "; retrying in {delay:.1f} s"
REQUEUED = " ({reason})"


class CountingStore:
    """The pass's store, counting the events it records."""

    def __init__(self, inner: StateStore):
        self._inner = inner
        self.events = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def record_event(self, **fields: Any) -> None:
        await self._inner.record_event(**fields)
        self.events += 1


def _environment_id(key: str) -> UUID | None:
    try:
        return UUID(key)
    except ValueError:
        return None  # not an environment's key (the shared network): no organisation to show it to


async def summarise(
    store: CountingStore,
    key: str,
    outcome: str,
    seconds: float,
    *,
    delay: float,
    error: str | None,
    first_failure: bool,
    requeue_reason: str | None = None,
) -> None:
    environment_id = _environment_id(key)
    if environment_id is None:
        return
    if outcome in SUCCEEDED and store.events:
        following = "" if outcome == "forget" else NEXT_PASS.format(delay=delay)
        if requeue_reason:
            following += REQUEUED.format(reason=requeue_reason)
        noun = "event" if store.events == 1 else "events"
        message = COMPLETED.format(outcome=outcome, seconds=seconds, events=store.events, noun=noun, next=following)
        reason, warning = "ReconcileCompleted", False
    elif outcome in FAILED and (first_failure or outcome == "permanent_error"):
        following = RETRY.format(delay=delay) if outcome != "permanent_error" else NEXT_PASS.format(delay=delay)
        message = FAILURE.format(outcome=outcome, seconds=seconds, error=error or "", next=following)
        reason, warning = "ReconcileFailed", True
    else:
        return
    try:
        await store.record_event(reason=reason, message=message, warning=warning, environment_id=environment_id)
    except (LeaseLost, *DATABASE_ERRORS) as failure:
        log.warning("pass_event_not_recorded", key=key, error=str(failure))
