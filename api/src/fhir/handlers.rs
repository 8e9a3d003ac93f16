//! `/fhir/R4`: thin handlers over the domains' services (the same role checks, audit rows and
//! standby reads as the REST API). Errors are `ApiError`s, turned into OperationOutcomes by
//! the scope's middleware (`outcome.rs`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use hms_api_types::appointments::AppointmentStatus;
use hms_api_types::records::VitalSigns;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::capability;
use super::doc::{OperationOutcomeDoc, ResourceDoc};
use super::mapping::{self, FHIR_APPOINTMENT_STATUSES, LOINC, MRN_SYSTEM, VITALS};
use super::model::Resource;
use super::search::{self, content_type, parse_date, DateParam, SearchRequest, Start};
use crate::appointments::service as appointments;
use crate::audit::RequestMeta;
use crate::auth::{can, Authorized, AuthorizedEither};
use crate::config::Schedule;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::patients::scope::ForSomePatient;
use crate::patients::service as patients;
use crate::records::service::{self as records, EntryKind, ListQuery};

type Viewer = AuthorizedEither<can::ViewAppointments, can::BookOwnAppointments>;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(metadata)
        .service(search_patients)
        .service(read_patient)
        .service(search_appointments)
        .service(read_appointment)
        .service(search_allergies)
        .service(read_allergy)
        .service(search_conditions)
        .service(read_condition)
        .service(search_medications)
        .service(read_medication)
        .service(search_observations)
        .service(read_observation);
}

fn fhir_json<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(content_type())
        .body(serde_json::to_vec(body).unwrap_or_default())
}

/// A read's id as a UUID; anything else names nothing (404).
fn id_of(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(what))
}

/// `_format` on a read.
fn check_read(req: &HttpRequest) -> Result<(), ApiError> {
    search::check_format(&search::query_pairs(req)?)
}

/// The server's CapabilityStatement: the resources, interactions and search parameters
/// implemented. Public.
#[utoipa::path(
    tag = "FHIR R4",
    params(("_format" = Option<String>, Query, description = "`json` (the only format)")),
    responses(
        (status = 200, description = "The CapabilityStatement", body = ResourceDoc, content_type = "application/fhir+json"),
    ),
)]
#[get("/metadata")]
async fn metadata(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    check_read(&req)?;
    let base = search::base_url(&req);
    let date = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    Ok(fhir_json(&capability::statement(&base, &date)))
}

// ----- Patient -----

/// Search patients (a searchset Bundle). Each patient returned is recorded in their access
/// log, as with `GET /api/v1/patients`.
#[utoipa::path(
    tag = "FHIR R4",
    security(("bearer" = [])),
    params(
        ("name" = Option<String>, Query, description = "Any part of the name; typos tolerated; family, then given names starting with it first, then similar names"),
        ("family" = Option<String>, Query, description = "Family name starts with"),
        ("given" = Option<String>, Query, description = "Given name starts with"),
        ("identifier" = Option<String>, Query, description = "The MRN: `urn:hms:mrn|<MRN>` or `<MRN>`"),
        ("birthdate" = Option<String>, Query, description = "Exact birth date, `YYYY-MM-DD` or `eqYYYY-MM-DD`"),
        ("_count" = Option<i64>, Query, minimum = 0, description = "Page size, default 20; above 100 counts as 100"),
        ("_cursor" = Option<String>, Query, description = "Opaque: from a Bundle's next/previous link"),
        ("_format" = Option<String>, Query, description = "`json` (the only format)"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Patients", body = ResourceDoc, content_type = "application/fhir+json"),
    ),
)]
#[get("/Patient")]
async fn search_patients(
    pool: web::Data<DbPool>,
    user: Authorized<can::ReadDemographics>,
    meta: RequestMeta,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let search = SearchRequest::parse(&req, "Patient", &capability::params_of("Patient"))?;
    let name = search.one("name")?.map(str::to_owned);
    let family = search.one("family")?.map(str::to_owned);
    let given = search.one("given")?.map(str::to_owned);
    let mrn = match search.one("identifier")? {
        None => None,
        Some(token) => match token.split_once('|') {
            Some((system, value)) if system.is_empty() || system == MRN_SYSTEM => {
                Some(value.to_owned())
            }
            // Another identifier system: HMS holds none, so nothing matches.
            Some(_) => return Ok(fhir_json(&search.bundle(Vec::new(), None))),
            None => Some(token.to_owned()),
        },
    };
    let birth_date = search
        .one("birthdate")?
        .map(|v| exact_day("birthdate", v))
        .transpose()?;
    let query = patients::SearchQuery {
        // The trigram index narrows a family/given search; the prefix filters decide.
        q: name.or_else(|| family.clone()).or_else(|| given.clone()),
        mrn,
        birth_date,
        family,
        given,
        include_inactive: true,
        limit: Some(search.count),
        cursor: search.start.inner.clone(),
    };
    let user = *user;
    let page = db::read(&pool, move |conn| {
        patients::search(conn, &user, &meta, query)
    })
    .await?;
    let resources = page
        .items
        .iter()
        .map(|p| Resource::Patient(mapping::patient(p)))
        .collect();
    let next = page.next_cursor.map(|c| Start {
        inner: Some(c),
        skip: 0,
    });
    Ok(fhir_json(&search.bundle(resources, next)))
}

/// A full date with the `eq` prefix (or none).
fn exact_day(param: &str, value: &str) -> Result<NaiveDate, ApiError> {
    let d = parse_date(param, value)?;
    if d.prefix != search::Prefix::Eq || d.first_day != d.last_day || value.contains('T') {
        return Err(ApiError::BadRequest(format!(
            "{param}: only an exact date (YYYY-MM-DD, optionally prefixed with eq) is supported"
        )));
    }
    Ok(d.first_day)
}

/// Read a patient. Recorded in the patient's access log.
#[utoipa::path(
    tag = "FHIR R4",
    security(("bearer" = [])),
    params(
        ("patient_id" = String, Path, description = "Patient id (a UUID)"),
        ("_format" = Option<String>, Query, description = "`json` (the only format)"),
    ),
    responses(
        (status = 200, description = "The Patient", body = ResourceDoc, content_type = "application/fhir+json"),
        (status = 404, description = "No such patient (or not yours)", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
)]
#[get("/Patient/{patient_id}")]
async fn read_patient(
    pool: web::Data<DbPool>,
    caller: ForSomePatient<can::ReadDemographics>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    check_read(&req)?;
    let id = id_of(&path, "the patient")?;
    caller.check(id)?;
    let patient = db::read(&pool, move |conn| {
        patients::get(conn, &caller.user, &caller.meta, id)
    })
    .await?;
    Ok(fhir_json(&Resource::Patient(mapping::patient(&patient))))
}

// ----- Appointment -----

/// The HMS status of a FHIR AppointmentStatus code; `Ok(None)` for a valid code HMS never uses.
fn appointment_status(code: &str) -> Result<Option<AppointmentStatus>, ApiError> {
    let code = code.rsplit('|').next().unwrap_or(code);
    if let Some(s) = AppointmentStatus::ALL
        .into_iter()
        .find(|s| mapping::appointment_status(*s) == code)
    {
        return Ok(Some(s));
    }
    if FHIR_APPOINTMENT_STATUSES.contains(&code) {
        Ok(None)
    } else {
        Err(ApiError::BadRequest(format!(
            "status: `{code}` is not a FHIR AppointmentStatus code"
        )))
    }
}

/// Search appointments in start order (a searchset Bundle). A patient account sees only its
/// own; every patient whose appointment is returned gets an access-log row.
#[utoipa::path(
    tag = "FHIR R4",
    security(("bearer" = [])),
    params(
        ("patient" = Option<String>, Query, description = "`Patient/<id>` or `<id>`"),
        ("date" = Option<Vec<String>>, Query, explode = true, description = "Start day (hospital time zone) with an optional prefix eq, ge, gt, le, lt; repeatable, e.g. `date=ge2026-03-01&date=lt2026-04-01`"),
        ("status" = Option<String>, Query, description = "booked, checked-in, arrived, fulfilled, cancelled, noshow"),
        ("practitioner" = Option<String>, Query, description = "`Practitioner/<id>` or `<id>`"),
        ("_count" = Option<i64>, Query, minimum = 0, description = "Page size, default 20; above 100 counts as 100"),
        ("_cursor" = Option<String>, Query, description = "Opaque: from a Bundle's next/previous link"),
        ("_format" = Option<String>, Query, description = "`json` (the only format)"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Appointments", body = ResourceDoc, content_type = "application/fhir+json"),
        (status = 404, description = "A patient account naming someone else", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
)]
#[get("/Appointment")]
async fn search_appointments(
    pool: web::Data<DbPool>,
    schedule: web::Data<Schedule>,
    user: Viewer,
    meta: RequestMeta,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let search = SearchRequest::parse(&req, "Appointment", &capability::params_of("Appointment"))?;
    let patient_id = search.patient("patient")?;
    let practitioner_id = search
        .one("practitioner")?
        .map(|v| search::reference_id(v, "Practitioner", "practitioner"))
        .transpose()?;
    let status = match search.one("status")? {
        None => None,
        Some(code) => match appointment_status(code)? {
            Some(s) => Some(s),
            None => return Ok(fhir_json(&search.bundle(Vec::new(), None))),
        },
    };
    let (mut from, mut to) = (None, None);
    for value in search.all("date") {
        parse_date("date", value)?.narrow_days(&mut from, &mut to);
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Ok(fhir_json(&search.bundle(Vec::new(), None)));
        }
    }
    let query = appointments::ListQuery {
        date: None,
        from,
        to,
        practitioner_id,
        department_id: None,
        patient_id,
        status,
        limit: Some(search.count),
        cursor: search.start.inner.clone(),
    };
    let user = *user;
    let (page, departments) = db::read(&pool, move |conn| {
        let page = appointments::list(conn, &user, &meta, &schedule, query)?;
        let departments = crate::scheduling::service::list_departments(conn)?;
        Ok((page, departments))
    })
    .await?;
    let department = |id: Uuid| {
        departments
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.as_str())
    };
    let resources = page
        .items
        .iter()
        .map(|a| Resource::Appointment(mapping::appointment(a, department(a.department_id))))
        .collect();
    let next = page.next_cursor.map(|c| Start {
        inner: Some(c),
        skip: 0,
    });
    Ok(fhir_json(&search.bundle(resources, next)))
}

/// Read an appointment. Recorded in the patient's access log.
#[utoipa::path(
    tag = "FHIR R4",
    security(("bearer" = [])),
    params(
        ("appointment_id" = String, Path, description = "Appointment id (a UUID)"),
        ("_format" = Option<String>, Query, description = "`json` (the only format)"),
    ),
    responses(
        (status = 200, description = "The Appointment", body = ResourceDoc, content_type = "application/fhir+json"),
        (status = 404, description = "No such appointment (or not yours)", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
)]
#[get("/Appointment/{appointment_id}")]
async fn read_appointment(
    pool: web::Data<DbPool>,
    user: Viewer,
    meta: RequestMeta,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    check_read(&req)?;
    let id = id_of(&path, "the appointment")?;
    let user = *user;
    let (appointment, departments) = db::read(&pool, move |conn| {
        let a = appointments::get(conn, &user, &meta, id)?;
        let departments = crate::scheduling::service::list_departments(conn)?;
        Ok((a, departments))
    })
    .await?;
    let department = departments
        .iter()
        .find(|d| d.id == appointment.department_id)
        .map(|d| d.name.as_str());
    Ok(fhir_json(&Resource::Appointment(mapping::appointment(
        &appointment,
        department,
    ))))
}

// ----- Record entries: AllergyIntolerance, Condition, MedicationStatement -----

/// The patient a record search is about: the one named, or a patient account's own. Staff
/// must name one (record lists are per patient).
fn record_patient<R: crate::auth::Requirement>(
    caller: &ForSomePatient<R>,
    search: &SearchRequest,
) -> Result<Uuid, ApiError> {
    caller
        .patient_filter(search.patient("patient")?)?
        .ok_or_else(|| ApiError::BadRequest("patient is required: `patient=Patient/<id>`".into()))
}

/// A record list page starting at the search's cursor.
fn list_query(search: &SearchRequest) -> ListQuery {
    ListQuery {
        include_entered_in_error: false,
        limit: Some(search.count),
        cursor: search.start.inner.clone(),
    }
}

fn next_start(cursor: Option<String>) -> Option<Start> {
    cursor.map(|c| Start {
        inner: Some(c),
        skip: 0,
    })
}

macro_rules! record_endpoints {
    (
        kind = $kind:tt, permission = $perm:ty, entry = $entry:expr,
        search = $search_fn:ident, search_route = $search_route:tt, search_doc = $search_doc:tt,
        bundle_doc = $bundle_doc:tt,
        read = $read_fn:ident, read_route = $read_route:tt, read_doc = $read_doc:tt,
        resource_doc = $resource_doc:tt, noun = $noun:tt,
        list = $list:path, get = $get:path, map = $map:path, variant = $variant:ident
    ) => {
        #[doc = $search_doc]
        #[utoipa::path(
            tag = "FHIR R4",
            security(("bearer" = [])),
            params(
                ("patient" = Option<String>, Query, description = "`Patient/<id>` or `<id>`; required for staff, a patient account's own by default"),
                ("_count" = Option<i64>, Query, minimum = 0, description = "Page size, default 20; above 100 counts as 100"),
                ("_cursor" = Option<String>, Query, description = "Opaque: from a Bundle's next/previous link"),
                ("_format" = Option<String>, Query, description = "`json` (the only format)"),
            ),
            responses(
                (status = 200, description = $bundle_doc, body = ResourceDoc, content_type = "application/fhir+json"),
                (status = 404, description = "No such patient (or not yours)", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
            ),
        )]
        #[get($search_route)]
        async fn $search_fn(
            pool: web::Data<DbPool>,
            caller: ForSomePatient<$perm>,
            req: HttpRequest,
        ) -> Result<HttpResponse, ApiError> {
            let search = SearchRequest::parse(&req, $kind, &capability::params_of($kind))?;
            let patient_id = record_patient(&caller, &search)?;
            let query = list_query(&search);
            let page = db::read(&pool, move |conn| {
                $list(conn, &caller.user, &caller.meta, patient_id, query)
            })
            .await?;
            let resources = page
                .items
                .iter()
                .map(|e| Resource::$variant($map(e)))
                .collect();
            Ok(fhir_json(&search.bundle(resources, next_start(page.next_cursor))))
        }

        #[doc = $read_doc]
        #[utoipa::path(
            tag = "FHIR R4",
            security(("bearer" = [])),
            params(
                ("id" = String, Path, description = "Entry id (a UUID)"),
                ("_format" = Option<String>, Query, description = "`json` (the only format)"),
            ),
            responses(
                (status = 200, description = $resource_doc, body = ResourceDoc, content_type = "application/fhir+json"),
                (status = 404, description = "No such entry (or not yours)", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
            ),
        )]
        #[get($read_route)]
        async fn $read_fn(
            pool: web::Data<DbPool>,
            caller: ForSomePatient<$perm>,
            path: web::Path<String>,
            req: HttpRequest,
        ) -> Result<HttpResponse, ApiError> {
            check_read(&req)?;
            let id = id_of(&path, $noun)?;
            let entry = db::read(&pool, move |conn| {
                let patient_id = records::patient_of(conn, $entry, id)?;
                caller.check(patient_id)?;
                $get(conn, &caller.user, &caller.meta, patient_id, id)
            })
            .await?;
            Ok(fhir_json(&Resource::$variant($map(&entry))))
        }
    };
}

record_endpoints!(
    kind = "AllergyIntolerance", permission = can::ReadMedications, entry = EntryKind::Allergy,
    search = search_allergies, search_route = "/AllergyIntolerance",
    search_doc = "Search a patient's allergies, newest first (a searchset Bundle); entries entered in error are left out. Recorded in the patient's access log.",
    bundle_doc = "A searchset Bundle of AllergyIntolerance resources",
    read = read_allergy, read_route = "/AllergyIntolerance/{id}",
    read_doc = "Read an allergy, also one entered in error (verificationStatus entered-in-error). Recorded in the patient's access log.",
    resource_doc = "The AllergyIntolerance", noun = "the allergy",
    list = records::list_allergies, get = records::get_allergy, map = mapping::allergy,
    variant = AllergyIntolerance
);
record_endpoints!(
    kind = "Condition", permission = can::ReadClinical, entry = EntryKind::Condition,
    search = search_conditions, search_route = "/Condition",
    search_doc = "Search a patient's conditions (ICD-10), newest first (a searchset Bundle); entries entered in error are left out. Recorded in the patient's access log.",
    bundle_doc = "A searchset Bundle of Condition resources",
    read = read_condition, read_route = "/Condition/{id}",
    read_doc = "Read a condition, also one entered in error (verificationStatus entered-in-error). Recorded in the patient's access log.",
    resource_doc = "The Condition", noun = "the condition",
    list = records::list_conditions, get = records::get_condition, map = mapping::condition,
    variant = Condition
);
record_endpoints!(
    kind = "MedicationStatement", permission = can::ReadMedications, entry = EntryKind::Medication,
    search = search_medications, search_route = "/MedicationStatement",
    search_doc = "Search a patient's medications, newest first (a searchset Bundle); entries entered in error are left out. Recorded in the patient's access log.",
    bundle_doc = "A searchset Bundle of MedicationStatement resources",
    read = read_medication, read_route = "/MedicationStatement/{id}",
    read_doc = "Read a medication, also one entered in error (status entered-in-error). Recorded in the patient's access log.",
    resource_doc = "The MedicationStatement", noun = "the medication",
    list = records::list_medications, get = records::get_medication, map = mapping::medication,
    variant = MedicationStatement
);

// ----- Observation (vital signs) -----

/// Which vital-sign Observations a search wants.
struct ObservationFilter {
    codes: Option<Vec<&'static str>>,
    dates: Vec<DateParam>,
}

impl ObservationFilter {
    fn keeps(&self, vital: &mapping::Vital, v: &VitalSigns) -> bool {
        self.codes.as_ref().is_none_or(|c| c.contains(&vital.loinc))
            && self.dates.iter().all(|d| d.matches(v.measured_at))
    }
}

/// How many pages of vital signs one Observation search reads at most before it answers with
/// what it has (and a `next` link).
const MAX_VITALS_PAGES: usize = 20;

/// Search a patient's vital signs as Observations (category `vital-signs`), newest first; one
/// Observation per measured value, blood pressure as a panel. Recorded in the patient's access
/// log.
#[utoipa::path(
    tag = "FHIR R4",
    security(("bearer" = [])),
    params(
        ("patient" = Option<String>, Query, description = "`Patient/<id>` or `<id>`; required for staff, a patient account's own by default"),
        ("category" = Option<String>, Query, description = "`vital-signs` (the only category)"),
        ("code" = Option<String>, Query, description = "LOINC code, `http://loinc.org|8867-4` or `8867-4`; 85354-9 for blood pressure"),
        ("date" = Option<Vec<String>>, Query, explode = true, description = "When measured (UTC) with an optional prefix eq, ge, gt, le, lt; repeatable"),
        ("_count" = Option<i64>, Query, minimum = 0, description = "Page size, default 20; above 100 counts as 100"),
        ("_cursor" = Option<String>, Query, description = "Opaque: from a Bundle's next/previous link"),
        ("_format" = Option<String>, Query, description = "`json` (the only format)"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Observations", body = ResourceDoc, content_type = "application/fhir+json"),
        (status = 404, description = "No such patient (or not yours)", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
)]
#[get("/Observation")]
async fn search_observations(
    pool: web::Data<DbPool>,
    caller: ForSomePatient<can::ReadClinical>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let search = SearchRequest::parse(&req, "Observation", &capability::params_of("Observation"))?;
    let patient_id = record_patient(&caller, &search)?;
    if let Some(category) = search.one("category")? {
        let code = category.rsplit('|').next().unwrap_or(category);
        let system_ok = match category.split_once('|') {
            Some((system, _)) => {
                system.is_empty()
                    || system == "http://terminology.hl7.org/CodeSystem/observation-category"
            }
            None => true,
        };
        if code != "vital-signs" || !system_ok {
            return Ok(fhir_json(&search.bundle(Vec::new(), None)));
        }
    }
    let codes = match search.one("code")? {
        None => None,
        Some(token) => {
            let (system, code) = token.split_once('|').unwrap_or(("", token));
            if !system.is_empty() && system != LOINC {
                Some(Vec::new())
            } else {
                Some(
                    VITALS
                        .iter()
                        .filter(|v| v.loinc == code)
                        .map(|v| v.loinc)
                        .collect(),
                )
            }
        }
    };
    let dates = search
        .all("date")
        .into_iter()
        .map(|v| parse_date("date", v))
        .collect::<Result<Vec<_>, _>>()?;
    let filter = ObservationFilter { codes, dates };
    if filter.codes.as_ref().is_some_and(Vec::is_empty) {
        return Ok(fhir_json(&search.bundle(Vec::new(), None)));
    }
    let count = search.count as usize;
    let mut start = search.start.clone();
    let (resources, next) = db::read(&pool, move |conn| {
        let mut out = Vec::new();
        for _ in 0..MAX_VITALS_PAGES {
            let page = records::list_vitals(
                conn,
                &caller.user,
                &caller.meta,
                patient_id,
                ListQuery {
                    include_entered_in_error: false,
                    limit: Some(count as i64),
                    cursor: start.inner.clone(),
                },
            )?;
            let found: Vec<Resource> = page
                .items
                .iter()
                .flat_map(|v| {
                    VITALS
                        .iter()
                        .filter(|vital| filter.keeps(vital, v))
                        .filter_map(|vital| mapping::observation(v, vital))
                        .collect::<Vec<_>>()
                })
                .map(Resource::Observation)
                .collect();
            let available = found.len().saturating_sub(start.skip);
            let wanted = count - out.len();
            if available > wanted {
                out.extend(found.into_iter().skip(start.skip).take(wanted));
                let skip = start.skip + wanted;
                return Ok((out, Some(Start { skip, ..start })));
            }
            out.extend(found.into_iter().skip(start.skip));
            match page.next_cursor {
                None => return Ok((out, None)),
                Some(c) => {
                    start = Start {
                        inner: Some(c),
                        skip: 0,
                    };
                    if out.len() == count {
                        return Ok((out, Some(start)));
                    }
                }
            }
        }
        Ok((out, Some(start)))
    })
    .await?;
    Ok(fhir_json(&search.bundle(resources, next)))
}

/// Read one vital-sign Observation (`<vital signs id>-<bp|hr|temp|spo2|rr|weight|height|bmi>`),
/// also one entered in error. Recorded in the patient's access log.
#[utoipa::path(
    tag = "FHIR R4",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Observation id: `<vital signs id>-<bp|hr|temp|spo2|rr|weight|height|bmi>`"),
        ("_format" = Option<String>, Query, description = "`json` (the only format)"),
    ),
    responses(
        (status = 200, description = "The Observation", body = ResourceDoc, content_type = "application/fhir+json"),
        (status = 404, description = "No such observation (or not yours)", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
)]
#[get("/Observation/{id}")]
async fn read_observation(
    pool: web::Data<DbPool>,
    caller: ForSomePatient<can::ReadClinical>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    check_read(&req)?;
    let (vitals_id, vital) = mapping::parse_observation_id(&path)
        .ok_or_else(|| ApiError::not_found("the observation"))?;
    let vitals = db::read(&pool, move |conn| {
        let patient_id = records::patient_of(conn, EntryKind::Vitals, vitals_id)?;
        caller.check(patient_id)?;
        records::get_vitals(conn, &caller.user, &caller.meta, patient_id, vitals_id)
    })
    .await?;
    let observation = mapping::observation(&vitals, &vital)
        .ok_or_else(|| ApiError::not_found("the observation"))?;
    Ok(fhir_json(&Resource::Observation(observation)))
}
