//! Inventory: the item catalogue, stock locations, lots with expiry, the append-only movement
//! ledger with the balances derived from it, stock views, and shortages as a workflow.

pub mod handlers;
pub mod repo;
pub mod service;

pub use handlers::configure;
