//! A patient's chart: the header (who, MRN, age, status) and one tab per part of the record.
//!
//! Staff open it at `/patients/{id}[/{tab}]`; a patient reads their own at `/my-record[/{tab}]`,
//! read-only. Which tabs show follows [`Role::can`]; a patient on their own record sees every
//! part they may read.

mod access_log;
mod allergies;
mod appointments;
mod conditions;
mod details;
mod encounters;
mod labs;
mod list;
mod medications;
mod summary;
mod vitals;

use std::fmt;
use std::rc::Rc;
use std::str::FromStr;

use hms_api_types::patients::Patient;
use hms_api_types::users::User;
use hms_api_types::{Permission, Role};
use uuid::Uuid;
use yew::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::session::use_session;

use access_log::AccessLogTab;
use allergies::AllergiesTab;
use appointments::AppointmentsTab;
use conditions::ConditionsTab;
use details::DetailsTab;
use encounters::EncountersTab;
use labs::LabsTab;
use medications::MedicationsTab;
use summary::SummaryTab;
use vitals::VitalsTab;

/// One tab of the chart; its wire name is the last part of the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartTab {
    Summary,
    Allergies,
    Conditions,
    Medications,
    Vitals,
    Encounters,
    Labs,
    Appointments,
    Details,
    AccessLog,
}

impl ChartTab {
    /// Every tab, in display order.
    pub const ALL: [ChartTab; 10] = [
        ChartTab::Summary,
        ChartTab::Allergies,
        ChartTab::Conditions,
        ChartTab::Medications,
        ChartTab::Vitals,
        ChartTab::Encounters,
        ChartTab::Labs,
        ChartTab::Appointments,
        ChartTab::Details,
        ChartTab::AccessLog,
    ];

    /// The tab's name in addresses and ids (`#tab-{slug}`).
    pub fn slug(self) -> &'static str {
        match self {
            ChartTab::Summary => "summary",
            ChartTab::Allergies => "allergies",
            ChartTab::Conditions => "conditions",
            ChartTab::Medications => "medications",
            ChartTab::Vitals => "vitals",
            ChartTab::Encounters => "encounters",
            ChartTab::Labs => "labs",
            ChartTab::Appointments => "appointments",
            ChartTab::Details => "details",
            ChartTab::AccessLog => "access-log",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChartTab::Summary => "Summary",
            ChartTab::Allergies => "Allergies",
            ChartTab::Conditions => "Conditions",
            ChartTab::Medications => "Medications",
            ChartTab::Vitals => "Vital signs",
            ChartTab::Encounters => "Encounters",
            ChartTab::Labs => "Lab results",
            ChartTab::Appointments => "Appointments",
            ChartTab::Details => "Details",
            ChartTab::AccessLog => "Access log",
        }
    }

    /// The label on the patient's own record.
    pub fn own_label(self) -> &'static str {
        match self {
            ChartTab::AccessLog => "Who viewed my record",
            other => other.label(),
        }
    }
}

impl fmt::Display for ChartTab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for ChartTab {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        ChartTab::ALL.into_iter().find(|t| t.slug() == s).ok_or(())
    }
}

/// What the signed-in person may do on this chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Access {
    /// Conditions, vitals, encounters, labs and the summary.
    pub clinical: bool,
    /// Allergies and medications.
    pub medications: bool,
    pub access_log: bool,
    /// The patient's appointments (staff who browse appointments).
    pub appointments: bool,
    /// Add to and correct the record.
    pub write: bool,
    /// Change demographics.
    pub edit: bool,
    pub deactivate: bool,
    /// A patient reading their own record.
    pub own: bool,
}

impl Access {
    /// `own`: the person is the patient (their account reads exactly this record).
    pub fn new(role: Role, own: bool) -> Access {
        // A patient holds the read permissions on their own record only.
        let read = |p: Permission| role.can(p) || (own && role.can(Permission::ReadOwnRecord));
        Access {
            clinical: read(Permission::ReadClinical),
            medications: read(Permission::ReadMedications),
            access_log: read(Permission::ReadAccessLog),
            appointments: role.can(Permission::ViewAppointments) && !own,
            write: role.can(Permission::WriteClinical),
            edit: role.can(Permission::RegisterPatients),
            deactivate: role.can(Permission::DeactivatePatients),
            own,
        }
    }

    pub fn can_see(&self, tab: ChartTab) -> bool {
        match tab {
            ChartTab::Summary
            | ChartTab::Conditions
            | ChartTab::Vitals
            | ChartTab::Encounters
            | ChartTab::Labs => self.clinical,
            ChartTab::Allergies | ChartTab::Medications => self.medications,
            ChartTab::Details => true,
            ChartTab::AccessLog => self.access_log,
            ChartTab::Appointments => self.appointments,
        }
    }

    /// The tab opened when the address names none: the summary when it may be read.
    fn default_tab(&self) -> ChartTab {
        ChartTab::ALL
            .into_iter()
            .find(|t| self.can_see(*t))
            .unwrap_or(ChartTab::Details)
    }
}

/// The address of `tab` on this chart.
fn tab_route(own: bool, patient_id: Uuid, tab: ChartTab) -> Route {
    if own {
        Route::MyRecordTab { tab }
    } else {
        Route::ChartTab {
            id: patient_id,
            tab,
        }
    }
}

/// The chart as loaded, and the header action in flight.
#[derive(Debug, Clone, Default, PartialEq)]
struct ChartState {
    patient: Option<Patient>,
    load_error: Option<ApiError>,
    busy: bool,
    action_error: Option<ApiError>,
    status: Option<AttrValue>,
}

enum ChartAction {
    Loaded(Result<Patient, ApiError>),
    Change,
    Changed(Patient, Option<AttrValue>),
    ChangeFailed(ApiError),
}

impl Reducible for ChartState {
    type Action = ChartAction;

    fn reduce(self: Rc<Self>, action: ChartAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ChartAction::Loaded(Ok(patient)) => {
                next.patient = Some(patient);
                next.load_error = None;
            }
            ChartAction::Loaded(Err(error)) => next.load_error = Some(error),
            ChartAction::Change => {
                next.busy = true;
                next.action_error = None;
                next.status = None;
            }
            ChartAction::Changed(patient, status) => {
                next.busy = false;
                next.patient = Some(patient);
                next.status = status;
            }
            ChartAction::ChangeFailed(error) => {
                next.busy = false;
                next.action_error = Some(error);
            }
        }
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq)]
pub struct ChartPageProps {
    pub patient_id: Uuid,
    /// The tab in the address; `None` opens the default one.
    pub tab: Option<ChartTab>,
    pub user: Rc<User>,
    /// The signed-in patient reading their own record (read-only).
    #[prop_or_default]
    pub own: bool,
}

/// `<main id="chart-page" data-patient-id="…">`.
#[component]
pub fn ChartPage(props: &ChartPageProps) -> Html {
    let session = use_session();
    let chart = use_reducer(ChartState::default);
    let access = Access::new(props.user.role, props.own);
    let patient_id = props.patient_id;

    {
        let (api, chart) = (session.api().clone(), chart.dispatcher());
        use_effect_with(patient_id, move |id| {
            let id = *id;
            wasm_bindgen_futures::spawn_local(async move {
                chart.dispatch(ChartAction::Loaded(api.get_patient(id).await));
            });
        });
    }

    let on_changed = {
        let chart = chart.dispatcher();
        Callback::from(move |(patient, status): (Patient, Option<AttrValue>)| {
            chart.dispatch(ChartAction::Changed(patient, status))
        })
    };

    let tab = props.tab.unwrap_or_else(|| access.default_tab());
    let title = if access.own {
        "My record"
    } else {
        "Patient chart"
    };

    let Some(patient) = chart.patient.clone() else {
        return html! {
            <main id="chart-page" class="page" data-patient-id={patient_id.to_string()}>
                <h1>{ title }</h1>
                if chart.load_error.is_some() {
                    <ProblemAlert id="chart-error" error={chart.load_error.clone()} />
                } else {
                    <p id="chart-loading" class="loading" role="status">{ "Loading the chart…" }</p>
                }
            </main>
        };
    };

    let panel = if !access.can_see(tab) {
        html! {
            <p id="tab-forbidden" class="problem" role="alert">
                { "This part of the record is not available for your role." }
            </p>
        }
    } else {
        let (id, write) = (patient_id, access.write && !access.own);
        match tab {
            ChartTab::Summary => html! { <SummaryTab patient_id={id} /> },
            ChartTab::Allergies => html! { <AllergiesTab patient_id={id} {write} /> },
            ChartTab::Conditions => html! { <ConditionsTab patient_id={id} {write} /> },
            ChartTab::Medications => html! { <MedicationsTab patient_id={id} {write} /> },
            ChartTab::Vitals => html! { <VitalsTab patient_id={id} {write} /> },
            ChartTab::Encounters => html! { <EncountersTab patient_id={id} {write} /> },
            ChartTab::Labs => html! { <LabsTab patient_id={id} {write} /> },
            ChartTab::Details => html! {
                <DetailsTab
                    patient={patient.clone()}
                    edit={access.edit && !access.own}
                    on_changed={on_changed}
                />
            },
            ChartTab::AccessLog => html! { <AccessLogTab patient_id={id} own={access.own} /> },
            ChartTab::Appointments => html! { <AppointmentsTab patient_id={id} /> },
        }
    };

    html! {
        <main id="chart-page" class="page" data-patient-id={patient_id.to_string()}>
            <ChartHeader patient={patient.clone()} {access} chart={chart.clone()} />
            <nav id="chart-tabs" class="tabs" aria-label="Parts of the record">
                { for ChartTab::ALL.into_iter().filter(|t| access.can_see(*t)).map(|t| html! {
                    <AppLink
                        id={format!("tab-{}", t.slug())}
                        to={tab_route(access.own, patient_id, t)}
                        classes={classes!("tab", (t == tab).then_some("active"))}
                        current={t == tab}
                    >
                        { if access.own { t.own_label() } else { t.label() } }
                    </AppLink>
                }) }
            </nav>
            <div class="tab-body">
                { panel }
            </div>
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct ChartHeaderProps {
    patient: Patient,
    access: Access,
    chart: UseReducerHandle<ChartState>,
}

/// `<header id="chart-header">`: name, MRN, birth date and age, sex, status; deactivate.
#[component]
fn ChartHeader(props: &ChartHeaderProps) -> Html {
    let session = use_session();
    let patient = &props.patient;
    let chart = &props.chart;

    let ontoggle = {
        let (api, chart) = (session.api().clone(), chart.dispatcher());
        let (id, active) = (patient.id, patient.active);
        Callback::from(move |_: MouseEvent| {
            chart.dispatch(ChartAction::Change);
            let (api, chart) = (api.clone(), chart.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.set_patient_active(id, !active).await {
                    Ok(patient) => {
                        let status = if patient.active {
                            "The patient was reactivated."
                        } else {
                            "The patient was deactivated; the record is kept."
                        };
                        chart.dispatch(ChartAction::Changed(
                            patient,
                            Some(AttrValue::Static(status)),
                        ))
                    }
                    Err(error) => chart.dispatch(ChartAction::ChangeFailed(error)),
                }
            });
        })
    };

    let age = display::age(patient.birth_date, display::today());
    html! {
        <header id="chart-header" class="card chart-header">
            <div class="chart-who">
                <h1 id="chart-name">
                    { display::full_name(&patient.given_name, &patient.family_name) }
                    if !patient.active {
                        <span id="chart-inactive" class="badge inactive">{ "Inactive" }</span>
                    }
                </h1>
                <dl class="chart-facts">
                    <div>
                        <dt>{ "MRN" }</dt>
                        <dd id="chart-mrn">{ patient.mrn.clone() }</dd>
                    </div>
                    <div>
                        <dt>{ "Born" }</dt>
                        <dd id="chart-birth-date">
                            { display::date(patient.birth_date) }
                            <span id="chart-age" class="muted">{ format!(" ({age} y)") }</span>
                        </dd>
                    </div>
                    <div>
                        <dt>{ "Sex" }</dt>
                        <dd id="chart-sex">{ display::label(&patient.sex) }</dd>
                    </div>
                </dl>
            </div>
            if props.access.deactivate && !props.access.own {
                <div class="chart-actions">
                    <button
                        id={if patient.active { "deactivate-patient" } else { "reactivate-patient" }}
                        type="button"
                        class={classes!("button", "secondary", patient.active.then_some("danger"))}
                        disabled={chart.busy}
                        onclick={ontoggle}
                    >
                        { if patient.active { "Deactivate" } else { "Reactivate" } }
                    </button>
                </div>
            }
            <div class="chart-messages">
                <ProblemAlert id="chart-action-error" error={chart.action_error.clone()} />
                if let Some(status) = &chart.status {
                    <p id="chart-status" class="status" role="status">{ status.clone() }</p>
                }
            </div>
        </header>
    }
}
