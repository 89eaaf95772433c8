-- name: reconcile_application
-- An immediate pass of every kind that may act on each environment of the application
-- (its finalizers), queued in this one statement; the caller pokes the notifier.
-- No row: no such application in the organisation.
WITH app AS (
    SELECT id FROM applications WHERE organisation_id = $1 AND name = $2
),
envs AS (
    SELECT e.id, e.name, kind
    FROM app JOIN environments e ON e.application_id = app.id, unnest(e.finalizers) AS kind
),
queued AS (
    SELECT berth_enqueue(kind, id::text), kind, name FROM envs ORDER BY kind, id::text
)
SELECT app.id, coalesce((SELECT array_agg(kind || '/' || name ORDER BY name, kind) FROM queued), '{}') AS queued
FROM app

-- name: set_drift_policy
-- Every live environment of the application gets the policy ($3; NULL: the default,
-- `correct`, stored as no field at all); the generation moves where the spec changed,
-- and those environments' kinds are queued so the next pass works by it.
WITH app AS (
    SELECT id, deleted_at IS NOT NULL AS deleting FROM applications WHERE organisation_id = $1 AND name = $2
),
wanted AS (
    SELECT e.id, e.name, e.finalizers,
           CASE WHEN $3::text IS NULL THEN e.spec - 'driftPolicy'
                ELSE jsonb_set(e.spec, '{driftPolicy}', to_jsonb($3::text)) END AS spec
    FROM app JOIN environments e ON e.application_id = app.id
    WHERE NOT app.deleting AND e.deleted_at IS NULL
),
changed AS (
    UPDATE environments e SET spec = wanted.spec, generation = e.generation + 1, updated_at = now()
    FROM wanted WHERE e.id = wanted.id AND e.spec IS DISTINCT FROM wanted.spec
    RETURNING e.id, e.finalizers
),
queued AS (
    SELECT berth_enqueue(kind, changed.id::text) FROM changed, unnest(changed.finalizers) AS kind
    ORDER BY kind, changed.id::text
)
SELECT app.deleting,
       coalesce((SELECT array_agg(name ORDER BY name) FROM wanted), '{}') AS environments,
       (SELECT count(*) FROM queued) AS queued
FROM app

-- name: drift_policy
-- The policy of the application's production environment (all its environments share it).
SELECT e.spec->>'driftPolicy' AS policy
FROM applications a JOIN environments e ON e.application_id = a.id
WHERE a.organisation_id = $1 AND a.name = $2 AND e.name = 'production'
