//! Backups, their verification by restoring, point-in-time restores and maintenance runs, as
//! recorded by the `hms backup`, `hms backup verify`, `hms restore` and `hms maintenance`
//! commands (administrators: `GET /api/v1/operations/...`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a backup run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BackupRunKind {
    /// A base backup was taken (`hms backup`).
    Backup,
    /// A backup was proven by restoring it into a scratch server and checking it
    /// (`hms backup verify`).
    Verify,
    /// A point-in-time restore into a new data directory (`hms restore`).
    Restore,
}

impl BackupRunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupRunKind::Backup => "backup",
            BackupRunKind::Verify => "verify",
            BackupRunKind::Restore => "restore",
        }
    }

    pub fn parse(s: &str) -> Option<BackupRunKind> {
        match s {
            "backup" => Some(BackupRunKind::Backup),
            "verify" => Some(BackupRunKind::Verify),
            "restore" => Some(BackupRunKind::Restore),
            _ => None,
        }
    }
}

/// How a backup run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    Ok,
    Failed,
}

impl RunResult {
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::Ok => "ok",
            RunResult::Failed => "failed",
        }
    }
}

/// Rows of one table: counted at the backup's restore point (`expected`), and in the restored
/// copy (`found`, verifications only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableCount {
    pub table: String,
    #[serde(default)]
    pub expected: Option<i64>,
    #[serde(default)]
    pub found: Option<i64>,
}

/// One step of a run (`pgbackrest backup`, `restore`, `pg_amcheck`, ...), timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunStep {
    pub name: String,
    pub ok: bool,
    pub duration_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The newest verification of a backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupVerification {
    pub run_id: Uuid,
    pub finished_at: DateTime<Utc>,
    pub result: RunResult,
    pub detail: String,
}

/// One backup, verification or restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupRun {
    pub id: Uuid,
    pub kind: BackupRunKind,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub result: RunResult,
    /// The pgBackRest backup set taken, verified or restored from.
    #[serde(default)]
    pub backup_label: Option<String>,
    /// Backups: the database size copied; verifications and restores: the restored size.
    #[serde(default)]
    pub size_bytes: Option<i64>,
    /// Backups: the size in the repository (compressed).
    #[serde(default)]
    pub repository_bytes: Option<i64>,
    /// What happened, or why it failed.
    pub detail: String,
    /// Backups: the rows of the main tables at the backup's restore point; verifications: those
    /// and the rows found in the restored copy.
    #[serde(default)]
    pub row_counts: Vec<TableCount>,
    #[serde(default)]
    pub steps: Vec<RunStep>,
    /// Backups: the newest verification of this backup, if any.
    #[serde(default)]
    pub verification: Option<BackupVerification>,
}

/// One page of backup runs, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupRunPage {
    pub items: Vec<BackupRun>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// How a maintenance run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceResult {
    /// Every check ran and found nothing wrong.
    Ok,
    /// Something needs a person: corruption, checksum failures, invalid indexes, a failed vacuum.
    ProblemsFound,
    /// Nothing wrong was found, but a check could not run.
    Incomplete,
}

impl MaintenanceResult {
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceResult::Ok => "ok",
            MaintenanceResult::ProblemsFound => "problems_found",
            MaintenanceResult::Incomplete => "incomplete",
        }
    }

    pub fn parse(s: &str) -> Option<MaintenanceResult> {
        match s {
            "ok" => Some(MaintenanceResult::Ok),
            "problems_found" => Some(MaintenanceResult::ProblemsFound),
            "incomplete" => Some(MaintenanceResult::Incomplete),
            _ => None,
        }
    }
}

/// `pg_amcheck --heapallindexed` over the database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AmcheckReport {
    /// It ran to the end (whatever it found).
    pub ran: bool,
    /// It found no corruption.
    pub ok: bool,
    pub duration_ms: i64,
    /// What it reported (at most 50 lines).
    pub findings: Vec<String>,
}

/// A database where PostgreSQL found pages with bad data checksums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecksumFailure {
    /// `null` for the shared catalogs.
    pub database: Option<String>,
    pub failures: i64,
    pub last_failure: Option<DateTime<Utc>>,
}

/// A table that had enough dead rows to be vacuumed (or had never been analysed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VacuumedTable {
    pub table: String,
    pub live_rows: i64,
    pub dead_rows: i64,
    /// Dead rows / (live + dead) before the vacuum.
    pub dead_ratio: f64,
    pub duration_ms: i64,
    /// Why `VACUUM (ANALYZE)` failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Estimated wasted space in a table (from row counts and average row widths; an estimate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableBloat {
    pub table: String,
    pub table_bytes: i64,
    pub estimated_bloat_bytes: i64,
    pub bloat_ratio: f64,
}

/// An index worth a look: invalid (a failed concurrent build: not used, still maintained), or
/// big and never scanned since the statistics were reset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndexFinding {
    pub index: String,
    pub table: String,
    pub bytes: i64,
    #[serde(default)]
    pub scans: Option<i64>,
}

/// What one maintenance run found and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MaintenanceReport {
    pub amcheck: AmcheckReport,
    /// Whether the cluster has data checksums (without them corruption goes unnoticed).
    pub data_checksums: Option<bool>,
    pub checksum_failures: Vec<ChecksumFailure>,
    pub vacuumed: Vec<VacuumedTable>,
    /// The tables with the most estimated bloat (at most 10).
    pub bloat: Vec<TableBloat>,
    pub invalid_indexes: Vec<IndexFinding>,
    pub unused_indexes: Vec<IndexFinding>,
    /// Statistics (index scans, dead rows) are counted since this instant.
    pub stats_since: Option<DateTime<Utc>>,
    /// What needs a person, one line each.
    pub problems: Vec<String>,
    /// Checks that could not run, one line each.
    pub errors: Vec<String>,
}

/// One maintenance run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceRun {
    pub id: Uuid,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub result: MaintenanceResult,
    pub summary: String,
    pub report: MaintenanceReport,
}

/// One page of maintenance runs, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceRunPage {
    pub items: Vec<MaintenanceRun>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
