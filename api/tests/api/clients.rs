//! API clients: the OAuth 2.0 client-credentials exchange, scopes, disabling and rotation, the
//! per-client rate limit, attribution of what a client does, and CORS.

use std::time::Duration;

use base64::Engine;
use diesel::prelude::*;
use hms_api_types::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Reply, TestApp, PASSWORD};

/// A registered client: its id, secret and the admin API's answer.
pub struct Client {
    pub id: String,
    pub secret: String,
    pub body: Value,
}

/// Registers a client holding `scopes` through the admin API.
pub async fn register(app: &TestApp, admin: &str, scopes: &[&str], rate: i32) -> Client {
    let reply = app
        .post(
            "/api/v1/integrations/clients",
            Some(admin),
            &json!({
                "name": format!("Client {}", Uuid::new_v4()),
                "description": "test",
                "scopes": scopes,
                "rate_limit_per_minute": rate,
            }),
        )
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let body = reply.json();
    Client {
        id: body["client"]["id"].as_str().unwrap().to_owned(),
        secret: body["client_secret"].as_str().unwrap().to_owned(),
        body,
    }
}

/// `POST /api/v1/auth/token` with a form body.
pub async fn exchange(app: &TestApp, form: &str) -> Reply {
    app.send_raw(
        "POST",
        "/api/v1/auth/token",
        None,
        "application/x-www-form-urlencoded",
        form.as_bytes().to_vec(),
    )
    .await
}

/// An access token for `client` (all its scopes).
pub async fn token_for(app: &TestApp, client: &Client) -> String {
    let reply = exchange(
        app,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            client.id, client.secret
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

fn invalid_client(reply: &Reply) {
    let problem = reply.assert_problem(401, "invalid-client");
    assert_eq!(problem["error"], "invalid_client");
    assert!(reply.header("www-authenticate").is_some());
}

async fn basic(app: &TestApp, id: &str, secret: &str, form: &str) -> Reply {
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .insert_header(("Authorization", format!("Basic {credentials}")))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(form.to_owned())
        .await;
    let mut res = res.expect("request");
    let body = res.body().await.expect("body");
    Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: body.to_vec(),
    }
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

#[actix_rt::test]
async fn a_client_exchanges_its_credentials_in_a_form_body_for_a_bearer_token() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["records:read", "patients:read"], 600).await;
    assert_eq!(
        client.body["client"]["scopes"],
        json!(["patients:read", "records:read"])
    );
    assert!(client.secret.len() >= 43);

    let reply = exchange(
        &app,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            client.id, client.secret
        ),
    )
    .await;

    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], "patients:read records:read");
    let token = body["access_token"].as_str().unwrap();
    let patients = app.get("/api/v1/patients", Some(token)).await;
    assert_eq!(patients.status, 200);
    assert_eq!(patients.header("ratelimit-limit"), Some("600"));
    assert!(patients.header("ratelimit-remaining").is_some());
    let read = app
        .get(
            &format!("/api/v1/integrations/clients/{}", client.id),
            Some(&admin),
        )
        .await;
    assert!(read.json()["last_token_at"].is_string());
    assert!(
        read.json().get("client_secret").is_none(),
        "the secret is shown once"
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM audit_events WHERE action = 'token' AND outcome = 'success' AND actor_role = 'integration'"),
        1
    );
}

#[actix_rt::test]
async fn a_client_may_authenticate_with_http_basic_instead() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["inventory:read"], 600).await;

    let reply = basic(
        &app,
        &client.id,
        &client.secret,
        "grant_type=client_credentials",
    )
    .await;

    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/inventory/items", Some(&token))
            .await
            .status,
        200
    );
    let both = basic(
        &app,
        &client.id,
        &client.secret,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            client.id, client.secret
        ),
    )
    .await;
    assert_eq!(
        both.assert_problem(400, "invalid-request")["error"],
        "invalid_request"
    );
}

#[actix_rt::test]
async fn a_wrong_secret_an_unknown_client_and_a_disabled_client_are_invalid_clients() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read"], 600).await;

    let wrong = exchange(
        &app,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret=nope",
            client.id
        ),
    )
    .await;
    let unknown = exchange(
        &app,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            Uuid::new_v4(),
            client.secret
        ),
    )
    .await;
    let not_a_uuid = exchange(
        &app,
        "grant_type=client_credentials&client_id=x&client_secret=y",
    )
    .await;
    invalid_client(&wrong);
    invalid_client(&unknown);
    invalid_client(&not_a_uuid);
    assert_eq!(wrong.json()["detail"], unknown.json()["detail"]);

    let disabled = app
        .post(
            &format!("/api/v1/integrations/clients/{}/disable", client.id),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(disabled.status, 200);
    assert_eq!(disabled.json()["active"], false);
    let refused = exchange(
        &app,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            client.id, client.secret
        ),
    )
    .await;
    invalid_client(&refused);
}

#[actix_rt::test]
async fn malformed_token_requests_get_oauth_errors() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read"], 600).await;
    let creds = format!("client_id={}&client_secret={}", client.id, client.secret);

    let password_grant = exchange(&app, &format!("grant_type=password&{creds}")).await;
    let no_grant = exchange(&app, &creds).await;
    let json_body = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"grant_type": "client_credentials", "client_id": client.id, "client_secret": client.secret}),
        )
        .await;

    assert_eq!(
        password_grant.assert_problem(400, "unsupported-grant-type")["error"],
        "unsupported_grant_type"
    );
    assert_eq!(
        no_grant.assert_problem(400, "invalid-request")["error"],
        "invalid_request"
    );
    assert_eq!(
        json_body.assert_problem(400, "invalid-request")["error"],
        "invalid_request"
    );
}

#[actix_rt::test]
async fn a_token_can_be_narrowed_to_some_of_the_clients_scopes_but_not_widened() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read", "records:read"], 600).await;
    let patient = app.create_patient("Narrow", "Scope");
    let form = |scope: &str| {
        format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={scope}",
            client.id, client.secret
        )
    };

    let narrowed = exchange(&app, &form("patients:read")).await;
    let widened = exchange(&app, &form("patients:read+records:write")).await;
    let unknown = exchange(&app, &form("everything")).await;

    assert_eq!(narrowed.json()["scope"], "patients:read");
    let token = narrowed.json()["access_token"].as_str().unwrap().to_owned();
    let demographics = app
        .get(&format!("/api/v1/patients/{patient}"), Some(&token))
        .await;
    assert_eq!(demographics.status, 200);
    app.get(&format!("/api/v1/patients/{patient}/summary"), Some(&token))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        widened.assert_problem(400, "invalid-scope")["error"],
        "invalid_scope"
    );
    assert_eq!(
        unknown.assert_problem(400, "invalid-scope")["error"],
        "invalid_scope"
    );
}

#[actix_rt::test]
async fn rotating_the_secret_refuses_the_old_secret_and_the_tokens_issued_with_it() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read"], 600).await;
    let old_token = token_for(&app, &client).await;
    assert_eq!(
        app.get("/api/v1/patients", Some(&old_token)).await.status,
        200
    );

    let rotated = app
        .post(
            &format!("/api/v1/integrations/clients/{}/rotate-secret", client.id),
            Some(&admin),
            &json!({}),
        )
        .await;

    assert_eq!(
        rotated.status,
        200,
        "{}",
        String::from_utf8_lossy(&rotated.body)
    );
    let new_secret = rotated.json()["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, client.secret);
    app.get("/api/v1/patients", Some(&old_token))
        .await
        .assert_problem(401, "unauthenticated");
    invalid_client(
        &exchange(
            &app,
            &format!(
                "grant_type=client_credentials&client_id={}&client_secret={}",
                client.id, client.secret
            ),
        )
        .await,
    );
    let renewed = Client {
        secret: new_secret,
        ..client
    };
    let new_token = token_for(&app, &renewed).await;
    assert_eq!(
        app.get("/api/v1/patients", Some(&new_token)).await.status,
        200
    );
}

#[actix_rt::test]
async fn disabling_a_client_refuses_its_tokens_at_once_and_enabling_it_does_not_revive_them() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read"], 600).await;
    let token = token_for(&app, &client).await;
    let path = format!("/api/v1/integrations/clients/{}", client.id);

    app.post(&format!("{path}/disable"), Some(&admin), &json!({}))
        .await;
    let while_disabled = app.get("/api/v1/patients", Some(&token)).await;
    let enabled = app
        .post(&format!("{path}/enable"), Some(&admin), &json!({}))
        .await;
    let after = app.get("/api/v1/patients", Some(&token)).await;

    while_disabled.assert_problem(401, "unauthenticated");
    assert_eq!(enabled.json()["active"], true);
    after.assert_problem(401, "unauthenticated");
    let fresh = token_for(&app, &client).await;
    assert_eq!(app.get("/api/v1/patients", Some(&fresh)).await.status, 200);
}

#[actix_rt::test]
async fn a_client_disabled_elsewhere_is_refused_after_the_registry_refresh() {
    let app = TestApp::spawn_with(|s| s.client_refresh = Duration::from_secs(1)).await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read"], 600).await;
    let token = token_for(&app, &client).await;
    assert_eq!(app.get("/api/v1/patients", Some(&token)).await.status, 200);

    // Another API instance disabled it: only the database knows.
    {
        use hms_api::db::schema::api_clients;
        let mut conn = app.pool.get().expect("db");
        diesel::update(api_clients::table.find(Uuid::parse_str(&client.id).unwrap()))
            .set((
                api_clients::active.eq(false),
                api_clients::tokens_valid_after.eq(diesel::dsl::now),
            ))
            .execute(&mut conn)
            .expect("disable");
    }
    actix_rt::time::sleep(Duration::from_millis(2500)).await;

    app.get("/api/v1/patients", Some(&token))
        .await
        .assert_problem(401, "unauthenticated");
}

#[actix_rt::test]
async fn removing_a_scope_takes_effect_on_tokens_already_issued() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read", "inventory:read"], 600).await;
    let token = token_for(&app, &client).await;
    let path = format!("/api/v1/integrations/clients/{}", client.id);

    let unversioned = app
        .patch(&path, &admin, None, &json!({"scopes": ["inventory:read"]}))
        .await;
    let stale = app
        .patch(
            &path,
            &admin,
            Some("\"7\""),
            &json!({"scopes": ["inventory:read"]}),
        )
        .await;
    let changed = app
        .patch(
            &path,
            &admin,
            Some("\"1\""),
            &json!({"scopes": ["inventory:read"], "rate_limit_per_minute": 50}),
        )
        .await;

    unversioned.assert_problem(428, "precondition-required");
    stale.assert_problem(412, "precondition-failed");
    assert_eq!(
        changed.status,
        200,
        "{}",
        String::from_utf8_lossy(&changed.body)
    );
    assert_eq!(changed.json()["scopes"], json!(["inventory:read"]));
    assert_eq!(changed.header("etag"), Some("\"2\""));
    app.get("/api/v1/patients", Some(&token))
        .await
        .assert_problem(403, "forbidden");
    let items = app.get("/api/v1/inventory/items", Some(&token)).await;
    assert_eq!(items.status, 200);
    assert_eq!(items.header("ratelimit-limit"), Some("50"));
}

#[actix_rt::test]
async fn what_a_client_reads_and_writes_is_recorded_under_its_name() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read", "patients:write"], 600).await;
    let name = client.body["client"]["name"].as_str().unwrap().to_owned();
    let account = client.body["client"]["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = token_for(&app, &client).await;
    let patient = app.create_patient("Logged", "Reader");

    assert_eq!(
        app.get(&format!("/api/v1/patients/{patient}"), Some(&token))
            .await
            .status,
        200
    );
    let registered = app
        .post(
            "/api/v1/patients",
            Some(&token),
            &json!({"given_name": "Ana", "family_name": "Client", "birth_date": "1990-01-02", "sex": "female"}),
        )
        .await;

    assert_eq!(
        registered.status,
        201,
        "{}",
        String::from_utf8_lossy(&registered.body)
    );
    let log = app
        .get(
            &format!("/api/v1/patients/{patient}/access-log"),
            Some(&admin),
        )
        .await
        .json();
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["actor_name"] == name.as_str())
        .expect("the client's read is in the access log");
    assert_eq!(entry["actor_role"], "integration");
    assert_eq!(entry["action"], "read");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM audit_events WHERE actor_id = '{account}' AND actor_role = 'integration' AND action = 'create' AND entity_type = 'patient'"
            )
        ),
        1
    );
}

#[actix_rt::test]
async fn a_client_beyond_its_rate_limit_gets_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["inventory:read"], 3).await;
    let token = token_for(&app, &client).await;
    let person = app.token(Role::Pharmacist);

    let mut statuses = Vec::new();
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let reply = app.get("/api/v1/inventory/items", Some(&token)).await;
        statuses.push(reply.status);
        remaining.push(reply.header("ratelimit-remaining").unwrap_or("").to_owned());
    }
    let refused = app.get("/api/v1/inventory/items", Some(&token)).await;

    assert_eq!(statuses, vec![200, 200, 200]);
    assert_eq!(remaining, vec!["2", "1", "0"]);
    refused.assert_problem(429, "rate-limited");
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    for _ in 0..5 {
        let reply = app.get("/api/v1/inventory/items", Some(&person)).await;
        assert_eq!(reply.status, 200, "people are not limited by this");
        assert!(reply.header("ratelimit-limit").is_none());
    }
}

#[actix_rt::test]
async fn a_clients_service_account_cannot_sign_in_and_is_not_listed_among_people() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let client = register(&app, &admin, &["patients:read"], 600).await;
    let email = format!("client-{}@clients.invalid", client.id);
    let (_, someone) = app.create_user(Role::Nurse);
    let wrong = app.login(&someone, "not the password at all").await.json();

    let reply = app.login(&email, PASSWORD).await;

    let problem = reply.assert_problem(401, "unauthenticated");
    assert_eq!(problem["detail"], wrong["detail"]);
    let people = app
        .get("/api/v1/users?limit=200", Some(&admin))
        .await
        .json();
    assert!(people["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["role"] != "integration"));
    let clients = app
        .get("/api/v1/users?role=integration", Some(&admin))
        .await
        .json();
    assert_eq!(clients["items"][0]["email"], email.as_str());
    let account = clients["items"][0]["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/users/{account}"),
        &admin,
        Some("\"1\""),
        &json!({"display_name": "Hijacked"}),
    )
    .await
    .assert_problem(409, "conflict");
    let create = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "x@y.org", "display_name": "X", "role": "integration", "password": PASSWORD}),
        )
        .await;
    create.assert_problem(422, "validation");
}

#[actix_rt::test]
async fn a_preflight_from_an_allowed_origin_gets_the_cors_headers_and_another_origin_does_not() {
    let app =
        TestApp::spawn_with(|s| s.cors_origins = vec!["https://partner.example".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(awc::http::Method::OPTIONS, app.url("/api/v1/patients"))
            .insert_header(("Origin", origin))
            .insert_header(("Access-Control-Request-Method", "POST"))
            .insert_header((
                "Access-Control-Request-Headers",
                "authorization, content-type, idempotency-key, if-match",
            ))
            .send()
    };

    let allowed = preflight("https://partner.example")
        .await
        .expect("preflight");
    let other = preflight("https://evil.example").await.expect("preflight");

    let h = allowed.headers();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        h.get("access-control-allow-origin").unwrap(),
        "https://partner.example"
    );
    let allow_headers = h
        .get("access-control-allow-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in [
        "authorization",
        "content-type",
        "if-match",
        "idempotency-key",
    ] {
        assert!(allow_headers.contains(name), "{name} in {allow_headers}");
    }
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let token = app.token(Role::Receptionist);
    let actual = app
        .client
        .get(app.url("/api/v1/patients"))
        .bearer_auth(&token)
        .insert_header(("Origin", "https://partner.example"))
        .send()
        .await
        .expect("get");
    let exposed = actual
        .headers()
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in [
        "etag",
        "retry-after",
        "x-hms-read-only",
        "ratelimit-remaining",
    ] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
}

#[actix_rt::test]
async fn without_configured_origins_the_api_serves_same_origin_pages_only() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);

    let cross = app
        .client
        .get(app.url("/api/v1/patients"))
        .bearer_auth(&token)
        .insert_header(("Origin", "https://partner.example"))
        .send()
        .await
        .expect("get");

    assert_eq!(cross.status(), 200);
    assert!(cross.headers().get("access-control-allow-origin").is_none());
}
