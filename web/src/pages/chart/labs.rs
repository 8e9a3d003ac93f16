//! The lab-results tab: results with reference ranges and flags; for clinical writers, the form.

use hms_api_types::records::{LabFlag, LabResult, NewLabResult};
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

const FLAGS: [LabFlag; 6] = [
    LabFlag::Normal,
    LabFlag::Low,
    LabFlag::High,
    LabFlag::CriticalLow,
    LabFlag::CriticalHigh,
    LabFlag::Abnormal,
];

/// `<span class="badge flag-…">`: critical values stand out.
fn flag_badge(flag: LabFlag) -> Html {
    html! {
        <span class={classes!("badge", format!("flag-{}", display::wire(&flag)))}>
            { display::label(&flag) }
        </span>
    }
}

/// "6.8 %", or the text value.
fn result_value(r: &LabResult) -> String {
    let value = match (r.value_numeric, &r.value_text) {
        (Some(n), _) => display::num(n),
        (None, Some(text)) => text.clone(),
        (None, None) => "—".to_owned(),
    };
    match &r.unit {
        Some(unit) if r.value_numeric.is_some() => format!("{value} {unit}"),
        _ => value,
    }
}

/// "4.0–5.6", "< 5.6", "> 4.0" or a dash.
fn reference_range(r: &LabResult) -> String {
    match (r.reference_low, r.reference_high) {
        (Some(low), Some(high)) => format!("{}–{}", display::num(low), display::num(high)),
        (None, Some(high)) => format!("< {}", display::num(high)),
        (Some(low), None) => format!("> {}", display::num(low)),
        (None, None) => "—".to_owned(),
    }
}

/// `<section id="labs">`.
#[component]
pub fn LabsTab(props: &RecordTabProps) -> Html {
    let session = use_session();
    let list = use_record_list::<LabResult>(session.api().clone(), props.patient_id);
    html! {
        <section id="labs" class="tab-panel">
            if props.write {
                <LabForm patient_id={props.patient_id} onadded={list.on_added()} />
            }
            <h2>{ "Lab results" }</h2>
            { list_messages("labs", &list) }
            <div class="table-wrap">
                <table id="labs-table" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "Test" }</th>
                            <th scope="col">{ "Result" }</th>
                            <th scope="col">{ "Reference" }</th>
                            <th scope="col">{ "Flag" }</th>
                            <th scope="col">{ "Collected" }</th>
                            <th scope="col">{ "Reported" }</th>
                            <th scope="col">{ "Recorded" }</th>
                            if props.write {
                                <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                            }
                        </tr>
                    </thead>
                    <tbody>
                        { for list.state.visible().map(|r| lab_row(r, &list, props.write)) }
                    </tbody>
                </table>
            </div>
            { list_footer("labs", &list, "No lab results recorded.") }
        </section>
    }
}

fn lab_row(result: &LabResult, list: &ListHandle<LabResult>, write: bool) -> Html {
    let in_error = result.entered_in_error.as_ref();
    html! {
        <tr
            key={result.id.to_string()}
            data-entry-id={result.id.to_string()}
            class={row_class(in_error)}
        >
            <td class="test">
                { result.test_name.clone() }
                if let Some(code) = &result.loinc_code {
                    <span class="muted loinc">{ format!(" (LOINC {code})") }</span>
                }
                { in_error_note(in_error) }
            </td>
            <td class="value">{ result_value(result) }</td>
            <td class="reference">{ reference_range(result) }</td>
            <td class="flag">{ flag_badge(result.flag) }</td>
            <td class="collected">{ display::local_time(result.collected_at) }</td>
            <td class="reported">{ display::local_time(result.reported_at) }</td>
            <td class="recorded">{ recorded(&result.provenance) }</td>
            if write {
                <td class="actions">
                    if in_error.is_none() {
                        <MarkInError
                            entry_id={result.id}
                            what={result.test_name.clone()}
                            disabled={list.state.busy.is_some()}
                            onmark={list.on_mark_in_error()}
                        />
                    }
                </td>
            }
        </tr>
    }
}

/// The values of the lab form; `flag` is a wire name, empty to compute it from the range.
#[derive(Debug, Clone, PartialEq)]
struct LabValues {
    test_name: String,
    loinc: String,
    /// A number, or a text result ("positive").
    value: String,
    unit: String,
    low: String,
    high: String,
    flag: String,
    /// `datetime-local`.
    collected: String,
}

impl Default for LabValues {
    fn default() -> Self {
        LabValues {
            test_name: String::new(),
            loinc: String::new(),
            value: String::new(),
            unit: String::new(),
            low: String::new(),
            high: String::new(),
            flag: String::new(),
            collected: display::local_input_value(display::now()),
        }
    }
}

impl LabValues {
    fn request(&self) -> Result<NewLabResult, ApiError> {
        let (value_numeric, value_text) = match display::number("value_numeric", &self.value) {
            Ok(number) => (number, None),
            Err(_) => (None, display::optional(&self.value)),
        };
        let collected_at = display::parse_local_datetime(&self.collected).ok_or_else(|| {
            ApiError::invalid("collected_at", "Enter when the sample was collected.")
        })?;
        Ok(NewLabResult {
            test_name: self.test_name.trim().to_owned(),
            loinc_code: display::optional(&self.loinc),
            value_numeric,
            value_text,
            unit: display::optional(&self.unit),
            reference_low: display::number("reference_low", &self.low)?,
            reference_high: display::number("reference_high", &self.high)?,
            flag: display::parse_wire(&self.flag),
            collected_at,
        })
    }
}

/// `<form id="lab-form">`.
#[component]
fn LabForm(props: &AddFormProps<LabResult>) -> Html {
    let session = use_session();
    let form = use_form::<LabValues>();
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
                "Lab result added.",
            );
        })
    };
    let value_error = form
        .field_error("value_numeric")
        .or_else(|| form.field_error("value_text"));
    html! {
        <section class="card add-card" aria-labelledby="lab-form-title">
            <h2 id="lab-form-title">{ "Add lab result" }</h2>
            <form id="lab-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="lab-form-error" error={form.error.clone()} />
                if let Some(done) = &form.done {
                    <p id="lab-form-status" class="status" role="status">{ done.clone() }</p>
                }
                <Field
                    id="lab-test-name"
                    label="Test"
                    placeholder="e.g. Hemoglobin A1c"
                    value={form.values.test_name.clone()}
                    oninput={setter(&form, |v, s| v.test_name = s)}
                    error={form.field_error("test_name")}
                    required=true
                />
                <Field
                    id="lab-loinc"
                    label="LOINC code (optional)"
                    value={form.values.loinc.clone()}
                    oninput={setter(&form, |v, s| v.loinc = s)}
                    error={form.field_error("loinc_code")}
                />
                <Field
                    id="lab-value"
                    label="Result"
                    hint="A number, or text such as “positive”."
                    value={form.values.value.clone()}
                    oninput={setter(&form, |v, s| v.value = s)}
                    error={value_error}
                    required=true
                />
                <Field
                    id="lab-unit"
                    label="Unit"
                    placeholder="e.g. mmol/L"
                    value={form.values.unit.clone()}
                    oninput={setter(&form, |v, s| v.unit = s)}
                    error={form.field_error("unit")}
                />
                <Field
                    id="lab-ref-low"
                    label="Reference low"
                    inputmode="decimal"
                    value={form.values.low.clone()}
                    oninput={setter(&form, |v, s| v.low = s)}
                    error={form.field_error("reference_low")}
                />
                <Field
                    id="lab-ref-high"
                    label="Reference high"
                    inputmode="decimal"
                    value={form.values.high.clone()}
                    oninput={setter(&form, |v, s| v.high = s)}
                    error={form.field_error("reference_high")}
                />
                <SelectField
                    id="lab-flag"
                    label="Flag"
                    value={form.values.flag.clone()}
                    options={display::options(Some(("", "From the reference range")), &FLAGS)}
                    onchange={setter(&form, |v, s| v.flag = s)}
                    error={form.field_error("flag")}
                />
                <Field
                    id="lab-collected"
                    label="Collected"
                    kind="datetime-local"
                    value={form.values.collected.clone()}
                    oninput={setter(&form, |v, s| v.collected = s)}
                    error={form.field_error("collected_at")}
                    required=true
                />
                <div class="form-actions">
                    <button id="lab-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Adding…" } else { "Add lab result" } }
                    </button>
                </div>
            </form>
        </section>
    }
}
