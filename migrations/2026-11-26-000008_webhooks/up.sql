-- Webhooks: subscriptions of integration clients, the transactional outbox of events and one
-- delivery row per (event, subscription), worked by the delivery worker.

CREATE TABLE webhook_subscriptions (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id       uuid        NOT NULL REFERENCES api_clients (id),
    url             text        NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    events          text[]      NOT NULL CHECK (cardinality(events) >= 1),
    -- The HMAC-SHA256 signing key, stored in clear on purpose: the server needs it to sign every
    -- delivery (a hash would be useless). Shown to the caller once, at creation; never logged.
    signing_secret  text        NOT NULL,
    active          boolean     NOT NULL DEFAULT true,
    description     text        NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    created_by      uuid        NOT NULL REFERENCES users (id),
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_client_idx ON webhook_subscriptions (client_id, created_at);
-- Fan-out: the active subscriptions listing an event type.
CREATE INDEX webhook_subscriptions_events_idx ON webhook_subscriptions USING gin (events) WHERE active;

-- The outbox: written in the same transaction as the change it describes.
CREATE TABLE webhook_events (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    type         text        NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    -- The whole envelope as sent: {id, type, occurred_at, data}.
    payload      jsonb       NOT NULL
);
CREATE INDEX webhook_events_occurred_idx ON webhook_events (occurred_at);

CREATE TABLE webhook_deliveries (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id          uuid        NOT NULL REFERENCES webhook_events (id),
    subscription_id   uuid        NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    status            text        NOT NULL DEFAULT 'pending'
                                  CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    -- A worker that claimed the row owns it until then; another instance takes it over after.
    leased_until      timestamptz,
    last_attempt_at   timestamptz,
    last_status_code  integer,
    -- Short reason of the last failure (never a response body).
    last_error        text        CHECK (length(last_error) <= 500),
    response_ms       integer,
    delivered_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, subscription_id)
);
-- The worker's query: pending rows that are due.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- The delivery log, newest first, per subscription.
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at DESC, id DESC);
