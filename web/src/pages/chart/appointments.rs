//! The appointments tab: the patient's appointments, upcoming by default, in start order.

use hms_api_types::Permission;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::appointments::AppointmentQuery;
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::pages::appointments::{appointment_row, use_pages, Columns};
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct AppointmentsTabProps {
    pub patient_id: Uuid,
}

/// `<section id="chart-appointments">` with `<table id="chart-appointments-table">`.
#[component]
pub fn AppointmentsTab(props: &AppointmentsTabProps) -> Html {
    let session = use_session();
    let pages = use_pages();
    let include_past = use_state(|| false);

    {
        let pages = pages.clone();
        use_effect_with(
            (props.patient_id, *include_past),
            move |(patient_id, past)| {
                let query = AppointmentQuery {
                    patient_id: Some(*patient_id),
                    from: (!*past).then(display::today),
                    ..AppointmentQuery::default()
                };
                pages.load(query, None);
            },
        );
    }
    let onchange = {
        let include_past = include_past.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                include_past.set(input.checked());
            }
        })
    };

    let can_book = session
        .user()
        .is_some_and(|u| u.role.can(Permission::BookAppointments));
    let state = &pages.state;
    let columns = Columns {
        patient: false,
        practitioner: true,
    };
    html! {
        <section id="chart-appointments" class="tab-panel">
            <div class="page-head">
                <h2>{ "Appointments" }</h2>
                if can_book {
                    <AppLink id="chart-book-appointment" to={Route::Appointments} classes="button secondary">
                        { "Open the calendar" }
                    </AppLink>
                }
            </div>
            <div class="list-tools">
                <label class="check">
                    <input
                        type="checkbox"
                        id="chart-appointments-include-past"
                        checked={*include_past}
                        {onchange}
                    />
                    { "Include past appointments" }
                </label>
            </div>
            <ProblemAlert id="chart-appointments-error" error={state.error.clone()} />
            <div class="table-wrap">
                <table id="chart-appointments-table" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "When" }</th>
                            <th scope="col">{ "With" }</th>
                            <th scope="col">{ "Reason" }</th>
                            <th scope="col">{ "Status" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for state.items.iter().map(|a| appointment_row(a, columns, None, false)) }
                    </tbody>
                </table>
            </div>
            if state.loading {
                <p id="chart-appointments-loading" class="loading" role="status">{ "Loading…" }</p>
            } else if state.items.is_empty() && state.error.is_none() {
                <p id="chart-appointments-empty" class="muted">
                    { if *include_past { "No appointments." } else { "No upcoming appointments." } }
                </p>
            }
            if state.next_cursor.is_some() && !state.loading {
                <button
                    id="chart-appointments-load-more"
                    type="button"
                    class="button secondary load-more"
                    onclick={pages.on_load_more()}
                >
                    { "Load more" }
                </button>
            }
        </section>
    }
}
