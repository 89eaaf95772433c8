-- name: environment_record
SELECT e.id, e.application_id, o.slug AS organisation, a.name AS application, e.name,
       e.spec, e.generation, (e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL) AS deleting,
       e.finalizers
FROM environments e
JOIN applications a ON a.id = e.application_id
JOIN organisations o ON o.id = a.organisation_id
WHERE e.id = $1

-- name: status
SELECT observed_generation, conditions, outputs FROM statuses WHERE kind = $1 AND key = $2

-- name: network_scope_users
-- The other environments in a shared network scope: a shared security group or
-- namespace goes only when this is 0.
SELECT count(*) FROM statuses
WHERE kind = 'environment-network' AND outputs->>'scopeKey' = $1 AND key <> $2

-- name: write_status
-- Answers the outputs it replaced (NULL: none): the kinds that watch this one are woken
-- when what they read of them changed.
WITH previous AS (SELECT outputs FROM statuses WHERE kind = $1 AND key = $2)
INSERT INTO statuses (kind, key, observed_generation, conditions, outputs)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (kind, key) DO UPDATE SET
    observed_generation = EXCLUDED.observed_generation,
    conditions = EXCLUDED.conditions,
    outputs = EXCLUDED.outputs,
    updated_at = now()
RETURNING (SELECT outputs FROM previous) AS previous

-- name: wake
-- The kinds $1 of key $2 are due now (or run once more when leased): what they read
-- changed. Only existing rows: a kind that has released the key is not brought back.
-- Rows locked in (kind, key) order, as every multi-row queue statement takes them.
WITH due AS (
    SELECT kind, key FROM work_queue WHERE kind = ANY($1::text[]) AND key = $2
    ORDER BY kind, key
    FOR UPDATE
), woken AS (
    UPDATE work_queue w SET
        not_before = LEAST(w.not_before, now()),
        dirty = w.dirty OR w.leased_by IS NOT NULL,
        enqueued_at = CASE WHEN w.leased_by IS NULL AND w.not_before <= now()
                           THEN w.enqueued_at ELSE now() END
    FROM due WHERE w.kind = due.kind AND w.key = due.key
    RETURNING w.kind
)
SELECT pg_notify('berth_work', kind) FROM woken

-- name: wake_every_key
-- Every key of the kinds $1 is due now (or runs once more when leased): the shared kind
-- they all read changed. Existing rows only, locked in (kind, key) order, as `wake`.
WITH due AS (
    SELECT kind, key FROM work_queue WHERE kind = ANY($1::text[])
    ORDER BY kind, key
    FOR UPDATE
), woken AS (
    UPDATE work_queue w SET
        not_before = LEAST(w.not_before, now()),
        dirty = w.dirty OR w.leased_by IS NOT NULL,
        enqueued_at = CASE WHEN w.leased_by IS NULL AND w.not_before <= now()
                           THEN w.enqueued_at ELSE now() END
    FROM due WHERE w.kind = due.kind AND w.key = due.key
    RETURNING w.kind
)
SELECT pg_notify('berth_work', kind) FROM (SELECT DISTINCT kind FROM woken) notified

-- name: record_deployment
INSERT INTO deployments (environment_id, deployment_id, task_definition_arn, image_tag, status, reason)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (environment_id, deployment_id) DO UPDATE SET
    status = EXCLUDED.status,
    reason = EXCLUDED.reason,
    updated_at = now()
WHERE (deployments.status, deployments.reason) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.reason)
RETURNING (xmax = 0) AS inserted

-- name: record_event
INSERT INTO events (organisation_id, application_id, environment_id, kind, key, reason, message, warning)
SELECT a.organisation_id, a.id, e.id, $2, $3, $4, $5, $6
FROM (SELECT $1::uuid AS id) wanted
LEFT JOIN environments e ON e.id = wanted.id
LEFT JOIN applications a ON a.id = e.application_id

-- name: lock_environment_row
-- FOR UPDATE, not NO KEY UPDATE: the release may go on to delete the row.
SELECT 1 FROM environments WHERE id = $1 FOR UPDATE

-- name: release_environment
-- The calling kind ($2) holds nothing more for the environment: it stops being a
-- finalizer and its status goes. Only while the generation is the one the pass acted
-- on ($3), or the environment is being deleted: a spec written since may need the kind
-- again, and the write's queued pass will see it. Returns whether the environment's
-- rows can go now.
WITH env AS (
    UPDATE environments e SET finalizers = array_remove(e.finalizers, $2)
    FROM applications a
    WHERE e.id = $1 AND a.id = e.application_id
      AND (e.generation = $3 OR e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL)
    RETURNING e.finalizers = '{}' AND (e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL) AS gone
),
cleared AS (
    DELETE FROM statuses WHERE kind = $2 AND key = $1::text AND EXISTS (SELECT 1 FROM env)
)
SELECT gone FROM env

-- name: finalize_environment
-- The last environment of a deleted application takes the application with it.
WITH env AS (
    DELETE FROM environments WHERE id = $1 RETURNING application_id
),
app AS (
    DELETE FROM applications a USING env
    WHERE a.id = env.application_id AND a.deleted_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM environments o WHERE o.application_id = a.id AND o.id <> $1)
    RETURNING a.id, a.organisation_id
),
counted AS (
    UPDATE organisations o SET application_count = o.application_count - 1
    FROM app WHERE o.id = app.organisation_id
)
DELETE FROM statuses WHERE key = $1::text OR key IN (SELECT id::text FROM app)
