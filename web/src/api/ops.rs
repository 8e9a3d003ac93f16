//! How the system is working (`/status`), the signed-in person's kept requests
//! (`/me/pending-writes`), and what every answer says about the database.
//!
//! While the primary database is unreachable the API answers writes at once with 503 (nothing
//! was saved), marks every answer `X-HMS-Read-Only: true`, and keeps shortage reports and
//! appointment cancellations, answering them 202 with a [`PendingWrite`]. [`Api::watch`] hands
//! those hints to the status monitor (`components::degraded`) so the banner changes at once.

use chrono::{DateTime, Utc};
use gloo_net::http::{Method, Response};
use hms_api_types::ops::{PendingWrite, SystemStatus};
use serde::de::DeserializeOwned;
use yew::Callback;

use super::{read_json, Api, ApiError, Call};

/// Shown when a request was kept for later instead of saved (a 202 answer).
pub const KEPT_MESSAGE: &str = "Kept — it will be saved when the database is back.";

/// What an answer said about the database.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// `X-HMS-Read-Only: true`, with `X-HMS-Data-As-Of` when the API knows it.
    ReadOnly(Option<DateTime<Utc>>),
    /// A 503: the database (or the journal) could not be reached.
    Unavailable,
    /// A 202: a request was kept, to be written when the database is back.
    Kept,
}

/// The outcome of a request the API keeps when the database is unreachable.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved<T> {
    /// Written: the usual answer.
    Done(T),
    /// Kept on the API server (202), to be written exactly once when the database is back.
    Kept(Box<PendingWrite>),
}

/// The path of the status endpoint.
const STATUS_PATH: &str = "/api/v1/status";

impl Api {
    /// Sends every [`Signal`] the answers carry to `watcher` (`None` stops).
    pub fn watch(&self, watcher: Option<Callback<Signal>>) {
        *self.inner.watcher.borrow_mut() = watcher;
    }

    /// Looks at an answer's status and headers before anyone reads it.
    pub(super) fn observe(&self, response: &Response) {
        let Some(watcher) = self.inner.watcher.borrow().clone() else {
            return;
        };
        let headers = response.headers();
        if headers
            .get("x-hms-read-only")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        {
            let as_of = headers
                .get("x-hms-data-as-of")
                .and_then(|v| DateTime::parse_from_rfc3339(v.trim()).ok())
                .map(|t| t.with_timezone(&Utc));
            watcher.emit(Signal::ReadOnly(as_of));
        }
        match response.status() {
            503 => watcher.emit(Signal::Unavailable),
            202 => watcher.emit(Signal::Kept),
            _ => {}
        }
    }

    /// The system's mode (no sign-in needed).
    pub async fn system_status(&self) -> Result<SystemStatus, ApiError> {
        self.fetch_json(Call::new(Method::GET, STATUS_PATH).anonymous())
            .await
    }

    /// The signed-in person's requests kept while the database was unreachable, newest first.
    pub async fn pending_writes(&self) -> Result<Vec<PendingWrite>, ApiError> {
        self.fetch_json(Call::new(Method::GET, "/api/v1/me/pending-writes"))
            .await
    }

    /// Sends `call`; a 202 answer is a kept request, anything else 2xx the written `T`.
    pub(super) async fn fetch_saved<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<Saved<T>, ApiError> {
        let response = self.send(call).await?;
        if response.status() == 202 {
            read_json::<PendingWrite>(response)
                .await
                .map(|p| Saved::Kept(Box::new(p)))
        } else {
            read_json::<T>(response).await.map(Saved::Done)
        }
    }
}
