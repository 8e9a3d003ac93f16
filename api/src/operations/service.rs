//! The records of backups, verifications, restores and maintenance runs: writing them, the
//! admin lists, and what health and metrics report. Also the row counts a backup is verified
//! against.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use hms_api_types::operations::{
    BackupRun, BackupRunKind, BackupRunPage, BackupVerification, MaintenanceReport,
    MaintenanceResult, MaintenanceRun, MaintenanceRunPage, RunResult, RunStep, TableCount,
};
use uuid::Uuid;

use super::repo::{self, BackupRunRow, MaintenanceRunRow, NewBackupRunRow, NewMaintenanceRunRow};
use crate::error::ApiError;
use crate::pagination;
use crate::validate::Check;

/// The main tables: counted at each backup's restore point and compared after restoring it.
pub const COUNTED_TABLES: [&str; 11] = [
    "patients",
    "allergies",
    "conditions",
    "medications",
    "vitals",
    "encounters",
    "appointments",
    "stock_movements",
    "stock_balances",
    "shortages",
    "users",
];

/// A finished backup, verification or restore, to be recorded.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub kind: BackupRunKind,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub result: RunResult,
    pub backup_label: Option<String>,
    pub restore_point: Option<String>,
    pub database_name: Option<String>,
    pub size_bytes: Option<i64>,
    pub repository_bytes: Option<i64>,
    pub row_counts: Vec<TableCount>,
    pub steps: Vec<RunStep>,
    pub detail: String,
}

/// A recorded backup (what a verification needs to know about it).
#[derive(Debug, Clone)]
pub struct RecordedBackup {
    pub label: String,
    pub restore_point: Option<String>,
    pub database_name: Option<String>,
    pub row_counts: Vec<TableCount>,
}

pub fn record_backup_run(conn: &mut PgConnection, run: RunRecord) -> QueryResult<BackupRun> {
    let row = repo::insert_backup_run(
        conn,
        &NewBackupRunRow {
            kind: run.kind.as_str().to_owned(),
            started_at: run.started_at,
            finished_at: run.finished_at,
            duration_ms: (run.finished_at - run.started_at).num_milliseconds().max(0),
            result: run.result.as_str().to_owned(),
            backup_label: run.backup_label,
            restore_point: run.restore_point,
            database_name: run.database_name,
            size_bytes: run.size_bytes,
            repository_bytes: run.repository_bytes,
            row_counts: serde_json::to_value(&run.row_counts).unwrap_or_default(),
            steps: serde_json::to_value(&run.steps).unwrap_or_default(),
            detail: run.detail,
        },
    )?;
    Ok(backup_dto(row, None))
}

/// The newest successful backup, or the one labelled `label` (whatever its result).
pub fn find_backup(
    conn: &mut PgConnection,
    label: Option<&str>,
) -> QueryResult<Option<RecordedBackup>> {
    Ok(repo::find_backup(conn, label)?.and_then(|row| {
        Some(RecordedBackup {
            label: row.backup_label?,
            restore_point: row.restore_point,
            database_name: row.database_name,
            row_counts: serde_json::from_value(row.row_counts).unwrap_or_default(),
        })
    }))
}

pub fn record_maintenance_run(
    conn: &mut PgConnection,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    result: MaintenanceResult,
    summary: String,
    report: &MaintenanceReport,
) -> QueryResult<MaintenanceRun> {
    let row = repo::insert_maintenance_run(
        conn,
        &NewMaintenanceRunRow {
            started_at,
            finished_at,
            duration_ms: (finished_at - started_at).num_milliseconds().max(0),
            result: result.as_str().to_owned(),
            summary,
            report: serde_json::to_value(report).unwrap_or_default(),
        },
    )?;
    Ok(maintenance_dto(row))
}

/// Backups, verifications and restores, newest first; each backup with its newest
/// verification.
pub fn list_backups(
    conn: &mut PgConnection,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<BackupRunPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, limit);
    let before = decode_cursor(&mut check, cursor);
    check.finish()?;
    let mut rows = repo::list_backup_runs(conn, before, limit + 1)?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |r| cursor_of(r.started_at, r.id));
    let labels: Vec<String> = rows
        .iter()
        .filter(|r| r.kind == "backup")
        .filter_map(|r| r.backup_label.clone())
        .collect();
    let mut verifications: HashMap<String, BackupVerification> =
        repo::latest_verifications(conn, &labels)?
            .into_iter()
            .filter_map(|v| {
                Some((
                    v.backup_label.clone()?,
                    BackupVerification {
                        run_id: v.id,
                        finished_at: v.finished_at,
                        result: run_result(&v.result),
                        detail: v.detail,
                    },
                ))
            })
            .collect();
    let items = rows
        .into_iter()
        .map(|row| {
            let verification = match (&row.kind[..], &row.backup_label) {
                ("backup", Some(label)) => verifications.remove(label),
                _ => None,
            };
            backup_dto(row, verification)
        })
        .collect();
    Ok(BackupRunPage { items, next_cursor })
}

/// Maintenance runs with their reports, newest first.
pub fn list_maintenance(
    conn: &mut PgConnection,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<MaintenanceRunPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, limit);
    let before = decode_cursor(&mut check, cursor);
    check.finish()?;
    let mut rows = repo::list_maintenance_runs(conn, before, limit + 1)?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |r| cursor_of(r.started_at, r.id));
    Ok(MaintenanceRunPage {
        items: rows.into_iter().map(maintenance_dto).collect(),
        next_cursor,
    })
}

/// The latest facts about backups and maintenance, for `/health/db` and the metrics.
#[derive(Debug, Clone, Default)]
pub struct OperationsHealth {
    pub last_verified_backup_at: Option<DateTime<Utc>>,
    pub last_verified_backup_label: Option<String>,
    pub last_verification_ok: Option<bool>,
    pub last_verification_at: Option<DateTime<Utc>>,
    pub last_maintenance_at: Option<DateTime<Utc>>,
    pub last_maintenance_result: Option<MaintenanceResult>,
}

pub fn health(conn: &mut PgConnection) -> QueryResult<OperationsHealth> {
    let f = repo::health_facts(conn)?;
    Ok(OperationsHealth {
        last_verified_backup_at: f.last_verified_backup_at,
        last_verified_backup_label: f.last_verified_backup_label,
        last_verification_ok: f.last_verification_ok,
        last_verification_at: f.last_verification_at,
        last_maintenance_at: f.last_maintenance_at,
        last_maintenance_result: f
            .last_maintenance_result
            .as_deref()
            .and_then(MaintenanceResult::parse),
    })
}

/// The main tables' row counts, taken at the restore point `name`, which is created in the
/// same transaction.
///
/// Why this is comparable with a restored copy: the tables are locked `IN SHARE MODE` first
/// (readers go on; writers wait), so no write to them can commit between the counts and the
/// restore point. A copy recovered to exactly that restore point (`recovery_target_name`) must
/// therefore hold exactly these counts. Counting "as of the backup's end" instead could not be
/// exact: the backup's end is an LSN, and which commits a count sees (its snapshot) is not the
/// same as which commits precede an LSN.
///
/// The lock waits at most 500 ms (less than `deadlock_timeout`, so a writer is never chosen
/// as a deadlock victim: this transaction gives up first) and is retried; writes are held off
/// for the time the counts take (`held`).
pub fn counts_at_restore_point(
    conn: &mut PgConnection,
    name: &str,
) -> QueryResult<(Vec<TableCount>, Duration)> {
    let mut attempt = 0u32;
    loop {
        let result = conn.transaction(|c| {
            repo::set_local_lock_timeout(c, 500)?;
            repo::lock_tables_share(c, &COUNTED_TABLES)?;
            let held = Instant::now();
            let mut counts = Vec::with_capacity(COUNTED_TABLES.len());
            for table in COUNTED_TABLES {
                counts.push(TableCount {
                    table: table.to_owned(),
                    expected: Some(repo::count_rows(c, table)?),
                    found: None,
                });
            }
            repo::create_restore_point(c, name)?;
            Ok((counts, held.elapsed()))
        });
        match result {
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("lock timeout") && attempt < 10 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(200 * u64::from(attempt)));
            }
            other => return other,
        }
    }
}

/// The main tables' row counts now (in a restored copy).
pub fn count_tables(conn: &mut PgConnection) -> QueryResult<Vec<(String, i64)>> {
    COUNTED_TABLES
        .iter()
        .map(|t| Ok((t.to_string(), repo::count_rows(conn, t)?)))
        .collect()
}

fn backup_dto(row: BackupRunRow, verification: Option<BackupVerification>) -> BackupRun {
    BackupRun {
        id: row.id,
        kind: BackupRunKind::parse(&row.kind).unwrap_or(BackupRunKind::Backup),
        started_at: row.started_at,
        finished_at: row.finished_at,
        duration_ms: row.duration_ms,
        result: run_result(&row.result),
        backup_label: row.backup_label,
        size_bytes: row.size_bytes,
        repository_bytes: row.repository_bytes,
        detail: row.detail,
        row_counts: serde_json::from_value(row.row_counts).unwrap_or_default(),
        steps: serde_json::from_value(row.steps).unwrap_or_default(),
        verification,
    }
}

fn maintenance_dto(row: MaintenanceRunRow) -> MaintenanceRun {
    MaintenanceRun {
        id: row.id,
        started_at: row.started_at,
        finished_at: row.finished_at,
        duration_ms: row.duration_ms,
        result: MaintenanceResult::parse(&row.result).unwrap_or(MaintenanceResult::Incomplete),
        summary: row.summary,
        report: serde_json::from_value(row.report).unwrap_or_default(),
    }
}

fn run_result(s: &str) -> RunResult {
    if s == "ok" {
        RunResult::Ok
    } else {
        RunResult::Failed
    }
}

fn cursor_of(at: DateTime<Utc>, id: Uuid) -> String {
    serde_json::to_string(&(at, id)).unwrap_or_default()
}

fn decode_cursor(check: &mut Check, cursor: Option<String>) -> Option<(DateTime<Utc>, Uuid)> {
    let key = pagination::decode(check, cursor.as_deref())?;
    match serde_json::from_str(&key) {
        Ok(value) => Some(value),
        Err(_) => {
            check.fail("cursor", "is not a cursor returned by this list");
            None
        }
    }
}
