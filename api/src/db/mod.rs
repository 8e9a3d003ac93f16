//! The database boundary: the connection pool, the embedded migrations, and [`run`], the one
//! place where handlers cross from async code into blocking Diesel code.

pub mod schema;

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Settings;
use crate::error::ApiError;

pub type DbPool = Pool<ConnectionManager<PgConnection>>;

/// `migrations/` sits at the workspace root, one level above this crate.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Builds the pool without connecting: the server starts even when the database is down and
/// answers 503 until it is back. Waiting for a connection is bounded by `db_connect_timeout`.
pub fn build_pool(settings: &Settings) -> DbPool {
    let manager =
        ConnectionManager::<PgConnection>::new(with_connect_options(&settings.database_url));
    Pool::builder()
        .max_size(settings.db_pool_size)
        .min_idle(Some(1))
        .connection_timeout(settings.db_connect_timeout)
        .test_on_check_out(false)
        // Recycle connections so a promoted standby or a restarted server is picked up.
        .max_lifetime(Some(Duration::from_secs(30 * 60)))
        .idle_timeout(Some(Duration::from_secs(5 * 60)))
        .build_unchecked(manager)
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

/// Applies pending migrations. Returns how many ran.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<usize> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(applied.len())
}

/// Runs `f` with a pooled connection on actix's blocking thread pool.
///
/// Every handler goes through here: Diesel and r2d2 block, so they must never run on an async
/// worker. A pool timeout becomes 503 (`database-unavailable`).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
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
