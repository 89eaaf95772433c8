"""How a release's rollout stands, from the Deployments and pods read back. Pure.

A process is available at a release when its Deployment's controller has seen the
current spec (`status.observedGeneration >= metadata.generation`), its pod template
runs that release, updated, ready and available replicas all reach `replicas`, and no
pod of an older revision is left (`status.replicas <= updatedReplicas`) — the rule
`kubectl rollout status` follows: availableReplicas alone counts the old pods too.
When a rollout runs out of time, the reason comes from what Kubernetes says: the
Deployment's ReplicaFailure or ProgressDeadlineExceeded conditions, and the waiting or
terminated states of the release's containers (CrashLoopBackOff, ErrImagePull, …).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconcilers.kube.naming import PROCESS_KEY, RELEASE_KEY
from reconcilers.kube.ports import KubeRollout, RolloutTargets

TIMED_OUT = "not every process was available within {timeout}s: {progress}"
PROGRESS = "{process} {available}/{replicas} available"
NO_PROCESS = "no process"

# Container states that say why pods do not come up, in the order worth reporting.
WAITING_REASONS = (
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "CrashLoopBackOff",
)


@dataclass(frozen=True, slots=True)
class ProcessStatus:
    process: str
    replicas: int
    ready: int
    available: int
    updated: int
    release: str | None
    current: bool  # the Deployment controller saw the latest spec
    total: int = 0  # pods of every revision (status.replicas): old ones linger mid-rollout
    conditions: tuple[Mapping[str, Any], ...] = ()

    def available_at(self, release: str) -> bool:
        return (
            self.current
            and self.release == release
            and self.updated >= self.replicas
            and self.total <= self.updated  # no pod of an older revision left
            and self.ready >= self.replicas
            and self.available >= self.replicas
        )

    def to_output(self) -> dict[str, Any]:
        return {
            "replicas": self.replicas,
            "readyReplicas": self.ready,
            "availableReplicas": self.available,
            "updatedReplicas": self.updated,
            "release": self.release,
            "conditions": [
                {k: c.get(k) for k in ("type", "status", "reason", "message") if c.get(k) is not None}
                for c in self.conditions
            ],
        }


def process_status(deployment: Mapping[str, Any]) -> ProcessStatus:
    metadata, spec = deployment.get("metadata", {}), deployment.get("spec", {})
    status = deployment.get("status") or {}
    template_labels = spec.get("template", {}).get("metadata", {}).get("labels") or {}
    return ProcessStatus(
        process=(metadata.get("labels") or {}).get(PROCESS_KEY, metadata.get("name", "")),
        replicas=int(spec.get("replicas", 1)),
        ready=int(status.get("readyReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0),
        release=template_labels.get(RELEASE_KEY),
        current=int(status.get("observedGeneration") or 0) >= int(metadata.get("generation") or 0),
        total=int(status.get("replicas") or 0),
        conditions=tuple(status.get("conditions") or ()),
    )


def all_available(statuses: Iterable[ProcessStatus], processes: Iterable[str], release: str) -> bool:
    by_name = {s.process: s for s in statuses}
    return all(name in by_name and by_name[name].available_at(release) for name in processes)


def progress(statuses: Sequence[ProcessStatus]) -> str:
    parts = [
        PROGRESS.format(process=s.process, available=s.available, replicas=s.replicas)
        for s in sorted(statuses, key=lambda s: s.process)
    ]
    return ", ".join(parts) or NO_PROCESS


def serving(targets: RolloutTargets) -> KubeRollout | None:
    """The deployment whose release should run now: the newest, unless it failed — then
    the newest complete one keeps serving (the failed one, if nothing ever completed)."""
    target = targets.target
    if target is not None and target.error and targets.serving is not None:
        return targets.serving
    return target


def timed_out(rollout: KubeRollout, now: datetime, timeout: int) -> bool:
    began = rollout.started_at or rollout.created_at
    return (now - began).total_seconds() > timeout


def _container_reasons(pods: Iterable[Mapping[str, Any]], release: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for pod in pods:
        if (pod.get("metadata", {}).get("labels") or {}).get(RELEASE_KEY) != release:
            continue
        name = pod.get("metadata", {}).get("name", "")
        for container in (pod.get("status") or {}).get("containerStatuses") or ():
            state = container.get("state") or {}
            waiting = state.get("waiting") or {}
            reason = waiting.get("reason")
            if reason in WAITING_REASONS:
                message = waiting.get("message") or ""
                rank = WAITING_REASONS.index(reason)
                found.append((rank, f"pod {name}: {reason}{': ' + message if message else ''}"))
            terminated = state.get("terminated") or (container.get("lastState") or {}).get("terminated")
            if terminated and terminated.get("exitCode"):
                found.append(
                    (len(WAITING_REASONS), f"pod {name}: {terminated.get('reason') or 'Error'} (exit code {terminated['exitCode']})")
                )
        for condition in (pod.get("status") or {}).get("conditions") or ():
            if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
                found.append((len(WAITING_REASONS) + 1, f"pod {name}: {condition.get('reason')}: {condition.get('message', '')}"))
    return [text for _, text in sorted(found)]


def failure_reason(
    statuses: Sequence[ProcessStatus], pods: Iterable[Mapping[str, Any]], release: str, timeout: int
) -> str:
    """Why a release did not become available: the first few things Kubernetes said."""
    reasons: list[str] = []
    for status in statuses:
        for condition in status.conditions:
            kind, state, reason = condition.get("type"), condition.get("status"), condition.get("reason")
            if (kind == "ReplicaFailure" and state == "True") or reason == "ProgressDeadlineExceeded":
                reasons.append(f"{status.process}: {reason}: {condition.get('message', '')}".rstrip(": "))
    reasons.extend(_container_reasons(pods, release))
    head = TIMED_OUT.format(timeout=timeout, progress=progress(statuses))
    unique = list(dict.fromkeys(reasons))[:3]
    return f"{head}; {'; '.join(unique)}" if unique else head
