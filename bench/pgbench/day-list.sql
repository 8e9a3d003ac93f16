-- GET /api/v1/appointments?department_id=...&date=..., straight to PostgreSQL: every statement
-- the API sends (pool check, transaction, the page, one audit row per patient on it).
SELECT 1;
BEGIN;
SELECT a.id, a.patient_id, p.given_name || ' ' || p.family_name AS patient_name, p.mrn AS patient_mrn, a.practitioner_id, u.display_name AS practitioner_name, a.department_id, a.starts_at, a.ends_at, a.status, a.reason, a.cancel_reason, a.booked_by, a.version, a.created_at, a.updated_at FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN practitioners pr ON pr.id = a.practitioner_id JOIN users u ON u.id = pr.user_id WHERE ('{{date}}'::date IS NULL OR a.starts_at >= ('{{date}}'::date)::timestamp AT TIME ZONE '{{tz}}') AND ('{{date}}'::date IS NULL OR a.starts_at < ('{{date}}'::date + 1)::timestamp AT TIME ZONE '{{tz}}') AND (NULL::uuid IS NULL OR a.practitioner_id = NULL) AND ('{{department_id}}'::uuid IS NULL OR a.department_id = '{{department_id}}') AND (NULL::uuid IS NULL OR a.patient_id = NULL) AND (NULL::text IS NULL OR a.status = NULL) AND (NULL::timestamptz IS NULL OR (a.starts_at, a.id) > (NULL, NULL)) ORDER BY a.starts_at, a.id LIMIT 51;
INSERT INTO "audit_events" ("occurred_at", "patient_id", "actor_id", "actor_role", "action", "entity_type", "entity_id", "client_addr", "request_id", "outcome") VALUES {{audit_values}};
COMMIT;
