//! `/api/v1/patients`: registration, search, demographics, deactivation, the access log.

use actix_web::{get, http::header, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use hms_api_types::patients::{AccessLogPage, CreatePatient, Patient, PatientPage, UpdatePatient};
use hms_api_types::Problem;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, SearchQuery};
use super::ForPatient;
use crate::audit::RequestMeta;
use crate::auth::{can, Authorized};
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{etag, expected_version, Json};
use crate::idempotency::{self, mark_replayed};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(search_patients)
        .service(register_patient)
        .service(get_patient)
        .service(update_patient)
        .service(deactivate_patient)
        .service(reactivate_patient)
        .service(get_access_log);
}

/// Query parameters of `GET /api/v1/patients`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatientSearchParams {
    /// Part of the name, in any order and case, with or without accents; typos are tolerated.
    /// Patients whose family name starts with the first word come first, then those whose
    /// given name does (each alphabetically, every other word starting a word of the name),
    /// then similar names and fragments inside names, best match first.
    #[param(max_length = 100)]
    q: Option<String>,
    /// Exact medical record number.
    #[param(max_length = 30)]
    mrn: Option<String>,
    /// Exact birth date (YYYY-MM-DD).
    birth_date: Option<NaiveDate>,
    /// Also return deactivated patients.
    include_inactive: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Search and list patients.
///
/// With `q`, the best name matches come first; otherwise patients are ordered by family name,
/// then given name. Each patient returned is recorded in their access log.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(PatientSearchParams),
    responses((status = 200, description = "One page of patients", body = PatientPage)),
)]
#[get("")]
async fn search_patients(
    pool: web::Data<DbPool>,
    user: Authorized<can::ReadDemographics>,
    meta: RequestMeta,
    params: web::Query<PatientSearchParams>,
) -> Result<web::Json<PatientPage>, ApiError> {
    let p = params.into_inner();
    let query = SearchQuery {
        q: p.q,
        mrn: p.mrn,
        birth_date: p.birth_date,
        family: None,
        given: None,
        include_inactive: p.include_inactive.unwrap_or(false),
        limit: p.limit,
        cursor: p.cursor,
    };
    let page = db::read(&pool, move |conn| {
        service::search(conn, &user, &meta, query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Register a patient. HMS assigns the MRN.
///
/// When a patient with the same birth date and a similar name exists, the answer is 409
/// `/problems/possible-duplicate` with `candidates`; check them, then send the registration
/// again with `confirm_not_duplicate: true` if it is a different person.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    request_body = CreatePatient,
    responses(
        (status = 201, description = "Registered", body = Patient,
            headers(("Location" = String, description = "URL of the new patient"), ("ETag" = String))),
        (status = 409, description = "A likely duplicate exists; `candidates` lists it", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
async fn register_patient(
    pool: web::Data<DbPool>,
    user: Authorized<can::RegisterPatients>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<CreatePatient>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::register(conn, &user, &meta, input),
    )
    .await?;
    let patient = &done.value;
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed)
        .insert_header((header::LOCATION, format!("/api/v1/patients/{}", patient.id)))
        .insert_header((header::ETAG, etag(patient.version)))
        .json(patient))
}

/// Read a patient's demographics.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The patient", body = Patient, headers(("ETag" = String))),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}")]
async fn get_patient(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadDemographics>,
) -> Result<HttpResponse, ApiError> {
    let patient = db::read(&pool, move |conn| {
        service::get(conn, &scope.user, &scope.meta, scope.patient_id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(patient.version)))
        .json(patient))
}

/// Change a patient's demographics.
///
/// Send the version you read as `If-Match` (or `version`); a stale one gets 412 and changes
/// nothing. An empty string clears an optional field.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = UpdatePatient,
    responses(
        (status = 200, description = "The changed patient", body = Patient, headers(("ETag" = String))),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The patient was changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor version was sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{patient_id}")]
async fn update_patient(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::RegisterPatients>,
    req: HttpRequest,
    body: Json<UpdatePatient>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let version = expected_version(&req, input.version);
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::update(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            version,
            input,
        )
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

/// Deactivate a patient: hidden from search by default; the record is kept.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The deactivated patient", body = Patient),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/deactivate")]
async fn deactivate_patient(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::DeactivatePatients>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let done = idempotency::run(&pool, &req, scope.user.id, (), move |conn, ()| {
        service::set_active(conn, &scope.user, &scope.meta, scope.patient_id, false)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed).json(done.value))
}

/// Reactivate a deactivated patient.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The reactivated patient", body = Patient),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/reactivate")]
async fn reactivate_patient(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::DeactivatePatients>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let done = idempotency::run(&pool, &req, scope.user.id, (), move |conn, ()| {
        service::set_active(conn, &scope.user, &scope.meta, scope.patient_id, true)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed).json(done.value))
}

/// Query parameters of the access log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessLogParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Who viewed or changed this patient's record, newest first.
///
/// Open to administrators and to the patient themself.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id"), AccessLogParams),
    responses(
        (status = 200, description = "One page of accesses", body = AccessLogPage),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/access-log")]
async fn get_access_log(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadAccessLog>,
    params: web::Query<AccessLogParams>,
) -> Result<web::Json<AccessLogPage>, ApiError> {
    let p = params.into_inner();
    let page = db::read(&pool, move |conn| {
        service::access_log(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            p.limit,
            p.cursor,
        )
    })
    .await?;
    Ok(web::Json(page))
}
