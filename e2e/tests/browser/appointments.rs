//! Scheduling in the browser: a receptionist books from a free slot, a slot taken elsewhere is
//! refused with the conflict shown, and a patient books and cancels their own appointment.

use diesel::prelude::*;
use fantoccini::Locator;
use hms_api::db::schema::{departments, practitioners, users};
use hms_api::demo::DEMO_PASSWORD;
use uuid::Uuid;

use crate::{start_api, Browser, TestApi};

/// The demo doctor's practitioner record and department.
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

/// Clicks the first free slot that starts more than `hours` from now; returns its start. When
/// the shown week has none left (a Friday evening, a weekend), moves on with `next_week`.
pub async fn click_free_slot_after(
    browser: &Browser,
    container: &str,
    next_week: &str,
    hours: i64,
) -> String {
    let deadline = std::time::Instant::now() + crate::WAIT * 2;
    let mut tries = 0;
    loop {
        tries += 1;
        if tries % 15 == 0 {
            browser.click(next_week).await;
        }
        let found = browser
            .client
            .execute(
                "const later = Date.now() + arguments[1] * 3600 * 1000; \
                 const slot = [...document.querySelectorAll(arguments[0] + ' button.free-slot')] \
                   .find(b => new Date(b.dataset.startsAt).getTime() > later); \
                 if (!slot) return null; slot.click(); return slot.dataset.startsAt;",
                vec![container.into(), hours.into()],
            )
            .await
            .expect("script");
        if let Some(start) = found.as_str() {
            return start.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no free slot in {container}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A new patient with no appointments, so a booking can only conflict on the practitioner.
fn fresh_patient(api: &TestApi, given: &str, family: &str) {
    let mut conn = api.pool.get().expect("db");
    diesel::insert_into(hms_api::db::schema::patients::table)
        .values((
            hms_api::db::schema::patients::given_name.eq(given),
            hms_api::db::schema::patients::family_name.eq(family),
            hms_api::db::schema::patients::birth_date
                .eq(chrono::NaiveDate::from_ymd_opt(1975, 4, 2).unwrap()),
            hms_api::db::schema::patients::sex.eq("male"),
        ))
        .execute(&mut conn)
        .expect("insert patient");
}

#[actix_rt::test]
async fn a_receptionist_books_from_a_free_slot_and_a_slot_taken_elsewhere_shows_the_conflict() {
    let api = start_api();
    fresh_patient(&api, "Quillon", "Zabrowski");
    fresh_patient(&api, "Ortwin", "Yellowlees");
    let (practitioner, department) = demo_doctor(&api);
    let browser = Browser::open().await;
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

    click_free_slot_after(&browser, "#calendar", "#calendar-next", 2).await;
    browser.fill("#booking-patient-search", "zabrowski").await;
    browser.click("li.booking-patient button").await;
    browser
        .fill("#booking-reason", "Blood pressure review")
        .await;
    browser.click("#booking-submit").await;
    browser.wait_gone("#booking-panel").await;
    browser.wait_for_text("#calendar", "Zabrowski").await;

    // Someone else takes the next free slot while this calendar still shows it as free.
    let taken = browser
        .client
        .execute(
            "const later = Date.now() + 2 * 3600 * 1000; \
             const slot = [...document.querySelectorAll('#calendar button.free-slot')] \
               .find(b => new Date(b.dataset.startsAt).getTime() > later); \
             return [slot.dataset.startsAt, slot.dataset.practitionerId];",
            vec![],
        )
        .await
        .unwrap();
    let starts_at = taken[0].as_str().unwrap().to_owned();
    {
        let mut conn = api.pool.get().unwrap();
        diesel::sql_query(
            "INSERT INTO appointments (patient_id, practitioner_id, department_id, starts_at, ends_at, reason, booked_by)
             SELECT p.id, pr.id, pr.department_id, $1::timestamptz,
                    $1::timestamptz + interval '1 minute', 'Booked at the front desk', pr.user_id
               FROM patients p, practitioners pr
              WHERE pr.id = $2 AND p.family_name NOT IN ('Zabrowski', 'Yellowlees')
                AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.patient_id = p.id)
              LIMIT 1",
        )
        .bind::<diesel::sql_types::Text, _>(&starts_at)
        .bind::<diesel::sql_types::Uuid, _>(practitioner)
        .execute(&mut conn)
        .unwrap();
    }
    browser
        .client
        .execute(
            "[...document.querySelectorAll('#calendar button.free-slot')] \
               .find(b => b.dataset.startsAt === arguments[0]).click();",
            vec![starts_at.clone().into()],
        )
        .await
        .unwrap();
    browser.fill("#booking-patient-search", "yellowlees").await;
    browser.click("li.booking-patient button").await;
    browser.fill("#booking-reason", "Follow-up").await;
    browser.click("#booking-submit").await;

    browser
        .wait_for_text("#booking-error", "no longer free")
        .await;
    browser.close().await;
}

#[actix_rt::test]
async fn a_patient_books_and_cancels_their_own_appointment() {
    let api = start_api();
    let (_, department) = demo_doctor(&api);
    let browser = Browser::open().await;
    browser
        .sign_in(&api.base, "patient@demo.hms", DEMO_PASSWORD)
        .await;
    browser.wait_for_text("#home-title", "My health").await;
    browser
        .client
        .goto(&format!("{}/book", api.base))
        .await
        .unwrap();
    browser
        .set_value("#book-department", &department.to_string())
        .await;

    click_free_slot_after(&browser, "#book-slots", "#book-next-week", 26).await;
    browser.fill("#book-reason", "Annual check-up").await;
    browser.click("#book-submit").await;
    browser.wait_for_text("#book-success", "").await;
    browser
        .wait_for_text("#my-appointments", "Annual check-up")
        .await;

    let row = browser
        .client
        .find(Locator::XPath(
            "//*[@id='my-appointments']//tr[contains(., 'Annual check-up')]",
        ))
        .await
        .expect("the new appointment is listed");
    row.find(Locator::Css(".cancel-own"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let reason = row.find(Locator::Css(".cancel-own-reason")).await.unwrap();
    reason.send_keys("I feel better").await.unwrap();
    row.find(Locator::Css(".cancel-own-confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let cancelled =
        "//*[@id='my-appointments']//tr[contains(., 'Annual check-up')][@data-status='cancelled']";
    let deadline = std::time::Instant::now() + crate::WAIT;
    while browser
        .client
        .find(Locator::XPath(cancelled))
        .await
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the appointment was not cancelled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser.close().await;
}
