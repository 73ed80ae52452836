//! Server configuration: defaults in code, then a TOML file
//! (`deny_unknown_fields`), then `CONVENE_*` environment, then flags, then one
//! validation step ([`Config::resolve`]). Passed explicitly, never global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use serde::Deserialize;

/// Where the server keeps its data, and which database it uses.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// The data folder (SQLite database, generated TLS certificate, dev credentials).
    #[arg(long, env = "CONVENE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite:PATH` or `postgres://...`; default: SQLite in the data folder.
    #[arg(long, env = "CONVENE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// A TOML file with the same settings (flags and environment win over it).
    #[arg(long, env = "CONVENE_CONFIG")]
    pub config: Option<PathBuf>,
}

/// `convene serve` flags.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Plain HTTP address.
    #[arg(long, env = "CONVENE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// HTTPS address (the product's official clients speak HTTPS only).
    #[arg(long, env = "CONVENE_TLS_LISTEN")]
    pub tls_listen: Option<SocketAddr>,
    /// PEM certificate chain; without it a self-signed one is made and kept.
    #[arg(long, env = "CONVENE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `--tls-cert`.
    #[arg(long, env = "CONVENE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// The address people reach the server at, used in join links.
    #[arg(long, env = "CONVENE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Development mode: a default enterprise, account and App ID are made if
    /// missing, and how to log in is printed.
    #[arg(long, env = "CONVENE_DEV")]
    pub dev: bool,
    /// Access-token lifetime in seconds.
    #[arg(long, env = "CONVENE_TOKEN_TTL")]
    pub token_ttl: Option<i64>,
    /// Turn off HTTPS.
    #[arg(long, env = "CONVENE_NO_TLS")]
    pub no_tls: bool,
    /// The IP address media (WebRTC over UDP) is received at and offered to
    /// browsers as; default 127.0.0.1. Use the address browsers can reach.
    #[arg(long, env = "CONVENE_MEDIA_IP")]
    pub media_ip: Option<std::net::IpAddr>,
    /// UDP ports for media, `FIRST-LAST` (one per media worker); default any free port.
    #[arg(long, env = "CONVENE_MEDIA_PORTS")]
    pub media_ports: Option<String>,
    /// Media worker threads (each with its own UDP port); default: one per core.
    #[arg(long, env = "CONVENE_MEDIA_WORKERS")]
    pub media_workers: Option<usize>,
    /// A TURN relay for browsers whose network blocks UDP (repeatable), e.g.
    /// `turn:turn.example.com:3478?transport=tcp`.
    #[arg(long = "turn-url", env = "CONVENE_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,
    /// The TURN relay's shared secret (coturn `use-auth-secret`).
    #[arg(long, env = "CONVENE_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,
    /// SQLite: MiB of the write-ahead log written ahead once and kept, so
    /// that commits overwrite written disk blocks instead of growing the file
    /// (faster fsyncs); default 512, 0 for none.
    #[arg(long, env = "CONVENE_SQLITE_WAL_RESERVE_MB")]
    pub sqlite_wal_reserve_mb: Option<u64>,
    /// Seconds an HTTP connection may sit without sending a whole request
    /// head (idle between requests, or sending its headers slowly) before it
    /// is closed; default 60. WebSockets are not affected.
    #[arg(long, env = "CONVENE_HTTP_IDLE_TIMEOUT_SECS")]
    pub http_idle_timeout_secs: Option<u64>,
    /// Most participants (waiting room included) in a meeting created
    /// without `concurrentParticipants`; default 1000.
    #[arg(long, env = "CONVENE_MAX_PARTICIPANTS")]
    pub max_participants: Option<i64>,
    /// Where invitations are mailed: `smtp://[user:password@]host[:port]`
    /// (STARTTLS when the server offers it; `?tls=required` insists) or
    /// `smtps://...` (TLS from the start). Without it invitations are
    /// recorded as not sent.
    #[arg(long, env = "CONVENE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The invitations' sender, e.g. `convene <meetings@example.com>`.
    #[arg(long, env = "CONVENE_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// An SMS gateway: invitations by SMS are POSTed there as JSON, signed
    /// with `--sms-gateway-secret` (docs/DECISIONS.md has the format).
    #[arg(long, env = "CONVENE_SMS_GATEWAY_URL")]
    pub sms_gateway_url: Option<String>,
    #[arg(long, env = "CONVENE_SMS_GATEWAY_SECRET", hide_env_values = true)]
    pub sms_gateway_secret: Option<String>,
    /// Extra certificate authorities (PEM) trusted for webhook receivers
    /// over https, besides the system's (a company's own CA).
    #[arg(long, env = "CONVENE_WEBHOOK_CA")]
    pub webhook_ca: Option<PathBuf>,
    /// The ffmpeg program that composes recordings (default: `ffmpeg`
    /// from the PATH).
    #[arg(long, env = "CONVENE_FFMPEG")]
    pub ffmpeg: Option<PathBuf>,
    /// Days a recording is kept after it was made; then its files are
    /// deleted (default 0: kept until deleted).
    #[arg(long, env = "CONVENE_RECORD_RETENTION_DAYS")]
    pub record_retention_days: Option<i64>,
    /// Threads a recording's composition may use (default 1: one core, so
    /// composing never crowds the media workers).
    #[arg(long, env = "CONVENE_RECORD_COMPOSE_THREADS")]
    pub record_compose_threads: Option<u32>,
    /// Keep composed recordings in an S3-compatible object store:
    /// `s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION` (default: the data
    /// folder).
    #[arg(long, env = "CONVENE_RECORD_STORE")]
    pub record_store: Option<String>,
    /// The object store's access key (default: `AWS_ACCESS_KEY_ID`).
    #[arg(long, env = "CONVENE_RECORD_STORE_KEY")]
    pub record_store_key: Option<String>,
    /// The object store's secret key (default: `AWS_SECRET_ACCESS_KEY`).
    #[arg(long, env = "CONVENE_RECORD_STORE_SECRET", hide_env_values = true)]
    pub record_store_secret: Option<String>,
    /// No `/metrics` and no recording of metrics (to compare their cost).
    #[arg(long)]
    pub no_metrics: bool,
    /// Answer `/metrics` to any address, not only loopback (for a scraper
    /// on another host; or put a proxy in front).
    #[arg(long)]
    pub metrics_public: bool,
    /// Run as one node of a cluster on one PostgreSQL database: the secret
    /// every node shares, which authenticates their requests to each other
    /// (at least 16 characters). Without it the node runs alone.
    #[arg(long, env = "CONVENE_CLUSTER_SECRET", hide_env_values = true)]
    pub cluster_secret: Option<String>,
    /// Where the other nodes reach this one (`http://10.0.0.5:8080`; its
    /// HTTP listener, on an internal network). Default: the bound address.
    #[arg(long, env = "CONVENE_CLUSTER_URL")]
    pub cluster_url: Option<String>,
    /// This node's name in the cluster, unique to it (default: made at its
    /// first start and kept in the data folder's `node-id`).
    #[arg(long, env = "CONVENE_NODE_ID")]
    pub node_id: Option<String>,
    /// How long a node's hold on a live meeting lasts without renewal,
    /// in milliseconds: after a node dies, its meetings move after this.
    #[arg(long, env = "CONVENE_LEASE_MS")]
    pub lease_ms: Option<i64>,
}

/// The TOML file's shape.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    tls_listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    public_url: Option<String>,
    dev: Option<bool>,
    token_ttl: Option<i64>,
    no_tls: Option<bool>,
    media_ip: Option<std::net::IpAddr>,
    media_ports: Option<String>,
    media_workers: Option<usize>,
    turn_urls: Option<Vec<String>>,
    turn_secret: Option<String>,
    sqlite_wal_reserve_mb: Option<u64>,
    http_idle_timeout_secs: Option<u64>,
    max_participants: Option<i64>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    sms_gateway_url: Option<String>,
    sms_gateway_secret: Option<String>,
    webhook_ca: Option<PathBuf>,
    ffmpeg: Option<PathBuf>,
    record_retention_days: Option<i64>,
    record_compose_threads: Option<u32>,
    record_store: Option<String>,
    record_store_key: Option<String>,
    record_store_secret: Option<String>,
    no_metrics: Option<bool>,
    metrics_public: Option<bool>,
    cluster_secret: Option<String>,
    cluster_url: Option<String>,
    node_id: Option<String>,
    lease_ms: Option<i64>,
}

/// A secret string that never shows in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// May carry a password, hence hidden.
    pub database_url: Secret,
    pub listen: SocketAddr,
    /// `None`: no HTTPS.
    pub tls_listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `None`: derived from the bound HTTP address.
    pub public_url: Option<String>,
    pub dev: bool,
    pub token_ttl: i64,
    pub media: crate::media::MediaConfig,
    /// Bytes of SQLite WAL written ahead and kept (`StoreOptions`).
    pub sqlite_wal_reserve: u64,
    /// How long an HTTP connection may take to send a request head, idle
    /// time between keep-alive requests included.
    pub http_idle_timeout: std::time::Duration,
    /// The participant cap of meetings created without one.
    pub max_participants: i64,
    /// The ffmpeg program that composes recordings.
    pub ffmpeg: PathBuf,
    /// Days recordings are kept (0: until deleted).
    pub record_retention_days: i64,
    /// Threads per composition.
    pub record_compose_threads: u32,
    /// An object store for recordings (`None`: the data folder).
    pub record_store: Option<crate::record::archive::StoreConfig>,
    pub notify: crate::notify::NotifyConfig,
    /// Metrics recorded and served at `/metrics`.
    pub metrics: bool,
    /// `/metrics` answered to any address (else loopback only).
    pub metrics_public: bool,
    /// One node of a cluster (`None`: alone, as on SQLite).
    pub cluster: Option<crate::cluster::ClusterConfig>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_TLS_LISTEN: &str = "127.0.0.1:8443";
pub const DEFAULT_TOKEN_TTL: i64 = 12 * 3600;
/// ~13 s of creates at 15k/s (2.7 KB of WAL each); written once per data
/// folder, ~1.2 s at the first start. A reserve shorter than a burst helps
/// less (docs/PERFORMANCE.md). PostgreSQL's `max_wal_size` is 1 GB.
pub const DEFAULT_SQLITE_WAL_RESERVE_MB: u64 = 512;
/// nginx's `client_header_timeout`; also ends idle keep-alive connections
/// (nginx's `keepalive_timeout` is 75 s), so that idle or slow clients
/// cannot hold connections open without end.
pub const DEFAULT_HTTP_IDLE_TIMEOUT_SECS: u64 = 60;
pub const DEFAULT_MAX_PARTICIPANTS: i64 = convene_core::live::DEFAULT_MAX_PARTICIPANTS;

fn read_file_config(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The data folder and database URL of any subcommand.
pub fn resolve_storage(args: &StorageArgs) -> anyhow::Result<(PathBuf, String)> {
    let file = read_file_config(args.config.as_deref())?;
    storage_from(args, &file)
}

fn storage_from(args: &StorageArgs, file: &FileConfig) -> anyhow::Result<(PathBuf, String)> {
    let data_dir = args
        .data_dir
        .clone()
        .or(file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("data"));
    std::fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let url = match args.database_url.clone().or(file.database_url.clone()) {
        Some(u) => u,
        None => format!("sqlite:{}", data_dir.join("convene.db").display()),
    };
    if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("--database-url must be sqlite:PATH or postgres://..., not {url:?}");
    }
    Ok((data_dir, url))
}

impl Config {
    /// Merges defaults, the TOML file, environment and flags, and validates.
    pub fn resolve(args: &ServeArgs) -> anyhow::Result<Config> {
        let file = read_file_config(args.storage.config.as_deref())?;
        let (data_dir, database_url) = storage_from(&args.storage, &file)?;
        let no_tls = args.no_tls || file.no_tls.unwrap_or(false);
        // Unwraps below parse constant addresses written in this file.
        #[allow(clippy::unwrap_used)]
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().unwrap());
        #[allow(clippy::unwrap_used)]
        let tls_listen = (!no_tls).then(|| {
            args.tls_listen
                .or(file.tls_listen)
                .unwrap_or_else(|| DEFAULT_TLS_LISTEN.parse().unwrap())
        });
        let tls_cert = args.tls_cert.clone().or(file.tls_cert);
        let tls_key = args.tls_key.clone().or(file.tls_key);
        if tls_cert.is_some() != tls_key.is_some() {
            bail!("--tls-cert and --tls-key go together");
        }
        let token_ttl = args.token_ttl.or(file.token_ttl).unwrap_or(DEFAULT_TOKEN_TTL);
        if !(60..=30 * 24 * 3600).contains(&token_ttl) {
            bail!("--token-ttl must be 60 s to 30 days");
        }
        let public_url = args.public_url.clone().or(file.public_url);
        if let Some(u) = &public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                bail!("--public-url must start with http:// or https://");
            }
        }
        let mut media = crate::media::MediaConfig::default();
        if let Some(ip) = args.media_ip.or(file.media_ip) {
            media.ip = ip;
        }
        if let Some(r) = args.media_ports.clone().or(file.media_ports) {
            media.ports = parse_port_range(&r)?;
        }
        media.workers = args
            .media_workers
            .or(file.media_workers)
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        if !(1..=64).contains(&media.workers) {
            bail!("--media-workers must be 1 to 64");
        }
        if media.ports.0 != 0 && usize::from(media.ports.1 - media.ports.0) + 1 < media.workers {
            bail!("--media-ports has fewer ports than --media-workers");
        }
        media.turn_urls = if args.turn_urls.is_empty() {
            file.turn_urls.unwrap_or_default()
        } else {
            args.turn_urls.clone()
        };
        for u in &media.turn_urls {
            if !(u.starts_with("turn:") || u.starts_with("turns:") || u.starts_with("stun:")) {
                bail!("--turn-url must start with turn:, turns: or stun:, not {u:?}");
            }
        }
        media.turn_secret = args.turn_secret.clone().or(file.turn_secret);
        let reserve_mb = args
            .sqlite_wal_reserve_mb
            .or(file.sqlite_wal_reserve_mb)
            .unwrap_or(DEFAULT_SQLITE_WAL_RESERVE_MB);
        if reserve_mb > 64 * 1024 {
            bail!("--sqlite-wal-reserve-mb must be at most 65536 (64 GiB)");
        }
        let idle = args
            .http_idle_timeout_secs
            .or(file.http_idle_timeout_secs)
            .unwrap_or(DEFAULT_HTTP_IDLE_TIMEOUT_SECS);
        if !(1..=3600).contains(&idle) {
            bail!("--http-idle-timeout-secs must be 1 to 3600");
        }
        let max_participants = args
            .max_participants
            .or(file.max_participants)
            .unwrap_or(DEFAULT_MAX_PARTICIPANTS);
        if !(2..=100_000).contains(&max_participants) {
            bail!("--max-participants must be 2 to 100000");
        }
        let notify = crate::notify::NotifyConfig {
            smtp_url: args.smtp_url.clone().or(file.smtp_url).map(Secret),
            smtp_from: args
                .smtp_from
                .clone()
                .or(file.smtp_from)
                .unwrap_or_else(|| crate::notify::DEFAULT_SMTP_FROM.into()),
            sms_gateway_url: args.sms_gateway_url.clone().or(file.sms_gateway_url),
            sms_gateway_secret: args.sms_gateway_secret.clone().or(file.sms_gateway_secret).map(Secret),
            webhook_ca: args.webhook_ca.clone().or(file.webhook_ca),
        };
        notify.check()?;
        let record_retention_days = args.record_retention_days.or(file.record_retention_days).unwrap_or(0);
        if !(0..=36_500).contains(&record_retention_days) {
            bail!("--record-retention-days must be 0 (keep) to 36500");
        }
        let record_compose_threads = args.record_compose_threads.or(file.record_compose_threads).unwrap_or(1);
        if !(1..=64).contains(&record_compose_threads) {
            bail!("--record-compose-threads must be 1 to 64");
        }
        let record_store =
            args.record_store
                .clone()
                .or(file.record_store)
                .map(|url| crate::record::archive::StoreConfig {
                    url,
                    access_key: args.record_store_key.clone().or(file.record_store_key.clone()),
                    secret_key: args
                        .record_store_secret
                        .clone()
                        .or(file.record_store_secret.clone())
                        .map(Secret),
                });
        // Checked now: a wrong URL stops the server at its start.
        crate::record::archive::Archive::open(record_store.as_ref())?;
        let cluster = match args.cluster_secret.clone().or(file.cluster_secret) {
            None => {
                if args.cluster_url.is_some() || file.cluster_url.is_some() {
                    bail!("--cluster-url needs --cluster-secret (the nodes' shared secret)");
                }
                None
            }
            Some(secret) => {
                if secret.len() < 16 {
                    bail!("--cluster-secret must be at least 16 characters");
                }
                if !database_url.starts_with("postgres") {
                    bail!(
                        "a cluster needs one PostgreSQL database shared by its nodes (--database-url postgres://...)"
                    );
                }
                let url = args.cluster_url.clone().or(file.cluster_url);
                if let Some(u) = &url {
                    if !u.starts_with("http://") && !u.starts_with("https://") {
                        bail!("--cluster-url must start with http:// or https://");
                    }
                }
                let lease_ms = args
                    .lease_ms
                    .or(file.lease_ms)
                    .unwrap_or(crate::cluster::DEFAULT_LEASE_MS);
                if !(1000..=60_000).contains(&lease_ms) {
                    bail!("--lease-ms must be 1000 to 60000");
                }
                Some(crate::cluster::ClusterConfig {
                    node_id: args.node_id.clone().or(file.node_id).unwrap_or_default(),
                    url: url.map(|u| u.trim_end_matches('/').to_owned()),
                    secret: Secret(secret),
                    lease_ms,
                    warm_connections: crate::cluster::DEFAULT_WARM_CONNECTIONS,
                })
            }
        };
        Ok(Config {
            cluster,
            record_store,
            record_compose_threads,
            ffmpeg: args
                .ffmpeg
                .clone()
                .or(file.ffmpeg)
                .unwrap_or_else(|| PathBuf::from("ffmpeg")),
            record_retention_days,
            notify,
            metrics: !(args.no_metrics || file.no_metrics.unwrap_or(false)),
            metrics_public: args.metrics_public || file.metrics_public.unwrap_or(false),
            max_participants,
            sqlite_wal_reserve: reserve_mb << 20,
            http_idle_timeout: std::time::Duration::from_secs(idle),
            media,
            data_dir,
            database_url: Secret(database_url),
            listen,
            tls_listen,
            tls_cert,
            tls_key,
            public_url,
            dev: args.dev || file.dev.unwrap_or(false),
            token_ttl,
        })
    }

    /// A configuration for tests: everything on 127.0.0.1:0 in `data_dir`.
    pub fn for_tests(data_dir: &Path, database_url: Option<String>) -> Config {
        Config {
            data_dir: data_dir.to_path_buf(),
            database_url: Secret(
                database_url.unwrap_or_else(|| format!("sqlite:{}", data_dir.join("convene.db").display())),
            ),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            tls_cert: None,
            tls_key: None,
            public_url: None,
            dev: false,
            token_ttl: DEFAULT_TOKEN_TTL,
            media: crate::media::MediaConfig::default(),
            // Tests make many small data folders.
            sqlite_wal_reserve: 0,
            http_idle_timeout: std::time::Duration::from_secs(DEFAULT_HTTP_IDLE_TIMEOUT_SECS),
            max_participants: DEFAULT_MAX_PARTICIPANTS,
            ffmpeg: PathBuf::from("ffmpeg"),
            record_retention_days: 0,
            record_compose_threads: 1,
            record_store: None,
            notify: crate::notify::NotifyConfig::default(),
            metrics: true,
            metrics_public: false,
            cluster: None,
        }
    }
}

/// `FIRST-LAST` (or one port).
fn parse_port_range(r: &str) -> anyhow::Result<(u16, u16)> {
    let bad = || anyhow::anyhow!("--media-ports must be FIRST-LAST, like 50000-50100, not {r:?}");
    let (a, b) = r.split_once('-').unwrap_or((r, r));
    let a: u16 = a.trim().parse().map_err(|_| bad())?;
    let b: u16 = b.trim().parse().map_err(|_| bad())?;
    if a == 0 || b < a {
        return Err(bad());
    }
    Ok((a, b))
}
