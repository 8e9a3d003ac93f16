//! The landing page after sign-in: what this role works on, and the areas it can open today.

use std::rc::Rc;

use hms_api_types::users::User;
use hms_api_types::{Permission, Role};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::pages::inventory::OpenShortagesPanel;

/// The heading of the home page for each role.
pub fn home_title(role: Role) -> &'static str {
    match role {
        Role::Admin => "Administration",
        Role::Doctor => "Clinical workspace",
        Role::Nurse => "Nursing workspace",
        Role::Receptionist => "Front desk",
        Role::Pharmacist => "Pharmacy and stock",
        Role::Patient => "My health",
        // Integration clients never sign in to the web app (no password).
        Role::Integration => "Integration client",
    }
}

#[derive(Properties, PartialEq)]
pub struct HomePageProps {
    pub user: Rc<User>,
}

/// `<main id="home" data-role="…">` with one card per available area.
#[component]
pub fn HomePage(props: &HomePageProps) -> Html {
    let user = &props.user;
    let role = user.role;
    html! {
        <main id="home" class="page" data-role={role.as_str()}>
            <h1 id="home-title">{ home_title(role) }</h1>
            <p id="home-signed-in" class="lead">
                { format!("Signed in as {} ({})", user.display_name, role.label()) }
            </p>
            if role.can(Permission::ManageShortages) {
                <OpenShortagesPanel />
            }
            <ul class="cards" aria-label="Areas">
                if role.can(Permission::ReadDemographics) {
                    <li class="card" id="card-patients">
                        <h2><Link<Route> to={Route::Patients}>{ "Patients" }</Link<Route>></h2>
                        <p>
                            { if role.can(Permission::RegisterPatients) {
                                "Find patients by name or MRN, register new patients and open their charts."
                            } else {
                                "Find patients by name or MRN and open their charts."
                            } }
                        </p>
                    </li>
                }
                if role.can(Permission::ViewAppointments) {
                    <li class="card" id="card-appointments">
                        <h2><Link<Route> to={Route::Appointments}>{ "Appointments" }</Link<Route>></h2>
                        <p>
                            { if role.can(Permission::BookAppointments) {
                                "The day and week calendar of each department: book free slots, check patients in, cancel and follow every visit."
                            } else {
                                "The day and week calendar of each department: check patients in, start and complete visits."
                            } }
                        </p>
                    </li>
                }
                if role.can(Permission::ReadOwnRecord) && user.patient_id.is_some() {
                    <li class="card" id="card-my-record">
                        <h2><Link<Route> to={Route::MyRecord}>{ "My record" }</Link<Route>></h2>
                        <p>{ "Your allergies, conditions, medications, vital signs, visits and lab results, and who viewed your record." }</p>
                    </li>
                }
                if role.can(Permission::BookOwnAppointments) && user.patient_id.is_some() {
                    <li class="card" id="card-book">
                        <h2><Link<Route> to={Route::Book}>{ "Book an appointment" }</Link<Route>></h2>
                        <p>{ "Find a free time in a department, book it, and see or cancel your appointments." }</p>
                    </li>
                }
                if role.can(Permission::ViewInventory) {
                    <li class="card" id="card-inventory">
                        <h2><Link<Route> to={Route::Inventory}>{ "Inventory" }</Link<Route>></h2>
                        <p>
                            { if role.can(Permission::MoveStock) {
                                "Items and their stock per location, lots and expiry: receive, dispense, transfer, count and write off stock."
                            } else if role.can(Permission::DispenseStock) {
                                "Items and their stock per location, lots and expiry; dispense stock."
                            } else {
                                "Items and their stock per location, lots and expiry."
                            } }
                        </p>
                    </li>
                    <li class="card" id="card-shortages">
                        <h2><Link<Route> to={Route::Shortages}>{ "Shortages" }</Link<Route>></h2>
                        <p>
                            { if role.can(Permission::ManageShortages) {
                                "The shortages board: acknowledge, order, resolve or dismiss what is running out."
                            } else {
                                "What is running out and what the pharmacy is doing about it; report a shortage from the top bar."
                            } }
                        </p>
                    </li>
                }
                if role.can(Permission::ManageUsers) {
                    <li class="card" id="card-users">
                        <h2><Link<Route> to={Route::Users}>{ "Users" }</Link<Route>></h2>
                        <p>{ "Create accounts, change roles, and deactivate accounts that should no longer sign in." }</p>
                    </li>
                }
                <li class="card" id="card-account">
                    <h2><Link<Route> to={Route::Account}>{ "My account" }</Link<Route>></h2>
                    <p>{ "See your account details and change your password." }</p>
                </li>
                if role.is_staff() {
                    <li class="card" id="card-api-docs">
                        <h2><a href="/swagger-ui/">{ "API documentation" }</a></h2>
                        <p>{ "The interactive reference of the HMS REST API, for integrations and troubleshooting." }</p>
                    </li>
                }
            </ul>
        </main>
    }
}
