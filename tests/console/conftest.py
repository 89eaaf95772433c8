"""The console's tests run the real API (tests/api's fixtures) on real PostgreSQL."""

from tests.api.conftest import base_url, tenant  # noqa: F401 — fixtures
