//! `convene bench media`: synthetic WebRTC publishers and subscribers over
//! UDP through the server's SFU (or a Janus VideoRoom, for comparison).

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use convene_sdk::{ConveneClient, CreateConfInfo, LoginByAccountInfo, MediaType};
use hdrhistogram::Histogram;

use crate::target::*;

#[derive(Debug, Clone, Args)]
pub struct MediaBenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, default_value_t = 10)]
    pub meetings: usize,
    /// Participants per meeting sending audio (and video) and receiving the others.
    #[arg(long, default_value_t = 2)]
    pub publishers: usize,
    /// Participants per meeting that only receive.
    #[arg(long, default_value_t = 8)]
    pub subscribers: usize,
    /// Measured seconds (after two seconds of warm-up), at most 120.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Audio meetings (no video).
    #[arg(long)]
    pub audio_only: bool,
    /// The server's process ID, for its CPU and memory (known when the bench starts it).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Load a Janus VideoRoom at this REST API URL (`http://127.0.0.1:8088/janus`)
    /// instead of convene, with the same clients (pass Janus's `--server-pid`).
    #[arg(long)]
    pub janus: Option<String>,
    /// The address the clients' UDP sockets bind to (for Janus: the address
    /// it gathers its candidates on, see docs/PERFORMANCE.md).
    #[arg(long, default_value = "127.0.0.1")]
    pub client_ip: std::net::IpAddr,
    /// Record every meeting (created with `isAutoRecord`): what capturing
    /// every stream costs forwarding. Compare with a run without.
    #[arg(long)]
    pub record: bool,
}

/// The SFU a media benchmark loads.
enum MediaTarget {
    /// A convene server, with the account that creates the meetings.
    Convene {
        url: String,
        account: String,
        password: String,
    },
    /// A Janus REST API URL.
    Janus(String),
}

/// Synthetic publishers and subscribers on str0m, over real UDP on
/// loopback, through the server's SFU: forwarded packets per second, server
/// CPU per forwarded packet and per stream, memory per media connection,
/// frames lost, and one-way latency through the SFU.
pub async fn media(args: MediaBenchArgs) -> anyhow::Result<()> {
    use crate::media_peer::MediaPeer;
    use str0m::media::MediaKind;
    let per = args.publishers + args.subscribers;
    if !(1..=100).contains(&args.meetings)
        || !(1..=16).contains(&args.publishers)
        || per < 2
        || args.meetings * per > 2000
        || !(1..=120).contains(&args.seconds)
    {
        bail!(
            "--meetings 1..=100, --publishers 1..=16, at least 2 per meeting, at most 2000 in all, --seconds 1..=120"
        );
    }
    if !args.client_ip.is_loopback() {
        bail!("--client-ip must be a loopback address (127.0.0.0/8): the benchmark loads this machine only");
    }
    let (sfu, child, target_url) = match &args.janus {
        Some(janus) => (
            MediaTarget::Janus(janus.clone()),
            None,
            crate::janus::check(janus).await?,
        ),
        None => {
            let (url, account, password, child) = target(&args.target, None).await?;
            let name = url.clone();
            (MediaTarget::Convene { url, account, password }, child, name)
        }
    };
    let pid = args.server_pid.or(child.as_ref().and_then(|c| c.proc.id()));
    println!(
        "bench media: {} meetings x ({} publishers + {} subscribers), {}, against {target_url}",
        args.meetings,
        args.publishers,
        args.subscribers,
        if args.audio_only { "audio" } else { "audio + video" }
    );
    if args.record && args.janus.is_some() {
        bail!("--record is for convene (Janus records nothing here)");
    }
    let rss_before = pid.and_then(rss_kib);
    let epoch = Instant::now();
    // (meeting, is publisher, peer)
    let mut peers: Vec<(usize, bool, MediaPeer)> = Vec::new();
    let mut sessions = Vec::new();
    let mut janus_sessions = Vec::new();
    // convene's media stats URL; Janus has none.
    let url = match sfu {
        MediaTarget::Convene { url, account, password } => {
            join_media_meetings(&args, &url, account, password, epoch, &mut peers, &mut sessions).await?;
            Some(url)
        }
        MediaTarget::Janus(janus) => {
            let first_room = rand::Rng::gen_range(&mut rand::thread_rng(), 1_000_000..1_000_000_000u64);
            for m in 0..args.meetings {
                let (room, keep) = crate::janus::room(
                    &janus,
                    args.client_ip,
                    first_room + m as u64,
                    args.publishers,
                    args.subscribers,
                    !args.audio_only,
                    epoch,
                )
                .await?;
                peers.extend(room.into_iter().map(|(publisher, p)| (m, publisher, p)));
                janus_sessions.push(keep);
            }
            None
        }
    };
    let connections = peers.len();
    let expected_streams = args.meetings * args.publishers * (per - 1) * if args.audio_only { 1 } else { 2 };
    // Warm up: every connection up and every track negotiated.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let receiving: usize = peers
            .iter()
            .map(|(_, _, p)| p.with(|c| c.received.values().filter(|r| r.frames > 0).count()))
            .sum();
        if receiving >= expected_streams {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {receiving} of {expected_streams} streams flowing after 20 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = pid.and_then(rss_kib);

    let snapshot = |peers: &Vec<(usize, bool, MediaPeer)>| {
        let mut frames = 0u64;
        let mut gaps = 0u64;
        let mut audio = 0u64;
        let mut rtp = 0u64;
        for (_, _, p) in peers {
            p.with(|c| {
                rtp += c.rtp_received;
                for r in c.received.values() {
                    frames += r.frames;
                    gaps += r.gaps;
                    if r.kind == Some(MediaKind::Audio) {
                        audio += r.frames;
                    }
                }
                c.latencies_us.clear();
            });
        }
        (frames, gaps, audio, rtp)
    };
    let stats0 = match &url {
        Some(u) => Some(media_stats(u).await?),
        None => None,
    };
    let (f0, g0, a0, r0) = snapshot(&peers);
    let cpu0 = pid.and_then(cpu_secs);
    let me0 = cpu_secs(std::process::id());
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let secs = t0.elapsed().as_secs_f64();
    let cpu1 = pid.and_then(cpu_secs);
    let me1 = cpu_secs(std::process::id());
    let stats1 = match &url {
        Some(u) => Some(media_stats(u).await?),
        None => None,
    };
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut frames = 0u64;
    let mut gaps = 0u64;
    let mut audio_frames = 0u64;
    let mut r1 = 0u64;
    for (_, _, p) in &peers {
        p.with(|c| {
            r1 += c.rtp_received;
            for r in c.received.values() {
                frames += r.frames;
                gaps += r.gaps;
                if r.kind == Some(MediaKind::Audio) {
                    audio_frames += r.frames;
                }
            }
            for l in c.latencies_us.drain(..) {
                let _ = hist.record(l.max(1));
            }
        });
    }
    let frames = frames - f0;
    let lost = gaps - g0;
    let audio_frames = audio_frames - a0;
    // RTP packets that reached the clients: the same count for any SFU.
    let rtp_received = (r1 - r0) as f64 / secs;
    println!("{connections} media connections, {expected_streams} forwarded streams; over {secs:.1} s:");
    let forwarded = match (&stats0, &stats1) {
        (Some(s0), Some(s1)) => {
            let rtp_out = s1.rtp_out.saturating_sub(s0.rtp_out) as f64 / secs;
            let rtp_in = s1.rtp_in.saturating_sub(s0.rtp_in) as f64 / secs;
            let timer_turns = s1.timer_turns.saturating_sub(s0.timer_turns) as f64 / secs;
            println!(
                "  forwarded RTP packets/s {rtp_out:.0} (received from publishers {rtp_in:.0}/s, received by clients {rtp_received:.0}/s); frames received by clients/s {:.0} (audio {:.0})",
                frames as f64 / secs,
                audio_frames as f64 / secs
            );
            // str0m needs a timer turn to queue a written packet and, with
            // bandwidth estimation (its pacer), another before each packet
            // leaves: this ratio bounds what forwarding through str0m can
            // cost (docs/PERFORMANCE.md).
            println!(
                "  timer turns per connection per second: {:.0}; per forwarded packet: {:.2}",
                timer_turns / connections.max(1) as f64,
                timer_turns / rtp_out.max(1.0)
            );
            if args.record {
                println!(
                    "  recorded frames/s {:.0}; dropped by the capture writer: {}",
                    s1.frames_captured.saturating_sub(s0.frames_captured) as f64 / secs,
                    s1.capture_dropped.saturating_sub(s0.capture_dropped)
                );
            }
            rtp_out
        }
        _ => {
            // Janus keeps no such counter: what the clients received is
            // what it forwarded (loopback loses nothing here).
            println!(
                "  forwarded RTP packets/s {rtp_received:.0} (as received by the clients); frames received by clients/s {:.0} (audio {:.0})",
                frames as f64 / secs,
                audio_frames as f64 / secs
            );
            rtp_received
        }
    };
    println!(
        "  loss: {lost} frames of {} ({:.3}%)",
        frames + lost,
        100.0 * lost as f64 / (frames + lost).max(1) as f64
    );
    println!(
        "  latency publisher -> SFU -> subscriber, ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.9) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0
    );
    if let (Some(a), Some(b)) = (cpu0, cpu1) {
        let cores = (b - a) / secs;
        println!(
            "  server CPU {:.0}% of one core: {:.0} forwarded packets/s per core, {:.2}% of a core per forwarded stream",
            cores * 100.0,
            forwarded / cores.max(1e-9),
            100.0 * cores / expected_streams as f64
        );
    }
    if let (Some(a), Some(b)) = (me0, me1) {
        println!(
            "  load generator CPU {:.0}% of one core (on the same machine)",
            100.0 * (b - a) / secs
        );
    }
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        println!(
            "  server memory: {b} KiB before, {a} KiB with the connections = {:.1} KiB per media connection",
            a.saturating_sub(b) as f64 / connections as f64
        );
    }
    for (_, _, p) in peers {
        p.stop().await;
    }
    drop(sessions);
    for s in janus_sessions {
        s.close().await;
    }
    if let Some(mut c) = child {
        let _ = c.proc.kill().await;
    }
    Ok(())
}

/// Creates the benchmark's convene meetings and joins every participant,
/// each with its media connection.
async fn join_media_meetings(
    args: &MediaBenchArgs,
    url: &str,
    account: String,
    password: String,
    epoch: Instant,
    peers: &mut Vec<(usize, bool, crate::media_peer::MediaPeer)>,
    sessions: &mut Vec<std::sync::Arc<convene_sdk::ConfSession>>,
) -> anyhow::Result<()> {
    use crate::media_peer::MediaPeer;
    use std::sync::Arc;
    let per = args.publishers + args.subscribers;
    let host = ConveneClient::new(url)?;
    host.login_by_account_async(LoginByAccountInfo { account, password })
        .await?;
    let ip = args.client_ip;
    let joiner = ConveneClient::new(url)?;
    for m in 0..args.meetings {
        let media = if args.audio_only {
            MediaType::Audio
        } else {
            MediaType::Video
        };
        let mut c = CreateConfInfo::new(format!("media bench {m}"), media, true);
        c.duration = Some(60);
        c.is_auto_record = args.record.then_some(true);
        let conf = host.create_conf_async(c).await?;
        for i in 0..per {
            let publisher = i < args.publishers;
            let s = Arc::new(
                joiner
                    .join_conf_by_id_async(join_info(&conf, i, format!("m{m}p{i}")))
                    .await?,
            );
            let p = MediaPeer::start(s.clone(), ip, publisher, publisher && !args.audio_only, epoch).await?;
            sessions.push(s);
            peers.push((m, publisher, p));
        }
    }
    Ok(())
}

async fn media_stats(url: &str) -> anyhow::Result<convene_proto::live::MediaStats> {
    let r = reqwest::get(format!("{url}/v1/convene/media/stats")).await?;
    Ok(r.error_for_status()?.json().await?)
}
