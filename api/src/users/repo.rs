//! SQL for `users`. Plain functions over `&mut PgConnection`; no rules, no HTTP.

use diesel::prelude::*;
use uuid::Uuid;

use super::model::{NewUserRow, UserChanges, UserRow};
use crate::db::schema::users;

pub fn insert(conn: &mut PgConnection, new: &NewUserRow<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(UserRow::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_patient(conn: &mut PgConnection, patient_id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::patient_id.eq(patient_id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Filters of the user list.
#[derive(Default)]
pub struct ListFilter {
    /// Case-insensitive substring of the email or display name.
    pub q: Option<String>,
    pub role: Option<String>,
    /// Leaves out accounts with this role.
    pub exclude_role: Option<String>,
    pub active: Option<bool>,
    /// Keyset: only emails after this one.
    pub after_email: Option<String>,
}

/// Up to `limit` users ordered by email (which is unique, so the order is stable).
pub fn list(conn: &mut PgConnection, filter: &ListFilter, limit: i64) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(q) = &filter.q {
        let pattern = format!("%{}%", escape_like(q));
        query = query.filter(
            users::email
                .ilike(pattern.clone())
                .or(users::display_name.ilike(pattern)),
        );
    }
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(role.clone()));
    }
    if let Some(role) = &filter.exclude_role {
        query = query.filter(users::role.ne(role.clone()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(after) = &filter.after_email {
        query = query.filter(users::email.gt(after.clone()));
    }
    query.order(users::email.asc()).limit(limit).load(conn)
}

/// Applies `changes` if the row is still at `expected_version`; bumps the version. `None` when
/// the row is missing or was changed meanwhile.
pub fn update_if_version(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    changes: &UserChanges,
) -> QueryResult<Option<UserRow>> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::version.eq(expected_version)),
    )
    .set((
        changes,
        users::version.eq(users::version + 1),
        users::updated_at.eq(diesel::dsl::now),
    ))
    .returning(UserRow::as_returning())
    .get_result(conn)
    .optional()
}

/// Sets a new password hash unconditionally (own password change).
pub fn set_password(conn: &mut PgConnection, id: Uuid, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::version.eq(users::version + 1),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn touch_last_login(conn: &mut PgConnection, id: Uuid) -> QueryResult<UserRow> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(diesel::dsl::now))
        .returning(UserRow::as_returning())
        .get_result(conn)
}

/// Active admins other than `except`, locked so two admins cannot demote each other at once.
pub fn other_active_admins(conn: &mut PgConnection, except: Uuid) -> QueryResult<Vec<Uuid>> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::active.eq(true))
        .filter(users::id.ne(except))
        .select(users::id)
        .for_update()
        .load(conn)
}

pub use crate::db::escape_like;
