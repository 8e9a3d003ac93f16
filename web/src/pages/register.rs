//! Patient registration, with the possible-duplicate check: the server lists similar patients
//! and the person either opens one of them or registers a new patient anyway.

use hms_api_types::patients::DuplicateCandidate;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{use_form, FormAction};
use crate::pages::patient_form::{PatientFields, PatientValues};
use crate::session::use_session;

/// The problem `type` of a registration that may duplicate an existing patient.
const POSSIBLE_DUPLICATE: &str = "/problems/possible-duplicate";

/// `<main id="register-page">` with `<form id="register-form">`.
#[component]
pub fn RegisterPage() -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let form = use_form::<PatientValues>();

    // Sends the registration; `confirm` after the person checked the possible duplicates.
    let submit = {
        let (form, api) = (form.clone(), session.api().clone());
        Callback::from(move |confirm: bool| {
            if form.submitting {
                return;
            }
            let request = match form.values.create(confirm) {
                Ok(request) => request,
                Err(error) => {
                    form.dispatch(FormAction::Failed(error));
                    return;
                }
            };
            form.dispatch(FormAction::Submit);
            let (form, api, navigator) = (form.dispatcher(), api.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.register_patient(&request).await {
                    Ok(patient) => {
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Chart { id: patient.id });
                        }
                    }
                    // The values stay as typed.
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let onsubmit = {
        let submit = submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            submit.emit(false);
        })
    };
    let onconfirm = Callback::from(move |_: MouseEvent| submit.emit(true));

    let duplicate = form
        .error
        .as_ref()
        .filter(|e| e.kind() == Some(POSSIBLE_DUPLICATE));
    let other_error = form.error.clone().filter(|_| duplicate.is_none());

    html! {
        <main id="register-page" class="page">
            <p class="breadcrumb">
                <Link<Route> to={Route::Patients}>{ "Patients" }</Link<Route>>
            </p>
            <h1>{ "Register patient" }</h1>
            <form id="register-form" class="card stacked-form" {onsubmit} novalidate=true>
                <ProblemAlert id="register-error" error={other_error} />
                if let Some(error) = duplicate {
                    <DuplicateWarning
                        error={error.clone()}
                        {onconfirm}
                        submitting={form.submitting}
                    />
                }
                <PatientFields form={form.clone()} />
                <div class="form-actions">
                    <button id="register-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Registering…" } else { "Register patient" } }
                    </button>
                    <Link<Route> to={Route::Patients} classes="button secondary">{ "Cancel" }</Link<Route>>
                </div>
            </form>
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct DuplicateWarningProps {
    /// The 409 `/problems/possible-duplicate` answer.
    error: ApiError,
    onconfirm: Callback<MouseEvent>,
    submitting: bool,
}

/// `<div id="duplicate-warning">`: the similar patients and "Register as a new patient anyway".
#[component]
fn DuplicateWarning(props: &DuplicateWarningProps) -> Html {
    let candidate = |c: &DuplicateCandidate| {
        html! {
            <li class="duplicate-candidate" data-patient-id={c.id.to_string()}>
                <Link<Route> to={Route::Chart { id: c.id }}>
                    { display::patient_name(&c.given_name, &c.family_name) }
                </Link<Route>>
                <span class="mrn">{ c.mrn.clone() }</span>
                <span class="birth-date">{ format!("born {}", display::date(c.birth_date)) }</span>
            </li>
        }
    };
    html! {
        <div id="duplicate-warning" class="warning" role="alert">
            <h2>{ "This patient may already be registered" }</h2>
            <p>{ props.error.message().to_owned() }</p>
            <ul class="duplicate-candidates">
                { for props.error.candidates().iter().map(candidate) }
            </ul>
            <p class="muted">
                { "Open a chart above if it is the same person. Register only if you are sure it is someone else." }
            </p>
            <button
                id="confirm-not-duplicate"
                type="button"
                class="button secondary"
                disabled={props.submitting}
                onclick={props.onconfirm.clone()}
            >
                { "Register as a new patient anyway" }
            </button>
        </div>
    }
}
