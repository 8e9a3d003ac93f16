-- Accounts, sessions (refresh tokens) and the security audit trail.

CREATE TABLE users (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Stored lower-cased by the API; unique across active and inactive accounts.
    email          text        NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    display_name   text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 120),
    role           text        NOT NULL CHECK (role IN ('admin', 'doctor', 'nurse', 'receptionist', 'pharmacist', 'patient')),
    active         boolean     NOT NULL DEFAULT true,
    -- argon2id PHC string; never leaves the server.
    password_hash  text        NOT NULL,
    -- Optimistic concurrency: bumped by every update.
    version        integer     NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at  timestamptz
);

-- A sign-in session is a family of refresh tokens: each refresh uses one token and issues the
-- next. Presenting a used token again means it was stolen, so the whole family is revoked.
CREATE TABLE refresh_tokens (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL REFERENCES users (id),
    family_id    uuid        NOT NULL,
    -- SHA-256 of the token; the token itself is only ever held by the client.
    token_hash   bytea       NOT NULL UNIQUE,
    issued_at    timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- Append-only trail of who did what, when and from where. Later domains add their own actions
-- (record reads, bookings, stock movements). Never holds secrets or clinical content.
CREATE TABLE audit_events (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid        REFERENCES users (id),
    actor_role   text,
    action       text        NOT NULL,
    entity_type  text        NOT NULL,
    entity_id    text,
    client_addr  text,
    request_id   text,
    outcome      text        NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'denied', 'failure'))
);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, occurred_at DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, occurred_at DESC);

-- One row per named dataset loaded by `hms seed-demo`, so demo data is loaded once.
CREATE TABLE demo_seeds (
    name       text        PRIMARY KEY,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
