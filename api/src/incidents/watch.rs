//! The outage watcher: every second it looks at what the database probe knows and, when the
//! primary has been unreachable for [`OPEN_AFTER`], records an outage incident; when the primary
//! takes writes again, it records the recovery.
//!
//! The primary is down when the incident opens, so both events go through the journal (its
//! `system/` folder) and are written, in order, as soon as the primary is back. Every API host
//! runs a watcher; the writes are idempotent (see `service::open_outage`), so an outage is one
//! incident however many hosts saw it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::db::state::Snapshot;
use crate::db::DbPool;
use crate::journal::{Journal, Work};

/// How long the primary must have been unreachable before it is an incident: shorter blips
/// (one failed write opening the breaker for a second) are not.
pub const OPEN_AFTER: chrono::Duration = chrono::Duration::seconds(3);

/// How often the watcher looks.
const EVERY: Duration = Duration::from_secs(1);

/// What the watcher has recorded so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Watcher {
    /// The start of the outage an incident was recorded for, while it lasts.
    open: Option<DateTime<Utc>>,
    /// Whether the first look (at start-up) has happened.
    started: bool,
}

impl Watcher {
    pub fn new() -> Watcher {
        Watcher::default()
    }

    /// The outage an incident was recorded for and that is not over yet.
    pub fn open_outage(&self) -> Option<DateTime<Utc>> {
        self.open
    }

    /// The transition function: what to record, given what the probe knows at `now`.
    ///
    /// - primary unreachable for [`OPEN_AFTER`] and nothing recorded: open (at `down_since`);
    /// - primary back after a recorded outage: close (at `now`);
    /// - a new outage began while one was recorded (the primary came back and went again
    ///   between two looks): close the old one when the new one began, and open the new one;
    /// - at start-up with the primary up: close any outage still recorded as going on (an API
    ///   host that stopped during an outage never recorded its end).
    pub fn step(&mut self, snapshot: &Snapshot, now: DateTime<Utc>) -> Vec<Work> {
        let mut work = Vec::new();
        let first = !self.started;
        self.started = true;
        if snapshot.primary_up {
            if let Some(started_at) = self.open.take() {
                work.push(Work::CloseOutageIncident {
                    started_at: Some(started_at),
                    ended_at: now,
                });
            } else if first {
                work.push(Work::CloseOutageIncident {
                    started_at: None,
                    ended_at: now,
                });
            }
            return work;
        }
        let down_since = snapshot.down_since.unwrap_or(now);
        match self.open {
            Some(open) if open == down_since => {}
            Some(open) => {
                work.push(Work::CloseOutageIncident {
                    started_at: Some(open),
                    ended_at: down_since,
                });
                self.open = None;
                if now - down_since >= OPEN_AFTER {
                    work.push(Work::OpenOutageIncident {
                        started_at: down_since,
                    });
                    self.open = Some(down_since);
                }
            }
            None if now - down_since >= OPEN_AFTER => {
                work.push(Work::OpenOutageIncident {
                    started_at: down_since,
                });
                self.open = Some(down_since);
            }
            None => {}
        }
        work
    }

    /// Looks once and keeps what is to be recorded in `journal`. When the journal cannot be
    /// written, nothing is counted as recorded and the next look tries again.
    pub fn tick(&mut self, snapshot: &Snapshot, now: DateTime<Utc>, journal: &Journal) {
        let before = self.clone();
        for work in self.step(snapshot, now) {
            if let Err(e) = journal.append_system(work) {
                log::error!("cannot journal the outage incident: {e}");
                *self = before;
                return;
            }
        }
    }
}

/// Starts the watcher thread for `pool`. It stops when the pool's state is dropped.
pub fn spawn(pool: &DbPool) {
    let state = Arc::downgrade(pool.state());
    let journal = match Journal::open(pool.journal().dir()) {
        Ok(journal) => journal,
        Err(e) => {
            log::error!("the outage watcher cannot open the journal: {e}");
            return;
        }
    };
    std::thread::Builder::new()
        .name("hms-outage-watch".into())
        .spawn(move || {
            let mut watcher = Watcher::new();
            loop {
                let Some(state) = state.upgrade() else { return };
                let snapshot = state.snapshot();
                drop(state);
                watcher.tick(&snapshot, Utc::now(), &journal);
                std::thread::sleep(EVERY);
            }
        })
        .expect("spawn the outage watcher");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up() -> Snapshot {
        Snapshot {
            primary_up: true,
            down_since: None,
            standby_up: true,
            standby_replayed_at: None,
        }
    }

    fn down(since: DateTime<Utc>) -> Snapshot {
        Snapshot {
            primary_up: false,
            down_since: Some(since),
            standby_up: true,
            standby_replayed_at: None,
        }
    }

    fn kinds(work: &[Work]) -> Vec<&'static str> {
        work.iter()
            .map(|w| match w {
                Work::OpenOutageIncident { .. } => "open",
                Work::CloseOutageIncident { .. } => "close",
                _ => "other",
            })
            .collect()
    }

    #[test]
    fn an_outage_is_opened_once_after_a_few_seconds_and_closed_once() {
        let t0 = Utc::now();
        let mut w = Watcher::new();
        assert_eq!(
            kinds(&w.step(&up(), t0)),
            ["close"],
            "start-up reconciliation"
        );
        assert!(w.step(&up(), t0).is_empty());

        let since = t0 + chrono::Duration::seconds(10);
        assert!(w
            .step(&down(since), since + chrono::Duration::seconds(1))
            .is_empty());
        let opened = w.step(&down(since), since + OPEN_AFTER);
        assert!(matches!(
            opened[..],
            [Work::OpenOutageIncident { started_at }] if started_at == since
        ));
        assert!(w
            .step(&down(since), since + chrono::Duration::seconds(9))
            .is_empty());

        let back = since + chrono::Duration::seconds(20);
        let closed = w.step(&up(), back);
        assert!(matches!(
            closed[..],
            [Work::CloseOutageIncident { started_at: Some(s), ended_at }] if s == since && ended_at == back
        ));
        assert!(w.step(&up(), back).is_empty());
    }

    #[test]
    fn a_blip_shorter_than_the_threshold_records_nothing() {
        let t0 = Utc::now();
        let mut w = Watcher::new();
        w.step(&up(), t0);
        assert!(w
            .step(&down(t0), t0 + chrono::Duration::seconds(1))
            .is_empty());
        assert!(w.step(&up(), t0 + chrono::Duration::seconds(2)).is_empty());
    }

    #[test]
    fn a_new_outage_between_two_looks_closes_the_old_one_and_opens_the_new_one() {
        let t0 = Utc::now();
        let mut w = Watcher::new();
        w.step(&up(), t0);
        w.step(&down(t0), t0 + OPEN_AFTER);
        let again = t0 + chrono::Duration::seconds(30);
        let work = w.step(&down(again), again + OPEN_AFTER);
        assert_eq!(kinds(&work), ["close", "open"]);
        assert_eq!(w.open_outage(), Some(again));
    }
}
