//! An integrator's first hour, through the browser and over HTTP: an administrator registers an
//! API client on the Integrations page and copies the secret shown once; the client exchanges it
//! for a token, reads within its scope (REST and FHIR) and is refused outside it; disabling the
//! client on the page makes its token stop working.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hms_api::demo::DEMO_PASSWORD;

use crate::{start_api, Browser, WAIT};

/// One HTTP/1.1 request to the API (`Connection: close`); the status and the body.
fn http(base: &str, request: &str) -> (u16, String) {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to the API");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer[9..12].parse().expect("a status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn get(base: &str, path: &str, token: &str) -> (u16, String) {
    http(
        base,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Connection: close\r\n\r\n",
            base.trim_start_matches("http://")
        ),
    )
}

fn post(base: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    http(
        base,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\n{headers}Content-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            base.trim_start_matches("http://"),
            body.len()
        ),
    )
}

#[actix_rt::test]
async fn an_administrator_registers_a_client_that_reads_within_its_scope_until_disabled() {
    let api = start_api();
    let browser = Browser::open().await;
    browser
        .sign_in(&api.base, "admin@demo.hms", DEMO_PASSWORD)
        .await;
    browser.click("#nav-integrations").await;
    browser
        .fill("#new-client-name", "Regional health record")
        .await;
    browser.click("#new-client-scope-patients-read").await;
    browser.click("#new-client-submit").await;
    let secret = browser
        .text_of("#client-secret-value")
        .await
        .trim()
        .to_owned();
    let id = browser.text_of("#client-secret-id").await.trim().to_owned();
    assert!(secret.len() >= 40, "a strong secret: {secret:?}");

    // The client credentials grant.
    let (status, body) = post(
        &api.base,
        "/api/v1/auth/token",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        &format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"),
    );
    assert_eq!(status, 200, "{body}");
    let tokens: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tokens["scope"], "patients:read");
    let token = tokens["access_token"].as_str().unwrap();

    // Within its scope, over REST and FHIR; outside it, refused.
    let (status, body) = get(&api.base, "/api/v1/patients?q=gonzalez", token);
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&api.base, "/fhir/R4/Patient?name=gonzalez", token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"resourceType\":\"Bundle\""), "{body}");
    let (status, _) = post(
        &api.base,
        "/api/v1/patients",
        &format!("Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"),
        "{}",
    );
    assert_eq!(status, 403);

    // Disabled on the page: the token stops working.
    browser
        .click(&format!("tr[data-client-id='{id}'] button.toggle-active"))
        .await;
    browser
        .wait_for_text(&format!("tr[data-client-id='{id}'] td.active"), "Disabled")
        .await;
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, _) = get(&api.base, "/api/v1/patients?q=gonzalez", token);
        if status == 401 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the disabled client's token still works"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.close().await;
}
