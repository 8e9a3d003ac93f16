//! `cargo xtask run --ha`: the whole system on a highly available database, to try a failover
//! by hand. A pg_auto_failover formation (monitor, primary, synchronous standby) starts in a
//! temporary folder; the API writes through the primary and reads from the standby while the
//! primary is gone. Commands typed in the terminal drive the outage:
//!
//! - `kill`   kill the primary's host (keeper, postmaster and backends, `kill -9`)
//! - `heal`   restart the dead node: it rejoins as the standby (pg_rewind)
//! - `state`  show which node is what
//!
//! The formation's data is thrown away on exit (the single-server `cargo xtask run` keeps its
//! data in `.hms/pg`).

use std::io::BufRead;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pg_harness::ha::HaCluster;

use crate::{
    cargo, http, ignore_interrupts, local_jwt_secret, root, sh, target_dir, tools, web, Result,
};

pub fn run() -> Result<()> {
    let started = Instant::now();
    tools::setup(false)?;
    web()?;
    sh(cargo().args(["build", "--release", "-p", "hms-api"]))?;
    let secret = local_jwt_secret()?;
    eprintln!("xtask: starting a pg_auto_failover formation (monitor, primary, standby)…");
    let cluster = HaCluster::start("hms").map_err(|e| format!("HA formation: {e}"))?;
    let write_url = cluster.write_url("hms");
    let read_url = cluster.read_url("hms");
    eprintln!("xtask: formation ready in {}", cluster.dir().display());
    let bind = std::env::var("HMS_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let mut server = Command::new(target_dir().join("release/hms"))
        .args(["serve", "--demo"])
        .current_dir(root())
        .env("DATABASE_URL", &write_url)
        .env("HMS_READ_DATABASE_URL", &read_url)
        .env("HMS_JOURNAL_DIR", root().join(".hms/journal-ha"))
        .env("HMS_DB_CONNECT_TIMEOUT_MS", "2000")
        .env("HMS_JWT_SECRET", &secret)
        .env("HMS_BIND", &bind)
        .env("HMS_STATIC_DIR", root().join("web/dist"))
        .env(
            "HMS_TIMEZONE",
            std::env::var("HMS_TIMEZONE").unwrap_or_else(|_| "Europe/Lisbon".into()),
        )
        .spawn()
        .map_err(|e| format!("starting the API: {e}"))?;
    ignore_interrupts();
    if http::wait_ready(&bind, Duration::from_secs(120)) {
        eprintln!(
            "\nHMS is running on a primary and a synchronous standby (ready {:.0?} after start):\n  \
             App         http://{bind}/\n  \
             Status      http://{bind}/api/v1/status\n  \
             Demo accounts (password hms-demo-password): nurse@demo.hms, pharmacist@demo.hms, …\n\n  \
             Type `kill` + Enter to kill the primary's host, `heal` to bring it back as the\n  \
             standby, `state` to see the nodes. Ctrl-C stops everything (the data is discarded).\n",
            started.elapsed()
        );
    }
    let cluster = Arc::new(Mutex::new(Some(cluster)));
    let console = cluster.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { return };
            let mut guard = console.lock().expect("cluster lock");
            let Some(cluster) = guard.as_mut() else {
                return;
            };
            match line.trim() {
                "kill" => match cluster.kill_primary() {
                    Ok((node, at)) => {
                        eprintln!("xtask: killed node{} (the primary)", node + 1);
                        match cluster.wait_for_new_primary(node, Duration::from_secs(60)) {
                            Ok(promoted) => eprintln!(
                                "xtask: the standby was promoted {:.1} s after the kill",
                                (promoted - at).as_secs_f64()
                            ),
                            Err(e) => eprintln!("xtask: no promotion: {e}"),
                        }
                    }
                    Err(e) => eprintln!("xtask: kill failed: {e}"),
                },
                "heal" => match cluster.heal(Duration::from_secs(60)) {
                    Ok(()) => eprintln!("xtask: the old primary rejoined as the standby"),
                    Err(e) => eprintln!("xtask: heal failed: {e}"),
                },
                "state" => {
                    for node in 0..2 {
                        let state = cluster.state(node).unwrap_or_else(|e| e.to_string());
                        eprintln!("xtask: node{}: {state}", node + 1);
                    }
                }
                "" => {}
                other => eprintln!("xtask: unknown command {other:?}; use kill, heal or state"),
            }
        }
    });
    let status = server.wait().map_err(|e| e.to_string())?;
    // Stops the formation and deletes its folder.
    drop(cluster.lock().expect("cluster lock").take());
    if status.success() || status.code().is_none() {
        Ok(())
    } else {
        Err(format!("the API exited with {status}"))
    }
}
