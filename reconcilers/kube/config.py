"""`KubeConfig`: which cluster the kube reconcilers drive and how, read once from the
environment; `kube_api_client` opens a kubernetes-asyncio client for it.

The cluster is chosen by configuration alone: BERTH_KUBECONFIG (a kubeconfig file,
e.g. the sandbox's `<data-dir>/kubeconfig` or a real cluster's), or
BERTH_KUBE_IN_CLUSTER=true (the pod's service account), or neither — then the kube
reconcilers are not enabled.
"""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from reconcilers.kube.render import RenderSettings

DEFAULT_BUILD_IMAGE = "gcr.io/kaniko-project/executor:v1.23.2"
DEFAULT_REGISTRY = "registry.berth.local"
DEFAULT_ROLLOUT_POLL_SECONDS = 5.0
DEFAULT_BUILD_POLL_SECONDS = 5.0
DEFAULT_METRICS_PERIOD_SECONDS = 60.0

NOT_A_NUMBER = "{name}={value!r} is not a positive number"
NOT_A_PORT = "{name}={value!r} is not a port number"
TRUE_WORDS = frozenset({"1", "true", "yes", "on", "enabled"})


@dataclass(frozen=True, slots=True)
class KubeConfig:
    """`kubeconfig`: a kubeconfig file's path; `context`: one of its contexts (default:
    its current one); `in_cluster`: use the service account instead. `build_image`: the
    image that builds images (kaniko's executor by default; BuildKit's
    `moby/buildkit:…-rootless` with `buildctl-daemonless.sh` works as well, see
    reconcilers/kube/build_job.py). `registry`: where built images are pushed,
    `{registry}/{organisation}/{application}:{version}`; `registry_secret`: a
    docker-registry Secret in each namespace used to push and pull."""

    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    build_image: str = DEFAULT_BUILD_IMAGE
    registry: str = DEFAULT_REGISTRY
    registry_secret: str | None = None
    rollout_poll_seconds: float = DEFAULT_ROLLOUT_POLL_SECONDS
    build_poll_seconds: float = DEFAULT_BUILD_POLL_SECONDS
    metrics_period_seconds: float = DEFAULT_METRICS_PERIOD_SECONDS
    render: RenderSettings = field(default_factory=RenderSettings)

    @property
    def enabled(self) -> bool:
        return bool(self.kubeconfig) or self.in_cluster

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "KubeConfig":
        """BERTH_KUBECONFIG, BERTH_KUBE_CONTEXT, BERTH_KUBE_IN_CLUSTER, BERTH_BUILD_IMAGE,
        BERTH_IMAGE_REGISTRY, BERTH_IMAGE_REGISTRY_SECRET, BERTH_KUBE_ROLLOUT_POLL_SECONDS,
        BERTH_KUBE_BUILD_POLL_SECONDS, BERTH_KUBE_METRICS_SECONDS, BERTH_WEB_PORT."""
        secret = environ.get("BERTH_IMAGE_REGISTRY_SECRET") or None
        return cls(
            kubeconfig=environ.get("BERTH_KUBECONFIG") or None,
            context=environ.get("BERTH_KUBE_CONTEXT") or None,
            in_cluster=(environ.get("BERTH_KUBE_IN_CLUSTER") or "").strip().lower() in TRUE_WORDS,
            build_image=environ.get("BERTH_BUILD_IMAGE") or DEFAULT_BUILD_IMAGE,
            registry=(environ.get("BERTH_IMAGE_REGISTRY") or DEFAULT_REGISTRY).rstrip("/"),
            registry_secret=secret,
            rollout_poll_seconds=_seconds(environ, "BERTH_KUBE_ROLLOUT_POLL_SECONDS", DEFAULT_ROLLOUT_POLL_SECONDS),
            build_poll_seconds=_seconds(environ, "BERTH_KUBE_BUILD_POLL_SECONDS", DEFAULT_BUILD_POLL_SECONDS),
            metrics_period_seconds=_seconds(environ, "BERTH_KUBE_METRICS_SECONDS", DEFAULT_METRICS_PERIOD_SECONDS),
            render=RenderSettings(web_port=_port(environ, "BERTH_WEB_PORT", 8000), image_pull_secret=secret),
        )


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(NOT_A_NUMBER.format(name=name, value=value)) from None
    if seconds <= 0:
        raise ValueError(NOT_A_NUMBER.format(name=name, value=value))
    return seconds


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name)
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(NOT_A_PORT.format(name=name, value=value))
    return int(value)


@asynccontextmanager
async def kube_api_client(config: KubeConfig) -> AsyncIterator[Any]:
    """An entered `kubernetes_asyncio.client.ApiClient` for the configured cluster."""
    from kubernetes_asyncio import client
    from kubernetes_asyncio import config as kube_config

    configuration = client.Configuration()
    if config.in_cluster:
        kube_config.load_incluster_config(client_configuration=configuration)
    else:
        await kube_config.load_kube_config(
            config_file=config.kubeconfig, context=config.context, client_configuration=configuration
        )
    async with client.ApiClient(configuration) as api_client:
        yield api_client
