//! The media plane of a node: a few SFU workers, each a thread with its own
//! UDP socket and its own [`convene_sfu::Sfu`]. A meeting's room lives on
//! one worker (chosen when the meeting task starts), so its peers forward to
//! each other without crossing threads. Meeting tasks talk to a worker by
//! [`WorkerCmd`]s; the worker sends back the SFU's events for that room.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use convene_proto::live::IceServer;
use convene_sfu::{MediaRoomId, PeerId, Policy, Sfu, SfuError, SfuEvent, Stats};
use hmac::{Hmac, Mac};
use tokio::sync::{mpsc, oneshot};

/// What a meeting task asks of its room's worker.
pub enum WorkerCmd {
    AddPeer {
        room: MediaRoomId,
        peer: PeerId,
        sdp: String,
        policy: Policy,
        events: mpsc::UnboundedSender<SfuEvent>,
        reply: oneshot::Sender<Result<String, SfuError>>,
    },
    Offer {
        room: MediaRoomId,
        peer: PeerId,
        sdp: String,
        reply: oneshot::Sender<Result<String, SfuError>>,
    },
    Answer {
        room: MediaRoomId,
        peer: PeerId,
        sdp: String,
        reply: oneshot::Sender<Result<(), SfuError>>,
    },
    Policy {
        room: MediaRoomId,
        peer: PeerId,
        policy: Policy,
    },
    Remove {
        room: MediaRoomId,
        peer: PeerId,
    },
    RemoveRoom {
        room: MediaRoomId,
    },
    Stats {
        reply: oneshot::Sender<(Stats, usize)>,
    },
    /// Start capturing the room's media into files in `dir` (a recording
    /// segment).
    CaptureStart {
        room: MediaRoomId,
        dir: std::path::PathBuf,
    },
    /// Stop capturing it; `done` hears what was written once the files
    /// are closed.
    CaptureStop {
        room: MediaRoomId,
        done: oneshot::Sender<crate::record::capture::Captured>,
    },
}

/// How the media plane is set up (from the server configuration).
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// The address the UDP sockets bind to and offer as host candidate.
    pub ip: IpAddr,
    /// UDP ports to bind, one per worker (0..=0: any free port).
    pub ports: (u16, u16),
    pub workers: usize,
    /// TURN relay URLs handed to browsers (`turn:host:3478?transport=tcp`...).
    pub turn_urls: Vec<String>,
    /// The relay's shared secret (coturn `use-auth-secret`): browsers get
    /// time-limited credentials derived from it.
    pub turn_secret: Option<String>,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            ip: IpAddr::from([127, 0, 0, 1]),
            ports: (0, 0),
            workers: 1,
            turn_urls: Vec::new(),
            turn_secret: None,
        }
    }
}

struct Worker {
    tx: mpsc::UnboundedSender<WorkerCmd>,
    addr: SocketAddr,
}

/// A node's SFU workers.
pub struct MediaNode {
    workers: Vec<Worker>,
    /// Where recorded rooms' frames go.
    pub capture: crate::record::capture::Capture,
    next_room: AtomicU64,
    config: MediaConfig,
}

impl MediaNode {
    /// Binds one UDP socket per worker and starts the worker threads.
    pub fn start(config: MediaConfig) -> anyhow::Result<MediaNode> {
        let capture = crate::record::capture::Capture::start().context("starting the capture writer")?;
        let mut workers = Vec::new();
        let mut port = config.ports.0;
        for i in 0..config.workers.max(1) {
            let socket = loop {
                let addr = SocketAddr::new(config.ip, port);
                match std::net::UdpSocket::bind(addr) {
                    Ok(s) => break s,
                    Err(e) if port != 0 && port < config.ports.1 => {
                        tracing::debug!(%addr, error = %e, "media port taken, trying the next");
                        port += 1;
                    }
                    Err(e) => return Err(e).with_context(|| format!("binding the media UDP socket on {addr}")),
                }
            };
            if port != 0 {
                port += 1;
            }
            socket.set_nonblocking(true)?;
            let addr = socket.local_addr()?;
            let (tx, rx) = mpsc::unbounded_channel();
            let cap = capture.clone();
            std::thread::Builder::new().name(format!("sfu-{i}")).spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "starting an SFU worker");
                        return;
                    }
                };
                rt.block_on(run_worker(socket, rx, cap));
            })?;
            tracing::info!(%addr, "media worker listening (UDP)");
            workers.push(Worker { tx, addr });
        }
        Ok(MediaNode {
            workers,
            capture,
            next_room: AtomicU64::new(1),
            config,
        })
    }

    /// A new room, placed on the next worker in turn.
    pub fn new_room(&self) -> (MediaRoomId, mpsc::UnboundedSender<WorkerCmd>) {
        let id = self.next_room.fetch_add(1, Ordering::Relaxed);
        let w = &self.workers[(id as usize) % self.workers.len()];
        (MediaRoomId(id), w.tx.clone())
    }

    pub fn udp_addrs(&self) -> Vec<SocketAddr> {
        self.workers.iter().map(|w| w.addr).collect()
    }

    /// Counters summed over the workers, and the number of media connections.
    pub async fn stats(&self) -> (Stats, usize) {
        let mut total = Stats::default();
        let mut peers = 0;
        for w in &self.workers {
            let (tx, rx) = oneshot::channel();
            if w.tx.send(WorkerCmd::Stats { reply: tx }).is_ok() {
                if let Ok((s, n)) = rx.await {
                    total += s;
                    peers += n;
                }
            }
        }
        (total, peers)
    }

    /// ICE servers for a participant: the configured TURN relays, with
    /// credentials valid for a day (the TURN REST API scheme coturn knows).
    pub fn ice_servers(&self, now: i64, who: &str) -> Vec<IceServer> {
        if self.config.turn_urls.is_empty() {
            return Vec::new();
        }
        let (username, credential) = match &self.config.turn_secret {
            Some(secret) => {
                let username = format!("{}:{who}", now + 24 * 3600);
                let credential = turn_credential(secret, &username);
                (Some(username), Some(credential))
            }
            None => (None, None),
        };
        vec![IceServer {
            urls: self.config.turn_urls.clone(),
            username,
            credential,
        }]
    }
}

/// `GET /v1/convene/media/stats`: the media plane's counters, for
/// benchmarks and monitoring; answered to loopback callers only.
pub async fn stats_handler(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !peer.ip().is_loopback() {
        return crate::error::hidden();
    }
    let (s, connections) = state.live.media.stats().await;
    axum::Json(convene_proto::live::MediaStats {
        connections,
        frames_in: s.frames_in,
        frames_out: s.frames_out,
        frames_blocked: s.frames_blocked,
        keyframe_requests: s.keyframe_requests,
        rtp_in: s.rtp_in,
        rtp_out: s.rtp_out,
        timer_turns: s.timer_turns,
        frames_captured: s.frames_captured,
        capture_dropped: state.live.media.capture.dropped(),
    })
    .into_response()
}

/// base64(HMAC-SHA1(secret, username)): the TURN REST API password.
pub fn turn_credential(secret: &str, username: &str) -> String {
    use base64::Engine;
    // HMAC takes keys of any length.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// How many datagrams a worker reads in a row before it sends what they caused.
const READ_BURST: usize = 64;

async fn run_worker(
    socket: std::net::UdpSocket,
    mut rx: mpsc::UnboundedReceiver<WorkerCmd>,
    capture: crate::record::capture::Capture,
) {
    let Ok(socket) = tokio::net::UdpSocket::from_std(socket) else {
        return;
    };
    let Ok(local) = socket.local_addr() else { return };
    let mut sfu = Sfu::new(local, Instant::now());
    let mut rooms: HashMap<MediaRoomId, mpsc::UnboundedSender<SfuEvent>> = HashMap::new();
    // Captured rooms, and the frames each had to drop.
    let mut captured: HashMap<MediaRoomId, u64> = HashMap::new();
    let mut buf = vec![0u8; convene_sfu::RECV_BUFFER];
    loop {
        let deadline = sfu
            .next_timeout()
            .unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(1));
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                if let Ok((n, from)) = r {
                    sfu.handle_datagram(Instant::now(), from, &buf[..n]);
                    // Take what else is already waiting before sending.
                    for _ in 0..READ_BURST {
                        match socket.try_recv_from(&mut buf) {
                            Ok((n, from)) => {
                                sfu.handle_datagram(Instant::now(), from, &buf[..n]);
                            }
                            Err(_) => break,
                        }
                    }
                }
            }
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { break };
                match cmd {
                    WorkerCmd::CaptureStart { room, dir } => {
                        let now = Instant::now();
                        capture.begin(room, dir, now);
                        captured.insert(room, 0);
                        sfu.set_capture(now, room, true);
                    }
                    WorkerCmd::CaptureStop { room, done } => {
                        sfu.set_capture(Instant::now(), room, false);
                        take_captured(&mut sfu, &capture, &mut captured);
                        let dropped = captured.remove(&room).unwrap_or(0);
                        capture.end(room, dropped, done);
                    }
                    cmd => handle_cmd(&mut sfu, &mut rooms, cmd),
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                sfu.handle_timeout(Instant::now());
            }
        }
        let now = Instant::now();
        if sfu.next_timeout().is_some_and(|t| t <= now) {
            sfu.handle_timeout(now);
        }
        take_captured(&mut sfu, &capture, &mut captured);
        while let Some(t) = sfu.poll_transmit() {
            if let Err(e) = socket.try_send_to(&t.contents, t.destination) {
                if e.kind() == std::io::ErrorKind::WouldBlock {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
            }
        }
        while let Some(e) = sfu.poll_event() {
            let room = match &e {
                SfuEvent::Offer { room, .. }
                | SfuEvent::ActiveSpeaker { room, .. }
                | SfuEvent::PeerClosed { room, .. } => *room,
            };
            if let Some(tx) = rooms.get(&room) {
                let _ = tx.send(e);
            }
        }
        rooms.retain(|r, tx| !tx.is_closed() || !sfu.room_peers(*r).is_empty());
    }
}

/// Hands the captured frames to the capture writer, counting per room
/// those it could not take (only for rooms still capturing: a count is
/// made at `CaptureStart` and taken at `CaptureStop`, so none outlives it).
fn take_captured(sfu: &mut Sfu, capture: &crate::record::capture::Capture, rooms: &mut HashMap<MediaRoomId, u64>) {
    while let Some(f) = sfu.poll_captured() {
        let room = f.room;
        if !capture.frame(f) {
            if let Some(n) = rooms.get_mut(&room) {
                *n += 1;
            }
        }
    }
}

fn handle_cmd(sfu: &mut Sfu, rooms: &mut HashMap<MediaRoomId, mpsc::UnboundedSender<SfuEvent>>, cmd: WorkerCmd) {
    let now = Instant::now();
    match cmd {
        WorkerCmd::AddPeer {
            room,
            peer,
            sdp,
            policy,
            events,
            reply,
        } => {
            rooms.insert(room, events);
            let _ = reply.send(sfu.add_peer(now, room, peer, &sdp, policy));
        }
        WorkerCmd::Offer { room, peer, sdp, reply } => {
            let _ = reply.send(sfu.accept_offer(now, room, peer, &sdp));
        }
        WorkerCmd::Answer { room, peer, sdp, reply } => {
            let _ = reply.send(sfu.accept_answer(now, room, peer, &sdp));
        }
        WorkerCmd::Policy { room, peer, policy } => sfu.set_policy(now, room, peer, policy),
        WorkerCmd::Remove { room, peer } => sfu.remove_peer(room, peer),
        WorkerCmd::RemoveRoom { room } => {
            sfu.remove_room(room);
            rooms.remove(&room);
        }
        WorkerCmd::Stats { reply } => {
            let _ = reply.send((sfu.stats(), sfu.peer_count()));
        }
        // Handled by the worker's loop (they need the capture writer).
        WorkerCmd::CaptureStart { .. } | WorkerCmd::CaptureStop { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TURN REST API example (draft-uberti-behave-turn-rest-00 style):
    /// checked against `echo -n user | openssl dgst -sha1 -hmac secret -binary | base64`.
    #[test]
    fn turn_credentials_are_hmac_sha1_in_base64() {
        assert_eq!(
            turn_credential("secret", "1700000000:alice"),
            "d8soP47RbdIKLDUOpnJPVQyq5Ts="
        );
    }
}
