//! Inventory queries. Stock views are aggregates over `stock_balances`, which the movement code
//! keeps equal to the sum of the ledger in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Date, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::db::schema::{
    shortage_events, shortages, stock_items, stock_ledger, stock_locations, stock_lots,
    stock_movements, stock_reorder_levels,
};

// ---------------------------------------------------------------------------------------------
// Locations

#[derive(Queryable, Selectable)]
#[diesel(table_name = stock_locations)]
pub struct LocationRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub active: bool,
    pub version: i32,
}

#[derive(Insertable)]
#[diesel(table_name = stock_locations)]
pub struct NewLocationRow {
    pub code: String,
    pub name: String,
    pub kind: String,
}

pub fn list_locations(
    conn: &mut PgConnection,
    include_inactive: bool,
) -> QueryResult<Vec<LocationRow>> {
    let mut query = stock_locations::table
        .select(LocationRow::as_select())
        .order(stock_locations::name)
        .limit(500)
        .into_boxed();
    if !include_inactive {
        query = query.filter(stock_locations::active.eq(true));
    }
    query.load(conn)
}

pub fn find_location(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<LocationRow>> {
    stock_locations::table
        .find(id)
        .select(LocationRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_location(conn: &mut PgConnection, row: &NewLocationRow) -> QueryResult<LocationRow> {
    diesel::insert_into(stock_locations::table)
        .values(row)
        .returning(LocationRow::as_returning())
        .get_result(conn)
}

pub fn update_location(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    name: &str,
    active: bool,
) -> QueryResult<Option<LocationRow>> {
    diesel::update(
        stock_locations::table
            .filter(stock_locations::id.eq(id))
            .filter(stock_locations::version.eq(version)),
    )
    .set((
        stock_locations::name.eq(name),
        stock_locations::active.eq(active),
        stock_locations::version.eq(version + 1),
    ))
    .returning(LocationRow::as_returning())
    .get_result(conn)
    .optional()
}

/// Whether any stock is held at the location.
pub fn holds_stock(conn: &mut PgConnection, location_id: Uuid) -> QueryResult<bool> {
    use crate::db::schema::stock_balances;
    diesel::select(diesel::dsl::exists(
        stock_balances::table
            .filter(stock_balances::location_id.eq(location_id))
            .filter(stock_balances::quantity.gt(0)),
    ))
    .get_result(conn)
}

// ---------------------------------------------------------------------------------------------
// Items

/// An item with its stock summary.
#[derive(QueryableByName)]
pub struct ItemRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    /// `lower(name)` as PostgreSQL computes it: the sort key of the item list.
    #[diesel(sql_type = Text)]
    pub sort_name: String,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Integer)]
    pub reorder_level: i32,
    #[diesel(sql_type = Integer)]
    pub reorder_quantity: i32,
    #[diesel(sql_type = Bool)]
    pub critical: bool,
    #[diesel(sql_type = Bool)]
    pub lot_tracked: bool,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub on_hand: i64,
    #[diesel(sql_type = Bool)]
    pub low_stock: bool,
}

/// Items with their stock over all locations and whether some location holds usable
/// (unexpired) stock at or below its reorder level (only locations that hold or held the item
/// count) — the same rule as the stock view and automatic shortages. `today` is the bind
/// parameter holding the hospital's date.
fn item_select(today: &str) -> String {
    format!(
        "SELECT i.id, i.sku, i.name, lower(i.name) AS sort_name, i.category, i.unit,
                i.reorder_level, i.reorder_quantity, i.critical, i.lot_tracked, i.active,
                i.version, i.created_at, i.updated_at,
                coalesce(s.on_hand, 0)::bigint AS on_hand, coalesce(s.low, false) AS low_stock
         FROM stock_items i
         LEFT JOIN LATERAL (
             SELECT sum(per.q) AS on_hand,
                    bool_or(per.usable <= coalesce(r.reorder_level, i.reorder_level)) AS low
             FROM (SELECT b.location_id, sum(b.quantity) AS q,
                          coalesce(sum(b.quantity) FILTER (WHERE l.expires_on IS NULL
                                                             OR l.expires_on >= {today}), 0) AS usable
                   FROM stock_balances b LEFT JOIN stock_lots l ON l.id = b.lot_id
                   WHERE b.item_id = i.id GROUP BY b.location_id) per
             LEFT JOIN stock_reorder_levels r ON r.item_id = i.id AND r.location_id = per.location_id
         ) s ON true"
    )
}

pub fn find_item(
    conn: &mut PgConnection,
    id: Uuid,
    today: NaiveDate,
) -> QueryResult<Option<ItemRow>> {
    crate::db::prepared(format!("{} WHERE i.id = $1", item_select("$2")))
        .bind::<SqlUuid, _>(id)
        .bind::<Date, _>(today)
        .get_result(conn)
        .optional()
}

pub struct ItemFilter {
    /// Folded search text (substring of SKU or name).
    pub text: Option<String>,
    pub category: Option<String>,
    pub low_stock: bool,
    pub include_inactive: bool,
    /// (lower(name), id) of the last item of the previous page.
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
    pub today: NaiveDate,
}

pub fn list_items(conn: &mut PgConnection, f: &ItemFilter) -> QueryResult<Vec<ItemRow>> {
    let (after_name, after_id) = f.after.clone().unzip();
    diesel::sql_query(format!(
        "{}
         WHERE ($1::text IS NULL OR i.search_name LIKE '%' || $1 || '%')
           AND ($2::text IS NULL OR i.category = $2)
           AND (NOT $3 OR coalesce(s.low, false))
           AND ($4 OR i.active)
           AND ($5::text IS NULL OR (lower(i.name), i.id) > ($5, $6::uuid))
         ORDER BY lower(i.name), i.id
         LIMIT $7",
        item_select("$8")
    ))
    .bind::<Nullable<Text>, _>(f.text.as_deref())
    .bind::<Nullable<Text>, _>(f.category.as_deref())
    .bind::<Bool, _>(f.low_stock)
    .bind::<Bool, _>(f.include_inactive)
    .bind::<Nullable<Text>, _>(after_name)
    .bind::<Nullable<SqlUuid>, _>(after_id)
    .bind::<BigInt, _>(f.limit + 1)
    .bind::<Date, _>(f.today)
    .load(conn)
}

/// The folded form of a search text, as `search_name` stores it.
pub fn fold(conn: &mut PgConnection, text: &str) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct Folded {
        #[diesel(sql_type = Text)]
        folded: String,
    }
    diesel::sql_query("SELECT hms_fold($1) AS folded")
        .bind::<Text, _>(text)
        .get_result::<Folded>(conn)
        .map(|f| f.folded)
}

#[derive(Insertable)]
#[diesel(table_name = stock_items)]
pub struct NewItemRow {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub reorder_level: i32,
    pub reorder_quantity: i32,
    pub critical: bool,
    pub lot_tracked: bool,
}

pub fn insert_item(conn: &mut PgConnection, row: &NewItemRow) -> QueryResult<Uuid> {
    diesel::insert_into(stock_items::table)
        .values(row)
        .returning(stock_items::id)
        .get_result(conn)
}

#[derive(AsChangeset)]
#[diesel(table_name = stock_items)]
pub struct ItemChangesRow {
    pub name: String,
    pub unit: String,
    pub reorder_level: i32,
    pub reorder_quantity: i32,
    pub critical: bool,
    pub active: bool,
}

/// Applies `changes` when the item is still at `version`; `false` when it is not.
pub fn update_item(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    changes: &ItemChangesRow,
) -> QueryResult<bool> {
    diesel::update(
        stock_items::table
            .filter(stock_items::id.eq(id))
            .filter(stock_items::version.eq(version)),
    )
    .set((
        changes,
        stock_items::version.eq(version + 1),
        stock_items::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn set_reorder_level(
    conn: &mut PgConnection,
    item_id: Uuid,
    location_id: Uuid,
    level: i32,
    quantity: i32,
) -> QueryResult<()> {
    diesel::insert_into(stock_reorder_levels::table)
        .values((
            stock_reorder_levels::item_id.eq(item_id),
            stock_reorder_levels::location_id.eq(location_id),
            stock_reorder_levels::reorder_level.eq(level),
            stock_reorder_levels::reorder_quantity.eq(quantity),
        ))
        .on_conflict((
            stock_reorder_levels::item_id,
            stock_reorder_levels::location_id,
        ))
        .do_update()
        .set((
            stock_reorder_levels::reorder_level.eq(level),
            stock_reorder_levels::reorder_quantity.eq(quantity),
        ))
        .execute(conn)
        .map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Lots

#[derive(QueryableByName)]
pub struct LotRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub item_id: Uuid,
    #[diesel(sql_type = Text)]
    pub lot_number: String,
    #[diesel(sql_type = Date)]
    pub expires_on: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub on_hand: i64,
}

pub fn lots_of_item(conn: &mut PgConnection, item_id: Uuid) -> QueryResult<Vec<LotRow>> {
    diesel::sql_query(
        "SELECT l.id, l.item_id, l.lot_number, l.expires_on,
                coalesce((SELECT sum(b.quantity) FROM stock_balances b WHERE b.lot_id = l.id), 0)::bigint AS on_hand
         FROM stock_lots l WHERE l.item_id = $1
         ORDER BY l.expires_on, l.lot_number
         LIMIT 1000",
    )
    .bind::<SqlUuid, _>(item_id)
    .load(conn)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = stock_lots)]
pub struct LotRef {
    pub id: Uuid,
    pub item_id: Uuid,
    pub lot_number: String,
    pub expires_on: NaiveDate,
}

pub fn find_lot(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<LotRef>> {
    stock_lots::table
        .find(id)
        .select(LotRef::as_select())
        .first(conn)
        .optional()
}

pub fn find_lot_by_number(
    conn: &mut PgConnection,
    item_id: Uuid,
    lot_number: &str,
) -> QueryResult<Option<LotRef>> {
    stock_lots::table
        .filter(stock_lots::item_id.eq(item_id))
        .filter(stock_lots::lot_number.eq(lot_number))
        .select(LotRef::as_select())
        .first(conn)
        .optional()
}

pub fn insert_lot(
    conn: &mut PgConnection,
    item_id: Uuid,
    lot_number: &str,
    expires_on: NaiveDate,
) -> QueryResult<LotRef> {
    diesel::insert_into(stock_lots::table)
        .values((
            stock_lots::item_id.eq(item_id),
            stock_lots::lot_number.eq(lot_number),
            stock_lots::expires_on.eq(expires_on),
        ))
        .returning(LotRef::as_returning())
        .get_result(conn)
}

// ---------------------------------------------------------------------------------------------
// Balances and the ledger

/// Serializes every movement of one item: balances, levels and shortage decisions of an item
/// are then read and written by one transaction at a time, and no two movements can deadlock.
pub fn lock_item(conn: &mut PgConnection, item_id: Uuid) -> QueryResult<()> {
    crate::db::prepared("SELECT pg_advisory_xact_lock(hashtextextended('stock:' || $1::text, 0))")
        .bind::<SqlUuid, _>(item_id)
        .execute(conn)
        .map(|_| ())
}

/// Stock of one lot (or the unlotted stock) at one location.
#[derive(QueryableByName, Clone)]
pub struct BalanceRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub lot_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub lot_number: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub expires_on: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
}

/// The positive balances of an item at a location, first expiry first (unlotted stock last),
/// locked for the caller's transaction.
pub fn balances_for_update(
    conn: &mut PgConnection,
    item_id: Uuid,
    location_id: Uuid,
) -> QueryResult<Vec<BalanceRow>> {
    crate::db::prepared(
        "SELECT b.lot_id, l.lot_number, l.expires_on, b.quantity
         FROM stock_balances b LEFT JOIN stock_lots l ON l.id = b.lot_id
         WHERE b.item_id = $1 AND b.location_id = $2 AND b.quantity > 0
         ORDER BY l.expires_on NULLS LAST, l.lot_number NULLS LAST
         FOR UPDATE OF b",
    )
    .bind::<SqlUuid, _>(item_id)
    .bind::<SqlUuid, _>(location_id)
    .load(conn)
}

/// Adds `delta` to one balance, creating it for a first receipt. Returns whether a balance
/// changed (a decrease of a balance that does not exist changes none). The
/// `stock_balances_not_negative` check refuses a result below zero.
pub fn add_to_balance(
    conn: &mut PgConnection,
    item_id: Uuid,
    lot_id: Option<Uuid>,
    location_id: Uuid,
    delta: i32,
) -> QueryResult<bool> {
    // An INSERT of a negative quantity would trip the check before ON CONFLICT is considered,
    // so decreases only ever update.
    let sql = if delta > 0 {
        "INSERT INTO stock_balances (item_id, lot_id, location_id, quantity)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT ON CONSTRAINT stock_balances_key
         DO UPDATE SET quantity = stock_balances.quantity + EXCLUDED.quantity"
    } else {
        "UPDATE stock_balances SET quantity = quantity + $4
         WHERE item_id = $1 AND lot_id IS NOT DISTINCT FROM $2 AND location_id = $3"
    };
    crate::db::prepared(sql)
        .bind::<SqlUuid, _>(item_id)
        .bind::<Nullable<SqlUuid>, _>(lot_id)
        .bind::<SqlUuid, _>(location_id)
        .bind::<BigInt, _>(i64::from(delta))
        .execute(conn)
        .map(|n| n == 1)
}

#[derive(Insertable)]
#[diesel(table_name = stock_movements)]
pub struct NewMovementRow {
    pub kind: String,
    pub item_id: Uuid,
    pub from_location_id: Option<Uuid>,
    pub to_location_id: Option<Uuid>,
    pub quantity: i32,
    pub patient_id: Option<Uuid>,
    pub medication_id: Option<Uuid>,
    pub write_off_reason: Option<String>,
    pub reason: Option<String>,
    pub performed_by: Uuid,
}

pub fn insert_movement(conn: &mut PgConnection, row: &NewMovementRow) -> QueryResult<Uuid> {
    diesel::insert_into(stock_movements::table)
        .values(row)
        .returning(stock_movements::id)
        .get_result(conn)
}

pub fn insert_ledger_line(
    conn: &mut PgConnection,
    movement_id: Uuid,
    item_id: Uuid,
    lot_id: Option<Uuid>,
    location_id: Uuid,
    delta: i32,
) -> QueryResult<()> {
    diesel::insert_into(stock_ledger::table)
        .values((
            stock_ledger::movement_id.eq(movement_id),
            stock_ledger::item_id.eq(item_id),
            stock_ledger::lot_id.eq(lot_id),
            stock_ledger::location_id.eq(location_id),
            stock_ledger::delta.eq(delta),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The level that matters for reordering at one location: usable (unexpired) units on hand,
/// and the reorder level and quantity in force there.
#[derive(QueryableByName)]
pub struct LevelRow {
    #[diesel(sql_type = BigInt)]
    pub usable: i64,
    #[diesel(sql_type = Integer)]
    pub reorder_level: i32,
    #[diesel(sql_type = Integer)]
    pub reorder_quantity: i32,
}

pub fn level(
    conn: &mut PgConnection,
    item_id: Uuid,
    location_id: Uuid,
    today: NaiveDate,
) -> QueryResult<LevelRow> {
    crate::db::prepared(
        "SELECT coalesce((SELECT sum(b.quantity) FROM stock_balances b
                          LEFT JOIN stock_lots l ON l.id = b.lot_id
                          WHERE b.item_id = i.id AND b.location_id = $2
                            AND (l.expires_on IS NULL OR l.expires_on >= $3)), 0)::bigint AS usable,
                coalesce(r.reorder_level, i.reorder_level) AS reorder_level,
                coalesce(r.reorder_quantity, i.reorder_quantity) AS reorder_quantity
         FROM stock_items i
         LEFT JOIN stock_reorder_levels r ON r.item_id = i.id AND r.location_id = $2
         WHERE i.id = $1",
    )
    .bind::<SqlUuid, _>(item_id)
    .bind::<SqlUuid, _>(location_id)
    .bind::<Date, _>(today)
    .get_result(conn)
}

/// The hospital's calendar day now.
pub fn today(conn: &mut PgConnection, time_zone: &str) -> QueryResult<NaiveDate> {
    #[derive(QueryableByName)]
    struct Today {
        #[diesel(sql_type = Date)]
        today: NaiveDate,
    }
    crate::db::prepared("SELECT (now() AT TIME ZONE $1)::date AS today")
        .bind::<Text, _>(time_zone)
        .get_result::<Today>(conn)
        .map(|t| t.today)
}

// ---------------------------------------------------------------------------------------------
// Stock views

#[derive(QueryableByName)]
pub struct StockLevelRow {
    #[diesel(sql_type = SqlUuid)]
    pub item_id: Uuid,
    #[diesel(sql_type = Text)]
    pub item_sku: String,
    #[diesel(sql_type = Text)]
    pub item_name: String,
    #[diesel(sql_type = Text)]
    pub sort_name: String,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Bool)]
    pub critical: bool,
    #[diesel(sql_type = SqlUuid)]
    pub location_id: Uuid,
    #[diesel(sql_type = Text)]
    pub location_name: String,
    #[diesel(sql_type = BigInt)]
    pub on_hand: i64,
    #[diesel(sql_type = BigInt)]
    pub expired: i64,
    #[diesel(sql_type = Integer)]
    pub reorder_level: i32,
    #[diesel(sql_type = Integer)]
    pub reorder_quantity: i32,
    #[diesel(sql_type = BigInt)]
    pub dispensed_30d: i64,
}

pub struct StockFilter {
    pub item_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    pub low: bool,
    /// (lower(item name), location name, item id, location id) of the last row shown.
    pub after: Option<(String, String, Uuid, Uuid)>,
    pub limit: i64,
    pub today: NaiveDate,
}

/// Levels per item and location, by item name then location name.
///
/// Items are walked in name order (`stock_items_name_idx`) and each one's balances summed by
/// itself, so a page costs what it shows rather than the whole location; dispensing of the last
/// 30 days is counted only for the rows of the page (`stock_movements_dispensed_idx`).
pub fn stock_levels(conn: &mut PgConnection, f: &StockFilter) -> QueryResult<Vec<StockLevelRow>> {
    let (a_name, a_loc, a_item, a_locid) = match &f.after {
        Some((a, b, c, d)) => (Some(a.clone()), Some(b.clone()), Some(*c), Some(*d)),
        None => (None, None, None, None),
    };
    diesel::sql_query(
        "WITH page AS (
             SELECT i.id AS item_id, i.sku AS item_sku, i.name AS item_name, lower(i.name) AS sort_name,
                    i.unit, i.critical, loc.id AS location_id, loc.name AS location_name,
                    per.on_hand, per.expired,
                    coalesce(r.reorder_level, i.reorder_level) AS reorder_level,
                    coalesce(r.reorder_quantity, i.reorder_quantity) AS reorder_quantity
             FROM stock_items i
             CROSS JOIN LATERAL (
                 SELECT b.location_id, sum(b.quantity)::bigint AS on_hand,
                        coalesce(sum(b.quantity) FILTER (WHERE l.expires_on < $1), 0)::bigint AS expired
                 FROM stock_balances b LEFT JOIN stock_lots l ON l.id = b.lot_id
                 WHERE b.item_id = i.id AND ($3::uuid IS NULL OR b.location_id = $3)
                 GROUP BY b.location_id
             ) per
             JOIN stock_locations loc ON loc.id = per.location_id
             LEFT JOIN stock_reorder_levels r ON r.item_id = i.id AND r.location_id = per.location_id
             WHERE ($2::uuid IS NULL OR i.id = $2)
               AND (NOT $4 OR per.on_hand - per.expired <= coalesce(r.reorder_level, i.reorder_level))
               AND ($5::text IS NULL OR (lower(i.name) >= $5
                    AND (lower(i.name), loc.name, i.id, loc.id) > ($5, $6::text, $7::uuid, $8::uuid)))
             ORDER BY lower(i.name), loc.name, i.id, loc.id
             LIMIT $9
         )
         SELECT page.*,
                coalesce((SELECT sum(m.quantity) FROM stock_movements m
                          WHERE m.item_id = page.item_id AND m.from_location_id = page.location_id
                            AND m.kind = 'dispense' AND m.performed_at > now() - interval '30 days'), 0)::bigint
                  AS dispensed_30d
         FROM page
         ORDER BY sort_name, location_name, item_id, location_id",
    )
    .bind::<Date, _>(f.today)
    .bind::<Nullable<SqlUuid>, _>(f.item_id)
    .bind::<Nullable<SqlUuid>, _>(f.location_id)
    .bind::<Bool, _>(f.low)
    .bind::<Nullable<Text>, _>(a_name)
    .bind::<Nullable<Text>, _>(a_loc)
    .bind::<Nullable<SqlUuid>, _>(a_item)
    .bind::<Nullable<SqlUuid>, _>(a_locid)
    .bind::<BigInt, _>(f.limit + 1)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct LotStockRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub lot_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub lot_number: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub expires_on: Option<NaiveDate>,
    #[diesel(sql_type = SqlUuid)]
    pub location_id: Uuid,
    #[diesel(sql_type = Text)]
    pub location_name: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
}

/// Where an item's stock is, lot by lot, first expiry first.
pub fn lot_stock(conn: &mut PgConnection, item_id: Uuid) -> QueryResult<Vec<LotStockRow>> {
    diesel::sql_query(
        "SELECT b.lot_id, l.lot_number, l.expires_on, b.location_id, loc.name AS location_name,
                b.quantity
         FROM stock_balances b
         LEFT JOIN stock_lots l ON l.id = b.lot_id
         JOIN stock_locations loc ON loc.id = b.location_id
         WHERE b.item_id = $1 AND b.quantity > 0
         ORDER BY l.expires_on NULLS LAST, l.lot_number NULLS LAST, loc.name
         LIMIT 1000",
    )
    .bind::<SqlUuid, _>(item_id)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct ExpiringRow {
    #[diesel(sql_type = BigInt)]
    pub balance_id: i64,
    #[diesel(sql_type = SqlUuid)]
    pub item_id: Uuid,
    #[diesel(sql_type = Text)]
    pub item_sku: String,
    #[diesel(sql_type = Text)]
    pub item_name: String,
    #[diesel(sql_type = SqlUuid)]
    pub lot_id: Uuid,
    #[diesel(sql_type = Text)]
    pub lot_number: String,
    #[diesel(sql_type = Date)]
    pub expires_on: NaiveDate,
    #[diesel(sql_type = SqlUuid)]
    pub location_id: Uuid,
    #[diesel(sql_type = Text)]
    pub location_name: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
}

/// Lots with stock that expire on or before `until`, soonest first.
pub fn expiring(
    conn: &mut PgConnection,
    until: NaiveDate,
    location_id: Option<Uuid>,
    after: Option<(NaiveDate, i64)>,
    limit: i64,
) -> QueryResult<Vec<ExpiringRow>> {
    let (a_date, a_id) = after.unzip();
    diesel::sql_query(
        "SELECT b.id AS balance_id, i.id AS item_id, i.sku AS item_sku, i.name AS item_name,
                l.id AS lot_id, l.lot_number, l.expires_on, loc.id AS location_id,
                loc.name AS location_name, b.quantity
         FROM stock_lots l
         JOIN stock_balances b ON b.lot_id = l.id AND b.quantity > 0
         JOIN stock_items i ON i.id = l.item_id
         JOIN stock_locations loc ON loc.id = b.location_id
         WHERE l.expires_on <= $1
           AND ($2::uuid IS NULL OR b.location_id = $2)
           AND ($3::date IS NULL OR (l.expires_on, b.id) > ($3, $4::bigint))
         ORDER BY l.expires_on, b.id
         LIMIT $5",
    )
    .bind::<Date, _>(until)
    .bind::<Nullable<SqlUuid>, _>(location_id)
    .bind::<Nullable<Date>, _>(a_date)
    .bind::<Nullable<BigInt>, _>(a_id)
    .bind::<BigInt, _>(limit + 1)
    .load(conn)
}

// ---------------------------------------------------------------------------------------------
// Movements

#[derive(QueryableByName)]
pub struct MovementRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = SqlUuid)]
    pub item_id: Uuid,
    #[diesel(sql_type = Text)]
    pub item_name: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub from_location_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub to_location_id: Option<Uuid>,
    #[diesel(sql_type = Integer)]
    pub quantity: i32,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub patient_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub medication_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub write_off_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = SqlUuid)]
    pub performed_by: Uuid,
    #[diesel(sql_type = Text)]
    pub performed_by_name: String,
    #[diesel(sql_type = Timestamptz)]
    pub performed_at: DateTime<Utc>,
}

const MOVEMENT_SELECT: &str = "
    SELECT m.id, m.kind, m.item_id, i.name AS item_name, m.from_location_id, m.to_location_id,
           m.quantity, m.patient_id, m.medication_id, m.write_off_reason, m.reason,
           m.performed_by, u.display_name AS performed_by_name, m.performed_at
    FROM stock_movements m
    JOIN stock_items i ON i.id = m.item_id
    JOIN users u ON u.id = m.performed_by";

pub fn find_movement(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<MovementRow>> {
    crate::db::prepared(format!("{MOVEMENT_SELECT} WHERE m.id = $1"))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .optional()
}

pub struct MovementFilter {
    pub item_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    pub kind: Option<String>,
    pub patient_id: Option<Uuid>,
    /// (performed_at, id) of the last movement shown.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Movements, newest first.
pub fn list_movements(
    conn: &mut PgConnection,
    f: &MovementFilter,
) -> QueryResult<Vec<MovementRow>> {
    let (b_at, b_id) = f.before.unzip();
    diesel::sql_query(format!(
        "{MOVEMENT_SELECT}
         WHERE ($1::uuid IS NULL OR m.item_id = $1)
           AND ($2::uuid IS NULL OR m.from_location_id = $2 OR m.to_location_id = $2)
           AND ($3::text IS NULL OR m.kind = $3)
           AND ($4::uuid IS NULL OR m.patient_id = $4)
           AND ($5::timestamptz IS NULL OR (m.performed_at, m.id) < ($5, $6::uuid))
         ORDER BY m.performed_at DESC, m.id DESC
         LIMIT $7"
    ))
    .bind::<Nullable<SqlUuid>, _>(f.item_id)
    .bind::<Nullable<SqlUuid>, _>(f.location_id)
    .bind::<Nullable<Text>, _>(f.kind.as_deref())
    .bind::<Nullable<SqlUuid>, _>(f.patient_id)
    .bind::<Nullable<Timestamptz>, _>(b_at)
    .bind::<Nullable<SqlUuid>, _>(b_id)
    .bind::<BigInt, _>(f.limit + 1)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct LineRow {
    #[diesel(sql_type = SqlUuid)]
    pub movement_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub lot_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub lot_number: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub expires_on: Option<NaiveDate>,
    #[diesel(sql_type = SqlUuid)]
    pub location_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub delta: i32,
}

/// The ledger lines of some movements, in the order they were written.
pub fn lines_of(conn: &mut PgConnection, movement_ids: &[Uuid]) -> QueryResult<Vec<LineRow>> {
    crate::db::prepared(
        "SELECT g.movement_id, g.lot_id, l.lot_number, l.expires_on, g.location_id, g.delta
         FROM stock_ledger g LEFT JOIN stock_lots l ON l.id = g.lot_id
         WHERE g.movement_id = ANY($1)
         ORDER BY g.id",
    )
    .bind::<Array<SqlUuid>, _>(movement_ids)
    .load(conn)
}

// ---------------------------------------------------------------------------------------------
// Shortages

#[derive(QueryableByName)]
pub struct ShortageRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub item_id: Uuid,
    #[diesel(sql_type = Text)]
    pub item_sku: String,
    #[diesel(sql_type = Text)]
    pub item_name: String,
    #[diesel(sql_type = SqlUuid)]
    pub location_id: Uuid,
    #[diesel(sql_type = Text)]
    pub location_name: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub severity: String,
    #[diesel(sql_type = Integer)]
    pub rank: i32,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Bool)]
    pub critical_item: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub level_at_open: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub on_hand: i64,
    #[diesel(sql_type = Integer)]
    pub reorder_level: i32,
    #[diesel(sql_type = Integer)]
    pub reorder_quantity: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub order_reference: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub resolution: Option<String>,
    #[diesel(sql_type = SqlUuid)]
    pub opened_by: Uuid,
    #[diesel(sql_type = Text)]
    pub opened_by_name: String,
    #[diesel(sql_type = Timestamptz)]
    pub opened_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub closed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Integer)]
    pub version: i32,
}

/// Shortages with their item, location and current level. `rank` orders the board: critical
/// items first, then severity.
const SHORTAGE_SELECT: &str = "
    SELECT * FROM (
        SELECT s.id, s.item_id, i.sku AS item_sku, i.name AS item_name, s.location_id,
               loc.name AS location_name, s.status, s.severity,
               (CASE s.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END
                + CASE WHEN s.critical_item THEN 10 ELSE 0 END) AS rank,
               s.source, s.critical_item, s.note, s.level_at_open,
               coalesce((SELECT sum(b.quantity) FROM stock_balances b
                         WHERE b.item_id = s.item_id AND b.location_id = s.location_id), 0)::bigint AS on_hand,
               coalesce(r.reorder_level, i.reorder_level) AS reorder_level,
               coalesce(r.reorder_quantity, i.reorder_quantity) AS reorder_quantity,
               s.order_reference, s.resolution, s.opened_by, u.display_name AS opened_by_name,
               s.opened_at, s.updated_at, s.closed_at, s.version
        FROM shortages s
        JOIN stock_items i ON i.id = s.item_id
        JOIN stock_locations loc ON loc.id = s.location_id
        JOIN users u ON u.id = s.opened_by
        LEFT JOIN stock_reorder_levels r ON r.item_id = s.item_id AND r.location_id = s.location_id
    ) x";

pub fn find_shortage(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<ShortageRow>> {
    crate::db::prepared(format!("{SHORTAGE_SELECT} WHERE x.id = $1"))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .optional()
}

pub struct ShortageFilter {
    pub statuses: Vec<String>,
    pub severity: Option<String>,
    pub item_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    /// (rank, opened_at, id) of the last shortage shown.
    pub after: Option<(i32, DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Shortages: most urgent first, then newest first.
pub fn list_shortages(
    conn: &mut PgConnection,
    f: &ShortageFilter,
) -> QueryResult<Vec<ShortageRow>> {
    let (a_rank, a_at, a_id) = match f.after {
        Some((r, t, i)) => (Some(r), Some(t), Some(i)),
        None => (None, None, None),
    };
    diesel::sql_query(format!(
        "{SHORTAGE_SELECT}
         WHERE (cardinality($1::text[]) = 0 OR x.status = ANY($1))
           AND ($2::text IS NULL OR x.severity = $2)
           AND ($3::uuid IS NULL OR x.item_id = $3)
           AND ($4::uuid IS NULL OR x.location_id = $4)
           AND ($5::int IS NULL OR (x.rank, x.opened_at, x.id) < ($5, $6::timestamptz, $7::uuid))
         ORDER BY x.rank DESC, x.opened_at DESC, x.id DESC
         LIMIT $8"
    ))
    .bind::<Array<Text>, _>(&f.statuses)
    .bind::<Nullable<Text>, _>(f.severity.as_deref())
    .bind::<Nullable<SqlUuid>, _>(f.item_id)
    .bind::<Nullable<SqlUuid>, _>(f.location_id)
    .bind::<Nullable<Integer>, _>(a_rank)
    .bind::<Nullable<Timestamptz>, _>(a_at)
    .bind::<Nullable<SqlUuid>, _>(a_id)
    .bind::<BigInt, _>(f.limit + 1)
    .load(conn)
}

#[derive(Insertable)]
#[diesel(table_name = shortages)]
pub struct NewShortageRow {
    pub item_id: Uuid,
    pub location_id: Uuid,
    pub severity: String,
    pub source: String,
    pub critical_item: bool,
    pub note: Option<String>,
    pub level_at_open: Option<i64>,
    pub opened_by: Uuid,
}

pub fn insert_shortage(conn: &mut PgConnection, row: &NewShortageRow) -> QueryResult<Uuid> {
    diesel::insert_into(shortages::table)
        .values(row)
        .returning(shortages::id)
        .get_result(conn)
}

/// The live shortages of an item at a location.
pub fn live_shortages(
    conn: &mut PgConnection,
    item_id: Uuid,
    location_id: Uuid,
) -> QueryResult<Vec<(Uuid, String, i32)>> {
    shortages::table
        .filter(shortages::item_id.eq(item_id))
        .filter(shortages::location_id.eq(location_id))
        .filter(shortages::status.eq_any(["open", "acknowledged", "ordered"]))
        .select((shortages::id, shortages::status, shortages::version))
        .for_update()
        .load(conn)
}

/// Moves a shortage to `to` when it is still at `version`; `false` when it is not. A given
/// order reference or resolution replaces the stored one.
pub fn move_shortage(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    to: &str,
    order_reference: Option<&str>,
    resolution: Option<&str>,
) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE shortages
         SET status = $3, version = version + 1, updated_at = now(),
             closed_at = CASE WHEN $3 IN ('resolved', 'dismissed') THEN now() END,
             order_reference = coalesce($4, order_reference),
             resolution = coalesce($5, resolution)
         WHERE id = $1 AND version = $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(version)
    .bind::<Text, _>(to)
    .bind::<Nullable<Text>, _>(order_reference)
    .bind::<Nullable<Text>, _>(resolution)
    .execute(conn)
    .map(|n| n == 1)
}

pub fn insert_shortage_event(
    conn: &mut PgConnection,
    shortage_id: Uuid,
    from: Option<&str>,
    to: &str,
    by: Uuid,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(shortage_events::table)
        .values((
            shortage_events::shortage_id.eq(shortage_id),
            shortage_events::from_status.eq(from),
            shortage_events::to_status.eq(to),
            shortage_events::by_user.eq(by),
            shortage_events::note.eq(note),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(QueryableByName)]
pub struct ShortageEventRow {
    #[diesel(sql_type = SqlUuid)]
    pub shortage_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    pub from_status: Option<String>,
    #[diesel(sql_type = Text)]
    pub to_status: String,
    #[diesel(sql_type = SqlUuid)]
    pub by_user: Uuid,
    #[diesel(sql_type = Text)]
    pub by_name: String,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
}

pub fn shortage_events(
    conn: &mut PgConnection,
    shortage_ids: &[Uuid],
) -> QueryResult<Vec<ShortageEventRow>> {
    crate::db::prepared(
        "SELECT e.shortage_id, e.from_status, e.to_status, e.by_user, u.display_name AS by_name,
                e.at, e.note
         FROM shortage_events e JOIN users u ON u.id = e.by_user
         WHERE e.shortage_id = ANY($1)
         ORDER BY e.id",
    )
    .bind::<Array<SqlUuid>, _>(shortage_ids)
    .load(conn)
}
