-- name: apply_application
-- The declarative create-or-replace, in one statement (so one transaction).
-- $1 organisation, $2 name, $3 the application's spec (the request as posted),
-- $4 the production environment's whole spec (used when creating), $5 its fields the
-- application body owns, $6 the names of every such field (those absent from $5 are
-- removed), $7 the kinds the new spec needs.
-- No application: created exactly as create_application does (the organisation's
-- row is locked to hold the limit). A live one: its spec and the production
-- environment's owned fields are replaced, the other fields (run state, restarts,
-- image tag, scaling policies) kept; each row is written, its generation raised and
-- its reconciles queued only when it differs, so repeating a write changes nothing.
-- One being deleted: nothing is written. Two creates of one new name race to a unique
-- violation, which undoes the loser's whole statement; the caller runs it again.
WITH existing AS (
    SELECT id, deleted_at IS NOT NULL AS deleting
    FROM applications WHERE organisation_id = $1 AND name = $2
    FOR NO KEY UPDATE
),
org AS (
    UPDATE organisations SET application_count = application_count + 1
    WHERE id = $1 AND application_count < application_limit AND NOT EXISTS (SELECT 1 FROM existing)
    RETURNING id
),
created AS (
    INSERT INTO applications (organisation_id, name, spec)
    SELECT id, $2, $3 FROM org
    RETURNING id
),
created_env AS (
    INSERT INTO environments (application_id, name, spec, finalizers)
    SELECT id, 'production', $4, $7 FROM created
    RETURNING id, finalizers
),
app AS (
    UPDATE applications a SET spec = $3, generation = a.generation + 1, updated_at = now()
    FROM existing
    WHERE a.id = existing.id AND NOT existing.deleting AND a.spec IS DISTINCT FROM $3::jsonb
    RETURNING a.id
),
env AS (
    UPDATE environments e
    SET spec = (e.spec - $6::text[]) || $5::jsonb, generation = e.generation + 1, updated_at = now(),
        finalizers = e.finalizers || ARRAY(SELECT k FROM unnest($7::text[]) k WHERE k <> ALL (e.finalizers))
    FROM existing
    WHERE e.application_id = existing.id AND e.name = 'production' AND NOT existing.deleting
      AND e.spec IS DISTINCT FROM (e.spec - $6::text[]) || $5::jsonb
    RETURNING e.id, e.finalizers
),
queued AS (
    SELECT berth_enqueue(kind, written.id::text)
    FROM (SELECT id, finalizers FROM created_env UNION ALL SELECT id, finalizers FROM env) written,
         unnest(written.finalizers) AS kind
    ORDER BY kind, written.id::text
)
SELECT (SELECT id FROM created) AS created_id,
       (SELECT deleting FROM existing) AS deleting,
       EXISTS (SELECT 1 FROM app) AS application_changed,
       EXISTS (SELECT 1 FROM env) AS environment_changed,
       (SELECT count(*) FROM queued) AS queued

-- name: application_desired
-- What a dry run compares against: the application's stored desired state.
SELECT a.spec, a.generation, a.deleted_at IS NOT NULL AS deleting,
       p.spec AS production_spec, p.generation AS production_generation
FROM applications a
JOIN environments p ON p.application_id = a.id AND p.name = 'production'
WHERE a.organisation_id = $1 AND a.name = $2
