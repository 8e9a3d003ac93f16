//! The booking panel: a free slot chosen on the calendar, the patient and the reason.

use hms_api_types::appointments::{Appointment, NewAppointment, Slot};
use hms_api_types::patients::Patient;
use yew::prelude::*;

use crate::api::appointments::BookingAttempt;
use crate::api::ApiError;
use crate::components::field::Field;
use crate::components::patient_picker::PatientPicker;
use crate::components::problem_alert::RetryButton;
use crate::display;
use crate::form::{setter, use_form, FormAction};
use crate::session::use_session;

/// Shown when a booking got no answer: sending it again is safe.
pub const BOOKING_NETWORK_MESSAGE: &str = "Cannot reach the server, so it is not known whether \
     the appointment was booked. Check your connection and press the button again: the same \
     booking is never made twice.";

/// `#…-error` with the problem, or the retry advice after a network error.
pub fn booking_error(id: &'static str, error: &Option<ApiError>) -> Html {
    match error {
        None => Html::default(),
        Some(error) => {
            let text = match error {
                ApiError::Network => BOOKING_NETWORK_MESSAGE,
                other => other.message(),
            };
            html! {
                <div {id} class="problem" role="alert">
                    <span class="problem-text">{ text.to_owned() }</span>
                    if error.saving_paused() {
                        <RetryButton />
                    }
                </div>
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct BookingValues {
    patient: Option<Patient>,
    reason: String,
}

impl BookingValues {
    fn request(&self, slot: &Slot) -> Result<NewAppointment, ApiError> {
        let patient = self
            .patient
            .as_ref()
            .ok_or_else(|| ApiError::invalid("patient_id", "Choose the patient."))?;
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err(ApiError::invalid(
                "reason",
                "Give the reason for the visit.",
            ));
        }
        Ok(NewAppointment {
            patient_id: patient.id,
            practitioner_id: slot.practitioner_id,
            starts_at: slot.starts_at,
            ends_at: Some(slot.ends_at),
            reason: reason.to_owned(),
        })
    }
}

#[derive(Properties, PartialEq)]
pub struct BookingPanelProps {
    pub slot: Slot,
    pub practitioner_name: AttrValue,
    pub on_close: Callback<()>,
    pub on_booked: Callback<Appointment>,
    /// The time was taken meanwhile (409): the calendar should reload.
    pub on_conflict: Callback<()>,
}

/// `<section id="booking-panel">`. Choosing another slot while it is open keeps the patient
/// and the reason.
#[component]
pub fn BookingPanel(props: &BookingPanelProps) -> Html {
    let session = use_session();
    let form = use_form::<BookingValues>();
    let attempt = use_mut_ref(BookingAttempt::default);

    let onpick = {
        let form = form.dispatcher();
        Callback::from(move |patient: Option<Patient>| {
            form.dispatch(FormAction::edit(move |v: &mut BookingValues| {
                v.patient = patient
            }))
        })
    };
    let onsubmit = {
        let (form, api, slot) = (form.clone(), session.api().clone(), props.slot.clone());
        let (on_booked, on_conflict) = (props.on_booked.clone(), props.on_conflict.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = match form.values.request(&slot) {
                Ok(request) => request,
                Err(error) => {
                    form.dispatch(FormAction::Failed(error));
                    return;
                }
            };
            let key = attempt.borrow_mut().key_for(&request);
            form.dispatch(FormAction::Submit);
            let (form, api, attempt) = (form.dispatcher(), api.clone(), attempt.clone());
            let (on_booked, on_conflict) = (on_booked.clone(), on_conflict.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.book_appointment(&request, key).await {
                    Ok(appointment) => {
                        attempt.borrow_mut().finish();
                        form.dispatch(FormAction::Succeeded(None));
                        on_booked.emit(appointment);
                    }
                    Err(error) => {
                        let conflict = error.status() == Some(409);
                        form.dispatch(FormAction::Failed(error));
                        if conflict {
                            on_conflict.emit(());
                        }
                    }
                }
            });
        })
    };
    let onclose = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };

    let slot = &props.slot;
    let day = display::local_date(slot.starts_at);
    html! {
        <section id="booking-panel" class="panel" aria-labelledby="booking-title">
            <div class="panel-head">
                <h2 id="booking-title">{ "Book this time" }</h2>
                <button id="booking-close" type="button" class="banner-close" aria-label="Close" onclick={onclose}>
                    { "×" }
                </button>
            </div>
            <dl class="details" id="booking-slot" data-starts-at={display::wire_time(slot.starts_at)} data-practitioner-id={slot.practitioner_id.to_string()}>
                <dt>{ "When" }</dt>
                <dd>
                    { format!(
                        "{}, {}–{}",
                        display::long_day(day),
                        display::local_clock(slot.starts_at),
                        display::local_clock(slot.ends_at)
                    ) }
                </dd>
                <dt>{ "With" }</dt>
                <dd>{ props.practitioner_name.clone() }</dd>
            </dl>
            <form id="booking-form" class="stacked" onsubmit={onsubmit} novalidate=true>
                { booking_error("booking-error", &form.error) }
                { for ["starts_at", "ends_at", "practitioner_id", "Idempotency-Key"].into_iter().filter_map(|f| {
                    form.field_error(f).map(|m| html! {
                        <p class="field-error slot-error">{ format!("{}: {m}", display::humanize(f)) }</p>
                    })
                }) }
                <PatientPicker
                    prefix="booking"
                    label="Patient"
                    selected={form.values.patient.clone()}
                    {onpick}
                    error={form.field_error("patient_id")}
                />
                <Field
                    id="booking-reason"
                    label="Reason for the visit"
                    placeholder="e.g. follow-up of blood pressure"
                    value={form.values.reason.clone()}
                    oninput={setter(&form, |v, s| v.reason = s)}
                    error={form.field_error("reason")}
                    required=true
                />
                <div class="form-actions">
                    <button id="booking-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Booking…" } else { "Book appointment" } }
                    </button>
                </div>
            </form>
        </section>
    }
}
