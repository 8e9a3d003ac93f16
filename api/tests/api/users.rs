//! Account management by administrators.

use hms_api_types::Role;
use serde_json::json;

use crate::helpers::TestApp;

fn new_doctor(email: &str) -> serde_json::Value {
    json!({
        "email": email,
        "display_name": "Dr Joseph Mensah",
        "role": "doctor",
        "password": "correct horse battery staple"
    })
}

#[actix_rt::test]
async fn an_admin_creates_a_user_who_can_then_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);

    let created = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &new_doctor("J.Mensah@Hospital.example"),
        )
        .await;

    assert_eq!(created.status, 201);
    let user = created.json();
    assert_eq!(user["email"], "j.mensah@hospital.example");
    assert_eq!(user["version"], 1);
    assert_eq!(
        created.header("location").unwrap(),
        format!("/api/v1/users/{}", user["id"].as_str().unwrap())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    let login = app
        .login("j.mensah@hospital.example", "correct horse battery staple")
        .await;
    assert_eq!(login.status, 200);
}

#[actix_rt::test]
async fn a_duplicate_email_in_any_case_is_a_409_problem() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    app.post(
        "/api/v1/users",
        Some(&admin),
        &new_doctor("dup@hospital.example"),
    )
    .await;

    let again = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &new_doctor("DUP@hospital.example"),
        )
        .await;

    let problem = again.assert_problem(409, "conflict");
    assert_eq!(
        problem["detail"],
        "an account with this email already exists"
    );
}

#[actix_rt::test]
async fn every_invalid_field_is_reported_in_one_422_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);

    let reply = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "not-an-email", "display_name": "  ", "role": "nurse", "password": "short"}),
        )
        .await;

    let problem = reply.assert_problem(422, "validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "display_name", "password"]);
    let list = app.get("/api/v1/users?q=not-an-email", Some(&admin)).await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 0);
}

#[actix_rt::test]
async fn an_unknown_role_is_a_422_naming_the_problem() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let mut body = new_doctor("x@hospital.example");
    body["role"] = json!("superuser");

    let reply = app.post("/api/v1/users", Some(&admin), &body).await;

    let problem = reply.assert_problem(422, "validation");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("unknown variant"));
}

#[actix_rt::test]
async fn the_user_list_pages_by_cursor_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    for _ in 0..7 {
        app.create_user(Role::Nurse);
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?role=nurse&limit=3&cursor={c}"),
            None => "/api/v1/users?role=nurse&limit=3".to_owned(),
        };
        let page = app.get(&path, Some(&admin)).await.json();
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["email"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "ordered by email, no repeats");
}

#[actix_rt::test]
async fn a_page_size_above_200_is_rejected() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);

    let reply = app.get("/api/v1/users?limit=201", Some(&admin)).await;

    let problem = reply.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "limit");
}

#[actix_rt::test]
async fn a_stale_if_match_gets_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let (id, _) = app.create_user(Role::Nurse);
    let path = format!("/api/v1/users/{id}");
    let first = app
        .patch(
            &path,
            &admin,
            Some("\"1\""),
            &json!({"display_name": "First Edit"}),
        )
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("etag"), Some("\"2\""));

    let stale = app
        .patch(
            &path,
            &admin,
            Some("\"1\""),
            &json!({"display_name": "Lost Update"}),
        )
        .await;

    stale.assert_problem(412, "precondition-failed");
    let now = app.get(&path, Some(&admin)).await.json();
    assert_eq!(now["display_name"], "First Edit");
    assert_eq!(now["version"], 2);
}

#[actix_rt::test]
async fn an_update_without_any_version_gets_428_and_the_body_version_also_works() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let (id, _) = app.create_user(Role::Nurse);
    let path = format!("/api/v1/users/{id}");

    let missing = app
        .patch(&path, &admin, None, &json!({"display_name": "X"}))
        .await;
    let with_body_version = app
        .patch(
            &path,
            &admin,
            None,
            &json!({"display_name": "Y", "version": 1}),
        )
        .await;

    missing.assert_problem(428, "precondition-required");
    assert_eq!(with_body_version.status, 200);
}

#[actix_rt::test]
async fn the_last_active_admin_cannot_be_deactivated_or_demoted() {
    let app = TestApp::spawn().await;
    let (only_admin, _) = app.create_user(Role::Admin);
    let (other_admin, _) = app.create_user(Role::Admin);
    let token = app.keys.issue(other_admin, Role::Admin, None).unwrap();
    let first = app
        .patch(
            &format!("/api/v1/users/{only_admin}"),
            &token,
            Some("\"1\""),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(first.status, 200, "two admins: one may go");

    let last = app
        .patch(
            &format!("/api/v1/users/{other_admin}"),
            &token,
            Some("\"1\""),
            &json!({"role": "nurse"}),
        )
        .await;

    let problem = last.assert_problem(422, "validation");
    assert_eq!(
        problem["errors"][0]["field"], "role",
        "cannot change own role"
    );
    let (third, _) = app.create_user(Role::Doctor);
    let promote = app
        .patch(
            &format!("/api/v1/users/{third}"),
            &token,
            Some("\"1\""),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(promote.status, 200);
    let third_token = app.keys.issue(third, Role::Admin, None).unwrap();
    app.patch(
        &format!("/api/v1/users/{other_admin}"),
        &third_token,
        Some("\"1\""),
        &json!({"active": false}),
    )
    .await;
    let conflict = app
        .patch(
            &format!("/api/v1/users/{third}"),
            &token,
            Some("\"2\""),
            &json!({"active": false}),
        )
        .await;
    conflict.assert_problem(409, "conflict");
}

#[actix_rt::test]
async fn deactivating_a_user_revokes_their_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let (id, email) = app.create_user(Role::Nurse);
    let session = app.session(&email).await;

    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        Some("\"1\""),
        &json!({"active": false}),
    )
    .await;

    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": session.refresh_token}),
        )
        .await;
    refresh.assert_problem(401, "unauthenticated");
}

#[actix_rt::test]
async fn an_unknown_user_id_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);

    let reply = app
        .get(
            &format!("/api/v1/users/{}", uuid::Uuid::new_v4()),
            Some(&admin),
        )
        .await;

    reply.assert_problem(404, "not-found");
}
