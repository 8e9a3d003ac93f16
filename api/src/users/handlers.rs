//! `/api/v1/users` (admins manage accounts) and `/api/v1/me` (everyone's own account).

use actix_web::{get, http::header, patch, post, web, HttpRequest, HttpResponse};
use hms_api_types::users::{ChangePassword, CreateUser, UpdateUser, User, UserPage};
use hms_api_types::{Problem, Role};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::service::{self, ListQuery};
use crate::audit::RequestMeta;
use crate::auth::{can, Authorized};
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{etag, expected_version, Json};
use crate::idempotency::{self, mark_replayed};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user);
}

pub fn configure_me(cfg: &mut ServiceConfig) {
    cfg.service(get_me).service(change_my_password);
}

/// Query parameters of `GET /api/v1/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Part of the email or display name (case-insensitive).
    #[param(max_length = 100)]
    q: Option<String>,
    /// Only accounts with this role.
    role: Option<Role>,
    /// Only active (`true`) or inactive (`false`) accounts.
    active: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// List user accounts, ordered by email.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(UserListParams),
    responses((status = 200, description = "One page of accounts", body = UserPage)),
)]
#[get("")]
async fn list_users(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ManageUsers>,
    params: web::Query<UserListParams>,
) -> Result<web::Json<UserPage>, ApiError> {
    let p = params.into_inner();
    let query = ListQuery {
        q: p.q,
        role: p.role,
        active: p.active,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(web::Json(
        db::read(&pool, move |conn| service::list(conn, query)).await?,
    ))
}

/// Create a user account.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Account created", body = User,
            headers(("Location" = String, description = "URL of the new account"), ("ETag" = String))),
        (status = 409, description = "The email is already used", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
async fn create_user(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageUsers>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::create(conn, &user, &meta, input),
    )
    .await?;
    let created = &done.value;
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed)
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", created.id)))
        .insert_header((header::ETAG, etag(created.version)))
        .json(created))
}

/// Read one user account.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The account", body = User, headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{id}")]
async fn get_user(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ManageUsers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::read(&pool, move |conn| service::get(conn, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Change a user account: name, role, active, password.
///
/// Send the version you read as `If-Match` (the `ETag`), or as `version` in the body. A stale
/// version gets 412 and changes nothing. Deactivating an account or setting its password ends
/// its sessions. The last active administrator cannot be deactivated or demoted.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\""),
    ),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The changed account", body = User, headers(("ETag" = String))),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would leave no active administrator", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The account was changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor version was sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
async fn update_user(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageUsers>,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    // Checked after the body, so an invalid body is a 422 whatever the version says.
    let version = expected_version(&req, input.version);
    let id = id.into_inner();
    let user = *user;
    let done = idempotency::run(&pool, &req, user.id, input, move |conn, input| {
        service::update(conn, &user, &meta, id, version, input)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

/// The signed-in account.
#[utoipa::path(
    tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your account", body = User),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("")]
async fn get_me(
    pool: web::Data<DbPool>,
    user: Authorized<can::UseOwnAccount>,
) -> Result<web::Json<User>, ApiError> {
    let id = user.id;
    Ok(web::Json(
        db::read(&pool, move |conn| service::get(conn, id)).await?,
    ))
}

/// Change your own password. Ends all your sessions; sign in again with the new password.
#[utoipa::path(
    tag = "account",
    security(("bearer" = [])),
    request_body = ChangePassword,
    responses((status = 204, description = "Password changed")),
)]
#[post("/password")]
async fn change_my_password(
    pool: web::Data<DbPool>,
    user: Authorized<can::UseOwnAccount>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    // The passwords are not part of what a retry is compared by (see `idempotency::run`).
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| {
            service::change_own_password(
                conn,
                &user,
                &meta,
                &input.current_password,
                &input.new_password,
            )
        },
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::NoContent(), done.replayed).finish())
}
