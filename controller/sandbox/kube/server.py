"""The fake Kubernetes API server: uvicorn in a thread of its own on a loopback port, and
(optionally) a thread ticking the simulated kubelet."""

import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from controller.sandbox.kube.cluster import Cluster
from controller.sandbox.kube.control import control_routes
from controller.sandbox.kube.routes import KubernetesRoutes

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
START_TIMEOUT_SECONDS = 10
NOT_STARTED = "the fake Kubernetes API server did not start within {seconds} s"


def create_app(cluster: Cluster) -> Starlette:
    kubernetes = KubernetesRoutes(cluster)
    return Starlette(routes=[*control_routes(cluster), Route("/{path:path}", kubernetes.handle, methods=METHODS)])


class FakeKubernetes:
    """`FakeKubernetes().start()`; `.url`, `.cluster` (tick, controls), `.stop()`."""

    def __init__(self, cluster: Cluster | None = None, *, tick_seconds: float | None = None) -> None:
        self.cluster = cluster or Cluster()
        self.tick_seconds = tick_seconds
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "FakeKubernetes":
        config = uvicorn.Config(create_app(self.cluster), host=host, port=port, log_level="warning",
                                access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, name="fake-kubernetes", daemon=True)
        thread.start()
        self._threads.append(thread)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(NOT_STARTED.format(seconds=START_TIMEOUT_SECONDS))
            time.sleep(0.005)
        bound = self._server.servers[0].sockets[0].getsockname()
        self.url = f"http://{bound[0]}:{bound[1]}"
        if self.tick_seconds:
            ticker = threading.Thread(target=self._tick_forever, name="fake-kubelet", daemon=True)
            ticker.start()
            self._threads.append(ticker)
        return self

    def _tick_forever(self) -> None:
        while not self._stopping.wait(self.tick_seconds):
            self.cluster.tick()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=START_TIMEOUT_SECONDS)
