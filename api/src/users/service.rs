//! Account rules: validation, the last-admin rule, optimistic concurrency, audit.
//! No actix types here.

use diesel::prelude::*;
use hms_api_types::users::{CreateUser, UpdateUser, User, UserPage};
use hms_api_types::Role;
use uuid::Uuid;

use super::model::{NewUserRow, UserChanges, UserRow};
use super::repo::{self, ListFilter};
use crate::audit::{self, AuditEvent, RequestMeta};
use crate::auth::{self, password, AuthUser};
use crate::error::ApiError;
use crate::pagination;
use crate::validate::Check;

/// Emails are compared and stored lower-cased and trimmed.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Converts a row into the wire type. A role the code does not know is a data error.
pub fn to_dto(row: UserRow) -> Result<User, ApiError> {
    let role = Role::parse(&row.role)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("user {} has unknown role", row.id)))?;
    Ok(User {
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        role,
        active: row.active,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        last_login_at: row.last_login_at,
        patient_id: row.patient_id,
    })
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<UserRow>, ApiError> {
    Ok(repo::find(conn, id)?)
}

pub fn find_by_email(conn: &mut PgConnection, email: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(repo::find_by_email(conn, email)?)
}

pub fn record_login(conn: &mut PgConnection, id: Uuid) -> Result<UserRow, ApiError> {
    Ok(repo::touch_last_login(conn, id)?)
}

/// Creates an account. The email must be unused (also by inactive accounts).
pub fn create(
    conn: &mut PgConnection,
    actor: &AuthUser,
    meta: &RequestMeta,
    input: CreateUser,
) -> Result<User, ApiError> {
    let mut check = Check::new();
    check
        .email("email", &input.email)
        .text("display_name", &input.display_name, 1, 120)
        .new_password("password", &input.password);
    if input.role == Role::Integration {
        check.fail(
            "role",
            "integration accounts belong to API clients; register one under /api/v1/integrations/clients",
        );
    }
    match (input.role, input.patient_id) {
        (Role::Patient, None) => {
            check.fail("patient_id", "is required for patient accounts");
        }
        (role, Some(_)) if role != Role::Patient => {
            check.fail("patient_id", "is only for patient accounts");
        }
        _ => {}
    }
    check.finish()?;
    let email = normalize_email(&input.email);
    let hash = password::hash(&input.password).map_err(ApiError::Internal)?;
    conn.transaction(|conn| {
        if repo::find_by_email(conn, &email)?.is_some() {
            return Err(ApiError::Conflict(
                "an account with this email already exists".into(),
            ));
        }
        if let Some(patient_id) = input.patient_id {
            crate::patients::service::require(conn, patient_id)
                .map_err(|_| ApiError::invalid("patient_id", "is not a registered patient"))?;
            if repo::find_by_patient(conn, patient_id)?.is_some() {
                return Err(ApiError::Conflict(
                    "this patient already has an account".into(),
                ));
            }
        }
        let row = repo::insert(
            conn,
            &NewUserRow {
                email: &email,
                display_name: input.display_name.trim(),
                role: input.role.as_str(),
                password_hash: &hash,
                patient_id: input.patient_id,
            },
        )?;
        audit::record(conn, meta, AuditEvent::by(actor, "create", "user", row.id))?;
        to_dto(row)
    })
}

/// A password hash no password matches (not a PHC string): API clients' service accounts.
const NO_PASSWORD: &str = "!no-password: integration client";

/// Creates the service account of API client `client` (role `integration`, named after the
/// client, an address under the reserved `.invalid` domain, no usable password).
pub fn create_service_account(
    conn: &mut PgConnection,
    client: Uuid,
    name: &str,
) -> Result<Uuid, ApiError> {
    let email = format!("client-{client}@clients.invalid");
    let row = repo::insert(
        conn,
        &NewUserRow {
            email: &email,
            display_name: name,
            role: Role::Integration.as_str(),
            password_hash: NO_PASSWORD,
            patient_id: None,
        },
    )?;
    Ok(row.id)
}

/// Renames a client's service account along with the client.
pub fn rename_service_account(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
) -> Result<(), ApiError> {
    let changes = UserChanges {
        display_name: Some(name.to_owned()),
        ..UserChanges::default()
    };
    let current = repo::find(conn, id)?.ok_or_else(|| ApiError::not_found("the user"))?;
    repo::update_if_version(conn, id, current.version, &changes)?;
    Ok(())
}

/// Query of the user list.
pub struct ListQuery {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn list(conn: &mut PgConnection, query: ListQuery) -> Result<UserPage, ApiError> {
    let mut check = Check::new();
    let limit = pagination::limit(&mut check, query.limit);
    let after_email = pagination::decode(&mut check, query.cursor.as_deref());
    if let Some(q) = &query.q {
        check.text("q", q, 0, 100);
    }
    check.finish()?;
    let filter = ListFilter {
        q: query
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty()),
        role: query.role.map(|r| r.as_str().to_owned()),
        // API clients' service accounts are not people: listed only when asked for by role.
        exclude_role: query
            .role
            .is_none()
            .then(|| Role::Integration.as_str().to_owned()),
        active: query.active,
        after_email,
    };
    let mut rows = repo::list(conn, &filter, limit + 1)?;
    let next_cursor = pagination::next_cursor(&mut rows, limit, |u| u.email.clone());
    let items = rows.into_iter().map(to_dto).collect::<Result<_, _>>()?;
    Ok(UserPage { items, next_cursor })
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<User, ApiError> {
    repo::find(conn, id)?
        .ok_or_else(|| ApiError::not_found("the user"))
        .and_then(to_dto)
}

/// Applies a PATCH based on `version` (the If-Match or body version, checked after the body). Admins cannot lock themselves out, and the last active
/// admin cannot be deactivated or demoted. Deactivation and password resets end the account's
/// sessions.
pub fn update(
    conn: &mut PgConnection,
    actor: &AuthUser,
    meta: &RequestMeta,
    id: Uuid,
    version: Result<i32, ApiError>,
    input: UpdateUser,
) -> Result<User, ApiError> {
    let mut check = Check::new();
    if let Some(name) = &input.display_name {
        check.text("display_name", name, 1, 120);
    }
    if let Some(pw) = &input.password {
        check.new_password("password", pw);
    }
    if input.role == Some(Role::Integration) {
        check.fail(
            "role",
            "integration accounts belong to API clients; register one under /api/v1/integrations/clients",
        );
    }
    if id == actor.id {
        if input.active == Some(false) {
            check.fail("active", "you cannot deactivate your own account");
        }
        if input.role.is_some_and(|r| r != actor.role) {
            check.fail("role", "you cannot change your own role");
        }
    }
    let patient_role_change = |current: &str| {
        input
            .role
            .is_some_and(|r| (r == Role::Patient) != (current == Role::Patient.as_str()))
    };
    check.finish()?;
    let version = version?;
    let password_hash = match &input.password {
        Some(pw) => Some(password::hash(pw).map_err(ApiError::Internal)?),
        None => None,
    };
    conn.transaction(|conn| {
        let current = repo::find(conn, id)?.ok_or_else(|| ApiError::not_found("the user"))?;
        if current.role == Role::Integration.as_str() {
            return Err(ApiError::Conflict(
                "this is an API client's service account; manage it under /api/v1/integrations/clients"
                    .into(),
            ));
        }
        if patient_role_change(&current.role) {
            return Err(ApiError::invalid(
                "role",
                "patient accounts and staff accounts cannot be turned into each other; create a new account",
            ));
        }
        let loses_admin = current.role == "admin"
            && current.active
            && (input.active == Some(false) || input.role.is_some_and(|r| r != Role::Admin));
        if loses_admin && repo::other_active_admins(conn, id)?.is_empty() {
            return Err(ApiError::Conflict(
                "this is the last active administrator; make someone else an administrator first"
                    .into(),
            ));
        }
        let changes = UserChanges {
            display_name: input.display_name.as_ref().map(|n| n.trim().to_owned()),
            role: input.role.map(|r| r.as_str().to_owned()),
            active: input.active,
            password_hash,
        };
        let row = repo::update_if_version(conn, id, version, &changes)?.ok_or_else(|| {
            ApiError::PreconditionFailed(format!(
                "the user was changed by someone else (now version {}); reload and try again",
                current.version
            ))
        })?;
        if input.active == Some(false) || input.password.is_some() {
            auth::service::revoke_all(conn, id)?;
        }
        audit::record(conn, meta, AuditEvent::by(actor, "update", "user", id))?;
        to_dto(row)
    })
}

/// Changes the caller's own password after checking the current one; ends their other sessions.
pub fn change_own_password(
    conn: &mut PgConnection,
    actor: &AuthUser,
    meta: &RequestMeta,
    current_password: &str,
    new_password: &str,
) -> Result<(), ApiError> {
    let mut check = Check::new();
    check
        .text("current_password", current_password, 1, 1024)
        .new_password("new_password", new_password);
    check.finish()?;
    let user = repo::find(conn, actor.id)?
        .filter(|u| u.active)
        .ok_or_else(|| ApiError::unauthenticated("this account no longer exists or is inactive"))?;
    if !password::verify(current_password, &user.password_hash) {
        return Err(ApiError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = password::hash(new_password).map_err(ApiError::Internal)?;
    conn.transaction(|conn| {
        repo::set_password(conn, actor.id, &hash)?;
        auth::service::revoke_all(conn, actor.id)?;
        audit::record(
            conn,
            meta,
            AuditEvent::by(actor, "change_password", "user", actor.id),
        )?;
        Ok(())
    })
}
