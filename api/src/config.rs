//! Settings, read from the environment once at startup. The only module that reads env vars;
//! `.env.example` lists each one.

use std::time::Duration;

/// Everything the server needs to run. Built by [`Settings::from_env`] or by tests directly.
#[derive(Clone)]
pub struct Settings {
    /// `HMS_BIND`: address to listen on. Default `127.0.0.1:8080`.
    pub bind: String,
    /// `DATABASE_URL`: libpq URL of the primary database. Required.
    pub database_url: String,
    /// `HMS_READ_DATABASE_URL`: libpq URL for reads while the primary is unreachable, usually
    /// the standbys with `target_session_attrs=prefer-standby`. Optional: without it, the API
    /// uses `DATABASE_URL` for everything (one server).
    pub read_database_url: Option<String>,
    /// `HMS_JOURNAL_DIR`: where requests accepted while the primary is unreachable are kept
    /// until written (must be on durable local storage). Default `.hms/journal`.
    pub journal_dir: std::path::PathBuf,
    /// `HMS_DB_POOL_SIZE`: connections in the pool. Default 10.
    pub db_pool_size: u32,
    /// `HMS_DB_CONNECT_TIMEOUT_MS`: how long a request waits for a pooled connection before
    /// answering 503. Default 3000.
    pub db_connect_timeout: Duration,
    /// `HMS_JWT_SECRET`: HMAC key for access tokens, at least 32 bytes. Required.
    pub jwt_secret: String,
    /// `HMS_ACCESS_TOKEN_TTL_SECS`: access token lifetime. Default 900 (15 minutes).
    pub access_token_ttl: Duration,
    /// `HMS_REFRESH_TOKEN_TTL_SECS`: refresh token lifetime. Default 43200 (12 hours, a shift).
    pub refresh_token_ttl: Duration,
    /// `HMS_STATIC_DIR`: the built SPA (`index.html`, wasm, js). Default `web/dist`.
    pub static_dir: std::path::PathBuf,
    /// `HMS_LOGIN_MAX_FAILURES`: failed sign-ins per account before it is locked for
    /// `HMS_LOGIN_LOCK_SECS` (default 5 failures, 900 s).
    pub login_max_failures: u32,
    pub login_lock: Duration,
    /// `HMS_LOGIN_MAX_PER_ADDRESS`: sign-in attempts per client address per minute. Default 30.
    pub login_max_per_address: u32,
    /// `HMS_MAX_BODY_BYTES`: largest JSON body accepted. Default 65536.
    pub max_body_bytes: usize,
    /// `HMS_WORKERS`: HTTP worker threads. Default: one per CPU.
    pub workers: usize,
    /// `HMS_TIMEZONE`: the hospital's IANA time zone; working hours and days are local to it.
    /// Default `UTC`.
    pub time_zone: String,
    /// `HMS_CANCEL_CUTOFF_MINUTES`: how long before the start a patient may still cancel their
    /// own appointment online. Default 120.
    pub patient_cancel_cutoff_minutes: i64,
    /// `HMS_CORS_ORIGINS`: origins (scheme://host[:port], comma-separated) whose browser pages
    /// may call the API. Default: none, so only pages served by the API itself (same origin).
    pub cors_origins: Vec<String>,
    /// `HMS_CLIENT_REFRESH_SECS`: how often each API instance reloads the API clients (so a
    /// client disabled or rotated on another instance is refused there too). Default 5.
    pub client_refresh: Duration,
    /// Webhook delivery: see [`Webhooks`].
    pub webhooks: Webhooks,
}

/// How the webhook worker delivers.
#[derive(Clone, Debug)]
pub struct Webhooks {
    /// `HMS_WEBHOOK_RETRY_BASE_MS`: the first retry delay; later ones are multiples of it
    /// (×3, ×12, ×60, …, about a day in all with the default). Default 10000 (10 s).
    pub retry_base: Duration,
    /// `HMS_WEBHOOK_MAX_ATTEMPTS`: attempts before a delivery is `failed`. Default 12.
    pub max_attempts: i32,
    /// `HMS_WEBHOOK_POLL_MS`: how often the worker looks for due deliveries. Default 500.
    pub poll: Duration,
    /// `HMS_WEBHOOK_TIMEOUT_MS`: one attempt's limit (connect, send, answer). Default 10000.
    pub timeout: Duration,
}

impl Default for Webhooks {
    fn default() -> Self {
        Webhooks {
            retry_base: Duration::from_secs(10),
            max_attempts: 12,
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The scheduling settings handlers need, shared as app data.
#[derive(Clone)]
pub struct Schedule {
    pub time_zone: String,
    pub patient_cancel_cutoff_minutes: i64,
}

impl Settings {
    pub fn schedule(&self) -> Schedule {
        Schedule {
            time_zone: self.time_zone.clone(),
            patient_cancel_cutoff_minutes: self.patient_cancel_cutoff_minutes,
        }
    }
}

/// A missing or invalid environment variable, named in the message.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Reads the settings from the environment; fails with the variable's name when one is
    /// missing or invalid.
    pub fn from_env() -> Result<Settings, ConfigError> {
        let database_url = required("DATABASE_URL")?;
        let jwt_secret = required("HMS_JWT_SECRET")?;
        if jwt_secret.len() < 32 {
            return Err(ConfigError(
                "HMS_JWT_SECRET must be at least 32 bytes long".into(),
            ));
        }
        Ok(Settings {
            bind: optional("HMS_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url,
            read_database_url: optional("HMS_READ_DATABASE_URL"),
            journal_dir: optional("HMS_JOURNAL_DIR")
                .unwrap_or_else(|| ".hms/journal".into())
                .into(),
            db_pool_size: parsed("HMS_DB_POOL_SIZE", 10)?,
            db_connect_timeout: Duration::from_millis(parsed("HMS_DB_CONNECT_TIMEOUT_MS", 3000)?),
            jwt_secret,
            access_token_ttl: Duration::from_secs(parsed("HMS_ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_token_ttl: Duration::from_secs(parsed("HMS_REFRESH_TOKEN_TTL_SECS", 43_200)?),
            static_dir: optional("HMS_STATIC_DIR")
                .unwrap_or_else(|| "web/dist".into())
                .into(),
            login_max_failures: parsed("HMS_LOGIN_MAX_FAILURES", 5)?,
            login_lock: Duration::from_secs(parsed("HMS_LOGIN_LOCK_SECS", 900)?),
            login_max_per_address: parsed("HMS_LOGIN_MAX_PER_ADDRESS", 30)?,
            max_body_bytes: parsed("HMS_MAX_BODY_BYTES", 65_536)?,
            workers: parsed(
                "HMS_WORKERS",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )?,
            time_zone: optional("HMS_TIMEZONE").unwrap_or_else(|| "UTC".into()),
            patient_cancel_cutoff_minutes: parsed("HMS_CANCEL_CUTOFF_MINUTES", 120)?,
            cors_origins: cors_origins(optional("HMS_CORS_ORIGINS").as_deref())?,
            client_refresh: Duration::from_secs(parsed("HMS_CLIENT_REFRESH_SECS", 5)?.max(1)),
            webhooks: Webhooks {
                retry_base: Duration::from_millis(parsed("HMS_WEBHOOK_RETRY_BASE_MS", 10_000)?),
                max_attempts: parsed("HMS_WEBHOOK_MAX_ATTEMPTS", 12)?.max(1),
                poll: Duration::from_millis(parsed("HMS_WEBHOOK_POLL_MS", 500)?.max(10)),
                timeout: Duration::from_millis(parsed("HMS_WEBHOOK_TIMEOUT_MS", 10_000)?),
            },
        })
    }

    /// Only `DATABASE_URL` (and pool defaults), for commands that need nothing else.
    pub fn database_from_env() -> Result<Settings, ConfigError> {
        let url = required("DATABASE_URL")?;
        Ok(Settings::for_database(&url, ""))
    }

    /// Settings for a given database with the defaults above; used by tests and tools.
    pub fn for_database(database_url: &str, jwt_secret: &str) -> Settings {
        Settings {
            bind: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            read_database_url: None,
            journal_dir: std::env::temp_dir().join(format!("hms-journal-{}", uuid::Uuid::new_v4())),
            db_pool_size: 4,
            db_connect_timeout: Duration::from_secs(3),
            jwt_secret: jwt_secret.into(),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(43_200),
            static_dir: "web/dist".into(),
            login_max_failures: 5,
            login_lock: Duration::from_secs(900),
            login_max_per_address: 30,
            max_body_bytes: 65_536,
            workers: 1,
            time_zone: "UTC".into(),
            patient_cancel_cutoff_minutes: 120,
            cors_origins: Vec::new(),
            client_refresh: Duration::from_secs(5),
            webhooks: Webhooks::default(),
        }
    }
}

/// What the backup commands (`hms backup`, `backup verify`, `restore`) need besides
/// `DATABASE_URL`.
#[derive(Clone, Debug)]
pub struct BackupSettings {
    /// `HMS_PGBACKREST_CONFIG`: the pgBackRest configuration (repository, stanza's `pg1-path`).
    /// Default `.hms/backups/pgbackrest.conf` (the dev cluster's).
    pub pgbackrest_config: std::path::PathBuf,
    /// `HMS_PGBACKREST_STANZA`: the stanza. Default `hms`.
    pub stanza: String,
    /// `HMS_BACKUP_SCRATCH_DIR`: where a verification restores its scratch copy (needs room
    /// for the whole database). Default `/tmp`.
    pub scratch_dir: std::path::PathBuf,
    /// `HMS_BACKUP_VERIFY_TIMEOUT_SECS`: how long the scratch copy may take to replay its WAL
    /// and start. Default 3600.
    pub start_timeout: Duration,
}

impl BackupSettings {
    pub fn from_env() -> Result<BackupSettings, ConfigError> {
        Ok(BackupSettings {
            pgbackrest_config: optional("HMS_PGBACKREST_CONFIG")
                .unwrap_or_else(|| ".hms/backups/pgbackrest.conf".into())
                .into(),
            stanza: optional("HMS_PGBACKREST_STANZA").unwrap_or_else(|| "hms".into()),
            scratch_dir: optional("HMS_BACKUP_SCRATCH_DIR")
                .unwrap_or_else(|| "/tmp".into())
                .into(),
            start_timeout: Duration::from_secs(parsed("HMS_BACKUP_VERIFY_TIMEOUT_SECS", 3600)?),
        })
    }

    /// Settings for the repository configured in `pgbackrest_config` (tests and tools).
    pub fn for_config(pgbackrest_config: &std::path::Path, stanza: &str) -> BackupSettings {
        BackupSettings {
            pgbackrest_config: pgbackrest_config.into(),
            stanza: stanza.into(),
            scratch_dir: "/tmp".into(),
            start_timeout: Duration::from_secs(600),
        }
    }
}

/// Parses `HMS_CORS_ORIGINS`: comma-separated origins such as `https://app.example.org`.
fn cors_origins(value: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let mut origins = Vec::new();
    for origin in value.unwrap_or("").split(',').map(str::trim) {
        if origin.is_empty() {
            continue;
        }
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        if rest.is_none_or(|host| host.is_empty() || host.contains('/')) {
            return Err(ConfigError(format!(
                "HMS_CORS_ORIGINS: {origin:?} is not an origin like https://app.example.org"
            )));
        }
        origins.push(origin.trim_end_matches('/').to_owned());
    }
    Ok(origins)
}

fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn required(name: &str) -> Result<String, ConfigError> {
    optional(name).ok_or_else(|| ConfigError(format!("{name} must be set")))
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> Result<T, ConfigError> {
    match optional(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConfigError(format!("{name} has an invalid value"))),
    }
}

#[cfg(test)]
mod tests {
    use super::cors_origins;

    #[test]
    fn cors_origins_are_a_comma_separated_list_of_origins() {
        assert_eq!(cors_origins(None).unwrap(), Vec::<String>::new());
        assert_eq!(
            cors_origins(Some("https://a.example, http://localhost:3000")).unwrap(),
            vec!["https://a.example", "http://localhost:3000"]
        );
        assert!(cors_origins(Some("a.example")).is_err());
        assert!(cors_origins(Some("https://a.example/path")).is_err());
    }
}
