import asyncpg
import pytest

from controller.logging import configure
from controller.store.pool import create_pool
from tests import postgres, reference
from tests.fakes.aws import AWS_TEST_ENVIRONMENT, MotoServer

configure("WARNING")


@pytest.fixture(scope="session")
async def pg_admin():
    dsn, embedded = await postgres.admin_dsn()
    yield dsn
    if embedded is not None:
        embedded.stop()


@pytest.fixture(scope="session")
async def pg_template(pg_admin):
    name = await postgres.create_template(pg_admin)
    yield name
    await postgres.drop(pg_admin, name)


@pytest.fixture
async def database_url(pg_admin, pg_template):
    """A fresh, migrated database for this test alone."""
    name = await postgres.clone(pg_admin, pg_template)
    yield postgres.with_database(pg_admin, name)
    await postgres.drop(pg_admin, name)


@pytest.fixture
async def pool(database_url) -> asyncpg.Pool:
    pool = await create_pool(database_url, min_size=1, max_size=20)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def moto_server():
    """moto in server mode on a free loopback port, for the whole session; tests reset it."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_TEST_ENVIRONMENT.items():
            patch.setenv(name, value)
        for name in ("MOTO_ECS_SERVICE_RUNNING", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        server = MotoServer().start()
        yield server
        server.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", f"{reference.LAZY_MARK}: parametrize from a reference document (tests/reference.py)")


def pytest_generate_tests(metafunc):
    reference.generate(metafunc)
