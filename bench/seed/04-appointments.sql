-- :appointments appointments with the 200 benchmark clinicians over three years (the last two
-- and the next one), on their slot grid (weekdays, 24 slots of 20 minutes a day, local time in
-- :'tz'). Practitioner p's j-th appointment takes one slot of the j-th equal stretch of the
-- grid, so they never overlap; its patient is (slot * 200 + p) mod the number of active
-- patients, so two appointments at the same time never share a patient either: both exclusion
-- constraints hold by construction (and PostgreSQL checks them). Past ones are completed,
-- no-show or cancelled; future ones booked or cancelled. The benchmark books after the last day.
-- Checking the exclusion constraints dominates the load, so the clinicians are split into
-- :parts parts loaded by concurrent sessions (this one loads part :part).

CREATE TEMP TABLE bench_days AS
SELECT (row_number() OVER (ORDER BY d) - 1)::int AS w, d::date AS day
  FROM generate_series((now() AT TIME ZONE :'tz')::date - 730,
                       (now() AT TIME ZONE :'tz')::date + 364, interval '1 day') AS d
 WHERE extract(isodow FROM d) < 6;
CREATE UNIQUE INDEX ON bench_days (w);
ANALYZE bench_days;

CREATE TEMP TABLE grid AS
SELECT count(*)::bigint * 24 AS slots,
       (:appointments / 200)::bigint AS per_practitioner,
       (:patients - :patients / 200)::bigint AS active_patients
  FROM bench_days;

CREATE TEMP TABLE vocab AS SELECT
  ARRAY['Follow-up', 'New referral', 'Test results', 'Annual review', 'Medication review',
        'Pre-operative assessment', 'Post-operative review', 'Second opinion']::text[] AS reasons,
  ARRAY['Patient asked to cancel', 'Clinician unavailable', 'Booked in error',
        'Patient admitted elsewhere']::text[] AS cancel_reasons;

INSERT INTO appointments (patient_id, practitioner_id, department_id, starts_at, ends_at, status,
                          reason, cancel_reason, booked_by, created_at, updated_at)
SELECT pg_temp.bid('b0000000', 1 + (s.pos * 200 + p) % g.active_patients),
       pg_temp.bid('b1000000', p + 1),
       pg_temp.bid('b2000000', 1 + p % 10),
       t.starts_at, t.starts_at + interval '20 minutes',
       st.status,
       pg_temp.pick(v.reasons, pg_temp.r(s.pos * 200 + p, 91, 1000)),
       CASE WHEN st.status = 'cancelled' THEN pg_temp.pick(v.cancel_reasons, pg_temp.r(s.pos * 200 + p, 92, 1000)) END,
       (SELECT id FROM users WHERE email = 'reception@demo.hms'),
       least(now(), t.starts_at - make_interval(days => 3 + pg_temp.r(s.pos * 200 + p, 93, 40))),
       least(now(), t.starts_at + interval '30 minutes')
  FROM grid g
 CROSS JOIN vocab v
 CROSS JOIN (SELECT p FROM generate_series(0, 199) AS p WHERE p % :parts = :part) AS part (p)
 CROSS JOIN LATERAL generate_series(0, g.per_practitioner - 1) AS j
 CROSS JOIN LATERAL (
       SELECT j * g.slots / g.per_practitioner AS lo, (j + 1) * g.slots / g.per_practitioner AS hi) b
 CROSS JOIN LATERAL (
       SELECT b.lo + pg_temp.r(p * 10000000 + j, 90, (b.hi - b.lo)::int) AS pos) s
  JOIN bench_days d ON d.w = s.pos / 24
 CROSS JOIN LATERAL (
       SELECT ((d.day + CASE WHEN s.pos % 24 < 12
                             THEN time '08:00' + make_interval(mins => 20 * (s.pos % 24)::int)
                             ELSE time '13:00' + make_interval(mins => 20 * (s.pos % 24 - 12)::int) END)
               AT TIME ZONE :'tz') AS starts_at) t
 CROSS JOIN LATERAL (
       SELECT CASE WHEN t.starts_at < now()
                   THEN CASE pg_temp.r(s.pos * 200 + p, 94, 100) / 4
                            WHEN 0 THEN 'cancelled' WHEN 1 THEN 'cancelled' WHEN 2 THEN 'cancelled'
                            WHEN 3 THEN 'no_show' WHEN 4 THEN 'no_show'
                            ELSE 'completed' END
                   ELSE CASE WHEN pg_temp.r(s.pos * 200 + p, 94, 100) < 7 THEN 'cancelled'
                             ELSE 'booked' END
              END AS status) st
 ORDER BY t.starts_at, p;
