//! The system's mode and the signed-in person's kept requests, for every page.
//!
//! [`StatusProvider`] polls `GET /api/v1/status` every [`POLL_EVERY`], and at once when an
//! answer says the database is in trouble (a 503, or `X-HMS-Read-Only: true`, which also flips
//! the banner to read-only before the poll returns). It loads the signed-in person's kept
//! requests (`GET /api/v1/me/pending-writes`) at sign-in and after every 202, and polls them
//! while any is still pending.
//!
//! Element ids:
//! - `#degraded-banner[data-mode="read_only"|"unavailable"]` (role status), only while the mode
//!   is not normal
//! - the nav's `#nav-pending` and the `/pending` page use [`use_ops`]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hms_api_types::ops::{Mode, PendingStatus, PendingWrite, SystemStatus};
use uuid::Uuid;
use yew::prelude::*;

use crate::api::ops::Signal;
use crate::api::{Api, ApiError};
use crate::display;
use crate::session::use_session;

/// How often the status (and pending requests, while any) are polled.
pub const POLL_EVERY: Duration = Duration::from_secs(5);

/// What the app knows about the system and about the signed-in person's kept requests.
#[derive(Debug, Clone, PartialEq)]
pub struct OpsState {
    pub mode: Mode,
    /// In read-only mode: how fresh the data on screen is.
    pub data_as_of: Option<DateTime<Utc>>,
    /// The signed-in person's kept requests (`None` until loaded).
    pub pending: Option<Rc<Vec<PendingWrite>>>,
    /// Why the last load of the kept requests failed.
    pub pending_error: Option<ApiError>,
    /// Whose kept requests these are.
    owner: Option<Uuid>,
}

impl Default for OpsState {
    fn default() -> Self {
        OpsState {
            mode: Mode::Normal,
            data_as_of: None,
            pending: None,
            pending_error: None,
            owner: None,
        }
    }
}

impl OpsState {
    /// How many kept requests still wait for the database.
    pub fn pending_count(&self) -> usize {
        self.pending.as_deref().map_or(0, |list| {
            list.iter()
                .filter(|p| p.status == PendingStatus::Pending)
                .count()
        })
    }
}

pub enum OpsAction {
    Status(SystemStatus),
    /// An answer carried `X-HMS-Read-Only: true`.
    ReadOnlyHint(Option<DateTime<Utc>>),
    Pending(Uuid, Result<Vec<PendingWrite>, ApiError>),
    /// Someone else (or nobody) is signed in now.
    Owner(Option<Uuid>),
}

impl Reducible for OpsState {
    type Action = OpsAction;

    fn reduce(self: Rc<Self>, action: OpsAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            OpsAction::Status(status) => {
                next.mode = status.mode;
                next.data_as_of = match status.mode {
                    Mode::ReadOnly => status.data_as_of.or(self.data_as_of),
                    _ => None,
                };
            }
            OpsAction::ReadOnlyHint(as_of) => match self.mode {
                Mode::Normal => {
                    next.mode = Mode::ReadOnly;
                    next.data_as_of = as_of;
                }
                Mode::ReadOnly if as_of.is_some() => next.data_as_of = as_of,
                _ => {}
            },
            OpsAction::Pending(owner, result) => {
                if self.owner != Some(owner) {
                    return self;
                }
                match result {
                    Ok(list) => {
                        if self.pending.as_deref() != Some(&list) {
                            next.pending = Some(Rc::new(list));
                        }
                        next.pending_error = None;
                    }
                    Err(error) => next.pending_error = Some(error),
                }
            }
            OpsAction::Owner(owner) => {
                if self.owner != owner {
                    next.owner = owner;
                    next.pending = None;
                    next.pending_error = None;
                }
            }
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// The context value: the state, and a way to reload the kept requests now.
#[derive(Clone, PartialEq)]
pub struct Ops {
    state: UseReducerHandle<OpsState>,
    refresh: Callback<()>,
}

impl Ops {
    pub fn state(&self) -> &OpsState {
        &self.state
    }

    /// Reloads the signed-in person's kept requests.
    pub fn refresh_pending(&self) {
        self.refresh.emit(());
    }
}

/// The system's mode and the kept requests. Must be used below [`StatusProvider`].
#[hook]
pub fn use_ops() -> Ops {
    use_context::<Ops>().expect("StatusProvider wraps the layout")
}

/// The polling loop and the reactions to answers, outside the render cycle.
struct Monitor {
    api: Api,
    dispatch: UseReducerDispatcher<OpsState>,
    /// The mode as last known (the reducer's copy is for rendering).
    mode: Cell<Mode>,
    status_in_flight: Cell<bool>,
    owner: Cell<Option<Uuid>>,
    pending_in_flight: Cell<bool>,
    /// A reload was asked for while one was running: run another when it ends.
    pending_again: Cell<bool>,
    /// Some kept request still waits: poll them.
    any_pending: Cell<bool>,
}

impl Monitor {
    fn poll_status(self: &Rc<Self>) {
        if self.status_in_flight.replace(true) {
            return;
        }
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = this.api.system_status().await;
            this.status_in_flight.set(false);
            if let Ok(status) = result {
                this.mode.set(status.mode);
                this.dispatch.dispatch(OpsAction::Status(status));
            }
        });
    }

    fn poll_pending(self: &Rc<Self>) {
        let Some(owner) = self.owner.get() else {
            return;
        };
        if self.pending_in_flight.replace(true) {
            self.pending_again.set(true);
            return;
        }
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = this.api.pending_writes().await;
            this.pending_in_flight.set(false);
            if let Ok(list) = &result {
                this.any_pending
                    .set(list.iter().any(|p| p.status == PendingStatus::Pending));
            }
            this.dispatch.dispatch(OpsAction::Pending(owner, result));
            if this.pending_again.replace(false) {
                this.poll_pending();
            }
        });
    }

    fn signal(self: &Rc<Self>, signal: Signal) {
        match signal {
            Signal::ReadOnly(as_of) => {
                if self.mode.get() == Mode::Normal {
                    self.mode.set(Mode::ReadOnly);
                    self.dispatch.dispatch(OpsAction::ReadOnlyHint(as_of));
                    self.poll_status();
                }
            }
            Signal::Unavailable => {
                if self.mode.get() == Mode::Normal {
                    self.poll_status();
                }
            }
            Signal::Kept => {
                self.any_pending.set(true);
                self.poll_pending();
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct StatusProviderProps {
    pub children: Html,
}

/// Provides [`Ops`]; must be inside the session provider.
#[component]
pub fn StatusProvider(props: &StatusProviderProps) -> Html {
    let session = use_session();
    let state = use_reducer(OpsState::default);
    let monitor = {
        let (api, dispatch) = (session.api().clone(), state.dispatcher());
        use_memo((), move |_| Monitor {
            api,
            dispatch,
            mode: Cell::new(Mode::Normal),
            status_in_flight: Cell::new(false),
            owner: Cell::new(None),
            pending_in_flight: Cell::new(false),
            pending_again: Cell::new(false),
            any_pending: Cell::new(false),
        })
    };

    {
        let monitor = monitor.clone();
        use_effect_with((), move |_| {
            let alive = Rc::new(Cell::new(true));
            let watcher = {
                let monitor = monitor.clone();
                Callback::from(move |signal| monitor.signal(signal))
            };
            monitor.api.watch(Some(watcher));
            monitor.poll_status();
            {
                let (monitor, alive) = (monitor.clone(), alive.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    loop {
                        gloo_timers::future::sleep(POLL_EVERY).await;
                        if !alive.get() {
                            break;
                        }
                        monitor.poll_status();
                        if monitor.any_pending.get() {
                            monitor.poll_pending();
                        }
                    }
                });
            }
            move || {
                alive.set(false);
                monitor.api.watch(None);
            }
        });
    }

    let owner = session.user().map(|u| u.id);
    {
        let monitor = monitor.clone();
        use_effect_with(owner, move |owner| {
            monitor.owner.set(*owner);
            monitor.any_pending.set(false);
            monitor.dispatch.dispatch(OpsAction::Owner(*owner));
            if owner.is_some() {
                monitor.poll_pending();
            }
        });
    }

    let refresh = {
        let monitor = monitor.clone();
        Callback::from(move |()| monitor.poll_pending())
    };
    let ops = Ops { state, refresh };
    html! {
        <ContextProvider<Ops> context={ops}>
            { props.children.clone() }
        </ContextProvider<Ops>>
    }
}

/// The banner sentence for `state`, with its `data-mode` (`None` in normal mode).
pub fn banner_text(state: &OpsState) -> Option<(&'static str, String)> {
    match state.mode {
        Mode::Normal => None,
        Mode::ReadOnly => {
            let as_of = state.data_as_of.map(|t| {
                if display::local_date(t) == display::today() {
                    display::local_clock(t)
                } else {
                    format!(
                        "{} {}",
                        display::short_day(display::local_date(t)),
                        display::local_clock(t)
                    )
                }
            });
            let text = match as_of {
                Some(at) => format!(
                    "Read-only: showing data as of {at}; saving is paused. Your changes are kept \
                     in the form — try again in a moment."
                ),
                None => "Read-only: saving is paused. Your changes are kept in the form — try \
                         again in a moment."
                    .to_owned(),
            };
            Some(("read_only", text))
        }
        Mode::Unavailable => Some((
            "unavailable",
            "The system cannot reach its database. Nothing can be loaded or saved right now."
                .to_owned(),
        )),
    }
}

/// `<div id="degraded-banner" data-mode>` while the system is not working normally.
#[component]
pub fn DegradedBanner() -> Html {
    let ops = use_ops();
    let Some((mode, text)) = banner_text(ops.state()) else {
        return Html::default();
    };
    let kept_note = ops.state().owner.is_some().then_some(
        "Shortage reports and appointment cancellations are still accepted: they are kept and saved when the database is back.",
    );
    html! {
        <div id="degraded-banner" class={classes!("banner", "degraded", mode)} data-mode={mode} role="status">
            <span id="degraded-text">{ text }</span>
            if let Some(note) = kept_note {
                <span class="degraded-note">{ note }</span>
            }
        </div>
    }
}
