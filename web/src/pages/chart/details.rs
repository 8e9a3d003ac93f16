//! The details tab: demographics and contacts; for registration staff, "Edit details".

use hms_api_types::patients::Patient;
use yew::prelude::*;

use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{use_form_with, FormAction};
use crate::pages::patient_form::{PatientFields, PatientValues};
use crate::session::use_session;

/// Shown when the patient changed between opening the form and saving it (HTTP 412).
const STALE_MESSAGE: &str = "Someone else changed this patient meanwhile; the details above were \
                             reloaded. Check them, then save again.";

#[derive(Properties, PartialEq)]
pub struct DetailsTabProps {
    pub patient: Patient,
    /// The role may change demographics.
    pub edit: bool,
    /// Gets the patient as now on record, with a status line for the header.
    pub on_changed: Callback<(Patient, Option<AttrValue>)>,
}

/// `<section id="details">` with `<dl id="patient-details">`.
#[component]
pub fn DetailsTab(props: &DetailsTabProps) -> Html {
    let editing = use_state(|| false);
    let p = &props.patient;
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    let address = [
        &p.address.line,
        &p.address.postal_code,
        &p.address.city,
        &p.address.country,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect::<Vec<_>>()
    .join(", ");
    let contact = p.emergency_contact.as_ref().map(|c| match &c.relationship {
        Some(relationship) => format!("{} ({relationship}), {}", c.name, c.phone),
        None => format!("{}, {}", c.name, c.phone),
    });

    let onedit = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(true))
    };
    let onclose = {
        let editing = editing.clone();
        Callback::from(move |()| editing.set(false))
    };

    html! {
        <section id="details" class="tab-panel">
            <h2>{ "Details" }</h2>
            if *editing {
                <EditPatientForm
                    patient={p.clone()}
                    on_changed={props.on_changed.clone()}
                    {onclose}
                />
            } else {
                <dl id="patient-details" class="details card">
                    <dt>{ "Phone" }</dt>
                    <dd id="details-phone">{ text(&p.phone) }</dd>
                    <dt>{ "Email" }</dt>
                    <dd id="details-email">{ text(&p.email) }</dd>
                    <dt>{ "Address" }</dt>
                    <dd id="details-address">{ if address.is_empty() { "—".to_owned() } else { address } }</dd>
                    <dt>{ "Emergency contact" }</dt>
                    <dd id="details-emergency-contact">{ contact.unwrap_or_else(|| "—".to_owned()) }</dd>
                    <dt>{ "Preferred language" }</dt>
                    <dd id="details-language">{ text(&p.preferred_language) }</dd>
                    <dt>{ "Registered" }</dt>
                    <dd id="details-registered">{ display::local_time(p.created_at) }</dd>
                </dl>
                if props.edit {
                    <button id="edit-patient" type="button" class="button secondary" onclick={onedit}>
                        { "Edit details" }
                    </button>
                }
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct EditPatientFormProps {
    patient: Patient,
    on_changed: Callback<(Patient, Option<AttrValue>)>,
    onclose: Callback<()>,
}

/// `<form id="patient-edit-form">`, filled with what is on record.
#[component]
fn EditPatientForm(props: &EditPatientFormProps) -> Html {
    let session = use_session();
    let form = {
        let patient = props.patient.clone();
        use_form_with(move || PatientValues::from_patient(&patient))
    };

    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        let (id, version) = (props.patient.id, props.patient.version);
        let (on_changed, onclose) = (props.on_changed.clone(), props.onclose.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let change = match form.values.update() {
                Ok(change) => change,
                Err(error) => {
                    form.dispatch(FormAction::Failed(error));
                    return;
                }
            };
            form.dispatch(FormAction::Submit);
            let (form, api) = (form.dispatcher(), api.clone());
            let (on_changed, onclose) = (on_changed.clone(), onclose.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.update_patient(id, version, &change).await {
                    Ok(patient) => {
                        on_changed.emit((patient, Some(AttrValue::Static("Details saved."))));
                        onclose.emit(());
                    }
                    Err(error) if error.status() == Some(412) => {
                        form.dispatch(FormAction::Failed(error.with_detail(STALE_MESSAGE)));
                        if let Ok(patient) = api.get_patient(id).await {
                            on_changed.emit((patient, None));
                        }
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let oncancel = {
        let onclose = props.onclose.clone();
        Callback::from(move |_: MouseEvent| onclose.emit(()))
    };

    html! {
        <form id="patient-edit-form" class="card stacked-form" {onsubmit} novalidate=true>
            <ProblemAlert id="patient-edit-error" error={form.error.clone()} />
            <PatientFields form={form.clone()} />
            <div class="form-actions">
                <button id="patient-edit-submit" type="submit" class="button primary" disabled={form.submitting}>
                    { if form.submitting { "Saving…" } else { "Save details" } }
                </button>
                <button id="patient-edit-cancel" type="button" class="button secondary" onclick={oncancel}>
                    { "Cancel" }
                </button>
            </div>
        </form>
    }
}
