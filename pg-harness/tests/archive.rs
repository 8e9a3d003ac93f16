//! The developer's persistent cluster archives its WAL into its pgBackRest repository, and keeps
//! doing so across restarts (the port, and so the configuration, changes each time).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pg_harness::{pg_command, Cluster};

fn psql(cluster: &Cluster, sql: &str) -> String {
    let out = pg_command("psql")
        .args(["-h", "127.0.0.1", "-p", &cluster.port().to_string()])
        .args(["-U", "postgres", "-d", "postgres", "-XAtc", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Switches to a new WAL segment and waits until the old one is archived; returns its name.
fn archive_one_segment(cluster: &Cluster) -> String {
    psql(cluster, "CREATE TABLE IF NOT EXISTS t (n int)");
    psql(cluster, "INSERT INTO t VALUES (1)");
    let segment = psql(cluster, "SELECT pg_walfile_name(pg_current_wal_lsn())");
    psql(cluster, "SELECT pg_switch_wal()");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let archived = psql(
            cluster,
            "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver",
        );
        if archived >= segment {
            return segment;
        }
        assert!(
            Instant::now() < deadline,
            "segment {segment} not archived (last: {archived:?}, failures: {})",
            psql(cluster, "SELECT failed_count FROM pg_stat_archiver")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_persistent_cluster_archives_its_wal_into_its_repository_across_restarts() {
    if pg_harness::pgbackrest_binary().is_none() {
        panic!("pgbackrest is not installed (cargo xtask setup)");
    }
    let base = PathBuf::from(format!("/tmp/hms-archive-test-{}", std::process::id()));
    let (data, backups) = (base.join("pg"), base.join("backups"));

    for _ in 0..2 {
        let mut cluster = Cluster::persistent(&data, &backups).expect("persistent cluster");
        assert_eq!(psql(&cluster, "SHOW archive_mode"), "on");
        let archive = cluster.archive().expect("archiving is on").clone();
        assert!(archive.config.starts_with(&backups));
        let segment = archive_one_segment(&cluster);
        let info = archive
            .pgbackrest()
            .args(["info", "--output=json"])
            .output()
            .expect("pgbackrest info");
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.contains(&format!("\"max\":\"{segment}\"")) || info.contains(&segment[..16]),
            "{info}"
        );
        cluster.stop();
    }
    let _ = std::fs::remove_dir_all(&base);
}
