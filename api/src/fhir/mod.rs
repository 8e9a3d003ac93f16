//! A read-only FHIR R4 (4.0.1) API under `/fhir/R4`: Patient, Appointment, AllergyIntolerance,
//! Condition, MedicationStatement and Observation (vital signs), read by id and searched, plus
//! the public `metadata` CapabilityStatement.
//!
//! Handlers are thin: they call the same service functions as the REST API, through
//! `db::read`, so the same role checks, the same audit rows (the patient's access log) and the
//! same standby reads apply. `mapping.rs` turns the domain types into the resources of
//! `model.rs`; `search.rs` parses search parameters and builds Bundles; `outcome.rs` turns every
//! error of the scope into an OperationOutcome.

pub mod capability;
pub mod doc;
pub mod handlers;
pub mod mapping;
pub mod model;
pub mod outcome;
pub mod search;

pub use handlers::configure;

/// The media type of every FHIR answer.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";
