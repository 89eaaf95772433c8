"""`KubePipelineReconciler`: a full deploy's stage machine, build → release → deploy.

kind `kube-pipeline`, key: the pipeline's UUID. The API (POST …/deploy, a GitHub push)
writes the pipeline row with its pending image and queues both `kube-build` and this
kind; `kube-build` and `kube-application` do the work and queue the pipeline again when
the image or the deployment finishes. Each pass reads the pipeline and where its
image and deployment stand, and takes the one next step `next_step` (pure) names:
- no image yet → one is made and queued (a pipeline written without one);
- the image pending → the build stage is running; wait;
- the image failed → build failed, release and deploy skipped, finished;
- the image built → build succeeded, a release of it (configuration and process
  settings as they are now) and a deployment of the release: release succeeded,
  deploy running;
- the deployment complete → deploy succeeded, finished; failed → deploy failed with
  its reason (the previous release keeps serving; kube-application sees to it).
"""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from reconcilers.kube.ports import KubeContext, KubePipeline, StageProgress, StageStatus
from reconcilers.results import Done, Forget, RequeueAfter, Result

KIND = "kube-pipeline"
# The image and deployment queue the pipeline when they finish; this only backs that up.
FALLBACK_POLL_SECONDS = 30.0
MAX_STEPS = 5

IMAGE_GONE = "the pipeline's image was deleted"
DEPLOYMENT_GONE = "the pipeline's deployment was deleted"
BUILD_FAILED = "build failed: {reason}"
DEPLOY_FAILED = "deploy failed: {reason}"


@dataclass(frozen=True, slots=True)
class StartBuild:
    pass


@dataclass(frozen=True, slots=True)
class MarkBuildRunning:
    pass


@dataclass(frozen=True, slots=True)
class Release:
    pass


@dataclass(frozen=True, slots=True)
class Finish:
    stage: Literal["build", "release", "deploy"]
    succeeded: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Wait:
    stage: str


@dataclass(frozen=True, slots=True)
class Finished:
    pass


Step = StartBuild | MarkBuildRunning | Release | Finish | Wait | Finished


def next_step(pipeline: KubePipeline, progress: StageProgress) -> Step:
    if pipeline.finished:
        return Finished()
    if pipeline.deployment_id is not None:
        if progress.deployment == "complete":
            return Finish("deploy", True)
        if progress.deployment == "error":
            return Finish("deploy", False, DEPLOY_FAILED.format(reason=progress.deployment_error or "unknown"))
        if progress.deployment is None:
            return Finish("deploy", False, DEPLOYMENT_GONE)
        return Wait("deploy")
    if pipeline.image_id is None:
        if pipeline.build_status == "pending":
            return StartBuild()
        return Finish("build", False, IMAGE_GONE)
    if progress.image is None:
        return Finish("build", False, IMAGE_GONE)
    if progress.image == "error":
        return Finish("build", False, BUILD_FAILED.format(reason=progress.image_error or "unknown"))
    if progress.image == "built":
        return Release()
    if pipeline.build_status == "pending":
        return MarkBuildRunning()
    return Wait("build")


class KubePipelineReconciler:
    kind = KIND

    async def reconcile(self, ctx: KubeContext) -> Result:
        for _ in range(MAX_STEPS):
            pipeline = await ctx.store.kube_pipeline(UUID(ctx.key))
            if pipeline is None:
                return Forget()
            ctx.bind(application_id=str(pipeline.application_id))
            step = next_step(pipeline, await ctx.store.stage_progress(pipeline))
            if isinstance(step, Finished):
                return Forget()
            if isinstance(step, Wait):
                return RequeueAfter(FALLBACK_POLL_SECONDS, f"waiting for the {step.stage} stage")
            await self._take(ctx, pipeline, step)
        return RequeueAfter(0.1, "more steps to take")

    async def _take(self, ctx: KubeContext, pipeline: KubePipeline, step: Step) -> None:
        store = ctx.store
        if isinstance(step, StartBuild):
            await store.start_pipeline_build(pipeline)
        elif isinstance(step, MarkBuildRunning):
            await store.set_pipeline_stage(pipeline, "build", "running")
        elif isinstance(step, Release):
            await store.create_pipeline_release(pipeline)
        elif isinstance(step, Finish):
            status: StageStatus = "succeeded" if step.succeeded else "failed"
            await store.set_pipeline_stage(pipeline, step.stage, status, error_detail=step.reason)
            reason = "PipelineSucceeded" if step.succeeded else "PipelineFailed"
            message = f"pipeline {pipeline.id}: {step.stage} {status}" + (f" ({step.reason})" if step.reason else "")
            await store.record_kube_event(pipeline.application_id, reason=reason, message=message, warning=not step.succeeded)
        ctx.log("kube-pipeline.step", step=type(step).__name__)
