//! Test harness: a throwaway cluster, a migrated template database, and [`TestApp`], a real
//! server on its own fresh database.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use awc::http::header::HeaderMap;
use diesel::prelude::*;
use diesel::{Connection, PgConnection};
use hms_api::auth::JwtKeys;
use hms_api::config::Settings;
use hms_api::db::{self, DbPool};
use hms_api::startup::Application;
use hms_api_types::auth::TokenResponse;
use hms_api_types::Role;
use serde_json::Value;
use uuid::Uuid;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates the migrated template once per test binary.
fn template() -> &'static str {
    static TEMPLATE: OnceLock<&'static str> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let cluster = pg_harness::shared();
        cluster
            .create_database("hms_template", None)
            .expect("create template");
        let mut conn =
            PgConnection::establish(&cluster.url("hms_template")).expect("connect to template");
        db::migrate(&mut conn).expect("migrate template");
        "hms_template"
    })
}

/// A fresh, migrated database for one test; returns its URL.
pub fn fresh_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let template = template();
    let name = format!("test_{}", NEXT.fetch_add(1, Ordering::SeqCst));
    let cluster = pg_harness::shared();
    cluster
        .create_database(&name, Some(template))
        .expect("create test database");
    cluster.url(&name)
}

/// A password hash computed once, so creating test users is cheap.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hms_api::auth::password::hash(PASSWORD).expect("hash"))
}

/// A running server on its own database, and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: awc::Client,
    pub pool: DbPool,
    pub keys: JwtKeys,
}

/// A response with its body read.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts this is a problem response with `status` and `type` = `/problems/<slug>`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, slug: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["type"], format!("/problems/{slug}"));
        assert_eq!(body["status"], status);
        body
    }

    /// Asserts a FHIR error: `status`, an `application/fhir+json` OperationOutcome whose first
    /// issue has the IssueType `code`.
    pub fn assert_outcome(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("application/fhir+json")),
            "content type {:?}",
            self.header("content-type")
        );
        let body = self.json();
        assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
        assert_eq!(body["issue"][0]["severity"], "error", "{body}");
        assert_eq!(body["issue"][0]["code"], code, "{body}");
        body
    }

    /// [`Reply::assert_outcome`] under `/fhir`, else [`Reply::assert_problem`], for the same
    /// error (`slug` is the problem type; the OperationOutcome carries it in its details).
    pub fn assert_error(&self, path: &str, status: u16, slug: &str) -> Value {
        if path.starts_with("/fhir/") {
            let body = self.assert_outcome(
                status,
                match status {
                    401 => "login",
                    403 => "forbidden",
                    404 => "not-found",
                    _ => "invalid",
                },
            );
            assert_eq!(body["issue"][0]["details"]["coding"][0]["code"], slug);
            body
        } else {
            self.assert_problem(status, slug)
        }
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with adjusted settings (limits, static dir).
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let url = fresh_database();
        let mut settings = Settings::for_database(&url, JWT_SECRET);
        settings.static_dir = "/nonexistent".into();
        adjust(&mut settings);
        let pool = db::build_pool(&settings);
        Self::start(settings, pool)
    }

    /// Spawns a server whose database cannot be reached at all.
    pub async fn spawn_without_database() -> TestApp {
        let port = pg_harness::free_port().expect("port");
        let url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
        let mut settings = Settings::for_database(&url, JWT_SECRET);
        settings.static_dir = "/nonexistent".into();
        settings.db_connect_timeout = Duration::from_millis(500);
        let pool = db::build_pool(&settings);
        Self::start(settings, pool)
    }

    fn start(settings: Settings, pool: DbPool) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let keys = JwtKeys::new(settings.jwt_secret.as_bytes(), settings.access_token_ttl);
        let app = Application::build_with(settings, pool.clone(), listener).expect("build app");
        let base = format!("http://127.0.0.1:{}", app.port());
        actix_rt::spawn(app.run_until_stopped());
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        TestApp {
            base,
            client,
            pool,
            keys,
        }
    }

    /// Inserts an active user with `role` and [`PASSWORD`]; returns its id and email.
    pub fn create_user(&self, role: Role) -> (Uuid, String) {
        use hms_api::db::schema::users;
        let email = format!(
            "{}-{}@test.hms",
            role,
            &Uuid::new_v4().simple().to_string()[..8]
        );
        let mut conn = self.pool.get().expect("db");
        let id = diesel::insert_into(users::table)
            .values((
                users::email.eq(&email),
                users::display_name.eq(format!("Test {}", role.label())),
                users::role.eq(role.as_str()),
                users::password_hash.eq(password_hash()),
            ))
            .returning(users::id)
            .get_result(&mut conn)
            .expect("insert user");
        (id, email)
    }

    /// A valid access token for a new user with `role` (no sign-in round trip). A patient
    /// account gets a new patient record of its own.
    pub fn token(&self, role: Role) -> String {
        if role == Role::Patient {
            let patient = self.create_patient("Test", "Patient");
            return self.patient_token(patient);
        }
        let (id, _) = self.create_user(role);
        self.keys.issue(id, role, None).expect("issue token")
    }

    /// Inserts a patient directly; returns its id.
    pub fn create_patient(&self, given: &str, family: &str) -> Uuid {
        use hms_api::db::schema::patients;
        let mut conn = self.pool.get().expect("db");
        diesel::insert_into(patients::table)
            .values((
                patients::given_name.eq(given),
                patients::family_name.eq(family),
                patients::birth_date.eq(chrono::NaiveDate::from_ymd_opt(1980, 5, 17).unwrap()),
                patients::sex.eq("female"),
            ))
            .returning(patients::id)
            .get_result(&mut conn)
            .expect("insert patient")
    }

    /// A patient account linked to `patient`; returns its access token.
    pub fn patient_token(&self, patient: Uuid) -> String {
        use hms_api::db::schema::users;
        let (id, _) = self.create_user(Role::Patient);
        let mut conn = self.pool.get().expect("db");
        diesel::update(users::table.find(id))
            .set(users::patient_id.eq(patient))
            .execute(&mut conn)
            .expect("link patient");
        self.keys
            .issue(id, Role::Patient, Some(patient))
            .expect("issue token")
    }

    /// Signs in through the API.
    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs in and returns the token response, panicking on failure.
    pub async fn session(&self, email: &str) -> TokenResponse {
        let reply = self.login(email, PASSWORD).await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        serde_json::from_slice(&reply.body).expect("token response")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        let mut req = self.client.post(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send_json(body).await).await
    }

    pub async fn patch(
        &self,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Reply {
        let mut req = self.client.patch(self.url(path)).bearer_auth(token);
        if let Some(v) = if_match {
            req = req.insert_header(("If-Match", v));
        }
        read(req.send_json(body).await).await
    }

    /// Sends raw bytes with a content type of the caller's choosing.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, self.url(path))
            .insert_header(("Content-Type", content_type));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send_body(body).await).await
    }
}

async fn read(res: Result<awc::ClientResponse, awc::error::SendRequestError>) -> Reply {
    let mut res = res.expect("request failed");
    let body = res.body().limit(10 * 1024 * 1024).await.expect("read body");
    Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: body.to_vec(),
    }
}
