-- The reconciler kinds that may hold cloud resources for an environment, as
-- Kubernetes finalizers: each kind removes itself once it has torn down what it made,
-- and a deleted environment's rows go when the list is empty. API writes add the
-- kinds the new spec needs and queue every kind listed.
ALTER TABLE environments ADD COLUMN finalizers text[] NOT NULL DEFAULT '{}';
UPDATE environments SET finalizers = '{ecs-environment}';
