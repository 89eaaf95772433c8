-- The v1 build → release → deploy routes (controller/store/v1_pipeline.py).
-- Every read is scoped to the organisations the caller's token may see ($2, the
-- token's hash: its own organisation and those granted to it), so
-- another organisation's object is found exactly as one that does not exist.

-- name: v1p_application
SELECT a.id, a.github_repository, a.auto_deploy_branch
FROM kube_applications a JOIN projects p ON p.id = a.project_id
WHERE a.id = $1 AND p.organisation_id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $2
                            UNION SELECT g.organisation_id FROM organisation_grants g
                            JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $2) AND a.deleted_at IS NULL

-- name: v1p_image
SELECT i.*
FROM images i JOIN kube_applications a ON a.id = i.application_id JOIN projects p ON p.id = a.project_id
WHERE i.id = $1 AND p.organisation_id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $2
                            UNION SELECT g.organisation_id FROM organisation_grants g
                            JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $2) AND a.deleted_at IS NULL

-- name: v1p_release
SELECT r.*, to_jsonb(i) - 'build_log' AS image
FROM releases r
JOIN images i ON i.id = r.image_id
JOIN kube_applications a ON a.id = r.application_id JOIN projects p ON p.id = a.project_id
WHERE r.id = $1 AND p.organisation_id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $2
                            UNION SELECT g.organisation_id FROM organisation_grants g
                            JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $2) AND a.deleted_at IS NULL

-- name: v1p_deployment
SELECT d.*, r.version AS release_version, r.image_id AS release_image_id
FROM kube_deployments d
JOIN releases r ON r.id = d.release_id
JOIN kube_applications a ON a.id = d.application_id JOIN projects p ON p.id = a.project_id
WHERE d.id = $1 AND p.organisation_id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $2
                            UNION SELECT g.organisation_id FROM organisation_grants g
                            JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $2) AND a.deleted_at IS NULL

-- name: v1p_count_images
SELECT count(*) FROM images WHERE application_id = $1

-- name: v1p_list_images
SELECT * FROM images WHERE application_id = $1 ORDER BY version DESC LIMIT $2 OFFSET $3

-- name: v1p_count_releases
SELECT count(*) FROM releases WHERE application_id = $1

-- name: v1p_list_releases
SELECT * FROM releases WHERE application_id = $1 ORDER BY version DESC LIMIT $2 OFFSET $3

-- name: v1p_count_deployments
SELECT count(*) FROM kube_deployments WHERE application_id = $1

-- name: v1p_list_deployments
SELECT d.*, r.version AS release_version, r.image_id AS release_image_id
FROM kube_deployments d JOIN releases r ON r.id = d.release_id
WHERE d.application_id = $1 ORDER BY d.created_at DESC, d.id LIMIT $2 OFFSET $3

-- name: v1p_create_image
-- One statement: the next image number (the application row's lock makes it
-- race-free), the pending image and its build queued.
WITH n AS (
    UPDATE kube_applications SET image_counter = image_counter + 1
    WHERE id = $1 AND deleted_at IS NULL
    RETURNING id, image_counter, github_repository
),
img AS (
    INSERT INTO images (application_id, version, repository_name, build_ref, commit_sha)
    SELECT id, image_counter, coalesce(github_repository, ''), $2, $3 FROM n
    RETURNING id, version
),
queued AS (SELECT berth_enqueue('kube-build', img.id::text) FROM img)
SELECT img.id, img.version, (SELECT count(*) FROM queued) AS queued FROM img

-- name: v1p_start_full_deploy
-- A full deploy: the pending image (as v1p_create_image) and the pipeline following
-- it, both queued (`kube-build` for the image, `kube-pipeline` for the stage machine).
-- $2 trigger, $3 branch, $4 commit, $5 GitHub delivery id.
WITH n AS (
    UPDATE kube_applications SET image_counter = image_counter + 1
    WHERE id = $1 AND deleted_at IS NULL
    RETURNING id, image_counter, github_repository
),
img AS (
    INSERT INTO images (application_id, version, repository_name, build_ref, commit_sha)
    SELECT id, image_counter, coalesce(github_repository, ''), $3, $4 FROM n
    RETURNING id, version, application_id
),
pipe AS (
    INSERT INTO pipelines (application_id, trigger, branch, commit_sha, image_id, github_delivery)
    SELECT application_id, $2, $3, $4, id, $5 FROM img
    RETURNING id
),
queued AS (
    SELECT berth_enqueue('kube-build', img.id::text), berth_enqueue('kube-pipeline', pipe.id::text)
    FROM img, pipe
)
SELECT img.id AS image_id, img.version, pipe.id AS pipeline_id, (SELECT count(*) FROM queued) AS queued
FROM img, pipe

-- name: v1p_pipeline_for_delivery
SELECT id, image_id FROM pipelines WHERE application_id = $1 AND github_delivery = $2

-- name: v1p_lock_application
-- Taken first when a release is made: releases of one application are numbered and
-- snapshotted one after another.
SELECT id, process_counts, process_pod_classes, health_check_path, health_check_host, deployment_timeout
FROM kube_applications WHERE id = $1 AND deleted_at IS NULL
FOR NO KEY UPDATE

-- name: v1p_latest_built_image
SELECT * FROM images WHERE application_id = $1 AND built ORDER BY version DESC LIMIT 1

-- name: v1p_image_of_application
SELECT * FROM images WHERE id = $1 AND application_id = $2

-- name: v1p_configuration_snapshot
-- {"NAME": {"value", "secret", "buildtime", "sealed_value"}}: secrets stay sealed.
SELECT coalesce(jsonb_object_agg(name, jsonb_build_object(
           'value', value, 'secret', secret, 'buildtime', buildtime, 'sealed_value', sealed_value)), '{}')
FROM configurations WHERE application_id = $1

-- name: v1p_previous_release
SELECT r.configuration, to_jsonb(i) - 'build_log' AS image
FROM releases r JOIN images i ON i.id = r.image_id
WHERE r.application_id = $1 ORDER BY r.version DESC LIMIT 1

-- name: v1p_insert_release
-- The application row is locked (v1p_lock_application): the counter moves under it.
WITH n AS (
    UPDATE kube_applications SET release_counter = release_counter + 1 WHERE id = $1
    RETURNING id, release_counter
)
INSERT INTO releases (
    application_id, version, image_id, repository_name, commit_sha, dockerfile, configuration,
    image_changes, configuration_changes, process_counts, process_pod_classes, processes,
    health_check_path, health_check_host, deployment_timeout, built, release_log)
SELECT n.id, n.release_counter, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, true,
       format('Release v%s: image v%s%s, %s configuration values, processes %s.',
              n.release_counter, $15::int, coalesce(' at ' || $4::text, ''), $16::int, $9::jsonb::text)
FROM n
RETURNING id, version

-- name: v1p_deploy_release
-- The deployment (pending) becomes the application's target: the newest deployment,
-- stamped with the clock rather than the transaction start so two deploys in quick
-- succession still order. The application's generation moves (what runs changes) and
-- its reconcile is queued in the same statement.
WITH r AS (
    SELECT r.id, r.application_id
    FROM releases r JOIN kube_applications a ON a.id = r.application_id
    WHERE r.id = $1 AND a.deleted_at IS NULL
),
d AS (
    INSERT INTO kube_deployments (application_id, release_id, created_at, updated_at)
    SELECT application_id, id, clock_timestamp(), clock_timestamp() FROM r
    RETURNING id, application_id
),
app AS (
    UPDATE kube_applications a SET generation = a.generation + 1
    FROM d WHERE a.id = d.application_id
    RETURNING a.id
),
queued AS (SELECT berth_enqueue('kube-application', app.id::text) FROM app)
SELECT d.id, (SELECT count(*) FROM queued) AS queued FROM d

-- name: v1p_latest_image
SELECT id, version, built, error, error_detail, created_at, started_at, finished_at
FROM images WHERE application_id = $1 ORDER BY version DESC LIMIT 1

-- name: v1p_latest_release
SELECT id, version, built, error, error_detail, created_at, NULL::timestamptz AS started_at,
       CASE WHEN built OR error THEN updated_at END AS finished_at
FROM releases WHERE application_id = $1 ORDER BY version DESC LIMIT 1

-- name: v1p_latest_deployment
SELECT d.id, r.version, d.complete AS built, d.error, d.error_detail, d.created_at, d.started_at, d.finished_at
FROM kube_deployments d JOIN releases r ON r.id = d.release_id
WHERE d.application_id = $1 ORDER BY d.created_at DESC, d.id LIMIT 1

-- name: v1p_latest_pipeline
SELECT * FROM pipelines WHERE application_id = $1 ORDER BY created_at DESC, id LIMIT 1

-- name: v1p_finished_images
SELECT id, version, built, error, error_detail, created_at, started_at, finished_at
FROM images WHERE application_id = $1 AND (built OR error)

-- name: v1p_finished_releases
-- A release records no start: its stage runs from creation to its last update.
SELECT id, version, built, error, error_detail, created_at, NULL::timestamptz AS started_at,
       updated_at AS finished_at
FROM releases WHERE application_id = $1 AND (built OR error)

-- name: v1p_finished_deployments
SELECT d.id, r.version, d.complete AS built, d.error, d.error_detail, d.created_at, d.started_at, d.finished_at
FROM kube_deployments d JOIN releases r ON r.id = d.release_id
WHERE d.application_id = $1 AND (d.complete OR d.error)

-- name: v1p_observability
-- Per sampling pass the processes add up; per bucket ($4 seconds) the passes average,
-- except restarts, a counter, which take the bucket's highest.
WITH passes AS (
    SELECT sampled_at, sum(cpu_usage_m) AS cpu, sum(memory_usage_bytes) AS memory,
           sum(pod_count) AS pods, sum(restart_count) AS restarts
    FROM kube_metric_samples
    WHERE application_id = $1 AND sampled_at >= $2 AND sampled_at <= $3
    GROUP BY sampled_at
)
SELECT to_timestamp(floor(extract(epoch FROM sampled_at) / $4) * $4) AS bucket,
       avg(cpu)::double precision AS cpu_usage_m,
       round(avg(memory))::bigint AS memory_usage_bytes,
       round(avg(pods))::integer AS pod_count,
       max(restarts)::integer AS restart_count
FROM passes GROUP BY bucket ORDER BY bucket

-- name: v1p_auto_deploy_candidates
-- Applications (any organisation) that auto-deploy this branch; the caller matches
-- the repository, which may be spelt as owner/name or as a URL.
SELECT id, github_repository FROM kube_applications
WHERE auto_deploy_branch = $1 AND github_repository IS NOT NULL AND deleted_at IS NULL
