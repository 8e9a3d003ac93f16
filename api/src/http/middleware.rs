//! The access log and response headers added to every response.
//!
//! One log line per request: request id, method, path (never the query string, which can hold
//! names), status and duration. Bodies and headers are never logged.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use rand::Rng;

use crate::db::DbPool;
use crate::ops::metrics::Metrics;

/// The id of the current request: the caller's `X-Request-Id` when it is sane, else a new one.
/// Echoed in the response and written to the log and the audit trail.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// An API client's rate limit per minute, and what is left of it (IETF draft RateLimit fields).
static RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");

pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.path().to_owned();
    let is_api = path.starts_with("/api/");
    let pool = req.app_data::<web::Data<DbPool>>().cloned();

    let mut res = next.call(req).await?;

    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(X_REQUEST_ID.clone(), value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if is_api {
        mark_degraded(&pool, headers);
    }
    let rate = res
        .request()
        .extensions()
        .get::<crate::integrations::registry::RateInfo>()
        .copied();
    if let Some(rate) = rate {
        let headers = res.headers_mut();
        headers.insert(RATELIMIT_LIMIT.clone(), HeaderValue::from(rate.limit));
        headers.insert(
            RATELIMIT_REMAINING.clone(),
            HeaderValue::from(rate.remaining),
        );
    }
    let headers = res.headers_mut();
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        // Responses carry personal data: no shared or browser caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let status = res.status();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Some(metrics) = res.request().app_data::<web::Data<Metrics>>() {
        let route = res.request().match_pattern();
        metrics.observe(
            method.as_str(),
            route.as_deref().unwrap_or("unmatched"),
            status.as_u16(),
            elapsed_ms / 1000.0,
        );
    }
    if status.is_server_error() {
        log::warn!("{id} {method} {path} {} {elapsed_ms:.1}ms", status.as_u16());
    } else {
        log::info!("{id} {method} {path} {} {elapsed_ms:.1}ms", status.as_u16());
    }
    Ok(res)
}

static READ_ONLY: HeaderName = HeaderName::from_static("x-hms-read-only");
static DATA_AS_OF: HeaderName = HeaderName::from_static("x-hms-data-as-of");

/// While the primary is unreachable, every API answer says so: `X-HMS-Read-Only: true` and,
/// when known, `X-HMS-Data-As-Of` (RFC 3339), the instant the standby's data is from.
fn mark_degraded(pool: &Option<web::Data<DbPool>>, headers: &mut HeaderMap) {
    let Some(pool) = pool.as_ref().filter(|p| p.degraded()) else {
        return;
    };
    headers.insert(READ_ONLY.clone(), HeaderValue::from_static("true"));
    if let Some(at) = pool.state().snapshot().standby_replayed_at {
        if let Ok(value) = HeaderValue::from_str(&at.to_rfc3339()) {
            headers.insert(DATA_AS_OF.clone(), value);
        }
    }
}

fn new_request_id() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}
