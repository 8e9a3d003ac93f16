//! Incident rules: declaring, the timeline, resolving, postmortems with optimistic concurrency,
//! component overrides, the public page, and the automatic outage incident (idempotent across
//! API hosts). No actix types.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use hms_api_types::incidents::{
    Component, ComponentKey, ComponentState, CorrectiveAction, Incident, IncidentPage,
    IncidentSeverity, IncidentStatus, IncidentSummary, IncidentUpdate, NewIncident,
    NewIncidentUpdate, Postmortem, PostmortemInput, PublicIncident, PublicUpdate, ResolveIncident,
    SetComponentState, StatusPage,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::components::{self, BackupFacts};
use super::repo::{self, IncidentFilter, IncidentRow, OverrideRow, PostmortemChanges, UpdateRow};
use super::watch::OPEN_AFTER;
use crate::audit::{self, AuditEvent, RequestMeta};
use crate::auth::AuthUser;
use crate::db::state::Snapshot;
use crate::error::ApiError;
use crate::pagination;
use crate::validate::{optional_text, Check};
use crate::webhooks;

/// The name shown for what HMS posts by itself.
pub const AUTOMATIC_AUTHOR: &str = "HMS (automatic)";
/// The title of the incident HMS opens when the primary database is unreachable.
pub const OUTAGE_TITLE: &str = "Database primary unreachable — HMS is read-only";
/// Hosts see an outage begin at slightly different instants (probe timing, clocks): openings
/// this close to a recorded outage's start are the same outage.
pub const OUTAGE_TOLERANCE: Duration = Duration::seconds(60);
/// How far back the status page's history goes.
pub const RECENT_DAYS: i64 = 14;
/// Timeline entries of one open incident on the status page.
const PUBLIC_TIMELINE: usize = 20;
/// Incidents in each list of the status page.
const PUBLIC_LIST: i64 = 50;
/// The longest timeline returned with one incident.
const MAX_TIMELINE: i64 = 500;
const MAX_ACTIONS: usize = 50;

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn severity(row: &IncidentRow) -> IncidentSeverity {
    IncidentSeverity::parse(&row.severity).unwrap_or(IncidentSeverity::Major)
}

fn status(s: &str) -> IncidentStatus {
    IncidentStatus::parse(s).unwrap_or(IncidentStatus::Investigating)
}

fn stale(what: &str, now: i32) -> ApiError {
    ApiError::PreconditionFailed(format!(
        "the {what} was changed by someone else (now version {now}); reload and try again"
    ))
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Everything the list and detail views need about `rows`, fetched in a few queries.
struct Related {
    components: HashMap<Uuid, Vec<ComponentKey>>,
    names: HashMap<Uuid, String>,
    postmortems: HashSet<Uuid>,
}

fn related(
    conn: &mut PgConnection,
    rows: &[IncidentRow],
    updates: &[UpdateRow],
) -> QueryResult<Related> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut components: HashMap<Uuid, Vec<ComponentKey>> = HashMap::new();
    for (id, key) in repo::components_of(conn, &ids)? {
        if let Some(key) = ComponentKey::parse(&key) {
            components.entry(id).or_default().push(key);
        }
    }
    for keys in components.values_mut() {
        keys.sort();
    }
    let people: Vec<Uuid> = rows
        .iter()
        .filter_map(|r| r.created_by)
        .chain(updates.iter().filter_map(|u| u.author_id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    Ok(Related {
        components,
        names: repo::names(conn, &people)?,
        postmortems: repo::with_postmortem(conn, &ids)?.into_iter().collect(),
    })
}

fn update_dto(row: UpdateRow, names: &HashMap<Uuid, String>) -> IncidentUpdate {
    IncidentUpdate {
        id: row.id,
        status: status(&row.status),
        author_name: match row.author_id {
            Some(id) => names.get(&id).cloned().unwrap_or_else(|| "Unknown".into()),
            None => AUTOMATIC_AUTHOR.to_owned(),
        },
        author_id: row.author_id,
        message: row.message,
        at: row.at,
    }
}

fn summaries(conn: &mut PgConnection, rows: Vec<IncidentRow>) -> QueryResult<Vec<IncidentSummary>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let latest = repo::latest_updates(conn, &ids)?;
    let mut related = related(conn, &rows, &latest)?;
    let mut latest: HashMap<Uuid, UpdateRow> =
        latest.into_iter().map(|u| (u.incident_id, u)).collect();
    Ok(rows
        .into_iter()
        .map(|row| IncidentSummary {
            id: row.id,
            title: row.title.clone(),
            severity: severity(&row),
            status: status(&row.status),
            components: related.components.remove(&row.id).unwrap_or_default(),
            started_at: row.started_at,
            resolved_at: row.resolved_at,
            automatic: row.automatic,
            latest_update: latest
                .remove(&row.id)
                .map(|u| update_dto(u, &related.names)),
            has_postmortem: related.postmortems.contains(&row.id),
            version: row.version,
        })
        .collect())
}

fn postmortem_dto(row: repo::PostmortemRow, names: &HashMap<Uuid, String>) -> Postmortem {
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| "Unknown".into());
    Postmortem {
        incident_id: row.incident_id,
        summary: row.summary,
        impact: row.impact,
        timeline: row.timeline,
        root_cause: row.root_cause,
        resolution: row.resolution,
        corrective_actions: serde_json::from_value(row.corrective_actions).unwrap_or_default(),
        author_name: name(&row.author_id),
        author_id: row.author_id,
        updated_by_name: name(&row.updated_by),
        updated_by: row.updated_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}

fn detail(conn: &mut PgConnection, row: IncidentRow) -> Result<Incident, ApiError> {
    let updates = repo::updates_of(conn, &[row.id], MAX_TIMELINE)?;
    let mut related = related(conn, std::slice::from_ref(&row), &updates)?;
    let postmortem = repo::find_postmortem(conn, row.id)?;
    if let Some(pm) = &postmortem {
        let missing: Vec<Uuid> = [pm.author_id, pm.updated_by]
            .into_iter()
            .filter(|id| !related.names.contains_key(id))
            .collect();
        related.names.extend(repo::names(conn, &missing)?);
    }
    Ok(Incident {
        id: row.id,
        title: row.title.clone(),
        severity: severity(&row),
        status: status(&row.status),
        components: related.components.remove(&row.id).unwrap_or_default(),
        started_at: row.started_at,
        resolved_at: row.resolved_at,
        automatic: row.automatic,
        created_by: row.created_by,
        created_by_name: row
            .created_by
            .map(|id| related.names.get(&id).cloned().unwrap_or_default()),
        updated_at: row.updated_at,
        version: row.version,
        updates: updates
            .into_iter()
            .map(|u| update_dto(u, &related.names))
            .collect(),
        postmortem: postmortem.map(|pm| postmortem_dto(pm, &related.names)),
    })
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Incident, ApiError> {
    let row = repo::find_incident(conn, id)?.ok_or_else(|| ApiError::not_found("the incident"))?;
    detail(conn, row)
}

pub struct IncidentQuery {
    pub status: Option<IncidentStatus>,
    /// Only incidents not resolved yet.
    pub open: bool,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn list(conn: &mut PgConnection, query: IncidentQuery) -> Result<IncidentPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, query.limit);
    let after = pagination::decode(&mut check, query.cursor.as_deref()).and_then(|key| {
        let parsed = serde_json::from_str::<(DateTime<Utc>, Uuid)>(&key).ok();
        if parsed.is_none() {
            check.fail("cursor", "is not a cursor returned by this list");
        }
        parsed
    });
    let statuses: Vec<String> = match (query.status, query.open) {
        (Some(IncidentStatus::Resolved), true) => {
            check.fail(
                "status",
                "resolved incidents are not open; leave out open=true",
            );
            vec![]
        }
        (Some(s), _) => vec![s.as_str().to_owned()],
        (None, true) => IncidentStatus::ALL
            .iter()
            .filter(|s| **s != IncidentStatus::Resolved)
            .map(|s| s.as_str().to_owned())
            .collect(),
        (None, false) => vec![],
    };
    check.finish()?;
    let mut rows = repo::list_incidents(
        conn,
        &IncidentFilter {
            statuses,
            resolved_since: None,
            after,
            limit,
        },
    )?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |r| {
        serde_json::to_string(&(r.started_at, r.id)).unwrap_or_default()
    });
    Ok(IncidentPage {
        items: summaries(conn, rows)?,
        next_cursor,
    })
}

// ---------------------------------------------------------------------------------------------
// Declaring, updating, resolving

fn check_message(check: &mut Check, field: &str, message: &str) {
    check.multiline(field, message, 5000);
}

pub fn declare(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    input: NewIncident,
) -> Result<Incident, ApiError> {
    let now = Utc::now();
    let mut check = Check::new();
    check.text("title", &input.title, 1, 200);
    check_message(&mut check, "message", &input.message);
    let mut keys = input.components.clone();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        check.fail("components", "name at least one affected component");
    }
    let status = input.status.unwrap_or(IncidentStatus::Investigating);
    if status == IncidentStatus::Resolved {
        check.fail(
            "status",
            "an incident cannot be declared resolved; declare it, then resolve it",
        );
    }
    let started_at = input.started_at.unwrap_or(now);
    if started_at > now + Duration::minutes(1) {
        check.fail("started_at", "must not be in the future");
    }
    check.finish()?;
    conn.transaction(|conn| {
        let row = repo::insert_incident(
            conn,
            &repo::NewIncidentRow {
                id: Uuid::new_v4(),
                title: input.title.trim(),
                severity: input.severity.as_str(),
                status: status.as_str(),
                started_at: started_at.min(now),
                created_by: Some(user.id),
                automatic: false,
                outage_down_at: None,
            },
        )?;
        let names: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
        repo::insert_components(conn, row.id, &names)?;
        repo::insert_update(
            conn,
            row.id,
            status.as_str(),
            input.message.trim(),
            Some(user.id),
            now,
        )?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "declare", "incident", row.id),
        )?;
        let declared = detail(conn, row)?;
        webhooks::emit(
            conn,
            webhooks::Event::incident(webhooks::events::INCIDENT_OPENED, &declared),
        )?;
        Ok(declared)
    })
}

/// The incident, locked, checked against the version the caller read (when sent) and open.
fn open_for_change(
    conn: &mut PgConnection,
    id: Uuid,
    version: Option<i32>,
) -> Result<IncidentRow, ApiError> {
    let row = repo::lock_incident(conn, id)?.ok_or_else(|| ApiError::not_found("the incident"))?;
    if version.is_some_and(|v| v != row.version) {
        return Err(stale("incident", row.version));
    }
    if row.status == IncidentStatus::Resolved.as_str() {
        return Err(ApiError::Conflict(
            "the incident is resolved; declare a new one if the problem is back".into(),
        ));
    }
    Ok(row)
}

pub fn post_update(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    version: Result<Option<i32>, ApiError>,
    input: NewIncidentUpdate,
) -> Result<Incident, ApiError> {
    let mut check = Check::new();
    check_message(&mut check, "message", &input.message);
    if input.status == Some(IncidentStatus::Resolved) {
        check.fail("status", "resolve the incident with its resolve action");
    }
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        let row = open_for_change(conn, id, version)?;
        let to = input.status.unwrap_or_else(|| status(&row.status));
        repo::insert_update(
            conn,
            id,
            to.as_str(),
            input.message.trim(),
            Some(user.id),
            Utc::now(),
        )?;
        repo::set_status(conn, id, to.as_str(), None)?;
        audit::record(conn, meta, AuditEvent::by(user, "update", "incident", id))?;
        get(conn, id)
    })
}

pub fn resolve(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    version: Result<Option<i32>, ApiError>,
    input: ResolveIncident,
) -> Result<Incident, ApiError> {
    let mut check = Check::new();
    let message = match input.message {
        Some(m) if !m.trim().is_empty() => {
            check_message(&mut check, "message", &m);
            m.trim().to_owned()
        }
        _ => "This incident has been resolved.".to_owned(),
    };
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        let row = open_for_change(conn, id, version)?;
        let now = Utc::now().max(row.started_at);
        let resolved = IncidentStatus::Resolved.as_str();
        repo::insert_update(conn, id, resolved, &message, Some(user.id), now)?;
        repo::set_status(conn, id, resolved, Some(now))?;
        audit::record(conn, meta, AuditEvent::by(user, "resolve", "incident", id))?;
        let resolved = get(conn, id)?;
        webhooks::emit(
            conn,
            webhooks::Event::incident(webhooks::events::INCIDENT_RESOLVED, &resolved),
        )?;
        Ok(resolved)
    })
}

// ---------------------------------------------------------------------------------------------
// Postmortems

fn check_actions(check: &mut Check, actions: &[CorrectiveAction]) {
    if actions.len() > MAX_ACTIONS {
        check.fail(
            "corrective_actions",
            format!("at most {MAX_ACTIONS} actions"),
        );
    }
    for (i, a) in actions.iter().enumerate() {
        check.text(
            &format!("corrective_actions[{i}].action"),
            &a.action,
            1,
            500,
        );
        check.text(&format!("corrective_actions[{i}].owner"), &a.owner, 1, 100);
    }
}

/// Writes the postmortem: creates it (answer `true`) or, when there is one, updates it if
/// `version` is the one stored (`If-Match` is required then).
pub fn put_postmortem(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    version: Result<Option<i32>, ApiError>,
    input: PostmortemInput,
) -> Result<(bool, Postmortem), ApiError> {
    let mut check = Check::new();
    check.multiline("summary", &input.summary, 10_000);
    check.multiline("impact", &input.impact, 10_000);
    check.multiline("timeline", &input.timeline, 20_000);
    check.multiline("root_cause", &input.root_cause, 10_000);
    check.multiline("resolution", &input.resolution, 10_000);
    check_actions(&mut check, &input.corrective_actions);
    check.finish()?;
    let version = version?;
    let actions: Vec<CorrectiveAction> = input
        .corrective_actions
        .iter()
        .map(|a| CorrectiveAction {
            action: a.action.trim().to_owned(),
            owner: a.owner.trim().to_owned(),
            due: a.due,
            done: a.done,
        })
        .collect();
    let actions = serde_json::to_value(actions).map_err(|e| ApiError::Internal(e.into()))?;
    conn.transaction(|conn| {
        repo::lock_incident(conn, id)?.ok_or_else(|| ApiError::not_found("the incident"))?;
        let changes = PostmortemChanges {
            summary: input.summary.trim(),
            impact: input.impact.trim(),
            timeline: input.timeline.trim(),
            root_cause: input.root_cause.trim(),
            resolution: input.resolution.trim(),
            corrective_actions: &actions,
            updated_by: user.id,
        };
        let (created, row) = match repo::find_postmortem(conn, id)? {
            None => (true, repo::insert_postmortem(conn, id, user.id, &changes)?),
            Some(current) => {
                let expected = version.ok_or(ApiError::PreconditionRequired)?;
                if expected != current.version {
                    return Err(stale("postmortem", current.version));
                }
                let row = repo::update_postmortem(conn, id, expected, &changes)?
                    .ok_or_else(|| stale("postmortem", current.version + 1))?;
                (false, row)
            }
        };
        audit::record(
            conn,
            meta,
            AuditEvent::by(
                user,
                if created {
                    "write_postmortem"
                } else {
                    "update_postmortem"
                },
                "incident",
                id,
            ),
        )?;
        let names = repo::names(conn, &[row.author_id, row.updated_by])?;
        Ok((created, postmortem_dto(row, &names)))
    })
}

// ---------------------------------------------------------------------------------------------
// Components

/// What the database knows about the components: overrides in force and the last backups.
pub struct ComponentFacts {
    pub overrides: Vec<OverrideRow>,
    pub backups: BackupFacts,
}

pub fn component_facts(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> Result<ComponentFacts, ApiError> {
    let overrides = repo::overrides_in_force(conn, now)?;
    // Another module's table: whatever goes wrong reading it, backups are just unknown.
    let backups = match repo::backup_facts(conn) {
        Ok(row) => BackupFacts::from_row(row),
        Err(e) => {
            log::warn!("cannot read backup runs: {e}");
            BackupFacts::Unknown("Backup records cannot be read right now")
        }
    };
    Ok(ComponentFacts { overrides, backups })
}

/// The components as shown, from the live snapshot and (when a database answered) the facts.
pub fn components(
    snapshot: &Snapshot,
    standby_configured: bool,
    facts: Option<&ComponentFacts>,
    now: DateTime<Utc>,
) -> Vec<Component> {
    let unknown = BackupFacts::Unknown("Backup records cannot be read: no database answers");
    let backups = facts.map_or(&unknown, |f| &f.backups);
    let automatic = components::automatic(snapshot, standby_configured, backups, now);
    components::shown(automatic, facts.map_or(&[], |f| &f.overrides), now)
}

fn component_key(key: &str) -> Result<ComponentKey, ApiError> {
    ComponentKey::parse(key).ok_or_else(|| {
        ApiError::NotFound(format!(
            "there is no component {key:?}; the components are api, database-primary, database-standby and backups"
        ))
    })
}

/// Sets an administrator's override of `key`; answers the facts after the change.
pub fn set_override(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    key: &str,
    input: SetComponentState,
) -> Result<ComponentFacts, ApiError> {
    let key = component_key(key)?;
    let now = Utc::now();
    let mut check = Check::new();
    if input.state == ComponentState::Unknown {
        check.fail(
            "state",
            "must be operational, degraded, partial_outage or major_outage",
        );
    }
    let note = optional_text(&mut check, "note", input.note, 500);
    if input.expires_at.is_some_and(|e| e <= now) {
        check.fail("expires_at", "must be in the future");
    }
    check.finish()?;
    conn.transaction(|conn| {
        repo::put_override(
            conn,
            key.as_str(),
            input.state.as_str(),
            note.as_deref(),
            user.id,
            input.expires_at,
        )?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(user, "override", "status_component", key.as_str()),
        )?;
        component_facts(conn, now)
    })
}

/// Removes the override of `key` (if any); answers the facts after the change.
pub fn clear_override(
    conn: &mut PgConnection,
    user: &AuthUser,
    meta: &RequestMeta,
    key: &str,
) -> Result<ComponentFacts, ApiError> {
    let key = component_key(key)?;
    let now = Utc::now();
    conn.transaction(|conn| {
        if repo::delete_override(conn, key.as_str(), now)? {
            audit::record(
                conn,
                meta,
                AuditEvent::by(user, "clear_override", "status_component", key.as_str()),
            )?;
        }
        component_facts(conn, now)
    })
}

/// The component `key` out of `all`.
pub fn one(all: Vec<Component>, key: &str) -> Result<Component, ApiError> {
    let key = component_key(key)?;
    all.into_iter()
        .find(|c| c.key == key)
        .ok_or_else(|| ApiError::not_found("the component"))
}

// ---------------------------------------------------------------------------------------------
// The public page

/// What the status page reads from a database.
pub struct PageData {
    pub facts: ComponentFacts,
    pub open: Vec<PublicIncident>,
    pub recent: Vec<PublicIncident>,
    /// An automatic incident records an outage still going on.
    pub live_outage_recorded: bool,
}

fn public(
    rows: Vec<IncidentRow>,
    updates: &mut HashMap<Uuid, Vec<PublicUpdate>>,
    components: &mut HashMap<Uuid, Vec<ComponentKey>>,
) -> Vec<PublicIncident> {
    rows.into_iter()
        .map(|row| PublicIncident {
            id: row.id,
            title: row.title.clone(),
            severity: severity(&row),
            status: status(&row.status),
            components: components.remove(&row.id).unwrap_or_default(),
            started_at: row.started_at,
            resolved_at: row.resolved_at,
            automatic: row.automatic,
            updates: updates.remove(&row.id).unwrap_or_default(),
            pending: false,
        })
        .collect()
}

pub fn page_data(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<PageData, ApiError> {
    let open_rows = repo::list_incidents(
        conn,
        &IncidentFilter {
            statuses: IncidentStatus::ALL
                .iter()
                .filter(|s| **s != IncidentStatus::Resolved)
                .map(|s| s.as_str().to_owned())
                .collect(),
            resolved_since: None,
            after: None,
            limit: PUBLIC_LIST - 1,
        },
    )?;
    let recent_rows = repo::list_incidents(
        conn,
        &IncidentFilter {
            statuses: vec![IncidentStatus::Resolved.as_str().to_owned()],
            resolved_since: Some(now - Duration::days(RECENT_DAYS)),
            after: None,
            limit: PUBLIC_LIST - 1,
        },
    )?;
    let open_ids: Vec<Uuid> = open_rows.iter().map(|r| r.id).collect();
    let recent_ids: Vec<Uuid> = recent_rows.iter().map(|r| r.id).collect();
    let mut updates: HashMap<Uuid, Vec<PublicUpdate>> = HashMap::new();
    let open_updates = repo::updates_of(conn, &open_ids, MAX_TIMELINE)?;
    for u in open_updates
        .into_iter()
        .chain(repo::latest_updates(conn, &recent_ids)?)
    {
        let list = updates.entry(u.incident_id).or_default();
        if list.len() < PUBLIC_TIMELINE {
            list.push(PublicUpdate {
                status: status(&u.status),
                message: u.message,
                at: u.at,
            });
        }
    }
    let all_ids: Vec<Uuid> = open_ids.iter().chain(&recent_ids).copied().collect();
    let mut components: HashMap<Uuid, Vec<ComponentKey>> = HashMap::new();
    for (id, key) in repo::components_of(conn, &all_ids)? {
        if let Some(key) = ComponentKey::parse(&key) {
            components.entry(id).or_default().push(key);
        }
    }
    components.values_mut().for_each(|keys| keys.sort());
    let live_outage_recorded = repo::live_outage(conn, now + OUTAGE_TOLERANCE)?.is_some();
    Ok(PageData {
        open: public(open_rows, &mut updates, &mut components),
        recent: public(recent_rows, &mut updates, &mut components),
        live_outage_recorded,
        facts: component_facts(conn, now)?,
    })
}

/// The status page from the live snapshot and what a database answered (`None`: none did).
/// An outage in progress that no database records yet is shown as a pending incident.
pub fn status_page(
    snapshot: &Snapshot,
    standby_configured: bool,
    read_from_standby: bool,
    data: Option<PageData>,
    now: DateTime<Utc>,
) -> StatusPage {
    let components = components(
        snapshot,
        standby_configured,
        data.as_ref().map(|d| &d.facts),
        now,
    );
    let overall = ComponentState::worst(components.iter().map(|c| c.state));
    let incidents_available = data.is_some();
    let (mut open, recent, recorded) = match data {
        Some(d) => (d.open, d.recent, d.live_outage_recorded),
        None => (Vec::new(), Vec::new(), false),
    };
    if let Some(since) = snapshot.down_since.filter(|_| !snapshot.primary_up) {
        if !recorded && now - since >= OPEN_AFTER {
            open.insert(0, pending_outage(since));
        }
    }
    StatusPage {
        overall,
        components,
        open_incidents: open,
        recent_incidents: recent,
        incidents_available,
        data_as_of: (incidents_available && read_from_standby)
            .then_some(snapshot.standby_replayed_at)
            .flatten(),
        generated_at: now,
    }
}

// ---------------------------------------------------------------------------------------------
// The automatic outage incident

/// The id of the incident opened for an outage that began at `started_at` (the same on every
/// host, so the status page can show it before it is written).
pub fn outage_incident_id(started_at: DateTime<Utc>) -> Uuid {
    let digest = Sha256::digest(format!("hms-outage:{}", started_at.timestamp_micros()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn outage_message(started_at: DateTime<Utc>) -> String {
    format!(
        "HMS detected that the primary database stopped answering at {}. Records, appointments \
         and stock can still be read (possibly a little out of date); saving is paused. Shortage \
         reports and appointment cancellations are kept and saved once the database is back.",
        when(started_at)
    )
}

/// How the status page shows an outage this server sees but no database records yet.
fn pending_outage(started_at: DateTime<Utc>) -> PublicIncident {
    PublicIncident {
        id: outage_incident_id(started_at),
        title: OUTAGE_TITLE.to_owned(),
        severity: IncidentSeverity::Major,
        status: IncidentStatus::Investigating,
        components: vec![ComponentKey::DatabasePrimary],
        started_at,
        resolved_at: None,
        automatic: true,
        updates: vec![PublicUpdate {
            status: IncidentStatus::Investigating,
            message: outage_message(started_at),
            at: started_at,
        }],
        pending: true,
    }
}

fn system_event(action: &str, id: Uuid) -> AuditEvent<'_> {
    AuditEvent {
        actor: None,
        action,
        entity_type: "incident",
        entity_id: Some(id.to_string()),
        outcome: "success",
    }
}

/// Records that the primary became unreachable at `started_at` (in the caller's transaction);
/// answers the incident's id. Idempotent, whichever API host calls it and however often:
/// - an automatic incident already covers it (began at most [`OUTAGE_TOLERANCE`] later, and the
///   primary was not back before `started_at`): nothing new (its start moves earlier if
///   this host saw the outage first);
/// - the newest automatic incident is being monitored after an earlier outage that ended
///   before `started_at`: it goes back to investigating, with an update;
/// - otherwise a new incident: major, on the database primary, investigating.
pub fn open_outage(conn: &mut PgConnection, started_at: DateTime<Utc>) -> Result<Uuid, ApiError> {
    repo::lock_outages(conn)?;
    let meta = RequestMeta::default();
    if let Some(row) = repo::outage_covering(conn, started_at, OUTAGE_TOLERANCE)? {
        if started_at < row.started_at {
            let down_at = row.outage_down_at.unwrap_or(started_at).min(started_at);
            repo::set_outage(conn, row.id, started_at, down_at, row.outage_up_at)?;
        }
        return Ok(row.id);
    }
    if let Some(row) = repo::outage_being_monitored(conn)? {
        if row.outage_up_at.is_some_and(|up| up < started_at) {
            let investigating = IncidentStatus::Investigating.as_str();
            repo::set_outage(conn, row.id, row.started_at, started_at, None)?;
            repo::set_status(conn, row.id, investigating, None)?;
            repo::insert_update(
                conn,
                row.id,
                investigating,
                &format!(
                    "The primary database is unreachable again. {}",
                    outage_message(started_at)
                ),
                None,
                started_at,
            )?;
            audit::record(conn, &meta, system_event("reopen", row.id))?;
            return Ok(row.id);
        }
    }
    let investigating = IncidentStatus::Investigating.as_str();
    let row = repo::insert_incident(
        conn,
        &repo::NewIncidentRow {
            id: outage_incident_id(started_at),
            title: OUTAGE_TITLE,
            severity: IncidentSeverity::Major.as_str(),
            status: investigating,
            started_at,
            created_by: None,
            automatic: true,
            outage_down_at: Some(started_at),
        },
    )?;
    repo::insert_components(conn, row.id, &[ComponentKey::DatabasePrimary.as_str()])?;
    repo::insert_update(
        conn,
        row.id,
        investigating,
        &outage_message(started_at),
        None,
        started_at,
    )?;
    audit::record(conn, &meta, system_event("open", row.id))?;
    let opened = get(conn, row.id)?;
    webhooks::emit(
        conn,
        webhooks::Event::incident(webhooks::events::INCIDENT_OPENED, &opened),
    )?;
    log::warn!("opened incident {} for the database outage", row.id);
    Ok(row.id)
}

/// Records that the primary took writes again at `ended_at` (in the caller's transaction): the
/// automatic incident of the outage going on gets an update and moves to monitoring (an
/// administrator resolves it, and writes the postmortem: a failover is a postmortem trigger).
/// Nothing when no outage is recorded as going on (another host already recorded the end).
/// `_started_at` is the start this host saw (kept in the journal for operators).
pub fn close_outage(
    conn: &mut PgConnection,
    _started_at: Option<DateTime<Utc>>,
    ended_at: DateTime<Utc>,
) -> Result<Option<Uuid>, ApiError> {
    repo::lock_outages(conn)?;
    let Some(row) = repo::live_outage(conn, ended_at)? else {
        return Ok(None);
    };
    let down_at = row.outage_down_at.unwrap_or(row.started_at);
    repo::set_outage(conn, row.id, row.started_at, down_at, Some(ended_at))?;
    let to = if row.status == IncidentStatus::Resolved.as_str() {
        IncidentStatus::Resolved
    } else {
        IncidentStatus::Monitoring
    };
    if to == IncidentStatus::Monitoring {
        repo::set_status(conn, row.id, to.as_str(), None)?;
    }
    let minutes = (ended_at - down_at).num_seconds().max(0) as f64 / 60.0;
    repo::insert_update(
        conn,
        row.id,
        to.as_str(),
        &format!(
            "Primary reachable again; writes resumed at {} (after {minutes:.1} minutes). Requests \
             kept while it was unreachable are being saved. Monitoring.",
            when(ended_at)
        ),
        None,
        ended_at.max(row.started_at),
    )?;
    audit::record(
        conn,
        &RequestMeta::default(),
        system_event("recover", row.id),
    )?;
    log::warn!(
        "recorded the end of the database outage on incident {}",
        row.id
    );
    Ok(Some(row.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_has_the_same_incident_id_on_every_host() {
        let at = Utc::now();
        assert_eq!(outage_incident_id(at), outage_incident_id(at));
        assert_ne!(
            outage_incident_id(at),
            outage_incident_id(at + Duration::microseconds(1))
        );
    }

    #[test]
    fn an_outage_no_database_records_yet_is_shown_as_pending() {
        let now = Utc::now();
        let snapshot = Snapshot {
            primary_up: false,
            down_since: Some(now - Duration::seconds(30)),
            standby_up: false,
            standby_replayed_at: None,
        };
        let page = status_page(&snapshot, false, false, None, now);
        assert!(!page.incidents_available);
        assert_eq!(page.overall, ComponentState::MajorOutage);
        assert_eq!(page.open_incidents.len(), 1);
        assert!(page.open_incidents[0].pending);
        assert_eq!(page.open_incidents[0].title, OUTAGE_TITLE);
    }
}
