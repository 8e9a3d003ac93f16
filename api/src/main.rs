//! The `hms` command: `serve` (default), `migrate`, `seed-demo`, `openapi`.

use std::process::ExitCode;
use std::time::Duration;

use hms_api::config::Settings;
use hms_api::startup::{migrate_when_reachable, Application};
use hms_api::{db, demo, openapi};

const USAGE: &str = "usage: hms [serve [--demo] | migrate | seed-demo | openapi]

  serve       run the API server (default); --demo also loads the demo data once
  migrate     apply pending database migrations and exit
  seed-demo   apply migrations, load the demo data once, and exit
  openapi     print the OpenAPI document

Configuration comes from the environment; see .env.example.";

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
        if with_demo {
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
