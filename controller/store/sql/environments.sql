-- name: lock_application
-- Taken first in a create's transaction: creates in one application queue up behind
-- each other (and behind its delete), so the environment limit holds under concurrency.
SELECT id, deleted_at IS NOT NULL AS deleting
FROM applications WHERE organisation_id = $1 AND name = $2
FOR NO KEY UPDATE

-- name: environment_count
-- Environments being deleted still count until their teardown finishes.
SELECT count(*) FROM environments WHERE application_id = $1

-- name: environment_spec
SELECT id, spec, deleted_at IS NOT NULL AS deleting
FROM environments WHERE application_id = $1 AND name = $2

-- name: create_environment
-- One statement: the environment and its queue rows. A taken name raises a unique
-- violation, which undoes the whole statement.
WITH env AS (
    INSERT INTO environments (application_id, name, spec, finalizers)
    VALUES ($1, $2, $3, $4)
    RETURNING id, generation, finalizers
),
queued AS (
    SELECT berth_enqueue(kind, env.id::text) FROM env, unnest(env.finalizers) AS kind ORDER BY kind
)
SELECT env.id, env.generation, (SELECT count(*) FROM queued) AS queued FROM env

-- name: lock_environment
-- Taken first in an update's transaction, so the spec read and the spec written
-- are the same version.
SELECT e.id, e.generation, e.spec, (e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL) AS deleting
FROM environments e
JOIN applications a ON a.id = e.application_id
WHERE a.organisation_id = $1 AND a.name = $2 AND e.name = $3
FOR NO KEY UPDATE OF e

-- name: update_environment
-- The generation moves only when the spec does; the reconciles are queued either way.
-- The finalizers gain the kinds the new spec needs and lose none: a kind no longer
-- needed removes itself once its resources are gone.
WITH env AS (
    UPDATE environments e
    SET spec = $2, generation = e.generation + (e.spec IS DISTINCT FROM $2::jsonb)::int, updated_at = now(),
        finalizers = e.finalizers || ARRAY(SELECT k FROM unnest($3::text[]) k WHERE k <> ALL (e.finalizers))
    WHERE e.id = $1
    RETURNING e.id, e.generation, e.finalizers
),
queued AS (
    SELECT berth_enqueue(kind, env.id::text) FROM env, unnest(env.finalizers) AS kind ORDER BY kind
)
SELECT env.id, env.generation, (SELECT count(*) FROM queued) AS queued FROM env

-- name: delete_environment
-- Marks the environment deleted and queues its teardown by every finalizer; the row
-- goes once the reconcilers have removed what they made (release_environment, which
-- leaves a live application alone). $4: the request opted out of the database's
-- final snapshot. `production` is never marked: the application's delete does that.
-- Repeating it while the teardown runs changes nothing and still finds the environment.
WITH target AS (
    SELECT e.id, e.name, e.deleted_at
    FROM environments e
    JOIN applications a ON a.id = e.application_id
    WHERE a.organisation_id = $1 AND a.name = $2 AND e.name = $3
),
env AS (
    UPDATE environments e SET deleted_at = now(), generation = e.generation + 1, updated_at = now(),
        spec = CASE WHEN $4 AND jsonb_typeof(e.spec->'database') = 'object'
                    THEN jsonb_set(e.spec, '{database,skipFinalSnapshot}', 'true') ELSE e.spec END
    FROM target
    WHERE e.id = target.id AND target.deleted_at IS NULL AND target.name <> 'production'
    RETURNING e.id, e.finalizers
),
queued AS (
    SELECT berth_enqueue(kind, env.id::text) FROM env, unnest(env.finalizers) AS kind ORDER BY kind
)
SELECT target.id, target.name, (SELECT count(*) FROM queued) AS queued FROM target

-- name: environment_views
-- A live application always has its production environment, so no rows means no
-- such application (of this organisation).
SELECT e.id, e.name, e.spec, e.generation, e.created_at, e.updated_at,
       (e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL) AS deleting,
       s.observed_generation, s.conditions, s.outputs,
       db.outputs AS database_outputs, fs.outputs AS filesystem_outputs,
       coalesce(d.items, '[]') AS deployments
FROM applications a
JOIN environments e ON e.application_id = a.id
LEFT JOIN statuses s ON s.kind = $4 AND s.key = e.id::text
LEFT JOIN statuses db ON db.kind = 'rds-database' AND db.key = e.id::text
LEFT JOIN statuses fs ON fs.kind = 'efs-filesystem' AND fs.key = e.id::text
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
               'deploymentId', x.deployment_id, 'taskDefinitionArn', x.task_definition_arn,
               'imageTag', x.image_tag, 'status', x.status, 'reason', x.reason,
               'createdAt', x.created_at)
           ORDER BY x.created_at DESC) AS items
    FROM (SELECT * FROM deployments WHERE environment_id = e.id
          ORDER BY created_at DESC LIMIT 20) x
) d ON true
WHERE a.organisation_id = $1 AND a.name = $2 AND ($3::text IS NULL OR e.name = $3)
ORDER BY e.name
