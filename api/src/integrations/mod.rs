//! API clients (integrations): third-party systems calling the API with OAuth 2.0 client
//! credentials (`POST /api/v1/auth/token`), administered under `/api/v1/integrations/clients`.
//!
//! A client acts as its service account (a `users` row with role `integration` that can never
//! sign in with a password), so the rows it writes and the audit events it causes name it. Its
//! rights are its scopes, mapped to permissions by the table in `hms_api_types::access`.
//! [`registry::ClientRegistry`] keeps every client's state (active, tokens valid after, rate
//! limit, scopes) in memory, so checking a client token needs no database query.

pub mod handlers;
pub mod model;
pub mod registry;
pub mod repo;
pub mod service;

pub use handlers::{configure, configure_token};
