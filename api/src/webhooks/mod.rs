//! Webhooks: integration clients subscribe to HMS events and get them POSTed, signed, to their
//! URL.
//!
//! - [`emit`] writes an event into the outbox (`webhook_events`) and one delivery row per
//!   matching active subscription **in the caller's transaction**: a change that rolls back
//!   emits nothing, and a committed change is never lost.
//! - [`worker`] (one thread per API host) claims due deliveries with `FOR UPDATE SKIP LOCKED`
//!   and a lease, POSTs them without holding a database connection, and records the outcome;
//!   failures are retried with exponential backoff, then marked `failed`.
//! - `handlers`/`service`/`repo`: `/api/v1/webhooks/…` (subscriptions, the delivery log,
//!   ping, resend).
//!
//! Payloads carry ids and non-clinical fields only; the receiver fetches details with its own
//! scopes. Payloads and secrets are never logged.

pub mod events;
pub mod handlers;
pub mod repo;
pub mod service;
pub mod worker;

pub use events::{emit, Event};
pub use handlers::configure;
