//! Health and operational views.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Answer of `/health/live` and `/health/ready`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "ready",
    "checks": [{"name": "database", "status": "up", "latency_ms": 1.4}]
})))]
pub struct Health {
    /// `live`, `ready` or `unavailable`.
    pub status: String,
    /// What was checked; empty for liveness.
    pub checks: Vec<HealthCheck>,
}

/// The result of one dependency check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthCheck {
    /// What was checked, e.g. `database`.
    pub name: String,
    /// `up`, `down`, or `warning` (it works, but needs a person: e.g. PostgreSQL has found
    /// pages with bad data checksums).
    pub status: String,
    /// How long the check took.
    pub latency_ms: f64,
    /// Why a check failed, without internals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How the system is working right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Reads and writes work.
    Normal,
    /// The primary database is unreachable: reads come from a standby (possibly a little
    /// stale), saving is paused, and shortage reports and cancellations are kept as pending.
    ReadOnly,
    /// No database answers.
    Unavailable,
}

/// Answer of `GET /api/v1/status`: what the web app shows in its banner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemStatus {
    pub mode: Mode,
    /// Since when the primary has been unreachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_since: Option<DateTime<Utc>>,
    /// In read-only mode: the data shown is as of this instant (the standby's last replayed
    /// transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_as_of: Option<DateTime<Utc>>,
    /// Requests accepted while the primary was unreachable, waiting to be written.
    pub pending_writes: u64,
}

/// What kind of request was kept in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PendingKind {
    ShortageReport,
    AppointmentCancellation,
}

/// Where a kept request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PendingStatus {
    /// Saved on the API server's disk; will be written when the database is back.
    Pending,
    /// Written to the database.
    Applied,
    /// The database refused it when it was written (see `problem`).
    Failed,
}

/// A request accepted while the primary database was unreachable (answer 202).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingWrite {
    pub id: Uuid,
    pub kind: PendingKind,
    pub status: PendingStatus,
    pub accepted_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<DateTime<Utc>>,
    /// A one-line description for lists ("Shortage report: item …").
    pub summary: String,
    /// The request as sent.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub request: serde_json::Value,
    /// Once applied: where the result lives (e.g. the shortage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Once failed: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<crate::Problem>,
}

/// Answer of `GET /health/db`: the databases as the API sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseHealth {
    /// The primary answers and takes writes.
    pub primary_up: bool,
    /// A read URL (`HMS_READ_DATABASE_URL`) is configured.
    pub standby_configured: bool,
    pub standby_up: bool,
    /// Reads come from the standby and saving is paused.
    pub read_only_mode: bool,
    pub degraded_since: Option<DateTime<Utc>>,
    /// How old the standby's last replayed transaction is.
    pub standby_replay_age_seconds: Option<f64>,
    /// Standbys connected to the primary, and how many of them are synchronous.
    pub standbys: Option<i64>,
    pub sync_standbys: Option<i64>,
    pub replication_lag_bytes: Option<f64>,
    pub replication_lag_seconds: Option<f64>,
    /// Data checksum failures PostgreSQL has seen (any is an emergency).
    pub checksum_failures: Option<i64>,
    pub last_checksum_failure: Option<DateTime<Utc>>,
    pub wal_archiving: Option<bool>,
    pub wal_archived_count: Option<i64>,
    pub wal_archive_failed_count: Option<i64>,
    pub last_wal_archived_age_seconds: Option<f64>,
    pub last_wal_archive_failure: Option<DateTime<Utc>>,
    /// Requests kept in the journal, waiting for the primary.
    pub journal_pending: u64,
    /// Writes are refused at once (the primary is unreachable).
    pub write_circuit_open: bool,
    /// The newest backup proven by restoring it (`hms backup verify`): when it was taken.
    #[serde(default)]
    pub last_verified_backup_at: Option<DateTime<Utc>>,
    /// Its pgBackRest label.
    #[serde(default)]
    pub last_verified_backup_label: Option<String>,
    /// How old the data in that backup is.
    #[serde(default)]
    pub last_verified_backup_age_seconds: Option<f64>,
    /// Whether the newest verification succeeded, and when it ran.
    #[serde(default)]
    pub last_verification_ok: Option<bool>,
    #[serde(default)]
    pub last_verification_at: Option<DateTime<Utc>>,
    /// The newest `hms maintenance` run: when it finished and its result (`ok`,
    /// `problems_found`, `incomplete`).
    #[serde(default)]
    pub last_maintenance_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_maintenance_result: Option<crate::operations::MaintenanceResult>,
}
