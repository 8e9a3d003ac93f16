-- Sign-ins of the 200 benchmark clinicians (they share the demo password), in random order.
SELECT 'POST' || E'\t' || '/api/v1/auth/login' || E'\t'
       || json_build_object('email', email, 'password', 'hms-demo-password')::text
  FROM users, generate_series(1, 5)
 WHERE email LIKE 'clinician%@bench.hms'
 ORDER BY random();
