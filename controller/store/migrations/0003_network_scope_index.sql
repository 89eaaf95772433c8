-- network_scope_users counts the environments in a shared network scope on every
-- teardown and scope move; without this it scans every status row.
CREATE INDEX statuses_network_scope ON statuses ((outputs->>'scopeKey')) WHERE kind = 'environment-network';
