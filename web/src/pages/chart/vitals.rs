//! The vital-signs tab: measurements over time and, for clinical writers, the add form.
//!
//! Units are fixed by the API: mmHg, beats/min, °C, %, breaths/min, kg, cm.

use hms_api_types::records::{NewVitalSigns, VitalSigns};
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

/// "120/80 mmHg", or a dash when not both measured.
fn blood_pressure(v: &VitalSigns) -> String {
    match (v.systolic_mmhg, v.diastolic_mmhg) {
        (Some(s), Some(d)) => format!("{s}/{d} mmHg"),
        _ => "—".to_owned(),
    }
}

/// "72 bpm", or a dash.
fn whole(value: Option<i32>, unit: &str) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v} {unit}"))
}

/// "37.5 °C", or a dash.
fn decimal(value: Option<f64>, unit: &str) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{} {unit}", display::num(v)))
}

/// The measurements of one set, as `<dl>` rows (the summary shows the latest set this way).
pub fn vitals_facts(v: &VitalSigns) -> Html {
    let facts = [
        ("Blood pressure", blood_pressure(v)),
        ("Heart rate", whole(v.heart_rate_bpm, "bpm")),
        ("Temperature", decimal(v.temperature_c, "°C")),
        ("SpO₂", whole(v.spo2_percent, "%")),
        ("Respiratory rate", whole(v.respiratory_rate, "/min")),
        ("Weight", decimal(v.weight_kg, "kg")),
        ("Height", decimal(v.height_cm, "cm")),
        ("BMI", v.bmi.map_or_else(|| "—".to_owned(), display::num)),
    ];
    html! {
        <dl class="details vitals-facts">
            { for facts.into_iter().map(|(name, value)| html! {
                <>
                    <dt>{ name }</dt>
                    <dd>{ value }</dd>
                </>
            }) }
        </dl>
    }
}

/// `<section id="vitals">`.
#[component]
pub fn VitalsTab(props: &RecordTabProps) -> Html {
    let session = use_session();
    let list = use_record_list::<VitalSigns>(session.api().clone(), props.patient_id);
    html! {
        <section id="vitals" class="tab-panel">
            if props.write {
                <VitalsForm patient_id={props.patient_id} onadded={list.on_added()} />
            }
            <h2>{ "Vital signs" }</h2>
            { list_messages("vitals", &list) }
            <div class="table-wrap">
                <table id="vitals-table" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "Measured" }</th>
                            <th scope="col">{ "Blood pressure" }</th>
                            <th scope="col">{ "Heart rate" }</th>
                            <th scope="col">{ "Temp." }</th>
                            <th scope="col">{ "SpO₂" }</th>
                            <th scope="col">{ "Resp. rate" }</th>
                            <th scope="col">{ "Weight" }</th>
                            <th scope="col">{ "Height" }</th>
                            <th scope="col">{ "BMI" }</th>
                            <th scope="col">{ "Recorded" }</th>
                            if props.write {
                                <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                            }
                        </tr>
                    </thead>
                    <tbody>
                        { for list.state.visible().map(|v| vitals_row(v, &list, props.write)) }
                    </tbody>
                </table>
            </div>
            { list_footer("vitals", &list, "No vital signs recorded.") }
        </section>
    }
}

fn vitals_row(v: &VitalSigns, list: &ListHandle<VitalSigns>, write: bool) -> Html {
    let in_error = v.entered_in_error.as_ref();
    let when = display::local_time(v.measured_at);
    html! {
        <tr key={v.id.to_string()} data-entry-id={v.id.to_string()} class={row_class(in_error)}>
            <td class="measured-at">
                { when.clone() }
                { in_error_note(in_error) }
            </td>
            <td class="bp">{ blood_pressure(v) }</td>
            <td class="heart-rate">{ whole(v.heart_rate_bpm, "bpm") }</td>
            <td class="temperature">{ decimal(v.temperature_c, "°C") }</td>
            <td class="spo2">{ whole(v.spo2_percent, "%") }</td>
            <td class="respiratory-rate">{ whole(v.respiratory_rate, "/min") }</td>
            <td class="weight">{ decimal(v.weight_kg, "kg") }</td>
            <td class="height">{ decimal(v.height_cm, "cm") }</td>
            <td class="bmi">{ v.bmi.map_or_else(|| "—".to_owned(), display::num) }</td>
            <td class="recorded">{ recorded(&v.provenance) }</td>
            if write {
                <td class="actions">
                    if in_error.is_none() {
                        <MarkInError
                            entry_id={v.id}
                            what={format!("vital signs of {when}")}
                            disabled={list.state.busy.is_some()}
                            onmark={list.on_mark_in_error()}
                        />
                    }
                </td>
            }
        </tr>
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct VitalsValues {
    systolic: String,
    diastolic: String,
    heart_rate: String,
    temperature: String,
    spo2: String,
    respiratory_rate: String,
    weight: String,
    height: String,
}

impl VitalsValues {
    fn request(&self) -> Result<NewVitalSigns, ApiError> {
        Ok(NewVitalSigns {
            measured_at: None,
            systolic_mmhg: display::integer("systolic_mmhg", &self.systolic)?,
            diastolic_mmhg: display::integer("diastolic_mmhg", &self.diastolic)?,
            heart_rate_bpm: display::integer("heart_rate_bpm", &self.heart_rate)?,
            temperature_c: display::number("temperature_c", &self.temperature)?,
            spo2_percent: display::integer("spo2_percent", &self.spo2)?,
            respiratory_rate: display::integer("respiratory_rate", &self.respiratory_rate)?,
            weight_kg: display::number("weight_kg", &self.weight)?,
            height_cm: display::number("height_cm", &self.height)?,
            note: None,
        })
    }
}

/// `<form id="vitals-form">`, a unit beside every input.
#[component]
fn VitalsForm(props: &AddFormProps<VitalSigns>) -> Html {
    let session = use_session();
    let form = use_form::<VitalsValues>();
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
                "Vital signs recorded.",
            );
        })
    };
    type Set = fn(&mut VitalsValues, String);
    // (input id suffix, label, unit, server field, input mode, value, setter)
    let values = &form.values;
    let fields: [(&str, &str, &str, &str, &str, &String, Set); 8] = [
        (
            "systolic",
            "Systolic",
            "mmHg",
            "systolic_mmhg",
            "numeric",
            &values.systolic,
            |v, s| v.systolic = s,
        ),
        (
            "diastolic",
            "Diastolic",
            "mmHg",
            "diastolic_mmhg",
            "numeric",
            &values.diastolic,
            |v, s| v.diastolic = s,
        ),
        (
            "heart-rate",
            "Heart rate",
            "bpm",
            "heart_rate_bpm",
            "numeric",
            &values.heart_rate,
            |v, s| v.heart_rate = s,
        ),
        (
            "temperature",
            "Temperature",
            "°C",
            "temperature_c",
            "decimal",
            &values.temperature,
            |v, s| v.temperature = s,
        ),
        (
            "spo2",
            "SpO₂",
            "%",
            "spo2_percent",
            "numeric",
            &values.spo2,
            |v, s| v.spo2 = s,
        ),
        (
            "respiratory-rate",
            "Respiratory rate",
            "/min",
            "respiratory_rate",
            "numeric",
            &values.respiratory_rate,
            |v, s| v.respiratory_rate = s,
        ),
        (
            "weight",
            "Weight",
            "kg",
            "weight_kg",
            "decimal",
            &values.weight,
            |v, s| v.weight = s,
        ),
        (
            "height",
            "Height",
            "cm",
            "height_cm",
            "decimal",
            &values.height,
            |v, s| v.height = s,
        ),
    ];
    html! {
        <section class="card add-card" aria-labelledby="vitals-form-title">
            <h2 id="vitals-form-title">{ "Record vital signs" }</h2>
            <form id="vitals-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="vitals-form-error" error={form.error.clone()} />
                if let Some(done) = &form.done {
                    <p id="vitals-form-status" class="status" role="status">{ done.clone() }</p>
                }
                { for fields.into_iter().map(|(id, label, unit, field, mode, value, set)| html! {
                    <Field
                        id={format!("vitals-{id}")}
                        label={label}
                        inputmode={mode}
                        unit={unit}
                        value={value.clone()}
                        oninput={setter(&form, set)}
                        error={form.field_error(field)}
                    />
                }) }
                <div class="form-actions">
                    <button id="vitals-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Saving…" } else { "Record vital signs" } }
                    </button>
                </div>
            </form>
        </section>
    }
}
