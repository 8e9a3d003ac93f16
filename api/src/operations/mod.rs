//! Operations: backups with pgBackRest, their verification by restoring, point-in-time
//! restores and database maintenance (the `hms backup | backup verify | restore | maintenance`
//! commands), the records of every run, and the administrators' API over them
//! (`/api/v1/operations/...`). See docs/backups.md.

pub mod backup;
pub mod handlers;
pub mod maintenance;
pub mod pgbackrest;
pub mod repo;
pub mod service;

pub use handlers::configure;
