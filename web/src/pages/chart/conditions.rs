//! The conditions tab: problems and diagnoses (ICD-10) and, for clinical writers, the add form.

use hms_api_types::records::{ClinicalStatus, Condition, NewCondition, UpdateCondition};
use yew::prelude::*;

use super::list::{
    in_error_note, list_footer, list_messages, recorded, row_class, submit_new, use_record_list,
    AddFormProps, ListHandle, MarkInError, RecordTabProps,
};
use crate::api::ApiError;
use crate::components::field::Field;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{setter, use_form};
use crate::session::use_session;

/// `<section id="conditions">`.
#[component]
pub fn ConditionsTab(props: &RecordTabProps) -> Html {
    let session = use_session();
    let list = use_record_list::<Condition>(session.api().clone(), props.patient_id);
    html! {
        <section id="conditions" class="tab-panel">
            if props.write {
                <ConditionForm patient_id={props.patient_id} onadded={list.on_added()} />
            }
            <h2>{ "Conditions" }</h2>
            { list_messages("conditions", &list) }
            <div class="table-wrap">
                <table id="conditions-table" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "ICD-10" }</th>
                            <th scope="col">{ "Description" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col">{ "Onset" }</th>
                            <th scope="col">{ "Resolved" }</th>
                            <th scope="col">{ "Recorded" }</th>
                            if props.write {
                                <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                            }
                        </tr>
                    </thead>
                    <tbody>
                        { for list.state.visible().map(|c| condition_row(c, &list, props.write)) }
                    </tbody>
                </table>
            </div>
            { list_footer("conditions", &list, "No conditions recorded.") }
        </section>
    }
}

fn condition_row(condition: &Condition, list: &ListHandle<Condition>, write: bool) -> Html {
    let in_error = condition.entered_in_error.as_ref();
    let busy = list.state.busy.is_some();
    let onresolve = {
        let (list, condition) = (list.clone(), condition.clone());
        Callback::from(move |_: MouseEvent| {
            let change = UpdateCondition {
                status: Some(ClinicalStatus::Resolved),
                resolved_date: Some(display::today()),
                ..UpdateCondition::default()
            };
            list.update(&condition, change, "Condition marked as resolved.");
        })
    };
    html! {
        <tr
            key={condition.id.to_string()}
            data-entry-id={condition.id.to_string()}
            class={row_class(in_error)}
        >
            <td class="code">
                <code>{ condition.icd10_code.clone() }</code>
                { in_error_note(in_error) }
            </td>
            <td class="description">{ condition.description.clone() }</td>
            <td class="entry-status">{ display::label(&condition.status) }</td>
            <td class="onset">{ display::opt_date(condition.onset_date) }</td>
            <td class="resolved">{ display::opt_date(condition.resolved_date) }</td>
            <td class="recorded">{ recorded(&condition.provenance) }</td>
            if write {
                <td class="actions">
                    if in_error.is_none() {
                        if condition.status == ClinicalStatus::Active {
                            <button
                                type="button"
                                class="button small secondary resolve"
                                disabled={busy}
                                aria-label={format!("Mark {} resolved", condition.description)}
                                onclick={onresolve}
                            >
                                { "Resolve" }
                            </button>
                        }
                        <MarkInError
                            entry_id={condition.id}
                            what={condition.description.clone()}
                            disabled={busy}
                            onmark={list.on_mark_in_error()}
                        />
                    }
                </td>
            }
        </tr>
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct ConditionValues {
    code: String,
    description: String,
    onset: String,
}

impl ConditionValues {
    fn request(&self) -> Result<NewCondition, ApiError> {
        let onset_date = display::parse_date("onset_date", &self.onset)?;
        Ok(NewCondition {
            icd10_code: self.code.trim().to_uppercase(),
            description: self.description.trim().to_owned(),
            status: None,
            onset_date,
            note: None,
        })
    }
}

/// `<form id="condition-form">`.
#[component]
fn ConditionForm(props: &AddFormProps<Condition>) -> Html {
    let session = use_session();
    let form = use_form::<ConditionValues>();
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
                "Condition added.",
            );
        })
    };
    html! {
        <section class="card add-card" aria-labelledby="condition-form-title">
            <h2 id="condition-form-title">{ "Add condition" }</h2>
            <form id="condition-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="condition-form-error" error={form.error.clone()} />
                if let Some(done) = &form.done {
                    <p id="condition-form-status" class="status" role="status">{ done.clone() }</p>
                }
                <Field
                    id="condition-code"
                    label="ICD-10 code"
                    placeholder="e.g. E11.9"
                    value={form.values.code.clone()}
                    oninput={setter(&form, |v, s| v.code = s)}
                    error={form.field_error("icd10_code")}
                    required=true
                />
                <Field
                    id="condition-description"
                    label="Description"
                    value={form.values.description.clone()}
                    oninput={setter(&form, |v, s| v.description = s)}
                    error={form.field_error("description")}
                    required=true
                />
                <Field
                    id="condition-onset"
                    label="Onset (optional)"
                    kind="date"
                    value={form.values.onset.clone()}
                    oninput={setter(&form, |v, s| v.onset = s)}
                    error={form.field_error("onset_date")}
                />
                <div class="form-actions">
                    <button id="condition-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Adding…" } else { "Add condition" } }
                    </button>
                </div>
            </form>
        </section>
    }
}
