"""`berth up`'s simulated cluster: the fake API server with a kubelet ticking every second,
its kubeconfig at `<data-dir>/kubeconfig`, and BERTH_KUBECONFIG pointing the kube
reconcilers at it — unless a cluster is configured (BERTH_KUBECONFIG, BERTH_KUBE_IN_CLUSTER).
~/.kube/config is deliberately not looked at: the sandbox never drives a real cluster unasked."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from controller.sandbox.kube.kubeconfig import write_kubeconfig
from controller.sandbox.kube.server import FakeKubernetes

TICK_SECONDS = 1.0
CONFIGURING_VARIABLES = ("BERTH_KUBECONFIG", "BERTH_KUBE_IN_CLUSTER")


def kube_is_configured(environ: Mapping[str, str]) -> bool:
    return any((environ.get(name) or "").strip() for name in CONFIGURING_VARIABLES)


@dataclass
class SimulatedKubernetes:
    url: str
    kubeconfig: Path
    server: FakeKubernetes

    def stop(self) -> None:
        self.server.stop()


def start_simulated_kubernetes(data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> SimulatedKubernetes:
    server = FakeKubernetes(tick_seconds=TICK_SECONDS).start(host, port)
    path = write_kubeconfig(data_dir / "kubeconfig", server.url)
    os.environ["BERTH_KUBECONFIG"] = str(path)
    # The simulated kubelet settles every second: look again as often, unless told otherwise.
    os.environ.setdefault("BERTH_KUBE_ROLLOUT_POLL_SECONDS", "1")
    os.environ.setdefault("BERTH_KUBE_BUILD_POLL_SECONDS", "1")
    return SimulatedKubernetes(server.url, path, server)
