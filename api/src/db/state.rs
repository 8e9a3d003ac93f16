//! What the API knows about its databases right now: whether the primary takes writes (a
//! circuit breaker over the write path), whether a standby answers reads, and how stale the
//! standby is. A background probe keeps it current, so requests decide without waiting.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Timestamptz};

use super::PgPool;

/// How long the breaker stays open at least before writes are tried again.
const MIN_OPEN: Duration = Duration::from_secs(1);
/// How often the probe looks at the databases.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);

/// The write-path circuit breaker and the probe's findings.
pub struct DbState {
    /// How long requests waited for a pooled connection, per pool.
    pool_wait: prometheus::HistogramVec,
    /// Writes fail fast while set: the primary is gone or not writable.
    open: AtomicBool,
    opened_at: Mutex<Option<Instant>>,
    /// When the breaker last opened (for status and incidents).
    since: Mutex<Option<DateTime<Utc>>>,
    failures: AtomicU32,
    /// The standby answered the last probe.
    standby_up: AtomicBool,
    /// The last transaction the standby replayed (its data is as of then).
    replayed_at: Mutex<Option<DateTime<Utc>>>,
}

/// A copy of the state for status pages and metrics.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub primary_up: bool,
    pub down_since: Option<DateTime<Utc>>,
    pub standby_up: bool,
    pub standby_replayed_at: Option<DateTime<Utc>>,
}

impl DbState {
    pub fn new() -> Arc<DbState> {
        Arc::new(DbState {
            pool_wait: prometheus::HistogramVec::new(
                prometheus::HistogramOpts::new(
                    "db_pool_wait_seconds",
                    "Time requests waited for a pooled database connection",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 3.0,
                ]),
                &["pool"],
            )
            .expect("histogram"),
            open: AtomicBool::new(false),
            opened_at: Mutex::new(None),
            since: Mutex::new(None),
            failures: AtomicU32::new(0),
            standby_up: AtomicBool::new(false),
            replayed_at: Mutex::new(None),
        })
    }

    /// The pool-wait histogram (registered by the metrics endpoint).
    pub fn pool_wait(&self) -> &prometheus::HistogramVec {
        &self.pool_wait
    }

    /// Records how long a request waited for a connection of `pool` ("primary"/"standby").
    pub fn waited(&self, pool: &str, since: Instant) {
        self.pool_wait
            .with_label_values(&[pool])
            .observe(since.elapsed().as_secs_f64());
    }

    /// Whether writes should be refused at once (no waiting for a connection).
    pub fn writes_paused(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// A write or read on the primary failed because the primary could not be reached (or was
    /// read-only): open the breaker.
    pub fn primary_failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if !self.open.swap(true, Ordering::AcqRel) {
            *self.opened_at.lock().expect("breaker lock") = Some(Instant::now());
            *self.since.lock().expect("breaker lock") = Some(Utc::now());
            log::warn!("primary database unreachable: writes paused (reads use the standby when one is configured)");
        }
    }

    /// The primary took a write or answered the probe as writable.
    pub fn primary_ok(&self) {
        self.failures.store(0, Ordering::Relaxed);
        if self.open.load(Ordering::Acquire) {
            let opened = *self.opened_at.lock().expect("breaker lock");
            if opened.is_some_and(|t| t.elapsed() < MIN_OPEN) {
                return;
            }
            if self.open.swap(false, Ordering::AcqRel) {
                *self.since.lock().expect("breaker lock") = None;
                log::warn!("primary database writable again: writes resumed");
            }
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            primary_up: !self.writes_paused(),
            down_since: *self.since.lock().expect("breaker lock"),
            standby_up: self.standby_up.load(Ordering::Acquire),
            standby_replayed_at: *self.replayed_at.lock().expect("breaker lock"),
        }
    }

    fn standby_seen(&self, up: bool, replayed_at: Option<DateTime<Utc>>) {
        self.standby_up.store(up, Ordering::Release);
        if up {
            *self.replayed_at.lock().expect("breaker lock") = replayed_at;
        }
    }
}

#[derive(QueryableByName)]
struct Role {
    #[diesel(sql_type = Bool)]
    in_recovery: bool,
    #[diesel(sql_type = Bool)]
    read_only: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    replayed_at: Option<DateTime<Utc>>,
}

fn role_of(pool: &PgPool, timeout: Duration) -> Option<Role> {
    let mut conn = pool.get_timeout(timeout).ok()?;
    diesel::sql_query(
        "SELECT pg_is_in_recovery() AS in_recovery,
                current_setting('transaction_read_only') = 'on' AS read_only,
                CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() END AS replayed_at",
    )
    .get_result::<Role>(&mut conn)
    .ok()
}

/// Starts the probe thread: every [`PROBE_EVERY`] it checks that the primary pool reaches a
/// writable server (closing or opening the breaker) and, when there is one, how the standby
/// is doing. Stops when `state` is dropped by everyone else.
pub fn spawn_probe(state: &Arc<DbState>, primary: PgPool, standby: Option<PgPool>) {
    let weak = Arc::downgrade(state);
    let timeout = primary.connection_timeout().min(Duration::from_secs(2));
    std::thread::Builder::new()
        .name("hms-db-probe".into())
        .spawn(move || loop {
            let Some(state) = weak.upgrade() else { return };
            // With one server and writes flowing, the write path itself notices a failure.
            if standby.is_some() || state.writes_paused() {
                match role_of(&primary, timeout) {
                    Some(role) if !role.in_recovery && !role.read_only => state.primary_ok(),
                    _ => state.primary_failed(),
                }
            }
            if let Some(standby) = &standby {
                let found = role_of(standby, timeout);
                state.standby_seen(found.is_some(), found.and_then(|r| r.replayed_at));
            }
            drop(state);
            std::thread::sleep(PROBE_EVERY);
        })
        .expect("spawn the database probe");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_on_a_failure_and_closes_when_the_primary_is_back() {
        let state = DbState::new();
        assert!(!state.writes_paused());

        state.primary_failed();
        assert!(state.writes_paused());
        assert!(state.snapshot().down_since.is_some());

        // Not before the minimum open time: a flapping primary does not let writes through.
        state.primary_ok();
        assert!(state.writes_paused());

        *state.opened_at.lock().unwrap() = Some(Instant::now() - MIN_OPEN);
        state.primary_ok();
        assert!(!state.writes_paused());
        assert!(state.snapshot().down_since.is_none());
    }
}
