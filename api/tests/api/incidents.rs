//! Incidents and the status page: declaring, the timeline with its authors, resolving,
//! postmortems with optimistic concurrency, component overrides that win over the health checks
//! and expire, the public page without sign-in (also while the databases are down), and the
//! incident HMS opens by itself for a database outage — once, however many hosts saw it.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use hms_api::db::state::Snapshot;
use hms_api::incidents::service::OUTAGE_TITLE;
use hms_api::incidents::watch::Watcher;
use hms_api::journal::replay;
use hms_api_types::{Permission, Role};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::access::{ep, Endpoint, Operation};
use crate::helpers::{Reply, TestApp};

/// The incident and status operations, for the role walk in `access.rs`.
pub fn protected() -> Vec<Operation> {
    use Permission::*;
    let with_body = |mut e: Endpoint| {
        e.body = Some(json!({}));
        e
    };
    vec![
        ep("GET", "/api/v1/incidents", ViewIncidents),
        with_body(ep("POST", "/api/v1/incidents", ManageIncidents)),
        ep("GET", "/api/v1/incidents/{incident_id}", ViewIncidents),
        with_body(ep(
            "POST",
            "/api/v1/incidents/{incident_id}/updates",
            ManageIncidents,
        )),
        with_body(ep(
            "POST",
            "/api/v1/incidents/{incident_id}/resolve",
            ManageIncidents,
        )),
        with_body(ep(
            "PUT",
            "/api/v1/incidents/{incident_id}/postmortem",
            ManageIncidents,
        )),
        with_body(ep(
            "PUT",
            "/api/v1/status/components/{component}",
            ManageIncidents,
        )),
        ep(
            "DELETE",
            "/api/v1/status/components/{component}/override",
            ManageIncidents,
        ),
    ]
    .into_iter()
    .map(Operation::from)
    .collect()
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// Sends `body` with `method` and an optional `If-Match`.
async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    if_match: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(v) = if_match {
        req = req.insert_header(("If-Match", v));
    }
    let sent = match body {
        Some(body) => req.send_json(body).await,
        None => req.send().await,
    };
    let mut res = sent.expect("request failed");
    let body = res.body().limit(10 * 1024 * 1024).await.expect("read body");
    Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: body.to_vec(),
    }
}

fn admin(app: &TestApp) -> (Uuid, String) {
    let (id, _) = app.create_user(Role::Admin);
    (id, app.keys.issue(id, Role::Admin, None).expect("token"))
}

fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.pool.get().expect("db");
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .expect("count")
        .n
}

fn component<'a>(page: &'a Value, key: &str) -> &'a Value {
    page["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no component {key} in {page}"))
}

async fn declare(app: &TestApp, token: &str, title: &str) -> Value {
    let reply = app
        .post(
            "/api/v1/incidents",
            Some(token),
            &json!({
                "title": title,
                "severity": "major",
                "components": ["database-primary", "api"],
                "message": "Saving is slow on every ward; we are looking into it.",
            }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", text(&reply));
    reply.json()
}

#[actix_rt::test]
async fn an_incident_is_declared_updated_resolved_and_given_a_postmortem_with_every_author_named() {
    let app = TestApp::spawn().await;
    let (admin_id, token) = admin(&app);
    let nurse = app.token(Role::Nurse);

    let declared = app
        .post(
            "/api/v1/incidents",
            Some(&token),
            &json!({
                "title": "Saving is slow",
                "severity": "major",
                "components": ["database-primary", "api", "api"],
                "message": "Saving is slow on every ward; we are looking into it.",
            }),
        )
        .await;
    assert_eq!(declared.status, 201, "{}", text(&declared));
    let incident = declared.json();
    let id = incident["id"].as_str().unwrap().to_owned();
    assert_eq!(
        declared.header("location"),
        Some(format!("/api/v1/incidents/{id}").as_str())
    );
    assert_eq!(declared.header("etag"), Some("\"1\""));
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["automatic"], false);
    assert_eq!(incident["components"], json!(["api", "database-primary"]));
    assert_eq!(incident["created_by"], admin_id.to_string());
    assert_eq!(incident["updates"][0]["author_id"], admin_id.to_string());
    assert_eq!(incident["updates"][0]["author_name"], "Test Administrator");

    // Every staff member reads it; only administrators change it.
    let read = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&nurse))
        .await;
    assert_eq!(read.status, 200, "{}", text(&read));
    assert_eq!(read.header("etag"), Some("\"1\""));
    let update = json!({"message": "A disk on the primary is failing.", "status": "identified"});
    app.post(
        &format!("/api/v1/incidents/{id}/updates"),
        Some(&nurse),
        &update,
    )
    .await
    .assert_problem(403, "forbidden");

    let updated = send(
        &app,
        "POST",
        &format!("/api/v1/incidents/{id}/updates"),
        &token,
        Some("\"1\""),
        Some(&update),
    )
    .await;
    assert_eq!(updated.status, 201, "{}", text(&updated));
    assert_eq!(updated.header("etag"), Some("\"2\""));
    let body = updated.json();
    assert_eq!(body["status"], "identified");
    assert_eq!(body["updates"].as_array().unwrap().len(), 2);
    assert_eq!(
        body["updates"][0]["message"],
        "A disk on the primary is failing."
    );

    // A version read before that update is stale.
    send(
        &app,
        "POST",
        &format!("/api/v1/incidents/{id}/updates"),
        &token,
        Some("\"1\""),
        Some(&json!({"message": "Replacing the disk."})),
    )
    .await
    .assert_problem(412, "precondition-failed");

    let resolved = app
        .post(
            &format!("/api/v1/incidents/{id}/resolve"),
            Some(&token),
            &json!({"message": "The disk was replaced; saving is fast again."}),
        )
        .await;
    assert_eq!(resolved.status, 200, "{}", text(&resolved));
    let body = resolved.json();
    assert_eq!(body["status"], "resolved");
    assert!(body["resolved_at"].is_string());
    assert_eq!(body["updates"][0]["status"], "resolved");
    app.post(
        &format!("/api/v1/incidents/{id}/resolve"),
        Some(&token),
        &json!({}),
    )
    .await
    .assert_problem(409, "conflict");
    app.post(
        &format!("/api/v1/incidents/{id}/updates"),
        Some(&token),
        &json!({"message": "One more thing"}),
    )
    .await
    .assert_problem(409, "conflict");

    // The postmortem, in the shape of the seed's report.
    let (editor_id, editor) = admin(&app);
    let postmortem = json!({
        "summary": "For 40 minutes saving was slow or failed.",
        "impact": "37% of users could not save; nothing was lost.",
        "timeline": "09:00 alerts on latency\n09:20 disk identified\n09:40 disk replaced",
        "root_cause": "A failing disk on the primary database server.",
        "resolution": "The disk was replaced and the array rebuilt.",
        "corrective_actions": [
            {"action": "Alert on disk SMART errors", "owner": "Ops lead", "due": "2026-12-15"},
            {"action": "Rehearse failover monthly", "owner": "DBA team", "done": true},
        ],
    });
    let path = format!("/api/v1/incidents/{id}/postmortem");
    let written = send(&app, "PUT", &path, &token, None, Some(&postmortem)).await;
    assert_eq!(written.status, 201, "{}", text(&written));
    assert_eq!(written.header("etag"), Some("\"1\""));
    let body = written.json();
    assert_eq!(body["author_id"], admin_id.to_string());
    assert_eq!(body["author_name"], "Test Administrator");
    assert_eq!(body["corrective_actions"][0]["owner"], "Ops lead");
    assert_eq!(body["corrective_actions"][0]["due"], "2026-12-15");
    assert_eq!(body["corrective_actions"][0]["done"], false);
    assert_eq!(body["corrective_actions"][1]["done"], true);

    let mut changed = postmortem.clone();
    changed["root_cause"] = json!("A failing disk, and no alert on its SMART errors.");
    send(&app, "PUT", &path, &editor, None, Some(&changed))
        .await
        .assert_problem(428, "precondition-required");
    send(&app, "PUT", &path, &editor, Some("\"7\""), Some(&changed))
        .await
        .assert_problem(412, "precondition-failed");
    let rewritten = send(&app, "PUT", &path, &editor, Some("\"1\""), Some(&changed)).await;
    assert_eq!(rewritten.status, 200, "{}", text(&rewritten));
    assert_eq!(rewritten.header("etag"), Some("\"2\""));
    let body = rewritten.json();
    assert_eq!(body["author_id"], admin_id.to_string());
    assert_eq!(body["updated_by"], editor_id.to_string());
    assert_eq!(
        body["root_cause"],
        "A failing disk, and no alert on its SMART errors."
    );
    // The stale version cannot overwrite the newer text.
    send(&app, "PUT", &path, &token, Some("\"1\""), Some(&postmortem))
        .await
        .assert_problem(412, "precondition-failed");

    let full = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&nurse))
        .await
        .json();
    assert_eq!(full["postmortem"]["version"], 2);
    assert_eq!(full["updates"].as_array().unwrap().len(), 3);

    let resolved_list = app
        .get("/api/v1/incidents?status=resolved", Some(&nurse))
        .await
        .json();
    assert_eq!(resolved_list["items"][0]["id"], id.as_str());
    assert_eq!(resolved_list["items"][0]["has_postmortem"], true);
    assert_eq!(
        resolved_list["items"][0]["latest_update"]["status"],
        "resolved"
    );
    let open_list = app
        .get("/api/v1/incidents?open=true", Some(&nurse))
        .await
        .json();
    assert_eq!(open_list["items"], json!([]));

    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM audit_events WHERE entity_type = 'incident' AND entity_id = '{id}'"
            ),
        ),
        5,
        "declare, update, resolve, write and update the postmortem"
    );
}

#[actix_rt::test]
async fn an_invalid_incident_is_refused_with_every_field_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let (_, token) = admin(&app);

    let reply = app
        .post(
            "/api/v1/incidents",
            Some(&token),
            &json!({
                "title": " ",
                "severity": "minor",
                "components": [],
                "message": "x",
                "status": "resolved",
                "started_at": (Utc::now() + chrono::Duration::hours(2)).to_rfc3339(),
            }),
        )
        .await;
    let problem = reply.assert_problem(422, "validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["title", "components", "status", "started_at"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    app.post(
        "/api/v1/incidents",
        Some(&token),
        &json!({"title": "x", "severity": "apocalyptic", "components": ["api"], "message": "x"}),
    )
    .await
    .assert_problem(422, "validation");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM incidents"), 0);
}

#[actix_rt::test]
async fn the_public_status_page_needs_no_sign_in_and_shows_components_open_incidents_and_history() {
    let app = TestApp::spawn().await;
    let (_, token) = admin(&app);

    let page = app.get("/api/v1/status/page", None).await;
    assert_eq!(page.status, 200, "{}", text(&page));
    let page = page.json();
    let keys: Vec<&str> = page["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["api", "database-primary", "database-standby", "backups"]
    );
    assert_eq!(component(&page, "api")["state"], "operational");
    assert_eq!(component(&page, "api")["source"], "automatic");
    assert_eq!(component(&page, "database-primary")["state"], "operational");
    // No standby is configured, and no backup is recorded in a fresh database.
    assert_eq!(component(&page, "database-standby")["state"], "unknown");
    assert_eq!(component(&page, "backups")["state"], "unknown");
    assert_eq!(page["overall"], "operational");
    assert_eq!(page["incidents_available"], true);
    assert_eq!(page["open_incidents"], json!([]));

    let incident = declare(&app, &token, "Appointments do not load").await;
    let id = incident["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/incidents/{id}/updates"),
        Some(&token),
        &json!({"message": "A fix is being deployed.", "status": "monitoring"}),
    )
    .await;

    let page = app.get("/api/v1/status/page", None).await;
    let body = page.json();
    let open = &body["open_incidents"][0];
    assert_eq!(open["id"], id);
    assert_eq!(open["title"], "Appointments do not load");
    assert_eq!(open["status"], "monitoring");
    assert_eq!(open["updates"].as_array().unwrap().len(), 2);
    assert_eq!(open["updates"][0]["message"], "A fix is being deployed.");
    assert_eq!(open["pending"], false);
    assert!(
        !text(&page).contains("Test Administrator"),
        "the public page names nobody"
    );

    app.post(
        &format!("/api/v1/incidents/{id}/resolve"),
        Some(&token),
        &json!({}),
    )
    .await;
    let body = app.get("/api/v1/status/page", None).await.json();
    assert_eq!(body["open_incidents"], json!([]));
    let recent = &body["recent_incidents"][0];
    assert_eq!(recent["id"], id);
    assert_eq!(recent["status"], "resolved");
    assert_eq!(
        recent["updates"].as_array().unwrap().len(),
        1,
        "history shows the last update"
    );
}

#[actix_rt::test]
async fn an_override_wins_over_the_automatic_state_until_it_is_removed_or_expires() {
    let app = TestApp::spawn().await;
    let (_, token) = admin(&app);
    let path = "/api/v1/status/components/api";

    let set = send(
        &app,
        "PUT",
        path,
        &token,
        None,
        Some(&json!({"state": "major_outage", "note": "Planned maintenance until 14:00"})),
    )
    .await;
    assert_eq!(set.status, 200, "{}", text(&set));
    let body = set.json();
    assert_eq!(body["state"], "major_outage");
    assert_eq!(body["source"], "override");
    assert_eq!(body["automatic_state"], "operational");
    let page = app.get("/api/v1/status/page", None).await.json();
    assert_eq!(component(&page, "api")["state"], "major_outage");
    assert_eq!(
        component(&page, "api")["note"],
        "Planned maintenance until 14:00"
    );
    assert_eq!(page["overall"], "major_outage");

    let cleared = send(
        &app,
        "DELETE",
        &format!("{path}/override"),
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(cleared.status, 200, "{}", text(&cleared));
    assert_eq!(cleared.json()["source"], "automatic");
    let page = app.get("/api/v1/status/page", None).await.json();
    assert_eq!(component(&page, "api")["state"], "operational");

    // An override with an end stops by itself.
    let expires = Utc::now() + chrono::Duration::seconds(2);
    let set = send(
        &app,
        "PUT",
        "/api/v1/status/components/backups",
        &token,
        None,
        Some(&json!({"state": "degraded", "expires_at": expires.to_rfc3339()})),
    )
    .await;
    assert_eq!(set.status, 200, "{}", text(&set));
    let page = app.get("/api/v1/status/page", None).await.json();
    assert_eq!(component(&page, "backups")["state"], "degraded");
    assert!(component(&page, "backups")["override_expires_at"].is_string());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = app.get("/api/v1/status/page", None).await.json();
        if component(&page, "backups")["source"] == "automatic" {
            assert_eq!(component(&page, "backups")["state"], "unknown");
            break;
        }
        assert!(Instant::now() < deadline, "the override never expired");
        actix_rt::time::sleep(Duration::from_millis(250)).await;
    }

    // What cannot be set.
    for body in [
        json!({"state": "unknown"}),
        json!({"state": "degraded", "expires_at": (Utc::now() - chrono::Duration::minutes(1)).to_rfc3339()}),
        json!({"state": "degraded", "note": "x".repeat(501)}),
    ] {
        send(&app, "PUT", path, &token, None, Some(&body))
            .await
            .assert_problem(422, "validation");
    }
    send(
        &app,
        "PUT",
        "/api/v1/status/components/coffee-machine",
        &token,
        None,
        Some(&json!({"state": "degraded"})),
    )
    .await
    .assert_problem(404, "not-found");
    let nurse = app.token(Role::Nurse);
    send(
        &app,
        "PUT",
        path,
        &nurse,
        None,
        Some(&json!({"state": "degraded"})),
    )
    .await
    .assert_problem(403, "forbidden");
}

fn down(since: DateTime<Utc>) -> Snapshot {
    Snapshot {
        primary_up: false,
        down_since: Some(since),
        standby_up: true,
        standby_replayed_at: None,
    }
}

fn up() -> Snapshot {
    Snapshot {
        primary_up: true,
        down_since: None,
        standby_up: true,
        standby_replayed_at: None,
    }
}

fn automatic_incidents(app: &TestApp) -> i64 {
    count(app, "SELECT count(*) AS n FROM incidents WHERE automatic")
}

#[actix_rt::test]
async fn a_database_outage_opens_exactly_one_incident_however_many_hosts_saw_it_and_its_recovery_is_posted(
) {
    let app = TestApp::spawn().await;
    let schedule = hms_api::config::Settings::for_database("", "").schedule();
    let journal = app.pool.journal();
    // The server's own watcher records at start-up that no outage is going on: let it finish.
    let deadline = Instant::now() + Duration::from_secs(10);
    while journal.system_count() > 0 {
        assert!(
            Instant::now() < deadline,
            "the start-up entry was never written"
        );
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }

    // Two API hosts see the primary go, 0.8 s apart; each looks twice.
    let since = Utc::now() - chrono::Duration::seconds(60);
    let since_b = since + chrono::Duration::milliseconds(800);
    let mut host_a = Watcher::new();
    let mut host_b = Watcher::new();
    for look in [3, 4] {
        host_a.tick(
            &down(since),
            since + chrono::Duration::seconds(look),
            journal,
        );
        host_b.tick(
            &down(since_b),
            since_b + chrono::Duration::seconds(look),
            journal,
        );
    }
    assert_eq!(host_a.open_outage(), Some(since));
    replay::replay_system(&app.pool, &schedule);
    // The server's replayer may have taken some of them: all that matters is that none is left.
    assert_eq!(journal.system_count(), 0);
    // And written again (a crash between commit and bookkeeping): still one incident.
    for started_at in [since, since_b] {
        hms_api::db::run(&app.pool, move |conn| {
            conn.transaction(|conn| hms_api::incidents::service::open_outage(conn, started_at))
        })
        .await
        .expect("open again");
    }
    assert_eq!(automatic_incidents(&app), 1);

    let page = app.get("/api/v1/status/page", None).await.json();
    let open = &page["open_incidents"][0];
    assert_eq!(open["title"], OUTAGE_TITLE);
    assert_eq!(open["automatic"], true);
    assert_eq!(open["status"], "investigating");
    assert_eq!(open["severity"], "major");
    assert_eq!(open["components"], json!(["database-primary"]));
    assert_eq!(open["pending"], false);
    let started: DateTime<Utc> = open["started_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        started.timestamp_micros(),
        since.timestamp_micros(),
        "the first host's start"
    );
    let id = open["id"].as_str().unwrap().to_owned();

    // The primary is back: both hosts record it.
    let back = Utc::now();
    host_a.tick(&up(), back, journal);
    host_b.tick(&up(), back + chrono::Duration::seconds(1), journal);
    replay::replay_system(&app.pool, &schedule);
    assert_eq!(journal.system_count(), 0);

    let (_, token) = admin(&app);
    let incident = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&token))
        .await
        .json();
    assert_eq!(incident["status"], "monitoring");
    let updates = incident["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 2, "{updates:?}");
    let recovery = updates[0]["message"].as_str().unwrap();
    assert!(
        recovery.starts_with("Primary reachable again; writes resumed at "),
        "{recovery}"
    );
    assert_eq!(updates[0]["author_name"], "HMS (automatic)");
    assert_eq!(updates[0]["author_id"], Value::Null);
    assert_eq!(updates[1]["status"], "investigating");
    assert_eq!(automatic_incidents(&app), 1);

    // The primary goes again while the incident is being monitored: the same incident goes
    // back to investigating (a late entry of the first outage changes nothing).
    let again = Utc::now();
    let mut host_c = Watcher::new();
    host_c.tick(&up(), again - chrono::Duration::seconds(10), journal);
    host_c.tick(&down(again), again + chrono::Duration::seconds(5), journal);
    journal
        .append_system(hms_api::journal::Work::OpenOutageIncident {
            started_at: since_b,
        })
        .expect("journal");
    replay::replay_system(&app.pool, &schedule);
    let incident = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&token))
        .await
        .json();
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["updates"].as_array().unwrap().len(), 3);
    assert_eq!(automatic_incidents(&app), 1);
}

#[actix_rt::test]
async fn the_status_page_answers_without_any_database_and_shows_the_outage_as_pending() {
    let app = TestApp::spawn_without_database().await;

    let started = Instant::now();
    let page = app.get("/api/v1/status/page", None).await;
    assert_eq!(page.status, 200, "{}", text(&page));
    assert!(started.elapsed() < Duration::from_secs(5));
    let body = page.json();
    assert_eq!(body["incidents_available"], false);
    assert_eq!(
        component(&body, "database-primary")["state"],
        "major_outage"
    );
    assert_eq!(component(&body, "api")["state"], "major_outage");
    assert_eq!(component(&body, "backups")["state"], "unknown");
    assert_eq!(body["overall"], "major_outage");

    // Once the outage has lasted a few seconds it is an incident, shown before it is written.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let body = app.get("/api/v1/status/page", None).await.json();
        if let Some(open) = body["open_incidents"].as_array().and_then(|a| a.first()) {
            assert_eq!(open["title"], OUTAGE_TITLE);
            assert_eq!(open["pending"], true);
            break;
        }
        assert!(Instant::now() < deadline, "no pending outage shown: {body}");
        actix_rt::time::sleep(Duration::from_millis(300)).await;
    }
    // The watcher journaled it, to be written when the primary is back.
    assert!(app.pool.journal().system_count() >= 1);
}

#[actix_rt::test]
async fn while_the_primary_is_down_the_status_page_reads_incidents_from_the_standby() {
    // The "standby" is a database holding an incident; the primary is a port nobody listens on.
    let live = crate::helpers::fresh_database();
    {
        use hms_api::db::schema::users;
        let mut conn = PgConnection::establish(&live).expect("connect");
        let admin: Uuid = diesel::insert_into(users::table)
            .values((
                users::email.eq("ops@test.hms"),
                users::display_name.eq("Ops"),
                users::role.eq("admin"),
                users::password_hash.eq("x"),
            ))
            .returning(users::id)
            .get_result(&mut conn)
            .expect("user");
        let user = hms_api::auth::AuthUser::person(admin, Role::Admin, None);
        hms_api::incidents::service::declare(
            &mut conn,
            &user,
            &hms_api::audit::RequestMeta::default(),
            serde_json::from_value(json!({
                "title": "Lab results arrive late",
                "severity": "minor",
                "components": ["api"],
                "message": "The lab interface is slow.",
            }))
            .unwrap(),
        )
        .expect("declare");
    }
    let app = TestApp::spawn_with(|s| {
        s.read_database_url = Some(live.clone());
        let port = pg_harness::free_port().expect("port");
        s.database_url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
        s.db_connect_timeout = Duration::from_millis(500);
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.pool.degraded() {
        assert!(
            Instant::now() < deadline,
            "the probe never opened the breaker"
        );
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }

    let page = app.get("/api/v1/status/page", None).await;
    assert_eq!(page.status, 200, "{}", text(&page));
    let body = page.json();
    assert_eq!(body["incidents_available"], true);
    assert_eq!(
        component(&body, "database-primary")["state"],
        "major_outage"
    );
    assert_eq!(component(&body, "database-standby")["state"], "operational");
    assert_eq!(component(&body, "api")["state"], "partial_outage");
    let titles: Vec<&str> = body["open_incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Lab results arrive late"), "{titles:?}");
}
