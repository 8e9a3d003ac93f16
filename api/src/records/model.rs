//! Diesel row types for the record tables. Never serialised: `service` converts them into the
//! wire types of `hms_api_types::records`.
//!
//! Every entry table has the same provenance (`recorded_by`, `recorded_at`) and correction
//! (`entered_in_error_*`) columns; enumerations are stored as their snake_case wire names.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    allergies, clinical_notes, conditions, encounters, lab_results, medications, vitals,
};

// ----- Allergies -----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = allergies, check_for_backend(diesel::pg::Pg))]
pub struct AllergyRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: String,
    pub status: String,
    pub onset_date: Option<NaiveDate>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub version: i32,
    pub entered_in_error_at: Option<DateTime<Utc>>,
    pub entered_in_error_by: Option<Uuid>,
    pub entered_in_error_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = allergies)]
pub struct NewAllergyRow {
    pub patient_id: Uuid,
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: &'static str,
    pub status: &'static str,
    pub onset_date: Option<NaiveDate>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
}

/// Columns a PATCH may change. For nullable columns, `Some(None)` clears the value.
#[derive(AsChangeset, Default)]
#[diesel(table_name = allergies)]
pub struct AllergyChanges {
    pub reaction: Option<Option<String>>,
    pub severity: Option<&'static str>,
    pub status: Option<&'static str>,
    pub note: Option<Option<String>>,
}

// ----- Conditions -----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = conditions, check_for_backend(diesel::pg::Pg))]
pub struct ConditionRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub icd10_code: String,
    pub description: String,
    pub status: String,
    pub onset_date: Option<NaiveDate>,
    pub resolved_date: Option<NaiveDate>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub version: i32,
    pub entered_in_error_at: Option<DateTime<Utc>>,
    pub entered_in_error_by: Option<Uuid>,
    pub entered_in_error_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = conditions)]
pub struct NewConditionRow {
    pub patient_id: Uuid,
    pub icd10_code: String,
    pub description: String,
    pub status: &'static str,
    pub onset_date: Option<NaiveDate>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = conditions)]
pub struct ConditionChanges {
    pub status: Option<&'static str>,
    pub resolved_date: Option<Option<NaiveDate>>,
    pub note: Option<Option<String>>,
}

// ----- Medications -----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = medications, check_for_backend(diesel::pg::Pg))]
pub struct MedicationRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub drug: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub status: String,
    pub prescriber_id: Uuid,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub version: i32,
    pub entered_in_error_at: Option<DateTime<Utc>>,
    pub entered_in_error_by: Option<Uuid>,
    pub entered_in_error_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = medications)]
pub struct NewMedicationRow {
    pub patient_id: Uuid,
    pub drug: String,
    pub dose: String,
    pub route: &'static str,
    pub frequency: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub status: &'static str,
    pub prescriber_id: Uuid,
    pub note: Option<String>,
    pub recorded_by: Uuid,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = medications)]
pub struct MedicationChanges {
    pub status: Option<&'static str>,
    pub end_date: Option<Option<NaiveDate>>,
    pub note: Option<Option<String>>,
}

// ----- Vital signs -----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = vitals, check_for_backend(diesel::pg::Pg))]
pub struct VitalsRow {
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
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub entered_in_error_at: Option<DateTime<Utc>>,
    pub entered_in_error_by: Option<Uuid>,
    pub entered_in_error_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = vitals)]
pub struct NewVitalsRow {
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
    pub note: Option<String>,
    pub recorded_by: Uuid,
}

// ----- Encounters and clinical notes -----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = encounters, check_for_backend(diesel::pg::Pg))]
pub struct EncounterRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub encounter_type: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub clinician_id: Uuid,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub version: i32,
    pub entered_in_error_at: Option<DateTime<Utc>>,
    pub entered_in_error_by: Option<Uuid>,
    pub entered_in_error_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = encounters)]
pub struct NewEncounterRow {
    pub patient_id: Uuid,
    pub encounter_type: &'static str,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub clinician_id: Uuid,
    pub recorded_by: Uuid,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = encounters)]
pub struct EncounterChanges {
    pub ended_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = clinical_notes, check_for_backend(diesel::pg::Pg))]
pub struct NoteRow {
    pub id: Uuid,
    pub encounter_id: Uuid,
    pub patient_id: Uuid,
    pub note_type: String,
    pub body: String,
    pub author_id: Uuid,
    pub written_at: DateTime<Utc>,
    pub entered_in_error_at: Option<DateTime<Utc>>,
    pub entered_in_error_by: Option<Uuid>,
    pub entered_in_error_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = clinical_notes)]
pub struct NewNoteRow {
    pub encounter_id: Uuid,
    pub patient_id: Uuid,
    pub note_type: &'static str,
    pub body: String,
    pub author_id: Uuid,
}

// ----- Lab results -----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lab_results, check_for_backend(diesel::pg::Pg))]
pub struct LabResultRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub test_name: String,
    pub loinc_code: Option<String>,
    pub value_numeric: Option<f64>,
    pub value_text: Option<String>,
    pub unit: Option<String>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    pub flag: String,
    pub collected_at: DateTime<Utc>,
    pub reported_at: DateTime<Utc>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub entered_in_error_at: Option<DateTime<Utc>>,
    pub entered_in_error_by: Option<Uuid>,
    pub entered_in_error_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = lab_results)]
pub struct NewLabResultRow {
    pub patient_id: Uuid,
    pub test_name: String,
    pub loinc_code: Option<String>,
    pub value_numeric: Option<f64>,
    pub value_text: Option<String>,
    pub unit: Option<String>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    pub flag: &'static str,
    pub collected_at: DateTime<Utc>,
    pub recorded_by: Uuid,
}
