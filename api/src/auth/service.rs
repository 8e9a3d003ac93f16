//! Sign-in sessions: login, refresh-token rotation with reuse detection, logout.
//! No actix types here.

use std::time::Duration;

use base64::Engine;
use chrono::Utc;
use diesel::prelude::*;
use hms_api_types::auth::TokenResponse;
use hms_api_types::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::repo::{self, NewRefreshToken};
use super::{password, JwtKeys};
use crate::audit::{self, AuditEvent, RequestMeta};
use crate::error::ApiError;
use crate::users::{self, model::UserRow};

const WRONG_CREDENTIALS: &str = "the email or password is incorrect";

/// Session settings shared by the handlers.
pub struct SessionPolicy {
    pub refresh_ttl: Duration,
}

/// Checks the credentials and opens a session. Unknown emails and wrong passwords get the same
/// answer and take the same time.
pub fn login(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    policy: &SessionPolicy,
    meta: &RequestMeta,
    email: &str,
    password_attempt: &str,
) -> Result<TokenResponse, ApiError> {
    let email = users::service::normalize_email(email);
    let account = users::service::find_by_email(conn, &email)?;
    // API clients' service accounts never sign in with a password.
    let Some(user) = account.filter(|u| u.role != Role::Integration.as_str()) else {
        password::verify_against_dummy(password_attempt);
        audit_login(conn, meta, None, "failure")?;
        return Err(ApiError::unauthenticated(WRONG_CREDENTIALS));
    };
    if !password::verify(password_attempt, &user.password_hash) {
        audit_login(conn, meta, Some(&user), "failure")?;
        return Err(ApiError::unauthenticated(WRONG_CREDENTIALS));
    }
    if !user.active {
        audit_login(conn, meta, Some(&user), "denied")?;
        return Err(ApiError::unauthenticated(
            "this account has been deactivated; ask an administrator",
        ));
    }
    conn.transaction(|conn| {
        let user = users::service::record_login(conn, user.id)?;
        audit_login(conn, meta, Some(&user), "success")?;
        open_session(conn, keys, policy, user, Uuid::new_v4())
    })
}

/// Exchanges a refresh token for a new pair. A token works once; presenting a used one again
/// means it leaked, so the whole session is revoked.
pub fn refresh(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    policy: &SessionPolicy,
    token: &str,
) -> Result<TokenResponse, ApiError> {
    let invalid = || ApiError::unauthenticated("the refresh token is not valid; sign in again");
    let hash = digest(token);
    let outcome = conn.transaction(|conn| {
        let row = repo::find_for_update(conn, &hash)?.ok_or_else(invalid)?;
        if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
            return Ok(Err(invalid()));
        }
        if row.used_at.is_some() {
            repo::revoke_family(conn, row.family_id)?;
            log::warn!(
                "refresh token reuse detected for user {}: session revoked",
                row.user_id
            );
            // Commit the revocation, then refuse.
            return Ok(Err(invalid()));
        }
        repo::mark_used(conn, row.id)?;
        let user = users::service::find(conn, row.user_id)?.ok_or_else(invalid)?;
        if !user.active {
            repo::revoke_family(conn, row.family_id)?;
            return Ok(Err(invalid()));
        }
        open_session(conn, keys, policy, user, row.family_id).map(Ok)
    })?;
    outcome
}

/// Revokes the session the refresh token belongs to. Unknown tokens are ignored, so logging out
/// twice is harmless.
pub fn logout(conn: &mut PgConnection, meta: &RequestMeta, token: &str) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        if let Some(row) = repo::find_for_update(conn, &digest(token))? {
            repo::revoke_family(conn, row.family_id)?;
            audit::record(
                conn,
                meta,
                AuditEvent {
                    actor: None,
                    action: "logout",
                    entity_type: "user",
                    entity_id: Some(row.user_id.to_string()),
                    outcome: "success",
                },
            )?;
        }
        Ok(())
    })
}

/// Ends every session of `user` (password change, deactivation).
pub fn revoke_all(conn: &mut PgConnection, user: Uuid) -> Result<(), ApiError> {
    repo::revoke_all_for_user(conn, user)?;
    Ok(())
}

fn open_session(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    policy: &SessionPolicy,
    user: UserRow,
    family: Uuid,
) -> Result<TokenResponse, ApiError> {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let refresh_token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let refresh_ttl =
        chrono::Duration::from_std(policy.refresh_ttl).map_err(|e| ApiError::Internal(e.into()))?;
    repo::insert(
        conn,
        &NewRefreshToken {
            user_id: user.id,
            family_id: family,
            token_hash: &digest(&refresh_token),
            expires_at: Utc::now() + refresh_ttl,
        },
    )?;
    let user = users::service::to_dto(user)?;
    let access_token = keys
        .issue(user.id, user.role, user.patient_id)
        .map_err(ApiError::Internal)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: keys.ttl().as_secs() as i64,
        refresh_token,
        refresh_expires_in: policy.refresh_ttl.as_secs() as i64,
        user,
    })
}

fn audit_login(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    user: Option<&UserRow>,
    outcome: &str,
) -> QueryResult<()> {
    audit::record(
        conn,
        meta,
        AuditEvent {
            actor: user.map(|u| (u.id, u.role.as_str())),
            action: "login",
            entity_type: "user",
            entity_id: user.map(|u| u.id.to_string()),
            outcome,
        },
    )
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
