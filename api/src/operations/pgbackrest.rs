//! The `pgbackrest` command line, as the backup procedures use it. Every call passes
//! `--config` and `--stanza` explicitly (Debian ships a legacy `/etc/pgbackrest.conf` that must
//! never be picked up), and runs as the server's OS user when this process is root (the
//! repository belongs to that user).
//!
//! Exit codes are not trusted alone: `pgbackrest verify` exits 0 even when it finds corrupt
//! files, so [`PgBackRest::verify`] reads its report.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::config::BackupSettings;

/// A pgBackRest stanza in a repository.
#[derive(Debug, Clone)]
pub struct PgBackRest {
    config: PathBuf,
    stanza: String,
}

/// `pgbackrest backup --type=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupType {
    /// Every file.
    Full,
    /// Files changed since the last full backup.
    Diff,
    /// Files changed since the last backup of any type.
    Incr,
}

impl BackupType {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupType::Full => "full",
            BackupType::Diff => "diff",
            BackupType::Incr => "incr",
        }
    }

    pub fn parse(s: &str) -> Option<BackupType> {
        match s {
            "full" => Some(BackupType::Full),
            "diff" => Some(BackupType::Diff),
            "incr" => Some(BackupType::Incr),
            _ => None,
        }
    }
}

/// Where recovery of a restored copy stops.
#[derive(Debug, Clone)]
pub enum Target {
    /// A restore point made with `pg_create_restore_point`.
    Name(String),
    /// The end of the backup (the earliest consistent state).
    Immediate,
    /// A point in time.
    Time(DateTime<Utc>),
}

/// One backup set, from `pgbackrest info --output=json`.
#[derive(Debug, Clone)]
pub struct BackupSet {
    pub label: String,
    pub kind: String,
    /// Pages with bad checksums were found while copying.
    pub error: bool,
    pub started_at: DateTime<Utc>,
    pub stopped_at: DateTime<Utc>,
    /// Database size copied.
    pub size: i64,
    /// Size in the repository (compressed).
    pub repository_size: i64,
}

/// What `pgbackrest verify` said about the repository.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// The repository is valid and `label` (when given) is a valid backup.
    pub ok: bool,
    /// The report (`--output=text --verbose`), trimmed.
    pub text: String,
}

#[derive(Deserialize)]
struct InfoStanza {
    #[serde(default)]
    backup: Vec<InfoBackup>,
}

#[derive(Deserialize)]
struct InfoBackup {
    label: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    error: Option<bool>,
    timestamp: InfoTimestamp,
    info: InfoSizes,
}

#[derive(Deserialize)]
struct InfoTimestamp {
    start: i64,
    stop: i64,
}

#[derive(Deserialize)]
struct InfoSizes {
    size: i64,
    repository: InfoRepository,
}

#[derive(Deserialize)]
struct InfoRepository {
    size: i64,
}

impl PgBackRest {
    pub fn new(settings: &BackupSettings) -> PgBackRest {
        PgBackRest {
            config: absolute(&settings.pgbackrest_config),
            stanza: settings.stanza.clone(),
        }
    }

    pub fn config(&self) -> &Path {
        &self.config
    }

    fn command(&self) -> Command {
        let mut c = pg_harness::pg_command("pgbackrest");
        c.arg(format!("--config={}", self.config.display()))
            .arg(format!("--stanza={}", self.stanza));
        c
    }

    /// Takes a backup; returns once every WAL segment it needs is in the repository.
    pub fn backup(&self, kind: BackupType) -> Result<(), String> {
        run(self
            .command()
            .arg("backup")
            .arg(format!("--type={}", kind.as_str())))
        .map(|_| ())
    }

    /// Checks that archiving works end to end: forces a WAL switch on the server and waits
    /// until that segment is in the repository (so everything written before is archived).
    pub fn check(&self) -> Result<(), String> {
        run(self.command().arg("check")).map(|_| ())
    }

    /// The backup sets in the repository, oldest first.
    pub fn backups(&self) -> Result<Vec<BackupSet>, String> {
        let out = run(self.command().args(["info", "--output=json"]))?;
        let stanzas: Vec<InfoStanza> = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("pgbackrest info printed unexpected JSON: {e}"))?;
        let time = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or_default();
        Ok(stanzas
            .into_iter()
            .flat_map(|s| s.backup)
            .map(|b| BackupSet {
                label: b.label,
                kind: b.kind,
                error: b.error.unwrap_or(false),
                started_at: time(b.timestamp.start),
                stopped_at: time(b.timestamp.stop),
                size: b.info.size,
                repository_size: b.info.repository.size,
            })
            .collect())
    }

    /// Checks the checksums of every file of every backup and of the WAL archive. Exit code 0
    /// proves nothing (it is 0 with corrupt files too): the verbose text report is read. `ok`
    /// needs an overall `status: ok`, no missing or invalid file anywhere, and `label` (when
    /// given) listed as `status: valid`.
    pub fn verify(&self, label: Option<&str>) -> Result<VerifyReport, String> {
        let out = run(self
            .command()
            .args(["verify", "--output=text", "--verbose"]))?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok(VerifyReport {
            ok: verify_text_ok(&text, label),
            text,
        })
    }

    /// Restores backup `set` into the new data directory `data` (created by pgBackRest, or
    /// empty), recovering to `target` and then promoting. The copy never archives
    /// (`--archive-mode=off`): it would push a new timeline into this repository.
    pub fn restore(&self, data: &Path, set: &str, target: &Target) -> Result<(), String> {
        let mut cmd = self.command();
        cmd.arg(format!("--pg1-path={}", data.display()))
            .arg(format!("--set={set}"))
            .arg("--archive-mode=off");
        match target {
            Target::Name(name) => {
                cmd.args(["--type=name", &format!("--target={name}")]);
            }
            Target::Immediate => {
                cmd.arg("--type=immediate");
            }
            Target::Time(at) => {
                cmd.args(["--type=time", &format!("--target={}", pg_time(*at))]);
            }
        }
        if !matches!(target, Target::Immediate) {
            cmd.arg("--target-action=promote");
        }
        run(cmd.arg("restore")).map(|_| ())
    }

    /// The data directory of the stanza's server (`pg1-path`), read from the configuration.
    pub fn pg1_path(&self) -> Option<PathBuf> {
        let text = std::fs::read_to_string(&self.config).ok()?;
        let mut in_stanza = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_stanza = line == format!("[{}]", self.stanza);
            } else if in_stanza {
                if let Some(v) = line.strip_prefix("pg1-path=") {
                    return Some(PathBuf::from(v.trim()));
                }
            }
        }
        None
    }
}

/// A time as PostgreSQL and pgBackRest both parse it (`2026-11-26 08:04:02.173380+00`).
pub fn pg_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
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

/// Runs `cmd`; on a non-zero exit, returns its error lines (pgBackRest prints
/// `ERROR: [code]: message`).
fn run(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run pgbackrest ({e}); is it installed?"))?;
    if out.status.success() {
        return Ok(out);
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ERROR") || l.trim_start().starts_with("HINT"))
        .collect();
    let message = if errors.is_empty() {
        text.lines().rev().take(5).collect::<Vec<_>>().join(" / ")
    } else {
        errors.join(" / ")
    };
    Err(format!(
        "pgbackrest failed ({}): {}",
        out.status,
        truncate(message.trim(), 600)
    ))
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Reads `verify --output=text --verbose`:
///
/// ```text
/// stanza: hms
/// status: ok
///   archiveId: 15-1, total WAL checked: 2, total valid WAL: 2
///     missing: 0, checksum invalid: 0, size invalid: 0, other: 0
///   backup: 20261126-115836F, status: valid, total files checked: 964, total valid files: 964
///     missing: 0, checksum invalid: 0, size invalid: 0, other: 0
/// ```
fn verify_text_ok(text: &str, label: Option<&str>) -> bool {
    let overall_ok = text.lines().any(|l| l.trim() == "status: ok")
        && !text.lines().any(|l| l.trim() == "status: error");
    let counters_zero = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("missing:"))
        .all(|l| {
            l.split(',')
                .filter_map(|part| part.rsplit(':').next())
                .all(|n| n.trim() == "0")
        });
    let no_invalid_backup = !text
        .lines()
        .any(|l| l.trim().starts_with("backup:") && !l.contains("status: valid"));
    let label_valid = match label {
        None => true,
        Some(label) => text
            .lines()
            .map(str::trim)
            .any(|l| l.starts_with(&format!("backup: {label},")) && l.contains("status: valid")),
    };
    overall_ok && counters_zero && no_invalid_backup && label_valid
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "stanza: hms
status: ok
  archiveId: 15-1, total WAL checked: 2, total valid WAL: 2
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261126-115836F, status: valid, total files checked: 964, total valid files: 964
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0";

    #[test]
    fn a_clean_verify_report_is_ok() {
        assert!(verify_text_ok(VALID, Some("20261126-115836F")));
        assert!(verify_text_ok(VALID, None));
    }

    #[test]
    fn a_report_with_one_bad_checksum_is_not_ok_although_pgbackrest_exits_0() {
        let corrupt = "stanza: hms
status: error
  archiveId: 15-1, total WAL checked: 2, total valid WAL: 2
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261126-115836F, status: invalid, total files checked: 964, total valid files: 963
    missing: 0, checksum invalid: 1, size invalid: 0, other: 0";

        assert!(!verify_text_ok(corrupt, Some("20261126-115836F")));
        assert!(!verify_text_ok(corrupt, None));
    }

    #[test]
    fn a_backup_missing_from_the_report_is_not_verified() {
        assert!(!verify_text_ok(VALID, Some("20261127-000000F")));
        assert!(!verify_text_ok("", None));
    }

    #[test]
    fn times_are_written_in_a_form_postgres_parses() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T08:04:02.17338Z")
            .unwrap()
            .with_timezone(&Utc);

        assert_eq!(pg_time(at), "2026-11-26 08:04:02.173380+00");
    }
}
