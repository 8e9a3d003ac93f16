//! API clients (integrations) and the OAuth 2.0 client-credentials token response.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An API client, as administrators see it. The secret never leaves the server after creation
/// or rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiClient {
    /// The OAuth `client_id`.
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Lab system"))]
    pub name: String,
    pub description: String,
    /// The service account the client acts as: rows it writes and audit events name this user.
    pub user_id: Uuid,
    /// OAuth scopes, e.g. `patients:read`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["patients:read", "records:read"])))]
    pub scopes: Vec<String>,
    /// Requests per minute per API instance; 429 beyond it.
    pub rate_limit_per_minute: i32,
    /// Disabled clients get no tokens and their tokens are refused.
    pub active: bool,
    /// Tokens issued before this instant are refused.
    pub tokens_valid_after: DateTime<Utc>,
    pub secret_rotated_at: DateTime<Utc>,
    /// When the client last obtained a token.
    pub last_token_at: Option<DateTime<Utc>>,
    /// Increases with every change; send it back as `If-Match` (or `version`) when updating.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/integrations/clients`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Lab system",
    "description": "Posts lab results",
    "scopes": ["patients:read", "records:write"],
    "rate_limit_per_minute": 600
})))]
pub struct CreateApiClient {
    /// Unique (case-insensitive).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: String,
    /// OAuth scopes the client may hold.
    pub scopes: Vec<String>,
    /// Defaults to 600.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100000))]
    pub rate_limit_per_minute: Option<i32>,
}

/// Body of `PATCH /api/v1/integrations/clients/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateApiClient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100000))]
    pub rate_limit_per_minute: Option<i32>,
    /// The version this change is based on, when the `If-Match` header is not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// A client with its secret: the answer of creation and of secret rotation. The secret is
/// shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiClientWithSecret {
    pub client: ApiClient,
    /// The OAuth `client_secret`. Store it now: it is not shown again (a replay of the same
    /// `Idempotency-Key` returns it empty, since only its hash is kept; rotate it if it was lost).
    pub client_secret: String,
}

/// One page of clients, ordered by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiClientPage {
    pub items: Vec<ApiClient>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Form body of `POST /api/v1/auth/token` (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientCredentialsRequest {
    /// Must be `client_credentials`.
    #[cfg_attr(feature = "openapi", schema(example = "client_credentials"))]
    #[serde(default)]
    pub grant_type: Option<String>,
    /// The client id, unless sent with HTTP Basic authentication.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The client secret, unless sent with HTTP Basic authentication.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Space-separated scopes to narrow the token to; all of the client's scopes when absent.
    #[serde(default)]
    pub scope: Option<String>,
}

/// An OAuth 2.0 access token for a client (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientTokenResponse {
    /// JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
    /// The token's scopes, space-separated.
    #[cfg_attr(feature = "openapi", schema(example = "patients:read records:read"))]
    pub scope: String,
}
