-- Housekeeping deletes by age (controller/housekeeping.py); without these, every
-- pass would scan the whole table to find that nothing is old enough yet.
CREATE INDEX events_by_time ON events (created_at);
CREATE INDEX kube_metric_samples_by_time ON kube_metric_samples (sampled_at);
