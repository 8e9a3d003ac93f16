//! CORS for third-party front ends: browser pages served from the origins in `HMS_CORS_ORIGINS`
//! may call the API. With none configured (the default) only same-origin pages can (the SPA the
//! API serves itself). A request from another origin is not refused by the server (a browser
//! simply gets no CORS headers and keeps the answer from the page).

use actix_cors::Cors;
use actix_web::http::{header, Method};

/// Request headers a cross-origin page may send.
pub const ALLOWED_HEADERS: [&str; 5] = [
    "authorization",
    "content-type",
    "if-match",
    "idempotency-key",
    "x-request-id",
];

/// Response headers a cross-origin page may read.
pub const EXPOSED_HEADERS: [&str; 11] = [
    "etag",
    "location",
    "retry-after",
    "x-hms-read-only",
    "x-hms-data-as-of",
    "ratelimit-limit",
    "ratelimit-remaining",
    "x-request-id",
    "idempotent-replayed",
    "allow",
    "www-authenticate",
];

pub fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers(ALLOWED_HEADERS.map(header::HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(header::HeaderName::from_static))
        .max_age(3600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
