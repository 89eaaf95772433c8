-- Organisations own applications and API tokens; a token sees only its organisation.
CREATE TABLE organisations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    application_limit integer NOT NULL DEFAULT 10 CHECK (application_limit >= 0),
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a token is kept; tokens are 256-bit random, so a plain hash suffices.
CREATE TABLE api_tokens (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations ON DELETE CASCADE,
    token_hash      bytea NOT NULL UNIQUE,
    name            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Desired state. `spec` and `generation` are all the API writes; a delete sets
-- `deleted_at` and the row stays until the reconcilers have torn everything down.
CREATE TABLE applications (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id bigint NOT NULL REFERENCES organisations ON DELETE CASCADE,
    name            text NOT NULL,
    spec            jsonb NOT NULL,
    generation      bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    UNIQUE (organisation_id, name)
);

CREATE TABLE environments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL REFERENCES applications ON DELETE CASCADE,
    name           text NOT NULL,
    spec           jsonb NOT NULL,
    generation     bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    UNIQUE (application_id, name)
);

-- Observed state, one row per reconciled object (kind, key), written only by reconcilers.
CREATE TABLE statuses (
    kind                text NOT NULL,
    key                 text NOT NULL,
    observed_generation bigint NOT NULL DEFAULT 0,
    conditions          jsonb NOT NULL DEFAULT '[]',
    outputs             jsonb NOT NULL DEFAULT '{}',
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, key)
);

CREATE TABLE deployments (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    environment_id      uuid NOT NULL REFERENCES environments ON DELETE CASCADE,
    deployment_id       text NOT NULL,
    task_definition_arn text NOT NULL,
    image_tag           text NOT NULL DEFAULT '',
    status              text NOT NULL,
    reason              text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (environment_id, deployment_id)
);
CREATE INDEX deployments_by_environment ON deployments (environment_id, created_at DESC);

CREATE TABLE events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint REFERENCES organisations ON DELETE CASCADE,
    application_id  uuid,
    environment_id  uuid,
    kind            text NOT NULL,
    key             text NOT NULL,
    reason          text NOT NULL,
    message         text NOT NULL,
    warning         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_by_application ON events (application_id, id DESC);

-- The work queue: one row per (kind, key) for as long as the object exists, so the
-- row also carries the periodic resync. `dirty` marks a key written while leased.
CREATE TABLE work_queue (
    kind          text NOT NULL,
    key           text NOT NULL,
    not_before    timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    dirty         boolean NOT NULL DEFAULT false,
    enqueued_at   timestamptz NOT NULL DEFAULT now(),
    leased_by     text,
    lease_token   uuid,
    lease_expires timestamptz,
    last_error    text,
    PRIMARY KEY (kind, key)
);
CREATE INDEX work_queue_due ON work_queue (kind, not_before);

-- The organisation's live application count: the create statement raises it while
-- holding the row (so the limit holds under concurrency), the final removal lowers it.
ALTER TABLE organisations ADD COLUMN application_count integer NOT NULL DEFAULT 0;

-- Enqueue a key from any statement: the API's writes put desired state and the
-- queue row in one statement, hence one transaction. It does not NOTIFY: a NOTIFY
-- takes a server-wide lock through its transaction's commit, so writers send one
-- coalesced NOTIFY per kind after committing (see controller/store/notify.py);
-- the workers' polling covers a notification lost to a crash in between.
CREATE FUNCTION berth_enqueue(p_kind text, p_key text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO work_queue AS w (kind, key) VALUES (p_kind, p_key)
    ON CONFLICT (kind, key) DO UPDATE SET
        not_before = now(),
        attempts = 0,
        dirty = w.leased_by IS NOT NULL,
        enqueued_at = CASE WHEN w.leased_by IS NULL AND w.not_before <= now()
                           THEN w.enqueued_at ELSE now() END;
$$;
