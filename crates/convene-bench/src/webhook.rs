//! `convene bench webhook`: enterprise event push under load. The bench
//! runs a receiver on 127.0.0.1 (it checks every signature, answers 200),
//! sets it as the enterprise's webhook and enables it (the verification
//! handshake), then has clients create meetings at a fixed offered rate
//! (each create is one `meeting.create` event) for a bounded time. It
//! reports events delivered per second, the lag from the change being
//! stored (the event's `timestamp`) to the receiver taking it, and whether
//! every acknowledged create's event arrived (none lost) after a drain.
//!
//! Without `--url` it starts `convene serve --dev` with an administrator
//! account on a fresh data folder in a child process.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use convene_sdk::{ConveneClient, LoginByAccountInfo};
use hdrhistogram::Histogram;

use crate::create::{bench_body, BenchConn};
use crate::target::*;

#[derive(Debug, Clone, Args)]
pub struct WebhookBenchArgs {
    /// A running server and an enterprise administrator's login; default:
    /// start one with an administrator.
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long)]
    pub password: Option<String>,
    /// Offered events per second (creates per second).
    #[arg(long, default_value_t = 5000)]
    pub rate: u64,
    /// Creating clients, each on its own keep-alive connection.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Seconds of load, at most 60.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// `--database-url` for the started server (default: its SQLite).
    #[arg(long)]
    pub database_url: Option<String>,
}

const KEY: &str = "bench-webhook-subscriber-key";

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    meetings: HashSet<String>,
    pushes: u64,
    bad_signatures: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    /// Lag in milliseconds.
    lag: Option<Histogram<u64>>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Checks a push's signature over the exact `eventInfo` bytes it embeds;
/// answers the event's JSON and its `nonce`.
fn check(body: &[u8]) -> Option<(serde_json::Value, String, bool)> {
    use hmac::Mac;
    #[derive(serde::Deserialize)]
    struct Push<'a> {
        #[serde(rename = "appID")]
        app_id: &'a str,
        timestamp: i64,
        nonce: String,
        signature: &'a str,
        #[serde(rename = "eventInfo", borrow)]
        event_info: &'a serde_json::value::RawValue,
    }
    let p: Push = serde_json::from_slice(body).ok()?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).ok()?;
    mac.update(p.app_id.as_bytes());
    mac.update(p.timestamp.to_string().as_bytes());
    mac.update(p.nonce.as_bytes());
    mac.update(p.event_info.get().as_bytes());
    let good = hex::encode(mac.finalize().into_bytes()) == p.signature;
    Some((serde_json::from_str(p.event_info.get()).ok()?, p.nonce, good))
}

async fn receiver(seen: Arc<Mutex<Seen>>) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let Some((event, nonce, good)) = check(&body) else {
                    return (axum::http::StatusCode::BAD_REQUEST, String::new());
                };
                if event["event"] == "meeting.verify" {
                    let echo = serde_json::json!({"event": "meeting.verify", "nonce": nonce});
                    return (axum::http::StatusCode::OK, echo.to_string());
                }
                let lag = (now_ms() - event["timestamp"].as_i64().unwrap_or(0)).max(0) as u64;
                let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                s.first.get_or_insert(now);
                s.last = Some(now);
                s.pushes += 1;
                if !good {
                    s.bad_signatures += 1;
                }
                if let Some(id) = event["payload"]["meetingInfo"]["meetingID"].as_str() {
                    s.meetings.insert(id.to_owned());
                }
                if let Some(h) = s.lag.as_mut() {
                    let _ = h.record(lag.max(1));
                }
                (axum::http::StatusCode::OK, String::new())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

/// Sets and enables the enterprise's webhook (the receiver echoes the verify).
async fn subscribe(url: &str, token: &str, hook: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let base = format!("{url}/v1/mmc/management/webhook");
    let r = http
        .post(format!("{base}/link-config"))
        .header("X-Access-Token", token)
        .json(&serde_json::json!({"subscriberId": "bench", "subscriberKey": KEY, "url": hook}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!(
            "setting the webhook: {} (is the account an administrator?)",
            r.text().await?
        );
    }
    let shown: serde_json::Value = http
        .get(format!("{base}/link-config"))
        .header("X-Access-Token", token)
        .send()
        .await?
        .json()
        .await?;
    let id = shown["id"].as_str().context("no webhook id")?;
    let r = http
        .put(format!("{base}/change-status?id={id}&status=0"))
        .header("X-Access-Token", token)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("enabling the webhook: {}", r.text().await?);
    }
    Ok(())
}

pub async fn webhook(args: WebhookBenchArgs) -> anyhow::Result<()> {
    if args.clients == 0 || args.clients > 1024 || args.seconds == 0 || args.seconds > 60 {
        bail!("--clients 1..=1024 and --seconds 1..=60");
    }
    if args.rate == 0 || args.rate > 50_000 {
        bail!("--rate 1..=50000");
    }
    let (url, account, password, child) = match &args.url {
        Some(u) => {
            let given = TargetArgs {
                url: Some(u.clone()),
                account: args.account.clone(),
                password: args.password.clone(),
                no_metrics: false,
            };
            target(&given, None).await?
        }
        None => {
            let (u, a, p, c) = start_server(args.database_url.as_deref(), false, true).await?;
            (u, a, p, Some(c))
        }
    };
    let seen = Arc::new(Mutex::new(Seen {
        lag: Some(Histogram::new_with_bounds(1, 3_600_000, 3)?),
        ..Default::default()
    }));
    let hook = receiver(seen.clone()).await?;
    let client = ConveneClient::new(&url)?;
    client
        .login_by_account_async(LoginByAccountInfo { account, password })
        .await?;
    let token = client.access_token().context("no token")?;
    subscribe(&url, &token, &hook).await?;
    println!(
        "bench webhook: {} creates/s offered by {} clients for {} s against {url}, pushed to {hook}",
        args.rate, args.clients, args.seconds
    );

    // Each client sends on its own schedule, spread evenly: client i's k-th
    // create is due at begin + (k * clients + i) / rate (sent at once if
    // late, so a slow server is measured, not hidden).
    let body = bench_body(false)?;
    let begin = Instant::now() + Duration::from_millis(200);
    let stop = begin + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for i in 0..args.clients {
        let mut conn = BenchConn::open(&url, &token, &body).await?;
        let (clients, rate) = (args.clients as u64, args.rate);
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0u64, 0u64);
            for k in 0u64.. {
                let due = begin + Duration::from_secs_f64((k * clients + i as u64) as f64 / rate as f64);
                if due >= stop {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                match conn.create().await {
                    Ok(()) => ok += 1,
                    Err(_) => failed += 1,
                }
            }
            (ok, failed)
        }));
    }
    let (mut acked, mut failed) = (0u64, 0u64);
    for t in tasks {
        let (o, f) = t.await?;
        acked += o;
        failed += f;
    }
    let load_end = Instant::now();
    // Drain: every acknowledged create's event, or 30 s.
    let drain_deadline = load_end + Duration::from_secs(30);
    loop {
        let got = seen.lock().unwrap_or_else(|e| e.into_inner()).meetings.len() as u64;
        if got >= acked || Instant::now() > drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    {
        let s = seen.lock().unwrap_or_else(|e| e.into_inner());
        let delivered = s.meetings.len() as u64;
        let span = match (s.first, s.last) {
            (Some(a), Some(b)) if b > a => (b - a).as_secs_f64(),
            _ => f64::NAN,
        };
        let lag = s.lag.as_ref().context("lag histogram")?;
        println!(
            "creates acknowledged: {acked} ({failed} failed) = {:.0}/s offered-and-taken",
            acked as f64 / args.seconds as f64
        );
        println!(
            "events delivered: {delivered} distinct ({} pushes, {} bad signatures) over {span:.1} s = {:.0} events/s",
            s.pushes,
            s.bad_signatures,
            s.pushes as f64 / span
        );
        println!(
            "lag ms (stored -> received): p50 {}  p90 {}  p99 {}  max {}",
            lag.value_at_quantile(0.50),
            lag.value_at_quantile(0.90),
            lag.value_at_quantile(0.99),
            lag.max()
        );
        let lost = acked.saturating_sub(delivered);
        println!("lost: {lost} (acknowledged creates whose event never arrived within 30 s of the load's end)");
    }
    if let Some(mut c) = child {
        let _ = c.proc.kill().await;
    }
    Ok(())
}
