//! The durable journal: requests that must never be refused (shortage reports, appointment
//! cancellations) and the audit rows of reads served by a standby, kept on the API host's disk
//! while the primary database is unreachable, and written to the database once it is back.
//!
//! One file per entry, written to a temporary name, fsynced, renamed into `pending/` and the
//! folder fsynced, all before the client is answered: an accepted entry survives a crash or a
//! restart of the API. Replay runs each entry through `Idempotency-Key` storage with the key the
//! original attempt used, so an entry whose first attempt did commit (an ambiguous failure) or
//! that is replayed twice (a crash between commit and bookkeeping) is written exactly once.
//! Written entries move to `applied/`, refused ones to `failed/`, and both are kept a week so
//! the person who made the request can see what became of it.

pub mod handlers;
pub mod replay;

pub use handlers::configure;

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use hms_api_types::ops::{PendingKind, PendingStatus, PendingWrite};
use hms_api_types::{Problem, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{AuditRow, RequestMeta};
use crate::auth::AuthUser;

/// How long applied and failed entries are kept for their authors to look at.
const KEEP_DONE: Duration = Duration::from_secs(7 * 24 * 3600);

/// What an entry asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Work {
    /// `POST /api/v1/inventory/shortages`.
    ReportShortage,
    /// `POST /api/v1/appointments/{id}/cancel`.
    CancelAppointment { appointment_id: Uuid },
    /// Audit rows of reads served by a standby.
    Audit { rows: Vec<AuditRow> },
    /// HMS itself (kept in `system/`): the primary became unreachable at `started_at`; opens
    /// the outage incident, or joins the one another API host opened.
    OpenOutageIncident { started_at: DateTime<Utc> },
    /// HMS itself (kept in `system/`): the primary took writes again at `ended_at`, after the
    /// outage that began at `started_at` (none: whatever outage is still recorded as going on,
    /// when an API host starts and finds the primary up).
    CloseOutageIncident {
        started_at: Option<DateTime<Utc>>,
        ended_at: DateTime<Utc>,
    },
}

/// One journaled request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub id: Uuid,
    pub work: Work,
    pub user_id: Uuid,
    pub role: Role,
    pub patient_id: Option<Uuid>,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    /// The idempotency key the first attempt used.
    pub key: String,
    pub accepted_at: DateTime<Utc>,
    /// The request body.
    pub request: serde_json::Value,
    #[serde(default)]
    pub applied_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub problem: Option<Problem>,
    /// For API clients: the client and the token's scopes (OAuth form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl Entry {
    /// A request by `user`, to be run with idempotency `key`.
    pub fn new(
        work: Work,
        user: &AuthUser,
        meta: &RequestMeta,
        key: String,
        request: serde_json::Value,
    ) -> Entry {
        Entry {
            id: Uuid::new_v4(),
            work,
            user_id: user.id,
            role: user.role,
            patient_id: user.patient_id,
            client_addr: meta.client_addr.clone(),
            request_id: meta.request_id.clone(),
            key,
            accepted_at: Utc::now(),
            request,
            applied_at: None,
            location: None,
            problem: None,
            client_id: user.client_id,
            scope: user.client_id.map(|_| user.scopes.to_oauth()),
        }
    }

    pub fn user(&self) -> AuthUser {
        AuthUser {
            client_id: self.client_id,
            scopes: hms_api_types::ScopeSet::parse_oauth(self.scope.as_deref().unwrap_or(""))
                .unwrap_or_default(),
            ..AuthUser::person(self.user_id, self.role, self.patient_id)
        }
    }

    pub fn meta(&self) -> RequestMeta {
        RequestMeta {
            client_addr: self.client_addr.clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// The entry as its author sees it (`None` for audit rows, which nobody "sent").
    pub fn view(&self, status: PendingStatus) -> Option<PendingWrite> {
        let (kind, summary) = match &self.work {
            Work::ReportShortage => (
                PendingKind::ShortageReport,
                "Shortage report, waiting for the database".to_owned(),
            ),
            Work::CancelAppointment { .. } => (
                PendingKind::AppointmentCancellation,
                "Appointment cancellation, waiting for the database".to_owned(),
            ),
            Work::Audit { .. }
            | Work::OpenOutageIncident { .. }
            | Work::CloseOutageIncident { .. } => return None,
        };
        let summary = match status {
            PendingStatus::Pending => summary,
            PendingStatus::Applied => summary.replace("waiting for the database", "saved"),
            PendingStatus::Failed => summary.replace("waiting for the database", "refused"),
        };
        Some(PendingWrite {
            id: self.id,
            kind,
            status,
            accepted_at: self.accepted_at,
            applied_at: self.applied_at,
            summary,
            request: self.request.clone(),
            location: self.location.clone(),
            problem: self.problem.clone(),
        })
    }

    fn file_name(&self) -> String {
        // Sorts in acceptance order.
        format!(
            "{:020}-{}.json",
            self.accepted_at.timestamp_micros(),
            self.id
        )
    }
}

/// The journal folder.
pub struct Journal {
    dir: PathBuf,
    /// Serializes moves between the folders (appends need no lock: unique names).
    moves: Mutex<()>,
}

const PENDING: &str = "pending";
const APPLIED: &str = "applied";
const FAILED: &str = "failed";
const UNREADABLE: &str = "unreadable";
/// Entries HMS makes by itself (incident bookkeeping): replayed like requests, but nobody's
/// pending request, so not counted in [`Journal::pending_count`].
const SYSTEM: &str = "system";

impl Journal {
    /// Opens (creating) the journal in `dir`.
    pub fn open(dir: &Path) -> io::Result<Journal> {
        for sub in [PENDING, APPLIED, FAILED, SYSTEM] {
            fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Journal {
            dir: dir.to_path_buf(),
            moves: Mutex::new(()),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores `entry` durably in `pending/`. When this returns `Ok`, the entry survives a
    /// crash of the process or the machine.
    pub fn append(&self, entry: &Entry) -> io::Result<()> {
        write_durably(&self.dir.join(PENDING), &entry.file_name(), entry)
    }

    /// Journals the audit rows of a read served by a standby.
    pub fn append_audit(&self, rows: Vec<AuditRow>) -> io::Result<()> {
        let entry = Entry {
            id: Uuid::new_v4(),
            work: Work::Audit { rows },
            user_id: Uuid::nil(),
            role: Role::Admin,
            patient_id: None,
            client_addr: None,
            request_id: None,
            key: String::new(),
            accepted_at: Utc::now(),
            request: serde_json::Value::Null,
            applied_at: None,
            location: None,
            problem: None,
            client_id: None,
            scope: None,
        };
        self.append(&entry)
    }

    /// Keeps `work` that HMS does by itself (see [`SYSTEM`]) durably, to be written when the
    /// primary takes writes.
    pub fn append_system(&self, work: Work) -> io::Result<()> {
        let entry = Entry {
            id: Uuid::new_v4(),
            work,
            user_id: Uuid::nil(),
            role: Role::Admin,
            patient_id: None,
            client_addr: None,
            request_id: None,
            key: String::new(),
            accepted_at: Utc::now(),
            request: serde_json::Value::Null,
            applied_at: None,
            location: None,
            problem: None,
            client_id: None,
            scope: None,
        };
        write_durably(&self.dir.join(SYSTEM), &entry.file_name(), &entry)
    }

    /// HMS's own entries waiting to be written, oldest first.
    pub fn system_pending(&self) -> io::Result<Vec<Entry>> {
        read_folder(&self.dir.join(SYSTEM))
    }

    /// How many of HMS's own entries wait.
    pub fn system_count(&self) -> usize {
        count_entries(&self.dir.join(SYSTEM))
    }

    /// Forgets one of HMS's own entries once it is written (or refused for good).
    pub fn remove_system(&self, entry: &Entry) -> io::Result<()> {
        let dir = self.dir.join(SYSTEM);
        match fs::remove_file(dir.join(entry.file_name())) {
            Ok(()) => sync_dir(&dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Entries waiting to be written, oldest first.
    pub fn pending(&self) -> io::Result<Vec<Entry>> {
        read_folder(&self.dir.join(PENDING))
    }

    /// How many entries wait.
    pub fn pending_count(&self) -> u64 {
        fs::read_dir(self.dir.join(PENDING))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                    .count() as u64
            })
            .unwrap_or(0)
    }

    /// Records that `entry` was written to the database.
    pub fn mark_applied(&self, mut entry: Entry, location: Option<String>) -> io::Result<()> {
        entry.applied_at = Some(Utc::now());
        entry.location = location;
        self.finish(entry, APPLIED)
    }

    /// Records that the database refused `entry` for good.
    pub fn mark_failed(&self, mut entry: Entry, problem: Problem) -> io::Result<()> {
        entry.applied_at = Some(Utc::now());
        entry.problem = Some(problem);
        self.finish(entry, FAILED)
    }

    fn finish(&self, entry: Entry, to: &str) -> io::Result<()> {
        let _guard = self.moves.lock().expect("journal lock");
        let name = entry.file_name();
        // Written audit rows are in the database; refused ones are kept for an operator.
        if to == FAILED || !matches!(entry.work, Work::Audit { .. }) {
            write_durably(&self.dir.join(to), &name, &entry)?;
        }
        match fs::remove_file(self.dir.join(PENDING).join(&name)) {
            Ok(()) => sync_dir(&self.dir.join(PENDING)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The requests `user_id` made while the database was unreachable, newest first.
    pub fn for_user(&self, user_id: Uuid) -> io::Result<Vec<PendingWrite>> {
        let mut all = Vec::new();
        for (folder, status) in [
            (PENDING, PendingStatus::Pending),
            (APPLIED, PendingStatus::Applied),
            (FAILED, PendingStatus::Failed),
        ] {
            for entry in read_folder(&self.dir.join(folder))? {
                if entry.user_id == user_id {
                    all.extend(entry.view(status));
                }
            }
        }
        all.sort_by_key(|e| std::cmp::Reverse(e.accepted_at));
        all.truncate(200);
        Ok(all)
    }

    /// Deletes applied and failed entries older than a week.
    pub fn prune(&self) {
        for folder in [APPLIED, FAILED] {
            let Ok(dir) = fs::read_dir(self.dir.join(folder)) else {
                continue;
            };
            for file in dir.filter_map(Result::ok) {
                let old = file
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_some_and(|age| age > KEEP_DONE);
                if old {
                    let _ = fs::remove_file(file.path());
                }
            }
        }
    }
}

fn count_entries(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .count()
        })
        .unwrap_or(0)
}

fn read_folder(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let mut entries = Vec::with_capacity(names.len());
    for path in names {
        match fs::read(&path).map(|b| serde_json::from_slice::<Entry>(&b)) {
            Ok(Ok(entry)) => entries.push(entry),
            // A file that vanished (moved by the replayer) is fine; an unreadable one is kept
            // for an operator and reported.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Ok(Err(e)) => {
                // Moved aside so it neither blocks the others nor is retried forever; kept for
                // an operator.
                log::error!(
                    "journal entry {} is unreadable ({e}); moved to {}",
                    path.display(),
                    UNREADABLE
                );
                if let (Some(parent), Some(name)) = (dir.parent(), path.file_name()) {
                    let aside = parent.join(UNREADABLE);
                    let _ = fs::create_dir_all(&aside);
                    let _ = fs::rename(&path, aside.join(name));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(entries)
}

fn write_durably<T: Serialize>(dir: &Path, name: &str, value: &T) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let bytes = serde_json::to_vec(value).map_err(io::Error::other)?;
    {
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, dir.join(name))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> AuthUser {
        AuthUser::person(Uuid::new_v4(), Role::Nurse, None)
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hms-journal-test-{}", Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_appended_entry_is_pending_until_applied_and_then_shows_as_applied() {
        let dir = temp_dir();
        let journal = Journal::open(&dir).unwrap();
        let nurse = user();
        let entry = Entry::new(
            Work::ReportShortage,
            &nurse,
            &RequestMeta::default(),
            "key-1".into(),
            serde_json::json!({"severity": "high"}),
        );
        journal.append(&entry).unwrap();

        // A new handle (a restarted API) sees the same entry.
        let reopened = Journal::open(&dir).unwrap();
        assert_eq!(reopened.pending_count(), 1);
        let pending = reopened.pending().unwrap();
        assert_eq!(pending[0].id, entry.id);
        assert_eq!(pending[0].key, "key-1");
        let mine = reopened.for_user(nurse.id).unwrap();
        assert_eq!(mine[0].status, PendingStatus::Pending);
        assert!(reopened.for_user(Uuid::new_v4()).unwrap().is_empty());

        reopened
            .mark_applied(pending[0].clone(), Some("/api/v1/x".into()))
            .unwrap();
        assert_eq!(reopened.pending_count(), 0);
        let mine = reopened.for_user(nurse.id).unwrap();
        assert_eq!(mine[0].status, PendingStatus::Applied);
        assert_eq!(mine[0].location.as_deref(), Some("/api/v1/x"));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn entries_come_back_in_the_order_they_were_accepted() {
        let dir = temp_dir();
        let journal = Journal::open(&dir).unwrap();
        let nurse = user();
        let mut ids = Vec::new();
        for i in 0..5 {
            let mut entry = Entry::new(
                Work::ReportShortage,
                &nurse,
                &RequestMeta::default(),
                format!("k{i}"),
                serde_json::Value::Null,
            );
            entry.accepted_at = Utc::now() + chrono::Duration::milliseconds(i);
            ids.push(entry.id);
            journal.append(&entry).unwrap();
        }
        let order: Vec<Uuid> = journal.pending().unwrap().iter().map(|e| e.id).collect();
        assert_eq!(order, ids);
        fs::remove_dir_all(dir).unwrap();
    }
}
