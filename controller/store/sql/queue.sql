-- name: enqueue
SELECT berth_enqueue($1, $2), pg_notify('berth_work', $1)

-- name: notify
SELECT pg_notify('berth_work', kind) FROM unnest($1::text[]) AS kind

-- name: ensure_queued
INSERT INTO work_queue (kind, key) VALUES ($1, $2) ON CONFLICT (kind, key) DO NOTHING

-- name: claim
-- Leases up to $2 due keys of kind $1 and returns, with each lease, what its pass
-- reads first: this kind's status row for the key and, when $5 (the kind's keys are
-- environment ids), the environment record — one round trip instead of three.
-- Those reads see the statement's snapshot, so they are handed over only for rows
-- unchanged since it (`fresh`): a write that committed after the snapshot but before
-- the row was locked moved the row on (its enqueue), and that pass reads for itself.
-- A write committing after the lock finds the key leased and marks it dirty. A
-- takeover (the last lease expired) reads for itself too: its predecessor's fenced
-- writes share-lock the row without changing it, so xmin cannot tell whether one
-- committed after the snapshot.
WITH due AS (
    SELECT kind, key, xmin AS locked_xmin, leased_by IS NOT NULL AS takeover FROM work_queue
    WHERE kind = $1 AND not_before <= now()
      AND (lease_expires IS NULL OR lease_expires < now())
    ORDER BY not_before
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE work_queue w SET
        leased_by = $3,
        lease_token = gen_random_uuid(),
        lease_expires = now() + make_interval(secs => $4),
        dirty = false
    FROM due
    WHERE w.kind = due.kind AND w.key = due.key
    RETURNING w.key, w.lease_token, w.attempts, w.enqueued_at, due.locked_xmin, due.takeover
)
SELECT c.key, c.lease_token, c.attempts, c.enqueued_at, now() AS claimed_at,
       seen.xmin = c.locked_xmin AND NOT c.takeover AS fresh,
       s.kind IS NOT NULL AS has_status, s.observed_generation, s.conditions, s.outputs,
       -- the environment's columns as `environment_record` names them
       e.id, e.application_id, o.slug AS organisation, a.name AS application, e.name, e.spec, e.generation,
       (e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL) AS deleting, e.finalizers
FROM claimed c
JOIN work_queue seen ON seen.kind = $1 AND seen.key = c.key
LEFT JOIN statuses s ON s.kind = $1 AND s.key = c.key
LEFT JOIN environments e ON $5 AND e.id = CASE
    WHEN c.key ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
    THEN c.key::uuid END
LEFT JOIN applications a ON a.id = e.application_id
LEFT JOIN organisations o ON o.id = a.organisation_id

-- name: renew_leases
-- Rows locked in (kind, key) order, as every multi-row queue write takes them: an API
-- write queueing several kinds of one environment cannot deadlock with a renewal.
WITH held AS (
    SELECT kind, key FROM work_queue
    WHERE lease_token = ANY($1::uuid[]) AND lease_expires > now()
    ORDER BY kind, key
    FOR UPDATE
)
UPDATE work_queue w SET lease_expires = now() + make_interval(secs => $2)
FROM held WHERE w.kind = held.kind AND w.key = held.key
RETURNING w.lease_token

-- name: finish
-- Ends a pass: the next one is due after $4 seconds, or at once if the key was
-- written meanwhile. Fenced by the lease token: a stale worker changes nothing.
UPDATE work_queue SET
    leased_by = NULL, lease_token = NULL, lease_expires = NULL,
    attempts = $5,
    last_error = $6,
    not_before = CASE WHEN dirty THEN now() ELSE now() + make_interval(secs => $4) END,
    enqueued_at = CASE WHEN dirty THEN enqueued_at ELSE now() + make_interval(secs => $4) END,
    dirty = false
WHERE kind = $1 AND key = $2 AND lease_token = $3
RETURNING not_before

-- name: lock_leased
-- Taken before deciding a leased key's fate, so that a concurrent enqueue is
-- either seen (dirty) or waits for the decision.
SELECT dirty FROM work_queue WHERE kind = $1 AND key = $2 AND lease_token = $3 FOR UPDATE

-- name: forget
DELETE FROM work_queue WHERE kind = $1 AND key = $2 AND lease_token = $3

-- name: release_leases
-- Shutdown: hand unfinished keys back, due at once, for any other worker.
WITH held AS (
    SELECT kind, key FROM work_queue WHERE lease_token = ANY($1::uuid[]) ORDER BY kind, key FOR UPDATE
)
UPDATE work_queue w SET
    leased_by = NULL, lease_token = NULL, lease_expires = NULL, not_before = now()
FROM held WHERE w.kind = held.kind AND w.key = held.key

-- name: hold_lease
-- Taken inside every observed-state write: blocks a takeover until the write commits.
SELECT 1 FROM work_queue
WHERE kind = $1 AND key = $2 AND lease_token = $3 AND lease_expires > now()
FOR SHARE

-- name: requeue_all
-- Every unleased key due now. A scheduled key's `enqueued_at` is its (future) due time,
-- so it becomes now too — else the queue time (claimed_at - enqueued_at) reads negative;
-- a key already due keeps the time it has waited since.
WITH idle AS (
    SELECT kind, key FROM work_queue WHERE leased_by IS NULL ORDER BY kind, key FOR UPDATE
)
UPDATE work_queue w SET not_before = now(), attempts = 0, enqueued_at = LEAST(w.enqueued_at, now())
FROM idle WHERE w.kind = idle.kind AND w.key = idle.key

-- name: finish_many
-- `finish` for many passes in one statement (one commit): the rows are locked in
-- key order first, so two such batches cannot deadlock each other.
WITH done AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::float8[], $5::int[], $6::text[])
        AS d(kind, key, token, delay, attempts, error)
), locked AS (
    SELECT w.kind, w.key FROM work_queue w JOIN done d
        ON w.kind = d.kind AND w.key = d.key AND w.lease_token = d.token
    ORDER BY w.kind, w.key
    FOR UPDATE OF w
)
UPDATE work_queue w SET
    leased_by = NULL, lease_token = NULL, lease_expires = NULL,
    attempts = d.attempts,
    last_error = d.error,
    not_before = CASE WHEN w.dirty THEN now() ELSE now() + make_interval(secs => d.delay) END,
    enqueued_at = CASE WHEN w.dirty THEN w.enqueued_at ELSE now() + make_interval(secs => d.delay) END,
    dirty = false
FROM done d, locked l
WHERE w.kind = l.kind AND w.key = l.key AND w.kind = d.kind AND w.key = d.key AND w.lease_token = d.token
RETURNING d.token AS lease_token
