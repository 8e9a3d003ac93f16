//! One module per routed page (and the forms they share).

pub mod account;
pub mod appointments;
pub mod book;
pub mod chart;
pub mod home;
pub mod incidents;
pub mod integrations;
pub mod inventory;
pub mod login;
pub mod not_found;
pub mod operations;
pub mod patient_form;
pub mod patients;
pub mod pending;
pub mod register;
pub mod status;
pub mod users;
pub mod webhooks;
