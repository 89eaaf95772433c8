"""`KubeBuildReconciler`: one image built by a Kubernetes Job.

kind `kube-build`, key: the image's UUID. A pending image gets its namespace, a Secret
with the buildtime configuration and the build Job (server-side applied like the
workload, labelled with the application and the image); each pass then reads the Job
back until it completes or fails. Either way the pod's log is kept on the image row
(`build_log`, what GET …/images/{id}/log serves); a completed build records the pushed
image reference, a failed one why. An image that is built or failed needs nothing more.
"""

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from reconcilers.kube.api import KubeApi, KubeApiError
from reconcilers.kube.application import utc_now
from reconcilers.kube.build_job import (
    NO_REPOSITORY,
    image_tag,
    job_outcome,
    pushed_reference,
    render_build_job,
    render_build_secret,
)
from reconcilers.kube.config import KubeConfig
from reconcilers.kube.naming import IMAGE_ID_KEY, build_job_name, namespace_name
from reconcilers.kube.plan import ObjectRef, owner_of
from reconcilers.kube.ports import KubeBuild, KubeContext
from reconcilers.kube.render import render_namespace
from reconcilers.results import Done, Forget, RequeueAfter, Result

KIND = "kube-build"
LOG_LIMIT_BYTES = 1_000_000

JOB_REFUSED = "{ref} exists and is not this build's; berth leaves it alone"
JOB_VANISHED = "the build Job {name} disappeared before it finished"
BUILT = "image v{version} built: {reference}"
BUILD_FAILED = "image v{version} failed to build: {reason}"
BUILD_STARTED = "building image v{version} with Job {name}"
API_REFUSED = "the API server refused the build Job: {message}"


class KubeBuildReconciler:
    kind = KIND

    def __init__(self, api: KubeApi, config: KubeConfig, clock: Callable[[], datetime] = utc_now):
        self._api = api
        self._config = config
        self._clock = clock

    async def reconcile(self, ctx: KubeContext) -> Result:
        build = await ctx.store.kube_build(UUID(ctx.key))
        if build is None:
            return Forget()
        app = build.application
        ctx.bind(organisation=app.organisation, project=app.project, application=app.slug, image_version=build.version)
        if not build.pending:
            return Done()
        if not app.github_repository:
            await self._finish(ctx, build, None, NO_REPOSITORY, "")
            return Done()
        namespace, name = namespace_name(app), build_job_name(app, build.version)
        job = await self._api.get("Job", namespace, name)
        if job is None:
            if build.job_id is not None:
                await self._finish(ctx, build, None, JOB_VANISHED.format(name=name), "")
                return Done()
            return await self._start(ctx, build)
        if owner_of({"kind": "Job", **job}, str(app.id)) is not None or (
            (job["metadata"].get("labels") or {}).get(IMAGE_ID_KEY) != str(build.id)
        ):
            reason = JOB_REFUSED.format(ref=ObjectRef("Job", namespace, name))
            await self._finish(ctx, build, None, reason, "")
            return Done()
        outcome, why = job_outcome(job)
        if outcome == "running":
            return RequeueAfter(self._config.build_poll_seconds, "build running")
        pods = await self._api.list("Pod", namespace, f"{IMAGE_ID_KEY}={build.id}")
        pod = max(pods, key=lambda p: p["metadata"].get("creationTimestamp") or "", default=None)
        log = ""
        if pod is not None:
            log = await self._api.pod_log(namespace, pod["metadata"]["name"], limit_bytes=LOG_LIMIT_BYTES)
        if outcome == "complete":
            tag = image_tag(build, self._config.registry)
            await self._finish(ctx, build, pushed_reference(pod, tag), None, log)
        else:
            tail = [line for line in log.strip().splitlines() if line.strip()][-3:]
            reason = why + (f"; the log ends: {' | '.join(tail)}" if tail else "")
            await self._finish(ctx, build, None, reason, log)
        await self._api.delete("Secret", namespace, f"{name}-args")
        return Done()

    async def _start(self, ctx: KubeContext, build: KubeBuild) -> Result:
        app = build.application
        job = render_build_job(build, self._config.build_image, self._config.registry, self._config.registry_secret)
        try:
            await self._api.apply(render_namespace(app))
            await self._api.apply(render_build_secret(build))
            await self._api.apply(job)
        except KubeApiError as error:
            if error.status in (400, 422):
                await self._finish(ctx, build, None, API_REFUSED.format(message=error.message or error.reason), "")
                return Done()
            raise
        name = job["metadata"]["name"]
        await ctx.store.start_build(build.id, name)
        await ctx.store.record_kube_event(
            app.id, reason="BuildStarted", message=BUILD_STARTED.format(version=build.version, name=name)
        )
        return RequeueAfter(self._config.build_poll_seconds, "build started")

    async def _finish(
        self, ctx: KubeContext, build: KubeBuild, reference: str | None, error: str | None, log: str
    ) -> None:
        await ctx.store.finish_build(build.id, image_reference=reference, error_detail=error, log=log)
        if reference is not None:
            message, reason, warning = BUILT.format(version=build.version, reference=reference), "BuildSucceeded", False
        else:
            message, reason, warning = BUILD_FAILED.format(version=build.version, reason=error), "BuildFailed", True
        await ctx.store.record_kube_event(build.application.id, reason=reason, message=message, warning=warning)
        ctx.log("kube-build.finished", built=reference is not None)
