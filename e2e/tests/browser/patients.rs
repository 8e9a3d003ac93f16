//! Patients and their records in the browser: registration, search, charting, and a patient
//! reading their own record and who viewed it.

use diesel::prelude::*;
use fantoccini::Locator;
use hms_api::db::schema::patients;
use hms_api::demo::DEMO_PASSWORD;
use uuid::Uuid;

use crate::{start_api, Browser, TestApi};

fn patient_id(api: &TestApi, given: &str, family: &str) -> Uuid {
    let mut conn = api.pool.get().expect("db");
    patients::table
        .filter(patients::given_name.eq(given))
        .filter(patients::family_name.eq(family))
        .select(patients::id)
        .first(&mut conn)
        .expect("demo patient")
}

#[actix_rt::test]
async fn a_receptionist_registers_a_patient_is_warned_of_a_duplicate_and_finds_them() {
    let api = start_api();
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
    browser.fill("#given-name", "Adaeze").await;
    browser.fill("#family-name", "Nwankwo").await;
    browser.set_value("#birth-date", "1990-07-21").await;
    browser.set_value("#sex", "female").await;
    browser.fill("#phone", "not a phone").await;
    browser.click("#register-submit").await;
    browser.wait_for_text("#phone-error", "phone number").await;
    browser.fill("#phone", "+234 803 555 0101").await;
    browser.click("#register-submit").await;

    let mrn = browser.wait_for_text("#chart-mrn", "MRN-").await;
    browser
        .client
        .goto(&format!("{}/patients/new", api.base))
        .await
        .unwrap();
    browser.fill("#given-name", "Adaeze").await;
    browser.fill("#family-name", "Nwankwo").await;
    browser.set_value("#birth-date", "1990-07-21").await;
    browser.set_value("#sex", "female").await;
    browser.click("#register-submit").await;
    let warning = browser.wait_for_text("#duplicate-warning", "Nwankwo").await;
    assert!(
        warning.contains(mrn.trim_start_matches("MRN: ").trim()),
        "{warning} / {mrn}"
    );

    browser
        .client
        .goto(&format!("{}/patients", api.base))
        .await
        .unwrap();
    browser.fill("#patient-search", "nwankwo adaeze").await;
    browser.wait_for_text("#patients-table", "Nwankwo").await;
    browser.close().await;
}

#[actix_rt::test]
async fn a_nurse_charts_an_allergy_and_vitals_and_impossible_vitals_are_refused() {
    let api = start_api();
    let patient = patient_id(&api, "María", "González");
    let browser = Browser::open().await;
    browser
        .sign_in(&api.base, "nurse@demo.hms", DEMO_PASSWORD)
        .await;
    browser
        .wait_for_text("#home-title", "Nursing workspace")
        .await;

    browser
        .client
        .goto(&format!("{}/patients/{patient}", api.base))
        .await
        .unwrap();
    browser.wait_for_text("#chart-header", "González").await;
    browser.click("#tab-allergies").await;
    browser.fill("#allergy-substance", "Chlorhexidine").await;
    browser.fill("#allergy-reaction", "Urticaria").await;
    browser.set_value("#allergy-severity", "moderate").await;
    browser.click("#allergy-submit").await;
    browser
        .wait_for_text("#allergies-table", "Chlorhexidine")
        .await;

    browser.click("#tab-vitals").await;
    browser.fill("#vitals-systolic", "128").await;
    browser.fill("#vitals-diastolic", "82").await;
    browser.fill("#vitals-spo2", "130").await;
    browser.click("#vitals-submit").await;
    browser.wait_for_text("#vitals-spo2-error", "100").await;
    browser.fill("#vitals-spo2", "97").await;
    browser.click("#vitals-submit").await;
    browser.wait_gone("#vitals-spo2-error").await;
    browser.wait_for_text("#vitals-table", "128").await;

    browser.click("#tab-summary").await;
    browser
        .wait_for_text("#summary-allergies", "Chlorhexidine")
        .await;
    browser.close().await;
}

#[actix_rt::test]
async fn a_patient_sees_their_own_record_and_who_viewed_it_but_no_one_elses() {
    let api = start_api();
    let maria = patient_id(&api, "María", "González");
    let browser = Browser::open().await;
    browser
        .sign_in(&api.base, "doctor@demo.hms", DEMO_PASSWORD)
        .await;
    browser
        .wait_for_text("#home-title", "Clinical workspace")
        .await;
    browser
        .client
        .goto(&format!("{}/patients/{maria}", api.base))
        .await
        .unwrap();
    browser.wait_for_text("#chart-header", "González").await;
    browser.click("#logout").await;

    browser
        .sign_in(&api.base, "patient@demo.hms", DEMO_PASSWORD)
        .await;
    browser.wait_for_text("#home-title", "My health").await;
    browser
        .client
        .goto(&format!("{}/my-record", api.base))
        .await
        .unwrap();
    browser
        .wait_for_text("#chart-header", "María González")
        .await;
    assert!(browser
        .client
        .find(Locator::Css("#allergy-form"))
        .await
        .is_err());
    browser.click("#tab-access-log").await;
    browser
        .wait_for_text("#access-log-table", "Dr Samuel Osei")
        .await;

    let someone_else = {
        let mut conn = api.pool.get().unwrap();
        patients::table
            .filter(patients::id.ne(maria))
            .select(patients::id)
            .first::<Uuid>(&mut conn)
            .unwrap()
    };
    browser
        .client
        .goto(&format!("{}/patients/{someone_else}", api.base))
        .await
        .unwrap();
    let page = browser.text_of("main").await;
    assert!(
        !page.contains("MRN-"),
        "another patient's record leaked: {page}"
    );
    browser.close().await;
}
