//! Pages for addresses that lead nowhere, or nowhere this role may go.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;

/// Shown for unknown addresses.
#[component]
pub fn NotFound() -> Html {
    html! {
        <main id="not-found" class="page narrow">
            <h1>{ "Page not found" }</h1>
            <p>{ "There is nothing at this address." }</p>
            <p><Link<Route> to={Route::Home}>{ "Go to the home page" }</Link<Route>></p>
        </main>
    }
}

/// Shown when the signed-in role may not use the page.
#[component]
pub fn Forbidden() -> Html {
    html! {
        <main id="forbidden" class="page narrow">
            <h1>{ "Not available for your role" }</h1>
            <p>{ "Your account does not have access to this page." }</p>
            <p><Link<Route> to={Route::Home}>{ "Go to the home page" }</Link<Route>></p>
        </main>
    }
}
