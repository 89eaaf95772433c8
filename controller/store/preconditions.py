"""Conditional desired-state writes (`If-Match`): the row is locked, its version compared,
then written in the same transaction, so a stale write can never land.

The version of an environment is its id and generation; of an application, its id, its
generation and its production environment's generation (the declarative PUT writes
both). The API turns a `Version` into an ETag (api/etags.py).
"""

import asyncpg

from controller.store import applications, declarative, environments
from controller.store.queries import QUERIES
from controller.store.versions import Matches, PreconditionFailed, Version

__all__ = ["Matches", "PreconditionFailed", "Version", "application_version", "environment_version"]


def _environment(row: asyncpg.Record | None) -> Version | None:
    return None if row is None else Version(row["id"], (row["generation"],))


def _application(row: asyncpg.Record | None) -> Version | None:
    return None if row is None else Version(row["id"], (row["generation"], row["production_generation"]))


async def environment_version(pool: asyncpg.Pool, organisation_id: int, application: str, name: str) -> Version | None:
    return _environment(await pool.fetchrow(QUERIES.environment_version, organisation_id, application, name))


async def application_version(pool: asyncpg.Pool, organisation_id: int, name: str) -> Version | None:
    return _application(await pool.fetchrow(QUERIES.application_version, organisation_id, name))


async def delete_environment(
    pool: asyncpg.Pool,
    organisation_id: int,
    application: str,
    name: str,
    *,
    skip_final_snapshot: bool,
    matches: Matches,
) -> bool | environments.IsProduction | PreconditionFailed:
    """`environments.delete_environment`, when the locked row's version `matches`; a
    missing environment answers as there (False), before the precondition."""
    async with pool.acquire() as connection, connection.transaction():
        version = _environment(
            await connection.fetchrow(QUERIES.lock_environment_version, organisation_id, application, name)
        )
        if version is None:
            return False
        if not matches(version):
            return PreconditionFailed()
        # Its one statement runs on this connection, inside this transaction.
        return await environments.delete_environment(
            connection, organisation_id, application, name, skip_final_snapshot=skip_final_snapshot
        )


async def delete_application(
    pool: asyncpg.Pool, organisation_id: int, name: str, *, skip_final_snapshot: bool, matches: Matches
) -> bool | PreconditionFailed:
    async with pool.acquire() as connection, connection.transaction():
        version = _application(await connection.fetchrow(QUERIES.lock_application_version, organisation_id, name))
        if version is None:
            return False
        if not matches(version):
            return PreconditionFailed()
        return await applications.delete_application(
            connection, organisation_id, name, skip_final_snapshot=skip_final_snapshot
        )


async def apply_application(
    pool: asyncpg.Pool,
    organisation_id: int,
    name: str,
    spec: dict,
    production_spec: dict,
    owned: tuple[str, ...],
    *,
    matches: Matches,
) -> declarative.Replaced | declarative.Deleting | PreconditionFailed:
    """The declarative replace, when the application exists at a version that `matches`.
    With `If-Match` there is no create: a missing application fails the precondition
    (RFC 9110 §13.1.1), so the write never races a create into a unique violation."""
    async with pool.acquire() as connection, connection.transaction():
        version = _application(await connection.fetchrow(QUERIES.lock_application_version, organisation_id, name))
        if version is None or not matches(version):
            return PreconditionFailed()
        outcome = await declarative.apply_application(
            connection, organisation_id, name, spec, production_spec, owned
        )
    assert isinstance(outcome, declarative.Replaced | declarative.Deleting)  # it exists: neither created nor over a limit
    return outcome
