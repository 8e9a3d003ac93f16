//! The SPA in headless Chromium against the real API and a real database with the demo data.
//!
//! Needs the built SPA (`cargo xtask web`; `cargo xtask test` builds it first) and Debian's
//! `chromium` and `chromium-driver` (`cargo xtask setup` installs them). One binary: the
//! harness is here, the tests are in the modules.

mod appointments;
mod auth;
mod degraded;
mod incidents;
mod integrations;
mod inventory;
mod operations;
mod patients;
mod webhooks;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hms_api::config::Settings;
use hms_api::db;
use hms_api::startup::Application;

pub const WAIT: Duration = Duration::from_secs(20);

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

/// A running API with the demo data.
pub struct TestApi {
    pub base: String,
    pub pool: db::DbPool,
}

/// Starts the API with the demo data on a fresh database.
pub fn start_api() -> TestApi {
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
    let app = Application::build_with(settings, pool.clone(), listener).expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_rt::spawn(app.run_until_stopped());
    TestApi { base, pool }
}

/// A ChromeDriver process and a headless Chromium session. `close` ends the session; dropping
/// the browser (also when a test panics) kills ChromeDriver and every Chromium process it
/// started, which share a process group.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    pub async fn open() -> Browser {
        let port = pg_harness::free_port().expect("port");
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
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

    pub async fn text_of(&self, css: &str) -> String {
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
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
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

    pub async fn fill(&self, css: &str, value: &str) {
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

    /// Sets a form control's value the way typing would (for date inputs and selects, whose
    /// keyboard entry depends on the browser's locale), firing `input` and `change`.
    pub async fn set_value(&self, css: &str, value: &str) {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
        self.client
            .execute(
                "const el = document.querySelector(arguments[0]); el.value = arguments[1]; \
                 el.dispatchEvent(new Event('input', {bubbles: true})); \
                 el.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![css.into(), value.into()],
            )
            .await
            .expect("set value");
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        while self.client.find(Locator::Css(css)).await.is_ok() {
            assert!(Instant::now() < deadline, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
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

    pub async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.client
            .goto(&format!("{base}/login"))
            .await
            .expect("open the login page");
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("#login-submit").await;
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
