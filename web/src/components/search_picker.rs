//! Picks one thing (a patient, a stock item): a search as you type whose results are buttons,
//! then the chosen one with a way to change it. What is searched and how a match is shown come
//! from [`Pickable`]; the behaviour (debounce, dropping stale answers, Enter picks the only
//! match) is the same for all.
//!
//! Element ids, with the picker's `prefix` and the kind's [`Pickable::NOUN`] (`patient`, `item`):
//! `#{prefix}-{noun}-search` (the input), `ul#{prefix}-{noun}-results` with
//! `li.{prefix}-{noun}[data-id]` (each a button), `#{prefix}-{noun}[data-id]` (the chosen one),
//! `#{prefix}-{noun}-clear`, `#{prefix}-{noun}-error` (a failed search).

use std::future::Future;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{Api, ApiError};
use crate::components::problem_alert::ProblemAlert;

/// How long typing must pause before a search is sent.
const DEBOUNCE_MS: u32 = 250;
/// How many matches are offered.
pub const SHOWN: usize = 8;

/// Something a [`SearchPicker`] can search for and show.
pub trait Pickable: Clone + PartialEq + 'static {
    /// The kind in element ids and classes: `patient`, `item`.
    const NOUN: &'static str;
    /// The input's placeholder: what can be typed.
    const PLACEHOLDER: &'static str;
    /// The list's accessible label ("Matching patients").
    const RESULTS_LABEL: &'static str;
    /// Said when a search finds nothing ("No patients match.").
    const NO_MATCH: &'static str;
    /// Searches for `text`; `None` when the text asks for nothing (the list is cleared).
    fn search(
        api: Api,
        text: &str,
    ) -> Option<impl Future<Output = Result<Vec<Self>, ApiError>> + 'static>;
    /// The stable id (`data-id`, list keys).
    fn id(&self) -> String;
    /// The name shown in bold.
    fn name(&self) -> String;
    /// What follows the name in a match ("MRN-000123 · born 3 Feb 1980").
    fn option_detail(&self) -> String;
    /// What follows the name once chosen.
    fn picked_detail(&self) -> String;
}

#[derive(Clone, PartialEq)]
struct Search<T> {
    items: Vec<T>,
    loading: bool,
    /// Whether a search was answered for the text on screen.
    searched: bool,
    /// The newest search; answers to older ones are dropped.
    seq: u32,
    error: Option<ApiError>,
}

impl<T> Default for Search<T> {
    fn default() -> Self {
        Search {
            items: Vec::new(),
            loading: false,
            searched: false,
            seq: 0,
            error: None,
        }
    }
}

enum SearchAction<T> {
    Start(u32),
    Done(u32, Result<Vec<T>, ApiError>),
    Clear(u32),
}

impl<T: Pickable> Reducible for Search<T> {
    type Action = SearchAction<T>;

    fn reduce(self: Rc<Self>, action: SearchAction<T>) -> Rc<Self> {
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
                    Ok(items) => next.items = items,
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
pub struct SearchPickerProps<T: Pickable> {
    /// Prefix of the ids (see the module documentation).
    pub prefix: AttrValue,
    pub label: AttrValue,
    pub selected: Option<T>,
    /// One was chosen (`None`: the choice was cleared).
    pub onpick: Callback<Option<T>>,
    /// The server's message about the field.
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

/// The search with clickable matches, or the chosen one.
#[component]
pub fn SearchPicker<T: Pickable>(props: &SearchPickerProps<T>) -> Html {
    let session = crate::session::use_session();
    let search = use_reducer(Search::<T>::default);
    let text = use_state(String::new);
    let seq = use_mut_ref(|| 0u32);
    let timer = use_mut_ref(|| None::<Timeout>);
    let (prefix, noun) = (props.prefix.as_str(), T::NOUN);

    if let Some(chosen) = &props.selected {
        let onclear = {
            let onpick = props.onpick.clone();
            Callback::from(move |_: MouseEvent| onpick.emit(None))
        };
        return html! {
            <div class="field picked">
                <span class="label">{ props.label.clone() }</span>
                <div id={format!("{prefix}-{noun}")} class="picked-choice" data-id={chosen.id()}>
                    <span class="name">{ chosen.name() }</span>
                    <span class="muted">{ format!(" · {}", chosen.picked_detail()) }</span>
                    <button
                        id={format!("{prefix}-{noun}-clear")}
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
            let id = {
                let mut seq = seq.borrow_mut();
                *seq = seq.wrapping_add(1);
                *seq
            };
            let Some(request) = T::search(api.clone(), &value) else {
                text.set(value);
                timer.borrow_mut().take();
                search.dispatch(SearchAction::Clear(id));
                return;
            };
            text.set(value);
            let search = search.clone();
            // Replacing the timer cancels the previous one (and drops its request unsent).
            *timer.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || {
                search.dispatch(SearchAction::Start(id));
                wasm_bindgen_futures::spawn_local(async move {
                    let result = request.await;
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

    let input_id = format!("{prefix}-{noun}-search");
    let results_id = format!("{prefix}-{noun}-results");
    html! {
        <div class={classes!("field", "search-picker", props.error.is_some().then_some("has-error"))}>
            <label for={input_id.clone()}>{ props.label.clone() }</label>
            <input
                id={input_id.clone()}
                type="search"
                autocomplete="off"
                placeholder={T::PLACEHOLDER}
                value={(*text).clone()}
                aria-controls={results_id.clone()}
                aria-invalid={props.error.is_some().then_some("true")}
                {oninput}
                {onkeydown}
            />
            if let Some(error) = &props.error {
                <p class="field-error" id={format!("{input_id}-error")}>{ error.clone() }</p>
            }
            <ProblemAlert id={format!("{prefix}-{noun}-error")} error={search.error.clone()} />
            <ul id={results_id} class="picker-results" aria-label={T::RESULTS_LABEL}>
                { for search.items.iter().take(SHOWN).map(|option| {
                    let onclick = {
                        let (onpick, option) = (props.onpick.clone(), option.clone());
                        Callback::from(move |_: MouseEvent| onpick.emit(Some(option.clone())))
                    };
                    html! {
                        <li key={option.id()} class={format!("{prefix}-{noun}")} data-id={option.id()}>
                            <button type="button" class="picker-option" {onclick}>
                                <span class="name">{ option.name() }</span>
                                <span class="muted">{ option.option_detail() }</span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
            if search.loading {
                <p class="loading" role="status">{ "Searching…" }</p>
            } else if search.searched && search.items.is_empty() && search.error.is_none() && !text.trim().is_empty() {
                <p class="muted">{ T::NO_MATCH }</p>
            }
        </div>
    }
}
