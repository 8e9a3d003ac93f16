//! Webhook subscriptions and their delivery log (`/webhooks`), for administrators.

use gloo_net::http::Method;
use hms_api_types::webhooks::{
    NewWebhookSubscription, WebhookDelivery, WebhookDeliveryPage, WebhookSubscription,
    WebhookSubscriptionPage, WebhookSubscriptionPatch,
};
use uuid::Uuid;

use super::{Api, ApiError, Call};

/// Rows per page on the Webhooks page.
const PAGE_SIZE: i64 = 50;

impl Api {
    /// Every client's subscriptions, newest first (the first page).
    pub async fn list_webhook_subscriptions(&self) -> Result<WebhookSubscriptionPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/webhooks/subscriptions");
        call.query.push(("limit", PAGE_SIZE.to_string()));
        self.fetch_json(call).await
    }

    /// Subscribes a client; the answer carries the signing secret (this once).
    pub async fn create_webhook_subscription(
        &self,
        request: &NewWebhookSubscription,
    ) -> Result<WebhookSubscription, ApiError> {
        let call = Call::new(Method::POST, "/api/v1/webhooks/subscriptions").json(request)?;
        self.fetch_json(call).await
    }

    /// Changes a subscription based on the `version` shown.
    pub async fn update_webhook_subscription(
        &self,
        id: Uuid,
        version: i32,
        change: &WebhookSubscriptionPatch,
    ) -> Result<WebhookSubscription, ApiError> {
        let path = format!("/api/v1/webhooks/subscriptions/{id}");
        let mut call = Call::new(Method::PATCH, &path).json(change)?;
        call.if_match = Some(version);
        self.fetch_json(call).await
    }

    /// Sends a test event to a subscription.
    pub async fn ping_webhook_subscription(&self, id: Uuid) -> Result<WebhookDelivery, ApiError> {
        let path = format!("/api/v1/webhooks/subscriptions/{id}/ping");
        self.fetch_json(Call::new(Method::POST, &path)).await
    }

    /// The delivery log, newest first (the first page), optionally of one status.
    pub async fn list_webhook_deliveries(
        &self,
        status: Option<&str>,
    ) -> Result<WebhookDeliveryPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/webhooks/deliveries");
        call.query.push(("limit", PAGE_SIZE.to_string()));
        if let Some(status) = status {
            call.query.push(("status", status.to_owned()));
        }
        self.fetch_json(call).await
    }

    /// Makes a delivery due now.
    pub async fn resend_webhook_delivery(&self, id: Uuid) -> Result<WebhookDelivery, ApiError> {
        let path = format!("/api/v1/webhooks/deliveries/{id}/resend");
        self.fetch_json(Call::new(Method::POST, &path)).await
    }
}
