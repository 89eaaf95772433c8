"""The operators' writes: an immediate reconcile of an application, and its drift policy."""

from dataclasses import dataclass

import asyncpg

from controller.store.queries import QUERIES


@dataclass(frozen=True, slots=True)
class Queued:
    passes: list[str]  # "{kind}/{environment}"


@dataclass(frozen=True, slots=True)
class PolicySet:
    environments: list[str]


@dataclass(frozen=True, slots=True)
class Deleting:
    pass


async def reconcile_application(pool: asyncpg.Pool, organisation_id: int, application: str) -> Queued | None:
    """None: no such application. A deleting one is queued too: its teardown goes faster."""
    row = await pool.fetchrow(QUERIES.reconcile_application, organisation_id, application)
    return None if row is None else Queued(list(row["queued"]))


async def set_drift_policy(
    pool: asyncpg.Pool, organisation_id: int, application: str, policy: str | None
) -> PolicySet | Deleting | None:
    row = await pool.fetchrow(QUERIES.set_drift_policy, organisation_id, application, policy)
    if row is None:
        return None
    if row["deleting"]:
        return Deleting()
    return PolicySet(list(row["environments"]))


async def drift_policy(pool: asyncpg.Pool, organisation_id: int, application: str) -> str | None | bool:
    """The stored policy (None: the default); False: no such application."""
    row = await pool.fetchrow(QUERIES.drift_policy, organisation_id, application)
    return False if row is None else row["policy"]
