DROP INDEX idempotency_keys_age_idx;
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (user_id, created_at);
