//! `/health/live` (the process answers) and `/health/ready` (it can reach the database).

use std::time::{Duration, Instant};

use actix_web::{get, web, HttpResponse};
use diesel::prelude::*;
use hms_api_types::ops::{Health, HealthCheck};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::{DbPool, PgPool};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready);
}

/// Liveness: the process is up and serving. Never touches the database.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is alive", body = Health)),
)]
#[get("/live")]
async fn live() -> web::Json<Health> {
    web::Json(Health {
        status: "live".into(),
        checks: Vec::new(),
    })
}

/// Readiness: the database answers a query within 2 seconds. When PostgreSQL has found data
/// pages with bad checksums, a `data-checksums` check with status `warning` says so (still
/// 200: reads of undamaged data work, and damaged pages fail with an error, never wrong data).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "A dependency is down", body = Health,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
#[get("/ready")]
async fn ready(pool: web::Data<DbPool>) -> HttpResponse {
    let pool = pool.get_ref().clone();
    let checks = web::block(move || {
        let mut checks = vec![check("database", pool.primary())];
        if let Some(standby) = pool.standby() {
            checks.push(check("database-standby", standby));
        }
        if checks[0].status == "up" {
            checks.extend(checksum_check(pool.primary()));
        }
        checks
    })
    .await
    .unwrap_or_default();
    // Ready while reads can be served: by the primary, or (read-only) by a standby. A
    // `warning` (checksum failures) does not make the instance unready: see `checksum_check`.
    let up = checks.iter().any(|c| c.status == "up");
    let body = Health {
        status: if up { "ready" } else { "unavailable" }.into(),
        checks,
    };
    if up {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    }
}

/// Whether `pool` yields a connection that answers a query within 2 seconds.
fn check(name: &str, pool: &PgPool) -> HealthCheck {
    let started = Instant::now();
    let result = pool
        .get_timeout(Duration::from_secs(2))
        .map_err(|_| "no database connection could be opened".to_owned())
        .and_then(|mut conn| {
            diesel::sql_query("SELECT 1")
                .execute(&mut conn)
                .map(|_| ())
                .map_err(|_| "the database did not answer a query".to_owned())
        });
    HealthCheck {
        name: name.into(),
        status: if result.is_ok() { "up" } else { "down" }.into(),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        detail: result.err(),
    }
}

#[derive(QueryableByName)]
struct ChecksumFailures {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    failures: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    last: Option<chrono::DateTime<chrono::Utc>>,
}

/// A `warning` check when PostgreSQL has found data pages with bad checksums (in any database
/// of the server: it is the storage that is damaged).
///
/// Readiness stays 200. Readiness decides whether the load balancer sends requests to this API
/// instance; every instance shares the database, so failing it would take the whole HMS down
/// (a total outage) for damage that affects some pages, while everything else still reads and
/// writes correctly, and a read of a damaged page fails with an error instead of returning
/// wrong data (checksums). The damage must reach people instead: this detail, `/health/db`,
/// the `hms_db_checksum_failures` metric and its paging alert, and the restore runbook.
fn checksum_check(pool: &PgPool) -> Option<HealthCheck> {
    let started = Instant::now();
    let mut conn = pool.get_timeout(Duration::from_secs(2)).ok()?;
    let found = diesel::sql_query(
        "SELECT coalesce(sum(checksum_failures), 0)::bigint AS failures,
                max(checksum_last_failure) AS last
         FROM pg_stat_database",
    )
    .get_result::<ChecksumFailures>(&mut conn)
    .ok()?;
    (found.failures > 0).then(|| HealthCheck {
        name: "data-checksums".into(),
        status: "warning".into(),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        detail: Some(format!(
            "PostgreSQL has found {} data page(s) with bad checksums{}: storage corruption. \
             Reads of damaged pages fail; everything else works. See docs/runbooks/restore.md.",
            found.failures,
            found
                .last
                .map(|t| format!(" (last at {})", t.to_rfc3339()))
                .unwrap_or_default()
        )),
    })
}
