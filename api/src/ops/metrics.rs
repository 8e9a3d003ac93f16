//! `/metrics` (Prometheus text format) and `/health/db` (the same database facts as JSON, for
//! administrators).
//!
//! Request counts and latencies are recorded by the access-log middleware per route pattern
//! (`/api/v1/patients/{patient_id}`, never the concrete path: bounded label sets, no ids).
//! Database facts (role, standbys, replication lag, WAL archiving, checksum failures, the newest
//! verified backup and maintenance run) are read when scraped, with a short timeout, so a slow or dead
//! database never blocks the scrape.

use std::time::Duration;

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamptz};
use hms_api_types::ops::DatabaseHealth;
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry,
    TextEncoder,
};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{can, Authorized};
use crate::db::{DbPool, PgPool};
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(metrics);
}

pub fn configure_health(cfg: &mut ServiceConfig) {
    cfg.service(database_health_report);
}

/// Gauges set at scrape time: name (after the `hms_` prefix) and help.
const FACTS: &[(&str, &str)] = &[
    (
        "db_primary_up",
        "1 when the primary answers and takes writes",
    ),
    ("db_standby_up", "1 when the read (standby) pool answers"),
    (
        "db_standby_configured",
        "1 when HMS_READ_DATABASE_URL is set",
    ),
    (
        "read_only_mode",
        "1 while reads come from the standby and saving is paused",
    ),
    ("write_circuit_open", "1 while writes are refused at once"),
    (
        "journal_pending",
        "Requests kept in the journal, waiting for the primary",
    ),
    (
        "db_standby_replay_age_seconds",
        "Age of the standby's last replayed transaction",
    ),
    ("db_standbys", "Standbys connected to the primary"),
    (
        "db_sync_standbys",
        "Synchronous standbys connected to the primary",
    ),
    (
        "db_replication_lag_bytes",
        "WAL bytes the slowest standby has not replayed",
    ),
    (
        "db_replication_lag_seconds",
        "Replay lag of the slowest standby",
    ),
    (
        "db_checksum_failures",
        "Data checksum failures seen by PostgreSQL",
    ),
    ("wal_archiving_enabled", "1 when archive_mode is on"),
    (
        "wal_archive_failed_count",
        "WAL segments that failed to archive",
    ),
    (
        "wal_last_archived_age_seconds",
        "Seconds since the last WAL segment was archived",
    ),
    (
        "backup_last_verified_age_seconds",
        "Age of the newest backup proven by restoring it (+Inf: none)",
    ),
    (
        "backup_last_verification_ok",
        "1 when the newest backup verification (restore test) succeeded",
    ),
    (
        "maintenance_last_run_age_seconds",
        "Seconds since the last maintenance run finished (+Inf: none)",
    ),
];

/// The process's metrics registry and the collectors the middleware feeds.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    facts: std::collections::HashMap<&'static str, Gauge>,
    pools: GaugeVec,
    webhooks: crate::webhooks::worker::WebhookMetrics,
}

impl Metrics {
    pub fn new(pool: &DbPool) -> Metrics {
        let registry = Registry::new_custom(Some("hms".into()), None).expect("registry");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )
        .expect("counter");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .expect("histogram");
        let pools = GaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Pooled connections by pool and state",
            ),
            &["pool", "state"],
        )
        .expect("gauges");
        registry
            .register(Box::new(requests.clone()))
            .expect("register");
        registry
            .register(Box::new(latency.clone()))
            .expect("register");
        registry
            .register(Box::new(pools.clone()))
            .expect("register");
        let mut facts = std::collections::HashMap::new();
        for (name, help) in FACTS {
            let gauge = Gauge::new(*name, *help).expect("gauge");
            registry
                .register(Box::new(gauge.clone()))
                .expect("register");
            facts.insert(*name, gauge);
        }
        registry
            .register(Box::new(pool.state().pool_wait().clone()))
            .expect("register");
        let webhooks = crate::webhooks::worker::WebhookMetrics {
            attempts: IntCounterVec::new(
                Opts::new(
                    "webhook_delivery_attempts_total",
                    "Webhook delivery attempts by outcome (delivered, retry, failed)",
                ),
                &["outcome"],
            )
            .expect("counter"),
            pending: prometheus::IntGauge::new(
                "webhook_deliveries_pending",
                "Webhook deliveries waiting for an attempt",
            )
            .expect("gauge"),
        };
        registry
            .register(Box::new(webhooks.attempts.clone()))
            .expect("register");
        registry
            .register(Box::new(webhooks.pending.clone()))
            .expect("register");
        Metrics {
            registry,
            requests,
            latency,
            facts,
            pools,
            webhooks,
        }
    }

    /// The webhook worker's collectors.
    pub fn webhooks(&self) -> &crate::webhooks::worker::WebhookMetrics {
        &self.webhooks
    }

    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }
}

#[derive(QueryableByName)]
struct Facts {
    #[diesel(sql_type = Bool)]
    in_recovery: bool,
    #[diesel(sql_type = BigInt)]
    checksum_failures: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_checksum_failure: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    archive_mode: String,
    #[diesel(sql_type = BigInt)]
    archived_count: i64,
    #[diesel(sql_type = BigInt)]
    archive_failed_count: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_archived_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_archive_failure_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    standbys: i64,
    #[diesel(sql_type = BigInt)]
    sync_standbys: i64,
    #[diesel(sql_type = Nullable<Double>)]
    replication_lag_bytes: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    replication_lag_seconds: Option<f64>,
}

fn facts(pool: &PgPool) -> Option<Facts> {
    let mut conn = pool.get_timeout(Duration::from_secs(1)).ok()?;
    diesel::sql_query(
        "SELECT pg_is_in_recovery() AS in_recovery,
                (SELECT coalesce(sum(checksum_failures), 0) FROM pg_stat_database)::bigint AS checksum_failures,
                (SELECT max(checksum_last_failure) FROM pg_stat_database) AS last_checksum_failure,
                current_setting('archive_mode') AS archive_mode,
                (SELECT archived_count FROM pg_stat_archiver)::bigint AS archived_count,
                (SELECT failed_count FROM pg_stat_archiver)::bigint AS archive_failed_count,
                (SELECT last_archived_time FROM pg_stat_archiver) AS last_archived_at,
                (SELECT last_failed_time FROM pg_stat_archiver) AS last_archive_failure_at,
                (SELECT count(*) FROM pg_stat_replication)::bigint AS standbys,
                (SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))::bigint AS sync_standbys,
                (SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn))::float8
                   FROM pg_stat_replication WHERE NOT pg_is_in_recovery()) AS replication_lag_bytes,
                (SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication) AS replication_lag_seconds",
    )
    .get_result::<Facts>(&mut conn)
    .ok()
}

/// The newest verified backup and maintenance run, from their records.
fn operations_facts(pool: &PgPool) -> Option<crate::operations::service::OperationsHealth> {
    let mut conn = pool.get_timeout(Duration::from_secs(1)).ok()?;
    crate::operations::service::health(&mut conn).ok()
}

/// What `/health/db` and `/metrics` report about the databases.
pub fn database_health(pool: &DbPool) -> DatabaseHealth {
    let snapshot = pool.state().snapshot();
    let found = if snapshot.primary_up {
        facts(pool.primary())
    } else {
        None
    };
    let ops = if found.is_some() {
        operations_facts(pool.primary())
    } else {
        None
    };
    let ops = ops.as_ref();
    let now = Utc::now();
    let age = |t: Option<DateTime<Utc>>| t.map(|t| (now - t).num_milliseconds() as f64 / 1000.0);
    DatabaseHealth {
        primary_up: found.as_ref().is_some_and(|f| !f.in_recovery),
        standby_configured: pool.standby().is_some(),
        standby_up: snapshot.standby_up,
        read_only_mode: pool.degraded(),
        degraded_since: snapshot.down_since,
        standby_replay_age_seconds: age(snapshot.standby_replayed_at),
        standbys: found.as_ref().map(|f| f.standbys),
        sync_standbys: found.as_ref().map(|f| f.sync_standbys),
        replication_lag_bytes: found.as_ref().and_then(|f| f.replication_lag_bytes),
        replication_lag_seconds: found.as_ref().and_then(|f| f.replication_lag_seconds),
        checksum_failures: found.as_ref().map(|f| f.checksum_failures),
        last_checksum_failure: found.as_ref().and_then(|f| f.last_checksum_failure),
        wal_archiving: found.as_ref().map(|f| f.archive_mode != "off"),
        wal_archived_count: found.as_ref().map(|f| f.archived_count),
        wal_archive_failed_count: found.as_ref().map(|f| f.archive_failed_count),
        last_wal_archived_age_seconds: found.as_ref().and_then(|f| age(f.last_archived_at)),
        last_wal_archive_failure: found.as_ref().and_then(|f| f.last_archive_failure_at),
        journal_pending: pool.journal().pending_count(),
        write_circuit_open: pool.state().writes_paused(),
        last_verified_backup_at: ops.and_then(|o| o.last_verified_backup_at),
        last_verified_backup_label: ops.and_then(|o| o.last_verified_backup_label.clone()),
        last_verified_backup_age_seconds: ops.and_then(|o| age(o.last_verified_backup_at)),
        last_verification_ok: ops.and_then(|o| o.last_verification_ok),
        last_verification_at: ops.and_then(|o| o.last_verification_at),
        last_maintenance_at: ops.and_then(|o| o.last_maintenance_at),
        last_maintenance_result: ops.and_then(|o| o.last_maintenance_result),
    }
}

impl Metrics {
    fn set(&self, fact: &str, value: f64) {
        if let Some(gauge) = self.facts.get(fact) {
            gauge.set(value);
        }
    }

    /// Sets the scrape-time gauges from `h` and the pools' state.
    fn refresh(&self, h: &DatabaseHealth, pool: &DbPool) {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let opt = |v: Option<f64>| v.unwrap_or(f64::NAN);
        self.set("db_primary_up", flag(h.primary_up));
        self.set("db_standby_up", flag(h.standby_up));
        self.set("db_standby_configured", flag(h.standby_configured));
        self.set("read_only_mode", flag(h.read_only_mode));
        self.set("write_circuit_open", flag(h.write_circuit_open));
        self.set("journal_pending", h.journal_pending as f64);
        self.set(
            "db_standby_replay_age_seconds",
            opt(h.standby_replay_age_seconds),
        );
        self.set("db_standbys", opt(h.standbys.map(|v| v as f64)));
        self.set("db_sync_standbys", opt(h.sync_standbys.map(|v| v as f64)));
        self.set("db_replication_lag_bytes", opt(h.replication_lag_bytes));
        self.set("db_replication_lag_seconds", opt(h.replication_lag_seconds));
        self.set(
            "db_checksum_failures",
            opt(h.checksum_failures.map(|v| v as f64)),
        );
        self.set("wal_archiving_enabled", opt(h.wal_archiving.map(flag)));
        self.set(
            "wal_archive_failed_count",
            opt(h.wal_archive_failed_count.map(|v| v as f64)),
        );
        self.set(
            "wal_last_archived_age_seconds",
            opt(h.last_wal_archived_age_seconds),
        );
        // Known to be missing (the database answered, nothing is recorded) is infinitely old,
        // so the age alerts fire; unknown (no database) is NaN.
        let age_or_never = |age: Option<f64>| match age {
            Some(a) => a,
            None if h.primary_up => f64::INFINITY,
            None => f64::NAN,
        };
        self.set(
            "backup_last_verified_age_seconds",
            age_or_never(h.last_verified_backup_age_seconds),
        );
        self.set(
            "backup_last_verification_ok",
            opt(h.last_verification_ok.map(flag)),
        );
        self.set(
            "maintenance_last_run_age_seconds",
            age_or_never(
                h.last_maintenance_at
                    .map(|t| (chrono::Utc::now() - t).num_milliseconds() as f64 / 1000.0),
            ),
        );
        for (name, p) in [
            ("primary", Some(pool.primary())),
            ("standby", pool.standby()),
        ] {
            if let Some(p) = p {
                let state = p.state();
                let idle = f64::from(state.idle_connections);
                let all = f64::from(state.connections);
                self.pools.with_label_values(&[name, "idle"]).set(idle);
                self.pools
                    .with_label_values(&[name, "in_use"])
                    .set(all - idle);
                self.pools
                    .with_label_values(&[name, "max"])
                    .set(f64::from(p.max_size()));
            }
        }
    }
}

/// Prometheus metrics: requests by route and status, latency histograms, pool use and waits,
/// database role and standbys, replication lag, checksum failures, WAL archiving, degraded
/// mode and journal depth. For the monitoring network: expose it to Prometheus only.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain")),
)]
#[get("")]
async fn metrics(
    pool: web::Data<DbPool>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    let pool = pool.get_ref().clone();
    let m = metrics.clone();
    let body = web::block(move || {
        let health = database_health(&pool);
        m.refresh(&health, &pool);
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&m.registry.gather(), &mut out)
            .map(|_| out)
    })
    .await?
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body))
}

/// The databases in detail: which one is primary, standbys and replication lag, WAL
/// archiving, checksum failures, read-only mode and the journal. Administrators only.
#[utoipa::path(
    tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, description = "Database health", body = DatabaseHealth)),
)]
#[get("/db")]
async fn database_health_report(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewOperations>,
) -> Result<web::Json<DatabaseHealth>, ApiError> {
    let pool = pool.get_ref().clone();
    Ok(web::Json(web::block(move || database_health(&pool)).await?))
}
