//! Picks one item: a search as you type (name or SKU) whose results are buttons, then the chosen
//! item with a way to change it.
//!
//! Element ids (with the picker's `prefix`): `#{prefix}-item-search` (the input),
//! `ul#{prefix}-item-results` with `li.{prefix}-item[data-item-id][data-sku]` (each a button),
//! `#{prefix}-item[data-item-id]` (the chosen item), `#{prefix}-item-clear`,
//! `#{prefix}-item-search-error` (the server's message about the item field).

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use hms_api_types::inventory::{Item, ItemPage};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::inventory::ItemQuery;
use crate::api::ApiError;
use crate::components::problem_alert::ProblemAlert;
use crate::session::use_session;

/// How long typing must pause before a search is sent.
const DEBOUNCE_MS: u32 = 250;
/// How many matches are offered.
const SHOWN: i64 = 8;

#[derive(Debug, Clone, Default, PartialEq)]
struct Search {
    items: Vec<Item>,
    loading: bool,
    /// Whether a search was answered for the text on screen.
    searched: bool,
    /// The newest search; answers to older ones are dropped.
    seq: u32,
    error: Option<ApiError>,
}

enum SearchAction {
    Start(u32),
    Done(u32, Result<ItemPage, ApiError>),
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
pub struct ItemPickerProps {
    /// Prefix of the ids (see the module documentation).
    pub prefix: AttrValue,
    pub label: AttrValue,
    pub selected: Option<Item>,
    /// An item was chosen (`None`: the choice was cleared).
    pub onpick: Callback<Option<Item>>,
    /// The server's message about the item field.
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

/// The item search with clickable matches, or the chosen item.
#[component]
pub fn ItemPicker(props: &ItemPickerProps) -> Html {
    let session = use_session();
    let search = use_reducer(Search::default);
    let text = use_state(String::new);
    let seq = use_mut_ref(|| 0u32);
    let timer = use_mut_ref(|| None::<Timeout>);
    let prefix = props.prefix.as_str();

    if let Some(item) = &props.selected {
        let onclear = {
            let onpick = props.onpick.clone();
            Callback::from(move |_: MouseEvent| onpick.emit(None))
        };
        return html! {
            <div class="field picked">
                <span class="label">{ props.label.clone() }</span>
                <div
                    id={format!("{prefix}-item")}
                    class="picked-patient picked-item"
                    data-item-id={item.id.to_string()}
                >
                    <span class="name">{ item.name.clone() }</span>
                    <span class="muted">{ format!(" · {} · per {}", item.sku, item.unit) }</span>
                    <button
                        id={format!("{prefix}-item-clear")}
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
            text.set(value.clone());
            let id = {
                let mut seq = seq.borrow_mut();
                *seq = seq.wrapping_add(1);
                *seq
            };
            if value.trim().is_empty() {
                timer.borrow_mut().take();
                search.dispatch(SearchAction::Clear(id));
                return;
            }
            let query = ItemQuery {
                q: value.trim().to_owned(),
                ..ItemQuery::default()
            };
            let (api, search) = (api.clone(), search.clone());
            // Replacing the timer cancels the previous one.
            *timer.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || {
                search.dispatch(SearchAction::Start(id));
                wasm_bindgen_futures::spawn_local(async move {
                    let result = api.list_items(&query, None, Some(SHOWN)).await;
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

    let input_id = format!("{prefix}-item-search");
    let results_id = format!("{prefix}-item-results");
    html! {
        <div class={classes!("field", "patient-picker", "item-picker", props.error.is_some().then_some("has-error"))}>
            <label for={input_id.clone()}>{ props.label.clone() }</label>
            <input
                id={input_id.clone()}
                type="search"
                autocomplete="off"
                placeholder="Name or SKU"
                value={(*text).clone()}
                aria-controls={results_id.clone()}
                aria-invalid={props.error.is_some().then_some("true")}
                {oninput}
                {onkeydown}
            />
            if let Some(error) = &props.error {
                <p class="field-error" id={format!("{input_id}-error")}>{ error.clone() }</p>
            }
            <ProblemAlert id={format!("{prefix}-item-error")} error={search.error.clone()} />
            <ul id={results_id} class="picker-results" aria-label="Matching items">
                { for search.items.iter().map(|item| {
                    let onclick = {
                        let (onpick, item) = (props.onpick.clone(), item.clone());
                        Callback::from(move |_: MouseEvent| onpick.emit(Some(item.clone())))
                    };
                    html! {
                        <li
                            key={item.id.to_string()}
                            class={format!("{prefix}-item")}
                            data-item-id={item.id.to_string()}
                            data-sku={item.sku.clone()}
                        >
                            <button type="button" class="picker-option" {onclick}>
                                <span class="name">{ item.name.clone() }</span>
                                <span class="muted">
                                    { format!("{} · {} on hand", item.sku, item.on_hand) }
                                </span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
            if search.loading {
                <p class="loading" role="status">{ "Searching…" }</p>
            } else if search.searched && search.items.is_empty() && search.error.is_none() && !text.trim().is_empty() {
                <p class="muted">{ "No items match." }</p>
            }
        </div>
    }
}
