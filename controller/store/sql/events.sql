-- name: application_id
-- An application of the organisation, live or being deleted: its events stay readable
-- while its teardown runs.
SELECT id FROM applications WHERE organisation_id = $1 AND name = $2

-- name: list_events
-- Newest first, below the cursor ($7: events with a smaller id), with the filters the
-- API takes; application and environment names come from their rows while they exist.
-- $2: an application's id, or NULL for the whole organisation.
SELECT ev.id, ev.created_at, ev.kind, ev.key, ev.reason, ev.message, ev.warning,
       ev.application_id, ev.environment_id, a.name AS application, e.name AS environment
FROM events ev
LEFT JOIN applications a ON a.id = ev.application_id
LEFT JOIN environments e ON e.id = ev.environment_id
WHERE ev.organisation_id = $1
  AND ($2::uuid IS NULL OR ev.application_id = $2)
  AND ($3::text IS NULL OR e.name = $3)
  AND ($4::text[] IS NULL OR ev.reason = ANY($4))
  AND ($5::boolean IS NULL OR ev.warning = $5)
  AND ($6::timestamptz IS NULL OR ev.created_at >= $6)
  AND ($7::bigint IS NULL OR ev.id < $7)
ORDER BY ev.id DESC
LIMIT $8

-- name: events_after
-- Oldest first from a cursor: a stream's catch-up after Last-Event-ID.
SELECT ev.id, ev.created_at, ev.kind, ev.key, ev.reason, ev.message, ev.warning,
       ev.application_id, ev.environment_id, a.name AS application, e.name AS environment,
       ev.organisation_id
FROM events ev
LEFT JOIN applications a ON a.id = ev.application_id
LEFT JOIN environments e ON e.id = ev.environment_id
WHERE ev.organisation_id = $1
  AND ($2::uuid IS NULL OR ev.application_id = $2)
  AND ev.id > $3
ORDER BY ev.id
LIMIT $4

-- name: feed_events
-- The event feed's poll: every organisation's events above its floor, oldest first.
SELECT ev.id, ev.created_at, ev.kind, ev.key, ev.reason, ev.message, ev.warning,
       ev.application_id, ev.environment_id, a.name AS application, e.name AS environment,
       ev.organisation_id
FROM events ev
LEFT JOIN applications a ON a.id = ev.application_id
LEFT JOIN environments e ON e.id = ev.environment_id
WHERE ev.id > $1
ORDER BY ev.id
LIMIT $2

-- name: last_event_id
SELECT coalesce(max(id), 0) FROM events
