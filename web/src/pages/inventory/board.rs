//! The shortages board (`/inventory/shortages`): one column per live status (open,
//! acknowledged, ordered) and, when asked, resolved and dismissed; severity badges, critical
//! items marked; filters by severity and location; on each card the workflow steps for those who
//! work shortages, and a link to the shortage's page with its history.
//!
//! Element ids:
//! - `main#shortages-page`; `#shortages-report-link` (report a shortage)
//! - `form#shortage-filters`: `#shortage-severity` and `#shortage-location` (wire name or id,
//!   empty for all), `#shortage-show-closed` (checkbox)
//! - `#shortages-error`, `#shortages-loading`, `#shortages-status` (what the last step did)
//! - `div#shortage-board` with `section.shortage-column#shortage-column-{status}[data-status]`
//!   (its count in `.count`), each holding
//!   `article.shortage-card[data-shortage-id][data-status][data-severity][data-critical]` with
//!   `.shortage-item` (link to the item), `.shortage-location`, `.badge.severity`,
//!   `.badge.critical-item`, `.shortage-stock`, `.shortage-source`, `.shortage-order-ref`,
//!   `.shortage-note`, `a.shortage-open` (the shortage's page) and the workflow controls (see
//!   `actions.rs`); `.shortage-column-empty` in an empty column

use std::rc::Rc;

use hms_api_types::inventory::{Severity, Shortage, ShortageSource, ShortageStatus};
use hms_api_types::page::DEFAULT_PAGE_SIZE;
use hms_api_types::users::User;
use hms_api_types::Permission;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::actions::{step_done, ShortageActions};
use super::{
    critical_badge, location_options, quantity, severity_badge, shortage_status_badge,
    use_locations,
};
use crate::api::inventory::{ShortageMove, ShortageQuery};
use crate::api::{Api, ApiError};
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::field::SelectField;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::pages::appointments::use_remote;
use crate::session::use_session;

/// The columns of the board, in workflow order.
const LIVE: [ShortageStatus; 3] = [
    ShortageStatus::Open,
    ShortageStatus::Acknowledged,
    ShortageStatus::Ordered,
];
const CLOSED: [ShortageStatus; 2] = [ShortageStatus::Resolved, ShortageStatus::Dismissed];

/// The board's filters.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filters {
    severity: Option<Severity>,
    location: Option<Uuid>,
    show_closed: bool,
}

/// The live shortages and, when asked, the most recent closed ones of each closed status.
async fn load_board(api: Api, filters: Filters) -> Result<Vec<Shortage>, ApiError> {
    let base = ShortageQuery {
        severity: filters.severity,
        location_id: filters.location,
        ..ShortageQuery::default()
    };
    let mut items = api
        .all_shortages(&ShortageQuery {
            live: true,
            ..base.clone()
        })
        .await?;
    if filters.show_closed {
        for status in CLOSED {
            let query = ShortageQuery {
                status: Some(status),
                ..base.clone()
            };
            items.extend(
                api.list_shortages(&query, DEFAULT_PAGE_SIZE, None)
                    .await?
                    .items,
            );
        }
    }
    Ok(items)
}

#[derive(Properties, PartialEq)]
pub struct ShortagesPageProps {
    pub user: Rc<User>,
}

/// `<main id="shortages-page">`.
#[component]
pub fn ShortagesPage(props: &ShortagesPageProps) -> Html {
    let session = use_session();
    let board = use_remote::<Vec<Shortage>>();
    let locations = use_locations();
    let filters = use_state(Filters::default);
    let status = use_state(|| None::<String>);

    {
        let (board, api) = (board.clone(), session.api().clone());
        use_effect_with((*filters).clone(), move |filters| {
            let filters = filters.clone();
            board.load(load_board(api, filters));
        });
    }
    let reload = {
        let (board, api, filters) = (board.clone(), session.api().clone(), filters.clone());
        Callback::from(move |()| board.load(load_board(api.clone(), (*filters).clone())))
    };
    let on_done = {
        let (reload, status) = (reload.clone(), status.clone());
        Callback::from(move |(shortage, step): (Shortage, ShortageMove)| {
            status.set(Some(step_done(step, &shortage)));
            reload.emit(());
        })
    };
    let on_stale = {
        let (reload, status) = (reload.clone(), status.clone());
        Callback::from(move |()| {
            status.set(None);
            reload.emit(());
        })
    };
    let on_severity = {
        let filters = filters.clone();
        Callback::from(move |value: String| {
            filters.set(Filters {
                severity: Severity::parse(&value),
                ..(*filters).clone()
            })
        })
    };
    let on_location = {
        let filters = filters.clone();
        Callback::from(move |value: String| {
            filters.set(Filters {
                location: Uuid::parse_str(&value).ok(),
                ..(*filters).clone()
            })
        })
    };
    let on_show_closed = {
        let filters = filters.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                filters.set(Filters {
                    show_closed: input.checked(),
                    ..(*filters).clone()
                })
            }
        })
    };

    let manage = props.user.role.can(Permission::ManageShortages);
    let items = board.state.value.clone().unwrap_or_default();
    let columns: Vec<ShortageStatus> = LIVE
        .into_iter()
        .chain(CLOSED.into_iter().filter(|_| filters.show_closed))
        .collect();
    let all_locations = locations.state.value.clone().unwrap_or_default();
    let column = |column_status: ShortageStatus| {
        let cards: Vec<&Shortage> = items.iter().filter(|s| s.status == column_status).collect();
        html! {
            <section
                key={column_status.as_str()}
                id={format!("shortage-column-{}", column_status.as_str())}
                class="shortage-column"
                data-status={column_status.as_str()}
                aria-labelledby={format!("shortage-column-{}-title", column_status.as_str())}
            >
                <h2 id={format!("shortage-column-{}-title", column_status.as_str())}>
                    { display::humanize(column_status.as_str()) }
                    <span class="count muted">{ format!(" ({})", cards.len()) }</span>
                </h2>
                if cards.is_empty() {
                    <p class="muted shortage-column-empty">{ "None." }</p>
                }
                <div class="cards shortage-cards">
                    { for cards.into_iter().map(|s| html! {
                        <ShortageCard
                            key={s.id.to_string()}
                            shortage={s.clone()}
                            {manage}
                            on_done={on_done.clone()}
                            on_stale={on_stale.clone()}
                        />
                    }) }
                </div>
            </section>
        }
    };

    let severity = filters.severity.map_or("", Severity::as_str);
    let location = filters
        .location
        .map(|id| id.to_string())
        .unwrap_or_default();
    html! {
        <main id="shortages-page" class="page">
            <div class="page-head">
                <h1>{ "Shortages" }</h1>
                if props.user.role.can(Permission::ReportShortages) {
                    <AppLink id="shortages-report-link" to={Route::ReportShortage} classes="button primary">
                        { "Report a shortage" }
                    </AppLink>
                }
            </div>
            <section class="card">
                <form id="shortage-filters" class="filters" role="search" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                    <SelectField
                        id="shortage-severity"
                        label="Severity"
                        value={severity}
                        options={display::options(Some(("", "All severities")), Severity::ALL)}
                        onchange={on_severity}
                    />
                    <SelectField
                        id="shortage-location"
                        label="Location"
                        value={location}
                        options={location_options(&all_locations, Some(("", "All locations")))}
                        onchange={on_location}
                    />
                    <label class="check">
                        <input
                            id="shortage-show-closed"
                            type="checkbox"
                            checked={filters.show_closed}
                            onchange={on_show_closed}
                        />
                        { "Show resolved and dismissed" }
                    </label>
                </form>
                <ProblemAlert id="shortages-error" error={board.state.error.clone()} />
                if let Some(text) = &*status {
                    <p id="shortages-status" class="status" role="status">{ text.clone() }</p>
                }
                if board.state.loading && board.state.value.is_none() {
                    <p id="shortages-loading" class="loading" role="status">{ "Loading shortages…" }</p>
                }
            </section>
            <div
                id="shortage-board"
                class="cards shortage-board"
                aria-busy={board.state.loading.then_some("true")}
            >
                { for columns.into_iter().map(column) }
            </div>
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct ShortageCardProps {
    shortage: Shortage,
    /// The person works shortages: the workflow steps are shown.
    manage: bool,
    on_done: Callback<(Shortage, ShortageMove)>,
    on_stale: Callback<()>,
}

/// `<article class="shortage-card">`.
#[component]
fn ShortageCard(props: &ShortageCardProps) -> Html {
    let s = &props.shortage;
    html! {
        <article
            class={classes!("card", "shortage-card", s.critical_item.then_some("critical"))}
            data-shortage-id={s.id.to_string()}
            data-status={s.status.as_str()}
            data-severity={s.severity.as_str()}
            data-critical={s.critical_item.to_string()}
        >
            <p class="shortage-badges">
                { severity_badge(s.severity) }
                { " " }
                if s.critical_item {
                    { critical_badge() }
                }
            </p>
            <h3 class="shortage-item">
                <AppLink to={Route::InventoryItem { id: s.item_id }}>{ s.item_name.clone() }</AppLink>
            </h3>
            <p class="muted">
                { format!("{} · ", s.item_sku) }
                <span class="shortage-location">{ s.location_name.clone() }</span>
            </p>
            <p class="shortage-stock">
                { format!("On hand {} · reorder at {}", s.on_hand, s.reorder_level) }
            </p>
            <p class="shortage-source muted">{ source_line(s) }</p>
            if let Some(reference) = &s.order_reference {
                <p class="shortage-order-ref">{ format!("Order {reference}") }</p>
            }
            if let Some(note) = &s.note {
                <p class="shortage-note">{ format!("“{note}”") }</p>
            }
            if !s.status.is_live() {
                <p>{ shortage_status_badge(s.status) }</p>
            }
            <p>
                <AppLink to={Route::Shortage { id: s.id }} classes="shortage-open">
                    { "Details and history" }
                </AppLink>
            </p>
            if props.manage && s.status.is_live() {
                <ShortageActions
                    shortage={s.clone()}
                    on_done={props.on_done.clone()}
                    on_stale={props.on_stale.clone()}
                />
            }
        </article>
    }
}

/// "Reported by Nia Okafor, 2026-03-12 14:05" or "Opened automatically, …".
pub fn source_line(s: &Shortage) -> String {
    let when = display::local_time(s.opened_at);
    match s.source {
        ShortageSource::Reported => format!("Reported by {}, {when}", s.opened_by_name),
        ShortageSource::Automatic => match s.level_at_open {
            Some(level) => format!(
                "Opened automatically at {}, {when}",
                quantity(level, "on hand")
            ),
            None => format!("Opened automatically, {when}"),
        },
    }
}
