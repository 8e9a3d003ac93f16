-- The plans of the hot queries, with the SQL the API sends (its parameters written in as
-- values, as PostgreSQL plans them for the API: diesel sends these as unnamed statements, which
-- are planned with the values). Run by `cargo xtask bench` after the load runs; the output
-- goes into bench/results/patients-<n>.md. Writes run in a transaction that is rolled back.
\set ON_ERROR_STOP 1
\pset pager off
SET jit = off;

-- Values like the benchmark's requests: a random generated patient; the most common
-- four-letter family-name prefix (the slowest prefix search); a common full name with a typo;
-- a department and a weekday two weeks ahead; a clinician and a week four weeks ahead; the
-- pharmacy (the largest location).
SELECT id AS patient_id FROM patients WHERE id::text LIKE 'b0000000-%' ORDER BY random() LIMIT 1 \gset
SELECT left(hms_fold(family_name), 4) AS q_prefix FROM patients GROUP BY 1 ORDER BY count(*) DESC LIMIT 1 \gset
SELECT hms_fold(given_name) || ' ' || overlay(hms_fold(family_name) PLACING '' FROM 3 FOR 1) AS q_typo
  FROM patients GROUP BY given_name, family_name ORDER BY count(*) DESC, 1 LIMIT 1 \gset
SELECT 'b2000000-0000-4000-8000-000000000003' AS department_id,
       (SELECT d::date FROM generate_series(current_date + 14, current_date + 20, interval '1 day') d
         WHERE extract(isodow FROM d) = 3) AS day \gset
SELECT 'b1000000-0000-4000-8000-000000000042' AS practitioner_id,
       date_trunc('week', current_date)::date + 28 AS week_from,
       date_trunc('week', current_date)::date + 34 AS week_to \gset
SELECT id AS location_id FROM stock_locations WHERE code = 'B-PHARM' \gset
SELECT id AS item_id FROM stock_items WHERE sku = 'BX-00042' \gset
SELECT id AS pharmacist FROM users WHERE email = 'pharmacist@demo.hms' \gset
\echo 'patient_id=':patient_id' q_prefix=':q_prefix' q_typo=':q_typo' department_id=':department_id' day=':day' practitioner_id=':practitioner_id' week=':week_from'..':week_to' location=B-PHARM item=BX-00042'

\echo '\n### GET /patients/{id}: the read'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT "patients"."id", "patients"."mrn", "patients"."given_name", "patients"."family_name", "patients"."birth_date", "patients"."sex", "patients"."phone", "patients"."email", "patients"."address_line", "patients"."city", "patients"."postal_code", "patients"."country", "patients"."emergency_contact_name", "patients"."emergency_contact_relationship", "patients"."emergency_contact_phone", "patients"."preferred_language", "patients"."active", "patients"."version", "patients"."created_at", "patients"."updated_at" FROM "patients" WHERE ("patients"."id" = :'patient_id') LIMIT 1;

\echo '\n### GET /patients/{id}/summary: active medications (allergies and conditions are the same shape)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT "medications"."id", "medications"."patient_id", "medications"."drug", "medications"."dose", "medications"."route", "medications"."frequency", "medications"."start_date", "medications"."end_date", "medications"."status", "medications"."prescriber_id", "medications"."note", "medications"."recorded_by", "medications"."recorded_at", "medications"."version", "medications"."entered_in_error_at", "medications"."entered_in_error_by", "medications"."entered_in_error_reason", "recorder"."display_name", "prescriber"."display_name" FROM (("medications" INNER JOIN "users" AS "recorder" ON ("recorder"."id" = "medications"."recorded_by")) INNER JOIN "users" AS "prescriber" ON ("prescriber"."id" = "medications"."prescriber_id")) WHERE ((("medications"."patient_id" = :'patient_id') AND ("medications"."entered_in_error_at" IS NULL)) AND ("medications"."status" = 'active')) ORDER BY "medications"."recorded_at" DESC, "medications"."id" DESC LIMIT 200;

\echo '\n### GET /patients/{id}/summary: the latest vital signs'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT "vitals"."id", "vitals"."patient_id", "vitals"."measured_at", "vitals"."systolic_mmhg", "vitals"."diastolic_mmhg", "vitals"."heart_rate_bpm", "vitals"."temperature_c", "vitals"."spo2_percent", "vitals"."respiratory_rate", "vitals"."weight_kg", "vitals"."height_cm", "vitals"."note", "vitals"."recorded_by", "vitals"."recorded_at", "vitals"."entered_in_error_at", "vitals"."entered_in_error_by", "vitals"."entered_in_error_reason", "users"."display_name" FROM ("vitals" INNER JOIN "users" ON ("users"."id" = "vitals"."recorded_by")) WHERE (("vitals"."patient_id" = :'patient_id') AND ("vitals"."entered_in_error_at" IS NULL)) ORDER BY "vitals"."measured_at" DESC, "vitals"."id" DESC LIMIT 1;

\echo '\n### GET /patients?q=<prefix>: the search, first tier (family names; a common prefix fills the page here)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT patients.id, mrn, given_name, family_name, birth_date, sex, phone, email, address_line, city, postal_code, country, emergency_contact_name, emergency_contact_relationship, emergency_contact_phone, preferred_language, active, version, created_at, updated_at, sort_name AS key, 'f' AS tier FROM patients WHERE sort_name COLLATE "C" LIKE replace(replace(replace(split_part(hms_fold(:'q_prefix'), ' ', 1), '\', '\\'), '%', '\%'), '_', '\_') || '%' AND true AND (NULL::text IS NULL OR mrn = NULL) AND (NULL::date IS NULL OR birth_date = NULL) AND (false OR active) AND (NULL::text IS NULL OR starts_with(hms_fold(family_name), hms_fold(NULL))) AND (NULL::text IS NULL OR starts_with(hms_fold(given_name), hms_fold(NULL))) AND (NULL::text IS NULL OR (sort_name COLLATE "C", id) > (NULL, NULL)) ORDER BY sort_name COLLATE "C", id LIMIT 51;

\echo '\n### GET /patients?q=<name with a typo>: the search, all three tiers (family names, given names, similar names)'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT patients.id, mrn, given_name, family_name, birth_date, sex, phone, email, address_line, city, postal_code, country, emergency_contact_name, emergency_contact_relationship, emergency_contact_phone, preferred_language, active, version, created_at, updated_at, sort_name AS key, 'f' AS tier FROM patients WHERE sort_name COLLATE "C" LIKE replace(replace(replace(split_part(hms_fold(:'q_typo'), ' ', 1), '\', '\\'), '%', '\%'), '_', '\_') || '%' AND position(' ' || split_part(hms_fold(:'q_typo'), ' ', 2) IN ' ' || search_name) > 0 AND (NULL::text IS NULL OR mrn = NULL) AND (NULL::date IS NULL OR birth_date = NULL) AND (false OR active) AND (NULL::text IS NULL OR starts_with(hms_fold(family_name), hms_fold(NULL))) AND (NULL::text IS NULL OR starts_with(hms_fold(given_name), hms_fold(NULL))) AND (NULL::text IS NULL OR (sort_name COLLATE "C", id) > (NULL, NULL)) ORDER BY sort_name COLLATE "C", id LIMIT 51;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT patients.id, mrn, given_name, family_name, birth_date, sex, phone, email, address_line, city, postal_code, country, emergency_contact_name, emergency_contact_relationship, emergency_contact_phone, preferred_language, active, version, created_at, updated_at, search_name AS key, 'g' AS tier FROM patients WHERE search_name COLLATE "C" LIKE replace(replace(replace(split_part(hms_fold(:'q_typo'), ' ', 1), '\', '\\'), '%', '\%'), '_', '\_') || '%' AND sort_name COLLATE "C" NOT LIKE replace(replace(replace(split_part(hms_fold(:'q_typo'), ' ', 1), '\', '\\'), '%', '\%'), '_', '\_') || '%' AND position(' ' || split_part(hms_fold(:'q_typo'), ' ', 2) IN ' ' || search_name) > 0 AND (NULL::text IS NULL OR mrn = NULL) AND (NULL::date IS NULL OR birth_date = NULL) AND (false OR active) AND (NULL::text IS NULL OR starts_with(hms_fold(family_name), hms_fold(NULL))) AND (NULL::text IS NULL OR starts_with(hms_fold(given_name), hms_fold(NULL))) AND (NULL::text IS NULL OR (search_name COLLATE "C", id) > (NULL, NULL)) ORDER BY search_name COLLATE "C", id LIMIT 51;
SAVEPOINT diesel_savepoint_1;
SET LOCAL pg_trgm.word_similarity_threshold = 0.45;
SET LOCAL enable_seqscan = off;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
WITH q AS (SELECT hms_fold(:'q_typo') AS v) SELECT patients.id, mrn, given_name, family_name, birth_date, sex, phone, email, address_line, city, postal_code, country, emergency_contact_name, emergency_contact_relationship, emergency_contact_phone, preferred_language, active, version, created_at, updated_at, word_similarity(q.v, search_name)::text AS key, 's' AS tier FROM patients, q WHERE (q.v <% search_name OR search_name LIKE '%' || replace(replace(replace(q.v, '\', '\\'), '%', '\%'), '_', '\_') || '%') AND NOT ((sort_name COLLATE "C" LIKE replace(replace(replace(split_part(hms_fold(:'q_typo'), ' ', 1), '\', '\\'), '%', '\%'), '_', '\_') || '%' OR search_name COLLATE "C" LIKE replace(replace(replace(split_part(hms_fold(:'q_typo'), ' ', 1), '\', '\\'), '%', '\%'), '_', '\_') || '%') AND position(' ' || split_part(hms_fold(:'q_typo'), ' ', 2) IN ' ' || search_name) > 0) AND (NULL::text IS NULL OR mrn = NULL) AND (NULL::date IS NULL OR birth_date = NULL) AND (false OR active) AND (NULL::text IS NULL OR starts_with(hms_fold(family_name), hms_fold(NULL))) AND (NULL::text IS NULL OR starts_with(hms_fold(given_name), hms_fold(NULL))) AND (NULL::text IS NULL OR (word_similarity(q.v, search_name), patients.id) < (NULL::real, NULL)) ORDER BY word_similarity(q.v, search_name) DESC, patients.id DESC LIMIT 51;
RELEASE SAVEPOINT diesel_savepoint_1;
COMMIT;

\echo '\n### GET /appointments?department_id&date: one department, one day'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT a.id, a.patient_id, p.given_name || ' ' || p.family_name AS patient_name, p.mrn AS patient_mrn, a.practitioner_id, u.display_name AS practitioner_name, a.department_id, a.starts_at, a.ends_at, a.status, a.reason, a.cancel_reason, a.booked_by, a.version, a.created_at, a.updated_at FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN practitioners pr ON pr.id = a.practitioner_id JOIN users u ON u.id = pr.user_id WHERE (:'day'::date IS NULL OR a.starts_at >= (:'day'::date)::timestamp AT TIME ZONE 'Europe/Lisbon') AND (:'day'::date IS NULL OR a.starts_at < (:'day'::date + 1)::timestamp AT TIME ZONE 'Europe/Lisbon') AND (NULL::uuid IS NULL OR a.practitioner_id = NULL) AND (:'department_id'::uuid IS NULL OR a.department_id = :'department_id') AND (NULL::uuid IS NULL OR a.patient_id = NULL) AND (NULL::text IS NULL OR a.status = NULL) AND (NULL::timestamptz IS NULL OR (a.starts_at, a.id) > (NULL, NULL)) ORDER BY a.starts_at, a.id LIMIT 51;

\echo '\n### GET /slots?practitioner_id&from&to: one clinician, one week'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
WITH days AS (
     SELECT d::date AS day FROM generate_series(:'week_from'::date, :'week_to'::date, interval '1 day') AS d
 ), windows AS (
     SELECT r.practitioner_id, make_interval(mins => r.slot_minutes) AS step,
            (days.day + r.starts_at) AT TIME ZONE 'Europe/Lisbon' AS opens,
            (days.day + r.ends_at) AT TIME ZONE 'Europe/Lisbon' AS closes
       FROM availability_rules r
       JOIN practitioners p ON p.id = r.practitioner_id AND p.active
       JOIN days ON extract(isodow FROM days.day) = r.weekday
      WHERE (:'practitioner_id'::uuid IS NULL OR p.id = :'practitioner_id') AND (NULL::uuid IS NULL OR p.department_id = NULL)
 ), slots AS (
     SELECT w.practitioner_id, s AS starts_at, s + w.step AS ends_at
       FROM windows w, generate_series(w.opens, w.closes - w.step, w.step) AS s
 )
 SELECT s.practitioner_id, s.starts_at, s.ends_at
   FROM slots s
  WHERE s.starts_at >= now()
    AND NOT EXISTS (SELECT 1 FROM appointments a
                     WHERE a.practitioner_id = s.practitioner_id AND a.status <> 'cancelled'
                       AND a.period && tstzrange(s.starts_at, s.ends_at, '[)')
                       AND a.period && tstzrange((:'week_from'::date - 1)::timestamp AT TIME ZONE 'Europe/Lisbon',
                                                 (:'week_to'::date + 2)::timestamp AT TIME ZONE 'Europe/Lisbon'))
    AND NOT EXISTS (SELECT 1 FROM availability_exceptions e
                     WHERE e.practitioner_id = s.practitioner_id
                       AND e.period && tstzrange(s.starts_at, s.ends_at, '[)'))
  ORDER BY s.starts_at, s.practitioner_id
  LIMIT 2000;

\echo '\n### GET /inventory/stock?location_id: the pharmacy (5,000 items)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
WITH page AS (
     SELECT i.id AS item_id, i.sku AS item_sku, i.name AS item_name, lower(i.name) AS sort_name,
            i.unit, i.critical, loc.id AS location_id, loc.name AS location_name,
            per.on_hand, per.expired,
            coalesce(r.reorder_level, i.reorder_level) AS reorder_level,
            coalesce(r.reorder_quantity, i.reorder_quantity) AS reorder_quantity
     FROM stock_items i
     CROSS JOIN LATERAL (
         SELECT b.location_id, sum(b.quantity)::bigint AS on_hand,
                coalesce(sum(b.quantity) FILTER (WHERE l.expires_on < current_date), 0)::bigint AS expired
         FROM stock_balances b LEFT JOIN stock_lots l ON l.id = b.lot_id
         WHERE b.item_id = i.id AND (:'location_id'::uuid IS NULL OR b.location_id = :'location_id')
         GROUP BY b.location_id
     ) per
     JOIN stock_locations loc ON loc.id = per.location_id
     LEFT JOIN stock_reorder_levels r ON r.item_id = i.id AND r.location_id = per.location_id
     WHERE (NULL::uuid IS NULL OR i.id = NULL)
       AND (NOT false OR per.on_hand - per.expired <= coalesce(r.reorder_level, i.reorder_level))
       AND (NULL::text IS NULL OR (lower(i.name) >= NULL
            AND (lower(i.name), loc.name, i.id, loc.id) > (NULL, NULL::text, NULL::uuid, NULL::uuid)))
     ORDER BY lower(i.name), loc.name, i.id, loc.id
     LIMIT 51
 )
 SELECT page.*,
        coalesce((SELECT sum(m.quantity) FROM stock_movements m
                  WHERE m.item_id = page.item_id AND m.from_location_id = page.location_id
                    AND m.kind = 'dispense' AND m.performed_at > now() - interval '30 days'), 0)::bigint
          AS dispensed_30d
 FROM page
 ORDER BY sort_name, location_name, item_id, location_id;

\echo '\n### POST /inventory/movements/dispense: the item with its stock over all locations'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT i.id, i.sku, i.name, i.category, i.unit, i.reorder_level, i.reorder_quantity,
       i.critical, i.lot_tracked, i.active, i.version, i.created_at, i.updated_at,
       coalesce(s.on_hand, 0)::bigint AS on_hand, coalesce(s.low, false) AS low_stock
FROM stock_items i
LEFT JOIN LATERAL (
    SELECT sum(per.q) AS on_hand,
           bool_or(per.q <= coalesce(r.reorder_level, i.reorder_level)) AS low
    FROM (SELECT b.location_id, sum(b.quantity) AS q
          FROM stock_balances b WHERE b.item_id = i.id GROUP BY b.location_id) per
    LEFT JOIN stock_reorder_levels r ON r.item_id = i.id AND r.location_id = per.location_id
) s ON true WHERE i.id = :'item_id';

\echo '\n### POST /inventory/movements/dispense: the balances to take from (first expiry first)'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT b.lot_id, l.lot_number, l.expires_on, b.quantity
  FROM stock_balances b LEFT JOIN stock_lots l ON l.id = b.lot_id
 WHERE b.item_id = :'item_id' AND b.location_id = :'location_id' AND b.quantity > 0
 ORDER BY l.expires_on NULLS LAST, l.lot_number NULLS LAST
   FOR UPDATE OF b;
ROLLBACK;

\echo '\n### every write with an Idempotency-Key: looking the key up (by primary key)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT "idempotency_keys"."endpoint", "idempotency_keys"."request_hash", "idempotency_keys"."response", "idempotency_keys"."created_at" FROM "idempotency_keys" WHERE (("idempotency_keys"."user_id" = :'pharmacist') AND ("idempotency_keys"."key" = 'bench-explain')) LIMIT 1;

\echo '\n### the cleanup job (every 10 minutes): one batch of expired idempotency keys'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
    SELECT ctid FROM idempotency_keys WHERE created_at <= now() - interval '24 hours' LIMIT 5000));
ROLLBACK;
