-- 20,000 random generated patients' summaries.
SELECT 'GET' || E'\t' || '/api/v1/patients/' || id || '/summary'
  FROM patients WHERE id::text LIKE 'b0000000-%'
 ORDER BY random() LIMIT 20000;
