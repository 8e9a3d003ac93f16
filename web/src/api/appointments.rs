//! Scheduling calls: the directory (`/departments`, `/practitioners`), free slots (`/slots`) and
//! appointments (`/appointments`: book, browse, read, cancel, status workflow, revert, history).

use chrono::NaiveDate;
use gloo_net::http::Method;
use hms_api_types::appointments::{
    Appointment, AppointmentPage, AppointmentStatus, ChangeStatus, Department, NewAppointment,
    Practitioner, SlotList, StatusChange, WithReason,
};
use uuid::Uuid;

use super::ops::Saved;
use super::{Api, ApiError, Call};

/// How many appointments one page of the list holds.
const PAGE_SIZE: i64 = 50;
/// The page size used when a view needs every appointment of a range (the server's maximum).
const FULL_PAGE_SIZE: i64 = 200;
/// The most pages [`Api::all_appointments`] follows (a calendar week of a busy department).
const MAX_PAGES: usize = 10;

/// Whose free slots to search: one practitioner, or a whole department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotScope {
    Practitioner(Uuid),
    Department(Uuid),
}

/// What the appointment list asks for. Days are the hospital's local days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppointmentQuery {
    /// First day, inclusive.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
    pub practitioner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub status: Option<AppointmentStatus>,
}

impl AppointmentQuery {
    fn call(&self, limit: i64, cursor: Option<&str>) -> Call<'static> {
        let mut call = Call::new(Method::GET, "/api/v1/appointments");
        match (self.from, self.to) {
            (Some(from), Some(to)) if from == to => call.query.push(("date", from.to_string())),
            (from, to) => {
                if let Some(from) = from {
                    call.query.push(("from", from.to_string()));
                }
                if let Some(to) = to {
                    call.query.push(("to", to.to_string()));
                }
            }
        }
        if let Some(id) = self.practitioner_id {
            call.query.push(("practitioner_id", id.to_string()));
        }
        if let Some(id) = self.department_id {
            call.query.push(("department_id", id.to_string()));
        }
        if let Some(id) = self.patient_id {
            call.query.push(("patient_id", id.to_string()));
        }
        if let Some(status) = self.status {
            call.query.push(("status", status.as_str().to_owned()));
        }
        call.query.push(("limit", limit.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        call
    }
}

/// The `Idempotency-Key` of one booking attempt. Sending the same request again (after a
/// network error) reuses the key, so the server books at most once; a different request (another
/// slot, patient or reason) gets a new key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookingAttempt {
    request: String,
    key: String,
}

impl BookingAttempt {
    /// The key to send with `request`.
    pub fn key_for(&mut self, request: &NewAppointment) -> String {
        let text = serde_json::to_string(request).unwrap_or_default();
        if self.key.is_empty() || self.request != text {
            self.request = text;
            self.key = Uuid::new_v4().to_string();
        }
        self.key.clone()
    }

    /// The attempt is over (booked): the next request gets a new key.
    pub fn finish(&mut self) {
        *self = BookingAttempt::default();
    }
}

/// What tells one cancellation from another, for [`crate::api::inventory::Attempt::key_for`]:
/// the same appointment and reason sent again (a retry) reuse the `Idempotency-Key`.
pub fn cancel_fingerprint(id: Uuid, reason: &str) -> String {
    format!("POST /api/v1/appointments/{id}/cancel {reason}")
}

impl Api {
    /// Active departments, by name.
    pub async fn departments(&self) -> Result<Vec<Department>, ApiError> {
        self.fetch_json(Call::new(Method::GET, "/api/v1/departments"))
            .await
    }

    /// Active practitioners, by name (of one department when given).
    pub async fn practitioners(
        &self,
        department_id: Option<Uuid>,
    ) -> Result<Vec<Practitioner>, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/practitioners");
        if let Some(id) = department_id {
            call.query.push(("department_id", id.to_string()));
        }
        self.fetch_json(call).await
    }

    /// Free slots of `scope` on the hospital's local days `from..=to` (at most 31 days).
    pub async fn free_slots(
        &self,
        scope: SlotScope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<SlotList, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/slots");
        match scope {
            SlotScope::Practitioner(id) => call.query.push(("practitioner_id", id.to_string())),
            SlotScope::Department(id) => call.query.push(("department_id", id.to_string())),
        }
        call.query.push(("from", from.to_string()));
        call.query.push(("to", to.to_string()));
        self.fetch_json(call).await
    }

    /// Books an appointment with `Idempotency-Key: key` (see [`BookingAttempt`]). A 409 means
    /// the time was taken meanwhile or the patient already has an appointment then.
    pub async fn book_appointment(
        &self,
        request: &NewAppointment,
        key: String,
    ) -> Result<Appointment, ApiError> {
        let mut call = Call::new(Method::POST, "/api/v1/appointments").json(request)?;
        call.idempotency_key = Some(key);
        self.fetch_json(call).await
    }

    /// One page of appointments in start order, after `cursor` when given. A patient account
    /// gets only its own.
    pub async fn list_appointments(
        &self,
        query: &AppointmentQuery,
        cursor: Option<&str>,
    ) -> Result<AppointmentPage, ApiError> {
        self.fetch_json(query.call(PAGE_SIZE, cursor)).await
    }

    /// Every appointment matching `query` (following the pages, up to a sane maximum).
    pub async fn all_appointments(
        &self,
        query: &AppointmentQuery,
    ) -> Result<Vec<Appointment>, ApiError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page: AppointmentPage = self
                .fetch_json(query.call(FULL_PAGE_SIZE, cursor.as_deref()))
                .await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(items)
    }

    /// One appointment.
    pub async fn get_appointment(&self, id: Uuid) -> Result<Appointment, ApiError> {
        let path = format!("/api/v1/appointments/{id}");
        self.fetch_json(Call::new(Method::GET, &path)).await
    }

    /// Cancels an appointment (a patient: their own, before the cut-off; 409 otherwise), with
    /// `Idempotency-Key: key` (see [`cancel_fingerprint`]). While the database is unreachable
    /// the cancellation is kept and written later ([`Saved::Kept`]).
    pub async fn cancel_appointment(
        &self,
        id: Uuid,
        reason: &str,
        key: String,
    ) -> Result<Saved<Appointment>, ApiError> {
        let path = format!("/api/v1/appointments/{id}/cancel");
        let body = WithReason {
            reason: reason.to_owned(),
        };
        let mut call = Call::new(Method::POST, &path).json(&body)?;
        call.idempotency_key = Some(key);
        self.fetch_saved(call).await
    }

    /// Moves an appointment along its workflow (409 when the workflow does not allow it).
    pub async fn change_appointment_status(
        &self,
        id: Uuid,
        status: AppointmentStatus,
    ) -> Result<Appointment, ApiError> {
        let path = format!("/api/v1/appointments/{id}/status");
        let body = ChangeStatus {
            status,
            reason: None,
        };
        let call = Call::new(Method::POST, &path).json(&body)?;
        self.fetch_json(call).await
    }

    /// Undoes the last status change, with a reason.
    pub async fn revert_appointment_status(
        &self,
        id: Uuid,
        reason: &str,
    ) -> Result<Appointment, ApiError> {
        let path = format!("/api/v1/appointments/{id}/revert");
        let body = WithReason {
            reason: reason.to_owned(),
        };
        let call = Call::new(Method::POST, &path).json(&body)?;
        self.fetch_json(call).await
    }

    /// The appointment's status changes, oldest first.
    pub async fn appointment_history(&self, id: Uuid) -> Result<Vec<StatusChange>, ApiError> {
        let path = format!("/api/v1/appointments/{id}/history");
        self.fetch_json(Call::new(Method::GET, &path)).await
    }
}
