"""Pipeline stage states and statistics, from the records the reconcilers write back.

Pure functions: the routes read rows, turn them into these records, and answer what
these functions make of them. The state words are the `pipelines` table's:
pending → running → succeeded | failed, and skipped for a stage a failed earlier stage
never let start.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from schemas.v1.pipeline import DurationStats, PipelineStageMetrics, PipelineStageStatus

STAGES = ("build", "release", "deploy")


class StageState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class StageRecord:
    """One image (build), release or deployment as far as its stage is concerned.
    `succeeded` is the row's built / complete flag, `failed` its error flag."""

    id: str
    version: int | None
    succeeded: bool
    failed: bool
    error_detail: str | None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PipelineStage:
    """One stage of an application's newest full deploy (a `pipelines` row)."""

    pipeline_id: str
    created_at: datetime
    state: StageState
    record_id: str | None  # the stage's image / release / deployment, once made
    error_detail: str | None = None


def record_state(record: StageRecord) -> StageState:
    if record.failed:
        return StageState.FAILED
    if record.succeeded:
        return StageState.SUCCEEDED
    if record.started_at is not None:
        return StageState.RUNNING
    return StageState.PENDING


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def stage_status(record: StageRecord | None, pipeline: PipelineStage | None) -> PipelineStageStatus | None:
    """The stage as a client should see it: its newest record, unless a newer full deploy
    has not made this stage's record yet — then that pipeline's word for it (pending
    while earlier stages run, skipped after one failed). None: the stage never ran."""
    if pipeline is not None and pipeline.record_id is None:
        if record is None or pipeline.created_at >= record.created_at:
            failed = pipeline.state == StageState.FAILED
            return PipelineStageStatus(
                status=pipeline.state,
                error_detail=pipeline.error_detail if failed else None,
                step={"pipeline_id": pipeline.pipeline_id},
            )
    if record is None:
        return None
    step: dict = {
        "id": record.id,
        "created_at": _moment(record.created_at),
        "started_at": _moment(record.started_at),
        "finished_at": _moment(record.finished_at),
    }
    if pipeline is not None and pipeline.record_id == record.id:
        step["pipeline_id"] = pipeline.pipeline_id
    return PipelineStageStatus(
        status=record_state(record), version=record.version, error_detail=record.error_detail, step=step
    )


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default), of sorted values."""
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def duration_stats(seconds: Iterable[float]) -> DurationStats | None:
    """avg, p50, p95 (seconds, to the millisecond) and count; None without a duration."""
    ordered = sorted(max(0.0, float(s)) for s in seconds)
    if not ordered:
        return None
    return DurationStats(
        avg=round(sum(ordered) / len(ordered), 3),
        p50=round(percentile(ordered, 0.5), 3),
        p95=round(percentile(ordered, 0.95), 3),
        count=len(ordered),
    )


def success_rate(success: int, error: int) -> float:
    """The share of finished runs that succeeded, 0..1 (0 when none finished)."""
    finished = success + error
    return 0.0 if finished == 0 else round(success / finished, 4)


def duration_of(record: StageRecord) -> float | None:
    """Seconds from start (or creation, when the start was not recorded) to finish."""
    if record.finished_at is None:
        return None
    began = record.started_at or record.created_at
    return (record.finished_at - began).total_seconds()


def stage_metrics(records: Iterable[StageRecord]) -> PipelineStageMetrics:
    """Success and error counts, success rate and durations of finished runs."""
    success = error = 0
    durations = []
    for record in records:
        state = record_state(record)
        if state == StageState.SUCCEEDED:
            success += 1
        elif state == StageState.FAILED:
            error += 1
        else:
            continue
        duration = duration_of(record)
        if duration is not None:
            durations.append(duration)
    return PipelineStageMetrics(
        success=success, error=error, success_rate=success_rate(success, error), duration=duration_stats(durations)
    )
