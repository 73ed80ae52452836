//! `convene bench compose`: how fast a recording is composed. Makes one
//! track per participant with ffmpeg (a moving test picture at 640x360,
//! VP8, and a tone, Opus, as a browser sends them), then times the
//! server's own composition job (`record::compose::plan` run by ffmpeg) on
//! them: media seconds per wall second and per CPU second.

use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use convene_core::recording::TrackFile;
use convene_server::record::compose;

#[derive(Debug, Clone, Args)]
pub struct ComposeBenchArgs {
    /// Participants in the meeting (each with audio and video).
    #[arg(long, default_value_t = 4)]
    pub participants: usize,
    /// Seconds of meeting to compose, at most 600.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Threads the job may use (the server's `--record-compose-threads`).
    #[arg(long, default_value_t = 1)]
    pub threads: u32,
    /// The ffmpeg program.
    #[arg(long, default_value = "ffmpeg")]
    pub ffmpeg: std::path::PathBuf,
}

/// CPU seconds used by this process's finished children (from /proc).
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((f.get(13)?.parse::<f64>().ok()? + f.get(14)?.parse::<f64>().ok()?) / 100.0)
}

pub async fn compose(args: ComposeBenchArgs) -> anyhow::Result<()> {
    if !(1..=16).contains(&args.participants) || !(1..=600).contains(&args.seconds) {
        bail!("--participants 1..=16, --seconds 1..=600");
    }
    let dir = tempfile::tempdir()?;
    println!(
        "bench compose: {} participants x {} s (640x360 VP8 + Opus each), {} thread(s)",
        args.participants, args.seconds, args.threads
    );
    let mut tracks = Vec::new();
    for p in 0..args.participants {
        let (video, audio) = (format!("p{p}-video.webm"), format!("p{p}-audio.webm"));
        let d = args.seconds.to_string();
        let status = tokio::process::Command::new(&args.ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!("testsrc2=s=640x360:r=30:d={d}"))
            .args([
                "-map",
                "0:v",
                "-c:v",
                "libvpx",
                "-b:v",
                "600k",
                "-g",
                "60",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
            ])
            .arg(dir.path().join(&video))
            .args(["-f", "lavfi", "-i"])
            .arg(format!("sine=frequency={}:d={d}:sample_rate=48000", 300 + 100 * p))
            .args([
                "-map",
                "1:a",
                "-c:a",
                "libopus",
                "-b:a",
                "32k",
                "-frame_duration",
                "20",
                "-ac",
                "2",
            ])
            .arg(dir.path().join(&audio))
            .status()
            .await
            .context("running ffmpeg (apt-get install ffmpeg)")?;
        if !status.success() {
            bail!("ffmpeg could not make the test tracks");
        }
        let last_ms = args.seconds * 1000 - 40;
        for (file, video) in [(video, true), (audio, false)] {
            tracks.push(TrackFile {
                participant: p as u64 + 1,
                name: format!("Participant {}", p + 1),
                video,
                screen: false,
                file,
                frames: 0,
                first_ms: 0,
                last_ms,
                bytes: 0,
            });
        }
    }
    let job = compose::plan(&tracks, args.seconds * 1000, args.threads);
    let cpu0 = children_cpu();
    let t0 = Instant::now();
    compose::run_ffmpeg(&args.ffmpeg, dir.path(), &job, 0)
        .await
        .map_err(anyhow::Error::msg)?;
    let wall = t0.elapsed().as_secs_f64();
    let media = job.duration_ms as f64 / 1000.0;
    let out = dir.path().join(compose::HD_FILE);
    let size = std::fs::metadata(&out)?.len();
    println!(
        "  composed {media:.1} s of meeting in {wall:.2} s: {:.2}x real time",
        media / wall
    );
    if let (Some(a), Some(b)) = (cpu0, children_cpu()) {
        let cpu = b - a;
        println!(
            "  ffmpeg CPU {cpu:.2} s ({:.0}% of one core): {:.2}x real time per core",
            100.0 * cpu / wall,
            media / cpu.max(1e-9)
        );
    }
    println!(
        "  Hd.mp4: {:.1} MB ({:.0} kbit/s)",
        size as f64 / 1e6,
        size as f64 * 8.0 / media / 1000.0
    );
    Ok(())
}
