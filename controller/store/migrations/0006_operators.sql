-- The organisation-wide event list and stream read newest first by organisation;
-- the application's list already has events_by_application.
CREATE INDEX events_by_organisation ON events (organisation_id, id DESC);
