//! RFC 9457 (formerly RFC 7807) problem details: the body of every error response.

use serde::{Deserialize, Serialize};

/// An `application/problem+json` body. Every 4xx and 5xx response of the API has this shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "/problems/validation",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "the request has invalid fields",
    "errors": [{"field": "email", "message": "must be an email address"}]
})))]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `/problems/conflict`. Clients branch on
    /// this, never on `title` or `detail`. The catalogue is in `docs/api-conventions.md`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem (the HTTP reason phrase).
    pub title: String,
    /// The HTTP status code, repeated for convenience.
    pub status: u16,
    /// Explanation of this occurrence, meant for people. Never contains internals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-field messages, present for validation failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Existing patients who may be the one being registered; present for
    /// `/problems/possible-duplicate`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<crate::patients::DuplicateCandidate>,
    /// The OAuth 2.0 error code (RFC 6749 §5.2: `invalid_client`, `invalid_request`,
    /// `invalid_scope`, `unsupported_grant_type`), present on errors of `POST /api/v1/auth/token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Problem {
    /// The message to show a person: the detail when there is one, else the title.
    pub fn message(&self) -> &str {
        self.detail.as_deref().unwrap_or(&self.title)
    }

    /// The message for one field, if the server reported one.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.as_str())
    }
}

/// A validation message about one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's name as it appears in the request body or query (`email`, `limit`).
    pub field: String,
    /// What is wrong with it, for people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}
