//! convene's selective forwarding unit, sans-IO.
//!
//! An [`Sfu`] holds the WebRTC connections ([`str0m::Rtc`]) of the peers of
//! any number of rooms (meetings). Its owner feeds it datagrams and time and
//! drains what it produces: datagrams to send ([`Sfu::poll_transmit`]) and
//! [`SfuEvent`]s (offers to pass to a peer over signalling, active speaker
//! changes, peers that went away). Nothing here opens a socket, spawns a task
//! or reads a clock, so tests can run whole meetings of in-process str0m peers
//! over a simulated network.
//!
//! Signalling: a peer offers once (its own audio/video); from then on only
//! the SFU offers (to add or stop the other peers' tracks), so offers never
//! cross. Media goes through at frame level: str0m depacketizes what a
//! publisher sends and packetizes it again per subscriber, which gives every
//! leg its own NACK/retransmission buffer and sequence numbers, so one lossy
//! subscriber costs the others nothing.
//!
//! What a room's meeting allows is a [`Policy`] per peer; the SFU enforces it
//! on the media itself (a muted peer's audio is dropped here, whatever its
//! client sends).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid, Rid};
use str0m::net::{Protocol, Transmit};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

pub mod client;
mod speaker;
pub use speaker::SpeakerDetector;
mod types;
pub use types::*;

/// How long a simulcast layer's bitrate is measured over.
const LAYER_WINDOW: Duration = Duration::from_millis(500);

/// How long a subscriber's sent packets are kept for retransmission (NACK).
/// str0m keeps 3 s by default, which is most of a media connection's memory;
/// libwebrtc keeps at least 1 s (three round trips when those are longer),
/// and a packet lost longer ago than that is better mended by a keyframe.
const RTX_HISTORY: Duration = Duration::from_secs(1);
/// str0m's defaults for the rest of a video track's cache (its
/// `send_buffer_video` and drop ratio).
const RTX_PACKETS: usize = 1000;
const RTX_RATIO_CAP: Option<f32> = Some(0.15);

/// The minimum time between two keyframe requests sent to one publisher's track.
const KEYFRAME_REQUEST_GAP: Duration = Duration::from_millis(300);

#[derive(Debug)]
struct TrackIn {
    mid: Mid,
    kind: MediaKind,
    /// Simulcast layers the publisher announced, in its order.
    rids: Vec<Rid>,
    /// Bytes per layer in the current window, to rank layers by bitrate.
    layer_bytes: HashMap<Option<Rid>, u64>,
    /// Measured bitrate of each layer (bits/s), from the last full window.
    layer_rate: HashMap<Option<Rid>, u64>,
    window_start: Option<Instant>,
    last_keyframe_request: Option<Instant>,
    /// While its room is captured: the layer recorded (simulcast), once a
    /// keyframe started it (a recording of video starts on a keyframe).
    capture_from: Option<Option<Rid>>,
    /// A shared screen: the publisher's second video track.
    screen: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutState {
    ToOpen,
    Negotiating(Mid),
    Open(Mid),
    ToStop(Mid),
    NegotiatingStop(Mid),
}

#[derive(Debug)]
struct TrackOut {
    source: PeerId,
    source_mid: Mid,
    kind: MediaKind,
    state: OutState,
    /// The simulcast layer forwarded now, and the one wanted.
    rid: Option<Rid>,
    want: Option<Rid>,
    /// A layer switch waits for a keyframe of the wanted layer.
    need_keyframe: bool,
    /// A shared screen (its stream ID says so to the subscriber).
    screen: bool,
}

impl TrackOut {
    fn mid(&self) -> Option<Mid> {
        match self.state {
            OutState::ToOpen => None,
            OutState::Negotiating(m) | OutState::Open(m) | OutState::ToStop(m) | OutState::NegotiatingStop(m) => {
                Some(m)
            }
        }
    }
}

struct Peer {
    rtc: Rtc,
    policy: Policy,
    pending: Option<SdpPendingOffer>,
    tracks_in: Vec<TrackIn>,
    tracks_out: Vec<TrackOut>,
    timeout: Instant,
    /// Downlink estimate (bits/s) from bandwidth estimation, if any yet.
    estimate: Option<u64>,
    /// A cap on what this peer receives (bits/s), set by its owner.
    max_bitrate: Option<u64>,
    /// Queued in `Sfu::dirty` for a poll (kept here so that marking is O(1)).
    dirty: bool,
    /// What each stream's last stats said (str0m's counts are cumulative).
    streams: HashMap<(Mid, Option<Rid>, bool), StreamCounts>,
}

/// A stream's cumulative counts at its last stats event.
#[derive(Debug, Default, Clone, Copy)]
struct StreamCounts {
    packets: u64,
    nacks: u64,
    lost: u64,
}

/// How often str0m reports each stream's counts (NACKs, loss): seldom
/// enough to cost nothing next to forwarding.
const STATS_INTERVAL: Duration = Duration::from_secs(5);

/// Things one peer's output asks of the others, handled after it is polled.
#[allow(clippy::large_enum_variant)]
enum Propagate {
    TrackOpen(Mid),
    Media(PeerId, MediaData),
    Keyframe {
        source: PeerId,
        mid: Mid,
        rid: Option<Rid>,
        kind: KeyframeRequestKind,
    },
}

/// The SFU state of one worker (one UDP socket).
pub struct Sfu {
    local: SocketAddr,
    extra_candidates: Vec<Candidate>,
    peers: HashMap<Key, Peer>,
    rooms: HashMap<MediaRoomId, Vec<PeerId>>,
    /// Which peer a remote address belongs to, learnt from the first datagram.
    by_source: HashMap<SocketAddr, Key>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<SfuEvent>,
    speakers: HashMap<MediaRoomId, SpeakerDetector>,
    stats: Stats,
    /// Peers touched since they were last polled.
    dirty: Vec<Key>,
    /// The time of the last input, for polling deferred to the output calls.
    last_now: Instant,
    /// Rooms whose publishers' frames are handed out for recording.
    captured_rooms: std::collections::HashSet<MediaRoomId>,
    captured: VecDeque<CapturedFrame>,
}

impl Sfu {
    /// An SFU whose peers reach it at `local` (the UDP socket's address,
    /// offered as the host candidate), starting at `now` (the SFU never
    /// reads the clock: every input carries the time).
    pub fn new(local: SocketAddr, now: Instant) -> Sfu {
        Sfu {
            local,
            extra_candidates: Vec::new(),
            peers: HashMap::new(),
            rooms: HashMap::new(),
            by_source: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            speakers: HashMap::new(),
            stats: Stats::default(),
            dirty: Vec::new(),
            last_now: now,
            captured_rooms: std::collections::HashSet::new(),
            captured: VecDeque::new(),
        }
    }

    /// Start or stop handing out a room's frames for recording
    /// ([`Sfu::poll_captured`]). Starting asks every video publisher of the
    /// room for a keyframe: each video track's recording starts on one.
    pub fn set_capture(&mut self, now: Instant, room: MediaRoomId, on: bool) {
        if !on {
            self.captured_rooms.remove(&room);
            return;
        }
        self.captured_rooms.insert(room);
        let mut wanted = Vec::new();
        for peer in self.room_peers(room) {
            if let Some(p) = self.peers.get_mut(&(room, peer)) {
                for t in &mut p.tracks_in {
                    t.capture_from = None;
                    if t.kind == MediaKind::Video {
                        t.last_keyframe_request = None;
                        wanted.push((peer, t.mid));
                    }
                }
            }
        }
        for (peer, mid) in wanted {
            self.request_keyframe(now, room, peer, mid, None, KeyframeRequestKind::Fir);
        }
        self.run(now);
    }

    /// The next frame of a captured room. The owner takes them after each
    /// input, as it takes transmits; an owner that records nothing never
    /// calls [`Sfu::set_capture`] and nothing queues here.
    pub fn poll_captured(&mut self) -> Option<CapturedFrame> {
        self.captured.pop_front()
    }

    /// Offer another candidate besides the UDP host one (for example a
    /// public address the socket is reachable at through NAT).
    pub fn add_candidate(&mut self, c: Candidate) {
        self.extra_candidates.push(c);
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    pub fn room_peers(&self, room: MediaRoomId) -> Vec<PeerId> {
        self.rooms.get(&room).cloned().unwrap_or_default()
    }

    /// A peer's first offer: its own tracks. Returns the SDP answer. A peer
    /// already present is replaced (a client that reconnects its media).
    pub fn add_peer(
        &mut self,
        now: Instant,
        room: MediaRoomId,
        peer: PeerId,
        offer_sdp: &str,
        policy: Policy,
    ) -> Result<String, SfuError> {
        if !policy.video_allowed && offers_video(offer_sdp) {
            return Err(SfuError::VideoNotAllowed);
        }
        let offer = SdpOffer::from_sdp_string(offer_sdp).map_err(|e| SfuError::BadSdp(e.to_string()))?;
        if self.peers.contains_key(&(room, peer)) {
            self.remove_peer(room, peer);
        }
        let mut rtc = Rtc::builder()
            .enable_bwe(Some(Bitrate::kbps(1_500)))
            .set_stats_interval(Some(STATS_INTERVAL))
            .build(now);
        let host = Candidate::host(self.local, Protocol::Udp).map_err(|e| SfuError::Rtc(e.to_string()))?;
        rtc.add_local_candidate(host);
        for c in &self.extra_candidates {
            rtc.add_local_candidate(c.clone());
        }
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| SfuError::Rtc(e.to_string()))?;
        let mut p = Peer {
            rtc,
            policy,
            pending: None,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            timeout: now,
            estimate: None,
            max_bitrate: None,
            dirty: false,
            streams: HashMap::new(),
        };
        // Everything the others already publish is to be sent to the newcomer.
        for other in self.rooms.get(&room).into_iter().flatten() {
            if let Some(o) = self.peers.get(&(room, *other)) {
                for t in &o.tracks_in {
                    p.tracks_out.push(new_track_out(*other, t));
                }
            }
        }
        self.peers.insert((room, peer), p);
        self.rooms.entry(room).or_default().push(peer);
        self.mark((room, peer));
        self.run(now);
        Ok(answer.to_sdp_string())
    }

    /// A later offer from the peer (for example an ICE restart). Our own
    /// offer in flight, if any, is dropped and made again afterwards.
    pub fn accept_offer(
        &mut self,
        now: Instant,
        room: MediaRoomId,
        peer: PeerId,
        sdp: &str,
    ) -> Result<String, SfuError> {
        let video_allowed = self
            .peers
            .get(&(room, peer))
            .ok_or(SfuError::UnknownPeer)?
            .policy
            .video_allowed;
        if !video_allowed && offers_video(sdp) {
            return Err(SfuError::VideoNotAllowed);
        }
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| SfuError::BadSdp(e.to_string()))?;
        let p = self.peers.get_mut(&(room, peer)).ok_or(SfuError::UnknownPeer)?;
        p.pending = None;
        let answer = p
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| SfuError::Rtc(e.to_string()))?;
        for t in &mut p.tracks_out {
            match t.state {
                OutState::Negotiating(_) => t.state = OutState::ToOpen,
                OutState::NegotiatingStop(m) => t.state = OutState::ToStop(m),
                _ => {}
            }
        }
        self.mark((room, peer));
        self.run(now);
        Ok(answer.to_sdp_string())
    }

    /// The peer's answer to our last [`SfuEvent::Offer`].
    pub fn accept_answer(&mut self, now: Instant, room: MediaRoomId, peer: PeerId, sdp: &str) -> Result<(), SfuError> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| SfuError::BadSdp(e.to_string()))?;
        let p = self.peers.get_mut(&(room, peer)).ok_or(SfuError::UnknownPeer)?;
        let pending = p.pending.take().ok_or(SfuError::NoPendingOffer)?;
        p.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| SfuError::Rtc(e.to_string()))?;
        for t in &mut p.tracks_out {
            if let OutState::Negotiating(m) = t.state {
                t.state = OutState::Open(m);
                // Only video is resent (WebRTC sends Opus without NACK).
                if t.kind == MediaKind::Video {
                    if let Some(tx) = p.rtc.direct_api().stream_tx_by_mid(m, None) {
                        tx.set_rtx_cache(RTX_PACKETS, RTX_HISTORY, RTX_RATIO_CAP);
                    }
                }
            }
        }
        p.tracks_out
            .retain(|t| !matches!(t.state, OutState::NegotiatingStop(_)));
        // The new tracks need a keyframe to start decoding.
        let wants: Vec<(PeerId, Mid)> = p
            .tracks_out
            .iter()
            .filter(|t| t.kind == MediaKind::Video)
            .map(|t| (t.source, t.source_mid))
            .collect();
        for (source, mid) in wants {
            self.request_keyframe(now, room, source, mid, None, KeyframeRequestKind::Pli);
        }
        self.mark((room, peer));
        self.run(now);
        Ok(())
    }

    /// What the peer's media may do from now on.
    pub fn set_policy(&mut self, now: Instant, room: MediaRoomId, peer: PeerId, policy: Policy) {
        if let Some(p) = self.peers.get_mut(&(room, peer)) {
            let video_back = policy.send_video && !p.policy.send_video;
            let screen_back = policy.send_screen && !p.policy.send_screen;
            p.policy = policy;
            if video_back || screen_back {
                // What comes back starts with a keyframe.
                let mids: Vec<Mid> = p
                    .tracks_in
                    .iter()
                    .filter(|t| t.kind == MediaKind::Video && if t.screen { screen_back } else { video_back })
                    .map(|t| t.mid)
                    .collect();
                for mid in mids {
                    self.request_keyframe(now, room, peer, mid, None, KeyframeRequestKind::Pli);
                }
            }
            self.run(now);
        }
    }

    /// Cap what a peer receives (bits/s; `None`: only its bandwidth
    /// estimate limits it). With simulcast publishers it gets lower layers.
    pub fn set_max_bitrate(&mut self, room: MediaRoomId, peer: PeerId, max: Option<u64>) {
        if let Some(p) = self.peers.get_mut(&(room, peer)) {
            p.max_bitrate = max;
        }
    }

    pub fn has_peer(&self, room: MediaRoomId, peer: PeerId) -> bool {
        self.peers.contains_key(&(room, peer))
    }

    /// Close a peer's media connection now; the others stop its tracks.
    pub fn remove_peer(&mut self, room: MediaRoomId, peer: PeerId) {
        if let Some(mut p) = self.peers.remove(&(room, peer)) {
            p.rtc.disconnect();
        }
        self.by_source.retain(|_, k| *k != (room, peer));
        let mut empty = false;
        if let Some(list) = self.rooms.get_mut(&room) {
            list.retain(|x| *x != peer);
            empty = list.is_empty();
        }
        for other in self.room_peers(room) {
            if let Some(o) = self.peers.get_mut(&(room, other)) {
                o.tracks_out.retain_mut(|t| {
                    if t.source != peer {
                        return true;
                    }
                    match t.state {
                        OutState::ToOpen => false,
                        // Stopped in the next offer (after the one in flight).
                        OutState::Negotiating(m) | OutState::Open(m) => {
                            t.state = OutState::ToStop(m);
                            true
                        }
                        _ => true,
                    }
                });
                self.mark((room, other));
            }
        }
        if empty {
            self.rooms.remove(&room);
            self.speakers.remove(&room);
            self.captured_rooms.remove(&room);
        }
        if let Some(s) = self.speakers.get_mut(&room) {
            s.forget(peer);
        }
    }

    /// Close every peer of a room (the meeting ended).
    pub fn remove_room(&mut self, room: MediaRoomId) {
        for peer in self.room_peers(room) {
            self.remove_peer(room, peer);
        }
        self.rooms.remove(&room);
        self.speakers.remove(&room);
    }

    /// A datagram arrived on the socket. Returns false when no peer owns it.
    pub fn handle_datagram(&mut self, now: Instant, source: SocketAddr, data: &[u8]) -> bool {
        let Some(input) = udp_input(now, source, self.local, data) else {
            return false;
        };
        if is_rtp(data) {
            self.stats.rtp_in += 1;
        }
        let key = match self.by_source.get(&source) {
            Some(k) if self.peers.get(k).is_some_and(|p| p.rtc.accepts(&input)) => *k,
            _ => {
                let Some(k) = self.peers.iter().find(|(_, p)| p.rtc.accepts(&input)).map(|(k, _)| *k) else {
                    return false;
                };
                self.by_source.insert(source, k);
                k
            }
        };
        if let Some(p) = self.peers.get_mut(&key) {
            if p.rtc.handle_input(input).is_err() {
                p.rtc.disconnect();
            }
        }
        // This peer now (its media goes to the others' queues); the others
        // when the owner next takes output, so that a burst of datagrams
        // costs each subscriber one poll rather than one per frame.
        if let Some(p) = self.peers.get_mut(&key) {
            // Polled right here: a stale entry in `dirty` is skipped.
            p.dirty = false;
        }
        self.last_now = now;
        let mut props = Vec::new();
        self.poll_peer(key, &mut props);
        for prop in props {
            self.propagate(now, key.0, key.1, prop);
        }
        true
    }

    /// Drive time: call at [`Sfu::next_timeout`] (or later).
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<Key> = self
            .peers
            .iter()
            .filter(|(_, p)| p.timeout <= now)
            .map(|(k, _)| *k)
            .collect();
        for k in due {
            if let Some(p) = self.peers.get_mut(&k) {
                self.stats.timer_turns += 1;
                if p.rtc.handle_input(Input::Timeout(now)).is_err() {
                    p.rtc.disconnect();
                }
                self.mark(k);
            }
        }
        let rooms: Vec<MediaRoomId> = self.speakers.keys().copied().collect();
        for room in rooms {
            if let Some(s) = self.speakers.get_mut(&room) {
                if let Some(change) = s.evaluate(now) {
                    let volume = change.map_or(0, |p| s.volume(p));
                    self.events.push_back(SfuEvent::ActiveSpeaker {
                        room,
                        peer: change,
                        volume,
                    });
                }
            }
        }
        self.run(now);
    }

    /// When [`Sfu::handle_timeout`] wants calling next.
    pub fn next_timeout(&self) -> Option<Instant> {
        let peers = self.peers.values().map(|p| p.timeout).min();
        let speakers = self.speakers.values().filter_map(|s| s.next_evaluation()).min();
        match (peers, speakers) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if !self.dirty.is_empty() {
            self.run(self.last_now);
        }
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<SfuEvent> {
        if !self.dirty.is_empty() {
            self.run(self.last_now);
        }
        self.events.pop_front()
    }

    /// Remember to poll a peer (once, however often it was touched).
    fn mark(&mut self, key: Key) {
        if let Some(p) = self.peers.get_mut(&key) {
            if !p.dirty {
                p.dirty = true;
                self.dirty.push(key);
            }
        }
    }

    /// Poll every touched peer until nothing more happens.
    fn run(&mut self, now: Instant) {
        while let Some(key) = self.dirty.pop() {
            match self.peers.get_mut(&key) {
                Some(p) if p.dirty => p.dirty = false,
                _ => continue,
            }
            let mut props = Vec::new();
            self.poll_peer(key, &mut props);
            for prop in props {
                self.propagate(now, key.0, key.1, prop);
            }
        }
    }

    fn poll_peer(&mut self, key: Key, props: &mut Vec<Propagate>) {
        let Some(p) = self.peers.get_mut(&key) else { return };
        if p.rtc.is_alive() {
            negotiate(p, key, &mut self.events);
        }
        loop {
            if !p.rtc.is_alive() {
                break;
            }
            let out = match p.rtc.poll_output() {
                Ok(o) => o,
                Err(e) => {
                    tracing::debug!(room = key.0 .0, peer = key.1 .0, error = %e, "media connection failed");
                    p.rtc.disconnect();
                    break;
                }
            };
            match out {
                Output::Timeout(t) => {
                    p.timeout = t;
                    break;
                }
                Output::Transmit(t) => {
                    if is_rtp(&t.contents) {
                        self.stats.rtp_out += 1;
                    }
                    self.transmits.push_back(t)
                }
                Output::Event(e) => match e {
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected) => p.rtc.disconnect(),
                    Event::MediaAdded(m) if m.direction.is_receiving() => {
                        let rids = m
                            .simulcast
                            .map(|s| s.recv.into_iter().map(|l| l.rid).collect())
                            .unwrap_or_default();
                        let screen = m.kind == MediaKind::Video
                            && p.tracks_in.iter().any(|t| t.kind == MediaKind::Video && !t.screen);
                        p.tracks_in.push(TrackIn {
                            screen,
                            mid: m.mid,
                            kind: m.kind,
                            rids,
                            layer_bytes: HashMap::new(),
                            layer_rate: HashMap::new(),
                            window_start: None,
                            last_keyframe_request: None,
                            capture_from: None,
                        });
                        props.push(Propagate::TrackOpen(m.mid));
                    }
                    Event::MediaData(d) => props.push(Propagate::Media(key.1, d)),
                    Event::KeyframeRequest(req) => {
                        if let Some(t) = p.tracks_out.iter().find(|t| t.mid() == Some(req.mid)) {
                            props.push(Propagate::Keyframe {
                                source: t.source,
                                mid: t.source_mid,
                                rid: t.rid,
                                kind: req.kind,
                            });
                        }
                    }
                    Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. })
                    | Event::EgressBitrateEstimate(BweKind::Remb { estimate, .. }) => {
                        p.estimate = Some(estimate.as_u64());
                    }
                    // From a publisher: the NACKs we sent it, and the loss our
                    // receiver reports saw (a fraction of the packets since).
                    Event::MediaIngressStats(st) => {
                        let was = p.streams.entry((st.mid, st.rid, true)).or_default();
                        let packets = st.packets.saturating_sub(was.packets);
                        self.stats.nacks_sent += st.nacks.saturating_sub(was.nacks);
                        let lost = (f64::from(st.loss.unwrap_or(0.0)) * packets as f64).round() as u64;
                        self.stats.packets_lost_in += lost;
                        *was = StreamCounts {
                            packets: st.packets,
                            nacks: st.nacks,
                            lost: was.lost + lost,
                        };
                    }
                    // To a subscriber: the NACKs it sent us, and the packets
                    // its receiver reports say it lost (cumulative).
                    Event::MediaEgressStats(st) => {
                        let was = p.streams.entry((st.mid, st.rid, false)).or_default();
                        self.stats.nacks_received += st.nacks.saturating_sub(was.nacks);
                        let lost = st.remote.as_ref().map_or(was.lost, |r| r.packets_lost);
                        self.stats.packets_lost_out += lost.saturating_sub(was.lost);
                        *was = StreamCounts {
                            packets: st.packets,
                            nacks: st.nacks,
                            lost: lost.max(was.lost),
                        };
                    }
                    _ => {}
                },
            }
        }
        if !p.rtc.is_alive() {
            self.events.push_back(SfuEvent::PeerClosed {
                room: key.0,
                peer: key.1,
            });
            self.remove_peer(key.0, key.1);
        }
    }

    fn propagate(&mut self, now: Instant, room: MediaRoomId, from: PeerId, prop: Propagate) {
        match prop {
            Propagate::TrackOpen(mid) => {
                let others: Vec<PeerId> = self.room_peers(room).into_iter().filter(|x| *x != from).collect();
                let track = self
                    .peers
                    .get(&(room, from))
                    .and_then(|p| p.tracks_in.iter().find(|t| t.mid == mid))
                    .map(|t| new_track_out(from, t));
                let Some(track) = track else { return };
                for o in others {
                    if let Some(p) = self.peers.get_mut(&(room, o)) {
                        p.tracks_out.push(TrackOut {
                            source: track.source,
                            source_mid: track.source_mid,
                            kind: track.kind,
                            state: OutState::ToOpen,
                            rid: track.rid,
                            want: track.want,
                            need_keyframe: track.need_keyframe,
                            screen: track.screen,
                        });
                        self.mark((room, o));
                    }
                }
            }
            Propagate::Media(source, data) => self.forward(now, room, source, data),
            Propagate::Keyframe { source, mid, rid, kind } => {
                self.request_keyframe(now, room, source, mid, rid, kind);
            }
        }
    }

    fn forward(&mut self, now: Instant, room: MediaRoomId, source: PeerId, data: MediaData) {
        self.stats.frames_in += 1;
        let Some(src) = self.peers.get_mut(&(room, source)) else {
            return;
        };
        let Some(track) = src.tracks_in.iter_mut().find(|t| t.mid == data.mid) else {
            return;
        };
        let kind = track.kind;
        let allowed = match kind {
            MediaKind::Audio => src.policy.send_audio,
            MediaKind::Video if track.screen => src.policy.send_screen && src.policy.video_allowed,
            MediaKind::Video => src.policy.send_video && src.policy.video_allowed,
        };
        if !allowed {
            self.stats.frames_blocked += 1;
            return;
        }
        if !track.rids.is_empty() {
            track.measure(now, data.rid, data.data.len());
        }
        let layers = track.layers_by_rate();
        if kind == MediaKind::Audio {
            if let Some(level) = data.ext_vals.audio_level {
                self.speakers.entry(room).or_default().observe(now, source, level);
            }
        }
        // A lost packet on the way in: ask for a keyframe (throttled).
        if !data.contiguous && kind == MediaKind::Video {
            self.request_keyframe(now, room, source, data.mid, data.rid, KeyframeRequestKind::Fir);
        }
        let keyframe = kind == MediaKind::Video && data.is_keyframe();
        if self.captured_rooms.contains(&room) {
            self.capture(now, room, source, &data, kind, keyframe);
        }
        let subscribers: Vec<PeerId> = self
            .rooms
            .get(&room)
            .map(|v| v.iter().copied().filter(|x| *x != source).collect())
            .unwrap_or_default();
        let mut wanted_keyframes = Vec::new();
        for sub in subscribers {
            let Some(p) = self.peers.get_mut(&(room, sub)) else {
                continue;
            };
            let estimate = match (p.estimate, p.max_bitrate) {
                (Some(e), Some(m)) => Some(e.min(m)),
                (e, m) => e.or(m),
            };
            let video_out = p
                .tracks_out
                .iter()
                .filter(|t| t.kind == MediaKind::Video)
                .count()
                .max(1) as u64;
            let Some(t) = p
                .tracks_out
                .iter_mut()
                .find(|t| t.source == source && t.source_mid == data.mid)
            else {
                continue;
            };
            let Some(mid) = t.mid() else { continue };
            if !matches!(t.state, OutState::Open(_) | OutState::Negotiating(_)) {
                continue;
            }
            if !layers.is_empty() {
                // Simulcast: the best layer that fits this subscriber's share
                // of its estimated downlink; switch only on a keyframe.
                let budget = estimate.map(|e| e * 8 / 10 / video_out);
                let want = pick_layer(&layers, budget);
                if want != t.want {
                    t.want = want;
                    t.need_keyframe = true;
                    wanted_keyframes.push(want);
                }
                if data.rid != t.want {
                    continue;
                }
                if t.need_keyframe {
                    if !keyframe {
                        continue;
                    }
                    t.need_keyframe = false;
                    t.rid = t.want;
                }
            }
            let Some(writer) = p.rtc.writer(mid) else { continue };
            let Some(pt) = writer.match_params(data.params) else {
                continue;
            };
            let mut writer = writer;
            if let Some(level) = data.ext_vals.audio_level {
                writer = writer.audio_level(level, data.ext_vals.voice_activity.unwrap_or(false));
            }
            if writer
                .write(pt, data.network_time, data.time, data.data.clone())
                .is_ok()
            {
                self.stats.frames_out += 1;
            }
            self.mark((room, sub));
        }
        for rid in wanted_keyframes {
            self.request_keyframe(now, room, source, data.mid, rid, KeyframeRequestKind::Pli);
        }
    }

    /// Hands a frame out for recording: audio always, video from a
    /// keyframe on, one simulcast layer (the best at that keyframe).
    fn capture(
        &mut self,
        now: Instant,
        room: MediaRoomId,
        source: PeerId,
        data: &MediaData,
        kind: MediaKind,
        keyframe: bool,
    ) {
        let Some(t) = self
            .peers
            .get_mut(&(room, source))
            .and_then(|p| p.tracks_in.iter_mut().find(|t| t.mid == data.mid))
        else {
            return;
        };
        let screen = t.screen;
        if kind == MediaKind::Video {
            match t.capture_from {
                Some(rid) if rid != data.rid => return,
                Some(_) => {}
                None => {
                    let best = t.layers_by_rate().first().map(|(rid, _)| *rid).unwrap_or(data.rid);
                    if !keyframe || best != data.rid {
                        let mid = data.mid;
                        self.request_keyframe(now, room, source, mid, best, KeyframeRequestKind::Fir);
                        return;
                    }
                    t.capture_from = Some(data.rid);
                }
            }
        }
        use str0m::format::Codec;
        let codec = match data.params.spec().codec {
            Codec::Opus => CaptureCodec::Opus,
            Codec::Vp8 => CaptureCodec::Vp8,
            Codec::Vp9 => CaptureCodec::Vp9,
            _ => CaptureCodec::Other,
        };
        self.stats.frames_captured += 1;
        self.captured.push_back(CapturedFrame {
            room,
            peer: source,
            track: data.mid,
            video: kind == MediaKind::Video,
            screen,
            codec,
            arrived: now,
            rtp_time: data.time.numer(),
            clock_rate: data.time.denom(),
            keyframe,
            data: data.data.clone(),
        });
    }

    fn request_keyframe(
        &mut self,
        now: Instant,
        room: MediaRoomId,
        source: PeerId,
        mid: Mid,
        rid: Option<Rid>,
        kind: KeyframeRequestKind,
    ) {
        let Some(p) = self.peers.get_mut(&(room, source)) else {
            return;
        };
        let Some(t) = p.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return;
        };
        if t.kind != MediaKind::Video {
            return;
        }
        if t.last_keyframe_request
            .is_some_and(|at| now < at + KEYFRAME_REQUEST_GAP)
        {
            return;
        }
        let Some(mut writer) = p.rtc.writer(mid) else { return };
        let kind = if writer.is_request_keyframe_possible(kind) {
            kind
        } else {
            KeyframeRequestKind::Pli
        };
        if writer.request_keyframe(rid, kind).is_ok() {
            t.last_keyframe_request = Some(now);
            self.stats.keyframe_requests += 1;
            self.mark((room, source));
        }
    }
}

fn new_track_out(source: PeerId, t: &TrackIn) -> TrackOut {
    TrackOut {
        source,
        source_mid: t.mid,
        kind: t.kind,
        state: OutState::ToOpen,
        rid: None,
        want: None,
        need_keyframe: !t.rids.is_empty(),
        screen: t.screen,
    }
}

impl TrackIn {
    fn measure(&mut self, now: Instant, rid: Option<Rid>, bytes: usize) {
        let start = *self.window_start.get_or_insert(now);
        *self.layer_bytes.entry(rid).or_default() += bytes as u64;
        let elapsed = now.saturating_duration_since(start);
        if elapsed >= LAYER_WINDOW {
            let ms = elapsed.as_millis().max(1) as u64;
            self.layer_rate = self.layer_bytes.drain().map(|(r, b)| (r, b * 8 * 1000 / ms)).collect();
            self.window_start = Some(now);
        }
    }

    /// The announced layers, lowest bitrate first (announced order until
    /// rates are known).
    fn layers_by_rate(&self) -> Vec<(Option<Rid>, u64)> {
        let mut v: Vec<(Option<Rid>, u64)> = self
            .rids
            .iter()
            .map(|r| (Some(*r), self.layer_rate.get(&Some(*r)).copied().unwrap_or(0)))
            .collect();
        v.sort_by_key(|(_, rate)| *rate);
        v
    }
}

/// The highest layer whose bitrate fits `budget` (the lowest if none does;
/// the highest when there is no estimate yet).
fn pick_layer(layers: &[(Option<Rid>, u64)], budget: Option<u64>) -> Option<Rid> {
    let Some(budget) = budget else {
        return layers.last().and_then(|l| l.0);
    };
    layers
        .iter()
        .rev()
        .find(|(_, rate)| *rate <= budget)
        .or(layers.first())
        .and_then(|l| l.0)
}

/// Make an offer if the peer has tracks to add or stop and none is in flight.
fn negotiate(p: &mut Peer, key: Key, events: &mut VecDeque<SfuEvent>) {
    if p.pending.is_some()
        || !p
            .tracks_out
            .iter()
            .any(|t| matches!(t.state, OutState::ToOpen | OutState::ToStop(_)))
    {
        return;
    }
    let mut change = p.rtc.sdp_api();
    for t in &mut p.tracks_out {
        match t.state {
            OutState::ToOpen => {
                // The stream ID tells the peer whose track this is, and
                // whether it is a shared screen (`s`) or a camera or
                // microphone (`p`).
                let mid = change.add_media(
                    t.kind,
                    Direction::SendOnly,
                    Some(format!("{}{}", if t.screen { 's' } else { 'p' }, t.source.0)),
                    None,
                    None,
                );
                t.state = OutState::Negotiating(mid);
            }
            OutState::ToStop(mid) => {
                change.stop_media(mid);
                t.state = OutState::NegotiatingStop(mid);
            }
            _ => {}
        }
    }
    if let Some((offer, pending)) = change.apply() {
        p.pending = Some(pending);
        events.push_back(SfuEvent::Offer {
            room: key.0,
            peer: key.1,
            sdp: offer.to_sdp_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_gets_the_best_simulcast_layer_its_downlink_carries() {
        let (l, m, h) = (Rid::from("l"), Rid::from("m"), Rid::from("h"));
        let layers = vec![(Some(l), 150_000), (Some(m), 500_000), (Some(h), 1_500_000)];
        assert_eq!(pick_layer(&layers, None), Some(h));
        assert_eq!(pick_layer(&layers, Some(2_000_000)), Some(h));
        assert_eq!(pick_layer(&layers, Some(800_000)), Some(m));
        assert_eq!(pick_layer(&layers, Some(200_000)), Some(l));
        // Below every layer: the lowest rather than nothing.
        assert_eq!(pick_layer(&layers, Some(10_000)), Some(l));
    }

    #[test]
    fn video_sections_are_found_unless_disabled() {
        assert!(offers_video(
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        ));
        assert!(!offers_video(
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
        ));
        assert!(!offers_video("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
    }
}
