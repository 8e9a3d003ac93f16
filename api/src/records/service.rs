//! Record rules: validation (every field error at once), defaults, corrections (entered in
//! error), optimistic concurrency, and the audit of every read and write, in the same
//! transaction. No actix types here.
//!
//! Every operation first checks that the patient exists (404) and finds entries only within
//! that patient's record, so an entry of another patient is 404 through this patient's path.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Months, NaiveDate, SecondsFormat, Utc};
use diesel::prelude::*;
use hms_api_types::page::MAX_PAGE_SIZE;
use hms_api_types::records::{
    Allergy, AllergyPage, ClinicalNote, ClinicalStatus, Condition, ConditionPage, Encounter,
    EncounterPage, EnteredInError, LabFlag, LabResult, LabResultPage, MarkEnteredInError,
    Medication, MedicationPage, MedicationStatus, NewAllergy, NewClinicalNote, NewCondition,
    NewEncounter, NewLabResult, NewMedication, NewVitalSigns, PatientSummary, Provenance,
    UpdateAllergy, UpdateCondition, UpdateEncounter, UpdateMedication, VitalSigns, VitalSignsPage,
    MAX_EMBEDDED_NOTES,
};
use hms_api_types::Role;
use uuid::Uuid;

use super::codes::Code;
use super::model::{
    AllergyChanges, AllergyRow, ConditionChanges, ConditionRow, EncounterChanges, LabResultRow,
    MedicationChanges, NewAllergyRow, NewConditionRow, NewEncounterRow, NewLabResultRow,
    NewMedicationRow, NewNoteRow, NewVitalsRow, NoteRow, VitalsRow,
};
use super::repo::{
    self, Correction, Keyset, ListFilter, NamedEncounter, NamedMedication, Recorded,
};
use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination;
use crate::patients::service::{audit, require, to_dto as patient_dto};
use crate::validate::{optional_text, Check};

/// How far in the future a measurement time may be, for clocks that disagree.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// How many entries each list of the summary holds at most (the lists have them all).
const SUMMARY_LIMIT: i64 = MAX_PAGE_SIZE;

/// The longest cursor a list takes, as documented on the `cursor` parameter.
const MAX_CURSOR_CHARS: usize = 400;

/// How many notes an encounter embeds: its newest.
const EMBEDDED_NOTES: i64 = MAX_EMBEDDED_NOTES as i64;

/// Query of a record list.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub include_entered_in_error: bool,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

// ----- The summary -----

/// What a clinician reads first: the demographics, active allergies and conditions, current
/// medications and the latest vital signs, none entered in error. Audited once.
pub fn summary(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
) -> Result<PatientSummary, ApiError> {
    let active = |status: &'static str, limit: i64| ListFilter {
        include_entered_in_error: false,
        status: Some(status),
        after: None,
        limit,
    };
    conn.transaction(|conn| {
        let patient = patient_dto(require(conn, patient_id)?);
        let allergies = repo::list_allergies(conn, patient_id, &active("active", SUMMARY_LIMIT))?;
        let conditions = repo::list_conditions(conn, patient_id, &active("active", SUMMARY_LIMIT))?;
        let medications =
            repo::list_medications(conn, patient_id, &active("active", SUMMARY_LIMIT))?;
        let latest = ListFilter {
            include_entered_in_error: false,
            status: None,
            after: None,
            limit: 1,
        };
        let vitals = repo::list_vitals(conn, patient_id, &latest)?;
        audit(conn, user, meta, patient_id, "read", "summary", None)?;
        Ok(PatientSummary {
            patient,
            active_allergies: collect(allergies, allergy_dto)?,
            active_conditions: collect(conditions, condition_dto)?,
            current_medications: collect(medications, medication_dto)?,
            latest_vitals: vitals.into_iter().next().map(vitals_dto),
        })
    })
}

// ----- What every kind of entry shares -----

/// One kind of entry: how to list, find and mark it, for the shared list and correction code.
struct Entries<R> {
    /// The singular noun for messages ("allergy").
    noun: &'static str,
    /// The audit entity type ("allergies").
    entity: &'static str,
    list: fn(&mut PgConnection, Uuid, &ListFilter) -> QueryResult<Vec<R>>,
    find: fn(&mut PgConnection, Uuid, Uuid) -> QueryResult<Option<R>>,
    mark: fn(&mut PgConnection, Uuid, Uuid, &Correction<'_>) -> QueryResult<bool>,
    /// The sort key of an entry in its list.
    key: fn(&R) -> Keyset,
    entered_in_error: fn(&R) -> bool,
}

const ALLERGIES: Entries<Recorded<AllergyRow>> = Entries {
    noun: "allergy",
    entity: "allergies",
    list: repo::list_allergies,
    find: repo::find_allergy,
    mark: repo::mark_allergy,
    key: |(r, _)| Keyset {
        at: r.recorded_at,
        id: r.id,
    },
    entered_in_error: |(r, _)| r.entered_in_error_at.is_some(),
};

const CONDITIONS: Entries<Recorded<ConditionRow>> = Entries {
    noun: "condition",
    entity: "conditions",
    list: repo::list_conditions,
    find: repo::find_condition,
    mark: repo::mark_condition,
    key: |(r, _)| Keyset {
        at: r.recorded_at,
        id: r.id,
    },
    entered_in_error: |(r, _)| r.entered_in_error_at.is_some(),
};

const MEDICATIONS: Entries<NamedMedication> = Entries {
    noun: "medication",
    entity: "medications",
    list: repo::list_medications,
    find: repo::find_medication,
    mark: repo::mark_medication,
    key: |(r, _, _)| Keyset {
        at: r.recorded_at,
        id: r.id,
    },
    entered_in_error: |(r, _, _)| r.entered_in_error_at.is_some(),
};

const VITALS: Entries<Recorded<VitalsRow>> = Entries {
    noun: "vital signs entry",
    entity: "vitals",
    list: repo::list_vitals,
    find: repo::find_vitals,
    mark: repo::mark_vitals,
    key: |(r, _)| Keyset {
        at: r.measured_at,
        id: r.id,
    },
    entered_in_error: |(r, _)| r.entered_in_error_at.is_some(),
};

const ENCOUNTERS: Entries<NamedEncounter> = Entries {
    noun: "encounter",
    entity: "encounters",
    list: repo::list_encounters,
    find: repo::find_encounter,
    mark: repo::mark_encounter,
    key: |(r, _, _)| Keyset {
        at: r.started_at,
        id: r.id,
    },
    entered_in_error: |(r, _, _)| r.entered_in_error_at.is_some(),
};

const LAB_RESULTS: Entries<Recorded<LabResultRow>> = Entries {
    noun: "lab result",
    entity: "lab_results",
    list: repo::list_lab_results,
    find: repo::find_lab_result,
    mark: repo::mark_lab_result,
    key: |(r, _)| Keyset {
        at: r.collected_at,
        id: r.id,
    },
    entered_in_error: |(r, _)| r.entered_in_error_at.is_some(),
};

/// A validated list query: the filter (fetching one extra row) and the page size.
struct PageRequest {
    filter: ListFilter,
    limit: i64,
}

impl PageRequest {
    fn check(query: ListQuery) -> Result<PageRequest, ApiError> {
        let mut check = Check::new();
        let limit = pagination::limit(&mut check, query.limit);
        let cursor = query.cursor.as_deref();
        let after = if cursor.is_some_and(|c| c.chars().count() > MAX_CURSOR_CHARS) {
            check.fail("cursor", "is not a cursor returned by this list");
            None
        } else {
            pagination::decode(&mut check, cursor).and_then(|key| {
                let keyset = parse_cursor(&key);
                if keyset.is_none() {
                    check.fail("cursor", "is not a cursor returned by this list");
                }
                keyset
            })
        };
        check.finish()?;
        Ok(PageRequest {
            filter: ListFilter {
                include_entered_in_error: query.include_entered_in_error,
                status: None,
                after,
                limit: limit + 1,
            },
            limit,
        })
    }
}

/// The cursor key of an entry: its sort time (RFC 3339, microseconds kept) and id.
fn cursor_key(k: Keyset) -> String {
    format!(
        "{}|{}",
        k.at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        k.id
    )
}

fn parse_cursor(key: &str) -> Option<Keyset> {
    let (at, id) = key.rsplit_once('|')?;
    Some(Keyset {
        at: DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        id: Uuid::parse_str(id).ok()?,
    })
}

impl<R> Entries<R> {
    /// One page of the patient's entries, converted by `dto`; the read is audited.
    fn page<T>(
        &self,
        conn: &mut PgConnection,
        user: &AuthUser,
        meta: &RequestMeta,
        patient_id: Uuid,
        query: ListQuery,
        dto: fn(R) -> Result<T, ApiError>,
    ) -> Result<(Vec<T>, Option<String>), ApiError> {
        let page = PageRequest::check(query)?;
        conn.transaction(|conn| {
            require(conn, patient_id)?;
            let mut rows = (self.list)(conn, patient_id, &page.filter)?;
            let next_cursor =
                pagination::next_cursor(&mut rows, page.limit, |r| cursor_key((self.key)(r)));
            audit(conn, user, meta, patient_id, "read", self.entity, None)?;
            Ok((collect(rows, dto)?, next_cursor))
        })
    }

    /// The patient's entry `id` (also one entered in error), converted by `dto`; 404 when the
    /// patient or the entry is missing. The read is audited.
    fn get<T>(
        &self,
        conn: &mut PgConnection,
        user: &AuthUser,
        meta: &RequestMeta,
        patient_id: Uuid,
        id: Uuid,
        dto: fn(R) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        conn.transaction(|conn| {
            require(conn, patient_id)?;
            let entry = self.require(conn, patient_id, id)?;
            audit(
                conn,
                user,
                meta,
                patient_id,
                "read",
                self.entity,
                Some(id.to_string()),
            )?;
            dto(entry)
        })
    }

    /// The patient's entry `id`, or 404.
    fn require(&self, conn: &mut PgConnection, patient_id: Uuid, id: Uuid) -> Result<R, ApiError> {
        (self.find)(conn, patient_id, id)?.ok_or_else(|| self.not_found())
    }

    /// The patient's entry `id` for a change: 404 when missing, 409 when entered in error.
    fn require_changeable(
        &self,
        conn: &mut PgConnection,
        patient_id: Uuid,
        id: Uuid,
    ) -> Result<R, ApiError> {
        let entry = self.require(conn, patient_id, id)?;
        if (self.entered_in_error)(&entry) {
            return Err(ApiError::Conflict(format!(
                "the {} is marked as entered in error and can no longer be changed",
                self.noun
            )));
        }
        Ok(entry)
    }

    fn not_found(&self) -> ApiError {
        ApiError::not_found(&format!("the {}", self.noun))
    }

    /// Audits an update of the patient's entry `id` and returns the entry as it is now.
    fn updated(
        &self,
        conn: &mut PgConnection,
        user: &AuthUser,
        meta: &RequestMeta,
        patient_id: Uuid,
        id: Uuid,
    ) -> Result<R, ApiError> {
        audit(
            conn,
            user,
            meta,
            patient_id,
            "update",
            self.entity,
            Some(id.to_string()),
        )?;
        self.require(conn, patient_id, id)
    }

    fn stale(&self, current_version: i32) -> ApiError {
        ApiError::PreconditionFailed(format!(
            "the {} was changed by someone else (now version {current_version}); reload and try again",
            self.noun
        ))
    }

    /// Marks the patient's entry `id` as entered in error (409 when it already is), audited;
    /// returns the entry as it is now.
    fn mark(
        &self,
        conn: &mut PgConnection,
        user: &AuthUser,
        meta: &RequestMeta,
        patient_id: Uuid,
        id: Uuid,
        input: MarkEnteredInError,
    ) -> Result<R, ApiError> {
        let reason = check_reason(&input)?;
        conn.transaction(|conn| {
            require(conn, patient_id)?;
            self.require(conn, patient_id, id)?;
            let correction = Correction {
                by: user.id,
                reason: &reason,
            };
            if !(self.mark)(conn, patient_id, id, &correction)? {
                return Err(already_marked(self.noun));
            }
            audit(
                conn,
                user,
                meta,
                patient_id,
                "entered_in_error",
                self.entity,
                Some(id.to_string()),
            )?;
            self.require(conn, patient_id, id)
        })
    }
}

fn already_marked(noun: &str) -> ApiError {
    ApiError::Conflict(format!("the {noun} is already marked as entered in error"))
}

/// The reason of a correction, trimmed.
fn check_reason(input: &MarkEnteredInError) -> Result<String, ApiError> {
    Check::new()
        .text("reason", &input.reason, 1, 500)
        .finish()?;
    Ok(input.reason.trim().to_owned())
}

fn collect<R, T>(rows: Vec<R>, dto: fn(R) -> Result<T, ApiError>) -> Result<Vec<T>, ApiError> {
    rows.into_iter().map(dto).collect()
}

fn provenance(
    recorded_by: Uuid,
    recorded_by_name: String,
    recorded_at: DateTime<Utc>,
) -> Provenance {
    Provenance {
        recorded_by,
        recorded_by_name,
        recorded_at,
    }
}

fn entered_in_error(
    at: Option<DateTime<Utc>>,
    by: Option<Uuid>,
    reason: Option<String>,
) -> Option<EnteredInError> {
    Some(EnteredInError {
        at: at?,
        by: by?,
        reason: reason.unwrap_or_default(),
    })
}

// ----- Field checks -----

/// The latest date that is not in the future somewhere on Earth (UTC+14), so "today" is
/// accepted in every time zone.
fn latest_date() -> NaiveDate {
    (Utc::now() + Duration::hours(14)).date_naive()
}

/// The earliest date the record takes: 150 years ago, as for birth dates.
fn earliest_date() -> NaiveDate {
    let today = Utc::now().date_naive();
    today
        .checked_sub_months(Months::new(150 * 12))
        .unwrap_or(today)
}

/// A date that has happened: not in the future, not more than 150 years ago.
fn check_past_date(check: &mut Check, field: &str, date: Option<NaiveDate>) {
    match date {
        Some(d) if d > latest_date() => {
            check.fail(field, "must not be in the future");
        }
        Some(d) if d < earliest_date() => {
            check.fail(field, "must be within the last 150 years");
        }
        _ => {}
    }
}

/// A date that may lie ahead (a planned medication), not more than 150 years ago.
fn check_recent_date(check: &mut Check, field: &str, date: Option<NaiveDate>) {
    if date.is_some_and(|d| d < earliest_date()) {
        check.fail(field, "must be within the last 150 years");
    }
}

/// A time that has happened: not in the future (give or take [`CLOCK_SKEW`]), not more than
/// 150 years ago.
fn check_past_time(check: &mut Check, field: &str, at: DateTime<Utc>) {
    if at > Utc::now() + CLOCK_SKEW {
        check.fail(field, "must not be in the future");
    } else if at.date_naive() < earliest_date() {
        check.fail(field, "must be within the last 150 years");
    }
}

/// A PATCH of an optional text: absent leaves it, empty clears it (`Some(None)`).
fn changed_text(
    check: &mut Check,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<Option<String>> {
    value.map(|v| optional_text(check, field, Some(v), max))
}

/// A required single-line text, trimmed.
fn required_text(check: &mut Check, field: &str, value: &str, max: usize) -> String {
    check.text(field, value, 1, max);
    value.trim().to_owned()
}

/// An ICD-10 code: a letter, a digit, a digit or letter, then optionally a dot and one to
/// four digits or letters; ASCII only, either case, nothing around it (the schema's pattern
/// `^[A-Za-z][0-9][0-9A-Za-z](\.[0-9A-Za-z]{1,4})?$`). Stored upper-cased.
fn check_icd10(check: &mut Check, value: &str) -> String {
    let b = value.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    let valid = b.len() >= 3
        && b[0].is_ascii_alphabetic()
        && b[1].is_ascii_digit()
        && alnum(&b[2])
        && match &b[3..] {
            [] => true,
            [b'.', rest @ ..] => (1..=4).contains(&rest.len()) && rest.iter().all(alnum),
            _ => false,
        };
    if !valid {
        check.fail("icd10_code", "must be an ICD-10 code such as E11.9 or I10");
    }
    value.to_ascii_uppercase()
}

/// A finite number within `min..=max`.
fn check_range_f64(
    check: &mut Check,
    field: &str,
    value: Option<f64>,
    min: f64,
    max: f64,
    unit: &str,
) {
    if let Some(v) = value {
        if !v.is_finite() {
            check.fail(field, "must be a finite number");
        } else if !(min..=max).contains(&v) {
            check.fail(field, format!("must be between {min} and {max} {unit}"));
        }
    }
}

fn check_range_i32(
    check: &mut Check,
    field: &str,
    value: Option<i32>,
    min: i32,
    max: i32,
    unit: &str,
) {
    if value.is_some_and(|v| !(min..=max).contains(&v)) {
        check.fail(field, format!("must be between {min} and {max} {unit}"));
    }
}

fn check_finite(check: &mut Check, field: &str, value: Option<f64>) {
    if value.is_some_and(|v| !v.is_finite()) {
        check.fail(field, "must be a finite number");
    }
}

/// Whether `id` is an active account with one of `roles`.
fn is_active(conn: &mut PgConnection, id: Uuid, roles: &[Role]) -> Result<bool, ApiError> {
    Ok(crate::users::service::find(conn, id)?
        .is_some_and(|u| u.active && Role::parse(&u.role).is_some_and(|r| roles.contains(&r))))
}

// ----- Allergies -----

fn allergy_dto((r, name): Recorded<AllergyRow>) -> Result<Allergy, ApiError> {
    Ok(Allergy {
        id: r.id,
        patient_id: r.patient_id,
        substance: r.substance,
        reaction: r.reaction,
        severity: Code::parse(&r.severity)?,
        status: Code::parse(&r.status)?,
        onset_date: r.onset_date,
        note: r.note,
        provenance: provenance(r.recorded_by, name, r.recorded_at),
        version: r.version,
        entered_in_error: entered_in_error(
            r.entered_in_error_at,
            r.entered_in_error_by,
            r.entered_in_error_reason,
        ),
    })
}

pub fn list_allergies(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    query: ListQuery,
) -> Result<AllergyPage, ApiError> {
    let (items, next_cursor) = ALLERGIES.page(conn, user, meta, patient_id, query, allergy_dto)?;
    Ok(AllergyPage { items, next_cursor })
}

/// The patient's allergy `allergy_id`, also one entered in error; audited.
pub fn get_allergy(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    allergy_id: Uuid,
) -> Result<Allergy, ApiError> {
    ALLERGIES.get(conn, user, meta, patient_id, allergy_id, allergy_dto)
}

pub fn create_allergy(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    input: NewAllergy,
) -> Result<Allergy, ApiError> {
    let mut check = Check::new();
    let substance = required_text(&mut check, "substance", &input.substance, 200);
    let reaction = optional_text(&mut check, "reaction", input.reaction, 500);
    let note = optional_text(&mut check, "note", input.note, 2000);
    check_past_date(&mut check, "onset_date", input.onset_date);
    check.finish()?;
    let new = NewAllergyRow {
        patient_id,
        substance,
        reaction,
        severity: input.severity.code(),
        status: input.status.unwrap_or(ClinicalStatus::Active).code(),
        onset_date: input.onset_date,
        note,
        recorded_by: user.id,
    };
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let id = repo::insert_allergy(conn, &new)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "create",
            ALLERGIES.entity,
            Some(id.to_string()),
        )?;
        allergy_dto(ALLERGIES.require(conn, patient_id, id)?)
    })
}

pub fn update_allergy(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    allergy_id: Uuid,
    version: Result<i32, ApiError>,
    input: UpdateAllergy,
) -> Result<Allergy, ApiError> {
    let mut check = Check::new();
    let changes = AllergyChanges {
        reaction: changed_text(&mut check, "reaction", input.reaction, 500),
        severity: input.severity.map(Code::code),
        status: input.status.map(Code::code),
        note: changed_text(&mut check, "note", input.note, 2000),
    };
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let (current, _) = ALLERGIES.require_changeable(conn, patient_id, allergy_id)?;
        if !repo::update_allergy(conn, patient_id, allergy_id, version, &changes)? {
            return Err(ALLERGIES.stale(current.version));
        }
        allergy_dto(ALLERGIES.updated(conn, user, meta, patient_id, allergy_id)?)
    })
}

pub fn mark_allergy(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    allergy_id: Uuid,
    input: MarkEnteredInError,
) -> Result<Allergy, ApiError> {
    allergy_dto(ALLERGIES.mark(conn, user, meta, patient_id, allergy_id, input)?)
}

// ----- Conditions -----

fn condition_dto((r, name): Recorded<ConditionRow>) -> Result<Condition, ApiError> {
    Ok(Condition {
        id: r.id,
        patient_id: r.patient_id,
        icd10_code: r.icd10_code,
        description: r.description,
        status: Code::parse(&r.status)?,
        onset_date: r.onset_date,
        resolved_date: r.resolved_date,
        note: r.note,
        provenance: provenance(r.recorded_by, name, r.recorded_at),
        version: r.version,
        entered_in_error: entered_in_error(
            r.entered_in_error_at,
            r.entered_in_error_by,
            r.entered_in_error_reason,
        ),
    })
}

pub fn list_conditions(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    query: ListQuery,
) -> Result<ConditionPage, ApiError> {
    let (items, next_cursor) =
        CONDITIONS.page(conn, user, meta, patient_id, query, condition_dto)?;
    Ok(ConditionPage { items, next_cursor })
}

/// The patient's condition `condition_id`, also one entered in error; audited.
pub fn get_condition(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    condition_id: Uuid,
) -> Result<Condition, ApiError> {
    CONDITIONS.get(conn, user, meta, patient_id, condition_id, condition_dto)
}

pub fn create_condition(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    input: NewCondition,
) -> Result<Condition, ApiError> {
    let mut check = Check::new();
    let icd10_code = check_icd10(&mut check, &input.icd10_code);
    let description = required_text(&mut check, "description", &input.description, 300);
    check_past_date(&mut check, "onset_date", input.onset_date);
    let note = optional_text(&mut check, "note", input.note, 2000);
    check.finish()?;
    let new = NewConditionRow {
        patient_id,
        icd10_code,
        description,
        status: input.status.unwrap_or(ClinicalStatus::Active).code(),
        onset_date: input.onset_date,
        note,
        recorded_by: user.id,
    };
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let id = repo::insert_condition(conn, &new)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "create",
            CONDITIONS.entity,
            Some(id.to_string()),
        )?;
        condition_dto(CONDITIONS.require(conn, patient_id, id)?)
    })
}

/// Changes status, resolved date or note. Resolving defaults the resolved date to today; a
/// condition that is active or inactive has no resolved date.
pub fn update_condition(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    condition_id: Uuid,
    version: Result<i32, ApiError>,
    input: UpdateCondition,
) -> Result<Condition, ApiError> {
    let mut check = Check::new();
    check_past_date(&mut check, "resolved_date", input.resolved_date);
    let note = changed_text(&mut check, "note", input.note, 2000);
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let (current, _) = CONDITIONS.require_changeable(conn, patient_id, condition_id)?;
        if current.version != version {
            return Err(CONDITIONS.stale(current.version));
        }
        let status = match input.status {
            Some(s) => s,
            None => Code::parse(&current.status)?,
        };
        let mut check = Check::new();
        let resolved_date = match (status, input.resolved_date) {
            (ClinicalStatus::Resolved, Some(d)) => Some(Some(d)),
            (ClinicalStatus::Resolved, None) if current.resolved_date.is_none() => Some(Some(
                Utc::now()
                    .date_naive()
                    .max(current.onset_date.unwrap_or_default()),
            )),
            (ClinicalStatus::Resolved, None) => None,
            (_, Some(_)) => {
                check.fail(
                    "resolved_date",
                    "only a resolved condition has a resolved date",
                );
                None
            }
            (_, None) => current.resolved_date.map(|_| None),
        };
        if let (Some(Some(resolved)), Some(onset)) = (resolved_date, current.onset_date) {
            if resolved < onset {
                check.fail("resolved_date", "must not be before the onset date");
            }
        }
        check.finish()?;
        let changes = ConditionChanges {
            status: input.status.map(Code::code),
            resolved_date,
            note,
        };
        if !repo::update_condition(conn, patient_id, condition_id, version, &changes)? {
            return Err(CONDITIONS.stale(current.version));
        }
        condition_dto(CONDITIONS.updated(conn, user, meta, patient_id, condition_id)?)
    })
}

pub fn mark_condition(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    condition_id: Uuid,
    input: MarkEnteredInError,
) -> Result<Condition, ApiError> {
    condition_dto(CONDITIONS.mark(conn, user, meta, patient_id, condition_id, input)?)
}

// ----- Medications -----

fn medication_dto((r, recorder, prescriber): NamedMedication) -> Result<Medication, ApiError> {
    Ok(Medication {
        id: r.id,
        patient_id: r.patient_id,
        drug: r.drug,
        dose: r.dose,
        route: Code::parse(&r.route)?,
        frequency: r.frequency,
        start_date: r.start_date,
        end_date: r.end_date,
        status: Code::parse(&r.status)?,
        prescriber_id: r.prescriber_id,
        prescriber_name: prescriber,
        note: r.note,
        provenance: provenance(r.recorded_by, recorder, r.recorded_at),
        version: r.version,
        entered_in_error: entered_in_error(
            r.entered_in_error_at,
            r.entered_in_error_by,
            r.entered_in_error_reason,
        ),
    })
}

pub fn list_medications(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    query: ListQuery,
) -> Result<MedicationPage, ApiError> {
    let (items, next_cursor) =
        MEDICATIONS.page(conn, user, meta, patient_id, query, medication_dto)?;
    Ok(MedicationPage { items, next_cursor })
}

/// Whether `medication_id` is one of the patient's active medications, not entered in error
/// (not audited: no clinical content leaves this function). Dispensing checks the order it
/// fills with it.
pub fn is_active_medication_of(
    conn: &mut PgConnection,
    patient_id: Uuid,
    medication_id: Uuid,
) -> Result<bool, ApiError> {
    Ok(repo::find_medication(conn, patient_id, medication_id)?
        .is_some_and(|(m, _, _)| m.status == "active" && m.entered_in_error_at.is_none()))
}

/// The patient's medication `medication_id`, also one entered in error; audited.
pub fn get_medication(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    medication_id: Uuid,
) -> Result<Medication, ApiError> {
    MEDICATIONS.get(conn, user, meta, patient_id, medication_id, medication_dto)
}

/// Prescribes a medication (status `active`). The prescriber defaults to the caller when the
/// caller is a doctor; otherwise it is required and must be an active doctor.
pub fn create_medication(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    input: NewMedication,
) -> Result<Medication, ApiError> {
    let mut check = Check::new();
    let drug = required_text(&mut check, "drug", &input.drug, 200);
    let dose = required_text(&mut check, "dose", &input.dose, 100);
    let frequency = required_text(&mut check, "frequency", &input.frequency, 100);
    check_recent_date(&mut check, "start_date", Some(input.start_date));
    if input.end_date.is_some_and(|end| end < input.start_date) {
        check.fail("end_date", "must not be before the start date");
    }
    let note = optional_text(&mut check, "note", input.note, 2000);
    let prescriber_id = match input.prescriber_id {
        None if user.role == Role::Doctor => user.id,
        None => {
            check.fail("prescriber_id", "is required unless you are a doctor");
            user.id
        }
        Some(id) => {
            if !is_active(conn, id, &[Role::Doctor])? {
                check.fail(
                    "prescriber_id",
                    "must be the id of an active doctor's account",
                );
            }
            id
        }
    };
    check.finish()?;
    let new = NewMedicationRow {
        patient_id,
        drug,
        dose,
        route: input.route.code(),
        frequency,
        start_date: input.start_date,
        end_date: input.end_date,
        status: MedicationStatus::Active.code(),
        prescriber_id,
        note,
        recorded_by: user.id,
    };
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let id = repo::insert_medication(conn, &new)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "create",
            MEDICATIONS.entity,
            Some(id.to_string()),
        )?;
        medication_dto(MEDICATIONS.require(conn, patient_id, id)?)
    })
}

/// Changes status, end date or note. Stopping or completing sets the end date (default today,
/// or the start date when that is later); restarting without an end date clears it.
pub fn update_medication(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    medication_id: Uuid,
    version: Result<i32, ApiError>,
    input: UpdateMedication,
) -> Result<Medication, ApiError> {
    let mut check = Check::new();
    check_recent_date(&mut check, "end_date", input.end_date);
    let note = changed_text(&mut check, "note", input.note, 2000);
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let (current, _, _) = MEDICATIONS.require_changeable(conn, patient_id, medication_id)?;
        if current.version != version {
            return Err(MEDICATIONS.stale(current.version));
        }
        let was: MedicationStatus = Code::parse(&current.status)?;
        let end_date = match (input.status, input.end_date) {
            (_, Some(end)) => Some(Some(end)),
            (Some(MedicationStatus::Stopped | MedicationStatus::Completed), None)
                if was == MedicationStatus::Active || current.end_date.is_none() =>
            {
                Some(Some(Utc::now().date_naive().max(current.start_date)))
            }
            (Some(MedicationStatus::Active), None) if was != MedicationStatus::Active => Some(None),
            _ => None,
        };
        let mut check = Check::new();
        if let Some(Some(end)) = end_date {
            if end < current.start_date {
                check.fail("end_date", "must not be before the start date");
            }
        }
        check.finish()?;
        let changes = MedicationChanges {
            status: input.status.map(Code::code),
            end_date,
            note,
        };
        if !repo::update_medication(conn, patient_id, medication_id, version, &changes)? {
            return Err(MEDICATIONS.stale(current.version));
        }
        medication_dto(MEDICATIONS.updated(conn, user, meta, patient_id, medication_id)?)
    })
}

pub fn mark_medication(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    medication_id: Uuid,
    input: MarkEnteredInError,
) -> Result<Medication, ApiError> {
    medication_dto(MEDICATIONS.mark(conn, user, meta, patient_id, medication_id, input)?)
}

// ----- Vital signs -----

/// Body-mass index (kg/m²) to one decimal, when weight and height are both known.
fn bmi(weight_kg: Option<f64>, height_cm: Option<f64>) -> Option<f64> {
    let metres = height_cm? / 100.0;
    let bmi = weight_kg? / (metres * metres);
    Some((bmi * 10.0).round() / 10.0)
}

fn vitals_dto((r, name): Recorded<VitalsRow>) -> VitalSigns {
    VitalSigns {
        id: r.id,
        patient_id: r.patient_id,
        measured_at: r.measured_at,
        systolic_mmhg: r.systolic_mmhg,
        diastolic_mmhg: r.diastolic_mmhg,
        heart_rate_bpm: r.heart_rate_bpm,
        temperature_c: r.temperature_c,
        spo2_percent: r.spo2_percent,
        respiratory_rate: r.respiratory_rate,
        weight_kg: r.weight_kg,
        height_cm: r.height_cm,
        bmi: bmi(r.weight_kg, r.height_cm),
        note: r.note,
        provenance: provenance(r.recorded_by, name, r.recorded_at),
        entered_in_error: entered_in_error(
            r.entered_in_error_at,
            r.entered_in_error_by,
            r.entered_in_error_reason,
        ),
    }
}

/// Plausible ranges, blood pressure as a pair, at least one measurement, not in the future.
fn check_vitals(check: &mut Check, v: &NewVitalSigns, measured_at: DateTime<Utc>) {
    check_past_time(check, "measured_at", measured_at);
    check_range_i32(check, "systolic_mmhg", v.systolic_mmhg, 40, 300, "mmHg");
    check_range_i32(check, "diastolic_mmhg", v.diastolic_mmhg, 20, 200, "mmHg");
    match (v.systolic_mmhg, v.diastolic_mmhg) {
        (Some(_), None) => {
            check.fail("diastolic_mmhg", "is required with systolic_mmhg");
        }
        (None, Some(_)) => {
            check.fail("systolic_mmhg", "is required with diastolic_mmhg");
        }
        (Some(s), Some(d)) if (40..=300).contains(&s) && (20..=200).contains(&d) && d >= s => {
            check.fail("diastolic_mmhg", "must be lower than systolic_mmhg");
        }
        _ => {}
    }
    check_range_i32(
        check,
        "heart_rate_bpm",
        v.heart_rate_bpm,
        20,
        300,
        "beats per minute",
    );
    check_range_f64(check, "temperature_c", v.temperature_c, 25.0, 45.0, "°C");
    check_range_i32(check, "spo2_percent", v.spo2_percent, 50, 100, "%");
    check_range_i32(
        check,
        "respiratory_rate",
        v.respiratory_rate,
        4,
        80,
        "breaths per minute",
    );
    check_range_f64(check, "weight_kg", v.weight_kg, 0.2, 500.0, "kg");
    check_range_f64(check, "height_cm", v.height_cm, 20.0, 280.0, "cm");
    let measured = [
        v.systolic_mmhg.is_some(),
        v.diastolic_mmhg.is_some(),
        v.heart_rate_bpm.is_some(),
        v.temperature_c.is_some(),
        v.spo2_percent.is_some(),
        v.respiratory_rate.is_some(),
        v.weight_kg.is_some(),
        v.height_cm.is_some(),
    ];
    if !measured.contains(&true) {
        check.fail("body", "must contain at least one measurement");
    }
}

pub fn list_vitals(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    query: ListQuery,
) -> Result<VitalSignsPage, ApiError> {
    let (items, next_cursor) =
        VITALS.page(conn, user, meta, patient_id, query, |r| Ok(vitals_dto(r)))?;
    Ok(VitalSignsPage { items, next_cursor })
}

/// The patient's vital signs `vitals_id`, also ones entered in error; audited.
pub fn get_vitals(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    vitals_id: Uuid,
) -> Result<VitalSigns, ApiError> {
    VITALS.get(conn, user, meta, patient_id, vitals_id, |r| {
        Ok(vitals_dto(r))
    })
}

pub fn record_vitals(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    input: NewVitalSigns,
) -> Result<VitalSigns, ApiError> {
    let mut check = Check::new();
    let measured_at = input.measured_at.unwrap_or_else(Utc::now);
    check_vitals(&mut check, &input, measured_at);
    let note = optional_text(&mut check, "note", input.note, 2000);
    check.finish()?;
    let new = NewVitalsRow {
        patient_id,
        measured_at,
        systolic_mmhg: input.systolic_mmhg,
        diastolic_mmhg: input.diastolic_mmhg,
        heart_rate_bpm: input.heart_rate_bpm,
        temperature_c: input.temperature_c,
        spo2_percent: input.spo2_percent,
        respiratory_rate: input.respiratory_rate,
        weight_kg: input.weight_kg,
        height_cm: input.height_cm,
        note,
        recorded_by: user.id,
    };
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let id = repo::insert_vitals(conn, &new)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "create",
            VITALS.entity,
            Some(id.to_string()),
        )?;
        Ok(vitals_dto(VITALS.require(conn, patient_id, id)?))
    })
}

pub fn mark_vitals(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    vitals_id: Uuid,
    input: MarkEnteredInError,
) -> Result<VitalSigns, ApiError> {
    Ok(vitals_dto(
        VITALS.mark(conn, user, meta, patient_id, vitals_id, input)?,
    ))
}

// ----- Encounters and clinical notes -----

fn note_dto((r, author): Recorded<NoteRow>) -> Result<ClinicalNote, ApiError> {
    Ok(ClinicalNote {
        id: r.id,
        encounter_id: r.encounter_id,
        note_type: Code::parse(&r.note_type)?,
        body: r.body,
        author_id: r.author_id,
        author_name: author,
        written_at: r.written_at,
        entered_in_error: entered_in_error(
            r.entered_in_error_at,
            r.entered_in_error_by,
            r.entered_in_error_reason,
        ),
    })
}

fn encounter_dto(
    (r, recorder, clinician): NamedEncounter,
    notes: Vec<ClinicalNote>,
) -> Result<Encounter, ApiError> {
    Ok(Encounter {
        id: r.id,
        patient_id: r.patient_id,
        encounter_type: Code::parse(&r.encounter_type)?,
        started_at: r.started_at,
        ended_at: r.ended_at,
        reason: r.reason,
        clinician_id: r.clinician_id,
        clinician_name: clinician,
        notes,
        provenance: provenance(r.recorded_by, recorder, r.recorded_at),
        version: r.version,
        entered_in_error: entered_in_error(
            r.entered_in_error_at,
            r.entered_in_error_by,
            r.entered_in_error_reason,
        ),
    })
}

/// Attaches to each encounter its newest [`MAX_EMBEDDED_NOTES`] notes (one query for all),
/// oldest first.
fn with_notes(
    conn: &mut PgConnection,
    rows: Vec<NamedEncounter>,
    include_entered_in_error: bool,
) -> Result<Vec<Encounter>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|(r, _, _)| r.id).collect();
    let mut notes: HashMap<Uuid, Vec<ClinicalNote>> = HashMap::new();
    for row in repo::notes_of(conn, &ids, include_entered_in_error, EMBEDDED_NOTES)? {
        let note = note_dto(row)?;
        notes.entry(note.encounter_id).or_default().push(note);
    }
    rows.into_iter()
        .map(|row| {
            let mine = notes.remove(&row.0.id).unwrap_or_default();
            encounter_dto(row, mine)
        })
        .collect()
}

/// The patient's encounter `id` with its newest notes (those entered in error included).
fn load_encounter(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
) -> Result<Encounter, ApiError> {
    let row = ENCOUNTERS.require(conn, patient_id, id)?;
    let mut encounters = with_notes(conn, vec![row], true)?;
    encounters.pop().ok_or_else(|| ENCOUNTERS.not_found())
}

/// One page of encounters, newest first, each with its notes (notes entered in error only
/// with `include_entered_in_error`).
pub fn list_encounters(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    query: ListQuery,
) -> Result<EncounterPage, ApiError> {
    let page = PageRequest::check(query)?;
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let mut rows = (ENCOUNTERS.list)(conn, patient_id, &page.filter)?;
        let next_cursor =
            pagination::next_cursor(&mut rows, page.limit, |r| cursor_key((ENCOUNTERS.key)(r)));
        audit(
            conn,
            user,
            meta,
            patient_id,
            "read",
            ENCOUNTERS.entity,
            None,
        )?;
        let items = with_notes(conn, rows, page.filter.include_entered_in_error)?;
        Ok(EncounterPage { items, next_cursor })
    })
}

/// The patient's encounter `encounter_id` (also one entered in error) with its newest notes,
/// those entered in error included; audited.
pub fn get_encounter(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    encounter_id: Uuid,
) -> Result<Encounter, ApiError> {
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let encounter = load_encounter(conn, patient_id, encounter_id)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "read",
            ENCOUNTERS.entity,
            Some(encounter_id.to_string()),
        )?;
        Ok(encounter)
    })
}

/// Validates that `id` may be named as the clinician of an encounter: an active doctor or nurse.
fn check_clinician(
    conn: &mut PgConnection,
    check: &mut Check,
    user: &AuthUser,
    id: Option<Uuid>,
) -> Result<Uuid, ApiError> {
    match id {
        None => Ok(user.id),
        Some(id) if id == user.id => Ok(id),
        Some(id) => {
            if !is_active(conn, id, &[Role::Doctor, Role::Nurse])? {
                check.fail(
                    "clinician_id",
                    "must be the id of an active doctor's or nurse's account",
                );
            }
            Ok(id)
        }
    }
}

pub fn create_encounter(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    input: NewEncounter,
) -> Result<Encounter, ApiError> {
    let mut check = Check::new();
    let started_at = input.started_at.unwrap_or_else(Utc::now);
    check_past_time(&mut check, "started_at", started_at);
    if let Some(ended) = input.ended_at {
        check_past_time(&mut check, "ended_at", ended);
        if ended < started_at {
            check.fail("ended_at", "must not be before started_at");
        }
    }
    let reason = required_text(&mut check, "reason", &input.reason, 500);
    let clinician_id = check_clinician(conn, &mut check, user, input.clinician_id)?;
    check.finish()?;
    let new = NewEncounterRow {
        patient_id,
        encounter_type: input.encounter_type.code(),
        started_at,
        ended_at: input.ended_at,
        reason,
        clinician_id,
        recorded_by: user.id,
    };
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let id = repo::insert_encounter(conn, &new)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "create",
            ENCOUNTERS.entity,
            Some(id.to_string()),
        )?;
        load_encounter(conn, patient_id, id)
    })
}

/// Ends an encounter or corrects its reason.
pub fn update_encounter(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    encounter_id: Uuid,
    version: Result<i32, ApiError>,
    input: UpdateEncounter,
) -> Result<Encounter, ApiError> {
    let mut check = Check::new();
    if let Some(ended) = input.ended_at {
        check_past_time(&mut check, "ended_at", ended);
    }
    let reason = input
        .reason
        .map(|r| required_text(&mut check, "reason", &r, 500));
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let (current, _, _) = ENCOUNTERS.require_changeable(conn, patient_id, encounter_id)?;
        if current.version != version {
            return Err(ENCOUNTERS.stale(current.version));
        }
        if input
            .ended_at
            .is_some_and(|ended| ended < current.started_at)
        {
            return Err(ApiError::invalid(
                "ended_at",
                "must not be before started_at",
            ));
        }
        let changes = EncounterChanges {
            ended_at: input.ended_at,
            reason,
        };
        if !repo::update_encounter(conn, patient_id, encounter_id, version, &changes)? {
            return Err(ENCOUNTERS.stale(current.version));
        }
        audit(
            conn,
            user,
            meta,
            patient_id,
            "update",
            ENCOUNTERS.entity,
            Some(encounter_id.to_string()),
        )?;
        load_encounter(conn, patient_id, encounter_id)
    })
}

pub fn mark_encounter(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    encounter_id: Uuid,
    input: MarkEnteredInError,
) -> Result<Encounter, ApiError> {
    let row = ENCOUNTERS.mark(conn, user, meta, patient_id, encounter_id, input)?;
    let mut encounters = with_notes(conn, vec![row], true)?;
    encounters.pop().ok_or_else(|| ENCOUNTERS.not_found())
}

/// Adds a note to an encounter (not to one entered in error); the caller is the author.
pub fn add_note(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    encounter_id: Uuid,
    input: NewClinicalNote,
) -> Result<ClinicalNote, ApiError> {
    Check::new()
        .multiline("body", &input.body, 20_000)
        .finish()?;
    let new = NewNoteRow {
        encounter_id,
        patient_id,
        note_type: input.note_type.code(),
        body: input.body.trim().to_owned(),
        author_id: user.id,
    };
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        ENCOUNTERS.require_changeable(conn, patient_id, encounter_id)?;
        let id = repo::insert_note(conn, &new)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "create",
            "clinical_notes",
            Some(id.to_string()),
        )?;
        note_dto(require_note(conn, patient_id, encounter_id, id)?)
    })
}

/// The note `note_id` of the patient's encounter `encounter_id`, also one entered in error;
/// audited.
pub fn get_note(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    encounter_id: Uuid,
    note_id: Uuid,
) -> Result<ClinicalNote, ApiError> {
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let note = require_note(conn, patient_id, encounter_id, note_id)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "read",
            "clinical_notes",
            Some(note_id.to_string()),
        )?;
        note_dto(note)
    })
}

fn require_note(
    conn: &mut PgConnection,
    patient_id: Uuid,
    encounter_id: Uuid,
    id: Uuid,
) -> Result<Recorded<NoteRow>, ApiError> {
    repo::find_note(conn, patient_id, encounter_id, id)?
        .ok_or_else(|| ApiError::not_found("the clinical note"))
}

pub fn mark_note(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    encounter_id: Uuid,
    note_id: Uuid,
    input: MarkEnteredInError,
) -> Result<ClinicalNote, ApiError> {
    let reason = check_reason(&input)?;
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        require_note(conn, patient_id, encounter_id, note_id)?;
        let correction = Correction {
            by: user.id,
            reason: &reason,
        };
        if !repo::mark_note(conn, patient_id, encounter_id, note_id, &correction)? {
            return Err(already_marked("clinical note"));
        }
        audit(
            conn,
            user,
            meta,
            patient_id,
            "entered_in_error",
            "clinical_notes",
            Some(note_id.to_string()),
        )?;
        note_dto(require_note(conn, patient_id, encounter_id, note_id)?)
    })
}

// ----- Lab results -----

fn lab_result_dto((r, name): Recorded<LabResultRow>) -> Result<LabResult, ApiError> {
    Ok(LabResult {
        id: r.id,
        patient_id: r.patient_id,
        test_name: r.test_name,
        loinc_code: r.loinc_code,
        value_numeric: r.value_numeric,
        value_text: r.value_text,
        unit: r.unit,
        reference_low: r.reference_low,
        reference_high: r.reference_high,
        flag: Code::parse(&r.flag)?,
        collected_at: r.collected_at,
        reported_at: r.reported_at,
        provenance: provenance(r.recorded_by, name, r.recorded_at),
        entered_in_error: entered_in_error(
            r.entered_in_error_at,
            r.entered_in_error_by,
            r.entered_in_error_reason,
        ),
    })
}

/// The flag of a numeric value against its reference range: below → low, above → high,
/// otherwise normal. Critical flags are never computed, only given.
fn computed_flag(value: f64, low: Option<f64>, high: Option<f64>) -> LabFlag {
    if low.is_some_and(|low| value < low) {
        LabFlag::Low
    } else if high.is_some_and(|high| value > high) {
        LabFlag::High
    } else {
        LabFlag::Normal
    }
}

pub fn list_lab_results(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    query: ListQuery,
) -> Result<LabResultPage, ApiError> {
    let (items, next_cursor) =
        LAB_RESULTS.page(conn, user, meta, patient_id, query, lab_result_dto)?;
    Ok(LabResultPage { items, next_cursor })
}

/// The patient's lab result `result_id`, also one entered in error; audited.
pub fn get_lab_result(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    result_id: Uuid,
) -> Result<LabResult, ApiError> {
    LAB_RESULTS.get(conn, user, meta, patient_id, result_id, lab_result_dto)
}

pub fn record_lab_result(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    input: NewLabResult,
) -> Result<LabResult, ApiError> {
    let mut check = Check::new();
    let test_name = required_text(&mut check, "test_name", &input.test_name, 200);
    let loinc_code = optional_text(&mut check, "loinc_code", input.loinc_code, 20);
    let value_text = optional_text(&mut check, "value_text", input.value_text, 500);
    let unit = optional_text(&mut check, "unit", input.unit, 30);
    check_finite(&mut check, "value_numeric", input.value_numeric);
    check_finite(&mut check, "reference_low", input.reference_low);
    check_finite(&mut check, "reference_high", input.reference_high);
    if let (Some(low), Some(high)) = (input.reference_low, input.reference_high) {
        if low > high {
            check.fail("reference_high", "must not be below reference_low");
        }
    }
    let flag = match (input.value_numeric, &value_text, input.flag) {
        (Some(_), Some(_), flag) => {
            check.fail(
                "value_text",
                "give either value_numeric or value_text, not both",
            );
            flag.unwrap_or(LabFlag::Normal)
        }
        (None, None, flag) => {
            check.fail("value_numeric", "give value_numeric or value_text");
            flag.unwrap_or(LabFlag::Normal)
        }
        (Some(_), None, Some(flag)) | (None, Some(_), Some(flag)) => flag,
        (Some(value), None, None) => {
            computed_flag(value, input.reference_low, input.reference_high)
        }
        (None, Some(_), None) => {
            check.fail("flag", "is required for a text value");
            LabFlag::Normal
        }
    };
    check_past_time(&mut check, "collected_at", input.collected_at);
    check.finish()?;
    let new = NewLabResultRow {
        patient_id,
        test_name,
        loinc_code,
        value_numeric: input.value_numeric,
        value_text,
        unit,
        reference_low: input.reference_low,
        reference_high: input.reference_high,
        flag: flag.code(),
        collected_at: input.collected_at,
        recorded_by: user.id,
    };
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let id = repo::insert_lab_result(conn, &new)?;
        audit(
            conn,
            user,
            meta,
            patient_id,
            "create",
            LAB_RESULTS.entity,
            Some(id.to_string()),
        )?;
        lab_result_dto(LAB_RESULTS.require(conn, patient_id, id)?)
    })
}

pub fn mark_lab_result(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    result_id: Uuid,
    input: MarkEnteredInError,
) -> Result<LabResult, ApiError> {
    lab_result_dto(LAB_RESULTS.mark(conn, user, meta, patient_id, result_id, input)?)
}

// ----- Entries named without their patient -----

/// The kinds of entry that can be read by id alone (FHIR reads name no patient).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Allergy,
    Condition,
    Medication,
    Vitals,
}

/// The patient whose entry `id` is, or 404. Not audited: nothing clinical leaves this
/// function; the caller checks the role for that patient, then reads the entry with the
/// audited `get_*` function.
pub fn patient_of(conn: &mut PgConnection, kind: EntryKind, id: Uuid) -> Result<Uuid, ApiError> {
    let (table, noun) = match kind {
        EntryKind::Allergy => (ALLERGIES.entity, ALLERGIES.noun),
        EntryKind::Condition => (CONDITIONS.entity, CONDITIONS.noun),
        EntryKind::Medication => (MEDICATIONS.entity, MEDICATIONS.noun),
        EntryKind::Vitals => (VITALS.entity, VITALS.noun),
    };
    repo::owner_of(conn, table, id)?.ok_or_else(|| ApiError::not_found(&format!("the {noun}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(check: &mut Check) -> Vec<String> {
        match check.finish() {
            Ok(()) => Vec::new(),
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn icd10_codes_are_upper_cased_and_checked_for_shape_without_trimming() {
        for (input, ok) in [
            ("E11.9", true),
            ("i10", true),
            ("j45.909", true),
            ("S72.0011", true),
            (" J45.909", false),
            ("E11.9 ", false),
            ("E11.9\n", false),
            ("\u{131}10", false),
            ("E1\u{17f}", false),
            ("E11.", false),
            ("11.9", false),
            ("E1", false),
            ("E11.90000", false),
            ("E11-9", false),
            ("diabetes", false),
        ] {
            let mut check = Check::new();
            let code = check_icd10(&mut check, input);
            assert_eq!(check.finish().is_ok(), ok, "{input}");
            if ok {
                assert_eq!(code, input.to_uppercase());
            }
        }
    }

    #[test]
    fn impossible_vitals_name_every_field() {
        let mut check = Check::new();
        let v = NewVitalSigns {
            systolic_mmhg: Some(90),
            diastolic_mmhg: Some(120),
            spo2_percent: Some(130),
            temperature_c: Some(60.0),
            weight_kg: Some(f64::NAN),
            ..Default::default()
        };

        check_vitals(&mut check, &v, Utc::now());

        assert_eq!(
            fields(&mut check),
            [
                "diastolic_mmhg",
                "temperature_c",
                "spo2_percent",
                "weight_kg"
            ]
        );
    }

    #[test]
    fn vitals_need_a_measurement_and_both_blood_pressure_values() {
        let mut empty = Check::new();
        check_vitals(&mut empty, &NewVitalSigns::default(), Utc::now());
        assert_eq!(fields(&mut empty), ["body"]);

        let mut half = Check::new();
        let v = NewVitalSigns {
            systolic_mmhg: Some(120),
            ..Default::default()
        };
        check_vitals(&mut half, &v, Utc::now());
        assert_eq!(fields(&mut half), ["diastolic_mmhg"]);
    }

    #[test]
    fn a_measurement_a_few_minutes_ahead_is_clock_skew_but_an_hour_is_the_future() {
        let v = NewVitalSigns {
            heart_rate_bpm: Some(70),
            ..Default::default()
        };
        let mut skew = Check::new();
        check_vitals(&mut skew, &v, Utc::now() + Duration::minutes(3));
        assert!(skew.finish().is_ok());

        let mut future = Check::new();
        check_vitals(&mut future, &v, Utc::now() + Duration::hours(1));
        assert_eq!(fields(&mut future), ["measured_at"]);
    }

    #[test]
    fn bmi_is_weight_over_height_squared_to_one_decimal() {
        assert_eq!(bmi(Some(70.0), Some(175.0)), Some(22.9));
        assert_eq!(bmi(Some(70.0), None), None);
        assert_eq!(bmi(None, Some(175.0)), None);
    }

    #[test]
    fn the_lab_flag_follows_the_reference_range() {
        assert_eq!(computed_flag(3.0, Some(4.0), Some(5.6)), LabFlag::Low);
        assert_eq!(computed_flag(7.1, Some(4.0), Some(5.6)), LabFlag::High);
        assert_eq!(computed_flag(5.0, Some(4.0), Some(5.6)), LabFlag::Normal);
        assert_eq!(computed_flag(5.0, None, None), LabFlag::Normal);
        assert_eq!(computed_flag(9.0, None, Some(5.6)), LabFlag::High);
    }

    #[test]
    fn a_cursor_keeps_microseconds_and_round_trips() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T10:11:12.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let k = Keyset {
            at,
            id: Uuid::new_v4(),
        };

        assert_eq!(parse_cursor(&cursor_key(k)), Some(k));
        assert_eq!(parse_cursor("yesterday|nobody"), None);
    }

    #[test]
    fn clinical_dates_lie_within_the_last_150_years_and_not_ahead() {
        let today = Utc::now().date_naive();
        let ancient = NaiveDate::from_ymd_opt(1700, 1, 1);
        let next_week = Some(today + Duration::days(7));
        let mut check = Check::new();

        check_past_date(&mut check, "today", Some(today));
        check_past_date(&mut check, "ancient", ancient);
        check_past_date(&mut check, "next_week", next_week);
        check_recent_date(&mut check, "planned", next_week);
        check_recent_date(&mut check, "planned_ancient", ancient);
        check_past_time(&mut check, "long_ago", DateTime::<Utc>::MIN_UTC);

        assert_eq!(
            fields(&mut check),
            ["ancient", "next_week", "planned_ancient", "long_ago"]
        );
    }

    #[test]
    fn a_patch_with_empty_optional_text_clears_it() {
        let mut check = Check::new();
        assert_eq!(
            changed_text(&mut check, "note", Some(String::new()), 10),
            Some(None)
        );
        assert_eq!(changed_text(&mut check, "note", None, 10), None);
        assert_eq!(
            changed_text(&mut check, "note", Some(" x ".into()), 10),
            Some(Some("x".into()))
        );
        assert!(check.finish().is_ok());
    }
}
