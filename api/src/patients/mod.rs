//! Patients: registration with a duplicate check, demographics, search, deactivation, the
//! summary, and the access log ("who viewed my record"). Every read and write of a patient's
//! data is audited in the same transaction.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod scope;
pub mod service;

pub use handlers::configure;
pub use scope::ForPatient;
