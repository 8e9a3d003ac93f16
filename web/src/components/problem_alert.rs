//! Shows why a call failed: the problem's message, or the network-error sentence.

use yew::prelude::*;

use crate::api::ApiError;

#[derive(Properties, PartialEq)]
pub struct ProblemAlertProps {
    /// Nothing is rendered while this is `None`.
    pub error: Option<ApiError>,
    /// An id for tests and `aria-describedby`.
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

/// `<div class="problem" role="alert">` with [`ApiError::message`].
#[component]
pub fn ProblemAlert(props: &ProblemAlertProps) -> Html {
    match &props.error {
        Some(error) => html! {
            <div class="problem" role="alert" id={props.id.clone()}>
                { error.message().to_owned() }
            </div>
        },
        None => Html::default(),
    }
}
