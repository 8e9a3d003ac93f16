//! The API's integration tests: one binary (one link step), one throwaway PostgreSQL cluster
//! per run, one fresh database per test cloned from a migrated template, and a real HTTP server
//! on a free port per test.

mod helpers;

mod access;
mod appointments;
mod auth;
mod clients;
mod errors;
mod fhir;
mod idempotency;
mod incidents;
mod inventory;
mod ops;
mod patients;
mod records;
mod resilience;
mod users;
mod webhooks;
