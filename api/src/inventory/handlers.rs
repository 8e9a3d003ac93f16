//! `/api/v1/inventory`: locations, items, lots, stock views, the movement ledger and shortages.

use actix_web::{get, http::header, patch, post, put, web, HttpRequest, HttpResponse};
use diesel::PgConnection;
use hms_api_types::inventory::{
    Adjust, Dispense, ExpiringLotPage, Item, ItemCategory, ItemChanges, ItemDetail, ItemPage,
    Location, LocationChanges, Lot, Movement, MovementKind, MovementPage, NewItem, NewLocation,
    Receive, ReorderLevel, ReportShortage, Severity, Shortage, ShortageAction, ShortagePage,
    ShortageStatus, StockLevel, StockLevelPage, Transfer, WriteOff,
};
use hms_api_types::ops::PendingWrite;
use hms_api_types::Problem;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::service::{self, Ctx, ItemQuery, MovementQuery, ShortageQuery, StockQuery};
use crate::audit::RequestMeta;
use crate::auth::{can, AuthUser, Authorized};
use crate::config::Schedule;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{etag, expected_version, Json};
use crate::idempotency::{self, mark_replayed, Outcome};
use crate::journal::{self, replay, Entry, Work};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_locations)
        .service(create_location)
        .service(update_location)
        .service(list_items)
        .service(create_item)
        .service(get_item)
        .service(update_item)
        .service(set_reorder_level)
        .service(list_lots)
        .service(list_stock_levels)
        .service(list_expiring_lots)
        .service(list_movements)
        .service(get_movement)
        .service(receive_stock)
        .service(dispense_stock)
        .service(transfer_stock)
        .service(adjust_stock)
        .service(write_off_stock)
        .service(list_shortages)
        .service(report_shortage)
        .service(get_shortage)
        .service(acknowledge_shortage)
        .service(order_shortage)
        .service(resolve_shortage)
        .service(dismiss_shortage);
}

// ---------------------------------------------------------------------------------------------
// Locations

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationListParams {
    /// Also closed locations.
    include_inactive: Option<bool>,
}

/// Stock locations (the pharmacy, stores, ward stores), by name.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(LocationListParams),
    responses((status = 200, description = "Locations (at most 500)", body = Vec<Location>)),
)]
#[get("/locations")]
async fn list_locations(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewInventory>,
    params: web::Query<LocationListParams>,
) -> Result<web::Json<Vec<Location>>, ApiError> {
    let all = params.include_inactive.unwrap_or(false);
    Ok(web::Json(
        db::read(&pool, move |conn| service::list_locations(conn, all)).await?,
    ))
}

/// Create a stock location.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    request_body = NewLocation,
    responses(
        (status = 201, description = "Created", body = Location, headers(("ETag" = String))),
        (status = 409, description = "The code or name is taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/locations")]
async fn create_location(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageLocations>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<NewLocation>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::create_location(conn, &user, &meta, input),
    )
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((header::ETAG, etag(done.value.version)));
    mark_replayed(&mut res, done.replayed);
    Ok(res.json(done.value))
}

/// Rename a location, or close (`active: false`) or reopen it.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(
        ("location_id" = Uuid, Path, description = "Location id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = LocationChanges,
    responses(
        (status = 200, description = "Changed", body = Location, headers(("ETag" = String))),
        (status = 404, description = "No such location", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No version sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/locations/{location_id}")]
async fn update_location(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageLocations>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<LocationChanges>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let version = expected_version(&req, None);
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, changes| service::update_location(conn, &user, &meta, id, version, changes),
    )
    .await?;
    Ok(changed(done))
}

// ---------------------------------------------------------------------------------------------
// Items

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemListParams {
    /// Part of the SKU or name (case and accents ignored).
    #[param(max_length = 100)]
    q: Option<String>,
    category: Option<ItemCategory>,
    /// Only items at or below their reorder level somewhere.
    low_stock: Option<bool>,
    /// Also deactivated items.
    include_inactive: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Search the item catalogue, by name, with stock on hand.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(ItemListParams),
    responses((status = 200, description = "One page of items", body = ItemPage)),
)]
#[get("/items")]
async fn list_items(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    _user: Authorized<can::ViewInventory>,
    params: web::Query<ItemListParams>,
) -> Result<web::Json<ItemPage>, ApiError> {
    let p = params.into_inner();
    let query = ItemQuery {
        q: p.q,
        category: p.category,
        low_stock: p.low_stock.unwrap_or(false),
        include_inactive: p.include_inactive.unwrap_or(false),
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::list_items(conn, &schedule.time_zone, query)
        })
        .await?,
    ))
}

/// Add an item to the catalogue.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    request_body = NewItem,
    responses(
        (status = 201, description = "Created", body = Item, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The SKU is taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/items")]
async fn create_item(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageItems>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<NewItem>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::create_item(conn, &user, &meta, input),
    )
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/api/v1/inventory/items/{}", done.value.id),
    ))
    .insert_header((header::ETAG, etag(done.value.version)));
    mark_replayed(&mut res, done.replayed);
    Ok(res.json(done.value))
}

/// An item with its stock per location (with days of supply) and per lot.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("item_id" = Uuid, Path, description = "Item id")),
    responses(
        (status = 200, description = "The item", body = ItemDetail, headers(("ETag" = String))),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/items/{item_id}")]
async fn get_item(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    _user: Authorized<can::ViewInventory>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let detail: ItemDetail = db::read(&pool, move |conn| {
        service::get_item(conn, &schedule.time_zone, id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(detail.item.version)))
        .json(detail))
}

/// Change an item: name, unit, default reorder level and quantity, critical flag, or
/// deactivate it (`active: false`; its history stays).
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(
        ("item_id" = Uuid, Path, description = "Item id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = ItemChanges,
    responses(
        (status = 200, description = "Changed", body = Item, headers(("ETag" = String))),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No version sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/items/{item_id}")]
async fn update_item(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageItems>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<ItemChanges>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let changes = body.into_inner();
    let version = expected_version(&req, changes.version);
    let user = *user;
    let done = idempotency::run(&pool, &req, user.id, changes, move |conn, changes| {
        service::update_item(conn, &user, &meta, id, version, changes)
    })
    .await?;
    Ok(changed(done))
}

/// Set the reorder level and quantity of an item at one location (overrides the item's
/// defaults there).
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(
        ("item_id" = Uuid, Path, description = "Item id"),
        ("location_id" = Uuid, Path, description = "Location id"),
    ),
    request_body = ReorderLevel,
    responses(
        (status = 200, description = "The item's level at the location", body = StockLevel),
        (status = 404, description = "No such item or location", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/items/{item_id}/reorder-levels/{location_id}")]
async fn set_reorder_level(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Authorized<can::ManageItems>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<ReorderLevel>,
) -> Result<HttpResponse, ApiError> {
    let (item_id, location_id) = path.into_inner();
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| {
            service::set_reorder_level(
                conn,
                &user,
                &meta,
                &schedule.time_zone,
                item_id,
                location_id,
                input,
            )
        },
    )
    .await?;
    let mut res = HttpResponse::Ok();
    mark_replayed(&mut res, done.replayed);
    Ok(res.json(done.value))
}

/// The item's lots, first expiry first, with units on hand.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("item_id" = Uuid, Path, description = "Item id")),
    responses(
        (status = 200, description = "Lots (at most 1000)", body = Vec<Lot>),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/items/{item_id}/lots")]
async fn list_lots(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    _user: Authorized<can::ViewInventory>,
    path: web::Path<Uuid>,
) -> Result<web::Json<Vec<Lot>>, ApiError> {
    let id = path.into_inner();
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::lots(conn, &schedule.time_zone, id)
        })
        .await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Stock views

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockParams {
    location_id: Option<Uuid>,
    item_id: Option<Uuid>,
    /// Only levels at or below the reorder level.
    low: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Stock levels by item and location, with reorder levels and days of supply (at the last 30
/// days' dispensing rate).
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(StockParams),
    responses((status = 200, description = "One page of levels, by item then location", body = StockLevelPage)),
)]
#[get("/stock")]
async fn list_stock_levels(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    _user: Authorized<can::ViewInventory>,
    params: web::Query<StockParams>,
) -> Result<web::Json<StockLevelPage>, ApiError> {
    let p = params.into_inner();
    let query = StockQuery {
        item_id: p.item_id,
        location_id: p.location_id,
        low: p.low.unwrap_or(false),
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::stock_levels(conn, &schedule.time_zone, query)
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpiringParams {
    /// Window in days from today, 0 to 3650 (default 30). Expired lots are always included.
    #[param(minimum = 0, maximum = 3650)]
    days: Option<i32>,
    location_id: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Lots with stock that expire within the window (or have expired), soonest first.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(ExpiringParams),
    responses((status = 200, description = "One page of lots", body = ExpiringLotPage)),
)]
#[get("/expiring")]
async fn list_expiring_lots(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    _user: Authorized<can::ViewInventory>,
    params: web::Query<ExpiringParams>,
) -> Result<web::Json<ExpiringLotPage>, ApiError> {
    let p = params.into_inner();
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::expiring(
                conn,
                &schedule.time_zone,
                p.days,
                p.location_id,
                p.limit,
                p.cursor,
            )
        })
        .await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Movements

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementListParams {
    item_id: Option<Uuid>,
    /// Movements from or to this location.
    location_id: Option<Uuid>,
    kind: Option<MovementKind>,
    patient_id: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// The movement ledger, newest first.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(MovementListParams),
    responses((status = 200, description = "One page of movements", body = MovementPage)),
)]
#[get("/movements")]
async fn list_movements(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewInventory>,
    params: web::Query<MovementListParams>,
) -> Result<web::Json<MovementPage>, ApiError> {
    let p = params.into_inner();
    let query = MovementQuery {
        item_id: p.item_id,
        location_id: p.location_id,
        kind: p.kind,
        patient_id: p.patient_id,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(web::Json(
        db::read(&pool, move |conn| service::list_movements(conn, query)).await?,
    ))
}

/// The movement actions under `/movements/`, which only take POST.
const MOVEMENT_ACTIONS: [&str; 5] = ["receive", "dispense", "transfer", "adjust", "write-off"];

/// One movement with its ledger lines.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("movement_id" = Uuid, Path, description = "Movement id")),
    responses(
        (status = 200, description = "The movement", body = Movement),
        (status = 404, description = "No such movement", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/movements/{movement_id}")]
async fn get_movement(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewInventory>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<Movement>, ApiError> {
    let segment = path.into_inner();
    let id: Uuid = match segment.parse() {
        Ok(id) => id,
        // `/movements/receive` and the other actions only take POST: say so, rather than
        // "not a UUID".
        Err(_) if MOVEMENT_ACTIONS.contains(&segment.as_str()) => {
            return Err(ApiError::MethodNotAllowed {
                method: req.method().clone(),
                allow: vec![actix_web::http::Method::POST],
            })
        }
        Err(e) => {
            return Err(ApiError::BadRequest(format!(
                "invalid path parameter: movement_id is not a UUID ({e})"
            )))
        }
    };
    Ok(web::Json(
        db::read(&pool, move |conn| service::get_movement(conn, id)).await?,
    ))
}

/// A changed resource with its new `ETag` (and `Idempotent-Replayed` for a replay).
fn changed<T: serde::Serialize + Versioned>(done: Outcome<T>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.insert_header((header::ETAG, etag(done.value.version())));
    mark_replayed(&mut res, done.replayed);
    res.json(done.value)
}

/// Resources with an optimistic-concurrency version.
trait Versioned {
    fn version(&self) -> i32;
}

impl Versioned for Location {
    fn version(&self) -> i32 {
        self.version
    }
}

impl Versioned for Item {
    fn version(&self) -> i32 {
        self.version
    }
}

impl Versioned for Shortage {
    fn version(&self) -> i32 {
        self.version
    }
}

/// Runs a movement once per `Idempotency-Key` and answers 201 with its `Location`.
#[allow(clippy::too_many_arguments)]
async fn record_movement<I, F>(
    pool: &DbPool,
    schedule: web::Data<Schedule>,
    user: AuthUser,
    meta: RequestMeta,
    req: &HttpRequest,
    endpoint: &'static str,
    input: I,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    I: Serialize + Send + 'static,
    F: FnOnce(&mut PgConnection, &Ctx<'_>, I) -> Result<Movement, ApiError> + Send + 'static,
{
    let key = idempotency::key_from(req)?;
    let done = db::run(pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            let request = serde_json::to_value(&input).map_err(|e| ApiError::Internal(e.into()))?;
            let ctx = Ctx {
                user: &user,
                meta: &meta,
                time_zone: &schedule.time_zone,
            };
            idempotency::once(conn, user.id, key.as_deref(), endpoint, &request, |conn| {
                work(conn, &ctx, input)
            })
        })
    })
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/api/v1/inventory/movements/{}", done.value.id),
    ));
    if done.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(done.value))
}

/// Receive stock into a location (with lot and expiry for lot-tracked items). Closes the
/// location's shortages of the item when the level is back above the reorder level.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID; a retry with the same key gets the first answer")),
    request_body = Receive,
    responses(
        (status = 201, description = "Received (or the replayed first answer)", body = Movement,
            headers(("Location" = String), ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same key"))),
    ),
)]
#[post("/movements/receive")]
async fn receive_stock(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Authorized<can::MoveStock>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<Receive>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = "POST /api/v1/inventory/movements/receive";
    record_movement(
        &pool,
        schedule,
        *user,
        meta,
        &req,
        endpoint,
        body.into_inner(),
        service::receive,
    )
    .await
}

/// Dispense stock, optionally for a patient and one of their medications. Without `lot_id`
/// the lots expiring first are used first, possibly several; expired lots never. Two
/// dispenses of the last units give one 201 and one 409. Opens a shortage when the level falls
/// to the reorder level.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID; a retry with the same key gets the first answer")),
    request_body = Dispense,
    responses(
        (status = 201, description = "Dispensed (or the replayed first answer)", body = Movement,
            headers(("Location" = String), ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same key"))),
        (status = 409, description = "Not enough unexpired stock; nothing was moved", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/movements/dispense")]
async fn dispense_stock(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Authorized<can::DispenseStock>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<Dispense>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = "POST /api/v1/inventory/movements/dispense";
    record_movement(
        &pool,
        schedule,
        *user,
        meta,
        &req,
        endpoint,
        body.into_inner(),
        service::dispense,
    )
    .await
}

/// Move stock between two locations (first expiry first without `lot_id`).
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID; a retry with the same key gets the first answer")),
    request_body = Transfer,
    responses(
        (status = 201, description = "Transferred (or the replayed first answer)", body = Movement,
            headers(("Location" = String), ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same key"))),
        (status = 409, description = "Not enough unexpired stock at the source; nothing was moved", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/movements/transfer")]
async fn transfer_stock(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Authorized<can::MoveStock>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<Transfer>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = "POST /api/v1/inventory/movements/transfer";
    record_movement(
        &pool,
        schedule,
        *user,
        meta,
        &req,
        endpoint,
        body.into_inner(),
        service::transfer,
    )
    .await
}

/// Correct the stock after a count: the ledger records the difference, with the reason.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID; a retry with the same key gets the first answer")),
    request_body = Adjust,
    responses(
        (status = 201, description = "Adjusted (or the replayed first answer)", body = Movement,
            headers(("Location" = String), ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same key"))),
    ),
)]
#[post("/movements/adjust")]
async fn adjust_stock(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Authorized<can::MoveStock>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<Adjust>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = "POST /api/v1/inventory/movements/adjust";
    record_movement(
        &pool,
        schedule,
        *user,
        meta,
        &req,
        endpoint,
        body.into_inner(),
        service::adjust,
    )
    .await
}

/// Write off stock of a lot (expired, damaged, recalled).
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID; a retry with the same key gets the first answer")),
    request_body = WriteOff,
    responses(
        (status = 201, description = "Written off (or the replayed first answer)", body = Movement,
            headers(("Location" = String), ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same key"))),
        (status = 409, description = "Not that much stock of the lot; nothing was moved", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/movements/write-off")]
async fn write_off_stock(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Authorized<can::MoveStock>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<WriteOff>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = "POST /api/v1/inventory/movements/write-off";
    record_movement(
        &pool,
        schedule,
        *user,
        meta,
        &req,
        endpoint,
        body.into_inner(),
        service::write_off,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Shortages

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShortageListParams {
    status: Option<ShortageStatus>,
    /// Only shortages that still need someone (open, acknowledged, ordered).
    live: Option<bool>,
    severity: Option<Severity>,
    item_id: Option<Uuid>,
    location_id: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Shortages, most urgent first (critical items, then severity), then newest first.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(ShortageListParams),
    responses((status = 200, description = "One page of shortages", body = ShortagePage)),
)]
#[get("/shortages")]
async fn list_shortages(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewInventory>,
    params: web::Query<ShortageListParams>,
) -> Result<web::Json<ShortagePage>, ApiError> {
    let p = params.into_inner();
    let query = ShortageQuery {
        status: p.status,
        live: p.live.unwrap_or(false),
        severity: p.severity,
        item_id: p.item_id,
        location_id: p.location_id,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(web::Json(
        db::read(&pool, move |conn| service::list_shortages(conn, query)).await?,
    ))
}

/// Report a shortage (any staff member). Send an `Idempotency-Key` so a retry cannot report
/// twice.
///
/// While the primary database is unreachable, a report is still accepted: it is checked
/// against a standby, kept durably on the API server and answered 202; it is written (exactly
/// once) when the primary is back. `GET /api/v1/me/pending-writes` shows what became of it.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID; a retry with the same key gets the first answer")),
    request_body = ReportShortage,
    responses(
        (status = 201, description = "Reported (or the replayed first answer)", body = Shortage,
            headers(("Location" = String), ("ETag" = String), ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same key"))),
        (status = 202, description = "The database is unreachable: the report is kept and will be written when it is back", body = PendingWrite,
            headers(("Location" = String, description = "Where to follow it: /api/v1/me/pending-writes"))),
    ),
)]
#[post("/shortages")]
async fn report_shortage(
    pool: web::Data<DbPool>,
    user: Authorized<can::ReportShortages>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<ReportShortage>,
) -> Result<HttpResponse, ApiError> {
    // Always keyed, so that a report kept in the journal is written exactly once even if this
    // attempt did commit before the connection was lost.
    let key = idempotency::key_from(&req)?.unwrap_or_else(|| format!("auto:{}", Uuid::new_v4()));
    let input = body.into_inner();
    let user = *user;
    let request = serde_json::to_value(&input).map_err(|e| ApiError::Internal(e.into()))?;
    let attempt = {
        let (key, request, input, meta) =
            (key.clone(), request.clone(), input.clone(), meta.clone());
        db::run(&pool, move |conn| {
            use diesel::Connection;
            conn.transaction(|conn| {
                idempotency::once(
                    conn,
                    user.id,
                    Some(&key),
                    replay::REPORT_SHORTAGE,
                    &request,
                    |conn| service::report_shortage(conn, &user, &meta, input),
                )
            })
        })
        .await
    };
    match attempt {
        Ok(done) => {
            let mut res = HttpResponse::Created();
            res.insert_header((
                header::LOCATION,
                format!("/api/v1/inventory/shortages/{}", done.value.id),
            ))
            .insert_header((header::ETAG, etag(done.value.version)));
            if done.replayed {
                res.insert_header(("Idempotent-Replayed", "true"));
            }
            Ok(res.json(done.value))
        }
        // The primary is unreachable: a shortage report must not be lost. Check it against the
        // standby (when there is one), keep it, and write it when the primary is back.
        Err(ApiError::Unavailable(_)) => {
            service::report_note(&input)?;
            let checked = input.clone();
            match db::read(&pool, move |conn| service::check_report(conn, &checked)).await {
                Ok(()) | Err(ApiError::Unavailable(_)) => {}
                Err(refused) => return Err(refused),
            }
            let entry = Entry::new(Work::ReportShortage, &user, &meta, key, request);
            journal::handlers::accepted(&pool, entry).await
        }
        Err(other) => Err(other),
    }
}

/// One shortage with its history (who did each step, when).
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(("shortage_id" = Uuid, Path, description = "Shortage id")),
    responses(
        (status = 200, description = "The shortage", body = Shortage, headers(("ETag" = String))),
        (status = 404, description = "No such shortage", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/shortages/{shortage_id}")]
async fn get_shortage(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewInventory>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let found = db::read(&pool, move |conn| service::get_shortage(conn, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Moves a shortage to `to`; the version comes from `If-Match` or the body, and is optional.
async fn act(
    pool: &DbPool,
    user: AuthUser,
    meta: RequestMeta,
    req: &HttpRequest,
    id: Uuid,
    to: ShortageStatus,
    action: ShortageAction,
) -> Result<HttpResponse, ApiError> {
    let version = match (req.headers().contains_key(header::IF_MATCH), action.version) {
        (false, None) => Ok(None),
        (_, body) => expected_version(req, body).map(Some),
    };
    let done = idempotency::run(pool, req, user.id, action, move |conn, action| {
        service::act_on_shortage(conn, &user, &meta, id, to, version, action)
    })
    .await?;
    Ok(changed(done))
}

/// Acknowledge an open shortage: someone is on it.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(
        ("shortage_id" = Uuid, Path, description = "Shortage id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version seen (optional)"),
    ),
    request_body = ShortageAction,
    responses(
        (status = 200, description = "Acknowledged", body = Shortage, headers(("ETag" = String))),
        (status = 404, description = "No such shortage", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open any more", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/shortages/{shortage_id}/acknowledge")]
async fn acknowledge_shortage(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageShortages>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<ShortageAction>,
) -> Result<HttpResponse, ApiError> {
    let to = ShortageStatus::Acknowledged;
    act(
        &pool,
        *user,
        meta,
        &req,
        path.into_inner(),
        to,
        body.into_inner(),
    )
    .await
}

/// Record that stock was ordered (with the purchase order or requisition number).
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(
        ("shortage_id" = Uuid, Path, description = "Shortage id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version seen (optional)"),
    ),
    request_body = ShortageAction,
    responses(
        (status = 200, description = "Ordered", body = Shortage, headers(("ETag" = String))),
        (status = 404, description = "No such shortage", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already ordered or closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/shortages/{shortage_id}/order")]
async fn order_shortage(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageShortages>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<ShortageAction>,
) -> Result<HttpResponse, ApiError> {
    let to = ShortageStatus::Ordered;
    act(
        &pool,
        *user,
        meta,
        &req,
        path.into_inner(),
        to,
        body.into_inner(),
    )
    .await
}

/// Resolve a shortage by hand (a receipt that restores the level resolves it by itself).
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(
        ("shortage_id" = Uuid, Path, description = "Shortage id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version seen (optional)"),
    ),
    request_body = ShortageAction,
    responses(
        (status = 200, description = "Resolved", body = Shortage, headers(("ETag" = String))),
        (status = 404, description = "No such shortage", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/shortages/{shortage_id}/resolve")]
async fn resolve_shortage(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageShortages>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<ShortageAction>,
) -> Result<HttpResponse, ApiError> {
    let to = ShortageStatus::Resolved;
    act(
        &pool,
        *user,
        meta,
        &req,
        path.into_inner(),
        to,
        body.into_inner(),
    )
    .await
}

/// Dismiss a shortage (a false alarm, a duplicate), with the reason in `note`.
#[utoipa::path(
    tag = "inventory",
    security(("bearer" = [])),
    params(
        ("shortage_id" = Uuid, Path, description = "Shortage id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version seen (optional)"),
    ),
    request_body = ShortageAction,
    responses(
        (status = 200, description = "Dismissed", body = Shortage, headers(("ETag" = String))),
        (status = 404, description = "No such shortage", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/shortages/{shortage_id}/dismiss")]
async fn dismiss_shortage(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageShortages>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<ShortageAction>,
) -> Result<HttpResponse, ApiError> {
    let to = ShortageStatus::Dismissed;
    act(
        &pool,
        *user,
        meta,
        &req,
        path.into_inner(),
        to,
        body.into_inner(),
    )
    .await
}
