-- The v1 (Ancla) data model: desired state written by the /api/v1 routes, plus the
-- records the kube reconcilers write back (images built, releases, deployments,
-- pipelines, metric samples). docs/architecture.md "v1 (Ancla) data model" explains it.

-- Ancla shows an organisation's display name; existing rows take their slug.
ALTER TABLE organisations ADD COLUMN name text NOT NULL DEFAULT '';
UPDATE organisations SET name = slug WHERE name = '';

-- Which organisations a token may see besides its own (api_tokens.organisation_id):
-- a token that creates an organisation through POST /api/v1/organizations is granted it.
CREATE TABLE organisation_grants (
    token_id        bigint NOT NULL REFERENCES api_tokens ON DELETE CASCADE,
    organisation_id bigint NOT NULL REFERENCES organisations ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, organisation_id)
);
CREATE INDEX organisation_grants_by_organisation ON organisation_grants (organisation_id);

-- A project groups applications; Kubernetes namespace per organisation + project.
CREATE TABLE projects (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id bigint NOT NULL REFERENCES organisations ON DELETE CASCADE,
    slug            text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, slug)
);

-- Desired state of a v1 application (queue kind `kube-application`, key = id).
-- The API writes settings, process_counts/process_pod_classes and bumps `generation`
-- on every change of what runs. `image_counter` / `release_counter` number images and
-- releases per application: the insert takes the next number with
-- `UPDATE kube_applications SET image_counter = image_counter + 1 ... RETURNING` in the
-- same statement, so the row lock makes numbering race-free.
-- deployment_timeout is seconds (Ancla's default 180); health_check_* feed the probes.
CREATE TABLE kube_applications (
    id                           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id                   uuid NOT NULL REFERENCES projects ON DELETE CASCADE,
    slug                         text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                         text NOT NULL,
    github_repository            text,
    github_repository_is_private boolean NOT NULL DEFAULT false,
    auto_deploy_branch           text,
    subdirectory                 text,
    github_app_installation_id   bigint,
    github_environment_name      text,
    deployment_timeout           integer NOT NULL DEFAULT 180 CHECK (deployment_timeout > 0),
    health_check_path            text NOT NULL DEFAULT '/_health/',
    health_check_host            text,
    privileged                   boolean NOT NULL DEFAULT false,
    process_counts               jsonb NOT NULL DEFAULT '{}',   -- {"web": 2, "worker": 1}
    process_pod_classes          jsonb NOT NULL DEFAULT '{}',   -- {"web": "small"}; schemas/v1/pod_classes.py
    generation                   bigint NOT NULL DEFAULT 1,
    image_counter                integer NOT NULL DEFAULT 0,
    release_counter              integer NOT NULL DEFAULT 0,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    deleted_at                   timestamptz,
    UNIQUE (project_id, slug)
);
CREATE INDEX kube_applications_by_repository ON kube_applications (github_repository)
    WHERE github_repository IS NOT NULL AND deleted_at IS NULL;

-- Environment variables and secrets of an application. A non-secret value is plain
-- text in `value` (Ancla shows it); a secret's value is only ever stored as a Fernet
-- token in `sealed_value` (key BERTH_SECRETS_KEY; controller/store/v1/sealing.py),
-- with `value` empty. buildtime: also passed to the image build.
CREATE TABLE configurations (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL REFERENCES kube_applications ON DELETE CASCADE,
    name           text NOT NULL,
    value          text NOT NULL DEFAULT '',
    sealed_value   text,
    secret         boolean NOT NULL DEFAULT false,
    buildtime      boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, name),
    CHECK (CASE WHEN secret THEN sealed_value IS NOT NULL AND value = '' ELSE sealed_value IS NULL END)
);

-- An image build (queue kind `kube-build`, key = id). The API inserts it (built and
-- error false = pending); the build reconciler runs the Job (job_id), then sets
-- built or error (+ error_detail), image_id (the pushed image reference), processes
-- (from the Procfile: {"web": "gunicorn ...", ...}), build_log, finished_at.
CREATE TABLE images (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id  uuid NOT NULL REFERENCES kube_applications ON DELETE CASCADE,
    version         integer NOT NULL,
    repository_name text NOT NULL DEFAULT '',
    build_slug      text,
    build_ref       text,             -- branch or ref built
    commit_sha      text,
    dockerfile      text,
    procfile        text,
    processes       jsonb,
    image_metadata  jsonb,
    image_id        text,             -- the built image reference (registry/repo:tag or @digest)
    built           boolean NOT NULL DEFAULT false,
    error           boolean NOT NULL DEFAULT false,
    error_detail    text,
    build_log       text NOT NULL DEFAULT '',
    job_id          text,
    started_at      timestamptz,
    finished_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, version),
    CHECK (NOT (built AND error))
);

-- A release: an immutable numbered snapshot of an image + the configuration at the
-- time. `configuration` is {"NAME": {"value": str, "secret": bool, "buildtime": bool,
-- "sealed_value": str|null}} — a secret's value only as its Fernet token in
-- sealed_value, exactly like the configurations table. process_counts /
-- process_pod_classes / processes / health check are the snapshot taken at creation
-- (history; the kube-application reconciler scales from kube_applications' live
-- process_counts so a scale needs no release). Only built/error/error_detail/
-- release_log/release_metadata/updated_at may change afterwards (trigger below).
CREATE TABLE releases (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id        uuid NOT NULL REFERENCES kube_applications ON DELETE CASCADE,
    version               integer NOT NULL,
    image_id              uuid NOT NULL REFERENCES images ON DELETE RESTRICT,
    repository_name       text NOT NULL DEFAULT '',
    commit_sha            text,
    dockerfile            text,
    configuration         jsonb NOT NULL DEFAULT '{}',
    image_changes         jsonb NOT NULL DEFAULT '{}',
    configuration_changes jsonb NOT NULL DEFAULT '{}',
    process_counts        jsonb NOT NULL DEFAULT '{}',
    process_pod_classes   jsonb NOT NULL DEFAULT '{}',
    processes             jsonb,
    health_check_path     text NOT NULL DEFAULT '/_health/',
    health_check_host     text,
    deployment_timeout    integer NOT NULL DEFAULT 180,
    release_metadata      jsonb,
    built                 boolean NOT NULL DEFAULT false,
    error                 boolean NOT NULL DEFAULT false,
    error_detail          text,
    release_log           text NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, version),
    CHECK (NOT (built AND error))
);

CREATE FUNCTION berth_release_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.application_id, NEW.version, NEW.image_id, NEW.configuration, NEW.process_counts,
        NEW.process_pod_classes, NEW.processes, NEW.health_check_path, NEW.health_check_host,
        NEW.deployment_timeout, NEW.created_at)
       IS DISTINCT FROM
       (OLD.application_id, OLD.version, OLD.image_id, OLD.configuration, OLD.process_counts,
        OLD.process_pod_classes, OLD.processes, OLD.health_check_path, OLD.health_check_host,
        OLD.deployment_timeout, OLD.created_at) THEN
        RAISE EXCEPTION 'a release is immutable once created' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER releases_immutable BEFORE UPDATE ON releases
    FOR EACH ROW EXECUTE FUNCTION berth_release_immutable();

-- A deployment of a release (the API inserts it and queues `kube-application` for
-- the application). The kube-application reconciler rolls the newest deployment out
-- and follows it: complete, or error with error_detail (e.g. deployment_timeout
-- passed) — then the newest complete deployment's release keeps serving.
CREATE TABLE kube_deployments (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id  uuid NOT NULL REFERENCES kube_applications ON DELETE CASCADE,
    release_id      uuid NOT NULL REFERENCES releases ON DELETE RESTRICT,
    complete        boolean NOT NULL DEFAULT false,
    error           boolean NOT NULL DEFAULT false,
    error_detail    text,
    deploy_metadata jsonb,
    deploy_log      text NOT NULL DEFAULT '',
    job_id          text,
    started_at      timestamptz,
    finished_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT (complete AND error))
);
CREATE INDEX kube_deployments_by_application ON kube_deployments (application_id, created_at DESC);

-- A full deploy (build → release → deploy), queue kind `kube-pipeline`, key = id.
-- Each stage: status pending|running|succeeded|failed|skipped plus its timestamps;
-- the stage's row id is filled in when it is created. pipeline-status and
-- pipeline-metrics read this table.
CREATE TABLE pipelines (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id     uuid NOT NULL REFERENCES kube_applications ON DELETE CASCADE,
    trigger            text NOT NULL CHECK (trigger IN ('api', 'github')),
    commit_sha         text,
    branch             text,
    image_id           uuid REFERENCES images ON DELETE SET NULL,
    release_id         uuid REFERENCES releases ON DELETE SET NULL,
    deployment_id      uuid REFERENCES kube_deployments ON DELETE SET NULL,
    build_status       text NOT NULL DEFAULT 'pending'
        CHECK (build_status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    build_started_at   timestamptz,
    build_finished_at  timestamptz,
    release_status     text NOT NULL DEFAULT 'pending'
        CHECK (release_status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    release_started_at timestamptz,
    release_finished_at timestamptz,
    deploy_status      text NOT NULL DEFAULT 'pending'
        CHECK (deploy_status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    deploy_started_at  timestamptz,
    deploy_finished_at timestamptz,
    error_detail       text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz
);
CREATE INDEX pipelines_by_application ON pipelines (application_id, created_at DESC);

-- Samples written by the `kube-metrics` reconciler: one row per application process
-- per sampling pass; GET …/observability reads them by time range.
CREATE TABLE kube_metric_samples (
    application_id     uuid NOT NULL REFERENCES kube_applications ON DELETE CASCADE,
    process            text NOT NULL,
    sampled_at         timestamptz NOT NULL,
    cpu_usage_m        double precision NOT NULL DEFAULT 0,
    memory_usage_bytes bigint NOT NULL DEFAULT 0,
    pod_count          integer NOT NULL DEFAULT 0,
    restart_count      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (application_id, sampled_at, process)
);
