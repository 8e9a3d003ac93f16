//! `/api/v1/auth`: sign in, refresh, sign out. HTTP only; the rules are in `service`.

use actix_web::{post, web, HttpResponse};
use hms_api_types::auth::{LoginRequest, RefreshRequest, TokenResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::rate_limit::LoginLimiter;
use super::service::{self, SessionPolicy};
use super::JwtKeys;
use crate::audit::RequestMeta;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::validate::Check;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}

/// Sign in with email and password.
///
/// Returns a 15-minute access token and a single-use refresh token. Failed attempts are
/// throttled per account and per client address (429 with `Retry-After`). While the database is
/// read-only (primary unreachable) the password is checked against the standby and only an access
/// token is returned (`refresh_token` empty).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong email or password, or the account is deactivated", body = hms_api_types::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = hms_api_types::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
#[post("/login")]
async fn login(
    pool: web::Data<DbPool>,
    keys: web::Data<JwtKeys>,
    policy: web::Data<SessionPolicy>,
    limiter: web::Data<LoginLimiter>,
    meta: RequestMeta,
    body: Json<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let mut check = Check::new();
    check.text("email", &email, 1, 254);
    check.text("password", &password, 1, 1024);
    check.finish()?;
    let account = crate::users::service::normalize_email(&email);
    let address = meta.client_addr.clone().unwrap_or_default();
    limiter
        .check(&account, &address)
        .map_err(|t| ApiError::TooManyRequests {
            detail: t.reason.into(),
            retry_after_secs: t.retry_after_secs,
        })?;
    let result = service::sign_in(
        &pool,
        keys.into_inner(),
        policy.into_inner(),
        meta,
        &email,
        password,
    )
    .await;
    match &result {
        Ok(_) => limiter.succeeded(&account),
        Err(ApiError::Unauthenticated(_)) => limiter.failed(&account),
        Err(_) => {}
    }
    result.map(web::Json)
}

/// Exchange a refresh token for a new access token and refresh token.
///
/// Each refresh token works once. Presenting an already used one revokes the whole session.
/// While the database is read-only the token is checked against the standby and comes back
/// unchanged with a new access token (rotation resumes with the primary).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "The refresh token is unknown, used, expired or revoked", body = hms_api_types::Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/refresh")]
async fn refresh(
    pool: web::Data<DbPool>,
    keys: web::Data<JwtKeys>,
    policy: web::Data<SessionPolicy>,
    body: Json<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let token = body.into_inner().refresh_token;
    Check::new()
        .text("refresh_token", &token, 1, 512)
        .finish()?;
    let (read_keys, read_token) = (keys.clone(), token.clone());
    let tokens = match db::run(&pool, move |conn| {
        service::refresh(conn, &keys, &policy, &token)
    })
    .await
    {
        // Without a primary the session goes on from the standby (see `refresh_read_only`).
        Err(ApiError::Unavailable(_)) if pool.has_standby() => {
            db::read(&pool, move |conn| {
                service::refresh_read_only(conn, &read_keys, &read_token)
            })
            .await?
        }
        other => other?,
    };
    Ok(web::Json(tokens))
}

/// Sign out: revoke the session the refresh token belongs to.
///
/// Always answers 204, also for unknown tokens, so signing out twice is harmless.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "The session is revoked")),
)]
#[post("/logout")]
async fn logout(
    pool: web::Data<DbPool>,
    meta: RequestMeta,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().refresh_token;
    Check::new()
        .text("refresh_token", &token, 1, 512)
        .finish()?;
    db::run(&pool, move |conn| service::logout(conn, &meta, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}
