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
//!   next run reuses the data.
//!
//! Only the standard library is used: this crate is built by `xtask` before anything else.

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
}

impl Cluster {
    /// A new temporary cluster under `/tmp`, removed on drop or when this process exits.
    pub fn throwaway() -> io::Result<Cluster> {
        let started = Instant::now();
        let dir = make_dir_for_postgres(None)?;
        let data = dir.join("data");
        initdb(&data)?;
        let port = free_port()?;
        let status = pg_command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("postgres.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                 -c max_connections=300 -c shared_buffers=64MB"
            ))
            .arg("start")
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(failure(&dir, "pg_ctl start failed"));
        }
        spawn_watchdog(&dir)?;
        let cluster = Cluster {
            dir,
            port,
            child: None,
            throwaway: true,
        };
        cluster.wait_ready(Duration::from_secs(30))?;
        log_line(&format!(
            "throwaway PostgreSQL on 127.0.0.1:{port} ready in {:.1?}",
            started.elapsed()
        ));
        Ok(cluster)
    }

    /// The developer's cluster in `dir` (created on first use), served by a child process
    /// until [`Cluster::stop`] or drop. `dir` must be reachable by the `postgres` user when
    /// running as root.
    pub fn persistent(dir: &Path) -> io::Result<Cluster> {
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
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("postgres.log"))?;
        let child = pg_command("postgres")
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let cluster = Cluster {
            dir,
            port,
            child: Some(child),
            throwaway: false,
        };
        cluster.wait_ready(Duration::from_secs(60))?;
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
            // SIGINT = fast shutdown; runuser forwards it to postgres.
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

fn as_postgres(program: &std::ffi::OsStr) -> Command {
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

fn initdb(data: &Path) -> io::Result<()> {
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

/// Creates `dir` (or a fresh temporary folder) owned by the user the server will run as.
fn make_dir_for_postgres(dir: Option<&Path>) -> io::Result<PathBuf> {
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
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(())
}

fn failure(dir: &Path, what: &str) -> io::Error {
    let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    io::Error::other(format!("{what}; server log:\n{}", tail.join("\n")))
}

fn log_line(message: &str) {
    eprintln!("[pg-harness] {message}");
}
