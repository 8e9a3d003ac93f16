//! The summary tab: what a clinician reads first — active allergies and conditions, current
//! medications and the latest vital signs.

use hms_api_types::records::PatientSummary;
use uuid::Uuid;
use yew::prelude::*;

use super::allergies::severity_badge;
use super::vitals::vitals_facts;
use crate::api::ApiError;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct SummaryTabProps {
    pub patient_id: Uuid,
}

/// `<section id="summary">`.
#[component]
pub fn SummaryTab(props: &SummaryTabProps) -> Html {
    let session = use_session();
    let summary = use_state(|| None::<Result<PatientSummary, ApiError>>);
    {
        let (api, summary) = (session.api().clone(), summary.clone());
        use_effect_with(props.patient_id, move |id| {
            let id = *id;
            wasm_bindgen_futures::spawn_local(async move {
                summary.set(Some(api.patient_summary(id).await));
            });
        });
    }

    let body = match &*summary {
        None => html! { <p id="summary-loading" class="loading" role="status">{ "Loading…" }</p> },
        Some(Err(error)) => {
            html! { <ProblemAlert id="summary-error" error={Some(error.clone())} /> }
        }
        Some(Ok(summary)) => summary_body(summary),
    };
    html! {
        <section id="summary" class="tab-panel">
            <h2 class="visually-hidden">{ "Summary" }</h2>
            { body }
        </section>
    }
}

fn summary_body(s: &PatientSummary) -> Html {
    html! {
        <div class="summary-grid">
            <section id="summary-allergies" class="card summary-card">
                <h3>{ "Allergies" }</h3>
                if s.active_allergies.is_empty() {
                    <p class="muted empty">{ "No known active allergies." }</p>
                } else {
                    <ul class="summary-list">
                        { for s.active_allergies.iter().map(|a| html! {
                            <li data-entry-id={a.id.to_string()}>
                                <strong>{ a.substance.clone() }</strong>
                                { " " }
                                { severity_badge(a.severity) }
                                if let Some(reaction) = &a.reaction {
                                    <span class="muted">{ format!(" — {reaction}") }</span>
                                }
                            </li>
                        }) }
                    </ul>
                }
            </section>
            <section id="summary-conditions" class="card summary-card">
                <h3>{ "Active conditions" }</h3>
                if s.active_conditions.is_empty() {
                    <p class="muted empty">{ "No active conditions." }</p>
                } else {
                    <ul class="summary-list">
                        { for s.active_conditions.iter().map(|c| html! {
                            <li data-entry-id={c.id.to_string()}>
                                <code>{ c.icd10_code.clone() }</code>
                                { format!(" {}", c.description) }
                            </li>
                        }) }
                    </ul>
                }
            </section>
            <section id="summary-medications" class="card summary-card">
                <h3>{ "Current medications" }</h3>
                if s.current_medications.is_empty() {
                    <p class="muted empty">{ "No current medications." }</p>
                } else {
                    <ul class="summary-list">
                        { for s.current_medications.iter().map(|m| html! {
                            <li data-entry-id={m.id.to_string()}>
                                <strong>{ m.drug.clone() }</strong>
                                { format!(" {} · {} · {}", m.dose, display::label(&m.route), m.frequency) }
                            </li>
                        }) }
                    </ul>
                }
            </section>
            <section id="summary-vitals" class="card summary-card">
                <h3>{ "Latest vital signs" }</h3>
                if let Some(v) = &s.latest_vitals {
                    <p class="muted">{ format!("Measured {}", display::local_time(v.measured_at)) }</p>
                    { vitals_facts(v) }
                } else {
                    <p class="muted empty">{ "No vital signs recorded." }</p>
                }
            </section>
        </div>
    }
}
