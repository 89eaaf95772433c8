"""A small simulated kubelet and controller manager. Each `tick()` settles the cluster one
step: deployments get pods from their template (a new template rolls out: new pods first, old
ones removed once the new are ready), pods start — or stay pending, or crash — jobs run and
complete or fail, terminating namespaces empty, and statuses are written back."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from controller.sandbox.kube.defaults import template_hash
from controller.sandbox.kube.resources import RESOURCES, ResourceType
from controller.sandbox.kube.store import Store

NODE = "berth-simulated-node"
MANAGER = "kube-controller-manager"
HASH_LABEL = "pod-template-hash"
FAIL_MARK = "fail"  # an image whose name contains this crashes (deployments) or fails (jobs)
DEFAULT_CPU_M = 5
DEFAULT_MEMORY_BYTES = 64 * 1024 * 1024

_R = {r.plural: r for r in RESOURCES if not r.read_only}
PODS, DEPLOYMENTS, JOBS, NAMESPACES, PDBS, EVENTS = (
    _R["pods"], _R["deployments"], _R["jobs"], _R["namespaces"], _R["poddisruptionbudgets"], _R["events"])


@dataclass
class PodRuntime:
    """What the kubelet knows of a pod beyond the API object: logs, usage, ticks lived."""
    logs: dict[str, list[str]] = field(default_factory=dict)
    usage: dict[str, tuple[int, int]] = field(default_factory=dict)  # container → (cpu m, memory bytes)
    ticks_running: int = 0


def _owned_by(obj: dict, owner: dict) -> bool:
    uid = owner["metadata"]["uid"]
    return any(o.get("uid") == uid for o in obj["metadata"].get("ownerReferences") or [])


def _owner_reference(owner: dict) -> dict:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in (pod.get("status") or {}).get("conditions") or [])


def _condition(kind: str, status: bool, reason: str, message: str, now: str, previous: list | None) -> dict:
    before: dict = next((c for c in previous or [] if c.get("type") == kind), {})  # {}: a new condition
    value = "True" if status else "False"
    changed = not before or before.get("status") != value
    moved = not before or before.get("reason") != reason or changed
    return {"type": kind, "status": value, "reason": reason, "message": message,
            "lastUpdateTime": now if moved else before.get("lastUpdateTime", now),
            "lastTransitionTime": now if changed else before.get("lastTransitionTime", now)}


def _scaled(value, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value or 0)


class Kubelet:
    def __init__(self, store: Store, seconds: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.seconds = seconds
        self.pods: dict[tuple[str, str], PodRuntime] = {}
        # Per deployment: "hold" keeps its new pods pending, "fail" crashes them; absent: they start.
        self.deployment_behaviour: dict[tuple[str, str], str] = {}
        # Per job: "complete" or "fail", asked for through the control API.
        self.job_requests: dict[tuple[str, str], str] = {}
        # What a job does unasked: "complete" (after running one tick; "fail" when its image says so) or "hold".
        self.job_default = "complete"
        self.job_logs: dict[tuple[str, str], list[str]] = {}  # lines a job prints when it finishes
        self._progress: dict[str, float] = {}  # deployment uid → when it last made progress
        self._progress_marker: dict[str, tuple] = {}  # deployment uid → the counts it progressed to
        store.on_removed.append(self._forget)

    def reset(self) -> None:
        self.pods.clear()
        self.deployment_behaviour.clear()
        self.job_requests.clear()
        self.job_logs.clear()
        self.job_default = "complete"
        self._progress.clear()
        self._progress_marker.clear()

    def _forget(self, resource: ResourceType, obj: dict) -> None:
        if resource is PODS:
            self.pods.pop((obj["metadata"]["namespace"], obj["metadata"]["name"]), None)

    def runtime(self, namespace: str, pod: str) -> PodRuntime:
        return self.pods.setdefault((namespace, pod), PodRuntime())

    # One step -------------------------------------------------------------------------

    def tick(self) -> None:
        with self.store.lock:
            for namespace in self.store.select(NAMESPACES)[0]:
                if namespace["metadata"].get("deletionTimestamp"):
                    self.store.finish_namespace(namespace["metadata"]["name"])
            for deployment in self.store.select(DEPLOYMENTS)[0]:
                self._scale(deployment)
            for job in self.store.select(JOBS)[0]:
                self._run_job(job)
            for pod in self.store.select(PODS)[0]:
                self._run_pod(pod)
            for deployment in self.store.select(DEPLOYMENTS)[0]:
                self._roll(deployment)
            for job in self.store.select(JOBS)[0]:
                self._finish_job(job)
            for pdb in self.store.select(PDBS)[0]:
                self._pdb_status(pdb)

    # Deployments ----------------------------------------------------------------------

    def _pods_of(self, owner: dict) -> list[dict]:
        namespace = owner["metadata"]["namespace"]
        return [p for p in self.store.select(PODS, namespace)[0] if _owned_by(p, owner)]

    def _create_pod(self, owner: dict, template: dict, name_prefix: str, labels: dict) -> None:
        spec = template.get("spec") or {}
        metadata = {"generateName": name_prefix, "labels": labels, "ownerReferences": [_owner_reference(owner)]}
        annotations = (template.get("metadata") or {}).get("annotations")
        if annotations:
            metadata["annotations"] = dict(annotations)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
        created = self.store.create(PODS, owner["metadata"]["namespace"], pod, manager=MANAGER)
        self.runtime(owner["metadata"]["namespace"], created["metadata"]["name"])

    def _scale(self, deployment: dict) -> None:
        if deployment["metadata"].get("deletionTimestamp") or deployment["spec"].get("paused"):
            return
        template = deployment["spec"]["template"]
        digest = template_hash(template)
        pods = self._pods_of(deployment)
        new = [p for p in pods if p["metadata"].get("labels", {}).get(HASH_LABEL) == digest]
        wanted = deployment["spec"].get("replicas", 1)
        name = deployment["metadata"]["name"]
        labels = {**((template.get("metadata") or {}).get("labels") or {}), HASH_LABEL: digest}
        for _ in range(wanted - len(new)):
            self._create_pod(deployment, template, f"{name}-{digest}-", labels)
        if len(new) > wanted:
            surplus = sorted(new, key=_ready)[: len(new) - wanted]
            for pod in surplus:
                self.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])

    def _roll(self, deployment: dict) -> None:
        digest = template_hash(deployment["spec"]["template"])
        wanted = deployment["spec"].get("replicas", 1)
        pods = self._pods_of(deployment)
        new = [p for p in pods if p["metadata"].get("labels", {}).get(HASH_LABEL) == digest]
        old = [p for p in pods if p not in new]
        if sum(map(_ready, new)) >= wanted and not deployment["metadata"].get("deletionTimestamp"):
            for pod in old:
                self.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
            old = []
        self._deployment_status(deployment, digest, wanted, new, old)

    def _deployment_status(self, deployment: dict, digest: str, wanted: int, new: list, old: list) -> None:
        now = self.store.clock()
        uid = deployment["metadata"]["uid"]
        previous = (deployment.get("status") or {}).get("conditions")
        available = sum(map(_ready, new + old))
        max_unavailable = _scaled(deployment["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxUnavailable", "25%"), wanted, False)
        rs_name = f'{deployment["metadata"]["name"]}-{digest}'
        complete = len(new) == wanted and sum(map(_ready, new)) == wanted and not old
        before = deployment.get("status") or {}
        progress_marker = (len(new), sum(map(_ready, new)), len(old), deployment["metadata"].get("generation"))
        if uid not in self._progress or self._progress_marker.get(uid) != progress_marker:
            self._progress[uid] = self.seconds()
            self._progress_marker[uid] = progress_marker
        deadline = deployment["spec"].get("progressDeadlineSeconds", 600)
        if complete:
            progressing = _condition("Progressing", True, "NewReplicaSetAvailable",
                                     f'ReplicaSet "{rs_name}" has successfully progressed.', now, previous)
        elif self.seconds() - self._progress[uid] > deadline:
            progressing = _condition("Progressing", False, "ProgressDeadlineExceeded",
                                     f'ReplicaSet "{rs_name}" has timed out progressing.', now, previous)
        else:
            progressing = _condition("Progressing", True, "ReplicaSetUpdated",
                                     f'ReplicaSet "{rs_name}" is progressing.', now, previous)
        if available >= wanted - max_unavailable:
            availability = _condition("Available", True, "MinimumReplicasAvailable",
                                      "Deployment has minimum availability.", now, previous)
        else:
            availability = _condition("Available", False, "MinimumReplicasUnavailable",
                                      "Deployment does not have minimum availability.", now, previous)
        status = {"observedGeneration": deployment["metadata"].get("generation", 1),
                  "replicas": len(new) + len(old), "updatedReplicas": len(new), "readyReplicas": available,
                  "availableReplicas": available,
                  "unavailableReplicas": max(0, len(new) + len(old) - available),
                  "conditions": [availability, progressing]}
        status = {k: v for k, v in status.items() if v or k in ("observedGeneration", "conditions", "replicas")}
        if status != before:
            self.store.write(DEPLOYMENTS, deployment["metadata"]["namespace"], deployment["metadata"]["name"],
                             lambda d: d.__setitem__("status", status), manager=MANAGER, subresource="status")

    # Pods -----------------------------------------------------------------------------

    def _behaviour(self, pod: dict) -> str:
        images = [c.get("image", "") for c in pod["spec"].get("containers", [])]
        owner = next((o for o in pod["metadata"].get("ownerReferences") or [] if o.get("kind") == "Deployment"), None)
        if owner:
            deployment = self.store.find(DEPLOYMENTS, pod["metadata"]["namespace"], owner["name"])
            current = deployment and template_hash(deployment["spec"]["template"]) == pod["metadata"]["labels"].get(HASH_LABEL)
            chosen = self.deployment_behaviour.get((pod["metadata"]["namespace"], owner["name"]))
            if current and chosen:
                return chosen
            if any(FAIL_MARK in image for image in images):
                return "fail"
        return "run"

    def _run_pod(self, pod: dict) -> None:
        status = pod.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed") or pod["metadata"].get("deletionTimestamp"):
            return
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        runtime = self.runtime(namespace, name)
        behaviour = self._behaviour(pod)
        now = self.store.clock()
        containers = pod["spec"].get("containers", [])
        previous = {c["name"]: c for c in status.get("containerStatuses") or []}
        statuses = []
        for container in containers:
            before = previous.get(container["name"], {})
            restarts = before.get("restartCount", 0)
            entry = {"name": container["name"], "image": container.get("image", ""),
                     "imageID": f'simulated://{container.get("image", "")}', "restartCount": restarts,
                     "started": False, "ready": False}
            if behaviour == "hold":
                entry["state"] = {"waiting": {"reason": "ContainerCreating"}}
            elif behaviour == "fail":
                entry["restartCount"] = restarts + 1
                entry["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                              "message": f'back-off restarting failed container {container["name"]}'}}
                entry["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}}
                runtime.logs.setdefault(container["name"], []).append(
                    f'simulated: container {container["name"]} ({container.get("image")}) exited with code 1')
            else:
                running = before.get("state", {}).get("running")
                entry.update(started=True, ready=True, containerID=f'simulated://{name}/{container["name"]}',
                             state={"running": {"startedAt": running["startedAt"] if running else now}})
                if not running:
                    runtime.logs.setdefault(container["name"], []).append(
                        f'simulated: container {container["name"]} started from image {container.get("image")}')
                runtime.usage.setdefault(container["name"], (DEFAULT_CPU_M, DEFAULT_MEMORY_BYTES))
            statuses.append(entry)
        ready = behaviour == "run"
        if ready:
            runtime.ticks_running += 1
        conditions = [_pod_condition("PodScheduled", True, now, status),
                      _pod_condition("Initialized", True, now, status),
                      _pod_condition("ContainersReady", ready, now, status),
                      _pod_condition("Ready", ready, now, status)]
        new_status = {"phase": "Pending" if behaviour == "hold" else "Running", "conditions": conditions,
                      "hostIP": "10.0.0.1", "podIP": status.get("podIP") or _pod_ip(pod), "qosClass": "BestEffort",
                      "startTime": status.get("startTime") or now, "containerStatuses": statuses}
        self._write_pod(pod, new_status, node=True)

    def _write_pod(self, pod: dict, status: dict, node: bool = False) -> None:
        def change(p: dict) -> None:
            p["status"] = status
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        if node and not pod["spec"].get("nodeName"):
            self.store.write(PODS, namespace, name, lambda p: p["spec"].__setitem__("nodeName", NODE), manager=MANAGER)
        self.store.write(PODS, namespace, name, change, manager=MANAGER, subresource="status")

    # Jobs -----------------------------------------------------------------------------

    def _run_job(self, job: dict) -> None:
        if _finished(job) or job["metadata"].get("deletionTimestamp") or job["spec"].get("suspend"):
            return
        if not any((p.get("status") or {}).get("phase") not in ("Succeeded", "Failed") for p in self._pods_of(job)):
            template = job["spec"]["template"]
            self._create_pod(job, template, f'{job["metadata"]["name"]}-', dict((template.get("metadata") or {}).get("labels") or {}))

    def _finish_job(self, job: dict) -> None:
        if _finished(job) or job["metadata"].get("deletionTimestamp") or job["spec"].get("suspend"):
            return
        namespace, name = job["metadata"]["namespace"], job["metadata"]["name"]
        now = self.store.clock()
        pods = [p for p in self._pods_of(job) if (p.get("status") or {}).get("phase") == "Running"]
        status = dict(job.get("status") or {})
        status.setdefault("startTime", now)
        status["active"] = len(pods)
        status["ready"] = sum(map(_ready, pods))
        status["terminating"] = 0
        outcome = self.job_requests.get((namespace, name))
        if outcome is None and pods and self.job_default == "complete":
            runtime = self.runtime(namespace, pods[0]["metadata"]["name"])
            if runtime.ticks_running > 1:
                images = [c.get("image", "") for c in job["spec"]["template"]["spec"].get("containers", [])]
                outcome = "fail" if any(FAIL_MARK in i for i in images) else "complete"
        if outcome and pods:
            lines = self.job_logs.pop((namespace, name), [])
            for pod in pods:
                self._terminate_pod(pod, succeeded=outcome == "complete", lines=lines)
            status["active"] = status["ready"] = 0
            if outcome == "complete":
                status["succeeded"] = 1
                status["completionTime"] = now
                status["conditions"] = [
                    _job_condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now),
                    _job_condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods", now)]
            else:
                status["failed"] = 1
                status["conditions"] = [
                    _job_condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now),
                    _job_condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now)]
        if status != job.get("status"):
            self.store.write(JOBS, namespace, name, lambda j: j.__setitem__("status", status),
                             manager=MANAGER, subresource="status")

    def _terminate_pod(self, pod: dict, succeeded: bool, lines: list[str]) -> None:
        now = self.store.clock()
        runtime = self.runtime(pod["metadata"]["namespace"], pod["metadata"]["name"])
        status = dict(pod.get("status") or {})
        code = 0 if succeeded else 1
        status["phase"] = "Succeeded" if succeeded else "Failed"
        status["containerStatuses"] = [
            {**c, "ready": False, "started": False,
             "state": {"terminated": {"exitCode": code, "reason": "Completed" if succeeded else "Error",
                                      "startedAt": (c.get("state", {}).get("running") or {}).get("startedAt", now),
                                      "finishedAt": now}}}
            for c in status.get("containerStatuses") or []]
        status["conditions"] = [
            {**c, "status": "False", "reason": "PodCompleted"} if c["type"] in ("Ready", "ContainersReady") else c
            for c in status.get("conditions") or []]
        if lines and status["containerStatuses"]:
            runtime.logs.setdefault(status["containerStatuses"][0]["name"], []).extend(lines)
        for container in status["containerStatuses"]:
            runtime.logs.setdefault(container["name"], []).append(
                f'simulated: container {container["name"]} exited with code {code}')
        runtime.usage.clear()
        self._write_pod(pod, status)

    # Disruption budgets ---------------------------------------------------------------

    def _pdb_status(self, pdb: dict) -> None:
        from controller.sandbox.kube.selectors import matches_selector

        namespace = pdb["metadata"]["namespace"]
        spec = pdb.get("spec") or {}
        selected = [p for p in self.store.select(PODS, namespace)[0]
                    if matches_selector(spec.get("selector"), p["metadata"].get("labels") or {})
                    and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        expected, healthy = len(selected), sum(map(_ready, selected))
        if "minAvailable" in spec:
            desired = _scaled(spec["minAvailable"], expected, True)
        else:
            desired = expected - _scaled(spec.get("maxUnavailable", 0), expected, True)
        allowed = max(0, healthy - desired)
        now = self.store.clock()
        previous = (pdb.get("status") or {}).get("conditions")
        condition = _condition("DisruptionAllowed", allowed > 0, "SufficientPods" if allowed else "InsufficientPods",
                               "", now, previous)
        condition.pop("lastUpdateTime")
        condition["observedGeneration"] = pdb["metadata"].get("generation", 1)
        status = {"observedGeneration": pdb["metadata"].get("generation", 1), "currentHealthy": healthy,
                  "desiredHealthy": desired, "expectedPods": expected, "disruptionsAllowed": allowed,
                  "conditions": [condition]}
        if status != pdb.get("status"):
            self.store.write(PDBS, namespace, pdb["metadata"]["name"], lambda p: p.__setitem__("status", status),
                             manager=MANAGER, subresource="status")


def _finished(job: dict) -> bool:
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


def _job_condition(kind: str, reason: str, message: str, now: str) -> dict:
    return {"type": kind, "status": "True", "reason": reason, "message": message,
            "lastProbeTime": now, "lastTransitionTime": now}


def _pod_condition(kind: str, value: bool, now: str, status: dict) -> dict:
    before = next((c for c in status.get("conditions") or [] if c.get("type") == kind), None)
    text = "True" if value else "False"
    since = before["lastTransitionTime"] if before and before.get("status") == text else now
    return {"type": kind, "status": text, "lastProbeTime": None, "lastTransitionTime": since}


def _pod_ip(pod: dict) -> str:
    digest = int(pod["metadata"]["uid"].replace("-", "")[:6], 16)
    return f"10.244.{digest // 256 % 256}.{digest % 254 + 1}"
