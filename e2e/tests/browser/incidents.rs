//! Incidents in the browser: an administrator declares one, anyone sees it on the public status
//! page without signing in, and the administrator resolves it.

use fantoccini::Locator;
use hms_api::demo::DEMO_PASSWORD;

use crate::{start_api, Browser};

#[actix_rt::test]
async fn an_administrator_declares_an_incident_that_the_public_status_page_shows_and_then_resolves_it(
) {
    let api = start_api();
    let browser = Browser::open().await;

    // Signed out, the login page links to the status page, which works without a session.
    browser
        .client
        .goto(&format!("{}/login", api.base))
        .await
        .expect("open the app");
    browser.click("#login-status-link").await;
    browser
        .wait_for_text("#status-overall", "All systems operational")
        .await;
    browser
        .wait_for_text("#status-no-open", "No open incidents")
        .await;
    browser
        .wait_for_text(
            "li.status-component[data-key='database-primary']",
            "Operational",
        )
        .await;

    browser
        .sign_in(&api.base, "admin@demo.hms", DEMO_PASSWORD)
        .await;
    browser.click("#nav-incidents").await;
    browser
        .fill("#declare-title", "Lab results arrive late")
        .await;
    browser.set_value("#declare-severity", "minor").await;
    browser.click("#declare-component-api").await;
    browser
        .fill(
            "#declare-message",
            "Results from the lab interface are delayed by about an hour.",
        )
        .await;
    browser.click("#declare-submit").await;
    browser
        .wait_for_text("#incident-title", "Lab results arrive late")
        .await;
    browser
        .wait_for_text("#incident-status", "Investigating")
        .await;
    let id = browser
        .client
        .find(Locator::Css("#incident-page"))
        .await
        .unwrap()
        .attr("data-id")
        .await
        .unwrap()
        .expect("the page names the incident");

    // Anyone, signed out, sees it on the status page.
    browser.click("#logout").await;
    browser.wait_for_text("#login-page h1", "Sign in").await;
    browser
        .client
        .goto(&format!("{}/status", api.base))
        .await
        .expect("open the status page");
    let card = format!("#status-open article.status-incident[data-id='{id}']");
    let text = browser
        .wait_for_text(&card, "Lab results arrive late")
        .await;
    assert!(
        text.contains("Results from the lab interface are delayed by about an hour."),
        "{text}"
    );
    assert!(text.contains("Minor"), "{text}");
    assert!(browser
        .client
        .find(Locator::Css("#status-sign-in"))
        .await
        .is_ok());

    // The administrator resolves it; it moves to the history.
    browser
        .sign_in(&api.base, "admin@demo.hms", DEMO_PASSWORD)
        .await;
    browser.click("#nav-incidents").await;
    browser
        .click(&format!("tr.incident-row[data-id='{id}'] a.incident-link"))
        .await;
    browser
        .fill("#resolve-message", "The lab interface caught up.")
        .await;
    browser.click("#resolve-submit").await;
    browser.wait_for_text("#incident-status", "Resolved").await;
    browser
        .wait_for_text("#incident-timeline", "The lab interface caught up.")
        .await;

    browser.click("#nav-status").await;
    browser
        .wait_for_text(
            &format!("#status-history article.status-incident[data-id='{id}']"),
            "The lab interface caught up.",
        )
        .await;
    browser
        .wait_for_text("#status-no-open", "No open incidents")
        .await;
    browser.close().await;
}
