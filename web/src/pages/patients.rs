//! Patient search: results as you type (by name, typo-tolerant, or by MRN), an optional
//! birth-date filter, and the way to registration.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use hms_api_types::patients::{Patient, PatientPage};
use hms_api_types::users::User;
use hms_api_types::Permission;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::patients::PatientQuery;
use crate::api::ApiError;
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::session::use_session;

/// How long typing must pause before a search is sent.
const DEBOUNCE_MS: u32 = 250;

/// The results as shown, and what is loading.
#[derive(Debug, Clone, Default, PartialEq)]
struct PatientList {
    /// The query of the rows on screen (or being loaded).
    query: PatientQuery,
    items: Vec<Patient>,
    next_cursor: Option<String>,
    loading: bool,
    /// The newest load; answers to older ones are dropped.
    seq: u32,
    /// Whether the newest load adds a page rather than replacing the rows.
    appending: bool,
    error: Option<ApiError>,
}

enum ListAction {
    Load {
        seq: u32,
        query: PatientQuery,
        append: bool,
    },
    Loaded {
        seq: u32,
        result: Result<PatientPage, ApiError>,
    },
    /// Nothing to search for: no rows, and answers still on their way are dropped.
    Clear { seq: u32 },
}

impl Reducible for PatientList {
    type Action = ListAction;

    fn reduce(self: Rc<Self>, action: ListAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ListAction::Load { seq, query, append } => {
                next.seq = seq;
                next.query = query;
                next.appending = append;
                next.loading = true;
                next.error = None;
            }
            ListAction::Loaded { seq, result } => {
                if seq != self.seq {
                    return self;
                }
                next.loading = false;
                match result {
                    Ok(page) => {
                        if next.appending {
                            next.items.extend(page.items);
                        } else {
                            next.items = page.items;
                        }
                        next.next_cursor = page.next_cursor;
                    }
                    Err(error) => next.error = Some(error),
                }
            }
            ListAction::Clear { seq } => {
                next = PatientList {
                    seq,
                    ..PatientList::default()
                };
            }
        }
        Rc::new(next)
    }
}

/// The search for what was typed: `MRN-100042` (or just `100042`) looks up the MRN, anything
/// else is a name.
pub fn query_for(text: &str, birth_date: &str, include_inactive: bool) -> PatientQuery {
    let text = text.trim();
    let upper = text.to_uppercase();
    let digits = upper
        .strip_prefix("MRN")
        .map(|rest| rest.trim_start_matches(['-', ' ']))
        .or_else(|| (text.len() >= 6).then_some(text));
    let mrn = digits
        .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        .map(|d| format!("MRN-{d}"));
    PatientQuery {
        q: if mrn.is_some() {
            String::new()
        } else {
            text.to_owned()
        },
        mrn,
        birth_date: display::parse_date("birth_date", birth_date).ok().flatten(),
        include_inactive,
    }
}

#[derive(Properties, PartialEq)]
pub struct PatientsPageProps {
    pub user: Rc<User>,
}

/// `<main id="patients-page">`: the search form and `<table id="patients-table">`.
#[component]
pub fn PatientsPage(props: &PatientsPageProps) -> Html {
    let session = use_session();
    let list = use_reducer(PatientList::default);
    let seq = use_mut_ref(|| 0u32);
    let timer = use_mut_ref(|| None::<Timeout>);
    let text = use_state(String::new);
    let birth_date = use_state(String::new);
    let include_inactive = use_state(|| false);

    // Loads the first page for a query (or the page after a cursor); an empty query clears.
    let load = {
        let (list, api) = (list.dispatcher(), session.api().clone());
        Callback::from(move |(query, cursor): (PatientQuery, Option<String>)| {
            let id = {
                let mut seq = seq.borrow_mut();
                *seq = seq.wrapping_add(1);
                *seq
            };
            if query.is_empty() {
                list.dispatch(ListAction::Clear { seq: id });
                return;
            }
            list.dispatch(ListAction::Load {
                seq: id,
                query: query.clone(),
                append: cursor.is_some(),
            });
            let (list, api) = (list.clone(), api.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = api.search_patients(&query, cursor.as_deref()).await;
                list.dispatch(ListAction::Loaded { seq: id, result });
            });
        })
    };

    // Searches at once; a search still waiting for typing to pause is dropped.
    let search_now = {
        let (load, timer) = (load.clone(), timer.clone());
        Callback::from(move |query: PatientQuery| {
            timer.borrow_mut().take();
            load.emit((query, None));
        })
    };

    let on_text = {
        let (load, text, timer) = (load.clone(), text.clone(), timer.clone());
        let (birth_date, include_inactive) = (birth_date.clone(), include_inactive.clone());
        Callback::from(move |e: InputEvent| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let value = input.value();
            let query = query_for(&value, &birth_date, *include_inactive);
            text.set(value);
            let load = load.clone();
            // Replacing the timer cancels the previous one.
            *timer.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || load.emit((query, None))));
        })
    };
    let on_birth_date = {
        let (search_now, text, birth_date) = (search_now.clone(), text.clone(), birth_date.clone());
        let include_inactive = include_inactive.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                let value = input.value();
                search_now.emit(query_for(&text, &value, *include_inactive));
                birth_date.set(value);
            }
        })
    };
    let on_include_inactive = {
        let (search_now, text, birth_date) = (search_now.clone(), text.clone(), birth_date.clone());
        let include_inactive = include_inactive.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                let checked = input.checked();
                search_now.emit(query_for(&text, &birth_date, checked));
                include_inactive.set(checked);
            }
        })
    };
    let onsubmit = {
        let (text, birth_date) = (text.clone(), birth_date.clone());
        let include_inactive = include_inactive.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            search_now.emit(query_for(&text, &birth_date, *include_inactive));
        })
    };
    let on_load_more = {
        let (load, list) = (load.clone(), list.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(cursor) = list.next_cursor.clone() {
                load.emit((list.query.clone(), Some(cursor)));
            }
        })
    };

    let searching = !list.query.is_empty() || list.loading;
    html! {
        <main id="patients-page" class="page">
            <div class="page-head">
                <h1>{ "Patients" }</h1>
                if props.user.role.can(Permission::RegisterPatients) {
                    <AppLink id="register-patient" to={Route::RegisterPatient} classes="button primary">
                        { "Register patient" }
                    </AppLink>
                }
            </div>
            <section class="card">
                <form id="patient-filters" class="filters" role="search" {onsubmit}>
                    <div class="field grow">
                        <label for="patient-search">{ "Name or MRN" }</label>
                        <input
                            id="patient-search"
                            type="search"
                            autocomplete="off"
                            placeholder="e.g. Gonzalez Maria or MRN-100042"
                            value={(*text).clone()}
                            oninput={on_text}
                        />
                    </div>
                    <div class="field">
                        <label for="patient-birth-date">{ "Date of birth" }</label>
                        <input
                            id="patient-birth-date"
                            type="date"
                            value={(*birth_date).clone()}
                            onchange={on_birth_date}
                        />
                    </div>
                    <label class="check">
                        <input
                            id="patient-include-inactive"
                            type="checkbox"
                            checked={*include_inactive}
                            onchange={on_include_inactive}
                        />
                        { "Include inactive" }
                    </label>
                </form>

                <ProblemAlert id="patients-error" error={list.error.clone()} />
                if !searching {
                    <p id="patients-hint" class="muted">
                        { "Type a name or an MRN, or pick a date of birth, to find a patient." }
                    </p>
                } else {
                    <div class="table-wrap">
                        <table id="patients-table" class="table">
                            <thead>
                                <tr>
                                    <th scope="col">{ "MRN" }</th>
                                    <th scope="col">{ "Name" }</th>
                                    <th scope="col">{ "Date of birth" }</th>
                                    <th scope="col">{ "Sex" }</th>
                                    <th scope="col"><span class="visually-hidden">{ "Status" }</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                { for list.items.iter().map(patient_row) }
                            </tbody>
                        </table>
                    </div>
                    if list.loading {
                        <p id="patients-loading" class="loading" role="status">{ "Searching…" }</p>
                    } else if list.items.is_empty() && list.error.is_none() {
                        <p id="patients-empty" class="muted">{ "No patients match." }</p>
                    }
                    if list.next_cursor.is_some() && !list.loading {
                        <button id="patients-load-more" type="button" class="button secondary load-more" onclick={on_load_more}>
                            { "Load more" }
                        </button>
                    }
                }
            </section>
        </main>
    }
}

fn patient_row(patient: &Patient) -> Html {
    let to = Route::Chart { id: patient.id };
    html! {
        <tr key={patient.id.to_string()} data-patient-id={patient.id.to_string()} class="patient-row">
            <td class="mrn">{ patient.mrn.clone() }</td>
            <td class="name">
                <AppLink to={to}>
                    { display::patient_name(&patient.given_name, &patient.family_name) }
                </AppLink>
            </td>
            <td class="birth-date">{ display::date(patient.birth_date) }</td>
            <td class="sex">{ display::label(&patient.sex) }</td>
            <td class="active">
                if !patient.active {
                    <span class="badge inactive">{ "Inactive" }</span>
                }
            </td>
        </tr>
    }
}
