"""Idempotency-Key records: claim a key for a request, complete it with the response to
replay, or release it; see migration 0007 and docs/api.md ("API hardening")."""

from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg

from controller.store.queries import QUERIES

PURGE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Claimed:
    """This request holds the key: complete or release it with `claim`."""

    claim: UUID


@dataclass(frozen=True, slots=True)
class InFlight:
    """Another request with this key is running (and its lease has not passed)."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The key was used for a different request (method, path, query or body)."""


@dataclass(frozen=True, slots=True)
class Answered:
    """The key's request completed: this is its response, to replay."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


async def claim(
    pool: asyncpg.Pool,
    organisation_id: int,
    key: str,
    fingerprint: bytes,
    *,
    lease_seconds: float,
    keep_seconds: float,
) -> Claimed | InFlight | Mismatch | Answered:
    mine = uuid4()
    taken = await pool.fetchval(
        QUERIES.claim_idempotency_key, organisation_id, key, fingerprint, mine, lease_seconds, keep_seconds
    )
    if taken is not None:
        return Claimed(taken)
    row = await pool.fetchrow(QUERIES.idempotency_record, organisation_id, key)
    if row is None or row["expired"]:
        # Released or expired between the two statements: the holder is gone, but
        # answering 409 (retry) is simpler and as correct as claiming again here.
        return InFlight()
    if row["fingerprint"] != fingerprint:
        return Mismatch()
    if not row["completed"]:
        return InFlight()
    return Answered(row["status"], [tuple(pair) for pair in row["headers"]], row["body"])


async def complete(
    pool: asyncpg.Pool, organisation_id: int, key: str, claimed: Claimed, answer: Answered
) -> bool:
    """Keep the response; False when the lease passed and another request took the key over."""
    status = await pool.execute(
        QUERIES.complete_idempotency_key,
        organisation_id,
        key,
        claimed.claim,
        answer.status,
        [list(pair) for pair in answer.headers],
        answer.body,
    )
    return status.endswith(" 1")


async def release(pool: asyncpg.Pool, organisation_id: int, key: str, claimed: Claimed) -> None:
    await pool.execute(QUERIES.release_idempotency_key, organisation_id, key, claimed.claim)


async def purge(pool: asyncpg.Pool, batch: int = PURGE_BATCH) -> int:
    """Delete up to `batch` expired records; how many went."""
    status = await pool.execute(QUERIES.purge_idempotency_keys, batch)
    return int(status.rsplit(" ", 1)[1])
