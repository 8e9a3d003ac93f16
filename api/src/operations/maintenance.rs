//! `hms maintenance`: the checks that catch corruption early and the upkeep that prevents bloat,
//! recorded in `maintenance_runs`.
//!
//! 1. Data checksums: are they on (without them damage is served silently)?
//! 2. `pg_amcheck --heapallindexed` over the database: heap and B-tree structure, and every
//!    heap row present in its indexes. It reads every page, so it also trips over pages with
//!    bad checksums. It takes only `AccessShareLock`s but reads everything: run it at quiet
//!    hours, or `--skip-amcheck` and let the weekly backup verification run it on a restored
//!    copy.
//! 3. `pg_stat_database.checksum_failures`: pages PostgreSQL found damaged (any is an
//!    emergency).
//! 4. `VACUUM (ANALYZE)` of the tables that need it: at least 50 dead rows that are at least
//!    10 % of the table, or rows never analysed.
//! 5. A bloat estimate of the tables, invalid indexes, and big indexes never scanned.

use std::time::Instant;

use chrono::Utc;
use diesel::PgConnection;
use hms_api_types::operations::{
    ChecksumFailure, IndexFinding, MaintenanceReport, MaintenanceResult, MaintenanceRun,
    TableBloat, VacuumedTable,
};

use super::backup::{bytes, pg_amcheck};
use super::pgbackrest::truncate;
use super::repo::{self, IndexRow};
use super::service;

/// A table is vacuumed with at least this many dead rows…
pub const MIN_DEAD_ROWS: i64 = 50;
/// …making up at least this share of its rows.
pub const MIN_DEAD_RATIO: f64 = 0.10;
/// Unused indexes smaller than this are not reported.
pub const UNUSED_INDEX_MIN_BYTES: i64 = 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct MaintenanceOptions {
    /// Run `pg_amcheck` (reads the whole database).
    pub amcheck: bool,
}

impl Default for MaintenanceOptions {
    fn default() -> Self {
        MaintenanceOptions { amcheck: true }
    }
}

/// Runs the checks and upkeep on the database `conn` is connected to (`database_url` is the
/// same database, for `pg_amcheck`) and records the run. Errors only when it cannot be
/// recorded; check the run's `result`.
pub fn run(
    conn: &mut PgConnection,
    database_url: &str,
    options: MaintenanceOptions,
) -> anyhow::Result<MaintenanceRun> {
    let started_at = Utc::now();
    let mut report = MaintenanceReport::default();
    let mut problems = Vec::new();
    let mut errors = Vec::new();

    match repo::data_checksums(conn) {
        Ok(on) => {
            report.data_checksums = Some(on);
            if !on {
                problems.push(
                    "data checksums are off: damaged pages would be read without any error"
                        .to_owned(),
                );
            }
        }
        Err(e) => errors.push(format!("cannot read data_checksums: {e}")),
    }

    if options.amcheck {
        report.amcheck = pg_amcheck(&["--heapallindexed", database_url]);
        if !report.amcheck.ran {
            errors.push(format!(
                "pg_amcheck could not check the database: {}",
                report.amcheck.findings.first().cloned().unwrap_or_default()
            ));
        } else if !report.amcheck.ok {
            problems.push(format!(
                "pg_amcheck found corruption: {}",
                truncate(&report.amcheck.findings.join(" / "), 400)
            ));
        }
    }

    // After pg_amcheck, which reads every page and so counts every bad one it meets.
    match repo::checksum_failures(conn) {
        Ok(rows) => {
            report.checksum_failures = rows
                .into_iter()
                .map(|r| ChecksumFailure {
                    database: r.database,
                    failures: r.failures,
                    last_failure: r.last_failure,
                })
                .collect();
            let total: i64 = report.checksum_failures.iter().map(|f| f.failures).sum();
            if total > 0 {
                problems.push(format!(
                    "PostgreSQL has found {total} data page(s) with bad checksums: storage \
                     corruption (docs/runbooks/restore.md)"
                ));
            }
        }
        Err(e) => errors.push(format!("cannot read checksum failures: {e}")),
    }

    match repo::tables_needing_vacuum(conn, MIN_DEAD_ROWS, MIN_DEAD_RATIO) {
        Ok(tables) => {
            for t in tables {
                let started = Instant::now();
                let result = repo::vacuum_analyze(conn, &t.table);
                let total = (t.live_rows + t.dead_rows).max(1) as f64;
                let error = result.err().map(|e| e.to_string());
                if let Some(e) = &error {
                    problems.push(format!("VACUUM (ANALYZE) {} failed: {e}", t.table));
                }
                report.vacuumed.push(VacuumedTable {
                    table: t.table,
                    live_rows: t.live_rows,
                    dead_rows: t.dead_rows,
                    dead_ratio: t.dead_rows as f64 / total,
                    duration_ms: started.elapsed().as_millis() as i64,
                    error,
                });
            }
        }
        Err(e) => errors.push(format!("cannot read table statistics: {e}")),
    }

    match repo::bloat_estimate(conn, 10) {
        Ok(rows) => {
            report.bloat = rows
                .into_iter()
                .map(|r| TableBloat {
                    bloat_ratio: r.estimated_bloat_bytes as f64 / r.table_bytes.max(1) as f64,
                    table: r.table,
                    table_bytes: r.table_bytes,
                    estimated_bloat_bytes: r.estimated_bloat_bytes,
                })
                .collect()
        }
        Err(e) => errors.push(format!("cannot estimate bloat: {e}")),
    }
    match repo::invalid_indexes(conn) {
        Ok(rows) => {
            report.invalid_indexes = rows.into_iter().map(index_finding).collect();
            for i in &report.invalid_indexes {
                problems.push(format!(
                    "index {} on {} is invalid (rebuild it: REINDEX INDEX CONCURRENTLY)",
                    i.index, i.table
                ));
            }
        }
        Err(e) => errors.push(format!("cannot list invalid indexes: {e}")),
    }
    match repo::unused_indexes(conn, UNUSED_INDEX_MIN_BYTES) {
        Ok(rows) => report.unused_indexes = rows.into_iter().map(index_finding).collect(),
        Err(e) => errors.push(format!("cannot list unused indexes: {e}")),
    }
    report.stats_since = repo::stats_reset(conn).ok().flatten();

    let result = if !problems.is_empty() {
        MaintenanceResult::ProblemsFound
    } else if !errors.is_empty() {
        MaintenanceResult::Incomplete
    } else {
        MaintenanceResult::Ok
    };
    let summary = match result {
        MaintenanceResult::ProblemsFound => truncate(&problems.join("; "), 1000),
        MaintenanceResult::Incomplete => truncate(&errors.join("; "), 1000),
        MaintenanceResult::Ok => format!(
            "no problems found: {}{} table(s) vacuumed, {} invalid index(es), {} unused index(es), \
             most estimated bloat {}",
            if report.amcheck.ran {
                "pg_amcheck clean, "
            } else {
                ""
            },
            report.vacuumed.len(),
            report.invalid_indexes.len(),
            report.unused_indexes.len(),
            report
                .bloat
                .first()
                .map(|b| format!("{} in {}", bytes(b.estimated_bloat_bytes), b.table))
                .unwrap_or_else(|| "none".into()),
        ),
    };
    report.problems = problems;
    report.errors = errors;
    let finished_at = Utc::now();
    Ok(service::record_maintenance_run(
        conn,
        started_at,
        finished_at,
        result,
        summary,
        &report,
    )?)
}

fn index_finding(r: IndexRow) -> IndexFinding {
    IndexFinding {
        index: r.index,
        table: r.table,
        bytes: r.bytes,
        scans: r.scans,
    }
}
