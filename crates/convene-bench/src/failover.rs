//! `convene bench failover`: three (`--nodes`) nodes of one cluster on a
//! fresh PostgreSQL database behind a round-robin TCP balancer (as nginx
//! would be); participants join meetings through it; the node running the
//! most meetings is killed (`kill -9`); the time from the kill until each
//! of its meetings' participants can act again (resumed on a survivor) is
//! reported as percentiles. Issue 22's target: under 10 s with the default
//! lease.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use convene_sdk::{ConveneClient, CreateConfInfo, JoinConfByIdInfo, LoginByAccountInfo, MediaType};
use hdrhistogram::Histogram;

use crate::target::*;

#[derive(Debug, Clone, Args)]
pub struct FailoverBenchArgs {
    /// A fresh PostgreSQL database the nodes share.
    #[arg(long)]
    pub database_url: String,
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    #[arg(long, default_value_t = 30)]
    pub meetings: usize,
    #[arg(long, default_value_t = 5)]
    pub per_meeting: usize,
    /// The nodes' `--lease-ms` (default: the server's default, 5000).
    #[arg(long)]
    pub lease_ms: Option<u64>,
}

/// A round-robin TCP balancer on loopback over `backends` (those that
/// refuse a connection are skipped): what nginx or HAProxy would be in
/// front of a cluster (also the failover test's).
pub async fn balancer(backends: Arc<Mutex<Vec<std::net::SocketAddr>>>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let mut next = 0usize;
        while let Ok((mut client, _)) = listener.accept().await {
            let list = backends.lock().map(|b| b.clone()).unwrap_or_default();
            next += 1;
            let start = next;
            tokio::spawn(async move {
                for i in 0..list.len() {
                    let b = list[(start + i) % list.len()];
                    let connect = tokio::net::TcpStream::connect(b);
                    if let Ok(Ok(mut up)) = tokio::time::timeout(Duration::from_millis(500), connect).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                        return;
                    }
                }
            });
        }
    });
    Ok(url)
}

pub async fn failover(args: FailoverBenchArgs) -> anyhow::Result<()> {
    if !(2..=5).contains(&args.nodes) || !(1..=200).contains(&args.meetings) || !(1..=50).contains(&args.per_meeting) {
        bail!("--nodes 2..=5, --meetings 1..=200, --per-meeting 1..=50");
    }
    if !args.database_url.starts_with("postgres") {
        bail!("--database-url postgres://... (a fresh database the nodes share)");
    }
    let secret = format!("bench-{}", rand::random::<u128>());
    let mut nodes = Vec::new();
    let mut login = None;
    for n in 0..args.nodes {
        let mut flags: Vec<String> = ["--cluster-secret", secret.as_str(), "--node-id"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        flags.push(format!("bench-n{n}"));
        if let Some(l) = args.lease_ms {
            flags.extend(["--lease-ms".to_owned(), l.to_string()]);
        }
        let (url, account, password, child) =
            start_server_with(Some(&args.database_url), false, false, n == 0, &flags).await?;
        if n == 0 {
            login = Some(LoginByAccountInfo { account, password });
        }
        let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse()?;
        nodes.push((format!("bench-n{n}"), addr, child));
    }
    let backends = Arc::new(Mutex::new(nodes.iter().map(|n| n.1).collect::<Vec<_>>()));
    let lb = balancer(backends.clone()).await?;
    let store = convene_store::open(&args.database_url).await?;
    println!(
        "bench failover: {} nodes behind a balancer, {} meetings x {} participants, lease {} ms",
        args.nodes,
        args.meetings,
        args.per_meeting,
        args.lease_ms
            .unwrap_or(convene_server::cluster::DEFAULT_LEASE_MS as u64)
    );
    let host = ConveneClient::new(&lb)?;
    host.login_by_account_async(login.context("no login")?).await?;
    let mut meetings = Vec::new();
    for i in 0..args.meetings {
        let c = host
            .create_conf_async(CreateConfInfo::new(format!("failover {i}"), MediaType::Audio, true))
            .await?;
        let uuid = host.conf_detail_async(&c.conf_id).await?.conf_uuid;
        let mut sessions = Vec::new();
        for p in 0..args.per_meeting {
            let s = ConveneClient::new(&lb)?
                .join_conf_by_id_async(JoinConfByIdInfo {
                    conf_id: c.conf_id.clone(),
                    password: c.guest_pwd.clone(),
                    nick_name: format!("p{p}"),
                    ..Default::default()
                })
                .await?;
            sessions.push(Arc::new(s));
        }
        meetings.push((convene_core::ConfUuid(uuid), sessions));
    }
    // The node running the most meetings dies.
    let mut held = vec![0usize; nodes.len()];
    let mut holder_of = Vec::new();
    for (uuid, _) in &meetings {
        let lease = store.lease_of(uuid).await?.context("a meeting without a lease")?;
        let n = nodes
            .iter()
            .position(|x| x.0 == lease.node_id)
            .context("unknown node")?;
        held[n] += 1;
        holder_of.push(n);
    }
    let victim = (0..nodes.len()).max_by_key(|n| held[*n]).unwrap_or(0);
    let affected: Vec<Arc<convene_sdk::ConfSession>> = meetings
        .iter()
        .zip(&holder_of)
        .filter(|(_, n)| **n == victim)
        .flat_map(|((_, s), _)| s.iter().cloned())
        .collect();
    let killed = Instant::now();
    nodes[victim].2.proc.start_kill()?;
    let _ = nodes[victim].2.proc.wait().await;
    if let Ok(mut b) = backends.lock() {
        b.retain(|a| *a != nodes[victim].1);
    }
    let mut tasks = Vec::new();
    for s in &affected {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                if s.raise_hand(true).await.is_ok() {
                    return Some(killed.elapsed());
                }
                if killed.elapsed() > Duration::from_secs(40) {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    let mut lost = 0;
    for t in tasks {
        match t.await? {
            Some(d) => hist.record(d.as_micros().max(1) as u64)?,
            None => lost += 1,
        }
    }
    println!(
        "killed {} (running {} of {} meetings); {} of its {} participants resumed on survivors",
        nodes[victim].0,
        held[victim],
        args.meetings,
        affected.len() - lost,
        affected.len()
    );
    println!(
        "kill -9 -> participant resumed, s: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        hist.value_at_quantile(0.5) as f64 / 1e6,
        hist.value_at_quantile(0.9) as f64 / 1e6,
        hist.value_at_quantile(0.99) as f64 / 1e6,
        hist.max() as f64 / 1e6
    );
    for (_, _, mut c) in nodes {
        let _ = c.proc.kill().await;
    }
    Ok(())
}
