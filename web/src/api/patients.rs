//! Patient calls (`/patients`): search, registration, demographics, deactivation, access log.

use chrono::NaiveDate;
use gloo_net::http::Method;
use hms_api_types::patients::{AccessLogPage, CreatePatient, Patient, PatientPage, UpdatePatient};
use uuid::Uuid;

use super::{Api, ApiError, Call};

/// What the patient search asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatientQuery {
    /// Part of a name (typo-tolerant); empty for no name filter.
    pub q: String,
    /// An exact medical record number.
    pub mrn: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub include_inactive: bool,
}

impl PatientQuery {
    /// Whether the query filters on anything (an empty search lists nobody).
    pub fn is_empty(&self) -> bool {
        self.q.trim().is_empty() && self.mrn.is_none() && self.birth_date.is_none()
    }
}

/// How many patients (or access-log entries) one page holds.
const PAGE_SIZE: i64 = 25;

impl Api {
    /// One page of patients matching `query`, names starting with it first, after `cursor` when given.
    pub async fn search_patients(
        &self,
        query: &PatientQuery,
        cursor: Option<&str>,
    ) -> Result<PatientPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/patients");
        let q = query.q.trim();
        if !q.is_empty() {
            call.query.push(("q", q.to_owned()));
        }
        if let Some(mrn) = &query.mrn {
            call.query.push(("mrn", mrn.clone()));
        }
        if let Some(date) = query.birth_date {
            call.query.push(("birth_date", date.to_string()));
        }
        if query.include_inactive {
            call.query.push(("include_inactive", "true".to_owned()));
        }
        call.query.push(("limit", PAGE_SIZE.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }

    /// Registers a patient. A likely duplicate answers 409 `/problems/possible-duplicate` with
    /// [`ApiError::candidates`] unless `confirm_not_duplicate` is set.
    pub async fn register_patient(&self, request: &CreatePatient) -> Result<Patient, ApiError> {
        let call = Call::new(Method::POST, "/api/v1/patients").json(request)?;
        self.fetch_json(call).await
    }

    /// One patient's demographics.
    pub async fn get_patient(&self, id: Uuid) -> Result<Patient, ApiError> {
        let path = format!("/api/v1/patients/{id}");
        self.fetch_json(Call::new(Method::GET, &path)).await
    }

    /// Changes demographics, based on the `version` the person saw (412 when it is stale).
    pub async fn update_patient(
        &self,
        id: Uuid,
        version: i32,
        change: &UpdatePatient,
    ) -> Result<Patient, ApiError> {
        let path = format!("/api/v1/patients/{id}");
        let mut call = Call::new(Method::PATCH, &path).json(change)?;
        call.if_match = Some(version);
        self.fetch_json(call).await
    }

    /// Deactivates (`active == false`) or reactivates a patient.
    pub async fn set_patient_active(&self, id: Uuid, active: bool) -> Result<Patient, ApiError> {
        let action = if active { "reactivate" } else { "deactivate" };
        let path = format!("/api/v1/patients/{id}/{action}");
        self.fetch_json(Call::new(Method::POST, &path)).await
    }

    /// One page of who accessed the patient's record, newest first.
    pub async fn access_log(
        &self,
        id: Uuid,
        cursor: Option<&str>,
    ) -> Result<AccessLogPage, ApiError> {
        let path = format!("/api/v1/patients/{id}/access-log");
        let mut call = Call::new(Method::GET, &path);
        call.query.push(("limit", PAGE_SIZE.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }
}
