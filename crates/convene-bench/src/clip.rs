//! Real encoded media for synthetic peers: a clip made by ffmpeg (VP8 and
//! Opus in WebM, as a browser would send them), read back frame by frame.

use std::path::Path;

use anyhow::{bail, Context};
use convene_sfu::client::MediaSource;

/// `seconds` of the lavfi video `picture` (e.g. `color=c=red:s=640x360:r=30`
/// or `testsrc2=s=640x360:r=30`) with a `tone` Hz sine, encoded by `ffmpeg`
/// as VP8 (keyframe every half second) and Opus in 20 ms packets, written
/// in `dir` as `name.webm` and read back as a [`MediaSource`].
pub fn vp8_opus(
    ffmpeg: &Path,
    dir: &Path,
    name: &str,
    picture: &str,
    tone: u32,
    seconds: u32,
) -> anyhow::Result<MediaSource> {
    let file = dir.join(format!("{name}.webm"));
    let out = std::process::Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("{picture}:d={seconds}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency={tone}:d={seconds}:sample_rate=48000"))
        .args([
            "-c:v",
            "libvpx",
            "-b:v",
            "400k",
            "-g",
            "15",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ])
        .args(["-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-ac", "2"])
        .arg(&file)
        .output()
        .with_context(|| format!("running {} (apt-get install ffmpeg)", ffmpeg.display()))?;
    if !out.status.success() {
        bail!(
            "ffmpeg could not make the clip: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut mkv = matroska_demuxer::MatroskaFile::open(std::fs::File::open(&file)?)?;
    let Some(video) = mkv
        .tracks()
        .iter()
        .find(|t| t.codec_id() == "V_VP8")
        .map(|t| t.track_number().get())
    else {
        bail!("the clip has no VP8 track");
    };
    let mut s = MediaSource::default();
    let mut f = matroska_demuxer::Frame::default();
    while mkv.next_frame(&mut f)? {
        if f.track == video {
            s.video.push((f.data.clone().into(), f.is_keyframe.unwrap_or(false)));
        } else {
            s.audio.push(f.data.clone().into());
        }
    }
    Ok(s)
}
