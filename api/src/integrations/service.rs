//! API client rules: validation, secrets, the service account, optimistic concurrency, audit,
//! and the client-credentials exchange. No actix types here.

use base64::Engine;
use diesel::prelude::*;
use hms_api_types::integrations::{
    ApiClient, ApiClientPage, ApiClientWithSecret, CreateApiClient, UpdateApiClient,
};
use hms_api_types::{Scope, ScopeSet};
use rand::RngCore;
use uuid::Uuid;

use super::model::{ClientChanges, ClientRow, NewClientRow};
use super::registry::ClientState;
use super::repo;
use crate::audit::{self, AuditEvent, RequestMeta};
use crate::auth::{password, AuthUser};
use crate::error::ApiError;
use crate::pagination;
use crate::validate::Check;

pub const DEFAULT_RATE_LIMIT: i32 = 600;

/// A new client secret: 32 random bytes, base64url without padding (43 characters), and its
/// argon2id hash. Slow (the hash): call it outside of a held database connection.
pub fn new_secret() -> Result<(String, String), ApiError> {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = password::hash(&secret).map_err(ApiError::Internal)?;
    Ok((secret, hash))
}

pub fn to_dto(row: ClientRow) -> ApiClient {
    ApiClient {
        id: row.id,
        name: row.name,
        description: row.description,
        user_id: row.user_id,
        scopes: scope_set(&row.scopes)
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        rate_limit_per_minute: row.rate_limit_per_minute,
        active: row.active,
        tokens_valid_after: row.tokens_valid_after,
        secret_rotated_at: row.secret_rotated_at,
        last_token_at: row.last_token_at,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// The registry's view of a client.
pub fn state_of(client: &ApiClient) -> ClientState {
    ClientState {
        active: client.active,
        tokens_valid_after_ms: client.tokens_valid_after.timestamp_millis(),
        rate_limit_per_minute: client.rate_limit_per_minute.max(1) as u32,
        scopes: client
            .scopes
            .iter()
            .filter_map(|s| Scope::parse(s))
            .collect(),
    }
}

fn scope_set(stored: &[Option<String>]) -> ScopeSet {
    stored
        .iter()
        .flatten()
        .filter_map(|s| Scope::parse(s))
        .collect()
}

/// Checks a scope list; the stored form is deduplicated, in `Scope::ALL` order.
fn check_scopes(check: &mut Check, scopes: &[String]) -> Vec<String> {
    let mut set = ScopeSet::EMPTY;
    for s in scopes {
        match Scope::parse(s) {
            Some(scope) => set.insert(scope),
            None => {
                check.fail(
                    "scopes",
                    format!(
                        "{s:?} is not a scope; use {}",
                        Scope::ALL.map(Scope::as_str).join(", ")
                    ),
                );
            }
        }
    }
    set.iter().map(|s| s.as_str().to_owned()).collect()
}

fn check_rate(check: &mut Check, rate: i32) {
    if !(1..=100_000).contains(&rate) {
        check.fail("rate_limit_per_minute", "must be between 1 and 100000");
    }
}

/// Validates a creation request (before any secret is hashed).
pub fn check_create(input: &CreateApiClient) -> Result<(), ApiError> {
    let mut check = Check::new();
    check.text("name", &input.name, 1, 120);
    if input.description.chars().count() > 2000 {
        check.fail("description", "must be at most 2000 characters");
    }
    check_scopes(&mut check, &input.scopes);
    check_rate(
        &mut check,
        input.rate_limit_per_minute.unwrap_or(DEFAULT_RATE_LIMIT),
    );
    check.finish()
}

/// Registers a client and its service account, with the secret hashed by [`new_secret`].
pub fn create(
    conn: &mut PgConnection,
    actor: &AuthUser,
    meta: &RequestMeta,
    input: CreateApiClient,
    secret: &str,
    secret_hash: &str,
) -> Result<ApiClientWithSecret, ApiError> {
    check_create(&input)?;
    let mut check = Check::new();
    let scopes = check_scopes(&mut check, &input.scopes);
    let name = input.name.trim();
    conn.transaction(|conn| {
        if repo::name_taken(conn, name, None)? {
            return Err(ApiError::Conflict(
                "a client with this name already exists".into(),
            ));
        }
        let id = Uuid::new_v4();
        let account = crate::users::service::create_service_account(conn, id, name)?;
        let row = repo::insert(
            conn,
            &NewClientRow {
                id,
                name,
                description: input.description.trim(),
                user_id: account,
                scopes,
                secret_hash,
                rate_limit_per_minute: input.rate_limit_per_minute.unwrap_or(DEFAULT_RATE_LIMIT),
                created_by: actor.id,
            },
        )?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(actor, "create", "api_client", row.id),
        )?;
        Ok(ApiClientWithSecret {
            client: to_dto(row),
            client_secret: secret.to_owned(),
        })
    })
}

pub fn list(
    conn: &mut PgConnection,
    active: Option<bool>,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<ApiClientPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, limit);
    let after = pagination::decode(&mut check, cursor.as_deref());
    check.finish()?;
    let mut rows = repo::list(conn, active, after.as_deref(), limit + 1)?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |c| c.name.clone());
    Ok(ApiClientPage {
        items: rows.into_iter().map(to_dto).collect(),
        next_cursor,
    })
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<ApiClient, ApiError> {
    repo::find(conn, id)?
        .map(to_dto)
        .ok_or_else(|| ApiError::not_found("the client"))
}

/// Applies a PATCH based on `version` (If-Match or the body's, checked after the body).
pub fn update(
    conn: &mut PgConnection,
    actor: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    version: Result<i32, ApiError>,
    input: UpdateApiClient,
) -> Result<ApiClient, ApiError> {
    let mut check = Check::new();
    if let Some(name) = &input.name {
        check.text("name", name, 1, 120);
    }
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 2000)
    {
        check.fail("description", "must be at most 2000 characters");
    }
    let scopes = input.scopes.as_ref().map(|s| check_scopes(&mut check, s));
    if let Some(rate) = input.rate_limit_per_minute {
        check_rate(&mut check, rate);
    }
    check.finish()?;
    let version = version?;
    conn.transaction(|conn| {
        let current = repo::find(conn, id)?.ok_or_else(|| ApiError::not_found("the client"))?;
        let name = input.name.as_ref().map(|n| n.trim().to_owned());
        if let Some(name) = &name {
            if repo::name_taken(conn, name, Some(id))? {
                return Err(ApiError::Conflict(
                    "a client with this name already exists".into(),
                ));
            }
        }
        let changes = ClientChanges {
            name: name.clone(),
            description: input.description.as_ref().map(|d| d.trim().to_owned()),
            scopes,
            rate_limit_per_minute: input.rate_limit_per_minute,
        };
        let row = repo::update_if_version(conn, id, version, &changes)?.ok_or_else(|| {
            ApiError::PreconditionFailed(format!(
                "the client was changed by someone else (now version {}); reload and try again",
                current.version
            ))
        })?;
        if let Some(name) = &name {
            crate::users::service::rename_service_account(conn, row.user_id, name)?;
        }
        audit::record(
            conn,
            meta,
            AuditEvent::by(actor, "update", "api_client", id),
        )?;
        Ok(to_dto(row))
    })
}

/// Disables (`active = false`: no new tokens, and every token issued so far is refused) or
/// enables a client.
pub fn set_active(
    conn: &mut PgConnection,
    actor: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    active: bool,
) -> Result<ApiClient, ApiError> {
    conn.transaction(|conn| {
        let row =
            repo::set_active(conn, id, active)?.ok_or_else(|| ApiError::not_found("the client"))?;
        let action = if active { "enable" } else { "disable" };
        audit::record(conn, meta, AuditEvent::by(actor, action, "api_client", id))?;
        Ok(to_dto(row))
    })
}

/// Replaces the secret with one made by [`new_secret`]; tokens issued so far are refused.
pub fn rotate_secret(
    conn: &mut PgConnection,
    actor: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    secret: &str,
    secret_hash: &str,
) -> Result<ApiClientWithSecret, ApiError> {
    conn.transaction(|conn| {
        let row = repo::rotate_secret(conn, id, secret_hash)?
            .ok_or_else(|| ApiError::not_found("the client"))?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(actor, "rotate_secret", "api_client", id),
        )?;
        Ok(ApiClientWithSecret {
            client: to_dto(row),
            client_secret: secret.to_owned(),
        })
    })
}

// ---- The client-credentials exchange ----

const BAD_CLIENT: &str = "the client id or secret is incorrect";

/// What a token request is checked against: the client's row, read before the (slow) secret
/// check so that no connection is held during it.
pub fn find_for_token(conn: &mut PgConnection, id: Uuid) -> Result<Option<ClientRow>, ApiError> {
    Ok(repo::find(conn, id)?)
}

/// Checks `secret` against `row` (argon2; no database): `invalid_client` when the client is
/// unknown, the secret wrong or the client disabled.
pub fn check_secret(row: Option<&ClientRow>, secret: &str) -> Result<(), ApiError> {
    let Some(row) = row else {
        password::verify_against_dummy(secret);
        return Err(invalid_client(BAD_CLIENT));
    };
    if !password::verify(secret, &row.secret_hash) {
        return Err(invalid_client(BAD_CLIENT));
    }
    if !row.active {
        return Err(invalid_client(
            "this client is disabled; ask an administrator",
        ));
    }
    Ok(())
}

/// The scopes a token gets: all of the client's, or `requested` (space-separated) when it is
/// a subset of them (`invalid_scope` otherwise).
pub fn grant_scopes(row: &ClientRow, requested: Option<&str>) -> Result<ScopeSet, ApiError> {
    let held = scope_set(&row.scopes);
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(held);
    };
    let asked = ScopeSet::parse_oauth(requested).map_err(|unknown| ApiError::OAuth {
        error: "invalid_scope",
        detail: format!("{unknown:?} is not a scope"),
    })?;
    if !asked.is_subset(held) {
        let missing: Vec<&str> = asked
            .iter()
            .filter(|s| !held.contains(*s))
            .map(Scope::as_str)
            .collect();
        return Err(ApiError::OAuth {
            error: "invalid_scope",
            detail: format!("this client does not hold {}", missing.join(" ")),
        });
    }
    Ok(asked)
}

/// Records a successful exchange: `last_token_at` and an audit event by the client's account.
pub fn record_token(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    row: &ClientRow,
) -> Result<ApiClient, ApiError> {
    conn.transaction(|conn| {
        let row = repo::touch_last_token(conn, row.id)?;
        audit_token(conn, meta, &row)?;
        Ok(to_dto(row))
    })
}

/// [`record_token`] while the primary cannot be reached: `last_token_at` stays as it was, and
/// the audit row goes to the journal (this runs on the standby), so integrations keep getting
/// tokens to read with during an outage, as people keep signing in.
pub fn record_token_read_only(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    row: ClientRow,
) -> Result<ApiClient, ApiError> {
    audit_token(conn, meta, &row)?;
    Ok(to_dto(row))
}

fn audit_token(conn: &mut PgConnection, meta: &RequestMeta, row: &ClientRow) -> QueryResult<()> {
    audit::record(
        conn,
        meta,
        AuditEvent {
            actor: Some((row.user_id, "integration")),
            action: "token",
            entity_type: "api_client",
            entity_id: Some(row.id.to_string()),
            outcome: "success",
        },
    )
}

/// Records a refused exchange in the audit trail (actor: the client's account when known).
pub fn record_refused_token(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    client: Option<(Uuid, Uuid)>,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        meta,
        AuditEvent {
            actor: client.map(|(_, user)| (user, "integration")),
            action: "token",
            entity_type: "api_client",
            entity_id: client.map(|(id, _)| id.to_string()),
            outcome: "failure",
        },
    )?;
    Ok(())
}

pub fn invalid_client(detail: &str) -> ApiError {
    ApiError::OAuth {
        error: "invalid_client",
        detail: detail.into(),
    }
}
