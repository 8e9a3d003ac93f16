//! `/webhooks` (administrators): the API clients' webhook subscriptions, a form to subscribe a
//! client, and the delivery log with a Resend button.
//!
//! Element ids:
//! - `main#webhooks-page`
//! - `form#webhook-form` with `input#webhook-client` (the API client's id), `input#webhook-url`,
//!   `input.webhook-event[value=<type>]` checkboxes, `input#webhook-description`,
//!   `button#webhook-create`, `#webhook-form-error`; after creation `#webhook-secret` (shown
//!   once)
//! - `#subscriptions-error`, `table#webhook-subscriptions` with
//!   `tr.webhook-subscription[data-id][data-active]` (buttons `.subscription-ping`,
//!   `.subscription-toggle`)
//! - `#deliveries-error`, `button#deliveries-refresh`, `table#webhook-deliveries` with
//!   `tr.webhook-delivery[data-id][data-status]` (button `.delivery-resend`)

use hms_api_types::webhooks::{
    DeliveryStatus, NewWebhookSubscription, WebhookDelivery, WebhookSubscription,
    WebhookSubscriptionPatch, EVENT_TYPES,
};
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::session::use_session;

#[derive(Debug, Clone, Default, PartialEq)]
struct Lists {
    subscriptions: Vec<WebhookSubscription>,
    deliveries: Vec<WebhookDelivery>,
    subscriptions_error: Option<ApiError>,
    deliveries_error: Option<ApiError>,
    action_error: Option<ApiError>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Form {
    client_id: String,
    url: String,
    description: String,
    events: Vec<String>,
    busy: bool,
    error: Option<ApiError>,
    /// The secret of the subscription just created (shown once).
    secret: Option<String>,
}

fn status_label(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "Pending",
        DeliveryStatus::Delivered => "Delivered",
        DeliveryStatus::Failed => "Failed",
    }
}

/// `<main id="webhooks-page">`.
#[component]
pub fn WebhooksPage() -> Html {
    let session = use_session();
    let api = session.api().clone();
    let lists = use_state(Lists::default);
    let form = use_state(Form::default);

    let reload = {
        let api = api.clone();
        let lists = lists.clone();
        Callback::from(move |_: ()| {
            let api = api.clone();
            let lists = lists.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let subs = api.list_webhook_subscriptions().await;
                let deliveries = api.list_webhook_deliveries(None).await;
                let mut next = (*lists).clone();
                match subs {
                    Ok(page) => {
                        next.subscriptions = page.items;
                        next.subscriptions_error = None;
                    }
                    Err(e) => next.subscriptions_error = Some(e),
                }
                match deliveries {
                    Ok(page) => {
                        next.deliveries = page.items;
                        next.deliveries_error = None;
                    }
                    Err(e) => next.deliveries_error = Some(e),
                }
                lists.set(next);
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
    }

    let text_input = |field: fn(&mut Form, String)| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = (*form).clone();
            field(&mut next, input.value());
            form.set(next);
        })
    };
    let on_client = text_input(|f, v| f.client_id = v);
    let on_url = text_input(|f, v| f.url = v);
    let on_description = text_input(|f, v| f.description = v);
    let on_event = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = (*form).clone();
            let value = input.value();
            next.events.retain(|v| *v != value);
            if input.checked() {
                next.events.push(value);
            }
            form.set(next);
        })
    };
    let on_submit = {
        let api = api.clone();
        let form = form.clone();
        let reload = reload.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let current = (*form).clone();
            let client_id = match current.client_id.trim().parse::<Uuid>() {
                Ok(id) => id,
                Err(_) => {
                    let mut next = current;
                    next.error = Some(ApiError::invalid(
                        "client_id",
                        "Enter the API client's id (a UUID).",
                    ));
                    form.set(next);
                    return;
                }
            };
            let mut busy = current.clone();
            busy.busy = true;
            busy.error = None;
            busy.secret = None;
            form.set(busy.clone());
            let request = NewWebhookSubscription {
                client_id: Some(client_id),
                url: current.url.trim().to_owned(),
                events: current.events.clone(),
                description: Some(current.description.trim().to_owned()),
                active: None,
            };
            let api = api.clone();
            let form = form.clone();
            let reload = reload.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut next = busy;
                next.busy = false;
                match api.create_webhook_subscription(&request).await {
                    Ok(created) => {
                        next = Form {
                            secret: created.signing_secret,
                            ..Form::default()
                        };
                        reload.emit(());
                    }
                    Err(e) => next.error = Some(e),
                }
                form.set(next);
            });
        })
    };

    let act = {
        let api = api.clone();
        let lists = lists.clone();
        let reload = reload.clone();
        move |what: Action| {
            let api = api.clone();
            let lists = lists.clone();
            let reload = reload.clone();
            Callback::from(move |_: MouseEvent| {
                let api = api.clone();
                let lists = lists.clone();
                let reload = reload.clone();
                let what = what.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let result = match what {
                        Action::Ping(id) => api.ping_webhook_subscription(id).await.map(|_| ()),
                        Action::Resend(id) => api.resend_webhook_delivery(id).await.map(|_| ()),
                        Action::SetActive(id, version, active) => api
                            .update_webhook_subscription(
                                id,
                                version,
                                &WebhookSubscriptionPatch {
                                    active: Some(active),
                                    ..Default::default()
                                },
                            )
                            .await
                            .map(|_| ()),
                    };
                    let mut next = (*lists).clone();
                    next.action_error = result.err();
                    lists.set(next);
                    reload.emit(());
                });
            })
        }
    };
    let refresh = {
        let reload = reload.clone();
        Callback::from(move |_: MouseEvent| reload.emit(()))
    };

    let f = &*form;
    html! {
        <main id="webhooks-page" class="page">
            <h1>{ "Webhooks" }</h1>
            <p class="lead">
                { "API clients subscribe to events (bookings, shortages, incidents). Each event is POSTed to the client's URL, signed with the subscription's secret, and retried with backoff for about a day." }
            </p>
            <section>
                <h2>{ "Subscribe a client" }</h2>
                <form id="webhook-form" onsubmit={on_submit} novalidate=true>
                    <label for="webhook-client">{ "API client id" }</label>
                    <input id="webhook-client" type="text" value={f.client_id.clone()} oninput={on_client} />
                    <label for="webhook-url">{ "URL" }</label>
                    <input id="webhook-url" type="url" placeholder="https://example.org/hms/webhooks" value={f.url.clone()} oninput={on_url} />
                    <fieldset>
                        <legend>{ "Events" }</legend>
                        { for EVENT_TYPES.iter().map(|t| html! {
                            <label class="checkbox">
                                <input
                                    type="checkbox"
                                    class="webhook-event"
                                    value={*t}
                                    checked={f.events.iter().any(|e| e == t)}
                                    onchange={on_event.clone()}
                                />
                                { *t }
                            </label>
                        }) }
                    </fieldset>
                    <label for="webhook-description">{ "Description" }</label>
                    <input id="webhook-description" type="text" value={f.description.clone()} oninput={on_description} />
                    <ProblemAlert id="webhook-form-error" error={f.error.clone()} />
                    <button id="webhook-create" type="submit" class="button" disabled={f.busy}>{ "Subscribe" }</button>
                </form>
                if let Some(secret) = &f.secret {
                    <p class="notice" role="status">
                        { "Signing secret (shown only now; give it to the client): " }
                        <code id="webhook-secret">{ secret.clone() }</code>
                    </p>
                }
            </section>
            <section>
                <h2>{ "Subscriptions" }</h2>
                <ProblemAlert id="subscriptions-error" error={lists.subscriptions_error.clone()} />
                <ProblemAlert id="webhooks-action-error" error={lists.action_error.clone()} />
                <table id="webhook-subscriptions" class="table">
                    <thead><tr>
                        <th>{ "Client" }</th><th>{ "URL" }</th><th>{ "Events" }</th>
                        <th>{ "Active" }</th><th></th>
                    </tr></thead>
                    <tbody>
                        { for lists.subscriptions.iter().map(|s| html! {
                            <tr class="webhook-subscription" data-id={s.id.to_string()} data-active={s.active.to_string()}>
                                <td><code>{ s.client_id.to_string() }</code></td>
                                <td>{ s.url.clone() }</td>
                                <td>{ s.events.join(", ") }</td>
                                <td>{ if s.active { "Yes" } else { "No" } }</td>
                                <td>
                                    <button type="button" class="button secondary subscription-ping" onclick={act(Action::Ping(s.id))}>{ "Ping" }</button>
                                    <button type="button" class="button secondary subscription-toggle" onclick={act(Action::SetActive(s.id, s.version, !s.active))}>
                                        { if s.active { "Pause" } else { "Activate" } }
                                    </button>
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </section>
            <section>
                <h2>{ "Delivery log" }</h2>
                <button id="deliveries-refresh" type="button" class="button secondary" onclick={refresh}>{ "Refresh" }</button>
                <ProblemAlert id="deliveries-error" error={lists.deliveries_error.clone()} />
                <table id="webhook-deliveries" class="table">
                    <thead><tr>
                        <th>{ "Created" }</th><th>{ "Event" }</th><th>{ "URL" }</th><th>{ "Status" }</th>
                        <th>{ "Attempts" }</th><th>{ "Last answer" }</th><th></th>
                    </tr></thead>
                    <tbody>
                        { for lists.deliveries.iter().map(|d| html! {
                            <tr class="webhook-delivery" data-id={d.id.to_string()} data-status={d.status.as_str()}>
                                <td>{ display::local_time(d.created_at) }</td>
                                <td>{ d.event_type.clone() }</td>
                                <td>{ d.url.clone() }</td>
                                <td class="delivery-status">{ status_label(d.status) }</td>
                                <td class="delivery-attempts">{ d.attempts }</td>
                                <td class="delivery-last">{
                                    match (d.last_status_code, &d.last_error) {
                                        (Some(code), _) => format!("HTTP {code}"),
                                        (None, Some(e)) => e.clone(),
                                        (None, None) => "—".to_owned(),
                                    }
                                }</td>
                                <td>
                                    <button type="button" class="button secondary delivery-resend" onclick={act(Action::Resend(d.id))}>{ "Resend" }</button>
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </section>
        </main>
    }
}

#[derive(Debug, Clone)]
enum Action {
    Ping(Uuid),
    Resend(Uuid),
    SetActive(Uuid, i32, bool),
}
