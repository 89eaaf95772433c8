"""`KubeApplicationReconciler`: one v1 application's workload on Kubernetes.

kind `kube-application`, key: the application's UUID. Each pass re-reads the
application (live process counts, pod classes, health check) and its deployments; the
release to run is the newest deployment's, unless that one failed — then the newest
complete one keeps serving. It renders the objects, observes the cluster, plans
(apply / delete / refuse), server-side applies as field manager `berth` with force
(berth's desired state wins for the fields berth sets; fields it does not set, and
objects without its labels, are never touched), reads the Deployments back and follows
the newest deployment: complete once every process is available at its release,
failed with Kubernetes' reason once `deployment_timeout` passes (the next pass then
re-applies the release that served before). A deleted application is torn down.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from reconcilers.kube.api import KubeApi, KubeApiError
from reconcilers.kube.config import KubeConfig
from reconcilers.kube.naming import (
    MANAGED_BY,
    MANAGED_BY_KEY,
    application_selector,
    namespace_name,
    release_label,
    service_name,
)
from reconcilers.kube.observe import OWNED_KINDS, observe_application
from reconcilers.kube.plan import Apply, Delete, ObjectRef, Refuse, owner_of, plan_objects
from reconcilers.kube.ports import KubeApplication, KubeContext, KubeRollout
from reconcilers.kube.render import render_application
from reconcilers.kube.rollout import (
    ProcessStatus,
    all_available,
    failure_reason,
    process_status,
    progress,
    serving,
    timed_out,
)
from reconcilers.ports import StatusUpdate
from reconcilers.results import Done, Forget, PermanentError, RequeueAfter, Result
from schemas.status import Condition, ConditionType, set_condition

KIND = "kube-application"
METRICS_KIND = "kube-metrics"
FAILED_NEXT_PASS_SECONDS = 0.5

APPLIED = {"create": "ObjectCreated", "update": "ObjectUpdated", "drift": "DriftCorrected"}
APPLIED_MESSAGE = {
    "create": "created {ref}",
    "update": "applied {ref}",
    "drift": "{ref} was changed outside berth; applied again",
}
DELETED = "deleted {ref}: no longer wanted"
REFUSED = "{ref} exists but belongs to {owner}; berth leaves it alone (rename or remove it)"
ROLLOUT_STARTED = "{time} applying release {release} (deployment {id})\n"
ROLLOUT_COMPLETE = "{time} every process available at release {release}: {progress}\n"
ROLLOUT_FAILED = "{time} {reason}; release {previous} keeps serving\n"
NOTHING_DEPLOYED = "no release deployed yet"
AVAILABLE = "release {release} available: {progress}"
ROLLING_OUT = "deploying release {release}: {progress}"
FAILED_KEEPS_SERVING = "deployment of release {failed} failed ({reason}); release {release} serving: {progress}"
INVALID = "{problems}"
NAMESPACE_REFUSED = "namespace {namespace} exists and is not berth's; nothing can be applied"
TORN_DOWN = "torn down: {count} objects deleted in {namespace}"
API_REFUSED = "the API server refused {ref}: {message}"


def utc_now() -> datetime:
    return datetime.now(UTC)


class KubeApplicationReconciler:
    kind = KIND

    def __init__(self, api: KubeApi, config: KubeConfig, clock: Callable[[], datetime] = utc_now):
        self._api = api
        self._config = config
        self._clock = clock

    async def reconcile(self, ctx: KubeContext) -> Result:
        app = await ctx.store.kube_application(UUID(ctx.key))
        if app is None:
            return Forget()
        ctx.bind(organisation=app.organisation, project=app.project, application=app.slug, generation=app.generation)
        if app.deleting:
            return await self._tear_down(ctx, app)
        targets = await ctx.store.rollout_targets(app.id)
        target, run = targets.target, serving(targets)
        now = self._clock()
        if target is not None and target.pending and target.started_at is None:
            log = ROLLOUT_STARTED.format(time=now.isoformat(), release=release_label(target.release.version), id=target.id)
            await ctx.store.start_rollout(target.id, log)
        rendering = render_application(app, run.release if run else None, self._config.render)
        observation = await observe_application(self._api, app, rendering.objects)
        actions = plan_objects(rendering.objects, observation.objects, observation.owned, str(app.id))
        refused = [a for a in actions if isinstance(a, Refuse)]
        if any(a.ref.kind == "Namespace" for a in refused):
            message = NAMESPACE_REFUSED.format(namespace=namespace_name(app))
            await self._event(ctx, app, "NameOwnedElsewhere", message, warning=True)
            raise PermanentError("NameOwnedElsewhere", message)
        done = await self._apply(ctx, app, actions)
        if done and run is not None:
            # Something runs now: its metrics are sampled from here on (idempotent).
            await ctx.store.ensure_queued(METRICS_KIND, str(app.id))
        statuses = await self._read_back(app)
        problems = [*rendering.problems, *(REFUSED.format(ref=a.ref, owner=a.owner) for a in refused)]
        for problem in problems[len(rendering.problems):]:
            await self._event(ctx, app, "NameOwnedElsewhere", problem, warning=True)

        result: Result = Done()
        rollout_failed: str | None = None
        if target is not None and target.pending:
            release = release_label(target.release.version)
            if all_available(statuses, rendering.processes, release) and not refused:
                log = ROLLOUT_COMPLETE.format(time=now.isoformat(), release=release, progress=progress(statuses))
                await ctx.store.finish_rollout(target.id, error_detail=None, log=log)
                await self._event(ctx, app, "DeploymentComplete", log.split(" ", 1)[1].strip())
                target = _finished(target, complete=True)
            elif timed_out(target, now, app.deployment_timeout):
                pods = await self._api.list("Pod", namespace_name(app), application_selector(app))
                rollout_failed = failure_reason(statuses, pods, release, app.deployment_timeout)
                previous = targets.serving.release.version if targets.serving else None
                log = ROLLOUT_FAILED.format(
                    time=now.isoformat(), reason=rollout_failed, previous=release_label(previous) if previous else "none"
                )
                await ctx.store.finish_rollout(target.id, error_detail=rollout_failed, log=log)
                await self._event(ctx, app, "DeploymentFailed", rollout_failed, warning=True)
                target = _finished(target, complete=False, detail=rollout_failed)
                # The next pass applies the release that served before.
                result = RequeueAfter(FAILED_NEXT_PASS_SECONDS, "re-applying the previous release")
            else:
                result = RequeueAfter(self._config.rollout_poll_seconds, "rollout in progress")
        await self._write_status(ctx, app, target, run, statuses, rendering.processes, problems, done)
        if isinstance(result, Done) and run is not None and not all_available(
            statuses, rendering.processes, release_label(run.release.version)
        ):
            # Serving but not all available (a failed release kept, pods restarting): look again soon.
            result = RequeueAfter(self._config.rollout_poll_seconds, "processes not all available")
        return result

    async def _apply(self, ctx: KubeContext, app: KubeApplication, actions: Sequence[Any]) -> list[str]:
        done: list[str] = []
        for action in actions:
            if isinstance(action, Apply):
                try:
                    await self._api.apply(action.manifest)
                except KubeApiError as error:
                    if error.status in (400, 409, 422):
                        message = API_REFUSED.format(ref=action.ref, message=error.message or error.reason)
                        raise PermanentError("Invalid", message) from error
                    raise
                done.append(f"{action.why} {action.ref}")
                if action.ref.kind != "Namespace" or action.why != "update":
                    message = APPLIED_MESSAGE[action.why].format(ref=action.ref)
                    await self._event(ctx, app, APPLIED[action.why], message, warning=action.why == "drift")
            elif isinstance(action, Delete):
                await self._api.delete(action.ref.kind, action.ref.namespace, action.ref.name)
                done.append(f"delete {action.ref}")
                await self._event(ctx, app, "ObjectDeleted", DELETED.format(ref=action.ref))
        if done:
            ctx.log("kube-application.applied", actions=done)
        return done

    async def _read_back(self, app: KubeApplication) -> list[ProcessStatus]:
        deployments = await self._api.list("Deployment", namespace_name(app), application_selector(app))
        return [process_status(d) for d in deployments]

    async def _write_status(
        self,
        ctx: KubeContext,
        app: KubeApplication,
        target: KubeRollout | None,
        run: KubeRollout | None,
        statuses: Sequence[ProcessStatus],
        processes: Mapping[str, int],
        problems: Sequence[str],
        done: Sequence[str],
    ) -> None:
        now = self._clock()
        wanted = [s for s in statuses if s.process in processes]
        if run is None:
            verdict = {
                ConditionType.READY: (False, "NothingDeployed", NOTHING_DEPLOYED),
                ConditionType.PROGRESSING: (False, "NothingDeployed", NOTHING_DEPLOYED),
            }
        else:
            release = release_label(run.release.version)
            available = all_available(statuses, processes, release)
            counts = progress(wanted)
            if target is not None and target.error and target.id != run.id:
                message = FAILED_KEEPS_SERVING.format(
                    failed=release_label(target.release.version), reason=target.error_detail or "", release=release, progress=counts
                )
                verdict = {
                    ConditionType.READY: (available, "PreviousReleaseServing", message),
                    ConditionType.PROGRESSING: (not available, "RollingBack" if not available else "DeploymentFailed", message),
                    ConditionType.DEGRADED: (True, "DeploymentFailed", message),
                }
            elif available:
                message = AVAILABLE.format(release=release, progress=counts)
                verdict = {
                    ConditionType.READY: (True, "Available", message),
                    ConditionType.PROGRESSING: (False, "Available", message),
                }
            else:
                message = ROLLING_OUT.format(release=release, progress=counts)
                failed_and_alone = target is not None and target.error
                verdict = {
                    ConditionType.READY: (False, "DeploymentFailed" if failed_and_alone else "RollingOut", message),
                    ConditionType.PROGRESSING: (not failed_and_alone, "RollingOut", message),
                }
        if ConditionType.DEGRADED not in verdict:
            degraded = bool(problems) or (target is not None and target.error)
            reason = "InvalidProcesses" if problems else ("DeploymentFailed" if degraded else "AsDesired")
            verdict[ConditionType.DEGRADED] = (degraded, reason, "; ".join(problems) or (target.error_detail or "" if target else ""))
        previous = await ctx.store.status(ctx.kind, ctx.key)
        conditions = list(previous.conditions) if previous else []
        for kind, (status, reason, message) in verdict.items():
            conditions = set_condition(
                conditions, Condition(type=kind, status=status, reason=reason, message=message, last_transition_time=now)
            )
        outputs = {
            "namespace": namespace_name(app),
            "service": service_name(app) if "web" in processes else None,
            "servingRelease": run.release.version if run else None,
            "servingDeploymentId": str(run.id) if run else None,
            "targetDeploymentId": str(target.id) if target else None,
            "processes": {s.process: s.to_output() for s in wanted},
            "problems": list(problems),
            "lastActions": list(done),
        }
        await ctx.store.write_status(StatusUpdate(observed_generation=app.generation, conditions=conditions, outputs=outputs))

    async def _tear_down(self, ctx: KubeContext, app: KubeApplication) -> Result:
        namespace = namespace_name(app)
        deleted = 0
        for kind in (*OWNED_KINDS, "Job"):
            for item in await self._api.list(kind, namespace, application_selector(app)):
                if owner_of({"kind": kind, **item}, str(app.id)) is None:
                    deleted += await self._api.delete(kind, namespace, item["metadata"]["name"])
        remaining = 0
        for kind in (*OWNED_KINDS, "Job"):
            remaining += len(await self._api.list(kind, namespace, f"{MANAGED_BY_KEY}={MANAGED_BY}"))
        live = await self._api.get("Namespace", None, namespace)
        if remaining == 0 and live is not None and owner_of(live, str(app.id)) is None:
            # The project's last berth application: the namespace goes too.
            await self._api.delete("Namespace", None, namespace)
            deleted += 1
        await self._event(ctx, app, "TornDown", TORN_DOWN.format(count=deleted, namespace=namespace))
        await ctx.store.forget_kube_application(app.id)
        return Forget()

    async def _event(self, ctx: KubeContext, app: KubeApplication, reason: str, message: str, *, warning: bool = False) -> None:
        await ctx.store.record_kube_event(app.id, reason=reason, message=message, warning=warning)


def _finished(rollout: KubeRollout, *, complete: bool, detail: str | None = None) -> KubeRollout:
    return KubeRollout(
        id=rollout.id,
        release=rollout.release,
        created_at=rollout.created_at,
        started_at=rollout.started_at,
        complete=complete,
        error=not complete,
        error_detail=detail,
    )


__all__ = ["KIND", "KubeApplicationReconciler", "ObjectRef"]
