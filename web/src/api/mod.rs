//! The HTTP client of the SPA: the only module that talks to the API.
//!
//! Every non-2xx answer is decoded as a [`Problem`]. Authenticated calls carry the in-memory
//! access token; a 401 triggers one token refresh (shared by every request waiting on it, since
//! each refresh token works once) and one retry. When the refresh fails the session is ended and
//! the router sends the person to the login page.

pub mod appointments;
pub mod auth;
pub mod incidents;
pub mod integrations;
pub mod inventory;
pub mod operations;
pub mod ops;
pub mod patients;
pub mod records;
pub mod users;
pub mod webhooks;

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::{Method, RequestBuilder, Response};
use hms_api_types::auth::{RefreshRequest, TokenResponse};
use hms_api_types::patients::DuplicateCandidate;
use hms_api_types::users::User;
use hms_api_types::{FieldError, Problem};
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::platform::pinned::oneshot;
use yew::{AttrValue, Callback};

use crate::session::{self, SessionEvent};

/// Shown for anything that never reached the server or never came back.
pub const NETWORK_MESSAGE: &str =
    "Cannot reach the server. Check your connection; nothing was saved.";

/// Shown on the login page when a session could not be renewed.
const SESSION_ENDED: &str = "Your session has ended. Sign in again to continue.";

/// Shown when a change was refused because the database cannot be reached (503): what the
/// person entered is still in the form, and sending it again is safe.
pub const SAVING_PAUSED: &str = "Saving is paused — nothing was saved. What you entered is \
     still here: try again in a moment.";

/// Shown when something could not be loaded because the database cannot be reached (503).
pub const LOADING_PAUSED: &str =
    "This cannot be loaded right now: the database cannot be reached. Try again in a moment.";

/// Shown when signing in (or renewing a session) fails because the database cannot be reached.
pub const SIGN_IN_PAUSED: &str = "Signing in is not possible right now: the database cannot be \
     reached. Try again in a moment.";

/// The problem `type` of a 503 answer.
const DATABASE_UNAVAILABLE: &str = "/problems/database-unavailable";

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request did not reach the server, or no answer came back.
    Network,
    /// The server answered with an error (or with something this app could not read). Boxed:
    /// a problem is large and travels in every `Result` of this module.
    Problem(Box<Problem>),
}

impl ApiError {
    /// The sentence to show a person.
    pub fn message(&self) -> &str {
        match self {
            ApiError::Network => NETWORK_MESSAGE,
            ApiError::Problem(problem) => problem.message(),
        }
    }

    /// The server's message about one request field, if it sent one.
    pub fn field(&self, name: &str) -> Option<AttrValue> {
        match self {
            ApiError::Network => None,
            ApiError::Problem(problem) => {
                problem.field(name).map(|m| AttrValue::from(m.to_owned()))
            }
        }
    }

    /// The HTTP status of a problem (`None` for network errors).
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Network => None,
            ApiError::Problem(problem) => Some(problem.status),
        }
    }

    /// The problem's `type`, e.g. `/problems/possible-duplicate` (`None` for network errors).
    pub fn kind(&self) -> Option<&str> {
        match self {
            ApiError::Network => None,
            ApiError::Problem(problem) => Some(problem.kind.as_str()),
        }
    }

    /// The existing patients a registration may duplicate (empty for any other error).
    pub fn candidates(&self) -> &[DuplicateCandidate] {
        match self {
            ApiError::Network => &[],
            ApiError::Problem(problem) => &problem.candidates,
        }
    }

    /// A change refused because the database cannot be reached: nothing was saved, the form
    /// keeps its values, and the same request (with the same `Idempotency-Key`) may be sent again.
    pub fn saving_paused(&self) -> bool {
        self.status() == Some(503) && self.message() == SAVING_PAUSED
    }

    /// A validation problem found before sending anything.
    pub fn invalid(field: &str, message: &str) -> Self {
        ApiError::Problem(Box::new(Problem {
            kind: "/problems/validation".to_owned(),
            title: "Unprocessable Entity".to_owned(),
            status: 422,
            detail: Some("Check the highlighted fields.".to_owned()),
            errors: vec![FieldError::new(field, message)],
            candidates: Vec::new(),
            error: None,
        }))
    }

    /// The same error with the person-facing sentence replaced by `detail`.
    pub fn with_detail(self, detail: &str) -> Self {
        match self {
            ApiError::Network => ApiError::Network,
            ApiError::Problem(problem) => ApiError::Problem(Box::new(Problem {
                detail: Some(detail.to_owned()),
                ..*problem
            })),
        }
    }

    /// A problem made up by the client, for answers that are not a readable problem body.
    fn local(status: u16, title: &str, detail: Option<String>) -> Self {
        ApiError::Problem(Box::new(Problem {
            kind: "about:blank".to_owned(),
            title: title.to_owned(),
            status,
            detail,
            errors: Vec::new(),
            candidates: Vec::new(),
            error: None,
        }))
    }
}

/// One request, kept so that it can be sent again after a token refresh.
struct Call<'a> {
    method: Method,
    path: &'a str,
    query: Vec<(&'static str, String)>,
    body: Option<String>,
    if_match: Option<i32>,
    /// The `Idempotency-Key` header: the same key on a retry makes the server answer it once.
    idempotency_key: Option<String>,
    authenticated: bool,
}

impl<'a> Call<'a> {
    fn new(method: Method, path: &'a str) -> Self {
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
            if_match: None,
            idempotency_key: None,
            authenticated: true,
        }
    }

    fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, ApiError> {
        let text = serde_json::to_string(body)
            .map_err(|_| ApiError::local(0, "The request could not be prepared", None))?;
        self.body = Some(text);
        Ok(self)
    }

    fn anonymous(mut self) -> Self {
        self.authenticated = false;
        self
    }
}

type RefreshResult = Result<(String, User), ApiError>;

struct Inner {
    /// The access token, in memory only.
    access_token: RefCell<Option<String>>,
    /// `Some` while a refresh is in flight: the callers waiting for its outcome.
    refresh_waiters: RefCell<Option<Vec<oneshot::Sender<RefreshResult>>>>,
    /// Tells the session provider about sign-ins, renewed users and sign-outs.
    events: Callback<SessionEvent>,
    /// Told what answers say about the database (see [`Api::watch`]).
    watcher: RefCell<Option<Callback<ops::Signal>>>,
}

/// A handle on the API for one browser tab; cheap to clone, shared through the session context.
#[derive(Clone)]
pub struct Api {
    inner: Rc<Inner>,
}

impl PartialEq for Api {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Api {
    /// A client that reports session changes to `events`.
    pub fn new(events: Callback<SessionEvent>) -> Self {
        Api {
            inner: Rc::new(Inner {
                access_token: RefCell::new(None),
                refresh_waiters: RefCell::new(None),
                events,
                watcher: RefCell::new(None),
            }),
        }
    }

    fn access_token(&self) -> Option<String> {
        self.inner.access_token.borrow().clone()
    }

    /// Keeps a new session: access token in memory, refresh token in local storage.
    fn keep_tokens(&self, tokens: &TokenResponse) {
        *self.inner.access_token.borrow_mut() = Some(tokens.access_token.clone());
        // A sign-in while the database is read-only comes without a refresh token.
        if tokens.refresh_token.is_empty() {
            session::clear_refresh_token();
        } else {
            session::store_refresh_token(&tokens.refresh_token);
        }
    }

    /// Forgets every token and tells the app the person is signed out.
    pub fn end_session(&self, notice: Option<&'static str>) {
        *self.inner.access_token.borrow_mut() = None;
        session::clear_refresh_token();
        self.inner.events.emit(SessionEvent::SignedOut(notice));
    }

    fn signed_in(&self, tokens: TokenResponse) {
        self.keep_tokens(&tokens);
        self.inner.events.emit(SessionEvent::SignedIn(tokens.user));
    }

    fn user_changed(&self, user: User) {
        self.inner.events.emit(SessionEvent::UserChanged(user));
    }

    /// Restores the session from the stored refresh token, at start-up.
    pub async fn restore(&self) {
        if session::stored_refresh_token().is_none() {
            self.inner.events.emit(SessionEvent::SignedOut(None));
            return;
        }
        match self.refresh().await {
            Ok((_, user)) => self.inner.events.emit(SessionEvent::SignedIn(user)),
            // The refresh token may still be good: keep it and let the person retry.
            Err(ApiError::Network) => self
                .inner
                .events
                .emit(SessionEvent::SignedOut(Some(NETWORK_MESSAGE))),
            // The database cannot be reached: the refresh token was not used, keep it.
            Err(error) if error.status() == Some(503) => self
                .inner
                .events
                .emit(SessionEvent::SignedOut(Some(SIGN_IN_PAUSED))),
            Err(ApiError::Problem(_)) => self.end_session(None),
        }
    }

    /// Exchanges the stored refresh token for a new pair, once even when many requests ask at
    /// the same time (presenting a used refresh token again would revoke the whole session).
    async fn refresh(&self) -> RefreshResult {
        let waiting = {
            let mut waiters = self.inner.refresh_waiters.borrow_mut();
            match waiters.as_mut() {
                Some(list) => {
                    let (sender, receiver) = oneshot::channel();
                    list.push(sender);
                    Some(receiver)
                }
                None => {
                    *waiters = Some(Vec::new());
                    None
                }
            }
        };
        if let Some(receiver) = waiting {
            return receiver.await.unwrap_or(Err(ApiError::Network));
        }

        let result = self.exchange_refresh_token().await;
        let waiters = self.inner.refresh_waiters.borrow_mut().take();
        for sender in waiters.into_iter().flatten() {
            // A waiter that went away does not need the answer.
            let _ = sender.send(result.clone());
        }
        result
    }

    async fn exchange_refresh_token(&self) -> RefreshResult {
        let Some(refresh_token) = session::stored_refresh_token() else {
            return Err(ApiError::local(401, "Unauthorized", None));
        };
        let call = Call::new(Method::POST, "/api/v1/auth/refresh")
            .anonymous()
            .json(&RefreshRequest { refresh_token })?;
        let response = self.send_once(&call, None).await?;
        let tokens: TokenResponse = read_json(check(response).await?).await?;
        self.keep_tokens(&tokens);
        Ok((tokens.access_token, tokens.user))
    }

    /// Sends `call` once with `token`, mapping transport failures to [`ApiError::Network`].
    async fn send_once(&self, call: &Call<'_>, token: Option<&str>) -> Result<Response, ApiError> {
        let mut builder = RequestBuilder::new(call.path)
            .method(call.method.clone())
            .header("Accept", "application/json, application/problem+json");
        if !call.query.is_empty() {
            builder = builder.query(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        if let Some(token) = token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        if let Some(version) = call.if_match {
            builder = builder.header("If-Match", &format!("\"{version}\""));
        }
        if let Some(key) = &call.idempotency_key {
            builder = builder.header("Idempotency-Key", key);
        }
        let request = match &call.body {
            Some(body) => builder
                .header("Content-Type", "application/json")
                .body(body.as_str()),
            None => builder.build(),
        }
        .map_err(|_| ApiError::local(0, "The request could not be prepared", None))?;
        let response = request.send().await.map_err(|_| ApiError::Network)?;
        self.observe(&response);
        Ok(response)
    }

    /// Sends `call`; on 401 refreshes the session once and retries once. Non-2xx answers become
    /// [`ApiError::Problem`]; a 503 says in plain words what it means for this request.
    async fn send(&self, call: Call<'_>) -> Result<Response, ApiError> {
        let detail = if call.path.starts_with("/api/v1/auth/") {
            SIGN_IN_PAUSED
        } else if call.method == Method::GET {
            LOADING_PAUSED
        } else {
            SAVING_PAUSED
        };
        self.send_checked(call).await.map_err(|error| {
            if error.status() == Some(503) && error.kind() == Some(DATABASE_UNAVAILABLE) {
                error.with_detail(detail)
            } else {
                error
            }
        })
    }

    async fn send_checked(&self, call: Call<'_>) -> Result<Response, ApiError> {
        if !call.authenticated {
            return check(self.send_once(&call, None).await?).await;
        }
        let used = self.access_token();
        let response = self.send_once(&call, used.as_deref()).await?;
        if response.status() != 401 {
            return check(response).await;
        }

        // Another request may already have renewed the token while this one was in flight.
        let current = self.access_token();
        let token = match current {
            Some(token) if current != used => token,
            _ => match self.refresh().await {
                Ok((token, user)) => {
                    self.user_changed(user);
                    token
                }
                Err(ApiError::Network) => return Err(ApiError::Network),
                // The database cannot be reached: the session is not over, only paused.
                Err(problem) if problem.status() == Some(503) => return Err(problem),
                Err(problem) => {
                    self.end_session(Some(SESSION_ENDED));
                    return Err(problem);
                }
            },
        };
        let retried = self.send_once(&call, Some(&token)).await?;
        if retried.status() == 401 {
            let problem = check(retried).await.err();
            self.end_session(Some(SESSION_ENDED));
            return Err(problem.unwrap_or(ApiError::local(401, "Unauthorized", None)));
        }
        check(retried).await
    }

    async fn fetch_json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ApiError> {
        read_json(self.send(call).await?).await
    }

    /// Like [`Api::fetch_json`], but a 2xx answer without a readable `T` body is `None`.
    async fn fetch_optional<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<Option<T>, ApiError> {
        Ok(self.send(call).await?.json::<T>().await.ok())
    }

    async fn fetch_empty(&self, call: Call<'_>) -> Result<(), ApiError> {
        self.send(call).await.map(|_| ())
    }
}

/// Passes 2xx answers through and turns anything else into a problem.
async fn check(response: Response) -> Result<Response, ApiError> {
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    match response.json::<Problem>().await {
        Ok(problem) => Err(ApiError::Problem(Box::new(problem))),
        Err(_) => {
            let reason = response.status_text();
            let title = if reason.is_empty() {
                "Request failed"
            } else {
                reason.as_str()
            };
            Err(ApiError::local(
                status,
                title,
                Some(format!("The server answered with status {status}.")),
            ))
        }
    }
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    response.json::<T>().await.map_err(|_| {
        ApiError::local(
            status,
            "Unexpected answer",
            Some("The server's answer could not be read.".to_owned()),
        )
    })
}
