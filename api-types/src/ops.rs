//! Health and operational views.

use serde::{Deserialize, Serialize};

/// Answer of `/health/live` and `/health/ready`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "ready",
    "checks": [{"name": "database", "status": "up", "latency_ms": 1.4}]
})))]
pub struct Health {
    /// `live`, `ready` or `unavailable`.
    pub status: String,
    /// What was checked; empty for liveness.
    pub checks: Vec<HealthCheck>,
}

/// The result of one dependency check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthCheck {
    /// What was checked, e.g. `database`.
    pub name: String,
    /// `up` or `down`.
    pub status: String,
    /// How long the check took.
    pub latency_ms: f64,
    /// Why a check failed, without internals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
