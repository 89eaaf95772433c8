-- name: v1_projects
-- $2/$3: an organisation and project slug to narrow to, or null.
SELECT p.id, p.name, p.slug, o.id AS organisation_id, o.slug AS organisation_slug,
       coalesce(nullif(o.name, ''), o.slug) AS organisation_name,
       (SELECT count(*) FROM kube_applications a WHERE a.project_id = p.id AND a.deleted_at IS NULL)
           AS application_count,
       p.created_at, p.updated_at
FROM projects p JOIN organisations o ON o.id = p.organisation_id
WHERE o.id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $1
               UNION SELECT g.organisation_id FROM organisation_grants g
               JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $1)
  AND ($2::text IS NULL OR o.slug = $2)
  AND ($3::text IS NULL OR p.slug = $3)
  AND ($4::uuid IS NULL OR p.id = $4)
ORDER BY o.slug, p.slug

-- name: v1_create_project
-- $2 names the organisation by id or slug. `organisation_found` 0: not one the caller
-- sees; `id` null with the organisation found: the slug is taken there.
WITH o AS (
    SELECT id FROM organisations
    WHERE (id::text = $2 OR slug = $2)
      AND id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $1
                 UNION SELECT g.organisation_id FROM organisation_grants g
                 JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $1)
    LIMIT 1
),
p AS (
    INSERT INTO projects (organisation_id, slug, name) SELECT o.id, $3, $4 FROM o
    ON CONFLICT (organisation_id, slug) DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM o) AS organisation_found, (SELECT id FROM p) AS id
