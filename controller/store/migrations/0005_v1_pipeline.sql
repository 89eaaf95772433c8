-- v1 pipeline: a GitHub delivery starts at most one full deploy per application.
-- GitHub redelivers a webhook it thinks was lost with the same X-GitHub-Delivery id;
-- the hook answers the pipeline it already started instead of building again.
ALTER TABLE pipelines ADD COLUMN github_delivery text;
CREATE UNIQUE INDEX pipelines_by_github_delivery ON pipelines (application_id, github_delivery)
    WHERE github_delivery IS NOT NULL;
