-- The hot query of GET /api/v1/patients?q=... alone, with the settings the API gives it.
BEGIN;
SET LOCAL pg_trgm.word_similarity_threshold = 0.45;
SET LOCAL enable_seqscan = off;
WITH q AS (SELECT hms_fold('{{q}}') AS v)
 SELECT patients.id, mrn, given_name, family_name, birth_date, sex, phone, email, address_line, city, postal_code, country, emergency_contact_name, emergency_contact_relationship, emergency_contact_phone, preferred_language, active, version, created_at, updated_at, word_similarity(q.v, search_name) AS score, sort_name FROM patients, q WHERE (q.v <% search_name OR search_name LIKE '%' || replace(replace(replace(q.v, '\', '\\'), '%', '\%'), '_', '\_') || '%') AND (NULL::text IS NULL OR mrn = NULL) AND (NULL::date IS NULL OR birth_date = NULL) AND (false OR active) AND (NULL::real IS NULL OR (word_similarity(q.v, search_name), patients.id) < (NULL, NULL)) ORDER BY score DESC, patients.id DESC LIMIT 51;
COMMIT;
