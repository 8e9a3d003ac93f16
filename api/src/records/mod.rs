//! The medical record under `/api/v1/patients/{patient_id}`: allergies, conditions,
//! medications, vital signs, encounters with clinical notes, lab results, and the summary.
//!
//! Entries are never deleted: a wrong one is marked as entered in error (who, when, why) and
//! stays visible as such, also at its own URL (the `Location` it was created with). Every read
//! and write is audited in the patient's access log. An encounter embeds its newest 100 notes.

pub mod codes;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::configure;
