//! The capture writer: one thread of the node that writes the frames of
//! recorded rooms into per-track WebM files (libwebm's muxer through the
//! `webm` crate), away from forwarding. SFU workers hand it frames through
//! a bounded queue and never wait for it: when it falls behind, frames are
//! dropped and counted ([`Capture::dropped`]), forwarding goes on.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Instant;

use convene_core::recording::{TrackClock, TrackFile};
use convene_sfu::{CaptureCodec, CapturedFrame, MediaRoomId, TrackId};
use tokio::sync::oneshot;
use webm::mux::{AudioCodecId, SegmentBuilder, VideoCodecId, Writer};

/// Frames the queue holds: about 10 s of a 16-person meeting's audio and
/// video (50 + 30 frames/s each).
pub const QUEUE_FRAMES: usize = 16 * 80 * 10;

/// What a segment's capture wrote: its tracks, and frames lost on the way.
#[derive(Debug, Default)]
pub struct Captured {
    pub tracks: Vec<TrackFile>,
    pub dropped: u64,
}

enum Msg {
    Begin {
        room: MediaRoomId,
        dir: PathBuf,
        epoch: Instant,
    },
    Frame(CapturedFrame),
    End {
        room: MediaRoomId,
        dropped: u64,
        done: oneshot::Sender<Captured>,
    },
}

/// The node's capture writer (cheap to clone: a queue's sender).
#[derive(Clone)]
pub struct Capture {
    tx: SyncSender<Msg>,
    dropped: Arc<AtomicU64>,
}

impl Capture {
    /// Starts the writer thread.
    pub fn start() -> std::io::Result<Capture> {
        let (tx, rx) = sync_channel(QUEUE_FRAMES);
        std::thread::Builder::new()
            .name("record-capture".into())
            .spawn(move || run(rx))?;
        Ok(Capture {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        })
    }

    /// A room's capture begins: its frames go to files in `dir`, timed
    /// from `epoch`. Waits for room in the queue (rare: once per segment).
    pub fn begin(&self, room: MediaRoomId, dir: PathBuf, epoch: Instant) {
        let _ = self.tx.send(Msg::Begin { room, dir, epoch });
    }

    /// A frame of a captured room; dropped (and counted) if the writer is
    /// behind. Answers whether it was taken.
    pub fn frame(&self, f: CapturedFrame) -> bool {
        match self.tx.try_send(Msg::Frame(f)) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("convene_record_frames_dropped_total").increment(1);
                false
            }
        }
    }

    /// A room's capture ends: its files are closed and `done` hears what
    /// was written.
    pub fn end(&self, room: MediaRoomId, dropped: u64, done: oneshot::Sender<Captured>) {
        let _ = self.tx.send(Msg::End { room, dropped, done });
    }

    /// Frames dropped so far, over every room.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// A track's file: buffered, so a frame costs a copy, not write calls (libwebm
/// writes each element separately).
type Out = std::io::BufWriter<File>;

struct Track {
    segment: webm::mux::Segment<Out>,
    track: u64,
    clock: TrackClock,
    info: TrackFile,
    failed: bool,
}

struct Room {
    dir: PathBuf,
    epoch: Instant,
    tracks: HashMap<(u64, TrackId), Track>,
    /// Frames of codecs a WebM file cannot hold.
    unrecordable: u64,
}

fn run(rx: Receiver<Msg>) {
    let mut rooms: HashMap<MediaRoomId, Room> = HashMap::new();
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Begin { room, dir, epoch } => {
                if let Err(e) = std::fs::create_dir_all(&dir) {
                    tracing::error!(dir = %dir.display(), error = %e, "creating a recording's folder");
                }
                rooms.insert(
                    room,
                    Room {
                        dir,
                        epoch,
                        tracks: HashMap::new(),
                        unrecordable: 0,
                    },
                );
            }
            Msg::Frame(f) => {
                if let Some(r) = rooms.get_mut(&f.room) {
                    r.write(f);
                }
            }
            Msg::End { room, dropped, done } => {
                let captured = match rooms.remove(&room) {
                    Some(r) => r.finish(dropped),
                    None => Captured::default(),
                };
                let _ = done.send(captured);
            }
        }
    }
}

/// A VP8 keyframe's size (RFC 6386 §9.1: after the 3-byte tag and the
/// start code, 14 bits of width and of height).
fn vp8_size(data: &[u8]) -> Option<(u32, u32)> {
    if data.len() < 10 || data[0] & 1 != 0 || data[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u32::from(u16::from_le_bytes([data[6], data[7]]) & 0x3fff);
    let h = u32::from(u16::from_le_bytes([data[8], data[9]]) & 0x3fff);
    (w > 0 && h > 0).then_some((w, h))
}

/// Opus's `CodecPrivate` in Matroska: an OpusHead (RFC 7845 §5.1) for
/// 48 kHz stereo, no pre-skip, channel mapping 0.
const OPUS_HEAD: [u8; 19] = [
    b'O', b'p', b'u', b's', b'H', b'e', b'a', b'd', 1, 2, 0, 0, 0x80, 0xbb, 0, 0, 0, 0, 0,
];

impl Room {
    fn write(&mut self, f: CapturedFrame) {
        let since = f.arrived.saturating_duration_since(self.epoch).as_nanos() as u64;
        let key = (f.peer.0, f.track);
        if !self.tracks.contains_key(&key) {
            let Some(t) = self.open(&f, since) else { return };
            self.tracks.insert(key, t);
        }
        let Some(t) = self.tracks.get_mut(&key) else { return };
        if t.failed {
            return;
        }
        let ts = t.clock.time_ns(f.rtp_time, since);
        match t.segment.add_frame(t.track, &f.data, ts, f.keyframe || !f.video) {
            Ok(()) => {
                t.info.frames += 1;
                t.info.bytes += f.data.len() as u64;
                t.info.last_ms = ts / 1_000_000;
            }
            Err(e) => {
                tracing::warn!(file = %t.info.file, error = ?e, "writing a recorded frame; the track stops here");
                t.failed = true;
            }
        }
    }

    fn open(&mut self, f: &CapturedFrame, since: u64) -> Option<Track> {
        let kind = match (f.video, f.screen) {
            (true, true) => "screen",
            (true, false) => "video",
            _ => "audio",
        };
        let name = format!("p{}-{kind}-{}.webm", f.peer.0, f.track);
        let path = self.dir.join(&name);
        let built = (|| -> Result<(webm::mux::Segment<Out>, u64), String> {
            let file = std::io::BufWriter::with_capacity(1 << 16, File::create(&path).map_err(|e| e.to_string())?);
            let builder = SegmentBuilder::new(Writer::new(file)).map_err(|e| format!("{e:?}"))?;
            let builder = builder.set_writing_app("convene").map_err(|e| format!("{e:?}"))?;
            match f.codec {
                CaptureCodec::Opus => {
                    let (b, t) = builder
                        .add_audio_track(48_000, 2, AudioCodecId::Opus, None)
                        .map_err(|e| format!("{e:?}"))?;
                    let b = b.set_codec_private(t, &OPUS_HEAD).map_err(|e| format!("{e:?}"))?;
                    Ok((b.build(), webm::mux::Track::track_number(&t)))
                }
                CaptureCodec::Vp8 | CaptureCodec::Vp9 => {
                    // VP9's size is in the bitstream, where decoders read
                    // it; the container's is a hint.
                    let (w, h) = vp8_size(&f.data).unwrap_or((640, 360));
                    let codec = if f.codec == CaptureCodec::Vp8 {
                        VideoCodecId::VP8
                    } else {
                        VideoCodecId::VP9
                    };
                    let (b, t) = builder
                        .add_video_track(w, h, codec, None)
                        .map_err(|e| format!("{e:?}"))?;
                    Ok((b.build(), webm::mux::Track::track_number(&t)))
                }
                CaptureCodec::Other => Err("a codec WebM cannot hold".into()),
            }
        })();
        match built {
            Ok((segment, track)) => Some(Track {
                segment,
                track,
                clock: TrackClock::new(since, f.rtp_time, f.clock_rate),
                info: TrackFile {
                    participant: f.peer.0,
                    name: String::new(),
                    video: f.video,
                    screen: f.screen,
                    file: name,
                    frames: 0,
                    first_ms: since / 1_000_000,
                    last_ms: since / 1_000_000,
                    bytes: 0,
                },
                failed: false,
            }),
            Err(e) => {
                self.unrecordable += 1;
                if self.unrecordable == 1 {
                    tracing::warn!(file = %path.display(), error = %e, "a track cannot be recorded");
                }
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    fn finish(self, dropped: u64) -> Captured {
        let mut tracks = Vec::new();
        for (_, t) in self.tracks {
            let file = t.info.file.clone();
            let flushed = t.segment.finalize(None).map(|w| {
                use std::io::Write;
                w.into_inner().flush()
            });
            match flushed {
                Ok(Ok(())) if t.info.frames > 0 => tracks.push(t.info),
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(file = %file, error = %e, "writing a recorded track"),
                Err(_) => tracing::warn!(file = %file, "closing a recorded track"),
            }
        }
        tracks.sort_by_key(|t| (t.participant, t.video, t.screen));
        Captured { tracks, dropped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vp8_keyframe_tells_its_size() {
        let mut kf = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        kf.extend_from_slice(&640u16.to_le_bytes());
        kf.extend_from_slice(&360u16.to_le_bytes());
        assert_eq!(vp8_size(&kf), Some((640, 360)));
        // An interframe (low bit set) has no size.
        kf[0] |= 1;
        assert_eq!(vp8_size(&kf), None);
    }
}
