"""The controller's housekeeping: reconcile events and metric samples are kept for a
while, not forever, so the tables stay the size of the retention window.

Every controller process prunes; the deletes are idempotent and bounded, so two
processes doing it at once only share the work.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from controller.store.pool import DATABASE_ERRORS
from controller.store.retention import prune_events, prune_metric_samples

log = structlog.get_logger("berth.housekeeping")
NOT_POSITIVE = "retention days and BERTH_HOUSEKEEPING_SECONDS must be positive"


@dataclass(frozen=True, slots=True)
class Retention:
    events_days: float = 30.0
    metric_samples_days: float = 14.0
    every_seconds: float = 600.0

    def __post_init__(self) -> None:
        if min(self.events_days, self.metric_samples_days, self.every_seconds) <= 0:
            raise ValueError(NOT_POSITIVE)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Retention":
        defaults = cls()
        return cls(
            events_days=float(environ.get("BERTH_EVENTS_RETENTION_DAYS", defaults.events_days)),
            metric_samples_days=float(
                environ.get("BERTH_METRIC_SAMPLES_RETENTION_DAYS", defaults.metric_samples_days)
            ),
            every_seconds=float(environ.get("BERTH_HOUSEKEEPING_SECONDS", defaults.every_seconds)),
        )


async def prune_once(pool: asyncpg.Pool, retention: Retention, now: datetime | None = None) -> dict[str, int]:
    now = now or datetime.now(UTC)
    return {
        "events": await prune_events(pool, now - timedelta(days=retention.events_days)),
        "metric_samples": await prune_metric_samples(pool, now - timedelta(days=retention.metric_samples_days)),
    }


async def keep_house(pool: asyncpg.Pool, retention: Retention, stop: asyncio.Event) -> None:
    """Prunes now, then every `retention.every_seconds`, until `stop` is set."""
    while not stop.is_set():
        try:
            deleted = await prune_once(pool, retention)
        except DATABASE_ERRORS as error:
            log.warning("prune_failed", error=str(error))
        else:
            if any(deleted.values()):
                log.info("pruned", **deleted)
        try:
            await asyncio.wait_for(stop.wait(), timeout=retention.every_seconds)
        except TimeoutError:
            pass
