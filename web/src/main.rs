//! HMS single-page app: a Yew front end that talks only to the public HMS API.

mod api;
mod app;
mod components;
mod display;
mod form;
mod pages;
mod session;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
