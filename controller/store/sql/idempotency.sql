-- name: claim_idempotency_key
-- Take the key for this request ($4, the claim), or find it taken. A free key is
-- inserted; a taken one is taken over only when its record expired, or when its holder
-- died in flight (lease passed) and the request is the same one ($3, the fingerprint).
-- No row returned: the key is held or answered; read it with idempotency_record.
INSERT INTO idempotency_keys AS k (organisation_id, key, fingerprint, claim, lease_expires, expires_at)
VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), now() + make_interval(secs => $6))
ON CONFLICT (organisation_id, key) DO UPDATE SET
    fingerprint = EXCLUDED.fingerprint, claim = EXCLUDED.claim, completed = false,
    lease_expires = EXCLUDED.lease_expires, expires_at = EXCLUDED.expires_at,
    status = NULL, headers = NULL, body = NULL, created_at = now()
WHERE k.expires_at <= now()
   OR (NOT k.completed AND k.lease_expires <= now() AND k.fingerprint = EXCLUDED.fingerprint)
RETURNING k.claim

-- name: idempotency_record
SELECT fingerprint, completed, status, headers, body, expires_at <= now() AS expired
FROM idempotency_keys WHERE organisation_id = $1 AND key = $2

-- name: complete_idempotency_key
-- Only the holder's claim completes it: a holder whose lease passed and whose key was
-- taken over writes nothing.
UPDATE idempotency_keys SET completed = true, status = $4, headers = $5, body = $6
WHERE organisation_id = $1 AND key = $2 AND claim = $3 AND NOT completed

-- name: release_idempotency_key
-- The request failed (or was refused) without an answer worth keeping: the key is free.
DELETE FROM idempotency_keys WHERE organisation_id = $1 AND key = $2 AND claim = $3 AND NOT completed

-- name: purge_idempotency_keys
-- A bounded batch of expired records, so a purge never holds the API up for long.
DELETE FROM idempotency_keys
WHERE (organisation_id, key) IN (
    SELECT organisation_id, key FROM idempotency_keys WHERE expires_at <= now() LIMIT $1
)
