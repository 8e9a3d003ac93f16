//! Inventory rules: the movement ledger and the invariants it keeps (no negative stock, no
//! expired dispensing, first expiry first out), stock views, and the shortage workflow with
//! automatic opening and closing. No actix types.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use hms_api_types::inventory::{
    Adjust, Dispense, ExpiringLot, ExpiringLotPage, Item, ItemCategory, ItemChanges, ItemDetail,
    ItemPage, Location, LocationChanges, LocationKind, Lot, LotStock, Movement, MovementKind,
    MovementLine, MovementPage, NewItem, NewLocation, Receive, ReorderLevel, ReportShortage,
    Severity, Shortage, ShortageAction, ShortageEvent, ShortagePage, ShortageSource,
    ShortageStatus, StockLevel, StockLevelPage, Transfer, WriteOff, WriteOffReason,
};
use uuid::Uuid;

use super::repo::{
    self, BalanceRow, ItemFilter, ItemRow, MovementFilter, MovementRow, NewItemRow, NewLocationRow,
    NewMovementRow, NewShortageRow, ShortageFilter, ShortageRow, StockFilter, StockLevelRow,
};
use crate::audit::{self, AuditEvent, RequestMeta};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination;
use crate::patients;
use crate::records;
use crate::validate::{optional_text, Check};
use crate::webhooks;

/// The largest quantity one movement may carry.
const MAX_QUANTITY: i32 = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Locations

fn location_dto(row: repo::LocationRow) -> Location {
    Location {
        id: row.id,
        code: row.code,
        name: row.name,
        kind: LocationKind::parse(&row.kind).unwrap_or(LocationKind::Store),
        active: row.active,
        version: row.version,
    }
}

pub fn list_locations(
    conn: &mut PgConnection,
    include_inactive: bool,
) -> Result<Vec<Location>, ApiError> {
    Ok(repo::list_locations(conn, include_inactive)?
        .into_iter()
        .map(location_dto)
        .collect())
}

fn is_location_code(code: &str) -> bool {
    let mut chars = code.chars();
    code.len() <= 20
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

fn taken(what: &'static str) -> impl Fn(diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    move |e| match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            ApiError::Conflict(format!("{what} is already taken"))
        }
        other => other.into(),
    }
}

pub fn create_location(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    input: NewLocation,
) -> Result<Location, ApiError> {
    let mut check = Check::new();
    let code = input.code.trim().to_owned();
    if !is_location_code(&code) {
        check.fail(
            "code",
            "must be 1 to 20 capital letters, digits or dashes, e.g. WARD-3",
        );
    }
    check.text("name", &input.name, 1, 100);
    check.finish()?;
    conn.transaction(|conn| {
        let row = repo::insert_location(
            conn,
            &NewLocationRow {
                code,
                name: input.name.trim().to_owned(),
                kind: input.kind.as_str().to_owned(),
            },
        )
        .map_err(taken("the code or name"))?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "create", "stock_location", row.id),
        )?;
        Ok(location_dto(row))
    })
}

pub fn update_location(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    version: Result<i32, ApiError>,
    changes: LocationChanges,
) -> Result<Location, ApiError> {
    let mut check = Check::new();
    if let Some(name) = &changes.name {
        check.text("name", name, 1, 100);
    }
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        let current =
            repo::find_location(conn, id)?.ok_or_else(|| ApiError::not_found("the location"))?;
        if changes.active == Some(false) && current.active && repo::holds_stock(conn, id)? {
            return Err(ApiError::Conflict(
                "the location still holds stock; transfer or write it off before closing it".into(),
            ));
        }
        let name = changes
            .name
            .map(|n| n.trim().to_owned())
            .unwrap_or(current.name);
        let row = repo::update_location(
            conn,
            id,
            version,
            &name,
            changes.active.unwrap_or(current.active),
        )
        .map_err(taken("the name"))?
        .ok_or_else(|| stale("location", current.version))?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "update", "stock_location", id),
        )?;
        Ok(location_dto(row))
    })
}

fn stale(what: &str, now: i32) -> ApiError {
    ApiError::PreconditionFailed(format!(
        "the {what} was changed by someone else (now version {now}); reload and try again"
    ))
}

/// The location, which must exist and be in use, or a field error on `field`.
fn usable_location(
    conn: &mut PgConnection,
    field: &str,
    id: Uuid,
) -> Result<repo::LocationRow, ApiError> {
    match repo::find_location(conn, id)? {
        None => Err(ApiError::invalid(field, "is not a stock location")),
        Some(l) if !l.active => Err(ApiError::invalid(field, "the location is closed")),
        Some(l) => Ok(l),
    }
}

// ---------------------------------------------------------------------------------------------
// Items

fn item_dto(row: ItemRow) -> Item {
    Item {
        id: row.id,
        sku: row.sku,
        name: row.name,
        category: ItemCategory::parse(&row.category).unwrap_or(ItemCategory::Supply),
        unit: row.unit,
        reorder_level: row.reorder_level,
        reorder_quantity: row.reorder_quantity,
        critical: row.critical,
        lot_tracked: row.lot_tracked,
        active: row.active,
        on_hand: row.on_hand,
        low_stock: row.low_stock,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// The item, or 404. Its `low_stock` uses today's UTC date (callers that show it for a
/// hospital day pass theirs to `repo::find_item`).
fn require_item(conn: &mut PgConnection, id: Uuid) -> Result<ItemRow, ApiError> {
    let today = Utc::now().date_naive();
    repo::find_item(conn, id, today)?.ok_or_else(|| ApiError::not_found("the item"))
}

/// The item named by a movement's `item_id`, or a field error.
fn item_for_movement(conn: &mut PgConnection, id: Uuid) -> Result<ItemRow, ApiError> {
    let today = Utc::now().date_naive();
    repo::find_item(conn, id, today)?.ok_or_else(|| ApiError::invalid("item_id", "is not an item"))
}

pub struct ItemQuery {
    pub q: Option<String>,
    pub category: Option<ItemCategory>,
    pub low_stock: bool,
    pub include_inactive: bool,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn list_items(
    conn: &mut PgConnection,
    time_zone: &str,
    query: ItemQuery,
) -> Result<ItemPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, query.limit);
    let after = pagination::decode(&mut check, query.cursor.as_deref()).map(|key| {
        key.rsplit_once('|')
            .and_then(|(name, id)| Some((name.to_owned(), id.parse().ok()?)))
    });
    let after = match after {
        Some(None) => {
            check.fail("cursor", "is not a cursor returned by this list");
            None
        }
        Some(some) => some,
        None => None,
    };
    let q = query
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if let Some(q) = &q {
        check.text("q", q, 1, 100);
    }
    check.finish()?;
    let text = match q {
        Some(q) => Some(crate::db::escape_like(&repo::fold(conn, &q)?)),
        None => None,
    };
    let today = repo::today(conn, time_zone)?;
    let mut rows = repo::list_items(
        conn,
        &ItemFilter {
            text,
            category: query.category.map(|c| c.as_str().to_owned()),
            low_stock: query.low_stock,
            include_inactive: query.include_inactive,
            after,
            limit,
            today,
        },
    )?;
    let next_cursor =
        pagination::next_cursor(&mut rows, limit, |r| format!("{}|{}", r.sort_name, r.id));
    Ok(ItemPage {
        items: rows.into_iter().map(item_dto).collect(),
        next_cursor,
    })
}

fn is_sku(sku: &str) -> bool {
    let mut chars = sku.chars();
    sku.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn check_reorder(check: &mut Check, level: i32, quantity: i32) {
    if !(0..=MAX_QUANTITY).contains(&level) {
        check.fail("reorder_level", "must be between 0 and 1000000");
    }
    if !(0..=MAX_QUANTITY).contains(&quantity) {
        check.fail("reorder_quantity", "must be between 0 and 1000000");
    }
}

pub fn create_item(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    input: NewItem,
) -> Result<Item, ApiError> {
    let mut check = Check::new();
    let sku = input.sku.trim().to_owned();
    if !is_sku(&sku) {
        check.fail(
            "sku",
            "must be 1 to 40 letters, digits, dots, dashes or underscores",
        );
    }
    check.text("name", &input.name, 1, 200);
    check.text("unit", &input.unit, 1, 40);
    check_reorder(&mut check, input.reorder_level, input.reorder_quantity);
    check.finish()?;
    conn.transaction(|conn| {
        let id = repo::insert_item(
            conn,
            &NewItemRow {
                sku,
                name: input.name.trim().to_owned(),
                category: input.category.as_str().to_owned(),
                unit: input.unit.trim().to_owned(),
                reorder_level: input.reorder_level,
                reorder_quantity: input.reorder_quantity,
                critical: input.critical,
                lot_tracked: input
                    .lot_tracked
                    .unwrap_or(input.category != ItemCategory::Equipment),
            },
        )
        .map_err(taken("the SKU"))?;
        audit::record(conn, meta, AuditEvent::by(user, "create", "stock_item", id))?;
        Ok(item_dto(require_item(conn, id)?))
    })
}

pub fn update_item(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    version: Result<i32, ApiError>,
    changes: ItemChanges,
) -> Result<Item, ApiError> {
    let mut check = Check::new();
    if let Some(name) = &changes.name {
        check.text("name", name, 1, 200);
    }
    if let Some(unit) = &changes.unit {
        check.text("unit", unit, 1, 40);
    }
    check_reorder(
        &mut check,
        changes.reorder_level.unwrap_or(0),
        changes.reorder_quantity.unwrap_or(0),
    );
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        let current = require_item(conn, id)?;
        let updated = repo::update_item(
            conn,
            id,
            version,
            &repo::ItemChangesRow {
                name: changes
                    .name
                    .map(|n| n.trim().to_owned())
                    .unwrap_or(current.name),
                unit: changes
                    .unit
                    .map(|u| u.trim().to_owned())
                    .unwrap_or(current.unit),
                reorder_level: changes.reorder_level.unwrap_or(current.reorder_level),
                reorder_quantity: changes.reorder_quantity.unwrap_or(current.reorder_quantity),
                critical: changes.critical.unwrap_or(current.critical),
                active: changes.active.unwrap_or(current.active),
            },
        )?;
        if !updated {
            return Err(stale("item", current.version));
        }
        audit::record(conn, meta, AuditEvent::by(user, "update", "stock_item", id))?;
        Ok(item_dto(require_item(conn, id)?))
    })
}

fn level_dto(row: StockLevelRow) -> StockLevel {
    let usable = row.on_hand - row.expired;
    StockLevel {
        low: usable <= i64::from(row.reorder_level),
        days_of_supply: (row.dispensed_30d > 0)
            .then(|| (usable as f64 * 30.0 / row.dispensed_30d as f64 * 10.0).round() / 10.0),
        item_id: row.item_id,
        item_sku: row.item_sku,
        item_name: row.item_name,
        unit: row.unit,
        critical: row.critical,
        location_id: row.location_id,
        location_name: row.location_name,
        on_hand: row.on_hand,
        expired: row.expired,
        reorder_level: row.reorder_level,
        reorder_quantity: row.reorder_quantity,
        dispensed_30d: row.dispensed_30d,
    }
}

/// An item with its levels per location and its lots.
pub fn get_item(
    conn: &mut PgConnection,
    time_zone: &str,
    id: Uuid,
) -> Result<ItemDetail, ApiError> {
    conn.transaction(|conn| {
        let today = repo::today(conn, time_zone)?;
        let item =
            repo::find_item(conn, id, today)?.ok_or_else(|| ApiError::not_found("the item"))?;
        let levels = repo::stock_levels(
            conn,
            &StockFilter {
                item_id: Some(id),
                location_id: None,
                low: false,
                after: None,
                limit: 1000,
                today,
            },
        )?;
        let lots = repo::lot_stock(conn, id)?
            .into_iter()
            .map(|r| LotStock {
                expired: r.expires_on.is_some_and(|d| d < today),
                lot_id: r.lot_id,
                lot_number: r.lot_number,
                expires_on: r.expires_on,
                location_id: r.location_id,
                location_name: r.location_name,
                quantity: r.quantity,
            })
            .collect();
        Ok(ItemDetail {
            item: item_dto(item),
            levels: levels.into_iter().map(level_dto).collect(),
            lots,
        })
    })
}

/// Sets the reorder level and quantity of an item at one location.
#[allow(clippy::too_many_arguments)]
pub fn set_reorder_level(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    time_zone: &str,
    item_id: Uuid,
    location_id: Uuid,
    input: ReorderLevel,
) -> Result<StockLevel, ApiError> {
    let mut check = Check::new();
    check_reorder(&mut check, input.reorder_level, input.reorder_quantity);
    check.finish()?;
    conn.transaction(|conn| {
        let item = require_item(conn, item_id)?;
        let location = repo::find_location(conn, location_id)?
            .ok_or_else(|| ApiError::not_found("the location"))?;
        repo::lock_item(conn, item_id)?;
        repo::set_reorder_level(
            conn,
            item_id,
            location_id,
            input.reorder_level,
            input.reorder_quantity,
        )?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "set_reorder_level", "stock_item", item_id),
        )?;
        let today = repo::today(conn, time_zone)?;
        let level = repo::stock_levels(
            conn,
            &StockFilter {
                item_id: Some(item_id),
                location_id: Some(location_id),
                low: false,
                after: None,
                limit: 1,
                today,
            },
        )?
        .into_iter()
        .next();
        Ok(match level {
            Some(row) => level_dto(row),
            // Nothing stocked there yet: the level is zero.
            None => level_dto(StockLevelRow {
                item_id,
                item_sku: item.sku,
                item_name: item.name.clone(),
                sort_name: item.name.to_lowercase(),
                unit: item.unit,
                critical: item.critical,
                location_id,
                location_name: location.name,
                on_hand: 0,
                expired: 0,
                reorder_level: input.reorder_level,
                reorder_quantity: input.reorder_quantity,
                dispensed_30d: 0,
            }),
        })
    })
}

/// The item's lots, first expiry first, with their stock.
pub fn lots(conn: &mut PgConnection, time_zone: &str, item_id: Uuid) -> Result<Vec<Lot>, ApiError> {
    conn.transaction(|conn| {
        require_item(conn, item_id)?;
        let today = repo::today(conn, time_zone)?;
        Ok(repo::lots_of_item(conn, item_id)?
            .into_iter()
            .map(|r| Lot {
                id: r.id,
                item_id: r.item_id,
                lot_number: r.lot_number,
                expired: r.expires_on < today,
                expires_on: r.expires_on,
                on_hand: r.on_hand,
            })
            .collect())
    })
}

pub struct StockQuery {
    pub item_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    pub low: bool,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn stock_levels(
    conn: &mut PgConnection,
    time_zone: &str,
    query: StockQuery,
) -> Result<StockLevelPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, query.limit);
    let after = decode_json_cursor::<(String, String, Uuid, Uuid)>(&mut check, query.cursor);
    check.finish()?;
    let today = repo::today(conn, time_zone)?;
    let mut rows = repo::stock_levels(
        conn,
        &StockFilter {
            item_id: query.item_id,
            location_id: query.location_id,
            low: query.low,
            after,
            limit,
            today,
        },
    )?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |r| {
        json_cursor(&(&r.sort_name, &r.location_name, r.item_id, r.location_id))
    });
    Ok(StockLevelPage {
        items: rows.into_iter().map(level_dto).collect(),
        next_cursor,
    })
}

/// A cursor holding a compound sort key, as JSON.
fn json_cursor<T: serde::Serialize>(key: &T) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

fn decode_json_cursor<T: serde::de::DeserializeOwned>(
    check: &mut Check,
    cursor: Option<String>,
) -> Option<T> {
    let key = pagination::decode(check, cursor.as_deref())?;
    match serde_json::from_str(&key) {
        Ok(value) => Some(value),
        Err(_) => {
            check.fail("cursor", "is not a cursor returned by this list");
            None
        }
    }
}

/// Lots with stock that expire within `days` days (and those already expired).
pub fn expiring(
    conn: &mut PgConnection,
    time_zone: &str,
    days: Option<i32>,
    location_id: Option<Uuid>,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<ExpiringLotPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, limit);
    let days = days.unwrap_or(30);
    if !(0..=3650).contains(&days) {
        check.fail("days", "must be between 0 and 3650");
    }
    let after = decode_json_cursor::<(NaiveDate, i64)>(&mut check, cursor);
    check.finish()?;
    let today = repo::today(conn, time_zone)?;
    let until = today + chrono::Duration::days(i64::from(days));
    let mut rows = repo::expiring(conn, until, location_id, after, limit)?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |r| {
        json_cursor(&(r.expires_on, r.balance_id))
    });
    Ok(ExpiringLotPage {
        items: rows
            .into_iter()
            .map(|r| ExpiringLot {
                days_left: (r.expires_on - today).num_days() as i32,
                item_id: r.item_id,
                item_sku: r.item_sku,
                item_name: r.item_name,
                lot_id: r.lot_id,
                lot_number: r.lot_number,
                expires_on: r.expires_on,
                location_id: r.location_id,
                location_name: r.location_name,
                quantity: r.quantity,
            })
            .collect(),
        next_cursor,
    })
}

// ---------------------------------------------------------------------------------------------
// Movements

fn movement_dto(row: MovementRow, lines: Vec<MovementLine>) -> Movement {
    Movement {
        id: row.id,
        kind: MovementKind::parse(&row.kind).unwrap_or(MovementKind::Adjust),
        item_id: row.item_id,
        item_name: row.item_name,
        from_location_id: row.from_location_id,
        to_location_id: row.to_location_id,
        quantity: row.quantity,
        patient_id: row.patient_id,
        medication_id: row.medication_id,
        write_off_reason: row
            .write_off_reason
            .as_deref()
            .and_then(WriteOffReason::parse),
        reason: row.reason,
        performed_by: row.performed_by,
        performed_by_name: row.performed_by_name,
        performed_at: row.performed_at,
        lines,
        opened_shortage_id: None,
    }
}

fn with_lines(conn: &mut PgConnection, rows: Vec<MovementRow>) -> QueryResult<Vec<Movement>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut lines: HashMap<Uuid, Vec<MovementLine>> = HashMap::new();
    for l in repo::lines_of(conn, &ids)? {
        lines.entry(l.movement_id).or_default().push(MovementLine {
            lot_id: l.lot_id,
            lot_number: l.lot_number,
            expires_on: l.expires_on,
            location_id: l.location_id,
            delta: l.delta,
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let l = lines.remove(&r.id).unwrap_or_default();
            movement_dto(r, l)
        })
        .collect())
}

pub fn get_movement(conn: &mut PgConnection, id: Uuid) -> Result<Movement, ApiError> {
    let row = repo::find_movement(conn, id)?.ok_or_else(|| ApiError::not_found("the movement"))?;
    Ok(with_lines(conn, vec![row])?.remove(0))
}

pub struct MovementQuery {
    pub item_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    pub kind: Option<MovementKind>,
    pub patient_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn list_movements(
    conn: &mut PgConnection,
    query: MovementQuery,
) -> Result<MovementPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, query.limit);
    let before = decode_json_cursor::<(DateTime<Utc>, Uuid)>(&mut check, query.cursor);
    check.finish()?;
    let mut rows = repo::list_movements(
        conn,
        &MovementFilter {
            item_id: query.item_id,
            location_id: query.location_id,
            kind: query.kind.map(|k| k.as_str().to_owned()),
            patient_id: query.patient_id,
            before,
            limit,
        },
    )?;
    let next_cursor =
        pagination::next_cursor(&mut rows, limit, |r| json_cursor(&(r.performed_at, r.id)));
    Ok(MovementPage {
        items: with_lines(conn, rows)?,
        next_cursor,
    })
}

fn check_quantity(check: &mut Check, field: &str, quantity: i32) {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        check.fail(field, "must be a whole number from 1 to 1000000");
    }
}

/// A movement about to be written: the request row and its ledger lines.
struct Plan {
    row: NewMovementRow,
    /// (lot, location, signed delta)
    lines: Vec<(Option<Uuid>, Uuid, i32)>,
}

/// What the movement code needs about the request.
pub struct Ctx<'a> {
    pub user: &'a AuthUser,
    pub meta: &'a RequestMeta,
    pub time_zone: &'a str,
}

/// Writes a movement, its ledger lines and the balances, then opens or closes shortages at the
/// locations whose level it changed. Runs inside the caller's transaction, which holds the
/// item's lock.
fn commit(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    item: &ItemRow,
    today: NaiveDate,
    plan: Plan,
) -> Result<Movement, ApiError> {
    let patient_id = plan.row.patient_id;
    let movement_id = repo::insert_movement(conn, &plan.row)?;
    let mut net: Vec<(Uuid, i64)> = Vec::new();
    for &(lot_id, location_id, delta) in &plan.lines {
        repo::insert_ledger_line(conn, movement_id, item.id, lot_id, location_id, delta)?;
        if !repo::add_to_balance(conn, item.id, lot_id, location_id, delta).map_err(not_enough)? {
            return Err(ApiError::Conflict(
                "not enough stock for this movement".into(),
            ));
        }
        match net.iter_mut().find(|(l, _)| *l == location_id) {
            Some((_, d)) => *d += i64::from(delta),
            None => net.push((location_id, i64::from(delta))),
        }
    }
    let mut opened = None;
    for (location_id, delta) in net {
        let effect = if delta < 0 {
            open_if_short(conn, ctx.user, item, location_id, today)?
        } else {
            close_if_restocked(conn, ctx.user, item.id, location_id, today)?;
            None
        };
        opened = opened.or(effect);
    }
    audit::record(
        conn,
        ctx.meta,
        AuditEvent::by(ctx.user, &plan.row.kind, "stock_movement", movement_id),
    )?;
    if let Some(patient_id) = patient_id {
        patients::service::audit(
            conn,
            ctx.user,
            ctx.meta,
            patient_id,
            "dispense",
            "stock_movements",
            Some(movement_id.to_string()),
        )?;
    }
    let row = repo::find_movement(conn, movement_id)?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the new movement vanished")))?;
    let mut movement = with_lines(conn, vec![row])?.remove(0);
    movement.opened_shortage_id = opened;
    Ok(movement)
}

/// The database's last line of defence against negative stock, as a 409.
fn not_enough(e: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::CheckViolation, ref info)
            if info.constraint_name() == Some("stock_balances_not_negative") =>
        {
            ApiError::Conflict("not enough stock for this movement".into())
        }
        other => other.into(),
    }
}

/// Takes `quantity` units of an item at a location: from `lot` when given, else first expiry
/// first out over the unexpired lots (possibly several). Expired stock is taken only when
/// `expired_ok` and a lot is named. Returns (lot, units) pairs.
fn take(
    conn: &mut PgConnection,
    item: &ItemRow,
    location: &repo::LocationRow,
    quantity: i32,
    lot: Option<Uuid>,
    expired_ok: bool,
    today: NaiveDate,
) -> Result<Vec<(Option<Uuid>, i32)>, ApiError> {
    let balances = repo::balances_for_update(conn, item.id, location.id)?;
    let is_expired = |b: &BalanceRow| b.expires_on.is_some_and(|d| d < today);
    let short = |available: i64, expired: i64| {
        let mut msg = format!(
            "only {available} of {} ({}) available at {}; nothing was moved",
            item.name, item.unit, location.name
        );
        if expired > 0 {
            msg.push_str(&format!(" ({expired} more in expired lots)"));
        }
        ApiError::Conflict(msg)
    };
    if let Some(lot_id) = lot {
        let lot_row = repo::find_lot(conn, lot_id)?
            .filter(|l| l.item_id == item.id)
            .ok_or_else(|| ApiError::invalid("lot_id", "is not a lot of this item"))?;
        if lot_row.expires_on < today && !expired_ok {
            return Err(ApiError::invalid(
                "lot_id",
                &format!(
                    "lot {} expired on {}; expired stock cannot be dispensed or moved (write it off)",
                    lot_row.lot_number, lot_row.expires_on
                ),
            ));
        }
        let held = balances
            .iter()
            .find(|b| b.lot_id == Some(lot_id))
            .map_or(0, |b| b.quantity);
        if held < i64::from(quantity) {
            return Err(ApiError::Conflict(format!(
                "only {held} ({}) of lot {} at {}; nothing was moved",
                item.unit, lot_row.lot_number, location.name
            )));
        }
        return Ok(vec![(Some(lot_id), quantity)]);
    }
    if item.lot_tracked && expired_ok {
        return Err(ApiError::invalid("lot_id", "name the lot for this item"));
    }
    let expired: i64 = balances
        .iter()
        .filter(|b| is_expired(b))
        .map(|b| b.quantity)
        .sum();
    let usable: Vec<&BalanceRow> = balances.iter().filter(|b| !is_expired(b)).collect();
    let available: i64 = usable.iter().map(|b| b.quantity).sum();
    if available < i64::from(quantity) {
        return Err(short(available, expired));
    }
    let mut left = i64::from(quantity);
    let mut parts = Vec::new();
    for b in usable {
        if left == 0 {
            break;
        }
        let part = left.min(b.quantity);
        parts.push((b.lot_id, part as i32));
        left -= part;
    }
    Ok(parts)
}

pub fn receive(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    input: Receive,
) -> Result<Movement, ApiError> {
    let mut check = Check::new();
    check_quantity(&mut check, "quantity", input.quantity);
    let note = optional_text(&mut check, "note", input.note, 500);
    let lot_number = optional_text(&mut check, "lot_number", input.lot_number, 60);
    check.finish()?;
    conn.transaction(|conn| {
        let item = item_for_movement(conn, input.item_id)?;
        if !item.active {
            return Err(ApiError::invalid(
                "item_id",
                "the item is deactivated; reactivate it to receive stock",
            ));
        }
        let location = usable_location(conn, "location_id", input.location_id)?;
        let today = repo::today(conn, ctx.time_zone)?;
        repo::lock_item(conn, item.id)?;
        let lot_id = match (item.lot_tracked, lot_number, input.expires_on) {
            (false, None, None) => None,
            (false, _, _) => {
                return Err(ApiError::invalid(
                    "lot_number",
                    "this item is not kept by lot; leave lot_number and expires_on out",
                ))
            }
            (true, None, _) => {
                return Err(ApiError::invalid(
                    "lot_number",
                    "is required: this item is kept by lot",
                ))
            }
            (true, Some(_), None) => {
                return Err(ApiError::invalid(
                    "expires_on",
                    "is required with a lot number",
                ))
            }
            (true, Some(number), Some(expires_on)) => {
                if expires_on < today {
                    return Err(ApiError::invalid(
                        "expires_on",
                        "is in the past: expired stock cannot be received",
                    ));
                }
                match repo::find_lot_by_number(conn, item.id, &number)? {
                    Some(lot) if lot.expires_on != expires_on => {
                        return Err(ApiError::invalid(
                            "expires_on",
                            &format!(
                                "lot {} of this item expires on {}; check the label",
                                lot.lot_number, lot.expires_on
                            ),
                        ))
                    }
                    Some(lot) => Some(lot.id),
                    None => Some(repo::insert_lot(conn, item.id, &number, expires_on)?.id),
                }
            }
        };
        let plan = Plan {
            row: NewMovementRow {
                kind: MovementKind::Receive.as_str().into(),
                item_id: item.id,
                from_location_id: None,
                to_location_id: Some(location.id),
                quantity: input.quantity,
                patient_id: None,
                medication_id: None,
                write_off_reason: None,
                reason: note,
                performed_by: ctx.user.id,
            },
            lines: vec![(lot_id, location.id, input.quantity)],
        };
        commit(conn, ctx, &item, today, plan)
    })
}

pub fn dispense(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    input: Dispense,
) -> Result<Movement, ApiError> {
    let mut check = Check::new();
    check_quantity(&mut check, "quantity", input.quantity);
    let note = optional_text(&mut check, "note", input.note, 500);
    if input.medication_id.is_some() && input.patient_id.is_none() {
        check.fail("patient_id", "is required with medication_id");
    }
    check.finish()?;
    conn.transaction(|conn| {
        let item = item_for_movement(conn, input.item_id)?;
        let location = usable_location(conn, "location_id", input.location_id)?;
        if let Some(patient_id) = input.patient_id {
            let known = match patients::service::require(conn, patient_id) {
                Ok(_) => true,
                Err(ApiError::NotFound(_)) => false,
                Err(e) => return Err(e),
            };
            if !known {
                return Err(ApiError::invalid(
                    "patient_id",
                    "is not a registered patient",
                ));
            }
            if let Some(medication_id) = input.medication_id {
                if !records::service::is_active_medication_of(conn, patient_id, medication_id)? {
                    return Err(ApiError::invalid(
                        "medication_id",
                        "is not one of this patient's active medications",
                    ));
                }
            }
        }
        let today = repo::today(conn, ctx.time_zone)?;
        repo::lock_item(conn, item.id)?;
        let parts = take(
            conn,
            &item,
            &location,
            input.quantity,
            input.lot_id,
            false,
            today,
        )?;
        let plan = Plan {
            row: NewMovementRow {
                kind: MovementKind::Dispense.as_str().into(),
                item_id: item.id,
                from_location_id: Some(location.id),
                to_location_id: None,
                quantity: input.quantity,
                patient_id: input.patient_id,
                medication_id: input.medication_id,
                write_off_reason: None,
                reason: note,
                performed_by: ctx.user.id,
            },
            lines: parts
                .into_iter()
                .map(|(lot, q)| (lot, location.id, -q))
                .collect(),
        };
        commit(conn, ctx, &item, today, plan)
    })
}

pub fn transfer(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    input: Transfer,
) -> Result<Movement, ApiError> {
    let mut check = Check::new();
    check_quantity(&mut check, "quantity", input.quantity);
    let note = optional_text(&mut check, "note", input.note, 500);
    if input.from_location_id == input.to_location_id {
        check.fail("to_location_id", "must differ from from_location_id");
    }
    check.finish()?;
    conn.transaction(|conn| {
        let item = item_for_movement(conn, input.item_id)?;
        let from = usable_location(conn, "from_location_id", input.from_location_id)?;
        let to = usable_location(conn, "to_location_id", input.to_location_id)?;
        let today = repo::today(conn, ctx.time_zone)?;
        repo::lock_item(conn, item.id)?;
        let parts = take(
            conn,
            &item,
            &from,
            input.quantity,
            input.lot_id,
            false,
            today,
        )?;
        let mut lines = Vec::new();
        for (lot, q) in parts {
            lines.push((lot, from.id, -q));
            lines.push((lot, to.id, q));
        }
        let plan = Plan {
            row: NewMovementRow {
                kind: MovementKind::Transfer.as_str().into(),
                item_id: item.id,
                from_location_id: Some(from.id),
                to_location_id: Some(to.id),
                quantity: input.quantity,
                patient_id: None,
                medication_id: None,
                write_off_reason: None,
                reason: note,
                performed_by: ctx.user.id,
            },
            lines,
        };
        commit(conn, ctx, &item, today, plan)
    })
}

/// Checks that a lot is named exactly when the item is kept by lot, and that it is the item's.
fn lot_for(
    conn: &mut PgConnection,
    item: &ItemRow,
    lot_id: Option<Uuid>,
) -> Result<Option<repo::LotRef>, ApiError> {
    match (item.lot_tracked, lot_id) {
        (true, None) => Err(ApiError::invalid(
            "lot_id",
            "is required: this item is kept by lot",
        )),
        (false, Some(_)) => Err(ApiError::invalid(
            "lot_id",
            "this item is not kept by lot; leave lot_id out",
        )),
        (_, None) => Ok(None),
        (_, Some(id)) => repo::find_lot(conn, id)?
            .filter(|l| l.item_id == item.id)
            .map(Some)
            .ok_or_else(|| ApiError::invalid("lot_id", "is not a lot of this item")),
    }
}

pub fn adjust(conn: &mut PgConnection, ctx: &Ctx<'_>, input: Adjust) -> Result<Movement, ApiError> {
    let mut check = Check::new();
    if !(0..=MAX_QUANTITY).contains(&input.counted) {
        check.fail("counted", "must be a whole number from 0 to 1000000");
    }
    check.multiline("reason", &input.reason, 500);
    if input.reason.trim().is_empty() {
        check.fail("reason", "say why the stock is corrected");
    }
    check.finish()?;
    conn.transaction(|conn| {
        let item = item_for_movement(conn, input.item_id)?;
        let location = usable_location(conn, "location_id", input.location_id)?;
        let today = repo::today(conn, ctx.time_zone)?;
        repo::lock_item(conn, item.id)?;
        let lot = lot_for(conn, &item, input.lot_id)?;
        let lot_id = lot.as_ref().map(|l| l.id);
        let current = repo::balances_for_update(conn, item.id, location.id)?
            .into_iter()
            .find(|b| b.lot_id == lot_id)
            .map_or(0, |b| b.quantity);
        let delta = i64::from(input.counted) - current;
        if delta == 0 {
            return Err(ApiError::invalid(
                "counted",
                &format!("equals the recorded stock ({current}); there is nothing to correct"),
            ));
        }
        let plan = Plan {
            row: NewMovementRow {
                kind: MovementKind::Adjust.as_str().into(),
                item_id: item.id,
                from_location_id: (delta < 0).then_some(location.id),
                to_location_id: (delta > 0).then_some(location.id),
                quantity: delta.unsigned_abs() as i32,
                patient_id: None,
                medication_id: None,
                write_off_reason: None,
                reason: Some(input.reason.trim().to_owned()),
                performed_by: ctx.user.id,
            },
            lines: vec![(lot_id, location.id, delta as i32)],
        };
        commit(conn, ctx, &item, today, plan)
    })
}

pub fn write_off(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    input: WriteOff,
) -> Result<Movement, ApiError> {
    let mut check = Check::new();
    check_quantity(&mut check, "quantity", input.quantity);
    let note = optional_text(&mut check, "note", input.note, 500);
    check.finish()?;
    conn.transaction(|conn| {
        let item = item_for_movement(conn, input.item_id)?;
        let location = usable_location(conn, "location_id", input.location_id)?;
        let today = repo::today(conn, ctx.time_zone)?;
        repo::lock_item(conn, item.id)?;
        let lot = lot_for(conn, &item, input.lot_id)?;
        let parts = take(
            conn,
            &item,
            &location,
            input.quantity,
            lot.map(|l| l.id),
            true,
            today,
        )?;
        let plan = Plan {
            row: NewMovementRow {
                kind: MovementKind::WriteOff.as_str().into(),
                item_id: item.id,
                from_location_id: Some(location.id),
                to_location_id: None,
                quantity: input.quantity,
                patient_id: None,
                medication_id: None,
                write_off_reason: Some(input.reason.as_str().to_owned()),
                reason: note,
                performed_by: ctx.user.id,
            },
            lines: parts
                .into_iter()
                .map(|(lot, q)| (lot, location.id, -q))
                .collect(),
        };
        commit(conn, ctx, &item, today, plan)
    })
}

// ---------------------------------------------------------------------------------------------
// Shortages

/// Opens an automatic shortage when the usable level at the location is at or below the
/// reorder level and no shortage of the item is live there (once, not on every movement).
fn open_if_short(
    conn: &mut PgConnection,
    user: &AuthUser,
    item: &ItemRow,
    location_id: Uuid,
    today: NaiveDate,
) -> Result<Option<Uuid>, ApiError> {
    let level = repo::level(conn, item.id, location_id, today)?;
    if level.usable > i64::from(level.reorder_level)
        || !repo::live_shortages(conn, item.id, location_id)?.is_empty()
    {
        return Ok(None);
    }
    let severity = if item.critical {
        Severity::Critical
    } else if level.usable == 0 {
        Severity::High
    } else {
        Severity::Medium
    };
    let id = repo::insert_shortage(
        conn,
        &NewShortageRow {
            item_id: item.id,
            location_id,
            severity: severity.as_str().into(),
            source: ShortageSource::Automatic.as_str().into(),
            critical_item: item.critical,
            note: Some(format!(
                "{} on hand, at or below the reorder level of {}",
                level.usable, level.reorder_level
            )),
            level_at_open: Some(level.usable),
            opened_by: user.id,
        },
    )?;
    repo::insert_shortage_event(
        conn,
        id,
        None,
        ShortageStatus::Open.as_str(),
        user.id,
        Some("opened automatically by a movement"),
    )?;
    emit_shortage(conn, webhooks::events::SHORTAGE_OPENED, id)?;
    Ok(Some(id))
}

/// Resolves the live shortages of the item at the location once the usable level is above the
/// reorder level again.
fn close_if_restocked(
    conn: &mut PgConnection,
    user: &AuthUser,
    item_id: Uuid,
    location_id: Uuid,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let level = repo::level(conn, item_id, location_id, today)?;
    if level.usable <= i64::from(level.reorder_level) {
        return Ok(());
    }
    let note = format!(
        "stock received: {} on hand, above the reorder level of {}",
        level.usable, level.reorder_level
    );
    for (id, status, version) in repo::live_shortages(conn, item_id, location_id)? {
        repo::move_shortage(
            conn,
            id,
            version,
            ShortageStatus::Resolved.as_str(),
            None,
            Some(&note),
        )?;
        repo::insert_shortage_event(
            conn,
            id,
            Some(&status),
            ShortageStatus::Resolved.as_str(),
            user.id,
            Some(&note),
        )?;
        emit_shortage(conn, webhooks::events::SHORTAGE_RESOLVED, id)?;
    }
    Ok(())
}

/// Emits a shortage webhook event (in the caller's transaction).
fn emit_shortage(conn: &mut PgConnection, kind: &'static str, id: Uuid) -> Result<(), ApiError> {
    let shortage = get_shortage(conn, id)?;
    webhooks::emit(conn, webhooks::Event::shortage(kind, &shortage))?;
    Ok(())
}

fn shortage_dto(row: ShortageRow, history: Vec<ShortageEvent>) -> Shortage {
    Shortage {
        id: row.id,
        item_id: row.item_id,
        item_sku: row.item_sku,
        item_name: row.item_name,
        location_id: row.location_id,
        location_name: row.location_name,
        status: ShortageStatus::parse(&row.status).unwrap_or(ShortageStatus::Open),
        severity: Severity::parse(&row.severity).unwrap_or(Severity::Medium),
        source: ShortageSource::parse(&row.source).unwrap_or(ShortageSource::Reported),
        critical_item: row.critical_item,
        note: row.note,
        level_at_open: row.level_at_open,
        on_hand: row.on_hand,
        reorder_level: row.reorder_level,
        reorder_quantity: row.reorder_quantity,
        order_reference: row.order_reference,
        resolution: row.resolution,
        opened_by: row.opened_by,
        opened_by_name: row.opened_by_name,
        opened_at: row.opened_at,
        updated_at: row.updated_at,
        closed_at: row.closed_at,
        version: row.version,
        history,
    }
}

fn with_history(conn: &mut PgConnection, rows: Vec<ShortageRow>) -> QueryResult<Vec<Shortage>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut events: HashMap<Uuid, Vec<ShortageEvent>> = HashMap::new();
    for e in repo::shortage_events(conn, &ids)? {
        events
            .entry(e.shortage_id)
            .or_default()
            .push(ShortageEvent {
                from_status: e.from_status.as_deref().and_then(ShortageStatus::parse),
                to_status: ShortageStatus::parse(&e.to_status).unwrap_or(ShortageStatus::Open),
                by: e.by_user,
                by_name: e.by_name,
                at: e.at,
                note: e.note,
            });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let h = events.remove(&r.id).unwrap_or_default();
            shortage_dto(r, h)
        })
        .collect())
}

pub fn get_shortage(conn: &mut PgConnection, id: Uuid) -> Result<Shortage, ApiError> {
    let row = repo::find_shortage(conn, id)?.ok_or_else(|| ApiError::not_found("the shortage"))?;
    Ok(with_history(conn, vec![row])?.remove(0))
}

pub struct ShortageQuery {
    pub status: Option<ShortageStatus>,
    /// Only open, acknowledged and ordered ones.
    pub live: bool,
    pub severity: Option<Severity>,
    pub item_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn list_shortages(
    conn: &mut PgConnection,
    query: ShortageQuery,
) -> Result<ShortagePage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, query.limit);
    let after = decode_json_cursor::<(i32, DateTime<Utc>, Uuid)>(&mut check, query.cursor);
    let statuses: Vec<String> = match (query.status, query.live) {
        (Some(s), true) if !s.is_live() => {
            check.fail("status", "is not a live status; leave out live=true");
            vec![]
        }
        (Some(s), _) => vec![s.as_str().to_owned()],
        (None, true) => ShortageStatus::ALL
            .iter()
            .filter(|s| s.is_live())
            .map(|s| s.as_str().to_owned())
            .collect(),
        (None, false) => vec![],
    };
    check.finish()?;
    let mut rows = repo::list_shortages(
        conn,
        &ShortageFilter {
            statuses,
            severity: query.severity.map(|s| s.as_str().to_owned()),
            item_id: query.item_id,
            location_id: query.location_id,
            after,
            limit,
        },
    )?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |r| {
        json_cursor(&(r.rank, r.opened_at, r.id))
    });
    Ok(ShortagePage {
        items: with_history(conn, rows)?,
        next_cursor,
    })
}

/// The checks of a shortage report that need no database: the note.
pub fn report_note(input: &ReportShortage) -> Result<Option<String>, ApiError> {
    let mut check = Check::new();
    let note = match &input.note {
        Some(n) if !n.trim().is_empty() => {
            check.multiline("note", n, 1000);
            Some(n.trim().to_owned())
        }
        _ => None,
    };
    check.finish()?;
    Ok(note)
}

/// Checks a report without writing anything: the note, and that the item and the location
/// exist. Used to accept a report into the journal while the primary is unreachable.
pub fn check_report(conn: &mut PgConnection, input: &ReportShortage) -> Result<(), ApiError> {
    report_note(input)?;
    item_for_movement(conn, input.item_id)?;
    usable_location(conn, "location_id", input.location_id)?;
    Ok(())
}

/// A staff member reports a shortage by hand. Always accepted (even when one is already open:
/// a person's report is never dropped); it is linked to the item and location.
pub fn report_shortage(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    input: ReportShortage,
) -> Result<Shortage, ApiError> {
    let note = report_note(&input)?;
    conn.transaction(|conn| {
        let item = item_for_movement(conn, input.item_id)?;
        let location = usable_location(conn, "location_id", input.location_id)?;
        let id = repo::insert_shortage(
            conn,
            &NewShortageRow {
                item_id: item.id,
                location_id: location.id,
                severity: input.severity.as_str().into(),
                source: ShortageSource::Reported.as_str().into(),
                critical_item: item.critical,
                note: note.clone(),
                level_at_open: None,
                opened_by: user.id,
            },
        )?;
        repo::insert_shortage_event(
            conn,
            id,
            None,
            ShortageStatus::Open.as_str(),
            user.id,
            note.as_deref(),
        )?;
        audit::record(conn, meta, AuditEvent::by(user, "report", "shortage", id))?;
        let shortage = get_shortage(conn, id)?;
        webhooks::emit(
            conn,
            webhooks::Event::shortage(webhooks::events::SHORTAGE_OPENED, &shortage),
        )?;
        Ok(shortage)
    })
}

/// Moves a shortage along its workflow: acknowledge, order, resolve or dismiss.
pub fn act_on_shortage(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    to: ShortageStatus,
    version: Result<Option<i32>, ApiError>,
    action: ShortageAction,
) -> Result<Shortage, ApiError> {
    let mut check = Check::new();
    let note = match action.note {
        Some(n) if !n.trim().is_empty() => {
            check.multiline("note", &n, 1000);
            Some(n.trim().to_owned())
        }
        _ => None,
    };
    let order_reference = optional_text(&mut check, "order_reference", action.order_reference, 100);
    if to == ShortageStatus::Dismissed && note.is_none() {
        check.fail("note", "say why the shortage is dismissed");
    }
    if to != ShortageStatus::Ordered && order_reference.is_some() {
        check.fail("order_reference", "belongs to the order step only");
    }
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        let current =
            repo::find_shortage(conn, id)?.ok_or_else(|| ApiError::not_found("the shortage"))?;
        let from = ShortageStatus::parse(&current.status).unwrap_or(ShortageStatus::Open);
        if let Some(v) = version {
            if v != current.version {
                return Err(stale("shortage", current.version));
            }
        }
        if !from.can_move_to(to) {
            return Err(ApiError::Conflict(format!(
                "the shortage is {}; it cannot become {}",
                from.as_str(),
                to.as_str()
            )));
        }
        let resolution = matches!(to, ShortageStatus::Resolved | ShortageStatus::Dismissed)
            .then(|| note.clone())
            .flatten()
            .or_else(|| (to == ShortageStatus::Resolved).then(|| "resolved".to_owned()));
        let moved = repo::move_shortage(
            conn,
            id,
            current.version,
            to.as_str(),
            order_reference.as_deref(),
            resolution.as_deref(),
        )?;
        if !moved {
            return Err(stale("shortage", current.version + 1));
        }
        repo::insert_shortage_event(conn, id, Some(from.as_str()), to.as_str(), user.id, {
            note.as_deref().or(order_reference.as_deref())
        })?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, to.as_str(), "shortage", id),
        )?;
        let shortage = get_shortage(conn, id)?;
        // Resolved or dismissed: the shortage is over either way (`status` says which).
        if matches!(to, ShortageStatus::Resolved | ShortageStatus::Dismissed) {
            webhooks::emit(
                conn,
                webhooks::Event::shortage(webhooks::events::SHORTAGE_RESOLVED, &shortage),
            )?;
        }
        Ok(shortage)
    })
}
