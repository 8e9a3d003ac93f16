//! The app while the database is unreachable: the banner on every page, forms that keep what
//! was typed after a refused save and send it again, and requests the API keeps (a shortage
//! report) shown as pending until they are written.
//!
//! The API reaches its database through a TCP relay in this process: cutting the relay closes
//! every connection and refuses new ones, as a lost database server would; restoring it lets
//! the API find the database again.

use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fantoccini::Locator;
use hms_api::config::Settings;
use hms_api::db;
use hms_api::demo::DEMO_PASSWORD;
use hms_api::startup::Application;
use serde_json::{json, Value};

use crate::{spa_dir, start_api, Browser, TestApi};

/// A TCP relay to the database that can be cut and restored.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn to(upstream: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let port = listener.local_addr().expect("relay address").port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        {
            let (up, open) = (up.clone(), open.clone());
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    let Ok(client) = client else { continue };
                    if !up.load(Ordering::SeqCst) {
                        // The database is "gone": the connection closes at once.
                        drop(client);
                        continue;
                    }
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                        continue;
                    };
                    {
                        let mut open = open.lock().expect("relay lock");
                        for stream in [&client, &server] {
                            if let Ok(copy) = stream.try_clone() {
                                open.push(copy);
                            }
                        }
                    }
                    pipe(&client, &server);
                    pipe(&server, &client);
                }
            });
        }
        Relay { port, up, open }
    }

    /// Closes every connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().expect("relay lock").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` on a thread until either side closes.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
        let _ = from.shutdown(Shutdown::Read);
    });
}

/// The API with the demo data on a fresh database reached through a [`Relay`].
fn start_api_behind_relay() -> (TestApi, Relay) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let cluster = pg_harness::shared();
    let name = format!("e2e_degraded_{}", NEXT.fetch_add(1, Ordering::SeqCst));
    cluster
        .create_database(&name, None)
        .expect("create database");
    let relay = Relay::to(cluster.port());
    let url = cluster.url(&name).replace(
        &format!(":{}/", cluster.port()),
        &format!(":{}/", relay.port),
    );
    assert!(url.contains(&relay.port.to_string()), "{url}");
    let mut settings = Settings::for_database(&url, "e2e-secret-e2e-secret-e2e-secret!!");
    settings.static_dir = spa_dir();
    settings.db_connect_timeout = Duration::from_secs(1);
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
    (TestApi { base, pool }, relay)
}

/// The API with a database address where nothing listens.
fn start_api_without_database() -> TestApi {
    let port = pg_harness::free_port().expect("port");
    let url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
    let mut settings = Settings::for_database(&url, "e2e-secret-e2e-secret-e2e-secret!!");
    settings.static_dir = spa_dir();
    settings.db_connect_timeout = Duration::from_millis(500);
    let pool = db::build_pool(&settings);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build_with(settings, pool.clone(), listener).expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_rt::spawn(app.run_until_stopped());
    TestApi { base, pool }
}

/// Calls the API from the open page; panics unless the answer is 2xx.
async fn call(browser: &Browser, method: &str, path: &str, token: &str, body: Value) -> Value {
    let answer = browser
        .client
        .execute_async(
            "const [method, path, token, body, done] = arguments; \
             const headers = {'Accept': 'application/json', 'Content-Type': 'application/json'}; \
             if (token) headers['Authorization'] = 'Bearer ' + token; \
             fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)}) \
               .then(async r => done([r.status, await r.text()])) \
               .catch(e => done([0, String(e)]));",
            vec![method.into(), path.into(), token.into(), body],
        )
        .await
        .expect("script");
    let status = answer[0].as_u64().unwrap_or(0);
    let text = answer[1].as_str().unwrap_or_default();
    assert!(
        (200..300).contains(&status),
        "{method} {path} answered {status}: {text}"
    );
    serde_json::from_str(text).unwrap_or(Value::Null)
}

async fn token(browser: &Browser, email: &str) -> String {
    let tokens = call(
        browser,
        "POST",
        "/api/v1/auth/login",
        "",
        json!({ "email": email, "password": DEMO_PASSWORD }),
    )
    .await;
    tokens["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

async fn attr(browser: &Browser, css: &str, name: &str) -> Option<String> {
    browser
        .client
        .wait()
        .at_most(crate::WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
        .attr(name)
        .await
        .expect("attribute")
}

async fn value_of(browser: &Browser, css: &str) -> String {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} is missing: {e}"))
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

async fn has(browser: &Browser, css: &str) -> bool {
    browser.client.find(Locator::Css(css)).await.is_ok()
}

#[actix_rt::test]
async fn a_shortage_reported_while_the_database_is_down_is_kept_shown_as_pending_and_saved_when_it_is_back(
) {
    let (api, relay) = start_api_behind_relay();
    let browser = Browser::open().await;
    browser
        .client
        .goto(&format!("{}/login", api.base))
        .await
        .expect("open the app");
    let admin = token(&browser, "admin@demo.hms").await;
    let location = call(
        &browser,
        "POST",
        "/api/v1/inventory/locations",
        &admin,
        json!({ "code": "E2E-W9", "name": "Ward 9 (tests)", "kind": "ward" }),
    )
    .await;
    let pharmacist = token(&browser, "pharmacist@demo.hms").await;
    let item = call(
        &browser,
        "POST",
        "/api/v1/inventory/items",
        &pharmacist,
        json!({
            "sku": "E2E-QUIL-5", "name": "Quillomycin 5 mg tablet", "category": "drug",
            "unit": "tablet", "reorder_level": 10, "reorder_quantity": 50,
        }),
    )
    .await;
    let (location, item) = (id_of(&location), id_of(&item));

    browser
        .sign_in(&api.base, "nurse@demo.hms", DEMO_PASSWORD)
        .await;
    browser
        .wait_for_text("#home-title", "Nursing workspace")
        .await;
    // Normal operation: no banner, no kept requests.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !has(&browser, "#degraded-banner").await,
        "a banner while all is well"
    );
    assert!(
        !has(&browser, "#nav-pending").await,
        "kept requests while all is well"
    );

    // The form is filled while the database answers…
    browser.click("#nav-report-shortage").await;
    browser.fill("#report-item-search", "quillomycin").await;
    browser
        .click(&format!("li.report-item[data-id='{item}'] button"))
        .await;
    browser
        .wait_for_text("#report-item", "Quillomycin 5 mg tablet")
        .await;
    browser.set_value("#report-location", &location).await;
    browser.set_value("#report-severity", "high").await;
    browser
        .fill("#report-note", "Out since the evening round")
        .await;

    // …and sent after it is gone: the report is kept, not refused.
    relay.cut();
    browser.click("#report-submit").await;
    let kept = browser
        .wait_for_text(
            "#report-kept",
            "Kept — it will be saved when the database is back",
        )
        .await;
    assert!(!kept.contains("Saving is paused"), "{kept}");
    assert!(
        !has(&browser, "#report-error").await,
        "a kept report shown as an error"
    );

    let banner = browser
        .wait_for_text(
            "#degraded-banner",
            "The system cannot reach its database. Nothing can be loaded or saved right now.",
        )
        .await;
    assert!(banner.contains("Shortage reports"), "{banner}");
    assert_eq!(
        attr(&browser, "#degraded-banner", "data-mode")
            .await
            .as_deref(),
        Some("unavailable")
    );
    browser.wait_for_text("#nav-pending-count", "1").await;

    browser.click("#report-pending-link").await;
    browser.text_of("#pending-page").await;
    let row = browser
        .wait_for_text("tr.pending-row[data-status='pending']", "Shortage report")
        .await;
    assert!(row.contains("Out since the evening round"), "{row}");
    assert!(row.contains("Waiting for the database"), "{row}");
    assert_eq!(
        attr(&browser, "tr.pending-row", "data-kind")
            .await
            .as_deref(),
        Some("shortage_report")
    );
    // The banner is on every page.
    browser.text_of("#degraded-banner").await;

    // The database is back: the report is written once, the page follows it, the banner goes.
    relay.restore();
    browser
        .wait_for_text("tr.pending-row[data-status='applied']", "Saved")
        .await;
    browser.wait_gone("#degraded-banner").await;
    browser.wait_gone("#nav-pending-count").await;
    browser
        .click("tr.pending-row[data-status='applied'] a.pending-result-link")
        .await;
    let page = browser
        .wait_for_text("#shortage-page", "Quillomycin 5 mg tablet")
        .await;
    assert!(page.contains("Ward 9 (tests)"), "{page}");
    assert!(page.contains("Out since the evening round"), "{page}");
    let shortages = call(
        &browser,
        "GET",
        &format!("/api/v1/inventory/shortages?item_id={item}"),
        &pharmacist,
        Value::Null,
    )
    .await;
    assert_eq!(
        shortages["items"].as_array().map(Vec::len),
        Some(1),
        "{shortages}"
    );
    browser.close().await;
}

#[actix_rt::test]
async fn a_cancellation_sent_while_the_database_is_down_is_kept_and_written_when_it_is_back() {
    let (api, relay) = start_api_behind_relay();
    let browser = Browser::open().await;
    browser
        .client
        .goto(&format!("{}/login", api.base))
        .await
        .expect("open the app");
    // The patient books a time a few days ahead (through the API, as the patient).
    let login = call(
        &browser,
        "POST",
        "/api/v1/auth/login",
        "",
        json!({ "email": "patient@demo.hms", "password": DEMO_PASSWORD }),
    )
    .await;
    let patient_token = login["access_token"].as_str().expect("a token").to_owned();
    let patient_id = login["user"]["patient_id"]
        .as_str()
        .expect("the patient's record")
        .to_owned();
    let practitioners = call(
        &browser,
        "GET",
        "/api/v1/practitioners",
        &patient_token,
        Value::Null,
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today + chrono::Days::new(2), today + chrono::Days::new(20));
    let mut slot = None;
    for practitioner in practitioners.as_array().expect("practitioners") {
        let slots = call(
            &browser,
            "GET",
            &format!(
                "/api/v1/slots?practitioner_id={}&from={from}&to={to}",
                id_of(practitioner)
            ),
            &patient_token,
            Value::Null,
        )
        .await;
        if let Some(first) = slots["items"].as_array().and_then(|items| items.first()) {
            slot = Some(first.clone());
            break;
        }
    }
    let slot = slot.expect("a free slot in the coming weeks");
    call(
        &browser,
        "POST",
        "/api/v1/appointments",
        &patient_token,
        json!({
            "patient_id": patient_id,
            "practitioner_id": slot["practitioner_id"],
            "starts_at": slot["starts_at"],
            "ends_at": slot["ends_at"],
            "reason": "Outage drill visit",
        }),
    )
    .await;

    browser
        .sign_in(&api.base, "patient@demo.hms", DEMO_PASSWORD)
        .await;
    browser.wait_for_text("#home-title", "My health").await;
    browser
        .client
        .goto(&format!("{}/book", api.base))
        .await
        .unwrap();
    let row = "tr.appointment-row[data-status='booked']";
    browser.wait_for_text(row, "Outage drill visit").await;
    browser.click(&format!("{row} .cancel-own")).await;
    browser
        .fill(&format!("{row} .cancel-own-reason"), "I will be travelling")
        .await;

    relay.cut();
    browser.click(&format!("{row} .cancel-own-confirm")).await;
    browser
        .wait_for_text(
            "#my-appointments-status",
            "kept — it will be saved when the database is back",
        )
        .await;
    browser.wait_for_text("#nav-pending-count", "1").await;
    browser
        .wait_for_text("#degraded-banner", "cannot reach its database")
        .await;

    relay.restore();
    browser.click("#nav-pending").await;
    let kept = browser
        .wait_for_text(
            "tr.pending-row[data-kind='appointment_cancellation'][data-status='applied']",
            "Saved",
        )
        .await;
    assert!(kept.contains("I will be travelling"), "{kept}");
    browser
        .click("tr.pending-row[data-status='applied'] a.pending-result-link")
        .await;
    browser
        .wait_for_text(
            "tr.appointment-row[data-status='cancelled']",
            "Outage drill visit",
        )
        .await;
    browser.close().await;
}

#[actix_rt::test]
async fn a_registration_refused_while_the_database_is_down_keeps_what_was_typed_and_saves_on_retry()
{
    let (api, relay) = start_api_behind_relay();
    let browser = Browser::open().await;
    browser
        .sign_in(&api.base, "reception@demo.hms", DEMO_PASSWORD)
        .await;
    browser.wait_for_text("#home-title", "Front desk").await;
    browser
        .client
        .goto(&format!("{}/patients/new", api.base))
        .await
        .unwrap();
    browser.fill("#given-name", "Tamsin").await;
    browser.fill("#family-name", "Okonkwo-Reyes").await;
    browser.set_value("#birth-date", "1984-02-29").await;
    browser.set_value("#sex", "female").await;

    relay.cut();
    browser.click("#register-submit").await;
    browser
        .wait_for_text("#register-error", "Saving is paused — nothing was saved")
        .await;
    assert_eq!(value_of(&browser, "#given-name").await, "Tamsin");
    assert_eq!(value_of(&browser, "#family-name").await, "Okonkwo-Reyes");
    assert_eq!(value_of(&browser, "#birth-date").await, "1984-02-29");
    browser
        .wait_for_text("#degraded-banner", "cannot reach its database")
        .await;

    relay.restore();
    browser.wait_gone("#degraded-banner").await;
    browser.click("#register-error .retry-save").await;
    browser.wait_for_text("#chart-mrn", "MRN-").await;
    browser.wait_for_text("#chart-name", "Okonkwo-Reyes").await;
    browser.close().await;
}

#[actix_rt::test]
async fn without_a_database_the_banner_says_so_and_a_stored_session_is_not_thrown_away() {
    let api = start_api_without_database();
    let browser = Browser::open().await;
    browser
        .client
        .goto(&format!("{}/login", api.base))
        .await
        .expect("open the app");
    browser.fill("#email", "nurse@demo.hms").await;
    browser.fill("#password", DEMO_PASSWORD).await;
    browser.click("#login-submit").await;
    browser
        .wait_for_text("#login-error", "Signing in is not possible right now")
        .await;
    assert_eq!(value_of(&browser, "#email").await, "nurse@demo.hms");
    browser
        .wait_for_text(
            "#degraded-banner[data-mode='unavailable']",
            "The system cannot reach its database. Nothing can be loaded or saved right now.",
        )
        .await;

    // A session stored before the outage cannot be renewed now, but it is kept for later.
    browser
        .client
        .execute(
            "localStorage.setItem('hms.refresh_token', 'a-stored-refresh-token');",
            vec![],
        )
        .await
        .expect("store a session");
    browser
        .client
        .goto(&format!("{}/", api.base))
        .await
        .expect("reload");
    browser
        .wait_for_text("#session-notice", "Signing in is not possible right now")
        .await;
    browser
        .wait_for_text("#degraded-banner", "cannot reach its database")
        .await;
    let stored = browser
        .client
        .execute("return localStorage.getItem('hms.refresh_token');", vec![])
        .await
        .expect("read storage");
    assert_eq!(stored.as_str(), Some("a-stored-refresh-token"));
    browser.close().await;
}

#[actix_rt::test]
async fn with_the_database_up_there_is_no_banner_and_no_top_bar_label_breaks_over_two_lines() {
    let api = start_api();
    let browser = Browser::open().await;
    let status = {
        browser
            .client
            .goto(&format!("{}/login", api.base))
            .await
            .expect("open the app");
        call(&browser, "GET", "/api/v1/status", "", Value::Null).await
    };
    assert_eq!(status["mode"], "normal", "{status}");
    browser
        .sign_in(&api.base, "admin@demo.hms", DEMO_PASSWORD)
        .await;
    browser.text_of("#home-title").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !has(&browser, "#degraded-banner").await,
        "a banner while all is well"
    );
    // No nav label breaks over two lines at 1280 px.
    let wrapped = browser
        .client
        .execute(
            "return [...document.querySelectorAll('.nav-link')] \
               .filter(a => a.getClientRects().length > 1 || a.offsetHeight > 48) \
               .map(a => a.id);",
            vec![],
        )
        .await
        .expect("measure the top bar");
    assert_eq!(wrapped, json!([]), "nav links wrap: {wrapped}");
    browser.close().await;
}
