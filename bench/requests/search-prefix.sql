-- What the front desk types first: the first four letters of a family name (accents left out,
-- as people type them), taken from 5,000 random patients, so common names come up more often.
SELECT 'GET' || E'\t' || '/api/v1/patients?q='
       || replace(replace(left(hms_fold(family_name), 4), ' ', '%20'), '''', '%27')
  FROM (SELECT family_name FROM patients ORDER BY random() LIMIT 5000) AS p;
