//! The Operations page: an administrator sees the backups with the result of their restore
//! tests, and the maintenance runs with their reports.

use chrono::{Duration, Utc};
use hms_api::demo::DEMO_PASSWORD;
use hms_api::operations::service::{self, RunRecord};
use hms_api_types::operations::{
    BackupRunKind, MaintenanceReport, MaintenanceResult, RunResult, TableCount,
};

use crate::{start_api, Browser};

#[actix_rt::test]
async fn an_administrator_sees_backups_with_their_restore_tests_and_maintenance_runs() {
    let api = start_api();
    {
        let mut conn = api.pool.get().expect("db");
        let at = Utc::now() - Duration::hours(3);
        let counts = [TableCount {
            table: "patients".into(),
            expected: Some(320),
            found: None,
        }];
        let run = |kind, minutes: i64, result, detail: &str, found: Option<i64>| RunRecord {
            kind,
            started_at: at + Duration::minutes(minutes),
            finished_at: at + Duration::minutes(minutes + 1),
            result,
            backup_label: Some("20261126-010000F".into()),
            restore_point: Some("hms-20261126-010000F".into()),
            database_name: Some("hms".into()),
            size_bytes: Some(46_000_000),
            repository_bytes: Some(7_500_000),
            row_counts: counts
                .iter()
                .map(|c| TableCount { found, ..c.clone() })
                .collect(),
            steps: Vec::new(),
            detail: detail.into(),
        };
        service::record_backup_run(
            &mut conn,
            run(BackupRunKind::Backup, 0, RunResult::Ok, "full backup", None),
        )
        .expect("backup");
        service::record_backup_run(
            &mut conn,
            run(
                BackupRunKind::Verify,
                10,
                RunResult::Ok,
                "restored and checked",
                Some(320),
            ),
        )
        .expect("verify");
        let report = MaintenanceReport {
            problems: vec!["index public.x_idx on public.x is invalid".into()],
            ..MaintenanceReport::default()
        };
        service::record_maintenance_run(
            &mut conn,
            at,
            at + Duration::seconds(2),
            MaintenanceResult::ProblemsFound,
            "index public.x_idx on public.x is invalid".into(),
            &report,
        )
        .expect("maintenance");
    }
    let browser = Browser::open().await;

    browser
        .sign_in(&api.base, "admin@demo.hms", DEMO_PASSWORD)
        .await;
    browser.click("#nav-operations").await;

    browser
        .wait_for_text("#operations-summary", "20261126-010000F")
        .await;
    browser
        .wait_for_text(
            "tr.backup-run[data-kind='backup'][data-result='ok'] .run-verification",
            "Restore test passed",
        )
        .await;
    browser
        .wait_for_text("tr.backup-run[data-kind='verify']", "restored and checked")
        .await;
    browser
        .wait_for_text(
            "tr.maintenance-run[data-result='problems_found']",
            "is invalid",
        )
        .await;
    browser.close().await;
}
