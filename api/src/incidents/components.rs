//! The components' automatic states, computed on request from what this server knows right now
//! (the database probe's snapshot, the last backups), and the overrides that win over them.

use chrono::{DateTime, Duration, Utc};
use hms_api_types::incidents::{Component, ComponentKey, ComponentState, StateSource};

use super::repo::{BackupRow, OverrideRow};
use crate::db::state::Snapshot;

/// A backup older than this makes the backups component degraded (a daily schedule plus slack).
pub const BACKUP_MAX_AGE: Duration = Duration::hours(26);

/// What is known about backups.
#[derive(Debug, Clone, PartialEq)]
pub enum BackupFacts {
    /// No database answered, or the backups module is not installed, or nothing is recorded.
    Unknown(&'static str),
    Known {
        /// The end of the newest successful backup.
        last_backup: Option<DateTime<Utc>>,
        /// The end of the newest backup a restore test verified.
        last_verified: Option<DateTime<Utc>>,
        /// The newest backup attempt failed.
        last_backup_failed: bool,
        /// The newest restore test failed.
        last_verify_failed: bool,
    },
}

impl BackupFacts {
    /// From `backup_runs` (`None`: the table does not exist).
    pub fn from_row(row: Option<BackupRow>) -> BackupFacts {
        match row {
            None => BackupFacts::Unknown("Backups are not set up on this server"),
            Some(r) if r.runs == 0 => BackupFacts::Unknown("No backup recorded yet"),
            Some(r) => BackupFacts::Known {
                last_backup: r.last_backup,
                last_verified: r.last_verified,
                last_backup_failed: r.last_backup_failed == Some(true),
                last_verify_failed: r.last_verify_failed == Some(true),
            },
        }
    }
}

/// One component's automatic state and what the checks found.
#[derive(Debug, Clone, PartialEq)]
pub struct Automatic {
    pub key: ComponentKey,
    pub state: ComponentState,
    pub note: Option<String>,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn age(from: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - from).num_minutes().max(0);
    match minutes {
        0..=1 => "just now".to_owned(),
        2..=119 => format!("{minutes} minutes ago"),
        _ if minutes < 48 * 60 => format!("{} hours ago", minutes / 60),
        _ => format!("{} days ago", minutes / (24 * 60)),
    }
}

/// The automatic state of every component:
/// - `api`: it is answering, so operational; a partial outage while the primary is unreachable
///   and reads come from the standby (saving is paused); a major outage when no database answers.
/// - `database-primary`: operational, or a major outage while it is unreachable.
/// - `database-standby`: unknown when none is configured; operational while it answers;
///   degraded when it does not (no fallback for reads), a major outage if the primary is gone too.
/// - `backups`: from the last recorded runs; unknown until there are any.
pub fn automatic(
    snapshot: &Snapshot,
    standby_configured: bool,
    backups: &BackupFacts,
    now: DateTime<Utc>,
) -> Vec<Automatic> {
    let standby_serving = standby_configured && snapshot.standby_up;
    let since = snapshot
        .down_since
        .map(|t| format!(" since {}", when(t)))
        .unwrap_or_default();
    let api = if snapshot.primary_up {
        (ComponentState::Operational, None)
    } else if standby_serving {
        (
            ComponentState::PartialOutage,
            Some(format!(
                "Read-only{since}: records, appointments and stock can be read; saving is paused (shortage reports and cancellations are kept and saved later)"
            )),
        )
    } else {
        (
            ComponentState::MajorOutage,
            Some(format!(
                "No database answers{since}: nothing can be read or saved"
            )),
        )
    };
    let primary = if snapshot.primary_up {
        (ComponentState::Operational, None)
    } else {
        (
            ComponentState::MajorOutage,
            Some(format!("Unreachable{since}")),
        )
    };
    let standby = if !standby_configured {
        (
            ComponentState::Unknown,
            Some("No standby is configured".to_owned()),
        )
    } else if snapshot.standby_up {
        let note = (!snapshot.primary_up)
            .then_some(snapshot.standby_replayed_at)
            .flatten()
            .map(|t| format!("Serving reads; data as of {}", when(t)));
        (ComponentState::Operational, note)
    } else if snapshot.primary_up {
        (
            ComponentState::Degraded,
            Some("Unreachable: reads have no fallback if the primary fails".to_owned()),
        )
    } else {
        (ComponentState::MajorOutage, Some("Unreachable".to_owned()))
    };
    let backups = backup_state(backups, now);
    [
        (ComponentKey::Api, api),
        (ComponentKey::DatabasePrimary, primary),
        (ComponentKey::DatabaseStandby, standby),
        (ComponentKey::Backups, backups),
    ]
    .into_iter()
    .map(|(key, (state, note))| Automatic { key, state, note })
    .collect()
}

/// Backups are operational while a backup verified by a restore test is at most
/// [`BACKUP_MAX_AGE`] old and the latest restore test did not fail; degraded otherwise.
fn backup_state(facts: &BackupFacts, now: DateTime<Utc>) -> (ComponentState, Option<String>) {
    let (last_backup, last_verified, last_backup_failed, last_verify_failed) = match facts {
        BackupFacts::Unknown(why) => return (ComponentState::Unknown, Some((*why).to_owned())),
        BackupFacts::Known {
            last_backup,
            last_verified,
            last_backup_failed,
            last_verify_failed,
        } => (
            last_backup,
            last_verified,
            last_backup_failed,
            last_verify_failed,
        ),
    };
    let fresh = |t: &Option<DateTime<Utc>>| t.is_some_and(|t| now - t <= BACKUP_MAX_AGE);
    let mut notes = Vec::new();
    let mut state = ComponentState::Operational;
    match (last_verified, last_backup) {
        (Some(v), _) if fresh(last_verified) => {
            notes.push(format!("Last verified backup {}", age(*v, now)));
        }
        (_, Some(b)) if fresh(last_backup) => {
            state = ComponentState::Degraded;
            notes.push(format!(
                "Last backup {}, not verified by a restore test yet",
                age(*b, now)
            ));
        }
        (Some(v), _) => {
            state = ComponentState::Degraded;
            notes.push(format!("Last verified backup {}: overdue", age(*v, now)));
        }
        (None, Some(b)) => {
            state = ComponentState::Degraded;
            notes.push(format!(
                "Last backup {}: overdue, and never verified by a restore test",
                age(*b, now)
            ));
        }
        (None, None) => {
            state = ComponentState::Degraded;
            notes.push("No backup has succeeded yet".to_owned());
        }
    }
    if *last_backup_failed {
        notes.push("the latest backup attempt failed".to_owned());
    }
    if *last_verify_failed {
        state = ComponentState::Degraded;
        notes.push("the latest restore test failed".to_owned());
    }
    (state, Some(notes.join("; ")))
}

/// The components as shown: an override in force at `now` wins over the automatic state.
pub fn shown(
    automatic: Vec<Automatic>,
    overrides: &[OverrideRow],
    now: DateTime<Utc>,
) -> Vec<Component> {
    automatic
        .into_iter()
        .map(|a| {
            let over = overrides
                .iter()
                .find(|o| o.component == a.key.as_str() && o.expires_at.is_none_or(|e| e > now));
            match over.and_then(|o| ComponentState::parse(&o.state).map(|s| (o, s))) {
                Some((o, state)) => Component {
                    key: a.key,
                    name: a.key.label().to_owned(),
                    state,
                    source: StateSource::Override,
                    automatic_state: a.state,
                    note: o.note.clone(),
                    override_expires_at: o.expires_at,
                },
                None => Component {
                    key: a.key,
                    name: a.key.label().to_owned(),
                    state: a.state,
                    source: StateSource::Automatic,
                    automatic_state: a.state,
                    note: a.note,
                    override_expires_at: None,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn snapshot(primary_up: bool, standby_up: bool) -> Snapshot {
        Snapshot {
            primary_up,
            down_since: (!primary_up).then(Utc::now),
            standby_up,
            standby_replayed_at: None,
        }
    }

    fn state_of(all: &[Automatic], key: ComponentKey) -> ComponentState {
        all.iter().find(|a| a.key == key).unwrap().state
    }

    #[test]
    fn a_lost_primary_is_a_major_outage_and_the_api_is_read_only() {
        let now = Utc::now();
        let all = automatic(
            &snapshot(false, true),
            true,
            &BackupFacts::Unknown("x"),
            now,
        );
        assert_eq!(
            state_of(&all, ComponentKey::DatabasePrimary),
            ComponentState::MajorOutage
        );
        assert_eq!(
            state_of(&all, ComponentKey::Api),
            ComponentState::PartialOutage
        );
        assert_eq!(
            state_of(&all, ComponentKey::DatabaseStandby),
            ComponentState::Operational
        );
        assert_eq!(
            state_of(&all, ComponentKey::Backups),
            ComponentState::Unknown
        );
    }

    #[test]
    fn without_a_standby_its_state_is_unknown_and_everything_else_works() {
        let all = automatic(
            &snapshot(true, false),
            false,
            &BackupFacts::Unknown("x"),
            Utc::now(),
        );
        assert_eq!(
            state_of(&all, ComponentKey::Api),
            ComponentState::Operational
        );
        assert_eq!(
            state_of(&all, ComponentKey::DatabaseStandby),
            ComponentState::Unknown
        );
    }

    fn backups(
        last_backup: Option<i64>,
        last_verified: Option<i64>,
        last_verify_failed: bool,
    ) -> BackupFacts {
        let now = Utc::now();
        BackupFacts::Known {
            last_backup: last_backup.map(|h| now - Duration::hours(h)),
            last_verified: last_verified.map(|h| now - Duration::hours(h)),
            last_backup_failed: false,
            last_verify_failed,
        }
    }

    #[test]
    fn backups_are_operational_only_with_a_recent_verified_backup() {
        let now = Utc::now();
        let s = snapshot(true, true);
        let state =
            |facts: BackupFacts| state_of(&automatic(&s, true, &facts, now), ComponentKey::Backups);
        assert_eq!(
            state(backups(Some(3), Some(3), false)),
            ComponentState::Operational
        );
        assert_eq!(
            state(backups(Some(3), Some(3), true)),
            ComponentState::Degraded
        );
        assert_eq!(
            state(backups(Some(3), None, false)),
            ComponentState::Degraded
        );
        assert_eq!(
            state(backups(Some(30), Some(30), false)),
            ComponentState::Degraded
        );
        assert_eq!(state(backups(None, None, false)), ComponentState::Degraded);
        assert_eq!(state(BackupFacts::from_row(None)), ComponentState::Unknown);
    }

    #[test]
    fn an_override_wins_until_it_expires() {
        let now = Utc::now();
        let all = automatic(&snapshot(true, true), true, &BackupFacts::Unknown("x"), now);
        let over = |expires_at| OverrideRow {
            component: "api".into(),
            state: "degraded".into(),
            note: Some("slow".into()),
            set_by: Uuid::nil(),
            set_at: now - Duration::minutes(5),
            expires_at,
        };
        let live = shown(all.clone(), &[over(None)], now);
        assert_eq!(live[0].state, ComponentState::Degraded);
        assert_eq!(live[0].source, StateSource::Override);
        assert_eq!(live[0].automatic_state, ComponentState::Operational);

        let expired = shown(all, &[over(Some(now - Duration::seconds(1)))], now);
        assert_eq!(expired[0].state, ComponentState::Operational);
        assert_eq!(expired[0].source, StateSource::Automatic);
    }
}
