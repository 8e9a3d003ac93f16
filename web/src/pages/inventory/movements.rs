//! The movement forms of the item page: receive, dispense, transfer, adjust (a stock count) and
//! write off, each shown only to roles that may record it. Every submission carries an
//! `Idempotency-Key` that is kept while the same request is sent again (after a network
//! error), so a movement is never recorded twice.
//!
//! Element ids (`{kind}` is `receive`, `dispense`, `transfer`, `adjust` or `write-off`):
//! - `section#movement-forms`; `#movement-kind-{kind}` (the buttons choosing the form,
//!   `aria-pressed`; absent when the role may record only one kind, e.g. a nurse dispensing)
//! - `form#{kind}-form` with `#{kind}-error` (the problem, or the retry advice after a network
//!   error) and `#{kind}-submit`
//! - fields, each with its error at `#{field id}-error`: `#{kind}-location` (`#transfer-from`
//!   and `#transfer-to` for a transfer), `#{kind}-quantity`, `#{kind}-lot` (a `<select>` of the
//!   lots at the chosen location), `#receive-lot-number`, `#receive-expires-on`,
//!   `#adjust-counted`, `#adjust-reason`, `#write-off-reason`, `#{kind}-note`; the dispense
//!   patient picker has the prefix `dispense` (`#dispense-patient-search`,
//!   `li.dispense-patient`, `#dispense-patient`)

use std::rc::Rc;

use hms_api_types::inventory::{
    Adjust, Dispense, Item, ItemDetail, Location, Movement, MovementKind, Receive, Transfer,
    WriteOff, WriteOffReason,
};
use hms_api_types::patients::Patient;
use hms_api_types::{Permission, Role};
use uuid::Uuid;
use yew::prelude::*;

use super::{incomplete, location_options, Checks};
use crate::api::inventory::{Attempt, MovementRequest};
use crate::api::ApiError;
use crate::components::field::{Field, SelectField};
use crate::components::patient_picker::PatientPicker;
use crate::components::problem_alert::RetryButton;
use crate::display;
use crate::form::{setter, use_form_with, FormAction};
use crate::session::use_session;

/// Shown when a movement got no answer: sending it again is safe.
const MOVEMENT_NETWORK_MESSAGE: &str = "Cannot reach the server, so it is not known whether \
     the movement was recorded. Check your connection and press the button again: the same \
     movement is never recorded twice.";

/// The movements, the permission each needs, and the label of its button.
const KINDS: [(MovementKind, Permission, &str); 5] = [
    (MovementKind::Receive, Permission::MoveStock, "Receive"),
    (
        MovementKind::Dispense,
        Permission::DispenseStock,
        "Dispense",
    ),
    (MovementKind::Transfer, Permission::MoveStock, "Transfer"),
    (MovementKind::Adjust, Permission::MoveStock, "Adjust count"),
    (MovementKind::WriteOff, Permission::MoveStock, "Write off"),
];

/// The movements `role` may record.
pub fn allowed_kinds(role: Role) -> Vec<(MovementKind, &'static str)> {
    KINDS
        .iter()
        .filter(|(_, permission, _)| role.can(*permission))
        .map(|(kind, _, label)| (*kind, *label))
        .collect()
}

/// `write_off` → `write-off`: the kind in element ids.
fn slug(kind: MovementKind) -> String {
    kind.as_str().replace('_', "-")
}

#[derive(Properties, PartialEq)]
pub struct MovementFormsProps {
    pub detail: Rc<ItemDetail>,
    pub locations: Rc<Vec<Location>>,
    pub role: Role,
    /// A movement was recorded.
    pub on_moved: Callback<Movement>,
}

/// `<section id="movement-forms">`: the kind buttons and the chosen form.
#[component]
pub fn MovementForms(props: &MovementFormsProps) -> Html {
    let kinds = allowed_kinds(props.role);
    let chosen = use_state(|| kinds.first().map(|(kind, _)| *kind));
    let Some(kind) = *chosen else {
        return Html::default();
    };
    let buttons = kinds.iter().map(|(k, label)| {
        let (chosen, k) = (chosen.clone(), *k);
        let pressed = k == kind;
        html! {
            <button
                id={format!("movement-kind-{}", slug(k))}
                type="button"
                class={classes!("button", "secondary", pressed.then_some("pressed"))}
                aria-pressed={if pressed { "true" } else { "false" }}
                onclick={Callback::from(move |_: MouseEvent| chosen.set(Some(k)))}
            >
                { *label }
            </button>
        }
    });
    let title = match kind {
        MovementKind::Dispense => "Dispense stock",
        _ => "Record a movement",
    };
    // Where the item is kept: the first location holding it, else the first location.
    let default_location = props
        .detail
        .levels
        .iter()
        .find(|l| l.on_hand > 0)
        .map(|l| l.location_id)
        .or_else(|| props.locations.iter().find(|l| l.active).map(|l| l.id));
    html! {
        <section id="movement-forms" class="card add-card" aria-labelledby="movement-forms-title">
            if kinds.len() > 1 {
                <h2 id="movement-forms-title">{ "Record a movement" }</h2>
                <div class="segmented" role="group" aria-label="Movement">
                    { for buttons }
                </div>
            } else {
                <h2 id="movement-forms-title">{ title }</h2>
            }
            <MovementForm
                key={kind.as_str()}
                {kind}
                detail={props.detail.clone()}
                locations={props.locations.clone()}
                {default_location}
                pick_patient={props.role.can(Permission::ReadDemographics)}
                on_moved={props.on_moved.clone()}
            />
        </section>
    }
}

/// The values of a movement form, as typed; ids are strings (empty: none chosen).
#[derive(Debug, Clone, Default, PartialEq)]
struct MovementValues {
    /// The location (the source of a transfer).
    location: String,
    to_location: String,
    quantity: String,
    lot: String,
    lot_number: String,
    expires_on: String,
    counted: String,
    reason: String,
    /// A [`WriteOffReason`] wire name.
    write_off_reason: String,
    note: String,
    patient: Option<Patient>,
}

impl MovementValues {
    fn request(&self, kind: MovementKind, item: &Item) -> Result<MovementRequest, ApiError> {
        let mut checks = Checks::default();
        let location_field = if kind == MovementKind::Transfer {
            "from_location_id"
        } else {
            "location_id"
        };
        let location = checks.id(location_field, &self.location, "Choose a location.");
        let lot_id = match self.lot.trim() {
            "" => None,
            text => Uuid::parse_str(text).ok(),
        };
        // Counts and write-offs are per lot for lot-tracked items.
        if item.lot_tracked
            && matches!(kind, MovementKind::Adjust | MovementKind::WriteOff)
            && lot_id.is_none()
        {
            checks.fail("lot_id", "Choose the lot.");
        }
        let quantity = if kind == MovementKind::Adjust {
            None
        } else {
            checks.count("quantity", &self.quantity, "Enter the quantity.")
        };
        let note = display::optional(&self.note);
        let item_id = item.id;
        let request = match kind {
            MovementKind::Receive => {
                let (lot_number, expires_on) = if item.lot_tracked {
                    let number = checks.text(
                        "lot_number",
                        &self.lot_number,
                        "Enter the lot number printed on the box.",
                    );
                    let expires = checks.take(
                        display::parse_date("expires_on", &self.expires_on).and_then(|d| {
                            d.ok_or_else(|| {
                                ApiError::invalid("expires_on", "Enter the expiry date of the lot.")
                            })
                        }),
                    );
                    (number, expires)
                } else {
                    (None, None)
                };
                location.zip(quantity).map(|(location_id, quantity)| {
                    MovementRequest::Receive(Receive {
                        item_id,
                        location_id,
                        quantity,
                        lot_number,
                        expires_on,
                        note,
                    })
                })
            }
            MovementKind::Dispense => location.zip(quantity).map(|(location_id, quantity)| {
                MovementRequest::Dispense(Dispense {
                    item_id,
                    location_id,
                    quantity,
                    lot_id,
                    patient_id: self.patient.as_ref().map(|p| p.id),
                    medication_id: None,
                    note,
                })
            }),
            MovementKind::Transfer => {
                let to = checks.id(
                    "to_location_id",
                    &self.to_location,
                    "Choose where the stock goes.",
                );
                if to.is_some() && to == location {
                    checks.fail("to_location_id", "Choose another location than the source.");
                }
                location
                    .zip(to)
                    .zip(quantity)
                    .map(|((from, to), quantity)| {
                        MovementRequest::Transfer(Transfer {
                            item_id,
                            from_location_id: from,
                            to_location_id: to,
                            quantity,
                            lot_id,
                            note,
                        })
                    })
            }
            MovementKind::Adjust => {
                let counted = checks.count("counted", &self.counted, "Enter what the count found.");
                let reason = checks.text(
                    "reason",
                    &self.reason,
                    "Give the reason for the correction.",
                );
                location
                    .zip(counted)
                    .zip(reason)
                    .map(|((location_id, counted), reason)| {
                        MovementRequest::Adjust(Adjust {
                            item_id,
                            location_id,
                            lot_id,
                            counted,
                            reason,
                        })
                    })
            }
            MovementKind::WriteOff => {
                let reason = WriteOffReason::parse(&self.write_off_reason);
                if reason.is_none() {
                    checks.fail("reason", "Choose why it is written off.");
                }
                location
                    .zip(quantity)
                    .zip(reason)
                    .map(|((location_id, quantity), reason)| {
                        MovementRequest::WriteOff(WriteOff {
                            item_id,
                            location_id,
                            lot_id,
                            quantity,
                            reason,
                            note,
                        })
                    })
            }
        };
        checks.finish()?;
        request.ok_or_else(incomplete)
    }
}

/// `#…-error` with the problem, or the retry advice after a network error; then the server's
/// messages about fields this form does not show.
fn movement_error(id: String, error: &Option<ApiError>, shown: &[&str]) -> Html {
    let Some(error) = error else {
        return Html::default();
    };
    let text = match error {
        ApiError::Network => MOVEMENT_NETWORK_MESSAGE,
        other => other.message(),
    };
    let others: Vec<Html> = ["item_id", "medication_id", "Idempotency-Key", "version"]
        .into_iter()
        .chain([
            "location_id",
            "from_location_id",
            "to_location_id",
            "lot_id",
        ])
        .chain(["quantity", "counted", "reason", "note", "patient_id"])
        .chain(["lot_number", "expires_on"])
        .filter(|f| !shown.contains(f))
        .filter_map(|f| {
            error.field(f).map(|m| {
                html! { <p class="field-error">{ format!("{}: {m}", display::humanize(f)) }</p> }
            })
        })
        .collect();
    html! {
        <>
            <div {id} class="problem" role="alert">
                <span class="problem-text">{ text.to_owned() }</span>
                if error.saving_paused() {
                    <RetryButton />
                }
            </div>
            { for others }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct MovementFormProps {
    kind: MovementKind,
    detail: Rc<ItemDetail>,
    locations: Rc<Vec<Location>>,
    default_location: Option<Uuid>,
    /// The role may search patients (to say whom a dispensing is for).
    pick_patient: bool,
    on_moved: Callback<Movement>,
}

/// `<form id="{kind}-form">`.
#[component]
fn MovementForm(props: &MovementFormProps) -> Html {
    let session = use_session();
    let default_location = props
        .default_location
        .map(|id| id.to_string())
        .unwrap_or_default();
    let form = {
        let location = default_location.clone();
        use_form_with(move || MovementValues {
            location,
            ..MovementValues::default()
        })
    };
    let attempt = use_mut_ref(Attempt::default);
    let kind = props.kind;
    let item = &props.detail.item;
    let prefix = slug(kind);

    let onsubmit = {
        let (form, api, item) = (form.clone(), session.api().clone(), item.clone());
        let on_moved = props.on_moved.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = match form.values.request(kind, &item) {
                Ok(request) => request,
                Err(error) => {
                    form.dispatch(FormAction::Failed(error));
                    return;
                }
            };
            let key = attempt.borrow_mut().key_for(request.fingerprint());
            let location = form.values.location.clone();
            form.dispatch(FormAction::Submit);
            let (form, api, attempt) = (form.dispatcher(), api.clone(), attempt.clone());
            let on_moved = on_moved.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api.record_movement(&request, key).await {
                    Ok(movement) => {
                        attempt.borrow_mut().finish();
                        form.dispatch(FormAction::Succeeded(None));
                        // The next movement is likely at the same place.
                        form.dispatch(FormAction::edit(move |v: &mut MovementValues| {
                            v.location = location
                        }));
                        on_moved.emit(movement);
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let on_location = {
        let form = form.dispatcher();
        Callback::from(move |value: String| {
            form.dispatch(FormAction::edit(move |v: &mut MovementValues| {
                v.location = value;
                // Lots are per location.
                v.lot.clear();
            }))
        })
    };
    let onpick = {
        let form = form.dispatcher();
        Callback::from(move |patient: Option<Patient>| {
            form.dispatch(FormAction::edit(move |v: &mut MovementValues| {
                v.patient = patient
            }))
        })
    };

    let values = &form.values;
    let id = |field: &str| format!("{prefix}-{field}");
    let locations = props.locations.as_slice();
    let location_field = if kind == MovementKind::Transfer {
        "from_location_id"
    } else {
        "location_id"
    };
    let location_select = html! {
        <SelectField
            id={if kind == MovementKind::Transfer { "transfer-from".to_owned() } else { id("location") }}
            label={if kind == MovementKind::Transfer { "From" } else { "Location" }}
            value={values.location.clone()}
            options={location_options(locations, Some(("", "Choose a location")))}
            onchange={on_location}
            error={form.field_error(location_field)}
        />
    };

    // The lots at the chosen location (never expired ones for dispensing).
    let lots: Vec<(AttrValue, AttrValue)> = props
        .detail
        .lots
        .iter()
        .filter(|l| l.location_id.to_string() == values.location)
        .filter(|l| !(kind == MovementKind::Dispense && l.expired))
        .filter_map(|l| {
            let lot_id = l.lot_id?;
            let text = format!(
                "{} · expires {} · {} on hand{}",
                l.lot_number.clone().unwrap_or_default(),
                display::opt_date(l.expires_on),
                l.quantity,
                if l.expired { " (expired)" } else { "" }
            );
            Some((AttrValue::from(lot_id.to_string()), AttrValue::from(text)))
        })
        .collect();
    let lot_required = matches!(kind, MovementKind::Adjust | MovementKind::WriteOff);
    let lot_select = if item.lot_tracked && kind != MovementKind::Receive {
        let first = if lot_required {
            (AttrValue::Static(""), AttrValue::Static("Choose the lot"))
        } else {
            (
                AttrValue::Static(""),
                AttrValue::Static("First expiry first"),
            )
        };
        html! {
            <SelectField
                id={id("lot")}
                label="Lot"
                value={values.lot.clone()}
                options={std::iter::once(first).chain(lots).collect::<Vec<_>>()}
                onchange={setter(&form, |v, s| v.lot = s)}
                error={form.field_error("lot_id")}
            />
        }
    } else {
        Html::default()
    };
    let quantity = html! {
        <Field
            id={id("quantity")}
            label="Quantity"
            inputmode="numeric"
            unit={AttrValue::from(item.unit.clone())}
            value={values.quantity.clone()}
            oninput={setter(&form, |v, s| v.quantity = s)}
            error={form.field_error("quantity")}
            required=true
        />
    };
    let note = html! {
        <Field
            id={id("note")}
            label={if kind == MovementKind::Receive { "Note (supplier, delivery note)" } else { "Note" }}
            value={values.note.clone()}
            oninput={setter(&form, |v, s| v.note = s)}
            error={form.field_error("note")}
        />
    };

    let (fields, shown): (Html, &[&str]) = match kind {
        MovementKind::Receive => (
            html! {
                <>
                    { location_select }
                    { quantity }
                    if item.lot_tracked {
                        <Field
                            id="receive-lot-number"
                            label="Lot number"
                            autocomplete="off"
                            value={values.lot_number.clone()}
                            oninput={setter(&form, |v, s| v.lot_number = s)}
                            error={form.field_error("lot_number")}
                            required=true
                        />
                        <Field
                            id="receive-expires-on"
                            label="Expires on"
                            kind="date"
                            value={values.expires_on.clone()}
                            oninput={setter(&form, |v, s| v.expires_on = s)}
                            error={form.field_error("expires_on")}
                            required=true
                        />
                    }
                    { note }
                </>
            },
            &[
                "location_id",
                "quantity",
                "lot_number",
                "expires_on",
                "note",
            ],
        ),
        MovementKind::Dispense => (
            html! {
                <>
                    { location_select }
                    { quantity }
                    { lot_select }
                    if props.pick_patient {
                        <PatientPicker
                            prefix="dispense"
                            label="For patient (optional)"
                            selected={values.patient.clone()}
                            {onpick}
                            error={form.field_error("patient_id")}
                        />
                    }
                    { note }
                </>
            },
            &["location_id", "quantity", "lot_id", "patient_id", "note"],
        ),
        MovementKind::Transfer => (
            html! {
                <>
                    { location_select }
                    <SelectField
                        id="transfer-to"
                        label="To"
                        value={values.to_location.clone()}
                        options={location_options(locations, Some(("", "Choose a location")))}
                        onchange={setter(&form, |v, s| v.to_location = s)}
                        error={form.field_error("to_location_id")}
                    />
                    { quantity }
                    { lot_select }
                    { note }
                </>
            },
            &[
                "from_location_id",
                "to_location_id",
                "quantity",
                "lot_id",
                "note",
            ],
        ),
        MovementKind::Adjust => (
            html! {
                <>
                    { location_select }
                    { lot_select }
                    <Field
                        id="adjust-counted"
                        label="Counted"
                        hint="What the count found; the difference is recorded."
                        inputmode="numeric"
                        unit={AttrValue::from(item.unit.clone())}
                        value={values.counted.clone()}
                        oninput={setter(&form, |v, s| v.counted = s)}
                        error={form.field_error("counted")}
                        required=true
                    />
                    <Field
                        id="adjust-reason"
                        label="Reason"
                        placeholder="e.g. monthly count"
                        value={values.reason.clone()}
                        oninput={setter(&form, |v, s| v.reason = s)}
                        error={form.field_error("reason")}
                        required=true
                    />
                </>
            },
            &["location_id", "lot_id", "counted", "reason"],
        ),
        MovementKind::WriteOff => (
            html! {
                <>
                    { location_select }
                    { lot_select }
                    { quantity }
                    <SelectField
                        id="write-off-reason"
                        label="Reason"
                        value={values.write_off_reason.clone()}
                        options={display::options(Some(("", "Choose a reason")), WriteOffReason::ALL)}
                        onchange={setter(&form, |v, s| v.write_off_reason = s)}
                        error={form.field_error("reason")}
                    />
                    { note }
                </>
            },
            &["location_id", "lot_id", "quantity", "reason", "note"],
        ),
    };

    let (label, busy_label) = match kind {
        MovementKind::Receive => ("Receive stock", "Receiving…"),
        MovementKind::Dispense => ("Dispense", "Dispensing…"),
        MovementKind::Transfer => ("Transfer", "Transferring…"),
        MovementKind::Adjust => ("Record the count", "Recording…"),
        MovementKind::WriteOff => ("Write off", "Writing off…"),
    };
    html! {
        <form id={id("form")} class="grid-form movement-form" data-kind={kind.as_str()} {onsubmit} novalidate=true>
            { movement_error(id("error"), &form.error, shown) }
            { fields }
            <div class="form-actions">
                <button id={id("submit")} type="submit" class="button primary" disabled={form.submitting}>
                    { if form.submitting { busy_label } else { label } }
                </button>
            </div>
        </form>
    }
}
