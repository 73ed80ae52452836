//! The `convene` binary: parses the command line and calls the library.

use anyhow::Context;

// mimalloc: the request path allocates a lot (JSON in and out, SQLite pages),
// and glibc malloc showed up at about 15% of the server's CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use convene_bench as bench;
use convene_server::config::{resolve_storage, ServeArgs, StorageArgs};
use convene_server::{admin, Config};

#[derive(Parser)]
#[command(
    name = "convene",
    version,
    about = "A self-hosted cloud meeting service speaking the HUAWEI CLOUD Meeting API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines as text (default) or as JSON objects, one per line (for a
    /// log collector).
    #[arg(long, global = true, env = "CONVENE_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (HTTP and HTTPS side by side).
    Serve(Box<ServeArgs>),
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Manage App IDs (App ID login, spec §3.2).
    #[command(subcommand)]
    App(AppCmd),
    /// Manage the enterprise's shared cloud meeting rooms.
    #[command(subcommand)]
    Room(RoomCmd),
    /// Benchmarks against a running server on loopback.
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(Subcommand)]
enum AccountCmd {
    /// Add an account (it gets a personal cloud meeting room).
    Add {
        #[arg(long)]
        account: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// Enterprise ID; default: the default enterprise.
        #[arg(long)]
        enterprise: Option<String>,
        /// An administrator of its enterprise: manages its accounts over
        /// the REST API (`/v1/usg/dcs/corp/member`...).
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Subcommand)]
enum AppCmd {
    /// Register an App ID; prints its app key.
    Add {
        #[arg(long)]
        app_id: String,
        /// Use this key instead of a generated one.
        #[arg(long)]
        app_key: Option<String>,
        #[arg(long)]
        enterprise: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Subcommand)]
enum RoomCmd {
    /// Add shared rooms to the enterprise's pool (confResType SHARE_VMR); prints their IDs.
    Add {
        #[arg(long, default_value_t = 1)]
        count: usize,
        #[arg(long)]
        enterprise: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Concurrent clients creating meetings over HTTP keep-alive.
    Create(bench::CreateBenchArgs),
    /// WebSocket participants joining meetings; control-to-event latency and memory.
    Join(bench::JoinBenchArgs),
    /// Synthetic WebRTC publishers and subscribers through the SFU.
    Media(bench::MediaBenchArgs),
    /// Webhook events pushed to a local receiver: events/s, lag, losses.
    Webhook(bench::WebhookBenchArgs),
    /// A recording's composition (ffmpeg) on generated tracks: speed as a
    /// multiple of real time.
    Compose(bench::ComposeBenchArgs),
    /// Nodes of one cluster behind a balancer; the node running the most
    /// meetings is killed: time until its participants resumed elsewhere.
    Failover(bench::FailoverBenchArgs),
    /// One Chromium page in a meeting of synthetic video peers: frames it
    /// decodes per second per tile, and the browser's CPU.
    Page(bench::PageBenchArgs),
}

async fn shutdown_signal() {
    let term = async {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
    // A second signal forces the exit while draining.
    tokio::spawn(async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("convene: forced exit");
        std::process::exit(130);
    });
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONVENE_LOG").unwrap_or_else(|_| "convene=info,warn".into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Serve(args) => {
            let config = Config::resolve(&args)?;
            convene_server::run(config, shutdown_signal()).await
        }
        Command::Account(AccountCmd::Add {
            account,
            password,
            name,
            email,
            phone,
            enterprise,
            admin,
            storage,
        }) => {
            let store = open(&storage).await?;
            let spec = admin::AccountSpec {
                account: &account,
                password: &password,
                name: &name,
                email: email.as_deref(),
                phone: phone.as_deref(),
                enterprise: enterprise.as_deref(),
                admin,
            };
            let user = admin::add_account(store.as_ref(), spec).await?;
            println!(
                "account {} added: userUUID {} personal room {}",
                user.account, user.id, user.personal_room
            );
            Ok(())
        }
        Command::App(AppCmd::Add {
            app_id,
            app_key,
            enterprise,
            storage,
        }) => {
            let store = open(&storage).await?;
            let app = admin::add_app(store.as_ref(), &app_id, app_key.as_deref(), enterprise.as_deref()).await?;
            println!("app_id={}\napp_key={}", app.app_id, app.app_key);
            Ok(())
        }
        Command::Room(RoomCmd::Add {
            count,
            enterprise,
            storage,
        }) => {
            let store = open(&storage).await?;
            for room in admin::add_shared_rooms(store.as_ref(), count, enterprise.as_deref()).await? {
                println!("{room}");
            }
            Ok(())
        }
        Command::Bench(BenchCmd::Create(args)) => bench::create(args).await,
        Command::Bench(BenchCmd::Compose(args)) => bench::compose(args).await,
        Command::Bench(BenchCmd::Join(args)) => bench::join(args).await,
        Command::Bench(BenchCmd::Media(args)) => bench::media(args).await,
        Command::Bench(BenchCmd::Page(args)) => bench::page(args).await,
        Command::Bench(BenchCmd::Failover(args)) => bench::failover(args).await,
        Command::Bench(BenchCmd::Webhook(args)) => bench::webhook(args).await,
    }
}

async fn open(storage: &StorageArgs) -> anyhow::Result<std::sync::Arc<dyn convene_store::Store>> {
    let (_, url) = resolve_storage(storage)?;
    convene_store::open(&url).await.context("opening the database")
}
