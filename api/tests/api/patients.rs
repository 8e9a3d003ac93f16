//! The patient registry: registration, duplicates, validation, search, concurrency,
//! deactivation, and the audit of every read.

use hms_api_types::Role;
use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp};

fn maria() -> Value {
    json!({
        "given_name": "María",
        "family_name": "González",
        "birth_date": "1984-03-12",
        "sex": "female",
        "phone": "+34 600 123 456",
        "email": "Maria.Gonzalez@example.org",
        "address": {"line": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013", "country": "Spain"},
        "emergency_contact": {"name": "Luis González", "relationship": "brother", "phone": "+34 600 654 321"},
        "preferred_language": "es"
    })
}

async fn register(app: &TestApp, token: &str, body: &Value) -> Reply {
    app.post("/api/v1/patients", Some(token), body).await
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

#[actix_rt::test]
async fn a_receptionist_registers_a_patient_and_hms_assigns_the_mrn() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);

    let reply = register(&app, &token, &maria()).await;

    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let patient = reply.json();
    let mrn = patient["mrn"].as_str().unwrap();
    assert!(
        mrn.starts_with("MRN-") && mrn[4..].parse::<u64>().is_ok(),
        "{mrn}"
    );
    assert_eq!(patient["email"], "maria.gonzalez@example.org");
    assert_eq!(patient["address"]["city"], "Madrid");
    assert_eq!(patient["emergency_contact"]["relationship"], "brother");
    assert_eq!(patient["active"], true);
    assert_eq!(
        reply.header("location").unwrap(),
        format!("/api/v1/patients/{}", patient["id"].as_str().unwrap())
    );
}

#[actix_rt::test]
async fn a_likely_duplicate_is_flagged_with_candidates_and_can_be_confirmed() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    let first = register(&app, &token, &maria()).await.json();
    let mut again = maria();
    again["given_name"] = json!("Maria");
    again["family_name"] = json!("Gonzales");

    let flagged = register(&app, &token, &again).await;

    let problem = flagged.assert_problem(409, "possible-duplicate");
    assert_eq!(problem["candidates"][0]["id"], first["id"]);
    assert_eq!(problem["candidates"][0]["mrn"], first["mrn"]);
    again["confirm_not_duplicate"] = json!(true);
    let confirmed = register(&app, &token, &again).await;
    assert_eq!(confirmed.status, 201);
    assert_ne!(confirmed.json()["mrn"], first["mrn"]);
}

#[actix_rt::test]
async fn bad_input_is_a_422_naming_each_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    let mut bad = maria();
    bad["birth_date"] = json!("2999-01-01");
    bad["phone"] = json!("call me maybe");
    bad["given_name"] = json!("x".repeat(101));
    bad["preferred_language"] = json!("Spanish please");
    bad["emergency_contact"] = json!({"name": "Luis", "phone": ""});

    let reply = register(&app, &token, &bad).await;

    let problem = reply.assert_problem(422, "validation");
    let fields = field_names(&problem);
    for f in [
        "given_name",
        "birth_date",
        "phone",
        "preferred_language",
        "emergency_contact.phone",
    ] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
    let list = app.get("/api/v1/patients", Some(&token)).await.json();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );
}

#[actix_rt::test]
async fn unknown_fields_and_wrong_types_are_rejected_by_name() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    let mut unknown = maria();
    unknown["blood_type"] = json!("AB+");
    let mut wrong_type = maria();
    wrong_type["birth_date"] = json!(19840312);

    let a = register(&app, &token, &unknown).await;
    let b = register(&app, &token, &wrong_type).await;

    assert_eq!(
        field_names(&a.assert_problem(422, "validation")),
        ["blood_type"]
    );
    b.assert_problem(422, "validation");
}

#[actix_rt::test]
async fn search_ignores_accents_and_case_and_tolerates_typos() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    for (given, family) in [
        ("José", "Hernández"),
        ("Josefina", "Herrera"),
        ("Zoë", "Müller"),
    ] {
        let mut p = maria();
        p["given_name"] = json!(given);
        p["family_name"] = json!(family);
        p["confirm_not_duplicate"] = json!(true);
        assert_eq!(register(&app, &token, &p).await.status, 201);
    }
    let names = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p["given_name"].as_str().unwrap(),
                    p["family_name"].as_str().unwrap()
                )
            })
            .collect()
    };

    let exact = names(
        app.get("/api/v1/patients?q=jose%20hernandez", Some(&token))
            .await
            .json(),
    );
    let typo = names(
        app.get("/api/v1/patients?q=Hernadez", Some(&token))
            .await
            .json(),
    );
    let fragment = names(app.get("/api/v1/patients?q=HER", Some(&token)).await.json());
    let umlaut = names(
        app.get("/api/v1/patients?q=muller", Some(&token))
            .await
            .json(),
    );

    assert_eq!(exact.first().map(String::as_str), Some("José Hernández"));
    assert!(typo.contains(&"José Hernández".to_owned()), "{typo:?}");
    assert!(
        fragment.contains(&"José Hernández".to_owned())
            && fragment.contains(&"Josefina Herrera".to_owned())
    );
    assert_eq!(umlaut, ["Zoë Müller"]);
}

#[actix_rt::test]
async fn search_by_mrn_or_birth_date_finds_exactly_those_patients() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Nurse);
    let created = register(&app, &token, &maria()).await.json();
    app.create_patient("Other", "Person");
    let mrn = created["mrn"].as_str().unwrap();

    let by_mrn = app
        .get(
            &format!("/api/v1/patients?mrn={}", mrn.to_lowercase()),
            Some(&token),
        )
        .await
        .json();
    let by_date = app
        .get("/api/v1/patients?birth_date=1984-03-12", Some(&token))
        .await
        .json();

    assert_eq!(by_mrn["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_mrn["items"][0]["id"], created["id"]);
    assert_eq!(by_date["items"].as_array().unwrap().len(), 1);
}

#[actix_rt::test]
async fn the_patient_list_pages_by_name_and_by_relevance_without_repeats() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    for i in 0..7 {
        app.create_patient(&format!("Ana{i}"), "Silva");
    }

    for query in ["", "&q=silva"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/patients?limit=3{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = app.get(&path, Some(&token)).await;
            assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
            let page = page.json();
            for p in page["items"].as_array().unwrap() {
                seen.push(p["id"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(seen.len(), 7, "query {query:?}");
        assert_eq!(unique.len(), 7, "query {query:?}");
    }
}

#[actix_rt::test]
async fn name_search_lists_family_then_given_name_prefixes_alphabetically_then_similar_names() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    for (given, family) in [
        ("Zoé", "Herrera"),
        ("Ana", "Hernández"),
        ("Hermine", "Abbott"),
        ("Lucas", "Asher"),
        ("Herbert", "Young"),
        ("Ines", "Hermes"),
        ("Paul", "Smith"),
    ] {
        app.create_patient(given, family);
    }

    // Two at a time, so the pages straddle the tiers.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/patients?limit=2&q=her".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path, Some(&token)).await;
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let page = page.json();
        for p in page["items"].as_array().unwrap() {
            seen.push(format!("{} {}", p["given_name"], p["family_name"]).replace('"', ""));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }

    assert_eq!(
        seen,
        [
            // Family names starting with "her", alphabetically.
            "Ines Hermes",
            "Ana Hernández",
            "Zoé Herrera",
            // Given names starting with it, by given name.
            "Herbert Young",
            "Hermine Abbott",
            // A fragment inside a name.
            "Lucas Asher",
        ]
    );
    // Every word must start a word of the name for the first tiers; a typo still finds it.
    let two_words = app
        .get("/api/v1/patients?q=ana%20hern", Some(&token))
        .await
        .json();
    assert_eq!(two_words["items"][0]["family_name"], "Hernández");
    let typo = app
        .get("/api/v1/patients?q=hernandes", Some(&token))
        .await
        .json();
    assert_eq!(typo["items"][0]["family_name"], "Hernández");
}

#[actix_rt::test]
async fn a_stale_update_gets_412_and_an_empty_string_clears_a_field() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    let created = register(&app, &token, &maria()).await.json();
    let path = format!("/api/v1/patients/{}", created["id"].as_str().unwrap());

    let first = app
        .patch(&path, &token, Some("\"1\""), &json!({"phone": ""}))
        .await;
    let stale = app
        .patch(
            &path,
            &token,
            Some("\"1\""),
            &json!({"family_name": "Lost"}),
        )
        .await;

    assert_eq!(first.status, 200);
    assert!(first.json()["phone"].is_null());
    stale.assert_problem(412, "precondition-failed");
    assert_eq!(
        app.get(&path, Some(&token)).await.json()["family_name"],
        "González"
    );
}

#[actix_rt::test]
async fn a_deactivated_patient_leaves_search_but_keeps_the_record() {
    let app = TestApp::spawn().await;
    let receptionist = app.token(Role::Receptionist);
    let created = register(&app, &receptionist, &maria()).await.json();
    let id = created["id"].as_str().unwrap();

    let off = app
        .post(
            &format!("/api/v1/patients/{id}/deactivate"),
            Some(&receptionist),
            &json!({}),
        )
        .await;
    let hidden = app
        .get("/api/v1/patients?q=gonzalez", Some(&receptionist))
        .await
        .json();
    let shown = app
        .get(
            "/api/v1/patients?q=gonzalez&include_inactive=true",
            Some(&receptionist),
        )
        .await
        .json();
    let still_there = app
        .get(&format!("/api/v1/patients/{id}"), Some(&receptionist))
        .await;

    assert_eq!(off.json()["active"], false);
    assert_eq!(hidden["items"].as_array().unwrap().len(), 0);
    assert_eq!(shown["items"].as_array().unwrap().len(), 1);
    assert_eq!(still_there.status, 200);
}

#[actix_rt::test]
async fn every_read_is_audited_and_the_patient_sees_who_viewed_their_record() {
    let app = TestApp::spawn().await;
    let patient = app.create_patient("Viewed", "Patient");
    let (doctor_id, _) = app.create_user(Role::Doctor);
    let doctor = app.keys.issue(doctor_id, Role::Doctor, None).unwrap();
    let own = app.patient_token(patient);

    app.get(&format!("/api/v1/patients/{patient}"), Some(&doctor))
        .await;
    app.get("/api/v1/patients?q=viewed", Some(&doctor)).await;
    let log = app
        .get(
            &format!("/api/v1/patients/{patient}/access-log"),
            Some(&own),
        )
        .await;

    assert_eq!(log.status, 200);
    let entries = log.json()["items"].as_array().unwrap().clone();
    let by_doctor: Vec<&Value> = entries
        .iter()
        .filter(|e| e["actor_role"] == "doctor")
        .collect();
    assert_eq!(by_doctor.len(), 2, "{entries:?}");
    assert!(by_doctor
        .iter()
        .any(|e| e["action"] == "read" && e["entity_type"] == "patient"));
    assert!(by_doctor.iter().any(|e| e["action"] == "search"));
    assert_eq!(by_doctor[0]["actor_name"], "Test Doctor");
    assert!(by_doctor[0]["request_id"].is_string());
}

#[actix_rt::test]
async fn the_audit_trail_cannot_be_changed_or_deleted() {
    use diesel::prelude::*;
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    register(&app, &token, &maria()).await;
    let mut conn = app.pool.get().unwrap();

    let update = diesel::sql_query("UPDATE audit_events SET action = 'nothing'").execute(&mut conn);
    let delete = diesel::sql_query("DELETE FROM audit_events").execute(&mut conn);

    assert!(update.is_err());
    assert!(delete.is_err());
}

#[actix_rt::test]
async fn patient_search_uses_the_indexes_at_hospital_scale() {
    use diesel::prelude::*;
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(
        "INSERT INTO patients (given_name, family_name, birth_date, sex)
         SELECT 'Given' || i, 'Family' || (i % 5000), DATE '1940-01-01' + (i % 25000), 'unknown'
           FROM generate_series(1, 100000) AS i",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("ANALYZE patients")
        .execute(&mut conn)
        .unwrap();

    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let explain = |conn: &mut PgConnection, sql: &str| -> String {
        diesel::sql_query(format!("EXPLAIN {sql}"))
            .load::<Plan>(conn)
            .unwrap()
            .into_iter()
            .map(|p| p.line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    conn.begin_test_transaction().unwrap();
    for setting in hms_api::patients::repo::NAME_SEARCH_SETTINGS {
        diesel::sql_query(setting).execute(&mut conn).unwrap();
    }
    let by_name = explain(
        &mut conn,
        "SELECT id FROM patients WHERE hms_fold('family123') <% search_name \
         OR search_name LIKE '%family123%' LIMIT 51",
    );
    let listing = explain(
        &mut conn,
        "SELECT id FROM patients WHERE active ORDER BY sort_name, id LIMIT 51",
    );
    let by_date = explain(
        &mut conn,
        "SELECT id FROM patients WHERE birth_date = DATE '1984-03-12'",
    );
    let by_mrn = explain(
        &mut conn,
        "SELECT id FROM patients WHERE mrn = 'MRN-150000'",
    );

    for (what, plan) in [
        ("name", &by_name),
        ("list", &listing),
        ("birth date", &by_date),
        ("mrn", &by_mrn),
    ] {
        assert!(
            !plan.contains("Seq Scan"),
            "{what} search scans the table:\n{plan}"
        );
    }
}

#[actix_rt::test]
async fn an_emergency_contact_with_only_an_overlong_relationship_is_refused_not_dropped() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    let mut body = maria();
    body["emergency_contact"] = json!({"name": "", "phone": "", "relationship": "x".repeat(51)});

    let reply = register(&app, &token, &body).await;

    let fields = field_names(&reply.assert_problem(422, "validation"));
    assert!(
        fields.contains(&"emergency_contact.relationship".to_owned()),
        "{fields:?}"
    );
}

#[actix_rt::test]
async fn a_nested_object_sent_as_an_array_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Receptionist);
    let mut body = maria();
    body["address"] = json!([null, null]);

    let reply = register(&app, &token, &body).await;

    reply.assert_problem(422, "validation");
}
