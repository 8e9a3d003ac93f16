//! The status page (`/status/page`, no sign-in) and incidents (`/incidents/…`): declaring,
//! the timeline, resolving, postmortems, and component overrides. Every change is sent with an
//! `Idempotency-Key` (see [`super::inventory::Attempt`]).

use gloo_net::http::Method;
use hms_api_types::incidents::{
    Component, ComponentKey, Incident, IncidentPage, NewIncident, NewIncidentUpdate, Postmortem,
    PostmortemInput, ResolveIncident, SetComponentState, StatusPage,
};
use uuid::Uuid;

use super::{Api, ApiError, Call};

const INCIDENTS_PATH: &str = "/api/v1/incidents";

impl Api {
    /// The public status page: works without a session.
    pub async fn status_page(&self) -> Result<StatusPage, ApiError> {
        self.fetch_json(Call::new(Method::GET, "/api/v1/status/page").anonymous())
            .await
    }

    /// One page of incidents, newest first (`open`: only those not resolved).
    pub async fn list_incidents(
        &self,
        open: bool,
        cursor: Option<&str>,
    ) -> Result<IncidentPage, ApiError> {
        let mut call = Call::new(Method::GET, INCIDENTS_PATH);
        if open {
            call.query.push(("open", "true".to_owned()));
        }
        call.query.push(("limit", "50".to_owned()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }

    /// One incident with its timeline and postmortem.
    pub async fn get_incident(&self, id: Uuid) -> Result<Incident, ApiError> {
        let path = format!("{INCIDENTS_PATH}/{id}");
        self.fetch_json(Call::new(Method::GET, &path)).await
    }

    /// Declares an incident.
    pub async fn declare_incident(
        &self,
        request: &NewIncident,
        key: String,
    ) -> Result<Incident, ApiError> {
        let mut call = Call::new(Method::POST, INCIDENTS_PATH).json(request)?;
        call.idempotency_key = Some(key);
        self.fetch_json(call).await
    }

    /// Posts a timeline update, based on the `version` the person saw (412 when stale).
    pub async fn post_incident_update(
        &self,
        id: Uuid,
        version: i32,
        request: &NewIncidentUpdate,
        key: String,
    ) -> Result<Incident, ApiError> {
        let path = format!("{INCIDENTS_PATH}/{id}/updates");
        let mut call = Call::new(Method::POST, &path).json(request)?;
        call.if_match = Some(version);
        call.idempotency_key = Some(key);
        self.fetch_json(call).await
    }

    /// Resolves an incident, based on the `version` the person saw (412 when stale).
    pub async fn resolve_incident(
        &self,
        id: Uuid,
        version: i32,
        request: &ResolveIncident,
        key: String,
    ) -> Result<Incident, ApiError> {
        let path = format!("{INCIDENTS_PATH}/{id}/resolve");
        let mut call = Call::new(Method::POST, &path).json(request)?;
        call.if_match = Some(version);
        call.idempotency_key = Some(key);
        self.fetch_json(call).await
    }

    /// Writes the postmortem: `version` is the postmortem's when one exists (412 when stale).
    pub async fn put_postmortem(
        &self,
        id: Uuid,
        version: Option<i32>,
        request: &PostmortemInput,
        key: String,
    ) -> Result<Postmortem, ApiError> {
        let path = format!("{INCIDENTS_PATH}/{id}/postmortem");
        let mut call = Call::new(Method::PUT, &path).json(request)?;
        call.if_match = version;
        call.idempotency_key = Some(key);
        self.fetch_json(call).await
    }

    /// Overrides a component's state.
    pub async fn set_component_state(
        &self,
        component: ComponentKey,
        request: &SetComponentState,
        key: String,
    ) -> Result<Component, ApiError> {
        let path = format!("/api/v1/status/components/{}", component.as_str());
        let mut call = Call::new(Method::PUT, &path).json(request)?;
        call.idempotency_key = Some(key);
        self.fetch_json(call).await
    }

    /// Removes a component's override.
    pub async fn clear_component_override(
        &self,
        component: ComponentKey,
        key: String,
    ) -> Result<Component, ApiError> {
        let path = format!("/api/v1/status/components/{}/override", component.as_str());
        let mut call = Call::new(Method::DELETE, &path);
        call.idempotency_key = Some(key);
        self.fetch_json(call).await
    }
}
