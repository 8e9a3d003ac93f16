//! The top bar: app name, the areas the signed-in role may use, the person's kept requests
//! (`#nav-pending`, while they have any), who is signed in, sign-out.

use std::rc::Rc;

use hms_api_types::ops::PendingStatus;
use hms_api_types::users::User;
use hms_api_types::Permission;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::app_link::AppLink;
use crate::components::degraded::{use_ops, OpsState};
use crate::session::use_session;

#[derive(Properties, PartialEq)]
struct NavLinkProps {
    id: AttrValue,
    to: Route,
    current: Option<Route>,
    children: Html,
}

/// A router link marked `aria-current="page"` when it is the page on screen.
#[component]
fn NavLink(props: &NavLinkProps) -> Html {
    let onclick = {
        let navigator = use_navigator();
        let to = props.to.clone();
        Callback::from(move |e: MouseEvent| {
            if e.meta_key() || e.ctrl_key() || e.shift_key() || e.alt_key() {
                return;
            }
            if let Some(navigator) = &navigator {
                e.prevent_default();
                navigator.push(&to);
            }
        })
    };
    let current = props.current.as_ref() == Some(&props.to);
    html! {
        <a
            id={props.id.clone()}
            href={props.to.to_path()}
            class={classes!("nav-link", current.then_some("active"))}
            aria-current={current.then_some("page")}
            {onclick}
        >
            { props.children.clone() }
        </a>
    }
}

#[derive(Properties, PartialEq)]
pub struct NavProps {
    /// The signed-in user (the bar is only shown to someone signed in).
    pub user: Rc<User>,
}

/// `<nav id="main-nav">` inside the top bar.
#[component]
pub fn Nav(props: &NavProps) -> Html {
    let session = use_session();
    let ops = use_ops();
    let current = use_route::<Route>();
    let signing_out = use_state(|| false);

    let onlogout = {
        let api = session.api().clone();
        let signing_out = signing_out.clone();
        Callback::from(move |_: MouseEvent| {
            signing_out.set(true);
            let api = api.clone();
            wasm_bindgen_futures::spawn_local(async move { api.logout().await });
        })
    };

    let user = &props.user;
    html! {
        <header class="topbar">
            <nav id="main-nav" aria-label="Main">
                <NavLink id="nav-brand" to={Route::Home} current={None::<Route>}>
                    <span class="brand">{ "HMS" }</span>
                </NavLink>
                <ul class="nav-links">
                    <li>
                        <NavLink id="nav-home" to={Route::Home} current={current.clone()}>
                            { "Home" }
                        </NavLink>
                    </li>
                    if user.role.can(Permission::ReadDemographics) {
                        <li>
                            <NavLink id="nav-patients" to={Route::Patients} current={current.clone()}>
                                { "Patients" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::ViewAppointments) {
                        <li>
                            <NavLink id="nav-appointments" to={Route::Appointments} current={current.clone()}>
                                { "Appointments" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::ReadOwnRecord) && user.patient_id.is_some() {
                        <li>
                            <NavLink id="nav-my-record" to={Route::MyRecord} current={current.clone()}>
                                { "My record" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::BookOwnAppointments) && user.patient_id.is_some() {
                        <li>
                            <NavLink id="nav-book" to={Route::Book} current={current.clone()}>
                                { "Book an appointment" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::ViewInventory) {
                        <li>
                            <NavLink id="nav-inventory" to={Route::Inventory} current={current.clone()}>
                                { "Inventory" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::ManageShortages) {
                        <li>
                            <NavLink id="nav-shortages" to={Route::Shortages} current={current.clone()}>
                                { "Shortages" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::ViewIncidents) {
                        <li>
                            <NavLink id="nav-incidents" to={Route::Incidents} current={current.clone()}>
                                { "Incidents" }
                            </NavLink>
                        </li>
                    }
                    <li>
                        <NavLink id="nav-status" to={Route::Status} current={current.clone()}>
                            { "Status" }
                        </NavLink>
                    </li>
                    if user.role.can(Permission::ManageUsers) {
                        <li>
                            <NavLink id="nav-users" to={Route::Users} current={current.clone()}>
                                { "Users" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::ManageIntegrations) {
                        <li>
                            <NavLink id="nav-integrations" to={Route::Integrations} current={current.clone()}>
                                { "Integrations" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::ViewOperations) {
                        <li>
                            <NavLink id="nav-operations" to={Route::Operations} current={current.clone()}>
                                { "Operations" }
                            </NavLink>
                        </li>
                    }
                    if user.role.can(Permission::ManageWebhooks) {
                        <li>
                            <NavLink id="nav-webhooks" to={Route::Webhooks} current={current.clone()}>
                                { "Webhooks" }
                            </NavLink>
                        </li>
                    }
                    <li>
                        <NavLink id="nav-account" to={Route::Account} current={current.clone()}>
                            { "My account" }
                        </NavLink>
                    </li>
                    { pending_link(ops.state(), current.clone()) }
                </ul>
                <div class="nav-user">
                    if user.role.can(Permission::ReportShortages) {
                        <AppLink
                            id="nav-report-shortage"
                            to={Route::ReportShortage}
                            classes="button secondary"
                            current={current == Some(Route::ReportShortage)}
                        >
                            { "Report a shortage" }
                        </AppLink>
                    }
                    <span id="nav-user-name">{ user.display_name.clone() }</span>
                    <span id="nav-user-role" class="role-badge">{ user.role.label() }</span>
                    <button
                        id="logout"
                        type="button"
                        class="button secondary"
                        disabled={*signing_out}
                        onclick={onlogout}
                    >
                        { if *signing_out { "Signing out…" } else { "Sign out" } }
                    </button>
                </div>
            </nav>
        </header>
    }
}

/// `#nav-pending`: the person's kept requests, with how many still wait for the database
/// (`#nav-pending-count`); shown while they have any kept request.
fn pending_link(state: &OpsState, current: Option<Route>) -> Html {
    let Some(list) = state.pending.as_deref().filter(|l| !l.is_empty()) else {
        return Html::default();
    };
    let waiting = state.pending_count();
    let failed = list.iter().any(|p| p.status == PendingStatus::Failed);
    html! {
        <li class={classes!("nav-pending", (waiting > 0).then_some("waiting"), failed.then_some("failed"))}>
            <NavLink id="nav-pending" to={Route::Pending} {current}>
                { "Pending" }
                if waiting > 0 {
                    <span
                        id="nav-pending-count"
                        class="count-badge"
                        aria-label={format!("{waiting} waiting for the database")}
                    >
                        { waiting }
                    </span>
                }
            </NavLink>
        </li>
    }
}
