-- name: environment_version
-- What an environment's ETag is made of (docs/api.md, "API hardening").
SELECT e.id, e.generation
FROM environments e
JOIN applications a ON a.id = e.application_id
WHERE a.organisation_id = $1 AND a.name = $2 AND e.name = $3

-- name: lock_environment_version
-- The same, locked for a conditional write in this transaction.
SELECT e.id, e.generation
FROM environments e
JOIN applications a ON a.id = e.application_id
WHERE a.organisation_id = $1 AND a.name = $2 AND e.name = $3
FOR NO KEY UPDATE OF e

-- name: application_version
-- An application's ETag: its row and its production environment's (the declarative
-- PUT writes both). A live application always has its production environment.
SELECT a.id, a.generation, p.generation AS production_generation
FROM applications a
JOIN environments p ON p.application_id = a.id AND p.name = 'production'
WHERE a.organisation_id = $1 AND a.name = $2

-- name: lock_application_version
-- The same, both rows locked (application first, as every application write takes them).
SELECT a.id, a.generation, p.generation AS production_generation
FROM applications a
JOIN environments p ON p.application_id = a.id AND p.name = 'production'
WHERE a.organisation_id = $1 AND a.name = $2
FOR NO KEY UPDATE OF a, p
