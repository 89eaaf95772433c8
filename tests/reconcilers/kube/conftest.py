from datetime import UTC, datetime, timedelta

import pytest

from controller.runtime.context import PassContext
from reconcilers.kube.api import KubeApi
from reconcilers.kube.config import KubeConfig
from tests.fakes.kube import kube, kube_api, kube_server, kubeconfig_path  # noqa: F401
from tests.reconcilers.kube import rows


class ShiftedClock:
    """Real time (the database stamps rollouts with now()) plus what the test advanced."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def kube_config() -> KubeConfig:
    return KubeConfig(kubeconfig="(test)", registry="registry.test", rollout_poll_seconds=1, build_poll_seconds=1)


@pytest.fixture
def api(kube_api) -> KubeApi:
    return KubeApi(kube_api)


class Passes:
    """Runs passes of one reconciler with a fresh lease each, as the Worker would."""

    def __init__(self, pool, reconciler):
        self._pool = pool
        self._reconciler = reconciler

    async def run(self, key):
        store = await rows.leased_store(self._pool, self._reconciler.kind, key)
        ctx = PassContext(self._reconciler.kind, str(key), "test", store)
        return await self._reconciler.reconcile(ctx)

    async def status(self, key):
        row = await self._pool.fetchrow(
            "SELECT conditions, outputs FROM statuses WHERE kind = $1 AND key = $2", self._reconciler.kind, str(key)
        )
        return {c["type"]: c for c in row["conditions"]}, row["outputs"]
