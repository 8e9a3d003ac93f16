//! Appointment rules: who may book for whom, working hours and leave, the past, the cancellation
//! cut-off for patients, the status workflow with reverts, and the audit. No actix types.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use hms_api_types::appointments::{
    Appointment, AppointmentPage, AppointmentStatus, ChangeStatus, NewAppointment, Reschedule,
    StatusChange,
};
use hms_api_types::{Permission, Role};
use uuid::Uuid;

use super::repo::{self, AppointmentRow, Filter, NewAppointmentRow};
use crate::audit::{self, RequestMeta};
use crate::auth::AuthUser;
use crate::config::Schedule;
use crate::error::ApiError;
use crate::pagination;
use crate::patients;
use crate::scheduling;
use crate::validate::Check;
use crate::webhooks;

/// The longest appointment.
const MAX_LENGTH: Duration = Duration::hours(8);
/// How far ahead one can book.
const MAX_AHEAD_DAYS: i64 = 730;

fn to_dto(row: AppointmentRow) -> Appointment {
    Appointment {
        id: row.id,
        patient_id: row.patient_id,
        patient_name: row.patient_name,
        patient_mrn: row.patient_mrn,
        practitioner_id: row.practitioner_id,
        practitioner_name: row.practitioner_name,
        department_id: row.department_id,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        status: AppointmentStatus::parse(&row.status).unwrap_or(AppointmentStatus::Booked),
        reason: row.reason,
        cancel_reason: row.cancel_reason,
        booked_by: row.booked_by,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Whether `user` may act on `patient_id`'s appointments with `staff` (any patient) or, as a
/// patient account, on their own. A patient asking about someone else learns nothing (404).
fn authorize(
    user: &AuthUser,
    staff: Permission,
    patient_id: Uuid,
    what: &str,
) -> Result<(), ApiError> {
    if user.can(staff) {
        return Ok(());
    }
    if user.can(Permission::BookOwnAppointments) && user.patient_id == Some(patient_id) {
        return Ok(());
    }
    if user.role == Role::Patient {
        Err(ApiError::not_found(what))
    } else {
        Err(ApiError::Forbidden)
    }
}

fn load(conn: &mut PgConnection, id: Uuid) -> Result<AppointmentRow, ApiError> {
    repo::find(conn, id)?.ok_or_else(|| ApiError::not_found("the appointment"))
}

/// Turns the exclusion constraints into answers people understand.
fn overlap(err: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    if let Error::DatabaseError(DatabaseErrorKind::ExclusionViolation, info) = &err {
        return match info.constraint_name() {
            Some("appointments_no_patient_overlap") => {
                ApiError::Conflict("the patient already has an appointment at this time".into())
            }
            _ => ApiError::Conflict(
                "this time is no longer free: the practitioner already has an appointment then"
                    .into(),
            ),
        };
    }
    err.into()
}

/// Checks a requested time against the practitioner's hours and leave; returns the end.
/// `one_slot` (patient accounts): the time must be one slot of the grid, as `/slots` offers.
fn check_time(
    conn: &mut PgConnection,
    schedule: &Schedule,
    practitioner_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    one_slot: bool,
) -> Result<DateTime<Utc>, ApiError> {
    let mut check = Check::new();
    let now = Utc::now();
    if starts_at < now {
        check.fail("starts_at", "must not be in the past");
    } else if starts_at > now + Duration::days(MAX_AHEAD_DAYS) {
        check.fail("starts_at", "must be within two years");
    }
    if let Some(end) = ends_at {
        if end <= starts_at {
            check.fail("ends_at", "must be after starts_at");
        } else if end - starts_at > MAX_LENGTH {
            check.fail("ends_at", "an appointment lasts at most 8 hours");
        }
    }
    check.finish()?;
    let window = scheduling::repo::check_window(
        conn,
        &schedule.time_zone,
        practitioner_id,
        starts_at,
        ends_at,
    )?;
    if !window.within_hours {
        return Err(ApiError::invalid(
            "starts_at",
            "is outside the practitioner's working hours; pick a free slot",
        ));
    }
    let slot_end = starts_at + Duration::minutes(i64::from(window.slot_minutes));
    if one_slot && (!window.on_grid || ends_at.is_some_and(|end| end != slot_end)) {
        return Err(ApiError::invalid(
            "starts_at",
            "is not one of the practitioner's slots; pick a free slot",
        ));
    }
    if window.on_leave {
        return Err(ApiError::Conflict(
            "the practitioner is not available then (leave or blocked time)".into(),
        ));
    }
    Ok(ends_at.unwrap_or(slot_end))
}

/// Maps "no such row" to a field error and keeps every other failure (a lost database is
/// still a 503, not a 422).
fn unknown_as_invalid(field: &'static str, message: &'static str) -> impl Fn(ApiError) -> ApiError {
    move |e| match e {
        ApiError::NotFound(_) => ApiError::invalid(field, message),
        other => other,
    }
}

/// Books an appointment. The practitioner's and the patient's exclusion constraints make a
/// double booking impossible even for concurrent requests: exactly one wins, the others get 409.
/// Staff may book any time inside the working hours; a patient account books one slot.
pub fn book(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    schedule: &Schedule,
    input: NewAppointment,
) -> Result<Appointment, ApiError> {
    authorize(
        user,
        Permission::BookAppointments,
        input.patient_id,
        "the patient",
    )?;
    let mut check = Check::new();
    check.text("reason", &input.reason, 1, 500);
    check.finish()?;
    let patient = patients::service::require(conn, input.patient_id).map_err(
        unknown_as_invalid("patient_id", "is not a registered patient"),
    )?;
    if !patient.active {
        return Err(ApiError::invalid(
            "patient_id",
            "the patient is deactivated",
        ));
    }
    let practitioner =
        scheduling::service::require_practitioner(conn, input.practitioner_id).map_err(
            unknown_as_invalid("practitioner_id", "is not a practitioner"),
        )?;
    if !practitioner.active {
        return Err(ApiError::invalid(
            "practitioner_id",
            "the practitioner is not bookable",
        ));
    }
    let one_slot = !user.can(Permission::BookAppointments);
    let ends_at = check_time(
        conn,
        schedule,
        practitioner.id,
        input.starts_at,
        input.ends_at,
        one_slot,
    )?;
    conn.transaction(|conn| {
        repo::lock_calendars(conn, &[practitioner.id], &[input.patient_id])?;
        let id = repo::insert(
            conn,
            &NewAppointmentRow {
                patient_id: input.patient_id,
                practitioner_id: practitioner.id,
                department_id: practitioner.department_id,
                starts_at: input.starts_at,
                ends_at,
                reason: input.reason.trim().to_owned(),
                booked_by: user.id,
            },
        )
        .map_err(overlap)?;
        repo::record_change(
            conn,
            id,
            None,
            AppointmentStatus::Booked.as_str(),
            user.id,
            None,
            false,
        )?;
        patients::service::audit(
            conn,
            user,
            meta,
            input.patient_id,
            "create",
            "appointments",
            Some(id.to_string()),
        )?;
        let booked = to_dto(load(conn, id)?);
        webhooks::emit(
            conn,
            webhooks::Event::appointment(webhooks::events::APPOINTMENT_BOOKED, &booked),
        )?;
        Ok(booked)
    })
}

pub fn get(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<Appointment, ApiError> {
    conn.transaction(|conn| {
        let row = load(conn, id)?;
        authorize(
            user,
            Permission::ViewAppointments,
            row.patient_id,
            "the appointment",
        )?;
        patients::service::audit(
            conn,
            user,
            meta,
            row.patient_id,
            "read",
            "appointments",
            Some(id.to_string()),
        )?;
        Ok(to_dto(row))
    })
}

/// Query of the appointment list.
pub struct ListQuery {
    pub date: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub practitioner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub status: Option<AppointmentStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Browses appointments in start order. A patient account sees only its own.
pub fn list(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    schedule: &Schedule,
    query: ListQuery,
) -> Result<AppointmentPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, query.limit);
    let (from, to) = match (query.date, query.from, query.to) {
        (Some(d), None, None) => (Some(d), Some(d)),
        (Some(_), _, _) => {
            check.fail("date", "give either date or from/to");
            (None, None)
        }
        (None, from, to) => (from, to),
    };
    for (field, day) in [("date", query.date), ("from", query.from), ("to", query.to)] {
        if let Some(day) = day {
            scheduling::service::check_day(&mut check, field, day);
        }
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            check.fail("to", "must not be before from");
        }
    }
    let after = pagination::decode(&mut check, query.cursor.as_deref()).and_then(|c| {
        let parsed = c.split_once('|').and_then(|(t, id)| {
            Some((
                DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc),
                Uuid::parse_str(id).ok()?,
            ))
        });
        if parsed.is_none() {
            check.fail("cursor", "is not a cursor returned by this list");
        }
        parsed
    });
    check.finish()?;
    let patient_id = if user.can(Permission::ViewAppointments) {
        query.patient_id
    } else {
        match (user.patient_id, query.patient_id) {
            (Some(own), None) => Some(own),
            (Some(own), Some(asked)) if asked == own => Some(own),
            (Some(_), Some(_)) => return Err(ApiError::not_found("the patient")),
            (None, _) => return Err(ApiError::Forbidden),
        }
    };
    let filter = Filter {
        from,
        to,
        practitioner_id: query.practitioner_id,
        department_id: query.department_id,
        patient_id,
        status: query.status.map(|s| s.as_str().to_owned()),
    };
    conn.transaction(|conn| {
        let mut rows = repo::list(conn, &schedule.time_zone, &filter, after, limit + 1)?;
        let next_cursor = pagination::next_cursor(&mut rows, limit, |r| {
            format!(
                "{}|{}",
                r.starts_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                r.id
            )
        });
        let mut seen: Vec<Uuid> = rows.iter().map(|r| r.patient_id).collect();
        seen.sort();
        seen.dedup();
        audit::record_patients_seen(conn, meta, user, &seen, "read_appointments")?;
        Ok(AppointmentPage {
            items: rows.into_iter().map(to_dto).collect(),
            next_cursor,
        })
    })
}

/// Moves a booked appointment to another time (and optionally another practitioner).
pub fn reschedule(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    schedule: &Schedule,
    id: Uuid,
    version: Result<i32, ApiError>,
    input: Reschedule,
) -> Result<Appointment, ApiError> {
    let current = load(conn, id)?;
    authorize(
        user,
        Permission::BookAppointments,
        current.patient_id,
        "the appointment",
    )?;
    let version = version?;
    let practitioner_id = input.practitioner_id.unwrap_or(current.practitioner_id);
    let practitioner = scheduling::service::require_practitioner(conn, practitioner_id).map_err(
        unknown_as_invalid("practitioner_id", "is not a practitioner"),
    )?;
    if !practitioner.active {
        return Err(ApiError::invalid(
            "practitioner_id",
            "the practitioner is not bookable",
        ));
    }
    let ends_at = check_time(
        conn,
        schedule,
        practitioner_id,
        input.starts_at,
        input.ends_at,
        false,
    )?;
    conn.transaction(|conn| {
        let locked = repo::lock(conn, id)?.ok_or_else(|| ApiError::not_found("the appointment"))?;
        if locked.version != version {
            return Err(ApiError::PreconditionFailed(format!(
                "the appointment was changed by someone else (now version {}); reload and try again",
                locked.version
            )));
        }
        if locked.status != AppointmentStatus::Booked.as_str() {
            return Err(ApiError::Conflict(format!(
                "only a booked appointment can be moved; this one is {}",
                locked.status
            )));
        }
        repo::lock_calendars(
            conn,
            &[locked.practitioner_id, practitioner_id],
            &[locked.patient_id],
        )?;
        repo::move_to(
            conn,
            id,
            practitioner_id,
            practitioner.department_id,
            input.starts_at,
            ends_at,
        )
        .map_err(overlap)?;
        patients::service::audit(
            conn,
            user,
            meta,
            locked.patient_id,
            "reschedule",
            "appointments",
            Some(id.to_string()),
        )?;
        Ok(to_dto(load(conn, id)?))
    })
}

/// Checks that `user` may cancel appointment `id` now, with `reason`, without changing
/// anything: the cancellation rules, also used to accept a cancellation into the journal
/// while the primary database is unreachable (checked against a standby).
pub fn check_cancel(
    conn: &mut PgConnection,
    user: &AuthUser,
    schedule: &Schedule,
    id: Uuid,
    reason: &str,
) -> Result<(), ApiError> {
    let mut check = Check::new();
    check.text("reason", reason, 1, 500);
    check.finish()?;
    let current = load(conn, id)?;
    authorize(
        user,
        Permission::BookAppointments,
        current.patient_id,
        "the appointment",
    )?;
    if !user.can(Permission::BookAppointments) {
        // An absurd setting must not panic: a cut-off beyond any date means "never online".
        let cutoff = Duration::try_minutes(schedule.patient_cancel_cutoff_minutes)
            .and_then(|d| current.starts_at.checked_sub_signed(d));
        if cutoff.is_none_or(|cutoff| Utc::now() > cutoff) {
            return Err(ApiError::Conflict(format!(
                "appointments can be cancelled online up to {} minutes before they start; please call the hospital",
                schedule.patient_cancel_cutoff_minutes
            )));
        }
    }
    let status = AppointmentStatus::parse(&current.status).unwrap_or(AppointmentStatus::Booked);
    if !status.can_move_to(AppointmentStatus::Cancelled) {
        return Err(ApiError::Conflict(format!(
            "an appointment that is {} cannot become cancelled",
            status.as_str()
        )));
    }
    Ok(())
}

/// Cancels a booked or checked-in appointment. Staff may cancel at any time; a patient
/// cancelling their own must do so before the cut-off.
pub fn cancel(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    schedule: &Schedule,
    id: Uuid,
    reason: &str,
) -> Result<Appointment, ApiError> {
    check_cancel(conn, user, schedule, id, reason)?;
    transition(
        conn,
        user,
        meta,
        id,
        AppointmentStatus::Cancelled,
        Some(reason.trim()),
    )
}

/// Moves an appointment along its workflow.
pub fn change_status(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    input: ChangeStatus,
) -> Result<Appointment, ApiError> {
    let mut check = Check::new();
    if let Some(r) = &input.reason {
        check.text("reason", r, 0, 500);
    }
    if input.status == AppointmentStatus::Cancelled {
        check.fail(
            "status",
            "use POST /api/v1/appointments/{id}/cancel with a reason",
        );
    }
    check.finish()?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    transition(conn, user, meta, id, input.status, reason)
}

fn transition(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    to: AppointmentStatus,
    reason: Option<&str>,
) -> Result<Appointment, ApiError> {
    conn.transaction(|conn| {
        let locked = repo::lock(conn, id)?.ok_or_else(|| ApiError::not_found("the appointment"))?;
        let from = AppointmentStatus::parse(&locked.status).unwrap_or(AppointmentStatus::Booked);
        if !from.can_move_to(to) {
            return Err(ApiError::Conflict(format!(
                "an appointment that is {} cannot become {}",
                from.as_str(),
                to.as_str()
            )));
        }
        repo::lock_calendars(conn, &[locked.practitioner_id], &[locked.patient_id])?;
        let cancel_reason = (to == AppointmentStatus::Cancelled)
            .then_some(reason)
            .flatten();
        repo::set_status(conn, id, to.as_str(), cancel_reason).map_err(overlap)?;
        repo::record_change(
            conn,
            id,
            Some(from.as_str()),
            to.as_str(),
            user.id,
            reason,
            false,
        )?;
        patients::service::audit(
            conn,
            user,
            meta,
            locked.patient_id,
            to.as_str(),
            "appointments",
            Some(id.to_string()),
        )?;
        let moved = to_dto(load(conn, id)?);
        let kind = if to == AppointmentStatus::Cancelled {
            webhooks::events::APPOINTMENT_CANCELLED
        } else {
            webhooks::events::APPOINTMENT_STATUS_CHANGED
        };
        webhooks::emit(conn, webhooks::Event::appointment(kind, &moved))?;
        Ok(moved)
    })
}

/// Undoes the last status change (a wrong check-in, a no-show that arrived), with a reason.
/// Undoing a cancellation needs the time to be free still (409 otherwise).
pub fn revert(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    reason: &str,
) -> Result<Appointment, ApiError> {
    let mut check = Check::new();
    check.text("reason", reason, 1, 500);
    check.finish()?;
    conn.transaction(|conn| {
        let locked = repo::lock(conn, id)?.ok_or_else(|| ApiError::not_found("the appointment"))?;
        let status = locked.status;
        let last = repo::history(conn, id)?
            .into_iter()
            .rev()
            .find(|c| c.to_status == status && c.from_status.is_some())
            .ok_or_else(|| ApiError::Conflict("there is no status change to revert".into()))?;
        if last.is_revert {
            // Reverting a revert would silently redo the wrong change; make the move explicitly.
            return Err(ApiError::Conflict(
                "the last change was already a revert; change the status explicitly instead".into(),
            ));
        }
        let back_to = last
            .from_status
            .unwrap_or_else(|| AppointmentStatus::Booked.as_str().to_owned());
        repo::lock_calendars(conn, &[locked.practitioner_id], &[locked.patient_id])?;
        repo::set_status(conn, id, &back_to, None).map_err(overlap)?;
        repo::record_change(
            conn,
            id,
            Some(&status),
            &back_to,
            user.id,
            Some(reason.trim()),
            true,
        )?;
        patients::service::audit(
            conn,
            user,
            meta,
            locked.patient_id,
            "revert_status",
            "appointments",
            Some(id.to_string()),
        )?;
        let reverted = to_dto(load(conn, id)?);
        webhooks::emit(
            conn,
            webhooks::Event::appointment(webhooks::events::APPOINTMENT_STATUS_CHANGED, &reverted),
        )?;
        Ok(reverted)
    })
}

/// The appointment's status history, oldest first; reading it is audited like the appointment.
pub fn history(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<Vec<StatusChange>, ApiError> {
    conn.transaction(|conn| {
        let row = load(conn, id)?;
        authorize(
            user,
            Permission::ViewAppointments,
            row.patient_id,
            "the appointment",
        )?;
        patients::service::audit(
            conn,
            user,
            meta,
            row.patient_id,
            "read_history",
            "appointments",
            Some(id.to_string()),
        )?;
        Ok(repo::history(conn, id)?
            .into_iter()
            .map(|c| StatusChange {
                from_status: c.from_status.as_deref().and_then(AppointmentStatus::parse),
                to_status: AppointmentStatus::parse(&c.to_status)
                    .unwrap_or(AppointmentStatus::Booked),
                changed_by: c.changed_by,
                changed_by_name: c.changed_by_name,
                changed_at: c.changed_at,
                reason: c.reason,
                is_revert: c.is_revert,
            })
            .collect())
    })
}
