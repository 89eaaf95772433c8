"""Retention: events and metric samples older than their window go, newer ones stay."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from controller.runtime.housekeeping import Retention, keep_house, prune_once
from controller.store.organisations import create_organisation
from controller.store.retention import prune_events

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def _events(pool, organisation_id: int, ages_days: list[float]) -> None:
    await pool.executemany(
        "INSERT INTO events (organisation_id, kind, key, reason, message, created_at) "
        "VALUES ($1, 'ecs-environment', 'k', $2, 'm', $3)",
        [(organisation_id, f"age-{age}", NOW - timedelta(days=age)) for age in ages_days],
    )


async def _samples(pool, organisation_id: int, ages_days: list[float]) -> None:
    project = await pool.fetchval(
        "INSERT INTO projects (organisation_id, slug, name) VALUES ($1, 'shop', 'Shop') RETURNING id",
        organisation_id,
    )
    application = await pool.fetchval(
        "INSERT INTO kube_applications (project_id, slug, name) VALUES ($1, 'web', 'Web') RETURNING id", project
    )
    await pool.executemany(
        "INSERT INTO kube_metric_samples (application_id, process, sampled_at) VALUES ($1, 'web', $2)",
        [(application, NOW - timedelta(days=age)) for age in ages_days],
    )


@pytest.mark.parametrize(
    ("retention", "kept_events", "kept_samples"),
    [
        (Retention(events_days=30, metric_samples_days=14), ["age-0", "age-29.9"], 3),
        (Retention(events_days=1, metric_samples_days=1), ["age-0"], 1),
        (Retention(events_days=365, metric_samples_days=365), ["age-0", "age-29.9", "age-30.1", "age-90"], 5),
    ],
)
async def test_prune_once_keeps_exactly_what_is_inside_each_window(pool, retention, kept_events, kept_samples):
    organisation = await create_organisation(pool, "acme")
    await _events(pool, organisation.id, [0, 29.9, 30.1, 90])
    await _samples(pool, organisation.id, [0, 2, 13.9, 14.1, 60])

    deleted = await prune_once(pool, retention, now=NOW)

    left = sorted(r["reason"] for r in await pool.fetch("SELECT reason FROM events"))
    assert left == sorted(kept_events)
    assert await pool.fetchval("SELECT count(*) FROM kube_metric_samples") == kept_samples
    assert deleted == {"events": 4 - len(kept_events), "metric_samples": 5 - kept_samples}


async def test_a_backlog_larger_than_a_batch_is_pruned_whole(pool):
    organisation = await create_organisation(pool, "acme")
    await _events(pool, organisation.id, [40 + i / 100 for i in range(25)] + [1])

    assert await prune_events(pool, NOW - timedelta(days=30), batch=7) == 25
    assert await pool.fetchval("SELECT count(*) FROM events") == 1


async def test_keep_house_prunes_at_start_and_stops_when_asked(pool):
    organisation = await create_organisation(pool, "acme")
    await _events(pool, organisation.id, [0, 400])
    stop = asyncio.Event()
    task = asyncio.create_task(keep_house(pool, Retention(events_days=30, every_seconds=3600), stop))
    for _ in range(100):
        if await pool.fetchval("SELECT count(*) FROM events") == 1:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert await pool.fetchval("SELECT count(*) FROM events") == 1


def test_retention_reads_its_settings_from_the_environment():
    assert Retention.from_env({}) == Retention()
    assert Retention.from_env(
        {"BERTH_EVENTS_RETENTION_DAYS": "7", "BERTH_METRIC_SAMPLES_RETENTION_DAYS": "2", "BERTH_HOUSEKEEPING_SECONDS": "60"}
    ) == Retention(events_days=7, metric_samples_days=2, every_seconds=60)


@pytest.mark.parametrize("name", ["BERTH_EVENTS_RETENTION_DAYS", "BERTH_METRIC_SAMPLES_RETENTION_DAYS", "BERTH_HOUSEKEEPING_SECONDS"])
def test_a_setting_that_is_not_positive_is_refused(name):
    with pytest.raises(ValueError, match="positive"):
        Retention.from_env({name: "0"})
