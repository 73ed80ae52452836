//! The convene server: the product's REST API over HTTP and HTTPS, login and
//! tokens, wiring of storage, and the `convene` binary's commands.
//!
//! Only this crate knows about HTTP, TLS, clocks and SDKERR-to-status mapping
//! ([`error`]). Meeting rules live in `convene-core`, SQL in `convene-store`.
//!
//! Entry points: [`run`] (what `convene serve` calls) and [`start`] (the same,
//! returning the bound addresses: tests and benchmarks use it).

pub mod admin;
pub mod api;
pub mod apps;
pub mod auth;
pub mod bus;
pub mod calendar;
pub mod calls;
pub mod clock;
pub mod cluster;
pub mod confctl;
pub mod config;
pub mod control;
pub mod corp;
pub mod error;
pub mod events;
pub mod history;
pub mod live;
pub mod media;
pub mod metrics;
pub mod minutes;
pub mod notify;
pub mod participants;
pub mod record;
pub mod schedule;
pub mod series;
pub mod tls;
pub mod util;
pub mod web;
pub mod webhooks;
pub mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::{get, post, put};
use axum::Router;
use convene_core::CreateLimits;
use convene_proto::SdkErr;
use convene_store::Store;

pub use config::Config;

/// What every handler shares: one `Arc`, so that handing it to a request
/// (axum clones the state for every one) is a single reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub limits: Arc<CreateLimits>,
    /// Base of join links, without a trailing slash.
    pub public_url: Arc<str>,
    pub sessions: Arc<auth::SessionCache>,
    pub clock: Arc<clock::Clock>,
    pub live: Arc<live::LiveHub>,
    /// Wakes the invitations deliverer (`notify::Deliverer`) after a change stored some.
    pub notices: Arc<tokio::sync::Notify>,
    /// Webhook event push: its HTTP client.
    pub events: Arc<events::Pusher>,
    /// The metrics recorder's handle; `None` with `--no-metrics`.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub metrics_public: bool,
}

impl AppState {
    /// Ends a session's cached copies here, and on the other nodes.
    pub fn forget_session(&self, key: &str) {
        self.sessions.forget(key);
        self.tell(bus::News::ForgetSession { key: key.to_owned() });
    }

    /// Ends an account's cached sessions here, and on the other nodes.
    pub fn forget_user(&self, user: &convene_core::UserId) {
        self.sessions.forget_user(user);
        self.tell(bus::News::ForgetUser {
            user_id: user.as_str().to_owned(),
        });
    }

    /// Ends the cached sessions of an App ID's users here, and on the
    /// other nodes.
    pub fn forget_app(&self, app_id: &str) {
        self.sessions.forget_where(|u| u.app_id.as_deref() == Some(app_id));
        self.tell(bus::News::ForgetApp {
            app_id: app_id.to_owned(),
        });
    }

    fn tell(&self, news: bus::News) {
        if let Some(c) = &self.live.cluster {
            c.bus.tell(news);
        }
    }

    /// The server clock, Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// The HTTP routes, shared by the HTTP and HTTPS listeners.
pub fn router(state: AppState) -> Router {
    // The product's REST families (meetings: MMC, login: USG) answer every
    // error, axum's own included, as `{"error_code", "error_msg"}`.
    let mmc = Router::new()
        .route(
            "/v1/mmc/management/conferences",
            post(api::create_meeting)
                .get(api::list_meetings)
                .put(schedule::update_meeting)
                .delete(api::cancel_meeting),
        )
        .route("/v1/mmc/management/conferences/start", post(schedule::start_meeting))
        .route(
            "/v1/mmc/management/cycleconferences",
            post(series::create_recurring)
                .put(series::update_recurring)
                .delete(series::cancel_recurring),
        )
        .route(
            "/v1/mmc/management/conferences/cyclesubconf",
            put(series::update_occurrence).delete(series::cancel_occurrences),
        )
        .route("/v1/mmc/management/conferences/online", get(api::online_meetings))
        .route(
            "/v1/mmc/management/conferences/online/confDetail",
            get(api::online_detail),
        )
        .route("/v1/mmc/management/conferences/history", get(history::history))
        .route(
            "/v1/mmc/management/conferences/history/confDetail",
            get(history::history_detail),
        )
        .route(
            "/v1/mmc/management/conferences/history/confAttendeeRecord",
            get(history::attendance),
        )
        .route(
            "/v1/mmc/management/conferences/history/confCtlRecord",
            get(history::control_records),
        )
        .route("/v1/mmc/management/conferences/confDetail", get(api::meeting_detail))
        .route("/v1/mmc/control/conferences/token", get(control::token))
        .route("/v1/mmc/control/conferences/lock", put(control::lock))
        .route("/v1/mmc/control/conferences/record", put(record::api::record))
        .route("/v1/mmc/control/conferences/mmrRecord", put(record::api::mmr_record))
        .route(
            "/v1/mmc/management/record/files",
            get(record::api::search).delete(record::api::delete),
        )
        .route("/v1/mmc/management/conferences/record/files", get(record::api::detail))
        .route(
            "/v1/mmc/management/record/downloadurls",
            get(record::api::download_urls),
        )
        .route("/v1/mmc/rlm/record/info", post(record::api::info))
        .route("/v1/mmc/control/conferences/mute", put(control::mute_all))
        .route("/v1/mmc/control/conferences/participants/mute", put(control::mute_one))
        .route("/v1/mmc/control/conferences/participants/cohost", put(control::cohost))
        .route(
            "/v1/mmc/control/conferences/allowWaitingParticipant",
            put(control::allow_waiting),
        )
        .route("/v1/mmc/control/conferences/stop", put(control::stop))
        .route("/v1/mmc/control/conferences/wsToken", get(confctl::ws_token))
        .route(
            "/v1/mmc/management/webhook/link-config",
            post(webhooks::set_config)
                .get(webhooks::show_config)
                .delete(webhooks::delete_config),
        )
        .route("/v1/mmc/management/webhook/change-status", put(webhooks::change_status))
        .route(
            "/v1/mmc/control/conferences/attendees/delete",
            post(participants::delete_attendees),
        )
        .route(
            "/v1/mmc/control/conferences/realTimeInfo",
            get(participants::real_time_info),
        )
        .route("/v1/mmc/control/conferences/duration", put(participants::prolong))
        .route(
            "/v1/mmc/control/conferences/participants/role",
            put(participants::set_role),
        )
        .route(
            "/v1/mmc/control/conferences/participants/name",
            put(participants::rename),
        )
        .route(
            "/v1/mmc/control/conferences/participants/hands",
            put(participants::hand),
        )
        .route(
            "/v1/mmc/control/conferences/participants/batch/hands",
            put(participants::batch_hands),
        )
        .route(
            "/v1/mmc/control/conferences/participants/delete",
            post(participants::hang_up),
        )
        .route("/v1/mmc/control/conferences/participants", post(participants::invite))
        .route(
            "/v1/mmc/control/conferences/moveToWaitingRoom",
            put(participants::move_to_waiting),
        )
        .route(
            "/v1/mmc/control/conferences/batchMoveToWaitingRoom",
            put(participants::batch_move_to_waiting),
        )
        .route(
            "/v1/mmc/control/conferences/mute/guestUnMute",
            put(participants::guest_unmute),
        )
        .route(
            "/v1/mmc/control/conferences/updateStartedConfConfig",
            put(participants::update_started_config),
        )
        .route(
            "/v1/mmc/management/conferences/online/conf-attendee",
            get(participants::online_attendees),
        );
    let usg = Router::new()
        .route("/v1/usg/acs/auth/account", post(auth::login_account))
        .route("/v1/usg/acs/token", axum::routing::delete(auth::logout))
        .route("/v2/usg/acs/auth/appauth", post(auth::login_app))
        .route("/v1/usg/dcs/corp/member", post(corp::add_user).get(corp::search_users))
        .route("/v1/usg/dcs/corp/member/delete", post(corp::delete_users))
        .route(
            "/v1/usg/dcs/corp/member/{account}",
            get(corp::show_user).put(corp::update_user),
        )
        .route("/v1/usg/acs/password/admin/reset", put(corp::reset_password))
        .route("/v2/usg/acs/corp/app", post(apps::add_app))
        .route("/v2/usg/acs/corp/apps", get(apps::list_apps))
        .route(
            "/v2/usg/acs/corp/app/{app_id}",
            put(apps::update_app).delete(apps::delete_app),
        )
        .route("/v2/usg/acs/corp/app/{app_id}/reset", put(apps::reset_key));
    // The browser client's pages and files.
    let pages = Router::new()
        .route("/j/{conf_id}/{code}", get(web::join_link))
        .route("/", get(web::index))
        // A meeting's own address: the page takes the place back on reload.
        .route("/m/{conf_id}", get(web::index))
        .route("/minutes/{conf_uuid}", get(web::index))
        .route("/app.js", get(web::app_js))
        .route("/style.css", get(web::style))
        .route("/sdk/{name}", get(web::sdk_js))
        .fallback(web::not_found)
        .layer(axum::middleware::map_response(web::page_headers))
        // The pages and scripts go gzipped to browsers that take it (116 KB -> ~36 KB).
        .layer(tower_http::compression::CompressionLayer::new().gzip(true));
    let app = Router::new()
        .merge(rest_family(mmc, &["/v1/mmc"], SdkErr::CMS_CONF_BAD_REQUEST))
        .merge(rest_family(usg, &["/v1/usg", "/v2/usg"], SdkErr::USG_PARAM_ERR))
        .merge(pages)
        .route("/v1/convene/ws", get(ws::handler))
        .route("/v1/convene/calls", get(calls::handler))
        .route("/cms/open/websocket/confctl/increment/conn", get(confctl::conn))
        .route("/openapi.json", get(api::openapi))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(metrics::ready))
        .route("/metrics", get(metrics::scrape))
        .route("/v1/convene/media/stats", get(media::stats_handler))
        .route("/v1/convene/minutes", get(minutes::minutes))
        .route("/v1/convene/timezones", get(schedule::time_zones))
        .route("/v1/convene/recordings/{segment}/{file}", get(record::api::download))
        // Create bodies are small; 1 MiB bounds what a client can make us parse.
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        // Several nodes: requests about a meeting reach the node running it.
        .layer(axum::middleware::from_fn_with_state(state.clone(), cluster::middleware))
        .layer(axum::middleware::from_fn(error::request_head_limits));
    let app = if state.metrics.is_some() {
        app.route_layer(axum::middleware::from_fn(metrics::track_http))
    } else {
        app
    };
    app.with_state(state)
}

/// One REST API family: paths under `prefixes` that it does not have, and
/// axum's own refusals on its routes, answered as the product's JSON errors
/// with `code`. (Routes are merged, not nested: nesting rewrites every
/// request's URI.)
fn rest_family(mut routes: Router<AppState>, prefixes: &[&str], code: SdkErr) -> Router<AppState> {
    for prefix in prefixes {
        routes = routes.route(
            &format!("{prefix}/{{*rest}}"),
            axum::routing::any(move |method: axum::http::Method, uri: axum::http::Uri| async move {
                error::no_such_api(code, &method, &uri)
            }),
        );
    }
    routes.layer(axum::middleware::map_response(move |res| {
        error::rest_error_body(code, res)
    }))
}

/// A listener's handle that stops accepting when `stop` turns true and
/// gives requests in flight 10 s to finish.
fn drain_on(mut stop: tokio::sync::watch::Receiver<bool>) -> axum_server::Handle<SocketAddr> {
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        let _ = stop.wait_for(|s| *s).await;
        h.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    handle
}

/// A connection that has not sent a whole request head within `idle` is
/// closed: a new one that sends nothing or too little (the first request,
/// while HTTP/1 or 2 is not yet known), and an HTTP/1 one waiting for its
/// next request on keep-alive or sending headers slowly (hyper's timer for
/// that is off unless set). Upgraded WebSockets are no longer HTTP here.
/// An idle HTTP/2 connection whose peer answers pings stays, as with
/// browsers, which close their own after a few minutes.
fn limit_idle<A: axum_server::Address, Acc>(
    server: axum_server::Server<A, Acc>,
    idle: std::time::Duration,
) -> axum_server::Server<A, Acc> {
    let mut server = server.first_request_timeout(idle);
    server.http_builder().http1().header_read_timeout(idle);
    // HTTP/2 (HTTPS clients that offer it) has no such timer: a ping every
    // `idle` at least ends connections whose peer has gone.
    server
        .http_builder()
        .http2()
        .keep_alive_interval(idle)
        .keep_alive_timeout(std::time::Duration::from_secs(20));
    server
}

/// A running server.
pub struct Running {
    /// The media plane (its UDP addresses and counters).
    pub media: Arc<media::MediaNode>,
    pub http_addr: SocketAddr,
    pub https_addr: Option<SocketAddr>,
    pub store: Arc<dyn Store>,
    /// The server's clock; tests move it forward.
    pub clock: Arc<clock::Clock>,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    pub fn https_url(&self) -> Option<String> {
        self.https_addr.map(|a| format!("https://{a}"))
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("server task")?
    }
}

/// Refuses a second server on the same SQLite database: a running meeting's
/// live state (who is in, the waiting room, the cap on participants) lives in
/// the memory of the server that hosts it, so two servers on one file would
/// each enforce their own half. The lock is the kernel's (`flock`), on
/// `<database>.lock`, so a killed server leaves none behind; it holds the
/// server's pid for the message. The admin commands do not take it: they
/// only write rows, which SQLite lets several processes do. PostgreSQL is
/// shared by design (several nodes).
fn lock_database(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    use std::io::{Read, Write};
    let Some(path) = url.strip_prefix("sqlite:") else {
        return Ok(None);
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(':') || url.contains("mode=memory") {
        return Ok(None);
    }
    let lock_path = format!("{path}.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .with_context(|| format!("opening {lock_path}"))?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            writeln!(file, "{}", std::process::id())?;
            Ok(Some(file))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            anyhow::bail!(
                "another convene server (pid {}) is serving the database {path}; stop it first, or give this one \
                 its own --data-dir",
                holder.trim()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {lock_path}")),
    }
}

/// Opens storage, binds the listeners and serves until [`Running::stop`].
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let lock = lock_database(&config.database_url.0)?;
    let options = convene_store::StoreOptions {
        sqlite_wal_reserve: config.sqlite_wal_reserve,
        // A cluster node's joins and forwards read the database on their
        // way: its pool is kept warm (a new connection costs ~100 ms).
        pg_warm_connections: config.cluster.as_ref().map_or(0, |c| c.warm_connections),
        // A node paused mid-transaction frees its rows within a lease.
        pg_idle_transaction_ms: config.cluster.as_ref().map_or(0, |c| c.lease_ms.max(1) as u64),
    };
    let store = convene_store::open_with(&config.database_url.0, &options)
        .await
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;
    if config.dev {
        admin::ensure_dev_setup(store.as_ref(), &config.data_dir).await?;
    }
    let http = std::net::TcpListener::bind(config.listen).with_context(|| format!("binding {}", config.listen))?;
    http.set_nonblocking(true)?;
    let http_addr = http.local_addr()?;
    let idle = config.http_idle_timeout;
    let https = match config.tls_listen {
        Some(addr) => Some(std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?),
        None => None,
    };
    let https_addr = https.as_ref().map(|l| l.local_addr()).transpose()?;
    let public_url: Arc<str> = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{http_addr}"))
        .trim_end_matches('/')
        .into();
    let tls = match &https {
        Some(_) => Some(tls::rustls_config(&config).await?),
        None => None,
    };
    let clock = Arc::new(clock::Clock::default());
    let cluster = match &config.cluster {
        Some(c) => {
            let node = cluster::Cluster::new(c, http_addr, store.clone(), &config.data_dir)?;
            tracing::info!(node = %node.node_id, url = %node.url, "cluster node");
            Some(Arc::new(node))
        }
        None => None,
    };
    let media = Arc::new(media::MediaNode::start(config.media.clone())?);
    let recordings = record::Recordings::new(
        &config,
        store.clone(),
        clock.clone(),
        record::archive::Archive::open(config.record_store.as_ref())?,
        cluster.as_ref().map_or_else(String::new, |c| c.node_id.clone()),
    );
    recordings.spawn();
    let notices = notify::Deliverer::spawn(&config.notify, store.clone(), clock.clone(), public_url.to_string())?;
    let events = Arc::new(events::Pusher::new(config.notify.webhook_ca.as_deref())?);
    events.spawn(store.clone(), clock.clone());
    let (metrics_on, metrics_public) = (config.metrics, config.metrics_public);
    let node_name = cluster.as_ref().map(|c| c.node_id.clone());
    let state = AppState(Arc::new(Shared {
        notices,
        events,
        live: Arc::new(live::LiveHub::new(
            store.clone(),
            clock.clone(),
            media.clone(),
            config.max_participants,
            recordings,
            cluster,
        )),
        clock: clock.clone(),
        store: store.clone(),
        config: Arc::new(config),
        limits: Arc::new(CreateLimits::default()),
        public_url,
        sessions: Arc::default(),
        metrics: metrics_on.then(|| metrics::install(node_name.as_deref())).flatten(),
        metrics_public,
    }));
    if let Some(c) = &state.live.cluster {
        // What the other nodes tell this one (their calls ringing, sessions
        // ended), heard from before this node serves.
        if let Some(heard) = store.subscribe().await.context("listening to the other nodes")? {
            tokio::spawn(bus::listen(state.clone(), c.node_id.clone(), heard));
        }
    }
    let app = router(state);
    let (shutdown, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        // Held while this server serves; released when it has stopped.
        let _lock = lock;
        // No Nagle delay: answers and WebSocket events are small writes that
        // should leave at once.
        let plain = axum_server::from_tcp(http)?
            .acceptor(axum_server::accept::NoDelayAcceptor::new())
            .handle(drain_on(rx.clone()));
        let plain = limit_idle(plain, idle).serve(app.clone().into_make_service_with_connect_info::<SocketAddr>());
        let secure = async move {
            let (Some(listener), Some(tls)) = (https, tls) else {
                return Ok(());
            };
            listener.set_nonblocking(true)?;
            let server = axum_server::from_tcp_rustls(listener, tls)?
                .map(|tls| tls.acceptor(axum_server::accept::NoDelayAcceptor::new()))
                .handle(drain_on(rx));
            limit_idle(server, idle)
                .serve(app.into_make_service_with_connect_info::<SocketAddr>())
                .await
        };
        let (a, b) = tokio::join!(plain, secure);
        a.context("HTTP server")?;
        b.context("HTTPS server")?;
        Ok(())
    });
    Ok(Running {
        media,
        http_addr,
        https_addr,
        store,
        clock,
        shutdown,
        task,
    })
}

/// Serves until `shutdown` resolves, then drains. What `convene serve` calls.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let dev = config.dev;
    let data_dir = config.data_dir.clone();
    let running = start(config).await?;
    println!("convene listening on {}", running.http_url());
    if let Some(u) = running.https_url() {
        println!("convene listening on {u} (TLS)");
    }
    if dev {
        admin::print_dev_login(&data_dir, &running.http_url());
    }
    shutdown.await;
    println!("convene: draining (a second signal forces exit)");
    running.stop().await
}
