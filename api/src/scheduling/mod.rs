//! The scheduling directory: departments, practitioners, weekly working hours and leave, and
//! the free slots computed from them in the hospital's time zone.

pub mod handlers;
pub mod repo;
pub mod service;

pub use handlers::{configure_departments, configure_practitioners, configure_slots};
