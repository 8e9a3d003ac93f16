//! Shows why a call failed: the problem's message, or the network-error sentence. A change
//! refused because the database cannot be reached ([`ApiError::saving_paused`]) also gets a
//! "Try again" button that sends the form again (its values are kept).

use web_sys::Element;
use yew::prelude::*;

use crate::api::ApiError;

#[derive(Properties, PartialEq)]
pub struct ProblemAlertProps {
    /// Nothing is rendered while this is `None`.
    pub error: Option<ApiError>,
    /// An id for tests and `aria-describedby`.
    #[prop_or_default]
    pub id: Option<AttrValue>,
    /// What "Try again" does when the alert is not inside the form it is about.
    #[prop_or_default]
    pub onretry: Option<Callback<()>>,
}

/// `<div class="problem" role="alert">` with [`ApiError::message`].
#[component]
pub fn ProblemAlert(props: &ProblemAlertProps) -> Html {
    match &props.error {
        Some(error) => html! {
            <div
                class={classes!("problem", error.saving_paused().then_some("saving-paused"))}
                role="alert"
                id={props.id.clone()}
            >
                <span class="problem-text">{ error.message().to_owned() }</span>
                if error.saving_paused() {
                    <RetryButton onretry={props.onretry.clone()} />
                }
            </div>
        },
        None => Html::default(),
    }
}

#[derive(Properties, PartialEq)]
pub struct RetryButtonProps {
    /// Called on click; without it the button submits the form it is in (and is not shown
    /// outside a form).
    #[prop_or_default]
    pub onretry: Option<Callback<()>>,
}

/// `<button class="retry-save">Try again</button>`: sends the enclosing form again, with the
/// values (and the `Idempotency-Key`) it had.
#[component]
pub fn RetryButton(props: &RetryButtonProps) -> Html {
    let node = use_node_ref();
    let in_form = use_state(|| false);
    {
        let (node, in_form) = (node.clone(), in_form.clone());
        use_effect_with((), move |_| {
            let found = node
                .cast::<Element>()
                .and_then(|e| e.closest("form").ok().flatten())
                .is_some();
            in_form.set(found);
        });
    }
    let button = match &props.onretry {
        Some(onretry) => {
            let onretry = onretry.clone();
            html! {
                <button
                    type="button"
                    class="button small primary retry-save"
                    onclick={Callback::from(move |_: MouseEvent| onretry.emit(()))}
                >
                    { "Try again" }
                </button>
            }
        }
        None if *in_form => html! {
            <button type="submit" class="button small primary retry-save">{ "Try again" }</button>
        },
        None => Html::default(),
    };
    html! { <span ref={node} class="retry-slot">{ button }</span> }
}
