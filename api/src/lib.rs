//! HMS API server: the library behind the `hms` binary, also used by the integration and
//! end-to-end tests so that they run exactly the code that ships.
//!
//! Start reading at [`startup::Application`] (the server), [`routes`] (the URL map) and
//! [`error::ApiError`] (every failure). Domains live in one module each (`users`, ...), split into
//! `handlers` (HTTP only), `service` (rules and transactions), `repo` (SQL) and `model` (rows).

pub mod appointments;
pub mod audit;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod fhir;
pub mod http;
pub mod idempotency;
pub mod incidents;
pub mod integrations;
pub mod inventory;
pub mod journal;
pub mod openapi;
pub mod operations;
pub mod ops;
pub mod pagination;
pub mod patients;
pub mod records;
pub mod routes;
pub mod scheduling;
pub mod startup;
pub mod users;
pub mod validate;
pub mod webhooks;
