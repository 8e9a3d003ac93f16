//! Walks the role table: every protected endpoint, every role. A new secured endpoint that is
//! not listed here fails `every_secured_operation_is_covered_by_the_walk`.

use hms_api_types::{Permission, Role};
use serde_json::json;

use crate::helpers::TestApp;

/// (method, concrete path, OpenAPI path, body, permission required)
fn protected() -> Vec<(
    &'static str,
    String,
    &'static str,
    serde_json::Value,
    Permission,
)> {
    let some_id = uuid::Uuid::new_v4();
    vec![
        (
            "GET",
            "/api/v1/users".into(),
            "/api/v1/users",
            json!(null),
            Permission::ManageUsers,
        ),
        (
            "POST",
            "/api/v1/users".into(),
            "/api/v1/users",
            json!({}),
            Permission::ManageUsers,
        ),
        (
            "GET",
            format!("/api/v1/users/{some_id}"),
            "/api/v1/users/{id}",
            json!(null),
            Permission::ManageUsers,
        ),
        (
            "PATCH",
            format!("/api/v1/users/{some_id}"),
            "/api/v1/users/{id}",
            json!({}),
            Permission::ManageUsers,
        ),
        (
            "GET",
            "/api/v1/me".into(),
            "/api/v1/me",
            json!(null),
            Permission::UseOwnAccount,
        ),
        (
            "POST",
            "/api/v1/me/password".into(),
            "/api/v1/me/password",
            json!({}),
            Permission::UseOwnAccount,
        ),
    ]
}

#[actix_rt::test]
async fn every_role_gets_exactly_what_the_role_table_grants() {
    let app = TestApp::spawn().await;

    for role in Role::ALL {
        let token = app.token(role);
        for (method, path, _, body, permission) in protected() {
            let reply = if body.is_null() {
                app.send_raw(method, &path, Some(&token), "application/json", Vec::new())
                    .await
            } else {
                app.send_raw(
                    method,
                    &path,
                    Some(&token),
                    "application/json",
                    body.to_string().into_bytes(),
                )
                .await
            };
            if role.can(permission) {
                assert_ne!(reply.status, 403, "{role} must be allowed {method} {path}");
                assert_ne!(reply.status, 401, "{role} token must be accepted");
            } else {
                reply.assert_problem(403, "forbidden");
            }
        }
    }
}

#[actix_rt::test]
async fn every_secured_operation_is_covered_by_the_walk() {
    let doc = hms_api::openapi::document();
    let walked: Vec<(String, String)> = protected()
        .into_iter()
        .map(|(m, _, p, _, _)| (m.to_owned(), p.to_owned()))
        .collect();

    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                assert!(
                    walked.contains(&(method.to_owned(), path.clone())),
                    "{method} {path} is secured but not in the role walk"
                );
            }
        }
    }
}
