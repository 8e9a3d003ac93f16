-- Expired idempotency keys are deleted by a periodic job (idempotency::spawn_cleanup) instead of
-- by every keyed write, so the job needs the keys by age across all accounts. The per-account
-- age index also tempted the planner away from the primary key for lookups (4 ms instead of
-- 0.02 ms at 100k patients, docs/performance.md finding 9).
DROP INDEX idempotency_keys_expiry_idx;
CREATE INDEX idempotency_keys_age_idx ON idempotency_keys (created_at);
