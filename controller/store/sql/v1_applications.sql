-- name: v1_applications
-- Application views: the application, where it lives and the latest image, release
-- and deployment. Narrowed by $2 id, or $3/$4/$5 organisation, project, application slug.
SELECT a.id, a.name, a.slug, a.project_id, p.slug AS project_slug, o.slug AS organisation_slug,
       a.process_counts, a.process_pod_classes, a.github_repository, a.github_repository_is_private,
       a.auto_deploy_branch, a.subdirectory, a.github_app_installation_id, a.github_environment_name,
       a.deployment_timeout, a.health_check_path, a.health_check_host, a.privileged,
       a.generation, a.created_at, a.updated_at,
       li.image AS latest_image, li.version AS latest_image_version,
       lr.release AS latest_release, lr.version AS latest_release_version,
       ld.deployment AS latest_deployment, ld.complete AS latest_deployment_complete
FROM kube_applications a
JOIN projects p ON p.id = a.project_id
JOIN organisations o ON o.id = p.organisation_id
LEFT JOIN LATERAL (
    SELECT i.version, jsonb_build_object(
        'id', i.id, 'version', i.version, 'application_id', i.application_id,
        'repository_name', i.repository_name, 'built', i.built, 'error', i.error,
        'created', i.created_at, 'updated', i.updated_at) AS image
    FROM images i WHERE i.application_id = a.id ORDER BY i.version DESC LIMIT 1
) li ON true
LEFT JOIN LATERAL (
    SELECT r.version, jsonb_build_object(
        'id', r.id, 'version', r.version, 'application_id', r.application_id, 'platform', 'wind',
        'built', r.built, 'error', r.error, 'created', r.created_at, 'updated', r.updated_at) AS release
    FROM releases r WHERE r.application_id = a.id ORDER BY r.version DESC LIMIT 1
) lr ON true
LEFT JOIN LATERAL (
    SELECT d.complete, jsonb_build_object(
        'id', d.id, 'application_id', d.application_id, 'release_id', d.release_id,
        'complete', d.complete, 'error', d.error, 'error_detail', d.error_detail,
        'job_id', d.job_id, 'created', d.created_at, 'updated', d.updated_at) AS deployment
    FROM kube_deployments d WHERE d.application_id = a.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1
) ld ON true
WHERE a.deleted_at IS NULL
  AND o.id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $1
               UNION SELECT g.organisation_id FROM organisation_grants g
               JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $1)
  AND ($2::uuid IS NULL OR a.id = $2)
  AND ($3::text IS NULL OR o.slug = $3)
  AND ($4::text IS NULL OR p.slug = $4)
  AND ($5::text IS NULL OR a.slug = $5)
ORDER BY a.slug

-- name: v1_create_application
-- The application and its first reconcile in one statement. `project_found` 0: no
-- project the caller sees; `id` null with the project found: the slug is taken.
WITH p AS (
    SELECT p.id FROM projects p
    WHERE p.id = $2
      AND p.organisation_id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $1
                                UNION SELECT g.organisation_id FROM organisation_grants g
                                JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $1)
),
a AS (
    INSERT INTO kube_applications (project_id, slug, name) SELECT p.id, $3, $4 FROM p
    ON CONFLICT (project_id, slug) DO NOTHING
    RETURNING id
),
queued AS (SELECT berth_enqueue('kube-application', a.id::text) FROM a)
SELECT (SELECT count(*) FROM p) AS project_found, (SELECT id FROM a) AS id,
       (SELECT count(*) FROM queued) AS queued

-- name: v1_lock_application
-- Taken first in a write's transaction: the values read are the ones replaced.
SELECT a.id, a.process_counts, a.process_pod_classes, a.github_repository,
       a.github_repository_is_private, a.auto_deploy_branch, a.subdirectory,
       a.github_app_installation_id, a.github_environment_name, a.deployment_timeout,
       a.health_check_path, a.health_check_host
FROM kube_applications a JOIN projects p ON p.id = a.project_id
WHERE a.id = $2 AND a.deleted_at IS NULL
  AND p.organisation_id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $1
                            UNION SELECT g.organisation_id FROM organisation_grants g
                            JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $1)
FOR NO KEY UPDATE OF a

-- name: v1_write_application
-- Writes what runs and the settings; the generation moves only when something
-- changed ($13); the reconcile is queued either way (level-triggered, harmless).
WITH a AS (
    UPDATE kube_applications SET
        process_counts = $2, process_pod_classes = $3, github_repository = $4,
        github_repository_is_private = $5, auto_deploy_branch = $6, subdirectory = $7,
        github_app_installation_id = $8, github_environment_name = $9,
        deployment_timeout = $10, health_check_path = $11, health_check_host = $12,
        generation = generation + $13::boolean::int,
        updated_at = CASE WHEN $13 THEN now() ELSE updated_at END
    WHERE id = $1
    RETURNING id, generation
),
queued AS (SELECT berth_enqueue('kube-application', a.id::text) FROM a)
SELECT a.id, a.generation, (SELECT count(*) FROM queued) AS queued FROM a
