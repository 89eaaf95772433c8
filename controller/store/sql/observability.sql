-- name: observed_environment
-- One environment of the organisation's application, with what its workload
-- reconciler last observed (NULL outputs until it has run). Environments being
-- deleted are still found: their logs stay readable until the teardown ends.
SELECT e.id, e.spec, s.outputs
FROM applications a
JOIN environments e ON e.application_id = a.id
LEFT JOIN statuses s ON s.kind = $4 AND s.key = e.id::text
WHERE a.organisation_id = $1 AND a.name = $2 AND e.name = $3
