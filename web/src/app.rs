//! Routes, the access guard in front of them, and the page layout.

use std::rc::Rc;

use hms_api_types::users::User;
use hms_api_types::Permission;
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::degraded::{DegradedBanner, StatusProvider};
use crate::components::nav::Nav;
use crate::pages::account::AccountPage;
use crate::pages::appointments::AppointmentsPage;
use crate::pages::book::BookPage;
use crate::pages::chart::{ChartPage, ChartTab};
use crate::pages::home::HomePage;
use crate::pages::incidents::{IncidentPage, IncidentsPage};
use crate::pages::integrations::IntegrationsPage;
use crate::pages::inventory::{
    InventoryPage, ItemPage, ReportShortagePage, ShortagePage, ShortagesPage,
};
use crate::pages::login::LoginPage;
use crate::pages::not_found::{Forbidden, NotFound};
use crate::pages::operations::OperationsPage;
use crate::pages::patients::PatientsPage;
use crate::pages::pending::PendingPage;
use crate::pages::register::RegisterPage;
use crate::pages::status::PublicStatusPage;
use crate::pages::users::UsersPage;
use crate::pages::webhooks::WebhooksPage;
use crate::session::{use_session, Phase, SessionProvider};

/// Every page of the app.
#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/login")]
    Login,
    #[at("/users")]
    Users,
    /// API clients (administrators).
    #[at("/integrations")]
    Integrations,
    #[at("/account")]
    Account,
    #[at("/patients")]
    Patients,
    #[at("/patients/new")]
    RegisterPatient,
    /// A patient's chart, on its default tab.
    #[at("/patients/:id")]
    Chart { id: Uuid },
    #[at("/patients/:id/:tab")]
    ChartTab { id: Uuid, tab: ChartTab },
    /// A patient account's own record.
    #[at("/my-record")]
    MyRecord,
    #[at("/my-record/:tab")]
    MyRecordTab { tab: ChartTab },
    /// The staff calendar and appointment list.
    #[at("/appointments")]
    Appointments,
    /// A patient account books and cancels its own appointments.
    #[at("/book")]
    Book,
    /// Items and their stock.
    #[at("/inventory")]
    Inventory,
    #[at("/inventory/items/:id")]
    InventoryItem { id: Uuid },
    /// The shortages board.
    #[at("/inventory/shortages")]
    Shortages,
    #[at("/inventory/shortages/new")]
    ReportShortage,
    #[at("/inventory/shortages/:id")]
    Shortage { id: Uuid },
    /// The signed-in person's requests kept while the database was unreachable.
    #[at("/pending")]
    Pending,
    /// The public status page (no sign-in needed).
    #[at("/status")]
    Status,
    /// Incidents: the list, overrides and declaring (administrators).
    #[at("/incidents")]
    Incidents,
    #[at("/incidents/:id")]
    Incident { id: Uuid },
    /// Backups with their restore tests, and maintenance runs (administrators).
    #[at("/operations")]
    Operations,
    /// Webhook subscriptions and their delivery log (administrators).
    #[at("/webhooks")]
    Webhooks,
    #[not_found]
    #[at("/404")]
    NotFound,
}

#[derive(Properties, PartialEq)]
struct GoToProps {
    to: Route,
}

/// Replaces the current history entry with `to` (so "back" does not bounce through a guard).
#[component]
fn GoTo(props: &GoToProps) -> Html {
    let navigator = use_navigator();
    use_effect_with(props.to.clone(), move |to| {
        if let Some(navigator) = navigator {
            navigator.replace(to);
        }
    });
    Html::default()
}

/// What `route` shows to `user` (`None`: nobody signed in).
fn switch(route: Route, user: Option<Rc<User>>) -> Html {
    match (route, user) {
        (Route::Login, None) => html! { <LoginPage /> },
        (Route::Status, _) => html! { <PublicStatusPage /> },
        (Route::Login, Some(_)) => html! { <GoTo to={Route::Home} /> },
        (_, None) => html! { <GoTo to={Route::Login} /> },
        (Route::Home, Some(user)) => html! { <HomePage {user} /> },
        (Route::Users, Some(user)) if user.role.can(Permission::ManageUsers) => {
            html! { <UsersPage /> }
        }
        (Route::Users, Some(_)) => html! { <Forbidden /> },
        (Route::Integrations, Some(user)) if user.role.can(Permission::ManageIntegrations) => {
            html! { <IntegrationsPage /> }
        }
        (Route::Integrations, Some(_)) => html! { <Forbidden /> },
        (Route::Account, Some(user)) => html! { <AccountPage {user} /> },
        (Route::Patients, Some(user)) if user.role.can(Permission::ReadDemographics) => {
            html! { <PatientsPage {user} /> }
        }
        (Route::RegisterPatient, Some(user)) if user.role.can(Permission::RegisterPatients) => {
            html! { <RegisterPage /> }
        }
        (Route::Patients | Route::RegisterPatient, Some(_)) => html! { <Forbidden /> },
        (Route::Chart { id }, Some(user)) => chart(user, id, None),
        (Route::ChartTab { id, tab }, Some(user)) => chart(user, id, Some(tab)),
        (Route::MyRecord, Some(user)) => my_record(user, None),
        (Route::MyRecordTab { tab }, Some(user)) => my_record(user, Some(tab)),
        (Route::Appointments, Some(user)) if user.role.can(Permission::ViewAppointments) => {
            html! { <AppointmentsPage {user} /> }
        }
        (Route::Appointments, Some(_)) => html! { <Forbidden /> },
        (Route::Book, Some(user)) => match user.patient_id {
            Some(patient_id) if user.role.can(Permission::BookOwnAppointments) => {
                html! { <BookPage {patient_id} /> }
            }
            _ => html! { <Forbidden /> },
        },
        (Route::Inventory, Some(user)) if user.role.can(Permission::ViewInventory) => {
            html! { <InventoryPage {user} /> }
        }
        (Route::InventoryItem { id }, Some(user)) if user.role.can(Permission::ViewInventory) => {
            html! { <ItemPage key={id.to_string()} item_id={id} {user} /> }
        }
        (Route::Shortages, Some(user)) if user.role.can(Permission::ViewInventory) => {
            html! { <ShortagesPage {user} /> }
        }
        (Route::Shortage { id }, Some(user)) if user.role.can(Permission::ViewInventory) => {
            html! { <ShortagePage key={id.to_string()} shortage_id={id} {user} /> }
        }
        (Route::ReportShortage, Some(user)) if user.role.can(Permission::ReportShortages) => {
            html! { <ReportShortagePage /> }
        }
        (
            Route::Inventory
            | Route::InventoryItem { .. }
            | Route::Shortages
            | Route::Shortage { .. }
            | Route::ReportShortage,
            Some(_),
        ) => html! { <Forbidden /> },
        (Route::Pending, Some(user)) => html! { <PendingPage {user} /> },
        (Route::Incidents, Some(user)) if user.role.can(Permission::ViewIncidents) => {
            html! { <IncidentsPage {user} /> }
        }
        (Route::Incident { id }, Some(user)) if user.role.can(Permission::ViewIncidents) => {
            html! { <IncidentPage key={id.to_string()} incident_id={id} {user} /> }
        }
        (Route::Incidents | Route::Incident { .. }, Some(_)) => html! { <Forbidden /> },
        (Route::Operations, Some(user)) if user.role.can(Permission::ViewOperations) => {
            html! { <OperationsPage /> }
        }
        (Route::Operations, Some(_)) => html! { <Forbidden /> },
        (Route::Webhooks, Some(user)) if user.role.can(Permission::ManageWebhooks) => {
            html! { <WebhooksPage /> }
        }
        (Route::Webhooks, Some(_)) => html! { <Forbidden /> },
        (Route::NotFound, Some(_)) => html! { <NotFound /> },
    }
}

/// A patient's chart for staff; a patient account opening its own record goes to `/my-record`.
fn chart(user: Rc<User>, id: Uuid, tab: Option<ChartTab>) -> Html {
    if user.patient_id == Some(id) {
        let to = tab.map_or(Route::MyRecord, |tab| Route::MyRecordTab { tab });
        return html! { <GoTo {to} /> };
    }
    if !user.role.can(Permission::ReadDemographics) {
        return html! { <Forbidden /> };
    }
    html! { <ChartPage key={id.to_string()} patient_id={id} {tab} {user} /> }
}

/// The signed-in patient's own record, read-only.
fn my_record(user: Rc<User>, tab: Option<ChartTab>) -> Html {
    match user.patient_id {
        Some(id) if user.role.can(Permission::ReadOwnRecord) => {
            html! { <ChartPage key={id.to_string()} patient_id={id} {tab} {user} own=true /> }
        }
        _ => html! { <Forbidden /> },
    }
}

/// The notice left by the end of a session ("Password changed; sign in again").
#[component]
fn SessionNotice() -> Html {
    let session = use_session();
    let Some(notice) = session.notice() else {
        return Html::default();
    };
    let ondismiss = Callback::from(move |_: MouseEvent| session.dismiss_notice());
    html! {
        <div id="session-notice" class="banner" role="status">
            <span>{ notice }</span>
            <button type="button" class="banner-close" aria-label="Dismiss" onclick={ondismiss}>
                { "×" }
            </button>
        </div>
    }
}

/// The page frame: top bar, banner area and the routed page.
#[component]
fn Layout() -> Html {
    let session = use_session();
    if *session.phase() == Phase::Restoring {
        return html! {
            <>
                <DegradedBanner />
                <p id="app-loading" class="loading" role="status">{ "Loading…" }</p>
            </>
        };
    }
    let user = session.user();
    let render = {
        let user = user.clone();
        Callback::from(move |route| switch(route, user.clone()))
    };
    html! {
        <>
            <a class="skip-link" href="#content">{ "Skip to main content" }</a>
            if let Some(user) = user {
                <Nav {user} />
            }
            <div id="content" class="content">
                <div id="banner" class="banner-area">
                    <DegradedBanner />
                    <SessionNotice />
                </div>
                <Switch<Route> {render} />
            </div>
        </>
    }
}

/// The root component.
#[component]
pub fn App() -> Html {
    html! {
        <BrowserRouter>
            <SessionProvider>
                <StatusProvider>
                    <Layout />
                </StatusProvider>
            </SessionProvider>
        </BrowserRouter>
    }
}
