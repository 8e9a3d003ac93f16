//! Appointments: booking that can never double-book (the database's exclusion constraints are
//! the last word), rescheduling, cancellation, the audited status workflow with reverts, and
//! browsing by day, practitioner, department, patient and status.

pub mod handlers;
pub mod repo;
pub mod service;

pub use handlers::configure;
