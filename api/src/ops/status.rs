//! `GET /api/v1/status`: how the system is working right now, for the web app's banner and
//! for anyone (no sign-in): normal, read-only (primary unreachable, reads from a standby) or
//! unavailable.

use actix_web::{get, web};
use hms_api_types::ops::{Mode, SystemStatus};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::DbPool;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(system_status);
}

/// The system's mode. In read-only mode, `data_as_of` says how fresh what people see is, and
/// `pending_writes` how many accepted requests wait for the database.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The current mode", body = SystemStatus)),
)]
#[get("")]
async fn system_status(pool: web::Data<DbPool>) -> web::Json<SystemStatus> {
    let snapshot = pool.state().snapshot();
    let mode = if snapshot.primary_up {
        Mode::Normal
    } else if pool.standby().is_some() && snapshot.standby_up {
        Mode::ReadOnly
    } else {
        Mode::Unavailable
    };
    web::Json(SystemStatus {
        mode,
        degraded_since: snapshot.down_since,
        data_as_of: (mode == Mode::ReadOnly)
            .then_some(snapshot.standby_replayed_at)
            .flatten(),
        pending_writes: pool.journal().pending_count(),
    })
}
