//! Account administration calls (`/users`), for roles that may manage users.

use gloo_net::http::Method;
use hms_api_types::users::{CreateUser, UpdateUser, User, UserPage};
use hms_api_types::Role;
use uuid::Uuid;

use super::{Api, ApiError, Call};

/// Filters of the user list, as the person set them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFilter {
    /// Matches email or display name; empty for no filter.
    pub q: String,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// How many users one "page" of the table holds.
const PAGE_SIZE: i64 = 25;

impl Api {
    /// One page of users matching `filter`, after `cursor` when given.
    pub async fn list_users(
        &self,
        filter: &UserFilter,
        cursor: Option<&str>,
    ) -> Result<UserPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/users");
        let q = filter.q.trim();
        if !q.is_empty() {
            call.query.push(("q", q.to_owned()));
        }
        if let Some(role) = filter.role {
            call.query.push(("role", role.as_str().to_owned()));
        }
        if let Some(active) = filter.active {
            call.query.push(("active", active.to_string()));
        }
        call.query.push(("limit", PAGE_SIZE.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }

    /// Creates an account.
    pub async fn create_user(&self, request: &CreateUser) -> Result<User, ApiError> {
        let call = Call::new(Method::POST, "/api/v1/users").json(request)?;
        self.fetch_json(call).await
    }

    /// Changes an account, based on the `version` the person saw (412 when it is stale).
    pub async fn update_user(
        &self,
        id: Uuid,
        version: i32,
        change: &UpdateUser,
    ) -> Result<User, ApiError> {
        let path = format!("/api/v1/users/{id}");
        let mut call = Call::new(Method::PATCH, &path).json(change)?;
        call.if_match = Some(version);
        self.fetch_json(call).await
    }
}
