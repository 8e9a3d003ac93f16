//! Writes journaled entries to the database once the primary takes writes again, oldest first,
//! each exactly once (through its idempotency key).

use std::sync::Arc;
use std::time::Duration;

use diesel::{Connection, PgConnection};
use hms_api_types::appointments::WithReason;
use hms_api_types::inventory::ReportShortage;

use super::{Entry, Journal, Work};
use crate::config::Schedule;
use crate::db::DbPool;
use crate::error::ApiError;
use crate::idempotency;

/// The endpoint names the handlers use for idempotency; replay must use the same ones.
pub const REPORT_SHORTAGE: &str = "POST /api/v1/inventory/shortages";
pub const CANCEL_APPOINTMENT: &str = "POST /api/v1/appointments/{appointment_id}/cancel";

/// Starts the replay thread. It stops when the pool's state is dropped.
pub fn spawn(pool: DbPool, schedule: Schedule) {
    std::thread::Builder::new()
        .name("hms-journal-replay".into())
        .spawn(move || {
            let mut rounds: u64 = 0;
            loop {
                std::thread::sleep(Duration::from_millis(500));
                if Arc::strong_count(pool.state()) <= 1 {
                    return;
                }
                rounds += 1;
                if rounds.is_multiple_of(7200) {
                    pool.journal().prune();
                }
                if pool.state().writes_paused() {
                    continue;
                }
                if pool.journal().system_count() > 0 {
                    replay_system(&pool, &schedule);
                }
                if pool.journal().pending_count() == 0 {
                    continue;
                }
                replay_pending(&pool, &schedule);
            }
        })
        .expect("spawn the journal replayer");
}

/// Writes every pending entry it can; stops at the first sign that the primary is gone.
/// Returns how many entries were written (or refused for good).
pub fn replay_pending(pool: &DbPool, schedule: &Schedule) -> usize {
    let journal: &Journal = pool.journal();
    let entries = match journal.pending() {
        Ok(entries) => entries,
        Err(e) => {
            log::error!("cannot read the journal: {e}");
            return 0;
        }
    };
    let mut done = 0;
    for entry in entries {
        let mut conn = match pool.primary().get() {
            Ok(conn) => conn,
            Err(_) => {
                pool.state().primary_failed();
                return done;
            }
        };
        match conn.transaction(|conn| apply(conn, schedule, &entry)) {
            Ok(location) => {
                if let Err(e) = journal.mark_applied(entry, location) {
                    log::error!(
                        "journal bookkeeping failed (the entry will be replayed, harmlessly): {e}"
                    );
                }
                done += 1;
            }
            Err(ApiError::Unavailable(_)) => {
                pool.state().primary_failed();
                return done;
            }
            Err(refused) => {
                log::warn!(
                    "journal entry {} was refused by the database: {}",
                    entry.id,
                    refused.slug()
                );
                if let Err(e) = journal.mark_failed(entry, refused.problem()) {
                    log::error!("journal bookkeeping failed: {e}");
                }
                done += 1;
            }
        }
    }
    if done > 0 {
        log::info!("wrote {done} journaled request(s) to the database");
    }
    done
}

/// Writes HMS's own entries (incident bookkeeping), oldest first, so an outage's opening comes
/// before its recovery; stops at the first sign that the primary is gone. Each is idempotent by
/// itself (another API host may write the same outage). Returns how many were written.
pub fn replay_system(pool: &DbPool, schedule: &Schedule) -> usize {
    let journal: &Journal = pool.journal();
    let entries = match journal.system_pending() {
        Ok(entries) => entries,
        Err(e) => {
            log::error!("cannot read the journal: {e}");
            return 0;
        }
    };
    let mut done = 0;
    for entry in entries {
        let mut conn = match pool.primary().get() {
            Ok(conn) => conn,
            Err(_) => {
                pool.state().primary_failed();
                return done;
            }
        };
        match conn.transaction(|conn| apply(conn, schedule, &entry)) {
            Ok(_) => done += 1,
            Err(ApiError::Unavailable(_)) => {
                pool.state().primary_failed();
                return done;
            }
            Err(refused) => log::error!(
                "journal entry {} of HMS itself was refused by the database ({}); dropped",
                entry.id,
                refused.slug()
            ),
        }
        if let Err(e) = journal.remove_system(&entry) {
            log::error!("journal bookkeeping failed (the entry will be replayed, harmlessly): {e}");
        }
    }
    done
}

/// Runs one entry in the caller's transaction; returns where its result lives.
fn apply(
    conn: &mut PgConnection,
    schedule: &Schedule,
    entry: &Entry,
) -> Result<Option<String>, ApiError> {
    let user = entry.user();
    let meta = entry.meta();
    let parse = |e: serde_json::Error| ApiError::BadRequest(format!("unreadable entry: {e}"));
    match &entry.work {
        Work::Audit { rows } => {
            crate::audit::insert_rows(conn, rows)?;
            Ok(None)
        }
        Work::OpenOutageIncident { started_at } => {
            let id = crate::incidents::service::open_outage(conn, *started_at)?;
            Ok(Some(format!("/api/v1/incidents/{id}")))
        }
        Work::CloseOutageIncident {
            started_at,
            ended_at,
        } => {
            let id = crate::incidents::service::close_outage(conn, *started_at, *ended_at)?;
            Ok(id.map(|id| format!("/api/v1/incidents/{id}")))
        }
        Work::ReportShortage => {
            let input: ReportShortage =
                serde_json::from_value(entry.request.clone()).map_err(parse)?;
            let done = idempotency::once(
                conn,
                user.id,
                Some(&entry.key),
                REPORT_SHORTAGE,
                &entry.request,
                |conn| crate::inventory::service::report_shortage(conn, &user, &meta, input),
            )?;
            Ok(Some(format!(
                "/api/v1/inventory/shortages/{}",
                done.value.id
            )))
        }
        Work::CancelAppointment { appointment_id } => {
            let input: WithReason = serde_json::from_value(entry.request.clone()).map_err(parse)?;
            let id = *appointment_id;
            idempotency::once(
                conn,
                user.id,
                Some(&entry.key),
                CANCEL_APPOINTMENT,
                &cancel_request(id, &input),
                |conn| {
                    crate::appointments::service::cancel(
                        conn,
                        &user,
                        &meta,
                        schedule,
                        id,
                        &input.reason,
                    )
                },
            )?;
            Ok(Some(format!("/api/v1/appointments/{id}")))
        }
    }
}

/// What identifies a cancellation for idempotency (the handler uses the same).
pub fn cancel_request(appointment_id: uuid::Uuid, input: &WithReason) -> serde_json::Value {
    serde_json::json!({"appointment_id": appointment_id, "reason": input.reason})
}
