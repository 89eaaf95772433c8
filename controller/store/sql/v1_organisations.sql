-- The v1 routes see an organisation when the caller's token ($1 = its SHA-256) belongs
-- to it or was granted it (organisation_grants); every v1 query repeats that test.

-- name: v1_organisations
SELECT o.id, coalesce(nullif(o.name, ''), o.slug) AS name, o.slug,
       (SELECT count(*) FROM projects p WHERE p.organisation_id = o.id) AS project_count,
       (SELECT count(*) FROM kube_applications a JOIN projects p ON p.id = a.project_id
        WHERE p.organisation_id = o.id AND a.deleted_at IS NULL) AS application_count
FROM organisations o
WHERE o.id IN (SELECT t.organisation_id FROM api_tokens t WHERE t.token_hash = $1
               UNION SELECT g.organisation_id FROM organisation_grants g
               JOIN api_tokens t ON t.id = g.token_id WHERE t.token_hash = $1)
  AND ($2::text IS NULL OR o.slug = $2)
ORDER BY o.slug

-- name: v1_create_organisation
-- The organisation and the caller's grant in one statement; a taken slug inserts
-- nothing and returns no row.
WITH o AS (
    INSERT INTO organisations (slug, name) VALUES ($2, $3)
    ON CONFLICT (slug) DO NOTHING
    RETURNING id, slug
),
granted AS (
    INSERT INTO organisation_grants (token_id, organisation_id)
    SELECT t.id, o.id FROM o, api_tokens t WHERE t.token_hash = $1
    RETURNING organisation_id
)
SELECT o.id, o.slug, (SELECT count(*) FROM granted) AS granted FROM o
