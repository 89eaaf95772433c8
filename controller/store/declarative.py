"""The declarative write of an application (create-or-replace) and what its dry run reads.

A GitOps tool posts the whole spec again and again: the write compares inside the
statement and touches nothing when nothing differs (no generation, no queued reconcile).
"""

from dataclasses import dataclass
from typing import Any

import asyncpg

from controller.store.kinds import kinds_for
from controller.store.outcomes import LimitReached
from controller.store.queries import QUERIES

NAME_CONSTRAINT = "applications_organisation_id_name_key"


@dataclass(frozen=True, slots=True)
class Created:
    pass


@dataclass(frozen=True, slots=True)
class Replaced:
    """`changed`: the application's or its production environment's spec differed."""

    changed: bool


@dataclass(frozen=True, slots=True)
class Deleting:
    pass


@dataclass(frozen=True, slots=True)
class Desired:
    """An application's stored desired state, as a dry run compares against it."""

    spec: dict[str, Any]
    generation: int
    production_spec: dict[str, Any]
    production_generation: int
    deleting: bool


async def apply_application(
    pool: asyncpg.Pool,
    organisation_id: int,
    name: str,
    spec: dict,
    production_spec: dict,
    owned: tuple[str, ...],
) -> Created | Replaced | Deleting | LimitReached:
    """Create the application, or replace its spec and the `owned` fields of its production
    environment's spec with `production_spec`'s (those it lacks are removed)."""
    fields = {key: production_spec[key] for key in owned if key in production_spec}
    arguments = (organisation_id, name, spec, production_spec, fields, list(owned), kinds_for(production_spec))
    try:
        row = await pool.fetchrow(QUERIES.apply_application, *arguments)
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != NAME_CONSTRAINT:
            raise
        # A concurrent write created it first: this one now replaces what that made.
        row = await pool.fetchrow(QUERIES.apply_application, *arguments)
    if row["created_id"] is not None:
        return Created()
    if row["deleting"] is None:
        counted = await pool.fetchrow(QUERIES.application_count, organisation_id)
        return LimitReached(counted["application_count"], counted["application_limit"])
    if row["deleting"]:
        return Deleting()
    return Replaced(changed=row["application_changed"] or row["environment_changed"])


async def desired_state(pool: asyncpg.Pool, organisation_id: int, name: str) -> Desired | None:
    row = await pool.fetchrow(QUERIES.application_desired, organisation_id, name)
    return None if row is None else Desired(**dict(row))


async def limit_reached(pool: asyncpg.Pool, organisation_id: int) -> LimitReached | None:
    """The organisation's limit, when one more application would exceed it (for a dry run)."""
    counted = await pool.fetchrow(QUERIES.application_count, organisation_id)
    if counted["application_count"] < counted["application_limit"]:
        return None
    return LimitReached(counted["application_count"], counted["application_limit"])
