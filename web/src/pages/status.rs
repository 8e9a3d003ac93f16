//! The public status page (`/status`, no sign-in needed): the overall state, every component
//! with its state (coloured), open incidents with their timeline, and incidents resolved in the
//! last 14 days. It refreshes itself every 30 seconds and keeps working while the database is
//! down (the API answers it from what it knows).
//!
//! Element ids:
//! - `main#status-page`; `#status-loading`, `#status-error`; `#status-sign-in` (signed out) or
//!   `#status-home` (signed in); `#status-refresh` (button)
//! - `#status-overall[data-state]`; `#status-generated` (when the answer was made);
//!   `#status-data-as-of` (incidents read from the standby); `#status-incidents-unavailable`
//!   (no database answered: the lists are incomplete)
//! - `ul#status-components` with `li.status-component[data-key][data-state][data-source]`
//!   (`.component-name`, `.component-state`, `.component-note`, `.component-override`)
//! - `section#status-open` with `#status-no-open` or `article.status-incident`; `section
//!   #status-history` with `#status-no-history` or `article.status-incident`
//! - `article.status-incident[data-id][data-status][data-severity]` (`.incident-title`,
//!   `.incident-meta`, `.incident-pending`, `ol.timeline` with `li.timeline-entry[data-status]`:
//!   `.timeline-status`, `.timeline-when`, `.timeline-message`)

use gloo_timers::callback::Interval;
use hms_api_types::incidents::{
    ComponentKey, ComponentState, IncidentSeverity, IncidentStatus, PublicIncident, StateSource,
    StatusPage,
};
use yew::prelude::*;

use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::pages::appointments::use_remote;
use crate::session::use_session;

/// How often the page asks again.
const REFRESH_MS: u32 = 30_000;

/// `<span class="badge state-…">` for a component state.
pub fn state_badge(state: ComponentState) -> Html {
    html! {
        <span class={classes!("badge", "state-badge", format!("state-{}", state.as_str()))}>
            { state.label() }
        </span>
    }
}

/// `<span class="badge incident-…">` for an incident status.
pub fn incident_status_badge(status: IncidentStatus) -> Html {
    html! {
        <span class={classes!("badge", format!("incident-{}", status.as_str()))}>
            { status.label() }
        </span>
    }
}

/// `<span class="badge impact-…">` for an incident severity.
pub fn incident_severity_badge(severity: IncidentSeverity) -> Html {
    html! {
        <span class={classes!("badge", format!("impact-{}", severity.as_str()))}>
            { severity.label() }
        </span>
    }
}

/// The components' names, joined.
pub fn component_names(keys: &[ComponentKey]) -> String {
    keys.iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sentence for the overall state.
fn overall_sentence(state: ComponentState) -> &'static str {
    match state {
        ComponentState::Operational => "All systems operational",
        ComponentState::Degraded => "Some systems are degraded",
        ComponentState::PartialOutage => "Partial outage",
        ComponentState::MajorOutage => "Major outage",
        ComponentState::Unknown => "Status unknown",
    }
}

fn incident(i: &PublicIncident) -> Html {
    let when = match i.resolved_at {
        Some(at) => format!(
            "{} – {}",
            display::local_time(i.started_at),
            display::local_time(at)
        ),
        None => format!("Since {}", display::local_time(i.started_at)),
    };
    html! {
        <article
            key={i.id.to_string()}
            class={classes!("card", "status-incident", format!("impact-{}", i.severity.as_str()))}
            data-id={i.id.to_string()}
            data-status={i.status.as_str()}
            data-severity={i.severity.as_str()}
        >
            <h3 class="incident-title">{ i.title.clone() }</h3>
            <p class="incident-meta">
                { incident_status_badge(i.status) }
                { " " }
                { incident_severity_badge(i.severity) }
                { " " }
                <span class="muted">
                    { format!("{when} · {}", component_names(&i.components)) }
                    if i.automatic {
                        { " · detected by HMS" }
                    }
                </span>
            </p>
            if i.pending {
                <p class="incident-pending muted">
                    { "Recorded by this server; it is saved to the incident history as soon as the database is back." }
                </p>
            }
            <ol class="timeline">
                { for i.updates.iter().map(|u| html! {
                    <li class="timeline-entry" data-status={u.status.as_str()}>
                        <span class="timeline-status">{ u.status.label() }</span>
                        { " " }
                        <time class="timeline-when" datetime={display::wire_time(u.at)}>
                            { display::local_time(u.at) }
                        </time>
                        <p class="timeline-message">{ u.message.clone() }</p>
                    </li>
                }) }
            </ol>
        </article>
    }
}

fn components(page: &StatusPage) -> Html {
    html! {
        <ul id="status-components" class="status-components">
            { for page.components.iter().map(|c| html! {
                <li
                    key={c.key.as_str()}
                    class={classes!("status-component", format!("state-{}", c.state.as_str()))}
                    data-key={c.key.as_str()}
                    data-state={c.state.as_str()}
                    data-source={match c.source {
                        StateSource::Automatic => "automatic",
                        StateSource::Override => "override",
                    }}
                >
                    <span class="component-name">{ c.name.clone() }</span>
                    <span class="component-state">{ state_badge(c.state) }</span>
                    if let Some(note) = &c.note {
                        <span class="component-note muted">{ note.clone() }</span>
                    }
                    if c.source == StateSource::Override {
                        <span class="component-override muted">
                            { match c.override_expires_at {
                                Some(at) => format!("Set by the operations team until {}", display::local_time(at)),
                                None => "Set by the operations team".to_owned(),
                            } }
                        </span>
                    }
                </li>
            }) }
        </ul>
    }
}

/// `<main id="status-page">`.
#[component]
pub fn PublicStatusPage() -> Html {
    let session = use_session();
    let page = use_remote::<StatusPage>();
    let reload = {
        let (page, api) = (page.clone(), session.api().clone());
        Callback::from(move |()| {
            let api = api.clone();
            page.load(async move { api.status_page().await });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| {
            reload.emit(());
            let interval = Interval::new(REFRESH_MS, move || reload.emit(()));
            move || drop(interval)
        });
    }
    let onrefresh = {
        let reload = reload.clone();
        Callback::from(move |_: MouseEvent| reload.emit(()))
    };
    let back = if session.user().is_some() {
        html! { <AppLink id="status-home" to={Route::Home}>{ "Back to HMS" }</AppLink> }
    } else {
        html! { <AppLink id="status-sign-in" to={Route::Login}>{ "Sign in to HMS" }</AppLink> }
    };

    let body = match page.state.value.as_ref() {
        None if page.state.error.is_none() => html! {
            <p id="status-loading" class="loading" role="status">{ "Loading the status…" }</p>
        },
        None => Html::default(),
        Some(p) => html! {
            <>
                <section
                    id="status-overall"
                    class={classes!("card", "status-overall", format!("state-{}", p.overall.as_str()))}
                    data-state={p.overall.as_str()}
                    role="status"
                >
                    <h2>{ overall_sentence(p.overall) }</h2>
                    <p id="status-generated" class="muted">
                        { format!("As of {}", display::local_time(p.generated_at)) }
                    </p>
                    if let Some(at) = p.data_as_of {
                        <p id="status-data-as-of" class="muted">
                            { format!("Incident history as of {} (read from the standby database).", display::local_time(at)) }
                        </p>
                    }
                    if !p.incidents_available {
                        <p id="status-incidents-unavailable" class="muted">
                            { "The incident history cannot be read right now: no database answers. The states above are live." }
                        </p>
                    }
                </section>
                <section class="card">
                    <h2>{ "Components" }</h2>
                    { components(p) }
                </section>
                <section id="status-open">
                    <h2>{ "Open incidents" }</h2>
                    if p.open_incidents.is_empty() {
                        <p id="status-no-open" class="muted">{ "No open incidents." }</p>
                    } else {
                        { for p.open_incidents.iter().map(incident) }
                    }
                </section>
                <section id="status-history">
                    <h2>{ "Past 14 days" }</h2>
                    if p.recent_incidents.is_empty() {
                        <p id="status-no-history" class="muted">{ "No incidents in the past 14 days." }</p>
                    } else {
                        { for p.recent_incidents.iter().map(incident) }
                    }
                </section>
            </>
        },
    };
    html! {
        <main id="status-page" class="page status-page">
            <p class="breadcrumb">{ back }</p>
            <div class="page-head">
                <h1>{ "HMS status" }</h1>
                <button
                    id="status-refresh"
                    type="button"
                    class="button secondary"
                    disabled={page.state.loading}
                    onclick={onrefresh}
                >
                    { if page.state.loading { "Refreshing…" } else { "Refresh" } }
                </button>
            </div>
            <ProblemAlert id="status-error" error={page.state.error.clone()} />
            { body }
        </main>
    }
}
