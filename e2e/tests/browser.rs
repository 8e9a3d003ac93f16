//! The SPA in headless Chromium against the real API and a real database with the demo data.
//!
//! Needs the built SPA (`cargo xtask web`; `cargo xtask test` builds it first) and Debian's
//! `chromium` and `chromium-driver` (`cargo xtask setup` installs them).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hms_api::config::Settings;
use hms_api::db;
use hms_api::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use hms_api::startup::Application;
use hms_api_types::Role;

const WAIT: Duration = Duration::from_secs(20);

fn spa_dir() -> PathBuf {
    let dir = std::env::var_os("HMS_STATIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/dist"));
    assert!(
        dir.join("index.html").is_file(),
        "the SPA is not built in {}; run `cargo xtask web` first",
        dir.display()
    );
    dir
}

/// Starts the API with the demo data on a fresh database; returns its base URL.
fn start_api() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let cluster = pg_harness::shared();
    let name = format!("e2e_{}", NEXT.fetch_add(1, Ordering::SeqCst));
    cluster
        .create_database(&name, None)
        .expect("create database");
    let mut settings =
        Settings::for_database(&cluster.url(&name), "e2e-secret-e2e-secret-e2e-secret!!");
    settings.static_dir = spa_dir();
    let pool = db::build_pool(&settings);
    {
        let mut conn = pool.get().expect("connect");
        db::migrate(&mut conn).expect("migrate");
        hms_api::demo::seed(&mut conn).expect("seed demo data");
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build_with(settings, pool, listener).expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_rt::spawn(app.run_until_stopped());
    base
}

/// A ChromeDriver process and a headless Chromium session, closed on drop.
struct Browser {
    client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    async fn open() -> Browser {
        let port = pg_harness::free_port().expect("port");
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is missing: run `cargo xtask setup`");
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = std::env::temp_dir().join(format!("hms-e2e-{port}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.display())]
            }),
        );
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("start a Chromium session");
        Browser {
            client,
            driver,
            profile,
        }
    }

    async fn text_of(&self, css: &str) -> String {
        let element = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
        element.text().await.expect("text")
    }

    /// Waits until `css` shows text containing `expected`.
    async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.text_of(css).await;
            if text.contains(expected) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} shows {text:?}, expected {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn fill(&self, css: &str, value: &str) {
        let field = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
            .click()
            .await
            .expect("click");
    }

    async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.client
            .goto(&format!("{base}/login"))
            .await
            .expect("open the login page");
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("#login-submit").await;
    }

    async fn close(self) {
        let Browser {
            client,
            mut driver,
            profile,
        } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
        let _ = std::fs::remove_dir_all(profile);
    }
}

fn home_title(role: Role) -> &'static str {
    match role {
        Role::Admin => "Administration",
        Role::Doctor => "Clinical workspace",
        Role::Nurse => "Nursing workspace",
        Role::Receptionist => "Front desk",
        Role::Pharmacist => "Pharmacy and stock",
        Role::Patient => "My health",
    }
}

#[actix_rt::test]
async fn every_demo_role_signs_in_sees_its_own_home_and_signs_out() {
    let base = start_api();
    let browser = Browser::open().await;

    for (role, email, name) in DEMO_ACCOUNTS {
        browser.sign_in(&base, email, DEMO_PASSWORD).await;

        browser.wait_for_text("#home-title", home_title(role)).await;
        let home = browser
            .client
            .find(Locator::Css("main#home"))
            .await
            .expect("home");
        assert_eq!(
            home.attr("data-role").await.unwrap().as_deref(),
            Some(role.as_str())
        );
        browser.wait_for_text("#main-nav", name).await;
        let nav = browser.text_of("#main-nav").await;
        assert_eq!(nav.contains("Users"), role == Role::Admin, "{role}: {nav}");

        browser.click("#logout").await;
        browser.text_of("#login-form").await;
    }
    browser.close().await;
}

#[actix_rt::test]
async fn a_wrong_password_shows_the_servers_message_and_stays_on_the_login_page() {
    let base = start_api();
    let browser = Browser::open().await;

    browser
        .sign_in(&base, "nurse@demo.hms", "not the password")
        .await;

    let message = browser
        .wait_for_text("#login-error", "the email or password is incorrect")
        .await;
    assert!(!message.is_empty());
    assert!(browser
        .client
        .find(Locator::Css("#home-title"))
        .await
        .is_err());
    browser.close().await;
}

#[actix_rt::test]
async fn a_session_survives_a_page_reload_through_the_refresh_token() {
    let base = start_api();
    let browser = Browser::open().await;
    browser
        .sign_in(&base, "doctor@demo.hms", DEMO_PASSWORD)
        .await;
    browser
        .wait_for_text("#home-title", "Clinical workspace")
        .await;

    browser
        .client
        .goto(&format!("{base}/account"))
        .await
        .expect("reload");

    browser.wait_for_text("#main-nav", "Dr Samuel Osei").await;
    browser.click("#logout").await;
    browser.text_of("#login-form").await;
    browser
        .client
        .goto(&format!("{base}/"))
        .await
        .expect("reload");
    browser.text_of("#login-form").await;
    browser.close().await;
}
