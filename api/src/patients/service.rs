//! Patient rules: validation, the duplicate check, optimistic concurrency, search, and the
//! audit of every read and write. No actix types here.

use chrono::{Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use hms_api_types::patients::{
    AccessLogEntry, AccessLogPage, Address, CreatePatient, DuplicateCandidate, EmergencyContact,
    Patient, PatientPage, Sex, UpdatePatient,
};
use hms_api_types::Role;
use uuid::Uuid;

use super::model::{NewPatientRow, PatientChanges, PatientRow};
use super::repo::{self, After, Search, Tier};
use crate::audit::{self, RequestMeta};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination;
use crate::validate::{optional_text, Check};

/// Name similarity (0..1) from which a registration is flagged as a possible duplicate.
const DUPLICATE_THRESHOLD: f32 = 0.45;

pub fn to_dto(row: PatientRow) -> Patient {
    let emergency_contact = match (row.emergency_contact_name, row.emergency_contact_phone) {
        (Some(name), Some(phone)) => Some(EmergencyContact {
            name,
            relationship: row.emergency_contact_relationship,
            phone,
        }),
        _ => None,
    };
    Patient {
        id: row.id,
        mrn: row.mrn,
        given_name: row.given_name,
        family_name: row.family_name,
        birth_date: row.birth_date,
        sex: Sex::parse(&row.sex).unwrap_or(Sex::Unknown),
        phone: row.phone,
        email: row.email,
        address: Address {
            line: row.address_line,
            city: row.city,
            postal_code: row.postal_code,
            country: row.country,
        },
        emergency_contact,
        preferred_language: row.preferred_language,
        active: row.active,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Records that `user` did `action` on `entity_type` of `patient_id`'s record.
pub fn audit(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    action: &str,
    entity_type: &str,
    entity_id: Option<String>,
) -> QueryResult<()> {
    audit::record_for_patient(conn, meta, user, patient_id, action, entity_type, entity_id)
}

/// The patient, or 404. Does not audit: callers audit what they return.
pub fn require(conn: &mut PgConnection, patient_id: Uuid) -> Result<PatientRow, ApiError> {
    repo::find(conn, patient_id)?.ok_or_else(|| ApiError::not_found("the patient"))
}

/// Registers a patient and assigns the MRN. A likely duplicate (same birth date, similar name)
/// is refused with the candidates unless the caller confirmed it is not one.
pub fn register(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    input: CreatePatient,
) -> Result<Patient, ApiError> {
    let mut check = Check::new();
    check.text("given_name", &input.given_name, 1, 100).text(
        "family_name",
        &input.family_name,
        1,
        100,
    );
    check_birth_date(&mut check, input.birth_date);
    let contact = Contact::check(
        &mut check,
        input.phone,
        input.email,
        input.address.unwrap_or_default(),
        input.emergency_contact,
        input.preferred_language,
    );
    check.finish()?;
    let given = input.given_name.trim().to_owned();
    let family = input.family_name.trim().to_owned();
    conn.transaction(|conn| {
        if !input.confirm_not_duplicate {
            let similar =
                repo::similar(conn, &given, &family, input.birth_date, DUPLICATE_THRESHOLD)?;
            if !similar.is_empty() {
                return Err(ApiError::PossibleDuplicate(
                    similar
                        .into_iter()
                        .map(|s| DuplicateCandidate {
                            id: s.patient.id,
                            mrn: s.patient.mrn,
                            given_name: s.patient.given_name,
                            family_name: s.patient.family_name,
                            birth_date: s.patient.birth_date,
                            similarity: s.score,
                        })
                        .collect(),
                ));
            }
        }
        let row = repo::insert(
            conn,
            &NewPatientRow {
                given_name: given.clone(),
                family_name: family.clone(),
                birth_date: input.birth_date,
                sex: input.sex.as_str().to_owned(),
                phone: contact.phone,
                email: contact.email,
                address_line: contact.address.line,
                city: contact.address.city,
                postal_code: contact.address.postal_code,
                country: contact.address.country,
                emergency_contact_name: contact.emergency.as_ref().map(|e| e.name.clone()),
                emergency_contact_relationship: contact
                    .emergency
                    .as_ref()
                    .and_then(|e| e.relationship.clone()),
                emergency_contact_phone: contact.emergency.map(|e| e.phone),
                preferred_language: contact.language,
            },
        )?;
        audit(conn, user, meta, row.id, "create", "patient", None)?;
        Ok(to_dto(row))
    })
}

pub fn get(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
) -> Result<Patient, ApiError> {
    conn.transaction(|conn| {
        let row = require(conn, patient_id)?;
        audit(conn, user, meta, patient_id, "read", "patient", None)?;
        Ok(to_dto(row))
    })
}

/// Applies a PATCH based on `version` (checked after the body). Empty strings clear optional
/// fields.
pub fn update(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    version: Result<i32, ApiError>,
    input: UpdatePatient,
) -> Result<Patient, ApiError> {
    let mut check = Check::new();
    if let Some(v) = &input.given_name {
        check.text("given_name", v, 1, 100);
    }
    if let Some(v) = &input.family_name {
        check.text("family_name", v, 1, 100);
    }
    if let Some(d) = input.birth_date {
        check_birth_date(&mut check, d);
    }
    let phone = input.phone.map(|p| check_phone(&mut check, "phone", &p));
    let email = input.email.map(|e| check_email(&mut check, &e));
    let language = input
        .preferred_language
        .map(|l| check_language(&mut check, &l));
    let address = input.address.map(|a| check_address(&mut check, a));
    let emergency = input
        .emergency_contact
        .map(|e| check_emergency(&mut check, e));
    check.finish()?;
    let version = version?;
    let changes = PatientChanges {
        given_name: input.given_name.map(|v| v.trim().to_owned()),
        family_name: input.family_name.map(|v| v.trim().to_owned()),
        birth_date: input.birth_date,
        sex: input.sex.map(|s| s.as_str().to_owned()),
        phone,
        email,
        address_line: address.as_ref().map(|a| a.line.clone()),
        city: address.as_ref().map(|a| a.city.clone()),
        postal_code: address.as_ref().map(|a| a.postal_code.clone()),
        country: address.map(|a| a.country),
        emergency_contact_name: emergency
            .as_ref()
            .map(|e| e.as_ref().map(|e| e.name.clone())),
        emergency_contact_relationship: emergency
            .as_ref()
            .map(|e| e.as_ref().and_then(|e| e.relationship.clone())),
        emergency_contact_phone: emergency.map(|e| e.map(|e| e.phone)),
        preferred_language: language,
        active: None,
    };
    conn.transaction(|conn| {
        let current = require(conn, patient_id)?;
        let row =
            repo::update_if_version(conn, patient_id, version, &changes)?.ok_or_else(|| {
                ApiError::PreconditionFailed(format!(
                "the patient was changed by someone else (now version {}); reload and try again",
                current.version
            ))
            })?;
        audit(conn, user, meta, patient_id, "update", "patient", None)?;
        Ok(to_dto(row))
    })
}

/// Deactivates or reactivates a patient. Records are kept either way.
pub fn set_active(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    active: bool,
) -> Result<Patient, ApiError> {
    conn.transaction(|conn| {
        let row = repo::set_active(conn, patient_id, active)?
            .ok_or_else(|| ApiError::not_found("the patient"))?;
        let action = if active { "reactivate" } else { "deactivate" };
        audit(conn, user, meta, patient_id, action, "patient", None)?;
        Ok(to_dto(row))
    })
}

/// Query of the patient search.
pub struct SearchQuery {
    pub q: Option<String>,
    pub mrn: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Family name prefix (case and accents ignored).
    pub family: Option<String>,
    /// Given name prefix (case and accents ignored).
    pub given: Option<String>,
    pub include_inactive: bool,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A trimmed, non-empty name prefix.
fn prefix(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Searches patients. Every patient returned is audited as seen by the caller.
pub fn search(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    query: SearchQuery,
) -> Result<PatientPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, query.limit);
    let name = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if let Some(q) = name {
        check.text("q", q, 1, 100);
    }
    if let Some(mrn) = &query.mrn {
        check.text("mrn", mrn, 1, 30);
    }
    for (field, value) in [("family", &query.family), ("given", &query.given)] {
        if let Some(v) = value {
            check.text(field, v, 1, 100);
        }
    }
    let cursor = pagination::decode(&mut check, query.cursor.as_deref());
    let after = match cursor.as_deref().and_then(|c| c.rsplit_once('|')) {
        None if cursor.is_some() => {
            check.fail("cursor", "is not a cursor returned by this list");
            After::Start
        }
        None => After::Start,
        Some((key, id)) => {
            let tier = key
                .split_once(':')
                .and_then(|(tier, key)| Some((Tier::from_code(tier)?, key)));
            match (Uuid::parse_str(id), name, tier) {
                (Ok(id), Some(_), Some((tier, key)))
                    if tier != Tier::Similar || key.parse::<f32>().is_ok() =>
                {
                    After::Match(tier, key.to_owned(), id)
                }
                (Ok(id), None, _) => After::Name(key.to_owned(), id),
                _ => {
                    check.fail("cursor", "is not a cursor returned by this list");
                    After::Start
                }
            }
        }
    };
    check.finish()?;
    let search = Search {
        name: name.map(str::to_owned),
        mrn: query.mrn.map(|m| m.trim().to_uppercase()),
        birth_date: query.birth_date,
        family_prefix: prefix(query.family),
        given_prefix: prefix(query.given),
        include_inactive: query.include_inactive,
    };
    conn.transaction(|conn| {
        let mut rows = repo::search(conn, &search, &after, limit + 1)?;
        let next_cursor = pagination::next_cursor(&mut rows, limit, |r| {
            if r.tier.is_empty() {
                format!("{}|{}", r.key, r.patient.id)
            } else {
                format!("{}:{}|{}", r.tier, r.key, r.patient.id)
            }
        });
        let ids: Vec<Uuid> = rows.iter().map(|r| r.patient.id).collect();
        audit::record_patients_seen(conn, meta, user, &ids, "search")?;
        Ok(PatientPage {
            items: rows.into_iter().map(|r| to_dto(r.patient)).collect(),
            next_cursor,
        })
    })
}

/// Who accessed the patient's record, newest first. Reading it is itself audited.
pub fn access_log(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    patient_id: Uuid,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<AccessLogPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, limit);
    let before = pagination::decode(&mut check, cursor.as_deref())
        .map(|c| c.parse::<i64>())
        .transpose()
        .unwrap_or_else(|_| {
            check.fail("cursor", "is not a cursor returned by this list");
            None
        });
    check.finish()?;
    conn.transaction(|conn| {
        require(conn, patient_id)?;
        let mut rows = audit::for_patient(conn, patient_id, before, limit + 1)?;
        let next_cursor = pagination::next_cursor(&mut rows, limit, |r| r.id.to_string());
        audit(conn, user, meta, patient_id, "read", "access_log", None)?;
        Ok(AccessLogPage {
            items: rows
                .into_iter()
                .map(|r| AccessLogEntry {
                    occurred_at: r.occurred_at,
                    actor_name: r.actor_name,
                    actor_role: r.actor_role.as_deref().and_then(Role::parse),
                    action: r.action,
                    entity_type: r.entity_type,
                    client_addr: r.client_addr,
                    request_id: r.request_id,
                })
                .collect(),
            next_cursor,
        })
    })
}

fn check_birth_date(check: &mut Check, birth_date: NaiveDate) {
    let today = Utc::now().date_naive();
    if birth_date > today {
        check.fail("birth_date", "must not be in the future");
    } else if today.year() - birth_date.year() > 150 {
        check.fail("birth_date", "must be within the last 150 years");
    }
}

/// Contact details after validation; empty strings become `None`.
struct Contact {
    phone: Option<String>,
    email: Option<String>,
    address: Address,
    emergency: Option<EmergencyContact>,
    language: Option<String>,
}

impl Contact {
    fn check(
        check: &mut Check,
        phone: Option<String>,
        email: Option<String>,
        address: Address,
        emergency: Option<EmergencyContact>,
        language: Option<String>,
    ) -> Contact {
        Contact {
            phone: phone.and_then(|p| check_phone(check, "phone", &p)),
            email: email.and_then(|e| check_email(check, &e)),
            address: check_address(check, address),
            emergency: emergency.and_then(|e| check_emergency(check, e)),
            language: language.and_then(|l| check_language(check, &l)),
        }
    }
}

/// A phone number: digits, spaces and `( ) . / -` with an optional leading `+`, 5 to 30
/// characters, ending in a digit (the OpenAPI pattern says the same). Empty means none.
fn check_phone(check: &mut Check, field: &str, value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let chars: Vec<char> = v.chars().collect();
    let valid = (5..=30).contains(&chars.len())
        && (chars[0] == '+' || chars[0] == '(' || chars[0].is_ascii_digit())
        && chars[chars.len() - 1].is_ascii_digit()
        && chars[1..]
            .iter()
            .all(|c| c.is_ascii_digit() || " ()./-".contains(*c));
    if !valid {
        check.fail(field, "must be a phone number such as +44 20 7946 0958");
    }
    Some(v.to_owned())
}

fn check_email(check: &mut Check, value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    check.email("email", v);
    Some(v.to_lowercase())
}

/// A BCP 47 language tag such as `en`, `es` or `pt-BR`.
fn check_language(check: &mut Check, value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let mut parts = v.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest: Vec<&str> = parts.collect();
    let rest_ok = rest.len() <= 3
        && rest
            .iter()
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !(primary_ok && rest_ok) {
        check.fail(
            "preferred_language",
            "must be a language tag such as en, es or pt-BR",
        );
    }
    Some(v.to_owned())
}

fn check_address(check: &mut Check, a: Address) -> Address {
    Address {
        line: optional_text(check, "address.line", a.line, 200),
        city: optional_text(check, "address.city", a.city, 100),
        postal_code: optional_text(check, "address.postal_code", a.postal_code, 20),
        country: optional_text(check, "address.country", a.country, 100),
    }
}

/// An emergency contact needs a name and a phone; all parts empty means none.
fn check_emergency(check: &mut Check, e: EmergencyContact) -> Option<EmergencyContact> {
    let relationship = optional_text(check, "emergency_contact.relationship", e.relationship, 50);
    if e.name.trim().is_empty() && e.phone.trim().is_empty() && relationship.is_none() {
        return None;
    }
    check.text("emergency_contact.name", &e.name, 1, 200);
    let phone = check_phone(check, "emergency_contact.phone", &e.phone);
    if phone.is_none() {
        check.fail("emergency_contact.phone", "must not be empty");
    }
    Some(EmergencyContact {
        name: e.name.trim().to_owned(),
        relationship,
        phone: phone.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_common_formats_pass_and_letters_do_not() {
        for ok in ["+44 20 7946 0958", "(555) 123-4567", "0612345678"] {
            let mut check = Check::new();
            check_phone(&mut check, "phone", ok);
            assert!(check.finish().is_ok(), "{ok}");
        }
        for bad in ["call me", "12", "+44 20 7946 095x"] {
            let mut check = Check::new();
            check_phone(&mut check, "phone", bad);
            assert!(check.finish().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_birth_date_in_the_future_is_refused() {
        let mut check = Check::new();

        check_birth_date(&mut check, Utc::now().date_naive() + chrono::Days::new(1));

        assert!(check.finish().is_err());
    }

    #[test]
    fn language_tags_follow_bcp_47_shapes() {
        for (tag, ok) in [
            ("en", true),
            ("pt-BR", true),
            ("zh-Hant-TW", true),
            ("english", false),
            ("e", false),
        ] {
            let mut check = Check::new();
            check_language(&mut check, tag);
            assert_eq!(check.finish().is_ok(), ok, "{tag}");
        }
    }
}
