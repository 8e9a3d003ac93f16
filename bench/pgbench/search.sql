-- GET /api/v1/patients?q=..., straight to PostgreSQL: every statement the API sends (pool
-- check, transaction, the name-search tiers the request reaches — search-family.sql,
-- search-given.sql, search-similar.sql — one audit row per patient returned). The tiers and the
-- audit rows are filled in per request by the benchmark, which runs the tiers first to know
-- how many each returns, as the API does (the audit rows name the patients this search returns).
SELECT 1;
BEGIN;
{{tiers}}
INSERT INTO "audit_events" ("occurred_at", "patient_id", "actor_id", "actor_role", "action", "entity_type", "entity_id", "client_addr", "request_id", "outcome") VALUES {{audit_values}};
COMMIT;
