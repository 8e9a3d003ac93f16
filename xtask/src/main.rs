//! `cargo xtask <task>`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `run`    build the SPA and the API, start a private PostgreSQL (unless `DATABASE_URL` is
//!   set), load the demo data once and serve on http://127.0.0.1:8080; `run --ha` does the same
//!   on a pg_auto_failover primary and standby, to try a failover by hand
//! - `test`   every check CI runs: fmt, clippy, unit and integration tests, the SPA in headless
//!   Chromium, schema and OpenAPI drift, migration reversibility, and an API fuzzing pass
//! - `setup`  install the tools the other tasks need (wasm target, wasm-bindgen, diesel_cli,
//!   Chromium, promtool, pg_autoctl, pgBackRest, schemathesis)
//! - `web`    build the SPA into `web/dist`
//! - `openapi` regenerate `openapi/openapi.json`; `schema` regenerate `api/src/db/schema.rs`
//! - `bench`  the performance benchmark on a seeded hospital-sized data set (not a test; see
//!   `docs/performance.md`)

// A command-line tool: printing is its job.
#![allow(clippy::print_stdout)]

mod bench;
mod fuzz;
mod ha;
mod http;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use pg_harness::Cluster;

type Result<T, E = String> = std::result::Result<T, E>;

const USAGE: &str =
    "usage: cargo xtask <run [--ha]|test|setup|web|openapi|schema|fuzz|bench [--help]>";

fn main() -> ExitCode {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") if args.get(1).map(String::as_str) == Some("--ha") => ha::run(),
        Some("run") => run(),
        Some("test") => test(),
        Some("setup") => tools::setup(true),
        Some("web") => tools::setup(false).and_then(|_| web()),
        Some("openapi") => openapi(),
        Some("schema") => schema(true),
        Some("fuzz") => fuzz::run(),
        Some("bench") => bench::run(&args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => {
            eprintln!("xtask: done in {:.0?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Cargo's target folder (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

/// Runs a command, echoing it; fails when it exits non-zero.
pub fn sh(cmd: &mut Command) -> Result<()> {
    eprintln!("+ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(cmd)))
    }
}

/// Runs a command and returns its trimmed stdout when it succeeds.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Builds the SPA: wasm32 release build, wasm-bindgen, then `index.html` and the stylesheet.
pub(crate) fn web() -> Result<()> {
    sh(cargo().args([
        "build",
        "-p",
        "hms-web",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    let dist = root().join("web/dist");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist).map_err(|e| e.to_string())?;
    let wasm = target_dir().join("wasm32-unknown-unknown/release/hms-web.wasm");
    sh(Command::new("wasm-bindgen")
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "hms-web",
        ])
        .arg("--out-dir")
        .arg(&dist)
        .arg(&wasm))?;
    // Debian's binaryen 108 cannot read wasm-bindgen 0.2.130's output, so wasm-opt runs only when
    // WASM_OPT points at a newer one (npm `binaryen`).
    if let Some(wasm_opt) = std::env::var_os("WASM_OPT") {
        let file = dist.join("hms-web_bg.wasm");
        sh(Command::new(wasm_opt)
            .args(["-Oz", "-o"])
            .arg(&file)
            .arg(&file))?;
    }
    let css = root().join("web/static/style.css");
    if css.exists() {
        std::fs::copy(&css, dist.join("style.css")).map_err(|e| e.to_string())?;
    }
    std::fs::write(dist.join("index.html"), INDEX_HTML).map_err(|e| e.to_string())?;
    Ok(())
}

const INDEX_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>HMS</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="preload" href="/hms-web_bg.wasm" as="fetch" type="application/wasm" crossorigin>
</head>
<body>
  <noscript>HMS needs JavaScript and WebAssembly.</noscript>
  <script type="module">import init from '/hms-web.js'; init();</script>
</body>
</html>
"#;

/// Where the developer's private cluster lives: `HMS_PG_DIR`, else `.hms/pg` in the project,
/// else (when the `postgres` user cannot reach the project folder) a folder under /var/tmp.
/// Its WAL is archived into the pgBackRest repository beside it: `.hms/backups`, or
/// `<folder>-backups`.
fn dev_cluster() -> Result<Cluster> {
    let beside = |dir: &Path| {
        let mut name = dir.as_os_str().to_owned();
        name.push("-backups");
        PathBuf::from(name)
    };
    if let Some(dir) = std::env::var_os("HMS_PG_DIR") {
        let dir = Path::new(&dir);
        return Cluster::persistent(dir, &beside(dir)).map_err(|e| e.to_string());
    }
    match Cluster::persistent(&root().join(".hms/pg"), &root().join(".hms/backups")) {
        Ok(c) => Ok(c),
        Err(e) if e.to_string().contains("cannot write") => {
            let fallback = std::env::temp_dir().join(format!(
                "hms-pg-{}",
                root().to_string_lossy().replace('/', "_")
            ));
            eprintln!("xtask: {e}\nxtask: using {} instead", fallback.display());
            Cluster::persistent(&fallback, &beside(&fallback)).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// A random JWT secret kept in `.hms/jwt-secret` for local runs (never committed).
pub(crate) fn local_jwt_secret() -> Result<String> {
    if let Ok(s) = std::env::var("HMS_JWT_SECRET") {
        return Ok(s);
    }
    let path = root().join(".hms/jwt-secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        if s.trim().len() >= 32 {
            return Ok(s.trim().to_owned());
        }
    }
    let mut bytes = [0u8; 32];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(root().join(".hms")).map_err(|e| e.to_string())?;
    std::fs::write(&path, &secret).map_err(|e| e.to_string())?;
    let _ = Command::new("chmod").arg("600").arg(&path).status();
    Ok(secret)
}

fn run() -> Result<()> {
    let started = Instant::now();
    tools::setup(false)?;
    web()?;
    sh(cargo().args(["build", "--release", "-p", "hms-api"]))?;
    let secret = local_jwt_secret()?;
    let mut cluster = None;
    let database_url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            eprintln!("xtask: using DATABASE_URL; no private cluster is started");
            url
        }
        _ => {
            // WAL archiving of the dev cluster; without it the cluster runs unarchived.
            if let Err(e) = tools::ensure_pgbackrest() {
                eprintln!("xtask: {e}");
            }
            let c = dev_cluster()?;
            c.ensure_database("hms").map_err(|e| e.to_string())?;
            eprintln!(
                "xtask: private PostgreSQL in {} on 127.0.0.1:{}",
                c.dir().display(),
                c.port()
            );
            if let Some(a) = c.archive() {
                eprintln!(
                    "xtask: WAL archived into {}; back up with\n  \
                     DATABASE_URL={} HMS_PGBACKREST_CONFIG={} {} backup",
                    a.dir.display(),
                    c.url("hms"),
                    a.config.display(),
                    target_dir().join("release/hms").display()
                );
            }
            let url = c.url("hms");
            cluster = Some(c);
            url
        }
    };
    let bind = std::env::var("HMS_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let mut server = Command::new(target_dir().join("release/hms"))
        .args(["serve", "--demo"])
        .current_dir(root())
        .env("DATABASE_URL", &database_url)
        .env("HMS_JWT_SECRET", &secret)
        .env("HMS_BIND", &bind)
        .env("HMS_STATIC_DIR", root().join("web/dist"))
        // The demo hospital (and its demo addresses) is in Lisbon; any IANA zone works.
        .env(
            "HMS_TIMEZONE",
            std::env::var("HMS_TIMEZONE").unwrap_or_else(|_| "Europe/Lisbon".into()),
        )
        .spawn()
        .map_err(|e| format!("starting the API: {e}"))?;
    // From here on Ctrl-C belongs to the children: the API and PostgreSQL each get the terminal's
    // SIGINT and shut down cleanly; this process waits for them instead of dying first.
    ignore_interrupts();
    if http::wait_ready(&bind, Duration::from_secs(90)) {
        eprintln!(
            "\nHMS is running (ready {:.0?} after start):\n  \
             App         http://{bind}/\n  \
             API         http://{bind}/api/v1/\n  \
             Swagger UI  http://{bind}/swagger-ui/\n  \
             Health      http://{bind}/health/ready\n\n  \
             Demo accounts (password hms-demo-password): admin@demo.hms, doctor@demo.hms,\n  \
             nurse@demo.hms, reception@demo.hms, pharmacist@demo.hms, patient@demo.hms\n\n\
             Press Ctrl-C to stop the server and the database.\n",
            started.elapsed()
        );
    }
    let status = server.wait().map_err(|e| e.to_string())?;
    if let Some(mut c) = cluster {
        c.stop();
        eprintln!(
            "xtask: PostgreSQL stopped; data kept in {}",
            c.dir().display()
        );
    }
    if status.success() || status.code().is_none() {
        Ok(())
    } else {
        Err(format!("the API exited with {status}"))
    }
}

#[allow(unsafe_code)]
pub(crate) fn ignore_interrupts() {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGINT: i32 = 2;
    const SIG_IGN: usize = 1;
    // SAFETY: installing SIG_IGN for SIGINT has no preconditions; children were spawned before.
    unsafe {
        signal(SIGINT, SIG_IGN);
    }
}

/// One step of `cargo xtask test`, timed.
struct Steps(Vec<(String, Duration, bool)>);

impl Steps {
    fn run(&mut self, name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
        eprintln!("\n=== {name}");
        let started = Instant::now();
        let result = f();
        self.0
            .push((name.to_owned(), started.elapsed(), result.is_ok()));
        result.map_err(|e| format!("{name}: {e}"))
    }

    fn print(&self) {
        eprintln!("\n{:<48} {:>9}  result", "step", "time");
        for (name, took, ok) in &self.0 {
            eprintln!(
                "{name:<48} {:>8.1}s  {}",
                took.as_secs_f64(),
                if *ok { "ok" } else { "FAILED" }
            );
        }
    }
}

fn test() -> Result<()> {
    let mut steps = Steps(Vec::new());
    let result = run_checks(&mut steps);
    steps.print();
    result
}

fn run_checks(steps: &mut Steps) -> Result<()> {
    steps.run(
        "tools (wasm, wasm-bindgen, diesel, chromium, promtool, pg_autoctl, pgbackrest, schemathesis, FHIR schema)",
        || tools::setup(true),
    )?;
    steps.run("cargo fmt --check", || {
        sh(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    steps.run("clippy (server, tools, tests)", || {
        sh(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    steps.run("clippy (SPA, wasm32)", || {
        sh(cargo().args([
            "clippy",
            "-p",
            "hms-web",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    steps.run("alert rules (promtool check + test)", alert_rules)?;
    steps.run("build the SPA", web)?;
    let mut counts = Vec::new();
    steps.run("unit, integration and browser tests", || {
        counts = cargo_test()?;
        Ok(())
    })?;
    steps.run("schema.rs drift and migration reversibility", || {
        schema(false)
    })?;
    steps.run("API fuzzing (schemathesis)", fuzz::run)?;
    let total: u32 = counts.iter().map(|(_, n)| n).sum();
    eprintln!("\ntests passed: {total}");
    for (binary, n) in &counts {
        eprintln!("  {n:>4}  {binary}");
    }
    if total == 0 {
        return Err("no test ran".into());
    }
    Ok(())
}

/// `promtool check rules` and `promtool test rules` on `deploy/prometheus/`.
fn alert_rules() -> Result<()> {
    let dir = root().join("deploy/prometheus");
    sh(Command::new("promtool")
        .args(["check", "rules", "alerts.yml"])
        .current_dir(&dir))?;
    sh(Command::new("promtool")
        .args(["test", "rules", "alerts_test.yml"])
        .current_dir(&dir))
}

/// Runs the Rust tests, streaming their output, and returns (binary, passed) per test binary.
fn cargo_test() -> Result<Vec<(String, u32)>> {
    use std::io::{BufRead, BufReader};
    // cargo names each test binary on stderr and the binaries report on stdout: read both.
    let mut child = Command::new("sh")
        .current_dir(root())
        .args(["-c", "exec \"$0\" test --workspace --no-fail-fast 2>&1"])
        .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .env("HMS_STATIC_DIR", root().join("web/dist"))
        .env("HMS_FHIR_SCHEMA", tools::fhir_schema())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut counts = Vec::new();
    let mut current = String::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out)
            .lines()
            .map_while(std::result::Result::ok)
        {
            println!("{line}");
            if let Some(rest) = line.trim().strip_prefix("Running ") {
                // "unittests src/lib.rs (target/debug/deps/hms_api-…)" or "tests/api/main.rs (…)"
                let crate_dir = rest
                    .rsplit_once("deps/")
                    .map(|(_, bin)| bin.split('-').next().unwrap_or(bin))
                    .unwrap_or_default();
                let source = rest.trim_start_matches("unittests ");
                let source = source.split(" (").next().unwrap_or(source);
                current = format!("{crate_dir} {source}");
            }
            if let Some(rest) = line.strip_prefix("test result: ") {
                let passed = rest
                    .split(';')
                    .find_map(|p| p.trim().strip_suffix(" passed"))
                    .and_then(|p| p.rsplit(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                if passed > 0 {
                    counts.push((current.clone(), passed));
                }
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(counts)
    } else {
        Err("some tests failed".into())
    }
}

/// Regenerates the OpenAPI document.
fn openapi() -> Result<()> {
    let doc = output(cargo().args(["run", "-q", "-p", "hms-api", "--", "openapi"]))
        .ok_or("`hms openapi` failed")?;
    std::fs::write(root().join("openapi/openapi.json"), doc + "\n").map_err(|e| e.to_string())
}

/// Migrates a throwaway database, redoes every migration (down then up), and compares
/// `diesel print-schema` with the committed `schema.rs`. With `write`, updates the file instead.
fn schema(write: bool) -> Result<()> {
    tools::ensure_diesel_cli()?;
    sh(cargo().args(["build", "-q", "-p", "hms-api"]))?;
    let cluster = Cluster::throwaway().map_err(|e| e.to_string())?;
    let url = cluster.url("postgres");
    let diesel = |args: &[&str]| {
        let mut c = Command::new("diesel");
        c.args(args).current_dir(root()).env("DATABASE_URL", &url);
        c
    };
    sh(Command::new(target_dir().join("debug/hms"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn"))?;
    sh(&mut diesel(&["migration", "redo", "--all"]))?;
    let printed = output(&mut diesel(&["print-schema"])).ok_or("diesel print-schema failed")?;
    let path = root().join("api/src/db/schema.rs");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed.trim_end() == printed.trim_end() {
        return Ok(());
    }
    if write {
        std::fs::write(&path, printed + "\n").map_err(|e| e.to_string())?;
        eprintln!("xtask: wrote {}", path.display());
        Ok(())
    } else {
        Err(format!(
            "{} differs from `diesel print-schema` after the migrations; run `cargo xtask schema`",
            path.display()
        ))
    }
}
