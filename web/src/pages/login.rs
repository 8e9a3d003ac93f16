//! The sign-in page.

use hms_api_types::auth::LoginRequest;
use yew::prelude::*;

use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::field::Field;
use crate::components::problem_alert::ProblemAlert;
use crate::form::{use_form, FormAction};
use crate::session::use_session;

#[derive(Debug, Clone, Default, PartialEq)]
struct Credentials {
    email: String,
    password: String,
}

/// `<form id="login-form">`; on success the session changes and the router shows the home page.
#[component]
pub fn LoginPage() -> Html {
    let session = use_session();
    let form = use_form::<Credentials>();

    let onsubmit = {
        let form = form.clone();
        let api = session.api().clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = LoginRequest {
                email: form.values.email.trim().to_owned(),
                password: form.values.password.clone(),
            };
            form.dispatch(FormAction::Submit);
            let form = form.dispatcher();
            let api = api.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = api.login(&request).await {
                    form.dispatch(FormAction::Failed(error));
                }
            });
        })
    };
    let on_email = {
        let form = form.dispatcher();
        Callback::from(move |v: String| {
            form.dispatch(FormAction::edit(move |c: &mut Credentials| c.email = v))
        })
    };
    let on_password = {
        let form = form.dispatcher();
        Callback::from(move |v: String| {
            form.dispatch(FormAction::edit(move |c: &mut Credentials| c.password = v))
        })
    };

    html! {
        <main id="login-page" class="page narrow">
            <div class="card login-card">
                <h1>{ "Sign in to HMS" }</h1>
                <form id="login-form" {onsubmit} novalidate=true>
                    <ProblemAlert id="login-error" error={form.error.clone()} />
                    <Field
                        id="email"
                        label="Email"
                        kind="email"
                        autocomplete="username"
                        value={form.values.email.clone()}
                        oninput={on_email}
                        error={form.field_error("email")}
                        required=true
                    />
                    <Field
                        id="password"
                        label="Password"
                        kind="password"
                        autocomplete="current-password"
                        value={form.values.password.clone()}
                        oninput={on_password}
                        error={form.field_error("password")}
                        required=true
                    />
                    <button id="login-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Signing in…" } else { "Sign in" } }
                    </button>
                </form>
                <p class="muted">
                    <AppLink id="login-status-link" to={Route::Status}>{ "System status" }</AppLink>
                    { " — is HMS working right now? No sign-in needed." }
                </p>
            </div>
        </main>
    }
}
