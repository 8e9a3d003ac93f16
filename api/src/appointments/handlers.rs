//! `/api/v1/appointments`: book, browse, read, reschedule, cancel, status workflow, revert.

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use hms_api_types::appointments::{
    Appointment, AppointmentPage, AppointmentStatus, ChangeStatus, NewAppointment, Reschedule,
    StatusChange, WithReason,
};
use hms_api_types::ops::PendingWrite;
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
use crate::idempotency::{self, mark_replayed, Outcome};
use crate::journal::{self, replay, Entry, Work};

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
    let user = *user;
    let booked = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::book(conn, &user, &meta, &schedule, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Created(), booked.replayed)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/appointments/{}", booked.value.id),
        ))
        .insert_header((header::ETAG, etag(booked.value.version)))
        .json(booked.value))
}

/// A changed appointment with its new `ETag`.
fn changed_response(appointment: Appointment) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(appointment.version)))
        .json(appointment)
}

/// A changed appointment with its new `ETag`, marked when it is a replayed answer.
fn changed_once(done: Outcome<Appointment>) -> HttpResponse {
    mark_replayed(&mut HttpResponse::Ok(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value)
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
        db::read(&pool, move |conn| {
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
    let found = db::read(&pool, move |conn| service::get(conn, &user, &meta, id)).await?;
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
    let changed = idempotency::run(&pool, &req, user.id, input, move |conn, input| {
        service::reschedule(conn, &user, &meta, &schedule, id, version, input)
    })
    .await?;
    Ok(changed_once(changed))
}

/// Cancel an appointment, with a reason. Patients may cancel their own up to the cut-off.
///
/// While the primary database is unreachable, a cancellation is still accepted: it is checked
/// against a standby, kept durably on the API server and answered 202; it is written (exactly
/// once) when the primary is back. `GET /api/v1/me/pending-writes` shows what became of it.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(
        ("appointment_id" = Uuid, Path, description = "Appointment id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID; a retry with the same key gets the first answer"),
    ),
    request_body = WithReason,
    responses(
        (status = 200, description = "Cancelled", body = Appointment, headers(("ETag" = String))),
        (status = 202, description = "The database is unreachable: the cancellation is kept and will be written when it is back", body = PendingWrite,
            headers(("Location" = String, description = "Where to follow it: /api/v1/me/pending-writes"))),
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
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<WithReason>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let input = body.into_inner();
    let user = *user;
    // Always keyed, so that a cancellation kept in the journal is written exactly once even
    // if this attempt did commit before the connection was lost.
    let key = idempotency::key_from(&req)?.unwrap_or_else(|| format!("auto:{}", Uuid::new_v4()));
    let request = replay::cancel_request(id, &input);
    let attempt = {
        let (key, request, input, meta, schedule) = (
            key.clone(),
            request.clone(),
            input.clone(),
            meta.clone(),
            schedule.clone(),
        );
        db::run(&pool, move |conn| {
            use diesel::Connection;
            conn.transaction(|conn| {
                idempotency::once(
                    conn,
                    user.id,
                    Some(&key),
                    replay::CANCEL_APPOINTMENT,
                    &request,
                    |conn| service::cancel(conn, &user, &meta, &schedule, id, &input.reason),
                )
            })
        })
        .await
    };
    match attempt {
        Ok(done) => Ok(changed_response(done.value)),
        // The primary is unreachable: a cancellation must not be refused. Check it against
        // the standby (when there is one), keep it, and write it when the primary is back.
        Err(ApiError::Unavailable(_)) => {
            let reason = input.reason.clone();
            match db::read(&pool, move |conn| {
                service::check_cancel(conn, &user, &schedule, id, &reason)
            })
            .await
            {
                Ok(()) | Err(ApiError::Unavailable(_)) => {}
                Err(refused) => return Err(refused),
            }
            let entry = Entry::new(
                Work::CancelAppointment { appointment_id: id },
                &user,
                &meta,
                key,
                serde_json::to_value(&input).map_err(|e| ApiError::Internal(e.into()))?,
            );
            journal::handlers::accepted(&pool, entry).await
        }
        Err(other) => Err(other),
    }
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
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<ChangeStatus>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let user = *user;
    let changed = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::change_status(conn, &user, &meta, id, input),
    )
    .await?;
    Ok(changed_once(changed))
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
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<WithReason>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let user = *user;
    let changed = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::revert(conn, &user, &meta, id, &input.reason),
    )
    .await?;
    Ok(changed_once(changed))
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
        db::read(&pool, move |conn| service::history(conn, &user, &meta, id)).await?,
    ))
}
