//! Operational endpoints: liveness, readiness and the system status.

pub mod health;
pub mod metrics;
pub mod status;

pub use health::configure;
