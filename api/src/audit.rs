//! The audit trail: who did what to which record, when, from where, with what outcome.
//!
//! Rows are written in the same transaction as the change they describe, so a change without
//! its audit row cannot exist. Never store secrets or clinical content here, only ids.

use diesel::prelude::*;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::schema::audit_events;

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

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditRow<'a> {
    actor_id: Option<Uuid>,
    actor_role: Option<&'a str>,
    action: &'a str,
    entity_type: &'a str,
    entity_id: Option<String>,
    client_addr: Option<&'a str>,
    request_id: Option<&'a str>,
    outcome: &'a str,
}

/// Appends one event.
pub fn record(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    event: AuditEvent<'_>,
) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(NewAuditRow {
            actor_id: event.actor.map(|a| a.0),
            actor_role: event.actor.map(|a| a.1),
            action: event.action,
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            client_addr: meta.client_addr.as_deref(),
            request_id: meta.request_id.as_deref(),
            outcome: event.outcome,
        })
        .execute(conn)
        .map(|_| ())
}
