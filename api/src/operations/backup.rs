//! The backup procedures behind `hms backup`, `hms backup verify` and `hms restore`: blocking
//! code for the command line (and the tests), never run by the HTTP server.
//!
//! - [`take`]: `pgbackrest backup`, then the main tables' row counts at a named restore point
//!   made right after it (see [`service::counts_at_restore_point`]), then `pgbackrest check` so
//!   that the restore point's WAL is archived.
//! - [`verify`]: proves a backup by restoring it: `pgbackrest verify` (checksums of every file
//!   in the repository), a restore into a scratch data directory recovered to the backup's
//!   restore point, a scratch server on a free port, `pg_amcheck --heapallindexed
//!   --parent-check`, and the row counts compared with those recorded; then the scratch copy is
//!   stopped and deleted.
//! - [`restore`]: point-in-time restore into a new data directory, never over a running
//!   cluster.
//!
//! Each run is recorded in `backup_runs`, failed ones too.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use hms_api_types::operations::{
    AmcheckReport, BackupRun, BackupRunKind, RunResult, RunStep, TableCount,
};

use super::pgbackrest::{pg_time, truncate, BackupType, PgBackRest, Target};
use super::repo;
use super::service::{self, RunRecord};
use crate::config::BackupSettings;

/// Timed steps of a run.
#[derive(Default)]
pub(crate) struct Steps(pub(crate) Vec<RunStep>);

impl Steps {
    /// Runs `f` as step `name`, recording its duration and outcome.
    pub(crate) fn run<T>(
        &mut self,
        name: &str,
        f: impl FnOnce() -> Result<T, String>,
    ) -> Result<T, String> {
        let started = Instant::now();
        let result = f();
        self.push(name, started.elapsed(), result.as_ref().err().cloned());
        result
    }

    pub(crate) fn push(&mut self, name: &str, took: Duration, error: Option<String>) {
        self.0.push(RunStep {
            name: name.to_owned(),
            ok: error.is_none(),
            duration_ms: took.as_millis() as i64,
            detail: error,
        });
    }
}

/// Takes a backup of the stanza's server and records it. `conn` is a connection to the
/// application database on that server. Returns the recorded run (check its `result`); an
/// error only when it could not be recorded.
pub fn take(
    conn: &mut PgConnection,
    settings: &BackupSettings,
    kind: BackupType,
) -> anyhow::Result<BackupRun> {
    let pgbr = PgBackRest::new(settings);
    let started_at = Utc::now();
    let started = Instant::now();
    let mut steps = Steps::default();
    let database_name = repo::current_database(conn).ok();
    let mut run = RunRecord {
        kind: BackupRunKind::Backup,
        started_at,
        finished_at: started_at,
        result: RunResult::Failed,
        backup_label: None,
        restore_point: None,
        database_name,
        size_bytes: None,
        repository_bytes: None,
        row_counts: Vec::new(),
        steps: Vec::new(),
        detail: String::new(),
    };
    let outcome = take_steps(conn, &pgbr, kind, &mut steps, &mut run);
    run.finished_at = Utc::now();
    run.steps = steps.0;
    match outcome {
        Ok(summary) => {
            run.result = RunResult::Ok;
            run.detail = format!("{summary} in {:.1} s", started.elapsed().as_secs_f64());
        }
        Err(why) => run.detail = why,
    }
    Ok(service::record_backup_run(conn, run)?)
}

fn take_steps(
    conn: &mut PgConnection,
    pgbr: &PgBackRest,
    kind: BackupType,
    steps: &mut Steps,
    run: &mut RunRecord,
) -> Result<String, String> {
    let before: Vec<String> = pgbr
        .backups()
        .map(|sets| sets.into_iter().map(|s| s.label).collect())
        .unwrap_or_default();
    steps.run("pgbackrest backup", || pgbr.backup(kind))?;
    let set = steps.run("pgbackrest info", || {
        pgbr.backups()?
            .pop()
            .filter(|s| !before.contains(&s.label))
            .ok_or_else(|| "the new backup is not in the repository".to_owned())
    })?;
    run.backup_label = Some(set.label.clone());
    run.size_bytes = Some(set.size);
    run.repository_bytes = Some(set.repository_size);
    if set.error {
        return Err(format!(
            "backup {} copied pages with bad checksums: the database has corruption \
             (see docs/runbooks/restore.md)",
            set.label
        ));
    }
    let point = format!("hms-{}", set.label);
    let counted = steps.run("row counts at a restore point", || {
        service::counts_at_restore_point(conn, &point).map_err(|e| e.to_string())
    });
    let counts_note = match counted {
        Ok((counts, held)) => {
            run.row_counts = counts;
            run.restore_point = Some(point.clone());
            format!(
                "{} tables counted at restore point {point} (writes held {} ms)",
                run.row_counts.len(),
                held.as_millis()
            )
        }
        // The backup is good without them; its verification then restores to the backup's end
        // and cannot compare counts.
        Err(e) => format!("row counts not taken ({e})"),
    };
    steps.run("archive the WAL so far (pgbackrest check)", || pgbr.check())?;
    Ok(format!(
        "{} backup {}: {} copied, {} in the repository; {counts_note}",
        set.kind,
        set.label,
        bytes(set.size),
        bytes(set.repository_size),
    ))
}

/// Proves a backup by restoring it (see the module documentation) and records the result.
/// `label`: the backup to verify; `None` for the newest successful one. Errors only when there
/// is no such backup or the result cannot be recorded.
pub fn verify(
    conn: &mut PgConnection,
    settings: &BackupSettings,
    label: Option<&str>,
) -> anyhow::Result<BackupRun> {
    let backup = service::find_backup(conn, label)?.ok_or_else(|| match label {
        Some(l) => anyhow::anyhow!("no backup labelled {l} is recorded"),
        None => anyhow::anyhow!("no successful backup is recorded: run `hms backup` first"),
    })?;
    let database = match &backup.database_name {
        Some(d) => d.clone(),
        None => repo::current_database(conn)?,
    };
    let pgbr = PgBackRest::new(settings);
    let started_at = Utc::now();
    let started = Instant::now();
    let mut steps = Steps::default();
    let mut run = RunRecord {
        kind: BackupRunKind::Verify,
        started_at,
        finished_at: started_at,
        result: RunResult::Failed,
        backup_label: Some(backup.label.clone()),
        restore_point: backup.restore_point.clone(),
        database_name: Some(database.clone()),
        size_bytes: None,
        repository_bytes: None,
        row_counts: backup.row_counts.clone(),
        steps: Vec::new(),
        detail: String::new(),
    };
    let mut problems = Vec::new();
    // 1. The checksums of every file in the repository. Not a reason to skip the restore test.
    if let Err(e) = steps.run("pgbackrest verify (repository checksums)", || {
        let report = pgbr.verify(Some(&backup.label))?;
        if report.ok {
            Ok(())
        } else {
            Err(format!(
                "the repository has invalid or missing files: {}",
                truncate(&report.text.replace('\n', " / "), 500)
            ))
        }
    }) {
        problems.push(e);
    }
    // 2. The restore test.
    match restore_test(&pgbr, settings, &backup, &database, &mut steps, &mut run) {
        Ok(()) => {}
        Err(e) => problems.push(e),
    }
    run.finished_at = Utc::now();
    run.steps = steps.0;
    if problems.is_empty() {
        run.result = RunResult::Ok;
        run.detail = format!(
            "backup {} restored{} and checked in {:.1} s: pgBackRest checksums valid, \
             pg_amcheck clean, {} table row counts equal",
            backup.label,
            match &backup.restore_point {
                Some(p) => format!(" to {p}"),
                None => String::new(),
            },
            started.elapsed().as_secs_f64(),
            run.row_counts.len()
        );
    } else {
        run.detail = problems.join("; ");
    }
    Ok(service::record_backup_run(conn, run)?)
}

fn restore_test(
    pgbr: &PgBackRest,
    settings: &BackupSettings,
    backup: &service::RecordedBackup,
    database: &str,
    steps: &mut Steps,
    run: &mut RunRecord,
) -> Result<(), String> {
    let target = match &backup.restore_point {
        Some(p) => Target::Name(p.clone()),
        None => Target::Immediate,
    };
    let started = Instant::now();
    let mut restore_took = Duration::ZERO;
    let scratch = pg_harness::Cluster::throwaway_from(
        Some(&settings.scratch_dir),
        settings.start_timeout,
        |data| {
            let t = Instant::now();
            let result = pgbr.restore(data, &backup.label, &target);
            restore_took = t.elapsed();
            result.map_err(io::Error::other)
        },
    );
    steps.push(
        "pgbackrest restore into a scratch directory",
        restore_took,
        None,
    );
    let scratch = match scratch {
        Ok(c) => {
            steps.push(
                "start the scratch copy (WAL replay, promotion)",
                started.elapsed() - restore_took,
                None,
            );
            c
        }
        Err(e) => {
            let why = format!("the backup could not be restored and started: {e}");
            let last = steps.0.len() - 1;
            steps.0[last].ok = false;
            steps.0[last].detail = Some(truncate(&why, 800));
            return Err(truncate(&why, 800));
        }
    };
    let url = scratch.url(database);
    let mut copy = steps.run("connect to the scratch copy", || {
        PgConnection::establish(&url).map_err(|e| format!("cannot connect to the copy: {e}"))
    })?;
    steps.run("recovery finished", || {
        match repo::in_recovery(&mut copy).map_err(|e| e.to_string())? {
            false => Ok(()),
            true => Err("the copy is still recovering".to_owned()),
        }
    })?;
    run.size_bytes = repo::database_size(&mut copy).ok();
    let mut problems = Vec::new();
    let amcheck = pg_amcheck(&[
        "-h",
        "127.0.0.1",
        "-p",
        &scratch.port().to_string(),
        "-U",
        "postgres",
        "--heapallindexed",
        "--parent-check",
        database,
    ]);
    steps.push(
        "pg_amcheck --heapallindexed --parent-check",
        Duration::from_millis(amcheck.duration_ms as u64),
        (!amcheck.ok).then(|| truncate(&amcheck.findings.join(" / "), 800)),
    );
    if !amcheck.ok {
        problems.push(format!(
            "pg_amcheck found problems in the restored copy: {}",
            truncate(&amcheck.findings.join(" / "), 500)
        ));
    }
    let counted = steps.run("row counts", || {
        service::count_tables(&mut copy).map_err(|e| e.to_string())
    });
    match counted {
        Ok(found) => {
            let (counts, differ) = compare_counts(&backup.row_counts, &found);
            run.row_counts = counts;
            if backup.row_counts.is_empty() {
                // Nothing recorded to compare with (the backup's counts were not taken).
            } else if !differ.is_empty() {
                problems.push(format!("row counts differ: {}", differ.join(", ")));
            }
        }
        Err(e) => problems.push(format!("cannot count rows in the copy: {e}")),
    }
    drop(copy);
    let t = Instant::now();
    drop(scratch);
    steps.push("stop and delete the scratch copy", t.elapsed(), None);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Expected counts (recorded) beside those found; the tables that differ.
fn compare_counts(
    expected: &[TableCount],
    found: &[(String, i64)],
) -> (Vec<TableCount>, Vec<String>) {
    let mut counts = Vec::new();
    let mut differ = Vec::new();
    for (table, n) in found {
        let want = expected
            .iter()
            .find(|c| &c.table == table)
            .and_then(|c| c.expected);
        if want.is_some_and(|w| w != *n) {
            differ.push(format!("{table} {} → {n}", want.unwrap_or_default()));
        }
        counts.push(TableCount {
            table: table.clone(),
            expected: want,
            found: Some(*n),
        });
    }
    (counts, differ)
}

/// Runs `pg_amcheck` with `args` (connection options, checks, the database) and reads its
/// exit status: 0 clean, 2 corruption found, anything else: it could not check.
///
/// A password in a connection URL among `args` is passed as `PGPASSWORD` instead, so that it
/// never shows in the process list.
pub(crate) fn pg_amcheck(args: &[&str]) -> AmcheckReport {
    let started = Instant::now();
    let mut cmd = Command::new(pg_harness::bin_dir().join("pg_amcheck"));
    cmd.args(["--install-missing", "--no-strict-names"])
        .env("PGCONNECT_TIMEOUT", "10");
    for arg in args {
        let (arg, password) = split_password(arg);
        if let Some(password) = password {
            cmd.env("PGPASSWORD", password);
        }
        cmd.arg(arg);
    }
    let out = cmd.output();
    let duration_ms = started.elapsed().as_millis() as i64;
    match out {
        Err(e) => AmcheckReport {
            ran: false,
            ok: false,
            duration_ms,
            findings: vec![format!(
                "cannot run pg_amcheck ({e}); install the PostgreSQL client programs"
            )],
        },
        Ok(out) => {
            let code = out.status.code().unwrap_or(-1);
            let mut findings: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&out.stderr).lines())
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("NOTICE:"))
                .map(|l| truncate(l, 300))
                .collect();
            findings.dedup();
            findings.truncate(50);
            AmcheckReport {
                ran: code == 0 || code == 2,
                ok: code == 0,
                duration_ms,
                findings: if code == 0 { Vec::new() } else { findings },
            }
        }
    }
}

/// `postgres://user:secret@host/db` → (`postgres://user@host/db`, `secret`), the password
/// percent-decoded. Anything else is returned as it is.
fn split_password(arg: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = arg.split_once("://") else {
        return (arg.to_owned(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (arg.to_owned(), None);
    };
    let Some((user, password)) = rest[..at].split_once(':') else {
        return (arg.to_owned(), None);
    };
    let mut decoded = Vec::new();
    let bytes = password.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                decoded.push(b);
                i += 3;
            }
            (b, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    (
        format!("{scheme}://{user}{}", &rest[at..]),
        Some(String::from_utf8_lossy(&decoded).into_owned()),
    )
}

/// What [`restore`] did, and how to start the copy.
#[derive(Debug, Clone)]
pub struct Restored {
    pub label: String,
    pub data_dir: PathBuf,
    pub took: Duration,
    /// The recorded run, when the source database could be reached to record it.
    pub run: Option<BackupRun>,
    /// The commands to start and check the copy.
    pub instructions: String,
}

/// Restores the newest backup taken before `to`, plus the archived WAL up to `to`, into the new
/// data directory `into` (missing, or empty). The copy replays up to `to` when started, then
/// promotes; it never archives. Refuses to write into a directory in use (the stanza's
/// `pg1-path`, the source's `data_directory`, or any folder with a `postmaster.pid`).
///
/// `conn`, when the source database answers: its WAL so far is archived first (so the commits
/// up to `to` are in the repository) and the run is recorded there.
pub fn restore(
    mut conn: Option<&mut PgConnection>,
    settings: &BackupSettings,
    to: DateTime<Utc>,
    into: &Path,
) -> anyhow::Result<Restored> {
    let pgbr = PgBackRest::new(settings);
    let into = absolute(into);
    refuse_live_directory(&pgbr, conn.as_deref_mut(), &into)?;
    let started_at = Utc::now();
    let started = Instant::now();
    let mut steps = Steps::default();
    if conn.is_some() {
        // Best effort: the source may be the broken thing.
        let _ = steps.run("archive the WAL so far (pgbackrest check)", || pgbr.check());
    }
    let outcome = (|| -> Result<String, String> {
        let sets = steps.run("pgbackrest info", || pgbr.backups())?;
        let set = sets
            .iter()
            .rev()
            // pgBackRest's stop time is in whole seconds: leave a second for its fraction.
            .find(|s| s.stopped_at + chrono::Duration::seconds(1) <= to)
            .ok_or_else(|| match sets.first() {
                Some(first) => format!(
                    "no backup had finished by {}: the oldest ended at {}",
                    to.to_rfc3339(),
                    first.stopped_at.to_rfc3339()
                ),
                None => "the repository has no backup".to_owned(),
            })?
            .clone();
        steps.run("prepare the data directory", || {
            pg_harness::dir_for_postgres(&into)
                .map(|_| ())
                .map_err(|e| format!("cannot create {}: {e}", into.display()))
        })?;
        steps.run("pgbackrest restore", || {
            pgbr.restore(&into, &set.label, &Target::Time(to))
        })?;
        Ok(set.label)
    })();
    let took = started.elapsed();
    let finished_at = Utc::now();
    let (result, detail, label) = match &outcome {
        Ok(label) => (
            RunResult::Ok,
            format!(
                "backup {label} restored into {} with WAL up to {} in {:.1} s (replayed when started)",
                into.display(),
                pg_time(to),
                took.as_secs_f64()
            ),
            Some(label.clone()),
        ),
        Err(e) => (RunResult::Failed, e.clone(), None),
    };
    let recorded = match conn {
        Some(conn) => {
            let database_name = repo::current_database(conn).ok();
            service::record_backup_run(
                conn,
                RunRecord {
                    kind: BackupRunKind::Restore,
                    started_at,
                    finished_at,
                    result,
                    backup_label: label,
                    restore_point: None,
                    database_name,
                    size_bytes: None,
                    repository_bytes: None,
                    row_counts: Vec::new(),
                    steps: steps.0,
                    detail: detail.clone(),
                },
            )
            .ok()
        }
        None => None,
    };
    let label = outcome.map_err(|e| anyhow::anyhow!(e))?;
    let instructions = start_instructions(&into, to);
    Ok(Restored {
        label,
        data_dir: into,
        took,
        run: recorded,
        instructions,
    })
}

fn refuse_live_directory(
    pgbr: &PgBackRest,
    conn: Option<&mut PgConnection>,
    into: &Path,
) -> anyhow::Result<()> {
    let same = |other: &Path| {
        let a = into.canonicalize().unwrap_or_else(|_| into.to_path_buf());
        let b = other.canonicalize().unwrap_or_else(|_| other.to_path_buf());
        a == b || a.starts_with(&b)
    };
    if let Some(live) = pgbr.pg1_path() {
        if same(&live) {
            anyhow::bail!(
                "{} is the data directory of the backed-up server ({}); restore into a new \
                 directory",
                into.display(),
                live.display()
            );
        }
    }
    if let Some(conn) = conn {
        if let Ok(live) = repo::data_directory(conn) {
            if same(Path::new(&live)) {
                anyhow::bail!(
                    "{} is the data directory of the running server; restore into a new directory",
                    into.display()
                );
            }
        }
    }
    if into.join("postmaster.pid").exists() {
        anyhow::bail!(
            "{} holds a running (or crashed) server; restore into a new directory",
            into.display()
        );
    }
    if let Ok(mut entries) = std::fs::read_dir(into) {
        if entries.next().is_some() {
            anyhow::bail!(
                "{} is not empty; restore into a new (or empty) directory",
                into.display()
            );
        }
    }
    Ok(())
}

fn start_instructions(data: &Path, to: DateTime<Utc>) -> String {
    let pg_ctl = pg_harness::bin_dir().join("pg_ctl");
    let log = data.with_extension("log");
    let as_postgres = if pg_harness::is_root() {
        "runuser -u postgres -- "
    } else {
        ""
    };
    format!(
        "The copy is in {data} (nothing is running). To start it on port 5499 (any free port):

  {as_postgres}{pg_ctl} -D {data} -l {log} -o \"-p 5499 -c listen_addresses=127.0.0.1 -c archive_mode=off\" start

It replays the archived WAL up to {to}, then promotes itself (a new timeline). Wait until
recovery has finished ('f'):

  psql -h 127.0.0.1 -p 5499 -U postgres -XAtc 'SELECT pg_is_in_recovery()'

The server log says 'recovery stopping before commit of transaction …' and 'selected new
timeline ID'. If it says 'recovery ended before configured recovery target was reached', the WAL
after the target is not archived yet (run `pgbackrest check` on the source first).
Check the copy: `hms maintenance` against it (DATABASE_URL=postgres://postgres@127.0.0.1:5499/<db>),
and compare the row counts of the main tables. See docs/runbooks/restore.md.",
        data = data.display(),
        pg_ctl = pg_ctl.display(),
        log = log.display(),
        to = pg_time(to),
    )
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// `12.3 MB`.
pub(crate) fn bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.0} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_url_is_taken_out_of_the_command_line() {
        assert_eq!(
            split_password("postgres://hms:s%40cret@db:5432/hms?sslmode=require"),
            (
                "postgres://hms@db:5432/hms?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/hms"),
            ("postgres://postgres@127.0.0.1:5432/hms".to_owned(), None)
        );
        assert_eq!(
            split_password("--heapallindexed"),
            ("--heapallindexed".to_owned(), None)
        );
    }

    #[test]
    fn counts_that_differ_are_named() {
        let expected = vec![
            TableCount {
                table: "patients".into(),
                expected: Some(10),
                found: None,
            },
            TableCount {
                table: "allergies".into(),
                expected: Some(4),
                found: None,
            },
        ];
        let found = vec![("patients".to_owned(), 10), ("allergies".to_owned(), 0)];

        let (counts, differ) = compare_counts(&expected, &found);

        assert_eq!(differ, vec!["allergies 4 → 0".to_owned()]);
        assert_eq!(counts[1].expected, Some(4));
        assert_eq!(counts[1].found, Some(0));
    }
}
