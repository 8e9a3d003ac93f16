//! The one error type. Every failure a handler can return is an [`ApiError`], rendered as an
//! RFC 9457 `application/problem+json` body with a stable `type`.
//!
//! Rules: 4xx bodies say what is wrong with the request; 5xx bodies never carry internals (the
//! cause goes to the log, once, here). Database text is never echoed, because it can contain
//! patient data. Losing the database is a 503 with `Retry-After`, never a 500.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use hms_api_types::{FieldError, Problem};

/// Seconds a client should wait before retrying when the database is unavailable.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (syntax, bad parameter).
    #[error("{0}")]
    BadRequest(String),
    /// The request is well-formed but some fields are invalid.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// No valid credentials were presented.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this.
    #[error("your role does not allow this")]
    Forbidden,
    /// The resource does not exist (or the caller may not know it exists).
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method.
    #[error("{method} is not supported here; use {}", .allow.iter().map(Method::as_str).collect::<Vec<_>>().join(", "))]
    MethodNotAllowed { method: Method, allow: Vec<Method> },
    /// The change conflicts with the current state (duplicate, invalid transition).
    #[error("{0}")]
    Conflict(String),
    /// A patient being registered looks like one already registered.
    #[error("a patient with the same birth date and a similar name is already registered; check the candidates, then confirm if this is a different person")]
    PossibleDuplicate(Vec<hms_api_types::patients::DuplicateCandidate>),
    /// `If-Match` (or `version`) does not match the current version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// An update was sent without `If-Match` or `version`.
    #[error("send the version you are changing as If-Match (or a version field)")]
    PreconditionRequired,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// An OAuth 2.0 token request failed (RFC 6749 §5.2): `invalid_client` is 401, the others 400.
    #[error("{detail}")]
    OAuth { error: &'static str, detail: String },
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    /// The database (or another dependency) cannot be reached. Nothing was saved.
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} was not found"))
    }

    pub fn unauthenticated(detail: &str) -> Self {
        ApiError::Unauthenticated(detail.into())
    }

    pub fn invalid(field: &str, message: &str) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// The stable slug of the problem `type` (`/problems/<slug>`).
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Validation(_) => "validation",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PossibleDuplicate(_) => "possible-duplicate",
            ApiError::PreconditionFailed(_) => "precondition-failed",
            ApiError::PreconditionRequired => "precondition-required",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::OAuth { error, .. } => match *error {
                "invalid_client" => "invalid-client",
                "invalid_scope" => "invalid-scope",
                "unsupported_grant_type" => "unsupported-grant-type",
                "unauthorized_client" => "unauthorized-client",
                _ => "invalid-request",
            },
            ApiError::TooManyRequests { .. } => "rate-limited",
            ApiError::Unavailable(_) => "database-unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The problem body for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(_) => None,
            ApiError::Unavailable(_) => Some(
                "Saving is paused: the database cannot be reached right now, so nothing was \
                 saved. Keep what you entered and try again in a few seconds."
                    .to_owned(),
            ),
            other => Some(other.to_string()),
        };
        Problem {
            kind: format!("/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            candidates: match self {
                ApiError::PossibleDuplicate(candidates) => candidates.clone(),
                _ => Vec::new(),
            },
            error: match self {
                ApiError::OAuth { error, .. } => Some((*error).to_owned()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::PossibleDuplicate(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::OAuth { error, .. } if *error == "invalid_client" => StatusCode::UNAUTHORIZED,
            ApiError::OAuth { .. } => StatusCode::BAD_REQUEST,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            // `{:#}` prints the cause chain: the log gets it, the client never does.
            ApiError::Internal(cause) => log::error!("internal error: {cause:#}"),
            ApiError::Unavailable(cause) => log::warn!("database unavailable: {cause:#}"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            ApiError::Unauthenticated(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"hms\""));
            }
            ApiError::OAuth { error, .. } => {
                if *error == "invalid_client" {
                    response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"hms\""));
                }
                response.insert_header((header::CACHE_CONTROL, "no-store"));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                let allow: Vec<&str> = allow.iter().map(Method::as_str).collect();
                response.insert_header((header::ALLOW, allow.join(", ")));
            }
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((
                    header::RETRY_AFTER,
                    UNAVAILABLE_RETRY_AFTER_SECS.to_string(),
                ));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<DieselError> for ApiError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::NotFound => ApiError::NotFound("the record was not found".into()),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    ApiError::Conflict("a record with the same unique value already exists".into())
                }
                DatabaseErrorKind::ForeignKeyViolation => ApiError::Conflict(
                    "a referenced record does not exist or is still in use".into(),
                ),
                DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                    ApiError::Validation(vec![FieldError::new(
                        info.column_name().unwrap_or("body"),
                        "this value is not allowed",
                    )])
                }
                DatabaseErrorKind::ExclusionViolation => {
                    ApiError::Conflict("this overlaps an existing booking".into())
                }
                DatabaseErrorKind::SerializationFailure => ApiError::Conflict(
                    "the record was changed at the same time by someone else; try again".into(),
                ),
                DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::ReadOnlyTransaction => ApiError::Unavailable(err.into()),
                // Two transactions waited on each other; PostgreSQL rolled this one back.
                _ if info.message().contains("deadlock detected") => ApiError::Conflict(
                    "the record was changed at the same time by someone else; try again".into(),
                ),
                // libpq reports a dropped connection mid-query as an unknown error.
                _ if is_connection_failure(info.message()) => ApiError::Unavailable(err.into()),
                _ => ApiError::Internal(err.into()),
            },
            DieselError::BrokenTransactionManager => ApiError::Unavailable(err.into()),
            _ => ApiError::Internal(err.into()),
        }
    }
}

fn is_connection_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "server closed the connection",
        "terminating connection",
        "connection to server",
        "no connection to the server",
        "could not receive data",
        "could not send data",
        "cannot execute",
        "the database system is",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        ApiError::Unavailable(err.into())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

/// Maps JSON body extractor failures (syntax, types, size, content type) to problems.
pub fn json_error(err: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            ApiError::PayloadTooLarge { limit }
        }
        E::ContentType => {
            ApiError::UnsupportedMediaType("the request body must be application/json".into())
        }
        E::Deserialize(e) if e.is_data() => ApiError::Validation(vec![serde_field_error(&e)]),
        E::Deserialize(e) => ApiError::BadRequest(format!("the body is not valid JSON: {e}")),
        E::Payload(actix_web::error::PayloadError::Overflow) => {
            ApiError::PayloadTooLarge { limit: 0 }
        }
        other => ApiError::BadRequest(format!("the request body could not be read: {other}")),
    }
}

/// Turns serde's message into a field error, naming the field when serde does.
pub fn serde_field_error(e: &serde_json::Error) -> FieldError {
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
    let field = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .unwrap_or("body");
    FieldError::new(field, message.clone())
}

/// Maps query string extractor failures to 400 problems.
pub fn query_error(err: actix_web::error::QueryPayloadError) -> ApiError {
    ApiError::BadRequest(format!("invalid query parameters: {err}"))
}

/// Maps path parameter extractor failures (e.g. a malformed id) to 400 problems.
pub fn path_error(err: actix_web::error::PathError) -> ApiError {
    ApiError::BadRequest(format!("invalid path parameter: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(err: &ApiError) -> (StatusCode, String, serde_json::Value) {
        let res = err.error_response();
        let status = res.status();
        let ctype = res
            .headers()
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = res.into_body().try_into_bytes().unwrap();
        (status, ctype, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn server_errors_hide_their_cause() {
        let err = ApiError::Internal(anyhow::anyhow!("password=hunter2 at users.rs"));

        let (status, ctype, body) = body_of(&err);

        assert_eq!(status, 500);
        assert_eq!(ctype, "application/problem+json");
        assert!(!body.to_string().contains("hunter2"));
        assert_eq!(body["type"], "/problems/internal");
        assert!(body.get("detail").is_none());
    }

    #[test]
    fn validation_errors_list_each_field() {
        let err = ApiError::Validation(vec![FieldError::new("email", "must be an email")]);

        let (status, _, body) = body_of(&err);

        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["errors"][0]["message"], "must be an email");
    }

    #[test]
    fn an_unreachable_database_is_a_503_with_retry_after() {
        let err = ApiError::from(DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_owned()),
        ));

        let res = err.error_response();

        assert_eq!(res.status(), 503);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "5");
    }

    #[test]
    fn unique_violations_are_conflicts_without_database_text() {
        let err = ApiError::from(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("Key (email)=(ada@example.org) already exists".to_owned()),
        ));

        let (status, _, body) = body_of(&err);

        assert_eq!(status, 409);
        assert!(!body.to_string().contains("ada@example.org"));
    }

    #[test]
    fn unauthenticated_answers_carry_a_bearer_challenge() {
        let res = ApiError::unauthenticated("token expired").error_response();

        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer realm=\"hms\""
        );
    }

    #[test]
    fn method_not_allowed_lists_the_allowed_methods() {
        let err = ApiError::MethodNotAllowed {
            method: Method::PUT,
            allow: vec![Method::GET, Method::PATCH],
        };

        let res = err.error_response();

        assert_eq!(res.status(), 405);
        assert_eq!(res.headers().get(header::ALLOW).unwrap(), "GET, PATCH");
    }

    #[test]
    fn a_missing_json_field_names_the_field() {
        let e = serde_json::from_str::<hms_api_types::auth::LoginRequest>(r#"{"email":"a@b.c"}"#)
            .unwrap_err();

        let err = json_error(actix_web::error::JsonPayloadError::Deserialize(e));

        let (status, _, body) = body_of(&err);
        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["field"], "password");
    }
}
