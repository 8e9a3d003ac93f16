//! The medical record: entries, corrections, validation, access and audit.

use hms_api_types::{Permission, Role};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::access::Endpoint;
use crate::helpers::{Reply, TestApp};

/// The record's protected operations, for the role walk in `access.rs`.
pub fn protected() -> Vec<Endpoint> {
    use Permission::*;
    let read = |path: &'static str, permission: Permission| Endpoint {
        method: "GET",
        path,
        body: None,
        permission,
        patient_scoped: true,
    };
    let write = |method: &'static str, path: &'static str| Endpoint {
        method,
        path,
        body: Some(json!({})),
        permission: WriteClinical,
        patient_scoped: true,
    };
    vec![
        read("/api/v1/patients/{patient_id}/summary", ReadClinical),
        read("/api/v1/patients/{patient_id}/allergies", ReadMedications),
        read("/api/v1/patients/{patient_id}/allergies/{allergy_id}", ReadMedications),
        write("POST", "/api/v1/patients/{patient_id}/allergies"),
        write("PATCH", "/api/v1/patients/{patient_id}/allergies/{allergy_id}"),
        write("POST", "/api/v1/patients/{patient_id}/allergies/{allergy_id}/entered-in-error"),
        read("/api/v1/patients/{patient_id}/conditions", ReadClinical),
        read("/api/v1/patients/{patient_id}/conditions/{condition_id}", ReadClinical),
        write("POST", "/api/v1/patients/{patient_id}/conditions"),
        write("PATCH", "/api/v1/patients/{patient_id}/conditions/{condition_id}"),
        write("POST", "/api/v1/patients/{patient_id}/conditions/{condition_id}/entered-in-error"),
        read("/api/v1/patients/{patient_id}/medications", ReadMedications),
        read("/api/v1/patients/{patient_id}/medications/{medication_id}", ReadMedications),
        write("POST", "/api/v1/patients/{patient_id}/medications"),
        write("PATCH", "/api/v1/patients/{patient_id}/medications/{medication_id}"),
        write("POST", "/api/v1/patients/{patient_id}/medications/{medication_id}/entered-in-error"),
        read("/api/v1/patients/{patient_id}/vitals", ReadClinical),
        read("/api/v1/patients/{patient_id}/vitals/{vitals_id}", ReadClinical),
        write("POST", "/api/v1/patients/{patient_id}/vitals"),
        write("POST", "/api/v1/patients/{patient_id}/vitals/{vitals_id}/entered-in-error"),
        read("/api/v1/patients/{patient_id}/encounters", ReadClinical),
        read("/api/v1/patients/{patient_id}/encounters/{encounter_id}", ReadClinical),
        write("POST", "/api/v1/patients/{patient_id}/encounters"),
        write("PATCH", "/api/v1/patients/{patient_id}/encounters/{encounter_id}"),
        write("POST", "/api/v1/patients/{patient_id}/encounters/{encounter_id}/entered-in-error"),
        write("POST", "/api/v1/patients/{patient_id}/encounters/{encounter_id}/notes"),
        read(
            "/api/v1/patients/{patient_id}/encounters/{encounter_id}/notes/{note_id}",
            ReadClinical,
        ),
        write(
            "POST",
            "/api/v1/patients/{patient_id}/encounters/{encounter_id}/notes/{note_id}/entered-in-error",
        ),
        read("/api/v1/patients/{patient_id}/lab-results", ReadClinical),
        read("/api/v1/patients/{patient_id}/lab-results/{result_id}", ReadClinical),
        write("POST", "/api/v1/patients/{patient_id}/lab-results"),
        write("POST", "/api/v1/patients/{patient_id}/lab-results/{result_id}/entered-in-error"),
    ]
}

fn record(patient: Uuid, rest: &str) -> String {
    format!("/api/v1/patients/{patient}/{rest}")
}

/// Asserts a 201 and returns the body.
#[track_caller]
fn created(reply: &Reply) -> Value {
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

/// Asserts a 200 and returns the body.
#[track_caller]
fn ok(reply: &Reply) -> Value {
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

fn field_names(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn penicillin() -> Value {
    json!({"substance": "Penicillin", "reaction": "Hives", "severity": "moderate"})
}

fn metformin() -> Value {
    json!({
        "drug": "Metformin", "dose": "500 mg", "route": "oral", "frequency": "twice daily",
        "start_date": "2026-01-05"
    })
}

/// One recorded entry of each kind: its `Location`, the 201 body and the `ETag` (if any).
struct Entry {
    location: String,
    body: Value,
    etag: Option<String>,
}

impl Entry {
    #[track_caller]
    fn of(reply: &Reply) -> Entry {
        let body = created(reply);
        Entry {
            location: reply.header("location").expect("Location").to_owned(),
            body,
            etag: reply.header("etag").map(str::to_owned),
        }
    }

    fn id(&self) -> &str {
        self.body["id"].as_str().unwrap()
    }

    /// The location with `patient`'s id in place of the owner's.
    fn under(&self, owner: Uuid, patient: Uuid) -> String {
        self.location
            .replace(&owner.to_string(), &patient.to_string())
    }
}

/// Records one entry of each kind for `patient` as `token` (a doctor): allergy, condition,
/// medication, vital signs, encounter, a note on it, lab result, in that order.
async fn one_of_each(app: &TestApp, patient: Uuid, token: &str) -> Vec<Entry> {
    let collected = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let mut entries = Vec::new();
    for (list, body) in [
        ("allergies", penicillin()),
        (
            "conditions",
            json!({"icd10_code": "I10", "description": "Essential hypertension"}),
        ),
        ("medications", metformin()),
        ("vitals", json!({"heart_rate_bpm": 64})),
        (
            "encounters",
            json!({"encounter_type": "outpatient", "reason": "Review"}),
        ),
    ] {
        let reply = app.post(&record(patient, list), Some(token), &body).await;
        entries.push(Entry::of(&reply));
    }
    let note = app
        .post(
            &format!("{}/notes", entries[4].location),
            Some(token),
            &json!({"note_type": "progress", "body": "Stable.\nNo change."}),
        )
        .await;
    entries.push(Entry::of(&note));
    let lab = app
        .post(
            &record(patient, "lab-results"),
            Some(token),
            &json!({"test_name": "Potassium", "value_numeric": 4.1, "unit": "mmol/L", "collected_at": collected}),
        )
        .await;
    entries.push(Entry::of(&lab));
    entries
}

/// A doctor's id and token.
fn doctor(app: &TestApp) -> (Uuid, String) {
    let (id, _) = app.create_user(Role::Doctor);
    (id, app.keys.issue(id, Role::Doctor, None).unwrap())
}

/// A nurse's id and token.
fn nurse(app: &TestApp) -> (Uuid, String) {
    let (id, _) = app.create_user(Role::Nurse);
    (id, app.keys.issue(id, Role::Nurse, None).unwrap())
}

#[actix_rt::test]
async fn a_nurse_records_vitals_and_the_summary_shows_the_latest_with_bmi() {
    let app = TestApp::spawn().await;
    let (nurse_id, nurse) = nurse(&app);
    let patient = app.create_patient("Vera", "Vitals");
    let earlier = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();

    let reply = app
        .post(
            &record(patient, "vitals"),
            Some(&nurse),
            &json!({
                "systolic_mmhg": 120, "diastolic_mmhg": 80, "heart_rate_bpm": 72,
                "temperature_c": 36.8, "spo2_percent": 98, "respiratory_rate": 14,
                "weight_kg": 70.0, "height_cm": 175.0, "note": ""
            }),
        )
        .await;
    let older = app
        .post(
            &record(patient, "vitals"),
            Some(&nurse),
            &json!({"measured_at": earlier, "heart_rate_bpm": 90}),
        )
        .await;

    let vitals = created(&reply);
    created(&older);
    assert_eq!(
        reply.header("location").unwrap(),
        format!(
            "/api/v1/patients/{patient}/vitals/{}",
            vitals["id"].as_str().unwrap()
        )
    );
    assert_eq!(vitals["bmi"], 22.9);
    assert!(vitals["note"].is_null(), "an empty note is no note");
    assert_eq!(vitals["provenance"]["recorded_by"], nurse_id.to_string());
    assert_eq!(vitals["provenance"]["recorded_by_name"], "Test Nurse");
    let summary = ok(&app.get(&record(patient, "summary"), Some(&nurse)).await);
    assert_eq!(summary["patient"]["id"], patient.to_string());
    assert_eq!(
        summary["latest_vitals"]["id"], vitals["id"],
        "the latest measured, not the latest recorded"
    );
    assert_eq!(summary["latest_vitals"]["bmi"], 22.9);
    assert_eq!(summary["latest_vitals"]["systolic_mmhg"], 120);
}

#[actix_rt::test]
async fn impossible_vitals_get_one_422_naming_each_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let (_, nurse) = nurse(&app);
    let patient = app.create_patient("Ina", "Plausible");

    let reply = app
        .post(
            &record(patient, "vitals"),
            Some(&nurse),
            &json!({"spo2_percent": 130, "systolic_mmhg": 110, "diastolic_mmhg": 130, "temperature_c": 60}),
        )
        .await;
    let empty = app
        .post(&record(patient, "vitals"), Some(&nurse), &json!({}))
        .await;
    let future = app
        .post(
            &record(patient, "vitals"),
            Some(&nurse),
            &json!({"heart_rate_bpm": 70, "measured_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;

    let fields = field_names(&reply.assert_problem(422, "validation"));
    for f in ["spo2_percent", "diastolic_mmhg", "temperature_c"] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
    assert_eq!(fields.len(), 3, "{fields:?}");
    assert_eq!(
        field_names(&empty.assert_problem(422, "validation")),
        ["body"]
    );
    assert_eq!(
        field_names(&future.assert_problem(422, "validation")),
        ["measured_at"]
    );
    let list = ok(&app.get(&record(patient, "vitals"), Some(&nurse)).await);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );
}

#[actix_rt::test]
async fn a_doctor_adds_a_diagnosis_and_a_medication_and_both_appear_in_the_summary() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = doctor(&app);
    let patient = app.create_patient("Dina", "Diagnosis");

    let condition = app
        .post(
            &record(patient, "conditions"),
            Some(&doctor),
            &json!({"icd10_code": "e11.9", "description": "Type 2 diabetes mellitus without complications", "onset_date": "2025-06-01"}),
        )
        .await;
    let medication = app
        .post(&record(patient, "medications"), Some(&doctor), &metformin())
        .await;

    let condition = created(&condition);
    assert_eq!(condition["icd10_code"], "E11.9");
    assert_eq!(condition["status"], "active");
    let medication_reply = medication;
    let medication = created(&medication_reply);
    assert_eq!(medication_reply.header("etag"), Some("\"1\""));
    assert_eq!(
        medication["prescriber_id"],
        doctor_id.to_string(),
        "a doctor prescribes as themself"
    );
    assert_eq!(medication["prescriber_name"], "Test Doctor");
    assert_eq!(medication["status"], "active");
    let summary = ok(&app.get(&record(patient, "summary"), Some(&doctor)).await);
    assert_eq!(
        ids(&summary["active_conditions"]),
        [condition["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&summary["current_medications"]),
        [medication["id"].as_str().unwrap()]
    );
    assert!(summary["latest_vitals"].is_null());
}

#[actix_rt::test]
async fn a_nurse_must_name_an_active_doctor_as_the_prescriber() {
    let app = TestApp::spawn().await;
    let (_, nurse) = nurse(&app);
    let (doctor_id, _) = app.create_user(Role::Doctor);
    let (pharmacist_id, _) = app.create_user(Role::Pharmacist);
    let patient = app.create_patient("Petra", "Prescribed");
    let with = |prescriber: Option<Uuid>| {
        let mut body = metformin();
        if let Some(p) = prescriber {
            body["prescriber_id"] = json!(p);
        }
        body
    };

    let missing = app
        .post(&record(patient, "medications"), Some(&nurse), &with(None))
        .await;
    let not_a_doctor = app
        .post(
            &record(patient, "medications"),
            Some(&nurse),
            &with(Some(pharmacist_id)),
        )
        .await;
    let unknown = app
        .post(
            &record(patient, "medications"),
            Some(&nurse),
            &with(Some(Uuid::new_v4())),
        )
        .await;
    let named = app
        .post(
            &record(patient, "medications"),
            Some(&nurse),
            &with(Some(doctor_id)),
        )
        .await;

    for reply in [missing, not_a_doctor, unknown] {
        assert_eq!(
            field_names(&reply.assert_problem(422, "validation")),
            ["prescriber_id"]
        );
    }
    let named = created(&named);
    assert_eq!(named["prescriber_id"], doctor_id.to_string());
    assert_eq!(named["prescriber_name"], "Test Doctor");
    assert_eq!(named["provenance"]["recorded_by_name"], "Test Nurse");
}

#[actix_rt::test]
async fn stopping_a_medication_ends_it_today_and_removes_it_from_current_medications() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let patient = app.create_patient("Stella", "Stopped");
    let medication = created(
        &app.post(&record(patient, "medications"), Some(&doctor), &metformin())
            .await,
    );
    let path = record(
        patient,
        &format!("medications/{}", medication["id"].as_str().unwrap()),
    );

    let stopped = app
        .patch(&path, &doctor, Some("\"1\""), &json!({"status": "stopped"}))
        .await;
    let too_early = app
        .patch(
            &path,
            &doctor,
            Some("\"2\""),
            &json!({"end_date": "2025-12-31"}),
        )
        .await;

    let stopped_reply = stopped;
    let stopped = ok(&stopped_reply);
    assert_eq!(stopped["status"], "stopped");
    assert_eq!(
        stopped["end_date"],
        chrono::Utc::now().date_naive().to_string()
    );
    assert_eq!(stopped["version"], 2);
    assert_eq!(stopped_reply.header("etag"), Some("\"2\""));
    assert_eq!(
        field_names(&too_early.assert_problem(422, "validation")),
        ["end_date"]
    );
    let summary = ok(&app.get(&record(patient, "summary"), Some(&doctor)).await);
    assert_eq!(summary["current_medications"].as_array().unwrap().len(), 0);
    let list = ok(&app
        .get(&record(patient, "medications"), Some(&doctor))
        .await);
    assert_eq!(
        list["items"][0]["status"], "stopped",
        "a stopped medication stays in the list"
    );
}

#[actix_rt::test]
async fn an_allergy_entered_in_error_leaves_the_list_and_summary_but_stays_on_record_with_who_and_why(
) {
    let app = TestApp::spawn().await;
    let (nurse_id, nurse) = nurse(&app);
    let patient = app.create_patient("Erin", "Error");
    let kept = created(
        &app.post(
            &record(patient, "allergies"),
            Some(&nurse),
            &json!({"substance": "Latex", "severity": "mild"}),
        )
        .await,
    );
    let wrong = created(
        &app.post(&record(patient, "allergies"), Some(&nurse), &penicillin())
            .await,
    );
    let wrong_id = wrong["id"].as_str().unwrap();
    let mark = record(patient, &format!("allergies/{wrong_id}/entered-in-error"));

    let marked = app
        .post(
            &mark,
            Some(&nurse),
            &json!({"reason": "recorded on the wrong patient"}),
        )
        .await;
    let again = app
        .post(&mark, Some(&nurse), &json!({"reason": "once more"}))
        .await;
    let change = app
        .patch(
            &record(patient, &format!("allergies/{wrong_id}")),
            &nurse,
            Some("\"2\""),
            &json!({"severity": "mild"}),
        )
        .await;
    let no_reason = app
        .post(
            &record(
                patient,
                &format!(
                    "allergies/{}/entered-in-error",
                    kept["id"].as_str().unwrap()
                ),
            ),
            Some(&nurse),
            &json!({"reason": " "}),
        )
        .await;

    let marked = ok(&marked);
    assert_eq!(marked["entered_in_error"]["by"], nurse_id.to_string());
    assert_eq!(
        marked["entered_in_error"]["reason"],
        "recorded on the wrong patient"
    );
    assert!(marked["entered_in_error"]["at"].is_string());
    again.assert_problem(409, "conflict");
    change.assert_problem(409, "conflict");
    assert_eq!(
        field_names(&no_reason.assert_problem(422, "validation")),
        ["reason"]
    );
    let list = ok(&app.get(&record(patient, "allergies"), Some(&nurse)).await);
    assert_eq!(ids(&list["items"]), [kept["id"].as_str().unwrap()]);
    let summary = ok(&app.get(&record(patient, "summary"), Some(&nurse)).await);
    assert_eq!(
        ids(&summary["active_allergies"]),
        [kept["id"].as_str().unwrap()]
    );
    let all = ok(&app
        .get(
            &record(patient, "allergies?include_entered_in_error=true"),
            Some(&nurse),
        )
        .await);
    assert_eq!(ids(&all["items"]), [wrong_id, kept["id"].as_str().unwrap()]);
    assert_eq!(
        all["items"][0]["entered_in_error"]["reason"],
        "recorded on the wrong patient"
    );
    assert!(all["items"][1]["entered_in_error"].is_null());
}

#[actix_rt::test]
async fn a_stale_patch_is_412_a_patch_without_a_version_is_428_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (_, nurse) = nurse(&app);
    let patient = app.create_patient("Vic", "Version");
    let allergy = created(
        &app.post(&record(patient, "allergies"), Some(&nurse), &penicillin())
            .await,
    );
    let path = record(
        patient,
        &format!("allergies/{}", allergy["id"].as_str().unwrap()),
    );

    let first = app
        .patch(
            &path,
            &nurse,
            Some("\"1\""),
            &json!({"severity": "severe", "reaction": ""}),
        )
        .await;
    let stale = app
        .patch(&path, &nurse, Some("\"1\""), &json!({"severity": "mild"}))
        .await;
    let unversioned = app
        .patch(&path, &nurse, None, &json!({"severity": "mild"}))
        .await;
    let by_body = app
        .patch(
            &path,
            &nurse,
            None,
            &json!({"status": "resolved", "version": 2}),
        )
        .await;

    let first = ok(&first);
    assert_eq!(first["severity"], "severe");
    assert!(
        first["reaction"].is_null(),
        "an empty string clears the reaction"
    );
    assert_eq!(first["version"], 2);
    stale.assert_problem(412, "precondition-failed");
    unversioned.assert_problem(428, "precondition-required");
    let by_body = ok(&by_body);
    assert_eq!(
        by_body["severity"], "severe",
        "the stale change was not applied"
    );
    assert_eq!(by_body["status"], "resolved");
    assert_eq!(by_body["version"], 3);
}

#[actix_rt::test]
async fn an_entry_of_another_patient_is_404_through_this_patients_path() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let owner = app.create_patient("Olga", "Owner");
    let other = app.create_patient("Otto", "Other");
    let allergy = created(
        &app.post(&record(owner, "allergies"), Some(&doctor), &penicillin())
            .await,
    );
    let encounter = created(
        &app.post(
            &record(owner, "encounters"),
            Some(&doctor),
            &json!({"encounter_type": "outpatient", "reason": "Check-up"}),
        )
        .await,
    );
    let allergy_id = allergy["id"].as_str().unwrap();
    let encounter_id = encounter["id"].as_str().unwrap();
    let note = created(
        &app.post(
            &record(owner, &format!("encounters/{encounter_id}/notes")),
            Some(&doctor),
            &json!({"note_type": "progress", "body": "Well."}),
        )
        .await,
    );
    let reason = json!({"reason": "test"});

    let replies = [
        app.patch(
            &record(other, &format!("allergies/{allergy_id}")),
            &doctor,
            Some("\"1\""),
            &json!({"severity": "mild"}),
        )
        .await,
        app.post(
            &record(other, &format!("allergies/{allergy_id}/entered-in-error")),
            Some(&doctor),
            &reason,
        )
        .await,
        app.post(
            &record(other, &format!("encounters/{encounter_id}/notes")),
            Some(&doctor),
            &json!({"note_type": "progress", "body": "Sneaky."}),
        )
        .await,
        app.post(
            &record(
                other,
                &format!(
                    "encounters/{encounter_id}/notes/{}/entered-in-error",
                    note["id"].as_str().unwrap()
                ),
            ),
            Some(&doctor),
            &reason,
        )
        .await,
        app.post(
            &record(
                owner,
                &format!("allergies/{}/entered-in-error", Uuid::new_v4()),
            ),
            Some(&doctor),
            &reason,
        )
        .await,
        app.get(&record(Uuid::new_v4(), "allergies"), Some(&doctor))
            .await,
    ];

    for reply in replies {
        reply.assert_problem(404, "not-found");
    }
    let list = ok(&app.get(&record(owner, "allergies"), Some(&doctor)).await);
    assert_eq!(list["items"][0]["severity"], "moderate");
    assert!(list["items"][0]["entered_in_error"].is_null());
}

#[actix_rt::test]
async fn a_patient_reads_their_own_allergies_and_summary_but_not_another_patients_and_writes_nothing(
) {
    let app = TestApp::spawn().await;
    let (_, nurse) = nurse(&app);
    let own = app.create_patient("Paula", "Patient");
    let other = app.create_patient("Quentin", "Else");
    let allergy = created(
        &app.post(&record(own, "allergies"), Some(&nurse), &penicillin())
            .await,
    );
    let token = app.patient_token(own);

    let mine = app.get(&record(own, "allergies"), Some(&token)).await;
    let summary = app.get(&record(own, "summary"), Some(&token)).await;
    let theirs = app.get(&record(other, "allergies"), Some(&token)).await;
    let their_summary = app.get(&record(other, "summary"), Some(&token)).await;
    let add = app
        .post(&record(own, "allergies"), Some(&token), &penicillin())
        .await;
    let mark = app
        .post(
            &record(
                own,
                &format!(
                    "allergies/{}/entered-in-error",
                    allergy["id"].as_str().unwrap()
                ),
            ),
            Some(&token),
            &json!({"reason": "I disagree"}),
        )
        .await;

    assert_eq!(ids(&ok(&mine)["items"]), [allergy["id"].as_str().unwrap()]);
    assert_eq!(
        ids(&ok(&summary)["active_allergies"]),
        [allergy["id"].as_str().unwrap()]
    );
    theirs.assert_problem(404, "not-found");
    their_summary.assert_problem(404, "not-found");
    add.assert_problem(404, "not-found");
    mark.assert_problem(404, "not-found");
    let list = ok(&app.get(&record(own, "allergies"), Some(&nurse)).await);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing was written"
    );
}

#[actix_rt::test]
async fn a_pharmacist_reads_medications_and_allergies_but_not_conditions_or_the_summary() {
    let app = TestApp::spawn().await;
    let pharmacist = app.token(Role::Pharmacist);
    let patient = app.create_patient("Phil", "Pharmacy");

    let medications = app
        .get(&record(patient, "medications"), Some(&pharmacist))
        .await;
    let allergies = app
        .get(&record(patient, "allergies"), Some(&pharmacist))
        .await;
    let conditions = app
        .get(&record(patient, "conditions"), Some(&pharmacist))
        .await;
    let summary = app
        .get(&record(patient, "summary"), Some(&pharmacist))
        .await;
    let add = app
        .post(
            &record(patient, "allergies"),
            Some(&pharmacist),
            &penicillin(),
        )
        .await;

    ok(&medications);
    ok(&allergies);
    conditions.assert_problem(403, "forbidden");
    summary.assert_problem(403, "forbidden");
    add.assert_problem(403, "forbidden");
}

#[actix_rt::test]
async fn lists_page_by_cursor_newest_first_without_repeats_even_when_times_tie() {
    let app = TestApp::spawn().await;
    let (_, nurse) = nurse(&app);
    let patient = app.create_patient("Paige", "Pages");
    let mut allergies = Vec::new();
    for i in 0..7 {
        let body = json!({"substance": format!("Substance {i}"), "severity": "mild"});
        allergies.push(
            created(
                &app.post(&record(patient, "allergies"), Some(&nurse), &body)
                    .await,
            )["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let same_time = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    for _ in 0..5 {
        let body = json!({"measured_at": same_time, "heart_rate_bpm": 60});
        created(
            &app.post(&record(patient, "vitals"), Some(&nurse), &body)
                .await,
        );
    }

    let walk = |list: &'static str| {
        let app = &app;
        let nurse = &nurse;
        async move {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut path = record(patient, &format!("{list}?limit=3"));
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={c}"));
                }
                let page = ok(&app.get(&path, Some(nurse)).await);
                seen.extend(ids(&page["items"]));
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break seen,
                }
            }
        }
    };
    let allergy_pages = walk("allergies").await;
    let vitals_pages = walk("vitals").await;
    let forged = app
        .get(
            &record(patient, "allergies?cursor=bm90LWEtY3Vyc29y"),
            Some(&nurse),
        )
        .await;
    let too_big = app
        .get(&record(patient, "allergies?limit=201"), Some(&nurse))
        .await;

    allergies.reverse();
    assert_eq!(allergy_pages, allergies, "newest first, each once");
    let mut unique = vitals_pages.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (vitals_pages.len(), unique.len()),
        (5, 5),
        "{vitals_pages:?}"
    );
    assert_eq!(
        field_names(&forged.assert_problem(422, "validation")),
        ["cursor"]
    );
    assert_eq!(
        field_names(&too_big.assert_problem(422, "validation")),
        ["limit"]
    );
}

#[actix_rt::test]
async fn encounters_embed_their_notes_and_a_note_can_be_marked_in_error() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = doctor(&app);
    let (_, nurse) = nurse(&app);
    let patient = app.create_patient("Enzo", "Encounter");
    let encounter_reply = app
        .post(&record(patient, "encounters"), Some(&nurse), &json!({"encounter_type": "inpatient", "reason": "Pneumonia", "clinician_id": doctor_id}))
        .await;
    let encounter = created(&encounter_reply);
    let encounter_id = encounter["id"].as_str().unwrap();
    let notes = record(patient, &format!("encounters/{encounter_id}/notes"));

    let first = created(
        &app.post(&notes, Some(&doctor), &json!({"note_type": "admission", "body": "Admitted with fever.\nStarted antibiotics.\n\tPlan: review in 24 h."}))
            .await,
    );
    let second = created(
        &app.post(
            &notes,
            Some(&nurse),
            &json!({"note_type": "nursing", "body": "Comfortable overnight."}),
        )
        .await,
    );
    let bad = app
        .post(
            &notes,
            Some(&nurse),
            &json!({"note_type": "nursing", "body": "bell\u{7}"}),
        )
        .await;
    let marked = app
        .post(
            &format!("{notes}/{}/entered-in-error", first["id"].as_str().unwrap()),
            Some(&doctor),
            &json!({"reason": "written on the wrong encounter"}),
        )
        .await;
    let ended = app
        .patch(
            &record(patient, &format!("encounters/{encounter_id}")),
            &doctor,
            encounter_reply.header("etag"),
            &json!({"ended_at": chrono::Utc::now().to_rfc3339()}),
        )
        .await;

    assert_eq!(encounter["clinician_name"], "Test Doctor");
    assert_eq!(encounter["provenance"]["recorded_by_name"], "Test Nurse");
    assert_eq!(first["author_name"], "Test Doctor");
    assert_eq!(
        first["body"],
        "Admitted with fever.\nStarted antibiotics.\n\tPlan: review in 24 h."
    );
    assert_eq!(
        field_names(&bad.assert_problem(422, "validation")),
        ["body"]
    );
    assert_eq!(
        ok(&marked)["entered_in_error"]["reason"],
        "written on the wrong encounter"
    );
    let ended = ok(&ended);
    assert!(ended["ended_at"].is_string());
    assert_eq!(ended["version"], 2);
    let list = ok(&app.get(&record(patient, "encounters"), Some(&doctor)).await);
    assert_eq!(ids(&list["items"]), [encounter_id]);
    assert_eq!(
        ids(&list["items"][0]["notes"]),
        [second["id"].as_str().unwrap()]
    );
    let all = ok(&app
        .get(
            &record(patient, "encounters?include_entered_in_error=true"),
            Some(&doctor),
        )
        .await);
    assert_eq!(
        ids(&all["items"][0]["notes"]),
        [
            first["id"].as_str().unwrap(),
            second["id"].as_str().unwrap()
        ],
        "oldest first"
    );
    assert!(all["items"][0]["notes"][0]["entered_in_error"].is_object());
}

#[actix_rt::test]
async fn a_note_cannot_be_added_to_an_encounter_entered_in_error() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let patient = app.create_patient("Nora", "Notes");
    let encounter = created(
        &app.post(
            &record(patient, "encounters"),
            Some(&doctor),
            &json!({"encounter_type": "telehealth", "reason": "Call"}),
        )
        .await,
    );
    let encounter_id = encounter["id"].as_str().unwrap();

    let marked = app
        .post(
            &record(
                patient,
                &format!("encounters/{encounter_id}/entered-in-error"),
            ),
            Some(&doctor),
            &json!({"reason": "duplicate"}),
        )
        .await;
    let note = app
        .post(
            &record(patient, &format!("encounters/{encounter_id}/notes")),
            Some(&doctor),
            &json!({"note_type": "progress", "body": "Late."}),
        )
        .await;

    assert_eq!(ok(&marked)["version"], 2);
    note.assert_problem(409, "conflict");
    let list = ok(&app.get(&record(patient, "encounters"), Some(&doctor)).await);
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[actix_rt::test]
async fn the_lab_flag_is_computed_from_the_reference_range_unless_given() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let patient = app.create_patient("Lars", "Lab");
    let collected = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
    let hba1c = |value: Value, flag: Option<&str>| {
        let mut body = json!({
            "test_name": "Hemoglobin A1c", "loinc_code": "4548-4", "value_numeric": value,
            "unit": "%", "reference_low": 4.0, "reference_high": 5.6, "collected_at": collected
        });
        if let Some(f) = flag {
            body["flag"] = json!(f);
        }
        body
    };
    let post = |body: Value| {
        let app = &app;
        let doctor = &doctor;
        async move {
            app.post(&record(patient, "lab-results"), Some(doctor), &body)
                .await
        }
    };

    let high = created(&post(hba1c(json!(7.1), None)).await);
    let low = created(&post(hba1c(json!(3.0), None)).await);
    let normal = created(&post(hba1c(json!(5.0), None)).await);
    let critical = created(&post(hba1c(json!(14.0), Some("critical_high"))).await);
    let text = created(&post(json!({"test_name": "Blood culture", "value_text": "Growth of S. aureus", "flag": "abnormal", "collected_at": collected})).await);
    let text_without_flag = post(
        json!({"test_name": "Blood culture", "value_text": "No growth", "collected_at": collected}),
    )
    .await;
    let both = post(json!({"test_name": "Glucose", "value_numeric": 5.0, "value_text": "five", "collected_at": collected})).await;
    let neither = post(json!({"test_name": "Glucose", "collected_at": collected})).await;
    let upside_down = post(json!({"test_name": "Glucose", "value_numeric": 5.0, "reference_low": 7.0, "reference_high": 3.0, "collected_at": collected})).await;

    assert_eq!(high["flag"], "high");
    assert_eq!(low["flag"], "low");
    assert_eq!(normal["flag"], "normal");
    assert_eq!(critical["flag"], "critical_high");
    assert_eq!(text["flag"], "abnormal");
    assert_eq!(text["value_text"], "Growth of S. aureus");
    assert_eq!(
        field_names(&text_without_flag.assert_problem(422, "validation")),
        ["flag"]
    );
    assert_eq!(
        field_names(&both.assert_problem(422, "validation")),
        ["value_text"]
    );
    assert_eq!(
        field_names(&neither.assert_problem(422, "validation")),
        ["value_numeric"]
    );
    assert_eq!(
        field_names(&upside_down.assert_problem(422, "validation")),
        ["reference_high"]
    );
    let list = ok(&app
        .get(&record(patient, "lab-results"), Some(&doctor))
        .await);
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
}

#[actix_rt::test]
async fn conditions_need_an_icd10_code_and_resolving_sets_a_resolved_date_not_before_onset() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let patient = app.create_patient("Cora", "Condition");
    let tomorrow_and_more = (chrono::Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .to_string();

    let bad = app
        .post(
            &record(patient, "conditions"),
            Some(&doctor),
            &json!({"icd10_code": "diabetes", "description": "", "onset_date": tomorrow_and_more}),
        )
        .await;
    let condition = created(
        &app.post(
            &record(patient, "conditions"),
            Some(&doctor),
            &json!({"icd10_code": "J45.909", "description": "Asthma", "onset_date": "2024-03-01"}),
        )
        .await,
    );
    let path = record(
        patient,
        &format!("conditions/{}", condition["id"].as_str().unwrap()),
    );
    let before_onset = app
        .patch(
            &path,
            &doctor,
            Some("\"1\""),
            &json!({"status": "resolved", "resolved_date": "2024-02-01"}),
        )
        .await;
    let resolved = app
        .patch(
            &path,
            &doctor,
            Some("\"1\""),
            &json!({"status": "resolved"}),
        )
        .await;

    let fields = field_names(&bad.assert_problem(422, "validation"));
    assert_eq!(fields, ["icd10_code", "description", "onset_date"]);
    assert_eq!(
        field_names(&before_onset.assert_problem(422, "validation")),
        ["resolved_date"]
    );
    let resolved = ok(&resolved);
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(
        resolved["resolved_date"],
        chrono::Utc::now().date_naive().to_string()
    );
    let summary = ok(&app.get(&record(patient, "summary"), Some(&doctor)).await);
    assert_eq!(summary["active_conditions"].as_array().unwrap().len(), 0);
}

#[actix_rt::test]
async fn every_read_and_write_of_the_record_is_in_the_access_log() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let admin = app.token(Role::Admin);
    let patient = app.create_patient("Audrey", "Audit");
    created(
        &app.post(&record(patient, "allergies"), Some(&doctor), &penicillin())
            .await,
    );
    let lists = [
        "summary",
        "allergies",
        "conditions",
        "medications",
        "vitals",
        "encounters",
        "lab-results",
    ];

    for list in lists {
        ok(&app.get(&record(patient, list), Some(&doctor)).await);
    }
    let log = ok(&app.get(&record(patient, "access-log"), Some(&admin)).await);

    let entries: Vec<(String, String)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_role"] == "doctor")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["entity_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let read = |entity: &str| ("read".to_owned(), entity.to_owned());
    let expected = vec![
        read("lab_results"),
        read("encounters"),
        read("vitals"),
        read("medications"),
        read("conditions"),
        read("allergies"),
        read("summary"),
        ("create".to_owned(), "allergies".to_owned()),
    ];
    assert_eq!(entries, expected, "newest first, one row per request");
}

#[actix_rt::test]
async fn the_demo_patient_signs_in_and_reads_a_full_record_with_distinct_allergies() {
    let app = TestApp::spawn().await;
    hms_api::demo::seed(&mut app.pool.get().unwrap()).unwrap();
    let signed_in = app
        .login("patient@demo.hms", hms_api::demo::DEMO_PASSWORD)
        .await;
    let session = ok(&signed_in);
    let token = session["access_token"].as_str().unwrap();
    let patient: Uuid = session["user"]["patient_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let summary = ok(&app.get(&record(patient, "summary"), Some(token)).await);
    let lists: Vec<Value> = {
        let mut lists = Vec::new();
        for list in [
            "allergies",
            "conditions",
            "medications",
            "vitals",
            "encounters",
            "lab-results",
        ] {
            lists.push(ok(&app.get(&record(patient, list), Some(token)).await));
        }
        lists
    };

    assert_eq!(summary["patient"]["given_name"], "María");
    let mut substances: Vec<&str> = summary["active_allergies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["substance"].as_str().unwrap())
        .collect();
    substances.sort_unstable();
    substances.dedup();
    assert_eq!(substances.len(), 2, "{summary}");
    assert_eq!(summary["active_conditions"].as_array().unwrap().len(), 3);
    assert_eq!(summary["current_medications"].as_array().unwrap().len(), 3);
    assert!(summary["latest_vitals"]["bmi"].is_number());
    for list in &lists {
        assert!(!list["items"].as_array().unwrap().is_empty(), "{list}");
    }
    assert!(!lists[4]["items"][0]["notes"].as_array().unwrap().is_empty());
}

#[actix_rt::test]
async fn an_entry_is_readable_at_its_location() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let patient = app.create_patient("Lola", "Location");
    let entries = one_of_each(&app, patient, &doctor).await;

    let mut replies = Vec::new();
    for entry in &entries {
        replies.push(app.get(&entry.location, Some(&doctor)).await);
    }

    for (entry, reply) in entries.iter().zip(&replies) {
        let read = ok(reply);
        assert_eq!(
            reply.header("etag"),
            entry.etag.as_deref(),
            "{}",
            entry.location
        );
        if entry
            .location
            .ends_with(&format!("encounters/{}", entry.id()))
        {
            let note = &entries[5].body;
            assert_eq!(
                read["notes"],
                json!([note]),
                "the encounter embeds its note"
            );
            let mut read = read.clone();
            read["notes"] = json!([]);
            assert_eq!(read, entry.body);
        } else {
            assert_eq!(read, entry.body, "{}", entry.location);
        }
    }
    let versioned: Vec<Option<&str>> = entries.iter().map(|e| e.etag.as_deref()).collect();
    assert_eq!(
        versioned,
        [
            Some("\"1\""),
            Some("\"1\""),
            Some("\"1\""),
            None,
            Some("\"1\""),
            None,
            None
        ],
        "allergies, conditions, medications and encounters have versions"
    );
}

#[actix_rt::test]
async fn an_entry_entered_in_error_is_still_readable_by_id_and_shows_it() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = doctor(&app);
    let patient = app.create_patient("Edda", "Erroneous");
    let entries = one_of_each(&app, patient, &doctor).await;
    let reason = json!({"reason": "wrong patient"});

    for entry in &entries {
        let mark = format!("{}/entered-in-error", entry.location);
        ok(&app.post(&mark, Some(&doctor), &reason).await);
    }
    let mut replies = Vec::new();
    for entry in &entries {
        replies.push(app.get(&entry.location, Some(&doctor)).await);
    }

    for (entry, reply) in entries.iter().zip(&replies) {
        let read = ok(reply);
        assert_eq!(read["id"], entry.body["id"]);
        assert_eq!(
            read["entered_in_error"]["reason"], "wrong patient",
            "{}",
            entry.location
        );
        assert_eq!(read["entered_in_error"]["by"], doctor_id.to_string());
        if entry.etag.is_some() {
            assert_eq!(reply.header("etag"), Some("\"2\""), "{}", entry.location);
        }
    }
    let encounter = ok(&replies[4]);
    assert_eq!(
        encounter["notes"][0]["entered_in_error"]["reason"], "wrong patient",
        "read by id, an encounter shows its notes entered in error"
    );
}

#[actix_rt::test]
async fn an_entry_of_another_patient_is_404_by_id() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let owner = app.create_patient("Olive", "Owner");
    let other = app.create_patient("Oscar", "Other");
    let entries = one_of_each(&app, owner, &doctor).await;
    let theirs = one_of_each(&app, other, &doctor).await;
    let note = entries[5].id();
    let other_encounter = theirs[4].id();

    let mut replies = Vec::new();
    for entry in &entries {
        // The owner's entry through the other patient's path, and through a missing patient's.
        replies.push(app.get(&entry.under(owner, other), Some(&doctor)).await);
        replies.push(
            app.get(&entry.under(owner, Uuid::new_v4()), Some(&doctor))
                .await,
        );
        // An id that is nobody's.
        replies.push(
            app.get(
                &entry
                    .location
                    .replace(entry.id(), &Uuid::new_v4().to_string()),
                Some(&doctor),
            )
            .await,
        );
    }
    // The owner's note under the other patient's encounter, in either patient's path.
    for patient in [owner, other] {
        replies.push(
            app.get(
                &record(
                    patient,
                    &format!("encounters/{other_encounter}/notes/{note}"),
                ),
                Some(&doctor),
            )
            .await,
        );
    }

    assert_eq!(replies.len(), 7 * 3 + 2);
    for reply in replies {
        reply.assert_problem(404, "not-found");
    }
    for entry in &entries {
        ok(&app.get(&entry.location, Some(&doctor)).await);
    }
}

#[actix_rt::test]
async fn a_patient_account_reads_its_own_entries_by_id_but_gets_404_for_another_patients() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let own = app.create_patient("Pia", "Patient");
    let other = app.create_patient("Quinn", "Else");
    let mine = one_of_each(&app, own, &doctor).await;
    let theirs = one_of_each(&app, other, &doctor).await;
    let token = app.patient_token(own);

    for (my, their) in mine.iter().zip(&theirs) {
        let read = app.get(&my.location, Some(&token)).await;
        let through_their_path = app.get(&their.location, Some(&token)).await;
        let through_my_path = app.get(&their.under(other, own), Some(&token)).await;

        assert_eq!(ok(&read)["id"], my.body["id"], "{}", my.location);
        through_their_path.assert_problem(404, "not-found");
        through_my_path.assert_problem(404, "not-found");
    }
}

#[actix_rt::test]
async fn reading_an_entry_by_id_is_in_the_access_log() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let admin = app.token(Role::Admin);
    let patient = app.create_patient("Ada", "Audited");
    let entries = one_of_each(&app, patient, &doctor).await;

    for entry in &entries {
        ok(&app.get(&entry.location, Some(&doctor)).await);
    }
    let missing = app
        .get(
            &record(patient, &format!("allergies/{}", Uuid::new_v4())),
            Some(&doctor),
        )
        .await;
    let log = ok(&app.get(&record(patient, "access-log"), Some(&admin)).await);

    missing.assert_problem(404, "not-found");
    let reads: Vec<(&str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "read")
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["entity_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reads,
        [
            ("read", "lab_results"),
            ("read", "clinical_notes"),
            ("read", "encounters"),
            ("read", "vitals"),
            ("read", "medications"),
            ("read", "conditions"),
            ("read", "allergies"),
        ],
        "newest first, one per read, none for the miss"
    );
}

#[actix_rt::test]
async fn an_encounter_embeds_only_its_newest_100_notes_oldest_first() {
    use diesel::prelude::*;
    use hms_api::db::schema::clinical_notes;

    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = doctor(&app);
    let patient = app.create_patient("Noah", "Notes");
    let encounter = Entry::of(
        &app.post(
            &record(patient, "encounters"),
            Some(&doctor),
            &json!({"encounter_type": "inpatient", "reason": "Long stay", "started_at": (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339()}),
        )
        .await,
    );
    let encounter_id: Uuid = encounter.id().parse().unwrap();
    let start = chrono::Utc::now() - chrono::Duration::days(20);
    let rows: Vec<_> = (0..104)
        .map(|i| {
            (
                clinical_notes::encounter_id.eq(encounter_id),
                clinical_notes::patient_id.eq(patient),
                clinical_notes::note_type.eq("progress"),
                clinical_notes::body.eq(format!("Note {i}")),
                clinical_notes::author_id.eq(doctor_id),
                clinical_notes::written_at.eq(start + chrono::Duration::hours(i)),
            )
        })
        .collect();
    diesel::insert_into(clinical_notes::table)
        .values(&rows)
        .execute(&mut app.pool.get().unwrap())
        .unwrap();
    let newest = created(
        &app.post(
            &format!("{}/notes", encounter.location),
            Some(&doctor),
            &json!({"note_type": "discharge", "body": "Going home."}),
        )
        .await,
    );

    let read = ok(&app.get(&encounter.location, Some(&doctor)).await);
    let list = ok(&app.get(&record(patient, "encounters"), Some(&doctor)).await);

    for notes in [&read["notes"], &list["items"][0]["notes"]] {
        let bodies: Vec<&str> = notes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["body"].as_str().unwrap())
            .collect();
        assert_eq!(bodies.len(), 100);
        assert_eq!(bodies[0], "Note 5", "the five oldest are left out");
        assert_eq!(bodies[98], "Note 103");
        assert_eq!(notes[99]["id"], newest["id"]);
    }
}

#[actix_rt::test]
async fn text_and_codes_are_refused_exactly_where_their_schema_refuses_them() {
    let app = TestApp::spawn().await;
    let (_, doctor) = doctor(&app);
    let patient = app.create_patient("Tess", "Text");
    let encounter = Entry::of(
        &app.post(
            &record(patient, "encounters"),
            Some(&doctor),
            &json!({"encounter_type": "outpatient", "reason": "Check"}),
        )
        .await,
    );
    let condition =
        |code: &str| json!({"icd10_code": code, "description": "Essential hypertension"});
    let post = |list: &'static str, body: Value| {
        let app = &app;
        let doctor = &doctor;
        async move { app.post(&record(patient, list), Some(doctor), &body).await }
    };

    let lower = post("conditions", condition("i10")).await;
    let mut refused = Vec::new();
    for code in [" I10", "I10 ", "I10\n", "\u{131}10", "I10.", "I1"] {
        refused.push((post("conditions", condition(code)).await, "icd10_code"));
    }
    refused.push((
        post(
            "allergies",
            json!({"substance": "Latex", "severity": "mild", "reaction": "rash\u{1}"}),
        )
        .await,
        "reaction",
    ));
    refused.push((
        post(
            "allergies",
            json!({"substance": "Latex\nRubber", "severity": "mild"}),
        )
        .await,
        "substance",
    ));
    refused.push((
        post("lab-results", json!({"test_name": " ", "value_numeric": 1.0, "collected_at": chrono::Utc::now().to_rfc3339()})).await,
        "test_name",
    ));
    refused.push((
        post(
            "allergies",
            json!({"substance": "Latex", "severity": "mild", "note": " ".repeat(2001)}),
        )
        .await,
        "note",
    ));
    for reason in ["", "  ", "tab\tbed"] {
        refused.push((
            app.patch(
                &encounter.location,
                &doctor,
                Some("\"1\""),
                &json!({"reason": reason}),
            )
            .await,
            "reason",
        ));
    }
    refused.push((
        app.post(
            &format!("{}/notes", encounter.location),
            Some(&doctor),
            &json!({"note_type": "progress", "body": "\n\t\r\n"}),
        )
        .await,
        "body",
    ));
    refused.push((
        app.get(
            &record(patient, &format!("allergies?cursor={}", "A".repeat(401))),
            Some(&doctor),
        )
        .await,
        "cursor",
    ));
    let blank_optional = post(
        "allergies",
        json!({"substance": "Latex", "severity": "mild", "reaction": "   ", "note": ""}),
    )
    .await;
    let multi_line = app
        .post(
            &format!("{}/notes", encounter.location),
            Some(&doctor),
            &json!({"note_type": "progress", "body": "\tIndented\r\nSecond line\n"}),
        )
        .await;

    assert_eq!(created(&lower)["icd10_code"], "I10");
    for (reply, field) in refused {
        assert_eq!(
            field_names(&reply.assert_problem(422, "validation")),
            [field]
        );
    }
    let blank_optional = created(&blank_optional);
    assert!(blank_optional["reaction"].is_null());
    assert!(blank_optional["note"].is_null());
    assert_eq!(created(&multi_line)["body"], "Indented\r\nSecond line");
}
