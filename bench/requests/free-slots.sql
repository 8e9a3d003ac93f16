-- One benchmark clinician's free slots for one week (Monday to Sunday), 1 to 40 weeks ahead.
SELECT 'GET' || E'\t' || '/api/v1/slots?practitioner_id=' || p.id || '&from=' || monday
       || '&to=' || (monday + 6)
  FROM practitioners p,
       LATERAL (SELECT (date_trunc('week', now() AT TIME ZONE :'tz')::date + 7 * w) AS monday
                  FROM generate_series(1, 40) AS w) AS weeks
 WHERE p.id::text LIKE 'b1000000-%'
 ORDER BY random();
