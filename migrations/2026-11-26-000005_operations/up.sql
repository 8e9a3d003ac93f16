-- Operations records: every backup, backup verification (a restore test), point-in-time
-- restore and maintenance run, with its result, so that "our backups work" is a fact with a
-- date, shown to administrators and exported as metrics.

CREATE TABLE backup_runs (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    kind              text        NOT NULL CHECK (kind IN ('backup', 'verify', 'restore')),
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz NOT NULL CHECK (finished_at >= started_at),
    duration_ms       bigint      NOT NULL CHECK (duration_ms >= 0),
    result            text        NOT NULL CHECK (result IN ('ok', 'failed')),
    -- The pgBackRest backup set (e.g. 20261126-080014F): taken, verified or restored from.
    backup_label      text,
    -- Backups: the named restore point, created right after the backup ended, where row_counts
    -- were counted (with writes to the counted tables held off), so that a verification
    -- restores exactly that state.
    restore_point     text,
    database_name     text,
    -- Backups: the database size copied; verifications and restores: the restored size.
    size_bytes        bigint      CHECK (size_bytes >= 0),
    -- Backups: the size in the repository (compressed).
    repository_bytes  bigint      CHECK (repository_bytes >= 0),
    -- Backups: [{table, expected}] at the restore point; verifications: [{table, expected, found}].
    row_counts        jsonb       NOT NULL DEFAULT '[]',
    -- The steps with their durations: [{name, ok, duration_ms, detail}].
    steps             jsonb       NOT NULL DEFAULT '[]',
    -- One line for people: what happened, or why it failed.
    detail            text        NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backup_runs_newest_idx ON backup_runs (started_at DESC, id DESC);
CREATE INDEX backup_runs_label_idx ON backup_runs (backup_label, kind, finished_at DESC);

CREATE TABLE maintenance_runs (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL CHECK (finished_at >= started_at),
    duration_ms  bigint      NOT NULL CHECK (duration_ms >= 0),
    result       text        NOT NULL CHECK (result IN ('ok', 'problems_found', 'incomplete')),
    -- One line for people.
    summary      text        NOT NULL,
    -- amcheck, checksum failures, vacuumed tables, bloat estimate, index health.
    report       jsonb       NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maintenance_runs_newest_idx ON maintenance_runs (started_at DESC, id DESC);
