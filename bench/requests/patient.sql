-- 20,000 random generated patients (uniform), read by id.
SELECT 'GET' || E'\t' || '/api/v1/patients/' || id
  FROM patients WHERE id::text LIKE 'b0000000-%'
 ORDER BY random() LIMIT 20000;
