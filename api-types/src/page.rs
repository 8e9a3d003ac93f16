//! Keyset pagination parameters shared by every list endpoint.

/// Default number of items per page when `limit` is not given.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// The largest `limit` any list endpoint accepts.
pub const MAX_PAGE_SIZE: i64 = 200;
