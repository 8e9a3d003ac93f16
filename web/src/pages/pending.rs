//! `/pending`: what the signed-in person sent while the database was unreachable (shortage
//! reports, appointment cancellations) and what became of it: waiting, saved (with a link to
//! the result when the app has a page for it) or refused (with why). Kept a week by the API.
//!
//! Element ids:
//! - `main#pending-page`, `#pending-error`, `#pending-loading`, `#pending-empty`
//! - `table#pending-table` with `tr.pending-row[data-id][data-kind][data-status]`; in a row
//!   `.pending-what`, `.pending-status`, `a.pending-result-link` (saved) and `.pending-problem`
//!   (refused)

use std::rc::Rc;

use hms_api_types::ops::{PendingKind, PendingStatus, PendingWrite};
use hms_api_types::users::User;
use hms_api_types::Permission;
use uuid::Uuid;
use yew::prelude::*;

use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::degraded::use_ops;
use crate::components::problem_alert::ProblemAlert;
use crate::display;

#[derive(Properties, PartialEq)]
pub struct PendingPageProps {
    pub user: Rc<User>,
}

/// `<main id="pending-page">`.
#[component]
pub fn PendingPage(props: &PendingPageProps) -> Html {
    let ops = use_ops();
    {
        let ops = ops.clone();
        use_effect_with((), move |_| ops.refresh_pending());
    }
    let state = ops.state();
    let list = state.pending.clone();
    let waiting = state.pending_count();
    html! {
        <main id="pending-page" class="page">
            <h1>{ "Kept requests" }</h1>
            <p class="lead">
                { "What you sent while the database could not be reached. Each request is kept on the server and saved exactly once when the database is back; this page follows what became of it." }
            </p>
            <ProblemAlert id="pending-error" error={state.pending_error.clone()} />
            if waiting > 0 {
                <p id="pending-waiting" class="muted" role="status">
                    { format!(
                        "{waiting} {} waiting for the database. This page updates by itself.",
                        if waiting == 1 { "request is" } else { "requests are" }
                    ) }
                </p>
            }
            {
                match list.as_deref().map(Vec::as_slice) {
                    None if state.pending_error.is_none() => html! {
                        <p id="pending-loading" class="loading" role="status">{ "Loading…" }</p>
                    },
                    None => Html::default(),
                    Some([]) => html! {
                        <p id="pending-empty" class="muted">
                            { "Nothing was kept for you: everything you sent was saved at once." }
                        </p>
                    },
                    Some(items) => html! {
                        <div class="table-wrap">
                            <table id="pending-table" class="table">
                                <thead>
                                    <tr>
                                        <th scope="col">{ "Request" }</th>
                                        <th scope="col">{ "Sent" }</th>
                                        <th scope="col">{ "Status" }</th>
                                        <th scope="col">{ "Result" }</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    { for items.iter().map(|p| row(p, &props.user)) }
                                </tbody>
                            </table>
                        </div>
                    },
                }
            }
        </main>
    }
}

fn status_name(status: PendingStatus) -> &'static str {
    match status {
        PendingStatus::Pending => "pending",
        PendingStatus::Applied => "applied",
        PendingStatus::Failed => "failed",
    }
}

fn kind_name(kind: PendingKind) -> &'static str {
    match kind {
        PendingKind::ShortageReport => "shortage_report",
        PendingKind::AppointmentCancellation => "appointment_cancellation",
    }
}

/// The request's own words: a shortage's severity and note, a cancellation's reason.
fn request_details(p: &PendingWrite) -> Option<String> {
    let text = |name: &str| {
        p.request
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let parts: Vec<String> = match p.kind {
        PendingKind::ShortageReport => [
            text("severity").map(|s| format!("Urgency: {}", display::humanize(&s).to_lowercase())),
            text("note").map(|n| format!("“{n}”")),
        ]
        .into_iter()
        .flatten()
        .collect(),
        PendingKind::AppointmentCancellation => text("reason")
            .map(|r| format!("Reason: “{r}”"))
            .into_iter()
            .collect(),
    };
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The page of the app that shows a written request's result (`location` is an API path).
fn result_route(location: &str, user: &User) -> Option<(Route, &'static str)> {
    if let Some(id) = location.strip_prefix("/api/v1/inventory/shortages/") {
        let id = Uuid::parse_str(id).ok()?;
        return user
            .role
            .can(Permission::ViewInventory)
            .then_some((Route::Shortage { id }, "See the shortage"));
    }
    if location.starts_with("/api/v1/appointments/") {
        if user.role.can(Permission::ViewAppointments) {
            return Some((Route::Appointments, "See the appointments"));
        }
        if user.patient_id.is_some() && user.role.can(Permission::BookOwnAppointments) {
            return Some((Route::Book, "See my appointments"));
        }
    }
    None
}

fn row(p: &PendingWrite, user: &User) -> Html {
    let status = status_name(p.status);
    let (badge, label) = match p.status {
        PendingStatus::Pending => ("status-pending", "Waiting for the database".to_owned()),
        PendingStatus::Applied => (
            "status-applied",
            match p.applied_at {
                Some(at) => format!("Saved {}", display::local_time(at)),
                None => "Saved".to_owned(),
            },
        ),
        PendingStatus::Failed => ("status-failed", "Refused".to_owned()),
    };
    let result = match p.status {
        PendingStatus::Pending => html! {
            <span class="muted">{ "It will be saved when the database is back." }</span>
        },
        PendingStatus::Applied => match p.location.as_deref().and_then(|l| result_route(l, user)) {
            Some((to, text)) => html! {
                <AppLink to={to} classes="pending-result-link">{ text }</AppLink>
            },
            None => html! { <span class="muted">{ "Saved." }</span> },
        },
        PendingStatus::Failed => html! {
            <span class="pending-problem">
                { p.problem.as_ref().map_or("The database refused it.", |problem| problem.message()).to_owned() }
            </span>
        },
    };
    html! {
        <tr
            key={p.id.to_string()}
            class={classes!("pending-row", status)}
            data-id={p.id.to_string()}
            data-kind={kind_name(p.kind)}
            data-status={status}
        >
            <td class="pending-what">
                <span class="pending-summary">{ p.summary.clone() }</span>
                if let Some(details) = request_details(p) {
                    <span class="pending-details muted">{ details }</span>
                }
            </td>
            <td class="pending-sent">{ display::local_time(p.accepted_at) }</td>
            <td class="pending-status">
                <span class={classes!("badge", badge)}>{ label }</span>
            </td>
            <td class="pending-result">{ result }</td>
        </tr>
    }
}
