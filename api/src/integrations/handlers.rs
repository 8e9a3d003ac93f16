//! `/api/v1/integrations/clients` (administrators manage API clients) and
//! `POST /api/v1/auth/token` (the OAuth 2.0 client-credentials exchange). HTTP only.

use actix_web::{get, http::header, patch, post, web, HttpRequest, HttpResponse};
use base64::Engine;
use futures_util::StreamExt;
use hms_api_types::integrations::{
    ApiClient, ApiClientPage, ApiClientWithSecret, ClientCredentialsRequest, ClientTokenResponse,
    CreateApiClient, UpdateApiClient,
};
use hms_api_types::Problem;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::registry::ClientRegistry;
use super::service::{self, invalid_client};
use crate::audit::RequestMeta;
use crate::auth::rate_limit::LoginLimiter;
use crate::auth::{can, Authorized, JwtKeys};
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{etag, expected_version, Json};
use crate::idempotency::{self, mark_replayed};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_clients)
        .service(create_client)
        .service(get_client)
        .service(update_client)
        .service(disable_client)
        .service(enable_client)
        .service(rotate_client_secret);
}

/// `POST /token`, mounted under `/api/v1/auth`.
pub fn configure_token(cfg: &mut ServiceConfig) {
    cfg.service(token);
}

/// Query parameters of `GET /api/v1/integrations/clients`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientListParams {
    /// Only active (`true`) or disabled (`false`) clients.
    active: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// List API clients, ordered by name.
#[utoipa::path(
    tag = "integrations",
    security(("bearer" = [])),
    params(ClientListParams),
    responses((status = 200, description = "One page of clients", body = ApiClientPage)),
)]
#[get("/clients")]
async fn list_clients(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ManageIntegrations>,
    params: web::Query<ClientListParams>,
) -> Result<web::Json<ApiClientPage>, ApiError> {
    let p = params.into_inner();
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::list(conn, p.active, p.limit, p.cursor)
        })
        .await?,
    ))
}

/// Register an API client.
///
/// Creates the client and its service account (role `integration`; what the client writes and
/// reads is recorded under its name). The answer carries the client secret: it is shown this
/// once and cannot be read again (rotate it if it is lost).
#[utoipa::path(
    tag = "integrations",
    security(("bearer" = [])),
    request_body = CreateApiClient,
    responses(
        (status = 201, description = "Client registered; store `client_secret` now", body = ApiClientWithSecret,
            headers(("Location" = String, description = "URL of the new client"), ("ETag" = String))),
        (status = 409, description = "The name is already used", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/clients")]
async fn create_client(
    pool: web::Data<DbPool>,
    registry: web::Data<ClientRegistry>,
    user: Authorized<can::ManageIntegrations>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<CreateApiClient>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let input = body.into_inner();
    service::check_create(&input)?;
    let (secret, hash) = web::block(service::new_secret).await??;
    let done = idempotency::run(&pool, &req, user.id, input, move |conn, input| {
        service::create(conn, &user, &meta, input, &secret, &hash)
    })
    .await?;
    let created = &done.value;
    registry.upsert(created.client.id, service::state_of(&created.client));
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/integrations/clients/{}", created.client.id),
        ))
        .insert_header((header::ETAG, etag(created.client.version)))
        .json(created))
}

/// Read one API client.
#[utoipa::path(
    tag = "integrations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The client", body = ApiClient, headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/clients/{id}")]
async fn get_client(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ManageIntegrations>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::read(&pool, move |conn| service::get(conn, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Change an API client: name, description, scopes, rate limit.
///
/// Send the version you read as `If-Match` (the `ETag`), or as `version` in the body. A stale
/// version gets 412 and changes nothing. Removed scopes stop working at once for tokens already
/// issued.
#[utoipa::path(
    tag = "integrations",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Client id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\""),
    ),
    request_body = UpdateApiClient,
    responses(
        (status = 200, description = "The changed client", body = ApiClient, headers(("ETag" = String))),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is already used", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The client was changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor version was sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/clients/{id}")]
async fn update_client(
    pool: web::Data<DbPool>,
    registry: web::Data<ClientRegistry>,
    user: Authorized<can::ManageIntegrations>,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<UpdateApiClient>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let version = expected_version(&req, input.version);
    let id = id.into_inner();
    let user = *user;
    let done = idempotency::run(&pool, &req, user.id, input, move |conn, input| {
        service::update(conn, &user, &meta, id, version, input)
    })
    .await?;
    registry.upsert(done.value.id, service::state_of(&done.value));
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

async fn set_active(
    pool: web::Data<DbPool>,
    registry: web::Data<ClientRegistry>,
    user: Authorized<can::ManageIntegrations>,
    meta: RequestMeta,
    req: HttpRequest,
    id: Uuid,
    active: bool,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(&pool, &req, user.id, (), move |conn, ()| {
        service::set_active(conn, &user, &meta, id, active)
    })
    .await?;
    registry.upsert(done.value.id, service::state_of(&done.value));
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

/// Disable an API client: it gets no new tokens and every token it holds is refused.
#[utoipa::path(
    tag = "integrations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The disabled client", body = ApiClient, headers(("ETag" = String))),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/clients/{id}/disable")]
async fn disable_client(
    pool: web::Data<DbPool>,
    registry: web::Data<ClientRegistry>,
    user: Authorized<can::ManageIntegrations>,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_active(pool, registry, user, meta, req, id.into_inner(), false).await
}

/// Enable a disabled API client again. Tokens issued before it was disabled stay refused.
#[utoipa::path(
    tag = "integrations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The enabled client", body = ApiClient, headers(("ETag" = String))),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/clients/{id}/enable")]
async fn enable_client(
    pool: web::Data<DbPool>,
    registry: web::Data<ClientRegistry>,
    user: Authorized<can::ManageIntegrations>,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_active(pool, registry, user, meta, req, id.into_inner(), true).await
}

/// Replace an API client's secret.
///
/// The old secret stops working and every token issued so far is refused. The answer carries
/// the new secret: it is shown this once.
#[utoipa::path(
    tag = "integrations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The new secret; store `client_secret` now", body = ApiClientWithSecret, headers(("ETag" = String))),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/clients/{id}/rotate-secret")]
async fn rotate_client_secret(
    pool: web::Data<DbPool>,
    registry: web::Data<ClientRegistry>,
    user: Authorized<can::ManageIntegrations>,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let id = id.into_inner();
    let (secret, hash) = web::block(service::new_secret).await??;
    let done = idempotency::run(&pool, &req, user.id, (), move |conn, ()| {
        service::rotate_secret(conn, &user, &meta, id, &secret, &hash)
    })
    .await?;
    registry.upsert(done.value.client.id, service::state_of(&done.value.client));
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.client.version)))
        .json(done.value))
}

const MAX_FORM_BYTES: usize = 4096;

/// Get an access token for an API client (OAuth 2.0 client credentials, RFC 6749 §4.4).
///
/// Send `application/x-www-form-urlencoded` with `grant_type=client_credentials` and the client's
/// credentials, either as `client_id` and `client_secret` in the body or with HTTP Basic
/// authentication (`Authorization: Basic base64(client_id:client_secret)`), not both. `scope`
/// (space-separated) narrows the token to some of the client's scopes. The token acts as the
/// client's service account and lasts `expires_in` seconds; there is no refresh token: ask
/// again. Errors carry the OAuth `error` member besides the problem fields. Failed attempts are
/// throttled per client and per address (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body(content = ClientCredentialsRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token", body = ClientTokenResponse,
            headers(("Cache-Control" = String, description = "no-store"))),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type` or `invalid_scope`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_client`: unknown client, wrong secret or disabled client", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Basic realm=\"hms\""))),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
#[post("/token")]
async fn token(
    pool: web::Data<DbPool>,
    keys: web::Data<JwtKeys>,
    registry: web::Data<ClientRegistry>,
    limiter: web::Data<LoginLimiter>,
    meta: RequestMeta,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let invalid_request = |detail: &str| ApiError::OAuth {
        error: "invalid_request",
        detail: detail.into(),
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.split(';').next().is_some_and(|m| {
        m.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    }) {
        return Err(invalid_request(
            "send the request as application/x-www-form-urlencoded",
        ));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| invalid_request("the request body could not be read"))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_FORM_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    let form: ClientCredentialsRequest = serde_urlencoded::from_bytes(&body)
        .map_err(|_| invalid_request("the form body is malformed"))?;
    let basic = basic_credentials(&req)?;
    let (client_id, secret) = match (basic, form.client_id, form.client_secret) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(invalid_request(
                "send the client credentials either with HTTP Basic or in the body, not both",
            ))
        }
        (Some((id, secret)), None, None) => (id, secret),
        (None, Some(id), Some(secret)) => (id, secret),
        (None, _, _) => {
            return Err(invalid_client(
                "send client_id and client_secret, in the body or with HTTP Basic",
            ))
        }
    };
    match form.grant_type.as_deref() {
        None | Some("") => return Err(invalid_request("grant_type is required")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(ApiError::OAuth {
                error: "unsupported_grant_type",
                detail: "only grant_type=client_credentials is supported".into(),
            })
        }
    }
    if secret.len() > 1024 || client_id.len() > 100 {
        return Err(invalid_client("the client id or secret is incorrect"));
    }
    let address = meta.client_addr.clone().unwrap_or_default();
    let account = format!("client:{}", client_id.trim().to_lowercase());
    limiter
        .check(&account, &address)
        .map_err(|t| ApiError::TooManyRequests {
            detail: t.reason.into(),
            retry_after_secs: t.retry_after_secs,
        })?;
    let id = Uuid::parse_str(client_id.trim()).ok();
    let row = match id {
        Some(id) => db::read(&pool, move |conn| service::find_for_token(conn, id)).await?,
        None => None,
    };
    // The argon2 check runs on the blocking pool without holding a database connection.
    let (row, checked) = web::block(move || {
        let checked = service::check_secret(row.as_ref(), &secret);
        (row, checked)
    })
    .await?;
    if let Err(refused) = checked {
        limiter.failed(&account);
        let who = row.as_ref().map(|r| (r.id, r.user_id));
        let audit_meta = meta.clone();
        if let Err(e) = db::run(&pool, move |conn| {
            service::record_refused_token(conn, &audit_meta, who)
        })
        .await
        {
            log::warn!("could not audit a refused token request: {e}");
        }
        return Err(refused);
    }
    let Some(row) = row else {
        return Err(invalid_client("the client id or secret is incorrect"));
    };
    limiter.succeeded(&account);
    let scopes = service::grant_scopes(&row, form.scope.as_deref())?;
    let (read_meta, read_row) = (meta.clone(), row.clone());
    let client = match db::run(&pool, move |conn| service::record_token(conn, &meta, &row)).await {
        // Without a primary the token is still issued, from the standby's copy of the client.
        Err(ApiError::Unavailable(_)) if pool.has_standby() => {
            db::read(&pool, move |conn| {
                service::record_token_read_only(conn, &read_meta, read_row)
            })
            .await?
        }
        other => other?,
    };
    registry.upsert(client.id, service::state_of(&client));
    let scope = scopes.to_oauth();
    let access_token = keys
        .issue_client(client.user_id, client.id, &scope)
        .map_err(ApiError::Internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(ClientTokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: keys.ttl().as_secs() as i64,
            scope,
        }))
}

/// `Authorization: Basic` client credentials (RFC 6749 §2.3.1: both parts form-urlencoded).
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad =
        || invalid_client("the Authorization header must be Basic base64(client_id:client_secret)");
    let value = value.to_str().map_err(|_| bad())?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
        .ok_or_else(bad)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| -> Result<String, ApiError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(&format!("v={s}")).map_err(|_| bad())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}
