//! Directory rules: who can be booked, their hours and leave, and free slots. No actix types.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use diesel::prelude::*;
use hms_api_types::appointments::{
    Availability, AvailabilityException, Department, NewAvailabilityException, NewDepartment,
    NewPractitioner, Practitioner, SetWeeklyHours, Slot, SlotList, WorkingHours,
};
use hms_api_types::Role;
use uuid::Uuid;

use super::repo::{self, DepartmentRow, ExceptionRow, PractitionerRow, RuleRow};
use crate::audit::{self, AuditEvent, RequestMeta};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::validate::{optional_text, Check};

/// Directory lists are short; this bounds them anyway.
const DIRECTORY_LIMIT: i64 = 500;
/// The widest slot search, in days.
pub const MAX_SLOT_DAYS: i64 = 31;
/// The most slots one search returns.
const MAX_SLOTS: i64 = 2000;

/// The dates the API accepts: years 1 to 9999, as RFC 3339 writes them. (chrono parses
/// years far beyond what PostgreSQL stores; those would fail in the database instead.)
fn sensible_year(year: i32) -> bool {
    (1..=9999).contains(&year)
}

/// Adds a field error when `day` is outside the years 1 to 9999.
pub fn check_day(check: &mut Check, field: &str, day: NaiveDate) {
    if !sensible_year(day.year()) {
        check.fail(field, "must be a date between 0001-01-01 and 9999-12-31");
    }
}

/// Adds a field error when `at` is outside the years 1 to 9999.
pub fn check_instant(check: &mut Check, field: &str, at: DateTime<Utc>) {
    if !sensible_year(at.year()) {
        check.fail(field, "must be a time between the years 0001 and 9999");
    }
}

fn department(row: DepartmentRow) -> Department {
    Department {
        id: row.id,
        name: row.name,
        description: row.description,
        active: row.active,
        version: row.version,
    }
}

fn practitioner(row: PractitionerRow) -> Practitioner {
    Practitioner {
        id: row.id,
        user_id: row.user_id,
        display_name: row.display_name,
        department_id: row.department_id,
        department_name: row.department_name,
        specialty: row.specialty,
        active: row.active,
        version: row.version,
    }
}

fn exception(row: ExceptionRow) -> AvailabilityException {
    AvailabilityException {
        id: row.id,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        reason: row.reason,
    }
}

pub fn list_departments(conn: &mut PgConnection) -> Result<Vec<Department>, ApiError> {
    Ok(repo::list_departments(conn, DIRECTORY_LIMIT)?
        .into_iter()
        .map(department)
        .collect())
}

pub fn create_department(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    input: NewDepartment,
) -> Result<Department, ApiError> {
    let mut check = Check::new();
    check.text("name", &input.name, 1, 100);
    let description = optional_text(&mut check, "description", input.description, 500);
    check.finish()?;
    conn.transaction(|conn| {
        let row = repo::insert_department(conn, input.name.trim(), description.as_deref())
            .map_err(|e| match ApiError::from(e) {
                ApiError::Conflict(_) => {
                    ApiError::Conflict("a department with this name already exists".into())
                }
                other => other,
            })?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "create", "department", row.id),
        )?;
        Ok(department(row))
    })
}

pub fn list_practitioners(
    conn: &mut PgConnection,
    department: Option<Uuid>,
) -> Result<Vec<Practitioner>, ApiError> {
    Ok(repo::list_practitioners(conn, department, DIRECTORY_LIMIT)?
        .into_iter()
        .map(practitioner)
        .collect())
}

/// The practitioner, or 404.
pub fn require_practitioner(conn: &mut PgConnection, id: Uuid) -> Result<Practitioner, ApiError> {
    repo::find_practitioner(conn, id)?
        .map(practitioner)
        .ok_or_else(|| ApiError::not_found("the practitioner"))
}

/// Makes an active doctor or nurse account bookable in a department.
pub fn create_practitioner(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    input: NewPractitioner,
) -> Result<Practitioner, ApiError> {
    let mut check = Check::new();
    check.text("specialty", &input.specialty, 1, 100);
    check.finish()?;
    conn.transaction(|conn| {
        let account = crate::users::service::find(conn, input.user_id)?
            .ok_or_else(|| ApiError::invalid("user_id", "is not a user account"))?;
        let bookable = account.active
            && matches!(Role::parse(&account.role), Some(Role::Doctor | Role::Nurse));
        if !bookable {
            return Err(ApiError::invalid(
                "user_id",
                "must be an active doctor or nurse account",
            ));
        }
        repo::find_department(conn, input.department_id)?
            .filter(|d| d.active)
            .ok_or_else(|| ApiError::invalid("department_id", "is not an active department"))?;
        let id = repo::insert_practitioner(
            conn,
            input.user_id,
            input.department_id,
            input.specialty.trim(),
        )
        .map_err(|e| match ApiError::from(e) {
            ApiError::Conflict(_) => {
                ApiError::Conflict("this account is already a practitioner".into())
            }
            other => other,
        })?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "create", "practitioner", id),
        )?;
        require_practitioner(conn, id)
    })
}

pub fn availability(
    conn: &mut PgConnection,
    time_zone: &str,
    practitioner_id: Uuid,
) -> Result<Availability, ApiError> {
    require_practitioner(conn, practitioner_id)?;
    let weekly = repo::rules(conn, practitioner_id)?
        .into_iter()
        .map(|r| WorkingHours {
            weekday: r.weekday,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            slot_minutes: r.slot_minutes,
        })
        .collect();
    let exceptions = repo::upcoming_exceptions(conn, practitioner_id)?
        .into_iter()
        .map(exception)
        .collect();
    Ok(Availability {
        practitioner_id,
        time_zone: time_zone.to_owned(),
        weekly,
        exceptions,
    })
}

/// Replaces the weekly hours. Windows of one weekday may not overlap, and each must hold at
/// least one whole slot.
pub fn set_weekly_hours(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    time_zone: &str,
    practitioner_id: Uuid,
    input: SetWeeklyHours,
) -> Result<Availability, ApiError> {
    let mut check = Check::new();
    if input.weekly.len() > 50 {
        check.fail("weekly", "at most 50 windows");
    }
    let mut rules: Vec<RuleRow> = Vec::new();
    for (i, w) in input.weekly.iter().enumerate() {
        let field = format!("weekly[{i}]");
        if !(1..=7).contains(&w.weekday) {
            check.fail(
                &format!("{field}.weekday"),
                "must be 1 (Monday) to 7 (Sunday)",
            );
        }
        if !(5..=240).contains(&w.slot_minutes) {
            check.fail(&format!("{field}.slot_minutes"), "must be 5 to 240 minutes");
        }
        if w.starts_at.second() != 0
            || w.ends_at.second() != 0
            || w.starts_at.nanosecond() != 0
            || w.ends_at.nanosecond() != 0
        {
            check.fail(&format!("{field}.starts_at"), "times are whole minutes");
        }
        if w.ends_at <= w.starts_at {
            check.fail(&format!("{field}.ends_at"), "must be after starts_at");
        } else if (w.ends_at - w.starts_at) < Duration::minutes(i64::from(w.slot_minutes.max(0))) {
            check.fail(
                &format!("{field}.ends_at"),
                "the window must hold at least one slot",
            );
        }
        let overlaps = rules
            .iter()
            .any(|r| r.weekday == w.weekday && r.starts_at < w.ends_at && w.starts_at < r.ends_at);
        if overlaps {
            check.fail(
                &format!("{field}.starts_at"),
                "overlaps another window of the same day",
            );
        }
        rules.push(RuleRow {
            weekday: w.weekday,
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            slot_minutes: w.slot_minutes,
        });
    }
    check.finish()?;
    conn.transaction(|conn| {
        require_practitioner(conn, practitioner_id)?;
        repo::replace_rules(conn, practitioner_id, &rules)?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "update", "availability", practitioner_id),
        )?;
        availability(conn, time_zone, practitioner_id)
    })
}

pub fn add_exception(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    practitioner_id: Uuid,
    input: NewAvailabilityException,
) -> Result<AvailabilityException, ApiError> {
    let mut check = Check::new();
    check.text("reason", &input.reason, 1, 200);
    check_instant(&mut check, "starts_at", input.starts_at);
    check_instant(&mut check, "ends_at", input.ends_at);
    if input.ends_at <= input.starts_at {
        check.fail("ends_at", "must be after starts_at");
    } else if input.ends_at - input.starts_at > Duration::days(366) {
        check.fail("ends_at", "an exception lasts at most a year");
    }
    check.finish()?;
    conn.transaction(|conn| {
        require_practitioner(conn, practitioner_id)?;
        let row = repo::insert_exception(
            conn,
            practitioner_id,
            input.starts_at,
            input.ends_at,
            input.reason.trim(),
            user.id,
        )?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "create", "availability_exception", row.id),
        )?;
        Ok(exception(row))
    })
}

pub fn remove_exception(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    practitioner_id: Uuid,
    exception_id: Uuid,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        if repo::delete_exception(conn, practitioner_id, exception_id)? == 0 {
            return Err(ApiError::not_found("the exception"));
        }
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "delete", "availability_exception", exception_id),
        )?;
        Ok(())
    })
}

/// Free slots of one practitioner or one department between two local days (inclusive).
pub fn slots(
    conn: &mut PgConnection,
    time_zone: &str,
    practitioner_id: Option<Uuid>,
    department_id: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SlotList, ApiError> {
    let mut check = Check::new();
    if practitioner_id.is_none() && department_id.is_none() {
        check.fail("practitioner_id", "give practitioner_id or department_id");
    }
    check_day(&mut check, "from", from);
    check_day(&mut check, "to", to);
    if to < from {
        check.fail("to", "must not be before from");
    } else if (to - from).num_days() >= MAX_SLOT_DAYS {
        check.fail(
            "to",
            format!("a search covers at most {MAX_SLOT_DAYS} days"),
        );
    }
    check.finish()?;
    if let Some(p) = practitioner_id {
        require_practitioner(conn, p)?;
    }
    if let Some(d) = department_id {
        repo::find_department(conn, d)?.ok_or_else(|| ApiError::not_found("the department"))?;
    }
    let items = repo::free_slots(
        conn,
        time_zone,
        practitioner_id,
        department_id,
        from,
        to,
        MAX_SLOTS,
    )?
    .into_iter()
    .map(|s| Slot {
        practitioner_id: s.practitioner_id,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
    })
    .collect();
    Ok(SlotList {
        time_zone: time_zone.to_owned(),
        from,
        to,
        items,
    })
}
