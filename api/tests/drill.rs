//! The outage drill: the failure that started this project, reproduced end to end.
//!
//! A primary and a synchronous standby run under pg_auto_failover; the API runs on both URLs
//! (writes: `target_session_attrs=read-write`, reads: `prefer-standby`). While a mixed load
//! runs (reads of appointments, records and stock; vital signs written with idempotency keys
//! and retried like a client would; shortage reports), the primary's host is killed. The HA
//! manager promotes the standby. Then the drill checks what the postmortem's hospital lacked:
//! reads kept working, refused writes were fast 503s with `Retry-After`, shortage reports were
//! never refused (kept in the journal and written once), no acknowledged write is missing, and
//! retries created no duplicates. It prints the figures.

/// Writes straight to the process's stderr: the test harness captures `eprintln!` of passing
/// tests, and these figures must show in the test command's output.
macro_rules! report {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

use std::cell::RefCell;
use std::net::TcpListener;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use hms_api::config::Settings;
use hms_api::db;
use hms_api::startup::Application;
use pg_harness::ha::HaCluster;
use serde_json::{json, Value};
use uuid::Uuid;

const SECRET: &str = "drill-secret-drill-secret-drill-secret";
/// How long a refused write may take: the pool's connect timeout plus slack.
const FAST_FAILURE: Duration = Duration::from_millis(3500);

/// One answered (or failed) request.
#[derive(Debug, Clone)]
struct Call {
    started: Instant,
    elapsed: Duration,
    /// 0 when no HTTP answer came back.
    status: u16,
    retry_after: bool,
}

#[derive(Default)]
struct Log {
    reads: Vec<Call>,
    writes: Vec<Call>,
    /// Vital-sign writes acknowledged with 201: their unique `measured_at`.
    acked_vitals: Vec<DateTime<Utc>>,
    /// Every vital-sign write attempted (acknowledged or not).
    attempted_vitals: Vec<DateTime<Utc>>,
    /// Shortage reports: (marker note, status of the final answer).
    reports: Vec<(String, u16)>,
    report_calls: Vec<Call>,
}

struct Client {
    http: awc::Client,
    base: String,
}

impl Client {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> (Call, Value) {
        let started = Instant::now();
        let url = format!("{}{}", self.base, path);
        let mut req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        }
        .insert_header(("Authorization", format!("Bearer {token}")));
        if let Some(key) = key {
            req = req.insert_header(("Idempotency-Key", key));
        }
        let res = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        match res {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let retry_after = res.headers().contains_key("retry-after");
                let value = res
                    .json::<Value>()
                    .limit(4 << 20)
                    .await
                    .unwrap_or(Value::Null);
                (
                    Call {
                        started,
                        elapsed: started.elapsed(),
                        status,
                        retry_after,
                    },
                    value,
                )
            }
            Err(_) => (
                Call {
                    started,
                    elapsed: started.elapsed(),
                    status: 0,
                    retry_after: false,
                },
                Value::Null,
            ),
        }
    }

    async fn login(&self, email: &str) -> String {
        let res = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .send_json(&json!({"email": email, "password": "hms-demo-password"}))
            .await;
        let mut res = res.expect("login");
        assert_eq!(res.status().as_u16(), 200, "login of {email}");
        let body: Value = res.json().await.expect("login body");
        body["access_token"].as_str().expect("token").to_owned()
    }
}

async fn sleep(ms: u64) {
    actix_rt::time::sleep(Duration::from_millis(ms)).await;
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Note {
    #[diesel(sql_type = Text)]
    note: String,
}

#[actix_rt::test]
async fn losing_the_primary_costs_seconds_of_writes_no_reads_and_no_acknowledged_data() {
    let _ = env_logger::builder().is_test(true).try_init();
    let t0 = Instant::now();
    let ha = HaCluster::start("hms").expect("start the pg_auto_failover formation");
    let formation_secs = t0.elapsed().as_secs_f64();

    let mut settings = Settings::for_database(&ha.write_url("hms"), SECRET);
    settings.read_database_url = Some(ha.read_url("hms"));
    settings.db_connect_timeout = Duration::from_secs(2);
    settings.db_pool_size = 8;
    settings.workers = 2;
    settings.static_dir = "/nonexistent".into();
    let pool = db::build_pool(&settings);
    {
        let mut conn = pool.get().expect("connect to the primary");
        db::migrate(&mut conn).expect("migrate");
        hms_api::demo::seed(&mut conn).expect("demo data");
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build_with(settings, pool.clone(), listener).expect("build");
    let client = Rc::new(Client {
        http: awc::Client::builder()
            .timeout(Duration::from_secs(20))
            .finish(),
        base: format!("http://127.0.0.1:{}", app.port()),
    });
    actix_rt::spawn(app.run_until_stopped());

    let nurse = client.login("nurse@demo.hms").await;
    let reception = client.login("reception@demo.hms").await;
    let pharmacist = client.login("pharmacist@demo.hms").await;
    let (_, patients) = client
        .send("GET", "/api/v1/patients?limit=1", &nurse, None, None)
        .await;
    let patient = patients["items"][0]["id"]
        .as_str()
        .expect("a demo patient")
        .to_owned();
    let (_, items) = client
        .send(
            "GET",
            "/api/v1/inventory/items?limit=1",
            &pharmacist,
            None,
            None,
        )
        .await;
    let item = items["items"][0]["id"]
        .as_str()
        .expect("a demo item")
        .to_owned();
    let (_, locations) = client
        .send(
            "GET",
            "/api/v1/inventory/locations",
            &pharmacist,
            None,
            None,
        )
        .await;
    let location = locations[0]["id"].as_str().expect("a location").to_owned();
    let today = Utc::now().date_naive();

    let log = Rc::new(RefCell::new(Log::default()));
    let stop = Rc::new(RefCell::new(false));
    let mut tasks = Vec::new();

    // Readers: appointments of the day, a patient's summary (audited), stock of a location.
    let reads = [
        (
            format!("/api/v1/appointments?date={today}"),
            reception.clone(),
        ),
        (format!("/api/v1/patients/{patient}/summary"), nurse.clone()),
        (
            format!("/api/v1/inventory/stock?location_id={location}&limit=20"),
            pharmacist.clone(),
        ),
    ];
    for (path, token) in reads {
        let (client, log, stop) = (client.clone(), log.clone(), stop.clone());
        tasks.push(actix_rt::spawn(async move {
            while !*stop.borrow() {
                let (call, _) = client.send("GET", &path, &token, None, None).await;
                log.borrow_mut().reads.push(call);
                sleep(40).await;
            }
        }));
    }

    // Two writers of vital signs. Each write has its own key and a unique measurement time;
    // like a careful client, a writer retries the same write (same key) until it is answered
    // 201, so an ambiguous failure can never turn into a duplicate.
    let base_time = Utc::now() - chrono::Duration::hours(2);
    for writer in 0..2i64 {
        let (client, log, stop) = (client.clone(), log.clone(), stop.clone());
        let (patient, nurse) = (patient.clone(), nurse.clone());
        tasks.push(actix_rt::spawn(async move {
            let mut n = 0i64;
            while !*stop.borrow() {
                let measured_at = base_time + chrono::Duration::milliseconds(writer + 2 * n);
                n += 1;
                let key = Uuid::new_v4().to_string();
                let body =
                    json!({"measured_at": measured_at, "heart_rate_bpm": 72, "spo2_percent": 98});
                log.borrow_mut().attempted_vitals.push(measured_at);
                loop {
                    let (call, _) = client
                        .send(
                            "POST",
                            &format!("/api/v1/patients/{patient}/vitals"),
                            &nurse,
                            Some(&body),
                            Some(&key),
                        )
                        .await;
                    let status = call.status;
                    log.borrow_mut().writes.push(call);
                    if status == 201 {
                        log.borrow_mut().acked_vitals.push(measured_at);
                        break;
                    }
                    if *stop.borrow() {
                        break;
                    }
                    sleep(100).await;
                }
                sleep(30).await;
            }
        }));
    }

    // A nurse reporting shortages, each with a marker note and a key, retried until answered
    // 201 (written) or 202 (kept in the journal).
    {
        let (client, log, stop) = (client.clone(), log.clone(), stop.clone());
        let (item, location, nurse) = (item.clone(), location.clone(), nurse.clone());
        tasks.push(actix_rt::spawn(async move {
            let mut m = 0;
            while !*stop.borrow() {
                m += 1;
                let note = format!("drill report {m} {}", Uuid::new_v4());
                let key = Uuid::new_v4().to_string();
                let body = json!({"item_id": item, "location_id": location, "severity": "high", "note": note});
                loop {
                    let (call, _) = client
                        .send("POST", "/api/v1/inventory/shortages", &nurse, Some(&body), Some(&key))
                        .await;
                    let status = call.status;
                    log.borrow_mut().report_calls.push(call);
                    if status == 201 || status == 202 || *stop.borrow() {
                        log.borrow_mut().reports.push((note.clone(), status));
                        break;
                    }
                    sleep(100).await;
                }
                sleep(150).await;
            }
        }));
    }

    // The outage: after three seconds of normal load, the primary's host dies.
    sleep(3000).await;
    let killer = std::thread::spawn(move || {
        let mut ha = ha;
        let (old, killed_at) = ha.kill_primary().expect("kill the primary");
        let promoted_at = ha
            .wait_for_new_primary(old, Duration::from_secs(60))
            .expect("the standby is promoted");
        (ha, killed_at, promoted_at)
    });
    while !killer.is_finished() {
        sleep(100).await;
    }
    let (mut ha, killed_at, promoted_at) = killer.join().expect("killer thread");

    // Keep the load on until writes flow again, and a little longer.
    let resumed_by = Instant::now() + Duration::from_secs(30);
    loop {
        let first_write = log
            .borrow()
            .writes
            .iter()
            .filter(|c| c.status == 201 && c.started > promoted_at)
            .map(|c| c.started + c.elapsed)
            .min();
        if first_write.is_some() || Instant::now() > resumed_by {
            break;
        }
        sleep(100).await;
    }
    sleep(2000).await;
    *stop.borrow_mut() = true;
    for task in tasks {
        task.await.expect("load task");
    }

    // The journal drains once the primary is back.
    let drain_by = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, status) = client
            .send("GET", "/api/v1/status", &nurse, None, None)
            .await;
        if status["pending_writes"] == 0 && status["mode"] == "normal" {
            break;
        }
        assert!(
            Instant::now() < drain_by,
            "the journal did not drain: {status}"
        );
        sleep(200).await;
    }

    // ---- What happened ----------------------------------------------------------------
    let log = log.borrow();
    let outage = |c: &Call| c.started >= killed_at && c.started < promoted_at;
    let outage_reads: Vec<&Call> = log.reads.iter().filter(|c| outage(c)).collect();
    let failed_reads = outage_reads.iter().filter(|c| c.status != 200).count();
    let all_failed_reads = log.reads.iter().filter(|c| c.status != 200).count();
    let refused: Vec<&Call> = log.writes.iter().filter(|c| c.status != 201).collect();
    let slow_or_bad_refusals: Vec<&&Call> = refused
        .iter()
        .filter(|c| c.status != 503 || !c.retry_after || c.elapsed > FAST_FAILURE)
        .collect();
    let first_write_after = log
        .writes
        .iter()
        .filter(|c| c.status == 201 && c.started > promoted_at)
        .map(|c| c.started + c.elapsed)
        .min()
        .expect("a write succeeded after the promotion");
    let journaled = log.reports.iter().filter(|(_, s)| *s == 202).count();
    let refused_reports = log
        .reports
        .iter()
        .filter(|(_, s)| *s != 201 && *s != 202)
        .count();

    // Check against the new primary: every acknowledged write is there, once.
    let mut conn = pool.get().expect("connect to the new primary");
    let mut missing = 0;
    let mut duplicates = 0;
    for at in &log.attempted_vitals {
        let n = diesel::sql_query(
            "SELECT count(*) AS n FROM vitals WHERE patient_id = $1::uuid AND measured_at = $2",
        )
        .bind::<Text, _>(&patient)
        .bind::<diesel::sql_types::Timestamptz, _>(at)
        .get_result::<Count>(&mut conn)
        .expect("count vitals")
        .n;
        if n > 1 {
            duplicates += n - 1;
        }
        if n == 0 && log.acked_vitals.contains(at) {
            missing += 1;
        }
    }
    let notes: Vec<String> =
        diesel::sql_query("SELECT note FROM shortages WHERE note LIKE 'drill report %'")
            .load::<Note>(&mut conn)
            .expect("reports")
            .into_iter()
            .map(|n| n.note)
            .collect();
    let mut reports_missing = 0;
    let mut reports_duplicated = 0;
    for (note, status) in &log.reports {
        let n = notes.iter().filter(|x| *x == note).count();
        if (*status == 201 || *status == 202) && n == 0 {
            reports_missing += 1;
        }
        if n > 1 {
            reports_duplicated += n - 1;
        }
    }
    let _ = ha.heal(Duration::from_secs(60));

    let secs = |d: Duration| d.as_secs_f64();
    report!("\n== outage drill ==============================================");
    report!("formation setup                       {formation_secs:>8.1} s");
    report!(
        "kill → promotion                      {:>8.2} s",
        secs(promoted_at - killed_at)
    );
    report!(
        "promotion → first API write           {:>8.2} s",
        secs(first_write_after.saturating_duration_since(promoted_at))
    );
    report!(
        "reads during the outage               {:>8} ({} failed, success {:.1}%)",
        outage_reads.len(),
        failed_reads,
        100.0 * (outage_reads.len() - failed_reads) as f64 / outage_reads.len().max(1) as f64
    );
    report!(
        "reads in the whole run                {:>8} ({} failed)",
        log.reads.len(),
        all_failed_reads
    );
    report!(
        "writes acknowledged / refused         {:>8} / {} (slowest refusal {:.2} s)",
        log.acked_vitals.len(),
        refused.len(),
        refused.iter().map(|c| secs(c.elapsed)).fold(0.0, f64::max)
    );
    report!("acknowledged writes lost              {missing:>8}");
    report!("duplicates from retries               {duplicates:>8}");
    report!(
        "shortage reports / kept in journal    {:>8} / {journaled} (refused {refused_reports}, missing {reports_missing}, duplicated {reports_duplicated})",
        log.reports.len()
    );
    report!("==============================================================\n");

    assert_eq!(
        missing, 0,
        "acknowledged writes are missing after the failover"
    );
    assert_eq!(
        duplicates, 0,
        "client retries created duplicate vital signs"
    );
    assert!(
        slow_or_bad_refusals.is_empty(),
        "every refused write must be a fast 503 with Retry-After: {slow_or_bad_refusals:?}"
    );
    assert!(
        !outage_reads.is_empty(),
        "the load generator made no reads during the outage"
    );
    assert!(
        failed_reads * 100 <= outage_reads.len(),
        "reads must keep working while the primary is down: {failed_reads} of {} failed",
        outage_reads.len()
    );
    assert_eq!(refused_reports, 0, "a shortage report was refused");
    assert!(
        journaled > 0,
        "no shortage report went to the journal: the outage was not exercised"
    );
    assert_eq!(reports_missing, 0, "an accepted shortage report is missing");
    assert_eq!(reports_duplicated, 0, "a shortage report was written twice");
    assert!(
        first_write_after.saturating_duration_since(promoted_at) < Duration::from_secs(5),
        "writes must resume within seconds of the promotion"
    );
}
