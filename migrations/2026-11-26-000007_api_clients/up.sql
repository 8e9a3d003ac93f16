-- Integration clients: third-party systems that call the API with OAuth 2.0 client credentials.
--
-- Each client acts through a service account (a `users` row with role `integration`, never able
-- to sign in with a password), so every row a client writes and every audit event it causes
-- names it through the same foreign keys as a person's would.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'doctor', 'nurse', 'receptionist', 'pharmacist', 'patient', 'integration'));

CREATE TABLE api_clients (
    id                     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name                   text        NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description            text        NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- The service account the client acts as (role 'integration').
    user_id                uuid        NOT NULL UNIQUE REFERENCES users (id),
    -- OAuth scopes, e.g. {patients:read, appointments:write}; checked by the API's access table.
    scopes                 text[]      NOT NULL DEFAULT '{}',
    -- argon2id PHC string of the client secret; the secret itself is shown once.
    secret_hash            text        NOT NULL,
    -- Requests per minute the client may make; 429 beyond it.
    rate_limit_per_minute  integer     NOT NULL DEFAULT 600 CHECK (rate_limit_per_minute BETWEEN 1 AND 100000),
    active                 boolean     NOT NULL DEFAULT true,
    -- Access tokens issued before this instant are refused (set by disabling and rotating).
    tokens_valid_after     timestamptz NOT NULL DEFAULT now(),
    secret_rotated_at      timestamptz NOT NULL DEFAULT now(),
    last_token_at          timestamptz,
    created_by             uuid        NOT NULL REFERENCES users (id),
    version                integer     NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX api_clients_name_key ON api_clients (lower(name));
