//! The signed-in person's own account: details and password change.

use std::rc::Rc;

use hms_api_types::users::{ChangePassword, User};
use yew::prelude::*;

use crate::components::field::Field;
use crate::components::problem_alert::ProblemAlert;
use crate::form::{use_form, FormAction};
use crate::session::use_session;

#[derive(Debug, Clone, Default, PartialEq)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

#[derive(Properties, PartialEq)]
pub struct AccountPageProps {
    pub user: Rc<User>,
}

/// `<main id="account-page">`: who you are, and `<form id="password-form">`.
#[component]
pub fn AccountPage(props: &AccountPageProps) -> Html {
    let session = use_session();
    let form = use_form::<PasswordChange>();
    let load_error = use_state(|| None);

    // Fetch a fresh copy of the account; the session (and so `props.user`) follows it.
    {
        let api = session.api().clone();
        let load_error = load_error.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = api.me().await {
                    load_error.set(Some(error));
                }
            });
        });
    }

    let onsubmit = {
        let form = form.clone();
        let api = session.api().clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = ChangePassword {
                current_password: form.values.current_password.clone(),
                new_password: form.values.new_password.clone(),
            };
            form.dispatch(FormAction::Submit);
            let form = form.dispatcher();
            let api = api.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // On success the session ends and the login page says why.
                if let Err(error) = api.change_password(&request).await {
                    form.dispatch(FormAction::Failed(error));
                }
            });
        })
    };
    let on_current = {
        let form = form.dispatcher();
        Callback::from(move |v: String| {
            form.dispatch(FormAction::edit(move |p: &mut PasswordChange| {
                p.current_password = v
            }))
        })
    };
    let on_new = {
        let form = form.dispatcher();
        Callback::from(move |v: String| {
            form.dispatch(FormAction::edit(move |p: &mut PasswordChange| {
                p.new_password = v
            }))
        })
    };

    let user = &props.user;
    html! {
        <main id="account-page" class="page narrow">
            <h1>{ "My account" }</h1>
            <section class="card" aria-labelledby="account-details-title">
                <h2 id="account-details-title">{ "Details" }</h2>
                <ProblemAlert id="account-error" error={(*load_error).clone()} />
                <dl id="account-details" class="details">
                    <dt>{ "Email" }</dt>
                    <dd id="account-email">{ user.email.clone() }</dd>
                    <dt>{ "Name" }</dt>
                    <dd id="account-name">{ user.display_name.clone() }</dd>
                    <dt>{ "Role" }</dt>
                    <dd id="account-role">{ user.role.label() }</dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="password-title">
                <h2 id="password-title">{ "Change password" }</h2>
                <p class="muted">
                    { "Changing your password signs you out everywhere, including here." }
                </p>
                <form id="password-form" {onsubmit} novalidate=true>
                    <ProblemAlert id="password-error" error={form.error.clone()} />
                    <Field
                        id="current-password"
                        label="Current password"
                        kind="password"
                        autocomplete="current-password"
                        value={form.values.current_password.clone()}
                        oninput={on_current}
                        error={form.field_error("current_password")}
                        required=true
                    />
                    <Field
                        id="new-password"
                        label="New password"
                        kind="password"
                        autocomplete="new-password"
                        hint="At least 12 characters."
                        value={form.values.new_password.clone()}
                        oninput={on_new}
                        error={form.field_error("new_password")}
                        required=true
                    />
                    <button id="password-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Changing…" } else { "Change password" } }
                    </button>
                </form>
            </section>
        </main>
    }
}
