//! `convene bench page`: one browser page in a meeting of many. Synthetic
//! peers (str0m, over UDP) send a real VP8 clip with Opus; a headless
//! Chromium joins by the guest link like a person and stays; the page script
//! (`web/tests/bench_page.mjs`, playwright-core) reports the frames it
//! decodes per second per tile and the browser's CPU. Issue 21's budget:
//! a 16-participant meeting keeps decoding every visible video.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use convene_sdk::{ConveneClient, CreateConfInfo, LoginByAccountInfo, MediaType};
use serde::Deserialize;

use crate::target::*;

#[derive(Debug, Clone, Args)]
pub struct PageBenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Other participants, each sending camera video and audio (the page is
    /// one more).
    #[arg(long, default_value_t = 15)]
    pub peers: usize,
    /// Measured seconds (after every video plays), at most 120.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// The peers' video (an ffmpeg lavfi source; a moving picture, as a camera's).
    #[arg(long, default_value = "testsrc2=s=640x360:r=30")]
    pub picture: String,
    /// The page's window, WIDTHxHEIGHT.
    #[arg(long, default_value = "1280x800")]
    pub window: String,
    /// The page script (needs `npm install` in its folder, as the browser tests do).
    #[arg(long, default_value = "web/tests/bench_page.mjs")]
    pub script: PathBuf,
    #[arg(long, default_value = "ffmpeg")]
    pub ffmpeg: PathBuf,
    #[arg(long, default_value = "node")]
    pub node: PathBuf,
}

/// What the page script prints last (one JSON line).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageReport {
    seconds: f64,
    /// Per remote participant: frames decoded per second, and size.
    tiles: Vec<TileReport>,
    /// Video tiles on screen, and how many of them play a picture.
    visible_tiles: usize,
    playing_tiles: usize,
    /// The browser's processes' CPU over the measured time, in % of one core.
    browser_cpu_percent: f64,
    /// The page's main thread busy (CDP `TaskDuration`), in % of the time.
    main_thread_percent: f64,
    first_load_kb: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TileReport {
    participant_id: u64,
    fps: f64,
    width: u32,
    height: u32,
}

pub async fn page(args: PageBenchArgs) -> anyhow::Result<()> {
    use crate::media_peer::MediaPeer;
    use std::sync::Arc;
    if !(1..=48).contains(&args.peers) || !(1..=120).contains(&args.seconds) {
        bail!("--peers 1..=48, --seconds 1..=120");
    }
    if !args.script.exists() {
        bail!(
            "{} not found: run from the checkout (or pass --script)",
            args.script.display()
        );
    }
    let (url, account, password, child) = target(&args.target, None).await?;
    let clips = tempfile::tempdir()?;
    let source = crate::clip::vp8_opus(&args.ffmpeg, clips.path(), "peer", &args.picture, 440, 10)?;
    let fps_sent = source.video.len() as f64 / 10.0;
    let host = ConveneClient::new(&url)?;
    host.login_by_account_async(LoginByAccountInfo { account, password })
        .await?;
    let mut c = CreateConfInfo::new("page bench", MediaType::Video, true);
    c.duration = Some(60);
    let conf = host.create_conf_async(c).await?;
    println!(
        "bench page: 1 Chromium page + {} peers sending {} ({fps_sent:.0} frames/s VP8) and Opus, against {url}",
        args.peers, args.picture
    );
    let joiner = ConveneClient::new(&url)?;
    let epoch = Instant::now();
    let mut peers = Vec::new();
    let mut sessions = Vec::new();
    for i in 0..args.peers {
        let s = Arc::new(
            joiner
                .join_conf_by_id_async(join_info(&conf, i, format!("Peer {}", i + 1)))
                .await?,
        );
        let p = MediaPeer::start_with(
            s.clone(),
            [127, 0, 0, 1].into(),
            true,
            true,
            epoch,
            Some(source.clone()),
        )
        .await?;
        sessions.push(s);
        peers.push(p);
    }
    let link = if conf.guest_join_uri.starts_with("http") {
        conf.guest_join_uri.clone()
    } else {
        format!("{url}{}", conf.guest_join_uri)
    };
    let out = tokio::time::timeout(
        Duration::from_secs(args.seconds + 120),
        tokio::process::Command::new(&args.node)
            .arg(&args.script)
            .args([&link, &args.seconds.to_string(), &args.window, &args.peers.to_string()])
            .output(),
    )
    .await
    .context("the page script did not finish")?
    .with_context(|| format!("running {}", args.node.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);

    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    for p in peers {
        p.stop().await;
    }
    drop(sessions);
    if let Some(mut c) = child {
        let _ = c.proc.kill().await;
    }
    let Some(report) = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<PageReport>(l).ok())
    else {
        bail!(
            "the page script ({link}) reported nothing ({}):\n{text}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut fps: Vec<f64> = report.tiles.iter().map(|t| t.fps).collect();
    fps.sort_by(f64::total_cmp);
    let at = |q: f64| {
        fps.get(((fps.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "  over {:.1} s: {} remote videos, {} tiles on screen, {} playing",
        report.seconds,
        report.tiles.len(),
        report.visible_tiles,
        report.playing_tiles
    );
    println!(
        "  frames decoded per second per tile (sent {fps_sent:.0}): min {:.1}  p50 {:.1}  max {:.1}; sizes {}",
        at(0.0),
        at(0.5),
        at(1.0),
        sizes(&report.tiles)
    );
    println!(
        "  browser CPU {:.0}% of one core ({:.1}% per decoded video); page main thread busy {:.0}% of the time",
        report.browser_cpu_percent,
        report.browser_cpu_percent / report.tiles.len().max(1) as f64,
        report.main_thread_percent
    );
    println!("  first load {:.1} KB transferred", report.first_load_kb);
    let slow: Vec<u64> = report
        .tiles
        .iter()
        .filter(|t| t.fps < fps_sent * 0.8)
        .map(|t| t.participant_id)
        .collect();
    if report.tiles.len() < args.peers || !slow.is_empty() || report.playing_tiles < args.peers {
        println!("  NOT every visible video decodes at 80% of the sent rate or more: slow {slow:?}");
    } else {
        println!("  every visible video decodes at 80% of the sent rate or more");
    }
    Ok(())
}

/// "640x360 x15" and the like.
fn sizes(tiles: &[TileReport]) -> String {
    let mut m = std::collections::BTreeMap::<(u32, u32), usize>::new();
    for t in tiles {
        *m.entry((t.width, t.height)).or_default() += 1;
    }
    m.iter()
        .map(|((w, h), n)| format!("{w}x{h} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
