//! User accounts: admin management (`/api/v1/users`) and one's own account (`/api/v1/me`).

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::{configure, configure_me};
