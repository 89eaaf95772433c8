-- Idempotency-Key records (API hardening, docs/api.md): one row per (organisation, key).
-- `claim` names the request that holds the key while it runs (in flight until
-- `completed`); a holder that died lets a retry take the key over once `lease_expires`
-- passes. A completed row keeps the response (status, headers, body) to replay until
-- `expires_at` (24 h); expired rows are purged lazily by the API. The responses kept
-- are those of create/deploy routes, which answer no secret value (see docs/api.md).
CREATE TABLE idempotency_keys (
    organisation_id bigint NOT NULL REFERENCES organisations ON DELETE CASCADE,
    key             text NOT NULL,
    fingerprint     bytea NOT NULL,
    claim           uuid NOT NULL,
    completed       boolean NOT NULL DEFAULT false,
    lease_expires   timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    status          integer,
    headers         jsonb,
    body            bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
