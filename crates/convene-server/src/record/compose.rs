//! Composing a segment: ffmpeg makes the meeting's video (the product's
//! `Hd` file) from the captured tracks: every participant in a grid with
//! their name, the audio of all mixed, each track placed at the time it
//! was captured. Segments wait in the database (`Store::claim_segment`), so
//! composing survives restarts; one job at a time per node by default.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use convene_core::recording::{OutputFile, TrackFile, COMPOSE_ATTEMPTS, COMPOSE_LEASE_SECONDS};
use convene_store::{Composed, Segment};
use tokio::io::AsyncBufReadExt;

use super::Recordings;

/// The composed video's size and rate.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;
const FPS: u32 = 25;

/// ffmpeg's arguments for a segment, run in the segment's folder (so that
/// every path in the filter graph is a plain file name), and the files
/// it needs written first (each participant's name, for `drawtext`).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub args: Vec<String>,
    pub names: Vec<(String, String)>,
    pub duration_ms: u64,
}

/// The output file's name.
pub const HD_FILE: &str = "Hd.mp4";

/// Plans the composition of `tracks` captured over `duration_ms`, with
/// ffmpeg's decoders, filters and encoder on `threads` threads each.
pub fn plan(tracks: &[TrackFile], duration_ms: u64, threads: u32) -> Job {
    let threads = threads.max(1).to_string();
    let duration_ms = tracks
        .iter()
        .map(|t| t.last_ms)
        .max()
        .unwrap_or(0)
        .max(duration_ms)
        .max(1000);
    let secs = |ms: u64| format!("{}.{:03}", ms / 1000, ms % 1000);
    let d = secs(duration_ms);
    let mut people: Vec<u64> = tracks.iter().map(|t| t.participant).collect();
    people.sort_unstable();
    people.dedup();
    // A shared screen (the first, if several) takes the left 3/4, the
    // people a column on the right; else the people share a grid.
    let screen = tracks.iter().position(|t| t.screen);
    let n = people.len().max(1) as u32;
    let (cols, w, h, x0) = match screen {
        Some(_) => {
            let h = ((HEIGHT / n).min(HEIGHT / 4)) & !1;
            (1, (WIDTH / 4) & !1, h, WIDTH - ((WIDTH / 4) & !1))
        }
        None => {
            let cols = (f64::from(n).sqrt().ceil() as u32).max(1);
            let rows = n.div_ceil(cols);
            (cols, (WIDTH / cols) & !1, (HEIGHT / rows) & !1, 0)
        }
    };
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["-filter_complex_threads".into(), threads.clone()]);
    for t in tracks {
        args.extend([
            "-threads".into(),
            threads.clone(),
            "-itsoffset".into(),
            secs(t.first_ms),
            "-i".into(),
            t.file.clone(),
        ]);
    }
    let mut graph = vec![format!("color=c=0x1f2933:s={WIDTH}x{HEIGHT}:r={FPS}:d={d}[b0]")];
    let mut names = Vec::new();
    let mut base = 0;
    if let Some(k) = screen {
        let sw = x0;
        graph.push(format!(
            "[{k}:v]scale={sw}:{HEIGHT}:force_original_aspect_ratio=decrease,pad={sw}:{HEIGHT}:(ow-iw)/2:(oh-ih)/2:color=0x111111[scr]"
        ));
        graph.push("[b0][scr]overlay=0:0:eof_action=pass:repeatlast=0[b1]".to_string());
        base = 1;
    }
    for (i, p) in people.iter().enumerate() {
        let (x, y) = (x0 + (i as u32 % cols) * w, (i as u32 / cols) * h);
        if let Some(k) = tracks.iter().position(|t| t.participant == *p && t.video && !t.screen) {
            graph.push(format!(
                "[{k}:v]scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=0x1f2933[v{i}]"
            ));
            graph.push(format!(
                "[b{base}][v{i}]overlay={x}:{y}:eof_action=pass:repeatlast=0[b{}]",
                base + 1
            ));
            base += 1;
        }
        let name = tracks
            .iter()
            .find(|t| t.participant == *p)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let file = format!("name-{i}.txt");
        let size = (h / 14).clamp(14, 36);
        graph.push(format!(
            "[b{base}]drawtext=expansion=none:textfile={file}:x={}:y={}-lh:fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6[b{}]",
            x + 12,
            y + h - 12,
            base + 1
        ));
        base += 1;
        names.push((
            file,
            if name.is_empty() {
                format!("Participant {p}")
            } else {
                name
            },
        ));
    }
    graph.push(format!("[b{base}]format=yuv420p[vout]"));
    let audio: Vec<usize> = tracks
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.video)
        .map(|(k, _)| k)
        .collect();
    if audio.is_empty() {
        graph.push(format!("anullsrc=r=48000:cl=stereo,atrim=0:{d}[aout]"));
    } else {
        let mut mix = String::new();
        for (j, k) in audio.iter().enumerate() {
            // Gaps (a muted microphone) become silence; so does the time
            // before the track's first frame.
            graph.push(format!("[{k}:a]aresample=48000:async=1:first_pts=0[a{j}]"));
            mix.push_str(&format!("[a{j}]"));
        }
        graph.push(format!(
            "{mix}amix=inputs={}:duration=longest:dropout_transition=0:normalize=0,apad[aout]",
            audio.len()
        ));
    }
    args.extend([
        "-filter_complex".into(),
        graph.join(";"),
        "-map".into(),
        "[vout]".into(),
        "-map".into(),
        "[aout]".into(),
        "-t".into(),
        d,
        "-threads".into(),
        threads,
        "-c:v".into(),
        "libx264".into(),
        "-preset".into(),
        "veryfast".into(),
        "-crf".into(),
        "27".into(),
        "-r".into(),
        FPS.to_string(),
        "-c:a".into(),
        "aac".into(),
        "-b:a".into(),
        "96k".into(),
        "-movflags".into(),
        "+faststart".into(),
        "-progress".into(),
        "pipe:1".into(),
        "-nostats".into(),
        HD_FILE.into(),
    ]);
    Job {
        args,
        names,
        duration_ms,
    }
}

/// Composes claimed segments, one after another, until the node stops.
pub async fn run(rec: Arc<Recordings>) {
    let mut swept = std::time::Instant::now() - std::time::Duration::from_secs(3600);
    loop {
        if swept.elapsed() >= std::time::Duration::from_secs(3600) {
            swept = std::time::Instant::now();
            rec.sweep().await;
        }
        let now = rec.clock.now();
        match rec.store.claim_segment(now, COMPOSE_LEASE_SECONDS, &rec.node_id).await {
            Ok(Some(seg)) => {
                let outcome = compose(&rec, &seg).await;
                match rec.store.finish_segment(seg.id, &outcome).await {
                    Ok(()) if matches!(outcome, Composed::Ready(_)) && rec.archive.is_remote() => {
                        // Kept in the object store: the working copy goes.
                        let dir = rec.segment_dir(&seg.conf_uuid, seg.id);
                        if let Err(e) = tokio::fs::remove_dir_all(&dir).await {
                            tracing::warn!(dir = %dir.display(), error = %e, "removing an archived recording's copy");
                        }
                    }
                    Ok(()) => {}
                    Err(e) => tracing::error!(segment = seg.id, error = %e, "recording a composition's outcome"),
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "claiming a recording to compose"),
        }
        tokio::select! {
            _ = rec.wake.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
        }
    }
}

async fn compose(rec: &Recordings, seg: &Segment) -> Composed {
    let dir = rec.segment_dir(&seg.conf_uuid, seg.id);
    let span = seg.stopped_at.unwrap_or(seg.started_at).saturating_sub(seg.started_at);
    let job = plan(&seg.tracks, (span.max(0) as u64) * 1000, rec.compose_threads);
    metrics::gauge!("convene_record_compose_progress_ratio").set(0.0);
    let started = std::time::Instant::now();
    tracing::info!(
        segment = seg.id,
        tracks = seg.tracks.len(),
        seconds = job.duration_ms / 1000,
        "composing a recording"
    );
    match run_ffmpeg(&rec.ffmpeg, &dir, &job, seg.id).await {
        Ok(()) => {}
        Err(e) => {
            tracing::warn!(segment = seg.id, attempt = seg.attempts, error = %e, "composing a recording failed");
            metrics::counter!("convene_record_compositions_total", "outcome" => "failed").increment(1);
            return if seg.attempts >= COMPOSE_ATTEMPTS {
                Composed::Failed(e)
            } else {
                Composed::Retry(e)
            };
        }
    }
    let path = dir.join(HD_FILE);
    let mut files: Vec<String> = seg.tracks.iter().map(|t| t.file.clone()).collect();
    files.push(HD_FILE.into());
    if let Err(e) = rec.archive.keep(&seg.conf_uuid, seg.id, &dir, &files).await {
        tracing::warn!(segment = seg.id, error = %e, "keeping a composed recording in the object store");
        return if seg.attempts >= COMPOSE_ATTEMPTS {
            Composed::Failed(format!("storing the files: {e}"))
        } else {
            Composed::Retry(format!("storing the files: {e}"))
        };
    }
    match file_facts(&path).await {
        Ok((bytes, sha256)) => {
            let took = started.elapsed().as_secs_f64();
            metrics::counter!("convene_record_compositions_total", "outcome" => "ready").increment(1);
            metrics::histogram!("convene_record_compose_speed")
                .record(job.duration_ms as f64 / 1000.0 / took.max(0.001));
            tracing::info!(segment = seg.id, bytes, seconds = took, "recording composed");
            Composed::Ready(vec![OutputFile {
                file_type: "Hd".into(),
                file: HD_FILE.into(),
                bytes,
                duration_ms: job.duration_ms,
                sha256,
            }])
        }
        Err(e) => Composed::Retry(format!("reading the composed file: {e}")),
    }
}

/// Runs a planned job in `dir` (its tracks' folder), logging progress.
pub async fn run_ffmpeg(ffmpeg: &Path, dir: &Path, job: &Job, segment: i64) -> Result<(), String> {
    for (file, name) in &job.names {
        tokio::fs::write(dir.join(file), name)
            .await
            .map_err(|e| format!("writing {file}: {e}"))?;
    }
    let mut child = tokio::process::Command::new(ffmpeg)
        .args(&job.args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", ffmpeg.display()))?;
    let stdout = child.stdout.take();
    let progress = async {
        let Some(out) = stdout else { return };
        let mut lines = tokio::io::BufReader::new(out).lines();
        let mut told = 0;
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(us) = line.strip_prefix("out_time_us=").and_then(|v| v.parse::<u64>().ok()) {
                let pct = (us / 1000 * 100 / job.duration_ms.max(1)).min(100);
                metrics::gauge!("convene_record_compose_progress_ratio").set(pct as f64 / 100.0);
                if pct >= told + 25 {
                    told = pct - pct % 25;
                    tracing::info!(segment, percent = told, "composing a recording");
                }
            }
        }
    };
    let (_, out) = tokio::join!(progress, child.wait_with_output());
    let out = out.map_err(|e| format!("running ffmpeg: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = err.lines().rev().take(3).collect();
        Err(format!(
            "ffmpeg failed ({}): {}",
            out.status,
            last.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ))
    }
}

/// A file's size and hex SHA-256.
pub async fn file_facts(path: &PathBuf) -> std::io::Result<(u64, String)> {
    use sha2::Digest;
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(path).await?;
    let mut hash = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hash.update(&buf[..n]);
    }
    Ok((bytes, hex::encode(hash.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(p: u64, video: bool, first_ms: u64) -> TrackFile {
        TrackFile {
            participant: p,
            name: format!("P{p}"),
            video,
            screen: false,
            file: format!("p{p}-{}.webm", if video { "video" } else { "audio" }),
            frames: 10,
            first_ms,
            last_ms: first_ms + 9000,
            bytes: 1000,
        }
    }

    #[test]
    fn a_shared_screen_takes_the_left_and_the_people_a_column() {
        let mut screen = track(1, true, 3000);
        screen.screen = true;
        screen.file = "p1-screen-2.webm".into();
        let tracks = vec![track(1, false, 0), track(1, true, 0), screen, track(2, true, 500)];
        let a = plan(&tracks, 10_000, 1).args.join(" ");
        assert!(a.contains("[2:v]scale=960:720"), "{a}");
        assert!(a.contains("overlay=960:0"), "{a}");
        assert!(a.contains("overlay=960:180"), "{a}");
        // The screen is not taken for 1's camera tile.
        assert!(a.contains("[1:v]scale=320:180"), "{a}");
    }

    #[test]
    fn a_plan_places_each_track_at_its_time_and_everyone_in_the_grid() {
        let tracks = vec![track(1, false, 0), track(1, true, 120), track(2, false, 2500)];
        let job = plan(&tracks, 10_000, 1);
        let a = job.args.join(" ");
        assert!(a.contains("-itsoffset 0.120 -i p1-video.webm"), "{a}");
        assert!(a.contains("-itsoffset 2.500 -i p2-audio.webm"), "{a}");
        // Two people: two columns of 640x720; the audio-only one has a name tile.
        assert!(a.contains("scale=640:720"), "{a}");
        assert!(a.contains("amix=inputs=2"), "{a}");
        assert_eq!(
            job.names,
            vec![("name-0.txt".into(), "P1".into()), ("name-1.txt".into(), "P2".into())]
        );
        assert_eq!(job.duration_ms, 11_500);
    }
}
