//! A synthetic WebRTC participant on str0m, sans-IO like the SFU: it offers
//! audio and/or video, answers the SFU's offers, sends Opus- and VP8-sized
//! frames at realistic rates and counts what it receives. The SFU's tests
//! drive it over a simulated network; `convene bench media` drives it over
//! real UDP sockets.
//!
//! Every frame it sends carries a small tag: the sender, a frame number and
//! the send time in microseconds since a shared epoch, so a receiver knows
//! whose frame it got, what it missed and how long it took.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaKind, Mid};
use str0m::net::{Protocol, Transmit};
use str0m::{Candidate, Event, Input, Output, Rtc};

/// Audio: one 20 ms Opus frame of about 32 kbit/s.
pub const AUDIO_FRAME_BYTES: usize = 80;
pub const AUDIO_INTERVAL: Duration = Duration::from_millis(20);
/// Video: 30 frames/s; a delta frame of ~1 packet, a keyframe of several.
pub const VIDEO_INTERVAL: Duration = Duration::from_micros(33_333);
pub const VIDEO_FRAME_BYTES: usize = 1_000;
pub const KEYFRAME_BYTES: usize = 6_000;
/// How often a publisher sends a keyframe unasked.
pub const KEYFRAME_INTERVAL: u64 = 90;

const TAG: usize = 1 + 8 + 8 + 8;

/// What one received track saw.
#[derive(Debug, Default, Clone)]
pub struct Received {
    pub kind: Option<MediaKind>,
    /// The sender's tag (from the frames), 0 until the first frame.
    pub from: u64,
    pub frames: u64,
    pub bytes: u64,
    pub keyframes: u64,
    /// Frames whose number skipped ahead (lost and not recovered).
    pub gaps: u64,
    pub last_number: Option<u64>,
    /// Audio level of the last frame, if it carried one.
    pub last_level: Option<i8>,
}

/// Real encoded media for a client to send instead of its tagged frames
/// (a test that decodes what was recorded): Opus packets of 20 ms and VP8
/// frames at 30 frames/s, sent in a loop.
#[derive(Debug, Clone, Default)]
pub struct MediaSource {
    pub audio: Vec<std::sync::Arc<[u8]>>,
    /// Each frame and whether it is a keyframe.
    pub video: Vec<(std::sync::Arc<[u8]>, bool)>,
}

pub struct MediaClient {
    pub id: u64,
    /// What it sends, if not tagged frames.
    source: Option<MediaSource>,
    rtc: Rtc,
    local: SocketAddr,
    pending: Option<SdpPendingOffer>,
    audio: Option<Mid>,
    video: Option<Mid>,
    /// A shared screen: a second video track, sent like the camera.
    screen: Option<Mid>,
    timeout: Instant,
    next_audio: Option<Instant>,
    next_video: Option<Instant>,
    audio_number: u64,
    video_number: u64,
    force_keyframe: bool,
    epoch: Instant,
    /// What came in, per track (the SFU's mid on this connection).
    pub received: HashMap<Mid, Received>,
    /// Keyframe requests the SFU sent this publisher.
    pub keyframe_requests: u64,
    /// One-way latencies of received frames, in microseconds (drained by the owner).
    pub latencies_us: Vec<u64>,
    /// Frames sent.
    pub sent_frames: u64,
    pub audio_level: i8,
    /// Sends its video as two simulcast layers.
    layered: bool,
    pub connected: bool,
    /// RTP packets that arrived (counted off the wire, before decryption),
    /// whatever sent them: what a benchmark counts for any SFU.
    pub rtp_received: u64,
    transmits: VecDeque<Transmit>,
}

impl MediaClient {
    /// A participant at `local` that publishes audio and/or video (or
    /// nothing: it only receives); returns it and its offer. `epoch` is shared by all clients of a test or
    /// benchmark so that latencies can be read from the tags.
    pub fn new(now: Instant, epoch: Instant, id: u64, local: SocketAddr, audio: bool, video: bool) -> (Self, String) {
        Self::with_layers(now, epoch, id, local, audio, video, false)
    }

    /// Like [`MediaClient::new`]; with `simulcast` the video goes out in two
    /// layers, `l` (a fifth of the size) and `h`, as browsers send simulcast.
    pub fn with_layers(
        now: Instant,
        epoch: Instant,
        id: u64,
        local: SocketAddr,
        audio: bool,
        video: bool,
        simulcast: bool,
    ) -> (Self, String) {
        let simulcast = simulcast.then(|| {
            let mut s = str0m::media::Simulcast::new();
            s.add_send_layer(str0m::media::SimulcastLayer::new("l"));
            s.add_send_layer(str0m::media::SimulcastLayer::new("h"));
            s
        });
        let layered = simulcast.is_some();
        let mut rtc = Rtc::builder().set_stats_interval(None).build(now);
        if let Ok(c) = Candidate::host(local, Protocol::Udp) {
            rtc.add_local_candidate(c);
        }
        let mut change = rtc.sdp_api();
        let a = audio.then(|| change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None));
        let v = video.then(|| change.add_media(MediaKind::Video, Direction::SendOnly, None, None, simulcast.clone()));
        if !audio && !video {
            // A receive-only participant still needs something to offer.
            change.add_channel("convene".into());
        }
        #[allow(clippy::expect_used)]
        let (offer, pending) = change.apply().expect("a media section or a channel is always added");
        let client = MediaClient {
            id,
            source: None,
            rtc,
            local,
            pending: Some(pending),
            audio: a,
            video: v,
            screen: None,
            timeout: now,
            next_audio: None,
            next_video: None,
            audio_number: 0,
            video_number: 0,
            force_keyframe: true,
            epoch,
            received: HashMap::new(),
            keyframe_requests: 0,
            latencies_us: Vec::new(),
            sent_frames: 0,
            audio_level: -30,
            layered,
            connected: false,
            rtp_received: 0,
            transmits: VecDeque::new(),
        };
        (client, offer.to_sdp_string())
    }

    /// A participant that publishes audio, camera video and a shared
    /// screen (a second video track, as the browser client offers it).
    pub fn with_screen(now: Instant, epoch: Instant, id: u64, local: SocketAddr) -> (Self, String) {
        let mut rtc = Rtc::builder().set_stats_interval(None).build(now);
        if let Ok(c) = Candidate::host(local, Protocol::Udp) {
            rtc.add_local_candidate(c);
        }
        let mut change = rtc.sdp_api();
        let a = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let v = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let sc = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        #[allow(clippy::expect_used)]
        let (offer, pending) = change.apply().expect("media sections were added");
        let (mut client, _) = Self::new(now, epoch, id, local, false, false);
        client.rtc = rtc;
        client.pending = Some(pending);
        client.audio = Some(a);
        client.video = Some(v);
        client.screen = Some(sc);
        (client, offer.to_sdp_string())
    }

    /// A receive-only participant that waits for the SFU's offer, as a
    /// subscriber does in SFUs that offer first (Janus's VideoRoom): its own
    /// offer is never sent, and str0m rolls it back when the SFU's arrives.
    pub fn answerer(now: Instant, epoch: Instant, id: u64, local: SocketAddr) -> Self {
        let (mut client, _) = Self::new(now, epoch, id, local, false, false);
        client.pending = None;
        client
    }

    /// Sends this media (in a loop) instead of tagged frames.
    pub fn set_source(&mut self, source: MediaSource) {
        self.source = Some(source);
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The SFU's answer to our offer.
    pub fn accept_answer(&mut self, now: Instant, sdp: &str) -> Result<(), String> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| e.to_string())?;
        let pending = self.pending.take().ok_or("no offer pending")?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| e.to_string())?;
        self.poll(now);
        Ok(())
    }

    /// An offer from the SFU (tracks of others added or stopped); returns our answer.
    pub fn accept_offer(&mut self, now: Instant, sdp: &str) -> Result<String, String> {
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| e.to_string())?;
        let answer = self.rtc.sdp_api().accept_offer(offer).map_err(|e| e.to_string())?;
        self.poll(now);
        Ok(answer.to_sdp_string())
    }

    pub fn handle_datagram(&mut self, now: Instant, source: SocketAddr, data: &[u8]) {
        let Some(input) = crate::udp_input(now, source, self.local, data) else {
            return;
        };
        if crate::is_rtp(data) {
            self.rtp_received += 1;
        }
        if self.rtc.accepts(&input) {
            let _ = self.rtc.handle_input(input);
        }
        self.poll(now);
    }

    /// Drive time: sends the frames that are due and handles timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.connected {
            self.send_due(now);
        }
        if now >= self.timeout {
            let _ = self.rtc.handle_input(Input::Timeout(now));
        }
        self.poll(now);
    }

    pub fn next_timeout(&self) -> Instant {
        let mut t = self.timeout;
        if self.connected {
            for x in [self.next_audio, self.next_video].into_iter().flatten() {
                t = t.min(x);
            }
        }
        t
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn is_alive(&self) -> bool {
        self.rtc.is_alive()
    }

    /// Stop sending (the client's own choice, e.g. a muted microphone).
    pub fn stop_audio(&mut self) {
        self.next_audio = None;
        self.audio = None;
    }

    /// Ask for a keyframe on a received video track.
    pub fn request_keyframe(&mut self, now: Instant, mid: Mid) {
        if let Some(mut w) = self.rtc.writer(mid) {
            let _ = w.request_keyframe(None, KeyframeRequestKind::Pli);
        }
        self.poll(now);
    }

    /// Frames received from sender `from` of `kind`.
    pub fn frames_from(&self, from: u64, kind: MediaKind) -> u64 {
        self.received
            .values()
            .filter(|r| r.from == from && r.kind == Some(kind))
            .map(|r| r.frames)
            .sum()
    }

    /// Received tracks of `kind` (open or not).
    pub fn tracks(&self, kind: MediaKind) -> Vec<Mid> {
        self.received
            .iter()
            .filter(|(_, r)| r.kind == Some(kind))
            .map(|(m, _)| *m)
            .collect()
    }

    fn frame(&self, number: u64, now: Instant, len: usize, keyframe: bool) -> Vec<u8> {
        let mut f = vec![0u8; len.max(TAG)];
        // VP8 payload header: bit 0 clear means a keyframe.
        f[0] = if keyframe { 0x10 } else { 0x11 };
        f[1..9].copy_from_slice(&self.id.to_be_bytes());
        f[9..17].copy_from_slice(&number.to_be_bytes());
        let us = now.saturating_duration_since(self.epoch).as_micros() as u64;
        f[17..25].copy_from_slice(&us.to_be_bytes());
        f
    }

    fn send_due(&mut self, now: Instant) {
        if let Some(mid) = self.audio {
            let due = *self.next_audio.get_or_insert(now);
            if now >= due {
                self.audio_number += 1;
                let data = match self.source.as_ref().filter(|s| !s.audio.is_empty()) {
                    Some(s) => s.audio[(self.audio_number as usize - 1) % s.audio.len()].to_vec(),
                    None => self.frame(self.audio_number, now, AUDIO_FRAME_BYTES, false),
                };
                if let Some(w) = self.rtc.writer(mid) {
                    let pt = w.payload_params().next().map(|p| p.pt());
                    if let Some(pt) = pt {
                        let rtp = str0m::media::MediaTime::new(
                            self.audio_number * 960,
                            str0m::media::Frequency::FORTY_EIGHT_KHZ,
                        );
                        let w = w.audio_level(self.audio_level, self.audio_level > -50);
                        if w.write(pt, now, rtp, data).is_ok() {
                            self.sent_frames += 1;
                        }
                    }
                }
                self.next_audio = Some(due + AUDIO_INTERVAL);
            }
        }
        if let Some(mid) = self.video {
            let due = *self.next_video.get_or_insert(now);
            if now >= due {
                self.video_number += 1;
                let real = self
                    .source
                    .as_ref()
                    .filter(|s| !s.video.is_empty())
                    .map(|s| s.video[(self.video_number as usize - 1) % s.video.len()].clone());
                let keyframe = match &real {
                    // Real frames are what they are: a requested keyframe
                    // comes with the source's next one.
                    Some((_, k)) => *k,
                    None => self.force_keyframe || self.video_number % KEYFRAME_INTERVAL == 1,
                };
                self.force_keyframe = false;
                let len = if keyframe { KEYFRAME_BYTES } else { VIDEO_FRAME_BYTES };
                let layers: &[(Option<&str>, usize)] = if self.layered {
                    &[(Some("l"), 5), (Some("h"), 1)]
                } else {
                    &[(None, 1)]
                };
                for (rid, divisor) in layers {
                    let data = match &real {
                        Some((d, _)) => d.to_vec(),
                        None => self.frame(self.video_number, now, len / divisor, keyframe),
                    };
                    if let Some(w) = self.rtc.writer(mid) {
                        let vp8 = w.payload_params().find(|p| p.spec().codec == str0m::format::Codec::Vp8);
                        let pt = vp8.map(|p| p.pt());
                        let w = match rid {
                            Some(r) => w.rid((*r).into()),
                            None => w,
                        };
                        if let Some(pt) = pt {
                            let rtp = str0m::media::MediaTime::new(
                                self.video_number * 3000,
                                str0m::media::Frequency::NINETY_KHZ,
                            );
                            if w.write(pt, now, rtp, data).is_ok() {
                                self.sent_frames += 1;
                            }
                        }
                    }
                }
                if let Some(sc) = self.screen {
                    let data = match &real {
                        Some((d, _)) => d.to_vec(),
                        None => self.frame(self.video_number, now, len, keyframe),
                    };
                    if let Some(w) = self.rtc.writer(sc) {
                        let pt = w
                            .payload_params()
                            .find(|p| p.spec().codec == str0m::format::Codec::Vp8)
                            .map(|p| p.pt());
                        if let Some(pt) = pt {
                            let rtp = str0m::media::MediaTime::new(
                                self.video_number * 3000,
                                str0m::media::Frequency::NINETY_KHZ,
                            );
                            if w.write(pt, now, rtp, data).is_ok() {
                                self.sent_frames += 1;
                            }
                        }
                    }
                }
                self.next_video = Some(due + VIDEO_INTERVAL);
            }
        }
    }

    fn poll(&mut self, _now: Instant) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.timeout = t;
                    break;
                }
                Ok(Output::Transmit(t)) => self.transmits.push_back(t),
                Ok(Output::Event(e)) => match e {
                    Event::Connected => self.connected = true,
                    Event::MediaAdded(m) if m.direction.is_receiving() => {
                        self.received.entry(m.mid).or_default().kind = Some(m.kind);
                    }
                    Event::MediaData(d) => {
                        let r = self.received.entry(d.mid).or_default();
                        r.frames += 1;
                        r.bytes += d.data.len() as u64;
                        r.last_level = d.ext_vals.audio_level;
                        if d.data.len() >= TAG {
                            let num = |i: usize| {
                                let mut b = [0u8; 8];
                                b.copy_from_slice(&d.data[i..i + 8]);
                                u64::from_be_bytes(b)
                            };
                            r.from = num(1);
                            let number = num(9);
                            // Frames of a real source carry no tag: what
                            // reads as one is checked, never trusted.
                            if let Some(last) = r.last_number {
                                if number > last.saturating_add(1) {
                                    r.gaps = r.gaps.saturating_add(number - last - 1);
                                }
                            }
                            r.last_number = Some(number);
                            if let Some(sent) = self.epoch.checked_add(Duration::from_micros(num(17))) {
                                self.latencies_us
                                    .push(d.network_time.saturating_duration_since(sent).as_micros() as u64);
                            }
                            if d.data[0] == 0x10 {
                                r.keyframes += 1;
                            }
                        }
                    }
                    Event::KeyframeRequest(_) => {
                        self.keyframe_requests += 1;
                        self.force_keyframe = true;
                    }
                    _ => {}
                },
                Err(_) => {
                    self.rtc.disconnect();
                    break;
                }
            }
        }
    }
}
