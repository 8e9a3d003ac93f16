//! Diesel row types for `api_clients`. Never serialised: `service::to_dto` converts them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::api_clients;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_clients, check_for_backend(diesel::pg::Pg))]
pub struct ClientRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub user_id: Uuid,
    pub scopes: Vec<Option<String>>,
    pub secret_hash: String,
    pub rate_limit_per_minute: i32,
    pub active: bool,
    pub tokens_valid_after: DateTime<Utc>,
    pub secret_rotated_at: DateTime<Utc>,
    pub last_token_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = api_clients)]
pub struct NewClientRow<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub user_id: Uuid,
    pub scopes: Vec<String>,
    pub secret_hash: &'a str,
    pub rate_limit_per_minute: i32,
    pub created_by: Uuid,
}

/// Columns a PATCH may change; `None` leaves a column as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = api_clients)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub rate_limit_per_minute: Option<i32>,
}

/// What the registry needs of a client.
#[derive(Debug, Clone, Queryable)]
pub struct ClientStateRow {
    pub id: Uuid,
    pub active: bool,
    pub tokens_valid_after: DateTime<Utc>,
    pub rate_limit_per_minute: i32,
    pub scopes: Vec<Option<String>>,
}
