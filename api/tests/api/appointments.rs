//! Scheduling and appointments: the directory, free slots in the hospital's time zone (across
//! daylight-saving changes), booking that never double-books (even under concurrency),
//! idempotent retries, the status workflow with reverts, cancellation, browsing, rescheduling,
//! and the day view's index at scale.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use diesel::prelude::*;
use hms_api::config::Settings;
use hms_api_types::{Permission, Role};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::access::{either, ep, Endpoint, Operation};
use crate::helpers::{Reply, TestApp};

/// The scheduling and appointment operations, for the role walk in `access.rs`. The ones a
/// patient account may use on its own appointments are also granted by `BookOwnAppointments`.
pub fn protected() -> Vec<Operation> {
    use Permission::*;
    let with_body = |mut e: Endpoint| {
        e.body = Some(json!({}));
        e
    };
    vec![
        ep("GET", "/api/v1/departments", ViewDirectory).into(),
        with_body(ep("POST", "/api/v1/departments", ManageSchedules)).into(),
        ep("GET", "/api/v1/practitioners", ViewDirectory).into(),
        with_body(ep("POST", "/api/v1/practitioners", ManageSchedules)).into(),
        ep(
            "GET",
            "/api/v1/practitioners/{practitioner_id}/availability",
            ViewDirectory,
        )
        .into(),
        with_body(ep(
            "PUT",
            "/api/v1/practitioners/{practitioner_id}/availability",
            ManageSchedules,
        ))
        .into(),
        with_body(ep(
            "POST",
            "/api/v1/practitioners/{practitioner_id}/exceptions",
            ManageSchedules,
        ))
        .into(),
        ep(
            "DELETE",
            "/api/v1/practitioners/{practitioner_id}/exceptions/{exception_id}",
            ManageSchedules,
        )
        .into(),
        ep("GET", "/api/v1/slots", ViewDirectory).into(),
        either(
            with_body(ep("POST", "/api/v1/appointments", BookAppointments)),
            BookOwnAppointments,
        ),
        either(
            ep("GET", "/api/v1/appointments", ViewAppointments),
            BookOwnAppointments,
        ),
        either(
            ep(
                "GET",
                "/api/v1/appointments/{appointment_id}",
                ViewAppointments,
            ),
            BookOwnAppointments,
        ),
        with_body(ep(
            "POST",
            "/api/v1/appointments/{appointment_id}/reschedule",
            BookAppointments,
        ))
        .into(),
        either(
            with_body(ep(
                "POST",
                "/api/v1/appointments/{appointment_id}/cancel",
                BookAppointments,
            )),
            BookOwnAppointments,
        ),
        with_body(ep(
            "POST",
            "/api/v1/appointments/{appointment_id}/status",
            UpdateAppointmentStatus,
        ))
        .into(),
        with_body(ep(
            "POST",
            "/api/v1/appointments/{appointment_id}/revert",
            RevertAppointmentStatus,
        ))
        .into(),
        either(
            ep(
                "GET",
                "/api/v1/appointments/{appointment_id}/history",
                ViewAppointments,
            ),
            BookOwnAppointments,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Setup

/// A small hospital: an administrator, a receptionist, one department with one doctor bookable
/// 09:00–12:00 every day in 30-minute slots, and one patient.
struct Clinic {
    app: TestApp,
    admin: String,
    reception: String,
    department: String,
    doctor: String,
    patient: Uuid,
}

async fn clinic() -> Clinic {
    clinic_with(|_| {}).await
}

async fn clinic_with(adjust: impl FnOnce(&mut Settings)) -> Clinic {
    let app = TestApp::spawn_with(adjust).await;
    let admin = app.token(Role::Admin);
    let reception = app.token(Role::Receptionist);
    let department = create_department(&app, &admin, "General Practice").await;
    let doctor = add_practitioner(
        &app,
        &admin,
        &department,
        Role::Doctor,
        &every_day("09:00", "12:00", 30),
    )
    .await;
    let patient = app.create_patient("Ada", "Lovelace");
    Clinic {
        app,
        admin,
        reception,
        department,
        doctor,
        patient,
    }
}

async fn create_department(app: &TestApp, admin: &str, name: &str) -> String {
    let reply = app
        .post(
            "/api/v1/departments",
            Some(admin),
            &json!({"name": name, "description": "Walk-in and booked consultations"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", text(&reply));
    id_of(&reply)
}

/// A new `role` account made bookable in `department` with `hours`; returns the practitioner id.
async fn add_practitioner(
    app: &TestApp,
    admin: &str,
    department: &str,
    role: Role,
    hours: &Value,
) -> String {
    let (user, _) = app.create_user(role);
    let reply = app
        .post(
            "/api/v1/practitioners",
            Some(admin),
            &json!({"user_id": user, "department_id": department, "specialty": "Family medicine"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", text(&reply));
    let id = id_of(&reply);
    let set = send(
        app,
        "PUT",
        &format!("/api/v1/practitioners/{id}/availability"),
        admin,
        &[],
        hours,
    )
    .await;
    assert_eq!(set.status, 200, "{}", text(&set));
    id
}

/// The same window every day of the week.
fn every_day(starts_at: &str, ends_at: &str, slot_minutes: i32) -> Value {
    let weekly: Vec<Value> = (1..=7)
        .map(|weekday| {
            json!({"weekday": weekday, "starts_at": starts_at, "ends_at": ends_at, "slot_minutes": slot_minutes})
        })
        .collect();
    json!({ "weekly": weekly })
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

fn id_of(reply: &Reply) -> String {
    reply.json()["id"].as_str().expect("an id").to_owned()
}

/// Today (UTC) plus `offset` days.
fn day(offset: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(offset)
}

/// `day` at `hh:mm` UTC, as RFC 3339.
fn at(day: NaiveDate, hm: &str) -> String {
    format!("{day}T{hm}:00Z")
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

/// Any request with extra headers.
async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Reply {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    let mut res = req.send_json(body).await.expect("request failed");
    let body = res.body().limit(10 * 1024 * 1024).await.expect("read body");
    Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: body.to_vec(),
    }
}

async fn book(
    app: &TestApp,
    token: &str,
    patient: Uuid,
    practitioner: &str,
    starts_at: &str,
) -> Reply {
    app.post(
        "/api/v1/appointments",
        Some(token),
        &json!({
            "patient_id": patient,
            "practitioner_id": practitioner,
            "starts_at": starts_at,
            "reason": "Annual check-up",
        }),
    )
    .await
}

/// Books and asserts 201; returns the appointment.
async fn booked(
    app: &TestApp,
    token: &str,
    patient: Uuid,
    practitioner: &str,
    starts_at: &str,
) -> Value {
    let reply = book(app, token, patient, practitioner, starts_at).await;
    assert_eq!(reply.status, 201, "{}", text(&reply));
    reply.json()
}

/// Start times of the free slots the query returns.
async fn slot_starts(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let reply = app
        .get(&format!("/api/v1/slots?{query}"), Some(token))
        .await;
    assert_eq!(reply.status, 200, "{}", text(&reply));
    reply.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| {
            instant(s["starts_at"].as_str().unwrap())
                .format("%Y-%m-%dT%H:%MZ")
                .to_string()
        })
        .collect()
}

async fn status_change(app: &TestApp, token: &str, id: &str, to: &str) -> Reply {
    app.post(
        &format!("/api/v1/appointments/{id}/status"),
        Some(token),
        &json!({ "status": to }),
    )
    .await
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
        .expect("count")
        .n
}

/// The last Sunday of `month` in `year` (when Europe changes its clocks).
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).unwrap() - Duration::days(1);
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    d
}

/// The next European clock change in `month` (3 = spring forward, 10 = fall back) at least a
/// few days away.
fn next_change(month: u32) -> NaiveDate {
    let this_year = last_sunday(Utc::now().year(), month);
    if this_year > day(3) {
        this_year
    } else {
        last_sunday(Utc::now().year() + 1, month)
    }
}

// ---------------------------------------------------------------------------------------------
// The directory

#[actix_rt::test]
async fn an_administrator_sets_up_departments_practitioners_and_their_weekly_hours() {
    let c = clinic().await;

    let departments = c.app.get("/api/v1/departments", Some(&c.reception)).await;
    let practitioners = c
        .app
        .get(
            &format!("/api/v1/practitioners?department_id={}", c.department),
            Some(&c.reception),
        )
        .await;
    let availability = c
        .app
        .get(
            &format!("/api/v1/practitioners/{}/availability", c.doctor),
            Some(&c.reception),
        )
        .await;

    assert_eq!(departments.json()[0]["name"], "General Practice");
    assert_eq!(practitioners.json()[0]["id"], c.doctor.as_str());
    assert_eq!(
        practitioners.json()[0]["department_name"],
        "General Practice"
    );
    let availability = availability.json();
    assert_eq!(availability["time_zone"], "UTC");
    assert_eq!(availability["weekly"].as_array().unwrap().len(), 7);
    assert_eq!(availability["weekly"][0]["starts_at"], "09:00:00");
    assert_eq!(availability["weekly"][0]["slot_minutes"], 30);
}

#[actix_rt::test]
async fn only_active_doctors_and_nurses_become_practitioners_once() {
    let c = clinic().await;
    let (receptionist, _) = c.app.create_user(Role::Receptionist);
    let (nurse, _) = c.app.create_user(Role::Nurse);
    let body =
        |user: Uuid| json!({"user_id": user, "department_id": c.department, "specialty": "Triage"});

    let not_clinical = c
        .app
        .post("/api/v1/practitioners", Some(&c.admin), &body(receptionist))
        .await;
    let nurse_once = c
        .app
        .post("/api/v1/practitioners", Some(&c.admin), &body(nurse))
        .await;
    let nurse_twice = c
        .app
        .post("/api/v1/practitioners", Some(&c.admin), &body(nurse))
        .await;
    let same_department_name = c
        .app
        .post(
            "/api/v1/departments",
            Some(&c.admin),
            &json!({"name": "General Practice"}),
        )
        .await;

    not_clinical.assert_problem(422, "validation");
    assert_eq!(nurse_once.status, 201, "{}", text(&nurse_once));
    nurse_twice.assert_problem(409, "conflict");
    same_department_name.assert_problem(409, "conflict");
}

#[actix_rt::test]
async fn overlapping_or_impossible_weekly_hours_are_rejected_and_change_nothing() {
    let c = clinic().await;
    let path = format!("/api/v1/practitioners/{}/availability", c.doctor);
    let bad = [
        json!({"weekly": [
            {"weekday": 1, "starts_at": "09:00", "ends_at": "12:00", "slot_minutes": 30},
            {"weekday": 1, "starts_at": "11:00", "ends_at": "13:00", "slot_minutes": 30}]}),
        json!({"weekly": [{"weekday": 8, "starts_at": "09:00", "ends_at": "12:00", "slot_minutes": 30}]}),
        json!({"weekly": [{"weekday": 1, "starts_at": "12:00", "ends_at": "09:00", "slot_minutes": 30}]}),
        json!({"weekly": [{"weekday": 1, "starts_at": "09:00", "ends_at": "09:10", "slot_minutes": 30}]}),
        json!({"weekly": [{"weekday": 1, "starts_at": "09:00", "ends_at": "12:00", "slot_minutes": 1}]}),
        json!({"weekly": [{"weekday": 1, "starts_at": "09:00:30", "ends_at": "12:00", "slot_minutes": 30}]}),
    ];

    for body in &bad {
        let reply = send(&c.app, "PUT", &path, &c.admin, &[], body).await;
        reply.assert_problem(422, "validation");
    }
    let availability = c.app.get(&path, Some(&c.admin)).await.json();
    assert_eq!(availability["weekly"].as_array().unwrap().len(), 7);

    // No hours at all is allowed: nothing can be booked then.
    let cleared = send(&c.app, "PUT", &path, &c.admin, &[], &json!({"weekly": []})).await;
    assert_eq!(cleared.status, 200, "{}", text(&cleared));
    assert_eq!(cleared.json()["weekly"], json!([]));
    book(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(day(7), "10:00"),
    )
    .await
    .assert_problem(422, "validation");
}

// ---------------------------------------------------------------------------------------------
// Free slots

#[actix_rt::test]
async fn free_slots_come_from_working_hours_minus_bookings_and_leave() {
    let c = clinic().await;
    let d = day(7);
    let query = format!("practitioner_id={}&from={d}&to={d}", c.doctor);
    let all = slot_starts(&c.app, &c.reception, &query).await;
    assert_eq!(
        all,
        ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
            .map(|t| format!("{d}T{t}Z"))
            .to_vec()
    );

    booked(&c.app, &c.reception, c.patient, &c.doctor, &at(d, "10:00")).await;
    let leave = c
        .app
        .post(
            &format!("/api/v1/practitioners/{}/exceptions", c.doctor),
            Some(&c.admin),
            &json!({"starts_at": at(d, "11:00"), "ends_at": at(d, "12:00"), "reason": "Training"}),
        )
        .await;
    assert_eq!(leave.status, 201, "{}", text(&leave));

    let free = slot_starts(&c.app, &c.reception, &query).await;
    assert_eq!(
        free,
        ["09:00", "09:30", "10:30"]
            .map(|t| format!("{d}T{t}Z"))
            .to_vec()
    );
    let by_department = slot_starts(
        &c.app,
        &c.reception,
        &format!("department_id={}&from={d}&to={d}", c.department),
    )
    .await;
    assert_eq!(by_department, free);

    // Removing the leave gives the time back.
    let exception = leave.json()["id"].as_str().unwrap().to_owned();
    let removed = send(
        &c.app,
        "DELETE",
        &format!("/api/v1/practitioners/{}/exceptions/{exception}", c.doctor),
        &c.admin,
        &[],
        &json!({}),
    )
    .await;
    assert_eq!(removed.status, 204, "{}", text(&removed));
    assert_eq!(slot_starts(&c.app, &c.reception, &query).await.len(), 5);
}

#[actix_rt::test]
async fn free_slots_are_never_in_the_past() {
    let c = clinic().await;
    send(
        &c.app,
        "PUT",
        &format!("/api/v1/practitioners/{}/availability", c.doctor),
        &c.admin,
        &[],
        &every_day("00:00", "23:59", 60),
    )
    .await;
    let (yesterday, today) = (day(-1), day(0));

    let past = slot_starts(
        &c.app,
        &c.reception,
        &format!(
            "practitioner_id={}&from={yesterday}&to={yesterday}",
            c.doctor
        ),
    )
    .await;
    let now = Utc::now();
    let today_slots = slot_starts(
        &c.app,
        &c.reception,
        &format!("practitioner_id={}&from={today}&to={today}", c.doctor),
    )
    .await;

    assert!(past.is_empty(), "{past:?}");
    assert!(today_slots.len() < 23);
    assert!(today_slots
        .iter()
        .all(|s| instant(&s.replace('Z', ":00Z")) >= now - Duration::minutes(1)));
}

#[actix_rt::test]
async fn free_slots_keep_the_local_clinic_hours_across_daylight_saving_changes() {
    let c = clinic_with(|s| s.time_zone = "Europe/Lisbon".into()).await;
    let spring = next_change(3);
    let autumn = next_change(10);
    let first_slot = |d: NaiveDate| {
        let app = &c.app;
        let token = c.reception.clone();
        let doctor = c.doctor.clone();
        async move {
            slot_starts(
                app,
                &token,
                &format!("practitioner_id={doctor}&from={d}&to={d}"),
            )
            .await
            .first()
            .cloned()
            .unwrap_or_default()
        }
    };

    // Winter time is UTC+0, summer time UTC+1: 09:00 on the wall clock either way.
    assert_eq!(
        first_slot(spring - Duration::days(1)).await,
        format!("{}T09:00Z", spring - Duration::days(1))
    );
    assert_eq!(first_slot(spring).await, format!("{spring}T08:00Z"));
    assert_eq!(
        first_slot(spring + Duration::days(1)).await,
        format!("{}T08:00Z", spring + Duration::days(1))
    );
    assert_eq!(
        first_slot(autumn - Duration::days(1)).await,
        format!("{}T08:00Z", autumn - Duration::days(1))
    );
    assert_eq!(
        first_slot(autumn + Duration::days(1)).await,
        format!("{}T09:00Z", autumn + Duration::days(1))
    );

    // A search across the change: six slots a day, each day starting at 09:00 local.
    let before = spring - Duration::days(1);
    let after = spring + Duration::days(1);
    let across = slot_starts(
        &c.app,
        &c.reception,
        &format!("practitioner_id={}&from={before}&to={after}", c.doctor),
    )
    .await;
    assert_eq!(across.len(), 18);
    assert_eq!(across[0], format!("{before}T09:00Z"));
    assert_eq!(across[5], format!("{before}T11:30Z"));
    assert_eq!(across[12], format!("{after}T08:00Z"));
    assert_eq!(across[17], format!("{after}T10:30Z"));

    // Booking follows the same local hours: 11:30Z after the change is 12:30 local, closed.
    booked(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(after, "08:00"),
    )
    .await;
    book(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(after, "11:30"),
    )
    .await
    .assert_problem(422, "validation");
    let availability = c
        .app
        .get(
            &format!("/api/v1/practitioners/{}/availability", c.doctor),
            Some(&c.reception),
        )
        .await;
    assert_eq!(availability.json()["time_zone"], "Europe/Lisbon");
}

// ---------------------------------------------------------------------------------------------
// Booking: no double booking, idempotency, validation

#[actix_rt::test]
async fn twenty_concurrent_bookings_of_one_slot_give_one_appointment_and_nineteen_conflicts() {
    // Enough connections and workers for the twenty to really race in the database.
    let c = clinic_with(|s| {
        s.db_pool_size = 20;
        s.workers = 4;
    })
    .await;
    let starts_at = at(day(7), "10:00");
    let patients: Vec<Uuid> = (0..20)
        .map(|i| c.app.create_patient("Racing", &format!("Patient{i}")))
        .collect();

    let replies = futures_util::future::join_all(
        patients
            .iter()
            .map(|p| book(&c.app, &c.reception, *p, &c.doctor, &starts_at)),
    )
    .await;

    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_problem(409, "conflict");
    }
    assert_eq!(count(&c.app, "SELECT count(*) AS n FROM appointments"), 1);
    assert_eq!(
        count(
            &c.app,
            "SELECT count(*) AS n FROM appointment_status_changes"
        ),
        1
    );
}

#[actix_rt::test]
async fn concurrent_bookings_that_fail_halfway_leave_conflicts_not_server_errors() {
    // Nineteen of twenty patients already have an appointment then (with another doctor):
    // their bookings get past the practitioner's constraint and fail on the patient's, rolling
    // back while others wait on them. Every answer must still be a 201 or a 409.
    let c = clinic_with(|s| {
        s.db_pool_size = 20;
        s.workers = 4;
    })
    .await;
    let starts_at = at(day(7), "10:00");
    let mut patients = Vec::new();
    for i in 0..19 {
        let busy = c.app.create_patient("Busy", &format!("Patient{i}"));
        let (user, _) = c.app.create_user(Role::Doctor);
        let mut conn = c.app.pool.get().unwrap();
        diesel::sql_query(format!(
            "WITH pr AS (INSERT INTO practitioners (user_id, department_id, specialty)
                         VALUES ('{user}', '{dep}', 'Surgery') RETURNING id, department_id)
             INSERT INTO appointments (patient_id, practitioner_id, department_id, starts_at, ends_at, reason, booked_by)
             SELECT '{busy}', pr.id, pr.department_id, '{from}', '{to}', 'Long procedure', '{user}' FROM pr",
            dep = c.department,
            from = at(day(7), "09:30"),
            to = at(day(7), "11:30"),
        ))
        .execute(&mut conn)
        .unwrap();
        patients.push(busy);
    }
    patients.insert(10, c.patient);

    for round in 0..3 {
        let replies = futures_util::future::join_all(
            patients
                .iter()
                .map(|p| book(&c.app, &c.reception, *p, &c.doctor, &starts_at)),
        )
        .await;

        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        let expected_wins = usize::from(round == 0);
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            expected_wins,
            "{statuses:?}"
        );
        for reply in replies.iter().filter(|r| r.status != 201) {
            reply.assert_problem(409, "conflict");
        }
    }
    assert_eq!(count(&c.app, "SELECT count(*) AS n FROM appointments"), 20);
}

#[actix_rt::test]
async fn concurrent_bookings_of_different_slots_all_succeed() {
    let c = clinic().await;
    let d = day(8);
    let times = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"];
    let patients: Vec<Uuid> = times
        .iter()
        .map(|t| c.app.create_patient("Parallel", t))
        .collect();

    let starts: Vec<String> = times.iter().map(|t| at(d, t)).collect();
    let replies = futures_util::future::join_all(
        patients
            .iter()
            .zip(&starts)
            .map(|(p, t)| book(&c.app, &c.reception, *p, &c.doctor, t)),
    )
    .await;

    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", text(reply));
    }
}

#[actix_rt::test]
async fn a_patient_cannot_hold_two_overlapping_appointments() {
    let c = clinic().await;
    let other_doctor = add_practitioner(
        &c.app,
        &c.admin,
        &c.department,
        Role::Doctor,
        &every_day("09:00", "12:00", 20),
    )
    .await;
    let d = day(7);
    booked(&c.app, &c.reception, c.patient, &c.doctor, &at(d, "10:00")).await;

    // 10:20–10:40 overlaps 10:00–10:30.
    let clash = book(
        &c.app,
        &c.reception,
        c.patient,
        &other_doctor,
        &at(d, "10:20"),
    )
    .await;
    let after = book(
        &c.app,
        &c.reception,
        c.patient,
        &other_doctor,
        &at(d, "10:40"),
    )
    .await;

    let problem = clash.assert_problem(409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("patient"),
        "{problem}"
    );
    assert_eq!(after.status, 201, "{}", text(&after));
}

#[actix_rt::test]
async fn a_booking_retried_with_the_same_idempotency_key_is_booked_once() {
    let c = clinic().await;
    let body = json!({
        "patient_id": c.patient,
        "practitioner_id": c.doctor,
        "starts_at": at(day(7), "09:30"),
        "reason": "Follow-up",
    });
    let key = [("Idempotency-Key", "7d9f0c52-booking-1")];

    let first = send(
        &c.app,
        "POST",
        "/api/v1/appointments",
        &c.reception,
        &key,
        &body,
    )
    .await;
    let retry = send(
        &c.app,
        "POST",
        "/api/v1/appointments",
        &c.reception,
        &key,
        &body,
    )
    .await;

    assert_eq!(first.status, 201, "{}", text(&first));
    assert_eq!(retry.status, 201, "{}", text(&retry));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.json()["id"], retry.json()["id"]);
    assert_eq!(first.header("location"), retry.header("location"));
    assert_eq!(count(&c.app, "SELECT count(*) AS n FROM appointments"), 1);

    // Without the key, the same request is a second booking attempt: the slot is taken.
    book(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(day(7), "09:30"),
    )
    .await
    .assert_problem(409, "conflict");
}

#[actix_rt::test]
async fn concurrent_retries_with_one_idempotency_key_book_once() {
    let c = clinic().await;
    let body = json!({
        "patient_id": c.patient,
        "practitioner_id": c.doctor,
        "starts_at": at(day(7), "11:00"),
        "reason": "Follow-up",
    });
    let key = [("Idempotency-Key", "retry-storm")];

    let replies = futures_util::future::join_all((0..6).map(|_| {
        send(
            &c.app,
            "POST",
            "/api/v1/appointments",
            &c.reception,
            &key,
            &body,
        )
    }))
    .await;

    let ids: Vec<Value> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", text(r));
            r.json()["id"].clone()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]));
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.header("idempotent-replayed").is_none())
            .count(),
        1
    );
    assert_eq!(count(&c.app, "SELECT count(*) AS n FROM appointments"), 1);
}

#[actix_rt::test]
async fn an_idempotency_key_reused_for_a_different_booking_is_rejected() {
    let c = clinic().await;
    let body = |time: &str| {
        json!({
            "patient_id": c.patient,
            "practitioner_id": c.doctor,
            "starts_at": at(day(7), time),
            "reason": "Follow-up",
        })
    };
    let key = [("Idempotency-Key", "same-key")];

    let first = send(
        &c.app,
        "POST",
        "/api/v1/appointments",
        &c.reception,
        &key,
        &body("09:00"),
    )
    .await;
    let different = send(
        &c.app,
        "POST",
        "/api/v1/appointments",
        &c.reception,
        &key,
        &body("11:00"),
    )
    .await;
    let bad_key = send(
        &c.app,
        "POST",
        "/api/v1/appointments",
        &c.reception,
        &[("Idempotency-Key", "")],
        &body("11:00"),
    )
    .await;

    assert_eq!(first.status, 201, "{}", text(&first));
    let problem = different.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    bad_key.assert_problem(400, "bad-request");
    assert_eq!(count(&c.app, "SELECT count(*) AS n FROM appointments"), 1);
}

#[actix_rt::test]
async fn bad_booking_requests_are_refused_and_write_nothing() {
    let c = clinic().await;
    let d = day(7);
    let leave = c
        .app
        .post(
            &format!("/api/v1/practitioners/{}/exceptions", c.doctor),
            Some(&c.admin),
            &json!({"starts_at": at(d, "11:00"), "ends_at": at(d, "12:00"), "reason": "Leave"}),
        )
        .await;
    assert_eq!(leave.status, 201, "{}", text(&leave));
    let inactive = c.app.create_patient("Gone", "Away");
    {
        let mut conn = c.app.pool.get().unwrap();
        diesel::sql_query(format!(
            "UPDATE patients SET active = false WHERE id = '{inactive}'"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    let base = json!({
        "patient_id": c.patient,
        "practitioner_id": c.doctor,
        "starts_at": at(d, "10:00"),
        "reason": "Check-up",
    });
    let with = |field: &str, value: Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };
    let cases = [
        (
            "end before start",
            with("ends_at", json!(at(d, "09:30"))),
            422,
            "validation",
        ),
        (
            "end equal to start",
            with("ends_at", json!(at(d, "10:00"))),
            422,
            "validation",
        ),
        (
            "unknown practitioner",
            with("practitioner_id", json!(Uuid::new_v4())),
            422,
            "validation",
        ),
        (
            "unknown patient",
            with("patient_id", json!(Uuid::new_v4())),
            422,
            "validation",
        ),
        (
            "deactivated patient",
            with("patient_id", json!(inactive)),
            422,
            "validation",
        ),
        (
            "outside working hours",
            with("starts_at", json!(at(d, "13:00"))),
            422,
            "validation",
        ),
        (
            "running past closing",
            with("ends_at", json!(at(d, "12:30"))),
            422,
            "validation",
        ),
        (
            "before opening",
            with("starts_at", json!(at(d, "08:45"))),
            422,
            "validation",
        ),
        (
            "no offset",
            with("starts_at", json!(format!("{d}T10:00:00"))),
            422,
            "validation",
        ),
        (
            "not a time",
            with("starts_at", json!("tomorrow at ten")),
            422,
            "validation",
        ),
        (
            "in the past",
            with("starts_at", json!(at(day(-1), "10:00"))),
            422,
            "validation",
        ),
        (
            "years ahead",
            with("starts_at", json!(at(day(800), "10:00"))),
            422,
            "validation",
        ),
        (
            "during leave",
            with("starts_at", json!(at(d, "11:00"))),
            409,
            "conflict",
        ),
        (
            "empty reason",
            with("reason", json!("  ")),
            422,
            "validation",
        ),
        (
            "unknown field",
            with("room", json!("12")),
            422,
            "validation",
        ),
    ];

    for (what, body, status, slug) in cases {
        let reply = c
            .app
            .post("/api/v1/appointments", Some(&c.reception), &body)
            .await;
        assert_eq!(reply.status, status, "{what}: {}", text(&reply));
        reply.assert_problem(status, slug);
    }
    let malformed = c
        .app
        .send_raw(
            "POST",
            "/api/v1/appointments",
            Some(&c.reception),
            "application/json",
            b"{\"patient_id\":".to_vec(),
        )
        .await;
    malformed.assert_problem(400, "bad-request");

    assert_eq!(count(&c.app, "SELECT count(*) AS n FROM appointments"), 0);
    assert_eq!(
        count(
            &c.app,
            "SELECT count(*) AS n FROM appointment_status_changes"
        ),
        0
    );
    assert_eq!(
        count(&c.app, "SELECT count(*) AS n FROM idempotency_keys"),
        0
    );
    assert_eq!(
        count(
            &c.app,
            "SELECT count(*) AS n FROM audit_events WHERE entity_type = 'appointments'"
        ),
        0
    );
}

#[actix_rt::test]
async fn a_booking_records_who_booked_it_and_can_be_read_back() {
    let c = clinic().await;
    let appointment = booked(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(day(7), "09:00"),
    )
    .await;
    let id = appointment["id"].as_str().unwrap();

    let read = c
        .app
        .get(&format!("/api/v1/appointments/{id}"), Some(&c.reception))
        .await;

    assert_eq!(read.status, 200, "{}", text(&read));
    assert_eq!(read.header("etag"), Some("\"1\""));
    let read = read.json();
    assert_eq!(read, appointment);
    assert_eq!(read["status"], "booked");
    assert_eq!(read["patient_name"], "Ada Lovelace");
    assert_eq!(read["department_id"], c.department.as_str());
    assert_eq!(read["ends_at"], at(day(7), "09:30"));
    assert!(
        count(
            &c.app,
            &format!(
                "SELECT count(*) AS n FROM audit_events WHERE patient_id = '{}' AND entity_type = 'appointments'",
                c.patient
            )
        ) >= 2
    );
}

// ---------------------------------------------------------------------------------------------
// The status workflow

#[actix_rt::test]
async fn an_appointment_goes_from_booked_to_checked_in_in_progress_and_completed() {
    let c = clinic().await;
    let nurse = c.app.token(Role::Nurse);
    let doctor = c.app.token(Role::Doctor);
    let id = booked(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(day(7), "09:00"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let checked_in = status_change(&c.app, &c.reception, &id, "checked_in").await;
    let in_progress = status_change(&c.app, &nurse, &id, "in_progress").await;
    let completed = status_change(&c.app, &doctor, &id, "completed").await;
    let back = status_change(&c.app, &c.reception, &id, "booked").await;
    let cancelled = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&c.reception),
            &json!({"reason": "too late"}),
        )
        .await;

    assert_eq!(
        checked_in.json()["status"],
        "checked_in",
        "{}",
        text(&checked_in)
    );
    assert_eq!(
        in_progress.json()["status"],
        "in_progress",
        "{}",
        text(&in_progress)
    );
    let done = completed.json();
    assert_eq!(done["status"], "completed", "{}", text(&completed));
    assert_eq!(done["version"], 4);
    back.assert_problem(409, "conflict");
    cancelled.assert_problem(409, "conflict");
}

#[actix_rt::test]
async fn status_changes_outside_the_workflow_are_refused() {
    let c = clinic().await;
    let id = booked(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(day(7), "09:00"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let skip = status_change(&c.app, &c.reception, &id, "completed").await;
    let same = status_change(&c.app, &c.reception, &id, "booked").await;
    let via_status = status_change(&c.app, &c.reception, &id, "cancelled").await;
    let unknown = status_change(&c.app, &c.reception, &id, "teleported").await;
    let missing = status_change(
        &c.app,
        &c.reception,
        &Uuid::new_v4().to_string(),
        "checked_in",
    )
    .await;
    let no_show = status_change(&c.app, &c.reception, &id, "no_show").await;
    let after_no_show = status_change(&c.app, &c.reception, &id, "checked_in").await;

    skip.assert_problem(409, "conflict");
    same.assert_problem(409, "conflict");
    via_status.assert_problem(422, "validation");
    unknown.assert_problem(422, "validation");
    missing.assert_problem(404, "not-found");
    assert_eq!(no_show.json()["status"], "no_show", "{}", text(&no_show));
    after_no_show.assert_problem(409, "conflict");
}

#[actix_rt::test]
async fn a_wrong_check_in_is_reverted_with_a_reason_and_the_history_shows_every_change() {
    let c = clinic().await;
    let (nurse_id, _) = c.app.create_user(Role::Nurse);
    let nurse = c.app.keys.issue(nurse_id, Role::Nurse, None).unwrap();
    let id = booked(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(day(7), "09:00"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let checked_in = status_change(&c.app, &nurse, &id, "checked_in").await;
    assert_eq!(checked_in.status, 200, "{}", text(&checked_in));

    let by_nurse = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/revert"),
            Some(&nurse),
            &json!({"reason": "wrong patient"}),
        )
        .await;
    let without_reason = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/revert"),
            Some(&c.reception),
            &json!({"reason": " "}),
        )
        .await;
    let reverted = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/revert"),
            Some(&c.reception),
            &json!({"reason": "Checked in the wrong Ada"}),
        )
        .await;
    let history = c
        .app
        .get(
            &format!("/api/v1/appointments/{id}/history"),
            Some(&c.reception),
        )
        .await;

    by_nurse.assert_problem(403, "forbidden");
    without_reason.assert_problem(422, "validation");
    assert_eq!(reverted.status, 200, "{}", text(&reverted));
    assert_eq!(reverted.json()["status"], "booked");
    let history = history.json();
    let steps: Vec<(Value, Value, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["from_status"].clone(),
                h["to_status"].clone(),
                h["is_revert"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("booked"), json!(false)),
            (json!("booked"), json!("checked_in"), json!(false)),
            (json!("checked_in"), json!("booked"), json!(true)),
        ]
    );
    assert_eq!(history[1]["changed_by"], nurse_id.to_string());
    assert_eq!(history[1]["changed_by_name"], "Test Nurse");
    assert_eq!(history[2]["changed_by_name"], "Test Receptionist");
    assert_eq!(history[2]["reason"], "Checked in the wrong Ada");

    // Back to booked, it can be checked in again, properly this time.
    let again = status_change(&c.app, &c.reception, &id, "checked_in").await;
    assert_eq!(again.json()["status"], "checked_in", "{}", text(&again));
}

#[actix_rt::test]
async fn a_cancellation_reverted_after_the_slot_was_rebooked_is_a_conflict() {
    let c = clinic().await;
    let starts_at = at(day(7), "10:00");
    let first = booked(&c.app, &c.reception, c.patient, &c.doctor, &starts_at).await;
    let id = first["id"].as_str().unwrap();
    let cancelled = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&c.reception),
            &json!({"reason": "Patient called"}),
        )
        .await;
    assert_eq!(cancelled.json()["cancel_reason"], "Patient called");
    let someone_else = c.app.create_patient("Grace", "Hopper");
    booked(&c.app, &c.reception, someone_else, &c.doctor, &starts_at).await;

    let revert = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/revert"),
            Some(&c.reception),
            &json!({"reason": "Cancelled by mistake"}),
        )
        .await;

    revert.assert_problem(409, "conflict");
    let read = c
        .app
        .get(&format!("/api/v1/appointments/{id}"), Some(&c.reception))
        .await;
    assert_eq!(read.json()["status"], "cancelled");
}

// ---------------------------------------------------------------------------------------------
// Cancellation and patients booking for themselves

#[actix_rt::test]
async fn cancelling_frees_the_slot_for_another_booking() {
    let c = clinic().await;
    let d = day(7);
    let starts_at = at(d, "10:00");
    let id = booked(&c.app, &c.reception, c.patient, &c.doctor, &starts_at).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = format!("practitioner_id={}&from={d}&to={d}", c.doctor);
    assert!(!slot_starts(&c.app, &c.reception, &query)
        .await
        .contains(&format!("{d}T10:00Z")));

    let cancelled = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&c.reception),
            &json!({"reason": "Patient is travelling"}),
        )
        .await;
    let no_reason = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&c.reception),
            &json!({}),
        )
        .await;
    let twice = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&c.reception),
            &json!({"reason": "again"}),
        )
        .await;

    assert_eq!(
        cancelled.json()["status"],
        "cancelled",
        "{}",
        text(&cancelled)
    );
    no_reason.assert_problem(422, "validation");
    twice.assert_problem(409, "conflict");
    assert!(slot_starts(&c.app, &c.reception, &query)
        .await
        .contains(&format!("{d}T10:00Z")));
    let other = c.app.create_patient("Grace", "Hopper");
    booked(&c.app, &c.reception, other, &c.doctor, &starts_at).await;
}

#[actix_rt::test]
async fn a_patient_books_one_of_the_offered_slots_while_staff_may_book_any_time_in_the_hours() {
    let c = clinic().await;
    let me = c.app.patient_token(c.patient);
    let d = day(7);
    let mine = |starts_at: &str, ends_at: Option<&str>| {
        json!({
            "patient_id": c.patient,
            "practitioner_id": c.doctor,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "reason": "Check-up",
        })
    };

    let off_grid = c
        .app
        .post(
            "/api/v1/appointments",
            Some(&me),
            &mine(&at(d, "09:10"), None),
        )
        .await;
    let long = c
        .app
        .post(
            "/api/v1/appointments",
            Some(&me),
            &mine(&at(d, "09:00"), Some(&at(d, "11:00"))),
        )
        .await;
    let one_slot = c
        .app
        .post(
            "/api/v1/appointments",
            Some(&me),
            &mine(&at(d, "09:30"), Some(&at(d, "10:00"))),
        )
        .await;
    let other = c.app.create_patient("Grace", "Hopper");
    let by_staff = c
        .app
        .post(
            "/api/v1/appointments",
            Some(&c.reception),
            &json!({
                "patient_id": other,
                "practitioner_id": c.doctor,
                "starts_at": at(d, "10:10"),
                "ends_at": at(d, "11:05"),
                "reason": "Long review",
            }),
        )
        .await;

    off_grid.assert_problem(422, "validation");
    long.assert_problem(422, "validation");
    assert_eq!(one_slot.status, 201, "{}", text(&one_slot));
    assert_eq!(by_staff.status, 201, "{}", text(&by_staff));
    // 10:10–11:05 takes the 10:00, 10:30 and 11:00 slots.
    let free = slot_starts(
        &c.app,
        &me,
        &format!("practitioner_id={}&from={d}&to={d}", c.doctor),
    )
    .await;
    assert_eq!(
        free,
        vec![
            at(d, "09:00").replace(":00Z", "Z"),
            at(d, "11:30").replace(":00Z", "Z")
        ]
    );
}

#[actix_rt::test]
async fn a_patient_books_and_cancels_their_own_appointment() {
    let c = clinic().await;
    let me = c.app.patient_token(c.patient);
    let d = day(7);
    let slots = slot_starts(
        &c.app,
        &me,
        &format!("practitioner_id={}&from={d}&to={d}", c.doctor),
    )
    .await;
    assert_eq!(slots.len(), 6);

    let mine = booked(&c.app, &me, c.patient, &c.doctor, &at(d, "09:00")).await;
    let id = mine["id"].as_str().unwrap();
    let read = c
        .app
        .get(&format!("/api/v1/appointments/{id}"), Some(&me))
        .await;
    let history = c
        .app
        .get(&format!("/api/v1/appointments/{id}/history"), Some(&me))
        .await;
    let cancelled = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&me),
            &json!({"reason": "I feel better"}),
        )
        .await;
    let reschedule = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/reschedule"),
            Some(&me),
            &json!({"starts_at": at(d, "10:00"), "version": 1}),
        )
        .await;
    let check_in = status_change(&c.app, &me, id, "checked_in").await;

    assert_eq!(read.status, 200, "{}", text(&read));
    assert_eq!(history.status, 200, "{}", text(&history));
    assert_eq!(
        count(
            &c.app,
            &format!("SELECT count(*) AS n FROM audit_events WHERE patient_id = '{}' AND action = 'read_history'", c.patient)
        ),
        1
    );
    assert_eq!(
        cancelled.json()["status"],
        "cancelled",
        "{}",
        text(&cancelled)
    );
    reschedule.assert_problem(403, "forbidden");
    check_in.assert_problem(403, "forbidden");
}

#[actix_rt::test]
async fn a_patient_cannot_cancel_online_inside_the_cut_off() {
    // A three-day cut-off, so "tomorrow" is inside it whatever the time of day.
    let c = clinic_with(|s| s.patient_cancel_cutoff_minutes = 3 * 24 * 60).await;
    let me = c.app.patient_token(c.patient);
    let soon = booked(&c.app, &me, c.patient, &c.doctor, &at(day(1), "10:00")).await;
    let later = booked(&c.app, &me, c.patient, &c.doctor, &at(day(7), "10:00")).await;
    let cancel = |id: &Value, token: &str| {
        let path = format!("/api/v1/appointments/{}/cancel", id.as_str().unwrap());
        let token = token.to_owned();
        let app = &c.app;
        async move {
            app.post(&path, Some(&token), &json!({"reason": "Cannot come"}))
                .await
        }
    };

    let too_late = cancel(&soon["id"], &me).await;
    let in_time = cancel(&later["id"], &me).await;
    let by_reception = cancel(&soon["id"], &c.reception).await;

    let problem = too_late.assert_problem(409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("4320 minutes"),
        "{problem}"
    );
    assert_eq!(in_time.json()["status"], "cancelled", "{}", text(&in_time));
    assert_eq!(
        by_reception.json()["status"],
        "cancelled",
        "{}",
        text(&by_reception)
    );
}

#[actix_rt::test]
async fn a_patient_cannot_see_book_or_cancel_another_patients_appointments() {
    let c = clinic().await;
    let me = c.app.patient_token(c.patient);
    let stranger = c.app.create_patient("Grace", "Hopper");
    let theirs = booked(
        &c.app,
        &c.reception,
        stranger,
        &c.doctor,
        &at(day(7), "11:00"),
    )
    .await;
    let id = theirs["id"].as_str().unwrap();

    let read = c
        .app
        .get(&format!("/api/v1/appointments/{id}"), Some(&me))
        .await;
    let history = c
        .app
        .get(&format!("/api/v1/appointments/{id}/history"), Some(&me))
        .await;
    let cancel = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&me),
            &json!({"reason": "mischief"}),
        )
        .await;
    let book_for_them = book(&c.app, &me, stranger, &c.doctor, &at(day(7), "09:00")).await;
    let list_theirs = c
        .app
        .get(
            &format!("/api/v1/appointments?patient_id={stranger}"),
            Some(&me),
        )
        .await;

    read.assert_problem(404, "not-found");
    history.assert_problem(404, "not-found");
    cancel.assert_problem(404, "not-found");
    book_for_them.assert_problem(404, "not-found");
    list_theirs.assert_problem(404, "not-found");
    let still = c
        .app
        .get(&format!("/api/v1/appointments/{id}"), Some(&c.reception))
        .await;
    assert_eq!(still.json()["status"], "booked");
    assert_eq!(count(&c.app, "SELECT count(*) AS n FROM appointments"), 1);
}

#[actix_rt::test]
async fn a_patient_listing_appointments_sees_only_their_own() {
    let c = clinic().await;
    let me = c.app.patient_token(c.patient);
    let stranger = c.app.create_patient("Grace", "Hopper");
    let d = day(7);
    let mine = booked(&c.app, &c.reception, c.patient, &c.doctor, &at(d, "09:00")).await;
    booked(&c.app, &c.reception, stranger, &c.doctor, &at(d, "09:30")).await;

    let own = c.app.get("/api/v1/appointments", Some(&me)).await;
    let own_explicit = c
        .app
        .get(
            &format!("/api/v1/appointments?patient_id={}&date={d}", c.patient),
            Some(&me),
        )
        .await;
    let staff = c
        .app
        .get(
            &format!("/api/v1/appointments?date={d}"),
            Some(&c.reception),
        )
        .await;

    let ids = |r: &Reply| -> Vec<Value> {
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].clone())
            .collect()
    };
    assert_eq!(ids(&own), vec![mine["id"].clone()], "{}", text(&own));
    assert_eq!(ids(&own_explicit), vec![mine["id"].clone()]);
    assert_eq!(ids(&staff).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Browsing

/// Three practitioners in one department, one in another, with appointments on two days.
async fn busy_day(c: &Clinic) -> (NaiveDate, Vec<String>, String) {
    let second = add_practitioner(
        &c.app,
        &c.admin,
        &c.department,
        Role::Nurse,
        &every_day("09:00", "12:00", 30),
    )
    .await;
    let elsewhere = create_department(&c.app, &c.admin, "Cardiology").await;
    let cardiologist = add_practitioner(
        &c.app,
        &c.admin,
        &elsewhere,
        Role::Doctor,
        &every_day("09:00", "12:00", 30),
    )
    .await;
    let d = day(9);
    let mut ids = Vec::new();
    for (i, time) in ["11:00", "09:00", "10:30", "09:30", "10:00"]
        .iter()
        .enumerate()
    {
        let patient = c.app.create_patient("Day", &format!("View{i}"));
        let practitioner = if i % 2 == 0 { &c.doctor } else { &second };
        let a = booked(&c.app, &c.reception, patient, practitioner, &at(d, time)).await;
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    // Same department, next day; and another department on the day: neither is listed.
    let p = c.app.create_patient("Next", "Day");
    booked(
        &c.app,
        &c.reception,
        p,
        &c.doctor,
        &at(d + Duration::days(1), "09:00"),
    )
    .await;
    let p = c.app.create_patient("Other", "Department");
    booked(&c.app, &c.reception, p, &cardiologist, &at(d, "09:00")).await;
    (d, ids, second)
}

#[actix_rt::test]
async fn the_department_day_view_lists_the_days_appointments_in_start_order_page_by_page() {
    let c = clinic().await;
    let (d, _, _) = busy_day(&c).await;

    let mut seen: Vec<(String, String)> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!(
            "/api/v1/appointments?department_id={}&date={d}&limit=2",
            c.department
        );
        if let Some(cur) = &cursor {
            path.push_str(&format!("&cursor={cur}"));
        }
        let page = c.app.get(&path, Some(&c.reception)).await;
        assert_eq!(page.status, 200, "{}", text(&page));
        let page = page.json();
        for a in page["items"].as_array().unwrap() {
            assert_eq!(a["department_id"], c.department.as_str());
            seen.push((
                a["starts_at"].as_str().unwrap().to_owned(),
                a["id"].as_str().unwrap().to_owned(),
            ));
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(pages, 3);
    let times: Vec<&str> = seen.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        times,
        ["09:00", "09:30", "10:00", "10:30", "11:00"]
            .map(|t| at(d, t))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    let mut ids: Vec<&String> = seen.iter().map(|(_, id)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no appointment twice");
}

#[actix_rt::test]
async fn the_appointment_list_filters_by_practitioner_patient_and_status() {
    let c = clinic().await;
    let (d, ids, second) = busy_day(&c).await;
    let checked = status_change(&c.app, &c.reception, &ids[1], "checked_in").await;
    assert_eq!(checked.status, 200);
    let patient_of_first = c
        .app
        .get(
            &format!("/api/v1/appointments/{}", ids[0]),
            Some(&c.reception),
        )
        .await
        .json()["patient_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = |query: String| {
        let app = &c.app;
        let token = c.reception.clone();
        async move {
            let reply = app
                .get(&format!("/api/v1/appointments?{query}"), Some(&token))
                .await;
            assert_eq!(reply.status, 200, "{}", text(&reply));
            reply.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };

    let by_doctor = list(format!("practitioner_id={}&date={d}", c.doctor)).await;
    let by_nurse = list(format!("practitioner_id={second}&from={d}&to={d}")).await;
    let by_patient = list(format!("patient_id={patient_of_first}")).await;
    let checked_in = list("status=checked_in".into()).await;
    let booked_on_day = list(format!(
        "status=booked&department_id={}&date={d}",
        c.department
    ))
    .await;
    let next_day = list(format!(
        "department_id={}&date={}",
        c.department,
        d + Duration::days(1)
    ))
    .await;

    // Start order: 09:00 (ids[1]), 09:30 (ids[3]), 10:00 (ids[4]), 10:30 (ids[2]), 11:00 (ids[0]).
    assert_eq!(
        by_doctor,
        vec![ids[4].clone(), ids[2].clone(), ids[0].clone()]
    );
    assert_eq!(by_nurse, vec![ids[1].clone(), ids[3].clone()]);
    assert_eq!(by_patient, vec![ids[0].clone()]);
    assert_eq!(checked_in, vec![ids[1].clone()]);
    assert_eq!(booked_on_day.len(), 4);
    assert!(!booked_on_day.contains(&ids[1]));
    assert_eq!(next_day.len(), 1);
}

#[actix_rt::test]
async fn a_day_in_the_appointment_list_is_the_hospitals_local_day() {
    // Tokyo is UTC+9 all year: its 08:00–10:00 clinic runs from 23:00Z the day before.
    let c = clinic_with(|s| s.time_zone = "Asia/Tokyo".into()).await;
    send(
        &c.app,
        "PUT",
        &format!("/api/v1/practitioners/{}/availability", c.doctor),
        &c.admin,
        &[],
        &every_day("08:00", "10:00", 30),
    )
    .await;
    let d = day(10);
    let early = booked(
        &c.app,
        &c.reception,
        c.patient,
        &c.doctor,
        &at(d - Duration::days(1), "23:00"),
    )
    .await;
    let other = c.app.create_patient("Late", "Morning");
    let late = booked(&c.app, &c.reception, other, &c.doctor, &at(d, "00:30")).await;
    let list = |date: NaiveDate| {
        let app = &c.app;
        let token = c.reception.clone();
        async move {
            app.get(&format!("/api/v1/appointments?date={date}"), Some(&token))
                .await
                .json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].clone())
                .collect::<Vec<_>>()
        }
    };

    assert_eq!(list(d).await, vec![early["id"].clone(), late["id"].clone()]);
    assert!(list(d - Duration::days(1)).await.is_empty());
    let slots = slot_starts(
        &c.app,
        &c.reception,
        &format!("practitioner_id={}&from={d}&to={d}", c.doctor),
    )
    .await;
    assert_eq!(
        slots,
        vec![
            format!("{}T23:30Z", d - Duration::days(1)),
            format!("{d}T00:00Z"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Rescheduling

#[actix_rt::test]
async fn rescheduling_moves_a_booked_appointment_to_a_free_time_of_the_version_read() {
    let c = clinic().await;
    let d = day(7);
    let appointment = booked(&c.app, &c.reception, c.patient, &c.doctor, &at(d, "09:00")).await;
    let id = appointment["id"].as_str().unwrap();
    let other = c.app.create_patient("Grace", "Hopper");
    booked(&c.app, &c.reception, other, &c.doctor, &at(d, "10:00")).await;
    let path = format!("/api/v1/appointments/{id}/reschedule");
    let to = |time: &str| json!({ "starts_at": at(d, time) });

    let taken = send(
        &c.app,
        "POST",
        &path,
        &c.reception,
        &[("If-Match", "\"1\"")],
        &to("10:00"),
    )
    .await;
    let no_version = send(&c.app, "POST", &path, &c.reception, &[], &to("11:00")).await;
    let bad_version = send(
        &c.app,
        "POST",
        &path,
        &c.reception,
        &[("If-Match", "soon")],
        &to("11:00"),
    )
    .await;
    let outside = send(
        &c.app,
        "POST",
        &path,
        &c.reception,
        &[("If-Match", "\"1\"")],
        &to("14:00"),
    )
    .await;
    let moved = send(
        &c.app,
        "POST",
        &path,
        &c.reception,
        &[("If-Match", "\"1\"")],
        &to("11:00"),
    )
    .await;
    let stale = send(
        &c.app,
        "POST",
        &path,
        &c.reception,
        &[("If-Match", "\"1\"")],
        &to("11:30"),
    )
    .await;
    // A move may overlap the appointment's own old time (11:00–11:30 to 11:15–11:45).
    let again = send(
        &c.app,
        "POST",
        &path,
        &c.reception,
        &[("If-Match", "\"2\"")],
        &to("11:15"),
    )
    .await;

    taken.assert_problem(409, "conflict");
    no_version.assert_problem(428, "precondition-required");
    bad_version.assert_problem(400, "bad-request");
    outside.assert_problem(422, "validation");
    assert_eq!(moved.status, 200, "{}", text(&moved));
    assert_eq!(moved.header("etag"), Some("\"2\""));
    let moved = moved.json();
    assert_eq!(moved["starts_at"], at(d, "11:00"));
    assert_eq!(moved["ends_at"], at(d, "11:30"));
    assert_eq!(moved["version"], 2);
    stale.assert_problem(412, "precondition-failed");
    assert_eq!(
        again.json()["starts_at"],
        at(d, "11:15"),
        "{}",
        text(&again)
    );
    let free = slot_starts(
        &c.app,
        &c.reception,
        &format!("practitioner_id={}&from={d}&to={d}", c.doctor),
    )
    .await;
    assert!(
        free.contains(&format!("{d}T09:00Z")),
        "the old time is free again: {free:?}"
    );
    assert!(!free.contains(&format!("{d}T11:30Z")));
}

#[actix_rt::test]
async fn rescheduling_to_another_practitioner_moves_the_appointment_to_their_department() {
    let c = clinic().await;
    let cardiology = create_department(&c.app, &c.admin, "Cardiology").await;
    let cardiologist = add_practitioner(
        &c.app,
        &c.admin,
        &cardiology,
        Role::Doctor,
        &every_day("14:00", "16:00", 20),
    )
    .await;
    let d = day(7);
    let id = booked(&c.app, &c.reception, c.patient, &c.doctor, &at(d, "09:00")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let moved = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/reschedule"),
            Some(&c.reception),
            &json!({"starts_at": at(d, "14:20"), "practitioner_id": cardiologist, "version": 1}),
        )
        .await;

    assert_eq!(moved.status, 200, "{}", text(&moved));
    let moved = moved.json();
    assert_eq!(moved["practitioner_id"], cardiologist.as_str());
    assert_eq!(moved["department_id"], cardiology.as_str());
    assert_eq!(moved["ends_at"], at(d, "14:40"));
}

#[actix_rt::test]
async fn an_appointment_that_is_no_longer_booked_cannot_be_rescheduled() {
    let c = clinic().await;
    let d = day(7);
    let id = booked(&c.app, &c.reception, c.patient, &c.doctor, &at(d, "09:00")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    status_change(&c.app, &c.reception, &id, "checked_in").await;

    let moved = c
        .app
        .post(
            &format!("/api/v1/appointments/{id}/reschedule"),
            Some(&c.reception),
            &json!({"starts_at": at(d, "10:00"), "version": 2}),
        )
        .await;

    moved.assert_problem(409, "conflict");
}

// ---------------------------------------------------------------------------------------------
// Errors are problems

#[actix_rt::test]
async fn odd_query_parameters_are_problems_never_server_errors() {
    let c = clinic().await;
    let p = &c.doctor;
    let cases = [
        ("/api/v1/slots", 400),
        (
            &*format!("/api/v1/slots?practitioner_id={p}&from=2027-02-30&to=2027-03-01"),
            400,
        ),
        (
            "/api/v1/slots?practitioner_id=nope&from=2027-01-01&to=2027-01-01",
            400,
        ),
        ("/api/v1/slots?from=2027-01-01&to=2027-01-02", 422),
        (
            &*format!("/api/v1/slots?practitioner_id={p}&from=2027-01-02&to=2027-01-01"),
            422,
        ),
        (
            &*format!("/api/v1/slots?practitioner_id={p}&from=2027-01-01&to=2027-03-01"),
            422,
        ),
        (
            &*format!("/api/v1/slots?practitioner_id={p}&from=-200000-01-01&to=-200000-01-02"),
            422,
        ),
        (
            &*format!("/api/v1/slots?practitioner_id={p}&from=%2B200000-01-01&to=%2B200000-01-02"),
            422,
        ),
        (
            &*format!(
                "/api/v1/slots?practitioner_id={}&from=2027-01-01&to=2027-01-01",
                Uuid::new_v4()
            ),
            404,
        ),
        (
            &*format!(
                "/api/v1/slots?department_id={}&from=2027-01-01&to=2027-01-01",
                Uuid::new_v4()
            ),
            404,
        ),
        ("/api/v1/practitioners?department_id=x", 400),
        (
            &*format!("/api/v1/practitioners/{}/availability", Uuid::new_v4()),
            404,
        ),
        ("/api/v1/practitioners/not-a-uuid/availability", 400),
        ("/api/v1/appointments?status=teleported", 400),
        ("/api/v1/appointments?limit=0", 422),
        ("/api/v1/appointments?limit=201", 422),
        ("/api/v1/appointments?limit=many", 400),
        ("/api/v1/appointments?cursor=!!!", 422),
        ("/api/v1/appointments?cursor=bm90IGEgY3Vyc29y", 422),
        ("/api/v1/appointments?date=2027-01-01&from=2027-01-01", 422),
        ("/api/v1/appointments?from=2027-01-02&to=2027-01-01", 422),
        ("/api/v1/appointments?date=-200000-01-01", 422),
        ("/api/v1/appointments?from=-200000-01-01", 422),
        ("/api/v1/appointments?to=%2B200000-12-31", 422),
        ("/api/v1/appointments?date=0001-01-01", 200),
        ("/api/v1/appointments?date=9999-12-31", 200),
        ("/api/v1/appointments/not-a-uuid", 400),
        (&*format!("/api/v1/appointments/{}", Uuid::new_v4()), 404),
        (
            &*format!("/api/v1/appointments/{}/history", Uuid::new_v4()),
            404,
        ),
    ];

    for (path, status) in cases {
        let reply = c.app.get(path, Some(&c.reception)).await;
        assert_eq!(reply.status, status, "{path}: {}", text(&reply));
        if status >= 400 {
            assert_eq!(
                reply.header("content-type"),
                Some("application/problem+json"),
                "{path}"
            );
        }
    }
}

#[actix_rt::test]
async fn leave_outside_any_sensible_range_is_refused() {
    let c = clinic().await;
    let path = format!("/api/v1/practitioners/{}/exceptions", c.doctor);
    let cases = [
        json!({"starts_at": at(day(3), "10:00"), "ends_at": at(day(3), "09:00"), "reason": "Leave"}),
        json!({"starts_at": at(day(3), "10:00"), "ends_at": at(day(400), "09:00"), "reason": "Leave"}),
        json!({"starts_at": "-200000-01-01T00:00:00Z", "ends_at": "-200000-01-02T00:00:00Z", "reason": "Leave"}),
        json!({"starts_at": "+200000-01-01T00:00:00Z", "ends_at": "+200000-01-02T00:00:00Z", "reason": "Leave"}),
        json!({"starts_at": at(day(3), "10:00"), "ends_at": at(day(4), "09:00"), "reason": ""}),
        json!({"starts_at": at(day(3), "10:00"), "ends_at": at(day(4), "09:00")}),
    ];

    for body in &cases {
        let reply = c.app.post(&path, Some(&c.admin), body).await;
        reply.assert_problem(422, "validation");
    }
    let unknown = c
        .app
        .post(
            &format!("/api/v1/practitioners/{}/exceptions", Uuid::new_v4()),
            Some(&c.admin),
            &json!({"starts_at": at(day(3), "10:00"), "ends_at": at(day(4), "09:00"), "reason": "Leave"}),
        )
        .await;
    unknown.assert_problem(404, "not-found");
    assert_eq!(
        count(&c.app, "SELECT count(*) AS n FROM availability_exceptions"),
        0
    );
}

#[actix_rt::test]
async fn an_unknown_hospital_time_zone_is_refused_at_startup() {
    for bad in ["Mars/Olympus_Mons", "", "UTC; DROP TABLE users"] {
        let mut settings = Settings::for_database(
            &crate::helpers::fresh_database(),
            crate::helpers::JWT_SECRET,
        );
        settings.time_zone = bad.into();

        let built =
            hms_api::startup::Application::build(settings, std::time::Duration::from_secs(5));

        let err = built.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("HMS_TIMEZONE"), "{bad:?}: {err}");
    }
    let mut settings = Settings::for_database(
        &crate::helpers::fresh_database(),
        crate::helpers::JWT_SECRET,
    );
    settings.time_zone = "Europe/Lisbon".into();
    assert!(
        hms_api::startup::Application::build(settings, std::time::Duration::from_secs(5)).is_ok()
    );
}

// ---------------------------------------------------------------------------------------------
// Scale

#[actix_rt::test]
async fn the_department_day_view_uses_an_index_with_a_year_of_appointments() {
    let app = TestApp::spawn().await;
    let (booker, _) = app.create_user(Role::Receptionist);
    let mut conn = app.pool.get().expect("db");
    // 10 departments, 50 practitioners, 1000 patients, 100 000 appointments over a year. The
    // practitioner of appointment n is n % 50 and its slot (n / 50) * 4h: one practitioner's
    // appointments never overlap; patient n % 1000 repeats every 1000 rows, i.e. 80 hours apart.
    let setup = [
        "INSERT INTO departments (name) SELECT 'Department ' || d FROM generate_series(0, 9) d",
        "INSERT INTO users (email, display_name, role, password_hash)
         SELECT 'dr' || i || '@scale.hms', 'Dr ' || i, 'doctor', 'x' FROM generate_series(0, 49) i",
        "INSERT INTO practitioners (user_id, department_id, specialty)
         SELECT u.id, (SELECT id FROM departments WHERE name = 'Department ' || (substring(u.email from '^dr(\\d+)@')::int % 10)), 'General'
           FROM users u WHERE u.email LIKE '%@scale.hms'",
        "INSERT INTO patients (given_name, family_name, birth_date, sex)
         SELECT 'Scale', 'Patient ' || i, date '1970-01-01' + i, 'other' FROM generate_series(0, 999) i",
    ];
    for sql in setup {
        diesel::sql_query(sql).execute(&mut conn).expect(sql);
    }
    let inserted = diesel::sql_query(format!(
        "WITH pr AS (SELECT row_number() OVER (ORDER BY p.id) - 1 AS k, p.id, p.department_id FROM practitioners p),
              pa AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM patients WHERE given_name = 'Scale')
         INSERT INTO appointments (patient_id, practitioner_id, department_id, starts_at, ends_at, status, reason, booked_by)
         SELECT pa.id, pr.id, pr.department_id,
                timestamptz '2027-01-04 08:00Z' + (n / 50) * interval '4 hours',
                timestamptz '2027-01-04 08:30Z' + (n / 50) * interval '4 hours',
                (ARRAY['booked','completed','cancelled','no_show'])[1 + n % 4], 'Scale test', '{booker}'
           FROM generate_series(0, 99999) n
           JOIN pr ON pr.k = n % 50
           JOIN pa ON pa.k = n % 1000"
    ))
    .execute(&mut conn)
    .expect("insert appointments");
    assert_eq!(inserted, 100_000);
    diesel::sql_query("ANALYZE").execute(&mut conn).unwrap();
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let department = diesel::sql_query("SELECT id FROM departments WHERE name = 'Department 3'")
        .get_result::<Id>(&mut conn)
        .unwrap()
        .id;
    let day = NaiveDate::from_ymd_opt(2027, 6, 15).unwrap();
    let filter = hms_api::appointments::repo::Filter {
        from: Some(day),
        to: Some(day),
        department_id: Some(department),
        ..Default::default()
    };

    let plan =
        hms_api::appointments::repo::explain_list(&mut conn, "Europe/Lisbon", &filter, None, 51)
            .expect("explain")
            .join("\n");
    let rows =
        hms_api::appointments::repo::list(&mut conn, "Europe/Lisbon", &filter, None, 51).unwrap();

    assert!(!plan.contains("Seq Scan on appointments"), "{plan}");
    assert!(plan.contains("appointments_department_day_idx"), "{plan}");
    assert!(!rows.is_empty() && rows.len() < 51, "{} rows", rows.len());
    assert!(rows.iter().all(|r| r.department_id == department));

    // The other list shapes use their indexes too.
    let by_practitioner = hms_api::appointments::repo::Filter {
        from: Some(day),
        to: Some(day),
        practitioner_id: Some(rows[0].practitioner_id),
        ..Default::default()
    };
    let by_patient = hms_api::appointments::repo::Filter {
        patient_id: Some(rows[0].patient_id),
        ..Default::default()
    };
    for filter in [by_practitioner, by_patient] {
        let plan = hms_api::appointments::repo::explain_list(&mut conn, "UTC", &filter, None, 51)
            .unwrap()
            .join("\n");
        assert!(!plan.contains("Seq Scan on appointments"), "{plan}");
    }
}

// ---------------------------------------------------------------------------------------------
// Demo data

#[actix_rt::test]
async fn the_demo_hospital_has_departments_practitioners_and_a_consistent_schedule() {
    let app = TestApp::spawn().await;
    let loaded = hms_api::demo::seed(&mut app.pool.get().unwrap()).unwrap();
    assert_eq!(loaded, ["accounts", "patients", "schedule", "inventory"]);
    assert!(hms_api::demo::seed(&mut app.pool.get().unwrap())
        .unwrap()
        .is_empty());
    let sign_in = |email: &'static str| {
        let app = &app;
        async move {
            let reply = app.login(email, hms_api::demo::DEMO_PASSWORD).await;
            assert_eq!(reply.status, 200, "{email}: {}", text(&reply));
            reply.json()["access_token"].as_str().unwrap().to_owned()
        }
    };
    let reception = sign_in("reception@demo.hms").await;
    let maria = sign_in("patient@demo.hms").await;
    sign_in("dr.lindqvist@demo.hms").await;

    let departments = app
        .get("/api/v1/departments", Some(&reception))
        .await
        .json();
    let practitioners = app
        .get("/api/v1/practitioners", Some(&reception))
        .await
        .json();
    assert_eq!(departments.as_array().unwrap().len(), 4);
    assert_eq!(practitioners.as_array().unwrap().len(), 8);
    let named = |name: &str| {
        practitioners
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["display_name"] == name)
            .unwrap_or_else(|| panic!("{name} is a practitioner"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let osei = named("Dr Samuel Osei");
    named("Nia Okafor");
    let lindqvist = named("Dr Jonas Lindqvist");

    // María sees her own: a completed visit with its history, and a booked follow-up.
    let mine = app.get("/api/v1/appointments", Some(&maria)).await;
    assert_eq!(mine.status, 200, "{}", text(&mine));
    let mine = mine.json()["items"].as_array().unwrap().clone();
    let past = mine
        .iter()
        .find(|a| a["status"] == "completed")
        .expect("a past visit");
    assert!(
        mine.iter()
            .any(|a| a["status"] == "booked"
                && instant(a["starts_at"].as_str().unwrap()) > Utc::now())
    );
    assert_eq!(past["practitioner_id"], osei.as_str());
    let history = app
        .get(
            &format!(
                "/api/v1/appointments/{}/history",
                past["id"].as_str().unwrap()
            ),
            Some(&maria),
        )
        .await
        .json();
    let steps: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["booked", "checked_in", "in_progress", "completed"]);

    // Every appointment's history ends in its status, and its version counts the changes.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM appointments a
              WHERE a.version <> (SELECT count(*) FROM appointment_status_changes c WHERE c.appointment_id = a.id)
                 OR a.status <> (SELECT c.to_status FROM appointment_status_changes c
                                  WHERE c.appointment_id = a.id ORDER BY c.id DESC LIMIT 1)"
        ),
        0
    );
    assert!(
        count(
            &app,
            "SELECT count(*) AS n FROM appointments WHERE status = 'booked' AND starts_at > now()"
        ) > 100
    );
    assert!(
        count(
            &app,
            "SELECT count(*) AS n FROM appointments WHERE status = 'no_show'"
        ) > 10
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM appointments WHERE status = 'booked' AND starts_at < now() - interval '1 minute'"
        ),
        0
    );

    // Booked times sit on the clinicians' slot grids: on a weekday ahead, the free slots and
    // the live appointments together make up the whole day, without overlap.
    let mut d = day(2);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    let free = slot_starts(
        &app,
        &reception,
        &format!("practitioner_id={osei}&from={d}&to={d}"),
    )
    .await;
    let booked: Vec<String> = app
        .get(
            &format!("/api/v1/appointments?practitioner_id={osei}&date={d}&limit=200"),
            Some(&reception),
        )
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] != "cancelled")
        .map(|a| {
            instant(a["starts_at"].as_str().unwrap())
                .format("%Y-%m-%dT%H:%MZ")
                .to_string()
        })
        .collect();
    assert!(!booked.is_empty());
    assert!(
        booked.iter().all(|b| !free.contains(b)),
        "{booked:?} / {free:?}"
    );
    assert_eq!(
        free.len() + booked.len(),
        14 + 12,
        "15-minute slots 09:00–12:30 and 14:00–17:00"
    );

    // Dr Lindqvist is on leave all next week: nothing free, nothing booked.
    let availability = app
        .get(
            &format!("/api/v1/practitioners/{lindqvist}/availability"),
            Some(&reception),
        )
        .await
        .json();
    assert_eq!(availability["exceptions"][0]["reason"], "Annual leave");
    let today = Utc::now().date_naive();
    let monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let friday = monday + Duration::days(4);
    let query = format!("practitioner_id={lindqvist}&from={monday}&to={friday}");
    assert!(slot_starts(&app, &reception, &query).await.is_empty());
    let during = app
        .get(&format!("/api/v1/appointments?{query}"), Some(&reception))
        .await
        .json();
    assert_eq!(during["items"], json!([]));
}
