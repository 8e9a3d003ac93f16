//! Inventory calls (`/inventory/…`): locations, items with their stock, the movement ledger
//! (recorded with an `Idempotency-Key`), and shortages with their workflow.

use gloo_net::http::Method;
use hms_api_types::inventory::{
    Adjust, Dispense, Item, ItemCategory, ItemDetail, ItemPage, Location, Movement, MovementPage,
    NewItem, Receive, ReportShortage, Severity, Shortage, ShortageAction, ShortagePage,
    ShortageStatus, Transfer, WriteOff,
};
use hms_api_types::page::MAX_PAGE_SIZE;
use serde::Serialize;
use uuid::Uuid;

use super::ops::Saved;
use super::{Api, ApiError, Call};

/// How many items (or movements) one page of a list holds.
const PAGE_SIZE: i64 = 50;
/// The most pages [`Api::all_shortages`] follows.
const MAX_PAGES: usize = 5;

/// What the item list asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemQuery {
    /// Part of the name or SKU; empty for every item.
    pub q: String,
    pub category: Option<ItemCategory>,
    /// Only items at or below their reorder level somewhere.
    pub low_stock: bool,
    pub include_inactive: bool,
}

/// What the shortage lists ask for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShortageQuery {
    pub status: Option<ShortageStatus>,
    pub severity: Option<Severity>,
    pub item_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    /// Only shortages that still need someone (open, acknowledged, ordered).
    pub live: bool,
}

impl ShortageQuery {
    fn call(&self, limit: i64, cursor: Option<&str>) -> Call<'static> {
        let mut call = Call::new(Method::GET, "/api/v1/inventory/shortages");
        if let Some(status) = self.status {
            call.query.push(("status", status.as_str().to_owned()));
        }
        if let Some(severity) = self.severity {
            call.query.push(("severity", severity.as_str().to_owned()));
        }
        if let Some(id) = self.item_id {
            call.query.push(("item_id", id.to_string()));
        }
        if let Some(id) = self.location_id {
            call.query.push(("location_id", id.to_string()));
        }
        if self.live {
            call.query.push(("live", "true".to_owned()));
        }
        call.query.push(("limit", limit.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        call
    }
}

/// One stock movement to record.
#[derive(Debug, Clone)]
pub enum MovementRequest {
    Receive(Receive),
    Dispense(Dispense),
    Transfer(Transfer),
    Adjust(Adjust),
    WriteOff(WriteOff),
}

impl MovementRequest {
    fn path(&self) -> &'static str {
        match self {
            MovementRequest::Receive(_) => "/api/v1/inventory/movements/receive",
            MovementRequest::Dispense(_) => "/api/v1/inventory/movements/dispense",
            MovementRequest::Transfer(_) => "/api/v1/inventory/movements/transfer",
            MovementRequest::Adjust(_) => "/api/v1/inventory/movements/adjust",
            MovementRequest::WriteOff(_) => "/api/v1/inventory/movements/write-off",
        }
    }

    fn call(&self) -> Result<Call<'static>, ApiError> {
        let call = Call::new(Method::POST, self.path());
        match self {
            MovementRequest::Receive(body) => call.json(body),
            MovementRequest::Dispense(body) => call.json(body),
            MovementRequest::Transfer(body) => call.json(body),
            MovementRequest::Adjust(body) => call.json(body),
            MovementRequest::WriteOff(body) => call.json(body),
        }
    }

    /// The endpoint and body, to tell one submission from another.
    pub fn fingerprint(&self) -> String {
        let body = match self.call() {
            Ok(call) => call.body.unwrap_or_default(),
            Err(_) => String::new(),
        };
        format!("{} {body}", self.path())
    }
}

/// A step of the shortage workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortageMove {
    Acknowledge,
    Order,
    Resolve,
    Dismiss,
}

impl ShortageMove {
    /// The last part of the action's address.
    pub fn slug(self) -> &'static str {
        match self {
            ShortageMove::Acknowledge => "acknowledge",
            ShortageMove::Order => "order",
            ShortageMove::Resolve => "resolve",
            ShortageMove::Dismiss => "dismiss",
        }
    }

    /// The status the shortage moves to.
    pub fn target(self) -> ShortageStatus {
        match self {
            ShortageMove::Acknowledge => ShortageStatus::Acknowledged,
            ShortageMove::Order => ShortageStatus::Ordered,
            ShortageMove::Resolve => ShortageStatus::Resolved,
            ShortageMove::Dismiss => ShortageStatus::Dismissed,
        }
    }
}

/// The `Idempotency-Key` of one submission. Sending the same request again (after a network
/// error) reuses the key, so the server acts at most once; a different request gets a new key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attempt {
    request: String,
    key: String,
}

impl Attempt {
    /// The key to send with the request described by `fingerprint`.
    pub fn key_for(&mut self, fingerprint: String) -> String {
        if self.key.is_empty() || self.request != fingerprint {
            self.request = fingerprint;
            self.key = Uuid::new_v4().to_string();
        }
        self.key.clone()
    }

    /// The attempt is over (it succeeded): the next request gets a new key.
    pub fn finish(&mut self) {
        *self = Attempt::default();
    }
}

/// The endpoint and body of a POST, for [`Attempt::key_for`].
pub fn fingerprint<T: Serialize>(path: &str, body: &T) -> String {
    format!("{path} {}", serde_json::to_string(body).unwrap_or_default())
}

/// Where shortages are reported.
pub const SHORTAGES_PATH: &str = "/api/v1/inventory/shortages";

impl Api {
    /// Stock locations by name (the inactive ones too when asked).
    pub async fn locations(&self, include_inactive: bool) -> Result<Vec<Location>, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/inventory/locations");
        if include_inactive {
            call.query.push(("include_inactive", "true".to_owned()));
        }
        self.fetch_json(call).await
    }

    /// One page of items by name, after `cursor` when given.
    pub async fn list_items(
        &self,
        query: &ItemQuery,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<ItemPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/inventory/items");
        let q = query.q.trim();
        if !q.is_empty() {
            call.query.push(("q", q.to_owned()));
        }
        if let Some(category) = query.category {
            call.query.push(("category", category.as_str().to_owned()));
        }
        if query.low_stock {
            call.query.push(("low_stock", "true".to_owned()));
        }
        if query.include_inactive {
            call.query.push(("include_inactive", "true".to_owned()));
        }
        call.query
            .push(("limit", limit.unwrap_or(PAGE_SIZE).to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }

    /// Adds an item to the catalogue (409 when the SKU is taken).
    pub async fn create_item(&self, request: &NewItem) -> Result<Item, ApiError> {
        let call = Call::new(Method::POST, "/api/v1/inventory/items").json(request)?;
        self.fetch_json(call).await
    }

    /// An item with its stock per location and per lot.
    pub async fn get_item(&self, id: Uuid) -> Result<ItemDetail, ApiError> {
        let path = format!("/api/v1/inventory/items/{id}");
        self.fetch_json(Call::new(Method::GET, &path)).await
    }

    /// One page of an item's movements, newest first, after `cursor` when given.
    pub async fn item_movements(
        &self,
        item_id: Uuid,
        cursor: Option<&str>,
    ) -> Result<MovementPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/inventory/movements");
        call.query.push(("item_id", item_id.to_string()));
        call.query.push(("limit", PAGE_SIZE.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }

    /// Records a movement with `Idempotency-Key: key` (see [`Attempt`]). The answer's
    /// `opened_shortage_id` is set when the movement opened a shortage.
    pub async fn record_movement(
        &self,
        request: &MovementRequest,
        key: String,
    ) -> Result<Movement, ApiError> {
        let mut call = request.call()?;
        call.idempotency_key = Some(key);
        self.fetch_json(call).await
    }

    /// One page of shortages: critical items and higher severity first, then newest first.
    pub async fn list_shortages(
        &self,
        query: &ShortageQuery,
        limit: i64,
        cursor: Option<&str>,
    ) -> Result<ShortagePage, ApiError> {
        self.fetch_json(query.call(limit, cursor)).await
    }

    /// Every shortage matching `query` (following the pages, up to a sane maximum).
    pub async fn all_shortages(&self, query: &ShortageQuery) -> Result<Vec<Shortage>, ApiError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .list_shortages(query, MAX_PAGE_SIZE, cursor.as_deref())
                .await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(items)
    }

    /// Reports a shortage by hand, with `Idempotency-Key: key`. While the database is
    /// unreachable the report is kept and written later ([`Saved::Kept`]).
    pub async fn report_shortage(
        &self,
        request: &ReportShortage,
        key: String,
    ) -> Result<Saved<Shortage>, ApiError> {
        let mut call = Call::new(Method::POST, SHORTAGES_PATH).json(request)?;
        call.idempotency_key = Some(key);
        self.fetch_saved(call).await
    }

    /// One shortage with its history.
    pub async fn get_shortage(&self, id: Uuid) -> Result<Shortage, ApiError> {
        let path = format!("{SHORTAGES_PATH}/{id}");
        self.fetch_json(Call::new(Method::GET, &path)).await
    }

    /// Moves a shortage along its workflow, based on the `version` the person saw (412 when it
    /// is stale, 409 when the workflow does not allow the move from its current status).
    pub async fn move_shortage(
        &self,
        id: Uuid,
        step: ShortageMove,
        version: i32,
        action: &ShortageAction,
    ) -> Result<Shortage, ApiError> {
        let path = format!("{SHORTAGES_PATH}/{id}/{}", step.slug());
        let mut call = Call::new(Method::POST, &path).json(action)?;
        call.if_match = Some(version);
        self.fetch_json(call).await
    }
}
