//! The status page and incidents: components with their states (set by the health checks or by
//! an administrator), incidents with their timeline, and postmortems.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The parts of HMS the status page reports on (fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKey {
    /// The HMS API and web app.
    Api,
    /// The primary database: every write, and reads while it answers.
    DatabasePrimary,
    /// The standby database: reads while the primary is unreachable.
    DatabaseStandby,
    /// Backups of the database.
    Backups,
}

impl ComponentKey {
    /// Every component, in display order.
    pub const ALL: [ComponentKey; 4] = [
        ComponentKey::Api,
        ComponentKey::DatabasePrimary,
        ComponentKey::DatabaseStandby,
        ComponentKey::Backups,
    ];

    /// The key on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKey::Api => "api",
            ComponentKey::DatabasePrimary => "database-primary",
            ComponentKey::DatabaseStandby => "database-standby",
            ComponentKey::Backups => "backups",
        }
    }

    pub fn parse(s: &str) -> Option<ComponentKey> {
        ComponentKey::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            ComponentKey::Api => "HMS application and API",
            ComponentKey::DatabasePrimary => "Database (primary)",
            ComponentKey::DatabaseStandby => "Database (standby, read-only)",
            ComponentKey::Backups => "Backups",
        }
    }
}

/// How a component is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComponentState {
    Operational,
    /// Working, with reduced performance or redundancy.
    Degraded,
    /// Some of what it does is not working.
    PartialOutage,
    /// Not working.
    MajorOutage,
    /// Not known (not configured, or nothing recorded yet). Never set by hand.
    Unknown,
}

impl ComponentState {
    /// Every state, from best to worst, then unknown.
    pub const ALL: [ComponentState; 5] = [
        ComponentState::Operational,
        ComponentState::Degraded,
        ComponentState::PartialOutage,
        ComponentState::MajorOutage,
        ComponentState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComponentState::Operational => "operational",
            ComponentState::Degraded => "degraded",
            ComponentState::PartialOutage => "partial_outage",
            ComponentState::MajorOutage => "major_outage",
            ComponentState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<ComponentState> {
        ComponentState::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ComponentState::Operational => "Operational",
            ComponentState::Degraded => "Degraded",
            ComponentState::PartialOutage => "Partial outage",
            ComponentState::MajorOutage => "Major outage",
            ComponentState::Unknown => "Unknown",
        }
    }

    /// How bad it is (higher is worse); unknown counts as nothing.
    pub fn rank(self) -> u8 {
        match self {
            ComponentState::Unknown => 0,
            ComponentState::Operational => 1,
            ComponentState::Degraded => 2,
            ComponentState::PartialOutage => 3,
            ComponentState::MajorOutage => 4,
        }
    }

    /// The worse of the known states among `states` (unknown when none is known).
    pub fn worst(states: impl IntoIterator<Item = ComponentState>) -> ComponentState {
        states
            .into_iter()
            .max_by_key(|s| s.rank())
            .unwrap_or(ComponentState::Unknown)
    }
}

/// Where a component's state comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StateSource {
    /// The health checks, right now.
    Automatic,
    /// An administrator's override.
    Override,
}

/// One component as the status page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Component {
    pub key: ComponentKey,
    pub name: String,
    /// The state shown: the override while one is in force, else the automatic one.
    pub state: ComponentState,
    pub source: StateSource,
    /// What the health checks say, whatever an override says.
    pub automatic_state: ComponentState,
    /// A sentence about the state (the override's note, or what the checks found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When the override in force ends by itself (none: until removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_expires_at: Option<DateTime<Utc>>,
}

/// Body of `PUT /api/v1/status/components/{component}`: an administrator sets the state shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetComponentState {
    /// Any state but `unknown`.
    pub state: ComponentState,
    /// What people should know (shown on the status page).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
    /// When the override ends by itself (in the future); none: until it is removed.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// How bad an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentSeverity {
    Minor,
    Major,
    Critical,
}

impl IncidentSeverity {
    pub const ALL: [IncidentSeverity; 3] = [
        IncidentSeverity::Minor,
        IncidentSeverity::Major,
        IncidentSeverity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentSeverity::Minor => "minor",
            IncidentSeverity::Major => "major",
            IncidentSeverity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentSeverity> {
        IncidentSeverity::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentSeverity::Minor => "Minor",
            IncidentSeverity::Major => "Major",
            IncidentSeverity::Critical => "Critical",
        }
    }
}

/// Where an incident stands: investigating → identified → monitoring → resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Something is wrong; the cause is being looked for.
    Investigating,
    /// The cause is known; a fix is under way.
    Identified,
    /// Fixed; being watched before it is called resolved.
    Monitoring,
    Resolved,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 4] = [
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
        IncidentStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Identified => "identified",
            IncidentStatus::Monitoring => "monitoring",
            IncidentStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentStatus> {
        IncidentStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "Investigating",
            IncidentStatus::Identified => "Identified",
            IncidentStatus::Monitoring => "Monitoring",
            IncidentStatus::Resolved => "Resolved",
        }
    }
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentUpdate {
    pub id: i64,
    /// The incident's status from this update on.
    pub status: IncidentStatus,
    pub message: String,
    /// Who posted it; none when HMS posted it by itself.
    pub author_id: Option<Uuid>,
    /// The author's name, or "HMS (automatic)".
    pub author_name: String,
    pub at: DateTime<Utc>,
}

/// An incident in a list, with its latest update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentSummary {
    pub id: Uuid,
    pub title: String,
    pub severity: IncidentSeverity,
    pub status: IncidentStatus,
    pub components: Vec<ComponentKey>,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Opened by HMS itself (a database outage it detected).
    pub automatic: bool,
    pub latest_update: Option<IncidentUpdate>,
    pub has_postmortem: bool,
    pub version: i32,
}

/// One page of incidents, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentPage {
    pub items: Vec<IncidentSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// An incident with its whole timeline (newest first) and its postmortem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    pub id: Uuid,
    pub title: String,
    pub severity: IncidentSeverity,
    pub status: IncidentStatus,
    pub components: Vec<ComponentKey>,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub automatic: bool,
    /// Who declared it; none for automatic incidents.
    pub created_by: Option<Uuid>,
    pub created_by_name: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub updates: Vec<IncidentUpdate>,
    pub postmortem: Option<Postmortem>,
}

/// Body of `POST /api/v1/incidents`: declare an incident.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    pub severity: IncidentSeverity,
    /// The components affected (at least one).
    pub components: Vec<ComponentKey>,
    /// The first update of the timeline: what is known so far.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 5000))]
    pub message: String,
    /// Default `investigating`; not `resolved`.
    #[serde(default)]
    pub status: Option<IncidentStatus>,
    /// When it began (not in the future); default now.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
}

/// Body of `POST /api/v1/incidents/{incident_id}/updates`: a timeline entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIncidentUpdate {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 5000))]
    pub message: String,
    /// The status from now on (default: unchanged). Resolve with the resolve action.
    #[serde(default)]
    pub status: Option<IncidentStatus>,
}

/// Body of `POST /api/v1/incidents/{incident_id}/resolve`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveIncident {
    /// The last update (default "This incident has been resolved.").
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 5000))]
    pub message: Option<String>,
}

/// Something to do so that it does not happen again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CorrectiveAction {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub action: String,
    /// Who sees it through.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub owner: String,
    #[serde(default)]
    pub due: Option<NaiveDate>,
    #[serde(default)]
    pub done: bool,
}

/// The postmortem of an incident, in the shape of a blameless report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Postmortem {
    pub incident_id: Uuid,
    /// What happened, in a paragraph.
    pub summary: String,
    /// Who and what was affected, for how long.
    pub impact: String,
    /// What happened when (one line per event).
    pub timeline: String,
    pub root_cause: String,
    /// How service was restored.
    pub resolution: String,
    pub corrective_actions: Vec<CorrectiveAction>,
    pub author_id: Uuid,
    pub author_name: String,
    pub updated_by: Uuid,
    pub updated_by_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Body of `PUT /api/v1/incidents/{incident_id}/postmortem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostmortemInput {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub summary: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub impact: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 20000))]
    pub timeline: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub root_cause: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub resolution: String,
    /// At most 50.
    #[serde(default)]
    pub corrective_actions: Vec<CorrectiveAction>,
}

/// One timeline entry as the public sees it (no names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicUpdate {
    pub status: IncidentStatus,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// An incident on the public status page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicIncident {
    pub id: Uuid,
    pub title: String,
    pub severity: IncidentSeverity,
    pub status: IncidentStatus,
    pub components: Vec<ComponentKey>,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub automatic: bool,
    /// Newest first: the timeline of an open incident (at most 20), the last update of a
    /// resolved one.
    pub updates: Vec<PublicUpdate>,
    /// Known to this server but not in the database yet (the database is unreachable): it is
    /// recorded as soon as the database is back.
    #[serde(default)]
    pub pending: bool,
}

/// Answer of `GET /api/v1/status/page`: what the public status page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusPage {
    /// The worst known state of the components.
    pub overall: ComponentState,
    pub components: Vec<Component>,
    /// Incidents not resolved yet, newest first.
    pub open_incidents: Vec<PublicIncident>,
    /// Incidents resolved in the last 14 days, newest first.
    pub recent_incidents: Vec<PublicIncident>,
    /// False when no database answered: the incident lists hold only what this server knows
    /// by itself (an outage in progress).
    pub incidents_available: bool,
    /// When the incidents were read from a standby: its data is as of this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_as_of: Option<DateTime<Utc>>,
    pub generated_at: DateTime<Utc>,
}
