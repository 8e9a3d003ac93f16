//! User accounts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Role;

/// A user account, as staff and admins see it. Password hashes never leave the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    /// Lower-cased email address; unique.
    #[cfg_attr(feature = "openapi", schema(example = "nurse@demo.hms"))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(example = "Nia Okafor"))]
    pub display_name: String,
    pub role: Role,
    /// Inactive accounts cannot sign in and their sessions are revoked.
    pub active: bool,
    /// Increases with every change; send it back as `If-Match` (or `version`) when updating.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// For patient accounts: the patient record this account reads.
    pub patient_id: Option<Uuid>,
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "j.mensah@hospital.example",
    "display_name": "Dr Joseph Mensah",
    "role": "doctor",
    "password": "correct horse battery staple"
})))]
pub struct CreateUser {
    /// Unique; stored lower-cased.
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email))]
    pub email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub display_name: String,
    pub role: Role,
    /// At least 12 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 1024, format = Password))]
    pub password: String,
    /// Required for `patient` accounts: the patient record the account may read. Not allowed
    /// for other roles.
    #[serde(default)]
    pub patient_id: Option<Uuid>,
}

/// Body of `PATCH /api/v1/users/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// `false` deactivates the account and revokes its sessions; `true` reactivates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Sets a new password (at least 12 characters) and revokes the account's sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 1024, format = Password))]
    pub password: Option<String>,
    /// The version this change is based on, when the `If-Match` header is not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// Body of `POST /api/v1/me/password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePassword {
    #[cfg_attr(feature = "openapi", schema(max_length = 1024, format = Password))]
    pub current_password: String,
    /// At least 12 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 1024, format = Password))]
    pub new_password: String,
}

/// One page of users, ordered by email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    pub items: Vec<User>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
