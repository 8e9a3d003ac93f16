-- Bookings of free slots: weekdays after the seeded year (which ends 364 days from today) and
-- after any booking an earlier run made there, every clinician's slot at one time before the
-- next time. The patient of clinician p at slot time t is (t * 200 + p) mod the active
-- patients, so no two bookings at one time share a patient. Each line is sent once.
WITH zone AS (
  SELECT greatest((now() AT TIME ZONE :'tz')::date + 365,
                  coalesce((SELECT (max(starts_at) AT TIME ZONE :'tz')::date + 1 FROM appointments
                             WHERE starts_at > now() + interval '364 days'),
                           (now() AT TIME ZONE :'tz')::date + 365)) AS first_day
), times AS (
  SELECT row_number() OVER (ORDER BY day, slot) - 1 AS t,
         -- A local date and time, then the instant it is in the hospital's zone (summer time
         -- included).
         (day::date + CASE WHEN slot < 12 THEN time '08:00' + make_interval(mins => 20 * slot)
                           ELSE time '13:00' + make_interval(mins => 20 * (slot - 12)) END)
           AT TIME ZONE :'tz' AS starts_at
    FROM zone,
         generate_series(zone.first_day, zone.first_day + 60, interval '1 day') AS day,
         generate_series(0, 23) AS slot
   WHERE extract(isodow FROM day) < 6
     AND day < (now() AT TIME ZONE :'tz')::date + 720
)
SELECT 'POST' || E'\t' || '/api/v1/appointments' || E'\t'
       || json_build_object(
            'patient_id', ('b0000000-0000-4000-8000-'
                           || lpad((1 + (t * 200 + p) % (:patients - :patients / 200))::text, 12, '0')),
            'practitioner_id', 'b1000000-0000-4000-8000-' || lpad((p + 1)::text, 12, '0'),
            'starts_at', to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'reason', 'Follow-up (benchmark)')::text
  FROM times, generate_series(0, 199) AS p
 ORDER BY t, p
 LIMIT 60000;
