//! The allergies tab: the allergy list and, for clinical writers, the add form.

use hms_api_types::records::{Allergy, AllergySeverity, ClinicalStatus, NewAllergy, UpdateAllergy};
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

pub const SEVERITIES: [AllergySeverity; 4] = [
    AllergySeverity::Mild,
    AllergySeverity::Moderate,
    AllergySeverity::Severe,
    AllergySeverity::LifeThreatening,
];

/// `<span class="badge severity-…">`: life-threatening and severe stand out.
pub fn severity_badge(severity: AllergySeverity) -> Html {
    html! {
        <span class={classes!("badge", format!("severity-{}", display::wire(&severity)))}>
            { display::label(&severity) }
        </span>
    }
}

/// `<section id="allergies">`.
#[component]
pub fn AllergiesTab(props: &RecordTabProps) -> Html {
    let session = use_session();
    let list = use_record_list::<Allergy>(session.api().clone(), props.patient_id);
    html! {
        <section id="allergies" class="tab-panel">
            if props.write {
                <AllergyForm patient_id={props.patient_id} onadded={list.on_added()} />
            }
            <h2>{ "Allergies" }</h2>
            { list_messages("allergies", &list) }
            <div class="table-wrap">
                <table id="allergies-table" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "Substance" }</th>
                            <th scope="col">{ "Reaction" }</th>
                            <th scope="col">{ "Severity" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col">{ "Onset" }</th>
                            <th scope="col">{ "Recorded" }</th>
                            if props.write {
                                <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                            }
                        </tr>
                    </thead>
                    <tbody>
                        { for list.state.visible().map(|a| allergy_row(a, &list, props.write)) }
                    </tbody>
                </table>
            </div>
            { list_footer("allergies", &list, "No allergies recorded.") }
        </section>
    }
}

fn allergy_row(allergy: &Allergy, list: &ListHandle<Allergy>, write: bool) -> Html {
    let in_error = allergy.entered_in_error.as_ref();
    let busy = list.state.busy.is_some();
    let onresolve = {
        let (list, allergy) = (list.clone(), allergy.clone());
        Callback::from(move |_: MouseEvent| {
            let change = UpdateAllergy {
                status: Some(ClinicalStatus::Resolved),
                ..UpdateAllergy::default()
            };
            list.update(&allergy, change, "Allergy marked as resolved.");
        })
    };
    html! {
        <tr
            key={allergy.id.to_string()}
            data-entry-id={allergy.id.to_string()}
            class={row_class(in_error)}
        >
            <td class="substance">
                { allergy.substance.clone() }
                { in_error_note(in_error) }
            </td>
            <td class="reaction">{ allergy.reaction.clone().unwrap_or_default() }</td>
            <td class="severity">{ severity_badge(allergy.severity) }</td>
            <td class="entry-status">{ display::label(&allergy.status) }</td>
            <td class="onset">{ display::opt_date(allergy.onset_date) }</td>
            <td class="recorded">{ recorded(&allergy.provenance) }</td>
            if write {
                <td class="actions">
                    if in_error.is_none() {
                        if allergy.status == ClinicalStatus::Active {
                            <button
                                type="button"
                                class="button small secondary resolve"
                                disabled={busy}
                                aria-label={format!("Mark allergy to {} resolved", allergy.substance)}
                                onclick={onresolve}
                            >
                                { "Resolve" }
                            </button>
                        }
                        <MarkInError
                            entry_id={allergy.id}
                            what={allergy.substance.clone()}
                            disabled={busy}
                            onmark={list.on_mark_in_error()}
                        />
                    }
                </td>
            }
        </tr>
    }
}

/// The values of the allergy form; `severity` is a wire name, empty until chosen.
#[derive(Debug, Clone, Default, PartialEq)]
struct AllergyValues {
    substance: String,
    reaction: String,
    severity: String,
}

impl AllergyValues {
    fn request(&self) -> Result<NewAllergy, ApiError> {
        let severity = display::parse_wire(&self.severity)
            .ok_or_else(|| ApiError::invalid("severity", "Choose a severity."))?;
        Ok(NewAllergy {
            substance: self.substance.trim().to_owned(),
            reaction: display::optional(&self.reaction),
            severity,
            status: None,
            onset_date: None,
            note: None,
        })
    }
}

/// `<form id="allergy-form">`.
#[component]
fn AllergyForm(props: &AddFormProps<Allergy>) -> Html {
    let session = use_session();
    let form = use_form::<AllergyValues>();
    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        let (patient_id, onadded) = (props.patient_id, props.onadded.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = form.values.request();
            submit_new(&form, &api, patient_id, request, &onadded, "Allergy added.");
        })
    };
    html! {
        <section class="card add-card" aria-labelledby="allergy-form-title">
            <h2 id="allergy-form-title">{ "Add allergy" }</h2>
            <form id="allergy-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="allergy-form-error" error={form.error.clone()} />
                if let Some(done) = &form.done {
                    <p id="allergy-form-status" class="status" role="status">{ done.clone() }</p>
                }
                <Field
                    id="allergy-substance"
                    label="Substance"
                    value={form.values.substance.clone()}
                    oninput={setter(&form, |v, s| v.substance = s)}
                    error={form.field_error("substance")}
                    required=true
                />
                <Field
                    id="allergy-reaction"
                    label="Reaction"
                    placeholder="e.g. hives"
                    value={form.values.reaction.clone()}
                    oninput={setter(&form, |v, s| v.reaction = s)}
                    error={form.field_error("reaction")}
                />
                <SelectField
                    id="allergy-severity"
                    label="Severity"
                    value={form.values.severity.clone()}
                    options={display::options(Some(("", "Choose…")), &SEVERITIES)}
                    onchange={setter(&form, |v, s| v.severity = s)}
                    error={form.field_error("severity")}
                />
                <div class="form-actions">
                    <button id="allergy-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Adding…" } else { "Add allergy" } }
                    </button>
                </div>
            </form>
        </section>
    }
}
