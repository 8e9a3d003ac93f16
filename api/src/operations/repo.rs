//! SQL for `backup_runs` and `maintenance_runs`, and the statistics queries of maintenance.
//! Plain functions over `&mut PgConnection`; no rules, no HTTP.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamptz};
use uuid::Uuid;

use crate::db::schema::{backup_runs, maintenance_runs};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = backup_runs, check_for_backend(diesel::pg::Pg))]
pub struct BackupRunRow {
    pub id: Uuid,
    pub kind: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub result: String,
    pub backup_label: Option<String>,
    pub restore_point: Option<String>,
    pub database_name: Option<String>,
    pub size_bytes: Option<i64>,
    pub repository_bytes: Option<i64>,
    pub row_counts: serde_json::Value,
    pub steps: serde_json::Value,
    pub detail: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = backup_runs)]
pub struct NewBackupRunRow {
    pub kind: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub result: String,
    pub backup_label: Option<String>,
    pub restore_point: Option<String>,
    pub database_name: Option<String>,
    pub size_bytes: Option<i64>,
    pub repository_bytes: Option<i64>,
    pub row_counts: serde_json::Value,
    pub steps: serde_json::Value,
    pub detail: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = maintenance_runs, check_for_backend(diesel::pg::Pg))]
pub struct MaintenanceRunRow {
    pub id: Uuid,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub result: String,
    pub summary: String,
    pub report: serde_json::Value,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = maintenance_runs)]
pub struct NewMaintenanceRunRow {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub result: String,
    pub summary: String,
    pub report: serde_json::Value,
}

pub fn insert_backup_run(
    conn: &mut PgConnection,
    new: &NewBackupRunRow,
) -> QueryResult<BackupRunRow> {
    diesel::insert_into(backup_runs::table)
        .values(new)
        .returning(BackupRunRow::as_returning())
        .get_result(conn)
}

/// Newest first, after the keyset `before` (started_at, id).
pub fn list_backup_runs(
    conn: &mut PgConnection,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<BackupRunRow>> {
    let mut query = backup_runs::table
        .select(BackupRunRow::as_select())
        .order((backup_runs::started_at.desc(), backup_runs::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            backup_runs::started_at
                .lt(at)
                .or(backup_runs::started_at.eq(at).and(backup_runs::id.lt(id))),
        );
    }
    query.load(conn)
}

/// The newest successful backup, or the one labelled `label`.
pub fn find_backup(
    conn: &mut PgConnection,
    label: Option<&str>,
) -> QueryResult<Option<BackupRunRow>> {
    let mut query = backup_runs::table
        .select(BackupRunRow::as_select())
        .filter(backup_runs::kind.eq("backup"))
        .order((backup_runs::finished_at.desc(), backup_runs::id.desc()))
        .into_boxed();
    query = match label {
        Some(label) => query.filter(backup_runs::backup_label.eq(label.to_owned())),
        None => query.filter(backup_runs::result.eq("ok")),
    };
    query.first(conn).optional()
}

/// The newest verification of each of `labels`.
pub fn latest_verifications(
    conn: &mut PgConnection,
    labels: &[String],
) -> QueryResult<Vec<BackupRunRow>> {
    if labels.is_empty() {
        return Ok(Vec::new());
    }
    backup_runs::table
        .select(BackupRunRow::as_select())
        .filter(backup_runs::kind.eq("verify"))
        .filter(backup_runs::backup_label.eq_any(labels))
        .distinct_on(backup_runs::backup_label)
        .order((
            backup_runs::backup_label,
            backup_runs::finished_at.desc(),
            backup_runs::id.desc(),
        ))
        .load(conn)
}

pub fn insert_maintenance_run(
    conn: &mut PgConnection,
    new: &NewMaintenanceRunRow,
) -> QueryResult<MaintenanceRunRow> {
    diesel::insert_into(maintenance_runs::table)
        .values(new)
        .returning(MaintenanceRunRow::as_returning())
        .get_result(conn)
}

pub fn list_maintenance_runs(
    conn: &mut PgConnection,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<MaintenanceRunRow>> {
    let mut query = maintenance_runs::table
        .select(MaintenanceRunRow::as_select())
        .order((
            maintenance_runs::started_at.desc(),
            maintenance_runs::id.desc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            maintenance_runs::started_at
                .lt(at)
                .or(maintenance_runs::started_at
                    .eq(at)
                    .and(maintenance_runs::id.lt(id))),
        );
    }
    query.load(conn)
}

/// What `/health/db` and the metrics say about backups and maintenance.
#[derive(Debug, QueryableByName)]
pub struct HealthFacts {
    /// When the newest backup with a successful verification was taken (its end).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_verified_backup_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_verified_backup_label: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub last_verification_ok: Option<bool>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_verification_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_maintenance_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_maintenance_result: Option<String>,
}

pub fn health_facts(conn: &mut PgConnection) -> QueryResult<HealthFacts> {
    diesel::sql_query(
        "WITH verified AS (
             SELECT b.finished_at, b.backup_label
             FROM backup_runs b
             WHERE b.kind = 'backup' AND b.result = 'ok'
               AND EXISTS (SELECT 1 FROM backup_runs v
                           WHERE v.kind = 'verify' AND v.result = 'ok'
                             AND v.backup_label = b.backup_label)
             ORDER BY b.finished_at DESC LIMIT 1),
         last_verify AS (
             SELECT result = 'ok' AS ok, finished_at FROM backup_runs
             WHERE kind = 'verify' ORDER BY finished_at DESC, id DESC LIMIT 1),
         last_maintenance AS (
             SELECT finished_at, result FROM maintenance_runs
             ORDER BY finished_at DESC, id DESC LIMIT 1)
         SELECT (SELECT finished_at FROM verified) AS last_verified_backup_at,
                (SELECT backup_label FROM verified) AS last_verified_backup_label,
                (SELECT ok FROM last_verify) AS last_verification_ok,
                (SELECT finished_at FROM last_verify) AS last_verification_at,
                (SELECT finished_at FROM last_maintenance) AS last_maintenance_at,
                (SELECT result FROM last_maintenance) AS last_maintenance_result",
    )
    .get_result(conn)
}

// ---------------------------------------------------------------------------------------------
// Statistics read by maintenance

#[derive(Debug, QueryableByName)]
pub struct CountRow {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// `SELECT count(*)` of `table` (a name from the fixed list of counted tables).
pub fn count_rows(conn: &mut PgConnection, table: &str) -> QueryResult<i64> {
    diesel::sql_query(format!("SELECT count(*) AS n FROM {}", quote_ident(table)))
        .get_result::<CountRow>(conn)
        .map(|r| r.n)
}

#[derive(Debug, QueryableByName)]
pub struct ChecksumRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub database: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub failures: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_failure: Option<DateTime<Utc>>,
}

pub fn checksum_failures(conn: &mut PgConnection) -> QueryResult<Vec<ChecksumRow>> {
    diesel::sql_query(
        "SELECT datname AS database, checksum_failures AS failures,
                checksum_last_failure AS last_failure
         FROM pg_stat_database WHERE checksum_failures > 0 ORDER BY datname NULLS FIRST",
    )
    .load(conn)
}

#[derive(Debug, QueryableByName)]
pub struct SettingRow {
    #[diesel(sql_type = Text)]
    pub value: String,
}

pub fn data_checksums(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::sql_query("SELECT current_setting('data_checksums') AS value")
        .get_result::<SettingRow>(conn)
        .map(|r| r.value == "on")
}

#[derive(Debug, QueryableByName)]
pub struct StatsResetRow {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub at: Option<DateTime<Utc>>,
}

pub fn stats_reset(conn: &mut PgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    diesel::sql_query(
        "SELECT stats_reset AS at FROM pg_stat_database WHERE datname = current_database()",
    )
    .get_result::<StatsResetRow>(conn)
    .map(|r| r.at)
}

#[derive(Debug, QueryableByName)]
pub struct DeadRowsRow {
    /// `schema.table`, quoted where needed.
    #[diesel(sql_type = Text)]
    pub table: String,
    #[diesel(sql_type = BigInt)]
    pub live_rows: i64,
    #[diesel(sql_type = BigInt)]
    pub dead_rows: i64,
}

/// Tables with at least `min_dead` dead rows making up at least `min_ratio` of their rows, and
/// tables with rows that were never analysed.
pub fn tables_needing_vacuum(
    conn: &mut PgConnection,
    min_dead: i64,
    min_ratio: f64,
) -> QueryResult<Vec<DeadRowsRow>> {
    diesel::sql_query(
        "SELECT format('%I.%I', schemaname, relname) AS table,
                n_live_tup AS live_rows, n_dead_tup AS dead_rows
         FROM pg_stat_user_tables
         WHERE (n_dead_tup >= $1
                AND n_dead_tup::float8 / greatest(n_live_tup + n_dead_tup, 1) >= $2)
            OR (n_live_tup > 0 AND last_analyze IS NULL AND last_autoanalyze IS NULL)
         ORDER BY n_dead_tup DESC, 1",
    )
    .bind::<BigInt, _>(min_dead)
    .bind::<Double, _>(min_ratio)
    .load(conn)
}

/// `VACUUM (ANALYZE)` of a table named as [`tables_needing_vacuum`] returns it (already
/// quoted). Must run outside a transaction.
pub fn vacuum_analyze(conn: &mut PgConnection, quoted_table: &str) -> QueryResult<usize> {
    diesel::sql_query(format!("VACUUM (ANALYZE) {quoted_table}")).execute(conn)
}

#[derive(Debug, QueryableByName)]
pub struct BloatRow {
    #[diesel(sql_type = Text)]
    pub table: String,
    #[diesel(sql_type = BigInt)]
    pub table_bytes: i64,
    #[diesel(sql_type = BigInt)]
    pub estimated_bloat_bytes: i64,
}

/// Estimated bloat of the user tables: the pages a table has minus the pages its live rows
/// need (row count × (average row width from `pg_stats` + 28 bytes of tuple header and line
/// pointer), 8 kB pages with a 24-byte header). An estimate: it needs current statistics, and
/// ignores fillfactor and TOAST. The `limit` tables with the most estimated bloat.
pub fn bloat_estimate(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<BloatRow>> {
    diesel::sql_query(
        "WITH t AS (
             SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS table,
                    c.relpages::bigint AS pages, greatest(c.reltuples, 0) AS tuples,
                    current_setting('block_size')::int AS bs,
                    (SELECT sum(s.avg_width) FROM pg_stats s
                      WHERE s.schemaname = n.nspname AND s.tablename = c.relname) AS width
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r'
               AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname NOT LIKE 'pg_toast%'),
         e AS (
             SELECT t.table, t.pages * t.bs AS table_bytes,
                    CASE WHEN t.width IS NULL OR t.pages = 0 THEN 0
                         ELSE greatest(t.pages - ceil(t.tuples / greatest(floor((t.bs - 24)
                                 / (t.width + 28)), 1))::bigint, 0) * t.bs
                    END AS bloat
             FROM t)
         SELECT e.table, e.table_bytes::bigint AS table_bytes,
                e.bloat::bigint AS estimated_bloat_bytes
         FROM e WHERE e.bloat > 0
         ORDER BY e.bloat DESC, e.table LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)
}

#[derive(Debug, QueryableByName)]
pub struct IndexRow {
    #[diesel(sql_type = Text)]
    pub index: String,
    #[diesel(sql_type = Text)]
    pub table: String,
    #[diesel(sql_type = BigInt)]
    pub bytes: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub scans: Option<i64>,
}

/// Indexes left invalid (a failed `CREATE INDEX CONCURRENTLY`, or one being built).
pub fn invalid_indexes(conn: &mut PgConnection) -> QueryResult<Vec<IndexRow>> {
    diesel::sql_query(
        "SELECT i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS table,
                pg_relation_size(i.indexrelid) AS bytes, NULL::bigint AS scans
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE (NOT i.indisvalid OR NOT i.indisready)
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         ORDER BY 1",
    )
    .load(conn)
}

/// Indexes of at least `min_bytes` never scanned since the statistics were reset, except
/// those that enforce a constraint (unique, primary key, exclusion).
pub fn unused_indexes(conn: &mut PgConnection, min_bytes: i64) -> QueryResult<Vec<IndexRow>> {
    diesel::sql_query(
        "SELECT s.indexrelid::regclass::text AS index, s.relid::regclass::text AS table,
                pg_relation_size(s.indexrelid) AS bytes, s.idx_scan AS scans
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
         WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = s.indexrelid)
           AND pg_relation_size(s.indexrelid) >= $1
         ORDER BY 3 DESC, 1",
    )
    .bind::<BigInt, _>(min_bytes)
    .load(conn)
}

/// Quotes an identifier for SQL (`"name"`, doubling quotes inside).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

// ---------------------------------------------------------------------------------------------
// Row counts at a restore point

/// Makes lock waits in the current transaction give up after `ms` milliseconds.
pub fn set_local_lock_timeout(conn: &mut PgConnection, ms: u32) -> QueryResult<usize> {
    diesel::sql_query(format!("SET LOCAL lock_timeout = {ms}")).execute(conn)
}

/// `LOCK TABLE … IN SHARE MODE`: readers go on, writers wait until the transaction ends.
pub fn lock_tables_share(conn: &mut PgConnection, tables: &[&str]) -> QueryResult<usize> {
    let list: Vec<String> = tables.iter().map(|t| quote_ident(t)).collect();
    diesel::sql_query(format!("LOCK TABLE {} IN SHARE MODE", list.join(", "))).execute(conn)
}

#[derive(Debug, QueryableByName)]
pub struct LsnRow {
    #[diesel(sql_type = Text)]
    pub lsn: String,
}

/// `pg_create_restore_point(name)`: a named point in the WAL that recovery can stop at.
pub fn create_restore_point(conn: &mut PgConnection, name: &str) -> QueryResult<String> {
    diesel::sql_query("SELECT pg_create_restore_point($1)::text AS lsn")
        .bind::<Text, _>(name)
        .get_result::<LsnRow>(conn)
        .map(|r| r.lsn)
}

pub fn current_database(conn: &mut PgConnection) -> QueryResult<String> {
    diesel::sql_query("SELECT current_database()::text AS value")
        .get_result::<SettingRow>(conn)
        .map(|r| r.value)
}

#[derive(Debug, QueryableByName)]
pub struct SizeRow {
    #[diesel(sql_type = BigInt)]
    pub bytes: i64,
}

pub fn database_size(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::sql_query("SELECT pg_database_size(current_database()) AS bytes")
        .get_result::<SizeRow>(conn)
        .map(|r| r.bytes)
}

#[derive(Debug, QueryableByName)]
pub struct RecoveryRow {
    #[diesel(sql_type = Bool)]
    pub in_recovery: bool,
}

pub fn in_recovery(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_is_in_recovery() AS in_recovery")
        .get_result::<RecoveryRow>(conn)
        .map(|r| r.in_recovery)
}

/// The server's data directory (needs superuser or `pg_read_all_settings`).
pub fn data_directory(conn: &mut PgConnection) -> QueryResult<String> {
    diesel::sql_query("SELECT current_setting('data_directory') AS value")
        .get_result::<SettingRow>(conn)
        .map(|r| r.value)
}
