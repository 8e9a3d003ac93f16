-- The audit trail names users and patients by id without foreign keys (found by
-- `cargo xtask bench`, docs/performance.md finding 8).
--
-- A foreign-key check is `SELECT … FOR KEY SHARE` on the referenced row: every audited read
-- locked the patient's row (a write to its heap page) and the reader's account row. Concurrent
-- requests of one account, or reads of one patient, share-locked the same row, and PostgreSQL
-- records several lockers of a row as a MultiXact. Reading a patient cost two row locks, and a
-- search of 50 patients 100. Without them the same statements run 25-45 % faster in pgbench.
--
-- Nothing is lost: users and patients are never deleted (accounts and records are deactivated),
-- the ids come from the authenticated caller and from rows the same transaction has just read
-- or written, and an audit row is a record of the past that must outlive whatever it names.
ALTER TABLE audit_events
    DROP CONSTRAINT audit_events_actor_id_fkey,
    DROP CONSTRAINT audit_events_patient_id_fkey;
