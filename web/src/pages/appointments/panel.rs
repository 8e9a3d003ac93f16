//! The appointment panel: details, the status workflow buttons the role may use, cancel and
//! revert with a reason, and the status history.
//!
//! A cancellation carries an `Idempotency-Key` (one per cancellation, the same on a retry).
//! While the database is unreachable it is kept by the API (202): `#appointment-status` says so.

use std::rc::Rc;

use hms_api_types::appointments::{Appointment, AppointmentStatus, StatusChange};
use hms_api_types::{Permission, Role};
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{status_badge, when};
use crate::api::appointments::cancel_fingerprint;
use crate::api::inventory::Attempt;
use crate::api::ops::{Saved, KEPT_MESSAGE};
use crate::api::{Api, ApiError};
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::session::use_session;

/// A change that needs a reason first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asking {
    Nothing,
    Cancel,
    Revert,
}

#[derive(Debug, Clone, PartialEq)]
struct PanelState {
    appointment: Option<Appointment>,
    history: Option<Vec<StatusChange>>,
    load_error: Option<ApiError>,
    busy: bool,
    action_error: Option<ApiError>,
    status: Option<AttrValue>,
    asking: Asking,
    reason: String,
    reason_missing: bool,
}

impl Default for PanelState {
    fn default() -> Self {
        PanelState {
            appointment: None,
            history: None,
            load_error: None,
            busy: false,
            action_error: None,
            status: None,
            asking: Asking::Nothing,
            reason: String::new(),
            reason_missing: false,
        }
    }
}

enum PanelAction {
    Loaded(Result<Appointment, ApiError>),
    History(Result<Vec<StatusChange>, ApiError>),
    Ask(Asking),
    Reason(String),
    ReasonMissing,
    Start,
    Done(Appointment, AttrValue),
    /// Kept by the API to be written when the database is back: nothing changed yet.
    Kept(AttrValue),
    Failed(ApiError),
}

impl Reducible for PanelState {
    type Action = PanelAction;

    fn reduce(self: Rc<Self>, action: PanelAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            PanelAction::Loaded(Ok(appointment)) => {
                next.appointment = Some(appointment);
                next.load_error = None;
            }
            PanelAction::Loaded(Err(error)) => next.load_error = Some(error),
            PanelAction::History(Ok(history)) => next.history = Some(history),
            PanelAction::History(Err(error)) => next.load_error = Some(error),
            PanelAction::Ask(asking) => {
                next.asking = asking;
                next.reason = String::new();
                next.reason_missing = false;
                next.action_error = None;
                next.status = None;
            }
            PanelAction::Reason(reason) => next.reason = reason,
            PanelAction::ReasonMissing => next.reason_missing = true,
            PanelAction::Start => {
                next.busy = true;
                next.action_error = None;
                next.status = None;
            }
            PanelAction::Done(appointment, status) => {
                next.busy = false;
                next.appointment = Some(appointment);
                next.status = Some(status);
                next.asking = Asking::Nothing;
                next.reason = String::new();
                next.reason_missing = false;
            }
            PanelAction::Kept(status) => {
                next.busy = false;
                next.status = Some(status);
                next.asking = Asking::Nothing;
                next.reason = String::new();
                next.reason_missing = false;
            }
            PanelAction::Failed(error) => {
                next.busy = false;
                next.action_error = Some(error);
            }
        }
        Rc::new(next)
    }
}

/// What a button asks the server to do.
#[derive(Debug, Clone)]
enum Change {
    Status(AppointmentStatus),
    /// The reason and the `Idempotency-Key`.
    Cancel(String, String),
    Revert(String),
}

impl Change {
    fn done(&self) -> &'static str {
        match self {
            Change::Status(AppointmentStatus::CheckedIn) => "Checked in.",
            Change::Status(AppointmentStatus::InProgress) => "Visit started.",
            Change::Status(AppointmentStatus::Completed) => "Visit completed.",
            Change::Status(AppointmentStatus::NoShow) => "Marked as no-show.",
            Change::Status(_) => "Status changed.",
            Change::Cancel(..) => "Appointment cancelled.",
            Change::Revert(_) => "Last status change reverted.",
        }
    }

    async fn send(&self, api: &Api, id: Uuid) -> Result<Saved<Appointment>, ApiError> {
        match self {
            Change::Status(status) => api
                .change_appointment_status(id, *status)
                .await
                .map(Saved::Done),
            Change::Cancel(reason, key) => api.cancel_appointment(id, reason, key.clone()).await,
            Change::Revert(reason) => api
                .revert_appointment_status(id, reason)
                .await
                .map(Saved::Done),
        }
    }
}

/// Whether the last status change can be reverted: the current status came from another one.
fn revertible(appointment: &Appointment, history: &[StatusChange]) -> bool {
    history
        .iter()
        .rev()
        .any(|c| c.to_status == appointment.status && c.from_status.is_some())
}

#[derive(Properties, PartialEq)]
pub struct AppointmentPanelProps {
    pub appointment_id: Uuid,
    pub role: Role,
    pub on_close: Callback<()>,
    /// The appointment changed (or may have): the calendar and list should reload.
    pub on_changed: Callback<()>,
}

/// `<section id="appointment-panel" data-appointment-id data-status>`.
#[component]
pub fn AppointmentPanel(props: &AppointmentPanelProps) -> Html {
    let session = use_session();
    let panel = use_reducer(PanelState::default);
    let attempt = use_mut_ref(Attempt::default);
    let last_change = use_mut_ref(|| None::<Change>);
    let id = props.appointment_id;

    let reload = {
        let (api, panel) = (session.api().clone(), panel.dispatcher());
        Callback::from(move |()| {
            let (api, panel) = (api.clone(), panel.clone());
            wasm_bindgen_futures::spawn_local(async move {
                panel.dispatch(PanelAction::Loaded(api.get_appointment(id).await));
                panel.dispatch(PanelAction::History(api.appointment_history(id).await));
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(id, move |_| reload.emit(()));
    }

    let act = {
        let (api, panel, reload) = (session.api().clone(), panel.dispatcher(), reload.clone());
        let on_changed = props.on_changed.clone();
        let (attempt, last_change) = (attempt.clone(), last_change.clone());
        Callback::from(move |change: Change| {
            panel.dispatch(PanelAction::Start);
            *last_change.borrow_mut() = Some(change.clone());
            let (api, panel, reload) = (api.clone(), panel.clone(), reload.clone());
            let (on_changed, attempt) = (on_changed.clone(), attempt.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match change.send(&api, id).await {
                    Ok(Saved::Kept(_)) => {
                        attempt.borrow_mut().finish();
                        panel.dispatch(PanelAction::Kept(AttrValue::Static(KEPT_MESSAGE)));
                    }
                    Ok(Saved::Done(appointment)) => {
                        if matches!(change, Change::Cancel(..)) {
                            attempt.borrow_mut().finish();
                        }
                        panel.dispatch(PanelAction::Done(
                            appointment,
                            AttrValue::Static(change.done()),
                        ));
                        panel.dispatch(PanelAction::History(api.appointment_history(id).await));
                        on_changed.emit(());
                    }
                    Err(error) => {
                        // Someone else changed it meanwhile: show what it is now.
                        let stale = matches!(error.status(), Some(404 | 409 | 412));
                        panel.dispatch(PanelAction::Failed(error));
                        if stale {
                            reload.emit(());
                            on_changed.emit(());
                        }
                    }
                }
            });
        })
    };

    // "Try again" after a refused save sends the same change (and key) again.
    let onretry = {
        let (act, last_change) = (act.clone(), last_change.clone());
        Callback::from(move |()| {
            let last = last_change.borrow().clone();
            if let Some(change) = last {
                act.emit(change);
            }
        })
    };

    let onclose = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let head = html! {
        <div class="panel-head">
            <h2 id="appointment-title">{ "Appointment" }</h2>
            <button id="appointment-close" type="button" class="banner-close" aria-label="Close" onclick={onclose}>
                { "×" }
            </button>
        </div>
    };

    let Some(appointment) = panel.appointment.clone() else {
        return html! {
            <section id="appointment-panel" class="panel" data-appointment-id={id.to_string()} aria-labelledby="appointment-title">
                { head }
                if panel.load_error.is_some() {
                    <ProblemAlert id="appointment-error" error={panel.load_error.clone()} />
                } else {
                    <p class="loading" role="status">{ "Loading…" }</p>
                }
            </section>
        };
    };

    let role = props.role;
    let status = appointment.status;
    let may_move = role.can(Permission::UpdateAppointmentStatus);
    let may_cancel =
        role.can(Permission::BookAppointments) && status.can_move_to(AppointmentStatus::Cancelled);
    let may_revert = role.can(Permission::RevertAppointmentStatus)
        && panel
            .history
            .as_deref()
            .is_some_and(|h| revertible(&appointment, h));
    let busy = panel.busy;

    let move_button = |to: AppointmentStatus, button_id: &'static str, label: &'static str| {
        if !(may_move && status.can_move_to(to)) {
            return Html::default();
        }
        let act = act.clone();
        let danger = to == AppointmentStatus::NoShow;
        html! {
            <button
                id={button_id}
                type="button"
                class={classes!("button", if danger { "secondary" } else { "primary" }, danger.then_some("danger"))}
                disabled={busy}
                onclick={Callback::from(move |_: MouseEvent| act.emit(Change::Status(to)))}
            >
                { label }
            </button>
        }
    };
    let ask = |asking: Asking| {
        let panel = panel.dispatcher();
        Callback::from(move |_: MouseEvent| panel.dispatch(PanelAction::Ask(asking)))
    };

    let reason_form = if panel.asking == Asking::Nothing {
        Html::default()
    } else {
        let (prefix, label, confirm) = match panel.asking {
            Asking::Cancel => ("cancel", "Why is it cancelled?", "Cancel appointment"),
            _ => ("revert", "Why revert the last change?", "Revert"),
        };
        let oninput = {
            let panel = panel.dispatcher();
            Callback::from(move |e: InputEvent| {
                if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                    panel.dispatch(PanelAction::Reason(input.value()));
                }
            })
        };
        let onsubmit = {
            let (panel, act, attempt) = (panel.clone(), act.clone(), attempt.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                if panel.busy {
                    return;
                }
                let reason = panel.reason.trim().to_owned();
                if reason.is_empty() {
                    panel.dispatch(PanelAction::ReasonMissing);
                    return;
                }
                act.emit(match panel.asking {
                    Asking::Cancel => {
                        // The same cancellation sent again (a retry) keeps its key.
                        let key = attempt
                            .borrow_mut()
                            .key_for(cancel_fingerprint(id, &reason));
                        Change::Cancel(reason, key)
                    }
                    _ => Change::Revert(reason),
                });
            })
        };
        let input_id = format!("{prefix}-reason");
        html! {
            <form id={format!("{prefix}-form")} class="reason-form" {onsubmit} novalidate=true>
                <div class={classes!("field", panel.reason_missing.then_some("has-error"))}>
                    <label for={input_id.clone()}>{ label }</label>
                    <input
                        id={input_id.clone()}
                        type="text"
                        value={panel.reason.clone()}
                        aria-invalid={panel.reason_missing.then_some("true")}
                        {oninput}
                    />
                    if panel.reason_missing {
                        <p class="field-error" id={format!("{input_id}-error")}>{ "Give a reason." }</p>
                    }
                </div>
                <div class="form-actions">
                    <button id={format!("{prefix}-confirm")} type="submit" class="button primary" disabled={busy}>
                        { confirm }
                    </button>
                    <button id={format!("{prefix}-abort")} type="button" class="button secondary" onclick={ask(Asking::Nothing)}>
                        { "Back" }
                    </button>
                </div>
            </form>
        }
    };

    let patient = if role.can(Permission::ReadDemographics) {
        html! {
            <AppLink to={Route::Chart { id: appointment.patient_id }}>
                { appointment.patient_name.clone() }
            </AppLink>
        }
    } else {
        html! { appointment.patient_name.clone() }
    };

    html! {
        <section
            id="appointment-panel"
            class="panel"
            data-appointment-id={id.to_string()}
            data-status={status.as_str()}
            aria-labelledby="appointment-title"
        >
            { head }
            <dl class="details">
                <dt>{ "Patient" }</dt>
                <dd id="appointment-patient">
                    { patient }
                    <span class="muted">{ format!(" · {}", appointment.patient_mrn) }</span>
                </dd>
                <dt>{ "When" }</dt>
                <dd id="appointment-when">{ when(&appointment) }</dd>
                <dt>{ "With" }</dt>
                <dd id="appointment-practitioner">{ appointment.practitioner_name.clone() }</dd>
                <dt>{ "Reason" }</dt>
                <dd id="appointment-reason">{ appointment.reason.clone() }</dd>
                <dt>{ "Status" }</dt>
                <dd id="appointment-status-badge">{ status_badge(status) }</dd>
                if let Some(reason) = &appointment.cancel_reason {
                    <dt>{ "Cancelled because" }</dt>
                    <dd id="appointment-cancel-reason">{ reason.clone() }</dd>
                }
            </dl>
            <ProblemAlert
                id="appointment-error"
                error={panel.action_error.clone().or_else(|| panel.load_error.clone())}
                onretry={onretry}
            />
            if let Some(text) = &panel.status {
                <p id="appointment-status" class="status" role="status">{ text.clone() }</p>
            }
            if panel.asking == Asking::Nothing {
                <div class="panel-actions">
                    { move_button(AppointmentStatus::CheckedIn, "check-in", "Check in") }
                    { move_button(AppointmentStatus::InProgress, "start-visit", "Start visit") }
                    { move_button(AppointmentStatus::Completed, "complete-visit", "Complete visit") }
                    { move_button(AppointmentStatus::NoShow, "mark-no-show", "No-show") }
                    if may_cancel {
                        <button
                            id="cancel-appointment"
                            type="button"
                            class="button secondary danger"
                            disabled={busy}
                            onclick={ask(Asking::Cancel)}
                        >
                            { "Cancel appointment" }
                        </button>
                    }
                    if may_revert {
                        <button
                            id="revert-status"
                            type="button"
                            class="button secondary"
                            disabled={busy}
                            onclick={ask(Asking::Revert)}
                        >
                            { "Revert last change" }
                        </button>
                    }
                </div>
            } else {
                { reason_form }
            }
            <h3>{ "History" }</h3>
            <ol id="appointment-history" class="history">
                { for panel.history.iter().flatten().map(history_entry) }
            </ol>
        </section>
    }
}

fn history_entry(change: &StatusChange) -> Html {
    let what = match change.from_status {
        None => display::humanize(change.to_status.as_str()),
        Some(from) => format!(
            "{} → {}",
            display::humanize(from.as_str()),
            display::humanize(change.to_status.as_str())
        ),
    };
    html! {
        <li
            class={classes!("history-entry", change.is_revert.then_some("revert"))}
            data-to-status={change.to_status.as_str()}
            data-revert={change.is_revert.to_string()}
        >
            <span class="what">
                { what }
                if change.is_revert {
                    <span class="badge revert-badge">{ "Revert" }</span>
                }
            </span>
            <span class="by muted">
                { format!(" · {}, {}", change.changed_by_name, display::local_time(change.changed_at)) }
            </span>
            if let Some(reason) = &change.reason {
                <span class="history-reason">{ format!("“{reason}”") }</span>
            }
        </li>
    }
}
