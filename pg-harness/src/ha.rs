//! A pg_auto_failover formation for failover tests: a monitor and two data nodes (`node1`,
//! `node2`) on 127.0.0.1, with synchronous replication, tuned to fail over in about 5 s when the
//! primary's host is lost.
//!
//! The recipe, its measurements and its traps are in `docs/ha-backup-recipes.md` §2 of the shared
//! docs. In short:
//!
//! - Each instance is run by its own `pg_autoctl run` process (the keeper). Keepers start with
//!   `setsid`, so each keeper, its helpers and its postmaster form one process group, with a pid
//!   file (`<name>.pid`) and a log (`<name>.log`) in the cluster folder. Postgres puts every
//!   child of the postmaster in a session of its own, so killing the group misses the backends;
//!   most exit when they notice the postmaster is gone, but the monitor's healthcheck worker
//!   does not. Kills therefore also hit every process whose working directory is the PGDATA.
//! - pg_autoctl keeps config, state and pid files under the XDG folders, keyed by the PGDATA
//!   path. Every `pg_autoctl` call gets `XDG_CONFIG_HOME`, `XDG_DATA_HOME` and `XDG_RUNTIME_DIR`
//!   inside the cluster folder (one set per instance), so nothing lands in the `postgres` user's
//!   home. Unix sockets live in `<dir>/sock`, not in `/var/run/postgresql`.
//! - pg_autoctl cannot pass initdb options, so `node1` and the monitor are created by our own
//!   `initdb --data-checksums`; `node2` is a `pg_basebackup` of `node1` and inherits checksums.
//! - With one standby, pg_auto_failover's default (`number_sync_standbys = 0`, replication quorum
//!   on) already means `synchronous_standby_names = 'ANY 1 (...)'`: a commit is acknowledged only
//!   once the standby has written it. [`HaCluster::start`] checks that this is in force.
//! - A promoted standby stays read-only (`default_transaction_read_only = on`) until the monitor's
//!   `primary_demote_timeout` has passed. "Writable" therefore means `transaction_read_only = off`,
//!   not just `pg_is_in_recovery() = false`.
//! - `fsync = off` on every instance. The drill kills processes, not the machine: what a server
//!   wrote before it died is still in the kernel's page cache, so a commit that the standby had
//!   received is not lost either way. With fsync on, the crash recovery before `pg_rewind`
//!   spent 5 s syncing the data folder on a busy 2-core machine. (`pg_basebackup` still syncs.)
//! - Ports are picked below 32768, outside Linux's ephemeral range, so an outgoing connection
//!   cannot hold a port a server is about to bind.
//!
//! SQL from the harness goes through `psql` (the crate has no libpq binding): see [`psql`].

use std::collections::hash_map::RandomState;
use std::fs::OpenOptions;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{
    as_postgres, bin_dir, initdb, is_root, log_line, make_dir_for_postgres, spawn_cleanup_watchdog,
};

/// The data nodes, by index: `HaCluster::primary` and friends return an index into this.
const NODES: [&str; 2] = ["node1", "node2"];
const MONITOR: &str = "monitor";

/// Monitor settings for a failover in about 5 s (recipes §2.2 and §2.4; defaults in comments).
const MONITOR_CONF: &str = "
# hms pg-harness: fast failover for tests
shared_buffers = '64MB'                               # pg_autoctl sets 25 % of RAM
fsync = off                                           # only processes are killed, see the module doc
pgautofailover.health_check_period = 500              # 5000 ms
pgautofailover.health_check_timeout = 500             # 5000 ms
pgautofailover.health_check_max_retries = 1           # 2
pgautofailover.health_check_retry_delay = 250         # 2000 ms
pgautofailover.node_considered_unhealthy_timeout = 2000  # 20000 ms
pgautofailover.primary_demote_timeout = 3000          # 30000 ms; keep above the keepers' network_partition_timeout
pgautofailover.startup_grace_period = 2000            # 10000 ms: no failover in the monitor's first seconds
";

/// Data node settings, appended to node1's `postgresql.conf` before `pg_autoctl create`, so
/// node2 inherits them through `pg_basebackup`. Lines appended to `postgresql.conf` override
/// `postgresql-auto-failover.conf`, which pg_autoctl includes on its first line.
const NODE_CONF: &str = "
# hms pg-harness
shared_buffers = '64MB'                # pg_autoctl sets 25 % of RAM
wal_retrieve_retry_interval = '1s'     # a standby reconnects faster after its primary restarts
fsync = off                            # only processes are killed, see the module doc
";

/// Keeper setting (seconds, default 20): how long an isolated primary waits before demoting
/// itself. Must stay below the monitor's `primary_demote_timeout`.
const NETWORK_PARTITION_TIMEOUT: &str = "2";

/// A pg_auto_failover formation in a fresh folder under `/tmp`: a monitor and two data nodes,
/// all on 127.0.0.1. Stopped and deleted on drop, or by a watchdog when the process exits
/// without dropping it.
///
/// Data nodes are addressed by index: 0 is `node1`, 1 is `node2`.
pub struct HaCluster {
    dir: PathBuf,
    monitor_port: u16,
    ports: [u16; 2],
    /// The `setsid` process of each keeper (it is the process group leader): data nodes, then
    /// the monitor.
    keepers: [Option<Child>; 3],
}

impl HaCluster {
    /// Creates and starts a formation in a fresh `/tmp` folder and waits until `node1` is the
    /// primary and `node2` its synchronous standby (`secondary`).
    ///
    /// - `node1` comes from our own `initdb --data-checksums`; `node2` is cloned from it.
    /// - The monitor is tuned as in the recipes (host loss → writable in about 5 s).
    /// - Replication is synchronous (`synchronous_standby_names = 'ANY 1 (...)'`), so no
    ///   acknowledged commit is lost when the primary dies; this is checked before returning.
    /// - Database `db` is created on the primary (owned by `postgres`) and so exists on both
    ///   nodes. Every server trusts `postgres` on loopback.
    ///
    /// Takes 12–18 s on a busy 2-core machine (two initdb, then pg_autoctl's steps, which
    /// advance about once a second; `pg_basebackup` of node1 syncs to disk). Fails with a clear message when `pg_autoctl`
    /// (Debian package `postgresql-15-auto-failover`) is not installed.
    pub fn start(db: &str) -> io::Result<HaCluster> {
        let started = Instant::now();
        let autoctl = pg_autoctl_path().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "pg_autoctl not found (set PG_AUTOCTL or `apt-get install \
                 postgresql-15-auto-failover`)",
            )
        })?;
        let dir = make_dir_for_postgres(None)?;
        // Registered before anything starts, so a panic anywhere below cleans up too.
        spawn_cleanup_watchdog(&watchdog_script(&dir))?;
        let mut taken = Vec::new();
        for _ in 0..3 {
            let port = free_low_port(&taken)?;
            taken.push(port);
        }
        let mut cluster = HaCluster {
            dir,
            monitor_port: taken[0],
            ports: [taken[1], taken[2]],
            keepers: [None, None, None],
        };
        let phases = cluster.create(db, &autoctl)?;
        log_line(&format!(
            "pg_auto_failover formation (monitor :{}, node1 :{}, node2 :{}) ready in {:.1?} \
             ({phases}) in {}",
            cluster.monitor_port,
            cluster.ports[0],
            cluster.ports[1],
            started.elapsed(),
            cluster.dir.display()
        ));
        Ok(cluster)
    }

    /// Builds the formation; returns how long each phase took, for the log.
    fn create(&mut self, db: &str, autoctl: &Path) -> io::Result<String> {
        let mut phases = Vec::new();
        let mut lap = Instant::now();
        let mut phase = |name: &str| {
            phases.push(format!("{name} {:.1?}", lap.elapsed()));
            lap = Instant::now();
        };
        let sock = self.dir.join("sock");
        let mut dirs = vec![sock.clone()];
        for name in [MONITOR, NODES[0], NODES[1]] {
            for kind in ["config", "data", "run"] {
                dirs.push(self.dir.join("xdg").join(name).join(kind));
            }
        }
        let made = as_postgres("mkdir".as_ref())
            .args(["-p", "-m", "0700"])
            .args(&dirs)
            .status()?;
        if !made.success() {
            return Err(io::Error::other("mkdir of the XDG folders failed"));
        }

        // Our own initdb for the monitor and node1, in parallel (2 cores).
        let (monitor_pgdata, node1_pgdata) = (self.pgdata(MONITOR), self.pgdata(NODES[0]));
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| initdb(&monitor_pgdata));
            let b = initdb(&node1_pgdata);
            (a.join(), b)
        });
        a.map_err(|_| io::Error::other("initdb thread panicked"))??;
        b?;
        phase("initdb");
        let socket_line = format!("unix_socket_directories = '{}'\n", sock.display());
        append(
            &monitor_pgdata.join("postgresql.conf"),
            &format!("\n{socket_line}"),
        )?;
        append(
            &node1_pgdata.join("postgresql.conf"),
            &format!("{NODE_CONF}{socket_line}"),
        )?;

        // 1. The monitor.
        self.autoctl(MONITOR, autoctl)
            .args(["create", "monitor", "--pgdata"])
            .arg(&monitor_pgdata)
            .args(["--pgport", &self.monitor_port.to_string()])
            .args(COMMON_CREATE_ARGS)
            .arg("--pgctl")
            .arg(bin_dir().join("pg_ctl"))
            .run(&self.dir, "pg_autoctl create monitor")?;
        append(&monitor_pgdata.join("postgresql.conf"), MONITOR_CONF)?;
        self.spawn_keeper(2, autoctl)?;
        self.wait_until(
            Duration::from_secs(30),
            "the monitor accepts connections",
            |c| Ok(psql(&c.monitor_url(), "select 1").is_ok()),
        )?;
        phase("monitor");

        // 2. node1 on the PGDATA made above; it registers as `single`.
        // 3. node2, a pg_basebackup of node1 (needs node1's keeper running).
        let monitor = format!(
            "postgres://autoctl_node@127.0.0.1:{}/pg_auto_failover?sslmode=disable",
            self.monitor_port
        );
        for (i, name) in NODES.into_iter().enumerate() {
            self.autoctl(name, autoctl)
                .args(["create", "postgres", "--pgdata"])
                .arg(self.pgdata(name))
                .args(["--pgport", &self.ports[i].to_string()])
                .args(COMMON_CREATE_ARGS)
                .args(["--name", name, "--dbname", db, "--monitor", &monitor])
                .arg("--pgctl")
                .arg(bin_dir().join("pg_ctl"))
                .run(&self.dir, &format!("pg_autoctl create postgres ({name})"))?;
            phase(&format!("{name} create"));
            self.autoctl(name, autoctl)
                .args(["config", "set", "--pgdata"])
                .arg(self.pgdata(name))
                .args([
                    "timeout.network_partition_timeout",
                    NETWORK_PARTITION_TIMEOUT,
                ])
                .run(&self.dir, "pg_autoctl config set")?;
            self.spawn_keeper(i, autoctl)?;
            let (want, what) = if i == 0 {
                ("single/single", "node1 is single")
            } else {
                (
                    "primary/primary secondary/secondary",
                    "node1 is primary and node2 secondary",
                )
            };
            self.wait_until(Duration::from_secs(60), what, |c| {
                let states = c.states()?;
                let known: Vec<&str> = states
                    .iter()
                    .map(String::as_str)
                    .filter(|s| *s != "?")
                    .collect();
                Ok(known.join(" ") == want)
            })?;
            phase(&format!("{name} run"));
        }

        // pg_autoctl creates `--dbname` on the primary; make sure, in case a version does not.
        let primary = self.node_urls("postgres").swap_remove(0);
        let exists = psql(
            &primary,
            &format!(
                "select count(*) from pg_database where datname = '{}'",
                db.replace('\'', "''")
            ),
        )?;
        if exists != "1" {
            psql(
                &primary,
                &format!(
                    "create database \"{}\" owner postgres",
                    db.replace('"', "\"\"")
                ),
            )?;
        }
        self.wait_until(
            Duration::from_secs(30),
            "the primary replicates synchronously to node2",
            |c| {
                let row = psql(
                    &c.node_urls("postgres")[0],
                    "select current_setting('synchronous_standby_names') || '|' || \
                     coalesce((select string_agg(sync_state, ',') from pg_stat_replication), '')",
                )?;
                Ok(
                    row.starts_with("ANY 1")
                        && (row.ends_with("|quorum") || row.ends_with("|sync")),
                )
            },
        )?;
        phase("checks");
        Ok(phases.join(", "))
    }

    /// A libpq URL for `db` on whichever data node accepts writes: both hosts, with
    /// `target_session_attrs=read-write`, `connect_timeout=2` and TCP keepalives as in
    /// `reliability.md` §5.2. User `postgres`, no password.
    pub fn write_url(&self, db: &str) -> String {
        self.multi_host_url(db, "read-write")
    }

    /// The same hosts as [`HaCluster::write_url`] with `target_session_attrs=prefer-standby`.
    pub fn read_url(&self, db: &str) -> String {
        self.multi_host_url(db, "prefer-standby")
    }

    fn multi_host_url(&self, db: &str, attrs: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{db}?target_session_attrs={attrs}\
             &connect_timeout=2&keepalives=1&keepalives_idle=10&keepalives_interval=5\
             &keepalives_count=3&tcp_user_timeout=5000&sslmode=disable",
            self.ports[0], self.ports[1]
        )
    }

    /// One plain URL per data node (index 0 is `node1`), whatever its role.
    pub fn node_urls(&self, db: &str) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| {
                format!("postgres://postgres@127.0.0.1:{p}/{db}?connect_timeout=2&sslmode=disable")
            })
            .collect()
    }

    /// A URL for the monitor's `pg_auto_failover` database (tables `pgautofailover.node`,
    /// `pgautofailover.event`).
    pub fn monitor_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/pg_auto_failover?connect_timeout=2&sslmode=disable",
            self.monitor_port
        )
    }

    /// The TCP ports of the data nodes (index 0 is `node1`).
    pub fn ports(&self) -> [u16; 2] {
        self.ports
    }

    /// The index of the current primary, as the monitor sees it: the node whose reported and
    /// goal states are both `primary`, `wait_primary` or `single`. An error while a failover is
    /// in progress.
    pub fn primary(&self) -> io::Result<usize> {
        let states = self.states()?;
        let primaries: Vec<usize> = states
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                [
                    "primary/primary",
                    "wait_primary/wait_primary",
                    "single/single",
                ]
                .contains(&s.as_str())
            })
            .map(|(i, _)| i)
            .collect();
        match primaries[..] {
            [i] => Ok(i),
            _ => Err(io::Error::other(format!(
                "no single primary right now: {}",
                self.describe_states(&states)
            ))),
        }
    }

    /// The monitor's view of data node `node`: `"<reportedstate>/<goalstate>"`, for example
    /// `"secondary/secondary"`, or `"?"` when the node is not registered.
    pub fn state(&self, node: usize) -> io::Result<String> {
        let mut states = self.states()?;
        if node >= states.len() {
            return Err(io::Error::other(format!("no data node {node}")));
        }
        Ok(states.swap_remove(node))
    }

    /// `"<reportedstate>/<goalstate>"` of node1 and node2, from the monitor.
    fn states(&self) -> io::Result<Vec<String>> {
        let rows = psql(
            &self.monitor_url(),
            "select nodename || ' ' || reportedstate || '/' || goalstate from pgautofailover.node",
        )?;
        Ok(NODES
            .iter()
            .map(|name| {
                rows.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name} ")))
                    .unwrap_or("?")
                    .to_string()
            })
            .collect())
    }

    fn describe_states(&self, states: &[String]) -> String {
        NODES
            .iter()
            .zip(states)
            .map(|(n, s)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Simulates losing the primary's host: `kill -9` on the process group of its keeper
    /// (keeper, its supervisor children, the postmaster) and on every process of that
    /// Postgres instance (backends, walsenders: Postgres puts each child in its own session).
    /// Returns once none of them is left, with the node's index and the instant just before
    /// the signal was sent.
    pub fn kill_primary(&mut self) -> io::Result<(usize, Instant)> {
        let node = self.primary()?;
        let at = self.kill_node(node)?;
        log_line(&format!("killed {} (the primary's host)", NODES[node]));
        Ok((node, at))
    }

    fn kill_node(&mut self, node: usize) -> io::Result<Instant> {
        let pgdata = self.pgdata(NODES[node]);
        let mut keeper = self.keepers[node]
            .take()
            .ok_or_else(|| io::Error::other(format!("{} is not running", NODES[node])))?;
        let mut targets = vec![format!("-{}", keeper.id())];
        targets.extend(pids_with_cwd(&pgdata).iter().map(u32::to_string));
        let at = Instant::now();
        kill_9(&targets);
        keeper.wait()?;
        // Backends forked between the listing and the kill.
        kill_leftovers(&pgdata)?;
        Ok(at)
    }

    /// Waits until a data node other than `old` accepts writes (`pg_is_in_recovery()` false
    /// and `transaction_read_only = off`), and returns when it was first seen.
    pub fn wait_for_new_primary(&self, old: usize, timeout: Duration) -> io::Result<Instant> {
        let deadline = Instant::now() + timeout;
        let urls = self.node_urls("postgres");
        loop {
            for (i, url) in urls.iter().enumerate() {
                if i == old {
                    continue;
                }
                let row = psql(
                    url,
                    "select pg_is_in_recovery()::text || ',' || \
                     current_setting('transaction_read_only')",
                );
                if matches!(row.as_deref(), Ok("false,off")) {
                    return Ok(Instant::now());
                }
            }
            if Instant::now() > deadline {
                return Err(self.failure(&format!(
                    "no node other than {} became writable within {timeout:?}",
                    NODES[old]
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Restarts the keeper of every data node that is not running (it rejoins as a standby,
    /// with `pg_rewind` when it diverged, else `pg_basebackup`), then waits until the monitor
    /// shows one `primary` and one `secondary` again.
    pub fn heal(&mut self, timeout: Duration) -> io::Result<()> {
        let autoctl = pg_autoctl_path().ok_or_else(|| io::Error::other("pg_autoctl not found"))?;
        for (node, name) in NODES.into_iter().enumerate() {
            if let Some(k) = &mut self.keepers[node] {
                if k.try_wait()?.is_none() {
                    continue;
                }
            }
            // A postmaster killed with -9 leaves postmaster.pid behind. Postgres ignores it when
            // the pid is gone, but not when it is an unreaped zombie (kill(pid, 0) succeeds).
            let pid_file = self.pgdata(name).join("postmaster.pid");
            if let Ok(text) = std::fs::read_to_string(&pid_file) {
                let pid = text.lines().next().and_then(|l| l.trim().parse().ok());
                if pid.is_some_and(|p| !alive(p)) {
                    let _ = std::fs::remove_file(&pid_file);
                }
            }
            self.spawn_keeper(node, &autoctl)?;
            log_line(&format!("restarted the keeper of {name}"));
        }
        self.wait_until(timeout, "one primary and one secondary", |c| {
            let mut states = c.states()?;
            states.sort();
            Ok(states == ["primary/primary", "secondary/secondary"])
        })
    }

    /// The cluster folder: `<name>.log` (keeper and Postgres output), `<name>.pid` (keeper
    /// process group), the PGDATA folders `monitor/`, `node1/`, `node2/`, and `xdg/`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The last `lines` lines of each instance's log, to print when a test fails. (The folder
    /// is deleted on drop; a drop during a panic prints these itself.)
    pub fn log_tail(&self, lines: usize) -> String {
        let mut out = String::new();
        for name in [MONITOR, NODES[0], NODES[1]] {
            let log =
                std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default();
            let all: Vec<&str> = log.lines().collect();
            let tail = &all[all.len().saturating_sub(lines)..];
            out.push_str(&format!("----- {name}.log (last {} lines)\n", tail.len()));
            for l in tail {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    fn pgdata(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `pg_autoctl` for instance `name`, as the `postgres` user, with its XDG folders, a clean
    /// `PATH` (root's may hold folders `postgres` cannot read) and the socket folder as `PGHOST`.
    fn autoctl(&self, name: &str, autoctl: &Path) -> Command {
        let mut cmd = as_postgres("env".as_ref());
        self.add_env(&mut cmd, name);
        cmd.arg(autoctl);
        cmd
    }

    fn add_env(&self, cmd: &mut Command, name: &str) {
        clear_pg_env(cmd);
        let xdg = self.dir.join("xdg").join(name);
        cmd.arg(format!("XDG_CONFIG_HOME={}", xdg.join("config").display()))
            .arg(format!("XDG_DATA_HOME={}", xdg.join("data").display()))
            .arg(format!("XDG_RUNTIME_DIR={}", xdg.join("run").display()))
            .arg(format!("PATH={}:/usr/bin:/bin", bin_dir().display()))
            .arg(format!("PGHOST={}", self.dir.join("sock").display()))
            .current_dir(&self.dir);
    }

    /// Starts `pg_autoctl run` for keeper `slot` (0, 1: data nodes; 2: monitor) in a new
    /// session (so its own process group), output appended to `<name>.log`, pid in `<name>.pid`.
    fn spawn_keeper(&mut self, slot: usize, autoctl: &Path) -> io::Result<()> {
        let name = if slot == 2 { MONITOR } else { NODES[slot] };
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{name}.log")))?;
        // Spawned by us, `setsid` is not a process group leader, so it does not fork: its pid
        // is the new session's and process group's id.
        let mut cmd = Command::new("setsid");
        if is_root() {
            cmd.args(["runuser", "-u", "postgres", "--"]);
        }
        cmd.arg("env");
        self.add_env(&mut cmd, name);
        let child = cmd
            .arg(autoctl)
            .args(["run", "--pgdata"])
            .arg(self.pgdata(name))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        std::fs::write(
            self.dir.join(format!("{name}.pid")),
            format!("{}\n", child.id()),
        )?;
        self.keepers[slot] = Some(child);
        Ok(())
    }

    fn wait_until(
        &self,
        limit: Duration,
        what: &str,
        mut done: impl FnMut(&HaCluster) -> io::Result<bool>,
    ) -> io::Result<()> {
        let deadline = Instant::now() + limit;
        let mut last_error = None;
        loop {
            match done(self) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => last_error = Some(e),
            }
            if Instant::now() > deadline {
                let why = last_error
                    .map(|e| format!(" (last error: {e})"))
                    .unwrap_or_default();
                return Err(self.failure(&format!(
                    "timed out after {limit:?} waiting until {what}{why}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn failure(&self, what: &str) -> io::Error {
        let states = match self.states() {
            Ok(s) => self.describe_states(&s),
            Err(e) => format!("monitor unreachable: {e}"),
        };
        io::Error::other(format!(
            "{what}; monitor says: {states}\n{}",
            self.log_tail(15)
        ))
    }
}

impl Drop for HaCluster {
    /// Kills every keeper's process group and every Postgres process of the formation, then
    /// deletes the folder in the background (three PGDATA folders take seconds to delete on a
    /// busy disk). Prints the logs' tails first when dropped during a panic.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("[pg-harness] HA cluster logs:\n{}", self.log_tail(40));
        }
        for keeper in self.keepers.iter_mut() {
            if let Some(mut k) = keeper.take() {
                kill_9(&[format!("-{}", k.id())]);
                let _ = k.wait();
            }
        }
        let _ = kill_leftovers(&self.dir);
        for name in [MONITOR, NODES[0], NODES[1]] {
            let _ = kill_leftovers(&self.pgdata(name));
            // The watchdog must not signal these process groups again once their ids are free.
            let _ = std::fs::remove_file(self.dir.join(format!("{name}.pid")));
        }
        let removed = Command::new("rm")
            .arg("-rf")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn();
        if removed.is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Sends SIGKILL to `targets` (pids, or `-pgid` for a process group). Targets that are already
/// gone are ignored.
fn kill_9(targets: &[String]) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--"])
        .args(targets)
        .stderr(Stdio::null())
        .status();
}

/// Kills every process working in `dir` (see [`pids_with_cwd`]) until none is left; an error
/// naming them after 5 s.
fn kill_leftovers(dir: &Path) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = pids_with_cwd(dir);
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(io::Error::other(format!(
                "processes in {} survived kill -9: {left:?}",
                dir.display()
            )));
        }
        kill_9(&left.iter().map(u32::to_string).collect::<Vec<_>>());
        std::thread::sleep(Duration::from_millis(20));
    }
}

const COMMON_CREATE_ARGS: [&str; 7] = [
    "--hostname",
    "127.0.0.1",
    "--listen",
    "127.0.0.1",
    "--auth",
    "trust",
    "--no-ssl",
];

/// Runs `sql` with `psql` on `url` (a libpq URL or connection string) and returns its output
/// without headers, trimmed: one line per row, columns separated by `|`. An error (with psql's
/// message) when psql cannot connect or the statement fails. A commit is acknowledged exactly
/// when this returns `Ok`.
///
/// psql runs as the current user (root is fine for a client); `PG*` variables of this process
/// are not passed on, so only `url` decides where it connects.
pub fn psql(url: &str, sql: &str) -> io::Result<String> {
    let mut cmd = Command::new(bin_dir().join("psql"));
    clear_pg_env(&mut cmd);
    let out = cmd
        .args([
            "-X",
            "-A",
            "-t",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .stdin(Stdio::null())
        .output()?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(io::Error::other(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Extends the `Command` returned by the builders above with "run, fail with stderr".
trait RunQuiet {
    fn run(&mut self, dir: &Path, what: &str) -> io::Result<()>;
}

impl RunQuiet for Command {
    fn run(&mut self, dir: &Path, what: &str) -> io::Result<()> {
        let out = self.stdin(Stdio::null()).output()?;
        // Keep pg_autoctl's own output next to the keepers' logs.
        if let Ok(mut log) = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("create.log"))
        {
            let _ = writeln!(log, "===== {what}");
            let _ = log.write_all(&out.stdout);
            let _ = log.write_all(&out.stderr);
        }
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(io::Error::other(format!(
                "{what} failed:\n{}",
                tail.join("\n")
            )))
        }
    }
}

/// `$PG_AUTOCTL`, `/usr/bin/pg_autoctl` (Debian), or the bin folder of PostgreSQL.
fn pg_autoctl_path() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("PG_AUTOCTL").map(PathBuf::from),
        Some("/usr/bin/pg_autoctl".into()),
        Some(bin_dir().join("pg_autoctl")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// Removes every `PG*` variable from the child's environment, so a developer's `PGPORT` or
/// `PGDATA` cannot redirect pg_autoctl or psql.
fn clear_pg_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PG") {
            cmd.env_remove(key);
        }
    }
}

/// A port on 127.0.0.1 below 32768 (outside Linux's default ephemeral range, 32768–60999) that
/// was free a moment ago and is not in `taken`.
fn free_low_port(taken: &[u16]) -> io::Result<u16> {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let start = hasher.finish();
    for k in 0..500u64 {
        let port = 20000 + ((start.wrapping_add(k.wrapping_mul(7919))) % 12000) as u16;
        if !taken.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(io::Error::other("no free port in 20000–31999"))
}

/// Processes whose working directory is `dir`. Every process of a Postgres instance chdirs to
/// its PGDATA (postmaster, backends, auxiliaries), even when orphaned; keepers run in the
/// cluster folder. Zombies are not counted.
fn pids_with_cwd(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir)
                && alive(*pid)
        })
        .collect()
}

/// Whether `pid` runs and is not a zombie. `kill -0` succeeds on a killed process that its
/// parent has not reaped yet, so read the state field (what `ps -o stat=` shows).
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

/// The shell command the watchdog runs when the test process is gone: kill the keepers'
/// process groups, then any process still working in the folder (keepers run in it, Postgres
/// in its PGDATA), then delete it. After a normal drop the pid files are gone, so it signals
/// no group. (dash's `kill` takes `-PGID` but not `--`.)
fn watchdog_script(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "for n in node1 node2 monitor; do [ -f {d}/$n.pid ] && kill -9 -$(cat {d}/$n.pid); done; \
         sleep 0.5; \
         for p in /proc/[0-9]*; do case \"$(readlink $p/cwd 2>/dev/null)\" in \
         {d}|{d}/node1|{d}/node2|{d}/monitor) kill -9 ${{p#/proc/}};; esac; done; \
         rm -rf {d}"
    )
}

fn append(file: &Path, text: &str) -> io::Result<()> {
    OpenOptions::new()
        .append(true)
        .open(file)?
        .write_all(text.as_bytes())
}
