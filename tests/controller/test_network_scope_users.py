"""Counting the environments that use a shared network scope (FencedStateStore, PostgreSQL)."""

import uuid

from controller.store.observed import FencedStateStore

KIND = "environment-network"
SCOPE = "application:00000000-0000-4000-8000-0000000000a1"


async def _status(pool, kind: str, key: str, outputs: dict) -> None:
    await pool.execute(
        "INSERT INTO statuses (kind, key, outputs) VALUES ($1, $2, $3)", kind, key, outputs
    )


async def test_counts_other_environments_whose_network_names_the_scope(pool):
    me, other, third, elsewhere = (uuid.uuid4() for _ in range(4))
    await _status(pool, KIND, str(me), {"scopeKey": SCOPE})
    await _status(pool, KIND, str(other), {"scopeKey": SCOPE})
    await _status(pool, KIND, str(third), {"scopeKey": "shared"})
    await _status(pool, "ecs-environment", str(elsewhere), {"scopeKey": SCOPE})  # not a network status
    store = FencedStateStore(pool, KIND, str(me), uuid.uuid4())

    assert await store.network_scope_users(SCOPE, excluding=me) == 1
    assert await store.network_scope_users(SCOPE, excluding=other) == 1
    assert await store.network_scope_users(SCOPE, excluding=uuid.uuid4()) == 2
    assert await store.network_scope_users("organisation:acme", excluding=me) == 0
