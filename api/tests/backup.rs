//! Backups proven by restoring, and corruption caught instead of served.
//!
//! Each test runs its own PostgreSQL (one stops and damages its cluster; the other archives
//! WAL into a pgBackRest repository), so this is a binary of its own. Needs `pgbackrest`
//! (`cargo xtask setup`, or `.ci/run`).

/// Writes straight to the process's stderr: the test harness captures `eprintln!` of passing
/// tests, and these figures must show in the test command's output.
macro_rules! report {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

use std::io;
use std::net::TcpListener;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz, Uuid as SqlUuid};
use hms_api::auth::JwtKeys;
use hms_api::config::{BackupSettings, Settings};
use hms_api::operations::pgbackrest::BackupType;
use hms_api::operations::{backup, maintenance, service};
use hms_api::startup::Application;
use hms_api::{db, demo};
use hms_api_types::operations::{BackupRunKind, MaintenanceResult, RunResult};
use hms_api_types::Role;
use pg_harness::Cluster;
use serde_json::Value;
use uuid::Uuid;

const SECRET: &str = "backup-test-secret-backup-test-secret";

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Allergy {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    substance: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn connect(url: &str) -> PgConnection {
    PgConnection::establish(url).unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

fn allergies(conn: &mut PgConnection) -> Vec<(Uuid, String)> {
    diesel::sql_query("SELECT id, substance FROM allergies ORDER BY id")
        .load::<Allergy>(conn)
        .expect("allergies")
        .into_iter()
        .map(|a| (a.id, a.substance))
        .collect()
}

fn patients_named(conn: &mut PgConnection, family: &str) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM patients WHERE family_name = $1")
        .bind::<Text, _>(family)
        .get_result::<Count>(conn)
        .expect("count")
        .n
}

fn add_patient(conn: &mut PgConnection, family: &str) {
    diesel::sql_query(
        "INSERT INTO patients (given_name, family_name, birth_date, sex)
         VALUES ('Marker', $1, DATE '1970-01-01', 'female')",
    )
    .bind::<Text, _>(family)
    .execute(conn)
    .expect("insert marker patient");
}

#[test]
fn a_restore_to_just_before_a_destructive_mistake_brings_back_exactly_what_was_there() {
    let started = Instant::now();
    let cluster = Cluster::throwaway_with_archive().expect("cluster with WAL archiving");
    cluster.create_database("hms", None).expect("createdb");
    let url = cluster.url("hms");
    let mut conn = connect(&url);
    db::migrate(&mut conn).expect("migrate");
    demo::seed(&mut conn).expect("demo data");
    let archive = cluster.archive().expect("archiving is on");
    let settings = BackupSettings::for_config(&archive.config, &archive.stanza);
    report!(
        "cluster, migrations and demo data: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A backup, proven by restoring it.
    let t = Instant::now();
    let taken = backup::take(&mut conn, &settings, BackupType::Full).expect("record backup");
    let backup_took = t.elapsed();
    assert_eq!(taken.result, RunResult::Ok, "backup: {}", taken.detail);
    assert_eq!(taken.row_counts.len(), service::COUNTED_TABLES.len());
    assert!(taken.row_counts.iter().all(|c| c.expected.is_some()));
    let t = Instant::now();
    let verified = backup::verify(&mut conn, &settings, None).expect("record verification");
    let verify_took = t.elapsed();
    assert_eq!(
        verified.result,
        RunResult::Ok,
        "verify: {}",
        verified.detail
    );
    assert_eq!(verified.backup_label, taken.backup_label);
    assert!(verified
        .row_counts
        .iter()
        .all(|c| c.found.is_some() && c.found == c.expected));
    assert!(verified
        .steps
        .iter()
        .any(|s| s.name.starts_with("pg_amcheck") && s.ok));

    // The records say so: the backup carries its verification.
    let page = service::list_backups(&mut conn, None, None).expect("list");
    let listed = page
        .items
        .iter()
        .find(|r| r.kind == BackupRunKind::Backup)
        .expect("the backup is listed");
    assert_eq!(
        listed.verification.as_ref().map(|v| v.result),
        Some(RunResult::Ok)
    );

    // Work goes on after the backup, then someone destroys a table.
    add_patient(&mut conn, "Before-Mistake");
    let expected_counts = service::count_tables(&mut conn).expect("counts");
    let expected_allergies = allergies(&mut conn);
    assert!(!expected_allergies.is_empty());
    let target = diesel::sql_query("SELECT clock_timestamp() AS now")
        .get_result::<Now>(&mut conn)
        .expect("now")
        .now;
    std::thread::sleep(Duration::from_millis(50));
    diesel::sql_query("DELETE FROM allergies")
        .execute(&mut conn)
        .expect("the mistake");
    add_patient(&mut conn, "After-Mistake");
    assert!(allergies(&mut conn).is_empty());

    // Restore to just before the mistake, into a new data directory, and start the copy.
    let t = Instant::now();
    let mut restore_took = Duration::ZERO;
    let restored = Cluster::throwaway_from(None, Duration::from_secs(120), |data| {
        let r = backup::restore(Some(&mut conn), &settings, target, data)
            .map_err(|e| io::Error::other(format!("{e:#}")))?;
        restore_took = r.took;
        report!("{}", r.instructions);
        Ok(())
    })
    .expect("restore and start the copy");
    let start_took = t.elapsed() - restore_took;
    let mut copy = connect(&restored.url("hms"));

    assert_eq!(patients_named(&mut copy, "Before-Mistake"), 1);
    assert_eq!(patients_named(&mut copy, "After-Mistake"), 0);
    assert_eq!(allergies(&mut copy), expected_allergies);
    assert_eq!(
        service::count_tables(&mut copy).expect("counts"),
        expected_counts
    );
    let recorded = service::list_backups(&mut conn, None, None).expect("list");
    assert_eq!(recorded.items[0].kind, BackupRunKind::Restore);
    assert_eq!(recorded.items[0].result, RunResult::Ok);

    report!(
        "backup {:.1} s ({}), verify by restoring {:.1} s, point-in-time restore {:.1} s + \
         start/replay/promote {:.1} s; whole test {:.1} s",
        backup_took.as_secs_f64(),
        taken.detail,
        verify_took.as_secs_f64(),
        restore_took.as_secs_f64(),
        start_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for s in taken.steps.iter().chain(&verified.steps) {
        report!("  {:<50} {:>6} ms", s.name, s.duration_ms);
    }
}

/// A real server on `url`, with an admin and a doctor token.
struct Server {
    base: String,
    http: awc::Client,
    admin: String,
    doctor: String,
}

impl Server {
    fn start(url: &str, conn: &mut PgConnection) -> Server {
        let settings = Settings::for_database(url, SECRET);
        let pool = db::build_pool(&settings);
        let keys = JwtKeys::new(SECRET.as_bytes(), settings.access_token_ttl);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let app = Application::build_with(settings, pool, listener).expect("app");
        let base = format!("http://127.0.0.1:{}", app.port());
        actix_rt::spawn(app.run_until_stopped());
        let mut token = |role: Role| {
            let id = user(conn, role);
            keys.issue(id, role, None).expect("token")
        };
        Server {
            base,
            http: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish(),
            admin: token(Role::Admin),
            doctor: token(Role::Doctor),
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, String, String) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res = req.send().await.expect("request");
        let body = res.body().limit(1 << 22).await.expect("body");
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            res.status().as_u16(),
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }
}

fn user(conn: &mut PgConnection, role: Role) -> Uuid {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    diesel::sql_query(
        "INSERT INTO users (email, display_name, role, password_hash)
         VALUES ($1, 'Test user', $2, 'not-a-hash') RETURNING id",
    )
    .bind::<Text, _>(format!("{}-{}@test.hms", role.as_str(), Uuid::new_v4()))
    .bind::<Text, _>(role.as_str())
    .get_result::<Id>(conn)
    .expect("user")
    .id
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[actix_rt::test]
async fn a_damaged_page_is_reported_by_metrics_readiness_and_maintenance_instead_of_being_served() {
    let started = Instant::now();
    let mut cluster = Cluster::throwaway().expect("cluster");
    cluster.create_database("hms", None).expect("createdb");
    let url = cluster.url("hms");
    let mut conn = connect(&url);
    db::migrate(&mut conn).expect("migrate");
    let server = Server::start(&url, &mut conn);

    // A patient with enough allergies to fill a few pages; the victim lives in one of them.
    let nurse = user(&mut conn, Role::Nurse);
    add_patient(&mut conn, "Damaged");
    diesel::sql_query(
        "INSERT INTO allergies (patient_id, substance, severity, status, recorded_by, note)
         SELECT (SELECT id FROM patients WHERE family_name = 'Damaged'),
                'substance-' || g, 'severe', 'active', $1, repeat('n', 200)
         FROM generate_series(1, 200) g",
    )
    .bind::<SqlUuid, _>(nurse)
    .execute(&mut conn)
    .expect("allergies");
    #[derive(QueryableByName)]
    struct Victim {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = SqlUuid)]
        patient_id: Uuid,
        #[diesel(sql_type = Text)]
        substance: String,
        #[diesel(sql_type = BigInt)]
        block: i64,
        #[diesel(sql_type = Text)]
        file: String,
    }
    let victim = diesel::sql_query(
        "SELECT id, patient_id, substance, (ctid::text::point)[0]::bigint AS block,
                pg_relation_filepath('allergies') AS file
         FROM allergies WHERE substance = 'substance-100'",
    )
    .get_result::<Victim>(&mut conn)
    .expect("victim");
    let path = format!(
        "/api/v1/patients/{}/allergies/{}",
        victim.patient_id, victim.id
    );
    let (status, _, body) = server.get(&path, Some(&server.doctor)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&victim.substance));
    diesel::sql_query("CHECKPOINT")
        .execute(&mut conn)
        .expect("checkpoint");
    drop(conn);

    // Damage 8 bytes in the middle of the victim's page while the server is down (a clean
    // shutdown first: nothing of the table stays in shared buffers).
    cluster
        .restart(|data| {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(data.join(&victim.file))?;
            file.write_all_at(b"XXXXXXXX", victim.block as u64 * 8192 + 4000)?;
            file.sync_all()
        })
        .expect("damage a page");

    // The read of that row fails with a problem: never the damaged data, never a hang.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (status, content_type, body) = loop {
        let answer = server.get(&path, Some(&server.doctor)).await;
        // 503 while the pool notices the restarted server.
        if answer.0 != 503 || Instant::now() > deadline {
            break answer;
        }
        tokio_sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(status, 500, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert!(!body.contains("substance-"), "{body}");
    assert!(!body.contains("invalid page"), "no database text: {body}");

    // The metric counts it.
    let (_, _, metrics) = server.get("/metrics", None).await;
    let failures = metric(&metrics, "hms_db_checksum_failures").unwrap_or(0.0);
    assert!(failures >= 1.0, "hms_db_checksum_failures = {failures}");

    // Readiness says it (and stays 200: see ops::health::checksum_check).
    let (status, _, ready) = server.get("/health/ready", None).await;
    assert_eq!(status, 200, "{ready}");
    let ready: Value = serde_json::from_str(&ready).expect("json");
    let check = ready["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "data-checksums"))
        .unwrap_or_else(|| panic!("no data-checksums check in {ready}"));
    assert_eq!(check["status"], "warning");
    assert!(check["detail"]
        .as_str()
        .is_some_and(|d| d.contains("bad checksums")));

    // Maintenance reports it, and the report is recorded and listed.
    let mut conn = connect(&url);
    let run = maintenance::run(&mut conn, &url, maintenance::MaintenanceOptions::default())
        .expect("maintenance");
    assert_eq!(
        run.result,
        MaintenanceResult::ProblemsFound,
        "{}",
        run.summary
    );
    assert!(run.report.amcheck.ran && !run.report.amcheck.ok);
    assert!(run.report.checksum_failures.iter().any(|f| f.failures > 0));
    assert!(run.summary.contains("bad checksums"), "{}", run.summary);
    let (status, _, listed) = server
        .get("/api/v1/operations/maintenance", Some(&server.admin))
        .await;
    assert_eq!(status, 200, "{listed}");
    let listed: Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed["items"][0]["result"], "problems_found");
    let (status, _, health) = server.get("/health/db", Some(&server.admin)).await;
    assert_eq!(status, 200, "{health}");
    let health: Value = serde_json::from_str(&health).expect("json");
    assert_eq!(health["last_maintenance_result"], "problems_found");
    let (_, _, metrics) = server.get("/metrics", None).await;
    assert!(metric(&metrics, "hms_maintenance_last_run_age_seconds").is_some_and(|a| a < 600.0));
    assert_eq!(
        metric(&metrics, "hms_backup_last_verified_age_seconds"),
        Some(f64::INFINITY),
        "no verified backup at all is infinitely old"
    );
    report!(
        "corruption test: {:.1} s; maintenance {} ms; amcheck said: {}",
        started.elapsed().as_secs_f64(),
        run.duration_ms,
        run.report.amcheck.findings.join(" / ")
    );
}

async fn tokio_sleep(d: Duration) {
    actix_rt::time::sleep(d).await;
}
