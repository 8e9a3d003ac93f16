//! Sign-in sessions: login, refresh-token rotation with reuse detection, logout.
//! No actix types here.

use std::sync::Arc;
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
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::users::{self, model::UserRow};

const WRONG_CREDENTIALS: &str = "the email or password is incorrect";

/// Session settings shared by the handlers.
pub struct SessionPolicy {
    pub refresh_ttl: Duration,
}

/// Checks the credentials and opens a session. Unknown emails and wrong passwords get the same
/// answer and take the same time.
///
/// The password is checked with no database connection held (a hash takes tens of milliseconds
/// of CPU; holding a pooled connection meanwhile starved the pool under a burst of sign-ins).
/// While the primary cannot be reached the account is read from the standby: the person gets an
/// access token but no refresh token (a session is a write), and the audit row of the sign-in
/// goes to the journal, to be written when the primary is back.
pub async fn sign_in(
    pool: &DbPool,
    keys: Arc<JwtKeys>,
    policy: Arc<SessionPolicy>,
    meta: RequestMeta,
    email: &str,
    password_attempt: String,
) -> Result<TokenResponse, ApiError> {
    let email = users::service::normalize_email(email);
    let account = db::read(pool, move |conn| {
        users::service::find_by_email(conn, &email)
    })
    .await?
    // API clients' service accounts never sign in with a password.
    .filter(|u| u.role != Role::Integration.as_str());
    let phc = account.as_ref().map(|u| u.password_hash.clone());
    let matches = password::verify_off_thread(password_attempt, phc).await?;
    let audit = |user: Option<UserRow>, outcome: &'static str| {
        let meta = meta.clone();
        db::read(pool, move |conn| {
            audit_login(conn, &meta, user.as_ref(), outcome)?;
            Ok(user)
        })
    };
    let user = match account {
        Some(user) if matches => user,
        other => {
            audit(other, "failure").await?;
            return Err(ApiError::unauthenticated(WRONG_CREDENTIALS));
        }
    };
    if !user.active {
        audit(Some(user), "denied").await?;
        return Err(ApiError::unauthenticated(
            "this account has been deactivated; ask an administrator",
        ));
    }
    let id = user.id;
    let (session_keys, session_meta) = (keys.clone(), meta.clone());
    let opened = db::run(pool, move |conn| {
        conn.transaction(|conn| {
            let user = users::service::record_login(conn, id)?;
            audit_login(conn, &session_meta, Some(&user), "success")?;
            open_session(conn, &session_keys, &policy, user, Uuid::new_v4())
        })
    })
    .await;
    match opened {
        Err(ApiError::Unavailable(cause)) if pool.has_standby() => {
            log::warn!("sign-in while the primary is unreachable ({cause:#}): no refresh token");
            let user = audit(Some(user), "success")
                .await?
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the account went missing")))?;
            read_only_session(&keys, user, None)
        }
        other => other,
    }
}

/// A session that writes nothing: a new access token, and `refresh` handed back as it is
/// (empty when there is none).
fn read_only_session(
    keys: &JwtKeys,
    user: UserRow,
    refresh: Option<(String, i64)>,
) -> Result<TokenResponse, ApiError> {
    let user = users::service::to_dto(user)?;
    let access_token = keys
        .issue(user.id, user.role, user.patient_id)
        .map_err(ApiError::Internal)?;
    let (refresh_token, refresh_expires_in) = refresh.unwrap_or_default();
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: keys.ttl().as_secs() as i64,
        refresh_token,
        refresh_expires_in,
        user,
    })
}

/// Refreshes a session while the primary cannot be reached: the token is checked on the standby
/// and a new access token issued, but the refresh token cannot be marked used, so the same one
/// comes back (reuse detection resumes with the primary). Runs on whatever `conn` is: called
/// only when [`refresh`] could not get the primary.
pub fn refresh_read_only(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    token: &str,
) -> Result<TokenResponse, ApiError> {
    let invalid = || ApiError::unauthenticated("the refresh token is not valid; sign in again");
    let row = repo::find(conn, &digest(token))?.ok_or_else(invalid)?;
    if row.revoked_at.is_some() || row.used_at.is_some() || row.expires_at <= Utc::now() {
        return Err(invalid());
    }
    let user = users::service::find(conn, row.user_id)?
        .filter(|u| u.active)
        .ok_or_else(invalid)?;
    let left = (row.expires_at - Utc::now()).num_seconds();
    read_only_session(keys, user, Some((token.to_owned(), left)))
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
