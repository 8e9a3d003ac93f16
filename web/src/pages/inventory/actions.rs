//! The workflow buttons of a shortage, for those who work shortages: acknowledge; order (with
//! the order reference); resolve (with an optional note); dismiss (with a reason). Only the
//! moves the workflow allows from the current status are offered. Shared by the board's cards
//! and the shortage's page.
//!
//! Classes (and, with an `id_prefix`, ids `#{prefix}-{name}`): buttons `.shortage-acknowledge`,
//! `.shortage-order`, `.shortage-resolve`, `.shortage-dismiss`; the step's form
//! `form.shortage-action-form[data-step]` with its input `.shortage-order-reference`,
//! `.shortage-resolution` or `.shortage-dismiss-reason` (id `#{prefix}-text`), its error
//! `.field-error`, `.shortage-action-confirm` (`#{prefix}-confirm`) and `.shortage-action-back`
//! (`#{prefix}-back`); the failure `.shortage-action-error` (`#{prefix}-error`).

use std::rc::Rc;

use hms_api_types::inventory::{Shortage, ShortageAction};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::inventory::ShortageMove;
use crate::api::ApiError;
use crate::display;
use crate::session::use_session;

#[derive(Debug, Clone, Default, PartialEq)]
struct ActionState {
    /// The step whose form is open (order, resolve, dismiss).
    asking: Option<ShortageMove>,
    text: String,
    /// The required text was left empty.
    missing: bool,
    busy: bool,
    error: Option<ApiError>,
}

enum Action {
    Ask(Option<ShortageMove>),
    Text(String),
    Missing,
    Start,
    Done,
    Failed(ApiError),
}

impl Reducible for ActionState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Ask(step) => {
                next = ActionState {
                    asking: step,
                    ..ActionState::default()
                };
            }
            Action::Text(text) => next.text = text,
            Action::Missing => next.missing = true,
            Action::Start => {
                next.busy = true;
                next.error = None;
            }
            Action::Done => next = ActionState::default(),
            Action::Failed(error) => {
                next.busy = false;
                next.error = Some(error);
            }
        }
        Rc::new(next)
    }
}

/// The button label, the input's class and label, and whether the text is required.
fn step_text(step: ShortageMove) -> (&'static str, &'static str, &'static str, bool) {
    match step {
        ShortageMove::Acknowledge => ("Acknowledge", "", "", false),
        ShortageMove::Order => (
            "Mark ordered",
            "shortage-order-reference",
            "Order reference",
            true,
        ),
        ShortageMove::Resolve => (
            "Resolve",
            "shortage-resolution",
            "How was it resolved? (optional)",
            false,
        ),
        ShortageMove::Dismiss => (
            "Dismiss",
            "shortage-dismiss-reason",
            "Why is it dismissed?",
            true,
        ),
    }
}

/// What the status line says after a step.
pub fn step_done(step: ShortageMove, shortage: &Shortage) -> String {
    let what = match step {
        ShortageMove::Acknowledge => "acknowledged",
        ShortageMove::Order => "marked ordered",
        ShortageMove::Resolve => "resolved",
        ShortageMove::Dismiss => "dismissed",
    };
    format!(
        "The shortage of {} at {} was {what}.",
        shortage.item_name, shortage.location_name
    )
}

#[derive(Properties, PartialEq)]
pub struct ShortageActionsProps {
    pub shortage: Shortage,
    /// A step succeeded: the shortage as it is now, and the step.
    pub on_done: Callback<(Shortage, ShortageMove)>,
    /// The shortage changed meanwhile (409, 412, 404): it should be loaded again.
    pub on_stale: Callback<()>,
    /// Gives the controls ids `#{prefix}-…` (for a page showing one shortage).
    #[prop_or_default]
    pub id_prefix: Option<AttrValue>,
}

/// `<div class="shortage-actions">`.
#[component]
pub fn ShortageActions(props: &ShortageActionsProps) -> Html {
    let session = use_session();
    let state = use_reducer(ActionState::default);
    let shortage = &props.shortage;
    let id_of = |name: &str| {
        props
            .id_prefix
            .as_ref()
            .map(|prefix| AttrValue::from(format!("{prefix}-{name}")))
    };

    let send = {
        let (api, state) = (session.api().clone(), state.dispatcher());
        let (on_done, on_stale) = (props.on_done.clone(), props.on_stale.clone());
        let (id, version) = (shortage.id, shortage.version);
        Callback::from(move |(step, text): (ShortageMove, String)| {
            state.dispatch(Action::Start);
            let text = display::optional(&text);
            let action = match step {
                ShortageMove::Order => ShortageAction {
                    order_reference: text,
                    ..ShortageAction::default()
                },
                _ => ShortageAction {
                    note: text,
                    ..ShortageAction::default()
                },
            };
            let (api, state) = (api.clone(), state.clone());
            let (on_done, on_stale) = (on_done.clone(), on_stale.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.move_shortage(id, step, version, &action).await {
                    Ok(shortage) => {
                        state.dispatch(Action::Done);
                        on_done.emit((shortage, step));
                    }
                    Err(error) => {
                        let stale = matches!(error.status(), Some(404 | 409 | 412));
                        state.dispatch(Action::Failed(error));
                        if stale {
                            on_stale.emit(());
                        }
                    }
                }
            });
        })
    };

    let error = state.error.as_ref().map(|error| {
        html! {
            <div class="problem shortage-action-error" role="alert" id={id_of("error")}>
                { error.message().to_owned() }
            </div>
        }
    });

    if let Some(step) = state.asking {
        let (label, class, question, required) = step_text(step);
        let oninput = {
            let state = state.dispatcher();
            Callback::from(move |e: InputEvent| {
                if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                    state.dispatch(Action::Text(input.value()));
                }
            })
        };
        let onsubmit = {
            let (state, send) = (state.clone(), send.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                if state.busy {
                    return;
                }
                if required && state.text.trim().is_empty() {
                    state.dispatch(Action::Missing);
                    return;
                }
                send.emit((step, state.text.clone()));
            })
        };
        let onback = {
            let state = state.dispatcher();
            Callback::from(move |_: MouseEvent| state.dispatch(Action::Ask(None)))
        };
        let input_id =
            id_of("text").unwrap_or_else(|| AttrValue::from(format!("{class}-{}", shortage.id)));
        let server_error = state.error.as_ref().and_then(|e| {
            e.field(if step == ShortageMove::Order {
                "order_reference"
            } else {
                "note"
            })
        });
        let field_error = if state.missing {
            Some(AttrValue::Static(if step == ShortageMove::Order {
                "Enter the order reference."
            } else {
                "Give a reason."
            }))
        } else {
            server_error
        };
        return html! {
            <div class="shortage-actions">
                { for error }
                <form class="reason-form shortage-action-form" data-step={step.slug()} {onsubmit} novalidate=true>
                    <div class={classes!("field", field_error.is_some().then_some("has-error"))}>
                        <label for={input_id.clone()}>{ question }</label>
                        <input
                            id={input_id.clone()}
                            class={class}
                            type="text"
                            value={state.text.clone()}
                            aria-invalid={field_error.is_some().then_some("true")}
                            {oninput}
                        />
                        if let Some(message) = field_error {
                            <p class="field-error" id={format!("{input_id}-error")}>{ message }</p>
                        }
                    </div>
                    <div class="form-actions">
                        <button
                            id={id_of("confirm")}
                            type="submit"
                            class="button primary small shortage-action-confirm"
                            disabled={state.busy}
                        >
                            { label }
                        </button>
                        <button
                            id={id_of("back")}
                            type="button"
                            class="button secondary small shortage-action-back"
                            onclick={onback}
                        >
                            { "Back" }
                        </button>
                    </div>
                </form>
            </div>
        };
    }

    let status = shortage.status;
    let button = |step: ShortageMove| {
        if !status.can_move_to(step.target()) {
            return Html::default();
        }
        let onclick = if step == ShortageMove::Acknowledge {
            let send = send.clone();
            Callback::from(move |_: MouseEvent| send.emit((step, String::new())))
        } else {
            let state = state.dispatcher();
            Callback::from(move |_: MouseEvent| state.dispatch(Action::Ask(Some(step))))
        };
        let danger = step == ShortageMove::Dismiss;
        html! {
            <button
                id={id_of(step.slug())}
                type="button"
                class={classes!(
                    "button",
                    "small",
                    if danger || step == ShortageMove::Acknowledge { "secondary" } else { "primary" },
                    danger.then_some("danger"),
                    format!("shortage-{}", step.slug()),
                )}
                disabled={state.busy}
                aria-label={format!("{} the shortage of {} at {}", step_text(step).0, shortage.item_name, shortage.location_name)}
                {onclick}
            >
                { step_text(step).0 }
            </button>
        }
    };
    html! {
        <div class="shortage-actions">
            { for error }
            <div class="panel-actions">
                { button(ShortageMove::Acknowledge) }
                { button(ShortageMove::Order) }
                { button(ShortageMove::Resolve) }
                { button(ShortageMove::Dismiss) }
            </div>
        </div>
    }
}
