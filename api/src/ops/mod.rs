//! Operational endpoints: liveness and readiness.

pub mod health;

pub use health::configure;
