-- GET /api/v1/patients/{id}, straight to PostgreSQL: every statement the API sends (the
-- pool's check of the connection, the transaction, the read, its audit row), for a random
-- generated patient. pgbench has no strings, so the id is made from :n in the SQL (the seed
-- gives generated patients such ids).
\set n random(1, :patients)
SELECT 1;
BEGIN;
SELECT "patients"."id", "patients"."mrn", "patients"."given_name", "patients"."family_name", "patients"."birth_date", "patients"."sex", "patients"."phone", "patients"."email", "patients"."address_line", "patients"."city", "patients"."postal_code", "patients"."country", "patients"."emergency_contact_name", "patients"."emergency_contact_relationship", "patients"."emergency_contact_phone", "patients"."preferred_language", "patients"."active", "patients"."version", "patients"."created_at", "patients"."updated_at" FROM "patients" WHERE ("patients"."id" = ('b0000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid) LIMIT 1;
INSERT INTO "audit_events" ("occurred_at", "patient_id", "actor_id", "actor_role", "action", "entity_type", "entity_id", "client_addr", "request_id", "outcome") VALUES (now(), ('b0000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid, '{{doctor}}', 'doctor', 'read', 'patient', DEFAULT, '127.0.0.1', 'pgbench', 'success');
COMMIT;
