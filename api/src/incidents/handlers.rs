//! `/api/v1/status/page` and `/api/v1/status/components/…` (the public status page and the
//! administrators' overrides) and `/api/v1/incidents` (incidents, their timeline, postmortems).

use actix_web::{delete, get, http::header, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;
use hms_api_types::incidents::{
    Component, ComponentKey, Incident, IncidentPage, IncidentStatus, NewIncident,
    NewIncidentUpdate, Postmortem, PostmortemInput, ResolveIncident, SetComponentState, StatusPage,
};
use hms_api_types::Problem;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::service::{self, IncidentQuery};
use crate::audit::RequestMeta;
use crate::auth::{can, Authorized};
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{etag, expected_version, Json};
use crate::idempotency::{self, mark_replayed};

/// Mounted inside the `/status` scope (next to `GET /api/v1/status`).
pub fn configure_status(cfg: &mut ServiceConfig) {
    cfg.service(status_page)
        .service(set_component_state)
        .service(clear_component_override);
}

/// Mounted at `/incidents`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_incidents)
        .service(declare_incident)
        .service(get_incident)
        .service(post_incident_update)
        .service(resolve_incident)
        .service(put_postmortem);
}

/// The version from `If-Match` when one is sent (optional on timeline changes).
fn optional_version(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    // An empty `If-Match` is no precondition at all, like a missing one.
    let given = req
        .headers()
        .get(header::IF_MATCH)
        .is_some_and(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace));
    if given {
        expected_version(req, None).map(Some)
    } else {
        Ok(None)
    }
}

// ---------------------------------------------------------------------------------------------
// The status page

/// The public status page (no sign-in): every component with its state (from the health checks,
/// or an administrator's override), open incidents with their timeline, and incidents resolved
/// in the last 14 days.
///
/// It keeps answering while the primary database is down: incidents are read from the standby,
/// and when no database answers the components' live states are still shown, with
/// `incidents_available: false` and the outage in progress as a `pending` incident.
#[utoipa::path(
    tag = "status",
    responses((status = 200, description = "The status page", body = StatusPage)),
)]
#[get("/page")]
async fn status_page(pool: web::Data<DbPool>) -> web::Json<StatusPage> {
    let now = Utc::now();
    let data = db::read(&pool, move |conn| service::page_data(conn, now)).await;
    let data = match data {
        Ok(data) => Some(data),
        Err(e) => {
            log::debug!("status page without incidents: {e}");
            None
        }
    };
    // After the read: a failed read may just have taught the breaker that the primary is gone.
    let snapshot = pool.state().snapshot();
    web::Json(service::status_page(
        &snapshot,
        pool.standby().is_some(),
        pool.degraded(),
        data,
        now,
    ))
}

/// Override a component's state (administrators): what the status page shows until the
/// override expires or is removed, whatever the health checks say.
#[utoipa::path(
    tag = "status",
    security(("bearer" = [])),
    params(("component" = ComponentKey, Path, description = "The component")),
    request_body = SetComponentState,
    responses(
        (status = 200, description = "The component as shown now", body = Component),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/components/{component}")]
async fn set_component_state(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageIncidents>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<SetComponentState>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let user = *user;
    let snapshot = pool.state().snapshot();
    let standby = pool.standby().is_some();
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| {
            let facts = service::set_override(conn, &user, &meta, &key, input)?;
            let all = service::components(&snapshot, standby, Some(&facts), Utc::now());
            service::one(all, &key)
        },
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed).json(done.value))
}

/// Remove a component's override (administrators): the health checks decide again. Answers
/// the component as shown now, whether or not it had an override.
#[utoipa::path(
    tag = "status",
    security(("bearer" = [])),
    params(("component" = ComponentKey, Path, description = "The component")),
    responses(
        (status = 200, description = "The component as shown now", body = Component),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/components/{component}/override")]
async fn clear_component_override(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageIncidents>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let user = *user;
    let snapshot = pool.state().snapshot();
    let standby = pool.standby().is_some();
    let done = idempotency::run(&pool, &req, user.id, (), move |conn, ()| {
        let facts = service::clear_override(conn, &user, &meta, &key)?;
        let all = service::components(&snapshot, standby, Some(&facts), Utc::now());
        service::one(all, &key)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed).json(done.value))
}

// ---------------------------------------------------------------------------------------------
// Incidents

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentListParams {
    status: Option<IncidentStatus>,
    /// Only incidents not resolved yet.
    open: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Incidents, newest first, with their latest update.
#[utoipa::path(
    tag = "status",
    security(("bearer" = [])),
    params(IncidentListParams),
    responses((status = 200, description = "One page of incidents", body = IncidentPage)),
)]
#[get("")]
async fn list_incidents(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewIncidents>,
    params: web::Query<IncidentListParams>,
) -> Result<web::Json<IncidentPage>, ApiError> {
    let p = params.into_inner();
    let query = IncidentQuery {
        status: p.status,
        open: p.open.unwrap_or(false),
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(web::Json(
        db::read(&pool, move |conn| service::list(conn, query)).await?,
    ))
}

/// Declare an incident (administrators): title, severity, the components affected and a first
/// update. It shows on the status page at once.
#[utoipa::path(
    tag = "status",
    security(("bearer" = [])),
    request_body = NewIncident,
    responses(
        (status = 201, description = "Declared", body = Incident,
            headers(("Location" = String), ("ETag" = String))),
    ),
)]
#[post("")]
async fn declare_incident(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageIncidents>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<NewIncident>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::declare(conn, &user, &meta, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/incidents/{}", done.value.id),
        ))
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

/// One incident with its whole timeline (newest first) and its postmortem.
#[utoipa::path(
    tag = "status",
    security(("bearer" = [])),
    params(("incident_id" = Uuid, Path, description = "Incident id")),
    responses(
        (status = 200, description = "The incident", body = Incident, headers(("ETag" = String))),
        (status = 404, description = "No such incident", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{incident_id}")]
async fn get_incident(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewIncidents>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let found = db::read(&pool, move |conn| service::get(conn, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Post an update to an incident's timeline, optionally moving it to investigating, identified
/// or monitoring. `If-Match` is optional: when sent, a stale version is 412.
#[utoipa::path(
    tag = "status",
    security(("bearer" = [])),
    params(
        ("incident_id" = Uuid, Path, description = "Incident id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the incident as read (optional)"),
    ),
    request_body = NewIncidentUpdate,
    responses(
        (status = 201, description = "Posted; the incident with its timeline", body = Incident, headers(("ETag" = String))),
        (status = 404, description = "No such incident", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The incident is resolved", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{incident_id}/updates")]
async fn post_incident_update(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageIncidents>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<NewIncidentUpdate>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let version = optional_version(&req);
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::post_update(conn, &user, &meta, id, version, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

/// Resolve an incident, with a last update. `If-Match` is optional: when sent, a stale version
/// is 412.
#[utoipa::path(
    tag = "status",
    security(("bearer" = [])),
    params(
        ("incident_id" = Uuid, Path, description = "Incident id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the incident as read (optional)"),
    ),
    request_body = ResolveIncident,
    responses(
        (status = 200, description = "Resolved", body = Incident, headers(("ETag" = String))),
        (status = 404, description = "No such incident", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already resolved", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{incident_id}/resolve")]
async fn resolve_incident(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageIncidents>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<ResolveIncident>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let version = optional_version(&req);
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::resolve(conn, &user, &meta, id, version, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

/// Write an incident's postmortem: summary, impact, timeline, root cause, resolution and
/// corrective actions (each with an owner). The first write creates it (201); later writes
/// replace it and need the postmortem's `If-Match` (428 without, 412 when stale).
#[utoipa::path(
    tag = "status",
    security(("bearer" = [])),
    params(
        ("incident_id" = Uuid, Path, description = "Incident id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the postmortem being changed (required once it exists)"),
    ),
    request_body = PostmortemInput,
    responses(
        (status = 200, description = "Updated", body = Postmortem, headers(("ETag" = String))),
        (status = 201, description = "Written", body = Postmortem, headers(("ETag" = String))),
        (status = 404, description = "No such incident", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "The postmortem exists and no version was sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/{incident_id}/postmortem")]
async fn put_postmortem(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageIncidents>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<PostmortemInput>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let version = optional_version(&req);
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::put_postmortem(conn, &user, &meta, id, version, input),
    )
    .await?;
    let (created, postmortem) = done.value;
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(mark_replayed(&mut res, done.replayed)
        .insert_header((header::ETAG, etag(postmortem.version)))
        .json(postmortem))
}
