//! Inventory in the browser: a nurse reports a shortage from the top bar, the pharmacist works
//! one through the board and its page, and dispensing down to the reorder level opens one.
//!
//! Each test makes the location, item and stock it needs through the public API (called from
//! the page, so with the same origin and the real access rules), not from the demo rows.

use fantoccini::Locator;
use hms_api::demo::DEMO_PASSWORD;
use serde_json::{json, Value};

use crate::{start_api, Browser, TestApi};

/// Calls the API from the open page as the holder of `token`; panics unless the answer is 2xx.
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

/// An access token of the demo account `email`.
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

/// What a test works with: a ward location and a critical, lot-tracked drug (reorder level 10).
struct Stock {
    location: String,
    item: String,
    pharmacist: String,
}

/// Makes a ward and an item named `name`, with `received` tablets at the ward when not zero.
async fn stock(browser: &Browser, api: &TestApi, name: &str, sku: &str, received: i32) -> Stock {
    browser
        .client
        .goto(&format!("{}/login", api.base))
        .await
        .expect("open the app");
    let admin = token(browser, "admin@demo.hms").await;
    let location = call(
        browser,
        "POST",
        "/api/v1/inventory/locations",
        &admin,
        json!({ "code": "E2E-W7", "name": "Ward 7 (tests)", "kind": "ward" }),
    )
    .await;
    let pharmacist = token(browser, "pharmacist@demo.hms").await;
    let item = call(
        browser,
        "POST",
        "/api/v1/inventory/items",
        &pharmacist,
        json!({
            "sku": sku,
            "name": name,
            "category": "drug",
            "unit": "tablet",
            "reorder_level": 10,
            "reorder_quantity": 50,
            "critical": true,
        }),
    )
    .await;
    let stock = Stock {
        location: id_of(&location),
        item: id_of(&item),
        pharmacist,
    };
    if received > 0 {
        call(
            browser,
            "POST",
            "/api/v1/inventory/movements/receive",
            &stock.pharmacist,
            json!({
                "item_id": stock.item,
                "location_id": stock.location,
                "quantity": received,
                "lot_number": "E2E-LOT-1",
                "expires_on": "2030-06-30",
            }),
        )
        .await;
    }
    stock
}

/// Waits until an element matches `css`.
async fn wait_for(browser: &Browser, css: &str) {
    browser.text_of(css).await;
}

#[actix_rt::test]
async fn a_nurse_reports_a_shortage_from_the_top_bar_and_it_appears_on_the_board() {
    let api = start_api();
    let browser = Browser::open().await;
    let stock = stock(
        &browser,
        &api,
        "Zorbafloxacin 250 mg tablet",
        "E2E-ZORB-250",
        0,
    )
    .await;
    browser
        .sign_in(&api.base, "nurse@demo.hms", DEMO_PASSWORD)
        .await;
    browser
        .wait_for_text("#home-title", "Nursing workspace")
        .await;

    browser.click("#nav-report-shortage").await;
    browser.fill("#report-item-search", "zorbafloxacin").await;
    browser
        .click(&format!("li.report-item[data-id='{}'] button", stock.item))
        .await;
    browser
        .wait_for_text("#report-item", "Zorbafloxacin 250 mg tablet")
        .await;
    browser.set_value("#report-location", &stock.location).await;
    browser.set_value("#report-severity", "high").await;
    browser
        .fill("#report-note", "Last strip used on the night round")
        .await;
    browser.click("#report-submit").await;
    browser
        .wait_for_text("#report-confirmation", "Zorbafloxacin 250 mg tablet")
        .await;
    let shortage = browser
        .client
        .find(Locator::Css("#report-confirmation"))
        .await
        .unwrap()
        .attr("data-shortage-id")
        .await
        .unwrap()
        .expect("the confirmation names the shortage");

    browser.click("#report-board-link").await;
    let card =
        format!("#shortage-column-open article.shortage-card[data-shortage-id='{shortage}']");
    let text = browser
        .wait_for_text(&card, "Zorbafloxacin 250 mg tablet")
        .await;
    assert!(text.contains("Ward 7 (tests)"), "{text}");
    assert!(text.contains("Reported by Nia Okafor"), "{text}");
    assert!(
        text.contains("Last strip used on the night round"),
        "{text}"
    );
    browser
        .wait_for_text(&format!("{card} .badge.severity"), "High")
        .await;
    browser
        .wait_for_text(&format!("{card} .badge.critical-item"), "Critical")
        .await;
    // A nurse reports shortages but does not work them.
    assert!(
        browser
            .client
            .find(Locator::Css(&format!("{card} .shortage-acknowledge")))
            .await
            .is_err(),
        "a nurse is offered the workflow"
    );
    browser.close().await;
}

#[actix_rt::test]
async fn the_pharmacist_acknowledges_orders_and_resolves_a_shortage_and_its_history_shows_each_step(
) {
    let api = start_api();
    let browser = Browser::open().await;
    let stock = stock(
        &browser,
        &api,
        "Quelmistatin 20 mg tablet",
        "E2E-QUEL-20",
        0,
    )
    .await;
    let nurse = token(&browser, "nurse@demo.hms").await;
    let shortage = id_of(
        &call(
            &browser,
            "POST",
            "/api/v1/inventory/shortages",
            &nurse,
            json!({
                "item_id": stock.item,
                "location_id": stock.location,
                "severity": "critical",
                "note": "None left for the evening doses",
            }),
        )
        .await,
    );

    browser
        .sign_in(&api.base, "pharmacist@demo.hms", DEMO_PASSWORD)
        .await;
    browser
        .wait_for_text("#home-title", "Pharmacy and stock")
        .await;
    browser
        .wait_for_text(
            &format!("#home-shortages li.home-shortage[data-shortage-id='{shortage}']"),
            "Quelmistatin 20 mg tablet",
        )
        .await;

    browser.click("#nav-shortages").await;
    let card = |status: &str| {
        format!("#shortage-column-{status} article.shortage-card[data-shortage-id='{shortage}']")
    };
    browser
        .wait_for_text(&card("open"), "Quelmistatin 20 mg tablet")
        .await;
    browser
        .click(&format!("{} .shortage-acknowledge", card("open")))
        .await;
    wait_for(&browser, &card("acknowledged")).await;
    browser
        .wait_for_text("#shortages-status", "acknowledged")
        .await;

    browser
        .click(&format!("{} .shortage-order", card("acknowledged")))
        .await;
    browser
        .fill(
            &format!("{} .shortage-order-reference", card("acknowledged")),
            "PO-2026-0042",
        )
        .await;
    browser
        .click(&format!(
            "{} .shortage-action-confirm",
            card("acknowledged")
        ))
        .await;
    browser
        .wait_for_text(&card("ordered"), "PO-2026-0042")
        .await;

    browser
        .click(&format!("{} a.shortage-open", card("ordered")))
        .await;
    wait_for(
        &browser,
        &format!("#shortage-page[data-shortage-id='{shortage}'][data-status='ordered']"),
    )
    .await;
    browser.click("#shortage-action-resolve").await;
    browser
        .fill("#shortage-action-text", "Delivery of 100 received")
        .await;
    browser.click("#shortage-action-confirm").await;
    wait_for(&browser, "#shortage-page[data-status='resolved']").await;
    browser
        .wait_for_text("#shortage-resolution", "Delivery of 100 received")
        .await;
    browser
        .wait_for_text("#shortage-order-reference", "PO-2026-0042")
        .await;
    let history = browser
        .wait_for_text("#shortage-history", "Ordered → Resolved")
        .await;
    for step in [
        "Opened",
        "Open → Acknowledged",
        "Acknowledged → Ordered",
        "Ordered → Resolved",
        "Nia Okafor",
        "Ravi Patel",
    ] {
        assert!(history.contains(step), "{step:?} is not in {history:?}");
    }
    let steps = browser
        .client
        .find_all(Locator::Css("#shortage-history li.history-entry"))
        .await
        .unwrap();
    assert_eq!(steps.len(), 4, "{history}");
    // A resolved shortage offers no more steps.
    browser.wait_gone("#shortage-action-resolve").await;
    browser.close().await;
}

#[actix_rt::test]
async fn dispensing_down_to_the_reorder_level_opens_a_shortage_that_appears_on_the_board() {
    let api = start_api();
    let browser = Browser::open().await;
    let stock = stock(
        &browser,
        &api,
        "Vantoprazine 40 mg tablet",
        "E2E-VANT-40",
        15,
    )
    .await;
    browser
        .sign_in(&api.base, "pharmacist@demo.hms", DEMO_PASSWORD)
        .await;
    browser
        .wait_for_text("#home-title", "Pharmacy and stock")
        .await;

    browser.click("#nav-inventory").await;
    browser.fill("#item-search", "vantoprazine").await;
    browser
        .wait_for_text("#items-table", "Vantoprazine 40 mg tablet")
        .await;
    browser
        .click(&format!(
            "tr.item-row[data-item-id='{}'] a.item-link",
            stock.item
        ))
        .await;
    browser
        .wait_for_text("#item-name", "Vantoprazine 40 mg tablet")
        .await;
    browser.wait_for_text("#item-on-hand", "15 tablet").await;
    browser.wait_for_text("#item-lots", "E2E-LOT-1").await;

    browser.click("#movement-kind-dispense").await;
    browser
        .set_value("#dispense-location", &stock.location)
        .await;
    browser.fill("#dispense-quantity", "5").await;
    browser.click("#dispense-submit").await;
    browser
        .wait_for_text("#movement-notice", "Dispensed 5 tablet at Ward 7 (tests)")
        .await;
    browser
        .wait_for_text("#movement-shortage-notice", "shortage was opened")
        .await;
    browser.wait_for_text("#item-on-hand", "10 tablet").await;
    browser
        .wait_for_text(
            "#item-movements tr.movement-row[data-kind='dispense']",
            "5 tablet",
        )
        .await;
    browser
        .wait_for_text(
            &format!(
                "#item-levels tr.level-row[data-location-id='{}'][data-low='true']",
                stock.location
            ),
            "Low stock",
        )
        .await;

    browser.click("#movement-shortage-link").await;
    let shortage = browser
        .client
        .wait()
        .at_most(crate::WAIT)
        .for_element(Locator::Css("#shortage-page[data-status='open']"))
        .await
        .expect("the opened shortage's page")
        .attr("data-shortage-id")
        .await
        .unwrap()
        .expect("a shortage id");
    browser
        .wait_for_text("#shortage-source", "Opened automatically")
        .await;

    browser.click("#shortage-board-link").await;
    let card =
        format!("#shortage-column-open article.shortage-card[data-shortage-id='{shortage}']");
    let text = browser
        .wait_for_text(&card, "Vantoprazine 40 mg tablet")
        .await;
    assert!(text.contains("Ward 7 (tests)"), "{text}");
    assert!(text.contains("On hand 10"), "{text}");
    assert!(text.contains("Opened automatically"), "{text}");
    browser.close().await;
}
