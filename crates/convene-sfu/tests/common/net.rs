//! A simulated network for the SFU and in-process str0m peers (1 ms each
//! way, optional loss), in simulated time; shared by the forwarding tests
//! and the `sfu_core` benchmark.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use convene_sfu::client::MediaClient;
use convene_sfu::{MediaRoomId, PeerId, Policy, Sfu, SfuError, SfuEvent};

pub const ROOM: MediaRoomId = MediaRoomId(7);

pub struct Net {
    pub now: Instant,
    pub epoch: Instant,
    pub sfu: Sfu,
    pub clients: Vec<MediaClient>,
    pub wire: VecDeque<(Instant, SocketAddr, SocketAddr, Vec<u8>)>,
    /// Drop every n-th datagram from the SFU to this address.
    pub lossy: Option<(SocketAddr, u64)>,
    pub sent_to_lossy: u64,
    pub dropped: u64,
    pub speakers: Vec<Option<PeerId>>,
    pub offers: u64,
    /// Wall time spent inside the SFU's own calls (for the benchmark).
    pub sfu_busy: Duration,
}

pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Net {
    pub fn new() -> Net {
        let now = Instant::now();
        Net {
            now,
            epoch: now,
            sfu: Sfu::new(addr(5000), now),
            clients: Vec::new(),
            wire: VecDeque::new(),
            lossy: None,
            sent_to_lossy: 0,
            dropped: 0,
            speakers: Vec::new(),
            offers: 0,
            sfu_busy: Duration::ZERO,
        }
    }

    pub fn join_with(&mut self, id: u64, audio: bool, video: bool, policy: Policy) -> Result<usize, SfuError> {
        let (mut c, offer) = MediaClient::new(self.now, self.epoch, id, addr(6000 + id as u16), audio, video);
        let answer = self.sfu.add_peer(self.now, ROOM, PeerId(id), &offer, policy)?;
        c.accept_answer(self.now, &answer).unwrap();
        self.clients.push(c);
        self.pump();
        Ok(self.clients.len() - 1)
    }

    /// A publisher with a camera and a shared screen (two video tracks).
    pub fn join_sharing(&mut self, id: u64, policy: Policy) -> usize {
        let (mut c, offer) = MediaClient::with_screen(self.now, self.epoch, id, addr(6000 + id as u16));
        let answer = self.sfu.add_peer(self.now, ROOM, PeerId(id), &offer, policy).unwrap();
        c.accept_answer(self.now, &answer).unwrap();
        self.clients.push(c);
        self.pump();
        self.clients.len() - 1
    }

    pub fn join(&mut self, id: u64) -> usize {
        self.join_with(id, true, true, Policy::OPEN).unwrap()
    }

    pub fn client(&self, id: u64) -> &MediaClient {
        self.clients.iter().find(|c| c.id == id).unwrap()
    }

    pub fn client_mut(&mut self, id: u64) -> &mut MediaClient {
        self.clients.iter_mut().find(|c| c.id == id).unwrap()
    }

    /// Move datagrams onto the wire and signalling to the clients.
    pub fn pump(&mut self) {
        let at = self.now + Duration::from_millis(1);
        let started = Instant::now();
        let mut transmits = Vec::new();
        while let Some(t) = self.sfu.poll_transmit() {
            transmits.push(t);
        }
        self.sfu_busy += started.elapsed();
        for t in transmits {
            if let Some((to, n)) = self.lossy {
                if t.destination == to {
                    self.sent_to_lossy += 1;
                    if self.sent_to_lossy.is_multiple_of(n) {
                        self.dropped += 1;
                        continue;
                    }
                }
            }
            self.wire.push_back((at, t.source, t.destination, t.contents.to_vec()));
        }
        for c in &mut self.clients {
            while let Some(t) = c.poll_transmit() {
                self.wire.push_back((at, t.source, t.destination, t.contents.to_vec()));
            }
        }
        while let Some(e) = self.sfu.poll_event() {
            match e {
                SfuEvent::Offer { peer, sdp, .. } => {
                    self.offers += 1;
                    let now = self.now;
                    let Some(c) = self.clients.iter_mut().find(|c| c.id == peer.0) else {
                        continue;
                    };
                    let answer = c.accept_offer(now, &sdp).unwrap();
                    self.sfu.accept_answer(now, ROOM, peer, &answer).unwrap();
                }
                SfuEvent::ActiveSpeaker { peer, .. } => self.speakers.push(peer),
                SfuEvent::PeerClosed { .. } => {}
            }
        }
    }

    pub fn run(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += Duration::from_millis(1);
            let now = self.now;
            while self.wire.front().is_some_and(|w| w.0 <= now) {
                let (_, from, to, data) = self.wire.pop_front().unwrap();
                if to == self.sfu.local_addr() {
                    let started = Instant::now();
                    self.sfu.handle_datagram(now, from, &data);
                    self.sfu_busy += started.elapsed();
                } else if let Some(c) = self.clients.iter_mut().find(|c| c.local_addr() == to) {
                    c.handle_datagram(now, from, &data);
                }
                self.pump();
            }
            let started = Instant::now();
            if self.sfu.next_timeout().is_some_and(|t| t <= now) {
                self.sfu.handle_timeout(now);
            }
            self.sfu_busy += started.elapsed();
            for c in &mut self.clients {
                if c.next_timeout() <= now {
                    c.handle_timeout(now);
                }
            }
            self.pump();
        }
    }
}

pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}
