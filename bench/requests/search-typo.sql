-- A full name with one typo in the family name (a letter dropped, two swapped, or one wrong),
-- from 5,000 random patients.
SELECT 'GET' || E'\t' || '/api/v1/patients?q='
       || replace(replace(hms_fold(given_name) || ' ' || typo, ' ', '%20'), '''', '%27')
  FROM (SELECT given_name, family_name, (random() * 3)::int AS kind
          FROM patients ORDER BY random() LIMIT 5000) AS p
 CROSS JOIN LATERAL (
       SELECT CASE kind
                WHEN 0 THEN overlay(hms_fold(family_name) PLACING '' FROM 3 FOR 1)
                WHEN 1 THEN overlay(hms_fold(family_name) PLACING substr(hms_fold(family_name), 4, 1)
                                    || substr(hms_fold(family_name), 3, 1) FROM 3 FOR 2)
                ELSE overlay(hms_fold(family_name) PLACING
                             CASE WHEN substr(hms_fold(family_name), 3, 1) = 'e' THEN 'a' ELSE 'e' END
                             FROM 3 FOR 1)
              END AS typo) AS t;
