//! Incident, postmortem and override queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Timestamptz};
use uuid::Uuid;

use crate::db::schema::{
    component_overrides, incident_components, incident_updates, incidents, postmortems, users,
};

// ---------------------------------------------------------------------------------------------
// Incidents

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = incidents)]
pub struct IncidentRow {
    pub id: Uuid,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub automatic: bool,
    pub outage_down_at: Option<DateTime<Utc>>,
    pub outage_up_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Insertable)]
#[diesel(table_name = incidents)]
pub struct NewIncidentRow<'a> {
    pub id: Uuid,
    pub title: &'a str,
    pub severity: &'a str,
    pub status: &'a str,
    pub started_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub automatic: bool,
    pub outage_down_at: Option<DateTime<Utc>>,
}

pub fn insert_incident(conn: &mut PgConnection, row: &NewIncidentRow) -> QueryResult<IncidentRow> {
    diesel::insert_into(incidents::table)
        .values(row)
        .returning(IncidentRow::as_returning())
        .get_result(conn)
}

pub fn insert_components(conn: &mut PgConnection, id: Uuid, keys: &[&str]) -> QueryResult<()> {
    let rows: Vec<_> = keys
        .iter()
        .map(|k| {
            (
                incident_components::incident_id.eq(id),
                incident_components::component.eq(*k),
            )
        })
        .collect();
    diesel::insert_into(incident_components::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|_| ())
}

pub fn find_incident(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<IncidentRow>> {
    incidents::table
        .find(id)
        .select(IncidentRow::as_select())
        .first(conn)
        .optional()
}

/// The incident, locked until the end of the transaction.
pub fn lock_incident(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<IncidentRow>> {
    incidents::table
        .find(id)
        .select(IncidentRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Sets the status (and `resolved_at` with it), bumping the version.
pub fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    resolved_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    diesel::update(incidents::table.find(id))
        .set((
            incidents::status.eq(status),
            incidents::resolved_at.eq(resolved_at),
            incidents::updated_at.eq(diesel::dsl::now),
            incidents::version.eq(incidents::version + 1),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records the outage bookkeeping of an automatic incident, bumping the version.
pub fn set_outage(
    conn: &mut PgConnection,
    id: Uuid,
    started_at: DateTime<Utc>,
    down_at: DateTime<Utc>,
    up_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    diesel::update(incidents::table.find(id))
        .set((
            incidents::started_at.eq(started_at),
            incidents::outage_down_at.eq(down_at),
            incidents::outage_up_at.eq(up_at),
            incidents::updated_at.eq(diesel::dsl::now),
            incidents::version.eq(incidents::version + 1),
        ))
        .execute(conn)
        .map(|_| ())
}

pub struct IncidentFilter {
    /// Only these statuses (empty: any).
    pub statuses: Vec<String>,
    /// Only incidents resolved at or after this instant.
    pub resolved_since: Option<DateTime<Utc>>,
    /// Keyset: strictly after this (started_at, id), in the list's order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Incidents, newest first (by start, then id); one more than `limit` to tell whether another
/// page exists.
pub fn list_incidents(
    conn: &mut PgConnection,
    filter: &IncidentFilter,
) -> QueryResult<Vec<IncidentRow>> {
    let mut query = incidents::table
        .select(IncidentRow::as_select())
        .order((incidents::started_at.desc(), incidents::id.desc()))
        .limit(filter.limit + 1)
        .into_boxed();
    if !filter.statuses.is_empty() {
        query = query.filter(incidents::status.eq_any(filter.statuses.clone()));
    }
    if let Some(since) = filter.resolved_since {
        query = query.filter(incidents::resolved_at.ge(since));
    }
    if let Some((at, id)) = filter.after {
        query = query.filter(
            incidents::started_at
                .lt(at)
                .or(incidents::started_at.eq(at).and(incidents::id.lt(id))),
        );
    }
    query.load(conn)
}

/// The components of each incident in `ids`.
pub fn components_of(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String)>> {
    incident_components::table
        .filter(incident_components::incident_id.eq_any(ids))
        .select((
            incident_components::incident_id,
            incident_components::component,
        ))
        .load(conn)
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = incident_updates)]
pub struct UpdateRow {
    pub id: i64,
    pub incident_id: Uuid,
    pub status: String,
    pub message: String,
    pub author_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

pub fn insert_update(
    conn: &mut PgConnection,
    incident_id: Uuid,
    status: &str,
    message: &str,
    author_id: Option<Uuid>,
    at: DateTime<Utc>,
) -> QueryResult<UpdateRow> {
    diesel::insert_into(incident_updates::table)
        .values((
            incident_updates::incident_id.eq(incident_id),
            incident_updates::status.eq(status),
            incident_updates::message.eq(message),
            incident_updates::author_id.eq(author_id),
            incident_updates::at.eq(at),
        ))
        .returning(UpdateRow::as_returning())
        .get_result(conn)
}

/// The timelines of `ids`, newest first, at most `limit` entries in all.
pub fn updates_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
    limit: i64,
) -> QueryResult<Vec<UpdateRow>> {
    incident_updates::table
        .filter(incident_updates::incident_id.eq_any(ids))
        .select(UpdateRow::as_select())
        .order((incident_updates::at.desc(), incident_updates::id.desc()))
        .limit(limit)
        .load(conn)
}

/// The newest update of each incident in `ids`.
pub fn latest_updates(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<UpdateRow>> {
    incident_updates::table
        .filter(incident_updates::incident_id.eq_any(ids))
        .select(UpdateRow::as_select())
        .distinct_on(incident_updates::incident_id)
        .order((
            incident_updates::incident_id,
            incident_updates::at.desc(),
            incident_updates::id.desc(),
        ))
        .load(conn)
}

/// Which of `ids` have a postmortem.
pub fn with_postmortem(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    postmortems::table
        .filter(postmortems::incident_id.eq_any(ids))
        .select(postmortems::incident_id)
        .load(conn)
}

/// Display names of the accounts in `ids`.
pub fn names(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Automatic outage incidents

/// Serializes the outage bookkeeping of every API host (transaction-scoped).
pub fn lock_outages(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('hms:outage-incidents', 0))")
        .execute(conn)
        .map(|_| ())
}

/// The automatic incident that already covers an outage seen beginning at `down_at`: it began
/// at most `tolerance` later, and the primary was not back before `down_at`.
pub fn outage_covering(
    conn: &mut PgConnection,
    down_at: DateTime<Utc>,
    tolerance: chrono::Duration,
) -> QueryResult<Option<IncidentRow>> {
    incidents::table
        .filter(incidents::automatic.eq(true))
        .filter(incidents::started_at.le(down_at + tolerance))
        .filter(
            incidents::outage_up_at
                .is_null()
                .or(incidents::outage_up_at.ge(down_at)),
        )
        .select(IncidentRow::as_select())
        .order((incidents::started_at.desc(), incidents::id.desc()))
        .first(conn)
        .optional()
}

/// The newest automatic incident not resolved yet whose outage is over (being monitored): a
/// new outage joins it instead of opening another.
pub fn outage_being_monitored(conn: &mut PgConnection) -> QueryResult<Option<IncidentRow>> {
    incidents::table
        .filter(incidents::automatic.eq(true))
        .filter(incidents::status.ne("resolved"))
        .filter(incidents::outage_up_at.is_not_null())
        .select(IncidentRow::as_select())
        .order((incidents::started_at.desc(), incidents::id.desc()))
        .first(conn)
        .optional()
}

/// The automatic incident whose outage is still going on, if it began at or before `up_at`.
pub fn live_outage(
    conn: &mut PgConnection,
    up_at: DateTime<Utc>,
) -> QueryResult<Option<IncidentRow>> {
    incidents::table
        .filter(incidents::automatic.eq(true))
        .filter(incidents::outage_down_at.is_not_null())
        .filter(incidents::outage_up_at.is_null())
        .filter(incidents::outage_down_at.le(up_at))
        .select(IncidentRow::as_select())
        .first(conn)
        .optional()
}

// ---------------------------------------------------------------------------------------------
// Postmortems

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = postmortems)]
pub struct PostmortemRow {
    pub incident_id: Uuid,
    pub summary: String,
    pub impact: String,
    pub timeline: String,
    pub root_cause: String,
    pub resolution: String,
    pub corrective_actions: serde_json::Value,
    pub author_id: Uuid,
    pub updated_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = postmortems)]
pub struct PostmortemChanges<'a> {
    pub summary: &'a str,
    pub impact: &'a str,
    pub timeline: &'a str,
    pub root_cause: &'a str,
    pub resolution: &'a str,
    pub corrective_actions: &'a serde_json::Value,
    pub updated_by: Uuid,
}

pub fn find_postmortem(
    conn: &mut PgConnection,
    incident_id: Uuid,
) -> QueryResult<Option<PostmortemRow>> {
    postmortems::table
        .find(incident_id)
        .select(PostmortemRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_postmortem(
    conn: &mut PgConnection,
    incident_id: Uuid,
    author_id: Uuid,
    changes: &PostmortemChanges,
) -> QueryResult<PostmortemRow> {
    diesel::insert_into(postmortems::table)
        .values((
            postmortems::incident_id.eq(incident_id),
            postmortems::author_id.eq(author_id),
            changes,
        ))
        .returning(PostmortemRow::as_returning())
        .get_result(conn)
}

/// Updates the postmortem if it is still at `version`; `None` when it is not.
pub fn update_postmortem(
    conn: &mut PgConnection,
    incident_id: Uuid,
    version: i32,
    changes: &PostmortemChanges,
) -> QueryResult<Option<PostmortemRow>> {
    diesel::update(
        postmortems::table
            .find(incident_id)
            .filter(postmortems::version.eq(version)),
    )
    .set((
        changes,
        postmortems::updated_at.eq(diesel::dsl::now),
        postmortems::version.eq(postmortems::version + 1),
    ))
    .returning(PostmortemRow::as_returning())
    .get_result(conn)
    .optional()
}

// ---------------------------------------------------------------------------------------------
// Component overrides

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = component_overrides)]
pub struct OverrideRow {
    pub component: String,
    pub state: String,
    pub note: Option<String>,
    pub set_by: Uuid,
    pub set_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Overrides in force at `now` (expired ones are ignored, and removed by the next change).
pub fn overrides_in_force(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> QueryResult<Vec<OverrideRow>> {
    component_overrides::table
        .filter(
            component_overrides::expires_at
                .is_null()
                .or(component_overrides::expires_at.gt(now)),
        )
        .select(OverrideRow::as_select())
        .load(conn)
}

pub fn put_override(
    conn: &mut PgConnection,
    component: &str,
    state: &str,
    note: Option<&str>,
    set_by: Uuid,
    expires_at: Option<DateTime<Utc>>,
) -> QueryResult<OverrideRow> {
    let values = (
        component_overrides::component.eq(component),
        component_overrides::state.eq(state),
        component_overrides::note.eq(note),
        component_overrides::set_by.eq(set_by),
        component_overrides::set_at.eq(diesel::dsl::now),
        component_overrides::expires_at.eq(expires_at),
    );
    diesel::insert_into(component_overrides::table)
        .values(values)
        .on_conflict(component_overrides::component)
        .do_update()
        .set((
            component_overrides::state.eq(state),
            component_overrides::note.eq(note),
            component_overrides::set_by.eq(set_by),
            component_overrides::set_at.eq(diesel::dsl::now),
            component_overrides::expires_at.eq(expires_at),
        ))
        .returning(OverrideRow::as_returning())
        .get_result(conn)
}

/// Removes the override of `component`; whether one was in force at `now`.
pub fn delete_override(
    conn: &mut PgConnection,
    component: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let removed: Vec<Option<DateTime<Utc>>> = diesel::delete(
        component_overrides::table.filter(component_overrides::component.eq(component)),
    )
    .returning(component_overrides::expires_at)
    .get_results(conn)?;
    Ok(removed.iter().any(|e| e.is_none_or(|e| e > now)))
}

// ---------------------------------------------------------------------------------------------
// Backups (the operations module's `backup_runs`, read only when it exists)

#[derive(QueryableByName)]
struct Present {
    #[diesel(sql_type = Bool)]
    present: bool,
}

/// What the status page needs from `backup_runs`.
#[derive(QueryableByName, Debug, Clone, PartialEq)]
pub struct BackupRow {
    #[diesel(sql_type = BigInt)]
    pub runs: i64,
    /// The end of the newest successful backup.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_backup: Option<DateTime<Utc>>,
    /// The end of the newest successful backup that a restore test verified.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_verified: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub last_backup_failed: Option<bool>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub last_verify_failed: Option<bool>,
}

/// The backups' facts, or `None` when `backup_runs` does not exist (no operations module).
pub fn backup_facts(conn: &mut PgConnection) -> QueryResult<Option<BackupRow>> {
    let present =
        diesel::sql_query("SELECT to_regclass('public.backup_runs') IS NOT NULL AS present")
            .get_result::<Present>(conn)?
            .present;
    if !present {
        return Ok(None);
    }
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM backup_runs) AS runs,
                (SELECT max(finished_at) FROM backup_runs
                  WHERE kind = 'backup' AND result = 'ok') AS last_backup,
                (SELECT max(b.finished_at) FROM backup_runs b
                  WHERE b.kind = 'backup' AND b.result = 'ok'
                    AND EXISTS (SELECT 1 FROM backup_runs v
                                WHERE v.kind = 'verify' AND v.result = 'ok'
                                  AND v.backup_label = b.backup_label)) AS last_verified,
                (SELECT result = 'failed' FROM backup_runs WHERE kind = 'backup'
                  ORDER BY finished_at DESC, id DESC LIMIT 1) AS last_backup_failed,
                (SELECT result = 'failed' FROM backup_runs WHERE kind = 'verify'
                  ORDER BY finished_at DESC, id DESC LIMIT 1) AS last_verify_failed",
    )
    .get_result(conn)
    .map(Some)
}
