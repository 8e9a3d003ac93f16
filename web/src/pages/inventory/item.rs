//! An item's page (`/inventory/items/{id}`): its details, the stock per location (on hand,
//! expired, reorder level, days of supply), the lots with their expiry, its live shortages, the
//! movement forms the role may use and the movement history. After a movement everything is
//! loaded again; a movement that opened a shortage says so, with a link to it.
//!
//! Element ids:
//! - `main#item-page[data-item-id]`; `#item-loading`, `#item-error`
//! - `header#item-header`: `#item-name`, `#item-sku`, `#item-category`, `#item-unit`,
//!   `#item-on-hand`, `#item-reorder`, `#item-tracking`, badges `#item-low-stock`,
//!   `#item-critical`, `#item-inactive`
//! - `table#item-levels`, rows `tr.level-row[data-location-id][data-low]` with cells
//!   `.location`, `.on-hand`, `.expired`, `.reorder-level`, `.dispensed`, `.days-of-supply`,
//!   `.flags`; `#item-levels-empty`
//! - `table#item-lots`, rows `tr.lot-row[data-lot-id][data-location-id][data-expired]` (class
//!   `expired` when past its date) with cells `.lot-number`, `.expires-on`, `.location`,
//!   `.quantity`, `.flags`; `#item-lots-empty`
//! - `ul#item-shortages` with `li.item-shortage[data-shortage-id][data-status]`
//! - `#movement-notice` (role status, after a movement) and, when the movement opened a
//!   shortage, `#movement-shortage-notice` with its link `#movement-shortage-link`
//! - the movement forms (see `movements.rs`)
//! - `table#item-movements`, rows `tr.movement-row[data-movement-id][data-kind]` with cells
//!   `.when`, `.kind`, `.quantity`, `.where`, `.lots`, `.by`, `.details`;
//!   `#movements-empty`, `#movements-error`, `#movements-loading`, `#movements-load-more`

use std::rc::Rc;

use hms_api_types::inventory::{
    ItemDetail, Location, LotStock, Movement, MovementKind, Shortage, StockLevel,
};
use hms_api_types::users::User;
use hms_api_types::Permission;
use uuid::Uuid;
use yew::prelude::*;

use super::movements::{allowed_kinds, MovementForms};
use super::{
    critical_badge, location_name, low_stock_badge, quantity, severity_badge,
    shortage_status_badge, use_locations, use_paged, PagedHandle,
};
use crate::api::inventory::ShortageQuery;
use crate::api::Api;
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::pages::appointments::use_remote;
use crate::session::use_session;

/// What the last movement did, shown above the forms.
#[derive(Debug, Clone, PartialEq)]
struct Notice {
    text: String,
    shortage: Option<Uuid>,
}

fn load_movements(list: &PagedHandle<Movement>, api: &Api, item_id: Uuid, cursor: Option<String>) {
    let api = api.clone();
    list.load(cursor.is_some(), async move {
        let page = api.item_movements(item_id, cursor.as_deref()).await?;
        Ok((page.items, page.next_cursor))
    });
}

/// "Dispensed 5 capsule at Ward 3."
fn notice_text(movement: &Movement, unit: &str, locations: &[Location]) -> String {
    let at = |id: Option<Uuid>| {
        id.map(|id| location_name(locations, id))
            .unwrap_or_default()
    };
    let amount = quantity(movement.quantity.into(), unit);
    match movement.kind {
        MovementKind::Receive => format!("Received {amount} at {}.", at(movement.to_location_id)),
        MovementKind::Dispense => {
            format!("Dispensed {amount} at {}.", at(movement.from_location_id))
        }
        MovementKind::Transfer => format!(
            "Transferred {amount} from {} to {}.",
            at(movement.from_location_id),
            at(movement.to_location_id)
        ),
        MovementKind::Adjust => format!("Count recorded: a correction of {amount}."),
        MovementKind::WriteOff => {
            format!("Wrote off {amount} at {}.", at(movement.from_location_id))
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ItemPageProps {
    pub item_id: Uuid,
    pub user: Rc<User>,
}

/// `<main id="item-page" data-item-id="…">`.
#[component]
pub fn ItemPage(props: &ItemPageProps) -> Html {
    let session = use_session();
    let api = session.api().clone();
    let detail = use_remote::<Rc<ItemDetail>>();
    let shortages = use_remote::<Vec<Shortage>>();
    let movements = use_paged::<Movement>();
    let locations = use_locations();
    let notice = use_state(|| None::<Notice>);
    let item_id = props.item_id;

    let reload = {
        let (api, detail, shortages, movements) = (
            api.clone(),
            detail.clone(),
            shortages.clone(),
            movements.clone(),
        );
        Callback::from(move |()| {
            let a = api.clone();
            detail.load(async move { a.get_item(item_id).await.map(Rc::new) });
            let a = api.clone();
            shortages.load(async move {
                let query = ShortageQuery {
                    item_id: Some(item_id),
                    live: true,
                    ..ShortageQuery::default()
                };
                a.all_shortages(&query).await
            });
            load_movements(&movements, &api, item_id, None);
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(item_id, move |_| reload.emit(()));
    }

    let all_locations: Rc<Vec<Location>> =
        Rc::new(locations.state.value.clone().unwrap_or_default());
    let on_moved = {
        let (notice, reload, detail) = (notice.clone(), reload.clone(), detail.clone());
        let all_locations = all_locations.clone();
        Callback::from(move |movement: Movement| {
            let unit = detail
                .state
                .value
                .as_ref()
                .map(|d| d.item.unit.clone())
                .unwrap_or_default();
            notice.set(Some(Notice {
                text: notice_text(&movement, &unit, &all_locations),
                shortage: movement.opened_shortage_id,
            }));
            reload.emit(());
        })
    };
    let on_load_more = {
        let (movements, api) = (movements.clone(), api.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(cursor) = movements.state.next_cursor.clone() {
                load_movements(&movements, &api, item_id, Some(cursor));
            }
        })
    };

    let Some(current) = detail.state.value.clone() else {
        return html! {
            <main id="item-page" class="page" data-item-id={item_id.to_string()}>
                <p class="breadcrumb"><AppLink to={Route::Inventory}>{ "Inventory" }</AppLink></p>
                <h1>{ "Item" }</h1>
                if detail.state.error.is_some() {
                    <ProblemAlert id="item-error" error={detail.state.error.clone()} />
                } else {
                    <p id="item-loading" class="loading" role="status">{ "Loading the item…" }</p>
                }
            </main>
        };
    };
    let item = &current.item;
    let role = props.user.role;
    let may_move = !allowed_kinds(role).is_empty() && item.active;
    let state = &movements.state;

    html! {
        <main id="item-page" class="page" data-item-id={item_id.to_string()}>
            <p class="breadcrumb"><AppLink to={Route::Inventory}>{ "Inventory" }</AppLink></p>
            <header id="item-header" class="card chart-header">
                <div class="chart-who">
                    <h1 id="item-name">
                        { item.name.clone() }
                        if !item.active {
                            <span id="item-inactive" class="badge inactive">{ "Inactive" }</span>
                        }
                    </h1>
                    <p>
                        if item.low_stock {
                            <span id="item-low-stock">{ low_stock_badge() }</span>
                        }
                        if item.critical {
                            <span id="item-critical">{ critical_badge() }</span>
                        }
                    </p>
                    <dl class="chart-facts">
                        <div>
                            <dt>{ "SKU" }</dt>
                            <dd id="item-sku">{ item.sku.clone() }</dd>
                        </div>
                        <div>
                            <dt>{ "Category" }</dt>
                            <dd id="item-category">{ display::humanize(item.category.as_str()) }</dd>
                        </div>
                        <div>
                            <dt>{ "Unit" }</dt>
                            <dd id="item-unit">{ item.unit.clone() }</dd>
                        </div>
                        <div>
                            <dt>{ "On hand" }</dt>
                            <dd id="item-on-hand">{ quantity(item.on_hand, &item.unit) }</dd>
                        </div>
                        <div>
                            <dt>{ "Reorder" }</dt>
                            <dd id="item-reorder">
                                { format!("at {} · order {}", item.reorder_level, item.reorder_quantity) }
                            </dd>
                        </div>
                        <div>
                            <dt>{ "Tracking" }</dt>
                            <dd id="item-tracking">
                                { if item.lot_tracked { "By lot and expiry" } else { "Units only" } }
                            </dd>
                        </div>
                    </dl>
                </div>
            </header>
            <ProblemAlert id="item-error" error={detail.state.error.clone()} />

            <section class="card" aria-labelledby="item-levels-title">
                <h2 id="item-levels-title">{ "Stock by location" }</h2>
                if current.levels.is_empty() {
                    <p id="item-levels-empty" class="muted">{ "No stock anywhere yet." }</p>
                } else {
                    <div class="table-wrap">
                        <table id="item-levels" class="table">
                            <thead>
                                <tr>
                                    <th scope="col">{ "Location" }</th>
                                    <th scope="col">{ "On hand" }</th>
                                    <th scope="col">{ "Expired" }</th>
                                    <th scope="col">{ "Reorder level" }</th>
                                    <th scope="col">{ "Dispensed (30 days)" }</th>
                                    <th scope="col">{ "Days of supply" }</th>
                                    <th scope="col"><span class="visually-hidden">{ "Flags" }</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                { for current.levels.iter().map(level_row) }
                            </tbody>
                        </table>
                    </div>
                }
            </section>

            if item.lot_tracked || !current.lots.is_empty() {
                <section class="card" aria-labelledby="item-lots-title">
                    <h2 id="item-lots-title">{ "Lots" }</h2>
                    if current.lots.is_empty() {
                        <p id="item-lots-empty" class="muted">{ "No lots in stock." }</p>
                    } else {
                        <div class="table-wrap">
                            <table id="item-lots" class="table">
                                <thead>
                                    <tr>
                                        <th scope="col">{ "Lot" }</th>
                                        <th scope="col">{ "Expires" }</th>
                                        <th scope="col">{ "Location" }</th>
                                        <th scope="col">{ "Quantity" }</th>
                                        <th scope="col"><span class="visually-hidden">{ "Flags" }</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    { for current.lots.iter().map(|lot| lot_row(lot, &item.unit)) }
                                </tbody>
                            </table>
                        </div>
                    }
                </section>
            }

            if let Some(live) = shortages.state.value.as_ref().filter(|s| !s.is_empty()) {
                <section class="card warning" aria-labelledby="item-shortages-title">
                    <h2 id="item-shortages-title">{ "Open shortages" }</h2>
                    <ul id="item-shortages" class="summary-list">
                        { for live.iter().map(|s| html! {
                            <li
                                key={s.id.to_string()}
                                class="item-shortage"
                                data-shortage-id={s.id.to_string()}
                                data-status={s.status.as_str()}
                            >
                                { severity_badge(s.severity) }
                                { " " }
                                <AppLink to={Route::Shortage { id: s.id }}>
                                    { format!("At {}", s.location_name) }
                                </AppLink>
                                <span class="muted">
                                    { format!(" · since {} · ", display::local_time(s.opened_at)) }
                                </span>
                                { " " }
                                { shortage_status_badge(s.status) }
                            </li>
                        }) }
                    </ul>
                </section>
            }

            if let Some(notice) = &*notice {
                <div class="chart-messages">
                    <p id="movement-notice" class="status" role="status">{ notice.text.clone() }</p>
                    if let Some(id) = notice.shortage {
                        <p id="movement-shortage-notice" class="warning" role="status">
                            { "The stock is now at or below its reorder level, so a shortage was opened. " }
                            <AppLink id="movement-shortage-link" to={Route::Shortage { id }}>
                                { "See the shortage" }
                            </AppLink>
                        </p>
                    }
                </div>
            }

            if may_move {
                <MovementForms
                    detail={current.clone()}
                    locations={all_locations.clone()}
                    {role}
                    {on_moved}
                />
            }

            <section class="card" aria-labelledby="item-movements-title">
                <h2 id="item-movements-title">{ "Movements" }</h2>
                <ProblemAlert id="movements-error" error={state.error.clone()} />
                if !state.items.is_empty() {
                    <div class="table-wrap">
                        <table id="item-movements" class="table">
                            <thead>
                                <tr>
                                    <th scope="col">{ "When" }</th>
                                    <th scope="col">{ "Movement" }</th>
                                    <th scope="col">{ "Quantity" }</th>
                                    <th scope="col">{ "Where" }</th>
                                    <th scope="col">{ "Lots" }</th>
                                    <th scope="col">{ "By" }</th>
                                    <th scope="col">{ "Details" }</th>
                                </tr>
                            </thead>
                            <tbody>
                                { for state.items.iter().map(|m| movement_row(m, &item.unit, &all_locations, role)) }
                            </tbody>
                        </table>
                    </div>
                }
                if state.loading {
                    <p id="movements-loading" class="loading" role="status">{ "Loading movements…" }</p>
                } else if state.loaded && state.items.is_empty() && state.error.is_none() {
                    <p id="movements-empty" class="muted">{ "No movements yet." }</p>
                }
                if state.next_cursor.is_some() && !state.loading {
                    <button id="movements-load-more" type="button" class="button secondary load-more" onclick={on_load_more}>
                        { "Load more" }
                    </button>
                }
            </section>
        </main>
    }
}

fn level_row(level: &StockLevel) -> Html {
    let days = level
        .days_of_supply
        .map(|d| format!("{} days", display::num((d * 10.0).round() / 10.0)))
        .unwrap_or_else(|| "—".to_owned());
    html! {
        <tr
            key={level.location_id.to_string()}
            class="level-row"
            data-location-id={level.location_id.to_string()}
            data-low={level.low.to_string()}
        >
            <td class="location">{ level.location_name.clone() }</td>
            <td class="on-hand">{ quantity(level.on_hand, &level.unit) }</td>
            <td class="expired">{ level.expired.to_string() }</td>
            <td class="reorder-level">
                { level.reorder_level.to_string() }
                <span class="muted">{ format!(" (order {})", level.reorder_quantity) }</span>
            </td>
            <td class="dispensed">{ level.dispensed_30d.to_string() }</td>
            <td class="days-of-supply">{ days }</td>
            <td class="flags">
                if level.low {
                    { low_stock_badge() }
                }
            </td>
        </tr>
    }
}

fn lot_row(lot: &LotStock, unit: &str) -> Html {
    let key = format!(
        "{}-{}",
        lot.lot_id.map(|id| id.to_string()).unwrap_or_default(),
        lot.location_id
    );
    html! {
        <tr
            {key}
            class={classes!("lot-row", lot.expired.then_some("expired"))}
            data-lot-id={lot.lot_id.map(|id| id.to_string())}
            data-location-id={lot.location_id.to_string()}
            data-expired={lot.expired.to_string()}
        >
            <td class="lot-number">{ lot.lot_number.clone().unwrap_or_else(|| "—".to_owned()) }</td>
            <td class="expires-on">
                if lot.expired {
                    <strong>{ display::opt_date(lot.expires_on) }</strong>
                } else {
                    { display::opt_date(lot.expires_on) }
                }
            </td>
            <td class="location">{ lot.location_name.clone() }</td>
            <td class="quantity">{ quantity(lot.quantity, unit) }</td>
            <td class="flags">
                if lot.expired {
                    <span class="badge lot-expired severity-life_threatening">{ "Expired" }</span>
                }
            </td>
        </tr>
    }
}

fn movement_row(
    movement: &Movement,
    unit: &str,
    locations: &[Location],
    role: hms_api_types::Role,
) -> Html {
    let name = |id: Option<Uuid>| id.map(|id| location_name(locations, id));
    let place = match (
        name(movement.from_location_id),
        name(movement.to_location_id),
    ) {
        (Some(from), Some(to)) => format!("{from} → {to}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "—".to_owned(),
    };
    // An adjustment's quantity is the size of the correction; its lines say which way.
    let delta: i64 = movement.lines.iter().map(|l| i64::from(l.delta)).sum();
    let amount = match movement.kind {
        MovementKind::Adjust if delta < 0 => {
            format!("−{}", quantity(movement.quantity.into(), unit))
        }
        MovementKind::Adjust => format!("+{}", quantity(movement.quantity.into(), unit)),
        _ => quantity(movement.quantity.into(), unit),
    };
    let mut lots: Vec<String> = movement
        .lines
        .iter()
        .filter_map(|l| l.lot_number.clone())
        .collect();
    lots.dedup();
    let mut details: Vec<String> = Vec::new();
    if let Some(reason) = movement.write_off_reason {
        details.push(display::humanize(reason.as_str()));
    }
    if let Some(reason) = &movement.reason {
        details.push(reason.clone());
    }
    html! {
        <tr
            key={movement.id.to_string()}
            class="movement-row"
            data-movement-id={movement.id.to_string()}
            data-kind={movement.kind.as_str()}
        >
            <td class="when">{ display::local_time(movement.performed_at) }</td>
            <td class="kind">{ display::humanize(movement.kind.as_str()) }</td>
            <td class="quantity">{ amount }</td>
            <td class="where">{ place }</td>
            <td class="lots">{ if lots.is_empty() { "—".to_owned() } else { lots.join(", ") } }</td>
            <td class="by">{ movement.performed_by_name.clone() }</td>
            <td class="details">
                { details.join(" · ") }
                if let Some(patient) = movement.patient_id {
                    if role.can(Permission::ReadDemographics) {
                        { " " }
                        <AppLink to={Route::Chart { id: patient }} classes="movement-patient">
                            { "Patient" }
                        </AppLink>
                    }
                }
            </td>
        </tr>
    }
}
