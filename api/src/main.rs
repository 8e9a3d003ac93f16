//! The `hms` command: `serve` (default), `migrate`, `seed-demo`, `openapi`, and the operations
//! commands `backup`, `backup verify`, `restore` and `maintenance`.

use std::process::ExitCode;
use std::time::Duration;

use diesel::{Connection, PgConnection};
use hms_api::config::{BackupSettings, Settings};
use hms_api::operations::pgbackrest::BackupType;
use hms_api::operations::{backup, maintenance};
use hms_api::startup::{migrate_when_reachable, Application};
use hms_api::{db, demo, openapi};
use hms_api_types::operations::{MaintenanceResult, RunResult};

const USAGE: &str = "usage: hms [serve [--demo] | migrate | seed-demo | openapi
           | backup [--type full|diff|incr] | backup verify [--latest | LABEL]
           | restore --to RFC3339-TIME --into NEW-DATA-DIR | maintenance [--skip-amcheck]]

  serve          run the API server (default); --demo also loads the demo data once
  migrate        apply pending database migrations and exit
  seed-demo      apply migrations, load the demo data once, and exit
  openapi        print the OpenAPI document
  backup         take a pgBackRest backup (default full) and record it with the row counts
                 of the main tables at a restore point
  backup verify  prove a backup (default the newest) by restoring it into a scratch server:
                 pgbackrest verify, pg_amcheck, row counts; record the result
  restore        point-in-time restore into a new data directory (never over a running
                 server); prints how to start it
  maintenance    pg_amcheck, checksum failures, VACUUM (ANALYZE) where needed, bloat and
                 index health; record the report

Each operations command exits non-zero when its run failed or found problems.
Configuration comes from the environment; see .env.example and docs/backups.md.";

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        [] | ["serve"] => serve(false),
        ["serve", "--demo"] => serve(true),
        ["migrate"] => migrate(false),
        ["seed-demo"] => migrate(true),
        ["openapi"] => {
            use std::io::Write;
            std::io::stdout()
                .write_all(openapi::document_json().as_bytes())
                .map_err(anyhow::Error::from)
        }
        ["backup"] => take_backup(BackupType::Full),
        ["backup", "--type", kind] => match BackupType::parse(kind) {
            Some(kind) => take_backup(kind),
            None => Err(anyhow::anyhow!("--type must be full, diff or incr")),
        },
        ["backup", "verify"] | ["backup", "verify", "--latest"] => verify_backup(None),
        ["backup", "verify", label] if !label.starts_with('-') => verify_backup(Some(label)),
        ["restore", "--to", to, "--into", into] | ["restore", "--into", into, "--to", to] => {
            restore(to, into)
        }
        ["maintenance"] => run_maintenance(true),
        ["maintenance", "--skip-amcheck"] => run_maintenance(false),
        ["--help"] | ["-h"] | ["help"] => {
            eprintln!("{USAGE}");
            Ok(())
        }
        _ => Err(anyhow::anyhow!("unknown arguments\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(with_demo: bool) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let bind = settings.bind.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings, Duration::from_secs(60))?;
        if with_demo && !app.pool().state().writes_paused() {
            seed_demo(app.pool())?;
        }
        log::info!("HMS listening on http://{bind} (Swagger UI at /swagger-ui/)");
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn migrate(with_demo: bool) -> anyhow::Result<()> {
    let settings = Settings::database_from_env()?;
    let pool = db::build_pool(&settings);
    migrate_when_reachable(&pool, Duration::from_secs(60))?;
    if with_demo {
        seed_demo(&pool)?;
    }
    Ok(())
}

fn seed_demo(pool: &db::DbPool) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let loaded = demo::seed(&mut conn)?;
    if loaded.is_empty() {
        log::info!("demo data already loaded");
    } else {
        log::info!("loaded demo data: {}", loaded.join(", "));
    }
    Ok(())
}

fn connect() -> anyhow::Result<(PgConnection, String)> {
    let url = Settings::database_from_env()?.database_url;
    let conn = PgConnection::establish(&db::with_connect_options(&url))
        .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
    Ok((conn, url))
}

fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn steps_text(steps: &[hms_api_types::operations::RunStep]) -> String {
    steps
        .iter()
        .map(|s| {
            format!(
                "  {:<52} {:>8.2} s  {}{}",
                s.name,
                s.duration_ms as f64 / 1000.0,
                if s.ok { "ok" } else { "FAILED" },
                s.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn finish_run(run: &hms_api_types::operations::BackupRun) -> anyhow::Result<()> {
    say(&steps_text(&run.steps));
    for c in &run.row_counts {
        say(&format!(
            "  {:<20} {:>10}{}",
            c.table,
            c.expected.map(|n| n.to_string()).unwrap_or_default(),
            c.found.map(|n| format!(" -> {n}")).unwrap_or_default()
        ));
    }
    say(&run.detail);
    match run.result {
        RunResult::Ok => Ok(()),
        RunResult::Failed => Err(anyhow::anyhow!("{} failed", run.kind.as_str())),
    }
}

fn take_backup(kind: BackupType) -> anyhow::Result<()> {
    let settings = BackupSettings::from_env()?;
    let (mut conn, _) = connect()?;
    let run = backup::take(&mut conn, &settings, kind)?;
    finish_run(&run)
}

fn verify_backup(label: Option<&str>) -> anyhow::Result<()> {
    let settings = BackupSettings::from_env()?;
    let (mut conn, _) = connect()?;
    let run = backup::verify(&mut conn, &settings, label)?;
    finish_run(&run)
}

fn restore(to: &str, into: &str) -> anyhow::Result<()> {
    let settings = BackupSettings::from_env()?;
    let to = chrono::DateTime::parse_from_rfc3339(to)
        .map_err(|e| anyhow::anyhow!("--to must be an RFC 3339 time (2026-11-26T08:04:02Z): {e}"))?
        .with_timezone(&chrono::Utc);
    // The source may be the broken thing: restore without it, just unrecorded.
    let mut conn = match connect() {
        Ok((conn, _)) => Some(conn),
        Err(e) => {
            log::warn!("{e:#}; the restore will not be recorded");
            None
        }
    };
    let restored = backup::restore(conn.as_mut(), &settings, to, std::path::Path::new(into))?;
    if let Some(run) = &restored.run {
        say(&steps_text(&run.steps));
    }
    say(&format!(
        "Restored backup {} into {} in {:.1} s.\n\n{}",
        restored.label,
        restored.data_dir.display(),
        restored.took.as_secs_f64(),
        restored.instructions
    ));
    Ok(())
}

fn run_maintenance(amcheck: bool) -> anyhow::Result<()> {
    let (mut conn, url) = connect()?;
    let run = maintenance::run(&mut conn, &url, maintenance::MaintenanceOptions { amcheck })?;
    say(&serde_json::to_string_pretty(&run.report).unwrap_or_default());
    say(&format!(
        "maintenance {} in {:.1} s: {}",
        run.result.as_str(),
        run.duration_ms as f64 / 1000.0,
        run.summary
    ));
    match run.result {
        MaintenanceResult::Ok => Ok(()),
        _ => Err(anyhow::anyhow!("maintenance: {}", run.result.as_str())),
    }
}
