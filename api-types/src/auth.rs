//! Sign-in, token refresh and sign-out bodies.

use serde::{Deserialize, Serialize};

use crate::users::User;

/// Credentials for `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"email": "admin@demo.hms", "password": "hms-demo-password"})))]
pub struct LoginRequest {
    /// The account's email address (case does not matter).
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 1024, format = Password))]
    pub password: String,
}

/// A refresh token to exchange (`/auth/refresh`) or revoke (`/auth/logout`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    #[cfg_attr(feature = "openapi", schema(max_length = 512))]
    pub refresh_token: String,
}

/// A new session: a short-lived access token and a single-use refresh token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
    /// Opaque token for `POST /api/v1/auth/refresh`. Each one works once: the response carries
    /// its replacement, and presenting a used one again revokes the whole session.
    ///
    /// While the database is read-only (its primary unreachable) nothing can be written: a
    /// sign-in then returns an empty `refresh_token` (sign in again when the access token
    /// expires) and a refresh returns the same refresh token it was given.
    pub refresh_token: String,
    /// Seconds until `refresh_token` expires (0 when there is none).
    pub refresh_expires_in: i64,
    /// The signed-in account.
    pub user: User,
}
