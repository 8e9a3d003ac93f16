//! Diesel row types for `patients`. Never serialised: `service::to_dto` converts them.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::patients;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = patients, check_for_backend(diesel::pg::Pg))]
pub struct PatientRow {
    pub id: Uuid,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_relationship: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub preferred_language: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable, Default)]
#[diesel(table_name = patients)]
pub struct NewPatientRow {
    pub given_name: String,
    pub family_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_relationship: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub preferred_language: Option<String>,
}

/// Columns a PATCH may change. For nullable columns, `Some(None)` clears the value.
#[derive(AsChangeset, Default)]
#[diesel(table_name = patients)]
pub struct PatientChanges {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub address_line: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub emergency_contact_name: Option<Option<String>>,
    pub emergency_contact_relationship: Option<Option<String>>,
    pub emergency_contact_phone: Option<Option<String>>,
    pub preferred_language: Option<Option<String>>,
    pub active: Option<bool>,
}
