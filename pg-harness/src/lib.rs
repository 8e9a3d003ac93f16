//! Private PostgreSQL clusters for development runs and tests.
//!
//! Every cluster is created with `initdb --data-checksums`, listens on 127.0.0.1 only (TCP, no
//! Unix socket) on a free port, and trusts local connections. PostgreSQL refuses to run as root,
//! so when this process is root every server binary runs as the `postgres` OS user through
//! `runuser`, and the data folder is owned by that user.
//!
//! Two shapes:
//! - [`Cluster::throwaway`]: a temporary cluster for tests, tuned for speed (no fsync). It is
//!   stopped and deleted when the value is dropped, and also by a watchdog when the owning
//!   process exits without dropping it (a test binary keeping it in a `static`).
//! - [`Cluster::persistent`]: the developer's cluster in a project-local folder. The server runs
//!   as a child of the caller, so Ctrl-C in the terminal reaches it and it shuts down cleanly; the
//!   next run reuses the data. Its WAL is archived continuously into a project-local pgBackRest
//!   repository (see [`Archive`]), so it can be backed up and restored to any point in time.
//!
//! [`Cluster::throwaway_with_archive`] is a throwaway with the same WAL archiving (for backup
//! tests), and [`Cluster::throwaway_from`] starts a throwaway on a data folder filled by the
//! caller, e.g. a restored backup.
//!
//! A third shape, [`ha::HaCluster`], is a pg_auto_failover formation (monitor + primary +
//! synchronous standby) for failover tests.
//!
//! Only the standard library is used: this crate is built by `xtask` before anything else.

pub mod ha;

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running PostgreSQL server started by this crate.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    throwaway: bool,
    /// The `pg_ctl -o` options of a throwaway, to start it again after [`Cluster::restart`].
    options: String,
    archive: Option<Archive>,
}

/// Continuous WAL archiving into a pgBackRest repository.
///
/// The repository folder holds `pgbackrest.conf` (rewritten at every start, because the port
/// changes), `repo/` (backups and archived WAL), `log/` and `lock/`. The server's
/// `archive_command` is `pgbackrest --config=… --stanza=hms archive-push %p`, and the stanza is
/// created (idempotently) once the server is up. pgBackRest talks to the server through a Unix
/// socket, so archiving clusters also listen on one, in their own folder.
#[derive(Debug, Clone)]
pub struct Archive {
    /// The repository folder.
    pub dir: PathBuf,
    /// Its `pgbackrest.conf`.
    pub config: PathBuf,
    /// The stanza name (`hms`).
    pub stanza: String,
}

/// The stanza every archiving cluster of this crate uses.
pub const STANZA: &str = "hms";

impl Cluster {
    /// A new temporary cluster under `/tmp`, removed on drop or when this process exits.
    pub fn throwaway() -> io::Result<Cluster> {
        Self::new_throwaway(false)
    }

    /// A throwaway cluster whose WAL is archived into a pgBackRest repository in its own folder
    /// (`<dir>/backups`, deleted with it). Needs `pgbackrest` on the PATH.
    pub fn throwaway_with_archive() -> io::Result<Cluster> {
        Self::new_throwaway(true)
    }

    fn new_throwaway(archiving: bool) -> io::Result<Cluster> {
        let started = Instant::now();
        let dir = make_dir_for_postgres(None)?;
        let data = dir.join("data");
        initdb(&data)?;
        let port = free_port()?;
        let archive = if archiving {
            Some(Archive::prepare(&dir.join("backups"), &data, &dir, port)?)
        } else {
            None
        };
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=300 -c shared_buffers=64MB"
        );
        match &archive {
            Some(a) => options.push_str(&format!(
                " -c unix_socket_directories='{}' -c archive_mode=on -c archive_command='{}'",
                dir.display(),
                a.archive_command()
            )),
            None => options.push_str(" -c unix_socket_directories=''"),
        }
        let cluster = Cluster {
            dir,
            port,
            child: None,
            throwaway: true,
            options,
            archive,
        };
        cluster.pg_ctl_start(Duration::from_secs(60))?;
        spawn_watchdog(&cluster.dir)?;
        cluster.wait_ready(Duration::from_secs(30))?;
        if let Some(a) = &cluster.archive {
            a.create_stanza()?;
        }
        log_line(&format!(
            "throwaway PostgreSQL on 127.0.0.1:{port} ready in {:.1?}{}",
            started.elapsed(),
            if archiving { " (WAL archiving on)" } else { "" }
        ));
        Ok(cluster)
    }

    /// A throwaway cluster on a data folder that `fill` creates (e.g. a backup restored with
    /// `pgbackrest restore --pg1-path=<the path given>`). `fill` runs with a fresh folder under
    /// `parent` (created when missing; `/tmp` when `None`) owned by the server's user.
    ///
    /// The server starts with `hot_standby=off` and `archive_mode=off`, so when the data folder
    /// is in recovery the start returns only once recovery has ended (and the server was
    /// promoted), and a copy never archives into the repository it came from. Startup waits up
    /// to `limit`. Stopped and deleted on drop, or when this process exits.
    pub fn throwaway_from(
        parent: Option<&Path>,
        limit: Duration,
        fill: impl FnOnce(&Path) -> io::Result<()>,
    ) -> io::Result<Cluster> {
        let dir = make_scratch_dir(parent)?;
        spawn_watchdog(&dir)?;
        let port = free_port()?;
        // Built first, so that a failure below stops and deletes it (drop).
        let cluster = Cluster {
            dir,
            port,
            child: None,
            throwaway: true,
            options: format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
                 -c hot_standby=off -c archive_mode=off -c fsync=off \
                 -c shared_buffers=128MB -c max_connections=50"
            ),
            archive: None,
        };
        fill(&cluster.data_dir())?;
        cluster.pg_ctl_start(limit)?;
        cluster.wait_ready(Duration::from_secs(30))?;
        Ok(cluster)
    }

    /// Stops a throwaway cleanly (fast shutdown: everything is flushed to the data files),
    /// runs `between` with the data folder, and starts it again on the same port.
    pub fn restart(&mut self, between: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
        if !self.throwaway {
            return Err(io::Error::other(
                "only a throwaway cluster can be restarted",
            ));
        }
        let status = pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(failure(&self.dir, "pg_ctl stop failed"));
        }
        between(&self.data_dir())?;
        self.pg_ctl_start(Duration::from_secs(60))?;
        self.wait_ready(Duration::from_secs(30))
    }

    fn pg_ctl_start(&self, limit: Duration) -> io::Result<()> {
        let status = pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.join("postgres.log"))
            .args(["-w", "-t", &limit.as_secs().max(1).to_string(), "-o"])
            .arg(&self.options)
            .arg("start")
            .stdout(Stdio::null())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(failure(&self.dir, "pg_ctl start failed"))
        }
    }

    /// The developer's cluster in `dir` (created on first use), served by a child process
    /// until [`Cluster::stop`] or drop, with its WAL archived into the pgBackRest repository in
    /// `backups` (created on first use). Both folders must be reachable by the `postgres` user
    /// when running as root. Without `pgbackrest` on the PATH the cluster runs without archiving
    /// (and says so).
    pub fn persistent(dir: &Path, backups: &Path) -> io::Result<Cluster> {
        let dir = make_dir_for_postgres(Some(dir))?;
        let data = dir.join("data");
        if !data.join("PG_VERSION").exists() {
            log_line(&format!(
                "creating a PostgreSQL cluster in {} (data checksums on)",
                data.display()
            ));
            initdb(&data)?;
        }
        // A previous run killed with SIGKILL leaves a stale pid file; postgres handles it itself
        // unless another postmaster really runs on this folder, which it then refuses loudly.
        let port = free_port()?;
        let archive = if pgbackrest_binary().is_some() {
            let socket_dir = socket_dir_for(&dir)?;
            Some((
                Archive::prepare(backups, &data, &socket_dir, port)?,
                socket_dir,
            ))
        } else {
            log_line(
                "pgbackrest is not installed: WAL archiving is off, so no backup can be taken \
                 (apt-get install pgbackrest)",
            );
            None
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("postgres.log"))?;
        let mut server = pg_command("postgres");
        server
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"]);
        match &archive {
            Some((a, socket_dir)) => {
                server
                    .arg("-c")
                    .arg(format!("unix_socket_directories={}", socket_dir.display()))
                    .args(["-c", "archive_mode=on"])
                    .arg("-c")
                    .arg(format!("archive_command={}", a.archive_command()))
                    // At most a minute of changes only in the server's pg_wal (RPO).
                    .args(["-c", "archive_timeout=60"]);
            }
            None => {
                server.args(["-c", "unix_socket_directories="]);
            }
        }
        let child = server
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let cluster = Cluster {
            dir,
            port,
            child: Some(child),
            throwaway: false,
            options: String::new(),
            archive: archive.map(|(a, _)| a),
        };
        cluster.wait_ready(Duration::from_secs(60))?;
        if let Some(a) = &cluster.archive {
            // Archiving fails (and is retried by the server) until the stanza exists. A
            // repository of another cluster (the data folder was recreated) is refused here.
            if let Err(e) = a.create_stanza() {
                log_line(&format!(
                    "WAL archiving into {} does not work: {e}",
                    a.dir.display()
                ));
            }
        }
        Ok(cluster)
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder holding `data/` and `postgres.log`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The data folder (`PGDATA`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The pgBackRest repository the WAL is archived into, when archiving is on.
    pub fn archive(&self) -> Option<&Archive> {
        self.archive.as_ref()
    }

    /// A libpq URL for `database` as the `postgres` superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates database `name`, copied from `template` when given.
    pub fn create_database(&self, name: &str, template: Option<&str>) -> io::Result<()> {
        let mut cmd = pg_command("createdb");
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
        ]);
        if let Some(t) = template {
            cmd.args(["-T", t]);
        }
        let out = cmd.arg(name).output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "createdb {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// Creates `name` unless it exists. Returns whether it was created.
    pub fn ensure_database(&self, name: &str) -> io::Result<bool> {
        let exists = pg_command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-d", "postgres", "-tAc"])
            .arg(format!(
                "SELECT 1 FROM pg_database WHERE datname = '{}'",
                name.replace('\'', "''")
            ))
            .output()?;
        if String::from_utf8_lossy(&exists.stdout).trim() == "1" {
            return Ok(false);
        }
        let status = pg_command("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg(name)
            .status()?;
        if status.success() {
            Ok(true)
        } else {
            Err(io::Error::other(format!("createdb {name} failed")))
        }
    }

    /// Stops the server with a fast shutdown (sessions are closed, data is flushed).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A fast shutdown through pg_ctl (it signals the postmaster itself: runuser does not
            // forward a SIGINT sent to it alone, only the terminal's Ctrl-C reaches postgres).
            // Fails harmlessly when Ctrl-C already stopped the server.
            let _ = pg_command("pg_ctl")
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "fast", "-w", "-t", "60", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        } else if self.throwaway {
            let _ = pg_command("pg_ctl")
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    fn wait_ready(&self, limit: Duration) -> io::Result<()> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                let ready = pg_command("pg_isready")
                    .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                    .status()?;
                if ready.success() {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(failure(&self.dir, "PostgreSQL did not become ready"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        if self.throwaway {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// One throwaway cluster for the whole process (a test binary), started on first use and
/// removed by the watchdog when the process exits.
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| match Cluster::throwaway() {
        Ok(c) => c,
        Err(e) => panic!("cannot start a throwaway PostgreSQL: {e}"),
    })
}

/// The folder with PostgreSQL's server binaries: `$PG_BIN`, `pg_config --bindir`, or Debian's
/// default for version 15.
pub fn bin_dir() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("PG_BIN") {
            return p.into();
        }
        if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
            let p = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            if p.join("initdb").exists() {
                return p;
            }
        }
        "/usr/lib/postgresql/15/bin".into()
    })
    .clone()
}

/// A command for a PostgreSQL binary, run as the `postgres` OS user when this process is root.
pub fn pg_command(program: &str) -> Command {
    let path = bin_dir().join(program);
    let path = if path.exists() { path } else { program.into() };
    as_postgres(path.as_os_str())
}

pub(crate) fn as_postgres(program: &std::ffi::OsStr) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Whether this process runs as uid 0.
pub fn is_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false)
    })
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(crate) fn initdb(data: &Path) -> io::Result<()> {
    let out = pg_command("initdb")
        .arg("-D")
        .arg(data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"])
        .args(["--locale=C.UTF-8", "--data-checksums", "--no-sync"])
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

impl Archive {
    /// Creates the repository folder (owned by the server's user) and writes its
    /// `pgbackrest.conf` for the server in `data` listening on `port` with its socket in
    /// `socket_dir`.
    fn prepare(dir: &Path, data: &Path, socket_dir: &Path, port: u16) -> io::Result<Archive> {
        let dir = make_dir_for_postgres(Some(dir))?;
        for sub in ["repo", "log", "lock"] {
            make_dir_for_postgres(Some(&dir.join(sub)))?;
        }
        let config = dir.join("pgbackrest.conf");
        let text = format!(
            "# Written by pg-harness at every start of the cluster (its port changes): do not edit.
# The production configuration is described in docs/backups.md.
[global]
repo1-path={dir}/repo
# Keep the two newest full backups (and the WAL they need).
repo1-retention-full=2
compress-type=zst
# Small files are bundled in the repository: far fewer files to write and fsync.
repo1-bundle=y
# Backups start with an immediate checkpoint instead of waiting for the next one.
start-fast=y
log-path={dir}/log
lock-path={dir}/lock
log-level-console=warn
log-level-stderr=error
log-level-file=info

[{STANZA}]
pg1-path={data}
pg1-port={port}
pg1-socket-path={socket}
pg1-user=postgres
",
            dir = dir.display(),
            data = data.display(),
            socket = socket_dir.display(),
        );
        // Written as the current user; the server's user only needs to read it.
        std::fs::write(&config, text)?;
        if is_root() {
            let _ = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&config)
                .status();
        }
        Ok(Archive {
            dir,
            config,
            stanza: STANZA.to_owned(),
        })
    }

    /// The server's `archive_command`.
    pub fn archive_command(&self) -> String {
        format!(
            "{} --config={} --stanza={} archive-push %p",
            pgbackrest_binary()
                .unwrap_or_else(|| "pgbackrest".into())
                .display(),
            self.config.display(),
            self.stanza
        )
    }

    /// A `pgbackrest` command with this repository's `--config` and `--stanza`, run as the
    /// server's user.
    pub fn pgbackrest(&self) -> Command {
        let program = pgbackrest_binary().unwrap_or_else(|| "pgbackrest".into());
        let mut c = as_postgres(program.as_os_str());
        c.arg(format!("--config={}", self.config.display()))
            .arg(format!("--stanza={}", self.stanza));
        c
    }

    /// `pgbackrest stanza-create` (a no-op when the stanza exists for this cluster).
    pub fn create_stanza(&self) -> io::Result<()> {
        let out = self.pgbackrest().arg("stanza-create").output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "pgbackrest stanza-create failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

/// `pgbackrest` on the PATH.
pub fn pgbackrest_binary() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join("pgbackrest"))
                    .find(|p| p.is_file())
            })
        })
        .clone()
}

/// Where the server's Unix socket goes: the cluster folder, unless its path is too long for a
/// socket name (107 bytes with `/.s.PGSQL.nnnnn`), then a fresh folder under /tmp.
fn socket_dir_for(dir: &Path) -> io::Result<PathBuf> {
    if dir.as_os_str().len() <= 90 {
        Ok(dir.to_path_buf())
    } else {
        make_dir_for_postgres(None)
    }
}

/// A fresh, empty folder under `parent` (or /tmp) owned by the server's user. An existing
/// `parent` is left as it is (the server's user must be able to write into it); a missing one is
/// created for that user.
fn make_scratch_dir(parent: Option<&Path>) -> io::Result<PathBuf> {
    match parent {
        None => make_dir_for_postgres(None),
        Some(parent) => {
            let parent = if parent.exists() {
                parent.to_path_buf()
            } else {
                make_dir_for_postgres(Some(parent))?
            };
            let out = as_postgres("mktemp".as_ref())
                .arg("-d")
                .arg(parent.join("hms-pg.XXXXXX"))
                .output()?;
            if !out.status.success() {
                return Err(io::Error::other(format!(
                    "the server's user cannot create a folder in {}",
                    parent.display()
                )));
            }
            Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        }
    }
}

/// Creates `dir` (when missing) owned by the user the server runs as, so that server-side tools
/// (`pgbackrest restore`) can write into it. Changes the owner of everything inside `dir`: use it
/// on new or empty folders only.
pub fn dir_for_postgres(dir: &Path) -> io::Result<PathBuf> {
    make_dir_for_postgres(Some(dir))
}

/// Creates `dir` (or a fresh temporary folder) owned by the user the server will run as.
pub(crate) fn make_dir_for_postgres(dir: Option<&Path>) -> io::Result<PathBuf> {
    let dir = match dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.canonicalize()?
        }
        None => {
            let out = as_postgres("mktemp".as_ref())
                .args(["-d", "/tmp/hms-pg.XXXXXX"])
                .output()?;
            if !out.status.success() {
                return Err(io::Error::other("mktemp failed"));
            }
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        }
    };
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()?;
        let reachable = as_postgres("test".as_ref()).arg("-w").arg(&dir).status()?;
        if !status.success() || !reachable.success() {
            return Err(io::Error::other(format!(
                "the postgres user cannot write to {}; a parent folder is probably not \
                 traversable (chmod o+x it, or set HMS_PG_DIR to a folder under /var/tmp)",
                dir.display()
            )));
        }
        let _ = Command::new("chmod").arg("0700").arg(&dir).status();
    }
    Ok(dir)
}

/// Stops and deletes a throwaway cluster once the current process has exited, however it exits.
fn spawn_watchdog(dir: &Path) -> io::Result<()> {
    let pg_ctl = bin_dir().join("pg_ctl");
    let stop = if is_root() {
        format!(
            "runuser -u postgres -- {} -D {}/data -m immediate -w stop",
            pg_ctl.display(),
            dir.display()
        )
    } else {
        format!(
            "{} -D {}/data -m immediate -w stop",
            pg_ctl.display(),
            dir.display()
        )
    };
    spawn_cleanup_watchdog(&format!(
        "{stop} >/dev/null 2>&1; rm -rf {dir}",
        dir = dir.display()
    ))
}

/// Runs the shell command `cleanup` once the current process has exited, however it exits.
///
/// The watchdog runs in its own process group, so a Ctrl-C in the terminal (sent to the test
/// binary's group) does not kill it before it has cleaned up. An exited process that its parent
/// has not reaped yet (a zombie, state `Z`) counts as gone: `kill -0` alone still succeeds on it.
pub(crate) fn spawn_cleanup_watchdog(cleanup: &str) -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    let script = format!(
        "while kill -0 {pid} 2>/dev/null && ! grep -q ') Z ' /proc/{pid}/stat 2>/dev/null; \
         do sleep 0.5; done; {cleanup}",
        pid = std::process::id(),
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    Ok(())
}

fn failure(dir: &Path, what: &str) -> io::Error {
    let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    io::Error::other(format!("{what}; server log:\n{}", tail.join("\n")))
}

pub(crate) fn log_line(message: &str) {
    eprintln!("[pg-harness] {message}");
}
