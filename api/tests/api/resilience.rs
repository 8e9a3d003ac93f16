//! Behaviour while the database is unreachable, without a real failover (the outage drill in
//! `tests/drill.rs` does that): fast refusals, the journal for critical writes, its exactly-once
//! replay, the status endpoint, degraded reads from a standby, metrics.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use hms_api::journal::{replay, Entry, Work};
use hms_api_types::Role;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::TestApp;

fn nurse_token(app: &TestApp) -> String {
    app.keys
        .issue(Uuid::new_v4(), Role::Nurse, None)
        .expect("token")
}

#[actix_rt::test]
async fn a_write_without_a_database_fails_fast_with_503_and_retry_after_and_then_at_once() {
    let app = TestApp::spawn_without_database().await;
    let token = nurse_token(&app);
    let body = json!({"given_name": "Ana", "family_name": "Lima", "birth_date": "1990-01-01", "sex": "female"});

    let started = Instant::now();
    let first = app.post("/api/v1/patients", Some(&token), &body).await;
    let first_took = started.elapsed();
    first.assert_problem(503, "database-unavailable");
    assert_eq!(first.header("retry-after"), Some("5"));
    assert!(first.json()["detail"]
        .as_str()
        .unwrap()
        .contains("nothing was saved"));
    assert!(first_took < Duration::from_secs(3), "took {first_took:?}");

    // The breaker is open now: the next write does not wait for the pool at all.
    let started = Instant::now();
    app.post("/api/v1/patients", Some(&token), &body)
        .await
        .assert_problem(503, "database-unavailable");
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[actix_rt::test]
async fn a_shortage_report_without_a_database_is_kept_as_pending_and_listed_for_its_author() {
    let app = TestApp::spawn_without_database().await;
    let user = Uuid::new_v4();
    let token = app.keys.issue(user, Role::Nurse, None).expect("token");
    let report = json!({"item_id": Uuid::new_v4(), "location_id": Uuid::new_v4(), "severity": "high", "note": "ward 3 is out"});

    let reply = app
        .post("/api/v1/inventory/shortages", Some(&token), &report)
        .await;

    assert_eq!(
        reply.status,
        202,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("location"), Some("/api/v1/me/pending-writes"));
    let kept = reply.json();
    assert_eq!(kept["status"], "pending");
    assert_eq!(kept["kind"], "shortage_report");
    assert_eq!(kept["request"]["note"], "ward 3 is out");
    assert_eq!(app.pool.journal().pending_count(), 1);

    let mine = app.get("/api/v1/me/pending-writes", Some(&token)).await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.json()[0]["id"], kept["id"]);
    let other = nurse_token(&app);
    let theirs = app.get("/api/v1/me/pending-writes", Some(&other)).await;
    assert_eq!(theirs.json(), json!([]));

    let status = app.get("/api/v1/status", None).await;
    assert_eq!(status.status, 200);
    assert_eq!(status.json()["mode"], "unavailable");
    assert_eq!(status.json()["pending_writes"], 1);
}

#[actix_rt::test]
async fn an_invalid_shortage_report_is_refused_even_without_a_database() {
    let app = TestApp::spawn_without_database().await;
    let token = nurse_token(&app);
    let report = json!({"item_id": Uuid::new_v4(), "location_id": Uuid::new_v4(), "severity": "high", "note": "x".repeat(1001)});

    app.post("/api/v1/inventory/shortages", Some(&token), &report)
        .await
        .assert_problem(422, "validation");
    assert_eq!(app.pool.journal().pending_count(), 0);
}

/// An item and a location in `app`'s database.
fn stock_place(app: &TestApp) -> (Uuid, Uuid) {
    let mut conn = app.pool.get().expect("db");
    let item: Uuid = diesel::sql_query(
        "INSERT INTO stock_items (sku, name, category, unit, reorder_level, reorder_quantity, lot_tracked)
         VALUES ('T-1', 'Test gauze', 'supply', 'box', 2, 10, false) RETURNING id",
    )
    .get_result::<IdRow>(&mut conn)
    .expect("item")
    .id;
    let location: Uuid = diesel::sql_query(
        "INSERT INTO stock_locations (code, name, kind) VALUES ('W-1', 'Ward one', 'ward') RETURNING id",
    )
    .get_result::<IdRow>(&mut conn)
    .expect("location")
    .id;
    (item, location)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.pool.get().expect("db");
    diesel::sql_query(sql)
        .get_result::<CountRow>(&mut conn)
        .expect("count")
        .n
}

#[actix_rt::test]
async fn journaled_reports_are_written_exactly_once_even_when_replayed_twice_or_already_committed()
{
    let app = TestApp::spawn().await;
    let (nurse, _) = app.create_user(Role::Nurse);
    let token = app.keys.issue(nurse, Role::Nurse, None).expect("token");
    let (item, location) = stock_place(&app);
    let body = json!({"item_id": item, "location_id": location, "severity": "medium", "note": "kept while down"});
    let user = hms_api::auth::AuthUser::person(nurse, Role::Nurse, None);
    let meta = hms_api::audit::RequestMeta::default();

    // The first attempt did commit (the answer was lost in the failover): the client's key
    // is stored with it.
    let committed = app
        .client
        .post(app.url("/api/v1/inventory/shortages"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Idempotency-Key", "key-1"))
        .send_json(&body)
        .await
        .expect("post");
    assert_eq!(committed.status().as_u16(), 201);
    // The same request ended up in the journal twice (a retry while degraded), plus a
    // different report.
    for key in ["key-1", "key-1", "key-2"] {
        let entry = Entry::new(Work::ReportShortage, &user, &meta, key.into(), body.clone());
        app.pool.journal().append(&entry).expect("journal");
    }

    let schedule = hms_api::config::Settings::for_database("", "").schedule();
    let written = replay::replay_pending(&app.pool, &schedule);

    assert_eq!(written, 3);
    assert_eq!(app.pool.journal().pending_count(), 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM shortages WHERE note = 'kept while down'"
        ),
        2,
        "key-1 once (already committed) and key-2 once"
    );
    let mine = app
        .get("/api/v1/me/pending-writes", Some(&token))
        .await
        .json();
    let statuses: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["applied"; 3]);
    assert!(mine[0]["location"]
        .as_str()
        .unwrap()
        .starts_with("/api/v1/inventory/shortages/"));
}

#[actix_rt::test]
async fn a_journaled_request_the_database_refuses_is_marked_failed_with_the_reason() {
    let app = TestApp::spawn().await;
    let (nurse, _) = app.create_user(Role::Nurse);
    let token = app.keys.issue(nurse, Role::Nurse, None).expect("token");
    let user = hms_api::auth::AuthUser::person(nurse, Role::Nurse, None);
    // The item was never there (accepted while nothing could be checked).
    let body = json!({"item_id": Uuid::new_v4(), "location_id": Uuid::new_v4(), "severity": "low"});
    let entry = Entry::new(
        Work::ReportShortage,
        &user,
        &hms_api::audit::RequestMeta::default(),
        "k".into(),
        body,
    );
    app.pool.journal().append(&entry).expect("journal");

    let schedule = hms_api::config::Settings::for_database("", "").schedule();
    replay::replay_pending(&app.pool, &schedule);

    let mine = app
        .get("/api/v1/me/pending-writes", Some(&token))
        .await
        .json();
    assert_eq!(mine[0]["status"], "failed");
    assert_eq!(mine[0]["problem"]["status"], 422);
    assert_eq!(app.pool.journal().pending_count(), 0);
}

#[actix_rt::test]
async fn reads_go_to_the_standby_and_are_marked_read_only_while_the_primary_is_unreachable() {
    // The "standby" is the test database itself; the primary is a port nobody listens on.
    let live = crate::helpers::fresh_database();
    let app = TestApp::spawn_with(|s| {
        s.read_database_url = Some(live.clone());
        let port = pg_harness::free_port().expect("port");
        s.database_url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
        s.db_connect_timeout = Duration::from_millis(500);
    })
    .await;
    let token = nurse_token(&app);

    // The probe notices the dead primary within a second or so.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.pool.degraded() {
        assert!(
            Instant::now() < deadline,
            "the probe never opened the breaker"
        );
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
    let read = app.get("/api/v1/inventory/locations", Some(&token)).await;
    assert_eq!(read.status, 200, "{}", String::from_utf8_lossy(&read.body));
    assert_eq!(read.header("x-hms-read-only"), Some("true"));

    let status = app.get("/api/v1/status", None).await.json();
    assert_eq!(status["mode"], "read_only");
    assert!(status["degraded_since"].is_string());

    let write = app
        .post(
            "/api/v1/inventory/locations",
            Some(&app.keys.issue(Uuid::new_v4(), Role::Admin, None).unwrap()),
            &json!({"code": "X", "name": "X", "kind": "ward"}),
        )
        .await;
    write.assert_problem(503, "database-unavailable");
    assert_eq!(write.header("x-hms-read-only"), Some("true"));
}

#[actix_rt::test]
async fn metrics_count_requests_by_route_and_report_the_database() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Admin);
    app.get("/api/v1/users", Some(&token)).await;
    app.get("/api/v1/users", Some(&token)).await;

    let reply = app.get("/metrics", None).await;

    assert_eq!(reply.status, 200);
    let text = String::from_utf8_lossy(&reply.body).to_string();
    assert!(
        text.contains(
            r#"hms_http_requests_total{method="GET",route="/api/v1/users",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains("hms_http_request_duration_seconds_bucket"));
    assert!(text.contains("hms_db_primary_up 1"));
    assert!(text.contains("hms_db_checksum_failures 0"));
    assert!(text.contains("hms_journal_pending 0"));
    assert!(text.contains("hms_db_pool_wait_seconds_count"), "{text}");
    assert!(
        !text.contains("/api/v1/users/"),
        "no concrete ids in labels"
    );
}

#[actix_rt::test]
async fn database_health_is_for_administrators_and_reports_the_primary() {
    let app = TestApp::spawn().await;

    let health = app.get("/health/db", Some(&app.token(Role::Admin))).await;

    assert_eq!(health.status, 200);
    let body = health.json();
    assert_eq!(body["primary_up"], true);
    assert_eq!(body["checksum_failures"], 0);
    assert_eq!(body["read_only_mode"], false);
    app.get("/health/db", Some(&app.token(Role::Doctor)))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_rt::test]
async fn people_sign_in_and_keep_their_sessions_from_the_standby_while_the_primary_is_unreachable()
{
    let mut live = String::new();
    let healthy = TestApp::spawn_with(|s| live = s.database_url.clone()).await;
    let (_, email) = healthy.create_user(Role::Nurse);
    let before = healthy.session(&email).await;
    let degraded = read_only_over(&live).await;

    // A sign-in: checked against the standby, an access token but no refresh token.
    let signed_in = degraded.login(&email, crate::helpers::PASSWORD).await;
    assert_eq!(
        signed_in.status,
        200,
        "{}",
        String::from_utf8_lossy(&signed_in.body)
    );
    let tokens = signed_in.json();
    assert_eq!(tokens["refresh_token"], "");
    assert_eq!(tokens["refresh_expires_in"], 0);
    let access = tokens["access_token"].as_str().unwrap();
    let read = degraded
        .get("/api/v1/inventory/locations", Some(access))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("x-hms-read-only"), Some("true"));
    degraded
        .login(&email, "not the password")
        .await
        .assert_problem(401, "unauthenticated");

    // A session opened before the outage goes on: the same refresh token, twice.
    for _ in 0..2 {
        let refreshed = degraded
            .post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": before.refresh_token}),
            )
            .await;
        assert_eq!(
            refreshed.status,
            200,
            "{}",
            String::from_utf8_lossy(&refreshed.body)
        );
        assert_eq!(
            refreshed.json()["refresh_token"],
            before.refresh_token.as_str()
        );
    }
    degraded
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": "never-issued"}),
        )
        .await
        .assert_problem(401, "unauthenticated");

    // With the primary, the token rotates again.
    let rotated = healthy
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": before.refresh_token}),
        )
        .await
        .json();
    assert_ne!(rotated["refresh_token"], before.refresh_token.as_str());
}

/// An API whose primary is a port nobody listens on and whose standby is `live`, once its probe
/// has noticed (read-only mode).
async fn read_only_over(live: &str) -> TestApp {
    let degraded = TestApp::spawn_with(|s| {
        s.read_database_url = Some(live.to_owned());
        let port = pg_harness::free_port().expect("port");
        s.database_url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
        s.db_connect_timeout = Duration::from_millis(500);
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !degraded.pool.degraded() {
        assert!(
            Instant::now() < deadline,
            "the probe never opened the breaker"
        );
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
    degraded
}

#[actix_rt::test]
async fn api_clients_get_tokens_and_read_from_the_standby_while_the_primary_is_unreachable() {
    let mut live = String::new();
    let healthy = TestApp::spawn_with(|s| live = s.database_url.clone()).await;
    let admin = healthy.token(Role::Admin);
    let client = crate::clients::register(&healthy, &admin, &["patients:read"], 600).await;
    let degraded = read_only_over(&live).await;

    let token = crate::clients::token_for(&degraded, &client).await;
    let read = degraded.get("/api/v1/patients?q=a", Some(&token)).await;
    assert_eq!(read.status, 200, "{}", String::from_utf8_lossy(&read.body));
    assert_eq!(read.header("x-hms-read-only"), Some("true"));
    let wrong = crate::clients::exchange(
        &degraded,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret=wrong",
            client.id
        ),
    )
    .await;
    assert_eq!(wrong.status, 401);
}
