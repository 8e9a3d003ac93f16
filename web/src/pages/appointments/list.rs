//! Paged appointment lists: the filtered list under the calendar, and the rows that the chart's
//! appointments tab shares.

use std::cell::RefCell;
use std::rc::Rc;

use hms_api_types::appointments::{Appointment, AppointmentPage, AppointmentStatus};
use hms_api_types::patients::Patient;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{status_badge, when};
use crate::api::appointments::AppointmentQuery;
use crate::api::{Api, ApiError};
use crate::components::field::SelectField;
use crate::components::patient_picker::PatientPicker;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::session::use_session;

/// A paged list of appointments as shown, and what is loading.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pages {
    /// The query of the rows on screen (or being loaded).
    pub query: AppointmentQuery,
    pub items: Vec<Appointment>,
    pub next_cursor: Option<String>,
    pub loading: bool,
    /// The newest load; answers to older ones are dropped.
    seq: u32,
    /// Whether the newest load adds a page rather than replacing the rows.
    appending: bool,
    pub error: Option<ApiError>,
}

pub enum PagesAction {
    Load {
        seq: u32,
        query: AppointmentQuery,
        append: bool,
    },
    Loaded {
        seq: u32,
        result: Result<AppointmentPage, ApiError>,
    },
}

impl Reducible for Pages {
    type Action = PagesAction;

    fn reduce(self: Rc<Self>, action: PagesAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            PagesAction::Load { seq, query, append } => {
                next.seq = seq;
                next.query = query;
                next.appending = append;
                next.loading = true;
                next.error = None;
            }
            PagesAction::Loaded { seq, result } => {
                if seq != self.seq {
                    return self;
                }
                next.loading = false;
                match result {
                    Ok(page) => {
                        if next.appending {
                            let known: Vec<Uuid> = next.items.iter().map(|a| a.id).collect();
                            next.items
                                .extend(page.items.into_iter().filter(|a| !known.contains(&a.id)));
                        } else {
                            next.items = page.items;
                        }
                        next.next_cursor = page.next_cursor;
                    }
                    Err(error) => next.error = Some(error),
                }
            }
        }
        Rc::new(next)
    }
}

/// A paged appointment list and the way to load it.
#[derive(Clone)]
pub struct PagesHandle {
    pub state: UseReducerHandle<Pages>,
    api: Api,
    seq: Rc<RefCell<u32>>,
}

impl PagesHandle {
    /// Loads the first page of `query` (or the page after `cursor`).
    pub fn load(&self, query: AppointmentQuery, cursor: Option<String>) {
        let seq = {
            let mut seq = self.seq.borrow_mut();
            *seq = seq.wrapping_add(1);
            *seq
        };
        self.state.dispatch(PagesAction::Load {
            seq,
            query: query.clone(),
            append: cursor.is_some(),
        });
        let (state, api) = (self.state.dispatcher(), self.api.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let result = api.list_appointments(&query, cursor.as_deref()).await;
            state.dispatch(PagesAction::Loaded { seq, result });
        });
    }

    /// For the "Load more" button.
    pub fn on_load_more(&self) -> Callback<MouseEvent> {
        let handle = self.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(cursor) = handle.state.next_cursor.clone() {
                handle.load(handle.state.query.clone(), Some(cursor));
            }
        })
    }
}

#[hook]
pub fn use_pages() -> PagesHandle {
    let session = use_session();
    PagesHandle {
        state: use_reducer(Pages::default),
        api: session.api().clone(),
        seq: use_mut_ref(|| 0u32),
    }
}

/// Which columns a row shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Columns {
    pub patient: bool,
    pub practitioner: bool,
}

/// `<tr data-appointment-id data-status>`; clicking it calls `onopen` when given.
pub fn appointment_row(
    a: &Appointment,
    columns: Columns,
    onopen: Option<&Callback<Uuid>>,
    selected: bool,
) -> Html {
    let onclick = onopen.map(|onopen| {
        let (onopen, id) = (onopen.clone(), a.id);
        Callback::from(move |_: MouseEvent| onopen.emit(id))
    });
    let clickable = onclick.is_some();
    html! {
        <tr
            key={a.id.to_string()}
            data-appointment-id={a.id.to_string()}
            data-status={a.status.as_str()}
            class={classes!("appointment-row", clickable.then_some("clickable"), selected.then_some("selected"))}
            {onclick}
        >
            <td class="when">{ when(a) }</td>
            if columns.patient {
                <td class="patient">
                    { a.patient_name.clone() }
                    <span class="muted">{ format!(" · {}", a.patient_mrn) }</span>
                </td>
            }
            if columns.practitioner {
                <td class="practitioner">{ a.practitioner_name.clone() }</td>
            }
            <td class="reason">
                { a.reason.clone() }
                if let Some(reason) = &a.cancel_reason {
                    <span class="cancel-note">{ format!("Cancelled: {reason}") }</span>
                }
            </td>
            <td class="appointment-status">{ status_badge(a.status) }</td>
            if clickable {
                <td class="actions">
                    // Keyboard access; the click reaches the row.
                    <button
                        type="button"
                        class="button small secondary open-appointment"
                        aria-label={format!("Open the appointment of {} ({})", a.patient_name, when(a))}
                    >
                        { "Open" }
                    </button>
                </td>
            }
        </tr>
    }
}

/// The filters of the list, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filters {
    status: String,
    from: String,
    to: String,
    patient: Option<Patient>,
}

impl Filters {
    fn query(&self) -> AppointmentQuery {
        AppointmentQuery {
            from: display::parse_date("from", &self.from).ok().flatten(),
            to: display::parse_date("to", &self.to).ok().flatten(),
            patient_id: self.patient.as_ref().map(|p| p.id),
            status: AppointmentStatus::parse(&self.status),
            ..AppointmentQuery::default()
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct AppointmentListProps {
    /// Changes when appointments changed elsewhere on the page: the list reloads.
    pub refresh: u32,
    pub on_open: Callback<Uuid>,
    pub selected: Option<Uuid>,
}

/// `<section id="appointments-list-section">` with `<table id="appointments-list">`.
#[component]
pub fn AppointmentList(props: &AppointmentListProps) -> Html {
    let pages = use_pages();
    let filters = use_state(|| Filters {
        from: display::date(display::today()),
        ..Filters::default()
    });

    {
        let pages = pages.clone();
        use_effect_with(((*filters).clone(), props.refresh), move |(filters, _)| {
            pages.load(filters.query(), None);
        });
    }

    let edit = |change: fn(&mut Filters, String)| {
        let filters = filters.clone();
        Callback::from(move |value: String| {
            let mut next = (*filters).clone();
            change(&mut next, value);
            filters.set(next);
        })
    };
    let date_input =
        |id: &'static str, label: &'static str, value: &str, set: fn(&mut Filters, String)| {
            let onchange = {
                let set = edit(set);
                Callback::from(move |e: Event| {
                    if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                        set.emit(input.value());
                    }
                })
            };
            html! {
                <div class="field">
                    <label for={id}>{ label }</label>
                    <input {id} type="date" value={value.to_owned()} {onchange} />
                </div>
            }
        };
    let onpick = {
        let filters = filters.clone();
        Callback::from(move |patient: Option<Patient>| {
            filters.set(Filters {
                patient,
                ..(*filters).clone()
            });
        })
    };

    let state = &pages.state;
    let columns = Columns {
        patient: true,
        practitioner: true,
    };
    html! {
        <section id="appointments-list-section" class="card" aria-labelledby="appointments-list-title">
            <h2 id="appointments-list-title">{ "All appointments" }</h2>
            <form id="appointments-filters" class="filters" role="search" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <SelectField
                    id="list-status"
                    label="Status"
                    value={filters.status.clone()}
                    options={display::options(Some(("", "Any status")), &AppointmentStatus::ALL)}
                    onchange={edit(|f, v| f.status = v)}
                />
                { date_input("list-from", "From", &filters.from, |f, v| f.from = v) }
                { date_input("list-to", "To", &filters.to, |f, v| f.to = v) }
                <PatientPicker prefix="list" label="Patient" selected={filters.patient.clone()} {onpick} />
            </form>
            <ProblemAlert id="appointments-list-error" error={state.error.clone()} />
            <div class="table-wrap">
                <table id="appointments-list" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "When" }</th>
                            <th scope="col">{ "Patient" }</th>
                            <th scope="col">{ "With" }</th>
                            <th scope="col">{ "Reason" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        { for state.items.iter().map(|a| {
                            appointment_row(a, columns, Some(&props.on_open), props.selected == Some(a.id))
                        }) }
                    </tbody>
                </table>
            </div>
            if state.loading {
                <p id="appointments-list-loading" class="loading" role="status">{ "Loading…" }</p>
            } else if state.items.is_empty() && state.error.is_none() {
                <p id="appointments-list-empty" class="muted">{ "No appointments match." }</p>
            }
            if state.next_cursor.is_some() && !state.loading {
                <button id="appointments-load-more" type="button" class="button secondary load-more" onclick={pages.on_load_more()}>
                    { "Load more" }
                </button>
            }
        </section>
    }
}
