-- Every generated patient's record: 0-2 allergies, 0-3 conditions, 0-3 medications, vital signs
-- every ~4 months over the last 3 years (8) and 4 encounters, recorded by the benchmark
-- clinicians. About 1 % of the entries are marked entered in error.

CREATE TEMP TABLE vocab AS SELECT
  ARRAY['Penicillin', 'Peanuts', 'Latex', 'Sulfonamides', 'Shellfish', 'Aspirin', 'Ibuprofen',
        'Codeine', 'Eggs', 'Bee stings', 'Cat dander', 'House dust mite']::text[] AS substances,
  ARRAY['Hives', 'Anaphylaxis', 'Contact dermatitis', 'Rash', 'Wheezing', 'Swelling',
        'Nausea']::text[] AS reactions,
  ARRAY['mild', 'moderate', 'moderate', 'severe', 'life_threatening']::text[] AS severities,
  ARRAY['I10', 'E11.9', 'J45.909', 'E78.5', 'M54.5', 'F41.1', 'K21.9', 'N39.0', 'E03.9',
        'I48.91', 'J44.9', 'M17.11']::text[] AS icd10,
  ARRAY['Essential hypertension', 'Type 2 diabetes mellitus', 'Asthma', 'Hyperlipidaemia',
        'Low back pain', 'Generalised anxiety disorder', 'Gastro-oesophageal reflux disease',
        'Urinary tract infection', 'Hypothyroidism', 'Atrial fibrillation', 'COPD',
        'Osteoarthritis of the right knee']::text[] AS conditions,
  ARRAY['Amlodipine', 'Metformin', 'Salbutamol', 'Atorvastatin', 'Paracetamol', 'Sertraline',
        'Omeprazole', 'Nitrofurantoin', 'Levothyroxine', 'Apixaban', 'Tiotropium',
        'Ibuprofen']::text[] AS drugs,
  ARRAY['5 mg', '500 mg', '100 micrograms', '20 mg', '1 g', '50 mg', '20 mg', '100 mg',
        '75 micrograms', '5 mg', '18 micrograms', '400 mg']::text[] AS doses,
  ARRAY['oral', 'oral', 'inhaled', 'oral', 'oral', 'oral', 'oral', 'oral', 'oral', 'oral',
        'inhaled', 'oral']::text[] AS routes,
  ARRAY['once daily', 'twice daily', 'as needed', 'once daily at night',
        'every 6 hours as needed', 'once daily']::text[] AS frequencies,
  ARRAY['outpatient', 'outpatient', 'outpatient', 'telehealth', 'emergency', 'inpatient',
        'home_visit']::text[] AS encounter_types,
  ARRAY['Follow-up visit', 'Annual check-up', 'Chest pain', 'Fever and cough',
        'Medication review', 'Fall at home', 'Shortness of breath', 'Abdominal pain',
        'Blood pressure review', 'Post-operative review']::text[] AS reasons;

INSERT INTO allergies (patient_id, substance, reaction, severity, status, onset_date, recorded_by,
                       recorded_at, entered_in_error_at, entered_in_error_by, entered_in_error_reason)
SELECT pg_temp.bid('b0000000', n),
       pg_temp.pick(v.substances, pg_temp.r(n * 8 + k, 31, 1000)),
       pg_temp.pick(v.reactions, pg_temp.r(n * 8 + k, 32, 1000)),
       pg_temp.pick(v.severities, pg_temp.r(n * 8 + k, 33, 1000)),
       CASE WHEN pg_temp.r(n * 8 + k, 34, 10) < 8 THEN 'active' ELSE 'inactive' END,
       current_date - (365 + pg_temp.r(n * 8 + k, 35, 7000)),
       pg_temp.bid('b1100000', 1 + pg_temp.r(n * 8 + k, 36, 200)),
       t.at, e.at, e.by, e.reason
  FROM generate_series(1, :patients) AS n
 CROSS JOIN vocab v
 CROSS JOIN LATERAL generate_series(1, pg_temp.r(n, 30, 3)) AS k
 CROSS JOIN LATERAL (SELECT now() - make_interval(days => 1 + pg_temp.r(n * 8 + k, 37, 1000)) AS at) t
 CROSS JOIN LATERAL (
       SELECT CASE WHEN pg_temp.r(n * 8 + k, 38, 100) = 0 THEN t.at + interval '1 hour' END AS at,
              CASE WHEN pg_temp.r(n * 8 + k, 38, 100) = 0 THEN pg_temp.bid('b1100000', 1 + pg_temp.r(n * 8 + k, 36, 200)) END AS by,
              CASE WHEN pg_temp.r(n * 8 + k, 38, 100) = 0 THEN 'Recorded for the wrong patient' END AS reason) e;

INSERT INTO conditions (patient_id, icd10_code, description, status, onset_date, resolved_date,
                        recorded_by, recorded_at, entered_in_error_at, entered_in_error_by,
                        entered_in_error_reason)
SELECT pg_temp.bid('b0000000', n),
       pg_temp.pick(v.icd10, c), pg_temp.pick(v.conditions, c),
       st.status,
       onset,
       CASE WHEN st.status = 'resolved' THEN onset + 30 + pg_temp.r(n * 8 + k, 42, 300) END,
       pg_temp.bid('b1100000', 1 + pg_temp.r(n * 8 + k, 43, 200)),
       now() - make_interval(days => 1 + pg_temp.r(n * 8 + k, 44, 1000)),
       CASE WHEN pg_temp.r(n * 8 + k, 45, 100) = 0 THEN now() - interval '1 day' END,
       CASE WHEN pg_temp.r(n * 8 + k, 45, 100) = 0 THEN pg_temp.bid('b1100000', 1 + pg_temp.r(n * 8 + k, 43, 200)) END,
       CASE WHEN pg_temp.r(n * 8 + k, 45, 100) = 0 THEN 'Duplicate entry' END
  FROM generate_series(1, :patients) AS n
 CROSS JOIN vocab v
 CROSS JOIN LATERAL generate_series(1, pg_temp.r(n, 40, 4)) AS k
 CROSS JOIN LATERAL (SELECT pg_temp.r(n * 8 + k, 41, 12) AS c,
                            current_date - (400 + pg_temp.r(n * 8 + k, 46, 5000)) AS onset) x
 CROSS JOIN LATERAL (SELECT CASE pg_temp.r(n * 8 + k, 47, 10) WHEN 0 THEN 'resolved'
                                 WHEN 1 THEN 'inactive' ELSE 'active' END AS status) st;

INSERT INTO medications (patient_id, drug, dose, route, frequency, start_date, end_date, status,
                         prescriber_id, recorded_by, recorded_at, entered_in_error_at,
                         entered_in_error_by, entered_in_error_reason)
SELECT pg_temp.bid('b0000000', n),
       pg_temp.pick(v.drugs, d), pg_temp.pick(v.doses, d), pg_temp.pick(v.routes, d),
       pg_temp.pick(v.frequencies, pg_temp.r(n * 8 + k, 51, 1000)),
       start,
       CASE WHEN st.status <> 'active' THEN start + 14 + pg_temp.r(n * 8 + k, 52, 300) END,
       st.status,
       pg_temp.bid('b1100000', 1 + pg_temp.r(n * 8 + k, 53, 180)),
       pg_temp.bid('b1100000', 1 + pg_temp.r(n * 8 + k, 53, 180)),
       now() - make_interval(days => 1 + pg_temp.r(n * 8 + k, 54, 1000)),
       CASE WHEN pg_temp.r(n * 8 + k, 55, 100) = 0 THEN now() - interval '1 day' END,
       CASE WHEN pg_temp.r(n * 8 + k, 55, 100) = 0 THEN pg_temp.bid('b1100000', 1 + pg_temp.r(n * 8 + k, 53, 180)) END,
       CASE WHEN pg_temp.r(n * 8 + k, 55, 100) = 0 THEN 'Prescribed for another patient' END
  FROM generate_series(1, :patients) AS n
 CROSS JOIN vocab v
 CROSS JOIN LATERAL generate_series(1, pg_temp.r(n, 50, 4)) AS k
 CROSS JOIN LATERAL (SELECT pg_temp.r(n * 8 + k, 56, 12) AS d,
                            current_date - (30 + pg_temp.r(n * 8 + k, 57, 1500)) AS start) x
 CROSS JOIN LATERAL (SELECT CASE pg_temp.r(n * 8 + k, 58, 10) WHEN 0 THEN 'completed'
                                 WHEN 1 THEN 'stopped' ELSE 'active' END AS status) st;

-- Vital signs: one set every ~4 months, the newest in the last 4 months.
INSERT INTO vitals (patient_id, measured_at, systolic_mmhg, diastolic_mmhg, heart_rate_bpm,
                    temperature_c, spo2_percent, respiratory_rate, weight_kg, height_cm,
                    recorded_by, recorded_at)
SELECT pg_temp.bid('b0000000', n), at,
       sys, sys - 30 - pg_temp.r(n * 16 + k, 61, 25),
       55 + pg_temp.r(n * 16 + k, 62, 45),
       36.0 + pg_temp.r(n * 16 + k, 63, 19) / 10.0,
       94 + pg_temp.r(n * 16 + k, 64, 7),
       12 + pg_temp.r(n * 16 + k, 65, 9),
       CASE WHEN k % 2 = 0 THEN 50 + pg_temp.r(n, 66, 50) + pg_temp.r(n * 16 + k, 67, 30) / 10.0 END,
       CASE WHEN k = 1 THEN 150 + pg_temp.r(n, 68, 45) END,
       pg_temp.bid('b1100000', 181 + pg_temp.r(n * 16 + k, 69, 20)),
       at + interval '5 minutes'
  FROM generate_series(1, :patients) AS n
 CROSS JOIN LATERAL generate_series(1, 8) AS k
 CROSS JOIN LATERAL (SELECT now() - make_interval(days => (k - 1) * 130 + 1 + pg_temp.r(n * 16 + k, 60, 120),
                                                  mins => pg_temp.r(n * 16 + k, 70, 600)) AS at,
                            105 + pg_temp.r(n * 16 + k, 71, 60) AS sys) x;

INSERT INTO encounters (patient_id, encounter_type, started_at, ended_at, reason, clinician_id,
                        recorded_by, recorded_at)
SELECT pg_temp.bid('b0000000', n),
       pg_temp.pick(v.encounter_types, pg_temp.r(n * 16 + k, 81, 1000)),
       at, at + make_interval(mins => 15 + pg_temp.r(n * 16 + k, 82, 60)),
       pg_temp.pick(v.reasons, pg_temp.r(n * 16 + k, 83, 1000)),
       clinician, clinician,
       at + interval '2 hours'
  FROM generate_series(1, :patients) AS n
 CROSS JOIN vocab v
 CROSS JOIN LATERAL generate_series(1, 4) AS k
 CROSS JOIN LATERAL (SELECT now() - make_interval(days => (k - 1) * 270 + 1 + pg_temp.r(n * 16 + k, 80, 260),
                                                  mins => pg_temp.r(n * 16 + k, 84, 600)) AS at,
                            pg_temp.bid('b1100000', 1 + pg_temp.r(n * 16 + k, 85, 180)) AS clinician) x;
