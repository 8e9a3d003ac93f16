-- Inventory: items, stock locations, lots with expiry, the append-only movement ledger, the
-- balances derived from it, and shortages with their workflow history.

CREATE TABLE stock_locations (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text        NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{0,19}$'),
    name        text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    kind        text        NOT NULL CHECK (kind IN ('pharmacy', 'ward', 'store')),
    active      boolean     NOT NULL DEFAULT true,
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stock_items (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    sku               text        NOT NULL UNIQUE CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
    name              text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    search_name       text        NOT NULL GENERATED ALWAYS AS (hms_fold(sku || ' ' || name)) STORED,
    category          text        NOT NULL CHECK (category IN ('drug', 'supply', 'equipment')),
    unit              text        NOT NULL CHECK (length(unit) BETWEEN 1 AND 40),
    reorder_level     integer     NOT NULL CHECK (reorder_level BETWEEN 0 AND 1000000),
    reorder_quantity  integer     NOT NULL CHECK (reorder_quantity BETWEEN 0 AND 1000000),
    critical          boolean     NOT NULL DEFAULT false,
    lot_tracked       boolean     NOT NULL,
    active            boolean     NOT NULL DEFAULT true,
    version           integer     NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_items_name_idx ON stock_items (lower(name), id);
CREATE INDEX stock_items_search_trgm_idx ON stock_items USING gin (search_name gin_trgm_ops);

-- Where a location's reorder level differs from the item's default.
CREATE TABLE stock_reorder_levels (
    item_id           uuid    NOT NULL REFERENCES stock_items (id),
    location_id       uuid    NOT NULL REFERENCES stock_locations (id),
    reorder_level     integer NOT NULL CHECK (reorder_level BETWEEN 0 AND 1000000),
    reorder_quantity  integer NOT NULL CHECK (reorder_quantity BETWEEN 0 AND 1000000),
    PRIMARY KEY (item_id, location_id)
);

CREATE TABLE stock_lots (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    item_id     uuid        NOT NULL REFERENCES stock_items (id),
    lot_number  text        NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 60),
    expires_on  date        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (item_id, lot_number)
);
CREATE INDEX stock_lots_expiry_idx ON stock_lots (expires_on, id);

-- One row per movement a person made (what they asked for)...
CREATE TABLE stock_movements (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    kind              text        NOT NULL CHECK (kind IN ('receive', 'dispense', 'transfer', 'adjust', 'write_off')),
    item_id           uuid        NOT NULL REFERENCES stock_items (id),
    from_location_id  uuid        REFERENCES stock_locations (id),
    to_location_id    uuid        REFERENCES stock_locations (id),
    quantity          integer     NOT NULL CHECK (quantity >= 0),
    patient_id        uuid        REFERENCES patients (id),
    medication_id     uuid        REFERENCES medications (id),
    write_off_reason  text        CHECK (write_off_reason IN ('expired', 'damaged', 'recalled', 'other')),
    reason            text,
    performed_by      uuid        NOT NULL REFERENCES users (id),
    performed_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(from_location_id, to_location_id) >= 1),
    CHECK (kind <> 'adjust' OR reason IS NOT NULL),
    CHECK (kind <> 'write_off' OR write_off_reason IS NOT NULL),
    CHECK (medication_id IS NULL OR patient_id IS NOT NULL)
);
CREATE INDEX stock_movements_item_idx ON stock_movements (item_id, performed_at DESC, id);
CREATE INDEX stock_movements_time_idx ON stock_movements (performed_at DESC, id);
CREATE INDEX stock_movements_patient_idx ON stock_movements (patient_id) WHERE patient_id IS NOT NULL;

-- ...and its ledger lines: the signed change per lot and location. Stock is their sum.
CREATE TABLE stock_ledger (
    id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    movement_id  uuid    NOT NULL REFERENCES stock_movements (id),
    item_id      uuid    NOT NULL REFERENCES stock_items (id),
    lot_id       uuid    REFERENCES stock_lots (id),
    location_id  uuid    NOT NULL REFERENCES stock_locations (id),
    delta        integer NOT NULL CHECK (delta <> 0)
);
CREATE INDEX stock_ledger_movement_idx ON stock_ledger (movement_id);
CREATE INDEX stock_ledger_item_location_idx ON stock_ledger (item_id, location_id);

-- The balance per item, lot and location, kept in the same transaction as the ledger lines.
-- It can never go negative, whatever the application does.
CREATE TABLE stock_balances (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id      uuid   NOT NULL REFERENCES stock_items (id),
    lot_id       uuid   REFERENCES stock_lots (id),
    location_id  uuid   NOT NULL REFERENCES stock_locations (id),
    quantity     bigint NOT NULL CONSTRAINT stock_balances_not_negative CHECK (quantity >= 0),
    CONSTRAINT stock_balances_key UNIQUE NULLS NOT DISTINCT (item_id, location_id, lot_id)
);
CREATE INDEX stock_balances_location_idx ON stock_balances (location_id, item_id);

-- The ledger is append-only: corrections are new movements.
CREATE FUNCTION stock_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER stock_movements_no_update_or_delete
    BEFORE UPDATE OR DELETE OR TRUNCATE ON stock_movements
    FOR EACH STATEMENT EXECUTE FUNCTION stock_ledger_append_only();
CREATE TRIGGER stock_ledger_no_update_or_delete
    BEFORE UPDATE OR DELETE OR TRUNCATE ON stock_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION stock_ledger_append_only();

CREATE TABLE shortages (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    item_id           uuid        NOT NULL REFERENCES stock_items (id),
    location_id       uuid        NOT NULL REFERENCES stock_locations (id),
    status            text        NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'acknowledged', 'ordered', 'resolved', 'dismissed')),
    severity          text        NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    source            text        NOT NULL CHECK (source IN ('automatic', 'reported')),
    critical_item     boolean     NOT NULL,
    note              text,
    level_at_open     bigint,
    order_reference   text,
    resolution        text,
    opened_by         uuid        NOT NULL REFERENCES users (id),
    opened_at         timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    version           integer     NOT NULL DEFAULT 1,
    CHECK ((status IN ('resolved', 'dismissed')) = (closed_at IS NOT NULL)),
    CHECK (status <> 'dismissed' OR resolution IS NOT NULL)
);
-- A movement opens at most one shortage per item and location while one is live.
CREATE UNIQUE INDEX shortages_one_live_automatic_idx ON shortages (item_id, location_id)
    WHERE source = 'automatic' AND status IN ('open', 'acknowledged', 'ordered');
CREATE INDEX shortages_live_idx ON shortages (item_id, location_id)
    WHERE status IN ('open', 'acknowledged', 'ordered');
CREATE INDEX shortages_status_idx ON shortages (status, opened_at DESC, id);

CREATE TABLE shortage_events (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shortage_id  uuid        NOT NULL REFERENCES shortages (id),
    from_status  text,
    to_status    text        NOT NULL,
    by_user      uuid        NOT NULL REFERENCES users (id),
    at           timestamptz NOT NULL DEFAULT now(),
    note         text
);
CREATE INDEX shortage_events_shortage_idx ON shortage_events (shortage_id, id);
