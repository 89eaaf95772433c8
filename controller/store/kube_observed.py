"""The kube reconcilers' view of PostgreSQL (`reconcilers.kube.ports.KubeStore`):
v1 desired state in, fenced observed state out.

`KubeFencedStateStore` is a `FencedStateStore` (same lease fencing, same status and
event writes) plus the v1 records. Secret configuration values are opened here, with
the `Sealer` of BERTH_SECRETS_KEY, and handed to the reconciler only inside records
that keep them out of their repr; they go to the Kubernetes Secret and nowhere else.
"""

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from controller.store.observed import FencedStateStore
from controller.store.queries import QUERIES
from controller.store.queue import Preload
from controller.store.v1_pipeline import ReleaseMade, deploy_release, snapshot_release
from controller.store.v1.sealing import SealedValueUnreadable, Sealer, SecretsKeyMissing
from reconcilers.kube.ports import (
    KubeApplication,
    KubeBuild,
    KubePipeline,
    KubeRelease,
    KubeRollout,
    MetricSample,
    RolloutTargets,
    Stage,
    StageProgress,
    StageStatus,
)
from reconcilers.results import PermanentError

UNOPENABLE = "configuration {name} of release v{version} cannot be opened: {why}"
NOT_RELEASABLE = "image {image} is not built, or not the application's: nothing to release"
UNOPENABLE_BUILD = "buildtime configuration {name} cannot be opened: {why}"


def _opened(sealer: Sealer, entries: Mapping[str, Mapping[str, Any]], version: int) -> dict[str, str]:
    """A release's `configuration` snapshot as NAME → plain value."""
    values: dict[str, str] = {}
    for name, entry in entries.items():
        if entry.get("secret"):
            try:
                values[name] = sealer.open(entry.get("sealed_value") or "")
            except (SecretsKeyMissing, SealedValueUnreadable) as error:
                raise PermanentError(
                    "SecretUnreadable", UNOPENABLE.format(name=name, version=version, why=error)
                ) from None
        else:
            values[name] = str(entry.get("value") or "")
    return values


class KubeFencedStateStore(FencedStateStore):
    def __init__(
        self,
        pool: asyncpg.Pool,
        kind: str,
        key: str,
        lease_token: UUID,
        sealer: Sealer | None = None,
        preload: Preload | None = None,
        watchers: Mapping[str, Sequence[str]] | None = None,
    ):
        super().__init__(pool, kind, key, lease_token, preload, watchers)
        self._sealer = sealer or Sealer.from_environ()

    async def kube_application(self, application_id: UUID) -> KubeApplication | None:
        row = await self._pool.fetchrow(QUERIES.kube_application, application_id)
        if row is None:
            return None
        return KubeApplication(
            id=row["id"],
            organisation=row["organisation"],
            project=row["project"],
            slug=row["slug"],
            generation=row["generation"],
            deleting=row["deleting"],
            process_counts={k: int(v) for k, v in (row["process_counts"] or {}).items()},
            process_pod_classes=dict(row["process_pod_classes"] or {}),
            deployment_timeout=row["deployment_timeout"],
            health_check_path=row["health_check_path"],
            health_check_host=row["health_check_host"],
            github_repository=row["github_repository"],
            github_repository_is_private=row["github_repository_is_private"],
            subdirectory=row["subdirectory"],
            github_app_installation_id=row["github_app_installation_id"],
        )

    async def _rollout(self, application_id: UUID, *, complete: bool) -> KubeRollout | None:
        row = await self._pool.fetchrow(QUERIES.kube_rollout_newest, application_id, complete)
        if row is None:
            return None
        release = KubeRelease(
            id=row["release_id"],
            version=row["version"],
            image_reference=row["image_reference"],
            processes={k: str(v) for k, v in (row["processes"] or {}).items()},
            configuration=_opened(self._sealer, row["configuration"] or {}, row["version"]),
        )
        return KubeRollout(
            id=row["id"],
            release=release,
            created_at=row["created_at"],
            started_at=row["started_at"],
            complete=row["complete"],
            error=row["error"],
            error_detail=row["error_detail"],
        )

    async def rollout_targets(self, application_id: UUID) -> RolloutTargets:
        target = await self._rollout(application_id, complete=False)
        serving = target if target is not None and target.complete else await self._rollout(application_id, complete=True)
        return RolloutTargets(target=target, serving=serving)

    async def start_rollout(self, deployment_id: UUID, log: str) -> None:
        async with self._fenced() as connection:
            await connection.execute(QUERIES.start_rollout, deployment_id, log)

    async def finish_rollout(self, deployment_id: UUID, *, error_detail: str | None, log: str) -> None:
        async with self._fenced() as connection:
            queued = await connection.fetch(QUERIES.finish_rollout, deployment_id, error_detail, log)
        if queued:
            await self._notify("kube-pipeline")

    async def forget_kube_application(self, application_id: UUID) -> None:
        async with self._fenced() as connection:
            deleting = await connection.fetchval(
                "SELECT deleted_at IS NOT NULL FROM kube_applications WHERE id = $1 FOR UPDATE", application_id
            )
            if not deleting:
                return
            for query in (QUERIES.forget_kube_pipelines, QUERIES.forget_kube_deployments, QUERIES.forget_kube_releases):
                await connection.execute(query, application_id)
            await connection.execute(QUERIES.forget_kube_application, application_id)

    async def kube_build(self, image_id: UUID) -> KubeBuild | None:
        row = await self._pool.fetchrow(QUERIES.kube_build, image_id)
        if row is None:
            return None
        app = await self.kube_application(row["application_id"])
        if app is None:
            return None
        arguments: dict[str, str] = {}
        for entry in await self._pool.fetch(QUERIES.kube_build_arguments, app.id):
            if entry["secret"]:
                try:
                    arguments[entry["name"]] = self._sealer.open(entry["sealed_value"] or "")
                except (SecretsKeyMissing, SealedValueUnreadable) as error:
                    raise PermanentError(
                        "SecretUnreadable", UNOPENABLE_BUILD.format(name=entry["name"], why=error)
                    ) from None
            else:
                arguments[entry["name"]] = entry["value"]
        return KubeBuild(
            id=row["id"],
            application=app,
            version=row["version"],
            commit_sha=row["commit_sha"],
            build_ref=row["build_ref"],
            built=row["built"],
            error=row["error"],
            job_id=row["job_id"],
            started_at=row["started_at"],
            image_reference=row["image_reference"],
            build_arguments=arguments,
        )

    async def start_build(self, image_id: UUID, job_id: str) -> None:
        async with self._fenced() as connection:
            await connection.execute(QUERIES.start_build, image_id, job_id)

    async def finish_build(
        self,
        image_id: UUID,
        *,
        image_reference: str | None,
        error_detail: str | None,
        log: str,
        processes: Mapping[str, str] | None = None,
    ) -> None:
        async with self._fenced() as connection:
            queued = await connection.fetch(
                QUERIES.finish_build,
                image_id,
                image_reference,
                error_detail,
                log.replace("\x00", ""),
                dict(processes) if processes is not None else None,
            )
        if queued:
            await self._notify("kube-pipeline")

    async def kube_pipeline(self, pipeline_id: UUID) -> KubePipeline | None:
        row = await self._pool.fetchrow(QUERIES.kube_pipeline, pipeline_id)
        if row is None:
            return None
        return KubePipeline(**dict(row))

    async def stage_progress(self, pipeline: KubePipeline) -> StageProgress:
        row = await self._pool.fetchrow(QUERIES.stage_progress, pipeline.image_id, pipeline.deployment_id)
        return StageProgress(**dict(row))

    async def start_pipeline_build(self, pipeline: KubePipeline) -> UUID:
        async with self._fenced() as connection:
            image_id = await connection.fetchval(
                QUERIES.start_pipeline_build, pipeline.id, pipeline.application_id, pipeline.branch, pipeline.commit_sha
            )
        await self._notify("kube-build")
        return image_id

    async def create_pipeline_release(self, pipeline: KubePipeline) -> UUID | None:
        async with self._fenced() as connection:
            made = await snapshot_release(connection, pipeline.application_id, pipeline.image_id)
            if not isinstance(made, ReleaseMade):
                raise PermanentError("NoBuiltImage", NOT_RELEASABLE.format(image=pipeline.image_id))
            deployment_id = await deploy_release(connection, made.id)
            await connection.execute(QUERIES.pipeline_released, pipeline.id, made.id, deployment_id)
        await self._notify("kube-application")
        return deployment_id

    async def ensure_queued(self, kind: str, key: str) -> None:
        async with self._fenced() as connection:
            await connection.execute(QUERIES.ensure_kube_queued, kind, key)

    async def set_pipeline_stage(
        self, pipeline: KubePipeline, stage: Stage, status: StageStatus, *, error_detail: str | None = None
    ) -> None:
        async with self._fenced() as connection:
            await connection.execute(QUERIES.set_pipeline_stage, pipeline.id, stage, status, error_detail)

    async def record_metric_samples(self, application_id: UUID, samples: list[MetricSample]) -> None:
        if not samples:
            return
        async with self._fenced() as connection:
            await connection.execute(
                QUERIES.record_metric_samples,
                application_id,
                [s.process for s in samples],
                [s.sampled_at for s in samples],
                [float(s.cpu_usage_m) for s in samples],
                [int(s.memory_usage_bytes) for s in samples],
                [int(s.pod_count) for s in samples],
                [int(s.restart_count) for s in samples],
            )

    async def record_kube_event(
        self, application_id: UUID, *, reason: str, message: str, warning: bool = False
    ) -> None:
        async with self._fenced() as connection:
            await connection.execute(
                QUERIES.record_kube_event, application_id, self._kind, self._key, reason, message, warning
            )

    async def _notify(self, kind: str) -> None:
        """Wake the workers for the kind just queued (the poll would find it anyway)."""
        try:
            await self._pool.execute(QUERIES.notify, [kind])
        except asyncpg.PostgresError:
            pass
