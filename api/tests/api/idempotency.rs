//! `Idempotency-Key` on every change: a client that retries after an ambiguous failure (a
//! failover where the commit happened but the answer was lost) gets the first answer again,
//! marked `Idempotent-Replayed: true`, and nothing is done twice. A key reused for a different
//! request is a 422; keys belong to one account.

use diesel::prelude::*;
use hms_api_types::Role;
use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp, PASSWORD};

/// Sends `body` (or no body) with `Idempotency-Key: key` and any `extra` headers.
async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    key: &str,
    extra: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .insert_header(("Idempotency-Key", key));
    for (name, value) in extra {
        req = req.insert_header((*name, *value));
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

async fn post(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> Reply {
    send(app, "POST", path, token, key, &[], Some(body)).await
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

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// Asserts `retry` is `first` replayed: same status, body, `Location` and `ETag`, and marked.
#[track_caller]
fn assert_replayed(first: &Reply, retry: &Reply) {
    assert_eq!(retry.status, first.status, "{}", text(retry));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), first.json());
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.header("etag"), first.header("etag"));
}

fn maria() -> Value {
    json!({
        "given_name": "María",
        "family_name": "González",
        "birth_date": "1984-03-12",
        "sex": "female",
    })
}

fn penicillin() -> Value {
    json!({"substance": "Penicillin", "reaction": "Hives", "severity": "moderate"})
}

#[actix_rt::test]
async fn vital_signs_retried_with_the_same_key_are_recorded_once_and_answered_the_same() {
    let app = TestApp::spawn().await;
    let nurse = app.token(Role::Nurse);
    let patient = app.create_patient("Ada", "Lovelace");
    let path = format!("/api/v1/patients/{patient}/vitals");
    let body = json!({"heart_rate_bpm": 64, "temperature_c": 36.8});

    let first = post(&app, &path, &nurse, "vitals-1", &body).await;
    let retry = post(&app, &path, &nurse, "vitals-1", &body).await;

    assert_eq!(first.status, 201, "{}", text(&first));
    assert!(first.header("location").is_some());
    assert_replayed(&first, &retry);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM vitals"), 1);
}

fn execute(app: &TestApp, sql: &str) {
    let mut conn = app.pool.get().expect("db");
    diesel::sql_query(sql).execute(&mut conn).expect(sql);
}

#[actix_rt::test]
async fn a_key_older_than_a_day_is_forgotten_so_the_same_key_records_again() {
    let app = TestApp::spawn().await;
    let nurse = app.token(Role::Nurse);
    let patient = app.create_patient("Ada", "Lovelace");
    let path = format!("/api/v1/patients/{patient}/vitals");
    let body = json!({"heart_rate_bpm": 64});

    let first = post(&app, &path, &nurse, "vitals-old", &body).await;
    execute(
        &app,
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'",
    );
    let later = post(&app, &path, &nurse, "vitals-old", &body).await;
    let retry = post(&app, &path, &nurse, "vitals-old", &body).await;

    assert_eq!(first.status, 201, "{}", text(&first));
    assert_eq!(later.status, 201, "{}", text(&later));
    assert_eq!(later.header("idempotent-replayed"), None);
    assert_ne!(later.json()["id"], first.json()["id"]);
    // The key now stands for the new request.
    assert_replayed(&later, &retry);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM vitals"), 2);
}

#[actix_rt::test]
async fn the_cleanup_deletes_expired_keys_and_keeps_the_others() {
    let app = TestApp::spawn().await;
    let nurse = app.token(Role::Nurse);
    let patient = app.create_patient("Ada", "Lovelace");
    let path = format!("/api/v1/patients/{patient}/vitals");
    for key in ["a", "b", "c"] {
        let reply = post(&app, &path, &nurse, key, &json!({"heart_rate_bpm": 64})).await;
        assert_eq!(reply.status, 201, "{}", text(&reply));
    }
    execute(
        &app,
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key <> 'c'",
    );

    let forgotten =
        hms_api::idempotency::forget_expired(&mut app.pool.get().expect("db")).expect("cleanup");

    assert_eq!(forgotten, 2);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM idempotency_keys WHERE key = 'c'"
        ),
        1
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM idempotency_keys"), 1);
}

#[actix_rt::test]
async fn a_registration_retried_with_the_same_key_gets_the_patient_instead_of_a_duplicate_warning()
{
    let app = TestApp::spawn().await;
    let reception = app.token(Role::Receptionist);

    let first = post(&app, "/api/v1/patients", &reception, "reg-1", &maria()).await;
    let retry = post(&app, "/api/v1/patients", &reception, "reg-1", &maria()).await;
    let without_key = app
        .post("/api/v1/patients", Some(&reception), &maria())
        .await;

    assert_eq!(first.status, 201, "{}", text(&first));
    assert_replayed(&first, &retry);
    // Without the key the same request is a new registration: a likely duplicate.
    without_key.assert_problem(409, "possible-duplicate");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM patients"), 1);
}

#[actix_rt::test]
async fn an_allergy_retried_with_the_same_key_is_recorded_once_and_another_request_with_it_is_refused(
) {
    let app = TestApp::spawn().await;
    let nurse = app.token(Role::Nurse);
    let patient = app.create_patient("Ada", "Lovelace");
    let other_patient = app.create_patient("Grace", "Hopper");
    let path = format!("/api/v1/patients/{patient}/allergies");

    // A request that fails stores nothing: the same key then works for the corrected one.
    let invalid = post(&app, &path, &nurse, "allergy-1", &json!({"substance": ""})).await;
    let first = post(&app, &path, &nurse, "allergy-1", &penicillin()).await;
    let retry = post(&app, &path, &nurse, "allergy-1", &penicillin()).await;
    let other_body = post(
        &app,
        &path,
        &nurse,
        "allergy-1",
        &json!({"substance": "Latex", "severity": "mild"}),
    )
    .await;
    let other_path = post(
        &app,
        &format!("/api/v1/patients/{other_patient}/allergies"),
        &nurse,
        "allergy-1",
        &penicillin(),
    )
    .await;

    invalid.assert_problem(422, "validation");
    assert_eq!(first.status, 201, "{}", text(&first));
    assert_replayed(&first, &retry);
    for reused in [&other_body, &other_path] {
        let problem = reused.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    }
    assert_eq!(count(&app, "SELECT count(*) AS n FROM allergies"), 1);
}

#[actix_rt::test]
async fn a_demographics_change_retried_with_the_same_key_gets_the_first_answer_instead_of_412() {
    let app = TestApp::spawn().await;
    let reception = app.token(Role::Receptionist);
    let patient = app.create_patient("Ada", "Lovelace");
    let path = format!("/api/v1/patients/{patient}");
    let body = json!({"phone": "+44 20 7946 0000"});
    let if_match = [("If-Match", "\"1\"")];

    let first = send(
        &app,
        "PATCH",
        &path,
        &reception,
        "edit-1",
        &if_match,
        Some(&body),
    )
    .await;
    let retry = send(
        &app,
        "PATCH",
        &path,
        &reception,
        "edit-1",
        &if_match,
        Some(&body),
    )
    .await;
    let without_key = app.patch(&path, &reception, Some("\"1\""), &body).await;

    assert_eq!(first.status, 200, "{}", text(&first));
    assert_eq!(first.header("etag"), Some("\"2\""));
    assert_replayed(&first, &retry);
    without_key.assert_problem(412, "precondition-failed");
    let now = app.get(&path, Some(&reception)).await;
    assert_eq!(now.json()["version"], 2);
}

#[actix_rt::test]
async fn a_department_retried_with_the_same_key_is_created_once() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let body = json!({"name": "Cardiology", "description": "Hearts"});

    let first = post(&app, "/api/v1/departments", &admin, "dept-1", &body).await;
    let retry = post(&app, "/api/v1/departments", &admin, "dept-1", &body).await;

    assert_eq!(first.status, 201, "{}", text(&first));
    assert_replayed(&first, &retry);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM departments"), 1);
}

#[actix_rt::test]
async fn keys_belong_to_one_account_so_another_user_with_the_same_key_is_not_replayed() {
    let app = TestApp::spawn().await;
    let patient = app.create_patient("Ada", "Lovelace");
    let path = format!("/api/v1/patients/{patient}/vitals");
    let body = json!({"heart_rate_bpm": 64});
    let (nurse, other_nurse) = (app.token(Role::Nurse), app.token(Role::Nurse));
    let (admin, other_admin) = (app.token(Role::Admin), app.token(Role::Admin));
    let department = json!({"name": "Cardiology"});

    let first = post(&app, &path, &nurse, "shared-key", &body).await;
    let other = post(&app, &path, &other_nurse, "shared-key", &body).await;
    let created = post(&app, "/api/v1/departments", &admin, "k", &department).await;
    let taken = post(&app, "/api/v1/departments", &other_admin, "k", &department).await;

    assert_eq!(first.status, 201, "{}", text(&first));
    assert_eq!(other.status, 201, "{}", text(&other));
    assert_eq!(other.header("idempotent-replayed"), None);
    assert_ne!(other.json()["id"], first.json()["id"]);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM vitals"), 2);
    // The other administrator's request really runs: the name is taken by then.
    assert_eq!(created.status, 201, "{}", text(&created));
    taken.assert_problem(409, "conflict");
}

#[actix_rt::test]
async fn a_leave_removal_retried_with_the_same_key_is_204_again_instead_of_404() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let department = post(
        &app,
        "/api/v1/departments",
        &admin,
        "d",
        &json!({"name": "General Practice"}),
    )
    .await;
    let (doctor, _) = app.create_user(Role::Doctor);
    let practitioner = post(
        &app,
        "/api/v1/practitioners",
        &admin,
        "p",
        &json!({"user_id": doctor, "department_id": department.json()["id"], "specialty": "Family medicine"}),
    )
    .await;
    assert_eq!(practitioner.status, 201, "{}", text(&practitioner));
    let id = practitioner.json()["id"].as_str().unwrap().to_owned();
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(7);
    let leave = post(
        &app,
        &format!("/api/v1/practitioners/{id}/exceptions"),
        &admin,
        "e",
        &json!({"starts_at": format!("{day}T09:00:00Z"), "ends_at": format!("{day}T12:00:00Z"), "reason": "Training"}),
    )
    .await;
    assert_eq!(leave.status, 201, "{}", text(&leave));
    let path = format!(
        "/api/v1/practitioners/{id}/exceptions/{}",
        leave.json()["id"].as_str().unwrap()
    );

    let first = send(&app, "DELETE", &path, &admin, "remove-1", &[], None).await;
    let retry = send(&app, "DELETE", &path, &admin, "remove-1", &[], None).await;
    let new_key = send(&app, "DELETE", &path, &admin, "remove-2", &[], None).await;

    assert_eq!(first.status, 204, "{}", text(&first));
    assert_replayed(&first, &retry);
    assert!(retry.body.is_empty());
    new_key.assert_problem(404, "not-found");
}

#[actix_rt::test]
async fn a_password_change_retried_with_the_same_key_is_answered_as_the_first() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_user(Role::Nurse);
    let token = app.keys.issue(id, Role::Nurse, None).expect("token");
    let body = json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"});

    let first = post(&app, "/api/v1/me/password", &token, "pw-1", &body).await;
    let retry = post(&app, "/api/v1/me/password", &token, "pw-1", &body).await;
    let without_key = app.post("/api/v1/me/password", Some(&token), &body).await;

    assert_eq!(first.status, 204, "{}", text(&first));
    assert_replayed(&first, &retry);
    // Without the key the retry is checked again, against the password it set.
    without_key.assert_problem(422, "validation");
}

#[actix_rt::test]
async fn a_malformed_key_is_refused_before_anything_is_done() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);

    let reply = post(
        &app,
        "/api/v1/departments",
        &admin,
        &"k".repeat(201),
        &json!({"name": "Cardiology"}),
    )
    .await;

    reply.assert_problem(400, "bad-request");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM departments"), 0);
}

#[test]
fn every_change_outside_sign_in_documents_the_idempotency_key() {
    let doc = hms_api::openapi::document();
    let mut missing = Vec::new();
    let mut in_auth = Vec::new();
    let mut changes = 0;

    for (path, item) in &doc.paths.paths {
        let ops = [
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let declared = op.parameters.iter().flatten().any(|p| {
                p.name == "Idempotency-Key"
                    && p.parameter_in == utoipa::openapi::path::ParameterIn::Header
                    && p.required == utoipa::openapi::Required::False
            });
            if path.starts_with("/api/v1/auth/") {
                if declared {
                    in_auth.push(format!("{method} {path}"));
                }
            } else {
                changes += 1;
                if !declared {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
    }

    assert!(changes > 40, "only {changes} changes found");
    assert!(missing.is_empty(), "no Idempotency-Key: {missing:?}");
    assert!(
        in_auth.is_empty(),
        "sign-in operations with a key: {in_auth:?}"
    );
}
