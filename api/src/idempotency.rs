//! `Idempotency-Key` for POSTs: a retried request (after a timeout, a dropped connection, a
//! failover) gets the first answer again instead of doing the work twice.
//!
//! The key is scoped to the caller. The first request with a key runs and its answer (status and
//! body) is stored in the same transaction as its effect, so either both exist or neither. A
//! concurrent request with the same key waits for the first (transaction-scoped advisory lock).
//! Reusing a key for a different request is a 422. Keys are kept 24 hours.

use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::schema::idempotency_keys;
use crate::error::ApiError;

/// The outcome of an idempotent operation: the value, and whether it is a replay.
pub struct Outcome<T> {
    pub value: T,
    pub replayed: bool,
}

/// Runs `work` at most once per (`user`, `key`). Without a key it just runs `work`. Call it
/// inside the transaction that does the work.
pub fn once<T, R, F>(
    conn: &mut PgConnection,
    user: Uuid,
    key: Option<&str>,
    endpoint: &str,
    request: &R,
    work: F,
) -> Result<Outcome<T>, ApiError>
where
    T: Serialize + DeserializeOwned,
    R: Serialize,
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError>,
{
    let Some(key) = key else {
        return work(conn).map(|value| Outcome {
            value,
            replayed: false,
        });
    };
    let body = serde_json::to_vec(request).map_err(|e| ApiError::Internal(e.into()))?;
    let mut hasher = Sha256::new();
    hasher.update(endpoint.as_bytes());
    hasher.update([0]);
    hasher.update(&body);
    let hash = hasher.finalize().to_vec();

    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 0))")
        .bind::<SqlUuid, _>(user)
        .bind::<Text, _>(key)
        .execute(conn)?;
    let stored: Option<(String, Vec<u8>, serde_json::Value)> = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user))
        .filter(idempotency_keys::key.eq(key))
        .filter(idempotency_keys::created_at.gt(chrono::Utc::now() - chrono::Duration::hours(24)))
        .select((
            idempotency_keys::endpoint,
            idempotency_keys::request_hash,
            idempotency_keys::response,
        ))
        .first(conn)
        .optional()?;
    if let Some((stored_endpoint, stored_hash, response)) = stored {
        if stored_endpoint != endpoint || stored_hash != hash {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "was already used for a different request; use a new key for a new request",
            ));
        }
        let value = serde_json::from_value(response).map_err(|e| ApiError::Internal(e.into()))?;
        return Ok(Outcome {
            value,
            replayed: true,
        });
    }
    let value = work(conn)?;
    let response = serde_json::to_value(&value).map_err(|e| ApiError::Internal(e.into()))?;
    // Keys are kept 24 hours: drop this caller's expired ones (cheap: the primary key starts
    // with user_id), so the table does not grow forever.
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user))
            .filter(
                idempotency_keys::created_at.le(chrono::Utc::now() - chrono::Duration::hours(24)),
            ),
    )
    .execute(conn)?;
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user),
            idempotency_keys::key.eq(key),
            idempotency_keys::endpoint.eq(endpoint),
            idempotency_keys::request_hash.eq(&hash),
            idempotency_keys::status.eq(201),
            idempotency_keys::response.eq(&response),
        ))
        .on_conflict((idempotency_keys::user_id, idempotency_keys::key))
        .do_update()
        .set((
            idempotency_keys::endpoint.eq(endpoint),
            idempotency_keys::request_hash.eq(&hash),
            idempotency_keys::response.eq(&response),
            idempotency_keys::created_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(Outcome {
        value,
        replayed: false,
    })
}

/// Reads and checks the `Idempotency-Key` header: 1 to 200 visible ASCII characters.
pub fn key_from(req: &actix_web::HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get("Idempotency-Key") {
        None => Ok(None),
        Some(v) => {
            let key = v.to_str().unwrap_or_default().trim();
            if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
                Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 200 visible ASCII characters, e.g. a UUID".into(),
                ))
            } else {
                Ok(Some(key.to_owned()))
            }
        }
    }
}
