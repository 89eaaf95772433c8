"""Stage states from records, duration statistics and success rates (pure)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.v1.stages import (
    PipelineStage,
    StageRecord,
    StageState,
    duration_stats,
    percentile,
    record_state,
    stage_metrics,
    stage_status,
    success_rate,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def record(**changes) -> StageRecord:
    fields = dict(
        id="r1", version=3, succeeded=False, failed=False, error_detail=None, created_at=T0,
        started_at=None, finished_at=None,
    )
    return StageRecord(**{**fields, **changes})


@pytest.mark.parametrize(
    ("reason", "given_record", "state"),
    [
        ("nothing started yet", record(), StageState.PENDING),
        ("a start recorded", record(started_at=T0), StageState.RUNNING),
        ("built / complete", record(succeeded=True, started_at=T0, finished_at=T0), StageState.SUCCEEDED),
        ("error wins over a start", record(failed=True, started_at=T0), StageState.FAILED),
    ],
)
def test_record_state(reason, given_record, state):
    assert record_state(given_record) == state, reason


LATER = T0 + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("reason", "given_record", "pipeline", "status", "version"),
    [
        ("never ran", None, None, None, None),
        ("only a record", record(succeeded=True), None, "succeeded", 3),
        (
            "a newer full deploy has not built yet: its pending hides the older record",
            record(succeeded=True),
            PipelineStage("p1", LATER, StageState.PENDING, None),
            "pending",
            None,
        ),
        (
            "an older full deploy without a record does not hide a newer manual record",
            record(succeeded=True, created_at=LATER),
            PipelineStage("p1", T0, StageState.SKIPPED, None),
            "succeeded",
            3,
        ),
        (
            "the pipeline's own record speaks for the stage",
            record(started_at=LATER, created_at=LATER),
            PipelineStage("p1", T0, StageState.RUNNING, "r1"),
            "running",
            3,
        ),
        (
            "a stage skipped after an earlier failure",
            None,
            PipelineStage("p1", T0, StageState.SKIPPED, None),
            "skipped",
            None,
        ),
    ],
)
def test_stage_status(reason, given_record, pipeline, status, version):
    answer = stage_status(given_record, pipeline)
    if status is None:
        assert answer is None, reason
        return
    assert (answer.status, answer.version) == (status, version), reason


def test_stage_status_names_the_pipeline_and_the_error():
    failed = stage_status(None, PipelineStage("p9", T0, StageState.FAILED, None, "no built image"))
    assert failed.error_detail == "no built image" and failed.step == {"pipeline_id": "p9"}
    own = stage_status(record(id="i1", failed=True, error_detail="exit 1"), PipelineStage("p9", T0, StageState.FAILED, "i1"))
    assert own.error_detail == "exit 1" and own.step["pipeline_id"] == "p9" and own.step["id"] == "i1"


@pytest.mark.parametrize(
    ("reason", "values", "avg", "p50", "p95"),
    [
        ("one value is every statistic", [4.0], 4.0, 4.0, 4.0),
        ("two values interpolate", [10.0, 20.0], 15.0, 15.0, 19.5),
        ("order does not matter", [3.0, 1.0, 2.0], 2.0, 2.0, 2.9),
        ("negative clock skew counts as zero", [-1.0, 1.0], 0.5, 0.5, 0.95),
    ],
)
def test_duration_stats(reason, values, avg, p50, p95):
    stats = duration_stats(values)
    assert (stats.avg, stats.p50, stats.p95, stats.count) == (avg, p50, p95, len(values)), reason


def test_no_durations_no_stats():
    assert duration_stats([]) is None
    assert percentile([], 0.5) == 0.0


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=50))
def test_duration_stats_are_ordered_and_within_the_values(values):
    stats = duration_stats(values)
    low, high = round(min(values), 3), round(max(values), 3)
    assert low - 0.001 <= stats.p50 <= stats.p95 <= high + 0.001
    assert low - 0.001 <= stats.avg <= high + 0.001
    assert stats.count == len(values)
    assert duration_stats(list(reversed(values))) == stats


@pytest.mark.parametrize(
    ("reason", "success", "error", "rate"),
    [("nothing finished", 0, 0, 0.0), ("all good", 3, 0, 1.0), ("one in four failed", 3, 1, 0.75), ("thirds", 1, 2, 0.3333)],
)
def test_success_rate(reason, success, error, rate):
    assert success_rate(success, error) == rate, reason


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_success_rate_is_a_share(success, error):
    assert 0.0 <= success_rate(success, error) <= 1.0


def test_stage_metrics_count_finished_runs_and_time_them():
    records = [
        record(succeeded=True, started_at=T0, finished_at=T0 + timedelta(seconds=30)),
        record(succeeded=True, finished_at=T0 + timedelta(seconds=10)),  # no start: from creation
        record(failed=True, started_at=T0, finished_at=T0 + timedelta(seconds=50)),
        record(started_at=T0),  # still running: neither counted nor timed
        record(failed=True),  # failed before it started: counted, not timed
    ]
    metrics = stage_metrics(records)
    assert (metrics.success, metrics.error, metrics.success_rate) == (2, 2, 0.5)
    assert metrics.duration.count == 3 and metrics.duration.p50 == 30.0 and metrics.duration.avg == 30.0


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 3600)), max_size=30))
def test_stage_metrics_success_plus_error_is_the_finished_runs(runs):
    records = [
        record(succeeded=ok and not bad, failed=bad, started_at=T0, finished_at=T0 + timedelta(seconds=s) if ok or bad else None)
        for ok, bad, s in runs
    ]
    metrics = stage_metrics(records)
    finished = sum(1 for ok, bad, _ in runs if ok or bad)
    assert metrics.success + metrics.error == finished
    assert (metrics.duration.count if metrics.duration else 0) == finished
