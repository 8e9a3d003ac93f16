//! `/api/v1/departments`, `/api/v1/practitioners` (with availability) and `/api/v1/slots`.

use actix_web::{delete, get, http::header, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use hms_api_types::appointments::{
    Availability, AvailabilityException, Department, NewAvailabilityException, NewDepartment,
    NewPractitioner, Practitioner, SetWeeklyHours, SlotList,
};
use hms_api_types::Problem;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::service;
use crate::audit::RequestMeta;
use crate::auth::{can, Authorized};
use crate::config::Schedule;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::idempotency::{self, mark_replayed};

pub fn configure_departments(cfg: &mut ServiceConfig) {
    cfg.service(list_departments).service(create_department);
}

pub fn configure_practitioners(cfg: &mut ServiceConfig) {
    cfg.service(list_practitioners)
        .service(create_practitioner)
        .service(get_availability)
        .service(set_availability)
        .service(add_availability_exception)
        .service(remove_availability_exception);
}

pub fn configure_slots(cfg: &mut ServiceConfig) {
    cfg.service(list_free_slots);
}

/// Active departments, by name.
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    responses((status = 200, description = "Departments (at most 500)", body = Vec<Department>)),
)]
#[get("")]
async fn list_departments(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewDirectory>,
) -> Result<web::Json<Vec<Department>>, ApiError> {
    Ok(web::Json(db::read(&pool, service::list_departments).await?))
}

/// Create a department.
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    request_body = NewDepartment,
    responses(
        (status = 201, description = "Created", body = Department),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
async fn create_department(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageSchedules>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<NewDepartment>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::create_department(conn, &user, &meta, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed).json(done.value))
}

/// Query of the practitioner list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PractitionerParams {
    /// Only practitioners of this department.
    department_id: Option<Uuid>,
}

/// Active practitioners, by name.
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    params(PractitionerParams),
    responses((status = 200, description = "Practitioners (at most 500)", body = Vec<Practitioner>)),
)]
#[get("")]
async fn list_practitioners(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewDirectory>,
    params: web::Query<PractitionerParams>,
) -> Result<web::Json<Vec<Practitioner>>, ApiError> {
    let department = params.into_inner().department_id;
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::list_practitioners(conn, department)
        })
        .await?,
    ))
}

/// Make a doctor or nurse account bookable in a department.
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    request_body = NewPractitioner,
    responses(
        (status = 201, description = "Created", body = Practitioner),
        (status = 409, description = "Already a practitioner", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
async fn create_practitioner(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageSchedules>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<NewPractitioner>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::create_practitioner(conn, &user, &meta, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed).json(done.value))
}

/// A practitioner's weekly working hours (local time) and upcoming leave.
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    params(("practitioner_id" = Uuid, Path, description = "Practitioner id")),
    responses(
        (status = 200, description = "Availability", body = Availability),
        (status = 404, description = "No such practitioner", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{practitioner_id}/availability")]
async fn get_availability(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    _user: Authorized<can::ViewDirectory>,
    path: web::Path<Uuid>,
) -> Result<web::Json<Availability>, ApiError> {
    let id = path.into_inner();
    let tz = schedule.time_zone.clone();
    Ok(web::Json(
        db::read(&pool, move |conn| service::availability(conn, &tz, id)).await?,
    ))
}

/// Replace a practitioner's weekly working hours.
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    params(("practitioner_id" = Uuid, Path, description = "Practitioner id")),
    request_body = SetWeeklyHours,
    responses(
        (status = 200, description = "The new availability", body = Availability),
        (status = 404, description = "No such practitioner", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/{practitioner_id}/availability")]
async fn set_availability(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Authorized<can::ManageSchedules>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<SetWeeklyHours>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let tz = schedule.time_zone.clone();
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::set_weekly_hours(conn, &user, &meta, &tz, id, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed).json(done.value))
}

/// Block a period (leave, training): no slots are offered and nothing can be booked in it.
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    params(("practitioner_id" = Uuid, Path, description = "Practitioner id")),
    request_body = NewAvailabilityException,
    responses(
        (status = 201, description = "Created", body = AvailabilityException),
        (status = 404, description = "No such practitioner", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{practitioner_id}/exceptions")]
async fn add_availability_exception(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageSchedules>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<NewAvailabilityException>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::add_exception(conn, &user, &meta, id, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/practitioners/{id}/availability"),
        ))
        .json(done.value))
}

/// Remove a blocked period.
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    params(
        ("practitioner_id" = Uuid, Path, description = "Practitioner id"),
        ("exception_id" = Uuid, Path, description = "Exception id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such exception", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/{practitioner_id}/exceptions/{exception_id}")]
async fn remove_availability_exception(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageSchedules>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (practitioner, exception) = path.into_inner();
    let user = *user;
    let done = idempotency::run(&pool, &req, user.id, (), move |conn, ()| {
        service::remove_exception(conn, &user, &meta, practitioner, exception)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::NoContent(), done.replayed).finish())
}

/// Query of the free-slot search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotParams {
    /// One practitioner's slots…
    practitioner_id: Option<Uuid>,
    /// …or a whole department's.
    department_id: Option<Uuid>,
    /// First local day (YYYY-MM-DD).
    from: NaiveDate,
    /// Last local day, inclusive; at most 31 days after `from`.
    to: NaiveDate,
}

/// Free slots: working hours minus leave, booked appointments and the past, in the hospital's
/// time zone (correct across daylight-saving changes).
#[utoipa::path(
    tag = "scheduling",
    security(("bearer" = [])),
    params(SlotParams),
    responses(
        (status = 200, description = "Free slots in start order (at most 2000)", body = SlotList),
        (status = 404, description = "No such practitioner or department", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("")]
async fn list_free_slots(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    _user: Authorized<can::ViewDirectory>,
    params: web::Query<SlotParams>,
) -> Result<web::Json<SlotList>, ApiError> {
    let p = params.into_inner();
    let tz = schedule.time_zone.clone();
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::slots(conn, &tz, p.practitioner_id, p.department_id, p.from, p.to)
        })
        .await?,
    ))
}
