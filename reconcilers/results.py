"""What a reconcile pass returns, and the two errors it may raise on purpose.

The runtime maps these in one place: `Done` schedules the periodic resync,
`RequeueAfter` comes back sooner, `Forget` drops the key (the object is gone),
`TemporaryError` retries after its delay, `PermanentError` is recorded as a
condition and waits for the next change or resync, and anything else backs off
exponentially with jitter.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Done:
    pass


@dataclass(frozen=True, slots=True)
class RequeueAfter:
    seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class Forget:
    pass


Result = Done | RequeueAfter | Forget


class TemporaryError(Exception):
    def __init__(self, message: str, delay: float = 5.0):
        super().__init__(message)
        self.delay = delay


class PermanentError(Exception):
    """The desired state cannot be reached as it stands; retrying will not help."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
