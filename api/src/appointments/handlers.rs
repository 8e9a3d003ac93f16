//! `/api/v1/appointments`: book, browse, read, reschedule, cancel, status workflow, revert.

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use hms_api_types::appointments::{
    Appointment, AppointmentPage, AppointmentStatus, ChangeStatus, NewAppointment, Reschedule,
    StatusChange, WithReason,
};
use hms_api_types::Problem;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::service::{self, ListQuery};
use crate::audit::RequestMeta;
use crate::auth::{can, Authorized, AuthorizedEither};
use crate::config::Schedule;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{etag, expected_version, Json};
use crate::idempotency;

type Booker = AuthorizedEither<can::BookAppointments, can::BookOwnAppointments>;
type Viewer = AuthorizedEither<can::ViewAppointments, can::BookOwnAppointments>;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(book_appointment)
        .service(list_appointments)
        .service(get_appointment)
        .service(reschedule_appointment)
        .service(cancel_appointment)
        .service(change_appointment_status)
        .service(revert_appointment_status)
        .service(get_appointment_history);
}

/// Book an appointment.
///
/// The time must be free and inside the practitioner's working hours. Two bookings of the same
/// time, even at the same instant, give one 201 and one 409. Send an `Idempotency-Key` header
/// so that retrying after a network or database failure cannot book twice: a retry with the
/// same key gets the first answer again.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID")),
    request_body = NewAppointment,
    responses(
        (status = 201, description = "Booked (or the replayed first answer)", body = Appointment,
            headers(("Location" = String), ("ETag" = String),
                ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same key"))),
        (status = 404, description = "A patient account booking for someone else", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The time is taken, or the practitioner is on leave", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
async fn book_appointment(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Booker,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<NewAppointment>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::key_from(&req)?;
    let input = body.into_inner();
    let user = *user;
    let booked = db::run(&pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            idempotency::once(
                conn,
                user.id,
                key.as_deref(),
                "POST /api/v1/appointments",
                &input_key(&input),
                |conn| service::book(conn, &user, &meta, &schedule, input.clone()),
            )
        })
    })
    .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/api/v1/appointments/{}", booked.value.id),
    ))
    .insert_header((header::ETAG, etag(booked.value.version)));
    if booked.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(booked.value))
}

/// A changed appointment with its new `ETag`.
fn changed_response(appointment: Appointment) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(appointment.version)))
        .json(appointment)
}

/// What identifies a booking request for idempotency.
fn input_key(input: &NewAppointment) -> serde_json::Value {
    serde_json::json!({
        "patient_id": input.patient_id,
        "practitioner_id": input.practitioner_id,
        "starts_at": input.starts_at,
        "ends_at": input.ends_at,
        "reason": input.reason,
    })
}

/// Query of the appointment list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppointmentListParams {
    /// One local day (YYYY-MM-DD); or use `from`/`to`.
    date: Option<NaiveDate>,
    /// First local day, inclusive.
    from: Option<NaiveDate>,
    /// Last local day, inclusive.
    to: Option<NaiveDate>,
    practitioner_id: Option<Uuid>,
    department_id: Option<Uuid>,
    /// Patient accounts always see only their own.
    patient_id: Option<Uuid>,
    status: Option<AppointmentStatus>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Browse appointments in start order (days are the hospital's local days).
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(AppointmentListParams),
    responses(
        (status = 200, description = "One page of appointments", body = AppointmentPage),
        (status = 404, description = "A patient account asking for someone else's appointments", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("")]
async fn list_appointments(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Viewer,
    meta: RequestMeta,
    params: web::Query<AppointmentListParams>,
) -> Result<web::Json<AppointmentPage>, ApiError> {
    let p = params.into_inner();
    let query = ListQuery {
        date: p.date,
        from: p.from,
        to: p.to,
        practitioner_id: p.practitioner_id,
        department_id: p.department_id,
        patient_id: p.patient_id,
        status: p.status,
        limit: p.limit,
        cursor: p.cursor,
    };
    let user = *user;
    Ok(web::Json(
        db::run(&pool, move |conn| {
            service::list(conn, &user, &meta, &schedule, query)
        })
        .await?,
    ))
}

/// Read an appointment.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("appointment_id" = Uuid, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "The appointment", body = Appointment, headers(("ETag" = String))),
        (status = 404, description = "No such appointment (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{appointment_id}")]
async fn get_appointment(
    pool: web::Data<DbPool>,
    user: Viewer,
    meta: RequestMeta,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let user = *user;
    let found = db::run(&pool, move |conn| service::get(conn, &user, &meta, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Move a booked appointment to another free time (or practitioner).
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(
        ("appointment_id" = Uuid, Path, description = "Appointment id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = Reschedule,
    responses(
        (status = 200, description = "Rescheduled", body = Appointment, headers(("ETag" = String))),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new time is taken, or the appointment is no longer booked", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No version sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{appointment_id}/reschedule")]
async fn reschedule_appointment(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Authorized<can::BookAppointments>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<Reschedule>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let input = body.into_inner();
    let version = expected_version(&req, input.version);
    let user = *user;
    let changed = db::run(&pool, move |conn| {
        service::reschedule(conn, &user, &meta, &schedule, id, version, input)
    })
    .await?;
    Ok(changed_response(changed))
}

/// Cancel an appointment, with a reason. Patients may cancel their own up to the cut-off.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("appointment_id" = Uuid, Path, description = "Appointment id")),
    request_body = WithReason,
    responses(
        (status = 200, description = "Cancelled", body = Appointment, headers(("ETag" = String))),
        (status = 404, description = "No such appointment (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already past booked or checked-in, or after the patient cut-off", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{appointment_id}/cancel")]
async fn cancel_appointment(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Booker,
    meta: RequestMeta,
    path: web::Path<Uuid>,
    body: Json<WithReason>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    let user = *user;
    let changed = db::run(&pool, move |conn| {
        service::cancel(conn, &user, &meta, &schedule, id, &reason)
    })
    .await?;
    Ok(changed_response(changed))
}

/// Move an appointment along its workflow: booked → checked_in → in_progress → completed, or
/// booked → no_show. Each change is recorded with who and when.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("appointment_id" = Uuid, Path, description = "Appointment id")),
    request_body = ChangeStatus,
    responses(
        (status = 200, description = "Changed", body = Appointment, headers(("ETag" = String))),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The workflow does not allow this change", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{appointment_id}/status")]
async fn change_appointment_status(
    pool: web::Data<DbPool>,
    user: Authorized<can::UpdateAppointmentStatus>,
    meta: RequestMeta,
    path: web::Path<Uuid>,
    body: Json<ChangeStatus>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let input = body.into_inner();
    let user = *user;
    let changed = db::run(&pool, move |conn| {
        service::change_status(conn, &user, &meta, id, input)
    })
    .await?;
    Ok(changed_response(changed))
}

/// Undo the last status change, with a reason (e.g. checked in the wrong patient).
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("appointment_id" = Uuid, Path, description = "Appointment id")),
    request_body = WithReason,
    responses(
        (status = 200, description = "Reverted", body = Appointment, headers(("ETag" = String))),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing to revert, or the slot was taken meanwhile", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{appointment_id}/revert")]
async fn revert_appointment_status(
    pool: web::Data<DbPool>,
    user: Authorized<can::RevertAppointmentStatus>,
    meta: RequestMeta,
    path: web::Path<Uuid>,
    body: Json<WithReason>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    let user = *user;
    let changed = db::run(&pool, move |conn| {
        service::revert(conn, &user, &meta, id, &reason)
    })
    .await?;
    Ok(changed_response(changed))
}

/// The appointment's status history, oldest first.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("appointment_id" = Uuid, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "Status changes", body = Vec<StatusChange>),
        (status = 404, description = "No such appointment (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{appointment_id}/history")]
async fn get_appointment_history(
    pool: web::Data<DbPool>,
    user: Viewer,
    meta: RequestMeta,
    path: web::Path<Uuid>,
) -> Result<web::Json<Vec<StatusChange>>, ApiError> {
    let id = path.into_inner();
    let user = *user;
    Ok(web::Json(
        db::run(&pool, move |conn| service::history(conn, &user, &meta, id)).await?,
    ))
}
