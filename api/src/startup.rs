//! Builds the server. `main` and the tests share this exact code path.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::rate_limit::LoginLimiter;
use crate::auth::service::SessionPolicy;
use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::error;
use crate::http::fallback::{self, RouteTable, SpaFiles};

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
}

impl Application {
    /// Connects (waiting up to `wait_for_db` for the database), migrates, binds and builds.
    pub fn build(settings: Settings, wait_for_db: Duration) -> anyhow::Result<Application> {
        let pool = db::build_pool(&settings);
        // With a standby, an API (re)started during an outage serves reads rather than waiting
        // for the primary: it gives the primary a short while, then starts read-only.
        let wait = match pool.standby() {
            Some(_) => wait_for_db.min(Duration::from_secs(10)),
            None => wait_for_db,
        };
        let mut conn = match migrate_when_reachable(&pool, wait) {
            Ok(()) => pool.get()?,
            Err(e) => match pool.standby().map(|s| s.get()) {
                Some(Ok(conn)) => {
                    log::warn!(
                        "starting read-only: {e}; migrations run at the next start with a primary"
                    );
                    pool.state().primary_failed();
                    conn
                }
                _ => return Err(e),
            },
        };
        if !crate::scheduling::repo::time_zone_exists(&mut conn, &settings.time_zone)? {
            anyhow::bail!(
                "HMS_TIMEZONE={} is not a time zone PostgreSQL knows (use an IANA name such as Europe/Lisbon)",
                settings.time_zone
            );
        }
        drop(conn);
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        Self::build_with(settings, pool, listener)
    }

    /// Builds the server on an existing pool and listener, without migrating.
    pub fn build_with(
        settings: Settings,
        pool: DbPool,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        let document = crate::openapi::document();
        let routes = web::Data::new(RouteTable::from_openapi(&document));
        let spa_dir = settings
            .static_dir
            .join("index.html")
            .is_file()
            .then(|| settings.static_dir.clone());
        if spa_dir.is_none() {
            log::warn!(
                "no built web app in {}; serving the API only (run cargo xtask web)",
                settings.static_dir.display()
            );
        }
        let spa = web::Data::new(SpaFiles { dir: spa_dir });
        let keys = web::Data::new(JwtKeys::new(
            settings.jwt_secret.as_bytes(),
            settings.access_token_ttl,
        ));
        let policy = web::Data::new(SessionPolicy {
            refresh_ttl: settings.refresh_token_ttl,
        });
        let limiter = web::Data::new(LoginLimiter::new(
            settings.login_max_failures,
            settings.login_lock,
            settings.login_max_per_address,
        ));
        let schedule = web::Data::new(settings.schedule());
        let registry = std::sync::Arc::new(crate::integrations::registry::ClientRegistry::new());
        if let Err(e) = registry.reload(&pool) {
            log::warn!("cannot load the API clients yet (retrying in the background): {e}");
        }
        crate::integrations::registry::ClientRegistry::spawn_refresh(
            &registry,
            pool.clone(),
            settings.client_refresh,
        );
        let registry = web::Data::from(registry);
        let cors_origins = settings.cors_origins.clone();
        crate::journal::replay::spawn(pool.clone(), settings.schedule());
        crate::incidents::watch::spawn(&pool);
        crate::idempotency::spawn_cleanup(&pool);
        let pool_data = web::Data::new(pool.clone());
        let metrics = web::Data::new(crate::ops::metrics::Metrics::new(&pool));
        crate::webhooks::worker::spawn(
            &pool,
            settings.webhooks.clone(),
            metrics.webhooks().clone(),
        );
        let max_body = settings.max_body_bytes;

        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(pool_data.clone())
                .app_data(metrics.clone())
                .app_data(keys.clone())
                .app_data(policy.clone())
                .app_data(limiter.clone())
                .app_data(registry.clone())
                .app_data(routes.clone())
                .app_data(spa.clone())
                .app_data(schedule.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(max_body)
                        .error_handler(|err, _| error::json_error(err).into()),
                )
                .app_data(web::PayloadConfig::default().limit(max_body))
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|err, _| error::query_error(err).into()),
                )
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|err, _| error::path_error(err).into()),
                )
                .configure(crate::routes::mount)
                .split_for_parts();
            app.service(
                SwaggerUi::new("/swagger-ui/{_:.*}")
                    .url("/api-docs/openapi.json", document.clone()),
            )
            .default_service(web::to(fallback::fallback))
            .wrap(middleware::Compress::default())
            .wrap(crate::http::cors::cors(&cors_origins))
            .wrap(middleware::from_fn(crate::http::middleware::access_log))
        })
        .workers(settings.workers)
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        Ok(Application { port, server, pool })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's database pool (for tools and tests).
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs until the server is stopped (Ctrl-C / SIGTERM for the binary).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Applies migrations, retrying while the database is not reachable yet (a fresh cluster
/// starting, a failover in progress) for up to `limit`.
pub fn migrate_when_reachable(pool: &DbPool, limit: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        match pool.get() {
            Ok(mut conn) => {
                let applied = db::migrate(&mut conn)?;
                if applied > 0 {
                    log::info!("applied {applied} migration(s)");
                }
                return Ok(());
            }
            Err(e) if started.elapsed() < limit => {
                log::warn!("database not reachable yet ({e}); retrying");
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => anyhow::bail!("database not reachable: {e}"),
        }
    }
}
