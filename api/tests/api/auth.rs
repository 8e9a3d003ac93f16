//! Signing in, sessions and tokens.

use std::time::Duration;

use base64::Engine;
use hms_api::auth::JwtKeys;
use hms_api_types::Role;
use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

#[actix_rt::test]
async fn signing_in_with_the_right_password_returns_tokens_and_the_account() {
    let app = TestApp::spawn().await;
    let (id, email) = app.create_user(Role::Nurse);

    let reply = app.login(&email.to_uppercase(), PASSWORD).await;

    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["id"], id.to_string());
    assert_eq!(body["user"]["role"], "nurse");
    assert!(body["user"].get("password_hash").is_none());
    let me = app.get("/api/v1/me", body["access_token"].as_str()).await;
    assert_eq!(me.status, 200);
    assert!(me.json()["last_login_at"].is_string());
}

#[actix_rt::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401_problem() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Doctor);

    let wrong_password = app.login(&email, "not the password").await;
    let unknown_email = app.login("nobody@test.hms", PASSWORD).await;

    let a = wrong_password.assert_problem(401, "unauthenticated");
    let b = unknown_email.assert_problem(401, "unauthenticated");
    assert_eq!(a, b);
    assert_eq!(a["detail"], "the email or password is incorrect");
}

#[actix_rt::test]
async fn a_deactivated_account_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let (id, email) = app.create_user(Role::Pharmacist);
    let off = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            Some("\"1\""),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(off.status, 200);

    let reply = app.login(&email, PASSWORD).await;

    let problem = reply.assert_problem(401, "unauthenticated");
    assert!(problem["detail"].as_str().unwrap().contains("deactivated"));
}

#[actix_rt::test]
async fn repeated_failed_sign_ins_lock_the_account_with_retry_after() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Receptionist);
    for _ in 0..5 {
        app.login(&email, "wrong password")
            .await
            .assert_problem(401, "unauthenticated");
    }

    let locked = app.login(&email, PASSWORD).await;

    locked.assert_problem(429, "rate-limited");
    let wait: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 800, "locked for about 15 minutes, got {wait}s");
}

#[actix_rt::test]
async fn one_client_address_is_throttled_across_accounts() {
    let app = TestApp::spawn_with(|s| s.login_max_per_address = 3).await;
    for i in 0..3 {
        let reply = app.login(&format!("guess{i}@test.hms"), "x").await;
        assert_eq!(reply.status, 401);
    }

    let reply = app.login("guess9@test.hms", "x").await;

    reply.assert_problem(429, "rate-limited");
    assert!(reply.header("retry-after").is_some());
}

#[actix_rt::test]
async fn a_refresh_token_works_once_and_its_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Doctor);
    let first = app.session(&email).await;

    let rotated = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first.refresh_token}),
        )
        .await;
    assert_eq!(rotated.status, 200);
    let second = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first.refresh_token);

    let replayed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first.refresh_token}),
        )
        .await;
    replayed.assert_problem(401, "unauthenticated");

    let after_theft = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": second}),
        )
        .await;
    after_theft.assert_problem(401, "unauthenticated");
}

#[actix_rt::test]
async fn logging_out_revokes_the_refresh_token() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Patient);
    let session = app.session(&email).await;
    let body = json!({"refresh_token": session.refresh_token});

    let out = app.post("/api/v1/auth/logout", None, &body).await;
    let again = app.post("/api/v1/auth/logout", None, &body).await;
    let refresh = app.post("/api/v1/auth/refresh", None, &body).await;

    assert_eq!(out.status, 204);
    assert_eq!(again.status, 204);
    refresh.assert_problem(401, "unauthenticated");
}

#[actix_rt::test]
async fn requests_without_a_token_get_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;

    let reply = app.get("/api/v1/me", None).await;

    reply.assert_problem(401, "unauthenticated");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer realm=\"hms\"")
    );
}

#[actix_rt::test]
async fn expired_tampered_unsigned_and_foreign_tokens_get_401() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_user(Role::Admin);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let good = app.keys.issue(id, Role::Nurse, None).unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["role"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    let unsigned = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let foreign = JwtKeys::new(
        b"some-other-secret-some-other-secret",
        Duration::from_secs(600),
    )
    .issue(id, Role::Admin, None)
    .unwrap();
    let expired = {
        let now = chrono::Utc::now().timestamp();
        let claims = hms_api::auth::jwt::Claims {
            sub: id,
            role: Role::Admin,
            iat: now - 600,
            exp: now - 60,
            iss: "hms".into(),
            aud: "hms-api".into(),
            jti: uuid::Uuid::new_v4(),
            pid: None,
            cid: None,
            scope: None,
            iat_ms: None,
        };
        let key = jsonwebtoken::EncodingKey::from_secret(crate::helpers::JWT_SECRET.as_bytes());
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };

    for (name, token) in [
        ("tampered", tampered),
        ("alg none", unsigned),
        ("foreign key", foreign),
        ("expired", expired),
        ("garbage", "not.a.jwt".to_owned()),
    ] {
        let reply = app.get("/api/v1/users", Some(&token)).await;
        assert_eq!(reply.status, 401, "{name} token must be rejected");
    }
    let ok = app.get("/api/v1/me", Some(&good)).await;
    assert_eq!(ok.status, 200, "the untouched token still works");
}

#[actix_rt::test]
async fn changing_your_password_ends_your_sessions_and_the_new_one_works() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Nurse);
    let session = app.session(&email).await;
    let new_password = "a much longer new password";

    let wrong = app
        .post(
            "/api/v1/me/password",
            Some(&session.access_token),
            &json!({"current_password": "nope", "new_password": new_password}),
        )
        .await;
    let changed = app
        .post(
            "/api/v1/me/password",
            Some(&session.access_token),
            &json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;

    let problem = wrong.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "current_password");
    assert_eq!(changed.status, 204);
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": session.refresh_token}),
        )
        .await;
    refresh.assert_problem(401, "unauthenticated");
    assert_eq!(app.login(&email, PASSWORD).await.status, 401);
    assert_eq!(app.login(&email, new_password).await.status, 200);
}

#[actix_rt::test]
async fn sign_ins_and_failures_are_audited_without_secrets() {
    use diesel::prelude::*;
    use hms_api::db::schema::audit_events;
    let app = TestApp::spawn().await;
    let (id, email) = app.create_user(Role::Doctor);
    app.login(&email, "wrong password").await;
    app.session(&email).await;

    let mut conn = app.pool.get().unwrap();
    let rows: Vec<(String, Option<String>, String, Option<String>)> = audit_events::table
        .filter(audit_events::action.eq("login"))
        .order(audit_events::id.asc())
        .select((
            audit_events::action,
            audit_events::entity_id,
            audit_events::outcome,
            audit_events::client_addr,
        ))
        .load(&mut conn)
        .unwrap();

    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].2, "failure");
    assert_eq!(rows[1].2, "success");
    assert_eq!(rows[1].1.as_deref(), Some(id.to_string().as_str()));
    assert_eq!(rows[1].3.as_deref(), Some("127.0.0.1"));
}
