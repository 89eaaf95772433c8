"""The simulated cluster: the object store, the kubelet, and the controls tests and the
sandbox use to steer it (hold or fail a rollout, finish a job, set usage and restarts)."""

import time
from collections.abc import Callable

from controller.sandbox.kube import errors
from controller.sandbox.kube.kubelet import DEPLOYMENTS, JOBS, PODS, Kubelet, _owned_by
from controller.sandbox.kube.store import Store, utc_now

BEHAVIOURS = ("hold", "fail", "run")
JOB_OUTCOMES = ("complete", "fail")
JOB_DEFAULTS = ("complete", "hold")
NO_CONTAINER = 'container "{container}" is not valid for pod {pod}'
WAITING = 'container "{container}" in pod "{pod}" is waiting to start: {reason}'
CHOOSE_CONTAINER = "a container name must be specified for pod {pod}, choose one of: [{names}]"


class Cluster:
    def __init__(self, clock: Callable[[], str] = utc_now, seconds: Callable[[], float] = time.monotonic) -> None:
        self.store = Store(clock)
        self.kubelet = Kubelet(self.store, seconds)

    def reset(self) -> None:
        with self.store.lock:
            self.kubelet.reset()
            self.store.reset()

    def tick(self, steps: int = 1) -> None:
        """Let the cluster settle `steps` steps (the sandbox does this every second)."""
        for _ in range(steps):
            self.kubelet.tick()

    # Deployments ----------------------------------------------------------------------

    def set_deployment_behaviour(self, namespace: str, name: str, behaviour: str) -> None:
        """"hold": new pods stay pending; "fail": they crash-loop; "run": they start (the default)."""
        if behaviour not in BEHAVIOURS:
            raise errors.bad_request(f"behaviour must be one of {BEHAVIOURS}")
        with self.store.lock:
            if behaviour == "run":
                self.kubelet.deployment_behaviour.pop((namespace, name), None)
            else:
                self.kubelet.deployment_behaviour[(namespace, name)] = behaviour

    def pods_of(self, namespace: str, kind: str, name: str) -> list[dict]:
        """The pods a deployment or job owns (kind "deployment" or "job")."""
        resource = DEPLOYMENTS if kind == "deployment" else JOBS
        with self.store.lock:
            owner = self.store.get(resource, namespace, name)
            return [p for p in self.store.select(PODS, namespace)[0] if _owned_by(p, owner)]

    # Jobs -----------------------------------------------------------------------------

    def finish_job(self, namespace: str, name: str, outcome: str, log: str | None = None) -> None:
        """The job completes (or fails) on the next tick; `log` is what its pod printed."""
        if outcome not in JOB_OUTCOMES:
            raise errors.bad_request(f"outcome must be one of {JOB_OUTCOMES}")
        with self.store.lock:
            self.store.get(JOBS, namespace, name)
            self.kubelet.job_requests[(namespace, name)] = outcome
            if log:
                self.kubelet.job_logs.setdefault((namespace, name), []).extend(log.splitlines())

    def set_job_default(self, outcome: str) -> None:
        if outcome not in JOB_DEFAULTS:
            raise errors.bad_request(f"the default must be one of {JOB_DEFAULTS}")
        self.kubelet.job_default = outcome

    # Pods -----------------------------------------------------------------------------

    def _container(self, pod: dict, container: str | None) -> str:
        names = [c["name"] for c in pod["spec"].get("containers", [])]
        if container is None:
            if len(names) != 1:
                raise errors.bad_request(CHOOSE_CONTAINER.format(pod=pod["metadata"]["name"], names=" ".join(names)))
            return names[0]
        if container not in names:
            raise errors.bad_request(NO_CONTAINER.format(container=container, pod=pod["metadata"]["name"]))
        return container

    def append_log(self, namespace: str, pod: str, text: str, container: str | None = None) -> None:
        with self.store.lock:
            found = self.store.get(PODS, namespace, pod)
            name = self._container(found, container)
            self.kubelet.runtime(namespace, pod).logs.setdefault(name, []).extend(text.splitlines())

    def log(self, namespace: str, pod: str, container: str | None = None, tail: int | None = None,
            limit_bytes: int | None = None) -> str:
        with self.store.lock:
            found = self.store.get(PODS, namespace, pod)
            name = self._container(found, container)
            statuses = {c["name"]: c for c in (found.get("status") or {}).get("containerStatuses") or []}
            state = statuses.get(name, {})
            if not state or ("waiting" in state.get("state", {}) and not state.get("restartCount")):
                reason = state.get("state", {}).get("waiting", {}).get("reason", "ContainerCreating")
                raise errors.bad_request(WAITING.format(container=name, pod=pod, reason=reason))
            lines = self.kubelet.runtime(namespace, pod).logs.get(name, [])
            if tail is not None:
                lines = lines[-tail:] if tail else []
            text = "".join(line + "\n" for line in lines)
            return text.encode()[:limit_bytes].decode(errors="ignore") if limit_bytes else text

    def set_usage(self, namespace: str, pod: str, cpu_m: int, memory_bytes: int, container: str | None = None) -> None:
        """What PodMetrics reports for the pod's container(s) from now on."""
        with self.store.lock:
            found = self.store.get(PODS, namespace, pod)
            names = [self._container(found, container)] if container else [c["name"] for c in found["spec"]["containers"]]
            usage = self.kubelet.runtime(namespace, pod).usage
            for name in names:
                usage[name] = (int(cpu_m), int(memory_bytes))

    def set_deployment_usage(self, namespace: str, name: str, cpu_m: int, memory_bytes: int) -> None:
        for pod in self.pods_of(namespace, "deployment", name):
            self.set_usage(namespace, pod["metadata"]["name"], cpu_m, memory_bytes)

    def restart(self, namespace: str, pod: str, times: int = 1, container: str | None = None) -> dict:
        """The pod's container(s) restarted `times` more times; returns the pod."""
        def change(obj: dict) -> None:
            for status in (obj.get("status") or {}).get("containerStatuses") or []:
                if container is None or status["name"] == container:
                    status["restartCount"] = status.get("restartCount", 0) + times

        with self.store.lock:
            return self.store.write(PODS, namespace, pod, change, manager="kubelet", subresource="status")
