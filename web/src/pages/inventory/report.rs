//! Report a shortage (`/inventory/shortages/new`), open to every staff member and reached from
//! the top bar: pick the item (search by name or SKU), the location, the severity and a note;
//! the confirmation links to the board and to the new shortage.
//!
//! Element ids:
//! - `main#report-shortage-page`
//! - `form#report-shortage-form`: the item picker with the prefix `report`
//!   (`#report-item-search`, `li.report-item` buttons, `#report-item`, `#report-item-clear`;
//!   see `item_picker.rs`), `#report-location`, `#report-severity`, `#report-note`,
//!   `#report-submit`, `#report-error`; each field's error is `#{field id}-error`
//! - `#report-confirmation[data-shortage-id]` (role status) with `#report-board-link`,
//!   `#report-shortage-link` and `#report-another`
//! - while the database is unreachable the report is kept (202): `#report-kept[data-pending-id]`
//!   (role status) with `#report-pending-link` and `#report-another`; a refused save (503)
//!   keeps the form as typed, with "Try again" (`.retry-save`, same `Idempotency-Key`)

use hms_api_types::inventory::{Item, ReportShortage, Severity, Shortage};
use hms_api_types::ops::PendingWrite;
use yew::prelude::*;

use super::item_picker::ItemPicker;
use super::{incomplete, location_options, use_locations, Checks};
use crate::api::inventory::{fingerprint, Attempt, SHORTAGES_PATH};
use crate::api::ops::{Saved, KEPT_MESSAGE};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::field::{SelectField, TextAreaField};
use crate::components::problem_alert::RetryButton;
use crate::display;
use crate::form::{setter, use_form_with, FormAction};
use crate::session::use_session;

/// Shown when a report got no answer: sending it again is safe.
const REPORT_NETWORK_MESSAGE: &str = "Cannot reach the server, so it is not known whether the \
     shortage was reported. Check your connection and press the button again: it is never \
     reported twice.";

#[derive(Debug, Clone, PartialEq)]
struct ReportValues {
    item: Option<Item>,
    location: String,
    /// A [`Severity`] wire name.
    severity: String,
    note: String,
}

impl Default for ReportValues {
    fn default() -> Self {
        ReportValues {
            item: None,
            location: String::new(),
            severity: Severity::Medium.as_str().to_owned(),
            note: String::new(),
        }
    }
}

impl ReportValues {
    fn request(&self) -> Result<ReportShortage, ApiError> {
        let mut checks = Checks::default();
        if self.item.is_none() {
            checks.fail("item_id", "Choose the item that is short.");
        }
        let location = checks.id("location_id", &self.location, "Choose where it is short.");
        let severity = Severity::parse(&self.severity);
        if severity.is_none() {
            checks.fail("severity", "Choose how urgent it is.");
        }
        checks.finish()?;
        let (Some(item), Some(location_id), Some(severity)) = (&self.item, location, severity)
        else {
            return Err(incomplete());
        };
        Ok(ReportShortage {
            item_id: item.id,
            location_id,
            severity,
            note: display::optional(&self.note),
        })
    }
}

/// What became of the last report.
#[derive(Debug, Clone, PartialEq)]
enum Reported {
    /// Written: on the board now.
    Saved(Shortage),
    /// Kept by the API (202) while the database is unreachable.
    Kept(PendingWrite),
}

/// `<main id="report-shortage-page">`.
#[component]
pub fn ReportShortagePage() -> Html {
    let session = use_session();
    let locations = use_locations();
    let form = use_form_with(ReportValues::default);
    let attempt = use_mut_ref(Attempt::default);
    let reported = use_state(|| None::<Reported>);

    let onsubmit = {
        let (form, api, reported) = (form.clone(), session.api().clone(), reported.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let request = match form.values.request() {
                Ok(request) => request,
                Err(error) => {
                    form.dispatch(FormAction::Failed(error));
                    return;
                }
            };
            let key = attempt
                .borrow_mut()
                .key_for(fingerprint(SHORTAGES_PATH, &request));
            form.dispatch(FormAction::Submit);
            let (form, api, attempt) = (form.dispatcher(), api.clone(), attempt.clone());
            let reported = reported.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api.report_shortage(&request, key).await {
                    Ok(saved) => {
                        attempt.borrow_mut().finish();
                        form.dispatch(FormAction::Succeeded(None));
                        reported.set(Some(match saved {
                            Saved::Done(shortage) => Reported::Saved(shortage),
                            Saved::Kept(pending) => Reported::Kept(*pending),
                        }));
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let onpick = {
        let form = form.dispatcher();
        Callback::from(move |item: Option<Item>| {
            form.dispatch(FormAction::edit(move |v: &mut ReportValues| v.item = item))
        })
    };

    let onanother = {
        let reported = reported.clone();
        Callback::from(move |_: MouseEvent| reported.set(None))
    };
    if let Some(Reported::Kept(pending)) = &*reported {
        return html! {
            <main id="report-shortage-page" class="page narrow">
                <h1>{ "Report a shortage" }</h1>
                <section
                    id="report-kept"
                    class="card"
                    role="status"
                    data-pending-id={pending.id.to_string()}
                >
                    <p class="status kept">
                        { KEPT_MESSAGE }
                        { " The database cannot be reached right now, so your report is kept on the server; it reaches the shortages board as soon as the database is back. You do not need to report it again." }
                    </p>
                    <div class="form-actions">
                        <AppLink id="report-pending-link" to={Route::Pending} classes="button primary">
                            { "See my kept requests" }
                        </AppLink>
                        <button id="report-another" type="button" class="button secondary" onclick={onanother}>
                            { "Report another" }
                        </button>
                    </div>
                </section>
            </main>
        };
    }
    if let Some(Reported::Saved(shortage)) = &*reported {
        return html! {
            <main id="report-shortage-page" class="page narrow">
                <h1>{ "Report a shortage" }</h1>
                <section
                    id="report-confirmation"
                    class="card"
                    role="status"
                    data-shortage-id={shortage.id.to_string()}
                >
                    <p class="status">
                        { format!(
                            "Thank you: the shortage of {} at {} was reported ({}). The pharmacy sees it on the shortages board.",
                            shortage.item_name,
                            shortage.location_name,
                            display::humanize(shortage.severity.as_str()).to_lowercase(),
                        ) }
                    </p>
                    <div class="form-actions">
                        <AppLink id="report-board-link" to={Route::Shortages} classes="button primary">
                            { "Go to the shortages board" }
                        </AppLink>
                        <AppLink id="report-shortage-link" to={Route::Shortage { id: shortage.id }} classes="button secondary">
                            { "See this shortage" }
                        </AppLink>
                        <button id="report-another" type="button" class="button secondary" onclick={onanother}>
                            { "Report another" }
                        </button>
                    </div>
                </section>
            </main>
        };
    }

    let all_locations = locations.state.value.clone().unwrap_or_default();
    let error = form.error.as_ref().map(|error| {
        let text = match error {
            ApiError::Network => REPORT_NETWORK_MESSAGE,
            other => other.message(),
        };
        html! {
            <div id="report-error" class="problem" role="alert">
                <span class="problem-text">{ text.to_owned() }</span>
                if error.saving_paused() {
                    <RetryButton />
                }
            </div>
        }
    });
    let stray: Vec<Html> = ["Idempotency-Key"]
        .into_iter()
        .filter_map(|f| {
            form.field_error(f).map(|m| {
                html! { <p class="field-error">{ format!("{}: {m}", display::humanize(f)) }</p> }
            })
        })
        .collect();
    html! {
        <main id="report-shortage-page" class="page narrow">
            <h1>{ "Report a shortage" }</h1>
            <p class="lead">
                { "Tell the pharmacy that an item is running out somewhere. They see it on the shortages board at once." }
            </p>
            <section class="card">
                <form id="report-shortage-form" class="stacked" {onsubmit} novalidate=true>
                    { for error }
                    { for stray }
                    <ItemPicker
                        prefix="report"
                        label="Item"
                        selected={form.values.item.clone()}
                        {onpick}
                        error={form.field_error("item_id")}
                    />
                    <SelectField
                        id="report-location"
                        label="Where"
                        value={form.values.location.clone()}
                        options={location_options(&all_locations, Some(("", "Choose a location")))}
                        onchange={setter(&form, |v, s| v.location = s)}
                        error={form.field_error("location_id")}
                    />
                    <SelectField
                        id="report-severity"
                        label="How urgent"
                        value={form.values.severity.clone()}
                        options={display::options(None, Severity::ALL)}
                        onchange={setter(&form, |v, s| v.severity = s)}
                        error={form.field_error("severity")}
                    />
                    <TextAreaField
                        id="report-note"
                        label="Note (optional)"
                        value={form.values.note.clone()}
                        oninput={setter(&form, |v, s| v.note = s)}
                        error={form.field_error("note")}
                        rows={3}
                    />
                    <div class="form-actions">
                        <button id="report-submit" type="submit" class="button primary" disabled={form.submitting}>
                            { if form.submitting { "Reporting…" } else { "Report shortage" } }
                        </button>
                    </div>
                </form>
            </section>
        </main>
    }
}
