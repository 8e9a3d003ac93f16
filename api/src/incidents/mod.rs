//! Incidents and the status page: the components' states (from the health checks, or an
//! administrator's override), incidents with their timeline and postmortem, and the watcher
//! that opens an incident by itself when the primary database becomes unreachable.
//!
//! The public page (`GET /api/v1/status/page`) never fails: the components' states come from
//! what this server knows right now (`DbState`), the incidents from whichever database answers
//! (the standby while the primary is gone), and when none does it still answers with the live
//! states and the outage in progress.

pub mod components;
pub mod handlers;
pub mod repo;
pub mod service;
pub mod watch;

pub use handlers::{configure, configure_status};
