//! Webhooks: subscriptions of integration clients to HMS events, and the log of their
//! deliveries. Deliveries are signed (`X-HMS-Signature`) and retried with backoff.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every event type a subscription may list.
pub const EVENT_TYPES: [&str; 7] = [
    "appointment.booked",
    "appointment.cancelled",
    "appointment.status_changed",
    "shortage.opened",
    "shortage.resolved",
    "incident.opened",
    "incident.resolved",
];

/// The test event sent by `POST /api/v1/webhooks/subscriptions/{id}/ping` (to that
/// subscription only; nobody subscribes to it).
pub const PING: &str = "ping";

/// The read scope a client needs to subscribe to `event_type` (the receiver fetches details
/// with it), or `None` for an unknown type.
pub fn scope_for(event_type: &str) -> Option<&'static str> {
    match event_type.split('.').next() {
        _ if !EVENT_TYPES.contains(&event_type) => None,
        Some("appointment") => Some("appointments:read"),
        Some("shortage") => Some("inventory:read"),
        Some("incident") => Some("incidents:read"),
        _ => None,
    }
}

/// A webhook subscription: where to POST which events, for one API client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSubscription {
    pub id: Uuid,
    /// The API client the events are for.
    pub client_id: Uuid,
    /// Absolute http(s) URL the deliveries are POSTed to.
    pub url: String,
    /// Event types, e.g. `appointment.booked`.
    pub events: Vec<String>,
    pub active: bool,
    pub description: String,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The HMAC-SHA256 key of `X-HMS-Signature`: only in the answer to the creation, never again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

/// Body of `POST /api/v1/webhooks/subscriptions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhookSubscription {
    /// The client the subscription is for: required for administrators; an API client may
    /// leave it out (its own).
    #[serde(default)]
    pub client_id: Option<Uuid>,
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, example = "https://example.org/hms/webhooks")
    )]
    pub url: String,
    /// At least one event type.
    #[cfg_attr(feature = "openapi", schema(example = json!(["appointment.booked", "appointment.cancelled"])))]
    pub events: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: Option<String>,
    /// Default true.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Body of `PATCH /api/v1/webhooks/subscriptions/{id}`: the fields to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookSubscriptionPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// The version read, when `If-Match` is not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// One page of subscriptions, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSubscriptionPage {
    pub items: Vec<WebhookSubscription>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet: waiting for its first attempt or a retry.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; `resend` tries again.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// One event for one subscription, with the outcome of its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Also sent as `X-HMS-Delivery`: the same on every attempt (receivers deduplicate on it).
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub subscription_id: Uuid,
    pub client_id: Uuid,
    pub url: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// HTTP status of the last answer (none: no answer, see `last_error`).
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed, in a few words (never the receiver's body).
    pub last_error: Option<String>,
    /// How long the last attempt took, in milliseconds.
    pub response_ms: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The body sent (`{id, type, occurred_at, data}`): in the single-delivery view only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

/// One page of deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryPage {
    pub items: Vec<WebhookDelivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_needs_a_read_scope() {
        for t in EVENT_TYPES {
            assert!(scope_for(t).is_some(), "{t}");
        }
        assert_eq!(scope_for("appointment.deleted"), None);
        assert_eq!(scope_for(PING), None);
        assert_eq!(scope_for("shortage.opened"), Some("inventory:read"));
    }
}
