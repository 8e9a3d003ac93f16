//! The HMS wire contract: every JSON body the API accepts or returns, shared by the server
//! (`hms-api`) and the SPA (`hms-web`) so that both compile against the same definitions.
//!
//! Only serde (and, behind the `openapi` feature, utoipa) derives live here: no database or HTTP
//! framework types, so the crate builds for `wasm32-unknown-unknown`.

pub mod access;
pub mod appointments;
pub mod auth;
pub mod incidents;
pub mod integrations;
pub mod inventory;
pub mod operations;
pub mod ops;
pub mod page;
pub mod patients;
pub mod problem;
pub mod records;
pub mod serde_object;
pub mod users;
pub mod webhooks;

pub use access::{Permission, Role, Scope, ScopeSet};
pub use problem::{FieldError, Problem};
