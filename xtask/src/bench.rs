//! `cargo xtask bench`: the performance benchmark. Separate from `cargo xtask test` on purpose:
//! it takes minutes, and its numbers depend on the machine, so nothing here asserts a time.
//!
//! 1. Builds the API in release mode and starts a private PostgreSQL in `.hms/bench-pg`
//!    (`HMS_BENCH_PG_DIR` overrides), with `pg_stat_statements` loaded.
//! 2. Seeds database `hms_bench_<patients>` once (kept for the next run; `--reseed` redoes it):
//!    migrations and the demo data through `hms seed-demo`, then the SQL scripts in
//!    `bench/seed/` generate the hospital server-side (patients with records, 200 clinicians,
//!    10 appointments per patient over three years, 5,000 items, 1M stock movements). The time
//!    of every step is printed.
//! 3. Starts the release API on it and, per endpoint, sends 50 requests one by one while
//!    `pg_stat_statements` watches (the SQL statements each request runs), then drives HTTP load
//!    at a fixed concurrency with `wrk` (`bench/wrk/requests.lua`; the requests come from
//!    `bench/requests/<endpoint>.sql`): a warm-up, then the measured run.
//! 4. Runs the SQL the API runs for reading a patient, searching and listing a day's
//!    appointments directly with `pgbench -M prepared` (`bench/pgbench/`) against the same
//!    database, with as many clients as the API's pool and as the HTTP connections (the better
//!    counts), and prints the ratio API / PostgreSQL.
//! 5. Prints one table (throughput, p50/p99/max latency, errors, statements per request, the
//!    API's peak memory: VmHWM from /proc/<pid>/status, reset before each endpoint) and writes it
//!    as JSON and Markdown to `bench/results/`, with the plans of the hot queries (EXPLAIN).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{http, root, sh, target_dir, Result};

const USAGE: &str =
    "usage: cargo xtask bench [--patients N] [--movements N] [--duration SECS] [--warmup SECS] \
[--concurrency N] [--threads N] [--pool N] [--only endpoint,...] [--reseed] [--no-build]

  --patients N      size of the data set (default 100000; appointments are 10 per patient)
  --movements N     stock movements (default 1000000, whatever the number of patients)
  --duration SECS   measured seconds per endpoint (default 10)
  --warmup SECS     warm-up seconds per endpoint, not measured (default 3)
  --concurrency N   open connections of the load generator (default 32)
  --threads N       load generator threads (default 2)
  --pool N          the API's database pool size, HMS_DB_POOL_SIZE (default 8)
  --only a,b        only these endpoints (names as in the table)
  --reseed          drop and seed the data set again
  --no-build        use the release binary as it is";

/// The hospital's time zone for the data set and the API.
const TIME_ZONE: &str = "Europe/Lisbon";
/// Requests of an endpoint turned into pgbench scripts (one script each, with its values
/// written in): few enough that every pgbench connection has prepared them all early in the
/// warm-up.
const PGBENCH_VARIANTS: usize = 20;
/// Requests sent one by one per endpoint to count its SQL statements.
const PROFILE_REQUESTS: usize = 50;

struct Options {
    patients: u64,
    movements: u64,
    duration: u32,
    warmup: u32,
    concurrency: u32,
    threads: u32,
    pool: u32,
    only: Option<Vec<String>>,
    reseed: bool,
    build: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            patients: 100_000,
            movements: 1_000_000,
            duration: 10,
            warmup: 3,
            concurrency: 32,
            threads: 2,
            pool: 8,
            only: None,
            reseed: false,
            build: true,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"))
            };
            let number = |name: &str, v: String| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{name} must be a positive number\n\n{USAGE}"))
            };
            match arg.as_str() {
                "--patients" => o.patients = number(arg, value(arg)?)?,
                "--movements" => o.movements = number(arg, value(arg)?)?,
                "--duration" => o.duration = number(arg, value(arg)?)? as u32,
                "--warmup" => o.warmup = number(arg, value(arg)?)? as u32,
                "--concurrency" => o.concurrency = number(arg, value(arg)?)? as u32,
                "--threads" => o.threads = number(arg, value(arg)?)? as u32,
                "--pool" => o.pool = number(arg, value(arg)?)? as u32,
                "--only" => {
                    let names: Vec<String> = value(arg)?
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .collect();
                    for n in &names {
                        if !ENDPOINTS.iter().any(|e| e.name == n) {
                            return Err(format!("unknown endpoint {n}; known: {}", names_list()));
                        }
                    }
                    o.only = Some(names);
                }
                "--reseed" => o.reseed = true,
                "--no-build" => o.build = false,
                "--help" | "-h" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
            }
        }
        if o.patients < 1000 {
            return Err("--patients must be at least 1000".into());
        }
        if o.threads > o.concurrency {
            o.threads = o.concurrency;
        }
        Ok(o)
    }

    fn selected(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    }

    /// Generated patients that are active (the seed deactivates the last 0.5 %).
    fn active_patients(&self) -> u64 {
        self.patients - self.patients / 200
    }
}

fn names_list() -> String {
    ENDPOINTS
        .iter()
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Copy, PartialEq)]
enum Account {
    Anonymous,
    Doctor,
    Reception,
    Pharmacist,
}

impl Account {
    fn email(self) -> Option<&'static str> {
        match self {
            Account::Anonymous => None,
            Account::Doctor => Some("doctor@demo.hms"),
            Account::Reception => Some("reception@demo.hms"),
            Account::Pharmacist => Some("pharmacist@demo.hms"),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Reads: p99 < 50 ms.
    Read,
    /// Writes: no errors but expected 409s, p99 < 100 ms.
    Write,
    /// Sign-in: a deliberately slow password hash (argon2id), judged on its own.
    Login,
}

struct Endpoint {
    /// `bench/requests/<name>.sql` writes its requests.
    name: &'static str,
    what: &'static str,
    account: Account,
    kind: Kind,
    /// `bench/pgbench/<this>.sql` and `<this>-query.sql`: the same SQL straight to PostgreSQL.
    pgbench: Option<&'static str>,
}

const ENDPOINTS: [Endpoint; 12] = [
    Endpoint {
        name: "patient",
        what: "GET /api/v1/patients/{id}",
        account: Account::Doctor,
        kind: Kind::Read,
        pgbench: Some("patient"),
    },
    Endpoint {
        name: "summary",
        what: "GET /api/v1/patients/{id}/summary",
        account: Account::Doctor,
        kind: Kind::Read,
        pgbench: None,
    },
    Endpoint {
        name: "search-prefix",
        what: "GET /api/v1/patients?q=<4 letters>",
        account: Account::Doctor,
        kind: Kind::Read,
        pgbench: Some("search"),
    },
    Endpoint {
        name: "search-typo",
        what: "GET /api/v1/patients?q=<name with a typo>",
        account: Account::Doctor,
        kind: Kind::Read,
        pgbench: Some("search"),
    },
    Endpoint {
        name: "day-list",
        what: "GET /api/v1/appointments?department_id&date",
        account: Account::Reception,
        kind: Kind::Read,
        pgbench: Some("day-list"),
    },
    Endpoint {
        name: "free-slots",
        what: "GET /api/v1/slots?practitioner_id&from&to (a week)",
        account: Account::Reception,
        kind: Kind::Read,
        pgbench: None,
    },
    Endpoint {
        name: "stock",
        what: "GET /api/v1/inventory/stock?location_id",
        account: Account::Pharmacist,
        kind: Kind::Read,
        pgbench: None,
    },
    Endpoint {
        name: "status",
        what: "GET /api/v1/status",
        account: Account::Anonymous,
        kind: Kind::Read,
        pgbench: None,
    },
    Endpoint {
        name: "book",
        what: "POST /api/v1/appointments",
        account: Account::Reception,
        kind: Kind::Write,
        pgbench: None,
    },
    Endpoint {
        name: "dispense",
        what: "POST /api/v1/inventory/movements/dispense",
        account: Account::Pharmacist,
        kind: Kind::Write,
        pgbench: None,
    },
    Endpoint {
        name: "shortage",
        what: "POST /api/v1/inventory/shortages",
        account: Account::Pharmacist,
        kind: Kind::Write,
        pgbench: None,
    },
    Endpoint {
        name: "login",
        what: "POST /api/v1/auth/login",
        account: Account::Anonymous,
        kind: Kind::Login,
        pgbench: None,
    },
];

/// What one load run measured.
#[derive(Default, Clone)]
struct Load {
    requests: u64,
    seconds: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    mean_ms: f64,
    ok: u64,
    conflicts: u64,
    /// Non-2xx other than 409, plus socket errors and timeouts.
    errors: u64,
    sample: String,
}

impl Load {
    fn throughput(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// What one endpoint does to the database, from `pg_stat_statements`.
#[derive(Default, Clone)]
struct Profile {
    statements_per_request: f64,
    db_ms_per_request: f64,
    /// Mean latency of one request alone (no other load).
    alone_ms: f64,
    failures: Vec<String>,
    /// (calls per request, mean ms, statement)
    statements: Vec<(f64, f64, String)>,
}

#[derive(Default, Clone)]
struct PgBench {
    tps: f64,
    latency_ms: f64,
    failed: u64,
    /// pgbench clients of the best run: the API's pool size or the HTTP concurrency.
    clients: u32,
}

#[derive(Default)]
struct Outcome {
    load: Load,
    profile: Profile,
    peak_kib: u64,
    /// VmRSS once the endpoint's requests are done.
    rss_after_kib: u64,
    /// Same statements as the API; the hot query alone.
    pgbench: Option<(PgBench, PgBench)>,
}

pub fn run(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let started = Instant::now();
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    ensure_tools()?;
    if options.build {
        sh(crate::cargo().args(["build", "--release", "-p", "hms-api"]))?;
    }
    let hms = target_dir().join("release/hms");
    if !hms.exists() {
        return Err(format!(
            "{} is missing; run without --no-build",
            hms.display()
        ));
    }
    let work = target_dir().join("bench");
    std::fs::create_dir_all(work.join("requests")).map_err(|e| e.to_string())?;
    let mut server = Server::start()?;
    let db = if options.movements == 1_000_000 {
        format!("hms_bench_{}", options.patients)
    } else {
        format!("hms_bench_{}_{}", options.patients, options.movements)
    };
    let pg = Pg {
        port: server.port,
        db: db.clone(),
    };
    let seed = ensure_seeded(&pg, &hms, &options)?;
    // Earlier runs' writes stay (bookings, movements, audit rows), but their idempotency keys
    // would make this run's writes slower than the first run's: every keyed write scans the
    // caller's keys of the last 24 hours (see docs/performance.md).
    pg.query("DELETE FROM idempotency_keys; VACUUM ANALYZE idempotency_keys;")?;

    let secret = random_hex(32)?;
    let port = pg_harness::free_port().map_err(|e| e.to_string())?;
    let addr = format!("127.0.0.1:{port}");
    let api = Api::start(&hms, &pg, &addr, &secret, &options, &work)?;
    let result = measure(&api, &pg, &options, &work);
    drop(api);
    let load_after = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let machine = machine(&pg, &load_before, &load_after);
    server.stop();
    let Measured { outcomes, explain } = result?;
    let report = Report {
        options: &options,
        seed,
        outcomes,
        explain,
        machine,
        wall: started.elapsed(),
    };
    report.print();
    report.write()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tools, PostgreSQL, seeding

fn ensure_tools() -> Result<()> {
    if crate::output(Command::new("wrk").arg("--version")).is_none()
        && Command::new("sh")
            .args(["-c", "command -v wrk"])
            .stdout(Stdio::null())
            .status()
            .map_or(true, |s| !s.success())
    {
        if !pg_harness::is_root() {
            return Err("wrk is missing: apt-get install wrk".into());
        }
        sh(Command::new("apt-get").args(["install", "-y", "-qq", "wrk"])).or_else(|_| {
            sh(Command::new("apt-get").args(["update", "-qq"]))?;
            sh(Command::new("apt-get").args(["install", "-y", "-qq", "wrk"]))
        })?;
    }
    if !pg_harness::bin_dir().join("pgbench").exists() {
        return Err(format!(
            "pgbench is missing from {}",
            pg_harness::bin_dir().display()
        ));
    }
    Ok(())
}

/// The benchmark's own PostgreSQL server: a cluster in `HMS_BENCH_PG_DIR`, else
/// `.hms/bench-pg` (kept between runs with the seeded data), served by a child process for the
/// duration of the run. Its settings are passed on the command line, so they are the same on
/// every run: `pg_stat_statements` loaded, 512 MB of shared buffers, and otherwise PostgreSQL's
/// defaults (fsync and synchronous commit on, as in production). No WAL archiving.
struct Server {
    child: Option<Child>,
    port: u16,
    data: PathBuf,
}

/// PostgreSQL settings of the benchmark server.
const SERVER_SETTINGS: [&str; 9] = [
    "listen_addresses=127.0.0.1",
    "unix_socket_directories=",
    "shared_preload_libraries=pg_stat_statements",
    "pg_stat_statements.max=10000",
    "shared_buffers=512MB",
    "max_connections=200",
    "max_wal_size=8GB",
    "checkpoint_timeout=30min",
    "maintenance_work_mem=512MB",
];

impl Server {
    fn start() -> Result<Server> {
        let dir = std::env::var_os("HMS_BENCH_PG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join(".hms/bench-pg"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if pg_harness::is_root() {
            sh(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
            let _ = Command::new("chmod").arg("0700").arg(&dir).status();
            let reachable = Command::new("runuser")
                .args(["-u", "postgres", "--", "test", "-w"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                return Err(format!(
                    "the postgres user cannot write to {}; set HMS_BENCH_PG_DIR to a folder \
                     under /var/tmp",
                    dir.display()
                ));
            }
        }
        let data = dir.join("data");
        if !data.join("PG_VERSION").exists() {
            eprintln!("bench: creating a PostgreSQL cluster in {}", data.display());
            let out = pg_harness::pg_command("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"])
                .args(["--locale=C.UTF-8", "--data-checksums"])
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!(
                    "initdb failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        let port = pg_harness::free_port().map_err(|e| e.to_string())?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("postgres.log"))
            .map_err(|e| e.to_string())?;
        let mut cmd = pg_harness::pg_command("postgres");
        cmd.arg("-D").arg(&data).args(["-p", &port.to_string()]);
        for setting in SERVER_SETTINGS {
            cmd.args(["-c", setting]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting postgres: {e}"))?;
        let server = Server {
            child: Some(child),
            port,
            data: data.clone(),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let ready = pg_harness::pg_command("pg_isready")
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "PostgreSQL did not start; see {}",
                    dir.join("postgres.log").display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("bench: PostgreSQL in {} on 127.0.0.1:{port}", dir.display());
        Ok(server)
    }

    /// Fast shutdown through pg_ctl (a signal to `runuser` is not passed on when this process
    /// was started with SIGINT ignored, as background jobs are): sessions end, data is flushed.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let stopped = pg_harness::pg_command("pg_ctl")
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "fast", "-w", "-t", "120", "stop"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !stopped {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One database of the benchmark cluster, reached with psql/pgbench over TCP.
struct Pg {
    port: u16,
    db: String,
}

impl Pg {
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.port, self.db)
    }

    fn psql(&self, db: &str) -> Command {
        let mut c = Command::new(pg_harness::bin_dir().join("psql"));
        c.args([
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
        ])
        .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", db]);
        c
    }

    /// Runs `sql` (any number of statements) and returns what it printed, unaligned.
    fn query(&self, sql: &str) -> Result<String> {
        self.script(&self.db, sql, &[])
    }

    fn script(&self, db: &str, sql: &str, vars: &[(&str, String)]) -> Result<String> {
        let child = self.spawn_script(db, sql, vars, Stdio::piped())?;
        finish_psql(child)
    }

    fn spawn_script(
        &self,
        db: &str,
        sql: &str,
        vars: &[(&str, String)],
        stdout: Stdio,
    ) -> Result<(Child, std::thread::JoinHandle<()>)> {
        let mut cmd = self.psql(db);
        for (k, v) in vars {
            cmd.arg("-v").arg(format!("{k}={v}"));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("psql: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("psql: no stdin")?;
        let sql = sql.to_owned();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(sql.as_bytes());
        });
        Ok((child, writer))
    }
}

fn finish_psql((child, writer): (Child, std::thread::JoinHandle<()>)) -> Result<String> {
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// How the data set was made: the seconds of each step, or that it was already there.
struct Seed {
    reused: bool,
    steps: Vec<(String, f64)>,
    total: f64,
    counts: Vec<(String, i64)>,
}

fn ensure_seeded(pg: &Pg, hms: &Path, options: &Options) -> Result<Seed> {
    let admin = Pg {
        port: pg.port,
        db: "postgres".into(),
    };
    let exists = admin.query(&format!(
        "SELECT 1 FROM pg_database WHERE datname = '{}'",
        pg.db
    ))? == "1";
    if exists && !options.reseed {
        let done = pg
            .query(
                "SELECT steps FROM bench_seed WHERE patients IS NOT NULL \
                 ORDER BY seeded_at DESC LIMIT 1",
            )
            .unwrap_or_default();
        if !done.is_empty() {
            eprintln!(
                "bench: reusing the data set in database {} (--reseed to make it again)",
                pg.db
            );
            let steps = parse_steps(&done);
            let total = steps.iter().map(|s| s.1).sum();
            return Ok(Seed {
                reused: true,
                steps,
                total,
                counts: counts(pg)?,
            });
        }
    }
    eprintln!(
        "bench: seeding {} patients, {} appointments, {} stock movements into {}",
        options.patients,
        options.patients * 10,
        options.movements,
        pg.db
    );
    let started = Instant::now();
    let mut steps = Vec::new();
    let mut step = |name: &str, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
        let t = Instant::now();
        f()?;
        let secs = t.elapsed().as_secs_f64();
        eprintln!("bench: seed step {name:<44} {secs:>7.1} s");
        steps.push((name.to_owned(), secs));
        Ok(())
    };
    step("database", &mut || {
        admin
            .query(&format!(
                "DROP DATABASE IF EXISTS {0} WITH (FORCE); CREATE DATABASE {0};",
                pg.db
            ))
            .map(|_| ())
    })?;
    step("migrations and demo data (hms seed-demo)", &mut || {
        let secret = random_hex(32)?;
        sh(Command::new(hms)
            .arg("seed-demo")
            .env("DATABASE_URL", pg.url())
            .env("HMS_JWT_SECRET", &secret)
            .env("HMS_TIMEZONE", TIME_ZONE)
            .env("RUST_LOG", "warn"))
    })?;
    let helpers = read_bench_file("seed/00-helpers.sql")?;
    let vars = |part: u32| {
        vec![
            ("patients", options.patients.to_string()),
            ("appointments", (options.patients * 10).to_string()),
            ("movements", options.movements.to_string()),
            ("tz", TIME_ZONE.to_owned()),
            ("parts", "2".to_owned()),
            ("part", part.to_string()),
        ]
    };
    let script = |file: &str| -> Result<String> {
        Ok(format!(
            "{helpers}\n{}",
            read_bench_file(&format!("seed/{file}"))?
        ))
    };
    step("200 clinicians with weekly hours", &mut || {
        pg.script(&pg.db, &script("01-staff.sql")?, &vars(0))
            .map(|_| ())
    })?;
    step("patients", &mut || {
        pg.script(&pg.db, &script("02-patients.sql")?, &vars(0))
            .map(|_| ())
    })?;
    step(
        "records, appointments (2 sessions), inventory: concurrently",
        &mut || {
            let jobs = [
                ("03-records.sql", 0),
                ("04-appointments.sql", 0),
                ("04-appointments.sql", 1),
                ("05-inventory.sql", 0),
            ];
            let mut running = Vec::new();
            for (file, part) in jobs {
                let child = pg.spawn_script(&pg.db, &script(file)?, &vars(part), Stdio::null())?;
                running.push((file, Instant::now(), child));
            }
            let mut failed = Vec::new();
            for (file, t, child) in running {
                match finish_psql(child) {
                    Ok(_) => eprintln!(
                        "bench:   {file} done after {:.1} s",
                        t.elapsed().as_secs_f64()
                    ),
                    Err(e) => failed.push(format!("{file}: {e}")),
                }
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(failed.join("\n"))
            }
        },
    )?;
    step(
        "foreign keys and ledger checked, VACUUM ANALYZE",
        &mut || {
            pg.script(&pg.db, &script("06-finish.sql")?, &vars(0))
                .map(|_| ())
        },
    )?;
    let total = started.elapsed().as_secs_f64();
    let recorded: Vec<String> = steps.iter().map(|(n, s)| format!("{n}={s:.1}")).collect();
    pg.query(&format!(
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
         CREATE TABLE IF NOT EXISTS bench_seed (patients bigint, steps text,
                                                seeded_at timestamptz DEFAULT now());
         INSERT INTO bench_seed (patients, steps) VALUES ({}, '{}');",
        options.patients,
        recorded.join(";").replace('\'', "''")
    ))?;
    eprintln!("bench: seeded in {total:.1} s");
    Ok(Seed {
        reused: false,
        steps,
        total,
        counts: counts(pg)?,
    })
}

fn parse_steps(text: &str) -> Vec<(String, f64)> {
    text.split(';')
        .filter_map(|s| {
            let (name, secs) = s.rsplit_once('=')?;
            Some((name.to_owned(), secs.parse().ok()?))
        })
        .collect()
}

/// Row counts of the main tables (estimates after ANALYZE are exact enough and instant).
fn counts(pg: &Pg) -> Result<Vec<(String, i64)>> {
    let out = pg.query(
        "SELECT relname, reltuples::bigint FROM pg_class
          WHERE relname IN ('patients', 'allergies', 'conditions', 'medications', 'vitals',
                            'encounters', 'practitioners', 'appointments', 'stock_items',
                            'stock_lots', 'stock_movements', 'stock_ledger', 'stock_balances',
                            'shortages', 'audit_events')
            AND relkind = 'r'
          ORDER BY relname",
    )?;
    Ok(out
        .lines()
        .filter_map(|l| {
            let (name, n) = l.split_once('|')?;
            Some((name.to_owned(), n.parse().ok()?))
        })
        .collect())
}

fn read_bench_file(relative: &str) -> Result<String> {
    let path = root().join("bench").join(relative);
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

// ---------------------------------------------------------------------------------------------
// The API under test

struct Api {
    child: Child,
    addr: String,
}

impl Api {
    fn start(
        hms: &Path,
        pg: &Pg,
        addr: &str,
        secret: &str,
        options: &Options,
        work: &Path,
    ) -> Result<Api> {
        let log = std::fs::File::create(work.join("api.log")).map_err(|e| e.to_string())?;
        let journal = work.join("journal");
        let _ = std::fs::remove_dir_all(&journal);
        let child = Command::new(hms)
            .arg("serve")
            .env("DATABASE_URL", pg.url())
            .env_remove("HMS_READ_DATABASE_URL")
            .env("HMS_JWT_SECRET", secret)
            .env("HMS_BIND", addr)
            .env("HMS_DB_POOL_SIZE", options.pool.to_string())
            .env("HMS_TIMEZONE", TIME_ZONE)
            .env("HMS_STATIC_DIR", "/nonexistent")
            .env("HMS_JOURNAL_DIR", &journal)
            // Tokens outlive the run; sign-in throttling would only measure the 429 path.
            .env("HMS_ACCESS_TOKEN_TTL_SECS", "7200")
            .env("HMS_LOGIN_MAX_PER_ADDRESS", "1000000000")
            .env("HMS_LOGIN_MAX_FAILURES", "1000000000")
            // The access log at info costs throughput; warnings and errors still show.
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting the API: {e}"))?;
        let api = Api {
            child,
            addr: addr.to_owned(),
        };
        if !http::wait_ready(addr, Duration::from_secs(120)) {
            return Err(format!(
                "the API did not become ready; see {}",
                work.join("api.log").display()
            ));
        }
        Ok(api)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resets the peak resident set size (VmHWM) to the current one.
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// VmHWM in KiB: the most memory the process held since the last reset.
    fn peak_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// VmRSS in KiB: the memory the process holds now.
    fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    fn token(&self, account: Account) -> Result<String> {
        let Some(email) = account.email() else {
            return Ok("-".into());
        };
        let login = format!(r#"{{"email":"{email}","password":"hms-demo-password"}}"#);
        let (status, body) = http::request(&self.addr, "POST", "/api/v1/auth/login", Some(&login))
            .ok_or(format!("signing in as {email} failed"))?;
        if status != 200 {
            return Err(format!("{email} sign-in answered {status}: {body}"));
        }
        body.split("\"access_token\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
            .ok_or_else(|| "no access_token in the sign-in response".into())
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring

fn measure(api: &Api, pg: &Pg, options: &Options, work: &Path) -> Result<Measured> {
    let vars = [
        ("patients", options.patients.to_string()),
        ("tz", TIME_ZONE.to_owned()),
    ];
    let nonce = random_hex(6)?;
    let mut outcomes = Vec::new();
    for (index, endpoint) in ENDPOINTS.iter().enumerate() {
        if !options.selected(endpoint.name) {
            continue;
        }
        eprintln!("\nbench: === {} ({})", endpoint.name, endpoint.what);
        let token = api.token(endpoint.account)?;
        let requests = work.join("requests").join(format!("{}.txt", endpoint.name));
        let write_requests = || -> Result<()> {
            let sql = read_bench_file(&format!("requests/{}.sql", endpoint.name))?;
            let lines = pg.script(&pg.db, &sql, &vars)?;
            std::fs::write(&requests, lines + "\n").map_err(|e| e.to_string())
        };
        write_requests()?;
        drain(pg);
        let profile = profile(api, pg, &requests, &token, &nonce)?;
        eprintln!(
            "bench: {:.1} SQL statements per request, {:.2} ms alone",
            profile.statements_per_request, profile.alone_ms
        );
        for failure in &profile.failures {
            eprintln!("bench: a profiling request failed: {failure}");
        }
        drain(pg);
        api.reset_peak();
        if endpoint.kind == Kind::Write {
            write_requests()?;
        }
        let _ = wrk(
            options,
            &api.addr,
            &requests,
            &token,
            &format!("{nonce}w{index}"),
            options.warmup,
        )?;
        if endpoint.kind == Kind::Write {
            write_requests()?;
        }
        let load = wrk(
            options,
            &api.addr,
            &requests,
            &token,
            &format!("{nonce}m{index}"),
            options.duration,
        )?;
        let peak_kib = api.peak_kib();
        drain(pg);
        let rss_after_kib = api.rss_kib();
        eprintln!(
            "bench: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms, {} errors, {} 409s, \
             peak {} MiB",
            load.throughput(),
            load.p50_ms,
            load.p99_ms,
            load.max_ms,
            load.errors,
            load.conflicts,
            peak_kib / 1024
        );
        if !load.sample.is_empty() {
            eprintln!("bench: first error: {}", load.sample);
        }
        let pgbench = match endpoint.pgbench {
            Some(template) => Some(pgbench_pair(pg, options, template, &requests, work)?),
            None => None,
        };
        outcomes.push((
            index,
            Outcome {
                load,
                profile,
                peak_kib,
                rss_after_kib,
                pgbench,
            },
        ));
    }
    eprintln!("\nbench: EXPLAIN of the hot queries");
    let explain = pg.query(&read_bench_file("explain.sql")?)?;
    Ok(Measured { outcomes, explain })
}

struct Measured {
    outcomes: Vec<(usize, Outcome)>,
    /// `bench/explain.sql`'s output.
    explain: String,
}

/// Waits until the API has no statement running: requests still in flight when wrk stopped
/// (a slow endpoint's) would otherwise be counted for the next endpoint. A request waiting for a
/// pooled connection means some connection is busy, so three idle looks in a row are enough.
fn drain(pg: &Pg) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut idle = 0;
    while idle < 3 && Instant::now() < deadline {
        let busy = pg
            .query(
                "SELECT count(*) FROM pg_stat_activity
                  WHERE application_name = 'hms-api' AND state <> 'idle'
                    AND pid <> pg_backend_pid()",
            )
            .unwrap_or_default();
        idle = if busy == "0" { idle + 1 } else { 0 };
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One request line of a request file.
struct Line<'a> {
    method: &'a str,
    path: &'a str,
    body: Option<&'a str>,
}

fn parse_line(line: &str) -> Option<Line<'_>> {
    let mut parts = line.splitn(3, '\t');
    let method = parts.next()?;
    let path = parts.next()?;
    Some(Line {
        method,
        path,
        body: parts.next().filter(|b| !b.is_empty()),
    })
}

/// Sends the first requests of the file one by one and reads `pg_stat_statements`: how many
/// statements a request runs, and which.
fn profile(api: &Api, pg: &Pg, requests: &Path, token: &str, nonce: &str) -> Result<Profile> {
    let text = std::fs::read_to_string(requests).map_err(|e| e.to_string())?;
    let lines: Vec<Line> = text.lines().filter_map(parse_line).collect();
    if lines.is_empty() {
        return Err(format!("{} holds no requests", requests.display()));
    }
    pg.query("SELECT pg_stat_statements_reset()")?;
    let mut failures = Vec::new();
    let mut spent = Duration::ZERO;
    // The last lines: a booking file's first lines are what the load run sends.
    for (i, line) in lines
        .iter()
        .rev()
        .cycle()
        .take(PROFILE_REQUESTS)
        .enumerate()
    {
        let key = format!(
            "profile-{nonce}-{}-{i}",
            requests.file_stem().unwrap_or_default().to_string_lossy()
        );
        let t = Instant::now();
        let (status, body) = send(
            &api.addr,
            line.method,
            line.path,
            (token != "-").then_some(token),
            (line.method != "GET").then_some(key.as_str()),
            line.body,
        )?;
        spent += t.elapsed();
        if !(200..300).contains(&status) && status != 409 {
            failures.push(format!(
                "{} {} -> {status}: {}",
                line.method,
                line.path,
                body.chars().take(300).collect::<String>()
            ));
        }
    }
    let n = PROFILE_REQUESTS as f64;
    let rows = pg.query(
        "SELECT s.calls, round(s.mean_exec_time::numeric, 3), round(s.total_exec_time::numeric, 3),
                left(regexp_replace(s.query, '\\s+', ' ', 'g'), 400)
           FROM pg_stat_statements s
           JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = current_database()
            AND s.query NOT LIKE '%pg_stat_statements%'
            -- hms_fold() of a search term, evaluated by the planner: not a statement sent
            AND s.query NOT LIKE 'SELECT lower(public.unaccent(%'
          ORDER BY s.calls DESC, s.total_exec_time DESC",
    )?;
    let mut profile = Profile {
        alone_ms: spent.as_secs_f64() * 1000.0 / n,
        failures,
        ..Profile::default()
    };
    for row in rows.lines() {
        let mut f = row.splitn(4, '|');
        let (Some(calls), Some(mean), Some(total), Some(query)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let calls: f64 = calls.parse().unwrap_or(0.0);
        let total: f64 = total.parse().unwrap_or(0.0);
        profile.statements_per_request += calls / n;
        profile.db_ms_per_request += total / n;
        profile
            .statements
            .push((calls / n, mean.parse().unwrap_or(0.0), query.to_owned()));
    }
    Ok(profile)
}

/// One HTTP/1.1 request on a fresh connection: (status, body).
fn send(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    idempotency_key: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        let _ = write!(head, "Authorization: Bearer {t}\r\n");
    }
    if let Some(k) = idempotency_key {
        let _ = write!(head, "Idempotency-Key: {k}\r\n");
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        let _ = write!(head, "Content-Type: application/json\r\n");
    }
    let _ = write!(head, "Content-Length: {}\r\n\r\n{body}", body.len());
    stream
        .write_all(head.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| e.to_string())?;
    let response = String::from_utf8_lossy(&response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP status from {method} {path}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn wrk(
    options: &Options,
    addr: &str,
    requests: &Path,
    token: &str,
    nonce: &str,
    seconds: u32,
) -> Result<Load> {
    let script = root().join("bench/wrk/requests.lua");
    let out = Command::new("wrk")
        .args(["-t", &options.threads.to_string()])
        .args(["-c", &options.concurrency.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", "10s", "-s"])
        .arg(&script)
        .arg(format!("http://{addr}"))
        .arg("--")
        .arg(requests)
        .args([token, nonce, &options.threads.to_string()])
        .output()
        .map_err(|e| format!("wrk: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH "))
        .ok_or_else(|| {
            format!(
                "wrk printed no result: {}{}",
                stdout,
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let num = |key: &str| json_number(line, key).unwrap_or(0.0);
    let socket_errors =
        num("connect_errors") + num("read_errors") + num("write_errors") + num("timeouts");
    Ok(Load {
        requests: num("requests") as u64,
        seconds: num("duration_us") / 1e6,
        p50_ms: num("p50_us") / 1000.0,
        p90_ms: num("p90_us") / 1000.0,
        p99_ms: num("p99_us") / 1000.0,
        max_ms: num("max_us") / 1000.0,
        mean_ms: num("mean_us") / 1000.0,
        ok: num("ok") as u64,
        conflicts: num("conflict") as u64,
        errors: (num("other") + socket_errors) as u64,
        sample: json_string(line, "sample").unwrap_or_default(),
    })
}

/// The number after `"key":` in a flat JSON object.
fn json_number(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &json[at..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

fn json_string(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let rest = &json[at..];
    Some(rest[..rest.find('"')?].to_owned())
}

// ---------------------------------------------------------------------------------------------
// pgbench

/// Runs `bench/pgbench/<name>.sql` (every statement the API sends for one request) and
/// `<name>-query.sql` (the hot query alone), each filled in with the values of the first
/// [`PGBENCH_VARIANTS`] requests of the endpoint's request file (one pgbench script per request,
/// picked at random by pgbench). The audit rows a request writes (`{{audit_values}}`) name the patients its
/// query returns, found by running the query first.
fn pgbench_pair(
    pg: &Pg,
    options: &Options,
    name: &str,
    requests: &Path,
    work: &Path,
) -> Result<(PgBench, PgBench)> {
    let text = std::fs::read_to_string(requests).map_err(|e| e.to_string())?;
    let params: Vec<Vec<(String, String)>> = text
        .lines()
        .filter_map(parse_line)
        .take(PGBENCH_VARIANTS)
        .map(|l| request_params(l.path))
        .collect();
    let user = |email: &str| pg.query(&format!("SELECT id FROM users WHERE email = '{email}'"));
    let doctor = user("doctor@demo.hms")?;
    let reception = user("reception@demo.hms")?;
    // (column of the audited patient id, deduplicated, actor, role, action)
    let audit = match name {
        "search" => Some((0, false, &doctor, "doctor", "search")),
        "day-list" => Some((1, true, &reception, "receptionist", "read_appointments")),
        _ => None,
    };
    let fill = |template: &str, p: &[(String, String)]| {
        let mut script = template
            .replace("{{doctor}}", &doctor)
            .replace("{{reception}}", &reception)
            .replace("{{tz}}", TIME_ZONE);
        for (k, v) in p {
            script = script.replace(&format!("{{{{{k}}}}}"), &v.replace('\'', "''"));
        }
        script
    };
    // A name search's statements depend on its term: which tiers it reaches.
    let fill = |template: &str, p: &[(String, String)]| -> Result<String> {
        let template = match p.iter().find(|(k, _)| k == "q") {
            Some((_, q)) if template.contains("{{tiers}}") => {
                template.replace("{{tiers}}", &search_tiers(pg, q, |t| fill(t, p))?)
            }
            _ => template.to_owned(),
        };
        Ok(fill(&template, p))
    };
    let query_template = read_bench_file(&format!("pgbench/{name}-query.sql"))?;
    let mut results = Vec::new();
    for variant in [name.to_owned(), format!("{name}-query")] {
        let template = read_bench_file(&format!("pgbench/{variant}.sql"))?;
        let dir = work.join("pgbench").join(&variant);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut files = Vec::new();
        // Without request parameters one script is enough: pgbench varies :n itself.
        let per_request = template.contains("{{q}}") || template.contains("{{date}}");
        for (i, p) in params
            .iter()
            .enumerate()
            .take(if per_request { PGBENCH_VARIANTS } else { 1 })
        {
            let mut script = fill(&template, p)?;
            if let Some((column, dedup, actor, role, action)) = audit {
                if script.contains("{{audit_values}}") {
                    let out = pg.query(&fill(&query_template, p)?)?;
                    let mut ids: Vec<&str> = out
                        .lines()
                        .filter_map(|l| l.split('|').nth(column))
                        .take(50)
                        .collect();
                    if dedup {
                        ids.sort_unstable();
                        ids.dedup();
                    }
                    let values: Vec<String> = ids
                        .iter()
                        .map(|id| {
                            format!(
                                "(now(), '{id}', '{actor}', '{role}', '{action}', 'patient', \
                                 DEFAULT, '127.0.0.1', 'pgbench', 'success')"
                            )
                        })
                        .collect();
                    script = if values.is_empty() {
                        // The API writes no audit statement for an empty page.
                        script
                            .lines()
                            .filter(|l| !l.contains("{{audit_values}}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    } else {
                        script.replace("{{audit_values}}", &values.join(", "))
                    };
                }
            }
            let file = dir.join(format!("{i}.sql"));
            std::fs::write(&file, script).map_err(|e| e.to_string())?;
            files.push(file);
        }
        // One pgbench process per measurement, warm-up included: its prepared statements
        // live in its connections, so a separate warm-up process would not warm them. The
        // per-second progress after the warm-up is the steady state.
        let run = |clients: u32| -> Result<PgBench> {
            let seconds = options.warmup + (options.duration / 2).max(3);
            let mut cmd = Command::new(pg_harness::bin_dir().join("pgbench"));
            cmd.args([
                "-h",
                "127.0.0.1",
                "-p",
                &pg.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-n", "-M", "prepared", "-P", "1"])
            .args(["-c", &clients.to_string()])
            .args(["-j", &options.threads.min(clients).to_string()])
            .args(["-T", &seconds.to_string()])
            .args(["-D", &format!("patients={}", options.active_patients())]);
            for f in &files {
                cmd.arg("-f").arg(f);
            }
            let out = cmd
                .arg(&pg.db)
                .output()
                .map_err(|e| format!("pgbench: {e}"))?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !out.status.success() {
                return Err(format!("pgbench {variant} failed: {stdout}{stderr}"));
            }
            // "progress: 5.0 s, 1234.5 tps, lat 6.473 ms stddev 2.103, 0 failed"
            let (mut transactions, mut latency, mut intervals) = (0.0, 0.0, 0.0);
            for line in stderr.lines() {
                let Some(rest) = line.strip_prefix("progress: ") else {
                    continue;
                };
                let number = |after: &str| {
                    rest.split_once(after)
                        .map(|(_, r)| r.trim_start())
                        .and_then(|r| r.split([' ', ',']).next())
                        .and_then(|n| n.parse::<f64>().ok())
                };
                let at = rest
                    .split(' ')
                    .next()
                    .and_then(|n| n.parse::<f64>().ok())
                    .unwrap_or(0.0);
                let tps = rest
                    .split(", ")
                    .nth(1)
                    .and_then(|t| t.strip_suffix(" tps"))
                    .and_then(|n| n.parse::<f64>().ok());
                if let (Some(tps), Some(lat)) = (tps, number("lat ")) {
                    if at > f64::from(options.warmup) {
                        transactions += tps;
                        latency += tps * lat;
                        intervals += 1.0;
                    }
                }
            }
            let failed = stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix("number of failed transactions: "))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0) as u64;
            Ok(PgBench {
                tps: if intervals > 0.0 {
                    transactions / intervals
                } else {
                    0.0
                },
                latency_ms: if transactions > 0.0 {
                    latency / transactions
                } else {
                    0.0
                },
                failed,
                clients,
            })
        };
        // PostgreSQL's best: with as many sessions as the API's pool (what the API can use)
        // and as many as the HTTP load's connections (what group commit likes).
        let mut best = PgBench::default();
        let mut sessions = vec![options.pool, options.concurrency];
        sessions.dedup();
        for clients in sessions {
            let result = run(clients)?;
            eprintln!(
                "bench: pgbench {variant}, {clients} clients: {:.0} tps, {:.2} ms average",
                result.tps, result.latency_ms
            );
            if result.tps > best.tps {
                best = result;
            }
        }
        results.push(best);
    }
    let query = results.pop().unwrap_or_default();
    let same = results.pop().unwrap_or_default();
    Ok((same, query))
}

/// The statements a name search for `q` sends (`patients::repo::search`): each tier of
/// `bench/pgbench/search-<tier>.sql` in turn, asking for what is left of the page, until the
/// page is full. Each tier is run here first to know how many rows it returns.
fn search_tiers(pg: &Pg, q: &str, fill: impl Fn(&str) -> String) -> Result<String> {
    let words = q.split_whitespace().count();
    let other_words: Vec<String> = (2..=words)
        .map(|k| {
            format!(
                "position(' ' || split_part(hms_fold('{{{{q}}}}'), ' ', {k}) IN ' ' || search_name) > 0"
            )
        })
        .collect();
    let other_words = if other_words.is_empty() {
        "true".to_owned()
    } else {
        other_words.join(" AND ")
    };
    // The API asks for a page of 50 and one more, to know whether there is a next page.
    let mut left = 51;
    let mut statements = Vec::new();
    for tier in ["family", "given", "similar"] {
        if left == 0 {
            break;
        }
        let sql = read_bench_file(&format!("pgbench/search-{tier}.sql"))?
            .lines()
            .filter(|l| !l.starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("{{other_words}}", &other_words)
            .replace("{{limit}}", &left.to_string());
        let sql = fill(&sql);
        let found = pg.query(&format!("BEGIN;\n{sql}\nCOMMIT;"))?;
        left -= found.lines().filter(|l| !l.is_empty()).count().min(left);
        statements.push(sql);
    }
    Ok(statements.join("\n"))
}

/// The query parameters of a request path (`q`, `department_id`, `date`, ...), URL-decoded.
fn request_params(path: &str) -> Vec<(String, String)> {
    let Some((_, query)) = path.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// The report

/// The machine the benchmark ran on, and how busy it was.
fn machine(pg: &Pg, load_before: &str, load_after: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = crate::output(Command::new("uname").arg("-r")).unwrap_or_default();
    let version = pg.query("SHOW server_version").unwrap_or_default();
    let load = |l: &str| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    format!(
        "{cpu}, {cores} cores, {mem_gib:.0} GiB RAM, Linux {kernel}, PostgreSQL {version}; \
         API, PostgreSQL and wrk on the same machine; load average {} before, {} after",
        load(load_before),
        load(load_after)
    )
}

struct Report<'a> {
    options: &'a Options,
    seed: Seed,
    outcomes: Vec<(usize, Outcome)>,
    explain: String,
    machine: String,
    wall: Duration,
}

/// The rows of the table, as text cells.
const HEADER: [&str; 12] = [
    "endpoint",
    "req/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "errors",
    "409",
    "SQL/req",
    "alone ms",
    "peak MiB",
    "pgbench tps",
    "API/pgbench",
];

impl Report<'_> {
    fn rows(&self) -> Vec<[String; 12]> {
        self.outcomes
            .iter()
            .map(|(i, o)| {
                let e = &ENDPOINTS[*i];
                let (pgbench, ratio) = match &o.pgbench {
                    Some((same, query)) if same.tps > 0.0 => (
                        format!("{:.0} / {:.0}", same.tps, query.tps),
                        format!(
                            "{:.0} % / {:.0} %",
                            100.0 * o.load.throughput() / same.tps,
                            100.0 * o.load.throughput() / query.tps.max(f64::MIN_POSITIVE)
                        ),
                    ),
                    _ => ("".into(), "".into()),
                };
                [
                    e.name.to_owned(),
                    format!("{:.0}", o.load.throughput()),
                    format!("{:.2}", o.load.p50_ms),
                    format!("{:.2}", o.load.p99_ms),
                    format!("{:.1}", o.load.max_ms),
                    o.load.errors.to_string(),
                    o.load.conflicts.to_string(),
                    format!("{:.1}", o.profile.statements_per_request),
                    format!("{:.2}", o.profile.alone_ms),
                    format!("{:.0}", o.peak_kib as f64 / 1024.0),
                    pgbench,
                    ratio,
                ]
            })
            .collect()
    }

    fn print(&self) {
        let rows = self.rows();
        let mut widths = HEADER.map(str::len);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r.iter()) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, (c, w)) in cells.iter().zip(widths.iter()).enumerate() {
                if i == 0 {
                    let _ = write!(s, "{c:<w$}");
                } else {
                    let _ = write!(s, "  {c:>w$}");
                }
            }
            s
        };
        println!(
            "\n{} patients, concurrency {}, {} s per endpoint after a {} s warm-up, pool {}",
            self.options.patients,
            self.options.concurrency,
            self.options.duration,
            self.options.warmup,
            self.options.pool
        );
        println!("{}", line(&HEADER.map(str::to_owned)));
        for r in &rows {
            println!("{}", line(r));
        }
        println!(
            "\npgbench tps: same statements as the API / the hot query alone (best of {} and {} \
             clients); API/pgbench: the API's req/s as a share of each.",
            self.options.pool, self.options.concurrency
        );
        println!(
            "data set: {} in {:.0} s; the benchmark took {:.0} s",
            if self.seed.reused {
                "reused (seeded earlier)"
            } else {
                "seeded"
            },
            self.seed.total,
            self.wall.as_secs_f64()
        );
        println!("machine: {}", self.machine);
    }

    fn write(&self) -> Result<()> {
        let dir = root().join("bench/results");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let stem = format!("patients-{}", self.options.patients);
        std::fs::write(dir.join(format!("{stem}.json")), self.json()).map_err(|e| e.to_string())?;
        std::fs::write(dir.join(format!("{stem}.md")), self.markdown())
            .map_err(|e| e.to_string())?;
        eprintln!("bench: wrote {}/{stem}.json and {stem}.md", dir.display());
        Ok(())
    }

    fn json(&self) -> String {
        let esc = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace(['\n', '\t', '\r'], " ")
        };
        let mut j = String::new();
        let o = self.options;
        let _ = write!(
            j,
            "{{\n  \"patients\": {},\n  \"concurrency\": {},\n  \"duration_s\": {},\n  \
             \"warmup_s\": {},\n  \"threads\": {},\n  \"pool\": {},\n  \"machine\": \"{}\",\n  \
             \"commit\": \"{}\",\n  \"seed\": {{\"reused\": {}, \"total_s\": {:.1}, \"steps\": [",
            o.patients,
            o.concurrency,
            o.duration,
            o.warmup,
            o.threads,
            o.pool,
            esc(&self.machine),
            esc(&commit()),
            self.seed.reused,
            self.seed.total
        );
        let steps: Vec<String> = self
            .seed
            .steps
            .iter()
            .map(|(n, s)| format!("{{\"step\": \"{}\", \"s\": {s:.1}}}", esc(n)))
            .collect();
        let _ = write!(j, "{}], \"rows\": {{", steps.join(", "));
        let counts: Vec<String> = self
            .seed
            .counts
            .iter()
            .map(|(n, c)| format!("\"{n}\": {c}"))
            .collect();
        let _ = write!(j, "{}}}}},\n  \"endpoints\": [", counts.join(", "));
        for (k, (i, out)) in self.outcomes.iter().enumerate() {
            let e = &ENDPOINTS[*i];
            let l = &out.load;
            let _ = write!(
                j,
                "{}\n    {{\"name\": \"{}\", \"request\": \"{}\", \"requests\": {}, \
                 \"throughput\": {:.1}, \"p50_ms\": {:.3}, \"p90_ms\": {:.3}, \"p99_ms\": {:.3}, \
                 \"max_ms\": {:.3}, \"mean_ms\": {:.3}, \"ok\": {}, \"conflicts\": {}, \
                 \"errors\": {}, \"first_error\": \"{}\", \"peak_rss_mib\": {:.1}, \"rss_after_mib\": {:.1}, \
                 \"sql_statements_per_request\": {:.2}, \"db_ms_per_request\": {:.3}, \
                 \"alone_ms\": {:.3}, \"profile_failures\": {}",
                if k == 0 { "" } else { "," },
                e.name,
                esc(e.what),
                l.requests,
                l.throughput(),
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.max_ms,
                l.mean_ms,
                l.ok,
                l.conflicts,
                l.errors,
                esc(&l.sample),
                out.peak_kib as f64 / 1024.0,
                out.rss_after_kib as f64 / 1024.0,
                out.profile.statements_per_request,
                out.profile.db_ms_per_request,
                out.profile.alone_ms,
                out.profile.failures.len()
            );
            if let Some((same, query)) = &out.pgbench {
                let _ = write!(
                    j,
                    ", \"pgbench_same_sql\": {{\"tps\": {:.1}, \"latency_ms\": {:.3}, \
                     \"failed\": {}, \"clients\": {}}}, \"pgbench_query_only\": {{\"tps\": \
                     {:.1}, \"latency_ms\": {:.3}, \"failed\": {}, \"clients\": {}}}, \
                     \"api_over_pgbench_same_sql\": {:.3}, \"api_over_pgbench_query_only\": {:.3}",
                    same.tps,
                    same.latency_ms,
                    same.failed,
                    same.clients,
                    query.tps,
                    query.latency_ms,
                    query.failed,
                    query.clients,
                    l.throughput() / same.tps.max(f64::MIN_POSITIVE),
                    l.throughput() / query.tps.max(f64::MIN_POSITIVE)
                );
            }
            let statements: Vec<String> = out
                .profile
                .statements
                .iter()
                .map(|(calls, mean, q)| {
                    format!(
                        "{{\"per_request\": {calls:.2}, \"mean_ms\": {mean:.3}, \"sql\": \"{}\"}}",
                        esc(q)
                    )
                })
                .collect();
            let _ = write!(j, ", \"statements\": [{}]}}", statements.join(", "));
        }
        j.push_str("\n  ]\n}\n");
        j
    }

    /// How latency changed from the last 10,000-patient run (`bench/results/patients-10000.json`)
    /// to this one, for a run at more patients (the target: at most twofold). Run the small size
    /// first.
    fn growth(&self) -> String {
        const SMALL: u64 = 10_000;
        let large = self.options.patients;
        let path = root().join(format!("bench/results/patients-{SMALL}.json"));
        let json = match std::fs::read_to_string(&path) {
            Ok(json) if large > SMALL => json,
            _ => return String::new(),
        };
        let mut m = format!(
            "\n## From {SMALL} to {large} patients\n\nThis run against the last run at {SMALL} \
             patients (`{}`): latency under load (p50, p99) and of one request alone, and \
             errors.\n\n| endpoint | p50 ms | p50 × | p99 ms | p99 × | alone ms | alone × | \
             errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
            path.strip_prefix(root()).unwrap_or(&path).display()
        );
        for (i, out) in &self.outcomes {
            let name = ENDPOINTS[*i].name;
            let Some(at) = json.find(&format!("\"name\": \"{name}\"")) else {
                continue;
            };
            let entry = &json[at..];
            let entry = &entry[..entry[1..].find("\"name\": ").map_or(entry.len(), |e| e + 1)];
            let field = |key: &str| json_number(entry, key).unwrap_or(0.0);
            let (p50, p99, alone, errors) = (
                field("p50_ms"),
                field("p99_ms"),
                field("alone_ms"),
                field("errors"),
            );
            let times = |small: f64, large: f64| large / small.max(0.001);
            let _ = writeln!(
                m,
                "| {name} | {p50:.2} → {:.2} | {:.1} | {p99:.2} → {:.2} | {:.1} | {alone:.2} → \
                 {:.2} | {:.1} | {errors:.0} → {} |",
                out.load.p50_ms,
                times(p50, out.load.p50_ms),
                out.load.p99_ms,
                times(p99, out.load.p99_ms),
                out.profile.alone_ms,
                times(alone, out.profile.alone_ms),
                out.load.errors
            );
        }
        m
    }

    fn markdown(&self) -> String {
        let o = self.options;
        let mut m = String::new();
        let _ = writeln!(
            m,
            "# Benchmark: {} patients\n\nWritten by `cargo xtask bench --patients {}` \
             (commit {}). Concurrency {}, {} wrk threads, {} s per endpoint after a {} s \
             warm-up, API pool {} connections.\n\nMachine: {}.\n",
            o.patients,
            o.patients,
            commit(),
            o.concurrency,
            o.threads,
            o.duration,
            o.warmup,
            o.pool,
            self.machine
        );
        m.push_str("| ");
        m.push_str(&HEADER.join(" | "));
        m.push_str(" |\n|");
        for i in 0..HEADER.len() {
            m.push_str(if i == 0 { "---|" } else { "---:|" });
        }
        m.push('\n');
        for r in self.rows() {
            let _ = writeln!(m, "| {} |", r.join(" | "));
        }
        m.push_str(
            "\n`errors`: responses other than 2xx and 409, and socket errors. `SQL/req`: \
             statements PostgreSQL executed per request (pg_stat_statements, 50 requests sent \
             one by one; `alone ms` is their mean latency). `peak MiB`: the API's VmHWM during \
             the endpoint's runs. `pgbench tps`: the same statements as the API sends for one \
             request / the hot query alone, `-M prepared`, same database, the better of \
             as many clients as the API's pool and as the HTTP connections; `API/pgbench`: the \
             API's throughput as a share of each.\n",
        );
        m.push_str(&self.growth());
        let _ = writeln!(
            m,
            "\n## Data set\n\n{} in {:.0} s.\n",
            if self.seed.reused {
                "Seeded by an earlier run"
            } else {
                "Seeded"
            },
            self.seed.total
        );
        m.push_str("| step | seconds |\n|---|---:|\n");
        for (n, s) in &self.seed.steps {
            let _ = writeln!(m, "| {n} | {s:.1} |");
        }
        m.push_str("\n| table | rows |\n|---|---:|\n");
        for (n, c) in &self.seed.counts {
            let _ = writeln!(m, "| {n} | {c} |");
        }
        m.push_str("\n## What each request runs\n");
        for (i, out) in &self.outcomes {
            let e = &ENDPOINTS[*i];
            let _ = writeln!(
                m,
                "\n### {} — `{}`\n\n{:.1} statements, {:.2} ms of execution in PostgreSQL per \
                 request.\n",
                e.name, e.what, out.profile.statements_per_request, out.profile.db_ms_per_request
            );
            if !out.profile.failures.is_empty() {
                let _ = writeln!(
                    m,
                    "Failed profiling requests: {}\n",
                    out.profile.failures.join("; ")
                );
            }
            if out.profile.statements.is_empty() {
                continue;
            }
            m.push_str("| per request | mean ms | statement |\n|---:|---:|---|\n");
            for (calls, mean, q) in &out.profile.statements {
                let _ = writeln!(
                    m,
                    "| {calls:.2} | {mean:.3} | `{}` |",
                    q.replace('|', "\\|").replace('`', "'")
                );
            }
        }
        let _ = write!(
            m,
            "\n## Plans of the hot queries\n\nFrom `bench/explain.sql` after the load runs \
             (EXPLAIN ANALYZE, BUFFERS).\n\n```text\n{}\n```\n",
            self.explain
        );
        m
    }
}

fn commit() -> String {
    let head = crate::output(Command::new("git").args(["-C"]).arg(root()).args([
        "rev-parse",
        "--short",
        "HEAD",
    ]))
    .unwrap_or_default();
    let dirty = crate::output(Command::new("git").args(["-C"]).arg(root()).args([
        "status",
        "--porcelain",
        "--untracked-files=no",
    ]))
    .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head}, with uncommitted changes")
    } else {
        head
    }
}
