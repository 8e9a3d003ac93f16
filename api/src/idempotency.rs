//! `Idempotency-Key` for every mutation: a retried request (after a timeout, a dropped
//! connection, a failover where the commit happened but the answer was lost) gets the first
//! answer again instead of doing the work twice or failing confusingly (a 409 or a 412).
//!
//! The key is scoped to the caller. The first request with a key runs and its answer (status and
//! body) is stored in the same transaction as its effect, so either both exist or neither. A
//! concurrent request with the same key waits for the first (transaction-scoped advisory lock).
//! Reusing a key for a different request is a 422. Keys are kept 24 hours. A request that fails
//! stores nothing: its retry runs again.
//!
//! Handlers call [`run`] instead of `db::run` and [`mark_replayed`] on their response.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponseBuilder};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::schema::idempotency_keys;
use crate::db::{self, DbPool};
use crate::error::ApiError;

/// How long a key is remembered.
const KEPT: chrono::Duration = chrono::Duration::hours(24);

/// How often expired keys are deleted.
const CLEANUP_EVERY: Duration = Duration::from_secs(10 * 60);

/// Expired keys deleted per statement, so a cleanup never holds many row locks at once.
const CLEANUP_BATCH: i64 = 5_000;

/// The response header that marks a replayed answer.
pub const REPLAYED: &str = "Idempotent-Replayed";

/// The outcome of an idempotent operation: the value, and whether it is a replay.
pub struct Outcome<T> {
    pub value: T,
    pub replayed: bool,
}

/// Runs `work(conn, input)` in one transaction, at most once per `Idempotency-Key` of `user`:
/// what a mutation handler calls instead of `db::run`.
///
/// The request is identified by its method and route pattern (`POST
/// /api/v1/patients/{patient_id}/allergies`), the values in its path (the ids) and `input`, with
/// passwords left out (see [`request_of`]). Without the header `work` just runs, in a
/// transaction. A malformed header is a 400 before anything runs.
pub async fn run<I, T, F>(
    pool: &DbPool,
    req: &HttpRequest,
    user: Uuid,
    input: I,
    work: F,
) -> Result<Outcome<T>, ApiError>
where
    I: Serialize + Send + 'static,
    T: Serialize + DeserializeOwned + Send + 'static,
    F: FnOnce(&mut PgConnection, I) -> Result<T, ApiError> + Send + 'static,
{
    let key = key_from(req)?;
    let endpoint = endpoint_of(req);
    let request = request_of(req, &input)?;
    db::run(pool, move |conn| {
        conn.transaction(|conn| {
            once(conn, user, key.as_deref(), &endpoint, &request, |conn| {
                work(conn, input)
            })
        })
    })
    .await
}

/// Adds `Idempotent-Replayed: true` to `res` when the answer is a replay.
pub fn mark_replayed(res: &mut HttpResponseBuilder, replayed: bool) -> &mut HttpResponseBuilder {
    if replayed {
        res.insert_header((REPLAYED, "true"));
    }
    res
}

/// `METHOD /route/{pattern}`: the endpoint a key was used for.
fn endpoint_of(req: &HttpRequest) -> String {
    let pattern = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
    format!("{} {pattern}", req.method())
}

/// What a retry must repeat: the values in the path (the ids, in order) and the body, so the same
/// body sent to another patient is a different request. Without path values it is the body
/// alone (as `POST /api/v1/appointments` has always stored it).
///
/// Any field whose name contains `password`, at any depth, counts only as present: a password
/// must never be stored, and a fast hash of one can be guessed. A retry with the same key and
/// another password is therefore a replay, not a 422.
fn request_of(req: &HttpRequest, input: &impl Serialize) -> Result<Value, ApiError> {
    let mut body = serde_json::to_value(input).map_err(|e| ApiError::Internal(e.into()))?;
    without_passwords(&mut body);
    let path: Vec<&str> = req.match_info().iter().map(|(_, value)| value).collect();
    Ok(if path.is_empty() {
        body
    } else {
        serde_json::json!({ "path": path, "body": body })
    })
}

/// Replaces the value of every field named like a password with `true` (unless null).
fn without_passwords(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if name.to_ascii_lowercase().contains("password") {
                    if !field.is_null() {
                        *field = Value::Bool(true);
                    }
                } else {
                    without_passwords(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_passwords),
        _ => {}
    }
}

/// Empties every `client_secret` field, at any depth, of an answer about to be stored: an API
/// client's secret is kept only as a hash, so a replay returns the client with an empty secret
/// (rotate it if the first answer was lost).
fn without_client_secrets(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if name == "client_secret" {
                    *field = Value::String(String::new());
                } else {
                    without_client_secrets(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_client_secrets),
        _ => {}
    }
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

    crate::db::prepared("SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 0))")
        .bind::<SqlUuid, _>(user)
        .bind::<Text, _>(key)
        .execute(conn)?;
    // By the primary key alone: with the age in the WHERE clause the planner could pick the
    // age index and walk every key of the caller (measured: 4 ms a lookup at 100k patients).
    // An expired key is ignored here and overwritten below.
    let stored: Option<(String, Vec<u8>, serde_json::Value, DateTime<Utc>)> =
        idempotency_keys::table
            .find((user, key))
            .select((
                idempotency_keys::endpoint,
                idempotency_keys::request_hash,
                idempotency_keys::response,
                idempotency_keys::created_at,
            ))
            .first(conn)
            .optional()?;
    let stored = stored.filter(|(.., created_at)| *created_at > Utc::now() - KEPT);
    if let Some((stored_endpoint, stored_hash, response, _)) = stored {
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
    let mut response = serde_json::to_value(&value).map_err(|e| ApiError::Internal(e.into()))?;
    without_client_secrets(&mut response);
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

/// Deletes keys older than 24 hours, a batch at a time; returns how many. Expired keys are
/// already ignored by lookups, so this only keeps the table small.
pub fn forget_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let deleted = diesel::sql_query(
            "DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
                 SELECT ctid FROM idempotency_keys WHERE created_at <= now() - interval '24 hours'
                  LIMIT $1))",
        )
        .bind::<diesel::sql_types::BigInt, _>(CLEANUP_BATCH)
        .execute(conn)?;
        total += deleted;
        if (deleted as i64) < CLEANUP_BATCH {
            return Ok(total);
        }
    }
}

/// Starts the thread that deletes expired keys every ten minutes, on the primary (while writes
/// are paused there is nothing to do: the next round catches up). It ends with the server: it
/// holds the pool's state weakly, as the other background workers do.
pub fn spawn_cleanup(pool: &DbPool) {
    let state = std::sync::Arc::downgrade(pool.state());
    let primary = pool.primary().clone();
    std::thread::Builder::new()
        .name("hms-idempotency-cleanup".into())
        .spawn(move || {
            let mut last = std::time::Instant::now();
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let Some(state) = state.upgrade() else { return };
                let paused = state.writes_paused();
                drop(state);
                if paused || last.elapsed() < CLEANUP_EVERY {
                    continue;
                }
                last = std::time::Instant::now();
                let deleted = primary
                    .get_timeout(Duration::from_secs(1))
                    .map_err(|e| e.to_string())
                    .and_then(|mut conn| forget_expired(&mut conn).map_err(|e| e.to_string()));
                match deleted {
                    Ok(0) => {}
                    Ok(n) => log::info!("forgot {n} expired idempotency keys"),
                    Err(e) => log::warn!("could not delete expired idempotency keys: {e}"),
                }
            }
        })
        .expect("spawn the idempotency-key cleanup");
}

#[cfg(test)]
mod tests {
    use actix_web::test::{call_and_read_body_json, init_service, TestRequest};
    use actix_web::{web, App, HttpResponse};
    use serde_json::json;

    use super::*;

    /// Answers with what [`run`] would identify the request by.
    async fn identify(req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
        HttpResponse::Ok().json(json!({
            "endpoint": endpoint_of(&req),
            "request": request_of(&req, &body.into_inner()).unwrap(),
        }))
    }

    async fn identified(method: &str, uri: &str, body: Value) -> Value {
        let app = init_service(
            App::new().service(
                web::scope("/api/v1/patients")
                    .route("", web::post().to(identify))
                    .route(
                        "/{patient_id}/allergies/{allergy_id}",
                        web::patch().to(identify),
                    ),
            ),
        )
        .await;
        let req = TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri)
            .set_json(body)
            .to_request();
        call_and_read_body_json(&app, req).await
    }

    #[actix_web::test]
    async fn a_request_is_identified_by_its_route_pattern_its_path_values_and_its_body() {
        let got = identified(
            "PATCH",
            "/api/v1/patients/p-1/allergies/a-2",
            json!({"note": "x"}),
        )
        .await;

        assert_eq!(
            got["endpoint"],
            "PATCH /api/v1/patients/{patient_id}/allergies/{allergy_id}"
        );
        assert_eq!(
            got["request"],
            json!({"path": ["p-1", "a-2"], "body": {"note": "x"}})
        );
    }

    #[actix_web::test]
    async fn a_request_without_path_values_is_identified_by_its_body_alone() {
        let got = identified("POST", "/api/v1/patients", json!({"given_name": "Ana"})).await;

        assert_eq!(got["endpoint"], "POST /api/v1/patients");
        assert_eq!(got["request"], json!({"given_name": "Ana"}));
    }

    #[test]
    fn client_secrets_are_never_stored_with_an_answer() {
        let mut answer = json!({"client": {"id": 1}, "client_secret": "s3cret", "list": [{"client_secret": "x"}]});
        without_client_secrets(&mut answer);
        assert_eq!(
            answer,
            json!({"client": {"id": 1}, "client_secret": "", "list": [{"client_secret": ""}]})
        );
    }

    #[test]
    fn passwords_count_only_as_present_at_any_depth() {
        let mut body = json!({
            "email": "a@b.c",
            "password": "correct horse battery staple",
            "nested": [{"new_password": "secret secret", "current_Password": null}],
        });

        without_passwords(&mut body);

        assert_eq!(
            body,
            json!({
                "email": "a@b.c",
                "password": true,
                "nested": [{"new_password": true, "current_Password": null}],
            })
        );
    }

    #[test]
    fn only_a_replay_is_marked_as_replayed() {
        let replayed = mark_replayed(&mut HttpResponse::Ok(), true).finish();
        let first = mark_replayed(&mut HttpResponse::Ok(), false).finish();

        assert_eq!(replayed.headers().get(REPLAYED).unwrap(), "true");
        assert!(first.headers().get(REPLAYED).is_none());
    }

    #[test]
    fn a_key_is_one_to_two_hundred_visible_ascii_characters() {
        let with = |key: &str| {
            key_from(
                &TestRequest::default()
                    .insert_header(("Idempotency-Key", key))
                    .to_http_request(),
            )
        };

        assert_eq!(with(" 7d9f-1 ").unwrap().as_deref(), Some("7d9f-1"));
        assert_eq!(with(&"k".repeat(200)).unwrap().map(|k| k.len()), Some(200));
        assert!(with("").is_err());
        assert!(with(&"k".repeat(201)).is_err());
        assert!(with("two words").is_err());
        assert!(key_from(&TestRequest::default().to_http_request())
            .unwrap()
            .is_none());
    }
}
