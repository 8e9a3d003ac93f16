//! Incident management for staff: `/incidents` lists incidents (every staff member) and, for
//! administrators, overrides component states and declares incidents; `/incidents/{id}` shows
//! one incident's timeline and postmortem and, for administrators, posts updates, resolves it
//! and writes the postmortem with its corrective actions.
//!
//! Element ids on `/incidents` (`main#incidents-page`):
//! - `#incidents-status-link` (the public status page)
//! - `section#components-panel` (administrators): `table#components-table` with
//!   `tr.component-row[data-key][data-state][data-source]` and, while overridden,
//!   `button#override-clear-{key}`; `form#override-form` with `#override-component`,
//!   `#override-state`, `#override-note`, `#override-expires` (datetime-local, optional),
//!   `#override-submit`, `#override-error`; `#override-done` (role status)
//! - `form#declare-form` (administrators): `#declare-title`, `#declare-severity`,
//!   `#declare-component-{key}` (checkboxes), `#declare-status`, `#declare-message`,
//!   `#declare-submit`, `#declare-error`; on success the incident's page opens
//! - `#incidents-open-only` (checkbox); `#incidents-loading`, `#incidents-error`,
//!   `#incidents-empty`; `table#incidents-table` with `tr.incident-row[data-id][data-status]`
//!   and `a.incident-link`; `#incidents-more`
//!
//! Element ids on `/incidents/{id}` (`main#incident-page[data-id][data-status][data-version]`):
//! - `#incident-loading`, `#incident-error`, `#incident-back`; `h1#incident-title`,
//!   `#incident-status`, `#incident-severity`, `#incident-automatic`; `dl#incident-details`
//!   with `#incident-components`, `#incident-started`, `#incident-resolved`,
//!   `#incident-declared-by`; `#incident-done` (role status: what the last action did)
//! - `form#update-form` (administrators, open incidents): `#update-status`, `#update-message`,
//!   `#update-submit`, `#update-error`; `form#resolve-form`: `#resolve-message`,
//!   `#resolve-submit`, `#resolve-error`
//! - `ol#incident-timeline` with `li.timeline-entry[data-status]` (`.timeline-status`,
//!   `.timeline-author`, `.timeline-when`, `.timeline-message`)
//! - `section#postmortem`: `#postmortem-none`, or `#postmortem-summary`, `#postmortem-impact`,
//!   `#postmortem-timeline`, `#postmortem-root-cause`, `#postmortem-resolution`,
//!   `#postmortem-by`, `table#postmortem-actions` (`tr.action-row[data-done]`);
//!   `#postmortem-edit` (administrators) opens `form#postmortem-form` with `#pm-summary`,
//!   `#pm-impact`, `#pm-timeline`, `#pm-root-cause`, `#pm-resolution`, one row per corrective
//!   action (`#pm-action-{i}`, `#pm-owner-{i}`, `#pm-due-{i}`, `#pm-done-{i}`,
//!   `#pm-remove-{i}`), `#pm-add-action`, `#pm-submit`, `#pm-cancel`, `#pm-error`

use std::rc::Rc;

use hms_api_types::incidents::{
    ComponentKey, ComponentState, CorrectiveAction, Incident, IncidentSeverity, IncidentStatus,
    IncidentSummary, NewIncident, NewIncidentUpdate, Postmortem, PostmortemInput, ResolveIncident,
    SetComponentState, StateSource, StatusPage,
};
use hms_api_types::users::User;
use hms_api_types::Permission;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::inventory::{fingerprint, Attempt};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::field::{Field, SelectField, TextAreaField};
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{setter, use_form_with, FormAction};
use crate::pages::appointments::use_remote;
use crate::pages::status::{
    component_names, incident_severity_badge, incident_status_badge, state_badge,
};
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct IncidentsPageProps {
    pub user: Rc<User>,
}

/// `<main id="incidents-page">`.
#[component]
pub fn IncidentsPage(props: &IncidentsPageProps) -> Html {
    let manage = props.user.role.can(Permission::ManageIncidents);
    html! {
        <main id="incidents-page" class="page">
            <div class="page-head">
                <h1>{ "Incidents" }</h1>
                <AppLink id="incidents-status-link" to={Route::Status} classes="button secondary">
                    { "Public status page" }
                </AppLink>
            </div>
            if manage {
                <ComponentsPanel />
                <DeclareForm />
            }
            <IncidentList />
        </main>
    }
}

// ---------------------------------------------------------------------------------------------
// Components and their overrides

#[derive(Debug, Clone, PartialEq)]
struct OverrideValues {
    component: String,
    state: String,
    note: String,
    expires: String,
}

impl Default for OverrideValues {
    fn default() -> Self {
        OverrideValues {
            component: ComponentKey::Api.as_str().to_owned(),
            state: ComponentState::Degraded.as_str().to_owned(),
            note: String::new(),
            expires: String::new(),
        }
    }
}

impl OverrideValues {
    fn request(&self) -> Result<(ComponentKey, SetComponentState), ApiError> {
        let key = ComponentKey::parse(&self.component)
            .ok_or_else(|| ApiError::invalid("component", "Choose a component."))?;
        let state = ComponentState::parse(&self.state)
            .filter(|s| *s != ComponentState::Unknown)
            .ok_or_else(|| ApiError::invalid("state", "Choose a state."))?;
        let expires_at = match self.expires.trim() {
            "" => None,
            text => Some(
                display::parse_local_datetime(text)
                    .ok_or_else(|| ApiError::invalid("expires_at", "Enter a date and time."))?,
            ),
        };
        Ok((
            key,
            SetComponentState {
                state,
                note: display::optional(&self.note),
                expires_at,
            },
        ))
    }
}

fn settable_states() -> Vec<(AttrValue, AttrValue)> {
    ComponentState::ALL
        .iter()
        .filter(|s| **s != ComponentState::Unknown)
        .map(|s| (AttrValue::from(s.as_str()), AttrValue::from(s.label())))
        .collect()
}

/// `<section id="components-panel">`: the components as shown, and the override form.
#[component]
fn ComponentsPanel() -> Html {
    let session = use_session();
    let page = use_remote::<StatusPage>();
    let form = use_form_with(OverrideValues::default);
    let attempt = use_mut_ref(Attempt::default);
    let reload = {
        let (page, api) = (page.clone(), session.api().clone());
        Callback::from(move |()| {
            let api = api.clone();
            page.load(async move { api.status_page().await });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
    }
    let onsubmit = {
        let (form, api, reload) = (form.clone(), session.api().clone(), reload.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let (key, request) = match form.values.request() {
                Ok(r) => r,
                Err(error) => return form.dispatch(FormAction::Failed(error)),
            };
            let idem = attempt
                .borrow_mut()
                .key_for(fingerprint(key.as_str(), &request));
            form.dispatch(FormAction::Submit);
            let (form, api, reload, attempt) = (
                form.dispatcher(),
                api.clone(),
                reload.clone(),
                attempt.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match api.set_component_state(key, &request, idem).await {
                    Ok(c) => {
                        attempt.borrow_mut().finish();
                        form.dispatch(FormAction::Succeeded(Some(AttrValue::from(format!(
                            "{} now shows {}.",
                            c.name,
                            c.state.label().to_lowercase()
                        )))));
                        reload.emit(());
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let clear = {
        let (form, api, reload) = (form.dispatcher(), session.api().clone(), reload.clone());
        Callback::from(move |key: ComponentKey| {
            let (form, api, reload) = (form.clone(), api.clone(), reload.clone());
            form.dispatch(FormAction::Submit);
            wasm_bindgen_futures::spawn_local(async move {
                match api
                    .clear_component_override(key, Uuid::new_v4().to_string())
                    .await
                {
                    Ok(c) => {
                        form.dispatch(FormAction::Succeeded(Some(AttrValue::from(format!(
                            "{}: the health checks decide again.",
                            c.name
                        )))));
                        reload.emit(());
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };

    let rows = page.state.value.as_ref().map(|p| {
        html! {
            <table id="components-table" class="table">
                <thead>
                    <tr>
                        <th scope="col">{ "Component" }</th>
                        <th scope="col">{ "Shown" }</th>
                        <th scope="col">{ "Health checks" }</th>
                        <th scope="col">{ "Note" }</th>
                        <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                    </tr>
                </thead>
                <tbody>
                    { for p.components.iter().map(|c| {
                        let key = c.key;
                        let onclear = clear.reform(move |_: MouseEvent| key);
                        let overridden = c.source == StateSource::Override;
                        html! {
                            <tr
                                key={c.key.as_str()}
                                class="component-row"
                                data-key={c.key.as_str()}
                                data-state={c.state.as_str()}
                                data-source={if overridden { "override" } else { "automatic" }}
                            >
                                <td>{ c.name.clone() }</td>
                                <td>
                                    { state_badge(c.state) }
                                    if overridden {
                                        <span class="muted">{ match c.override_expires_at {
                                            Some(at) => format!(" override until {}", display::local_time(at)),
                                            None => " override".to_owned(),
                                        } }</span>
                                    }
                                </td>
                                <td>{ state_badge(c.automatic_state) }</td>
                                <td class="muted">{ c.note.clone().unwrap_or_default() }</td>
                                <td class="actions">
                                    if overridden {
                                        <button
                                            id={format!("override-clear-{}", c.key.as_str())}
                                            type="button"
                                            class="button secondary"
                                            disabled={form.submitting}
                                            onclick={onclear}
                                        >
                                            { "Clear override" }
                                        </button>
                                    }
                                </td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        }
    });
    let component_options: Vec<(AttrValue, AttrValue)> = ComponentKey::ALL
        .iter()
        .map(|k| (AttrValue::from(k.as_str()), AttrValue::from(k.label())))
        .collect();
    html! {
        <section id="components-panel" class="card">
            <h2>{ "Components" }</h2>
            <p class="muted">
                { "What the status page shows. The health checks set each state; an override wins until it expires or is cleared." }
            </p>
            <ProblemAlert error={page.state.error.clone()} />
            { for rows }
            <form id="override-form" class="filters" {onsubmit} novalidate=true>
                <ProblemAlert id="override-error" error={form.error.clone()} />
                <SelectField
                    id="override-component"
                    label="Component"
                    value={form.values.component.clone()}
                    options={component_options}
                    onchange={setter(&form, |v, s| v.component = s)}
                    error={form.field_error("component")}
                />
                <SelectField
                    id="override-state"
                    label="Show as"
                    value={form.values.state.clone()}
                    options={settable_states()}
                    onchange={setter(&form, |v, s| v.state = s)}
                    error={form.field_error("state")}
                />
                <Field
                    id="override-note"
                    label="Note (shown publicly)"
                    value={form.values.note.clone()}
                    oninput={setter(&form, |v, s| v.note = s)}
                    error={form.field_error("note")}
                />
                <Field
                    id="override-expires"
                    label="Until (optional)"
                    kind="datetime-local"
                    value={form.values.expires.clone()}
                    oninput={setter(&form, |v, s| v.expires = s)}
                    error={form.field_error("expires_at")}
                />
                <div class="form-actions">
                    <button id="override-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { "Override" }
                    </button>
                </div>
            </form>
            if let Some(done) = &form.done {
                <p id="override-done" class="status" role="status">{ done.clone() }</p>
            }
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Declaring

#[derive(Debug, Clone, PartialEq)]
struct DeclareValues {
    title: String,
    severity: String,
    components: Vec<ComponentKey>,
    status: String,
    message: String,
}

impl Default for DeclareValues {
    fn default() -> Self {
        DeclareValues {
            title: String::new(),
            severity: IncidentSeverity::Major.as_str().to_owned(),
            components: Vec::new(),
            status: IncidentStatus::Investigating.as_str().to_owned(),
            message: String::new(),
        }
    }
}

impl DeclareValues {
    fn request(&self) -> Result<NewIncident, ApiError> {
        if self.title.trim().is_empty() {
            return Err(ApiError::invalid("title", "Give the incident a title."));
        }
        if self.components.is_empty() {
            return Err(ApiError::invalid(
                "components",
                "Tick at least one affected component.",
            ));
        }
        if self.message.trim().is_empty() {
            return Err(ApiError::invalid("message", "Say what is known so far."));
        }
        Ok(NewIncident {
            title: self.title.trim().to_owned(),
            severity: IncidentSeverity::parse(&self.severity).unwrap_or(IncidentSeverity::Major),
            components: self.components.clone(),
            message: self.message.trim().to_owned(),
            status: IncidentStatus::parse(&self.status),
            started_at: None,
        })
    }
}

fn open_statuses() -> Vec<(AttrValue, AttrValue)> {
    IncidentStatus::ALL
        .iter()
        .filter(|s| **s != IncidentStatus::Resolved)
        .map(|s| (AttrValue::from(s.as_str()), AttrValue::from(s.label())))
        .collect()
}

/// `<form id="declare-form">`.
#[component]
fn DeclareForm() -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let form = use_form_with(DeclareValues::default);
    let attempt = use_mut_ref(Attempt::default);
    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = match form.values.request() {
                Ok(r) => r,
                Err(error) => return form.dispatch(FormAction::Failed(error)),
            };
            let key = attempt
                .borrow_mut()
                .key_for(fingerprint("/api/v1/incidents", &request));
            form.dispatch(FormAction::Submit);
            let (form, api, attempt, navigator) = (
                form.dispatcher(),
                api.clone(),
                attempt.clone(),
                navigator.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match api.declare_incident(&request, key).await {
                    Ok(incident) => {
                        attempt.borrow_mut().finish();
                        form.dispatch(FormAction::Succeeded(None));
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Incident { id: incident.id });
                        }
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let boxes = ComponentKey::ALL.iter().map(|key| {
        let key = *key;
        let checked = form.values.components.contains(&key);
        let onchange = {
            let form = form.dispatcher();
            Callback::from(move |e: Event| {
                let on = e
                    .target_dyn_into::<HtmlInputElement>()
                    .is_some_and(|i| i.checked());
                form.dispatch(FormAction::edit(move |v: &mut DeclareValues| {
                    v.components.retain(|k| *k != key);
                    if on {
                        v.components.push(key);
                    }
                }))
            })
        };
        let id = format!("declare-component-{}", key.as_str());
        html! {
            <label class="check" for={id.clone()}>
                <input {id} type="checkbox" {checked} {onchange} />
                { key.label() }
            </label>
        }
    });
    html! {
        <section class="card">
            <h2>{ "Declare an incident" }</h2>
            <form id="declare-form" class="stacked-form" {onsubmit} novalidate=true>
                <ProblemAlert id="declare-error" error={form.error.clone()} />
                <Field
                    id="declare-title"
                    label="Title"
                    value={form.values.title.clone()}
                    oninput={setter(&form, |v, s| v.title = s)}
                    error={form.field_error("title")}
                    required=true
                />
                <SelectField
                    id="declare-severity"
                    label="Severity"
                    value={form.values.severity.clone()}
                    options={IncidentSeverity::ALL.iter().map(|s| (AttrValue::from(s.as_str()), AttrValue::from(s.label()))).collect::<Vec<_>>()}
                    onchange={setter(&form, |v, s| v.severity = s)}
                    error={form.field_error("severity")}
                />
                <fieldset class={classes!("field", form.field_error("components").is_some().then_some("has-error"))}>
                    <legend>{ "Affected components" }</legend>
                    { for boxes }
                    if let Some(error) = form.field_error("components") {
                        <p class="field-error" id="declare-components-error">{ error }</p>
                    }
                </fieldset>
                <SelectField
                    id="declare-status"
                    label="Status"
                    value={form.values.status.clone()}
                    options={open_statuses()}
                    onchange={setter(&form, |v, s| v.status = s)}
                    error={form.field_error("status")}
                />
                <TextAreaField
                    id="declare-message"
                    label="First update (shown publicly)"
                    value={form.values.message.clone()}
                    oninput={setter(&form, |v, s| v.message = s)}
                    error={form.field_error("message")}
                    rows={3}
                    required=true
                />
                <div class="form-actions">
                    <button id="declare-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Declaring…" } else { "Declare incident" } }
                    </button>
                </div>
            </form>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Clone, Default, PartialEq)]
struct Listing {
    items: Vec<IncidentSummary>,
    next: Option<String>,
    loading: bool,
    error: Option<ApiError>,
}

/// The incident table with its filter and "More".
#[component]
fn IncidentList() -> Html {
    let session = use_session();
    let open_only = use_state(|| false);
    let listing = use_state(Listing::default);
    let load = {
        let (listing, api) = (listing.clone(), session.api().clone());
        Callback::from(
            move |(open, cursor, keep): (bool, Option<String>, Vec<IncidentSummary>)| {
                let (listing, api) = (listing.clone(), api.clone());
                listing.set(Listing {
                    items: keep.clone(),
                    loading: true,
                    ..Listing::default()
                });
                wasm_bindgen_futures::spawn_local(async move {
                    match api.list_incidents(open, cursor.as_deref()).await {
                        Ok(page) => {
                            let mut items = keep;
                            items.extend(page.items);
                            listing.set(Listing {
                                items,
                                next: page.next_cursor,
                                loading: false,
                                error: None,
                            });
                        }
                        Err(error) => listing.set(Listing {
                            items: keep,
                            error: Some(error),
                            ..Listing::default()
                        }),
                    }
                });
            },
        )
    };
    {
        let load = load.clone();
        use_effect_with(*open_only, move |open| load.emit((*open, None, Vec::new())));
    }
    let ontoggle = {
        let open_only = open_only.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                open_only.set(input.checked());
            }
        })
    };
    let onmore = {
        let (load, listing, open) = (load.clone(), listing.clone(), *open_only);
        Callback::from(move |_: MouseEvent| {
            load.emit((open, listing.next.clone(), listing.items.clone()));
        })
    };
    let l = &*listing;
    html! {
        <section class="card">
            <div class="page-head">
                <h2>{ "All incidents" }</h2>
                <label class="check" for="incidents-open-only">
                    <input id="incidents-open-only" type="checkbox" checked={*open_only} onchange={ontoggle} />
                    { "Open only" }
                </label>
            </div>
            <ProblemAlert id="incidents-error" error={l.error.clone()} />
            if l.items.is_empty() && l.loading {
                <p id="incidents-loading" class="loading" role="status">{ "Loading…" }</p>
            } else if l.items.is_empty() && l.error.is_none() {
                <p id="incidents-empty" class="muted">{ "No incidents." }</p>
            } else if !l.items.is_empty() {
                <div class="table-wrap">
                    <table id="incidents-table" class="table">
                        <thead>
                            <tr>
                                <th scope="col">{ "Incident" }</th>
                                <th scope="col">{ "Status" }</th>
                                <th scope="col">{ "Severity" }</th>
                                <th scope="col">{ "Started" }</th>
                                <th scope="col">{ "Latest update" }</th>
                            </tr>
                        </thead>
                        <tbody>
                            { for l.items.iter().map(|i| html! {
                                <tr
                                    key={i.id.to_string()}
                                    class="incident-row"
                                    data-id={i.id.to_string()}
                                    data-status={i.status.as_str()}
                                >
                                    <td>
                                        <AppLink to={Route::Incident { id: i.id }} classes="incident-link">
                                            { i.title.clone() }
                                        </AppLink>
                                        <br />
                                        <span class="muted">{ component_names(&i.components) }</span>
                                    </td>
                                    <td>{ incident_status_badge(i.status) }</td>
                                    <td>{ incident_severity_badge(i.severity) }</td>
                                    <td>{ display::local_time(i.started_at) }</td>
                                    <td class="muted">
                                        { i.latest_update.as_ref().map(|u| u.message.clone()).unwrap_or_default() }
                                    </td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
            if l.next.is_some() {
                <button id="incidents-more" type="button" class="button secondary" disabled={l.loading} onclick={onmore}>
                    { "More" }
                </button>
            }
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// One incident

#[derive(Properties, PartialEq)]
pub struct IncidentPageProps {
    pub incident_id: Uuid,
    pub user: Rc<User>,
}

/// `<main id="incident-page" data-id="…">`.
#[component]
pub fn IncidentPage(props: &IncidentPageProps) -> Html {
    let session = use_session();
    let incident = use_remote::<Incident>();
    let done = use_state(|| None::<String>);
    let id = props.incident_id;
    let reload = {
        let (incident, api) = (incident.clone(), session.api().clone());
        Callback::from(move |()| {
            let api = api.clone();
            incident.load(async move { api.get_incident(id).await });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(id, move |_| reload.emit(()));
    }
    let on_done = {
        let (reload, done) = (reload.clone(), done.clone());
        Callback::from(move |text: String| {
            done.set(Some(text));
            reload.emit(());
        })
    };

    let back = html! {
        <p class="breadcrumb">
            <AppLink id="incident-back" to={Route::Incidents}>{ "Incidents" }</AppLink>
        </p>
    };
    let Some(i) = incident.state.value.clone() else {
        return html! {
            <main id="incident-page" class="page" data-id={id.to_string()}>
                { back }
                <h1>{ "Incident" }</h1>
                if incident.state.error.is_some() {
                    <ProblemAlert id="incident-error" error={incident.state.error.clone()} />
                } else {
                    <p id="incident-loading" class="loading" role="status">{ "Loading the incident…" }</p>
                }
            </main>
        };
    };
    let manage = props.user.role.can(Permission::ManageIncidents);
    let open = i.status != IncidentStatus::Resolved;
    html! {
        <main
            id="incident-page"
            class="page"
            data-id={id.to_string()}
            data-status={i.status.as_str()}
            data-version={i.version.to_string()}
        >
            { back }
            <header class="card">
                <h1 id="incident-title">{ i.title.clone() }</h1>
                <p>
                    <span id="incident-status">{ incident_status_badge(i.status) }</span>
                    { " " }
                    <span id="incident-severity">{ incident_severity_badge(i.severity) }</span>
                    if i.automatic {
                        { " " }
                        <span id="incident-automatic" class="badge">{ "Detected by HMS" }</span>
                    }
                </p>
                <dl id="incident-details" class="details">
                    <dt>{ "Components" }</dt>
                    <dd id="incident-components">{ component_names(&i.components) }</dd>
                    <dt>{ "Started" }</dt>
                    <dd id="incident-started">{ display::local_time(i.started_at) }</dd>
                    <dt>{ "Resolved" }</dt>
                    <dd id="incident-resolved">
                        { i.resolved_at.map(display::local_time).unwrap_or_else(|| "Not yet".to_owned()) }
                    </dd>
                    <dt>{ "Declared by" }</dt>
                    <dd id="incident-declared-by">
                        { i.created_by_name.clone().unwrap_or_else(|| "HMS (automatic)".to_owned()) }
                    </dd>
                </dl>
            </header>
            if let Some(text) = (*done).clone() {
                <p id="incident-done" class="status" role="status">{ text }</p>
            }
            if manage && open {
                <section class="card incident-actions">
                    <UpdateForm incident={i.clone()} on_done={on_done.clone()} on_stale={reload.clone()} />
                    <ResolveForm incident={i.clone()} on_done={on_done.clone()} on_stale={reload.clone()} />
                </section>
            }
            <section class="card">
                <h2>{ "Timeline" }</h2>
                <ol id="incident-timeline" class="timeline">
                    { for i.updates.iter().map(|u| html! {
                        <li key={u.id.to_string()} class="timeline-entry" data-status={u.status.as_str()}>
                            <span class="timeline-status">{ u.status.label() }</span>
                            { " " }
                            <time class="timeline-when" datetime={display::wire_time(u.at)}>
                                { display::local_time(u.at) }
                            </time>
                            { " · " }
                            <span class="timeline-author muted">{ u.author_name.clone() }</span>
                            <p class="timeline-message">{ u.message.clone() }</p>
                        </li>
                    }) }
                </ol>
            </section>
            <PostmortemSection incident={i} {manage} on_done={on_done} />
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct ActionProps {
    incident: Incident,
    on_done: Callback<String>,
    /// The incident changed meanwhile (412): load it again.
    on_stale: Callback<()>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct UpdateValues {
    status: String,
    message: String,
}

/// `<form id="update-form">`: a timeline update, optionally moving the status.
#[component]
fn UpdateForm(props: &ActionProps) -> Html {
    let session = use_session();
    let form = use_form_with(UpdateValues::default);
    let attempt = use_mut_ref(Attempt::default);
    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        let (id, version) = (props.incident.id, props.incident.version);
        let (on_done, on_stale) = (props.on_done.clone(), props.on_stale.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            if form.values.message.trim().is_empty() {
                return form.dispatch(FormAction::Failed(ApiError::invalid(
                    "message",
                    "Write the update.",
                )));
            }
            let request = NewIncidentUpdate {
                message: form.values.message.trim().to_owned(),
                status: IncidentStatus::parse(&form.values.status),
            };
            let key = attempt
                .borrow_mut()
                .key_for(fingerprint(&format!("updates {id} {version}"), &request));
            form.dispatch(FormAction::Submit);
            let (form, api, attempt) = (form.dispatcher(), api.clone(), attempt.clone());
            let (on_done, on_stale) = (on_done.clone(), on_stale.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.post_incident_update(id, version, &request, key).await {
                    Ok(_) => {
                        attempt.borrow_mut().finish();
                        form.dispatch(FormAction::Succeeded(None));
                        on_done.emit("Update posted.".to_owned());
                    }
                    Err(error) => {
                        if error.status() == Some(412) {
                            on_stale.emit(());
                        }
                        form.dispatch(FormAction::Failed(error));
                    }
                }
            });
        })
    };
    let mut statuses = vec![(AttrValue::Static(""), AttrValue::Static("Keep the status"))];
    statuses.extend(open_statuses());
    html! {
        <form id="update-form" class="stacked-form" {onsubmit} novalidate=true>
            <h2>{ "Post an update" }</h2>
            <ProblemAlert id="update-error" error={form.error.clone()} />
            <SelectField
                id="update-status"
                label="Status"
                value={form.values.status.clone()}
                options={statuses}
                onchange={setter(&form, |v, s| v.status = s)}
                error={form.field_error("status")}
            />
            <TextAreaField
                id="update-message"
                label="Update (shown publicly)"
                value={form.values.message.clone()}
                oninput={setter(&form, |v, s| v.message = s)}
                error={form.field_error("message")}
                rows={3}
                required=true
            />
            <div class="form-actions">
                <button id="update-submit" type="submit" class="button primary" disabled={form.submitting}>
                    { "Post update" }
                </button>
            </div>
        </form>
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct ResolveValues {
    message: String,
}

/// `<form id="resolve-form">`.
#[component]
fn ResolveForm(props: &ActionProps) -> Html {
    let session = use_session();
    let form = use_form_with(ResolveValues::default);
    let attempt = use_mut_ref(Attempt::default);
    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        let (id, version) = (props.incident.id, props.incident.version);
        let (on_done, on_stale) = (props.on_done.clone(), props.on_stale.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = ResolveIncident {
                message: display::optional(&form.values.message),
            };
            let key = attempt
                .borrow_mut()
                .key_for(fingerprint(&format!("resolve {id} {version}"), &request));
            form.dispatch(FormAction::Submit);
            let (form, api, attempt) = (form.dispatcher(), api.clone(), attempt.clone());
            let (on_done, on_stale) = (on_done.clone(), on_stale.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.resolve_incident(id, version, &request, key).await {
                    Ok(_) => {
                        attempt.borrow_mut().finish();
                        form.dispatch(FormAction::Succeeded(None));
                        on_done.emit("The incident is resolved.".to_owned());
                    }
                    Err(error) => {
                        if error.status() == Some(412) {
                            on_stale.emit(());
                        }
                        form.dispatch(FormAction::Failed(error));
                    }
                }
            });
        })
    };
    html! {
        <form id="resolve-form" class="stacked-form" {onsubmit} novalidate=true>
            <h2>{ "Resolve" }</h2>
            <ProblemAlert id="resolve-error" error={form.error.clone()} />
            <TextAreaField
                id="resolve-message"
                label="Last update (optional, shown publicly)"
                value={form.values.message.clone()}
                oninput={setter(&form, |v, s| v.message = s)}
                error={form.field_error("message")}
                rows={2}
            />
            <div class="form-actions">
                <button id="resolve-submit" type="submit" class="button primary" disabled={form.submitting}>
                    { "Resolve incident" }
                </button>
            </div>
        </form>
    }
}

// ---------------------------------------------------------------------------------------------
// The postmortem

#[derive(Debug, Clone, Default, PartialEq)]
struct ActionValues {
    action: String,
    owner: String,
    due: String,
    done: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct PostmortemValues {
    summary: String,
    impact: String,
    timeline: String,
    root_cause: String,
    resolution: String,
    actions: Vec<ActionValues>,
}

impl PostmortemValues {
    /// The form filled from the postmortem, or (first time) with the incident's timeline.
    fn from(incident: &Incident) -> PostmortemValues {
        match &incident.postmortem {
            Some(pm) => PostmortemValues {
                summary: pm.summary.clone(),
                impact: pm.impact.clone(),
                timeline: pm.timeline.clone(),
                root_cause: pm.root_cause.clone(),
                resolution: pm.resolution.clone(),
                actions: pm
                    .corrective_actions
                    .iter()
                    .map(|a| ActionValues {
                        action: a.action.clone(),
                        owner: a.owner.clone(),
                        due: a.due.map(display::date).unwrap_or_default(),
                        done: a.done,
                    })
                    .collect(),
            },
            None => PostmortemValues {
                timeline: incident
                    .updates
                    .iter()
                    .rev()
                    .map(|u| format!("{} — {}", display::local_time(u.at), u.message))
                    .collect::<Vec<_>>()
                    .join("\n"),
                actions: vec![ActionValues::default()],
                ..PostmortemValues::default()
            },
        }
    }

    fn request(&self) -> Result<PostmortemInput, ApiError> {
        for (field, value, what) in [
            ("summary", &self.summary, "Summarise what happened."),
            ("impact", &self.impact, "Say who was affected and how."),
            ("timeline", &self.timeline, "Give the timeline."),
            ("root_cause", &self.root_cause, "Give the root cause."),
            ("resolution", &self.resolution, "Say how it was resolved."),
        ] {
            if value.trim().is_empty() {
                return Err(ApiError::invalid(field, what));
            }
        }
        let mut actions = Vec::new();
        for (i, a) in self.actions.iter().enumerate() {
            if a.action.trim().is_empty() && a.owner.trim().is_empty() {
                continue;
            }
            let due = display::parse_date(&format!("corrective_actions[{i}].due"), &a.due)?;
            actions.push(CorrectiveAction {
                action: a.action.trim().to_owned(),
                owner: a.owner.trim().to_owned(),
                due,
                done: a.done,
            });
        }
        Ok(PostmortemInput {
            summary: self.summary.trim().to_owned(),
            impact: self.impact.trim().to_owned(),
            timeline: self.timeline.trim().to_owned(),
            root_cause: self.root_cause.trim().to_owned(),
            resolution: self.resolution.trim().to_owned(),
            corrective_actions: actions,
        })
    }
}

#[derive(Properties, PartialEq)]
struct PostmortemProps {
    incident: Incident,
    manage: bool,
    on_done: Callback<String>,
}

fn postmortem_view(pm: &Postmortem) -> Html {
    let block = |id: &'static str, title: &'static str, text: &str| {
        html! {
            <>
                <h3>{ title }</h3>
                <p {id} class="prewrap">{ text.to_owned() }</p>
            </>
        }
    };
    html! {
        <>
            { block("postmortem-summary", "Summary", &pm.summary) }
            { block("postmortem-impact", "Impact", &pm.impact) }
            { block("postmortem-timeline", "Timeline", &pm.timeline) }
            { block("postmortem-root-cause", "Root cause", &pm.root_cause) }
            { block("postmortem-resolution", "Resolution", &pm.resolution) }
            <h3>{ "Corrective and preventive actions" }</h3>
            <table id="postmortem-actions" class="table">
                <thead>
                    <tr>
                        <th scope="col">{ "Action" }</th>
                        <th scope="col">{ "Owner" }</th>
                        <th scope="col">{ "Due" }</th>
                        <th scope="col">{ "Done" }</th>
                    </tr>
                </thead>
                <tbody>
                    { for pm.corrective_actions.iter().map(|a| html! {
                        <tr class="action-row" data-done={a.done.to_string()}>
                            <td>{ a.action.clone() }</td>
                            <td>{ a.owner.clone() }</td>
                            <td>{ display::opt_date(a.due) }</td>
                            <td>{ if a.done { "Yes" } else { "No" } }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <p id="postmortem-by" class="muted">
                { format!(
                    "Written by {}; last changed by {} on {}.",
                    pm.author_name,
                    pm.updated_by_name,
                    display::local_time(pm.updated_at)
                ) }
            </p>
        </>
    }
}

/// `<section id="postmortem">`: the report, and its form for administrators.
#[component]
fn PostmortemSection(props: &PostmortemProps) -> Html {
    let session = use_session();
    let editing = use_state(|| false);
    let form = use_form_with(PostmortemValues::default);
    let attempt = use_mut_ref(Attempt::default);
    let incident = &props.incident;

    let onedit = {
        let (editing, form, incident) = (editing.clone(), form.dispatcher(), incident.clone());
        Callback::from(move |_: MouseEvent| {
            let values = PostmortemValues::from(&incident);
            form.dispatch(FormAction::edit(move |v: &mut PostmortemValues| {
                *v = values
            }));
            editing.set(true);
        })
    };
    let oncancel = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(false))
    };
    let onsubmit = {
        let (form, api, editing) = (form.clone(), session.api().clone(), editing.clone());
        let id = incident.id;
        let version = incident.postmortem.as_ref().map(|pm| pm.version);
        let on_done = props.on_done.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = match form.values.request() {
                Ok(r) => r,
                Err(error) => return form.dispatch(FormAction::Failed(error)),
            };
            let key = attempt.borrow_mut().key_for(fingerprint(
                &format!("postmortem {id} {version:?}"),
                &request,
            ));
            form.dispatch(FormAction::Submit);
            let (form, api, attempt, editing) = (
                form.dispatcher(),
                api.clone(),
                attempt.clone(),
                editing.clone(),
            );
            let on_done = on_done.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api.put_postmortem(id, version, &request, key).await {
                    Ok(_) => {
                        attempt.borrow_mut().finish();
                        form.dispatch(FormAction::Succeeded(None));
                        editing.set(false);
                        on_done.emit("The postmortem is saved.".to_owned());
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };

    let body = if *editing {
        let action_rows = form.values.actions.iter().enumerate().map(|(i, a)| {
            let edit = |set: fn(&mut ActionValues, String)| {
                let form = form.dispatcher();
                Callback::from(move |s: String| {
                    form.dispatch(FormAction::edit(move |v: &mut PostmortemValues| {
                        if let Some(a) = v.actions.get_mut(i) {
                            set(a, s)
                        }
                    }))
                })
            };
            let ondone = {
                let form = form.dispatcher();
                Callback::from(move |e: Event| {
                    let on = e
                        .target_dyn_into::<HtmlInputElement>()
                        .is_some_and(|x| x.checked());
                    form.dispatch(FormAction::edit(move |v: &mut PostmortemValues| {
                        if let Some(a) = v.actions.get_mut(i) {
                            a.done = on
                        }
                    }))
                })
            };
            let onremove = {
                let form = form.dispatcher();
                Callback::from(move |_: MouseEvent| {
                    form.dispatch(FormAction::edit(move |v: &mut PostmortemValues| {
                        if i < v.actions.len() {
                            v.actions.remove(i);
                        }
                    }))
                })
            };
            let field = |name: &str| form.field_error(&format!("corrective_actions[{i}].{name}"));
            html! {
                <div class="action-edit" key={i}>
                    <Field
                        id={format!("pm-action-{i}")}
                        label="Action"
                        value={a.action.clone()}
                        oninput={edit(|a, s| a.action = s)}
                        error={field("action")}
                    />
                    <Field
                        id={format!("pm-owner-{i}")}
                        label="Owner"
                        value={a.owner.clone()}
                        oninput={edit(|a, s| a.owner = s)}
                        error={field("owner")}
                    />
                    <Field
                        id={format!("pm-due-{i}")}
                        label="Due"
                        kind="date"
                        value={a.due.clone()}
                        oninput={edit(|a, s| a.due = s)}
                        error={field("due")}
                    />
                    <label class="check" for={format!("pm-done-{i}")}>
                        <input id={format!("pm-done-{i}")} type="checkbox" checked={a.done} onchange={ondone} />
                        { "Done" }
                    </label>
                    <button id={format!("pm-remove-{i}")} type="button" class="button secondary" onclick={onremove}>
                        { "Remove" }
                    </button>
                </div>
            }
        });
        let onadd = {
            let form = form.dispatcher();
            Callback::from(move |_: MouseEvent| {
                form.dispatch(FormAction::edit(|v: &mut PostmortemValues| {
                    v.actions.push(ActionValues::default())
                }))
            })
        };
        html! {
            <form id="postmortem-form" class="stacked-form" {onsubmit} novalidate=true>
                <ProblemAlert id="pm-error" error={form.error.clone()} />
                <TextAreaField id="pm-summary" label="Summary" value={form.values.summary.clone()}
                    oninput={setter(&form, |v, s| v.summary = s)} error={form.field_error("summary")} rows={3} required=true />
                <TextAreaField id="pm-impact" label="Impact" value={form.values.impact.clone()}
                    oninput={setter(&form, |v, s| v.impact = s)} error={form.field_error("impact")} rows={3} required=true />
                <TextAreaField id="pm-timeline" label="Timeline" value={form.values.timeline.clone()}
                    oninput={setter(&form, |v, s| v.timeline = s)} error={form.field_error("timeline")} rows={6} required=true />
                <TextAreaField id="pm-root-cause" label="Root cause" value={form.values.root_cause.clone()}
                    oninput={setter(&form, |v, s| v.root_cause = s)} error={form.field_error("root_cause")} rows={3} required=true />
                <TextAreaField id="pm-resolution" label="Resolution" value={form.values.resolution.clone()}
                    oninput={setter(&form, |v, s| v.resolution = s)} error={form.field_error("resolution")} rows={3} required=true />
                <fieldset class="field">
                    <legend>{ "Corrective and preventive actions" }</legend>
                    { for action_rows }
                    <button id="pm-add-action" type="button" class="button secondary" onclick={onadd}>
                        { "Add an action" }
                    </button>
                </fieldset>
                <div class="form-actions">
                    <button id="pm-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { "Save postmortem" }
                    </button>
                    <button id="pm-cancel" type="button" class="button secondary" onclick={oncancel}>
                        { "Cancel" }
                    </button>
                </div>
            </form>
        }
    } else {
        html! {
            <>
                { match &incident.postmortem {
                    Some(pm) => postmortem_view(pm),
                    None => html! {
                        <p id="postmortem-none" class="muted">{ "No postmortem yet." }</p>
                    },
                } }
                if props.manage {
                    <button id="postmortem-edit" type="button" class="button secondary" onclick={onedit}>
                        { if incident.postmortem.is_some() { "Edit the postmortem" } else { "Write the postmortem" } }
                    </button>
                }
            </>
        }
    };
    html! {
        <section id="postmortem" class="card">
            <h2>{ "Postmortem" }</h2>
            { body }
        </section>
    }
}
