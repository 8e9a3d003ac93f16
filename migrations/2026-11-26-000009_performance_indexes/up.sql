-- Indexes found missing by `cargo xtask bench` (docs/performance.md).

-- Stock levels count each row's dispensing of the last 30 days from the movements themselves
-- (index-only, a few entries per row) instead of walking years of ledger lines.
CREATE INDEX stock_movements_dispensed_idx
    ON stock_movements (item_id, from_location_id, performed_at) INCLUDE (quantity)
    WHERE kind = 'dispense';

-- Every keyed write deletes the caller's expired idempotency keys; without this the delete
-- scanned the whole table on each write.
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (user_id, created_at);
