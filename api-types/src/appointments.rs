//! Scheduling: departments, practitioners, weekly availability, free slots, appointments and
//! their status history.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an appointment stands. Allowed moves: booked → checked_in → in_progress → completed;
/// booked or checked_in → cancelled; booked → no_show. A wrong move can be reverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    CheckedIn,
    InProgress,
    Completed,
    Cancelled,
    NoShow,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 6] = [
        AppointmentStatus::Booked,
        AppointmentStatus::CheckedIn,
        AppointmentStatus::InProgress,
        AppointmentStatus::Completed,
        AppointmentStatus::Cancelled,
        AppointmentStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::CheckedIn => "checked_in",
            AppointmentStatus::InProgress => "in_progress",
            AppointmentStatus::Completed => "completed",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the workflow allows moving from `self` to `to`.
    pub fn can_move_to(self, to: AppointmentStatus) -> bool {
        use AppointmentStatus::*;
        matches!(
            (self, to),
            (Booked, CheckedIn)
                | (CheckedIn, InProgress)
                | (InProgress, Completed)
                | (Booked, Cancelled)
                | (CheckedIn, Cancelled)
                | (Booked, NoShow)
        )
    }
}

/// A department of the hospital.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Cardiology"))]
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub version: i32,
}

/// Body of `POST /api/v1/departments`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: Option<String>,
}

/// A bookable staff member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Practitioner {
    pub id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub department_id: Uuid,
    pub department_name: String,
    #[cfg_attr(feature = "openapi", schema(example = "Cardiology"))]
    pub specialty: String,
    pub active: bool,
    pub version: i32,
}

/// Body of `POST /api/v1/practitioners`: a doctor or nurse account becomes bookable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPractitioner {
    pub user_id: Uuid,
    pub department_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub specialty: String,
}

/// One weekly working window, in the hospital's local time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 7))]
    pub weekday: i16,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "09:00"))]
    pub starts_at: NaiveTime,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "13:00"))]
    pub ends_at: NaiveTime,
    /// Length of one slot in minutes.
    #[cfg_attr(feature = "openapi", schema(minimum = 5, maximum = 240))]
    pub slot_minutes: i32,
}

/// A period when a practitioner cannot be booked (leave, training).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AvailabilityException {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// Body of `POST /api/v1/practitioners/{id}/exceptions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAvailabilityException {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub reason: String,
}

/// A practitioner's weekly hours and upcoming exceptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Availability {
    pub practitioner_id: Uuid,
    /// The hospital's time zone, in which the hours apply (IANA name).
    pub time_zone: String,
    pub weekly: Vec<WorkingHours>,
    pub exceptions: Vec<AvailabilityException>,
}

/// Body of `PUT /api/v1/practitioners/{id}/availability`: replaces the weekly hours.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetWeeklyHours {
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub weekly: Vec<WorkingHours>,
}

/// A free slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Slot {
    pub practitioner_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Free slots in a date range, in start order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotList {
    pub time_zone: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<Slot>,
}

/// An appointment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appointment {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub patient_mrn: String,
    pub practitioner_id: Uuid,
    pub practitioner_name: String,
    pub department_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub reason: String,
    pub cancel_reason: Option<String>,
    pub booked_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/appointments`. Send an `Idempotency-Key` header to make retries safe.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAppointment {
    pub patient_id: Uuid,
    pub practitioner_id: Uuid,
    /// With an offset (RFC 3339); must fall inside the practitioner's working hours.
    pub starts_at: DateTime<Utc>,
    /// Default: one slot length after `starts_at`.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: String,
}

/// Body of `POST /api/v1/appointments/{id}/reschedule`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Another practitioner, if the appointment moves to them.
    #[serde(default)]
    pub practitioner_id: Option<Uuid>,
    #[serde(default)]
    pub version: Option<i32>,
}

/// Body of `POST /api/v1/appointments/{id}/cancel` and `/revert`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithReason {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: String,
}

/// Body of `POST /api/v1/appointments/{id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeStatus {
    pub status: AppointmentStatus,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub reason: Option<String>,
}

/// One status change, for the appointment's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub from_status: Option<AppointmentStatus>,
    pub to_status: AppointmentStatus,
    pub changed_by: Uuid,
    pub changed_by_name: String,
    pub changed_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub is_revert: bool,
}

/// One page of appointments, in start order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentPage {
    pub items: Vec<Appointment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
