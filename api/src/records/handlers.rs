//! `/api/v1/patients/{patient_id}/…`: the summary, allergies, conditions, medications, vital
//! signs, encounters with clinical notes, and lab results.
//!
//! Every handler takes [`ForPatient`] first, so the role table (and, for patient accounts, the
//! own-record rule) is checked before the body is read.

use actix_web::{get, http::header, patch, post, web, HttpRequest, HttpResponse};
use hms_api_types::records::{
    Allergy, AllergyPage, ClinicalNote, Condition, ConditionPage, Encounter, EncounterPage,
    LabResult, LabResultPage, MarkEnteredInError, Medication, MedicationPage, NewAllergy,
    NewClinicalNote, NewCondition, NewEncounter, NewLabResult, NewMedication, NewVitalSigns,
    PatientSummary, UpdateAllergy, UpdateCondition, UpdateEncounter, UpdateMedication, VitalSigns,
    VitalSignsPage,
};
use hms_api_types::Problem;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::service::{self, ListQuery};
use crate::auth::can;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{etag, expected_version, Json};
use crate::idempotency::{self, mark_replayed, Outcome};
use crate::patients::ForPatient;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_summary)
        .service(list_allergies)
        .service(get_allergy)
        .service(add_allergy)
        .service(update_allergy)
        .service(mark_allergy_entered_in_error)
        .service(list_conditions)
        .service(get_condition)
        .service(add_condition)
        .service(update_condition)
        .service(mark_condition_entered_in_error)
        .service(list_medications)
        .service(get_medication)
        .service(add_medication)
        .service(update_medication)
        .service(mark_medication_entered_in_error)
        .service(list_vitals)
        .service(get_vitals)
        .service(record_vitals)
        .service(mark_vitals_entered_in_error)
        .service(list_encounters)
        .service(get_encounter)
        .service(add_encounter)
        .service(update_encounter)
        .service(mark_encounter_entered_in_error)
        .service(add_clinical_note)
        .service(get_clinical_note)
        .service(mark_clinical_note_entered_in_error)
        .service(list_lab_results)
        .service(get_lab_result)
        .service(record_lab_result)
        .service(mark_lab_result_entered_in_error);
}

/// Query parameters of every record list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordListParams {
    /// Also list entries marked as entered in error (default false).
    include_entered_in_error: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

impl RecordListParams {
    fn into_query(self) -> ListQuery {
        ListQuery {
            include_entered_in_error: self.include_entered_in_error.unwrap_or(false),
            limit: self.limit,
            cursor: self.cursor,
        }
    }
}

/// The URL of a record entry.
fn entry_url(patient_id: Uuid, list: &str, id: Uuid) -> String {
    format!("/api/v1/patients/{patient_id}/{list}/{id}")
}

/// 201 with `Location`, for versioned entries `ETag`, and `Idempotent-Replayed` on a replay.
fn created(location: String, version: Option<i32>, done: &Outcome<impl Serialize>) -> HttpResponse {
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, location));
    if let Some(v) = version {
        res.insert_header((header::ETAG, etag(v)));
    }
    mark_replayed(&mut res, done.replayed).json(&done.value)
}

/// 200 after a change: for versioned entries `ETag`, and `Idempotent-Replayed` on a replay.
fn changed(version: Option<i32>, done: &Outcome<impl Serialize>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    if let Some(v) = version {
        res.insert_header((header::ETAG, etag(v)));
    }
    mark_replayed(&mut res, done.replayed).json(&done.value)
}

/// 200 with `ETag`.
fn versioned(version: i32, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

// ----- Summary -----

/// What a clinician reads first: demographics, active allergies and conditions, current
/// medications and the latest vital signs (nothing entered in error).
///
/// Each list holds at most 200 entries, newest first; the record lists have them all.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The summary", body = PatientSummary),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/summary")]
async fn get_summary(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
) -> Result<web::Json<PatientSummary>, ApiError> {
    let summary = db::read(&pool, move |conn| {
        service::summary(conn, &scope.user, &scope.meta, scope.patient_id)
    })
    .await?;
    Ok(web::Json(summary))
}

// ----- Allergies -----

/// List a patient's allergies, newest first.
///
/// Entries marked as entered in error are left out unless `include_entered_in_error=true`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id"), RecordListParams),
    responses(
        (status = 200, description = "One page of allergies", body = AllergyPage),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/allergies")]
async fn list_allergies(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadMedications>,
    params: web::Query<RecordListParams>,
) -> Result<web::Json<AllergyPage>, ApiError> {
    let query = params.into_inner().into_query();
    let page = db::read(&pool, move |conn| {
        service::list_allergies(conn, &scope.user, &scope.meta, scope.patient_id, query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Read one allergy (the `Location` of a recorded one).
///
/// Also an entry marked as entered in error: it shows `entered_in_error`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("allergy_id" = uuid::Uuid, Path, description = "Allergy id"),
    ),
    responses(
        (status = 200, description = "The allergy", body = Allergy, headers(("ETag" = String))),
        (status = 404, description = "No such patient or allergy (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/allergies/{allergy_id}")]
async fn get_allergy(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadMedications>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let entry = db::read(&pool, move |conn| {
        service::get_allergy(conn, &scope.user, &scope.meta, scope.patient_id, id)
    })
    .await?;
    Ok(versioned(entry.version, &entry))
}

/// Record an allergy. The status defaults to `active`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = NewAllergy,
    responses(
        (status = 201, description = "Recorded", body = Allergy,
            headers(("Location" = String, description = "URL of the new entry, where it can be read"), ("ETag" = String))),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/allergies")]
async fn add_allergy(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    body: Json<NewAllergy>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let patient_id = scope.patient_id;
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::create_allergy(conn, &scope.user, &scope.meta, patient_id, input)
    })
    .await?;
    let location = entry_url(patient_id, "allergies", done.value.id);
    Ok(created(location, Some(done.value.version), &done))
}

/// Change an allergy's reaction, severity, status or note.
///
/// Send the version you read as `If-Match` (or `version`); a stale one gets 412 and changes
/// nothing. An empty string clears an optional field. An entry marked as entered in error
/// cannot be changed (409).
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("allergy_id" = uuid::Uuid, Path, description = "Allergy id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = UpdateAllergy,
    responses(
        (status = 200, description = "The changed allergy", body = Allergy, headers(("ETag" = String))),
        (status = 404, description = "No such patient or allergy", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The allergy is marked as entered in error", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The allergy was changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor version was sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{patient_id}/allergies/{allergy_id}")]
async fn update_allergy(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<UpdateAllergy>,
) -> Result<HttpResponse, ApiError> {
    let (_, allergy_id) = path.into_inner();
    let input = body.into_inner();
    let version = expected_version(&req, input.version);
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::update_allergy(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            allergy_id,
            version,
            input,
        )
    })
    .await?;
    Ok(changed(Some(done.value.version), &done))
}

/// Mark an allergy as entered in error, with the reason. It stays in the record as such.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("allergy_id" = uuid::Uuid, Path, description = "Allergy id"),
    ),
    request_body = MarkEnteredInError,
    responses(
        (status = 200, description = "The marked allergy", body = Allergy, headers(("ETag" = String))),
        (status = 404, description = "No such patient or allergy", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already marked as entered in error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/allergies/{allergy_id}/entered-in-error")]
async fn mark_allergy_entered_in_error(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<MarkEnteredInError>,
) -> Result<HttpResponse, ApiError> {
    let (_, allergy_id) = path.into_inner();
    let input = body.into_inner();
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::mark_allergy(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            allergy_id,
            input,
        )
    })
    .await?;
    Ok(changed(Some(done.value.version), &done))
}

// ----- Conditions -----

/// List a patient's conditions (problems and diagnoses), newest first.
///
/// Entries marked as entered in error are left out unless `include_entered_in_error=true`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id"), RecordListParams),
    responses(
        (status = 200, description = "One page of conditions", body = ConditionPage),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/conditions")]
async fn list_conditions(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    params: web::Query<RecordListParams>,
) -> Result<web::Json<ConditionPage>, ApiError> {
    let query = params.into_inner().into_query();
    let page = db::read(&pool, move |conn| {
        service::list_conditions(conn, &scope.user, &scope.meta, scope.patient_id, query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Read one condition (the `Location` of a recorded one).
///
/// Also an entry marked as entered in error: it shows `entered_in_error`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("condition_id" = uuid::Uuid, Path, description = "Condition id"),
    ),
    responses(
        (status = 200, description = "The condition", body = Condition, headers(("ETag" = String))),
        (status = 404, description = "No such patient or condition (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/conditions/{condition_id}")]
async fn get_condition(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let entry = db::read(&pool, move |conn| {
        service::get_condition(conn, &scope.user, &scope.meta, scope.patient_id, id)
    })
    .await?;
    Ok(versioned(entry.version, &entry))
}

/// Record a condition with its ICD-10 code. The status defaults to `active`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = NewCondition,
    responses(
        (status = 201, description = "Recorded", body = Condition,
            headers(("Location" = String, description = "URL of the new entry, where it can be read"), ("ETag" = String))),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/conditions")]
async fn add_condition(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    body: Json<NewCondition>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let patient_id = scope.patient_id;
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::create_condition(conn, &scope.user, &scope.meta, patient_id, input)
    })
    .await?;
    let location = entry_url(patient_id, "conditions", done.value.id);
    Ok(created(location, Some(done.value.version), &done))
}

/// Change a condition's status, resolved date or note.
///
/// Resolving a condition sets `resolved_date` (default today); only a resolved condition has
/// one. Send the version you read as `If-Match` (or `version`); a stale one gets 412.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("condition_id" = uuid::Uuid, Path, description = "Condition id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = UpdateCondition,
    responses(
        (status = 200, description = "The changed condition", body = Condition, headers(("ETag" = String))),
        (status = 404, description = "No such patient or condition", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The condition is marked as entered in error", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The condition was changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor version was sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{patient_id}/conditions/{condition_id}")]
async fn update_condition(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<UpdateCondition>,
) -> Result<HttpResponse, ApiError> {
    let (_, condition_id) = path.into_inner();
    let input = body.into_inner();
    let version = expected_version(&req, input.version);
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::update_condition(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            condition_id,
            version,
            input,
        )
    })
    .await?;
    Ok(changed(Some(done.value.version), &done))
}

/// Mark a condition as entered in error, with the reason. It stays in the record as such.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("condition_id" = uuid::Uuid, Path, description = "Condition id"),
    ),
    request_body = MarkEnteredInError,
    responses(
        (status = 200, description = "The marked condition", body = Condition, headers(("ETag" = String))),
        (status = 404, description = "No such patient or condition", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already marked as entered in error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/conditions/{condition_id}/entered-in-error")]
async fn mark_condition_entered_in_error(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<MarkEnteredInError>,
) -> Result<HttpResponse, ApiError> {
    let (_, condition_id) = path.into_inner();
    let input = body.into_inner();
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::mark_condition(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            condition_id,
            input,
        )
    })
    .await?;
    Ok(changed(Some(done.value.version), &done))
}

// ----- Medications -----

/// List a patient's medications, newest first.
///
/// Entries marked as entered in error are left out unless `include_entered_in_error=true`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id"), RecordListParams),
    responses(
        (status = 200, description = "One page of medications", body = MedicationPage),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/medications")]
async fn list_medications(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadMedications>,
    params: web::Query<RecordListParams>,
) -> Result<web::Json<MedicationPage>, ApiError> {
    let query = params.into_inner().into_query();
    let page = db::read(&pool, move |conn| {
        service::list_medications(conn, &scope.user, &scope.meta, scope.patient_id, query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Read one medication (the `Location` of a prescribed one).
///
/// Also an entry marked as entered in error: it shows `entered_in_error`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("medication_id" = uuid::Uuid, Path, description = "Medication id"),
    ),
    responses(
        (status = 200, description = "The medication", body = Medication, headers(("ETag" = String))),
        (status = 404, description = "No such patient or medication (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/medications/{medication_id}")]
async fn get_medication(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadMedications>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let entry = db::read(&pool, move |conn| {
        service::get_medication(conn, &scope.user, &scope.meta, scope.patient_id, id)
    })
    .await?;
    Ok(versioned(entry.version, &entry))
}

/// Prescribe a medication (status `active`).
///
/// `prescriber_id` defaults to the signed-in user when they are a doctor; otherwise it is
/// required and must be an active doctor's account.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = NewMedication,
    responses(
        (status = 201, description = "Recorded", body = Medication,
            headers(("Location" = String, description = "URL of the new entry, where it can be read"), ("ETag" = String))),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/medications")]
async fn add_medication(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    body: Json<NewMedication>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let patient_id = scope.patient_id;
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::create_medication(conn, &scope.user, &scope.meta, patient_id, input)
    })
    .await?;
    let location = entry_url(patient_id, "medications", done.value.id);
    Ok(created(location, Some(done.value.version), &done))
}

/// Change a medication's status, end date or note.
///
/// `stopped` or `completed` ends it: `end_date` defaults to today. Send the version you read
/// as `If-Match` (or `version`); a stale one gets 412.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("medication_id" = uuid::Uuid, Path, description = "Medication id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = UpdateMedication,
    responses(
        (status = 200, description = "The changed medication", body = Medication, headers(("ETag" = String))),
        (status = 404, description = "No such patient or medication", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The medication is marked as entered in error", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The medication was changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor version was sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{patient_id}/medications/{medication_id}")]
async fn update_medication(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<UpdateMedication>,
) -> Result<HttpResponse, ApiError> {
    let (_, medication_id) = path.into_inner();
    let input = body.into_inner();
    let version = expected_version(&req, input.version);
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::update_medication(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            medication_id,
            version,
            input,
        )
    })
    .await?;
    Ok(changed(Some(done.value.version), &done))
}

/// Mark a medication as entered in error, with the reason. It stays in the record as such.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("medication_id" = uuid::Uuid, Path, description = "Medication id"),
    ),
    request_body = MarkEnteredInError,
    responses(
        (status = 200, description = "The marked medication", body = Medication, headers(("ETag" = String))),
        (status = 404, description = "No such patient or medication", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already marked as entered in error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/medications/{medication_id}/entered-in-error")]
async fn mark_medication_entered_in_error(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<MarkEnteredInError>,
) -> Result<HttpResponse, ApiError> {
    let (_, medication_id) = path.into_inner();
    let input = body.into_inner();
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::mark_medication(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            medication_id,
            input,
        )
    })
    .await?;
    Ok(changed(Some(done.value.version), &done))
}

// ----- Vital signs -----

/// List a patient's vital signs, most recently measured first.
///
/// Entries marked as entered in error are left out unless `include_entered_in_error=true`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id"), RecordListParams),
    responses(
        (status = 200, description = "One page of vital signs", body = VitalSignsPage),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/vitals")]
async fn list_vitals(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    params: web::Query<RecordListParams>,
) -> Result<web::Json<VitalSignsPage>, ApiError> {
    let query = params.into_inner().into_query();
    let page = db::read(&pool, move |conn| {
        service::list_vitals(conn, &scope.user, &scope.meta, scope.patient_id, query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Read one set of vital signs (the `Location` of a recorded one).
///
/// Also an entry marked as entered in error: it shows `entered_in_error`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("vitals_id" = uuid::Uuid, Path, description = "Vital signs id"),
    ),
    responses(
        (status = 200, description = "The vital signs", body = VitalSigns),
        (status = 404, description = "No such patient or vital signs (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/vitals/{vitals_id}")]
async fn get_vitals(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<VitalSigns>, ApiError> {
    let (_, id) = path.into_inner();
    let entry = db::read(&pool, move |conn| {
        service::get_vitals(conn, &scope.user, &scope.meta, scope.patient_id, id)
    })
    .await?;
    Ok(web::Json(entry))
}

/// Record a set of vital signs.
///
/// Each value must be plausible (see the ranges); blood pressure needs both values with the
/// systolic above the diastolic; at least one measurement; `measured_at` (default now) not in
/// the future. The BMI is computed when weight and height are both given.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = NewVitalSigns,
    responses(
        (status = 201, description = "Recorded", body = VitalSigns,
            headers(("Location" = String, description = "URL of the new entry, where it can be read"))),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/vitals")]
async fn record_vitals(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    body: Json<NewVitalSigns>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let patient_id = scope.patient_id;
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::record_vitals(conn, &scope.user, &scope.meta, patient_id, input)
    })
    .await?;
    let location = entry_url(patient_id, "vitals", done.value.id);
    Ok(created(location, None, &done))
}

/// Mark a set of vital signs as entered in error, with the reason.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("vitals_id" = uuid::Uuid, Path, description = "Vital signs id"),
    ),
    request_body = MarkEnteredInError,
    responses(
        (status = 200, description = "The marked vital signs", body = VitalSigns),
        (status = 404, description = "No such patient or vital signs", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already marked as entered in error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/vitals/{vitals_id}/entered-in-error")]
async fn mark_vitals_entered_in_error(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<MarkEnteredInError>,
) -> Result<HttpResponse, ApiError> {
    let (_, vitals_id) = path.into_inner();
    let input = body.into_inner();
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::mark_vitals(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            vitals_id,
            input,
        )
    })
    .await?;
    Ok(changed(None, &done))
}

// ----- Encounters and clinical notes -----

/// List a patient's encounters, most recently started first, each with its newest 100 notes
/// (oldest first).
///
/// Encounters and notes marked as entered in error are left out unless
/// `include_entered_in_error=true`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id"), RecordListParams),
    responses(
        (status = 200, description = "One page of encounters", body = EncounterPage),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/encounters")]
async fn list_encounters(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    params: web::Query<RecordListParams>,
) -> Result<web::Json<EncounterPage>, ApiError> {
    let query = params.into_inner().into_query();
    let page = db::read(&pool, move |conn| {
        service::list_encounters(conn, &scope.user, &scope.meta, scope.patient_id, query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Read one encounter with its newest 100 notes, oldest first (the `Location` of a recorded
/// one).
///
/// Also an entry marked as entered in error: it shows `entered_in_error`. Its notes marked as entered in error are included, marked as such.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("encounter_id" = uuid::Uuid, Path, description = "Encounter id"),
    ),
    responses(
        (status = 200, description = "The encounter", body = Encounter, headers(("ETag" = String))),
        (status = 404, description = "No such patient or encounter (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/encounters/{encounter_id}")]
async fn get_encounter(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let entry = db::read(&pool, move |conn| {
        service::get_encounter(conn, &scope.user, &scope.meta, scope.patient_id, id)
    })
    .await?;
    Ok(versioned(entry.version, &entry))
}

/// Record an encounter (a visit or a stay).
///
/// `started_at` defaults to now; `clinician_id` defaults to the signed-in user and otherwise
/// must be an active doctor's or nurse's account.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = NewEncounter,
    responses(
        (status = 201, description = "Recorded", body = Encounter,
            headers(("Location" = String, description = "URL of the new entry, where it can be read"), ("ETag" = String))),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/encounters")]
async fn add_encounter(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    body: Json<NewEncounter>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let patient_id = scope.patient_id;
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::create_encounter(conn, &scope.user, &scope.meta, patient_id, input)
    })
    .await?;
    let location = entry_url(patient_id, "encounters", done.value.id);
    Ok(created(location, Some(done.value.version), &done))
}

/// End an encounter or correct its reason.
///
/// Send the version you read as `If-Match` (or `version`); a stale one gets 412.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("encounter_id" = uuid::Uuid, Path, description = "Encounter id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = UpdateEncounter,
    responses(
        (status = 200, description = "The changed encounter", body = Encounter, headers(("ETag" = String))),
        (status = 404, description = "No such patient or encounter", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The encounter is marked as entered in error", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The encounter was changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor version was sent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{patient_id}/encounters/{encounter_id}")]
async fn update_encounter(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<UpdateEncounter>,
) -> Result<HttpResponse, ApiError> {
    let (_, encounter_id) = path.into_inner();
    let input = body.into_inner();
    let version = expected_version(&req, input.version);
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::update_encounter(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            encounter_id,
            version,
            input,
        )
    })
    .await?;
    Ok(changed(Some(done.value.version), &done))
}

/// Mark an encounter as entered in error, with the reason. It stays in the record as such.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("encounter_id" = uuid::Uuid, Path, description = "Encounter id"),
    ),
    request_body = MarkEnteredInError,
    responses(
        (status = 200, description = "The marked encounter", body = Encounter, headers(("ETag" = String))),
        (status = 404, description = "No such patient or encounter", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already marked as entered in error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/encounters/{encounter_id}/entered-in-error")]
async fn mark_encounter_entered_in_error(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<MarkEnteredInError>,
) -> Result<HttpResponse, ApiError> {
    let (_, encounter_id) = path.into_inner();
    let input = body.into_inner();
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::mark_encounter(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            encounter_id,
            input,
        )
    })
    .await?;
    Ok(changed(Some(done.value.version), &done))
}

/// Write a clinical note on an encounter. The signed-in user is the author.
///
/// The body may span several lines. An encounter marked as entered in error takes no notes
/// (409).
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("encounter_id" = uuid::Uuid, Path, description = "Encounter id"),
    ),
    request_body = NewClinicalNote,
    responses(
        (status = 201, description = "Written", body = ClinicalNote,
            headers(("Location" = String, description = "URL of the new note, where it can be read"))),
        (status = 404, description = "No such patient or encounter", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The encounter is marked as entered in error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/encounters/{encounter_id}/notes")]
async fn add_clinical_note(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<NewClinicalNote>,
) -> Result<HttpResponse, ApiError> {
    let (_, encounter_id) = path.into_inner();
    let input = body.into_inner();
    let patient_id = scope.patient_id;
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::add_note(
            conn,
            &scope.user,
            &scope.meta,
            patient_id,
            encounter_id,
            input,
        )
    })
    .await?;
    let location = format!(
        "{}/notes/{}",
        entry_url(patient_id, "encounters", encounter_id),
        done.value.id
    );
    Ok(created(location, None, &done))
}

/// Read one clinical note of an encounter (the `Location` of a written one).
///
/// Also an entry marked as entered in error: it shows `entered_in_error`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("encounter_id" = uuid::Uuid, Path, description = "Encounter id"),
        ("note_id" = uuid::Uuid, Path, description = "Clinical note id"),
    ),
    responses(
        (status = 200, description = "The note", body = ClinicalNote),
        (status = 404, description = "No such patient, encounter or note (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/encounters/{encounter_id}/notes/{note_id}")]
async fn get_clinical_note(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<web::Json<ClinicalNote>, ApiError> {
    let (_, encounter_id, id) = path.into_inner();
    let entry = db::read(&pool, move |conn| {
        service::get_note(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            encounter_id,
            id,
        )
    })
    .await?;
    Ok(web::Json(entry))
}

/// Mark a clinical note as entered in error, with the reason. It stays in the record as such.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("encounter_id" = uuid::Uuid, Path, description = "Encounter id"),
        ("note_id" = uuid::Uuid, Path, description = "Clinical note id"),
    ),
    request_body = MarkEnteredInError,
    responses(
        (status = 200, description = "The marked note", body = ClinicalNote),
        (status = 404, description = "No such patient, encounter or note", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already marked as entered in error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/encounters/{encounter_id}/notes/{note_id}/entered-in-error")]
async fn mark_clinical_note_entered_in_error(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid, Uuid)>,
    body: Json<MarkEnteredInError>,
) -> Result<HttpResponse, ApiError> {
    let (_, encounter_id, note_id) = path.into_inner();
    let input = body.into_inner();
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::mark_note(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            encounter_id,
            note_id,
            input,
        )
    })
    .await?;
    Ok(changed(None, &done))
}

// ----- Lab results -----

/// List a patient's lab results, most recently collected first.
///
/// Entries marked as entered in error are left out unless `include_entered_in_error=true`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id"), RecordListParams),
    responses(
        (status = 200, description = "One page of lab results", body = LabResultPage),
        (status = 404, description = "No such patient (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/lab-results")]
async fn list_lab_results(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    params: web::Query<RecordListParams>,
) -> Result<web::Json<LabResultPage>, ApiError> {
    let query = params.into_inner().into_query();
    let page = db::read(&pool, move |conn| {
        service::list_lab_results(conn, &scope.user, &scope.meta, scope.patient_id, query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Read one lab result (the `Location` of a recorded one).
///
/// Also an entry marked as entered in error: it shows `entered_in_error`.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("result_id" = uuid::Uuid, Path, description = "Lab result id"),
    ),
    responses(
        (status = 200, description = "The lab result", body = LabResult),
        (status = 404, description = "No such patient or lab result (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{patient_id}/lab-results/{result_id}")]
async fn get_lab_result(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::ReadClinical>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<LabResult>, ApiError> {
    let (_, id) = path.into_inner();
    let entry = db::read(&pool, move |conn| {
        service::get_lab_result(conn, &scope.user, &scope.meta, scope.patient_id, id)
    })
    .await?;
    Ok(web::Json(entry))
}

/// Record a lab result: exactly one of `value_numeric` and `value_text`.
///
/// For a numeric value without `flag`, the flag is computed from the reference range (below
/// → `low`, above → `high`, otherwise `normal`); critical flags are only ever given. A text
/// value needs a flag. `collected_at` must not be in the future.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(("patient_id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = NewLabResult,
    responses(
        (status = 201, description = "Recorded", body = LabResult,
            headers(("Location" = String, description = "URL of the new entry, where it can be read"))),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/lab-results")]
async fn record_lab_result(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    body: Json<NewLabResult>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let patient_id = scope.patient_id;
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::record_lab_result(conn, &scope.user, &scope.meta, patient_id, input)
    })
    .await?;
    let location = entry_url(patient_id, "lab-results", done.value.id);
    Ok(created(location, None, &done))
}

/// Mark a lab result as entered in error, with the reason. It stays in the record as such.
#[utoipa::path(
    tag = "records",
    security(("bearer" = [])),
    params(
        ("patient_id" = uuid::Uuid, Path, description = "Patient id"),
        ("result_id" = uuid::Uuid, Path, description = "Lab result id"),
    ),
    request_body = MarkEnteredInError,
    responses(
        (status = 200, description = "The marked lab result", body = LabResult),
        (status = 404, description = "No such patient or lab result", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already marked as entered in error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{patient_id}/lab-results/{result_id}/entered-in-error")]
async fn mark_lab_result_entered_in_error(
    pool: web::Data<DbPool>,
    scope: ForPatient<can::WriteClinical>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<MarkEnteredInError>,
) -> Result<HttpResponse, ApiError> {
    let (_, result_id) = path.into_inner();
    let input = body.into_inner();
    let done = idempotency::run(&pool, &req, scope.user.id, input, move |conn, input| {
        service::mark_lab_result(
            conn,
            &scope.user,
            &scope.meta,
            scope.patient_id,
            result_id,
            input,
        )
    })
    .await?;
    Ok(changed(None, &done))
}
