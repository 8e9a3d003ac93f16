-- Ten departments, 200 bookable clinicians (180 doctors, 20 nurses) with accounts that sign in
-- with the demo password, and their weekly hours: Monday to Friday, 08:00-12:00 and
-- 13:00-17:00 local time, 20-minute slots (24 a day).

INSERT INTO departments (id, name, description)
SELECT pg_temp.bid('b2000000', d),
       pg_temp.pick(ARRAY['Dermatology', 'Neurology', 'Oncology', 'Ophthalmology',
                          'Otorhinolaryngology', 'Gastroenterology', 'Endocrinology',
                          'Nephrology', 'Psychiatry', 'Rheumatology'], d - 1),
       'Outpatient clinics (benchmark data)'
  FROM generate_series(1, 10) AS d;

INSERT INTO users (id, email, display_name, role, password_hash, created_at)
SELECT pg_temp.bid('b1100000', c),
       'clinician' || lpad(c::text, 3, '0') || '@bench.hms',
       CASE WHEN c <= 180 THEN 'Dr ' ELSE '' END
         || pg_temp.pick(ARRAY['Inês', 'Tiago', 'Marta', 'Rui', 'Sara', 'Hugo', 'Clara', 'Nuno',
                               'Beatriz', 'André', 'Joana', 'Filipe', 'Rita', 'Bruno', 'Catarina',
                               'Miguel', 'Helena', 'Paulo', 'Lúcia', 'Vasco'], pg_temp.r(c, 1, 1000))
         || ' '
         || pg_temp.pick(ARRAY['Almeida', 'Carvalho', 'Teixeira', 'Moreira', 'Correia', 'Pinto',
                               'Sousa', 'Ribeiro', 'Gomes', 'Lopes', 'Marques', 'Pereira', 'Rocha',
                               'Cardoso', 'Reis', 'Fonseca', 'Mendes', 'Nunes', 'Vieira', 'Batista',
                               'Antunes', 'Matos', 'Freitas', 'Brito'], pg_temp.r(c, 2, 1000)),
       CASE WHEN c <= 180 THEN 'doctor' ELSE 'nurse' END,
       (SELECT password_hash FROM users WHERE email = 'doctor@demo.hms'),
       now() - interval '3 years'
  FROM generate_series(1, 200) AS c;

INSERT INTO practitioners (id, user_id, department_id, specialty, created_at)
SELECT pg_temp.bid('b1000000', c),
       pg_temp.bid('b1100000', c),
       pg_temp.bid('b2000000', 1 + (c - 1) % 10),
       CASE WHEN c <= 180 THEN 'Consultant' ELSE 'Clinic nursing' END,
       now() - interval '3 years'
  FROM generate_series(1, 200) AS c;

INSERT INTO availability_rules (practitioner_id, weekday, starts_at, ends_at, slot_minutes)
SELECT pg_temp.bid('b1000000', c), wd, w.opens, w.closes, 20
  FROM generate_series(1, 200) AS c,
       generate_series(1, 5) AS wd,
       (VALUES (time '08:00', time '12:00'), (time '13:00', time '17:00')) AS w (opens, closes);
