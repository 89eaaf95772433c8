"""Counting AWS calls per reconcile pass, for `berth bench resync` (bench code, not product).

`CountingClients` is the product's `AwsClients` with a botocore `before-call` handler
on every client: each API call (one per page of a paginated call; SDK retries of the
same call are not new calls) is tallied against the pass it was made for. The pass
is found through a context variable that `CountedReconciler` sets around the product
reconciler's `reconcile`; tasks a pass starts (a batcher's flush) inherit it, so a
batched describe is tallied once, against the pass whose request opened the batch.
"""

import contextvars
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reconcilers.aws.clients import SERVICES, AwsClients
from reconcilers.ports import ReconcileContext, Reconciler
from reconcilers.results import Result

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")
OUTSIDE = "(outside a pass)"


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


@dataclass
class PassTally:
    kind: str
    key: str
    counted: bool  # False for passes that are not measured (before the mark, second passes)
    calls: Counter = field(default_factory=Counter)  # (service, operation) -> calls


_PASS: contextvars.ContextVar[PassTally | None] = contextvars.ContextVar("berth_bench_pass", default=None)


class Ledger:
    """Every pass and call seen; `mark()` starts the measured resync: from then on the
    first pass of each (kind, key) is measured, and only its calls are counted."""

    def __init__(self) -> None:
        self.marked = False
        self.started_at: float | None = None
        self.measured: dict[tuple[str, str], PassTally] = {}
        self.outcomes: Counter = Counter()  # (kind, result type) of measured passes
        self.extra_passes: Counter = Counter()  # kind -> passes after the first, since the mark
        self.outside: Counter = Counter()  # calls made outside any pass, since the mark
        self.finished_at: dict[tuple[str, str], float] = {}
        self.all_calls = 0  # every call, measured or not (converging included)

    def mark(self) -> float:
        """From now on passes are measured; the clock it started at."""
        self.marked = True
        self.started_at = time.perf_counter()
        return self.started_at

    def open_pass(self, kind: str, key: str) -> PassTally:
        counted = self.marked and (kind, key) not in self.measured
        tally = PassTally(kind, key, counted)
        if counted:
            self.measured[(kind, key)] = tally
        elif self.marked:
            self.extra_passes[kind] += 1
        return tally

    def close_pass(self, tally: PassTally, outcome: str) -> None:
        if tally.counted:
            self.outcomes[(tally.kind, outcome)] += 1
            self.finished_at[(tally.kind, tally.key)] = time.perf_counter()

    def count(self, service: str, operation: str) -> None:
        self.all_calls += 1
        tally = _PASS.get()
        if tally is not None:
            if tally.counted:
                tally.calls[(service, operation)] += 1
        elif self.marked:
            self.outside[(service, operation)] += 1


def keep_loop_settings(wrapper: object, inner: Reconciler) -> None:
    """A bench's wrapper keeps what the Worker reads off the reconciler it wraps."""
    for loop_setting in ("concurrency",):
        if hasattr(inner, loop_setting):
            setattr(wrapper, loop_setting, getattr(inner, loop_setting))


class CountedReconciler:
    """The product reconciler, its pass made visible to the ledger."""

    concurrency: int  # only when the inner reconciler has one (keep_loop_settings), or a bench sets it

    def __init__(self, inner: Reconciler, ledger: Ledger):
        self._inner = inner
        self._ledger = ledger
        self.kind = inner.kind
        keep_loop_settings(self, inner)

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        tally = self._ledger.open_pass(ctx.kind, ctx.key)
        token = _PASS.set(tally)
        outcome = "error"
        try:
            result = await self._inner.reconcile(ctx)
            outcome = type(result).__name__
            return result
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            _PASS.reset(token)
            self._ledger.close_pass(tally, outcome)


class CountingClients(AwsClients):
    """`AwsClients` whose clients report every API call to `ledger`."""

    def __init__(self, *args: Any, ledger: Ledger, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ledger = ledger

    async def __aenter__(self) -> "CountingClients":
        await super().__aenter__()
        for attribute in ("ecs_once", *SERVICES):
            client = getattr(self, attribute)
            client.meta.events.register("before-call.*.*", self._counter(client.meta.service_model.service_name))
        return self

    def _counter(self, service: str):
        ledger = self.ledger

        def counted(model: Any, **_: Any) -> None:
            ledger.count(service, model.name)

        return counted
