//! Backups, their restore tests and maintenance runs (`/operations`), for administrators.

use gloo_net::http::Method;
use hms_api_types::operations::{BackupRunPage, MaintenanceRunPage};

use super::{Api, ApiError, Call};

/// Runs per page on the Operations page.
const PAGE_SIZE: i64 = 20;

impl Api {
    /// Backups, verifications and restores, newest first, after `cursor` when given.
    pub async fn list_backup_runs(&self, cursor: Option<&str>) -> Result<BackupRunPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/operations/backups");
        call.query.push(("limit", PAGE_SIZE.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }

    /// Maintenance runs with their reports, newest first, after `cursor` when given.
    pub async fn list_maintenance_runs(
        &self,
        cursor: Option<&str>,
    ) -> Result<MaintenanceRunPage, ApiError> {
        let mut call = Call::new(Method::GET, "/api/v1/operations/maintenance");
        call.query.push(("limit", PAGE_SIZE.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        self.fetch_json(call).await
    }
}
