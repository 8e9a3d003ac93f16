-- Incidents and the status page: incidents with their components and timeline, postmortems
-- with corrective actions, and administrators' overrides of the components' automatic states.
-- Components are fixed keys: api, database-primary, database-standby, backups.

CREATE TABLE incidents (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    title           text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    severity        text        NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
    status          text        NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    started_at      timestamptz NOT NULL,
    resolved_at     timestamptz,
    -- NULL: opened by HMS itself (a database outage it detected).
    created_by      uuid        REFERENCES users (id),
    automatic       boolean     NOT NULL DEFAULT false,
    -- Automatic incidents: when the latest outage they cover began, and when the primary was
    -- reachable again (NULL while it is not). What makes opening one idempotent across hosts.
    outage_down_at  timestamptz,
    outage_up_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer     NOT NULL DEFAULT 1,
    CHECK (automatic = (created_by IS NULL)),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (resolved_at IS NULL OR resolved_at >= started_at),
    CHECK (automatic OR (outage_down_at IS NULL AND outage_up_at IS NULL)),
    CHECK (outage_up_at IS NULL OR outage_down_at IS NOT NULL)
);
CREATE INDEX incidents_started_idx ON incidents (started_at DESC, id DESC);
CREATE INDEX incidents_open_idx ON incidents (started_at DESC, id DESC) WHERE status <> 'resolved';
CREATE INDEX incidents_resolved_idx ON incidents (resolved_at DESC) WHERE resolved_at IS NOT NULL;
-- At most one outage HMS considers still going on.
CREATE UNIQUE INDEX incidents_one_live_outage_idx ON incidents ((true))
    WHERE automatic AND outage_down_at IS NOT NULL AND outage_up_at IS NULL;

CREATE TABLE incident_components (
    incident_id  uuid NOT NULL REFERENCES incidents (id),
    component    text NOT NULL CHECK (component IN ('api', 'database-primary', 'database-standby', 'backups')),
    PRIMARY KEY (incident_id, component)
);

-- The timeline: what was said, by whom (NULL: HMS itself), when, and the status it set.
CREATE TABLE incident_updates (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id  uuid        NOT NULL REFERENCES incidents (id),
    status       text        NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    message      text        NOT NULL CHECK (length(message) BETWEEN 1 AND 5000),
    author_id    uuid        REFERENCES users (id),
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id, at DESC, id DESC);

-- One postmortem per incident, in the shape of the seed's report.
CREATE TABLE postmortems (
    incident_id         uuid        PRIMARY KEY REFERENCES incidents (id),
    summary             text        NOT NULL CHECK (length(summary) BETWEEN 1 AND 10000),
    impact              text        NOT NULL CHECK (length(impact) BETWEEN 1 AND 10000),
    timeline            text        NOT NULL CHECK (length(timeline) BETWEEN 1 AND 20000),
    root_cause          text        NOT NULL CHECK (length(root_cause) BETWEEN 1 AND 10000),
    resolution          text        NOT NULL CHECK (length(resolution) BETWEEN 1 AND 10000),
    -- [{"action": …, "owner": …, "due": "YYYY-MM-DD" | null, "done": bool}]
    corrective_actions  jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(corrective_actions) = 'array'),
    author_id           uuid        NOT NULL REFERENCES users (id),
    updated_by          uuid        NOT NULL REFERENCES users (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer     NOT NULL DEFAULT 1
);

-- An administrator's word on a component, winning over the health checks until it expires or
-- is removed. Earlier overrides are in the audit trail.
CREATE TABLE component_overrides (
    component   text        PRIMARY KEY CHECK (component IN ('api', 'database-primary', 'database-standby', 'backups')),
    state       text        NOT NULL CHECK (state IN ('operational', 'degraded', 'partial_outage', 'major_outage')),
    note        text        CHECK (length(note) BETWEEN 1 AND 500),
    set_by      uuid        NOT NULL REFERENCES users (id),
    set_at      timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    CHECK (expires_at IS NULL OR expires_at > set_at)
);
