-- One benchmark department's appointments for one weekday within 30 days of today (first page,
-- 50), as the front desk browses them.
SELECT 'GET' || E'\t' || '/api/v1/appointments?department_id=' || d.id || '&date=' || day::date
  FROM departments d,
       generate_series((now() AT TIME ZONE :'tz')::date - 30, (now() AT TIME ZONE :'tz')::date + 30,
                       interval '1 day') AS day
 WHERE d.id::text LIKE 'b2000000-%' AND extract(isodow FROM day) < 6
 ORDER BY random();
