//! SQL for departments, practitioners, availability and slots.
//!
//! Local times become instants in PostgreSQL (`(day + time) AT TIME ZONE tz`), which knows every
//! daylight-saving rule: a 09:00 clinic is at 09:00 on the wall clock on both sides of a change.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::{
    availability_exceptions, availability_rules, departments, practitioners, users,
};

#[derive(Queryable)]
pub struct DepartmentRow {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub version: i32,
}

const DEPARTMENT: (
    departments::id,
    departments::name,
    departments::description,
    departments::active,
    departments::version,
) = (
    departments::id,
    departments::name,
    departments::description,
    departments::active,
    departments::version,
);

pub fn insert_department(
    conn: &mut PgConnection,
    name: &str,
    description: Option<&str>,
) -> QueryResult<DepartmentRow> {
    diesel::insert_into(departments::table)
        .values((
            departments::name.eq(name),
            departments::description.eq(description),
        ))
        .returning(DEPARTMENT)
        .get_result(conn)
}

pub fn list_departments(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<DepartmentRow>> {
    departments::table
        .filter(departments::active.eq(true))
        .order((departments::name.asc(), departments::id.asc()))
        .limit(limit)
        .select(DEPARTMENT)
        .load(conn)
}

pub fn find_department(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<DepartmentRow>> {
    departments::table
        .find(id)
        .select(DEPARTMENT)
        .first(conn)
        .optional()
}

#[derive(Queryable)]
pub struct PractitionerRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub specialty: String,
    pub active: bool,
    pub version: i32,
}

type PractitionerQuery = diesel::dsl::Select<
    diesel::dsl::InnerJoin<
        diesel::dsl::InnerJoin<practitioners::table, users::table>,
        departments::table,
    >,
    (
        practitioners::id,
        practitioners::user_id,
        users::display_name,
        practitioners::department_id,
        departments::name,
        practitioners::specialty,
        practitioners::active,
        practitioners::version,
    ),
>;

fn practitioner_query() -> PractitionerQuery {
    practitioners::table
        .inner_join(users::table)
        .inner_join(departments::table)
        .select((
            practitioners::id,
            practitioners::user_id,
            users::display_name,
            practitioners::department_id,
            departments::name,
            practitioners::specialty,
            practitioners::active,
            practitioners::version,
        ))
}

pub fn find_practitioner(
    conn: &mut PgConnection,
    id: Uuid,
) -> QueryResult<Option<PractitionerRow>> {
    practitioner_query()
        .filter(practitioners::id.eq(id))
        .first(conn)
        .optional()
}

pub fn list_practitioners(
    conn: &mut PgConnection,
    department: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<PractitionerRow>> {
    let mut query = practitioner_query()
        .filter(practitioners::active.eq(true))
        .order((users::display_name.asc(), practitioners::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some(d) = department {
        query = query.filter(practitioners::department_id.eq(d));
    }
    query.load(conn)
}

pub fn insert_practitioner(
    conn: &mut PgConnection,
    user: Uuid,
    department: Uuid,
    specialty: &str,
) -> QueryResult<Uuid> {
    diesel::insert_into(practitioners::table)
        .values((
            practitioners::user_id.eq(user),
            practitioners::department_id.eq(department),
            practitioners::specialty.eq(specialty),
        ))
        .returning(practitioners::id)
        .get_result(conn)
}

#[derive(Queryable)]
pub struct RuleRow {
    pub weekday: i16,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub slot_minutes: i32,
}

pub fn rules(conn: &mut PgConnection, practitioner: Uuid) -> QueryResult<Vec<RuleRow>> {
    availability_rules::table
        .filter(availability_rules::practitioner_id.eq(practitioner))
        .order((availability_rules::weekday, availability_rules::starts_at))
        .select((
            availability_rules::weekday,
            availability_rules::starts_at,
            availability_rules::ends_at,
            availability_rules::slot_minutes,
        ))
        .load(conn)
}

/// Replaces the practitioner's weekly hours.
pub fn replace_rules(
    conn: &mut PgConnection,
    practitioner: Uuid,
    rules: &[RuleRow],
) -> QueryResult<()> {
    diesel::delete(
        availability_rules::table.filter(availability_rules::practitioner_id.eq(practitioner)),
    )
    .execute(conn)?;
    let rows: Vec<_> = rules
        .iter()
        .map(|r| {
            (
                availability_rules::practitioner_id.eq(practitioner),
                availability_rules::weekday.eq(r.weekday),
                availability_rules::starts_at.eq(r.starts_at),
                availability_rules::ends_at.eq(r.ends_at),
                availability_rules::slot_minutes.eq(r.slot_minutes),
            )
        })
        .collect();
    diesel::insert_into(availability_rules::table)
        .values(rows)
        .execute(conn)
        .map(|_| ())
}

#[derive(QueryableByName)]
pub struct ExceptionRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub starts_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub ends_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub reason: String,
}

/// Exceptions that have not ended yet, soonest first (at most 200).
pub fn upcoming_exceptions(
    conn: &mut PgConnection,
    practitioner: Uuid,
) -> QueryResult<Vec<ExceptionRow>> {
    diesel::sql_query(
        "SELECT id, lower(period) AS starts_at, upper(period) AS ends_at, reason
           FROM availability_exceptions
          WHERE practitioner_id = $1 AND upper(period) > now()
          ORDER BY lower(period), id
          LIMIT 200",
    )
    .bind::<SqlUuid, _>(practitioner)
    .load(conn)
}

pub fn insert_exception(
    conn: &mut PgConnection,
    practitioner: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    reason: &str,
    by: Uuid,
) -> QueryResult<ExceptionRow> {
    diesel::sql_query(
        "INSERT INTO availability_exceptions (practitioner_id, period, reason, created_by)
         VALUES ($1, tstzrange($2, $3, '[)'), $4, $5)
         RETURNING id, lower(period) AS starts_at, upper(period) AS ends_at, reason",
    )
    .bind::<SqlUuid, _>(practitioner)
    .bind::<Timestamptz, _>(starts_at)
    .bind::<Timestamptz, _>(ends_at)
    .bind::<Text, _>(reason)
    .bind::<SqlUuid, _>(by)
    .get_result(conn)
}

pub fn delete_exception(
    conn: &mut PgConnection,
    practitioner: Uuid,
    id: Uuid,
) -> QueryResult<usize> {
    diesel::delete(
        availability_exceptions::table
            .filter(availability_exceptions::id.eq(id))
            .filter(availability_exceptions::practitioner_id.eq(practitioner)),
    )
    .execute(conn)
}

#[derive(QueryableByName)]
pub struct SlotRow {
    #[diesel(sql_type = SqlUuid)]
    pub practitioner_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub starts_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub ends_at: DateTime<Utc>,
}

/// Free slots from local day `from` to `to` (inclusive) for one practitioner or a whole
/// department: working hours, minus leave, minus live appointments, minus the past.
pub fn free_slots(
    conn: &mut PgConnection,
    time_zone: &str,
    practitioner: Option<Uuid>,
    department: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<SlotRow>> {
    diesel::sql_query(
        "WITH days AS (
             SELECT d::date AS day FROM generate_series($3::date, $4::date, interval '1 day') AS d
         ), windows AS (
             SELECT r.practitioner_id, make_interval(mins => r.slot_minutes) AS step,
                    (days.day + r.starts_at) AT TIME ZONE $1 AS opens,
                    (days.day + r.ends_at) AT TIME ZONE $1 AS closes
               FROM availability_rules r
               JOIN practitioners p ON p.id = r.practitioner_id AND p.active
               JOIN days ON extract(isodow FROM days.day) = r.weekday
              WHERE ($2::uuid IS NULL OR p.id = $2) AND ($5::uuid IS NULL OR p.department_id = $5)
         ), slots AS (
             SELECT w.practitioner_id, s AS starts_at, s + w.step AS ends_at
               FROM windows w, generate_series(w.opens, w.closes - w.step, w.step) AS s
         )
         SELECT s.practitioner_id, s.starts_at, s.ends_at
           FROM slots s
          WHERE s.starts_at >= now()
            AND NOT EXISTS (SELECT 1 FROM appointments a
                             WHERE a.practitioner_id = s.practitioner_id AND a.status <> 'cancelled'
                               AND a.period && tstzrange(s.starts_at, s.ends_at, '[)')
                               -- The same overlap, but for the whole window and so usable by
                               -- the index with the practitioner: without it the planner reads
                               -- every appointment the practitioner ever had (3 s at 1M rows).
                               AND a.period && tstzrange(($3::date - 1)::timestamp AT TIME ZONE $1,
                                                         ($4::date + 2)::timestamp AT TIME ZONE $1))
            AND NOT EXISTS (SELECT 1 FROM availability_exceptions e
                             WHERE e.practitioner_id = s.practitioner_id
                               AND e.period && tstzrange(s.starts_at, s.ends_at, '[)'))
          ORDER BY s.starts_at, s.practitioner_id
          LIMIT $6",
    )
    .bind::<Text, _>(time_zone)
    .bind::<Nullable<SqlUuid>, _>(practitioner)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Nullable<SqlUuid>, _>(department)
    .bind::<diesel::sql_types::Int8, _>(limit)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct WindowCheck {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub within_hours: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub on_grid: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub on_leave: bool,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    pub slot_minutes: i32,
}

/// Whether `[starts_at, ends_at)` lies inside one of the practitioner's working windows on its
/// local day, whether `starts_at` is one of that window's slot starts (as [`free_slots`] makes
/// them), whether it overlaps leave, and that window's slot length (0 when outside).
pub fn check_window(
    conn: &mut PgConnection,
    time_zone: &str,
    practitioner: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
) -> QueryResult<WindowCheck> {
    crate::db::prepared(
        "WITH local AS (SELECT ($3 AT TIME ZONE $1) AS s),
              hit AS (
                 SELECT r.slot_minutes,
                        (local.s::date + r.starts_at) AT TIME ZONE $1 AS opens,
                        (local.s::date + r.ends_at) AT TIME ZONE $1 AS closes
                   FROM availability_rules r, local
                  WHERE r.practitioner_id = $2
                    AND r.weekday = extract(isodow FROM local.s)
                    AND local.s::time >= r.starts_at
                    AND local.s::time < r.ends_at
                  ORDER BY r.starts_at LIMIT 1)
         SELECT (hit.slot_minutes IS NOT NULL
                 AND coalesce($4, $3 + make_interval(mins => hit.slot_minutes)) <= hit.closes) AS within_hours,
                coalesce(mod(extract(epoch FROM ($3 - hit.opens))::numeric, hit.slot_minutes * 60) = 0,
                         false) AS on_grid,
                EXISTS (SELECT 1 FROM availability_exceptions e
                         WHERE e.practitioner_id = $2
                           AND e.period && tstzrange($3, coalesce($4, $3 + make_interval(mins => coalesce(hit.slot_minutes, 1))), '[)')) AS on_leave,
                coalesce(hit.slot_minutes, 0) AS slot_minutes
           FROM (SELECT 1) AS one LEFT JOIN hit ON true",
    )
    .bind::<Text, _>(time_zone)
    .bind::<SqlUuid, _>(practitioner)
    .bind::<Timestamptz, _>(starts_at)
    .bind::<Nullable<Timestamptz>, _>(ends_at)
    .get_result(conn)
}

/// Whether PostgreSQL knows `time_zone`.
pub fn time_zone_exists(conn: &mut PgConnection, time_zone: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS found")
        .bind::<Text, _>(time_zone)
        .get_result::<Found>(conn)
        .map(|f| f.found)
}
