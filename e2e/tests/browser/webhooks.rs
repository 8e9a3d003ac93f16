//! Webhooks in the browser: an administrator subscribes an API client on the Webhooks page,
//! then a booking made in the SPA reaches the client's receiver as a signed
//! `appointment.booked`, and the delivery shows in the log.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use hms_api::db::schema::{departments, practitioners, users};
use hms_api::demo::DEMO_PASSWORD;
use uuid::Uuid;

use crate::{start_api, Browser, TestApi, WAIT};

type Requests = Arc<Mutex<Vec<(HashMap<String, String>, String)>>>;

/// An HTTP receiver on 127.0.0.1 that answers 200 and records each request.
fn receiver() -> (String, Requests) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hooks",
        listener.local_addr().unwrap().port()
    );
    let log: Requests = Arc::default();
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut headers = HashMap::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).is_err() || line.trim_end().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
            }
            let length: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen.lock()
                .unwrap()
                .push((headers, String::from_utf8_lossy(&body).into_owned()));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, log)
}

/// An API client with the read scopes; returns its id.
fn api_client(api: &TestApi) -> Uuid {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let mut conn = api.pool.get().unwrap();
    diesel::sql_query(
        "WITH account AS (
             INSERT INTO users (email, display_name, role, password_hash)
             VALUES ('client-ward-app@clients.invalid', 'Ward app', 'integration', 'not-a-password')
             RETURNING id)
         INSERT INTO api_clients (name, user_id, scopes, secret_hash, created_by)
         SELECT 'Ward app', id, '{appointments:read}', 'not-a-hash', id FROM account
         RETURNING id",
    )
    .get_result::<Id>(&mut conn)
    .expect("api client")
    .id
}

fn demo_doctor(api: &TestApi) -> (Uuid, Uuid) {
    let mut conn = api.pool.get().expect("db");
    practitioners::table
        .inner_join(users::table)
        .inner_join(departments::table)
        .filter(users::email.eq("doctor@demo.hms"))
        .select((practitioners::id, departments::id))
        .first(&mut conn)
        .expect("the demo doctor is a practitioner")
}

fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v1={hex}")
}

#[actix_rt::test]
async fn a_booking_made_in_the_browser_reaches_the_subscribed_receiver_signed() {
    let api = start_api();
    let client = api_client(&api);
    let (url, received) = receiver();
    let (practitioner, department) = demo_doctor(&api);
    {
        use hms_api::db::schema::patients;
        let mut conn = api.pool.get().unwrap();
        diesel::insert_into(patients::table)
            .values((
                patients::given_name.eq("Quillon"),
                patients::family_name.eq("Hookworth"),
                patients::birth_date.eq(chrono::NaiveDate::from_ymd_opt(1975, 4, 2).unwrap()),
                patients::sex.eq("male"),
            ))
            .execute(&mut conn)
            .expect("insert patient");
    }
    let browser = Browser::open().await;

    // The administrator subscribes the client.
    browser
        .sign_in(&api.base, "admin@demo.hms", DEMO_PASSWORD)
        .await;
    browser.click("#nav-webhooks").await;
    browser.fill("#webhook-client", &client.to_string()).await;
    browser.fill("#webhook-url", &url).await;
    browser
        .click("input.webhook-event[value='appointment.booked']")
        .await;
    browser.click("#webhook-create").await;
    let secret = browser.wait_for_text("#webhook-secret", "whsec_").await;
    browser
        .wait_for_text("#webhook-subscriptions tr.webhook-subscription", &url)
        .await;
    browser.click("#logout").await;
    browser.wait_for_text("#login-page h1", "Sign in").await;

    // The front desk books.
    browser
        .sign_in(&api.base, "reception@demo.hms", DEMO_PASSWORD)
        .await;
    browser.wait_for_text("#home-title", "Front desk").await;
    browser
        .client
        .goto(&format!("{}/appointments", api.base))
        .await
        .unwrap();
    browser
        .set_value("#calendar-department", &department.to_string())
        .await;
    browser
        .set_value("#calendar-practitioner", &practitioner.to_string())
        .await;
    browser.click("#calendar-view-week").await;
    crate::appointments::click_free_slot_after(&browser, "#calendar", "#calendar-next", 2).await;
    browser.fill("#booking-patient-search", "hookworth").await;
    browser.click("li.booking-patient button").await;
    browser
        .fill("#booking-reason", "Blood pressure review")
        .await;
    browser.click("#booking-submit").await;
    browser.wait_gone("#booking-panel").await;

    // The receiver gets it, signed with the secret shown once.
    let deadline = Instant::now() + WAIT;
    let (headers, body) = loop {
        if let Some(first) = received.lock().unwrap().first().cloned() {
            break first;
        }
        assert!(Instant::now() < deadline, "no webhook arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(headers["x-hms-event"], "appointment.booked");
    assert_eq!(
        headers["x-hms-signature"],
        signature(secret.trim(), &headers["x-hms-timestamp"], &body)
    );
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "appointment.booked");
    assert_eq!(
        event["data"]["appointment"]["practitioner_id"],
        practitioner.to_string()
    );
    assert!(!body.contains("Blood pressure review"));

    // The administrator sees it delivered in the log.
    browser.click("#logout").await;
    browser.wait_for_text("#login-page h1", "Sign in").await;
    browser
        .sign_in(&api.base, "admin@demo.hms", DEMO_PASSWORD)
        .await;
    browser.click("#nav-webhooks").await;
    browser
        .wait_for_text(
            "#webhook-deliveries tr.webhook-delivery[data-status='delivered']",
            "appointment.booked",
        )
        .await;
    browser.close().await;
}
