//! The item list (`/inventory`): search by name or SKU, category and low-stock filters, stock on
//! hand with a low-stock badge, and (for item managers) the new-item form.
//!
//! Element ids:
//! - `main#inventory-page`; `#inventory-shortages-link` (the shortages board)
//! - `form#item-filters`: `#item-search`, `#item-category` (wire name or empty),
//!   `#item-low-stock` and `#item-include-inactive` (checkboxes)
//! - `table#items-table`, rows `tr.item-row[data-item-id][data-low-stock][data-sku]` with cells
//!   `.sku`, `.name` (its link `a.item-link`), `.category`, `.on-hand`, `.flags`
//!   (`.badge.low-stock`, `.badge.critical-item`, `.badge.inactive`)
//! - `#items-loading`, `#items-empty`, `#items-error`, `#items-load-more`
//! - `#new-item-toggle` opens `form#new-item-form`: `#new-item-sku`, `#new-item-name`,
//!   `#new-item-category`, `#new-item-unit`, `#new-item-reorder-level`,
//!   `#new-item-reorder-quantity`, `#new-item-critical`, `#new-item-lot-tracked`,
//!   `#new-item-submit`, `#new-item-cancel`, `#new-item-error`; each field's error is
//!   `#{field id}-error`. A created item opens its page.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use hms_api_types::inventory::{Item, ItemCategory, NewItem};
use hms_api_types::users::User;
use hms_api_types::Permission;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{
    critical_badge, incomplete, low_stock_badge, quantity, use_paged, Checks, PagedHandle,
};
use crate::api::inventory::ItemQuery;
use crate::api::{Api, ApiError};
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::field::{Field, SelectField};
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{setter, use_form, FormAction};
use crate::session::use_session;

/// How long typing must pause before a search is sent.
const DEBOUNCE_MS: u32 = 250;

/// Loads the first page of `query`, or the page after `cursor`.
fn load_items(list: &PagedHandle<Item>, api: &Api, query: ItemQuery, cursor: Option<String>) {
    let api = api.clone();
    list.load(cursor.is_some(), async move {
        let page = api.list_items(&query, cursor.as_deref(), None).await?;
        Ok((page.items, page.next_cursor))
    });
}

#[derive(Properties, PartialEq)]
pub struct InventoryPageProps {
    pub user: Rc<User>,
}

/// `<main id="inventory-page">`.
#[component]
pub fn InventoryPage(props: &InventoryPageProps) -> Html {
    let session = use_session();
    let api = session.api().clone();
    let list = use_paged::<Item>();
    let timer = use_mut_ref(|| None::<Timeout>);
    // The query of the rows on screen (or being loaded).
    let query = use_state(ItemQuery::default);
    let text = use_state(String::new);
    let adding = use_state(|| false);

    {
        let (list, api) = (list.clone(), api.clone());
        use_effect_with((), move |_| {
            load_items(&list, &api, ItemQuery::default(), None)
        });
    }

    // Searches at once for `next`; a search still waiting for typing to pause is dropped.
    let search_now = {
        let (list, api, query, timer) = (list.clone(), api.clone(), query.clone(), timer.clone());
        Callback::from(move |next: ItemQuery| {
            timer.borrow_mut().take();
            query.set(next.clone());
            load_items(&list, &api, next, None);
        })
    };
    let on_text = {
        let (list, api, query, text) = (list.clone(), api.clone(), query.clone(), text.clone());
        Callback::from(move |e: InputEvent| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let value = input.value();
            text.set(value.clone());
            let next = ItemQuery {
                q: value,
                ..(*query).clone()
            };
            let (list, api, query) = (list.clone(), api.clone(), query.clone());
            // Replacing the timer cancels the previous one.
            *timer.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || {
                query.set(next.clone());
                load_items(&list, &api, next, None);
            }));
        })
    };
    let on_category = {
        let (search_now, query, text) = (search_now.clone(), query.clone(), text.clone());
        Callback::from(move |value: String| {
            search_now.emit(ItemQuery {
                q: (*text).clone(),
                category: ItemCategory::parse(&value),
                ..(*query).clone()
            })
        })
    };
    let on_low_stock = {
        let (search_now, query, text) = (search_now.clone(), query.clone(), text.clone());
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                search_now.emit(ItemQuery {
                    q: (*text).clone(),
                    low_stock: input.checked(),
                    ..(*query).clone()
                })
            }
        })
    };
    let on_include_inactive = {
        let (search_now, query, text) = (search_now.clone(), query.clone(), text.clone());
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                search_now.emit(ItemQuery {
                    q: (*text).clone(),
                    include_inactive: input.checked(),
                    ..(*query).clone()
                })
            }
        })
    };
    let onsubmit = {
        let (search_now, query, text) = (search_now.clone(), query.clone(), text.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            search_now.emit(ItemQuery {
                q: (*text).clone(),
                ..(*query).clone()
            })
        })
    };
    let on_load_more = {
        let (list, api, query) = (list.clone(), api.clone(), query.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(cursor) = list.state.next_cursor.clone() {
                load_items(&list, &api, (*query).clone(), Some(cursor));
            }
        })
    };
    let on_toggle_new = {
        let adding = adding.clone();
        Callback::from(move |_: MouseEvent| adding.set(!*adding))
    };
    let on_close_new = {
        let adding = adding.clone();
        Callback::from(move |()| adding.set(false))
    };

    let can_add = props.user.role.can(Permission::ManageItems);
    let state = &list.state;
    let category = query.category.map_or("", ItemCategory::as_str);
    html! {
        <main id="inventory-page" class="page">
            <div class="page-head">
                <h1>{ "Inventory" }</h1>
                <div class="form-actions">
                    <AppLink id="inventory-shortages-link" to={Route::Shortages} classes="button secondary">
                        { "Shortages board" }
                    </AppLink>
                    if can_add {
                        <button
                            id="new-item-toggle"
                            type="button"
                            class="button primary"
                            aria-expanded={(*adding).to_string()}
                            onclick={on_toggle_new}
                        >
                            { "New item" }
                        </button>
                    }
                </div>
            </div>
            if can_add && *adding {
                <NewItemForm on_close={on_close_new} />
            }
            <section class="card">
                <form id="item-filters" class="filters" role="search" {onsubmit}>
                    <div class="field grow">
                        <label for="item-search">{ "Name or SKU" }</label>
                        <input
                            id="item-search"
                            type="search"
                            autocomplete="off"
                            placeholder="e.g. amoxicillin or AMOX-500-CAP"
                            value={(*text).clone()}
                            oninput={on_text}
                        />
                    </div>
                    <SelectField
                        id="item-category"
                        label="Category"
                        value={category}
                        options={display::options(Some(("", "All categories")), ItemCategory::ALL)}
                        onchange={on_category}
                    />
                    <label class="check">
                        <input
                            id="item-low-stock"
                            type="checkbox"
                            checked={query.low_stock}
                            onchange={on_low_stock}
                        />
                        { "Low stock only" }
                    </label>
                    <label class="check">
                        <input
                            id="item-include-inactive"
                            type="checkbox"
                            checked={query.include_inactive}
                            onchange={on_include_inactive}
                        />
                        { "Include inactive" }
                    </label>
                </form>

                <ProblemAlert id="items-error" error={state.error.clone()} />
                <div class="table-wrap">
                    <table id="items-table" class="table">
                        <thead>
                            <tr>
                                <th scope="col">{ "SKU" }</th>
                                <th scope="col">{ "Name" }</th>
                                <th scope="col">{ "Category" }</th>
                                <th scope="col">{ "On hand" }</th>
                                <th scope="col"><span class="visually-hidden">{ "Flags" }</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            { for state.items.iter().map(item_row) }
                        </tbody>
                    </table>
                </div>
                if state.loading {
                    <p id="items-loading" class="loading" role="status">{ "Loading items…" }</p>
                } else if state.loaded && state.items.is_empty() && state.error.is_none() {
                    <p id="items-empty" class="muted">{ "No items match." }</p>
                }
                if state.next_cursor.is_some() && !state.loading {
                    <button id="items-load-more" type="button" class="button secondary load-more" onclick={on_load_more}>
                        { "Load more" }
                    </button>
                }
            </section>
        </main>
    }
}

fn item_row(item: &Item) -> Html {
    html! {
        <tr
            key={item.id.to_string()}
            class="item-row"
            data-item-id={item.id.to_string()}
            data-sku={item.sku.clone()}
            data-low-stock={item.low_stock.to_string()}
        >
            <td class="sku">{ item.sku.clone() }</td>
            <td class="name">
                <AppLink to={Route::InventoryItem { id: item.id }} classes="item-link">
                    { item.name.clone() }
                </AppLink>
            </td>
            <td class="category">{ display::humanize(item.category.as_str()) }</td>
            <td class="on-hand">{ quantity(item.on_hand, &item.unit) }</td>
            <td class="flags">
                if item.low_stock {
                    { low_stock_badge() }
                }
                if item.critical {
                    { critical_badge() }
                }
                if !item.active {
                    <span class="badge inactive">{ "Inactive" }</span>
                }
            </td>
        </tr>
    }
}

/// The values of the new-item form, as typed; `category` is a wire name.
#[derive(Debug, Clone, PartialEq)]
struct NewItemValues {
    sku: String,
    name: String,
    category: String,
    unit: String,
    reorder_level: String,
    reorder_quantity: String,
    critical: bool,
    /// `None` until the box is touched: the server's default (lot-tracked unless equipment).
    lot_tracked: Option<bool>,
}

impl Default for NewItemValues {
    fn default() -> Self {
        NewItemValues {
            sku: String::new(),
            name: String::new(),
            category: ItemCategory::Drug.as_str().to_owned(),
            unit: String::new(),
            reorder_level: String::new(),
            reorder_quantity: String::new(),
            critical: false,
            lot_tracked: None,
        }
    }
}

impl NewItemValues {
    /// Whether the lot-tracked box shows ticked.
    fn lot_tracked_shown(&self) -> bool {
        self.lot_tracked
            .unwrap_or(self.category != ItemCategory::Equipment.as_str())
    }

    fn request(&self) -> Result<NewItem, ApiError> {
        let mut checks = Checks::default();
        let sku = checks.text("sku", &self.sku, "Enter the SKU.");
        let name = checks.text("name", &self.name, "Enter the name.");
        let category = ItemCategory::parse(&self.category);
        if category.is_none() {
            checks.fail("category", "Choose a category.");
        }
        let unit = checks.text("unit", &self.unit, "Enter the unit quantities count.");
        let reorder_level = checks.count(
            "reorder_level",
            &self.reorder_level,
            "Enter the reorder level.",
        );
        let reorder_quantity = checks.count(
            "reorder_quantity",
            &self.reorder_quantity,
            "Enter the quantity to order.",
        );
        checks.finish()?;
        let (Some(sku), Some(name), Some(category), Some(unit), Some(level), Some(quantity)) =
            (sku, name, category, unit, reorder_level, reorder_quantity)
        else {
            return Err(incomplete());
        };
        Ok(NewItem {
            sku,
            name,
            category,
            unit,
            reorder_level: level,
            reorder_quantity: quantity,
            critical: self.critical,
            lot_tracked: self.lot_tracked,
        })
    }
}

#[derive(Properties, PartialEq)]
struct NewItemFormProps {
    on_close: Callback<()>,
}

/// `<form id="new-item-form">`; a created item opens its page.
#[component]
fn NewItemForm(props: &NewItemFormProps) -> Html {
    let session = use_session();
    let form = use_form::<NewItemValues>();
    let navigator = use_navigator();

    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = match form.values.request() {
                Ok(request) => request,
                Err(error) => {
                    form.dispatch(FormAction::Failed(error));
                    return;
                }
            };
            form.dispatch(FormAction::Submit);
            let (form, api, navigator) = (form.dispatcher(), api.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.create_item(&request).await {
                    Ok(item) => {
                        form.dispatch(FormAction::Succeeded(None));
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::InventoryItem { id: item.id });
                        }
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let check = |set: fn(&mut NewItemValues, bool)| {
        let form = form.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                let checked = input.checked();
                form.dispatch(FormAction::edit(move |v: &mut NewItemValues| {
                    set(v, checked)
                }));
            }
        })
    };
    let oncancel = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };

    let values = &form.values;
    html! {
        <section class="card add-card" aria-labelledby="new-item-title">
            <h2 id="new-item-title">{ "New item" }</h2>
            <form id="new-item-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="new-item-error" error={form.error.clone()} />
                <Field
                    id="new-item-sku"
                    label="SKU"
                    placeholder="e.g. AMOX-500-CAP"
                    autocomplete="off"
                    value={values.sku.clone()}
                    oninput={setter(&form, |v, s| v.sku = s)}
                    error={form.field_error("sku")}
                    required=true
                />
                <Field
                    id="new-item-name"
                    label="Name"
                    placeholder="e.g. Amoxicillin 500 mg capsule"
                    value={values.name.clone()}
                    oninput={setter(&form, |v, s| v.name = s)}
                    error={form.field_error("name")}
                    required=true
                />
                <SelectField
                    id="new-item-category"
                    label="Category"
                    value={values.category.clone()}
                    options={display::options(None, ItemCategory::ALL)}
                    onchange={setter(&form, |v, s| v.category = s)}
                    error={form.field_error("category")}
                />
                <Field
                    id="new-item-unit"
                    label="Unit"
                    placeholder="e.g. capsule, vial, box of 10"
                    value={values.unit.clone()}
                    oninput={setter(&form, |v, s| v.unit = s)}
                    error={form.field_error("unit")}
                    required=true
                />
                <Field
                    id="new-item-reorder-level"
                    label="Reorder level"
                    hint="A shortage opens when a location holds this many or fewer."
                    inputmode="numeric"
                    value={values.reorder_level.clone()}
                    oninput={setter(&form, |v, s| v.reorder_level = s)}
                    error={form.field_error("reorder_level")}
                    required=true
                />
                <Field
                    id="new-item-reorder-quantity"
                    label="Reorder quantity"
                    inputmode="numeric"
                    value={values.reorder_quantity.clone()}
                    oninput={setter(&form, |v, s| v.reorder_quantity = s)}
                    error={form.field_error("reorder_quantity")}
                    required=true
                />
                <label class="check">
                    <input
                        id="new-item-critical"
                        type="checkbox"
                        checked={values.critical}
                        onchange={check(|v, on| v.critical = on)}
                    />
                    { "Critical: patients are at risk when it runs out" }
                </label>
                <label class="check">
                    <input
                        id="new-item-lot-tracked"
                        type="checkbox"
                        checked={values.lot_tracked_shown()}
                        onchange={check(|v, on| v.lot_tracked = Some(on))}
                    />
                    { "Tracked by lot and expiry date" }
                </label>
                if let Some(error) = form.field_error("lot_tracked") {
                    <p class="field-error" id="new-item-lot-tracked-error">{ error }</p>
                }
                <div class="form-actions">
                    <button id="new-item-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Adding…" } else { "Add item" } }
                    </button>
                    <button id="new-item-cancel" type="button" class="button secondary" onclick={oncancel}>
                        { "Cancel" }
                    </button>
                </div>
            </form>
        </section>
    }
}
