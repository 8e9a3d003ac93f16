//! The medical record: allergies, conditions (problems and diagnoses), medications, vital
//! signs, encounters with clinical notes, lab results, and the summary a clinician reads first.
//!
//! Entries are never deleted. A wrong entry is marked as entered in error, with who, when and
//! why, and stays visible as such; lists leave it out unless `include_entered_in_error=true`,
//! and it stays readable at its own URL.
//!
//! Text fields: required ones need a visible character; single-line ones take no control
//! characters, clinical note bodies take line breaks and tabs. Text is stored trimmed. An
//! optional text that is empty or blank means none (and, in an update, clears the field).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::patients::Patient;

/// How many notes an [`Encounter`] embeds at most: its newest.
pub const MAX_EMBEDDED_NOTES: usize = 100;

/// Whether something still applies to the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClinicalStatus {
    Active,
    Inactive,
    Resolved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AllergySeverity {
    Mild,
    Moderate,
    Severe,
    LifeThreatening,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MedicationRoute {
    Oral,
    Intravenous,
    Intramuscular,
    Subcutaneous,
    Topical,
    Inhaled,
    Rectal,
    Sublingual,
    Transdermal,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MedicationStatus {
    Active,
    Completed,
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EncounterType {
    Outpatient,
    Inpatient,
    Emergency,
    Telehealth,
    HomeVisit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoteType {
    Progress,
    Admission,
    Discharge,
    Consultation,
    Procedure,
    Nursing,
}

/// How a lab value compares with its reference range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LabFlag {
    Normal,
    Low,
    High,
    CriticalLow,
    CriticalHigh,
    Abnormal,
}

/// Who recorded an entry, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provenance {
    pub recorded_by: Uuid,
    /// Display name of the author.
    pub recorded_by_name: String,
    pub recorded_at: DateTime<Utc>,
}

/// Present when an entry was marked as entered in error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnteredInError {
    pub at: DateTime<Utc>,
    pub by: Uuid,
    pub reason: String,
}

/// Body of `POST .../{entry_id}/entered-in-error`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarkEnteredInError {
    /// Why the entry is wrong, e.g. "recorded on the wrong patient".
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 500,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub reason: String,
}

macro_rules! page {
    ($page:ident, $item:ty) => {
        #[doc = concat!("One page of `", stringify!($item), "`, newest first.")]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $page {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub next_cursor: Option<String>,
        }
    };
}

// ----- Allergies -----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allergy {
    pub id: Uuid,
    pub patient_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Penicillin"))]
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: AllergySeverity,
    pub status: ClinicalStatus,
    pub onset_date: Option<NaiveDate>,
    pub note: Option<String>,
    pub provenance: Provenance,
    pub version: i32,
    pub entered_in_error: Option<EnteredInError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAllergy {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub substance: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 500, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub reaction: Option<String>,
    pub severity: AllergySeverity,
    /// Default `active`.
    #[serde(default)]
    pub status: Option<ClinicalStatus>,
    /// Not in the future, not more than 150 years ago.
    #[serde(default)]
    pub onset_date: Option<NaiveDate>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAllergy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 500, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub reaction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<AllergySeverity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ClinicalStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

page!(AllergyPage, Allergy);

// ----- Conditions (problems and diagnoses) -----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Condition {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// ICD-10 code as text, e.g. `E11.9`.
    #[cfg_attr(feature = "openapi", schema(example = "E11.9"))]
    pub icd10_code: String,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Type 2 diabetes mellitus without complications")
    )]
    pub description: String,
    pub status: ClinicalStatus,
    pub onset_date: Option<NaiveDate>,
    pub resolved_date: Option<NaiveDate>,
    pub note: Option<String>,
    pub provenance: Provenance,
    pub version: i32,
    pub entered_in_error: Option<EnteredInError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCondition {
    /// ICD-10 code: a letter, a digit, a digit or letter, then optionally a dot and one to
    /// four digits or letters, e.g. `E11.9` or `i10`; nothing around it. Stored upper-case.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 8,
            pattern = r"^[A-Za-z][0-9][0-9A-Za-z](\.[0-9A-Za-z]{1,4})?$",
            example = "E11.9"
        )
    )]
    pub icd10_code: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 300,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub description: String,
    /// Default `active`.
    #[serde(default)]
    pub status: Option<ClinicalStatus>,
    /// Not in the future, not more than 150 years ago.
    #[serde(default)]
    pub onset_date: Option<NaiveDate>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ClinicalStatus>,
    /// Only for a resolved condition (default today when resolving). Not in the future, not
    /// more than 150 years ago, not before the onset date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

page!(ConditionPage, Condition);

// ----- Medications -----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Medication {
    pub id: Uuid,
    pub patient_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Metformin"))]
    pub drug: String,
    #[cfg_attr(feature = "openapi", schema(example = "500 mg"))]
    pub dose: String,
    pub route: MedicationRoute,
    #[cfg_attr(feature = "openapi", schema(example = "twice daily"))]
    pub frequency: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub status: MedicationStatus,
    pub prescriber_id: Uuid,
    pub prescriber_name: String,
    pub note: Option<String>,
    pub provenance: Provenance,
    pub version: i32,
    pub entered_in_error: Option<EnteredInError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMedication {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub drug: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub dose: String,
    pub route: MedicationRoute,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub frequency: String,
    /// Not more than 150 years ago; may lie ahead.
    pub start_date: NaiveDate,
    /// Not before `start_date`.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// The prescribing doctor; default the signed-in user when they are a doctor.
    #[serde(default)]
    pub prescriber_id: Option<Uuid>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMedication {
    /// `stopped` or `completed` ends the medication (with `end_date`, default today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MedicationStatus>,
    /// Not before `start_date`, not more than 150 years ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

page!(MedicationPage, Medication);

// ----- Vital signs -----

/// One set of vital signs taken together. Units are fixed: mmHg, beats/min, °C, %, breaths/min,
/// kg, cm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VitalSigns {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub measured_at: DateTime<Utc>,
    pub systolic_mmhg: Option<i32>,
    pub diastolic_mmhg: Option<i32>,
    pub heart_rate_bpm: Option<i32>,
    pub temperature_c: Option<f64>,
    pub spo2_percent: Option<i32>,
    pub respiratory_rate: Option<i32>,
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
    /// Body-mass index, computed when weight and height are both present.
    pub bmi: Option<f64>,
    pub note: Option<String>,
    pub provenance: Provenance,
    pub entered_in_error: Option<EnteredInError>,
}

/// Body of `POST .../vitals`: at least one measurement; blood pressure needs both values.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVitalSigns {
    /// Default now; not in the future (give or take five minutes), not more than 150 years
    /// ago.
    #[serde(default)]
    pub measured_at: Option<DateTime<Utc>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 40, maximum = 300))]
    pub systolic_mmhg: Option<i32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 20, maximum = 200))]
    pub diastolic_mmhg: Option<i32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 20, maximum = 300))]
    pub heart_rate_bpm: Option<i32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 25, maximum = 45))]
    pub temperature_c: Option<f64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 50, maximum = 100))]
    pub spo2_percent: Option<i32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 4, maximum = 80))]
    pub respiratory_rate: Option<i32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0.2, maximum = 500))]
    pub weight_kg: Option<f64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 20, maximum = 280))]
    pub height_cm: Option<f64>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub note: Option<String>,
}

page!(VitalSignsPage, VitalSigns);

// ----- Encounters and clinical notes -----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClinicalNote {
    pub id: Uuid,
    pub encounter_id: Uuid,
    pub note_type: NoteType,
    pub body: String,
    pub author_id: Uuid,
    pub author_name: String,
    pub written_at: DateTime<Utc>,
    pub entered_in_error: Option<EnteredInError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Encounter {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub encounter_type: EncounterType,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub clinician_id: Uuid,
    pub clinician_name: String,
    /// The encounter's newest notes, at most 100, oldest first.
    /// Notes marked as entered in error are included when the encounter is read by id (and in
    /// the answers to changes); the list includes them only with
    /// `include_entered_in_error=true`.
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub notes: Vec<ClinicalNote>,
    pub provenance: Provenance,
    pub version: i32,
    pub entered_in_error: Option<EnteredInError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEncounter {
    pub encounter_type: EncounterType,
    /// Default now; not in the future (give or take five minutes), not more than 150 years
    /// ago.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// Not before `started_at`; not in the future (give or take five minutes).
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 500,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub reason: String,
    /// Default the signed-in user.
    #[serde(default)]
    pub clinician_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateEncounter {
    /// Not before `started_at`; not in the future (give or take five minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 500,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewClinicalNote {
    pub note_type: NoteType,
    /// May span lines: line breaks and tabs are kept, other control characters are refused.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 20000,
            pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
        )
    )]
    pub body: String,
}

page!(EncounterPage, Encounter);

// ----- Lab results -----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabResult {
    pub id: Uuid,
    pub patient_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Hemoglobin A1c"))]
    pub test_name: String,
    #[cfg_attr(feature = "openapi", schema(example = "4548-4"))]
    pub loinc_code: Option<String>,
    pub value_numeric: Option<f64>,
    pub value_text: Option<String>,
    pub unit: Option<String>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    pub flag: LabFlag,
    pub collected_at: DateTime<Utc>,
    pub reported_at: DateTime<Utc>,
    pub provenance: Provenance,
    pub entered_in_error: Option<EnteredInError>,
}

/// Body of `POST .../lab-results`: exactly one of `value_numeric` and `value_text`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLabResult {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub test_name: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 20, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub loinc_code: Option<String>,
    #[serde(default)]
    pub value_numeric: Option<f64>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 500, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub value_text: Option<String>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 30, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")
    )]
    pub unit: Option<String>,
    #[serde(default)]
    pub reference_low: Option<f64>,
    #[serde(default)]
    pub reference_high: Option<f64>,
    /// Computed from the reference range for numeric values when absent; required for text values.
    #[serde(default)]
    pub flag: Option<LabFlag>,
    /// Not in the future (give or take five minutes), not more than 150 years ago.
    pub collected_at: DateTime<Utc>,
}

page!(LabResultPage, LabResult);

// ----- Summary -----

/// What a clinician needs at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientSummary {
    pub patient: Patient,
    pub active_allergies: Vec<Allergy>,
    pub active_conditions: Vec<Condition>,
    pub current_medications: Vec<Medication>,
    pub latest_vitals: Option<VitalSigns>,
}
