//! One module per routed page.

pub mod account;
pub mod home;
pub mod login;
pub mod not_found;
pub mod users;
