//! API client administration calls (`/integrations/clients`), for administrators.

use gloo_net::http::Method;
use hms_api_types::integrations::{
    ApiClient, ApiClientPage, ApiClientWithSecret, CreateApiClient, UpdateApiClient,
};
use uuid::Uuid;

use super::{Api, ApiError, Call};

impl Api {
    /// One page of API clients, after `cursor` when given.
    pub async fn list_api_clients(&self, cursor: Option<&str>) -> Result<ApiClientPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/integrations/clients");
        call.query.push(("limit", "50".to_owned()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }

    /// Registers a client; the answer holds the secret, shown once.
    pub async fn create_api_client(
        &self,
        request: &CreateApiClient,
    ) -> Result<ApiClientWithSecret, ApiError> {
        let call = Call::new(Method::POST, "/api/v1/integrations/clients").json(request)?;
        self.fetch_json(call).await
    }

    /// Changes a client, based on the `version` the person saw (412 when it is stale).
    pub async fn update_api_client(
        &self,
        id: Uuid,
        version: i32,
        change: &UpdateApiClient,
    ) -> Result<ApiClient, ApiError> {
        let path = format!("/api/v1/integrations/clients/{id}");
        let mut call = Call::new(Method::PATCH, &path).json(change)?;
        call.if_match = Some(version);
        self.fetch_json(call).await
    }

    /// Disables (`active = false`) or enables a client.
    pub async fn set_api_client_active(
        &self,
        id: Uuid,
        active: bool,
    ) -> Result<ApiClient, ApiError> {
        let verb = if active { "enable" } else { "disable" };
        let path = format!("/api/v1/integrations/clients/{id}/{verb}");
        self.fetch_json(Call::new(Method::POST, &path)).await
    }

    /// Replaces a client's secret; the answer holds the new one, shown once.
    pub async fn rotate_api_client_secret(
        &self,
        id: Uuid,
    ) -> Result<ApiClientWithSecret, ApiError> {
        let path = format!("/api/v1/integrations/clients/{id}/rotate-secret");
        self.fetch_json(Call::new(Method::POST, &path)).await
    }
}
