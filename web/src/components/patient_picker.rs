//! Picks one patient: a search as you type (name or MRN) whose results are buttons, then the
//! chosen patient with a way to change it.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use hms_api_types::patients::{Patient, PatientPage};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::pages::patients::query_for;
use crate::session::use_session;

/// How long typing must pause before a search is sent.
const DEBOUNCE_MS: u32 = 250;
/// How many matches are offered.
const SHOWN: usize = 8;

#[derive(Debug, Clone, Default, PartialEq)]
struct Search {
    items: Vec<Patient>,
    loading: bool,
    /// Whether a search was answered for the text on screen.
    searched: bool,
    /// The newest search; answers to older ones are dropped.
    seq: u32,
    error: Option<ApiError>,
}

enum SearchAction {
    Start(u32),
    Done(u32, Result<PatientPage, ApiError>),
    Clear(u32),
}

impl Reducible for Search {
    type Action = SearchAction;

    fn reduce(self: Rc<Self>, action: SearchAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            SearchAction::Start(seq) => {
                next.seq = seq;
                next.loading = true;
                next.error = None;
            }
            SearchAction::Done(seq, result) => {
                if seq != self.seq {
                    return self;
                }
                next.loading = false;
                next.searched = true;
                match result {
                    Ok(page) => next.items = page.items,
                    Err(error) => {
                        next.items.clear();
                        next.error = Some(error);
                    }
                }
            }
            SearchAction::Clear(seq) => {
                next = Search {
                    seq,
                    ..Search::default()
                };
            }
        }
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq)]
pub struct PatientPickerProps {
    /// Prefix of the ids: `#{prefix}-patient-search` (the input), `li.{prefix}-patient` (the
    /// matches), `#{prefix}-patient` (the chosen patient), `#{prefix}-patient-clear`.
    pub prefix: AttrValue,
    pub label: AttrValue,
    pub selected: Option<Patient>,
    /// A patient was chosen (`None`: the choice was cleared).
    pub onpick: Callback<Option<Patient>>,
    /// The server's message about the patient field.
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

/// The patient search with clickable matches, or the chosen patient.
#[component]
pub fn PatientPicker(props: &PatientPickerProps) -> Html {
    let session = use_session();
    let search = use_reducer(Search::default);
    let text = use_state(String::new);
    let seq = use_mut_ref(|| 0u32);
    let timer = use_mut_ref(|| None::<Timeout>);
    let prefix = props.prefix.as_str();

    if let Some(patient) = &props.selected {
        let onclear = {
            let onpick = props.onpick.clone();
            Callback::from(move |_: MouseEvent| onpick.emit(None))
        };
        return html! {
            <div class="field picked">
                <span class="label">{ props.label.clone() }</span>
                <div
                    id={format!("{prefix}-patient")}
                    class="picked-patient"
                    data-patient-id={patient.id.to_string()}
                >
                    <span class="name">
                        { display::patient_name(&patient.given_name, &patient.family_name) }
                    </span>
                    <span class="muted">
                        { format!(" · {} · born {}", patient.mrn, display::date(patient.birth_date)) }
                    </span>
                    <button
                        id={format!("{prefix}-patient-clear")}
                        type="button"
                        class="button small secondary"
                        onclick={onclear}
                    >
                        { "Change" }
                    </button>
                </div>
            </div>
        };
    }

    let oninput = {
        let (api, search, text) = (session.api().clone(), search.dispatcher(), text.clone());
        Callback::from(move |e: InputEvent| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let value = input.value();
            let query = query_for(&value, "", false);
            text.set(value);
            let id = {
                let mut seq = seq.borrow_mut();
                *seq = seq.wrapping_add(1);
                *seq
            };
            if query.is_empty() {
                timer.borrow_mut().take();
                search.dispatch(SearchAction::Clear(id));
                return;
            }
            let (api, search) = (api.clone(), search.clone());
            // Replacing the timer cancels the previous one.
            *timer.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || {
                search.dispatch(SearchAction::Start(id));
                wasm_bindgen_futures::spawn_local(async move {
                    let result = api.search_patients(&query, None).await;
                    search.dispatch(SearchAction::Done(id, result));
                });
            }));
        })
    };
    // Enter picks the only match instead of submitting the surrounding form.
    let onkeydown = {
        let (items, onpick) = (search.items.clone(), props.onpick.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                if let [only] = items.as_slice() {
                    onpick.emit(Some(only.clone()));
                }
            }
        })
    };

    let input_id = format!("{prefix}-patient-search");
    let results_id = format!("{prefix}-patient-results");
    html! {
        <div class={classes!("field", "patient-picker", props.error.is_some().then_some("has-error"))}>
            <label for={input_id.clone()}>{ props.label.clone() }</label>
            <input
                id={input_id.clone()}
                type="search"
                autocomplete="off"
                placeholder="Name or MRN"
                value={(*text).clone()}
                aria-controls={results_id.clone()}
                aria-invalid={props.error.is_some().then_some("true")}
                {oninput}
                {onkeydown}
            />
            if let Some(error) = &props.error {
                <p class="field-error" id={format!("{input_id}-error")}>{ error.clone() }</p>
            }
            <ProblemAlert id={format!("{prefix}-patient-error")} error={search.error.clone()} />
            <ul id={results_id} class="picker-results" aria-label="Matching patients">
                { for search.items.iter().take(SHOWN).map(|patient| {
                    let onclick = {
                        let (onpick, patient) = (props.onpick.clone(), patient.clone());
                        Callback::from(move |_: MouseEvent| onpick.emit(Some(patient.clone())))
                    };
                    html! {
                        <li
                            key={patient.id.to_string()}
                            class={format!("{prefix}-patient")}
                            data-patient-id={patient.id.to_string()}
                        >
                            <button type="button" class="picker-option" {onclick}>
                                <span class="name">
                                    { display::patient_name(&patient.given_name, &patient.family_name) }
                                </span>
                                <span class="muted">
                                    { format!("{} · born {}", patient.mrn, display::date(patient.birth_date)) }
                                </span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
            if search.loading {
                <p class="loading" role="status">{ "Searching…" }</p>
            } else if search.searched && search.items.is_empty() && search.error.is_none() && !text.trim().is_empty() {
                <p class="muted">{ "No patients match." }</p>
            }
        </div>
    }
}
