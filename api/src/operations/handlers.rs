//! `/api/v1/operations`: backups (with their verifications) and maintenance runs, for
//! administrators.

use actix_web::{get, web};
use hms_api_types::operations::{BackupRunPage, MaintenanceRunPage};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::service;
use crate::auth::{can, Authorized};
use crate::db::{self, DbPool};
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_backups).service(list_maintenance);
}

/// Query parameters of the operations lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunListParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Backups, backup verifications (restore tests) and point-in-time restores, newest first.
/// Each backup carries its newest verification.
#[utoipa::path(
    tag = "operations",
    security(("bearer" = [])),
    params(RunListParams),
    responses((status = 200, description = "One page of runs", body = BackupRunPage)),
)]
#[get("/backups")]
async fn list_backups(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewOperations>,
    params: web::Query<RunListParams>,
) -> Result<web::Json<BackupRunPage>, ApiError> {
    let RunListParams { limit, cursor } = params.into_inner();
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::list_backups(conn, limit, cursor)
        })
        .await?,
    ))
}

/// Maintenance runs (amcheck, checksum failures, vacuum, bloat, index health) with their
/// reports, newest first.
#[utoipa::path(
    tag = "operations",
    security(("bearer" = [])),
    params(RunListParams),
    responses((status = 200, description = "One page of runs", body = MaintenanceRunPage)),
)]
#[get("/maintenance")]
async fn list_maintenance(
    pool: web::Data<DbPool>,
    _user: Authorized<can::ViewOperations>,
    params: web::Query<RunListParams>,
) -> Result<web::Json<MaintenanceRunPage>, ApiError> {
    let RunListParams { limit, cursor } = params.into_inner();
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::list_maintenance(conn, limit, cursor)
        })
        .await?,
    ))
}
