//! Webhooks: subscriptions of API clients, events written with the change they describe
//! (and only if it commits), signed deliveries to a real receiver on 127.0.0.1, retries with
//! backoff, the delivery log, resend, and each client seeing only its own.
//!
//! Until the OAuth client-credentials branch lands, a client's token is an access token for
//! its service account (the `users` row of `api_clients.user_id`) with the admin role: what the
//! API looks at to scope a caller to its client is the `api_clients` row, not the role.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use hms_api::config::Settings;
use hms_api_types::{Permission, Role};
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;

use crate::access::{ep, Endpoint, Operation};
use crate::helpers::{Reply, TestApp};

/// The webhook operations, for the role walk in `access.rs`.
pub fn protected() -> Vec<Operation> {
    use Permission::*;
    let with_body = |mut e: Endpoint| {
        e.body = Some(json!({}));
        e
    };
    vec![
        ep("GET", "/api/v1/webhooks/subscriptions", ManageWebhooks),
        with_body(ep("POST", "/api/v1/webhooks/subscriptions", ManageWebhooks)),
        ep(
            "GET",
            "/api/v1/webhooks/subscriptions/{subscription_id}",
            ManageWebhooks,
        ),
        with_body(ep(
            "PATCH",
            "/api/v1/webhooks/subscriptions/{subscription_id}",
            ManageWebhooks,
        )),
        ep(
            "DELETE",
            "/api/v1/webhooks/subscriptions/{subscription_id}",
            ManageWebhooks,
        ),
        ep(
            "POST",
            "/api/v1/webhooks/subscriptions/{subscription_id}/ping",
            ManageWebhooks,
        ),
        ep("GET", "/api/v1/webhooks/deliveries", ManageWebhooks),
        ep(
            "GET",
            "/api/v1/webhooks/deliveries/{delivery_id}",
            ManageWebhooks,
        ),
        ep(
            "POST",
            "/api/v1/webhooks/deliveries/{delivery_id}/resend",
            ManageWebhooks,
        ),
    ]
    .into_iter()
    .map(Operation::from)
    .collect()
}

// ---------------------------------------------------------------------------------------------
// A receiver: an HTTP server on 127.0.0.1 that records what it is sent

#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    /// Requests still to answer 500 before answering 200.
    failures: Arc<AtomicUsize>,
}

impl Receiver {
    fn start() -> Receiver {
        Self::on(TcpListener::bind("127.0.0.1:0").expect("bind"), 0)
    }

    /// Listens on `port` (a receiver that was down comes back).
    fn start_on(port: u16) -> Receiver {
        Self::on(
            TcpListener::bind(("127.0.0.1", port)).expect("bind again"),
            0,
        )
    }

    /// Answers 500 to the first `failures` requests.
    fn failing_first(failures: usize) -> Receiver {
        Self::on(TcpListener::bind("127.0.0.1:0").expect("bind"), failures)
    }

    fn on(listener: TcpListener, failures: usize) -> Receiver {
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(AtomicUsize::new(failures));
        let (log, fail) = (received.clone(), failures.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                log.lock().unwrap().push(request);
                let failing = fail
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                let status = if failing {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    )
                    .as_bytes(),
                );
            }
        });
        Receiver {
            port,
            received,
            failures,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived (10 s at most); returns them.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let all = self.all();
            if all.len() >= n || started.elapsed() > Duration::from_secs(10) {
                assert!(
                    all.len() >= n,
                    "expected {n} requests, got {}: {all:?}",
                    all.len()
                );
                return all;
            }
            actix_rt::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Received> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (name, value) = l.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

/// HMAC-SHA256 of `"<timestamp>.<body>"`, as a receiver computes it.
fn expected_signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v1={hex}")
}

// ---------------------------------------------------------------------------------------------
// Setup

const ALL_SCOPES: &[&str] = &[
    "appointments:read",
    "inventory:read",
    "incidents:read",
    "webhooks:manage",
];

/// Fast retries for tests: 50 ms base, 3 attempts, a 50 ms poll.
fn fast(s: &mut Settings) {
    s.webhooks.retry_base = Duration::from_millis(50);
    s.webhooks.max_attempts = 3;
    s.webhooks.poll = Duration::from_millis(50);
    s.webhooks.timeout = Duration::from_secs(2);
}

struct Hospital {
    app: TestApp,
    admin: String,
    reception: String,
    doctor: String,
    patient: Uuid,
}

async fn hospital() -> Hospital {
    let app = TestApp::spawn_with(fast).await;
    let admin = app.token(Role::Admin);
    let reception = app.token(Role::Receptionist);
    let department = created(
        &app.post(
            "/api/v1/departments",
            Some(&admin),
            &json!({"name": "General Practice", "description": "Consultations"}),
        )
        .await,
    );
    let (user, _) = app.create_user(Role::Doctor);
    let practitioner = created(
        &app.post(
            "/api/v1/practitioners",
            Some(&admin),
            &json!({"user_id": user, "department_id": department["id"], "specialty": "Family medicine"}),
        )
        .await,
    );
    let doctor = practitioner["id"].as_str().unwrap().to_owned();
    let weekly: Vec<Value> = (1..=7)
        .map(|weekday| json!({"weekday": weekday, "starts_at": "09:00", "ends_at": "12:00", "slot_minutes": 30}))
        .collect();
    let hours = app
        .client
        .put(app.url(&format!("/api/v1/practitioners/{doctor}/availability")))
        .bearer_auth(&admin)
        .send_json(&json!({ "weekly": weekly }))
        .await
        .expect("set hours");
    assert_eq!(hours.status().as_u16(), 200);
    let patient = app.create_patient("Ada", "Lovelace");
    Hospital {
        app,
        admin,
        reception,
        doctor,
        patient,
    }
}

/// An API client with `scopes`; returns its id and a token for its service account.
fn api_client(app: &TestApp, scopes: &[&str]) -> (Uuid, String) {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let mut conn = app.pool.get().expect("db");
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let user = diesel::sql_query(
        "INSERT INTO users (email, display_name, role, password_hash)
         VALUES ($1, $2, 'integration', 'not-a-password') RETURNING id",
    )
    .bind::<diesel::sql_types::Text, _>(format!("client-{tag}@clients.invalid"))
    .bind::<diesel::sql_types::Text, _>(format!("Client {tag}"))
    .get_result::<Id>(&mut conn)
    .expect("service account")
    .id;
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let client = diesel::sql_query(
        "INSERT INTO api_clients (name, user_id, scopes, secret_hash, created_by)
         VALUES ($1, $2, $3, 'not-a-hash', $2) RETURNING id",
    )
    .bind::<diesel::sql_types::Text, _>(format!("Client {tag}"))
    .bind::<diesel::sql_types::Uuid, _>(user)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(scopes)
    .get_result::<Id>(&mut conn)
    .expect("api client")
    .id;
    let token = app.keys.issue(user, Role::Admin, None).expect("token");
    (client, token)
}

/// Subscribes a new client (all read scopes) to `events` at `url`; returns the subscription
/// (with its secret).
async fn subscribe(app: &TestApp, admin: &str, url: &str, events: &[&str]) -> Value {
    let (client, _) = api_client(app, ALL_SCOPES);
    created(
        &app.post(
            "/api/v1/webhooks/subscriptions",
            Some(admin),
            &json!({"client_id": client, "url": url, "events": events, "description": "test"}),
        )
        .await,
    )
}

fn day(offset: i64) -> NaiveDate {
    Utc::now().date_naive() + chrono::Duration::days(offset)
}

async fn book(h: &Hospital, at: &str) -> Reply {
    h.app
        .post(
            "/api/v1/appointments",
            Some(&h.reception),
            &json!({
                "patient_id": h.patient,
                "practitioner_id": h.doctor,
                "starts_at": format!("{}T{at}:00Z", day(1)),
                "reason": "Chest pain since Tuesday",
            }),
        )
        .await
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

#[track_caller]
fn created(reply: &Reply) -> Value {
    assert_eq!(reply.status, 201, "{}", text(reply));
    reply.json()
}

#[track_caller]
fn ok(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", text(reply));
    reply.json()
}

#[track_caller]
fn invalid(reply: &Reply, field: &str) {
    let problem = reply.assert_problem(422, "validation");
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == field),
        "expected a field error on {field}: {problem}"
    );
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
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// Waits until the delivery log (as `token` sees it) has a delivery of `subscription` in
/// `status`; returns it.
async fn wait_for_delivery(
    app: &TestApp,
    token: &str,
    subscription: &Value,
    status: &str,
) -> Value {
    let started = Instant::now();
    loop {
        let page = ok(&app
            .get(
                &format!(
                    "/api/v1/webhooks/deliveries?subscription_id={}&status={status}",
                    subscription["id"].as_str().unwrap()
                ),
                Some(token),
            )
            .await);
        if let Some(first) = page["items"].as_array().and_then(|a| a.first()) {
            return first.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no {status} delivery for {subscription}"
        );
        actix_rt::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The event types the receiver got, in order.
fn types(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.header("X-HMS-Event").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Events

#[actix_rt::test]
async fn booking_an_appointment_delivers_a_signed_appointment_booked_event() {
    let h = hospital().await;
    let receiver = Receiver::start();
    let sub = subscribe(&h.app, &h.admin, &receiver.url(), &["appointment.booked"]).await;
    let secret = sub["signing_secret"].as_str().expect("the secret, once");
    assert!(secret.starts_with("whsec_"), "{secret}");

    let appointment = created(&book(&h, "09:00").await);

    let got = receiver.wait_for(1).await;
    let r = &got[0];
    assert_eq!(r.header("Content-Type"), "application/json");
    assert_eq!(r.header("User-Agent"), "HMS-Webhooks/1");
    assert_eq!(r.header("X-HMS-Event"), "appointment.booked");
    let timestamp = r.header("X-HMS-Timestamp");
    let sent_at: i64 = timestamp.parse().expect("unix seconds");
    assert!((Utc::now().timestamp() - sent_at).abs() < 60);
    assert_eq!(
        r.header("X-HMS-Signature"),
        expected_signature(secret, timestamp, &r.body)
    );
    assert_ne!(
        r.header("X-HMS-Signature"),
        expected_signature("whsec_wrong", timestamp, &r.body)
    );
    let body = r.json();
    assert_eq!(body["type"], "appointment.booked");
    assert!(
        body["id"].is_string() && body["occurred_at"].is_string(),
        "{body}"
    );
    let data = &body["data"]["appointment"];
    assert_eq!(data["id"], appointment["id"]);
    assert_eq!(data["patient_id"], h.patient.to_string());
    assert_eq!(data["practitioner_id"], h.doctor);
    assert_eq!(data["status"], "booked");
    assert!(data["starts_at"].is_string() && data["ends_at"].is_string());
    // Ids and non-clinical fields only: no free-text reason, no names.
    assert!(!r.body.contains("Chest pain"), "{}", r.body);
    assert!(!r.body.contains("Lovelace"), "{}", r.body);

    // The delivery log: delivered at the first attempt, with the receiver's status code.
    let delivery = wait_for_delivery(&h.app, &h.admin, &sub, "delivered").await;
    assert_eq!(delivery["id"], r.header("X-HMS-Delivery"));
    assert_eq!(delivery["event_type"], "appointment.booked");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["last_status_code"], 200);
    assert!(delivery["delivered_at"].is_string());
    let one = ok(&h
        .app
        .get(
            &format!(
                "/api/v1/webhooks/deliveries/{}",
                delivery["id"].as_str().unwrap()
            ),
            Some(&h.admin),
        )
        .await);
    assert_eq!(one["payload"], body);
    // The secret is shown once.
    let again = ok(&h
        .app
        .get(
            &format!(
                "/api/v1/webhooks/subscriptions/{}",
                sub["id"].as_str().unwrap()
            ),
            Some(&h.admin),
        )
        .await);
    assert!(again.get("signing_secret").is_none(), "{again}");
}

#[actix_rt::test]
async fn cancelling_and_changing_an_appointments_status_deliver_their_events() {
    let h = hospital().await;
    let receiver = Receiver::start();
    subscribe(
        &h.app,
        &h.admin,
        &receiver.url(),
        &["appointment.cancelled", "appointment.status_changed"],
    )
    .await;
    let first = created(&book(&h, "09:00").await);
    let second = created(&book(&h, "10:00").await);

    let checked_in = h
        .app
        .post(
            &format!(
                "/api/v1/appointments/{}/status",
                first["id"].as_str().unwrap()
            ),
            Some(&h.reception),
            &json!({"status": "checked_in"}),
        )
        .await;
    ok(&checked_in);
    let cancelled = h
        .app
        .post(
            &format!(
                "/api/v1/appointments/{}/cancel",
                second["id"].as_str().unwrap()
            ),
            Some(&h.reception),
            &json!({"reason": "Patient called"}),
        )
        .await;
    ok(&cancelled);

    let got = receiver.wait_for(2).await;
    let mut seen: Vec<(String, Value, Value)> = got
        .iter()
        .map(|r| {
            let b = r.json();
            (
                r.header("X-HMS-Event").to_owned(),
                b["data"]["appointment"]["id"].clone(),
                b["data"]["appointment"]["status"].clone(),
            )
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        vec![
            (
                "appointment.cancelled".into(),
                second["id"].clone(),
                json!("cancelled")
            ),
            (
                "appointment.status_changed".into(),
                first["id"].clone(),
                json!("checked_in")
            ),
        ]
    );
    assert!(!got.iter().any(|r| r.body.contains("Patient called")));
    // Not subscribed to bookings.
    assert!(!types(&got).contains(&"appointment.booked".to_owned()));
}

#[actix_rt::test]
async fn shortages_opened_and_resolved_by_hand_or_by_stock_movements_deliver_their_events() {
    let h = hospital().await;
    let receiver = Receiver::start();
    subscribe(
        &h.app,
        &h.admin,
        &receiver.url(),
        &["shortage.opened", "shortage.resolved"],
    )
    .await;
    let pharmacist = h.app.token(Role::Pharmacist);
    let nurse = h.app.token(Role::Nurse);
    let pharmacy = created(
        &h.app
            .post(
                "/api/v1/inventory/locations",
                Some(&h.admin),
                &json!({"code": "PHARM", "name": "Main pharmacy", "kind": "pharmacy"}),
            )
            .await,
    );
    let item = created(
        &h.app
            .post(
                "/api/v1/inventory/items",
                Some(&pharmacist),
                &json!({"sku": "AMOX-500", "name": "Amoxicillin 500 mg", "category": "drug",
                        "unit": "tablet", "reorder_level": 10, "reorder_quantity": 100}),
            )
            .await,
    );
    let stock = |quantity: i32, lot: &str| {
        json!({"item_id": item["id"], "location_id": pharmacy["id"], "quantity": quantity,
               "lot_number": lot, "expires_on": day(60)})
    };
    created(
        &h.app
            .post(
                "/api/v1/inventory/movements/receive",
                Some(&pharmacist),
                &stock(12, "L1"),
            )
            .await,
    );

    // Automatic: a dispense down to the reorder level opens one, a receipt above resolves it.
    let dispensed = created(
        &h.app
            .post(
                "/api/v1/inventory/movements/dispense",
                Some(&nurse),
                &json!({"item_id": item["id"], "location_id": pharmacy["id"], "quantity": 4}),
            )
            .await,
    );
    let automatic = dispensed["opened_shortage_id"].clone();
    assert!(automatic.is_string(), "{dispensed}");
    created(
        &h.app
            .post(
                "/api/v1/inventory/movements/receive",
                Some(&pharmacist),
                &stock(10, "L2"),
            )
            .await,
    );
    // By hand: reported, then resolved.
    let reported = created(
        &h.app
            .post(
                "/api/v1/inventory/shortages",
                Some(&nurse),
                &json!({"item_id": item["id"], "location_id": pharmacy["id"], "severity": "high",
                        "note": "Last box opened"}),
            )
            .await,
    );
    ok(&h
        .app
        .post(
            &format!(
                "/api/v1/inventory/shortages/{}/resolve",
                reported["id"].as_str().unwrap()
            ),
            Some(&pharmacist),
            &json!({"note": "Found more in the back"}),
        )
        .await);

    let got = receiver.wait_for(4).await;
    let seen: Vec<(String, Value, Value)> = got
        .iter()
        .map(|r| {
            let s = r.json()["data"]["shortage"].clone();
            (
                r.header("X-HMS-Event").to_owned(),
                s["id"].clone(),
                s["status"].clone(),
            )
        })
        .collect();
    for expected in [
        (
            "shortage.opened".to_owned(),
            automatic.clone(),
            json!("open"),
        ),
        (
            "shortage.resolved".to_owned(),
            automatic.clone(),
            json!("resolved"),
        ),
        (
            "shortage.opened".to_owned(),
            reported["id"].clone(),
            json!("open"),
        ),
        (
            "shortage.resolved".to_owned(),
            reported["id"].clone(),
            json!("resolved"),
        ),
    ] {
        assert!(seen.contains(&expected), "{expected:?} not in {seen:?}");
    }
    let body = got[0].json();
    assert_eq!(body["data"]["shortage"]["item_sku"], "AMOX-500");
    assert_eq!(body["data"]["shortage"]["location_id"], pharmacy["id"]);
    assert!(body["data"]["shortage"]["severity"].is_string());
}

#[actix_rt::test]
async fn incidents_declared_opened_by_an_outage_and_resolved_deliver_their_events() {
    let h = hospital().await;
    let receiver = Receiver::start();
    subscribe(
        &h.app,
        &h.admin,
        &receiver.url(),
        &["incident.opened", "incident.resolved"],
    )
    .await;
    let declared = created(
        &h.app
            .post(
                "/api/v1/incidents",
                Some(&h.admin),
                &json!({"title": "Slow saving", "severity": "minor", "components": ["api"],
                        "message": "Looking into it."}),
            )
            .await,
    );
    ok(&h
        .app
        .post(
            &format!(
                "/api/v1/incidents/{}/resolve",
                declared["id"].as_str().unwrap()
            ),
            Some(&h.admin),
            &json!({}),
        )
        .await);
    // The watcher's automatic outage incident (as replayed from the journal).
    let outage = {
        let mut conn = h.app.pool.get().unwrap();
        conn.transaction(|conn| {
            hms_api::incidents::service::open_outage(
                conn,
                Utc::now() - chrono::Duration::seconds(30),
            )
        })
        .expect("open outage")
    };

    let got = receiver.wait_for(3).await;
    let seen: Vec<(String, Value)> = got
        .iter()
        .map(|r| {
            (
                r.header("X-HMS-Event").to_owned(),
                r.json()["data"]["incident"]["id"].clone(),
            )
        })
        .collect();
    for expected in [
        ("incident.opened".to_owned(), declared["id"].clone()),
        ("incident.resolved".to_owned(), declared["id"].clone()),
        ("incident.opened".to_owned(), json!(outage.to_string())),
    ] {
        assert!(seen.contains(&expected), "{expected:?} not in {seen:?}");
    }
    let resolved = got
        .iter()
        .map(Received::json)
        .find(|b| b["type"] == "incident.resolved")
        .unwrap();
    assert_eq!(resolved["data"]["incident"]["status"], "resolved");
    assert_eq!(resolved["data"]["incident"]["title"], "Slow saving");
    assert_eq!(resolved["data"]["incident"]["severity"], "minor");
}

#[actix_rt::test]
async fn an_event_type_the_subscription_does_not_list_is_not_delivered() {
    let h = hospital().await;
    let receiver = Receiver::start();
    let sub = subscribe(
        &h.app,
        &h.admin,
        &receiver.url(),
        &["appointment.cancelled"],
    )
    .await;

    let appointment = created(&book(&h, "09:00").await);
    ok(&h
        .app
        .post(
            &format!(
                "/api/v1/appointments/{}/cancel",
                appointment["id"].as_str().unwrap()
            ),
            Some(&h.reception),
            &json!({"reason": "Patient called"}),
        )
        .await);

    wait_for_delivery(&h.app, &h.admin, &sub, "delivered").await;
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(types(&receiver.all()), ["appointment.cancelled"]);
    assert_eq!(
        count(
            &h.app,
            "SELECT count(*) AS n FROM webhook_events WHERE type = 'appointment.booked'"
        ),
        0
    );
}

#[actix_rt::test]
async fn a_booking_refused_as_a_double_booking_emits_nothing() {
    let h = hospital().await;
    let receiver = Receiver::start();
    let sub = subscribe(&h.app, &h.admin, &receiver.url(), &["appointment.booked"]).await;
    created(&book(&h, "09:00").await);

    let again = book(&h, "09:00").await;

    assert_eq!(again.status, 409, "{}", text(&again));
    wait_for_delivery(&h.app, &h.admin, &sub, "delivered").await;
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.all().len(), 1);
    assert_eq!(count(&h.app, "SELECT count(*) AS n FROM webhook_events"), 1);
    assert_eq!(
        count(&h.app, "SELECT count(*) AS n FROM webhook_deliveries"),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// Retries, the log, resend

#[actix_rt::test]
async fn a_receiver_answering_500_gets_the_event_after_retries_with_every_attempt_in_the_log() {
    let h = hospital().await;
    let receiver = Receiver::failing_first(2);
    let sub = subscribe(&h.app, &h.admin, &receiver.url(), &["appointment.booked"]).await;

    created(&book(&h, "09:00").await);

    let got = receiver.wait_for(3).await;
    let delivery = wait_for_delivery(&h.app, &h.admin, &sub, "delivered").await;
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["last_status_code"], 200);
    assert_eq!(delivery["last_error"], Value::Null);
    // The same delivery id every time (receivers deduplicate on it), the same body.
    assert!(got
        .iter()
        .all(|r| r.header("X-HMS-Delivery") == delivery["id"]));
    assert!(got.iter().all(|r| r.body == got[0].body));
    assert_eq!(receiver.failures.load(Ordering::SeqCst), 0);
}

#[actix_rt::test]
async fn a_delivery_failing_every_attempt_ends_failed_and_resend_delivers_it() {
    let h = hospital().await;
    // A port nobody listens on: connection refused.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hooks");
    let sub = subscribe(&h.app, &h.admin, &url, &["appointment.booked"]).await;
    created(&book(&h, "09:00").await);

    let failed = wait_for_delivery(&h.app, &h.admin, &sub, "failed").await;
    assert_eq!(failed["attempts"], 3);
    assert_eq!(failed["last_status_code"], Value::Null);
    assert!(
        failed["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{failed}"
    );
    assert_eq!(failed["next_attempt_at"], Value::Null);
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    let still = ok(&h
        .app
        .get(
            &format!(
                "/api/v1/webhooks/deliveries/{}",
                failed["id"].as_str().unwrap()
            ),
            Some(&h.admin),
        )
        .await);
    assert_eq!(still["status"], "failed");
    assert_eq!(still["attempts"], 3);

    let receiver = Receiver::start_on(port);
    let resent = h
        .app
        .post(
            &format!(
                "/api/v1/webhooks/deliveries/{}/resend",
                failed["id"].as_str().unwrap()
            ),
            Some(&h.admin),
            &json!({}),
        )
        .await;
    assert_eq!(resent.status, 202, "{}", text(&resent));
    assert_eq!(resent.json()["status"], "pending");

    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].header("X-HMS-Delivery"), failed["id"]);
    let delivered = wait_for_delivery(&h.app, &h.admin, &sub, "delivered").await;
    assert_eq!(delivered["id"], failed["id"]);
    assert_eq!(delivered["attempts"], 4);
    assert_eq!(delivered["last_status_code"], 200);
}

#[actix_rt::test]
async fn a_ping_reaches_the_receiver_and_the_log_filters_by_status_and_type() {
    let h = hospital().await;
    let receiver = Receiver::start();
    let sub = subscribe(&h.app, &h.admin, &receiver.url(), &["appointment.booked"]).await;
    let id = sub["id"].as_str().unwrap();

    let ping = h
        .app
        .post(
            &format!("/api/v1/webhooks/subscriptions/{id}/ping"),
            Some(&h.admin),
            &json!({}),
        )
        .await;
    assert_eq!(ping.status, 202, "{}", text(&ping));
    created(&book(&h, "09:00").await);

    let got = receiver.wait_for(2).await;
    assert!(types(&got).contains(&"ping".to_owned()));
    wait_for_delivery(&h.app, &h.admin, &sub, "delivered").await;
    actix_rt::time::sleep(Duration::from_millis(200)).await;
    let pings = ok(&h
        .app
        .get(
            "/api/v1/webhooks/deliveries?event_type=ping",
            Some(&h.admin),
        )
        .await);
    assert_eq!(pings["items"].as_array().unwrap().len(), 1);
    assert_eq!(pings["items"][0]["id"], ping.json()["id"]);
    let none = ok(&h
        .app
        .get("/api/v1/webhooks/deliveries?status=failed", Some(&h.admin))
        .await);
    assert_eq!(none["items"], json!([]));
    let paged = ok(&h
        .app
        .get("/api/v1/webhooks/deliveries?limit=1", Some(&h.admin))
        .await);
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    let cursor = paged["next_cursor"].as_str().expect("a second page");
    let next = ok(&h
        .app
        .get(
            &format!("/api/v1/webhooks/deliveries?limit=1&cursor={cursor}"),
            Some(&h.admin),
        )
        .await);
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert_ne!(next["items"][0]["id"], paged["items"][0]["id"]);
    assert!(next.get("next_cursor").is_none());
    h.app
        .get(
            "/api/v1/webhooks/deliveries?event_type=appointment.deleted",
            Some(&h.admin),
        )
        .await
        .assert_problem(422, "validation");
}

// ---------------------------------------------------------------------------------------------
// Managing subscriptions

#[actix_rt::test]
async fn a_client_sees_and_manages_only_its_own_subscriptions() {
    let h = hospital().await;
    let receiver = Receiver::start();
    let (mine, my_token) = api_client(&h.app, ALL_SCOPES);
    let (theirs, _) = api_client(&h.app, ALL_SCOPES);
    let own = created(
        &h.app
            .post(
                "/api/v1/webhooks/subscriptions",
                Some(&my_token),
                &json!({"url": receiver.url(), "events": ["appointment.booked"]}),
            )
            .await,
    );
    assert_eq!(own["client_id"], mine.to_string());
    let other = created(
        &h.app
            .post(
                "/api/v1/webhooks/subscriptions",
                Some(&h.admin),
                &json!({"client_id": theirs, "url": receiver.url(), "events": ["appointment.booked"]}),
            )
            .await,
    );
    created(&book(&h, "09:00").await);
    receiver.wait_for(2).await;
    wait_for_delivery(&h.app, &h.admin, &other, "delivered").await;
    wait_for_delivery(&h.app, &h.admin, &own, "delivered").await;

    let listed = ok(&h
        .app
        .get("/api/v1/webhooks/subscriptions", Some(&my_token))
        .await);
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, [&own["id"]]);
    let filtered = ok(&h
        .app
        .get(
            &format!("/api/v1/webhooks/subscriptions?client_id={theirs}"),
            Some(&my_token),
        )
        .await);
    assert_eq!(filtered["items"], json!([]));
    let all = ok(&h
        .app
        .get("/api/v1/webhooks/subscriptions", Some(&h.admin))
        .await);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);

    let other_path = format!(
        "/api/v1/webhooks/subscriptions/{}",
        other["id"].as_str().unwrap()
    );
    h.app
        .get(&other_path, Some(&my_token))
        .await
        .assert_problem(404, "not-found");
    h.app
        .patch(
            &other_path,
            &my_token,
            Some("\"1\""),
            &json!({"active": false}),
        )
        .await
        .assert_problem(404, "not-found");
    h.app
        .send_raw(
            "DELETE",
            &other_path,
            Some(&my_token),
            "application/json",
            vec![],
        )
        .await
        .assert_problem(404, "not-found");
    h.app
        .post(&format!("{other_path}/ping"), Some(&my_token), &json!({}))
        .await
        .assert_problem(404, "not-found");
    h.app
        .post(
            "/api/v1/webhooks/subscriptions",
            Some(&my_token),
            &json!({"client_id": theirs, "url": receiver.url(), "events": ["appointment.booked"]}),
        )
        .await
        .assert_problem(404, "not-found");

    let log = ok(&h
        .app
        .get("/api/v1/webhooks/deliveries", Some(&my_token))
        .await);
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["subscription_id"], own["id"]);
    let their_delivery = wait_for_delivery(&h.app, &h.admin, &other, "delivered").await;
    let their_path = format!(
        "/api/v1/webhooks/deliveries/{}",
        their_delivery["id"].as_str().unwrap()
    );
    h.app
        .get(&their_path, Some(&my_token))
        .await
        .assert_problem(404, "not-found");
    h.app
        .post(&format!("{their_path}/resend"), Some(&my_token), &json!({}))
        .await
        .assert_problem(404, "not-found");
    assert_eq!(
        count(
            &h.app,
            "SELECT count(*) AS n FROM webhook_subscriptions WHERE active"
        ),
        2
    );
}

#[actix_rt::test]
async fn bad_urls_unknown_events_and_missing_scopes_are_refused_and_create_nothing() {
    let h = hospital().await;
    let (client, _) = api_client(&h.app, &["appointments:read"]);
    let post = |body: Value| {
        let app = &h.app;
        let admin = h.admin.clone();
        async move {
            app.post("/api/v1/webhooks/subscriptions", Some(&admin), &body)
                .await
        }
    };

    for url in [
        "not a url",
        "ftp://example.org/x",
        "/relative/path",
        "http://",
        "https:// spaces.example/",
    ] {
        invalid(
            &post(json!({"client_id": client, "url": url, "events": ["appointment.booked"]})).await,
            "url",
        );
    }
    invalid(
        &post(json!({"client_id": client, "url": "https://example.org/h", "events": ["appointment.deleted"]})).await,
        "events[0]",
    );
    invalid(
        &post(json!({"client_id": client, "url": "https://example.org/h", "events": []})).await,
        "events",
    );
    // The client lacks inventory:read.
    invalid(
        &post(json!({"client_id": client, "url": "https://example.org/h",
                     "events": ["appointment.booked", "shortage.opened"]}))
        .await,
        "events[1]",
    );
    invalid(
        &post(json!({"url": "https://example.org/h", "events": ["appointment.booked"]})).await,
        "client_id",
    );
    invalid(
        &post(json!({"client_id": Uuid::new_v4(), "url": "https://example.org/h", "events": ["appointment.booked"]})).await,
        "client_id",
    );
    assert_eq!(
        count(&h.app, "SELECT count(*) AS n FROM webhook_subscriptions"),
        0
    );

    let ok_one = created(
        &post(json!({"client_id": client, "url": "https://example.org/h", "events": ["appointment.booked"]})).await,
    );
    assert_eq!(ok_one["events"], json!(["appointment.booked"]));
}

#[actix_rt::test]
async fn a_subscription_is_changed_with_the_version_read_and_deleted() {
    let h = hospital().await;
    let receiver = Receiver::start();
    let sub = subscribe(&h.app, &h.admin, &receiver.url(), &["appointment.booked"]).await;
    let path = format!(
        "/api/v1/webhooks/subscriptions/{}",
        sub["id"].as_str().unwrap()
    );

    let read = h.app.get(&path, Some(&h.admin)).await;
    assert_eq!(read.header("etag"), Some("\"1\""));
    h.app
        .patch(&path, &h.admin, None, &json!({"active": false}))
        .await
        .assert_problem(428, "precondition-required");
    let changed = h
        .app
        .patch(
            &path,
            &h.admin,
            Some("\"1\""),
            &json!({"active": false, "events": ["appointment.booked", "appointment.cancelled"]}),
        )
        .await;
    assert_eq!(changed.header("etag"), Some("\"2\""));
    let changed = ok(&changed);
    assert_eq!(changed["active"], false);
    assert_eq!(
        changed["events"],
        json!(["appointment.booked", "appointment.cancelled"])
    );
    h.app
        .patch(&path, &h.admin, Some("\"1\""), &json!({"active": true}))
        .await
        .assert_problem(412, "precondition-failed");
    invalid(
        &h.app
            .patch(
                &path,
                &h.admin,
                Some("\"2\""),
                &json!({"url": "mailto:x@example.org"}),
            )
            .await,
        "url",
    );

    // Inactive: a booking delivers nothing.
    created(&book(&h, "09:00").await);
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.all().is_empty());

    let deleted = h
        .app
        .send_raw("DELETE", &path, Some(&h.admin), "application/json", vec![])
        .await;
    assert_eq!(deleted.status, 204, "{}", text(&deleted));
    h.app
        .get(&path, Some(&h.admin))
        .await
        .assert_problem(404, "not-found");
}
