//! Failover drill on a pg_auto_failover formation: lose the primary's host while writing, and
//! check that no acknowledged commit is lost and that the old primary rejoins as a standby.
//!
//! Needs `pg_autoctl` (Debian package `postgresql-15-auto-failover`; `.ci/run` installs it).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use pg_harness::ha::{psql, HaCluster};

/// One INSERT attempt of the writer: its id, when psql started and returned, and whether the
/// row was acknowledged (psql exited 0 after the commit).
struct Attempt {
    id: u64,
    started: Instant,
    done: Instant,
    acked: bool,
}

/// Inserts ids 1, 2, 3, ... through `url`, one psql per row, until `stop` is set.
fn writer(url: String, stop: Arc<AtomicBool>, log: Arc<Mutex<Vec<Attempt>>>) {
    let mut id = 0;
    while !stop.load(Ordering::Relaxed) {
        id += 1;
        let started = Instant::now();
        let acked = psql(&url, &format!("insert into t(id) values ({id})")).is_ok();
        log.lock().unwrap().push(Attempt {
            id,
            started,
            done: Instant::now(),
            acked,
        });
        if !acked {
            thread::sleep(Duration::from_millis(50));
        }
    }
}

fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn losing_the_primary_host_promotes_the_standby_and_loses_no_acknowledged_commit() {
    let t0 = Instant::now();
    let mut cluster = HaCluster::start("db").expect("start the formation");
    let setup = t0.elapsed();
    let write_url = cluster.write_url("db");
    psql(
        &write_url,
        "create table t(id bigint primary key, at timestamptz not null default clock_timestamp())",
    )
    .expect("create table");

    // Write for a while before the kill.
    let stop = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Vec::new()));
    let load = {
        let (url, stop, log) = (write_url.clone(), stop.clone(), log.clone());
        thread::spawn(move || writer(url, stop, log))
    };
    let acked = |log: &Mutex<Vec<Attempt>>| log.lock().unwrap().iter().filter(|a| a.acked).count();
    wait_for(Duration::from_secs(10), "30 rows are acknowledged", || {
        acked(&log) >= 30
    });

    let (old, killed_at) = cluster.kill_primary().expect("kill the primary");
    // Reads keep working on the standby while nothing accepts writes.
    let read_url = cluster.read_url("db");
    let rows = psql(&read_url, "select count(*) from t").expect("read during the outage");
    assert!(rows.parse::<usize>().unwrap() >= 30, "rows visible: {rows}");
    let writable_at = cluster
        .wait_for_new_primary(old, Duration::from_secs(30))
        .expect("a standby is promoted");
    let new = 1 - old;

    // Writes through the multi-host URL must come back by themselves. Only an INSERT started
    // after the kill counts: one in flight at the kill may still be acknowledged by the old
    // primary.
    let first_write_after_kill = || {
        let log = log.lock().unwrap();
        let first = log.iter().find(|a| a.acked && a.started > killed_at);
        first.map(|a| a.done)
    };
    wait_for(
        Duration::from_secs(20),
        "a write started after the kill is acknowledged",
        || first_write_after_kill().is_some(),
    );
    let first_write_at = first_write_after_kill().unwrap();
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    load.join().expect("writer thread");

    // Every acknowledged id is on the new primary.
    let attempts = std::mem::take(&mut *log.lock().unwrap());
    let acked_ids: BTreeSet<u64> = attempts.iter().filter(|a| a.acked).map(|a| a.id).collect();
    let failed = attempts.len() - acked_ids.len();
    let present: BTreeSet<u64> = psql(&write_url, "select id from t")
        .expect("read back")
        .lines()
        .map(|l| l.parse().expect("an id"))
        .collect();
    let lost: Vec<u64> = acked_ids.difference(&present).copied().collect();
    let unacked_present = present.difference(&acked_ids).count();
    let primary_port = psql(&write_url, "show port").expect("show port");
    assert_eq!(
        primary_port,
        cluster.ports()[new].to_string(),
        "writes go to the promoted node"
    );

    eprintln!(
        "[ha] setup {setup:.1?}; kill -> standby writable {:.2?}; kill -> first acknowledged \
         write {:.2?}; acked rows {}; failed attempts {failed}; lost acked rows {}; committed \
         but not acked {unacked_present}",
        writable_at - killed_at,
        first_write_at - killed_at,
        acked_ids.len(),
        lost.len(),
    );
    assert!(
        lost.is_empty(),
        "acknowledged rows missing after failover: {lost:?}"
    );
    // About 5-6 s with the harness's tuning; pg_auto_failover's defaults take about 50 s.
    assert!(
        writable_at - killed_at < Duration::from_secs(15),
        "failover took too long: is the monitor's tuning applied?"
    );

    // The old primary rejoins as a synchronous standby and catches up.
    let healing = Instant::now();
    cluster.heal(Duration::from_secs(30)).expect("heal");
    let rejoin = healing.elapsed();
    assert_eq!(cluster.state(old).unwrap(), "secondary/secondary");
    assert_eq!(cluster.state(new).unwrap(), "primary/primary");
    assert_eq!(cluster.primary().unwrap(), new);
    let urls = cluster.node_urls("db");
    assert_eq!(
        psql(&urls[old], "select pg_is_in_recovery()").unwrap(),
        "t",
        "the old primary is a standby now"
    );
    assert_eq!(
        psql(&read_url, "select pg_is_in_recovery()").unwrap(),
        "t",
        "prefer-standby reads go to the standby"
    );
    let sums = "select count(*) || ',' || coalesce(sum(id), 0) from t";
    let on_primary = psql(&urls[new], sums).unwrap();
    wait_for(
        Duration::from_secs(10),
        "the rejoined standby has the same rows",
        || psql(&urls[old], sums).is_ok_and(|s| s == on_primary),
    );

    eprintln!("[ha] rejoin {rejoin:.1?}; whole test {:.1?}", t0.elapsed());
}
