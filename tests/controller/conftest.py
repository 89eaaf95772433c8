import pytest

from controller.store.pool import create_pool
from controller.store.queue import WorkQueue
from tests.controller.support import QueueHistory


@pytest.fixture
def queue(pool) -> WorkQueue:
    return WorkQueue(pool)


@pytest.fixture
async def history(pool) -> QueueHistory:
    return await QueueHistory(pool).install()


@pytest.fixture
async def other_pool(database_url):
    """A second pool on the same database, as a second controller process would have."""
    pool = await create_pool(database_url, min_size=1, max_size=10)
    yield pool
    await pool.close()
