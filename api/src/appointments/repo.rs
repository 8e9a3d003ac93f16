//! SQL for appointments and their status history.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::{appointment_status_changes, appointments, users};

/// An appointment with the names a list shows.
#[derive(QueryableByName, Clone)]
pub struct AppointmentRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub patient_id: Uuid,
    #[diesel(sql_type = Text)]
    pub patient_name: String,
    #[diesel(sql_type = Text)]
    pub patient_mrn: String,
    #[diesel(sql_type = SqlUuid)]
    pub practitioner_id: Uuid,
    #[diesel(sql_type = Text)]
    pub practitioner_name: String,
    #[diesel(sql_type = SqlUuid)]
    pub department_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub starts_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub ends_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub cancel_reason: Option<String>,
    #[diesel(sql_type = SqlUuid)]
    pub booked_by: Uuid,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    pub version: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str =
    "SELECT a.id, a.patient_id, p.given_name || ' ' || p.family_name AS patient_name,
        p.mrn AS patient_mrn, a.practitioner_id, u.display_name AS practitioner_name,
        a.department_id, a.starts_at, a.ends_at, a.status, a.reason, a.cancel_reason,
        a.booked_by, a.version, a.created_at, a.updated_at
   FROM appointments a
   JOIN patients p ON p.id = a.patient_id
   JOIN practitioners pr ON pr.id = a.practitioner_id
   JOIN users u ON u.id = pr.user_id";

pub struct NewAppointmentRow {
    pub patient_id: Uuid,
    pub practitioner_id: Uuid,
    pub department_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub booked_by: Uuid,
}

pub fn insert(conn: &mut PgConnection, new: &NewAppointmentRow) -> QueryResult<Uuid> {
    diesel::insert_into(appointments::table)
        .values((
            appointments::patient_id.eq(new.patient_id),
            appointments::practitioner_id.eq(new.practitioner_id),
            appointments::department_id.eq(new.department_id),
            appointments::starts_at.eq(new.starts_at),
            appointments::ends_at.eq(new.ends_at),
            appointments::reason.eq(&new.reason),
            appointments::booked_by.eq(new.booked_by),
        ))
        .returning(appointments::id)
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<AppointmentRow>> {
    crate::db::prepared(format!("{SELECT} WHERE a.id = $1"))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .optional()
}

/// What a locked appointment row says about itself.
#[derive(Queryable)]
pub struct Locked {
    pub status: String,
    pub patient_id: Uuid,
    pub practitioner_id: Uuid,
    pub version: i32,
}

/// Locks the appointment row for the rest of the transaction; returns its state.
pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Locked>> {
    appointments::table
        .find(id)
        .select((
            appointments::status,
            appointments::patient_id,
            appointments::practitioner_id,
            appointments::version,
        ))
        .for_update()
        .first(conn)
        .optional()
}

/// Advisory lock classes (the first key of the two-key form, a key space apart from the
/// one-key locks of `idempotency`): "HMS" + 1 for practitioners, + 2 for patients.
const PRACTITIONER_CALENDAR: i32 = 0x484D_5301;
const PATIENT_CALENDAR: i32 = 0x484D_5302;

/// Serialises changes to these practitioners' and patients' calendars until the transaction
/// ends. Call it before inserting an appointment or changing one's time, practitioner or
/// status (after locking the appointment's row, if any).
///
/// The exclusion constraints alone never let a double booking in, but two transactions that
/// write overlapping rows at the same instant can each wait for the other inside the constraint
/// check; PostgreSQL then breaks the deadlock by failing one of them with a deadlock error, not
/// a constraint violation (a 500 instead of a 409). With this lock the second writer waits for
/// the first to commit and then meets a plain exclusion violation. Locks are taken in one global
/// order, so writers never deadlock among themselves. (Two ids sharing a 32-bit key only
/// serialise a little more.)
pub fn lock_calendars(
    conn: &mut PgConnection,
    practitioners: &[Uuid],
    patients: &[Uuid],
) -> QueryResult<()> {
    let fold = |id: &Uuid| {
        let v = id.as_u128();
        (v as u32 ^ (v >> 32) as u32 ^ (v >> 64) as u32 ^ (v >> 96) as u32) as i32
    };
    let mut keys: Vec<(i32, i32)> = practitioners
        .iter()
        .map(|id| (PRACTITIONER_CALENDAR, fold(id)))
        .chain(patients.iter().map(|id| (PATIENT_CALENDAR, fold(id))))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for (class, key) in keys {
        crate::db::prepared("SELECT pg_advisory_xact_lock($1, $2)")
            .bind::<diesel::sql_types::Int4, _>(class)
            .bind::<diesel::sql_types::Int4, _>(key)
            .execute(conn)?;
    }
    Ok(())
}

pub fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    cancel_reason: Option<&str>,
) -> QueryResult<()> {
    diesel::update(appointments::table.find(id))
        .set((
            appointments::status.eq(status),
            appointments::cancel_reason.eq(cancel_reason),
            appointments::version.eq(appointments::version + 1),
            appointments::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn move_to(
    conn: &mut PgConnection,
    id: Uuid,
    practitioner_id: Uuid,
    department_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(appointments::table.find(id))
        .set((
            appointments::practitioner_id.eq(practitioner_id),
            appointments::department_id.eq(department_id),
            appointments::starts_at.eq(starts_at),
            appointments::ends_at.eq(ends_at),
            appointments::version.eq(appointments::version + 1),
            appointments::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn record_change(
    conn: &mut PgConnection,
    appointment: Uuid,
    from: Option<&str>,
    to: &str,
    by: Uuid,
    reason: Option<&str>,
    is_revert: bool,
) -> QueryResult<()> {
    diesel::insert_into(appointment_status_changes::table)
        .values((
            appointment_status_changes::appointment_id.eq(appointment),
            appointment_status_changes::from_status.eq(from),
            appointment_status_changes::to_status.eq(to),
            appointment_status_changes::changed_by.eq(by),
            appointment_status_changes::reason.eq(reason),
            appointment_status_changes::is_revert.eq(is_revert),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable)]
pub struct ChangeRow {
    pub from_status: Option<String>,
    pub to_status: String,
    pub changed_by: Uuid,
    pub changed_by_name: String,
    pub changed_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub is_revert: bool,
}

/// The appointment's status history, oldest first (bounded: a workflow has a handful of steps).
pub fn history(conn: &mut PgConnection, appointment: Uuid) -> QueryResult<Vec<ChangeRow>> {
    appointment_status_changes::table
        .inner_join(users::table.on(users::id.eq(appointment_status_changes::changed_by)))
        .filter(appointment_status_changes::appointment_id.eq(appointment))
        .order(appointment_status_changes::id.asc())
        .limit(500)
        .select((
            appointment_status_changes::from_status,
            appointment_status_changes::to_status,
            appointment_status_changes::changed_by,
            users::display_name,
            appointment_status_changes::changed_at,
            appointment_status_changes::reason,
            appointment_status_changes::is_revert,
        ))
        .load(conn)
}

/// Filters of the appointment list.
#[derive(Default)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub practitioner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub status: Option<String>,
}

/// The list query: `$1` time zone, `$2`/`$3` first and last local day, `$4` practitioner,
/// `$5` department, `$6` patient, `$7` status, `$8`/`$9` the keyset after which to start,
/// `$10` limit. Each absent filter is a NULL that PostgreSQL folds away when it plans the query
/// with the actual values, so each shape uses its index (department, practitioner or patient,
/// then `starts_at, id`).
fn list_sql() -> String {
    format!(
        "{SELECT}
          WHERE ($2::date IS NULL OR a.starts_at >= ($2::date)::timestamp AT TIME ZONE $1)
            AND ($3::date IS NULL OR a.starts_at < ($3::date + 1)::timestamp AT TIME ZONE $1)
            AND ($4::uuid IS NULL OR a.practitioner_id = $4)
            AND ($5::uuid IS NULL OR a.department_id = $5)
            AND ($6::uuid IS NULL OR a.patient_id = $6)
            AND ($7::text IS NULL OR a.status = $7)
            AND ($8::timestamptz IS NULL OR (a.starts_at, a.id) > ($8, $9))
          ORDER BY a.starts_at, a.id
          LIMIT $10"
    )
}

macro_rules! bind_list {
    ($query:expr, $time_zone:expr, $filter:expr, $after:expr, $limit:expr) => {
        $query
            .bind::<Text, _>($time_zone)
            .bind::<Nullable<Date>, _>($filter.from)
            .bind::<Nullable<Date>, _>($filter.to)
            .bind::<Nullable<SqlUuid>, _>($filter.practitioner_id)
            .bind::<Nullable<SqlUuid>, _>($filter.department_id)
            .bind::<Nullable<SqlUuid>, _>($filter.patient_id)
            .bind::<Nullable<Text>, _>($filter.status.as_deref())
            .bind::<Nullable<Timestamptz>, _>($after.map(|a| a.0))
            .bind::<Nullable<SqlUuid>, _>($after.map(|a| a.1))
            .bind::<Int8, _>($limit)
    };
}

/// One page in start order, after (`after_start`, `after_id`) when given. Days are local to
/// `time_zone`.
pub fn list(
    conn: &mut PgConnection,
    time_zone: &str,
    filter: &Filter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<AppointmentRow>> {
    bind_list!(
        diesel::sql_query(list_sql()),
        time_zone,
        filter,
        after,
        limit
    )
    .load(conn)
}

/// The plan PostgreSQL picks for [`list`] with these values, one line per row of `EXPLAIN`
/// (for the test that the day views stay on their indexes as the table grows).
pub fn explain_list(
    conn: &mut PgConnection,
    time_zone: &str,
    filter: &Filter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let query = diesel::sql_query(format!("EXPLAIN {}", list_sql()));
    let lines: Vec<PlanLine> = bind_list!(query, time_zone, filter, after, limit).load(conn)?;
    Ok(lines.into_iter().map(|l| l.line).collect())
}
