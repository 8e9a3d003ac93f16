//! The open-shortages panel of the pharmacist's home page: the live shortages, most severe
//! first (critical items first within a severity), each linking to its page.
//!
//! Element ids: `section#home-shortages`, `ul#home-shortage-list` with
//! `li.home-shortage[data-shortage-id][data-severity][data-status]`, `#home-shortages-count`,
//! `#home-shortages-empty`, `#home-shortages-loading`, `#home-shortages-error`,
//! `#home-shortages-more`, `#home-shortages-board` (link to the board).

use hms_api_types::inventory::Shortage;
use yew::prelude::*;

use super::{critical_badge, severity_badge, severity_rank, shortage_status_badge};
use crate::api::inventory::ShortageQuery;
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::problem_alert::ProblemAlert;
use crate::pages::appointments::use_remote;
use crate::session::use_session;

/// How many shortages the panel lists.
const SHOWN: usize = 10;

/// `<section id="home-shortages">`.
#[component]
pub fn OpenShortagesPanel() -> Html {
    let session = use_session();
    let shortages = use_remote::<Vec<Shortage>>();
    {
        let (shortages, api) = (shortages.clone(), session.api().clone());
        use_effect_with((), move |_| {
            shortages.load(async move {
                let query = ShortageQuery {
                    live: true,
                    ..ShortageQuery::default()
                };
                let mut items = api.all_shortages(&query).await?;
                // Most severe first; the server's order (newest first) within a rank.
                items.sort_by_key(|s| {
                    std::cmp::Reverse((severity_rank(s.severity), s.critical_item))
                });
                Ok(items)
            });
        });
    }

    let state = &shortages.state;
    let items = state.value.clone().unwrap_or_default();
    html! {
        <section id="home-shortages" class="card" aria-labelledby="home-shortages-title">
            <h2 id="home-shortages-title">
                { "Open shortages" }
                if state.value.is_some() {
                    <span id="home-shortages-count" class="muted">{ format!(" ({})", items.len()) }</span>
                }
            </h2>
            <ProblemAlert id="home-shortages-error" error={state.error.clone()} />
            if state.loading && state.value.is_none() {
                <p id="home-shortages-loading" class="loading" role="status">{ "Loading shortages…" }</p>
            } else if state.value.is_some() && items.is_empty() {
                <p id="home-shortages-empty" class="muted">{ "No open shortages." }</p>
            }
            <ul id="home-shortage-list" class="summary-list">
                { for items.iter().take(SHOWN).map(|s| html! {
                    <li
                        key={s.id.to_string()}
                        class="home-shortage"
                        data-shortage-id={s.id.to_string()}
                        data-severity={s.severity.as_str()}
                        data-status={s.status.as_str()}
                    >
                        { severity_badge(s.severity) }
                        { " " }
                        if s.critical_item {
                            { critical_badge() }
                            { " " }
                        }
                        <AppLink to={Route::Shortage { id: s.id }}>
                            { format!("{} at {}", s.item_name, s.location_name) }
                        </AppLink>
                        <span class="muted">
                            { format!(" · {} on hand (reorder at {}) · ", s.on_hand, s.reorder_level) }
                        </span>
                        { shortage_status_badge(s.status) }
                    </li>
                }) }
            </ul>
            if items.len() > SHOWN {
                <p id="home-shortages-more" class="muted">
                    { format!("and {} more.", items.len() - SHOWN) }
                </p>
            }
            <p>
                <AppLink id="home-shortages-board" to={Route::Shortages}>{ "Open the shortages board" }</AppLink>
            </p>
        </section>
    }
}
