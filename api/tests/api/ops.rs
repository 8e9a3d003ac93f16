//! Health, the OpenAPI document, Swagger UI and the SPA's files.

use std::path::Path;

use crate::helpers::TestApp;

#[actix_rt::test]
async fn readiness_reports_the_database_up() {
    let app = TestApp::spawn().await;

    let reply = app.get("/health/ready", None).await;

    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"][0]["name"], "database");
    assert_eq!(body["checks"][0]["status"], "up");
}

#[test]
fn the_committed_openapi_document_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let fresh = hms_api::openapi::document_json();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        std::fs::write(&path, &fresh).expect("write openapi.json");
        panic!(
            "{} was stale and has been regenerated; review and commit it",
            path.display()
        );
    }
}

#[actix_rt::test]
async fn the_served_document_is_the_committed_one() {
    let app = TestApp::spawn().await;

    let reply = app.get("/api-docs/openapi.json", None).await;

    assert_eq!(reply.status, 200);
    let served = reply.json();
    let generated: serde_json::Value =
        serde_json::from_str(&hms_api::openapi::document_json()).unwrap();
    assert_eq!(served, generated);
    assert_eq!(
        served["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[actix_rt::test]
async fn swagger_ui_is_served_from_vendored_assets() {
    let app = TestApp::spawn().await;

    let page = app.get("/swagger-ui/", None).await;
    let bundle = app.get("/swagger-ui/swagger-ui-bundle.js", None).await;

    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("swagger-ui"));
    assert_eq!(bundle.status, 200);
    assert!(bundle.body.len() > 100_000, "the real bundle, not a stub");
}

#[actix_rt::test]
async fn browser_routes_get_the_spa_and_its_files_but_never_files_outside_it() {
    let dir = std::env::temp_dir().join(format!("hms-spa-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<html>HMS SPA</html>").unwrap();
    std::fs::write(dir.join("hms-web.js"), "export default 1;").unwrap();
    let spa_dir = dir.clone();
    let app = TestApp::spawn_with(move |s| s.static_dir = spa_dir).await;

    let root = app.get("/", None).await;
    let deep = app.get("/users", None).await;
    let asset = app.get("/hms-web.js", None).await;
    let escape = app.get("/..%2f..%2fetc%2fpasswd", None).await;
    let api = app.get("/api/v1/nothing", None).await;

    assert_eq!(root.status, 200);
    assert!(String::from_utf8_lossy(&root.body).contains("HMS SPA"));
    assert!(String::from_utf8_lossy(&deep.body).contains("HMS SPA"));
    assert_eq!(String::from_utf8_lossy(&asset.body), "export default 1;");
    assert!(!String::from_utf8_lossy(&escape.body).contains("root:"));
    api.assert_problem(404, "not-found");
    let _ = std::fs::remove_dir_all(dir);
}
