//! API clients (integrations), for administrators: register a client with its scopes and rate
//! limit (the secret is shown once), change scopes and limit, disable or enable it, rotate its
//! secret.

use hms_api_types::integrations::{
    ApiClient, ApiClientWithSecret, CreateApiClient, UpdateApiClient,
};
use hms_api_types::Scope;
use uuid::Uuid;
use yew::prelude::*;

use crate::api::{Api, ApiError};
use crate::components::field::Field;
use crate::components::problem_alert::ProblemAlert;
use crate::form::{use_form, FormAction};
use crate::session::use_session;

/// Shown when a client changed between loading the list and acting on it (HTTP 412).
const STALE_MESSAGE: &str =
    "This client was changed by someone else, so the list was reloaded. Check it and try again.";

fn format_time(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    time.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "Never".to_owned())
}

/// The list as shown.
#[derive(Debug, Clone, Default, PartialEq)]
struct ClientList {
    items: Vec<ApiClient>,
    next_cursor: Option<String>,
    loading: bool,
    error: Option<ApiError>,
}

/// `<main id="integrations-page">`: the new-client form, the secret just issued, the clients.
#[component]
pub fn IntegrationsPage() -> Html {
    let session = use_session();
    let api = session.api().clone();
    let list = use_state(ClientList::default);
    let secret = use_state(|| None::<ApiClientWithSecret>);
    let action_error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let editing = use_state(|| None::<Uuid>);

    let load = {
        let api = api.clone();
        let list = list.clone();
        Callback::from(move |cursor: Option<String>| {
            let mut loading = (*list).clone();
            loading.loading = true;
            loading.error = None;
            list.set(loading.clone());
            let (api, list) = (api.clone(), list.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let mut next = loading;
                next.loading = false;
                match api.list_api_clients(cursor.as_deref()).await {
                    Ok(page) => {
                        if cursor.is_some() {
                            next.items.extend(page.items);
                        } else {
                            next.items = page.items;
                        }
                        next.next_cursor = page.next_cursor;
                    }
                    Err(error) => next.error = Some(error),
                }
                list.set(next);
            });
        })
    };
    {
        let load = load.clone();
        use_effect_with((), move |_| load.emit(None));
    }
    let reload = {
        let load = load.clone();
        Callback::from(move |()| load.emit(None))
    };
    let on_created = {
        let secret = secret.clone();
        let reload = reload.clone();
        Callback::from(move |created: ApiClientWithSecret| {
            secret.set(Some(created));
            reload.emit(());
        })
    };
    // Runs one change of a client, then reloads the list.
    let act = {
        let api = api.clone();
        let busy = busy.clone();
        let action_error = action_error.clone();
        let secret = secret.clone();
        let reload = reload.clone();
        let editing = editing.clone();
        Callback::from(move |action: ClientAction| {
            if *busy {
                return;
            }
            if let ClientAction::Rotate(_) = action {
                let confirmed = web_sys::window()
                    .and_then(|w| {
                        w.confirm_with_message(
                            "Rotate the secret? The current secret and every token issued with it stop working now.",
                        )
                        .ok()
                    })
                    .unwrap_or(false);
                if !confirmed {
                    return;
                }
            }
            busy.set(true);
            action_error.set(None);
            let (api, busy, action_error, secret, reload, editing) = (
                api.clone(),
                busy.clone(),
                action_error.clone(),
                secret.clone(),
                reload.clone(),
                editing.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let result = match action {
                    ClientAction::SetActive(id, active) => {
                        api.set_api_client_active(id, active).await.map(|_| ())
                    }
                    ClientAction::Rotate(id) => api
                        .rotate_api_client_secret(id)
                        .await
                        .map(|rotated| secret.set(Some(rotated))),
                    ClientAction::Update(id, version, change) => api
                        .update_api_client(id, version, &change)
                        .await
                        .map(|_| editing.set(None)),
                };
                busy.set(false);
                match result {
                    Ok(()) => {}
                    Err(error) if error.status() == Some(412) => {
                        action_error.set(Some(error.with_detail(STALE_MESSAGE)));
                    }
                    Err(error) => action_error.set(Some(error)),
                }
                reload.emit(());
            });
        })
    };
    let on_dismiss_secret = {
        let secret = secret.clone();
        Callback::from(move |_: MouseEvent| secret.set(None))
    };
    let on_load_more = {
        let load = load.clone();
        let list = list.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(cursor) = list.next_cursor.clone() {
                load.emit(Some(cursor));
            }
        })
    };

    html! {
        <main id="integrations-page" class="page">
            <h1>{ "Integrations" }</h1>
            <p class="muted">
                { "API clients call the API with OAuth 2.0 client credentials (POST /api/v1/auth/token). \
                   What a client reads and writes is recorded under its name." }
            </p>
            if let Some(shown) = &*secret {
                <section id="client-secret" class="card" role="alert" aria-labelledby="client-secret-title">
                    <h2 id="client-secret-title">{ format!("Secret of {}", shown.client.name) }</h2>
                    <p><strong>{ "Copy it now: it will not be shown again." }</strong>
                        { " If it is lost, rotate the secret." }</p>
                    <dl>
                        <dt>{ "client_id" }</dt>
                        <dd><code id="client-secret-id">{ shown.client.id.to_string() }</code></dd>
                        <dt>{ "client_secret" }</dt>
                        <dd><code id="client-secret-value">{ shown.client_secret.clone() }</code></dd>
                    </dl>
                    <button id="client-secret-dismiss" type="button" class="button secondary" onclick={on_dismiss_secret}>
                        { "I have stored it" }
                    </button>
                </section>
            }
            <NewClientForm api={api.clone()} {on_created} />

            <section class="card" aria-labelledby="clients-title">
                <h2 id="clients-title">{ "Clients" }</h2>
                <ProblemAlert id="clients-error" error={list.error.clone()} />
                <ProblemAlert id="clients-action-error" error={(*action_error).clone()} />
                <div class="table-wrap">
                    <table id="clients-table" class="table">
                        <thead>
                            <tr>
                                <th scope="col">{ "Name" }</th>
                                <th scope="col">{ "Scopes" }</th>
                                <th scope="col">{ "Status" }</th>
                                <th scope="col">{ "Requests / minute" }</th>
                                <th scope="col">{ "Last token" }</th>
                                <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            { for list.items.iter().map(|client| html! {
                                <ClientRow
                                    key={client.id.to_string()}
                                    client={client.clone()}
                                    busy={*busy}
                                    editing={*editing == Some(client.id)}
                                    on_edit={{
                                        let editing = editing.clone();
                                        Callback::from(move |id: Option<Uuid>| editing.set(id))
                                    }}
                                    act={act.clone()}
                                />
                            }) }
                        </tbody>
                    </table>
                </div>
                if list.loading {
                    <p id="clients-loading" class="loading" role="status">{ "Loading clients…" }</p>
                } else if list.items.is_empty() && list.error.is_none() {
                    <p id="clients-empty" class="muted">{ "No API clients yet." }</p>
                }
                if list.next_cursor.is_some() && !list.loading {
                    <button id="clients-load-more" type="button" class="button secondary" onclick={on_load_more}>
                        { "Load more" }
                    </button>
                }
            </section>
        </main>
    }
}

/// A change to one client.
#[derive(Debug, Clone, PartialEq)]
enum ClientAction {
    SetActive(Uuid, bool),
    Rotate(Uuid),
    Update(Uuid, i32, UpdateApiClient),
}

#[derive(Properties, PartialEq)]
struct ClientRowProps {
    client: ApiClient,
    busy: bool,
    editing: bool,
    on_edit: Callback<Option<Uuid>>,
    act: Callback<ClientAction>,
}

/// One client, with its actions; while editing, its scopes and rate limit are a form.
#[component]
fn ClientRow(props: &ClientRowProps) -> Html {
    let client = &props.client;
    let scopes = use_state(|| client.scopes.clone());
    let rate = use_state(|| client.rate_limit_per_minute.to_string());
    let id = client.id;
    let version = client.version;
    let active = client.active;

    let on_toggle = {
        let act = props.act.clone();
        Callback::from(move |_: MouseEvent| act.emit(ClientAction::SetActive(id, !active)))
    };
    let on_rotate = {
        let act = props.act.clone();
        Callback::from(move |_: MouseEvent| act.emit(ClientAction::Rotate(id)))
    };
    let on_edit = {
        let on_edit = props.on_edit.clone();
        let (scopes, rate) = (scopes.clone(), rate.clone());
        let (current_scopes, current_rate) = (client.scopes.clone(), client.rate_limit_per_minute);
        Callback::from(move |_: MouseEvent| {
            scopes.set(current_scopes.clone());
            rate.set(current_rate.to_string());
            on_edit.emit(Some(id));
        })
    };
    let on_cancel = {
        let on_edit = props.on_edit.clone();
        Callback::from(move |_: MouseEvent| on_edit.emit(None))
    };
    let on_save = {
        let act = props.act.clone();
        let (scopes, rate) = (scopes.clone(), rate.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let change = UpdateApiClient {
                scopes: Some((*scopes).clone()),
                rate_limit_per_minute: rate.trim().parse().ok().or(Some(0)),
                ..UpdateApiClient::default()
            };
            act.emit(ClientAction::Update(id, version, change));
        })
    };
    let (label, verb) = if active {
        ("Active", "Disable")
    } else {
        ("Disabled", "Enable")
    };
    let prefix = format!("client-{id}");

    html! {
        <tr data-client-id={id.to_string()}>
            <td class="name">
                { client.name.clone() }
                if !client.description.is_empty() {
                    <div class="muted">{ client.description.clone() }</div>
                }
            </td>
            <td class="scopes">
                if props.editing {
                    <form id={format!("{prefix}-edit")} onsubmit={on_save}>
                        <ScopeChecks prefix={prefix.clone()} selected={(*scopes).clone()} onchange={{
                            let scopes = scopes.clone();
                            Callback::from(move |s: Vec<String>| scopes.set(s))
                        }} />
                        <Field
                            id={format!("{prefix}-rate")}
                            label="Requests per minute"
                            kind="number"
                            value={(*rate).clone()}
                            oninput={{
                                let rate = rate.clone();
                                Callback::from(move |v: String| rate.set(v))
                            }}
                        />
                        <button type="submit" class="button small primary" disabled={props.busy}>{ "Save" }</button>
                        <button type="button" class="button small secondary" onclick={on_cancel}>{ "Cancel" }</button>
                    </form>
                } else if client.scopes.is_empty() {
                    <span class="muted">{ "None" }</span>
                } else {
                    { for client.scopes.iter().map(|s| html! { <code class="scope">{ format!("{s} ") }</code> }) }
                }
            </td>
            <td class="active">
                <span class={classes!("pill", if active { "ok" } else { "off" })}>{ label }</span>
            </td>
            <td class="rate">{ client.rate_limit_per_minute }</td>
            <td class="last-token">{ format_time(client.last_token_at) }</td>
            <td class="actions">
                if !props.editing {
                    <button type="button" class="button small secondary edit" disabled={props.busy}
                        aria-label={format!("Edit {}", client.name)} onclick={on_edit}>{ "Edit" }</button>
                }
                <button type="button" class="button small secondary toggle-active" disabled={props.busy}
                    aria-label={format!("{verb} {}", client.name)} onclick={on_toggle}>{ verb }</button>
                <button type="button" class="button small secondary rotate" disabled={props.busy}
                    aria-label={format!("Rotate the secret of {}", client.name)} onclick={on_rotate}>{ "Rotate secret" }</button>
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct ScopeChecksProps {
    prefix: String,
    selected: Vec<String>,
    onchange: Callback<Vec<String>>,
}

/// One checkbox per scope, with what it allows.
#[component]
fn ScopeChecks(props: &ScopeChecksProps) -> Html {
    html! {
        <fieldset class="scopes">
            <legend>{ "Scopes" }</legend>
            { for Scope::ALL.into_iter().map(|scope| {
                let name = scope.as_str();
                let checked = props.selected.iter().any(|s| s == name);
                let onchange = {
                    let selected = props.selected.clone();
                    let onchange = props.onchange.clone();
                    Callback::from(move |_: Event| {
                        let mut next: Vec<String> =
                            selected.iter().filter(|s| *s != name).cloned().collect();
                        if !checked {
                            next.push(name.to_owned());
                        }
                        onchange.emit(next);
                    })
                };
                let id = format!("{}-scope-{}", props.prefix, name.replace(':', "-"));
                html! {
                    <div class="check">
                        <input type="checkbox" id={id.clone()} value={name} {checked} {onchange} />
                        <label for={id}><code>{ name }</code>{ " — " }{ scope.description() }</label>
                    </div>
                }
            }) }
        </fieldset>
    }
}

/// The values of the new-client form.
#[derive(Debug, Clone, PartialEq)]
struct NewClient {
    name: String,
    description: String,
    scopes: Vec<String>,
    rate: String,
}

impl Default for NewClient {
    fn default() -> Self {
        NewClient {
            name: String::new(),
            description: String::new(),
            scopes: Vec::new(),
            rate: "600".to_owned(),
        }
    }
}

#[derive(Properties, PartialEq)]
struct NewClientFormProps {
    api: Api,
    on_created: Callback<ApiClientWithSecret>,
}

/// `<form id="new-client-form">`.
#[component]
fn NewClientForm(props: &NewClientFormProps) -> Html {
    let form = use_form::<NewClient>();
    let onsubmit = {
        let form = form.clone();
        let api = props.api.clone();
        let on_created = props.on_created.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let values = &form.values;
            let Ok(rate) = values.rate.trim().parse::<i32>() else {
                form.dispatch(FormAction::Failed(ApiError::invalid(
                    "rate_limit_per_minute",
                    "Enter a whole number of requests per minute.",
                )));
                return;
            };
            let request = CreateApiClient {
                name: values.name.trim().to_owned(),
                description: values.description.trim().to_owned(),
                scopes: values.scopes.clone(),
                rate_limit_per_minute: Some(rate),
            };
            form.dispatch(FormAction::Submit);
            let form = form.dispatcher();
            let (api, on_created) = (api.clone(), on_created.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.create_api_client(&request).await {
                    Ok(created) => {
                        form.dispatch(FormAction::Succeeded(Some(AttrValue::from(format!(
                            "Registered {}.",
                            created.client.name
                        )))));
                        form.dispatch(FormAction::edit(|n: &mut NewClient| {
                            *n = NewClient::default()
                        }));
                        on_created.emit(created);
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let edit = |set: fn(&mut NewClient, String)| {
        let form = form.dispatcher();
        Callback::from(move |v: String| form.dispatch(FormAction::edit(move |n| set(n, v))))
    };
    let on_scopes = {
        let form = form.dispatcher();
        Callback::from(move |s: Vec<String>| {
            form.dispatch(FormAction::edit(move |n: &mut NewClient| n.scopes = s))
        })
    };

    html! {
        <section class="card" aria-labelledby="new-client-title">
            <h2 id="new-client-title">{ "New API client" }</h2>
            <form id="new-client-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="new-client-error" error={form.error.clone()} />
                if let Some(done) = &form.done {
                    <p id="new-client-created" class="status" role="status">{ done.clone() }</p>
                }
                <Field
                    id="new-client-name"
                    label="Name"
                    autocomplete="off"
                    value={form.values.name.clone()}
                    oninput={edit(|n, v| n.name = v)}
                    error={form.field_error("name")}
                    required=true
                />
                <Field
                    id="new-client-description"
                    label="Description"
                    autocomplete="off"
                    value={form.values.description.clone()}
                    oninput={edit(|n, v| n.description = v)}
                    error={form.field_error("description")}
                />
                <ScopeChecks prefix="new-client" selected={form.values.scopes.clone()} onchange={on_scopes} />
                if let Some(error) = form.field_error("scopes") {
                    <p class="field-error">{ error }</p>
                }
                <Field
                    id="new-client-rate"
                    label="Requests per minute"
                    kind="number"
                    hint="Per API instance; beyond it the client gets 429 with Retry-After."
                    value={form.values.rate.clone()}
                    oninput={edit(|n, v| n.rate = v)}
                    error={form.field_error("rate_limit_per_minute")}
                />
                <div class="form-actions">
                    <button id="new-client-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Registering…" } else { "Register client" } }
                    </button>
                </div>
            </form>
        </section>
    }
}
