//! A shortage's page (`/inventory/shortages/{id}`): the item and location, severity, status,
//! stock, order reference, resolution, the workflow steps for those who work shortages, and the
//! history (who did each step, when, with what note).
//!
//! Element ids:
//! - `main#shortage-page[data-shortage-id][data-status]`; `#shortage-loading`, `#shortage-error`;
//!   `#shortage-board-link` (back to the board)
//! - `h1#shortage-title`; `#shortage-status-badge`, `#shortage-severity`, `#shortage-critical`
//! - `dl#shortage-details`: `#shortage-item` (link to the item), `#shortage-location`,
//!   `#shortage-stock`, `#shortage-source`, `#shortage-order-reference`,
//!   `#shortage-resolution`, `#shortage-note`, `#shortage-closed-at`
//! - `#shortage-status` (what the last step did); the workflow controls with the id prefix
//!   `shortage-action` (`#shortage-action-acknowledge`, `#shortage-action-order`,
//!   `#shortage-action-resolve`, `#shortage-action-dismiss`, `#shortage-action-text`,
//!   `#shortage-action-confirm`, `#shortage-action-back`, `#shortage-action-error`; see
//!   `actions.rs`)
//! - `ol#shortage-history` with `li.history-entry[data-to-status]` (`.what`, `.by`, `.when`,
//!   `.history-reason`)

use std::rc::Rc;

use hms_api_types::inventory::{Shortage, ShortageEvent};
use hms_api_types::users::User;
use hms_api_types::Permission;
use uuid::Uuid;
use yew::prelude::*;

use super::actions::{step_done, ShortageActions};
use super::board::source_line;
use super::{critical_badge, severity_badge, shortage_status_badge};
use crate::api::inventory::ShortageMove;
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::pages::appointments::use_remote;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct ShortagePageProps {
    pub shortage_id: Uuid,
    pub user: Rc<User>,
}

/// `<main id="shortage-page" data-shortage-id="…">`.
#[component]
pub fn ShortagePage(props: &ShortagePageProps) -> Html {
    let session = use_session();
    let shortage = use_remote::<Shortage>();
    let status = use_state(|| None::<String>);
    let id = props.shortage_id;

    let reload = {
        let (shortage, api) = (shortage.clone(), session.api().clone());
        Callback::from(move |()| {
            let api = api.clone();
            shortage.load(async move { api.get_shortage(id).await });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(id, move |_| reload.emit(()));
    }
    let on_done = {
        let (reload, status) = (reload.clone(), status.clone());
        Callback::from(move |(changed, step): (Shortage, ShortageMove)| {
            status.set(Some(step_done(step, &changed)));
            // The answer carries the new history; loading again keeps one source of truth.
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

    let back = html! {
        <p class="breadcrumb">
            <AppLink id="shortage-board-link" to={Route::Shortages}>{ "Shortages" }</AppLink>
        </p>
    };
    let Some(s) = shortage.state.value.clone() else {
        return html! {
            <main id="shortage-page" class="page" data-shortage-id={id.to_string()}>
                { back }
                <h1>{ "Shortage" }</h1>
                if shortage.state.error.is_some() {
                    <ProblemAlert id="shortage-error" error={shortage.state.error.clone()} />
                } else {
                    <p id="shortage-loading" class="loading" role="status">{ "Loading the shortage…" }</p>
                }
            </main>
        };
    };

    let manage = props.user.role.can(Permission::ManageShortages);
    html! {
        <main
            id="shortage-page"
            class="page"
            data-shortage-id={id.to_string()}
            data-status={s.status.as_str()}
        >
            { back }
            <header class="card chart-header">
                <div class="chart-who">
                    <h1 id="shortage-title">{ format!("Shortage: {}", s.item_name) }</h1>
                    <p>
                        <span id="shortage-status-badge">{ shortage_status_badge(s.status) }</span>
                        { " " }
                        <span id="shortage-severity">{ severity_badge(s.severity) }</span>
                        { " " }
                        if s.critical_item {
                            <span id="shortage-critical">{ critical_badge() }</span>
                        }
                    </p>
                    <dl id="shortage-details" class="details">
                        <dt>{ "Item" }</dt>
                        <dd id="shortage-item">
                            <AppLink to={Route::InventoryItem { id: s.item_id }}>{ s.item_name.clone() }</AppLink>
                            <span class="muted">{ format!(" · {}", s.item_sku) }</span>
                        </dd>
                        <dt>{ "Location" }</dt>
                        <dd id="shortage-location">{ s.location_name.clone() }</dd>
                        <dt>{ "Stock" }</dt>
                        <dd id="shortage-stock">
                            { format!(
                                "{} on hand · reorder at {} · order {}",
                                s.on_hand, s.reorder_level, s.reorder_quantity
                            ) }
                        </dd>
                        <dt>{ "Opened" }</dt>
                        <dd id="shortage-source">{ source_line(&s) }</dd>
                        if let Some(reference) = &s.order_reference {
                            <dt>{ "Order reference" }</dt>
                            <dd id="shortage-order-reference">{ reference.clone() }</dd>
                        }
                        if let Some(resolution) = &s.resolution {
                            <dt>{ "Resolution" }</dt>
                            <dd id="shortage-resolution">{ resolution.clone() }</dd>
                        }
                        if let Some(note) = &s.note {
                            <dt>{ "Note" }</dt>
                            <dd id="shortage-note">{ note.clone() }</dd>
                        }
                        if let Some(closed) = s.closed_at {
                            <dt>{ "Closed" }</dt>
                            <dd id="shortage-closed-at">{ display::local_time(closed) }</dd>
                        }
                    </dl>
                </div>
                <div class="chart-messages">
                    <ProblemAlert id="shortage-error" error={shortage.state.error.clone()} />
                    if let Some(text) = &*status {
                        <p id="shortage-status" class="status" role="status">{ text.clone() }</p>
                    }
                </div>
                if manage && s.status.is_live() {
                    <ShortageActions
                        key={format!("{}-{}", s.id, s.version)}
                        shortage={s.clone()}
                        {on_done}
                        {on_stale}
                        id_prefix="shortage-action"
                    />
                }
            </header>
            <section class="card" aria-labelledby="shortage-history-title">
                <h2 id="shortage-history-title">{ "History" }</h2>
                <ol id="shortage-history" class="history">
                    { for s.history.iter().map(history_entry) }
                </ol>
            </section>
        </main>
    }
}

fn history_entry(event: &ShortageEvent) -> Html {
    let what = match event.from_status {
        None => "Opened".to_owned(),
        Some(from) => format!(
            "{} → {}",
            display::humanize(from.as_str()),
            display::humanize(event.to_status.as_str())
        ),
    };
    html! {
        <li class="history-entry" data-to-status={event.to_status.as_str()}>
            <span class="what">{ what }</span>
            <span class="by muted">{ format!(" · {}", event.by_name) }</span>
            <span class="when muted">{ format!(", {}", display::local_time(event.at)) }</span>
            if let Some(note) = &event.note {
                <span class="history-reason">{ format!(" “{note}”") }</span>
            }
        </li>
    }
}
