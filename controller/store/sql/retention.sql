-- name: prune_events
-- At most $2 events older than $1, oldest first: a bounded statement, so pruning a
-- large backlog never holds locks or a transaction open for long.
DELETE FROM events
WHERE id IN (SELECT id FROM events WHERE created_at < $1 ORDER BY created_at LIMIT $2)

-- name: prune_metric_samples
-- At most $2 metric samples taken before $1, oldest first.
DELETE FROM kube_metric_samples
WHERE (application_id, sampled_at, process) IN (
    SELECT application_id, sampled_at, process FROM kube_metric_samples
    WHERE sampled_at < $1 ORDER BY sampled_at LIMIT $2
)
