//! `/health/live` (the process answers) and `/health/ready` (it can reach the database).

use std::time::{Duration, Instant};

use actix_web::{get, web, HttpResponse};
use diesel::prelude::*;
use hms_api_types::ops::{Health, HealthCheck};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::DbPool;

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

/// Readiness: the database answers a query within 2 seconds.
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
    let started = Instant::now();
    let result = web::block(move || -> Result<(), String> {
        let mut conn = pool
            .get_timeout(Duration::from_secs(2))
            .map_err(|_| "no database connection could be opened".to_owned())?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .map(|_| ())
            .map_err(|_| "the database did not answer a query".to_owned())
    })
    .await
    .unwrap_or_else(|_| Err("the check could not run".to_owned()));
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (up, detail) = match result {
        Ok(()) => (true, None),
        Err(why) => (false, Some(why)),
    };
    let body = Health {
        status: if up { "ready" } else { "unavailable" }.into(),
        checks: vec![HealthCheck {
            name: "database".into(),
            status: if up { "up" } else { "down" }.into(),
            latency_ms,
            detail,
        }],
    };
    if up {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    }
}
