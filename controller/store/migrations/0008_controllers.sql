-- The live controller processes, so that processes sharing an AWS account share its
-- request limits: each one upserts its row every few seconds (controller/heartbeat.py)
-- and takes 1 / (the rows refreshed within the last three beats) of the limits. A
-- process that stops deletes its row; one that dies is ignored once its row is stale.
CREATE TABLE controllers (
    name      text PRIMARY KEY,
    last_seen timestamptz NOT NULL DEFAULT now()
);
