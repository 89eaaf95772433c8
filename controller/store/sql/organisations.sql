-- name: create_organisation
-- Creates the organisation, or changes the limit of an existing one when $2 is given.
INSERT INTO organisations (slug, application_limit) VALUES ($1, coalesce($2::integer, 10))
ON CONFLICT (slug) DO UPDATE SET application_limit = coalesce($2::integer, organisations.application_limit)
RETURNING id, slug, application_limit

-- name: organisation_by_slug
SELECT id, slug, application_limit, application_count FROM organisations WHERE slug = $1

-- name: create_token
INSERT INTO api_tokens (organisation_id, token_hash, name) VALUES ($1, $2, $3)
ON CONFLICT (token_hash) DO NOTHING

-- name: organisation_by_token
SELECT o.id, o.slug FROM api_tokens t JOIN organisations o ON o.id = t.organisation_id
WHERE t.token_hash = $1
