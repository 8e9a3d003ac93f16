DROP TABLE idempotency_keys;
DROP TABLE appointment_status_changes;
DROP TABLE appointments;
DROP TABLE availability_exceptions;
DROP TABLE availability_rules;
DROP TABLE practitioners;
DROP TABLE departments;
DROP EXTENSION IF EXISTS btree_gist;
