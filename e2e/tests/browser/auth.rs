//! Signing in and out as every role.

use fantoccini::Locator;
use hms_api::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use hms_api_types::Role;

use crate::{start_api, Browser};

fn home_title(role: Role) -> &'static str {
    match role {
        Role::Admin => "Administration",
        Role::Doctor => "Clinical workspace",
        Role::Nurse => "Nursing workspace",
        Role::Receptionist => "Front desk",
        Role::Pharmacist => "Pharmacy and stock",
        Role::Patient => "My health",
        Role::Integration => unreachable!("API clients have no demo account and no home page"),
    }
}

#[actix_rt::test]
async fn every_demo_role_signs_in_sees_its_own_home_and_signs_out() {
    let api = start_api();
    let base = api.base.clone();
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
    let api = start_api();
    let base = api.base.clone();
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
    let api = start_api();
    let base = api.base.clone();
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
