-- Scheduling: departments, practitioners, weekly availability with exceptions, appointments
-- that can never double-book, their audited status history, and idempotent POSTs.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE departments (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    description  text,
    active       boolean     NOT NULL DEFAULT true,
    version      integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A practitioner is a staff account (doctor or nurse) that can be booked.
CREATE TABLE practitioners (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid        NOT NULL UNIQUE REFERENCES users (id),
    department_id  uuid        NOT NULL REFERENCES departments (id),
    specialty      text        NOT NULL CHECK (length(specialty) BETWEEN 1 AND 100),
    active         boolean     NOT NULL DEFAULT true,
    version        integer     NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX practitioners_department_idx ON practitioners (department_id);

-- Weekly working hours in the hospital's local time: ISO weekday (1 = Monday), a window, and
-- the slot length. Turned into instants with the hospital's time zone, so daylight-saving
-- changes move nothing on the wall clock.
CREATE TABLE availability_rules (
    id               uuid     PRIMARY KEY DEFAULT gen_random_uuid(),
    practitioner_id  uuid     NOT NULL REFERENCES practitioners (id),
    weekday          smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts_at        time     NOT NULL,
    ends_at          time     NOT NULL,
    slot_minutes     integer  NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    CHECK (ends_at > starts_at)
);
CREATE INDEX availability_rules_practitioner_idx ON availability_rules (practitioner_id, weekday);

-- Leave and blocked periods.
CREATE TABLE availability_exceptions (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    practitioner_id  uuid        NOT NULL REFERENCES practitioners (id),
    period           tstzrange   NOT NULL CHECK (NOT isempty(period)),
    reason           text        NOT NULL,
    created_by       uuid        NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX availability_exceptions_period_idx ON availability_exceptions USING gist (practitioner_id, period);

CREATE TABLE appointments (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id       uuid        NOT NULL REFERENCES patients (id),
    practitioner_id  uuid        NOT NULL REFERENCES practitioners (id),
    department_id    uuid        NOT NULL REFERENCES departments (id),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    period           tstzrange   NOT NULL GENERATED ALWAYS AS (tstzrange(starts_at, ends_at, '[)')) STORED,
    status           text        NOT NULL DEFAULT 'booked'
                     CHECK (status IN ('booked', 'checked_in', 'in_progress', 'completed', 'cancelled', 'no_show')),
    reason           text        NOT NULL,
    cancel_reason    text,
    booked_by        uuid        NOT NULL REFERENCES users (id),
    version          integer     NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    -- No double booking, ever: the database refuses overlapping live appointments for one
    -- practitioner, and for one patient, whatever the application does.
    CONSTRAINT appointments_no_practitioner_overlap
        EXCLUDE USING gist (practitioner_id WITH =, period WITH &&) WHERE (status <> 'cancelled'),
    CONSTRAINT appointments_no_patient_overlap
        EXCLUDE USING gist (patient_id WITH =, period WITH &&) WHERE (status <> 'cancelled')
);
CREATE INDEX appointments_department_day_idx ON appointments (department_id, starts_at, id);
CREATE INDEX appointments_practitioner_day_idx ON appointments (practitioner_id, starts_at, id);
CREATE INDEX appointments_patient_idx ON appointments (patient_id, starts_at, id);
CREATE INDEX appointments_starts_idx ON appointments (starts_at, id);

-- Every status change: who, when, from, to, why; reverts are changes too.
CREATE TABLE appointment_status_changes (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id  uuid        NOT NULL REFERENCES appointments (id),
    from_status     text,
    to_status       text        NOT NULL,
    changed_by      uuid        NOT NULL REFERENCES users (id),
    changed_at      timestamptz NOT NULL DEFAULT now(),
    reason          text,
    is_revert       boolean     NOT NULL DEFAULT false
);
CREATE INDEX appointment_status_changes_appointment_idx ON appointment_status_changes (appointment_id, id);

-- Responses to POSTs sent with an Idempotency-Key, so a retry gets the first answer instead of
-- a second booking. Kept 24 hours.
CREATE TABLE idempotency_keys (
    user_id        uuid        NOT NULL REFERENCES users (id),
    key            text        NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    endpoint       text        NOT NULL,
    request_hash   bytea       NOT NULL,
    status         integer     NOT NULL,
    response       jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
