//! Cloud recording's rules that are not the live meeting's (those are in
//! `live::control`: who starts and stops, and `session`: when capture
//! runs): what a segment holds and which state it is in, who may see a
//! meeting's recordings, how long a download link lives, and the timing
//! of a captured track.
//!
//! A *segment* is one stretch of capture, from a start (or a resume, or a
//! meeting's session starting while its recording is on) to the next stop
//! (or pause, or the session ending). Each has one file per published
//! track as captured (`tracks`) and, once composed, the meeting's video
//! (`Hd`: every participant in a grid with names, the audio mixed).

use serde::{Deserialize, Serialize};

/// Where a segment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentState {
    /// Being captured.
    Capturing,
    /// Captured; waiting for a composer.
    Queued,
    /// A composer works on it (until its lease runs out).
    Composing,
    /// Composed: its files can be fetched.
    Ready,
    /// Composition failed for good (the error says why); the captured
    /// tracks are kept.
    Failed,
}

impl SegmentState {
    pub fn number(self) -> i64 {
        match self {
            SegmentState::Capturing => 0,
            SegmentState::Queued => 1,
            SegmentState::Composing => 2,
            SegmentState::Ready => 3,
            SegmentState::Failed => 4,
        }
    }

    pub fn from_number(n: i64) -> Option<SegmentState> {
        Some(match n {
            0 => SegmentState::Capturing,
            1 => SegmentState::Queued,
            2 => SegmentState::Composing,
            3 => SegmentState::Ready,
            4 => SegmentState::Failed,
            _ => return None,
        })
    }
}

/// One captured track of a segment: a publisher's audio or video, as a
/// WebM file of the frames it sent (Opus or VP8/VP9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackFile {
    pub participant: u64,
    /// The participant's name when it joined.
    pub name: String,
    pub video: bool,
    /// A shared screen (a video track).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub screen: bool,
    /// The file's name in the segment's folder.
    pub file: String,
    pub frames: u64,
    /// The first and last frame's time, in ms from the segment's start.
    pub first_ms: u64,
    pub last_ms: u64,
    pub bytes: u64,
}

/// A file made from a segment for people to watch (the product's file
/// types: `Hd` the meeting's composed video; `Aux` a shared screen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFile {
    /// `Hd`, `Sd` or `Aux`.
    pub file_type: String,
    pub file: String,
    pub bytes: u64,
    pub duration_ms: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
}

/// How long a download link is valid (single use; spec §3.2: one hour).
pub const DOWNLOAD_TOKEN_SECONDS: i64 = 3600;
/// How long a composer holds a segment before another may take it.
pub const COMPOSE_LEASE_SECONDS: i64 = 600;
/// Attempts at composing a segment before it is marked failed.
pub const COMPOSE_ATTEMPTS: i64 = 3;

/// A captured track's clock: each frame's time in ns from the segment's
/// start, from its RTP time, anchored at the arrival of its first frame
/// (tracks from different publishers have unrelated RTP clocks, so their
/// arrival lines them up; RTP keeps each one smooth). Times never go
/// back (a reordered or restarted clock is clamped).
#[derive(Debug, Clone, Copy)]
pub struct TrackClock {
    anchor_ns: u64,
    first_rtp: u64,
    rate: u64,
    last_ns: Option<u64>,
}

impl TrackClock {
    /// `arrived_ns`: the first frame's arrival after the segment's start.
    pub fn new(arrived_ns: u64, rtp: u64, rate: u32) -> TrackClock {
        TrackClock {
            anchor_ns: arrived_ns,
            first_rtp: rtp,
            rate: u64::from(rate.max(1)),
            last_ns: None,
        }
    }

    /// A frame's time; `arrived_ns` corrects a clock that jumps (a
    /// publisher that restarted its stream): more than 5 s away from the
    /// arrival re-anchors it there.
    pub fn time_ns(&mut self, rtp: u64, arrived_ns: u64) -> u64 {
        let since = rtp.saturating_sub(self.first_rtp);
        let mut t = self.anchor_ns + (u128::from(since) * 1_000_000_000 / u128::from(self.rate)) as u64;
        if t.abs_diff(arrived_ns) > 5_000_000_000 {
            self.anchor_ns = arrived_ns;
            self.first_rtp = rtp;
            t = arrived_ns;
        }
        if let Some(last) = self.last_ns {
            t = t.max(last + 1);
        }
        self.last_ns = Some(t);
        t
    }
}

/// Whether a caller may see and fetch a meeting's recordings: its owner,
/// an account invited as its host, or an administrator of its enterprise.
pub fn may_see(is_owner: bool, is_invited_host: bool, is_enterprise_admin: bool) -> bool {
    is_owner || is_invited_host || is_enterprise_admin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_clock_follows_rtp_from_its_first_arrival_and_never_goes_back() {
        let mut c = TrackClock::new(2_000_000_000, 90_000, 90_000);
        assert_eq!(c.time_ns(90_000, 2_000_000_000), 2_000_000_000);
        assert_eq!(c.time_ns(93_000, 2_040_000_000), 2_033_333_333);
        // Reordered: clamped just after the last.
        assert_eq!(c.time_ns(92_000, 2_050_000_000), 2_033_333_334);
        // A jump of an hour: re-anchored at its arrival.
        assert_eq!(c.time_ns(90_000 + 3600 * 90_000, 2_100_000_000), 2_100_000_000);
        assert_eq!(c.time_ns(90_000 + 3600 * 90_000 + 900, 2_110_000_000), 2_110_000_000);
    }

    #[test]
    fn segment_states_have_stable_numbers() {
        for s in [
            SegmentState::Capturing,
            SegmentState::Queued,
            SegmentState::Composing,
            SegmentState::Ready,
            SegmentState::Failed,
        ] {
            assert_eq!(SegmentState::from_number(s.number()), Some(s));
        }
        assert_eq!(SegmentState::from_number(9), None);
    }
}
