//! The medications tab: what the patient takes or took and, for clinical writers, the add form.

use hms_api_types::records::{
    Medication, MedicationRoute, MedicationStatus, NewMedication, UpdateMedication,
};
use hms_api_types::Role;
use uuid::Uuid;
use yew::prelude::*;

use super::list::{
    in_error_note, list_footer, list_messages, recorded, row_class, submit_new, use_record_list,
    AddFormProps, ListHandle, MarkInError, RecordTabProps,
};
use crate::api::ApiError;
use crate::components::field::{Field, SelectField};
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{setter, use_form};
use crate::session::use_session;

const ROUTES: [MedicationRoute; 10] = [
    MedicationRoute::Oral,
    MedicationRoute::Intravenous,
    MedicationRoute::Intramuscular,
    MedicationRoute::Subcutaneous,
    MedicationRoute::Topical,
    MedicationRoute::Inhaled,
    MedicationRoute::Rectal,
    MedicationRoute::Sublingual,
    MedicationRoute::Transdermal,
    MedicationRoute::Other,
];

/// `<section id="medications">`.
#[component]
pub fn MedicationsTab(props: &RecordTabProps) -> Html {
    let session = use_session();
    let list = use_record_list::<Medication>(session.api().clone(), props.patient_id);
    html! {
        <section id="medications" class="tab-panel">
            if props.write {
                <MedicationForm patient_id={props.patient_id} onadded={list.on_added()} />
            }
            <h2>{ "Medications" }</h2>
            { list_messages("medications", &list) }
            <div class="table-wrap">
                <table id="medications-table" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "Drug" }</th>
                            <th scope="col">{ "Dose" }</th>
                            <th scope="col">{ "Route" }</th>
                            <th scope="col">{ "Frequency" }</th>
                            <th scope="col">{ "Start" }</th>
                            <th scope="col">{ "End" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col">{ "Prescriber" }</th>
                            <th scope="col">{ "Recorded" }</th>
                            if props.write {
                                <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                            }
                        </tr>
                    </thead>
                    <tbody>
                        { for list.state.visible().map(|m| medication_row(m, &list, props.write)) }
                    </tbody>
                </table>
            </div>
            { list_footer("medications", &list, "No medications recorded.") }
        </section>
    }
}

fn medication_row(medication: &Medication, list: &ListHandle<Medication>, write: bool) -> Html {
    let in_error = medication.entered_in_error.as_ref();
    let busy = list.state.busy.is_some();
    let onstop = {
        let (list, medication) = (list.clone(), medication.clone());
        Callback::from(move |_: MouseEvent| {
            let change = UpdateMedication {
                status: Some(MedicationStatus::Stopped),
                ..UpdateMedication::default()
            };
            list.update(&medication, change, "Medication stopped.");
        })
    };
    html! {
        <tr
            key={medication.id.to_string()}
            data-entry-id={medication.id.to_string()}
            class={row_class(in_error)}
        >
            <td class="drug">
                { medication.drug.clone() }
                { in_error_note(in_error) }
            </td>
            <td class="dose">{ medication.dose.clone() }</td>
            <td class="route">{ display::label(&medication.route) }</td>
            <td class="frequency">{ medication.frequency.clone() }</td>
            <td class="start">{ display::date(medication.start_date) }</td>
            <td class="end">{ display::opt_date(medication.end_date) }</td>
            <td class="entry-status">
                <span class={classes!("pill", (medication.status == MedicationStatus::Active).then_some("ok"))}>
                    { display::label(&medication.status) }
                </span>
            </td>
            <td class="prescriber">{ medication.prescriber_name.clone() }</td>
            <td class="recorded">{ recorded(&medication.provenance) }</td>
            if write {
                <td class="actions">
                    if in_error.is_none() {
                        if medication.status == MedicationStatus::Active {
                            <button
                                type="button"
                                class="button small secondary stop"
                                disabled={busy}
                                aria-label={format!("Stop {}", medication.drug)}
                                onclick={onstop}
                            >
                                { "Stop" }
                            </button>
                        }
                        <MarkInError
                            entry_id={medication.id}
                            what={medication.drug.clone()}
                            disabled={busy}
                            onmark={list.on_mark_in_error()}
                        />
                    }
                </td>
            }
        </tr>
    }
}

/// The values of the medication form; `route` is a wire name.
#[derive(Debug, Clone, PartialEq)]
struct MedicationValues {
    drug: String,
    dose: String,
    route: String,
    frequency: String,
    start: String,
    /// The prescribing doctor's account id; only asked of writers who are not doctors.
    prescriber: String,
}

/// An empty form starts with the oral route and today's date.
impl Default for MedicationValues {
    fn default() -> Self {
        MedicationValues {
            drug: String::new(),
            dose: String::new(),
            route: display::wire(&MedicationRoute::Oral),
            frequency: String::new(),
            start: display::date(display::today()),
            prescriber: String::new(),
        }
    }
}

impl MedicationValues {
    fn request(&self) -> Result<NewMedication, ApiError> {
        let route = display::parse_wire(&self.route)
            .ok_or_else(|| ApiError::invalid("route", "Choose a route."))?;
        let start_date = display::parse_date("start_date", &self.start)?
            .ok_or_else(|| ApiError::invalid("start_date", "Enter the start date."))?;
        Ok(NewMedication {
            drug: self.drug.trim().to_owned(),
            dose: self.dose.trim().to_owned(),
            route,
            frequency: self.frequency.trim().to_owned(),
            start_date,
            end_date: None,
            prescriber_id: match self.prescriber.trim() {
                "" => None,
                id => Some(Uuid::parse_str(id).map_err(|_| {
                    ApiError::invalid("prescriber_id", "Enter the doctor's account id.")
                })?),
            },
            note: None,
        })
    }
}

/// `<form id="medication-form">`.
#[component]
fn MedicationForm(props: &AddFormProps<Medication>) -> Html {
    let session = use_session();
    let form = use_form::<MedicationValues>();
    // Doctors prescribe themselves; anyone else names the prescribing doctor.
    let asks_prescriber = session.user().is_some_and(|u| u.role != Role::Doctor);
    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        let (patient_id, onadded) = (props.patient_id, props.onadded.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = form.values.request();
            submit_new(
                &form,
                &api,
                patient_id,
                request,
                &onadded,
                "Medication added.",
            );
        })
    };
    html! {
        <section class="card add-card" aria-labelledby="medication-form-title">
            <h2 id="medication-form-title">{ "Add medication" }</h2>
            <form id="medication-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="medication-form-error" error={form.error.clone()} />
                if let Some(done) = &form.done {
                    <p id="medication-form-status" class="status" role="status">{ done.clone() }</p>
                }
                <Field
                    id="medication-drug"
                    label="Drug"
                    value={form.values.drug.clone()}
                    oninput={setter(&form, |v, s| v.drug = s)}
                    error={form.field_error("drug")}
                    required=true
                />
                <Field
                    id="medication-dose"
                    label="Dose"
                    placeholder="e.g. 500 mg"
                    value={form.values.dose.clone()}
                    oninput={setter(&form, |v, s| v.dose = s)}
                    error={form.field_error("dose")}
                    required=true
                />
                <SelectField
                    id="medication-route"
                    label="Route"
                    value={form.values.route.clone()}
                    options={display::options(None, &ROUTES)}
                    onchange={setter(&form, |v, s| v.route = s)}
                    error={form.field_error("route")}
                />
                <Field
                    id="medication-frequency"
                    label="Frequency"
                    placeholder="e.g. twice daily"
                    value={form.values.frequency.clone()}
                    oninput={setter(&form, |v, s| v.frequency = s)}
                    error={form.field_error("frequency")}
                    required=true
                />
                <Field
                    id="medication-start"
                    label="Start date"
                    kind="date"
                    value={form.values.start.clone()}
                    oninput={setter(&form, |v, s| v.start = s)}
                    error={form.field_error("start_date")}
                    required=true
                />
                if asks_prescriber {
                    <Field
                        id="medication-prescriber"
                        label="Prescriber (doctor's account id)"
                        autocomplete="off"
                        value={form.values.prescriber.clone()}
                        oninput={setter(&form, |v, s| v.prescriber = s)}
                        error={form.field_error("prescriber_id")}
                        required=true
                    />
                }
                <div class="form-actions">
                    <button id="medication-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Adding…" } else { "Add medication" } }
                    </button>
                </div>
            </form>
        </section>
    }
}
