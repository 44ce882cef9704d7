//! Builds the application: the database, the shared state, the routes and middleware, and the
//! HTTP server bound to its port. Used by `main`, by the tests and by the OpenAPI generator.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{Compress, Condition, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::tokens::{self, TokenKeys};
use crate::config::Config;
use crate::db::{self, Database};
use crate::http::guard::{BodyDeadline, input_guard, security_headers};
use crate::http::observe::{Observe, observe};
use crate::http::{
    BodyLimit, PublicUrl, RouteTable, cache_middleware, etag_encoding_middleware, fallback, problem_middleware,
    query_guard,
};
use crate::limits::RateLimits;
use crate::metrics::Metrics;
use crate::openapi::{self, ApiDoc};
use crate::state::AppState;
use crate::{
    articles, audit, auth, categories, changes, events, feedback, fields, health, media, privacy, procedures,
    questions, revisions, search, sitemaps, sites, users, webhooks,
};

/// Registers every documented route; the OpenAPI document is collected from these calls.
fn api_routes(
    app: utoipa_actix_web::UtoipaApp<
        impl actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
) -> utoipa_actix_web::UtoipaApp<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    app.service(health::healthz)
        .service(health::readyz)
        .service(media::serve_media)
        .service(health::metrics)
        .service(
            scope("/api/v1")
                .service(health::openapi_json)
                .configure(auth::routes)
                .configure(users::routes)
                .configure(sites::routes)
                .configure(categories::routes)
                .configure(articles::routes)
                .configure(events::routes)
                .configure(feedback::routes)
                .configure(fields::routes)
                .configure(questions::routes)
                .configure(procedures::routes)
                .configure(privacy::routes)
                .configure(media::routes)
                .configure(changes::routes)
                .configure(sitemaps::routes)
                .configure(webhooks::routes)
                .configure(audit::routes)
                .configure(revisions::routes)
                .configure(search::routes),
        )
        .service(scope("/open311/v2").configure(feedback::open311_routes))
}

/// The routes whose anonymous answers the response cache may share, each resource's own list.
fn shared_routes() -> Vec<&'static str> {
    [
        articles::SHARED_ROUTES,
        categories::SHARED_ROUTES,
        sites::SHARED_ROUTES,
        events::SHARED_ROUTES,
        procedures::SHARED_ROUTES,
        fields::SHARED_ROUTES,
        privacy::SHARED_ROUTES,
        search::SHARED_ROUTES,
    ]
    .concat()
}

/// The complete OpenAPI document, as served and as checked in.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, api) = api_routes(App::new().into_utoipa_app().openapi(ApiDoc::openapi())).split_for_parts();
    openapi::complete(api)
}

/// A server bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    /// The server of `MUNI_METRICS_ADDR`, when set, and its address.
    metrics: Option<(Server, std::net::SocketAddr)>,
    /// Held while serving a SQLite database, so that no restore replaces it meanwhile.
    _lock: Option<db::backup::ServerLock>,
    pub state: web::Data<AppState>,
}

impl Application {
    /// Migrates the database, creates the first site and admin when missing, and binds the port
    /// (port 0 picks a free one, as the tests do).
    pub fn build(config: Config) -> std::io::Result<Self> {
        let lock = db::backup::ServerLock::acquire(&config.database_url).map_err(std::io::Error::other)?;
        let database = Database::new(config.database_url.clone(), config.db_pool_size);
        prepare_database(&database, &config).map_err(std::io::Error::other)?;
        let listener = TcpListener::bind((config.host.as_str(), config.port)).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {}:{} ({e}); set MUNI_HOST or MUNI_PORT", config.host, config.port),
            )
        })?;
        let port = listener.local_addr()?.port();
        let api = openapi_document();
        let routes = web::Data::new(RouteTable::from_openapi(&api));
        let request_headers = openapi::request_headers(&api);
        let search = open_search(&config);
        let index_position: Option<crate::cache::IndexPosition> = search
            .clone()
            .map(|index| Arc::new(move || index.position().map(Into::into)) as crate::cache::IndexPosition);
        let cache = crate::cache::ResponseCache::new(
            &database.url,
            config.cache_bytes,
            shared_routes(),
            articles::repo::next_scheduled,
            index_position,
        )?
        .map(web::Data::new);
        let state = web::Data::new(AppState {
            db: database,
            tokens: TokenKeys::new(&config).map_err(std::io::Error::other)?,
            limits: web::Data::new(RateLimits::new(config.public_write_rate_per_minute, config.trust_proxy)),
            vault: crate::crypto::Vault::new(&config.data_key),
            openapi_json: openapi::to_pretty_json(&api),
            cache,
            metrics: config
                .metrics_enabled
                .then(|| Arc::new(Metrics::new(env!("CARGO_PKG_VERSION"), config.database_url.engine()))),
            search,
            config: Arc::new(config),
        });
        if let Some(index) = &state.search {
            search::sync::start(state.db.clone(), index.clone(), state.metrics.clone());
        }
        start_release_clock(state.db.clone(), state.metrics.clone());
        audit::sealer::start(state.db.clone(), state.metrics.clone());
        if state.config.webhooks.worker {
            webhooks::start(
                state.db.clone(),
                state.vault.clone(),
                state.config.webhooks.clone(),
                state.metrics.clone(),
            );
        }
        let store = web::Data::new(media::store::Store::from_settings(&state.config.media).map_err(|e| {
            std::io::Error::other(format!("cannot open the media store {}: {e}", state.config.media.dir.display()))
        })?);
        log::info!("media files in {}", store.describe());
        start_maintenance(state.db.clone(), &state.config, state.metrics.clone(), store.get_ref().clone());
        if state.config.media.worker {
            media::start_processing(state.db.clone(), store.get_ref().clone(), state.metrics.clone());
        }
        let metrics = metrics_server(&state)?;
        let workers = state.config.workers;
        let workers =
            if workers > 0 { workers } else { std::thread::available_parallelism().map_or(1, std::num::NonZero::get) };
        let max_connections = connection_cap(&state.config);
        let app_state = state.clone();
        let deadline = web::Data::new(BodyDeadline(state.config.request_timeout));
        let public_url = PublicUrl(state.config.public_url.clone().unwrap_or_default());
        let observing =
            web::Data::new(Observe { metrics: state.metrics.clone(), trust_proxy: state.config.trust_proxy });
        let mut server = HttpServer::new(move || {
            let config = &app_state.config;
            let cors_enabled = !config.cors_origins.is_empty();
            let mut app = App::new().app_data(app_state.limits.clone());
            if let Some(cache) = &app_state.cache {
                app = app.app_data(cache.clone());
            }
            let (app, _) = api_routes(app.into_utoipa_app())
                .app_data(app_state.clone())
                .app_data(routes.clone())
                .app_data(deadline.clone())
                .app_data(public_url.clone())
                .app_data(observing.clone())
                .app_data(store.clone())
                .app_data(BodyLimit(config.max_body_bytes))
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    crate::error::ApiError::BadRequest(format!("The URL path is invalid: {err}.")).into()
                }))
                .split_for_parts();
            app.service(SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])))
                .route(
                    "/docs",
                    web::get().to(|| async {
                        actix_web::HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
                    }),
                )
                .default_service(web::to(fallback))
                .wrap(from_fn(audit::audit_layer))
                .wrap(from_fn(query_guard))
                .wrap(from_fn(input_guard))
                .wrap(Condition::new(cors_enabled, cors(&config.cors_origins, &request_headers)))
                .wrap(from_fn(problem_middleware))
                .wrap(from_fn(cache_middleware))
                .wrap(Compress::default())
                .wrap(from_fn(etag_encoding_middleware))
                .wrap(from_fn(crate::cache::response_cache))
                .wrap(from_fn(security_headers))
                .wrap(from_fn(observe))
        })
        .listen(listener)?
        // The head of a request within 10 s (or the body deadline, if shorter), the body within the
        // deadline (see `BodyDeadline`), and no more connections than descriptors allow.
        .client_request_timeout(state.config.request_timeout.min(std::time::Duration::from_secs(10)))
        .client_disconnect_timeout(std::time::Duration::from_secs(2))
        .max_connections(max_connections.div_ceil(workers))
        .shutdown_timeout(30);
        // Blocking work is database work: threads beyond the pool's connections would only wait
        // for one (and each keeps its own allocator arena: 512 of them by default held 200 MB).
        let blocking = (state.config.db_pool_size as usize).div_ceil(workers).max(2);
        server = server.workers(workers).worker_max_blocking_threads(blocking);
        Ok(Self { port, server: server.run(), metrics, _lock: lock, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address `/metrics` is served on without a token, when `MUNI_METRICS_ADDR` is set.
    pub fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().map(|(_, address)| *address)
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight (up to 30 seconds).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _lock = self._lock;
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let result = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        result
    }
}

/// The server of `MUNI_METRICS_ADDR`: `/metrics` alone, without a token, on one worker (for a
/// scraper on a private network or this machine, not for the public).
fn metrics_server(state: &web::Data<AppState>) -> std::io::Result<Option<(Server, std::net::SocketAddr)>> {
    let Some(address) = state.config.metrics_addr.clone() else { return Ok(None) };
    if state.metrics.is_none() {
        return Err(std::io::Error::other("MUNI_METRICS_ADDR is set but MUNI_METRICS=off"));
    }
    let listener = TcpListener::bind(address.as_str())
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on MUNI_METRICS_ADDR {address} ({e})")))?;
    let bound = listener.local_addr()?;
    let state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(health::MetricsListener)
            .service(health::metrics)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(crate::error::ApiError::NotFound(
                    "Only /metrics is served on this address.".into(),
                ))
            }))
            .wrap(from_fn(security_headers))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    Ok(Some((server, bound)))
}

/// Open connections the server keeps at most, over all workers: the configured number, or what
/// the process's descriptor limit leaves after the database connections and files (the soft limit
/// is first raised to the hard one). Past it, new clients wait in the listen backlog instead of
/// the process failing with `Too many open files`.
fn connection_cap(config: &Config) -> usize {
    let descriptors = raise_descriptor_limit();
    let reserve = config.db_pool_size as usize * 2 + 128;
    let from_limit = descriptors.map_or(25_000, |n| n.saturating_sub(reserve).max(64));
    config.max_connections.map_or(from_limit, |n| n.min(from_limit))
}

/// Raises the soft limit of open descriptors to the hard limit; returns the limit in force.
fn raise_descriptor_limit() -> Option<usize> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    usize::try_from(limit.rlim_cur).ok()
}

/// A background thread for periodic upkeep (every ten minutes): expired sign-in throttles, the
/// feedback retention period, and the audit log's (archived, then removed).
/// Idempotent, so several API nodes running it at once do no harm.
fn start_maintenance(db: Database, config: &Config, metrics: Option<Arc<Metrics>>, store: media::store::Store) {
    let retention_days = config.feedback_retention_days;
    let audit = config.audit_retention_days.map(|days| (days, config.audit_archive_dir.clone()));
    let spawned = std::thread::Builder::new().name("muni-maintenance".into()).spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(600));
            let result = db.get().map_err(|e| e.to_string()).and_then(|mut conn| {
                db::write_transaction(&mut conn, crate::auth::forget_old_throttles).map_err(|e| e.to_string())?;
                webhooks::forget_old_deliveries(&mut conn).map_err(|e| e.to_string())?;
                media::collect_garbage(&mut conn, &store, media::GARBAGE_GRACE)?;
                if let Some((days, dir)) = &audit {
                    age_out_audit(&mut conn, *days, dir)?;
                }
                db::write_transaction(&mut conn, |c| crate::feedback::repo::maintain(c, retention_days))
                    .map_err(|e| e.to_string())
            });
            if let Some(metrics) = &metrics {
                metrics.background_run("maintenance", result.is_ok());
                if let Ok(n) = result {
                    metrics.personal_data_erased(n as u64);
                }
            }
            match result {
                Ok(0) => {}
                Ok(n) => log::info!("retention: erased the personal data of {n} closed feedback submissions"),
                Err(e) => log::error!("maintenance failed: {e}"),
            }
        }
    });
    if let Err(e) = spawned {
        log::error!("cannot start the maintenance thread: {e}");
    }
}

/// Archives and removes audit entries older than `days`, a batch at a time, until none is left.
pub fn age_out_audit(conn: &mut db::DbConn, days: u32, dir: &std::path::Path) -> Result<usize, String> {
    let before = db::now() - chrono::Duration::days(i64::from(days));
    // Entries are archived with their hashes: what awaits its seal is sealed first.
    audit::seal(conn).map_err(|e| e.to_string())?;
    let mut total = 0;
    while let Some(archived) = audit::age_out(conn, before, dir)? {
        log::info!(
            "audit retention: archived {} entries (through {}) to {}",
            archived.entries,
            archived.through_id,
            archived.file.display()
        );
        total += archived.entries;
    }
    Ok(total)
}

/// A background thread that, twice a second, puts the scheduled articles that have come due into
/// the change log (see [`articles::repo::release_due`]): the change feed and whatever else reads the
/// log learn of them within a second. Two small queries a second when nothing is due.
/// Opens this node's search index (the sync thread builds it when it is new). A node whose index
/// cannot be opened still serves everything else; its search answers 503.
fn open_search(config: &Config) -> Option<Arc<search::SearchIndex>> {
    match search::SearchIndex::open(&config.search_dir) {
        Ok(index) => Some(index),
        Err(e) => {
            log::error!("cannot open the search index in {}: {e}", config.search_dir.display());
            None
        }
    }
}

fn start_release_clock(db: Database, metrics: Option<Arc<Metrics>>) {
    let spawned = std::thread::Builder::new().name("muni-release".into()).spawn(move || {
        let mut failing = false;
        loop {
            std::thread::sleep(std::time::Duration::from_millis(500));
            let result = db
                .get()
                .map_err(|e| e.to_string())
                .and_then(|mut conn| articles::repo::release_due(&mut conn, db::now()).map_err(|e| e.to_string()));
            if let Some(metrics) = &metrics {
                metrics.background_run("release_scheduled", result.is_ok());
            }
            let failed = result.is_err();
            match result {
                Ok(0) => {}
                Ok(n) => log::info!("released {n} scheduled articles into the change log"),
                // Once per outage, not every second.
                Err(e) if !failing => log::error!("releasing scheduled articles failed: {e}"),
                Err(_) => {}
            }
            failing = failed;
        }
    });
    if let Err(e) = spawned {
        log::error!("cannot start the release thread: {e}");
    }
}

/// CORS for the configured origins: every request header the document defines may be sent (and
/// the standard ones a client sets), and the response headers clients read are exposed.
fn cors(origins: &[String], document_headers: &[String]) -> Cors {
    let mut headers: Vec<String> =
        ["authorization", "content-type", "accept", "accept-language", "if-match", "if-none-match"]
            .into_iter()
            .map(String::from)
            .collect();
    headers.extend(document_headers.iter().cloned());
    headers.sort();
    headers.dedup();
    let mut cors = Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers(headers)
        .expose_headers([
            "etag",
            "link",
            "x-total-count",
            "location",
            "retry-after",
            "last-modified",
            "age",
            "x-request-id",
        ])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}

/// Applies migrations, then creates the configured site and the first admin when there are none;
/// nodes starting together take turns (see [`db::exclusive_setup`]).
pub fn prepare_database(database: &Database, config: &Config) -> Result<(), String> {
    // Writes that no request makes (the CLI, the seed, maintenance) keep revisions too.
    db::witness::watch_the_rest(audit::unattended(None));
    db::exclusive_setup(&database.url, |conn| {
        let applied = db::run_migrations(conn)?;
        if !applied.is_empty() {
            log::info!("applied migrations: {}", applied.join(", "));
        }
        let first = revisions::baseline(conn).map_err(|e| format!("cannot start the revisions: {e}"))?;
        if first > 0 {
            log::info!("kept a first revision of {first} items saved before revisions began");
        }
        let site = sites::ensure_default_site(conn, &config.site_code, &config.site_name, &config.site_time_zone)
            .map_err(|e| format!("cannot create the first site: {e}"))?;
        if let Some(site) = site {
            log::info!("created the site `{}` ({})", site.code, site.name);
        }
        if users::count_users(conn).map_err(|e| e.to_string())? == 0 {
            create_first_admin(conn, config)?;
        }
        crate::personal_data::verify_data_key(conn, &crate::crypto::Vault::new(&config.data_key))
    })
}

fn create_first_admin(conn: &mut db::DbConn, config: &Config) -> Result<(), String> {
    let email = users::model::normalize_email(config.admin_email.as_deref().unwrap_or("admin@localhost.localdomain"));
    let (password, generated) = match &config.admin_password {
        Some(p) => (p.clone(), false),
        None => (tokens::new_refresh_token(), true),
    };
    users::model::validate_password("MUNI_ADMIN_PASSWORD", &password)
        .map_err(|e| format!("MUNI_ADMIN_PASSWORD {}", e.message))?;
    let hash = tokens::hash_password(&password)?;
    let new = users::NewUser {
        email: &email,
        display_name: "Administrator",
        password_hash: &hash,
        role: "admin",
        site_id: None,
    };
    users::insert_user(conn, &new).map_err(|e| format!("cannot create the first admin: {e}"))?;
    if generated {
        eprintln!(
            "\n  Created the first admin account.\n    email:    {email}\n    password: {password}\n  \
             This password is shown once; change it after signing in (POST /api/v1/auth/password).\n"
        );
    } else {
        log::info!("created the first admin account {email}");
    }
    Ok(())
}
