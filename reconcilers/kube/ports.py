"""What the kube reconcilers read and write in PostgreSQL, as Protocols.

The controller implements them (controller/store/kube_observed.py) on the same fenced
store as `reconcilers.ports.StateStore`: every write first checks that the pass still
holds its key's lease. Secret configuration values arrive here already opened (the
store decrypts them) and only ever go into a Kubernetes Secret: the records keep them
out of their `repr`, so they never reach a log line.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from reconcilers.ports import ReconcileContext, StateStore, W

StageStatus = Literal["pending", "running", "succeeded", "failed", "skipped"]
Stage = Literal["build", "release", "deploy"]


@dataclass(frozen=True, slots=True)
class KubeApplication:
    """A `kube_applications` row with its organisation's and project's slugs."""

    id: UUID
    organisation: str
    project: str
    slug: str
    generation: int
    deleting: bool
    process_counts: Mapping[str, int] = field(default_factory=dict)
    process_pod_classes: Mapping[str, str] = field(default_factory=dict)
    deployment_timeout: int = 180
    health_check_path: str = "/_health/"
    health_check_host: str | None = None
    github_repository: str | None = None
    github_repository_is_private: bool = False
    subdirectory: str | None = None
    github_app_installation_id: int | None = None


@dataclass(frozen=True, slots=True)
class KubeRelease:
    """What a release runs: the built image, the Procfile's commands and the configuration
    (opened: secrets in plain text, for the Secret only)."""

    id: UUID
    version: int
    image_reference: str
    processes: Mapping[str, str] = field(default_factory=dict)
    configuration: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class KubeRollout:
    """A `kube_deployments` row: one release rolled out."""

    id: UUID
    release: KubeRelease
    created_at: datetime
    started_at: datetime | None = None
    complete: bool = False
    error: bool = False
    error_detail: str | None = None

    @property
    def pending(self) -> bool:
        return not self.complete and not self.error


@dataclass(frozen=True, slots=True)
class RolloutTargets:
    """`target`: the newest deployment of the application; `serving`: the newest complete
    one (the release that keeps serving when the target fails), which may be the target."""

    target: KubeRollout | None
    serving: KubeRollout | None


@dataclass(frozen=True, slots=True)
class KubeBuild:
    """An `images` row to build. `build_arguments`: the buildtime configuration (opened)."""

    id: UUID
    application: KubeApplication
    version: int
    commit_sha: str | None
    build_ref: str | None
    built: bool
    error: bool
    job_id: str | None = None
    started_at: datetime | None = None
    image_reference: str | None = None
    build_arguments: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def pending(self) -> bool:
        return not self.built and not self.error


@dataclass(frozen=True, slots=True)
class KubePipeline:
    id: UUID
    application_id: UUID
    commit_sha: str | None
    branch: str | None
    image_id: UUID | None
    release_id: UUID | None
    deployment_id: UUID | None
    build_status: StageStatus
    release_status: StageStatus
    deploy_status: StageStatus
    finished: bool = False


@dataclass(frozen=True, slots=True)
class StageProgress:
    """Where the rows a pipeline created stand (None: not created yet)."""

    image: Literal["pending", "built", "error"] | None = None
    image_error: str | None = None
    deployment: Literal["pending", "complete", "error"] | None = None
    deployment_error: str | None = None


@dataclass(frozen=True, slots=True)
class MetricSample:
    process: str
    sampled_at: datetime
    cpu_usage_m: float
    memory_usage_bytes: int
    pod_count: int
    restart_count: int


class KubeStore(StateStore[W], Protocol[W]):
    """Reads of v1 desired state and fenced writes of what the cluster did."""

    async def kube_application(self, application_id: UUID) -> KubeApplication | None: ...

    async def rollout_targets(self, application_id: UUID) -> RolloutTargets: ...

    async def start_rollout(self, deployment_id: UUID, log: str) -> None:
        """Sets started_at (once) and appends `log` to the deployment's log."""
        ...

    async def finish_rollout(self, deployment_id: UUID, *, error_detail: str | None, log: str) -> None:
        """complete (error_detail None) or error, finished_at now; appends `log`. Only a
        pending deployment changes."""
        ...

    async def forget_kube_application(self, application_id: UUID) -> None:
        """Teardown is over: the deleted application's rows and status go."""
        ...

    async def kube_build(self, image_id: UUID) -> KubeBuild | None: ...

    async def start_build(self, image_id: UUID, job_id: str) -> None: ...

    async def finish_build(
        self,
        image_id: UUID,
        *,
        image_reference: str | None,
        error_detail: str | None,
        log: str,
        processes: Mapping[str, str] | None = None,
    ) -> None:
        """built with its reference, or error with why; the Job's log kept on the row."""
        ...

    async def kube_pipeline(self, pipeline_id: UUID) -> KubePipeline | None: ...

    async def stage_progress(self, pipeline: KubePipeline) -> StageProgress: ...

    async def start_pipeline_build(self, pipeline: KubePipeline) -> UUID:
        """Inserts the image to build (next version, the pipeline's commit and branch),
        queues `kube-build` for it, and marks the build stage running."""
        ...

    async def create_pipeline_release(self, pipeline: KubePipeline) -> UUID | None:
        """Build succeeded: a release of the pipeline's image with the application's
        configuration now (release stage succeeded, deploy stage running), then a
        deployment of it, queuing `kube-application`: the deployment's id (None: the
        application is no longer live)."""
        ...

    async def ensure_queued(self, kind: str, key: str) -> None:
        """Queue (kind, key) unless queued already (the metrics loop of an application)."""
        ...

    async def set_pipeline_stage(
        self, pipeline: KubePipeline, stage: Stage, status: StageStatus, *, error_detail: str | None = None
    ) -> None:
        """A stage moves on; failed or the deploy stage's end finishes the pipeline (and
        marks the stages after a failure skipped)."""
        ...

    async def record_metric_samples(self, application_id: UUID, samples: list[MetricSample]) -> None: ...

    async def record_kube_event(
        self, application_id: UUID, *, reason: str, message: str, warning: bool = False
    ) -> None: ...


class KubeContext(ReconcileContext[W], Protocol[W]):
    store: KubeStore[W]
