-- Every write of a configuration bumps its application's generation and queues
-- `kube-application` in the same statement. Secret values arrive sealed ($n sealed_value).

-- name: v1_visible_application
SELECT a.id FROM kube_applications a JOIN projects p ON p.id = a.project_id
WHERE a.id = $2 AND a.deleted_at IS NULL
  AND p.organisation_id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $1
                            UNION SELECT g.organisation_id FROM organisation_grants g
                            JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $1)

-- name: v1_configurations
-- $2 the application (already found visible); $3 one configuration, or null for all.
SELECT id, name, value, secret, buildtime, created_at, updated_at
FROM configurations
WHERE application_id = $1 AND ($2::uuid IS NULL OR id = $2)
ORDER BY name

-- name: v1_lock_configuration
SELECT c.id, c.secret, c.buildtime FROM configurations c
WHERE c.application_id = $1 AND c.id = $2
FOR UPDATE

-- name: v1_insert_configurations
-- Names already present are left alone (and not returned); the generation moves
-- when something was inserted. $2..$4: names, plain values, sealed values (arrays).
WITH c AS (
    INSERT INTO configurations (application_id, name, value, sealed_value, secret, buildtime)
    SELECT $1, x.name, x.value, x.sealed, $5, $6
    FROM unnest($2::text[], $3::text[], $4::text[]) AS x(name, value, sealed)
    ON CONFLICT (application_id, name) DO NOTHING
    RETURNING id, name, value, secret, buildtime, created_at, updated_at
),
bumped AS (
    UPDATE kube_applications SET generation = generation + 1, updated_at = now()
    WHERE id = $1 AND EXISTS (SELECT 1 FROM c)
    RETURNING id
),
queued AS (SELECT berth_enqueue('kube-application', bumped.id::text) FROM bumped)
SELECT c.*, (SELECT count(*) FROM queued) AS queued FROM c

-- name: v1_update_configuration
WITH c AS (
    UPDATE configurations SET value = $3, sealed_value = $4, secret = $5, buildtime = $6, updated_at = now()
    WHERE application_id = $1 AND id = $2
    RETURNING id, name, value, secret, buildtime, created_at, updated_at
),
bumped AS (
    UPDATE kube_applications SET generation = generation + 1, updated_at = now()
    WHERE id = $1 AND EXISTS (SELECT 1 FROM c)
    RETURNING id
),
queued AS (SELECT berth_enqueue('kube-application', bumped.id::text) FROM bumped)
SELECT c.*, (SELECT count(*) FROM queued) AS queued FROM c

-- name: v1_delete_configuration
WITH c AS (
    DELETE FROM configurations WHERE application_id = $1 AND id = $2 RETURNING id
),
bumped AS (
    UPDATE kube_applications SET generation = generation + 1, updated_at = now()
    WHERE id = $1 AND EXISTS (SELECT 1 FROM c)
    RETURNING id
),
queued AS (SELECT berth_enqueue('kube-application', bumped.id::text) FROM bumped)
SELECT c.id, (SELECT count(*) FROM queued) AS queued FROM c
