//! What the SFU's owner sees of it: IDs, a peer's policy, errors, events,
//! counters, and the helpers for its UDP socket.

use std::net::SocketAddr;
use std::time::Instant;

use str0m::net::{Protocol, Receive};
use str0m::Input;

/// A media room: the SFU side of one meeting (not the cloud meeting room,
/// `convene_core::RoomId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MediaRoomId(pub u64);

/// A peer of a room (the meeting's participant ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

pub(crate) type Key = (MediaRoomId, PeerId);

/// What a peer's media may do; set by the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Forward this peer's audio (false while it is muted).
    pub send_audio: bool,
    /// Forward this peer's video.
    pub send_video: bool,
    /// The meeting carries video at all (an AUDIO meeting refuses video tracks).
    pub video_allowed: bool,
    /// Forward this peer's shared screen (its second video track).
    pub send_screen: bool,
}

impl Policy {
    pub const OPEN: Policy = Policy {
        send_audio: true,
        send_video: true,
        video_allowed: true,
        send_screen: true,
    };
}

/// Why an SFU call was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SfuError {
    #[error("the offer is not valid SDP: {0}")]
    BadSdp(String),
    #[error("this meeting carries audio only: video tracks are refused")]
    VideoNotAllowed,
    #[error("no such media connection")]
    UnknownPeer,
    #[error("no offer of ours is waiting for this answer")]
    NoPendingOffer,
    #[error("WebRTC refused it: {0}")]
    Rtc(String),
}

/// What the SFU tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SfuEvent {
    /// Send this SDP offer to the peer; its answer goes to [`Sfu::accept_answer`].
    Offer {
        room: MediaRoomId,
        peer: PeerId,
        sdp: String,
    },
    /// The loudest peer of a room changed (None: nobody speaks).
    /// `volume`: the speaker's level, 0 (silence) to 100 (0 dBov).
    ActiveSpeaker {
        room: MediaRoomId,
        peer: Option<PeerId>,
        volume: u8,
    },
    /// A peer's media connection closed by itself (ICE or DTLS failure, timeout).
    PeerClosed { room: MediaRoomId, peer: PeerId },
}

/// Counters, for benchmarks and tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Frames (audio or video) received from publishers.
    pub frames_in: u64,
    /// Frames written towards subscribers.
    pub frames_out: u64,
    /// Frames dropped by policy (muted audio, refused video).
    pub frames_blocked: u64,
    /// Keyframe requests passed on to publishers.
    pub keyframe_requests: u64,
    /// RTP packets received and sent (RTCP, STUN and DTLS not counted).
    pub rtp_in: u64,
    pub rtp_out: u64,
    /// Timer turns given to connections (`handle_timeout` per peer).
    pub timer_turns: u64,
    /// NACKs sent to publishers (packets they had to send again) and
    /// received from subscribers (every `STATS_INTERVAL`).
    pub nacks_sent: u64,
    pub nacks_received: u64,
    /// Packets lost from publishers to the SFU (estimated from the loss
    /// fraction of our receiver reports) and from the SFU to subscribers
    /// (as their receiver reports count them).
    pub packets_lost_in: u64,
    pub packets_lost_out: u64,
    /// Frames handed out for recording ([`crate::Sfu::poll_captured`]).
    pub frames_captured: u64,
}

/// A codec a captured frame is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureCodec {
    Opus,
    Vp8,
    Vp9,
    /// Anything else (H.264...): passed on so that its owner can count it.
    Other,
}

/// A publisher's track within its connection (its media line).
pub type TrackId = str0m::media::Mid;

/// A frame of a recorded room, as its publisher sent it (after the
/// room's policy: a muted microphone or a camera turned off gives none).
#[derive(Debug, Clone)]
pub struct CapturedFrame {
    pub room: MediaRoomId,
    pub peer: PeerId,
    /// The publisher's track (its media line), to keep tracks apart.
    pub track: TrackId,
    pub video: bool,
    /// A shared screen (the publisher's second video track).
    pub screen: bool,
    pub codec: CaptureCodec,
    /// When the frame arrived.
    pub arrived: Instant,
    /// Its RTP time, unwrapped, and the clock rate.
    pub rtp_time: u64,
    pub clock_rate: u32,
    pub keyframe: bool,
    /// Shared with the forwarded copies (no copy is made).
    pub data: std::sync::Arc<[u8]>,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.frames_in += o.frames_in;
        self.frames_out += o.frames_out;
        self.frames_blocked += o.frames_blocked;
        self.keyframe_requests += o.keyframe_requests;
        self.rtp_in += o.rtp_in;
        self.rtp_out += o.rtp_out;
        self.timer_turns += o.timer_turns;
        self.nacks_sent += o.nacks_sent;
        self.nacks_received += o.nacks_received;
        self.packets_lost_in += o.packets_lost_in;
        self.packets_lost_out += o.packets_lost_out;
        self.frames_captured += o.frames_captured;
    }
}

/// A datagram received on a UDP socket at `local`, as str0m takes it.
pub fn udp_input(now: Instant, source: SocketAddr, local: SocketAddr, data: &[u8]) -> Option<Input<'_>> {
    let contents = data.try_into().ok()?;
    Some(Input::Receive(
        now,
        Receive {
            proto: Protocol::Udp,
            source,
            destination: local,
            contents,
        },
    ))
}

/// Whether a datagram is RTP (version 2, not an RTCP packet type).
pub(crate) fn is_rtp(b: &[u8]) -> bool {
    b.len() >= 12 && b[0] >> 6 == 2 && !(192..=223).contains(&b[1])
}

/// Whether an SDP offer has a video section that is not disabled (port 0).
pub fn offers_video(sdp: &str) -> bool {
    sdp.lines().any(|l| {
        l.strip_prefix("m=video ")
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|port| port != "0")
    })
}

/// A receive buffer big enough for any WebRTC datagram.
pub const RECV_BUFFER: usize = 2048;
