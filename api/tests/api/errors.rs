//! Every failure is an RFC 9457 problem: bad JSON, wrong content type, oversized bodies,
//! unknown routes, wrong methods, bad parameters, and a database that is gone.

use hms_api_types::Role;

use crate::helpers::TestApp;

#[actix_rt::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;

    let reply = app
        .send_raw(
            "POST",
            "/api/v1/auth/login",
            None,
            "application/json",
            b"{\"email\": ".to_vec(),
        )
        .await;

    let problem = reply.assert_problem(400, "bad-request");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
}

#[actix_rt::test]
async fn a_wrong_content_type_is_a_415_problem() {
    let app = TestApp::spawn().await;

    let reply = app
        .send_raw(
            "POST",
            "/api/v1/auth/login",
            None,
            "text/plain",
            b"hello".to_vec(),
        )
        .await;

    reply.assert_problem(415, "unsupported-media-type");
}

#[actix_rt::test]
async fn an_oversized_body_is_a_413_problem() {
    let app = TestApp::spawn_with(|s| s.max_body_bytes = 1024).await;
    let big = format!(r#"{{"email":"a@b.c","password":"{}"}}"#, "x".repeat(4096));

    let reply = app
        .send_raw(
            "POST",
            "/api/v1/auth/login",
            None,
            "application/json",
            big.into_bytes(),
        )
        .await;

    reply.assert_problem(413, "payload-too-large");
}

#[actix_rt::test]
async fn an_unknown_api_route_is_a_404_problem() {
    let app = TestApp::spawn().await;

    let reply = app.get("/api/v1/no-such-thing", None).await;

    let problem = reply.assert_problem(404, "not-found");
    assert!(problem["detail"].as_str().unwrap().contains("/swagger-ui/"));
}

#[actix_rt::test]
async fn a_wrong_method_is_a_405_problem_listing_the_allowed_ones() {
    let app = TestApp::spawn().await;

    let reply = app
        .send_raw(
            "DELETE",
            &format!("/api/v1/users/{}", uuid::Uuid::new_v4()),
            None,
            "application/json",
            Vec::new(),
        )
        .await;

    reply.assert_problem(405, "method-not-allowed");
    assert_eq!(reply.header("allow"), Some("GET, PATCH"));
}

#[actix_rt::test]
async fn a_malformed_path_id_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);

    let reply = app.get("/api/v1/users/not-a-uuid", Some(&admin)).await;

    reply.assert_problem(400, "bad-request");
}

#[actix_rt::test]
async fn a_bad_query_parameter_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);

    let reply = app.get("/api/v1/users?active=perhaps", Some(&admin)).await;

    reply.assert_problem(400, "bad-request");
}

#[actix_rt::test]
async fn control_characters_are_a_422_not_a_database_error() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);

    let reply = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &serde_json::json!({"email": "n@hospital.example", "display_name": "Nul\u{0}Byte", "role": "nurse", "password": "correct horse battery staple"}),
        )
        .await;

    let problem = reply.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "display_name");
}

#[actix_rt::test]
async fn without_a_database_requests_get_503_with_retry_after_and_liveness_holds() {
    let app = TestApp::spawn_without_database().await;
    let token = app
        .keys
        .issue(uuid::Uuid::new_v4(), Role::Admin, None)
        .unwrap();

    let read = app.get("/api/v1/users", Some(&token)).await;
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": "a@b.co", "password": "x"}),
        )
        .await;
    let ready = app.get("/health/ready", None).await;
    let live = app.get("/health/live", None).await;

    let problem = read.assert_problem(503, "database-unavailable");
    assert_eq!(read.header("retry-after"), Some("5"));
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("nothing was saved"));
    login.assert_problem(503, "database-unavailable");
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["checks"][0]["status"], "down");
    assert_eq!(live.status, 200);
}

#[actix_rt::test]
async fn every_response_carries_a_request_id_and_api_responses_are_not_cached() {
    let app = TestApp::spawn().await;

    let generated = app.get("/api/v1/me", None).await;
    let echoed = app
        .client
        .get(app.url("/health/live"))
        .insert_header(("X-Request-Id", "trace-abc-123"))
        .send()
        .await
        .unwrap();

    assert_eq!(generated.header("x-request-id").map(str::len), Some(16));
    assert_eq!(generated.header("cache-control"), Some("no-store"));
    assert_eq!(
        echoed.headers().get("x-request-id").unwrap(),
        "trace-abc-123"
    );
}

#[actix_rt::test]
async fn a_json_array_where_an_object_belongs_is_a_422() {
    let app = TestApp::spawn().await;

    let reply = app
        .send_raw(
            "POST",
            "/api/v1/auth/login",
            None,
            "application/json",
            b"[\"a@b.co\", \"pw\"]".to_vec(),
        )
        .await;

    let problem = reply.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "body");
}
