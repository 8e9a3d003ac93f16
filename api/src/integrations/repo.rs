//! SQL for `api_clients`. Plain functions over `&mut PgConnection`; no rules, no HTTP.

use diesel::prelude::*;
use uuid::Uuid;

use super::model::{ClientChanges, ClientRow, ClientStateRow, NewClientRow};
use crate::db::schema::api_clients;

pub fn insert(conn: &mut PgConnection, new: &NewClientRow<'_>) -> QueryResult<ClientRow> {
    diesel::insert_into(api_clients::table)
        .values(new)
        .returning(ClientRow::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<ClientRow>> {
    api_clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .optional()
}

/// Whether another client (not `except`) has this name, ignoring case.
pub fn name_taken(conn: &mut PgConnection, name: &str, except: Option<Uuid>) -> QueryResult<bool> {
    let mut query = api_clients::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) = lower(")
                .bind::<diesel::sql_types::Text, _>(name.to_owned())
                .sql(")"),
        )
        .select(api_clients::id)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(api_clients::id.ne(id));
    }
    Ok(query.first::<Uuid>(conn).optional()?.is_some())
}

/// Up to `limit` clients ordered by name (unique), after `after_name`.
pub fn list(
    conn: &mut PgConnection,
    active: Option<bool>,
    after_name: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ClientRow>> {
    let mut query = api_clients::table
        .select(ClientRow::as_select())
        .into_boxed();
    if let Some(active) = active {
        query = query.filter(api_clients::active.eq(active));
    }
    if let Some(after) = after_name {
        query = query.filter(api_clients::name.gt(after.to_owned()));
    }
    query.order(api_clients::name.asc()).limit(limit).load(conn)
}

/// Every client's state, for the registry.
pub fn states(conn: &mut PgConnection) -> QueryResult<Vec<ClientStateRow>> {
    api_clients::table
        .select((
            api_clients::id,
            api_clients::active,
            api_clients::tokens_valid_after,
            api_clients::rate_limit_per_minute,
            api_clients::scopes,
        ))
        .load(conn)
}

/// Applies `changes` if the row is still at `expected_version`; bumps the version.
pub fn update_if_version(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    changes: &ClientChanges,
) -> QueryResult<Option<ClientRow>> {
    diesel::update(
        api_clients::table
            .find(id)
            .filter(api_clients::version.eq(expected_version)),
    )
    .set((
        changes,
        api_clients::version.eq(api_clients::version + 1),
        api_clients::updated_at.eq(diesel::dsl::now),
    ))
    .returning(ClientRow::as_returning())
    .get_result(conn)
    .optional()
}

/// Disables (`false`: tokens issued until now are refused) or enables a client.
pub fn set_active(
    conn: &mut PgConnection,
    id: Uuid,
    active: bool,
) -> QueryResult<Option<ClientRow>> {
    let target = api_clients::table.find(id);
    let common = (
        api_clients::active.eq(active),
        api_clients::version.eq(api_clients::version + 1),
        api_clients::updated_at.eq(diesel::dsl::now),
    );
    if active {
        diesel::update(target)
            .set(common)
            .returning(ClientRow::as_returning())
            .get_result(conn)
            .optional()
    } else {
        diesel::update(target)
            .set((common, api_clients::tokens_valid_after.eq(diesel::dsl::now)))
            .returning(ClientRow::as_returning())
            .get_result(conn)
            .optional()
    }
}

/// Replaces the secret; tokens issued until now are refused.
pub fn rotate_secret(
    conn: &mut PgConnection,
    id: Uuid,
    hash: &str,
) -> QueryResult<Option<ClientRow>> {
    diesel::update(api_clients::table.find(id))
        .set((
            api_clients::secret_hash.eq(hash),
            api_clients::secret_rotated_at.eq(diesel::dsl::now),
            api_clients::tokens_valid_after.eq(diesel::dsl::now),
            api_clients::version.eq(api_clients::version + 1),
            api_clients::updated_at.eq(diesel::dsl::now),
        ))
        .returning(ClientRow::as_returning())
        .get_result(conn)
        .optional()
}

pub fn touch_last_token(conn: &mut PgConnection, id: Uuid) -> QueryResult<ClientRow> {
    diesel::update(api_clients::table.find(id))
        .set(api_clients::last_token_at.eq(diesel::dsl::now))
        .returning(ClientRow::as_returning())
        .get_result(conn)
}
