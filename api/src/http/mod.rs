//! HTTP plumbing shared by every domain: request ids and the access log, the fallback for
//! unknown routes (404/405 problems, SPA files), and conditional-request helpers.

pub mod cors;
pub mod fallback;
pub mod json;
pub mod middleware;

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, FromRequest, HttpMessage, HttpRequest};

use crate::audit::RequestMeta;
use crate::error::ApiError;
pub use json::Json;
pub use middleware::RequestId;

/// The `ETag` of a resource at `version`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The version an update is based on: from `If-Match` (an ETag from [`etag`]) or, failing
/// that, from the body's `version`. Neither is 428; a malformed `If-Match` is 400. (A version
/// that does not match the stored one is the service's 412.)
pub fn expected_version(req: &HttpRequest, body_version: Option<i32>) -> Result<i32, ApiError> {
    let if_match = req
        .headers()
        .get(header::IF_MATCH)
        .map(|v| v.to_str().map(str::trim).unwrap_or("?"))
        .filter(|v| !v.is_empty());
    match if_match {
        Some(value) => value
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse::<i32>()
            .map_err(|_| {
                ApiError::BadRequest("If-Match must be the ETag you read, e.g. \"3\"".into())
            }),
        None => body_version.ok_or(ApiError::PreconditionRequired),
    }
}

/// Client address and request id, for the audit trail and sign-in throttling.
impl FromRequest for RequestMeta {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestMeta::of(req)))
    }
}

impl RequestMeta {
    /// The client address and request id of `req`.
    pub fn of(req: &HttpRequest) -> RequestMeta {
        RequestMeta {
            client_addr: req.peer_addr().map(|a| a.ip().to_string()),
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_match_wins_over_the_body_version() {
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "W/\"7\""))
            .to_http_request();

        assert_eq!(expected_version(&req, Some(3)).unwrap(), 7);
    }

    #[test]
    fn an_update_without_any_version_is_428() {
        let req = TestRequest::default().to_http_request();

        assert!(matches!(
            expected_version(&req, None),
            Err(ApiError::PreconditionRequired)
        ));
    }
}
