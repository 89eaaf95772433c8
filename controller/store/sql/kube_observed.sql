-- The kube reconcilers' reads of v1 desired state and their fenced writes
-- (controller/store/kube_observed.py). Tables: migration 0004_ancla.sql.

-- name: kube_application
SELECT a.id, o.slug AS organisation, p.slug AS project, a.slug, a.generation,
       a.deleted_at IS NOT NULL AS deleting, a.process_counts, a.process_pod_classes,
       a.deployment_timeout, a.health_check_path, a.health_check_host, a.github_repository,
       a.github_repository_is_private, a.subdirectory, a.github_app_installation_id
FROM kube_applications a
JOIN projects p ON p.id = a.project_id
JOIN organisations o ON o.id = p.organisation_id
WHERE a.id = $1

-- name: kube_rollout_newest
-- The application's newest deployment ($2 false) or newest complete one ($2 true),
-- with what its release runs.
SELECT d.id, d.created_at, d.started_at, d.complete, d.error, d.error_detail,
       r.id AS release_id, r.version, r.configuration,
       COALESCE(r.processes, i.processes, '{}'::jsonb) AS processes,
       COALESCE(i.image_id, '') AS image_reference
FROM kube_deployments d
JOIN releases r ON r.id = d.release_id
JOIN images i ON i.id = r.image_id
WHERE d.application_id = $1 AND (NOT $2 OR d.complete)
ORDER BY d.created_at DESC, r.version DESC
LIMIT 1

-- name: start_rollout
UPDATE kube_deployments
SET started_at = COALESCE(started_at, now()), deploy_log = deploy_log || $2, updated_at = now()
WHERE id = $1 AND NOT complete AND NOT error

-- name: finish_rollout
-- $2 NULL: complete; else failed with why. Only a pending deployment finishes; the
-- pipelines following it are queued.
WITH finished AS (
    UPDATE kube_deployments
    SET complete = $2::text IS NULL, error = $2::text IS NOT NULL, error_detail = $2,
        finished_at = now(), started_at = COALESCE(started_at, now()),
        deploy_log = deploy_log || $3, updated_at = now()
    WHERE id = $1 AND NOT complete AND NOT error
    RETURNING id
)
SELECT berth_enqueue('kube-pipeline', p.id::text)
FROM pipelines p JOIN finished f ON p.deployment_id = f.id
WHERE p.finished_at IS NULL

-- name: forget_kube_pipelines
DELETE FROM pipelines WHERE application_id = $1

-- name: forget_kube_deployments
DELETE FROM kube_deployments WHERE application_id = $1

-- name: forget_kube_releases
DELETE FROM releases WHERE application_id = $1

-- name: forget_kube_application
-- Teardown is over: the deleted application's rows (images, configurations, samples
-- cascade) and every status keyed by it.
WITH gone AS (
    DELETE FROM kube_applications WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id
)
DELETE FROM statuses WHERE key = $1::text AND EXISTS (SELECT 1 FROM gone)

-- name: kube_build
SELECT i.id, i.application_id, i.version, i.commit_sha, i.build_ref, i.built, i.error,
       i.job_id, i.started_at, i.image_id AS image_reference
FROM images i WHERE i.id = $1

-- name: kube_build_arguments
-- The buildtime configuration (secret ones sealed; the store opens them).
SELECT name, value, sealed_value, secret FROM configurations
WHERE application_id = $1 AND buildtime ORDER BY name

-- name: start_build
UPDATE images SET job_id = $2, started_at = COALESCE(started_at, now()), updated_at = now()
WHERE id = $1 AND NOT built AND NOT error

-- name: finish_build
-- $2 the pushed image's reference (built) or NULL with $3 why (error). The pipelines
-- following the image are queued.
WITH finished AS (
    UPDATE images
    SET built = $2::text IS NOT NULL, error = $2::text IS NULL, image_id = $2, error_detail = $3,
        build_log = $4, processes = COALESCE($5::jsonb, processes),
        started_at = COALESCE(started_at, now()), finished_at = now(), updated_at = now()
    WHERE id = $1 AND NOT built AND NOT error
    RETURNING id
)
SELECT berth_enqueue('kube-pipeline', p.id::text)
FROM pipelines p JOIN finished f ON p.image_id = f.id
WHERE p.finished_at IS NULL

-- name: kube_pipeline
SELECT id, application_id, commit_sha, branch, image_id, release_id, deployment_id,
       build_status, release_status, deploy_status, finished_at IS NOT NULL AS finished
FROM pipelines WHERE id = $1

-- name: stage_progress
SELECT
    (SELECT CASE WHEN built THEN 'built' WHEN error THEN 'error' ELSE 'pending' END
     FROM images WHERE id = $1) AS image,
    (SELECT error_detail FROM images WHERE id = $1) AS image_error,
    (SELECT CASE WHEN complete THEN 'complete' WHEN error THEN 'error' ELSE 'pending' END
     FROM kube_deployments WHERE id = $2) AS deployment,
    (SELECT error_detail FROM kube_deployments WHERE id = $2) AS deployment_error

-- name: start_pipeline_build
-- The image to build: the next version of the application's, at the pipeline's commit
-- and branch; kube-build queued; the build stage running.
WITH numbered AS (
    UPDATE kube_applications SET image_counter = image_counter + 1
    WHERE id = $2 RETURNING id, image_counter, COALESCE(github_repository, '') AS repository
),
image AS (
    INSERT INTO images (application_id, version, repository_name, build_ref, commit_sha)
    SELECT n.id, n.image_counter, n.repository, $3, $4 FROM numbered n
    RETURNING id
),
staged AS (
    UPDATE pipelines p SET image_id = image.id, build_status = 'running',
        build_started_at = COALESCE(p.build_started_at, now()), updated_at = now()
    FROM image WHERE p.id = $1 AND p.image_id IS NULL
    RETURNING p.id
)
SELECT image.id, berth_enqueue('kube-build', image.id::text) FROM image, staged

-- name: pipeline_released
-- The release (made by controller/store/v1_pipeline.py's snapshot_release) and its
-- deployment are the pipeline's: release stage done, deploy stage running.
UPDATE pipelines SET release_id = $2, deployment_id = $3,
    build_status = 'succeeded', build_finished_at = COALESCE(build_finished_at, now()),
    release_status = 'succeeded', release_started_at = COALESCE(release_started_at, now()),
    release_finished_at = now(), deploy_status = 'running', deploy_started_at = now(), updated_at = now()
WHERE id = $1 AND release_id IS NULL

-- name: ensure_kube_queued
INSERT INTO work_queue (kind, key) VALUES ($1, $2) ON CONFLICT (kind, key) DO NOTHING

-- name: set_pipeline_stage
-- Stage $2 ('build'|'release'|'deploy') becomes $3. Running stamps its start; a final
-- state its finish. failed: the later stages are skipped and the pipeline finishes
-- (with $4 why); the deploy stage's success finishes it too.
UPDATE pipelines SET
    build_status = CASE WHEN $2 = 'build' THEN $3
                        ELSE build_status END,
    release_status = CASE WHEN $2 = 'release' THEN $3
                          WHEN $2 = 'build' AND $3 = 'failed' THEN 'skipped'
                          ELSE release_status END,
    deploy_status = CASE WHEN $2 = 'deploy' THEN $3
                         WHEN $2 IN ('build', 'release') AND $3 = 'failed' THEN 'skipped'
                         ELSE deploy_status END,
    build_started_at = CASE WHEN $2 = 'build' THEN COALESCE(build_started_at, now()) ELSE build_started_at END,
    build_finished_at = CASE WHEN $2 = 'build' AND $3 IN ('succeeded', 'failed', 'skipped') THEN now()
                             ELSE build_finished_at END,
    release_started_at = CASE WHEN $2 = 'release' THEN COALESCE(release_started_at, now()) ELSE release_started_at END,
    release_finished_at = CASE WHEN $2 = 'release' AND $3 IN ('succeeded', 'failed', 'skipped') THEN now()
                               ELSE release_finished_at END,
    deploy_started_at = CASE WHEN $2 = 'deploy' THEN COALESCE(deploy_started_at, now()) ELSE deploy_started_at END,
    deploy_finished_at = CASE WHEN $2 = 'deploy' AND $3 IN ('succeeded', 'failed', 'skipped') THEN now()
                              ELSE deploy_finished_at END,
    error_detail = CASE WHEN $3 = 'failed' THEN $4 ELSE error_detail END,
    finished_at = CASE WHEN $3 = 'failed' OR ($2 = 'deploy' AND $3 IN ('succeeded', 'skipped')) THEN now()
                       ELSE finished_at END,
    updated_at = now()
WHERE id = $1 AND finished_at IS NULL

-- name: record_metric_samples
INSERT INTO kube_metric_samples
    (application_id, process, sampled_at, cpu_usage_m, memory_usage_bytes, pod_count, restart_count)
SELECT $1, s.process, s.sampled_at, s.cpu, s.memory, s.pods, s.restarts
FROM unnest($2::text[], $3::timestamptz[], $4::float8[], $5::bigint[], $6::int[], $7::int[])
    AS s(process, sampled_at, cpu, memory, pods, restarts)
WHERE EXISTS (SELECT 1 FROM kube_applications WHERE id = $1)
ON CONFLICT (application_id, sampled_at, process) DO NOTHING

-- name: record_kube_event
INSERT INTO events (organisation_id, application_id, environment_id, kind, key, reason, message, warning)
SELECT p.organisation_id, $1, NULL, $2, $3, $4, $5, $6
FROM (SELECT $1::uuid AS id) wanted
LEFT JOIN kube_applications a ON a.id = wanted.id
LEFT JOIN projects p ON p.id = a.project_id
