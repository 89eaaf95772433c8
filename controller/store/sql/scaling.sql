-- name: scaling_policies
-- An environment's stored scaling policies, with the outputs of its autoscaling
-- reconciler ($4: its kind) when it has written any. No row: no such environment
-- in this organisation's application.
SELECT coalesce(e.spec -> 'scalingPolicies', '[]'::jsonb) AS policies, s.outputs
FROM applications a
JOIN environments e ON e.application_id = a.id
LEFT JOIN statuses s ON s.kind = $4 AND s.key = e.id::text
WHERE a.organisation_id = $1 AND a.name = $2 AND e.name = $3
