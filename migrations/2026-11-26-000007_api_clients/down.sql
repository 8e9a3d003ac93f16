DROP TABLE api_clients;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'doctor', 'nurse', 'receptionist', 'pharmacist', 'patient'));
