//! Patients: demographics, search results, duplicate candidates, the access log.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Role;

/// Administrative sex, as recorded for care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    pub const ALL: [Sex; 4] = [Sex::Female, Sex::Male, Sex::Other, Sex::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Sex> {
        Sex::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A postal address; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub line: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub city: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20))]
    pub postal_code: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub country: Option<String>,
}

/// Who to call in an emergency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmergencyContact {
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub relationship: Option<String>,
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 30, pattern = r"^([+(0-9][0-9 ()./-]{3,28}[0-9])?$")
    )]
    pub phone: String,
}

/// A registered patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Patient {
    pub id: Uuid,
    /// Medical record number, assigned by HMS at registration; unique and never reused.
    #[cfg_attr(feature = "openapi", schema(example = "MRN-100042"))]
    pub mrn: String,
    #[cfg_attr(feature = "openapi", schema(example = "María"))]
    pub given_name: String,
    #[cfg_attr(feature = "openapi", schema(example = "González"))]
    pub family_name: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Address,
    pub emergency_contact: Option<EmergencyContact>,
    /// BCP 47 language tag, e.g. `es` or `pt-BR`.
    pub preferred_language: Option<String>,
    /// Inactive patients are kept (records are never deleted) but hidden from search by default.
    pub active: bool,
    /// Send back as `If-Match` (or `version`) when updating.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/patients`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "given_name": "María",
    "family_name": "González",
    "birth_date": "1984-03-12",
    "sex": "female",
    "phone": "+34 600 123 456",
    "preferred_language": "es"
})))]
#[serde(deny_unknown_fields)]
pub struct CreatePatient {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub given_name: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub family_name: String,
    /// Not in the future, not more than 150 years ago.
    pub birth_date: NaiveDate,
    pub sex: Sex,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 30, pattern = r"^([+(0-9][0-9 ()./-]{3,28}[0-9])?$")
    )]
    pub phone: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_object::optional_object")]
    pub address: Option<Address>,
    #[serde(default, deserialize_with = "crate::serde_object::optional_object")]
    pub emergency_contact: Option<EmergencyContact>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 35,
            pattern = r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3})?$"
        )
    )]
    pub preferred_language: Option<String>,
    /// Registration answers 409 `/problems/possible-duplicate` with the candidates when a
    /// patient with the same birth date and a similar name exists. Send `true` after checking
    /// them to register anyway.
    #[serde(default)]
    pub confirm_not_duplicate: bool,
}

/// Body of `PATCH /api/v1/patients/{id}`: only the fields present change. To clear an
/// optional field, send an empty string.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdatePatient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 30, pattern = r"^([+(0-9][0-9 ()./-]{3,28}[0-9])?$")
    )]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_object::optional_object"
    )]
    pub address: Option<Address>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_object::optional_object"
    )]
    pub emergency_contact: Option<EmergencyContact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 35,
            pattern = r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3})?$"
        )
    )]
    pub preferred_language: Option<String>,
    /// The version this change is based on, when `If-Match` is not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// One page of patients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientPage {
    pub items: Vec<Patient>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// An existing patient who may be the one being registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateCandidate {
    pub id: Uuid,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: NaiveDate,
    /// Name similarity from 0 to 1.
    pub similarity: f32,
}

/// One access to a patient's record, for "who viewed my record".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessLogEntry {
    pub occurred_at: DateTime<Utc>,
    /// Who did it; absent for system actions.
    pub actor_name: Option<String>,
    pub actor_role: Option<Role>,
    /// What was done, e.g. `read`, `search`, `create`, `update`.
    pub action: String,
    /// What part of the record, e.g. `patient`, `summary`, `allergies`.
    pub entity_type: String,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
}

/// One page of the access log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessLogPage {
    pub items: Vec<AccessLogEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
