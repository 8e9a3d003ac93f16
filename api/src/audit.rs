//! The audit trail: who did what to which record, when, from where, with what outcome.
//!
//! Rows are written in the same transaction as the change they describe, so a change without
//! its audit row cannot exist. Never store secrets or clinical content here, only ids.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::schema::{audit_events, users};

/// Where a request came from, for the audit trail and rate limits.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
}

/// One audit row to write.
pub struct AuditEvent<'a> {
    pub actor: Option<(Uuid, &'a str)>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    pub outcome: &'a str,
}

impl<'a> AuditEvent<'a> {
    /// A successful action by a signed-in user.
    pub fn by(
        user: &'a AuthUser,
        action: &'a str,
        entity_type: &'a str,
        id: impl ToString,
    ) -> Self {
        AuditEvent {
            actor: Some((user.id, user.role.as_str())),
            action,
            entity_type,
            entity_id: Some(id.to_string()),
            outcome: "success",
        }
    }
}

/// One audit row to append. Owned and serializable: while the primary database is unreachable
/// and reads are served by a standby, the rows of those reads go to the durable journal and are
/// written when the primary is back (with the time they happened).
#[derive(Insertable, serde::Serialize, serde::Deserialize, Debug, Clone)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    occurred_at: DateTime<Utc>,
    patient_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    actor_role: Option<String>,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    client_addr: Option<String>,
    request_id: Option<String>,
    outcome: String,
}

/// Appends rows: to `audit_events` in the caller's transaction, or, for a read served by a
/// standby, to the journal (fsynced) so that no read goes unaudited.
fn append(conn: &mut PgConnection, rows: Vec<AuditRow>) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if let Some(journal) = crate::db::standby_journal() {
        return journal.append_audit(rows).map_err(|e| {
            log::error!("could not journal audit rows of a standby read: {e}");
            diesel::result::Error::RollbackTransaction
        });
    }
    insert_rows(conn, &rows)
}

/// Writes rows to `audit_events` (also used to replay journaled rows).
pub fn insert_rows(conn: &mut PgConnection, rows: &[AuditRow]) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(rows)
        .execute(conn)
        .map(|_| ())
}

/// Appends one event.
pub fn record(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    event: AuditEvent<'_>,
) -> QueryResult<()> {
    append(
        conn,
        vec![AuditRow {
            occurred_at: Utc::now(),
            patient_id: None,
            actor_id: event.actor.map(|a| a.0),
            actor_role: event.actor.map(|a| a.1.to_owned()),
            action: event.action.to_owned(),
            entity_type: event.entity_type.to_owned(),
            entity_id: event.entity_id,
            client_addr: meta.client_addr.clone(),
            request_id: meta.request_id.clone(),
            outcome: event.outcome.to_owned(),
        }],
    )
}

/// Appends an event about one patient's record: who (`user`), what (`action` on
/// `entity_type`, optionally one entry), from where (`meta`).
pub fn record_for_patient(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    user: &AuthUser,
    patient_id: Uuid,
    action: &str,
    entity_type: &str,
    entity_id: Option<String>,
) -> QueryResult<()> {
    append(
        conn,
        vec![patient_row(
            meta,
            user,
            patient_id,
            action,
            entity_type,
            entity_id,
        )],
    )
}

/// Appends one event per patient in `patient_ids` (a search result): each shows in that
/// patient's access log.
pub fn record_patients_seen(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    user: &AuthUser,
    patient_ids: &[Uuid],
    action: &str,
) -> QueryResult<()> {
    let rows = patient_ids
        .iter()
        .map(|id| patient_row(meta, user, *id, action, "patient", None))
        .collect();
    append(conn, rows)
}

fn patient_row(
    meta: &RequestMeta,
    user: &AuthUser,
    patient_id: Uuid,
    action: &str,
    entity_type: &str,
    entity_id: Option<String>,
) -> AuditRow {
    AuditRow {
        occurred_at: Utc::now(),
        patient_id: Some(patient_id),
        actor_id: Some(user.id),
        actor_role: Some(user.role.as_str().to_owned()),
        action: action.to_owned(),
        entity_type: entity_type.to_owned(),
        entity_id,
        client_addr: meta.client_addr.clone(),
        request_id: meta.request_id.clone(),
        outcome: "success".to_owned(),
    }
}

/// One row of a patient's access log, with the actor's display name.
#[derive(Queryable)]
pub struct PatientAuditRow {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_name: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
}

/// Events about `patient_id`, newest first, before the event id `before` when given.
pub fn for_patient(
    conn: &mut PgConnection,
    patient_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<PatientAuditRow>> {
    let mut query = audit_events::table
        .left_join(users::table.on(users::id.nullable().eq(audit_events::actor_id)))
        .filter(audit_events::patient_id.eq(patient_id))
        .select((
            audit_events::id,
            audit_events::occurred_at,
            users::display_name.nullable(),
            audit_events::actor_role,
            audit_events::action,
            audit_events::entity_type,
            audit_events::client_addr,
            audit_events::request_id,
        ))
        .order(audit_events::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    query.load(conn)
}
