//! The API fuzzing pass: schemathesis generates valid and invalid requests for every operation
//! of the committed OpenAPI document and runs them against a real server on a throwaway
//! database, signed in as the demo administrator and again as the demo doctor. It fails on any 5xx, any undocumented status,
//! content type or header, any body that breaks its schema, and any invalid input accepted.

use std::process::{Command, Stdio};
use std::time::Duration;

use pg_harness::Cluster;

use crate::{http, root, sh, target_dir, tools, Result};

/// Examples per operation; `HMS_FUZZ_EXAMPLES` overrides it.
const EXAMPLES: &str = "40";
/// A fixed seed keeps CI reproducible; `HMS_FUZZ_SEED` explores other inputs.
const SEED: &str = "20261126";

pub fn run() -> Result<()> {
    let cluster = Cluster::throwaway().map_err(|e| e.to_string())?;
    let port = pg_harness::free_port().map_err(|e| e.to_string())?;
    let addr = format!("127.0.0.1:{port}");
    let log =
        std::fs::File::create(target_dir().join("fuzz-server.log")).map_err(|e| e.to_string())?;
    let mut server = Command::new(target_dir().join("debug/hms"))
        .args(["serve", "--demo"])
        .env("DATABASE_URL", cluster.url("postgres"))
        .env("HMS_JWT_SECRET", "fuzzing-secret-fuzzing-secret-fuzzing!")
        .env("HMS_BIND", &addr)
        .env("HMS_STATIC_DIR", "/nonexistent")
        .env("HMS_ACCESS_TOKEN_TTL_SECS", "7200")
        // Throttling is tested on its own; here it would only hide the other endpoints.
        .env("HMS_LOGIN_MAX_PER_ADDRESS", "1000000")
        .env("HMS_LOGIN_MAX_FAILURES", "1000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting the API: {e}"))?;
    let result = fuzz(&addr);
    let _ = server.kill();
    let _ = server.wait();
    drop(cluster);
    result
}

/// Demo accounts whose roles together hold every permission a fuzzed operation can need:
/// the administrator (accounts, schedules, deactivation, access logs), a doctor (patients and
/// records) and the front desk (booking, rescheduling, cancelling).
const ACCOUNTS: [&str; 3] = ["admin@demo.hms", "doctor@demo.hms", "reception@demo.hms"];

fn fuzz(addr: &str) -> Result<()> {
    if !http::wait_ready(addr, Duration::from_secs(60)) {
        return Err("the API did not become ready; see target/fuzz-server.log".into());
    }
    for account in ACCOUNTS {
        fuzz_as(addr, account)?;
    }
    Ok(())
}

fn fuzz_as(addr: &str, account: &str) -> Result<()> {
    let login = format!(r#"{{"email":"{account}","password":"hms-demo-password"}}"#);
    let (status, body) = http::request(addr, "POST", "/api/v1/auth/login", Some(&login))
        .ok_or(format!("signing in as {account} failed"))?;
    if status != 200 {
        return Err(format!("{account} sign-in answered {status}: {body}"));
    }
    let token = body
        .split("\"access_token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no access_token in the sign-in response")?;
    let examples = std::env::var("HMS_FUZZ_EXAMPLES").unwrap_or_else(|_| EXAMPLES.into());
    let seed = std::env::var("HMS_FUZZ_SEED").unwrap_or_else(|_| SEED.into());
    eprintln!("fuzzing as {account} with seed {seed} and {examples} examples per operation");
    sh(Command::new(tools::venv().join("bin/schemathesis"))
        .arg("--config-file")
        .arg(root().join("xtask/fuzz/schemathesis.toml"))
        .arg("run")
        .arg(root().join("openapi/openapi.json"))
        .args(["--url", &format!("http://{addr}")])
        .args(["--checks", "all"])
        // Signing out revokes whatever refresh token it is given, and changing the password
        // needs the current one: neither can be fuzzed into a 2xx on purpose.
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--max-examples", &examples, "--seed", &seed])
        // No example database between runs: every run is the same run (and an intermittent
        // internal error of schemathesis 4.32 came from that cache).
        .args(["--generation-database", "none"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        // One worker: with two, hypothesis parses regexes in two threads at once and CPython 3.11.7
        // intermittently fails with "AST constructor recursion depth mismatch".
        .args(["--request-timeout", "10", "--workers", "1", "--no-color"])
        .arg("--report-dir")
        .arg(target_dir().join("schemathesis"))
        .current_dir(root()))
}
