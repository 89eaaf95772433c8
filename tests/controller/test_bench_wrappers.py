"""The benches wrap the product reconcilers to count their passes; the Worker must see
through the wrappers what it reads off a reconciler (passes in flight)."""

import pytest

from controller.bench.call_counts import CountedReconciler, Ledger
from controller.bench.converge import PassWatch, WatchedReconciler
from reconcilers.aws.autoscaling import EcsAutoscalingReconciler


class _Bare:
    kind = "bare"

    async def reconcile(self, ctx):
        raise AssertionError("not run")


@pytest.mark.parametrize("wrap", [lambda r: CountedReconciler(r, Ledger()), lambda r: WatchedReconciler(r, PassWatch())])
def test_a_wrapped_reconciler_keeps_its_loop_settings(wrap):
    inner = EcsAutoscalingReconciler.__new__(EcsAutoscalingReconciler)  # its class attributes are what matter
    wrapped = wrap(inner)
    assert (wrapped.kind, wrapped.concurrency) == (inner.kind, inner.concurrency)
    bare = wrap(_Bare())
    assert not hasattr(bare, "concurrency")
