//! Webhook rules: who sees which subscriptions (administrators: every client's; an API
//! client: its own), validation of URLs and event types, the scope check, ping and resend.
//! No actix types.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use hms_api_types::webhooks::{
    scope_for, DeliveryStatus, NewWebhookSubscription, WebhookDelivery, WebhookDeliveryPage,
    WebhookSubscription, WebhookSubscriptionPage, WebhookSubscriptionPatch, EVENT_TYPES,
};
use rand::RngCore;
use uuid::Uuid;

use super::events::{emit_to, Event};
use super::repo::{self, DeliveryFilter, DeliveryRow, SubscriptionChanges, SubscriptionRow};
use crate::audit::{self, AuditEvent, RequestMeta};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination;
use crate::validate::Check;

/// Whose subscriptions the caller manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A person (an administrator): every client's.
    Staff,
    /// An API client acting through its service account: its own only.
    Client(Uuid),
}

impl Caller {
    fn client(self) -> Option<Uuid> {
        match self {
            Caller::Staff => None,
            Caller::Client(id) => Some(id),
        }
    }

    /// Whether the caller may see something of `client_id`.
    fn sees(self, client_id: Uuid) -> bool {
        self.client().is_none_or(|own| own == client_id)
    }
}

/// Who `user` is for webhooks: an API client when its account is a client's service account.
pub fn caller(conn: &mut PgConnection, user: &AuthUser) -> Result<Caller, ApiError> {
    Ok(match repo::client_of_user(conn, user.id)? {
        Some(client) => Caller::Client(client),
        None => Caller::Staff,
    })
}

fn to_dto(row: SubscriptionRow, secret: bool) -> WebhookSubscription {
    WebhookSubscription {
        id: row.id,
        client_id: row.client_id,
        url: row.url,
        events: row.events.into_iter().flatten().collect(),
        active: row.active,
        description: row.description,
        created_by: row.created_by,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        signing_secret: secret.then_some(row.signing_secret),
    }
}

fn delivery_dto(row: DeliveryRow) -> WebhookDelivery {
    let status = DeliveryStatus::parse(&row.status).unwrap_or(DeliveryStatus::Pending);
    WebhookDelivery {
        id: row.id,
        event_id: row.event_id,
        event_type: row.event_type,
        subscription_id: row.subscription_id,
        client_id: row.client_id,
        url: row.url,
        status,
        attempts: row.attempts,
        next_attempt_at: (status == DeliveryStatus::Pending).then_some(row.next_attempt_at),
        last_attempt_at: row.last_attempt_at,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        response_ms: row.response_ms,
        delivered_at: row.delivered_at,
        created_at: row.created_at,
        payload: row.payload,
    }
}

/// A new signing secret: 256 random bits, hex, with a recognisable prefix.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("whsec_{hex}")
}

/// An absolute http(s) URL with a host, or a field error.
fn check_url(check: &mut Check, url: &str) {
    let ok = url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && ureq::http::Uri::try_from(url).is_ok_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https"))
                && u.host().is_some_and(|h| !h.is_empty())
        });
    if !ok {
        check.fail(
            "url",
            "must be an absolute http:// or https:// URL with a host (at most 2000 characters)",
        );
    }
}

/// Known event types, each once, at least one; or field errors.
fn check_events(check: &mut Check, events: &[String]) -> Vec<String> {
    if events.is_empty() {
        check.fail("events", "list at least one event type");
    }
    let mut out: Vec<String> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if !EVENT_TYPES.contains(&e.as_str()) {
            check.fail(
                &format!("events[{i}]"),
                format!("is not an event type; known: {}", EVENT_TYPES.join(", ")),
            );
        } else if !out.contains(e) {
            out.push(e.clone());
        }
    }
    out
}

/// SCOPE CHECK: the client must hold the read scope of every event type it subscribes to
/// (`appointments:read` for `appointment.*`, `inventory:read` for `shortage.*`,
/// `incidents:read` for `incident.*`), read from `api_clients.scopes`: the receiver fetches the
/// details with those scopes, and events must not tell a client more than it may read.
fn check_scopes(
    conn: &mut PgConnection,
    client_id: Uuid,
    events: &[String],
) -> Result<(), ApiError> {
    let scopes = repo::client_scopes(conn, client_id)?
        .ok_or_else(|| ApiError::invalid("client_id", "is not an API client"))?;
    let mut check = Check::new();
    for (i, e) in events.iter().enumerate() {
        if let Some(needed) = scope_for(e) {
            if !scopes.iter().any(|s| s == needed) {
                check.fail(
                    &format!("events[{i}]"),
                    format!("the client needs the scope {needed} for {e}"),
                );
            }
        }
    }
    check.finish()
}

/// The subscription, if the caller may see it (404 otherwise, whoever's it is).
fn visible(
    conn: &mut PgConnection,
    caller: Caller,
    id: Uuid,
    lock: bool,
) -> Result<SubscriptionRow, ApiError> {
    let row = if lock {
        repo::lock(conn, id)?
    } else {
        repo::find(conn, id)?
    };
    row.filter(|r| caller.sees(r.client_id))
        .ok_or_else(|| ApiError::not_found("the webhook subscription"))
}

pub fn create(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    input: NewWebhookSubscription,
) -> Result<WebhookSubscription, ApiError> {
    let mut check = Check::new();
    let url = input.url.trim().to_owned();
    check_url(&mut check, &url);
    let events = check_events(&mut check, &input.events);
    let description = input.description.unwrap_or_default().trim().to_owned();
    if !description.is_empty() {
        check.multiline("description", &description, 2000);
    }
    check.finish()?;
    conn.transaction(|conn| {
        let client_id = match (caller(conn, user)?, input.client_id) {
            (Caller::Client(own), None) => own,
            (Caller::Client(own), Some(given)) if given == own => own,
            (Caller::Client(_), Some(_)) => return Err(ApiError::not_found("the API client")),
            (Caller::Staff, Some(given)) => given,
            (Caller::Staff, None) => {
                return Err(ApiError::invalid("client_id", "name the API client"))
            }
        };
        check_scopes(conn, client_id, &events)?;
        let secret = new_secret();
        let row = repo::insert(
            conn,
            &repo::NewSubscriptionRow {
                client_id,
                url: &url,
                events: &events,
                signing_secret: &secret,
                active: input.active.unwrap_or(true),
                description: &description,
                created_by: user.id,
            },
        )?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "create", "webhook_subscription", row.id),
        )?;
        Ok(to_dto(row, true))
    })
}

pub fn get(
    conn: &mut PgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<WebhookSubscription, ApiError> {
    let caller = caller(conn, user)?;
    Ok(to_dto(visible(conn, caller, id, false)?, false))
}

pub fn list(
    conn: &mut PgConnection,
    user: &AuthUser,
    client_id: Option<Uuid>,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<WebhookSubscriptionPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, limit);
    let after = decode_key(&mut check, cursor.as_deref());
    check.finish()?;
    let caller = caller(conn, user)?;
    let client_id = match (caller, client_id) {
        (Caller::Client(own), Some(given)) if given != own => {
            return Ok(WebhookSubscriptionPage {
                items: vec![],
                next_cursor: None,
            })
        }
        (Caller::Client(own), _) => Some(own),
        (Caller::Staff, given) => given,
    };
    let mut rows = repo::list(conn, client_id, after, limit + 1)?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |r| key(r.created_at, r.id));
    Ok(WebhookSubscriptionPage {
        items: rows.into_iter().map(|r| to_dto(r, false)).collect(),
        next_cursor,
    })
}

pub fn update(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    version: i32,
    input: WebhookSubscriptionPatch,
) -> Result<WebhookSubscription, ApiError> {
    let mut check = Check::new();
    let url = input.url.map(|u| u.trim().to_owned());
    if let Some(u) = &url {
        check_url(&mut check, u);
    }
    let events = input.events.map(|e| check_events(&mut check, &e));
    let description = input.description.map(|d| d.trim().to_owned());
    if let Some(d) = description.as_ref().filter(|d| !d.is_empty()) {
        check.multiline("description", d, 2000);
    }
    check.finish()?;
    conn.transaction(|conn| {
        let caller = caller(conn, user)?;
        let current = visible(conn, caller, id, true)?;
        if current.version != version {
            return Err(ApiError::PreconditionFailed(format!(
                "the webhook subscription was changed by someone else (now version {}); reload and try again",
                current.version
            )));
        }
        if let Some(e) = &events {
            check_scopes(conn, current.client_id, e)?;
        }
        let row = repo::update(
            conn,
            id,
            &SubscriptionChanges {
                url,
                events,
                description,
                active: input.active,
            },
        )?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "update", "webhook_subscription", id),
        )?;
        Ok(to_dto(row, false))
    })
}

/// Deletes a subscription with its delivery log (its events stay in the outbox).
pub fn delete(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let caller = caller(conn, user)?;
        visible(conn, caller, id, true)?;
        repo::delete(conn, id)?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "delete", "webhook_subscription", id),
        )?;
        Ok(())
    })
}

/// Queues a `ping` event for this subscription only; answers its delivery.
pub fn ping(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<WebhookDelivery, ApiError> {
    conn.transaction(|conn| {
        let caller = caller(conn, user)?;
        let row = visible(conn, caller, id, false)?;
        if !row.active {
            return Err(ApiError::Conflict(
                "the subscription is not active; activate it first".into(),
            ));
        }
        let delivery = emit_to(conn, Event::ping(id), id)?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "ping", "webhook_subscription", id),
        )?;
        delivery_of(conn, caller, delivery)
    })
}

fn delivery_of(
    conn: &mut PgConnection,
    caller: Caller,
    id: Uuid,
) -> Result<WebhookDelivery, ApiError> {
    repo::find_delivery(conn, id)?
        .filter(|d| caller.sees(d.client_id))
        .map(delivery_dto)
        .ok_or_else(|| ApiError::not_found("the webhook delivery"))
}

pub fn get_delivery(
    conn: &mut PgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<WebhookDelivery, ApiError> {
    let caller = caller(conn, user)?;
    delivery_of(conn, caller, id)
}

pub struct DeliveryQuery {
    pub subscription_id: Option<Uuid>,
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn list_deliveries(
    conn: &mut PgConnection,
    user: &AuthUser,
    q: DeliveryQuery,
) -> Result<WebhookDeliveryPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, q.limit);
    let after = decode_key(&mut check, q.cursor.as_deref());
    if let Some(t) = &q.event_type {
        if !EVENT_TYPES.contains(&t.as_str()) && t != hms_api_types::webhooks::PING {
            check.fail("event_type", "is not an event type");
        }
    }
    check.finish()?;
    let caller = caller(conn, user)?;
    let mut rows = repo::list_deliveries(
        conn,
        &DeliveryFilter {
            client_id: caller.client(),
            subscription_id: q.subscription_id,
            status: q.status.map(|s| s.as_str().to_owned()),
            event_type: q.event_type,
            after,
            limit: limit + 1,
        },
    )?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |r| key(r.created_at, r.id));
    Ok(WebhookDeliveryPage {
        items: rows.into_iter().map(delivery_dto).collect(),
        next_cursor,
    })
}

/// Makes a delivery due now (a new attempt, also after it failed or was delivered). 409 while
/// a worker is delivering it.
pub fn resend(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<WebhookDelivery, ApiError> {
    conn.transaction(|conn| {
        let caller = caller(conn, user)?;
        delivery_of(conn, caller, id)?;
        if !repo::resend(conn, id)? {
            return Err(ApiError::Conflict(
                "the delivery is being attempted right now; look again in a few seconds".into(),
            ));
        }
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "resend", "webhook_delivery", id),
        )?;
        delivery_of(conn, caller, id)
    })
}

fn key(at: DateTime<Utc>, id: Uuid) -> String {
    format!(
        "{}|{id}",
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    )
}

fn decode_key(check: &mut Check, cursor: Option<&str>) -> Option<(DateTime<Utc>, Uuid)> {
    let raw = pagination::decode(check, cursor)?;
    let parsed = raw.split_once('|').and_then(|(at, id)| {
        Some((
            DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
            Uuid::parse_str(id).ok()?,
        ))
    });
    if parsed.is_none() {
        check.fail("cursor", "is not a cursor returned by this list");
    }
    parsed
}
