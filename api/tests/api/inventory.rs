//! Inventory: locations and items, receiving lots with expiry, dispensing first expiry first out
//! (never expired stock, never below zero, even under concurrency), transfers, adjustments and
//! write-offs on an append-only ledger that the balances always equal, idempotent retries, the
//! stock views, and shortages that open and close by themselves and follow their workflow.

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use hms_api::config::Settings;
use hms_api_types::{Permission, Role};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::access::{ep, Endpoint, Operation};
use crate::helpers::{Reply, TestApp};

/// The inventory operations, for the role walk in `access.rs`.
pub fn protected() -> Vec<Operation> {
    use Permission::*;
    let with_body = |mut e: Endpoint| {
        e.body = Some(json!({}));
        e
    };
    vec![
        ep("GET", "/api/v1/inventory/locations", ViewInventory),
        with_body(ep("POST", "/api/v1/inventory/locations", ManageLocations)),
        with_body(ep(
            "PATCH",
            "/api/v1/inventory/locations/{location_id}",
            ManageLocations,
        )),
        ep("GET", "/api/v1/inventory/items", ViewInventory),
        with_body(ep("POST", "/api/v1/inventory/items", ManageItems)),
        ep("GET", "/api/v1/inventory/items/{item_id}", ViewInventory),
        with_body(ep(
            "PATCH",
            "/api/v1/inventory/items/{item_id}",
            ManageItems,
        )),
        with_body(ep(
            "PUT",
            "/api/v1/inventory/items/{item_id}/reorder-levels/{location_id}",
            ManageItems,
        )),
        ep(
            "GET",
            "/api/v1/inventory/items/{item_id}/lots",
            ViewInventory,
        ),
        ep("GET", "/api/v1/inventory/stock", ViewInventory),
        ep("GET", "/api/v1/inventory/expiring", ViewInventory),
        ep("GET", "/api/v1/inventory/movements", ViewInventory),
        ep(
            "GET",
            "/api/v1/inventory/movements/{movement_id}",
            ViewInventory,
        ),
        with_body(ep("POST", "/api/v1/inventory/movements/receive", MoveStock)),
        with_body(ep(
            "POST",
            "/api/v1/inventory/movements/dispense",
            DispenseStock,
        )),
        with_body(ep(
            "POST",
            "/api/v1/inventory/movements/transfer",
            MoveStock,
        )),
        with_body(ep("POST", "/api/v1/inventory/movements/adjust", MoveStock)),
        with_body(ep(
            "POST",
            "/api/v1/inventory/movements/write-off",
            MoveStock,
        )),
        ep("GET", "/api/v1/inventory/shortages", ViewInventory),
        with_body(ep("POST", "/api/v1/inventory/shortages", ReportShortages)),
        ep(
            "GET",
            "/api/v1/inventory/shortages/{shortage_id}",
            ViewInventory,
        ),
        with_body(ep(
            "POST",
            "/api/v1/inventory/shortages/{shortage_id}/acknowledge",
            ManageShortages,
        )),
        with_body(ep(
            "POST",
            "/api/v1/inventory/shortages/{shortage_id}/order",
            ManageShortages,
        )),
        with_body(ep(
            "POST",
            "/api/v1/inventory/shortages/{shortage_id}/resolve",
            ManageShortages,
        )),
        with_body(ep(
            "POST",
            "/api/v1/inventory/shortages/{shortage_id}/dismiss",
            ManageShortages,
        )),
    ]
    .into_iter()
    .map(Operation::from)
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Setup

/// A small hospital store: an administrator, a pharmacist and a nurse, the main pharmacy and a
/// ward store.
struct Store {
    app: TestApp,
    admin: String,
    pharmacist: String,
    nurse: String,
    pharmacy: Uuid,
    ward: Uuid,
}

async fn store() -> Store {
    store_with(|_| {}).await
}

async fn store_with(adjust: impl FnOnce(&mut Settings)) -> Store {
    let app = TestApp::spawn_with(adjust).await;
    let admin = app.token(Role::Admin);
    let pharmacist = app.token(Role::Pharmacist);
    let nurse = app.token(Role::Nurse);
    let pharmacy = new_location(&app, &admin, "PHARM", "Main pharmacy", "pharmacy").await;
    let ward = new_location(&app, &admin, "WARD-3", "Ward 3 store", "ward").await;
    Store {
        app,
        admin,
        pharmacist,
        nurse,
        pharmacy,
        ward,
    }
}

async fn new_location(app: &TestApp, admin: &str, code: &str, name: &str, kind: &str) -> Uuid {
    let reply = app
        .post(
            &inv("/locations"),
            Some(admin),
            &json!({"code": code, "name": name, "kind": kind}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", text(&reply));
    id_of(&reply)
}

fn inv(rest: &str) -> String {
    format!("/api/v1/inventory{rest}")
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

fn id_of(reply: &Reply) -> Uuid {
    uuid(&reply.json()["id"])
}

fn uuid(v: &Value) -> Uuid {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a uuid: {v}"))
}

/// Today (UTC, the test hospital's time zone) plus `offset` days.
fn day(offset: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(offset)
}

#[track_caller]
fn created(reply: &Reply) -> Value {
    assert_eq!(reply.status, 201, "{}", text(reply));
    reply.json()
}

#[track_caller]
fn ok(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", text(reply));
    reply.json()
}

/// Asserts a 422 whose field errors include `field`.
#[track_caller]
fn invalid(reply: &Reply, field: &str) -> Value {
    let problem = reply.assert_problem(422, "validation");
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == field),
        "expected a field error on {field}: {problem}"
    );
    problem
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

fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.pool.get().expect("db");
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

fn execute(app: &TestApp, sql: &str) -> Result<usize, diesel::result::Error> {
    let mut conn = app.pool.get().expect("db");
    diesel::sql_query(sql).execute(&mut conn)
}

impl Store {
    /// The item list walked with `limit=1` and its cursors (at most 6 pages): the ids in order.
    async fn items_one_page_at_a_time(&self) -> Vec<Uuid> {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..6 {
            let path = match &cursor {
                Some(c) => format!("/items?limit=1&cursor={c}"),
                None => "/items?limit=1".to_owned(),
            };
            let page = self.get(&path).await;
            for item in page["items"].as_array().unwrap() {
                seen.push(uuid(&item["id"]));
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        seen
    }

    async fn create_item(&self, body: Value) -> Value {
        created(
            &self
                .app
                .post(&inv("/items"), Some(&self.pharmacist), &body)
                .await,
        )
    }

    /// A lot-tracked drug with a default reorder level.
    async fn drug(&self, sku: &str, name: &str, reorder_level: i32) -> Uuid {
        let item = self
            .create_item(json!({
                "sku": sku, "name": name, "category": "drug", "unit": "tablet",
                "reorder_level": reorder_level, "reorder_quantity": 100,
            }))
            .await;
        assert_eq!(item["lot_tracked"], true);
        uuid(&item["id"])
    }

    /// Equipment, not kept by lot.
    async fn equipment(&self, sku: &str, name: &str, reorder_level: i32) -> Uuid {
        let item = self
            .create_item(json!({
                "sku": sku, "name": name, "category": "equipment", "unit": "piece",
                "reorder_level": reorder_level, "reorder_quantity": 10,
            }))
            .await;
        assert_eq!(item["lot_tracked"], false);
        uuid(&item["id"])
    }

    async fn movement(&self, kind: &str, body: &Value) -> Reply {
        let token = if kind == "dispense" {
            &self.nurse
        } else {
            &self.pharmacist
        };
        self.app
            .post(&inv(&format!("/movements/{kind}")), Some(token), body)
            .await
    }

    async fn receive(&self, body: Value) -> Reply {
        self.movement("receive", &body).await
    }

    /// Receives `quantity` of lot `lot` (expiring on `expires_on`); asserts 201.
    async fn received(
        &self,
        item: Uuid,
        location: Uuid,
        quantity: i32,
        lot: &str,
        expires_on: NaiveDate,
    ) -> Value {
        created(
            &self
                .receive(json!({
                    "item_id": item, "location_id": location, "quantity": quantity,
                    "lot_number": lot, "expires_on": expires_on,
                }))
                .await,
        )
    }

    /// Receives `quantity` of an item not kept by lot; asserts 201.
    async fn received_unlotted(&self, item: Uuid, location: Uuid, quantity: i32) -> Value {
        created(
            &self
                .receive(json!({"item_id": item, "location_id": location, "quantity": quantity}))
                .await,
        )
    }

    async fn dispense(&self, body: Value) -> Reply {
        self.movement("dispense", &body).await
    }

    /// Dispenses `quantity` first expiry first; asserts 201.
    async fn dispensed(&self, item: Uuid, location: Uuid, quantity: i32) -> Value {
        created(
            &self
                .dispense(json!({"item_id": item, "location_id": location, "quantity": quantity}))
                .await,
        )
    }

    /// Units of the item at the location, from the balances.
    fn on_hand(&self, item: Uuid, location: Uuid) -> i64 {
        count(
            &self.app,
            &format!(
                "SELECT coalesce(sum(quantity), 0)::bigint AS n FROM stock_balances
                 WHERE item_id = '{item}' AND location_id = '{location}'"
            ),
        )
    }

    /// Units of one lot at the location.
    fn lot_on_hand(&self, lot: Uuid, location: Uuid) -> i64 {
        count(
            &self.app,
            &format!(
                "SELECT coalesce(sum(quantity), 0)::bigint AS n FROM stock_balances
                 WHERE lot_id = '{lot}' AND location_id = '{location}'"
            ),
        )
    }

    fn lot_id(&self, item: Uuid, lot_number: &str) -> Uuid {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: Uuid,
        }
        let mut conn = self.app.pool.get().expect("db");
        diesel::sql_query(format!(
            "SELECT id FROM stock_lots WHERE item_id = '{item}' AND lot_number = '{lot_number}'"
        ))
        .get_result::<Id>(&mut conn)
        .expect("lot")
        .id
    }

    /// Moves a lot's expiry date (receiving refuses expired stock, so a lot expires this way).
    fn set_expiry(&self, lot: Uuid, on: NaiveDate) {
        execute(
            &self.app,
            &format!("UPDATE stock_lots SET expires_on = '{on}' WHERE id = '{lot}'"),
        )
        .expect("set expiry");
    }

    /// Everything a refused movement must leave untouched.
    fn snapshot(&self) -> Vec<i64> {
        [
            "SELECT count(*) AS n FROM stock_movements",
            "SELECT count(*) AS n FROM stock_ledger",
            "SELECT count(*) AS n FROM stock_lots",
            "SELECT count(*) AS n FROM stock_balances",
            "SELECT coalesce(sum(quantity), 0)::bigint AS n FROM stock_balances",
            "SELECT count(*) AS n FROM shortages",
            "SELECT count(*) AS n FROM audit_events",
            "SELECT count(*) AS n FROM idempotency_keys",
        ]
        .iter()
        .map(|sql| count(&self.app, sql))
        .collect()
    }

    async fn get(&self, path: &str) -> Value {
        ok(&self.app.get(&inv(path), Some(&self.pharmacist)).await)
    }

    async fn shortage_action(&self, id: Uuid, action: &str, body: Value) -> Reply {
        self.app
            .post(
                &inv(&format!("/shortages/{id}/{action}")),
                Some(&self.pharmacist),
                &body,
            )
            .await
    }

    async fn report(&self, token: &str, item: Uuid, location: Uuid, severity: &str) -> Reply {
        self.app
            .post(
                &inv("/shortages"),
                Some(token),
                &json!({"item_id": item, "location_id": location, "severity": severity,
                        "note": "Last box opened"}),
            )
            .await
    }
}

/// (lot number, location, delta) of each ledger line of a movement, in order.
fn lines(movement: &Value) -> Vec<(Option<String>, Uuid, i64)> {
    movement["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["lot_number"].as_str().map(str::to_owned),
                uuid(&l["location_id"]),
                l["delta"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn lot(number: &str) -> Option<String> {
    Some(number.to_owned())
}

/// Rows where the balances and the sum of the ledger per (item, lot, location) differ, both
/// ways.
fn balances_differing_from_ledger(app: &TestApp) -> (i64, i64) {
    let ledger = "SELECT item_id, lot_id, location_id, sum(delta)::bigint AS quantity
                  FROM stock_ledger GROUP BY item_id, lot_id, location_id";
    let balances = "SELECT item_id, lot_id, location_id, quantity FROM stock_balances";
    (
        count(
            app,
            &format!("SELECT count(*) AS n FROM ({balances} EXCEPT {ledger}) d"),
        ),
        count(
            app,
            &format!("SELECT count(*) AS n FROM ({ledger} EXCEPT {balances}) d"),
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Locations and items

#[actix_rt::test]
async fn locations_are_created_renamed_with_their_version_and_closed() {
    let s = store().await;

    let duplicate = s
        .app
        .post(
            &inv("/locations"),
            Some(&s.admin),
            &json!({"code": "PHARM", "name": "Another pharmacy", "kind": "pharmacy"}),
        )
        .await;
    let bad_code = s
        .app
        .post(
            &inv("/locations"),
            Some(&s.admin),
            &json!({"code": "ward 3", "name": "Lower case", "kind": "ward"}),
        )
        .await;
    let path = inv(&format!("/locations/{}", s.ward));
    let unversioned = s
        .app
        .patch(&path, &s.admin, None, &json!({"name": "Ward 3 (east)"}))
        .await;
    let stale = s
        .app
        .patch(
            &path,
            &s.admin,
            Some("\"7\""),
            &json!({"name": "Ward 3 (east)"}),
        )
        .await;
    let renamed = s
        .app
        .patch(
            &path,
            &s.admin,
            Some("\"1\""),
            &json!({"name": "Ward 3 (east)"}),
        )
        .await;
    let closed = s
        .app
        .patch(&path, &s.admin, Some("\"2\""), &json!({"active": false}))
        .await;

    duplicate.assert_problem(409, "conflict");
    invalid(&bad_code, "code");
    unversioned.assert_problem(428, "precondition-required");
    stale.assert_problem(412, "precondition-failed");
    assert_eq!(ok(&renamed)["name"], "Ward 3 (east)");
    assert_eq!(renamed.header("etag"), Some("\"2\""));
    let closed = ok(&closed);
    assert_eq!(closed["active"], false);
    assert_eq!(closed["name"], "Ward 3 (east)");

    let open: Vec<Value> = s.get("/locations").await.as_array().unwrap().clone();
    let all: Vec<Value> = s
        .get("/locations?include_inactive=true")
        .await
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["code"], "PHARM");
    assert_eq!(all.len(), 2);

    let item = s.equipment("IV-POLE", "IV pole", 1).await;
    let into_closed = s
        .receive(json!({"item_id": item, "location_id": s.ward, "quantity": 2}))
        .await;
    invalid(&into_closed, "location_id");
}

#[actix_rt::test]
async fn items_are_kept_by_lot_unless_they_are_equipment_and_skus_are_unique() {
    let s = store().await;

    let drug = s
        .create_item(json!({
            "sku": "AMOX-500-CAP", "name": "Amoxicillin 500 mg capsule", "category": "drug",
            "unit": "capsule", "reorder_level": 50, "reorder_quantity": 500,
        }))
        .await;
    let pole = s
        .create_item(json!({
            "sku": "IV-POLE", "name": "IV pole", "category": "equipment", "unit": "piece",
            "reorder_level": 1, "reorder_quantity": 2,
        }))
        .await;
    let duplicate = s
        .app
        .post(
            &inv("/items"),
            Some(&s.admin),
            &json!({"sku": "AMOX-500-CAP", "name": "Again", "category": "drug", "unit": "capsule",
                    "reorder_level": 1, "reorder_quantity": 1}),
        )
        .await;
    let bad = s
        .app
        .post(
            &inv("/items"),
            Some(&s.admin),
            &json!({"sku": "has space", "name": "", "category": "drug", "unit": "capsule",
                    "reorder_level": -1, "reorder_quantity": 1}),
        )
        .await;

    assert_eq!(drug["lot_tracked"], true);
    assert_eq!(drug["on_hand"], 0);
    assert_eq!(pole["lot_tracked"], false);
    duplicate.assert_problem(409, "conflict");
    for field in ["sku", "name", "reorder_level"] {
        invalid(&bad, field);
    }

    let id = uuid(&drug["id"]);
    let path = inv(&format!("/items/{id}"));
    let stale = s
        .app
        .patch(
            &path,
            &s.pharmacist,
            None,
            &json!({"version": 3, "critical": true}),
        )
        .await;
    let changed = s
        .app
        .patch(
            &path,
            &s.pharmacist,
            Some("\"1\""),
            &json!({"critical": true}),
        )
        .await;
    stale.assert_problem(412, "precondition-failed");
    let changed = ok(&changed);
    assert_eq!(changed["critical"], true);
    assert_eq!(changed["version"], 2);

    let deactivated = s
        .app
        .patch(
            &path,
            &s.pharmacist,
            Some("\"2\""),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(ok(&deactivated)["active"], false);
    let listed = s.get("/items").await;
    let with_inactive = s.get("/items?include_inactive=true").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(with_inactive["items"].as_array().unwrap().len(), 2);
    let receipt = s
        .receive(
            json!({"item_id": id, "location_id": s.pharmacy, "quantity": 5,
                        "lot_number": "A1", "expires_on": day(100)}),
        )
        .await;
    invalid(&receipt, "item_id");
}

// ---------------------------------------------------------------------------------------------
// Receiving

#[actix_rt::test]
async fn receiving_a_new_lot_creates_the_lot_and_its_stock() {
    let s = store().await;
    let item = s.drug("PARA-500", "Paracetamol 500 mg", 10).await;

    let reply = s
        .receive(json!({
            "item_id": item, "location_id": s.pharmacy, "quantity": 100,
            "lot_number": "B2026-114", "expires_on": day(200), "note": "Delivery note 4471",
        }))
        .await;
    let again = s
        .received(item, s.pharmacy, 20, "B2026-114", day(200))
        .await;

    let movement = created(&reply);
    assert_eq!(
        reply.header("location"),
        Some(inv(&format!("/movements/{}", movement["id"].as_str().unwrap())).as_str())
    );
    assert_eq!(movement["kind"], "receive");
    assert_eq!(movement["quantity"], 100);
    assert_eq!(movement["to_location_id"], s.pharmacy.to_string());
    assert_eq!(movement["from_location_id"], Value::Null);
    assert_eq!(movement["reason"], "Delivery note 4471");
    assert_eq!(movement["performed_by_name"], "Test Pharmacist");
    assert_eq!(lines(&movement), vec![(lot("B2026-114"), s.pharmacy, 100)]);
    assert_eq!(movement["lines"][0]["expires_on"], day(200).to_string());
    assert_eq!(lines(&again), vec![(lot("B2026-114"), s.pharmacy, 20)]);
    assert_eq!(
        movement["lines"][0]["lot_id"], again["lines"][0]["lot_id"],
        "the second receipt of the lot adds to the same lot"
    );

    let lots = s.get(&format!("/items/{item}/lots")).await;
    let lots = lots.as_array().unwrap();
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0]["lot_number"], "B2026-114");
    assert_eq!(lots[0]["on_hand"], 120);
    assert_eq!(lots[0]["expired"], false);
    let detail = s.get(&format!("/items/{item}")).await;
    assert_eq!(detail["item"]["on_hand"], 120);
    assert_eq!(detail["levels"][0]["location_id"], s.pharmacy.to_string());
    assert_eq!(detail["levels"][0]["on_hand"], 120);
    assert_eq!(detail["lots"][0]["quantity"], 120);
    assert_eq!(s.on_hand(item, s.pharmacy), 120);
    let fetched = s
        .get(&format!("/movements/{}", movement["id"].as_str().unwrap()))
        .await;
    assert_eq!(fetched, movement);
}

#[actix_rt::test]
async fn receiving_a_known_lot_with_another_expiry_date_is_refused_and_writes_nothing() {
    let s = store().await;
    let item = s.drug("PARA-500", "Paracetamol 500 mg", 10).await;
    s.received(item, s.pharmacy, 100, "L1", day(200)).await;
    let before = s.snapshot();

    let reply = s
        .receive(
            json!({"item_id": item, "location_id": s.ward, "quantity": 10,
                        "lot_number": "L1", "expires_on": day(201)}),
        )
        .await;

    let problem = invalid(&reply, "expires_on");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&day(200).to_string()),
        "{problem}"
    );
    assert_eq!(s.snapshot(), before);
}

#[actix_rt::test]
async fn receiving_expired_stock_is_refused_and_writes_nothing() {
    let s = store().await;
    let item = s.drug("PARA-500", "Paracetamol 500 mg", 10).await;
    let before = s.snapshot();

    let reply = s
        .receive(
            json!({"item_id": item, "location_id": s.pharmacy, "quantity": 10,
                        "lot_number": "OLD", "expires_on": day(-2)}),
        )
        .await;

    invalid(&reply, "expires_on");
    assert_eq!(s.snapshot(), before);
}

#[actix_rt::test]
async fn lot_fields_must_be_given_exactly_for_items_kept_by_lot() {
    let s = store().await;
    let drug = s.drug("PARA-500", "Paracetamol 500 mg", 10).await;
    let pole = s.equipment("IV-POLE", "IV pole", 1).await;
    let before = s.snapshot();

    let cases = [
        (
            json!({"item_id": pole, "location_id": s.pharmacy, "quantity": 2,
                   "lot_number": "X1", "expires_on": day(100)}),
            "lot_number",
        ),
        (
            json!({"item_id": pole, "location_id": s.pharmacy, "quantity": 2,
                   "expires_on": day(100)}),
            "lot_number",
        ),
        (
            json!({"item_id": drug, "location_id": s.pharmacy, "quantity": 2}),
            "lot_number",
        ),
        (
            json!({"item_id": drug, "location_id": s.pharmacy, "quantity": 2,
                   "lot_number": "L1"}),
            "expires_on",
        ),
    ];
    for (body, field) in &cases {
        invalid(&s.receive(body.clone()).await, field);
    }
    assert_eq!(s.snapshot(), before);

    let poles = s.received_unlotted(pole, s.pharmacy, 2).await;
    assert_eq!(lines(&poles), vec![(None, s.pharmacy, 2)]);
    assert_eq!(poles["lines"][0]["lot_id"], Value::Null);
}

#[actix_rt::test]
async fn bad_receipts_are_refused_with_the_field_and_write_nothing() {
    let s = store().await;
    let item = s.drug("PARA-500", "Paracetamol 500 mg", 10).await;
    s.received(item, s.pharmacy, 10, "L1", day(200)).await;
    let before = s.snapshot();
    let base = json!({"item_id": item, "location_id": s.pharmacy, "quantity": 10,
                      "lot_number": "L2", "expires_on": day(300)});
    let with = |field: &str, value: Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };

    let cases = [
        (with("quantity", json!(0)), "quantity"),
        (with("quantity", json!(-5)), "quantity"),
        (with("quantity", json!(1_000_001)), "quantity"),
        (with("item_id", json!(Uuid::new_v4())), "item_id"),
        (with("location_id", json!(Uuid::new_v4())), "location_id"),
        (with("lot_number", json!("x".repeat(61))), "lot_number"),
    ];
    for (body, field) in &cases {
        invalid(&s.receive(body.clone()).await, field);
    }
    let nurse = s
        .app
        .post(&inv("/movements/receive"), Some(&s.nurse), &base)
        .await;

    nurse.assert_problem(403, "forbidden");
    assert_eq!(s.snapshot(), before);
}

// ---------------------------------------------------------------------------------------------
// Dispensing

#[actix_rt::test]
async fn dispensing_without_a_lot_takes_the_first_expiring_lots_first_and_splits_across_them() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    // Received out of expiry order on purpose.
    s.received(item, s.pharmacy, 10, "LATE", day(300)).await;
    s.received(item, s.pharmacy, 5, "EARLY", day(60)).await;
    s.received(item, s.pharmacy, 5, "MID", day(120)).await;
    // Another location's earlier lot is not this location's stock.
    s.received(item, s.ward, 50, "WARDLOT", day(10)).await;

    let first = s.dispensed(item, s.pharmacy, 8).await;
    let second = s.dispensed(item, s.pharmacy, 5).await;

    assert_eq!(first["quantity"], 8);
    assert_eq!(first["from_location_id"], s.pharmacy.to_string());
    assert_eq!(
        lines(&first),
        vec![(lot("EARLY"), s.pharmacy, -5), (lot("MID"), s.pharmacy, -3)]
    );
    assert_eq!(
        lines(&second),
        vec![(lot("MID"), s.pharmacy, -2), (lot("LATE"), s.pharmacy, -3)]
    );
    assert_eq!(s.lot_on_hand(s.lot_id(item, "EARLY"), s.pharmacy), 0);
    assert_eq!(s.lot_on_hand(s.lot_id(item, "MID"), s.pharmacy), 0);
    assert_eq!(s.lot_on_hand(s.lot_id(item, "LATE"), s.pharmacy), 7);
    assert_eq!(s.on_hand(item, s.ward), 50);
}

#[actix_rt::test]
async fn a_named_lot_is_dispensed_from_that_lot_only() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 10, "EARLY", day(60)).await;
    s.received(item, s.pharmacy, 10, "LATE", day(300)).await;
    let late = s.lot_id(item, "LATE");

    let named = created(
        &s.dispense(
            json!({"item_id": item, "location_id": s.pharmacy, "quantity": 4,
                           "lot_id": late}),
        )
        .await,
    );
    let too_many = s
        .dispense(
            json!({"item_id": item, "location_id": s.pharmacy, "quantity": 7,
                         "lot_id": late}),
        )
        .await;

    assert_eq!(lines(&named), vec![(lot("LATE"), s.pharmacy, -4)]);
    too_many.assert_problem(409, "conflict");
    assert_eq!(s.lot_on_hand(late, s.pharmacy), 6);
    assert_eq!(s.on_hand(item, s.pharmacy), 16);
}

#[actix_rt::test]
async fn an_expired_lot_is_never_dispensed_and_naming_it_is_refused() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 10, "OLD", day(30)).await;
    s.received(item, s.pharmacy, 10, "NEW", day(200)).await;
    let old = s.lot_id(item, "OLD");
    s.set_expiry(old, day(-3));

    let unnamed = s.dispensed(item, s.pharmacy, 4).await;
    let more_than_unexpired = s
        .dispense(json!({"item_id": item, "location_id": s.pharmacy, "quantity": 7}))
        .await;
    let named = s
        .dispense(
            json!({"item_id": item, "location_id": s.pharmacy, "quantity": 1,
                         "lot_id": old}),
        )
        .await;

    assert_eq!(lines(&unnamed), vec![(lot("NEW"), s.pharmacy, -4)]);
    let problem = more_than_unexpired.assert_problem(409, "conflict");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("only 6"), "{detail}");
    assert!(detail.contains("10 more in expired lots"), "{detail}");
    invalid(&named, "lot_id");
    assert_eq!(s.lot_on_hand(old, s.pharmacy), 10);
    assert_eq!(s.on_hand(item, s.pharmacy), 16);
    let lots = s.get(&format!("/items/{item}/lots")).await;
    assert_eq!(lots[0]["lot_number"], "OLD");
    assert_eq!(lots[0]["expired"], true);
    assert_eq!(lots[1]["expired"], false);
}

#[actix_rt::test]
async fn dispensing_more_than_is_in_stock_is_a_conflict_and_moves_nothing() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 3, "L1", day(60)).await;
    s.received(item, s.pharmacy, 4, "L2", day(90)).await;
    let before = s.snapshot();

    let reply = s
        .dispense(json!({"item_id": item, "location_id": s.pharmacy, "quantity": 8}))
        .await;
    let elsewhere = s
        .dispense(json!({"item_id": item, "location_id": s.ward, "quantity": 1}))
        .await;

    let problem = reply.assert_problem(409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("only 7"),
        "{problem}"
    );
    elsewhere.assert_problem(409, "conflict");
    assert_eq!(s.snapshot(), before);
    assert_eq!(s.on_hand(item, s.pharmacy), 7);
}

#[actix_rt::test]
async fn bad_dispenses_are_refused_with_the_field_and_write_nothing() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    let other = s.drug("IBU-400", "Ibuprofen 400 mg", 0).await;
    s.received(item, s.pharmacy, 10, "L1", day(60)).await;
    s.received(other, s.pharmacy, 10, "OTHER", day(60)).await;
    let other_lot = s.lot_id(other, "OTHER");
    let patient = s.app.create_patient("Dora", "Dispense");
    let before = s.snapshot();
    let base = json!({"item_id": item, "location_id": s.pharmacy, "quantity": 1});
    let with = |field: &str, value: Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };

    let cases = [
        (with("quantity", json!(0)), "quantity"),
        (with("quantity", json!(-1)), "quantity"),
        (with("item_id", json!(Uuid::new_v4())), "item_id"),
        (with("location_id", json!(Uuid::new_v4())), "location_id"),
        (with("lot_id", json!(Uuid::new_v4())), "lot_id"),
        (with("lot_id", json!(other_lot)), "lot_id"),
        (with("patient_id", json!(Uuid::new_v4())), "patient_id"),
        (with("medication_id", json!(Uuid::new_v4())), "patient_id"),
        (
            json!({"item_id": item, "location_id": s.pharmacy, "quantity": 1,
                   "patient_id": patient, "medication_id": Uuid::new_v4()}),
            "medication_id",
        ),
    ];
    for (body, field) in &cases {
        invalid(&s.dispense(body.clone()).await, field);
    }
    let receptionist = s.app.token(Role::Receptionist);
    let forbidden = s
        .app
        .post(&inv("/movements/dispense"), Some(&receptionist), &base)
        .await;

    forbidden.assert_problem(403, "forbidden");
    assert_eq!(s.snapshot(), before);
}

/// Prescribes metformin to `patient` as a new doctor; returns the medication id.
async fn prescribe(app: &TestApp, patient: Uuid) -> Uuid {
    let doctor = app.token(Role::Doctor);
    let reply = app
        .post(
            &format!("/api/v1/patients/{patient}/medications"),
            Some(&doctor),
            &json!({"drug": "Metformin", "dose": "500 mg", "route": "oral",
                    "frequency": "twice daily", "start_date": "2026-01-05"}),
        )
        .await;
    uuid(&created(&reply)["id"])
}

#[actix_rt::test]
async fn dispensing_against_another_patients_medication_is_refused() {
    let s = store().await;
    let item = s.drug("METF-500", "Metformin 500 mg", 0).await;
    s.received(item, s.pharmacy, 100, "M1", day(200)).await;
    let ada = s.app.create_patient("Ada", "Lovelace");
    let bob = s.app.create_patient("Bob", "Other");
    let adas = prescribe(&s.app, ada).await;
    let before = s.snapshot();

    let wrong = s
        .dispense(
            json!({"item_id": item, "location_id": s.pharmacy, "quantity": 60,
                         "patient_id": bob, "medication_id": adas}),
        )
        .await;

    invalid(&wrong, "medication_id");
    assert_eq!(s.snapshot(), before);

    let right = created(
        &s.dispense(
            json!({"item_id": item, "location_id": s.pharmacy, "quantity": 60,
                           "patient_id": ada, "medication_id": adas}),
        )
        .await,
    );
    assert_eq!(right["patient_id"], ada.to_string());
    assert_eq!(right["medication_id"], adas.to_string());
    let by_patient = s.get(&format!("/movements?patient_id={ada}")).await;
    assert_eq!(by_patient["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_patient["items"][0]["id"], right["id"]);
}

#[actix_rt::test]
async fn dispensing_for_a_patient_shows_in_that_patients_access_log() {
    let s = store().await;
    let item = s.drug("METF-500", "Metformin 500 mg", 0).await;
    s.received(item, s.pharmacy, 100, "M1", day(200)).await;
    let ada = s.app.create_patient("Ada", "Lovelace");

    let for_ada = created(
        &s.dispense(
            json!({"item_id": item, "location_id": s.pharmacy, "quantity": 2,
                           "patient_id": ada}),
        )
        .await,
    );
    let ward_use = s.dispensed(item, s.pharmacy, 3).await;

    assert_eq!(
        count(
            &s.app,
            &format!(
                "SELECT count(*) AS n FROM audit_events WHERE patient_id = '{ada}'
                 AND action = 'dispense' AND entity_type = 'stock_movements'
                 AND entity_id = '{}' AND actor_role = 'nurse'",
                for_ada["id"].as_str().unwrap()
            )
        ),
        1
    );
    assert_eq!(
        count(
            &s.app,
            &format!(
                "SELECT count(*) AS n FROM audit_events WHERE patient_id IS NOT NULL
                 AND entity_id = '{}'",
                ward_use["id"].as_str().unwrap()
            )
        ),
        0,
        "a dispense for ward use is about no patient"
    );
    let log = ok(&s
        .app
        .get(
            &format!("/api/v1/patients/{ada}/access-log"),
            Some(&s.admin),
        )
        .await);
    let entries = log["items"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["action"] == "dispense"
            && e["entity_type"] == "stock_movements"
            && e["actor_role"] == "nurse"),
        "{entries:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency and the ledger

#[actix_rt::test]
async fn twenty_concurrent_dispenses_of_one_unit_against_ten_in_stock_give_ten_and_ten_conflicts() {
    // Enough connections and workers for the twenty to really race in the database.
    let s = store_with(|c| {
        c.db_pool_size = 20;
        c.workers = 4;
    })
    .await;
    let item = s.drug("MORPH-10", "Morphine 10 mg/ml ampoule", 0).await;
    s.received(item, s.pharmacy, 4, "A", day(60)).await;
    s.received(item, s.pharmacy, 6, "B", day(90)).await;
    let body = json!({"item_id": item, "location_id": s.pharmacy, "quantity": 1});

    let replies = futures_util::future::join_all((0..20).map(|_| s.dispense(body.clone()))).await;

    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_problem(409, "conflict");
    }
    assert_eq!(s.on_hand(item, s.pharmacy), 0);
    assert_eq!(
        count(
            &s.app,
            "SELECT count(*) AS n FROM stock_balances WHERE quantity < 0"
        ),
        0
    );
    assert_eq!(
        count(
            &s.app,
            "SELECT count(*) AS n FROM stock_movements WHERE kind = 'dispense'"
        ),
        10
    );
    assert_eq!(balances_differing_from_ledger(&s.app), (0, 0));
    // The level reached the reorder level (0) once: one automatic shortage, named by one answer.
    assert_eq!(count(&s.app, "SELECT count(*) AS n FROM shortages"), 1);
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.status == 201 && r.json()["opened_shortage_id"].is_string())
            .count(),
        1
    );
}

#[actix_rt::test]
async fn concurrent_mixed_movements_keep_the_balances_equal_to_the_ledger() {
    let s = store_with(|c| {
        c.db_pool_size = 20;
        c.workers = 4;
    })
    .await;
    let drug = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let gloves = s.equipment("GLOVE-M", "Gloves, medium", 5).await;
    let lots = [("L1", day(40)), ("L2", day(90)), ("L3", day(200))];
    s.received(drug, s.pharmacy, 20, "L1", lots[0].1).await;
    s.received(drug, s.pharmacy, 20, "L2", lots[1].1).await;
    s.received(drug, s.ward, 10, "L3", lots[2].1).await;
    s.received_unlotted(gloves, s.pharmacy, 30).await;
    s.received_unlotted(gloves, s.ward, 10).await;
    let l2 = s.lot_id(drug, "L2");

    let (p, w) = (s.pharmacy, s.ward);
    let ops: Vec<(&str, Value)> = (0..60)
        .map(|i| {
            let (lot, expires) = lots[i % 3];
            match i % 10 {
                0 => ("receive", json!({"item_id": drug, "location_id": if i % 20 == 0 { p } else { w },
                                        "quantity": 3, "lot_number": lot, "expires_on": expires})),
                1 => ("dispense", json!({"item_id": drug, "location_id": p, "quantity": 4})),
                2 => ("transfer", json!({"item_id": drug, "from_location_id": p, "to_location_id": w, "quantity": 5})),
                3 => ("transfer", json!({"item_id": drug, "from_location_id": w, "to_location_id": p, "quantity": 3})),
                4 => ("dispense", json!({"item_id": drug, "location_id": w, "quantity": 2})),
                5 => ("write-off", json!({"item_id": drug, "location_id": p, "lot_id": l2, "quantity": 1, "reason": "damaged"})),
                6 => ("receive", json!({"item_id": gloves, "location_id": w, "quantity": 4})),
                7 => ("dispense", json!({"item_id": gloves, "location_id": p, "quantity": 6})),
                8 => ("transfer", json!({"item_id": gloves, "from_location_id": p, "to_location_id": w, "quantity": 5})),
                _ => ("dispense", json!({"item_id": gloves, "location_id": w, "quantity": 3})),
            }
        })
        .collect();

    let replies =
        futures_util::future::join_all(ops.iter().map(|(kind, body)| s.movement(kind, body))).await;

    for ((kind, body), reply) in ops.iter().zip(&replies) {
        assert!(
            reply.status == 201 || reply.status == 409,
            "{kind} {body}: {} {}",
            reply.status,
            text(reply)
        );
        if reply.status == 409 {
            reply.assert_problem(409, "conflict");
        }
    }
    let successes = replies.iter().filter(|r| r.status == 201).count() as i64;
    assert!(
        successes >= 20,
        "most movements must go through: {successes}"
    );
    assert_eq!(
        count(&s.app, "SELECT count(*) AS n FROM stock_movements"),
        successes + 5
    );
    assert_eq!(balances_differing_from_ledger(&s.app), (0, 0));
    assert_eq!(
        count(
            &s.app,
            "SELECT count(*) AS n FROM stock_balances WHERE quantity < 0"
        ),
        0
    );
    // Every movement's lines add up to what it did.
    assert_eq!(
        count(
            &s.app,
            "SELECT count(*) AS n FROM stock_movements m
             JOIN (SELECT movement_id, sum(delta) AS total FROM stock_ledger GROUP BY movement_id) g
               ON g.movement_id = m.id
             WHERE g.total <> CASE m.kind WHEN 'receive' THEN m.quantity
                                          WHEN 'transfer' THEN 0
                                          ELSE -m.quantity END"
        ),
        0
    );
    // At most one live automatic shortage per item and location.
    assert_eq!(
        count(
            &s.app,
            "SELECT count(*) AS n FROM (SELECT item_id, location_id FROM shortages
               WHERE source = 'automatic' AND status IN ('open', 'acknowledged', 'ordered')
               GROUP BY item_id, location_id HAVING count(*) > 1) d"
        ),
        0
    );
    // The stock views agree with the ledger.
    let stock = s.get("/stock?limit=200").await;
    for level in stock["items"].as_array().unwrap() {
        let (item, location) = (uuid(&level["item_id"]), uuid(&level["location_id"]));
        let ledger = count(
            &s.app,
            &format!(
                "SELECT coalesce(sum(delta), 0)::bigint AS n FROM stock_ledger
                 WHERE item_id = '{item}' AND location_id = '{location}'"
            ),
        );
        assert_eq!(level["on_hand"], ledger, "{level}");
    }
}

#[actix_rt::test]
async fn the_ledger_cannot_be_changed_or_deleted_at_the_database() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 10, "L1", day(60)).await;
    s.dispensed(item, s.pharmacy, 3).await;
    let before = s.snapshot();

    for sql in [
        "UPDATE stock_movements SET quantity = 1000",
        "DELETE FROM stock_movements",
        "TRUNCATE stock_movements CASCADE",
        "UPDATE stock_ledger SET delta = 1000",
        "DELETE FROM stock_ledger",
        "TRUNCATE stock_ledger",
    ] {
        let err = execute(&s.app, sql).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }

    assert_eq!(s.snapshot(), before);
    assert_eq!(
        count(
            &s.app,
            "SELECT coalesce(sum(delta), 0)::bigint AS n FROM stock_ledger"
        ),
        7
    );
}

// ---------------------------------------------------------------------------------------------
// Transfers, adjustments, write-offs

#[actix_rt::test]
async fn a_transfer_moves_stock_between_locations_first_expiry_first() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 10, "LATE", day(200)).await;
    s.received(item, s.pharmacy, 3, "EARLY", day(60)).await;
    let before = s.snapshot();

    let same = s
        .movement(
            "transfer",
            &json!({"item_id": item, "from_location_id": s.pharmacy,
                    "to_location_id": s.pharmacy, "quantity": 1}),
        )
        .await;
    let too_many = s
        .movement(
            "transfer",
            &json!({"item_id": item, "from_location_id": s.pharmacy,
                    "to_location_id": s.ward, "quantity": 14}),
        )
        .await;
    invalid(&same, "to_location_id");
    too_many.assert_problem(409, "conflict");
    assert_eq!(s.snapshot(), before);

    let moved = created(
        &s.movement(
            "transfer",
            &json!({"item_id": item, "from_location_id": s.pharmacy,
                    "to_location_id": s.ward, "quantity": 5, "note": "Weekly top-up"}),
        )
        .await,
    );

    assert_eq!(moved["kind"], "transfer");
    assert_eq!(moved["from_location_id"], s.pharmacy.to_string());
    assert_eq!(moved["to_location_id"], s.ward.to_string());
    assert_eq!(
        lines(&moved),
        vec![
            (lot("EARLY"), s.pharmacy, -3),
            (lot("EARLY"), s.ward, 3),
            (lot("LATE"), s.pharmacy, -2),
            (lot("LATE"), s.ward, 2),
        ]
    );
    assert_eq!(s.on_hand(item, s.pharmacy), 8);
    assert_eq!(s.on_hand(item, s.ward), 5);
    assert_eq!(s.lot_on_hand(s.lot_id(item, "EARLY"), s.ward), 3);
    let at_ward = s.get(&format!("/movements?location_id={}", s.ward)).await;
    assert_eq!(at_ward["items"].as_array().unwrap().len(), 1);
    assert_eq!(at_ward["items"][0]["id"], moved["id"]);
    let nurse = s
        .app
        .post(
            &inv("/movements/transfer"),
            Some(&s.nurse),
            &json!({"item_id": item, "from_location_id": s.pharmacy,
                    "to_location_id": s.ward, "quantity": 1}),
        )
        .await;
    nurse.assert_problem(403, "forbidden");
}

#[actix_rt::test]
async fn an_adjustment_records_the_difference_with_its_reason() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 20, "L1", day(60)).await;
    let l1 = s.lot_id(item, "L1");

    let down = created(
        &s.movement(
            "adjust",
            &json!({"item_id": item, "location_id": s.pharmacy, "lot_id": l1,
                    "counted": 17, "reason": "Monthly count: 3 missing"}),
        )
        .await,
    );
    let up = created(
        &s.movement(
            "adjust",
            &json!({"item_id": item, "location_id": s.pharmacy, "lot_id": l1,
                    "counted": 25, "reason": "Box found in the back room"}),
        )
        .await,
    );

    assert_eq!(down["kind"], "adjust");
    assert_eq!(down["quantity"], 3);
    assert_eq!(down["reason"], "Monthly count: 3 missing");
    assert_eq!(down["from_location_id"], s.pharmacy.to_string());
    assert_eq!(down["to_location_id"], Value::Null);
    assert_eq!(lines(&down), vec![(lot("L1"), s.pharmacy, -3)]);
    assert_eq!(up["quantity"], 8);
    assert_eq!(up["to_location_id"], s.pharmacy.to_string());
    assert_eq!(lines(&up), vec![(lot("L1"), s.pharmacy, 8)]);
    assert_eq!(s.lot_on_hand(l1, s.pharmacy), 25);
    assert_eq!(balances_differing_from_ledger(&s.app), (0, 0));
}

#[actix_rt::test]
async fn an_adjustment_needs_a_reason_a_difference_and_the_lot() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    let pole = s.equipment("IV-POLE", "IV pole", 0).await;
    s.received(item, s.pharmacy, 20, "L1", day(60)).await;
    let l1 = s.lot_id(item, "L1");
    let before = s.snapshot();
    let base = json!({"item_id": item, "location_id": s.pharmacy, "lot_id": l1,
                      "counted": 18, "reason": "Count"});
    let with = |field: &str, value: Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };

    let cases = [
        (with("reason", json!("")), "reason"),
        (with("reason", json!("   ")), "reason"),
        (with("counted", json!(20)), "counted"),
        (with("counted", json!(-1)), "counted"),
        (with("lot_id", Value::Null), "lot_id"),
        (with("lot_id", json!(Uuid::new_v4())), "lot_id"),
        (with("item_id", json!(Uuid::new_v4())), "item_id"),
        (
            json!({"item_id": pole, "location_id": s.pharmacy, "lot_id": l1,
                   "counted": 2, "reason": "Count"}),
            "lot_id",
        ),
    ];
    for (body, field) in &cases {
        invalid(&s.movement("adjust", body).await, field);
    }

    assert_eq!(s.snapshot(), before);
}

#[actix_rt::test]
async fn a_write_off_names_the_lot_of_a_lot_tracked_item_and_takes_expired_stock() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 10, "OLD", day(30)).await;
    let old = s.lot_id(item, "OLD");
    s.set_expiry(old, day(-1));
    let before = s.snapshot();

    let without_lot = s
        .movement(
            "write-off",
            &json!({"item_id": item, "location_id": s.pharmacy, "quantity": 10,
                    "reason": "expired"}),
        )
        .await;
    let too_many = s
        .movement(
            "write-off",
            &json!({"item_id": item, "location_id": s.pharmacy, "lot_id": old,
                    "quantity": 11, "reason": "expired"}),
        )
        .await;
    invalid(&without_lot, "lot_id");
    too_many.assert_problem(409, "conflict");
    assert_eq!(s.snapshot(), before);

    let written_off = created(
        &s.movement(
            "write-off",
            &json!({"item_id": item, "location_id": s.pharmacy, "lot_id": old,
                    "quantity": 10, "reason": "expired", "note": "Destroyed by J. Smith"}),
        )
        .await,
    );

    assert_eq!(written_off["kind"], "write_off");
    assert_eq!(written_off["write_off_reason"], "expired");
    assert_eq!(written_off["reason"], "Destroyed by J. Smith");
    assert_eq!(lines(&written_off), vec![(lot("OLD"), s.pharmacy, -10)]);
    assert_eq!(s.on_hand(item, s.pharmacy), 0);

    let pole = s.equipment("IV-POLE", "IV pole", 0).await;
    s.received_unlotted(pole, s.ward, 3).await;
    let broken = created(
        &s.movement(
            "write-off",
            &json!({"item_id": pole, "location_id": s.ward, "quantity": 1,
                    "reason": "damaged"}),
        )
        .await,
    );
    assert_eq!(lines(&broken), vec![(None, s.ward, -1)]);
}

// ---------------------------------------------------------------------------------------------
// Idempotency

#[actix_rt::test]
async fn a_dispense_retried_with_the_same_idempotency_key_moves_stock_once() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 10, "L1", day(60)).await;
    let body = json!({"item_id": item, "location_id": s.pharmacy, "quantity": 3});
    let key = [("Idempotency-Key", "0b6c5d1e-dispense-1")];
    let path = inv("/movements/dispense");

    let first = send(&s.app, "POST", &path, &s.nurse, &key, &body).await;
    let retry = send(&s.app, "POST", &path, &s.nurse, &key, &body).await;

    assert_eq!(first.status, 201, "{}", text(&first));
    assert_eq!(retry.status, 201, "{}", text(&retry));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), first.json());
    assert_eq!(first.header("location"), retry.header("location"));
    assert_eq!(s.on_hand(item, s.pharmacy), 7);
    assert_eq!(
        count(
            &s.app,
            "SELECT count(*) AS n FROM stock_movements WHERE kind = 'dispense'"
        ),
        1
    );
}

#[actix_rt::test]
async fn an_idempotency_key_reused_for_another_dispense_is_refused() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 10, "L1", day(60)).await;
    let key = [("Idempotency-Key", "same-key")];
    let path = inv("/movements/dispense");

    let first = send(
        &s.app,
        "POST",
        &path,
        &s.nurse,
        &key,
        &json!({"item_id": item, "location_id": s.pharmacy, "quantity": 3}),
    )
    .await;
    let different = send(
        &s.app,
        "POST",
        &path,
        &s.nurse,
        &key,
        &json!({"item_id": item, "location_id": s.pharmacy, "quantity": 4}),
    )
    .await;

    assert_eq!(first.status, 201, "{}", text(&first));
    let problem = different.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(s.on_hand(item, s.pharmacy), 7);
}

#[actix_rt::test]
async fn a_refused_dispense_keeps_no_answer_so_its_retry_runs_again() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    let body = json!({"item_id": item, "location_id": s.pharmacy, "quantity": 3});
    let key = [("Idempotency-Key", "retry-after-delivery")];
    let path = inv("/movements/dispense");

    let empty = send(&s.app, "POST", &path, &s.nurse, &key, &body).await;
    s.received(item, s.pharmacy, 10, "L1", day(60)).await;
    let retry = send(&s.app, "POST", &path, &s.nurse, &key, &body).await;

    empty.assert_problem(409, "conflict");
    assert_eq!(retry.status, 201, "{}", text(&retry));
    assert_eq!(retry.header("idempotent-replayed"), None);
    assert_eq!(s.on_hand(item, s.pharmacy), 7);
}

// ---------------------------------------------------------------------------------------------
// Shortages

#[actix_rt::test]
async fn a_dispense_down_to_the_reorder_level_opens_one_automatic_shortage() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 10).await;
    s.received(item, s.pharmacy, 15, "L1", day(60)).await;

    let above = s.dispensed(item, s.pharmacy, 4).await;
    let at_level = s.dispensed(item, s.pharmacy, 1).await;
    let below = s.dispensed(item, s.pharmacy, 2).await;
    let to_zero = s.dispensed(item, s.pharmacy, 8).await;

    assert!(above.get("opened_shortage_id").is_none(), "{above}");
    let opened = uuid(&at_level["opened_shortage_id"]);
    assert!(below.get("opened_shortage_id").is_none(), "{below}");
    assert!(to_zero.get("opened_shortage_id").is_none(), "{to_zero}");
    assert_eq!(count(&s.app, "SELECT count(*) AS n FROM shortages"), 1);

    let shortage = s.get(&format!("/shortages/{opened}")).await;
    assert_eq!(shortage["status"], "open");
    assert_eq!(shortage["source"], "automatic");
    assert_eq!(shortage["severity"], "medium");
    assert_eq!(shortage["critical_item"], false);
    assert_eq!(shortage["item_id"], item.to_string());
    assert_eq!(shortage["location_id"], s.pharmacy.to_string());
    assert_eq!(shortage["level_at_open"], 10);
    assert_eq!(shortage["on_hand"], 0);
    assert_eq!(shortage["reorder_level"], 10);
    let history = shortage["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["from_status"], Value::Null);
    assert_eq!(history[0]["to_status"], "open");
    assert_eq!(history[0]["by_name"], "Test Nurse");
}

#[actix_rt::test]
async fn a_receipt_above_the_reorder_level_resolves_the_shortage_by_itself() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 10).await;
    s.received(item, s.pharmacy, 12, "L1", day(60)).await;
    let opened = uuid(&s.dispensed(item, s.pharmacy, 4).await["opened_shortage_id"]);

    // 8 + 2 = 10: still at the reorder level.
    s.received(item, s.pharmacy, 2, "L1", day(60)).await;
    let still = s.get(&format!("/shortages/{opened}")).await;
    // 10 + 5 = 15: above it.
    s.received(item, s.pharmacy, 5, "L2", day(90)).await;
    let resolved = s.get(&format!("/shortages/{opened}")).await;

    assert_eq!(still["status"], "open");
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["closed_at"].is_string());
    let history = resolved["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["from_status"], "open");
    assert_eq!(history[1]["to_status"], "resolved");
    assert_eq!(history[1]["by_name"], "Test Pharmacist");
    assert!(
        history[1]["note"].as_str().unwrap().contains("15 on hand"),
        "{history:?}"
    );

    // Falling again opens a new one.
    let again = s.dispensed(item, s.pharmacy, 6).await;
    assert_ne!(uuid(&again["opened_shortage_id"]), opened);
    assert_eq!(count(&s.app, "SELECT count(*) AS n FROM shortages"), 2);
}

#[actix_rt::test]
async fn a_location_reorder_level_overrides_the_items_default() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let path = inv(&format!("/items/{item}/reorder-levels/{}", s.ward));

    let set = send(
        &s.app,
        "PUT",
        &path,
        &s.pharmacist,
        &[],
        &json!({"reorder_level": 20, "reorder_quantity": 60}),
    )
    .await;
    let bad = send(
        &s.app,
        "PUT",
        &path,
        &s.pharmacist,
        &[],
        &json!({"reorder_level": -1, "reorder_quantity": 60}),
    )
    .await;
    let nowhere = send(
        &s.app,
        "PUT",
        &inv(&format!("/items/{item}/reorder-levels/{}", Uuid::new_v4())),
        &s.pharmacist,
        &[],
        &json!({"reorder_level": 1, "reorder_quantity": 1}),
    )
    .await;
    let by_nurse = send(
        &s.app,
        "PUT",
        &path,
        &s.nurse,
        &[],
        &json!({"reorder_level": 1, "reorder_quantity": 1}),
    )
    .await;

    let level = ok(&set);
    assert_eq!(level["reorder_level"], 20);
    assert_eq!(level["reorder_quantity"], 60);
    assert_eq!(level["on_hand"], 0);
    invalid(&bad, "reorder_level");
    nowhere.assert_problem(404, "not-found");
    by_nurse.assert_problem(403, "forbidden");

    s.received(item, s.pharmacy, 30, "L1", day(60)).await;
    s.received(item, s.ward, 30, "L1", day(60)).await;
    let ward = s.dispensed(item, s.ward, 12).await;
    let pharmacy = s.dispensed(item, s.pharmacy, 12).await;

    assert!(
        ward["opened_shortage_id"].is_string(),
        "18 <= 20 at the ward"
    );
    assert!(pharmacy.get("opened_shortage_id").is_none(), "18 > 5 here");
    let shortage = s
        .get(&format!(
            "/shortages/{}",
            ward["opened_shortage_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(shortage["reorder_level"], 20);
    assert_eq!(shortage["reorder_quantity"], 60);
    let low = s.get("/stock?low=true").await;
    let low = low["items"].as_array().unwrap();
    assert_eq!(low.len(), 1, "{low:?}");
    assert_eq!(low[0]["location_id"], s.ward.to_string());
    assert_eq!(low[0]["reorder_level"], 20);
    assert_eq!(low[0]["low"], true);
}

#[actix_rt::test]
async fn shortages_of_critical_items_are_critical_and_listed_first() {
    let s = store().await;
    let critical = s
        .create_item(json!({
            "sku": "ADR-1MG", "name": "Adrenaline 1 mg/ml", "category": "drug", "unit": "ampoule",
            "reorder_level": 5, "reorder_quantity": 20, "critical": true,
        }))
        .await;
    let critical = uuid(&critical["id"]);
    let plain = s.drug("PARA-500", "Paracetamol 500 mg", 5).await;
    s.received(critical, s.pharmacy, 8, "A1", day(60)).await;
    s.received(plain, s.pharmacy, 8, "P1", day(60)).await;

    let out = s.dispensed(plain, s.pharmacy, 8).await;
    let low = s.dispensed(critical, s.pharmacy, 3).await;

    let plain_shortage = s
        .get(&format!(
            "/shortages/{}",
            out["opened_shortage_id"].as_str().unwrap()
        ))
        .await;
    let critical_shortage = s
        .get(&format!(
            "/shortages/{}",
            low["opened_shortage_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(plain_shortage["severity"], "high", "nothing left");
    assert_eq!(plain_shortage["critical_item"], false);
    assert_eq!(critical_shortage["severity"], "critical");
    assert_eq!(critical_shortage["critical_item"], true);
    let board = s.get("/shortages").await;
    let ids: Vec<&Value> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, vec![&critical_shortage["id"], &plain_shortage["id"]]);
}

#[actix_rt::test]
async fn every_staff_member_can_report_a_shortage_and_a_patient_cannot() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;

    for role in Role::PEOPLE {
        let (id, _) = s.app.create_user(role);
        let token = if role == Role::Patient {
            s.app.token(role)
        } else {
            s.app.keys.issue(id, role, None).unwrap()
        };
        let reply = s.report(&token, item, s.ward, "high").await;
        if role == Role::Patient {
            reply.assert_problem(403, "forbidden");
            continue;
        }
        let shortage = created(&reply);
        assert_eq!(shortage["source"], "reported", "{role}");
        assert_eq!(shortage["status"], "open", "{role}");
        assert_eq!(shortage["severity"], "high", "{role}");
        assert_eq!(shortage["note"], "Last box opened", "{role}");
        assert_eq!(shortage["opened_by"], id.to_string(), "{role}");
        assert_eq!(shortage["level_at_open"], Value::Null, "{role}");
        assert_eq!(shortage["history"][0]["by"], id.to_string(), "{role}");
        assert_eq!(reply.header("etag"), Some("\"1\""));
    }
    assert_eq!(count(&s.app, "SELECT count(*) AS n FROM shortages"), 5);
    let unknown = s.report(&s.nurse, Uuid::new_v4(), s.ward, "high").await;
    invalid(&unknown, "item_id");
}

#[actix_rt::test]
async fn a_shortage_goes_from_open_to_acknowledged_ordered_and_resolved_recording_who_did_each_step(
) {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let (nurse_id, _) = s.app.create_user(Role::Nurse);
    let nurse = s.app.keys.issue(nurse_id, Role::Nurse, None).unwrap();
    let (first_id, _) = s.app.create_user(Role::Pharmacist);
    let first = s.app.keys.issue(first_id, Role::Pharmacist, None).unwrap();
    let (second_id, _) = s.app.create_user(Role::Pharmacist);
    let second = s.app.keys.issue(second_id, Role::Pharmacist, None).unwrap();
    let id = id_of(&s.report(&nurse, item, s.ward, "medium").await);
    let app = &s.app;
    let act = move |token: &str, action: &str, body: Value| {
        let path = inv(&format!("/shortages/{id}/{action}"));
        let token = token.to_owned();
        async move { app.post(&path, Some(&token), &body).await }
    };

    let by_nurse = act(&nurse, "acknowledge", json!({})).await;
    let acknowledged = act(&first, "acknowledge", json!({"note": "On it"})).await;
    let ordered = act(
        &second,
        "order",
        json!({"order_reference": "PO-2026-0042", "note": "Supplier ships Monday"}),
    )
    .await;
    let resolved = act(&first, "resolve", json!({"note": "Delivered to the ward"})).await;

    by_nurse.assert_problem(403, "forbidden");
    assert_eq!(ok(&acknowledged)["status"], "acknowledged");
    assert_eq!(acknowledged.header("etag"), Some("\"2\""));
    let ordered = ok(&ordered);
    assert_eq!(ordered["status"], "ordered");
    assert_eq!(ordered["order_reference"], "PO-2026-0042");
    assert_eq!(resolved.header("etag"), Some("\"4\""));
    let resolved = ok(&resolved);
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolution"], "Delivered to the ward");
    assert_eq!(resolved["order_reference"], "PO-2026-0042");
    assert!(resolved["closed_at"].is_string());
    let steps: Vec<(Value, Value, Value, Value)> = resolved["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from_status"].clone(),
                e["to_status"].clone(),
                e["by"].clone(),
                e["note"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                Value::Null,
                json!("open"),
                json!(nurse_id),
                json!("Last box opened")
            ),
            (
                json!("open"),
                json!("acknowledged"),
                json!(first_id),
                json!("On it")
            ),
            (
                json!("acknowledged"),
                json!("ordered"),
                json!(second_id),
                json!("Supplier ships Monday")
            ),
            (
                json!("ordered"),
                json!("resolved"),
                json!(first_id),
                json!("Delivered to the ward")
            ),
        ]
    );
    assert_eq!(
        count(
            &s.app,
            &format!(
                "SELECT count(*) AS n FROM audit_events WHERE entity_type = 'shortage'
                 AND entity_id = '{id}'"
            )
        ),
        4,
        "report, acknowledge, order, resolve"
    );
    assert_eq!(s.get(&format!("/shortages/{id}")).await, resolved);
}

#[actix_rt::test]
async fn dismissing_a_shortage_needs_a_reason() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let id = id_of(&s.report(&s.nurse, item, s.ward, "low").await);

    let without = s.shortage_action(id, "dismiss", json!({})).await;
    let blank = s
        .shortage_action(id, "dismiss", json!({"note": "   "}))
        .await;
    let reference = s
        .shortage_action(id, "acknowledge", json!({"order_reference": "PO-1"}))
        .await;
    let dismissed = s
        .shortage_action(
            id,
            "dismiss",
            json!({"note": "Duplicate of the pharmacy's report"}),
        )
        .await;

    invalid(&without, "note");
    invalid(&blank, "note");
    invalid(&reference, "order_reference");
    let dismissed = ok(&dismissed);
    assert_eq!(dismissed["status"], "dismissed");
    assert_eq!(
        dismissed["resolution"],
        "Duplicate of the pharmacy's report"
    );
    assert!(dismissed["closed_at"].is_string());
    assert_eq!(dismissed["history"].as_array().unwrap().len(), 2);
}

#[actix_rt::test]
async fn a_shortage_cannot_move_backwards_or_out_of_a_closed_state() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let resolved = id_of(&s.report(&s.nurse, item, s.ward, "low").await);
    let ordered = id_of(&s.report(&s.nurse, item, s.pharmacy, "low").await);
    ok(&s.shortage_action(resolved, "resolve", json!({})).await);
    ok(&s
        .shortage_action(ordered, "order", json!({"order_reference": "PO-7"}))
        .await);

    let cases = [
        (resolved, "resolve", json!({})),
        (resolved, "acknowledge", json!({})),
        (resolved, "dismiss", json!({"note": "Too late"})),
        (ordered, "acknowledge", json!({})),
        (ordered, "order", json!({})),
    ];
    for (id, action, body) in cases {
        let reply = s.shortage_action(id, action, body).await;
        reply.assert_problem(409, "conflict");
    }
    s.shortage_action(Uuid::new_v4(), "resolve", json!({}))
        .await
        .assert_problem(404, "not-found");

    let r = s.get(&format!("/shortages/{resolved}")).await;
    assert_eq!(r["status"], "resolved");
    assert_eq!(r["resolution"], "resolved");
    assert_eq!(r["history"].as_array().unwrap().len(), 2);
    assert_eq!(r["version"], 2);
}

#[actix_rt::test]
async fn a_shortage_action_on_a_stale_version_is_refused() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let id = id_of(&s.report(&s.nurse, item, s.ward, "low").await);
    let path = |action: &str| inv(&format!("/shortages/{id}/{action}"));

    let acknowledged = send(
        &s.app,
        "POST",
        &path("acknowledge"),
        &s.pharmacist,
        &[("If-Match", "\"1\"")],
        &json!({}),
    )
    .await;
    let stale_header = send(
        &s.app,
        "POST",
        &path("order"),
        &s.pharmacist,
        &[("If-Match", "\"1\"")],
        &json!({}),
    )
    .await;
    let stale_body = s.shortage_action(id, "order", json!({"version": 1})).await;
    let malformed = send(
        &s.app,
        "POST",
        &path("order"),
        &s.pharmacist,
        &[("If-Match", "yesterday")],
        &json!({}),
    )
    .await;
    let current = send(
        &s.app,
        "POST",
        &path("order"),
        &s.pharmacist,
        &[("If-Match", "\"2\"")],
        &json!({"order_reference": "PO-9"}),
    )
    .await;

    assert_eq!(acknowledged.status, 200, "{}", text(&acknowledged));
    stale_header.assert_problem(412, "precondition-failed");
    stale_body.assert_problem(412, "precondition-failed");
    malformed.assert_problem(400, "bad-request");
    assert_eq!(ok(&current)["status"], "ordered");
    assert_eq!(current.header("etag"), Some("\"3\""));
}

#[actix_rt::test]
async fn the_shortage_list_filters_by_status_liveness_severity_item_and_location() {
    let s = store().await;
    let amox = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let para = s.drug("PARA-500", "Paracetamol 500 mg", 5).await;
    let a = id_of(&s.report(&s.nurse, amox, s.pharmacy, "low").await);
    let b = id_of(&s.report(&s.nurse, amox, s.ward, "high").await);
    let c = id_of(&s.report(&s.nurse, para, s.pharmacy, "medium").await);
    let d = id_of(&s.report(&s.nurse, para, s.ward, "high").await);
    ok(&s.shortage_action(c, "acknowledge", json!({})).await);
    ok(&s.shortage_action(d, "resolve", json!({})).await);
    let ids = |page: &Value| -> Vec<Uuid> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| uuid(&s["id"]))
            .collect()
    };

    // Most urgent first (high, medium, low), newest first within a severity.
    assert_eq!(ids(&s.get("/shortages").await), vec![d, b, c, a]);
    assert_eq!(ids(&s.get("/shortages?status=open").await), vec![b, a]);
    assert_eq!(ids(&s.get("/shortages?live=true").await), vec![b, c, a]);
    assert_eq!(ids(&s.get("/shortages?status=resolved").await), vec![d]);
    assert_eq!(ids(&s.get("/shortages?severity=high").await), vec![d, b]);
    assert_eq!(
        ids(&s.get("/shortages?live=true&severity=high").await),
        vec![b]
    );
    assert_eq!(
        ids(&s.get(&format!("/shortages?item_id={amox}")).await),
        vec![b, a]
    );
    assert_eq!(
        ids(&s.get(&format!("/shortages?location_id={}", s.ward)).await),
        vec![d, b]
    );
    assert_eq!(
        ids(&s
            .get(&format!(
                "/shortages?item_id={para}&location_id={}&live=true",
                s.pharmacy
            ))
            .await),
        vec![c]
    );
    let contradiction = s
        .app
        .get(&inv("/shortages?live=true&status=resolved"), Some(&s.nurse))
        .await;
    invalid(&contradiction, "status");
    let patient = s.app.token(Role::Patient);
    s.app
        .get(&inv("/shortages"), Some(&patient))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_rt::test]
async fn the_shortage_list_pages_with_cursors_and_refuses_a_bad_one() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let mut reported = Vec::new();
    for severity in ["low", "high", "low", "medium", "high"] {
        reported.push(id_of(&s.report(&s.nurse, item, s.ward, severity).await));
    }

    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/shortages?limit=2&cursor={c}"),
            None => "/shortages?limit=2".to_owned(),
        };
        let page = s.get(&path).await;
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(uuid(&item["id"]));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the cursor must move on");
    }

    assert_eq!(pages, 3);
    let r = &reported;
    assert_eq!(seen, vec![r[4], r[1], r[3], r[2], r[0]]);
    for bad in ["not-a-cursor!", "bm90IGpzb24"] {
        let reply = s
            .app
            .get(&inv(&format!("/shortages?cursor={bad}")), Some(&s.nurse))
            .await;
        invalid(&reply, "cursor");
    }
    invalid(
        &s.app.get(&inv("/shortages?limit=0"), Some(&s.nurse)).await,
        "limit",
    );
}

// ---------------------------------------------------------------------------------------------
// Stock views

#[actix_rt::test]
async fn the_stock_view_shows_levels_and_with_low_only_those_at_or_below_the_reorder_level() {
    let s = store().await;
    let amox = s.drug("AMOX-500", "Amoxicillin 500 mg", 10).await;
    let para = s.drug("PARA-500", "Paracetamol 500 mg", 10).await;
    s.received(amox, s.pharmacy, 50, "A1", day(60)).await;
    s.received(amox, s.ward, 10, "A1", day(60)).await;
    s.received(para, s.pharmacy, 11, "P1", day(60)).await;
    s.received(para, s.pharmacy, 30, "P0", day(20)).await;
    // 30 of the 41 paracetamol expire: 11 usable, still above 10.
    s.set_expiry(s.lot_id(para, "P0"), day(-1));
    // ...until one more is dispensed.
    let all = s.get("/stock").await;
    s.dispensed(para, s.pharmacy, 1).await;
    let low = s.get("/stock?low=true").await;
    let at_pharmacy = s
        .get(&format!("/stock?low=true&location_id={}", s.pharmacy))
        .await;
    let amox_only = s.get(&format!("/stock?item_id={amox}")).await;

    let rows = |page: &Value| -> Vec<(String, String, i64, i64, bool)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["item_sku"].as_str().unwrap().to_owned(),
                    l["location_name"].as_str().unwrap().to_owned(),
                    l["on_hand"].as_i64().unwrap(),
                    l["expired"].as_i64().unwrap(),
                    l["low"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let row = |sku: &str, loc: &str, on_hand: i64, expired: i64, low: bool| {
        (sku.to_owned(), loc.to_owned(), on_hand, expired, low)
    };
    assert_eq!(
        rows(&all),
        vec![
            row("AMOX-500", "Main pharmacy", 50, 0, false),
            row("AMOX-500", "Ward 3 store", 10, 0, true),
            row("PARA-500", "Main pharmacy", 41, 30, false),
        ]
    );
    assert_eq!(
        rows(&low),
        vec![
            row("AMOX-500", "Ward 3 store", 10, 0, true),
            row("PARA-500", "Main pharmacy", 40, 30, true),
        ]
    );
    assert_eq!(
        rows(&at_pharmacy),
        vec![row("PARA-500", "Main pharmacy", 40, 30, true)]
    );
    assert_eq!(amox_only["items"].as_array().unwrap().len(), 2);

    let page = s.get("/stock?limit=2").await;
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let rest = s.get(&format!("/stock?limit=2&cursor={cursor}")).await;
    assert_eq!(
        rows(&rest),
        vec![row("PARA-500", "Main pharmacy", 40, 30, true)]
    );
    assert!(rest.get("next_cursor").is_none());
    invalid(
        &s.app
            .get(&inv("/stock?cursor=garbage!"), Some(&s.nurse))
            .await,
        "cursor",
    );
}

#[actix_rt::test]
async fn days_of_supply_are_computed_from_the_last_30_days_of_dispensing() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    let idle = s.drug("ZINC-10", "Zinc 10 mg", 0).await;
    s.received(item, s.pharmacy, 100, "L1", day(200)).await;
    s.received(idle, s.pharmacy, 10, "Z1", day(200)).await;
    let lot = s.lot_id(item, "L1");
    // Forty days ago, 50 were dispensed: too old to count for the rate.
    let (pharmacist, _) = s.app.create_user(Role::Pharmacist);
    execute(
        &s.app,
        &format!(
            "WITH m AS (
                 INSERT INTO stock_movements (kind, item_id, from_location_id, quantity, performed_by, performed_at)
                 VALUES ('dispense', '{item}', '{p}', 50, '{pharmacist}', now() - interval '40 days')
                 RETURNING id)
             INSERT INTO stock_ledger (movement_id, item_id, lot_id, location_id, delta)
             SELECT id, '{item}', '{lot}', '{p}', -50 FROM m",
            p = s.pharmacy
        ),
    )
    .expect("old dispense");
    execute(
        &s.app,
        &format!(
            "UPDATE stock_balances SET quantity = quantity - 50
             WHERE lot_id = '{lot}' AND location_id = '{}'",
            s.pharmacy
        ),
    )
    .expect("old dispense balance");
    s.dispensed(item, s.pharmacy, 4).await;
    s.dispensed(item, s.pharmacy, 5).await;
    // A transfer out is not dispensing.
    created(
        &s.movement(
            "transfer",
            &json!({"item_id": item, "from_location_id": s.pharmacy,
                    "to_location_id": s.ward, "quantity": 5}),
        )
        .await,
    );

    let stock = s.get(&format!("/stock?location_id={}", s.pharmacy)).await;
    let level = |id: Uuid| {
        stock["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["item_id"] == id.to_string())
            .cloned()
            .expect("a level")
    };

    // 100 - 50 - 9 - 5 = 36 usable; 9 in 30 days: 36 * 30 / 9 = 120 days.
    let amox = level(item);
    assert_eq!(amox["on_hand"], 36);
    assert_eq!(amox["dispensed_30d"], 9);
    assert_eq!(amox["days_of_supply"], 120.0);
    assert_eq!(level(idle)["dispensed_30d"], 0);
    assert_eq!(level(idle)["days_of_supply"], Value::Null);
    s.dispensed(item, s.pharmacy, 2).await;
    // 34 * 30 / 11 = 92.72…, to one decimal.
    let detail = s.get(&format!("/items/{item}")).await;
    let at_pharmacy = detail["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location_id"] == s.pharmacy.to_string())
        .cloned()
        .unwrap();
    assert_eq!(at_pharmacy["dispensed_30d"], 11);
    assert_eq!(at_pharmacy["days_of_supply"], 92.7);
    let at_ward = detail["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location_id"] == s.ward.to_string())
        .cloned()
        .unwrap();
    assert_eq!(at_ward["dispensed_30d"], 0);
}

#[actix_rt::test]
async fn the_expiring_view_lists_expired_and_soon_expiring_lots_only() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    let other = s.drug("PARA-500", "Paracetamol 500 mg", 0).await;
    s.received(item, s.pharmacy, 5, "GONE", day(20)).await;
    s.set_expiry(s.lot_id(item, "GONE"), day(-5));
    s.received(item, s.pharmacy, 6, "SOON", day(10)).await;
    s.received(other, s.ward, 7, "SOON-W", day(12)).await;
    s.received(item, s.pharmacy, 8, "LATER", day(45)).await;
    s.received(item, s.pharmacy, 9, "FAR", day(400)).await;
    // A lot that is soon to expire but used up is not listed.
    s.received(other, s.pharmacy, 2, "EMPTY", day(5)).await;
    s.dispensed(other, s.pharmacy, 2).await;

    let lots = |page: &Value| -> Vec<(String, i64, i64)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["lot_number"].as_str().unwrap().to_owned(),
                    l["days_left"].as_i64().unwrap(),
                    l["quantity"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let lot = |n: &str, days: i64, q: i64| (n.to_owned(), days, q);

    assert_eq!(
        lots(&s.get("/expiring?days=30").await),
        vec![lot("GONE", -5, 5), lot("SOON", 10, 6), lot("SOON-W", 12, 7)]
    );
    assert_eq!(
        lots(&s.get("/expiring").await),
        lots(&s.get("/expiring?days=30").await),
        "30 days by default"
    );
    assert_eq!(
        lots(&s.get("/expiring?days=60").await),
        vec![
            lot("GONE", -5, 5),
            lot("SOON", 10, 6),
            lot("SOON-W", 12, 7),
            lot("LATER", 45, 8)
        ]
    );
    assert_eq!(
        lots(&s.get("/expiring?days=0").await),
        vec![lot("GONE", -5, 5)]
    );
    assert_eq!(
        lots(
            &s.get(&format!("/expiring?days=30&location_id={}", s.ward))
                .await
        ),
        vec![lot("SOON-W", 12, 7)]
    );
    let first = s.get("/expiring?days=60&limit=3").await;
    let rest = s
        .get(&format!(
            "/expiring?days=60&limit=3&cursor={}",
            first["next_cursor"].as_str().expect("a second page")
        ))
        .await;
    assert_eq!(lots(&rest), vec![lot("LATER", 45, 8)]);
    for bad in ["days=-1", "days=3651", "cursor=nope!"] {
        let reply = s
            .app
            .get(&inv(&format!("/expiring?{bad}")), Some(&s.nurse))
            .await;
        assert_eq!(reply.status, 422, "{bad}: {}", text(&reply));
    }
}

#[actix_rt::test]
async fn the_item_search_ignores_case_and_accents_and_filters_low_stock() {
    let s = store().await;
    let para = s.drug("PARA-500", "Paracétamol 500 mg", 10).await;
    let ibu = s.drug("IBU-400", "Ibuprofen 400 mg", 10).await;
    let never = s.drug("ZINC-10", "Zinc 10 mg", 10).await;
    s.received(para, s.pharmacy, 50, "P1", day(60)).await;
    s.received(para, s.ward, 5, "P1", day(60)).await;
    s.received(ibu, s.pharmacy, 50, "I1", day(60)).await;

    let ids = |page: &Value| -> Vec<Uuid> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| uuid(&i["id"]))
            .collect()
    };

    for q in ["PARACETAMOL", "paracétamol", "Cétamol", "para-5"] {
        assert_eq!(
            ids(&s.get(&format!("/items?q={}", urlencode(q))).await),
            vec![para],
            "{q}"
        );
    }
    assert_eq!(ids(&s.get("/items?q=aspirin").await), Vec::<Uuid>::new());
    assert_eq!(ids(&s.get("/items?q=500").await), vec![para]);
    assert_eq!(ids(&s.get("/items").await), vec![ibu, para, never]);
    // Paracetamol is low at the ward (5 <= 10); ibuprofen nowhere; zinc was never stocked.
    let low = s.get("/items?low_stock=true").await;
    assert_eq!(ids(&low), vec![para]);
    assert_eq!(low["items"][0]["low_stock"], true);
    assert_eq!(low["items"][0]["on_hand"], 55);

    let first = s.get("/items?limit=2").await;
    let rest = s
        .get(&format!(
            "/items?limit=2&cursor={}",
            first["next_cursor"].as_str().expect("a second page")
        ))
        .await;
    assert_eq!(ids(&first), vec![ibu, para]);
    assert_eq!(ids(&rest), vec![never]);
    invalid(
        &s.app
            .get(&inv("/items?cursor=bm9waXBl"), Some(&s.nurse))
            .await,
        "cursor",
    );
}

#[actix_rt::test]
async fn the_item_list_pages_through_names_with_accented_capitals_without_skipping_any() {
    let s = store().await;
    let mut made = Vec::new();
    for (sku, name) in [
        ("E-1", "Éosine 2 % A"),
        ("E-2", "Éosine 2 % B"),
        ("E-3", "Éosine 2 % C"),
        ("E-4", "Éosine 2 % D"),
    ] {
        made.push(s.drug(sku, name, 0).await);
    }

    let seen = s.items_one_page_at_a_time().await;

    assert_eq!(seen, made);
}

#[actix_rt::test]
async fn the_movement_ledger_lists_newest_first_with_filters_and_cursors() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    let other = s.drug("PARA-500", "Paracetamol 500 mg", 0).await;
    let mut ids = Vec::new();
    ids.push(uuid(
        &s.received(item, s.pharmacy, 20, "L1", day(60)).await["id"],
    ));
    ids.push(uuid(
        &s.received(other, s.pharmacy, 20, "P1", day(60)).await["id"],
    ));
    for _ in 0..3 {
        ids.push(uuid(&s.dispensed(item, s.pharmacy, 1).await["id"]));
    }
    ids.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/movements?limit=2&cursor={c}"),
            None => "/movements?limit=2".to_owned(),
        };
        let page = s.get(&path).await;
        for m in page["items"].as_array().unwrap() {
            seen.push(uuid(&m["id"]));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let dispenses = s.get("/movements?kind=dispense").await;
    let of_other = s.get(&format!("/movements?item_id={other}")).await;

    assert_eq!(seen, ids);
    assert_eq!(dispenses["items"].as_array().unwrap().len(), 3);
    assert_eq!(of_other["items"].as_array().unwrap().len(), 1);
    assert_eq!(of_other["items"][0]["lines"][0]["lot_number"], "P1");
    invalid(
        &s.app
            .get(&inv("/movements?cursor=e30"), Some(&s.nurse))
            .await,
        "cursor",
    );
    s.app
        .get(
            &inv(&format!("/movements/{}", Uuid::new_v4())),
            Some(&s.nurse),
        )
        .await
        .assert_problem(404, "not-found");
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_rt::test]
async fn an_item_whose_stock_has_expired_is_low_in_the_item_list_as_in_the_stock_view() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 10).await;
    s.received(item, s.pharmacy, 30, "OLD", day(20)).await;
    s.set_expiry(s.lot_id(item, "OLD"), day(-1));

    let stock = s.get(&format!("/stock?item_id={item}")).await;
    let items = s.get("/items?low_stock=true").await;
    let detail = s.get(&format!("/items/{item}")).await;

    // Nothing usable is left: the stock view says low...
    assert_eq!(stock["items"][0]["low"], true);
    assert_eq!(stock["items"][0]["expired"], 30);
    // ...and so must the catalogue.
    assert_eq!(detail["item"]["low_stock"], true);
    assert_eq!(items["items"].as_array().unwrap().len(), 1);
}

#[actix_rt::test]
async fn the_item_search_matches_percent_signs_and_underscores_literally() {
    let s = store().await;
    let underscored = s.drug("AMOX_500", "Amoxicillin 500 mg", 0).await;
    s.drug("AMOX-500", "Amoxicillin 500 mg (other supplier)", 0)
        .await;
    let percent = s.drug("EOS-2", "Eosin 2 % solution", 0).await;

    let ids = |page: &Value| -> Vec<Uuid> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| uuid(&i["id"]))
            .collect()
    };

    assert_eq!(
        ids(&s.get("/items?q=amox_500").await),
        vec![underscored],
        "_ is not a wildcard"
    );
    assert_eq!(
        ids(&s.get(&format!("/items?q={}", urlencode("2 %"))).await),
        vec![percent],
        "% is not a wildcard"
    );
    assert_eq!(
        ids(&s.get(&format!("/items?q={}", urlencode("%"))).await),
        vec![percent]
    );
}

#[actix_rt::test]
async fn concurrent_receipts_of_a_new_lot_create_it_once() {
    let s = store_with(|c| {
        c.db_pool_size = 12;
        c.workers = 4;
    })
    .await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    let body = |location: Uuid| {
        json!({"item_id": item, "location_id": location, "quantity": 5,
               "lot_number": "FRESH", "expires_on": day(100)})
    };

    let replies = futures_util::future::join_all(
        (0..12).map(|i| s.receive(body(if i % 2 == 0 { s.pharmacy } else { s.ward }))),
    )
    .await;

    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", text(reply));
    }
    assert_eq!(count(&s.app, "SELECT count(*) AS n FROM stock_lots"), 1);
    assert_eq!(count(&s.app, "SELECT count(*) AS n FROM stock_balances"), 2);
    assert_eq!(s.on_hand(item, s.pharmacy), 30);
    assert_eq!(s.on_hand(item, s.ward), 30);
    assert_eq!(balances_differing_from_ledger(&s.app), (0, 0));
}

#[actix_rt::test]
async fn concurrent_retries_of_one_dispense_with_one_idempotency_key_dispense_once() {
    let s = store_with(|c| {
        c.db_pool_size = 8;
        c.workers = 4;
    })
    .await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 0).await;
    s.received(item, s.pharmacy, 10, "L1", day(60)).await;
    let body = json!({"item_id": item, "location_id": s.pharmacy, "quantity": 4});
    let key = [("Idempotency-Key", "retry-storm")];
    let path = inv("/movements/dispense");

    let replies = futures_util::future::join_all(
        (0..8).map(|_| send(&s.app, "POST", &path, &s.nurse, &key, &body)),
    )
    .await;

    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", text(reply));
        assert_eq!(reply.json()["id"], replies[0].json()["id"]);
    }
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.header("idempotent-replayed").is_none())
            .count(),
        1
    );
    assert_eq!(s.on_hand(item, s.pharmacy), 6);
}

#[actix_rt::test]
async fn concurrent_actions_on_one_shortage_let_exactly_one_through() {
    let s = store_with(|c| {
        c.db_pool_size = 10;
        c.workers = 4;
    })
    .await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 5).await;
    let id = id_of(&s.report(&s.nurse, item, s.ward, "high").await);
    let pharmacists: Vec<String> = (0..10).map(|_| s.app.token(Role::Pharmacist)).collect();
    let path = inv(&format!("/shortages/{id}/acknowledge"));
    let empty = json!({});

    let replies = futures_util::future::join_all(
        pharmacists
            .iter()
            .map(|t| s.app.post(&path, Some(t), &empty)),
    )
    .await;

    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 409, 412].contains(s)),
        "{statuses:?}"
    );
    let shortage = s.get(&format!("/shortages/{id}")).await;
    assert_eq!(shortage["status"], "acknowledged");
    assert_eq!(shortage["version"], 2);
    assert_eq!(shortage["history"].as_array().unwrap().len(), 2);
}

#[actix_rt::test]
async fn a_transfer_or_count_that_restores_the_level_resolves_the_shortage_there() {
    let s = store().await;
    let item = s.drug("AMOX-500", "Amoxicillin 500 mg", 10).await;
    s.received(item, s.pharmacy, 100, "L1", day(60)).await;
    s.received(item, s.ward, 12, "L1", day(60)).await;
    let at_ward = uuid(&s.dispensed(item, s.ward, 5).await["opened_shortage_id"]);

    let topped_up = created(
        &s.movement(
            "transfer",
            &json!({"item_id": item, "from_location_id": s.pharmacy,
                    "to_location_id": s.ward, "quantity": 20}),
        )
        .await,
    );
    let resolved = s.get(&format!("/shortages/{at_ward}")).await;
    let again = uuid(&s.dispensed(item, s.ward, 20).await["opened_shortage_id"]);
    created(
        &s.movement(
            "adjust",
            &json!({"item_id": item, "location_id": s.ward, "lot_id": s.lot_id(item, "L1"),
                    "counted": 40, "reason": "Delivery counted twice by mistake"}),
        )
        .await,
    );
    let counted = s.get(&format!("/shortages/{again}")).await;

    assert!(topped_up.get("opened_shortage_id").is_none());
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(counted["status"], "resolved");
    assert_eq!(
        count(
            &s.app,
            "SELECT count(*) AS n FROM shortages WHERE status <> 'resolved'"
        ),
        0
    );
}

#[actix_rt::test]
async fn unknown_items_movements_and_shortages_are_not_found() {
    let s = store().await;
    let nobody = Uuid::new_v4();

    for path in [
        format!("/items/{nobody}"),
        format!("/items/{nobody}/lots"),
        format!("/movements/{nobody}"),
        format!("/shortages/{nobody}"),
    ] {
        s.app
            .get(&inv(&path), Some(&s.nurse))
            .await
            .assert_problem(404, "not-found");
    }
    let patient = s.app.token(Role::Patient);
    s.app
        .get(&inv("/items"), Some(&patient))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_rt::test]
async fn the_item_list_pages_through_names_whose_lower_case_differs_between_rust_and_postgres() {
    let s = store().await;
    let mut made = Vec::new();
    for (sku, name) in [
        ("TR-1", "İYOT 10 % A"),
        ("TR-2", "İYOT 10 % B"),
        ("GR-1", "ΟΞΥΣ A"),
        ("GR-2", "ΟΞΥΣ B"),
    ] {
        made.push(s.drug(sku, name, 0).await);
    }

    let seen = s.items_one_page_at_a_time().await;

    let mut all = s.get("/items?limit=200").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| uuid(&i["id"]))
        .collect::<Vec<_>>();
    assert_eq!(all.len(), 4);
    assert_eq!(
        seen, all,
        "paging one by one must give the whole list in order"
    );
    all.sort();
    made.sort();
    assert_eq!(all, made);
}
