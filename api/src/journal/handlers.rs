//! `GET /api/v1/me/pending-writes`: what the caller sent while the primary database was
//! unreachable, and what became of it.

use actix_web::{get, http::header, web, HttpResponse};
use hms_api_types::ops::{PendingStatus, PendingWrite};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{can, Authorized};
use crate::db::DbPool;
use crate::error::ApiError;
use crate::journal::Entry;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_pending_writes);
}

/// Your requests accepted while the database was unreachable (answered 202): pending until
/// written, then applied (with where the result is) or failed (with why). Newest first; kept
/// a week.
#[utoipa::path(
    tag = "account",
    security(("bearer" = [])),
    responses((status = 200, description = "Your kept requests (at most 200)", body = Vec<PendingWrite>)),
)]
#[get("/pending-writes")]
async fn list_pending_writes(
    pool: web::Data<DbPool>,
    user: Authorized<can::UseOwnAccount>,
) -> Result<web::Json<Vec<PendingWrite>>, ApiError> {
    let pool = pool.get_ref().clone();
    let user_id = user.id;
    let mine = web::block(move || pool.journal().for_user(user_id))
        .await?
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(web::Json(mine))
}

/// Keeps `entry` durably and answers 202 Accepted with what the caller can follow up on:
/// the request is pending and will be written when the primary database is back.
pub async fn accepted(pool: &DbPool, entry: Entry) -> Result<HttpResponse, ApiError> {
    let pool = pool.clone();
    let view = entry
        .view(PendingStatus::Pending)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("audit entries are not requests")))?;
    web::block(move || pool.journal().append(&entry))
        .await?
        .map_err(|e| {
            ApiError::Unavailable(anyhow::anyhow!("the journal could not be written: {e}"))
        })?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, "/api/v1/me/pending-writes"))
        .json(view))
}
