//! The database boundary: the connection pool, the embedded migrations, and [`run`], the one
//! place where handlers cross from async code into blocking Diesel code.

mod prepared;
pub mod schema;
pub mod state;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Settings;
use crate::error::ApiError;
use crate::journal::Journal;
pub use prepared::{prepared, Prepared};
pub use state::DbState;

/// An r2d2 pool of PostgreSQL connections.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgPooled = PooledConnection<ConnectionManager<PgConnection>>;

/// The API's databases: the primary (all writes, and reads while it answers), an optional
/// standby for reads while the primary is unreachable, what is known about both, and the
/// journal that keeps critical requests meanwhile.
#[derive(Clone)]
pub struct DbPool {
    primary: PgPool,
    standby: Option<PgPool>,
    state: Arc<DbState>,
    journal: Arc<Journal>,
}

impl DbPool {
    /// A connection to the primary (for tools and tests).
    pub fn get(&self) -> Result<PgPooled, diesel::r2d2::PoolError> {
        self.primary.get()
    }

    pub fn primary(&self) -> &PgPool {
        &self.primary
    }

    pub fn standby(&self) -> Option<&PgPool> {
        self.standby.as_ref()
    }

    pub fn state(&self) -> &Arc<DbState> {
        &self.state
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Whether reads are being served by the standby because the primary is unreachable.
    /// Whether reads can fall back to a standby.
    pub fn has_standby(&self) -> bool {
        self.standby.is_some()
    }

    pub fn degraded(&self) -> bool {
        self.standby.is_some() && self.state.writes_paused()
    }
}

/// `migrations/` sits at the workspace root, one level above this crate.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

fn pg_pool(url: &str, settings: &Settings) -> PgPool {
    let manager = ConnectionManager::<PgConnection>::new(with_connect_options(url));
    Pool::builder()
        .max_size(settings.db_pool_size)
        .min_idle(Some(1))
        .connection_timeout(settings.db_connect_timeout)
        // One round trip per checkout finds connections a failover broke before a request
        // uses them (measured: half the failed requests of `false` during an outage).
        .test_on_check_out(true)
        // Recycle connections so a promoted standby or a restarted server is picked up.
        .max_lifetime(Some(Duration::from_secs(10 * 60)))
        .idle_timeout(Some(Duration::from_secs(5 * 60)))
        .error_handler(Box::new(QuietErrors))
        .build_unchecked(manager)
}

/// r2d2 logs every failed connection attempt as an error, which floods the log during an
/// outage (several lines per second per pool). The breaker logs the outage once; the attempts
/// are debug detail.
#[derive(Debug)]
struct QuietErrors;

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for QuietErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        log::debug!("database connection attempt failed: {error}");
    }
}

/// Builds the pools without connecting: the server starts even when the database is down and
/// answers 503 until it is back. Waiting for a connection is bounded by `db_connect_timeout`.
/// Opens the journal (creating its folder) and starts the probe that watches the primary.
pub fn build_pool(settings: &Settings) -> DbPool {
    let primary = pg_pool(&settings.database_url, settings);
    let standby = settings
        .read_database_url
        .as_deref()
        .map(|url| pg_pool(url, settings));
    let journal = Journal::open(&settings.journal_dir).unwrap_or_else(|e| {
        panic!(
            "cannot open the journal in {}: {e}",
            settings.journal_dir.display()
        )
    });
    let state = DbState::new();
    state::spawn_probe(&state, primary.clone(), standby.clone());
    DbPool {
        primary,
        standby,
        state,
        journal: Arc::new(journal),
    }
}

thread_local! {
    /// Set while a read runs on the standby: its audit rows go to this journal.
    static STANDBY_READ: RefCell<Option<Arc<Journal>>> = const { RefCell::new(None) };
}

/// Marks the current thread as serving a standby read until dropped (also on a panic).
struct StandbyRead;

impl StandbyRead {
    fn begin(journal: Arc<Journal>) -> StandbyRead {
        STANDBY_READ.with(|j| *j.borrow_mut() = Some(journal));
        StandbyRead
    }
}

impl Drop for StandbyRead {
    fn drop(&mut self) {
        STANDBY_READ.with(|j| *j.borrow_mut() = None);
    }
}

/// The journal to write audit rows to, when the current read is served by the standby.
pub fn standby_journal() -> Option<Arc<Journal>> {
    STANDBY_READ.with(|j| j.borrow().clone())
}

/// Adds libpq options that keep a dead server from hanging requests: a connect timeout and TCP
/// keepalives. Options already in the URL win.
pub fn with_connect_options(url: &str) -> String {
    let extra = [
        ("connect_timeout", "3"),
        ("keepalives", "1"),
        ("keepalives_idle", "5"),
        ("keepalives_interval", "2"),
        ("keepalives_count", "3"),
        ("application_name", "hms-api"),
    ];
    let mut url = url.to_owned();
    for (key, value) in extra {
        if !url.contains(&format!("{key}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{key}={value}"));
        }
    }
    url
}

/// Escapes `%`, `_` and `\` so user input matches literally in a LIKE pattern (PostgreSQL's
/// default escape character is the backslash).
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Applies pending migrations. Returns how many ran.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<usize> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(applied.len())
}

/// Runs `f` on the primary, on actix's blocking thread pool: the path of every write.
///
/// Diesel and r2d2 block, so they must never run on an async worker. While the primary is
/// known to be unreachable (the breaker is open) this fails at once with 503
/// (`database-unavailable`) instead of waiting for a connection; a pool timeout, a lost
/// connection or a read-only server opens the breaker.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    if pool.state.writes_paused() {
        return Err(ApiError::Unavailable(anyhow::anyhow!(
            "the primary database is unreachable (circuit open)"
        )));
    }
    let pool = pool.clone();
    actix_web::web::block(move || {
        let asked = std::time::Instant::now();
        let conn = pool.primary.get();
        pool.state.waited("primary", asked);
        let mut conn = match conn {
            Ok(conn) => conn,
            Err(e) => {
                // A full pool is a busy server, not a lost one: only a pool that could not
                // even open its connections opens the breaker.
                if !saturated(&pool.primary) {
                    pool.state.primary_failed();
                }
                return Err(ApiError::from(e));
            }
        };
        let result = f(&mut conn);
        match &result {
            Err(ApiError::Unavailable(_)) => pool.state.primary_failed(),
            _ => pool.state.primary_ok(),
        }
        result
    })
    .await?
}

/// Whether every connection of `pool` is open and in use (a timeout then means "busy").
fn saturated(pool: &PgPool) -> bool {
    let state = pool.state();
    state.connections >= pool.max_size() && state.idle_connections == 0
}

/// How long a read waits for a primary connection before it goes to the standby instead.
const READ_PRIMARY_WAIT: Duration = Duration::from_millis(700);

/// Runs a read-only `f`: on the primary while it answers (so people read their own writes),
/// on the standby while it does not. Audit rows of a standby read go to the journal.
pub async fn read<T, F>(pool: &DbPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let Some(standby) = pool.standby.clone() else {
        return run(pool, f).await;
    };
    let pool = pool.clone();
    actix_web::web::block(move || {
        if !pool.state.writes_paused() {
            let asked = std::time::Instant::now();
            let conn = pool.primary.get_timeout(READ_PRIMARY_WAIT);
            pool.state.waited("primary", asked);
            match conn {
                Ok(mut conn) => return f(&mut conn),
                Err(e) if saturated(&pool.primary) => return Err(ApiError::from(e)),
                Err(_) => pool.state.primary_failed(),
            }
        }
        let asked = std::time::Instant::now();
        let conn = standby.get();
        pool.state.waited("standby", asked);
        let mut conn = conn?;
        let _marked = StandbyRead::begin(pool.journal.clone());
        f(&mut conn)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_options_are_appended_once() {
        let url = with_connect_options("postgres://u@h/db?connect_timeout=10");

        assert!(url.contains("connect_timeout=10"));
        assert!(!url.contains("connect_timeout=3"));
        assert!(url.contains("&keepalives=1"));
    }
}
