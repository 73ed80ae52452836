//! `convene bench join`: WebSocket participants joining live meetings at a
//! set rate (or one meeting grown to 1,000), then control-to-event latency
//! at every participant; join latency, bytes sent per join, memory.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use convene_sdk::{ConveneClient, CreateConfInfo, LoginByAccountInfo, MediaType};
use hdrhistogram::Histogram;

use crate::target::*;

/// `convene bench join` flags.
#[derive(Debug, Clone, Args)]
pub struct JoinBenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, default_value_t = 200)]
    pub meetings: usize,
    /// Participants per meeting (one host, the rest guests).
    #[arg(long, default_value_t = 10)]
    pub per_meeting: usize,
    /// Joins per second, across all meetings.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    /// Control calls per meeting (lock toggles), timed to the last receiver.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Control calls per second across all meetings while measuring.
    #[arg(long, default_value_t = 100)]
    pub control_rate: u64,
    /// Start this many nodes of one cluster on `--database-url` (a fresh
    /// PostgreSQL database) and spread each meeting's participants over
    /// them (participant k through node k mod N).
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// The PostgreSQL database the nodes share (with `--nodes` > 1).
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Bytes of messages all these sessions have received.
fn received(sessions: &[Vec<convene_sdk::ConfSession>]) -> u64 {
    sessions.iter().flatten().map(|s| s.received_bytes()).sum()
}

/// Participants connected over WebSocket, joining at a set rate; then each
/// meeting's host toggles the lock and the time until every participant of
/// that meeting has the event is recorded.
pub async fn join(args: JoinBenchArgs) -> anyhow::Result<()> {
    use convene_sdk::{ConfSession, Event};
    if args.meetings == 0
        || args.meetings > 1000
        || !(2..=2000).contains(&args.per_meeting)
        || args.meetings * args.per_meeting > 20_000
        || args.rate == 0
        || args.rounds > 1000
    {
        bail!("--meetings 1..=1000, --per-meeting 2..=2000, at most 20000 in all, --rate > 0, --rounds <= 1000");
    }
    let total = args.meetings * args.per_meeting;
    if !(1..=5).contains(&args.nodes) {
        bail!("--nodes 1..=5");
    }
    let (url, account, password, child, others) = if args.nodes > 1 {
        let Some(db) = args.database_url.as_deref().filter(|d| d.starts_with("postgres")) else {
            bail!("--nodes needs --database-url postgres://... (a fresh database the nodes share)");
        };
        if args.target.url.is_some() {
            bail!("--nodes starts its own nodes: no --url");
        }
        let secret = format!("bench-{}", rand::random::<u128>());
        let flags = |n: usize| -> Vec<String> {
            ["--cluster-secret", secret.as_str(), "--node-id", &format!("bench-n{n}")]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        let (u, a, p, c) = start_server_with(Some(db), args.target.no_metrics, false, true, &flags(0)).await?;
        let mut others = Vec::new();
        for n in 1..args.nodes {
            let (u2, _, _, c2) = start_server_with(Some(db), args.target.no_metrics, false, false, &flags(n)).await?;
            others.push((u2, c2));
        }
        (u, a, p, Some(c), others)
    } else {
        let (u, a, p, c) = target(&args.target, None).await?;
        (u, a, p, c, Vec::new())
    };
    let mut pids: Vec<u32> = child.as_ref().and_then(|c| c.proc.id()).into_iter().collect();
    pids.extend(others.iter().filter_map(|(_, c)| c.proc.id()));
    let urls: Vec<String> = std::iter::once(url.clone())
        .chain(others.iter().map(|(u, _)| u.clone()))
        .collect();
    println!(
        "bench join: {} meetings x {} participants = {total}, {} joins/s, against {}",
        args.meetings,
        args.per_meeting,
        args.rate,
        urls.join(", ")
    );
    let host = ConveneClient::new(&url)?;
    host.login_by_account_async(LoginByAccountInfo { account, password })
        .await?;
    let mut confs = Vec::new();
    for i in 0..args.meetings {
        let mut c = CreateConfInfo::new(format!("join bench {i}"), MediaType::Video, true);
        c.duration = Some(120);
        c.concurrent_participants = Some(args.per_meeting as i64);
        confs.push(host.create_conf_async(c).await?);
    }
    let rss_before: Vec<Option<u64>> = pids.iter().map(|p| rss_kib(*p)).collect();
    // What the participants had received when every meeting had 150 of
    // them (the byte target), if the meetings grow that far.
    let mut received_at_150 = None;

    // Join at the set rate: hosts first in each meeting, then guests.
    let mut sessions: Vec<Vec<ConfSession>> = (0..args.meetings).map(|_| Vec::new()).collect();
    // Joins go over each participant's own WebSocket; one client per node
    // makes them all (participant k through node k mod N).
    let joiners: Vec<ConveneClient> = urls.iter().map(|u| ConveneClient::new(u)).collect::<Result<_, _>>()?;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate));
    let started = Instant::now();
    let mut join_hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut pending = Vec::new();
    for slot in 0..args.per_meeting {
        for (i, conf) in confs.iter().enumerate() {
            tick.tick().await;
            let info = join_info(conf, slot, format!("p{slot}"));
            let client = joiners[slot % joiners.len()].clone();
            pending.push((
                i,
                tokio::spawn(async move {
                    let t0 = Instant::now();
                    let s = client.join_conf_by_id_async(info).await;
                    (s, t0.elapsed())
                }),
            ));
        }
        // Hosts are in before guests join.
        for (i, t) in pending.drain(..) {
            let (s, took) = t.await?;
            sessions[i].push(s?);
            join_hist.record(took.as_micros().max(1) as u64)?;
        }
        if slot + 1 == 150 {
            received_at_150 = Some(received(&sessions));
        }
    }
    let join_secs = started.elapsed().as_secs_f64();
    let rss_after: Vec<Option<u64>> = pids.iter().map(|p| rss_kib(*p)).collect();
    println!(
        "joined {total} in {join_secs:.1} s ({:.0}/s); join latency ms p50 {:.2} p99 {:.2}",
        total as f64 / join_secs,
        join_hist.value_at_quantile(0.5) as f64 / 1000.0,
        join_hist.value_at_quantile(0.99) as f64 / 1000.0
    );
    for (n, (b, a)) in rss_before.iter().zip(&rss_after).enumerate() {
        let (Some(b), Some(a)) = (b, a) else { continue };
        if pids.len() == 1 {
            println!(
                "server memory: {} KiB before, {} KiB after = {:.1} KiB per connected participant",
                b,
                a,
                (a.saturating_sub(*b)) as f64 / total as f64
            );
        } else {
            // Participants that connected through this node (each node
            // holds their sockets, forwarded or not).
            let here = (0..args.per_meeting).filter(|k| k % pids.len() == n).count() * args.meetings;
            println!(
                "server node {n} memory: {} KiB before, {} KiB after = {:.1} KiB per participant connected through it",
                b,
                a,
                (a.saturating_sub(*b)) as f64 / here.max(1) as f64
            );
        }
    }
    if pids.len() > 1 {
        let grown: u64 = rss_before
            .iter()
            .zip(&rss_after)
            .filter_map(|(b, a)| Some(a.as_ref()?.saturating_sub(*b.as_ref()?)))
            .sum();
        println!(
            "all {} nodes: {:.1} KiB per participant (its socket on the node it came through, its place on the meeting's node)",
            pids.len(),
            grown as f64 / total as f64
        );
    }
    // Bytes of messages the server sent while they joined (what the
    // participants' sessions received: JSON, without framing).
    let sent = received(&sessions);
    println!(
        "server sent {:.2} MB while they joined: {:.1} KB per join, {:.2} MB per meeting",
        sent as f64 / 1e6,
        sent as f64 / total as f64 / 1e3,
        sent as f64 / args.meetings as f64 / 1e6
    );
    if let Some(at) = received_at_150 {
        println!(
            "  until each meeting had 150 participants: {:.2} MB per meeting",
            at as f64 / args.meetings as f64 / 1e6
        );
    }

    // Control -> event to every participant, all meetings at once.
    let mut tasks = Vec::new();
    // Each meeting calls once every `period`, meetings staggered evenly, so
    // that the whole server sees `control_rate` calls per second.
    let period = Duration::from_secs_f64(args.meetings as f64 / args.control_rate.max(1) as f64);
    let measure_start = Instant::now();
    for (m, mut group) in sessions.into_iter().enumerate() {
        let rounds = args.rounds;
        let offset = period.mul_f64(m as f64 / args.meetings as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut pace = tokio::time::interval(period);
            let host = group.remove(0);
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(bool, Instant)>();
            let mut listeners = Vec::new();
            let all: Vec<std::sync::Arc<ConfSession>> =
                std::iter::once(host).chain(group).map(std::sync::Arc::new).collect();
            for s in &all {
                let (s, tx) = (s.clone(), tx.clone());
                listeners.push(tokio::spawn(async move {
                    while let Some((_, e)) = s.next_event().await {
                        if let Event::OnMeetingInfoChanged { is_locked, .. } = e {
                            let _ = tx.send((is_locked, Instant::now()));
                        }
                    }
                }));
            }
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let n = all.len();
            for r in 0..rounds {
                pace.tick().await;
                let lock = r % 2 == 0;
                let t0 = Instant::now();
                all[0].lock_conf(lock).await?;
                let mut got = 0;
                let mut last = t0;
                while got < n {
                    let (l, at) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                        .await?
                        .context("listeners gone")?;
                    if l == lock {
                        got += 1;
                        last = at;
                    }
                }
                hist.record((last - t0).as_micros().max(1) as u64)?;
            }
            for l in listeners {
                l.abort();
            }
            Ok::<_, anyhow::Error>(hist)
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for t in tasks {
        hist.add(t.await??)?;
    }
    println!(
        "control -> event at every participant, ms ({} calls at {:.0}/s): p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        hist.len(),
        hist.len() as f64 / measure_start.elapsed().as_secs_f64(),
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.9) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0
    );
    if let Some(mut c) = child {
        let _ = c.proc.kill().await;
    }
    for (_, mut c) in others {
        let _ = c.proc.kill().await;
    }
    Ok(())
}
