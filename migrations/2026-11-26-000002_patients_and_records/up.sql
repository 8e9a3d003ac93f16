-- Patients, their medical record, and the append-only audit trail.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- Lower-cased, accent-free text for name search ("José" finds "jose"). unaccent() is only
-- STABLE because its dictionary could change; pinning the dictionary makes this IMMUTABLE, so
-- it can feed generated columns and indexes.
CREATE FUNCTION hms_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

-- MRNs come from a sequence: values are never handed out twice, even after a rollback.
CREATE SEQUENCE patient_mrn_seq START 100001;

CREATE TABLE patients (
    id                               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    mrn                              text        NOT NULL UNIQUE DEFAULT ('MRN-' || nextval('patient_mrn_seq')),
    given_name                       text        NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
    family_name                      text        NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
    birth_date                       date        NOT NULL,
    sex                              text        NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    phone                            text,
    email                            text,
    address_line                     text,
    city                             text,
    postal_code                      text,
    country                          text,
    emergency_contact_name           text,
    emergency_contact_relationship   text,
    emergency_contact_phone          text,
    preferred_language               text,
    active                           boolean     NOT NULL DEFAULT true,
    version                          integer     NOT NULL DEFAULT 1,
    created_at                       timestamptz NOT NULL DEFAULT now(),
    updated_at                       timestamptz NOT NULL DEFAULT now(),
    search_name                      text        NOT NULL GENERATED ALWAYS AS (hms_fold(given_name || ' ' || family_name)) STORED,
    sort_name                        text        NOT NULL GENERATED ALWAYS AS (hms_fold(family_name || ' ' || given_name)) STORED
);
CREATE INDEX patients_search_name_trgm_idx ON patients USING gin (search_name gin_trgm_ops);
CREATE INDEX patients_sort_name_idx ON patients (sort_name, id);
CREATE INDEX patients_birth_date_idx ON patients (birth_date);

-- A patient account reads exactly one record.
ALTER TABLE users ADD COLUMN patient_id uuid UNIQUE REFERENCES patients (id);
ALTER TABLE users ADD CONSTRAINT users_patient_link_check CHECK (patient_id IS NULL OR role = 'patient');

-- Every clinical entry: who recorded it and when; entries are never deleted, only marked as
-- entered in error (with who, when and why) so the record shows what was known at the time.

CREATE TABLE allergies (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id              uuid        NOT NULL REFERENCES patients (id),
    substance               text        NOT NULL,
    reaction                text,
    severity                text        NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe', 'life_threatening')),
    status                  text        NOT NULL CHECK (status IN ('active', 'inactive', 'resolved')),
    onset_date              date,
    note                    text,
    recorded_by             uuid        NOT NULL REFERENCES users (id),
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    version                 integer     NOT NULL DEFAULT 1,
    entered_in_error_at     timestamptz,
    entered_in_error_by     uuid        REFERENCES users (id),
    entered_in_error_reason text
);
CREATE INDEX allergies_patient_idx ON allergies (patient_id, recorded_at DESC, id);

CREATE TABLE conditions (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id              uuid        NOT NULL REFERENCES patients (id),
    icd10_code              text        NOT NULL,
    description             text        NOT NULL,
    status                  text        NOT NULL CHECK (status IN ('active', 'inactive', 'resolved')),
    onset_date              date,
    resolved_date           date,
    note                    text,
    recorded_by             uuid        NOT NULL REFERENCES users (id),
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    version                 integer     NOT NULL DEFAULT 1,
    entered_in_error_at     timestamptz,
    entered_in_error_by     uuid        REFERENCES users (id),
    entered_in_error_reason text
);
CREATE INDEX conditions_patient_idx ON conditions (patient_id, recorded_at DESC, id);

CREATE TABLE medications (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id              uuid        NOT NULL REFERENCES patients (id),
    drug                    text        NOT NULL,
    dose                    text        NOT NULL,
    route                   text        NOT NULL CHECK (route IN ('oral', 'intravenous', 'intramuscular', 'subcutaneous', 'topical', 'inhaled', 'rectal', 'sublingual', 'transdermal', 'other')),
    frequency               text        NOT NULL,
    start_date              date        NOT NULL,
    end_date                date,
    status                  text        NOT NULL CHECK (status IN ('active', 'completed', 'stopped')),
    prescriber_id           uuid        NOT NULL REFERENCES users (id),
    note                    text,
    recorded_by             uuid        NOT NULL REFERENCES users (id),
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    version                 integer     NOT NULL DEFAULT 1,
    entered_in_error_at     timestamptz,
    entered_in_error_by     uuid        REFERENCES users (id),
    entered_in_error_reason text,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX medications_patient_idx ON medications (patient_id, recorded_at DESC, id);

CREATE TABLE vitals (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id              uuid        NOT NULL REFERENCES patients (id),
    measured_at             timestamptz NOT NULL,
    systolic_mmhg           integer     CHECK (systolic_mmhg BETWEEN 40 AND 300),
    diastolic_mmhg          integer     CHECK (diastolic_mmhg BETWEEN 20 AND 200),
    heart_rate_bpm          integer     CHECK (heart_rate_bpm BETWEEN 20 AND 300),
    temperature_c           double precision CHECK (temperature_c BETWEEN 25 AND 45),
    spo2_percent            integer     CHECK (spo2_percent BETWEEN 50 AND 100),
    respiratory_rate        integer     CHECK (respiratory_rate BETWEEN 4 AND 80),
    weight_kg               double precision CHECK (weight_kg BETWEEN 0.2 AND 500),
    height_cm               double precision CHECK (height_cm BETWEEN 20 AND 280),
    note                    text,
    recorded_by             uuid        NOT NULL REFERENCES users (id),
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    version                 integer     NOT NULL DEFAULT 1,
    entered_in_error_at     timestamptz,
    entered_in_error_by     uuid        REFERENCES users (id),
    entered_in_error_reason text,
    CHECK (num_nonnulls(systolic_mmhg, diastolic_mmhg, heart_rate_bpm, temperature_c, spo2_percent,
                        respiratory_rate, weight_kg, height_cm) > 0),
    CHECK ((systolic_mmhg IS NULL) = (diastolic_mmhg IS NULL)),
    CHECK (systolic_mmhg IS NULL OR systolic_mmhg > diastolic_mmhg)
);
CREATE INDEX vitals_patient_idx ON vitals (patient_id, measured_at DESC, id);

CREATE TABLE encounters (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id              uuid        NOT NULL REFERENCES patients (id),
    encounter_type          text        NOT NULL CHECK (encounter_type IN ('outpatient', 'inpatient', 'emergency', 'telehealth', 'home_visit')),
    started_at              timestamptz NOT NULL,
    ended_at                timestamptz,
    reason                  text        NOT NULL,
    clinician_id            uuid        NOT NULL REFERENCES users (id),
    recorded_by             uuid        NOT NULL REFERENCES users (id),
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    version                 integer     NOT NULL DEFAULT 1,
    entered_in_error_at     timestamptz,
    entered_in_error_by     uuid        REFERENCES users (id),
    entered_in_error_reason text,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX encounters_patient_idx ON encounters (patient_id, started_at DESC, id);

CREATE TABLE clinical_notes (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    encounter_id            uuid        NOT NULL REFERENCES encounters (id),
    patient_id              uuid        NOT NULL REFERENCES patients (id),
    note_type               text        NOT NULL CHECK (note_type IN ('progress', 'admission', 'discharge', 'consultation', 'procedure', 'nursing')),
    body                    text        NOT NULL,
    author_id               uuid        NOT NULL REFERENCES users (id),
    written_at              timestamptz NOT NULL DEFAULT now(),
    entered_in_error_at     timestamptz,
    entered_in_error_by     uuid        REFERENCES users (id),
    entered_in_error_reason text
);
CREATE INDEX clinical_notes_encounter_idx ON clinical_notes (encounter_id, written_at, id);

CREATE TABLE lab_results (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id              uuid        NOT NULL REFERENCES patients (id),
    test_name               text        NOT NULL,
    loinc_code              text,
    value_numeric           double precision,
    value_text              text,
    unit                    text,
    reference_low           double precision,
    reference_high          double precision,
    flag                    text        NOT NULL CHECK (flag IN ('normal', 'low', 'high', 'critical_low', 'critical_high', 'abnormal')),
    collected_at            timestamptz NOT NULL,
    reported_at             timestamptz NOT NULL DEFAULT now(),
    recorded_by             uuid        NOT NULL REFERENCES users (id),
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    version                 integer     NOT NULL DEFAULT 1,
    entered_in_error_at     timestamptz,
    entered_in_error_by     uuid        REFERENCES users (id),
    entered_in_error_reason text,
    CHECK (num_nonnulls(value_numeric, value_text) = 1),
    CHECK (reference_low IS NULL OR reference_high IS NULL OR reference_low <= reference_high)
);
CREATE INDEX lab_results_patient_idx ON lab_results (patient_id, collected_at DESC, id);

-- The audit trail is append-only: no code path updates or deletes it, and the database refuses.
ALTER TABLE audit_events ADD COLUMN patient_id uuid REFERENCES patients (id);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, occurred_at DESC, id) WHERE patient_id IS NOT NULL;

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END $$;
CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
