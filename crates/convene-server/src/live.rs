//! Live meetings: one task per meeting owns its `convene_core::live::Live`,
//! feeds it joins, control requests, disconnects and time, delivers the
//! events it produces to the participants' WebSockets, and tells storage when
//! the meeting ends or its end time moves.
//!
//! Events are serialized once and shared; the last [`RING`] of them are kept
//! with their recipients so that a participant who reconnects within the grace
//! period receives what it missed. The task stops when the meeting ends or
//! empties (it is started again by the next join); what the hosts changed
//! (lock, mute-all, waiting room, prolonging left) is stored as it changes and
//! read back by the next task, so an emptied meeting keeps it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use convene_core::guard::{Gate, PasswordGuard};
use convene_core::live::{self as rules, Action, Audience, JoinRequest, Live, Outbox, ParticipantId, Refusal};
use convene_core::{ConfId, ConfState, Meeting};
use convene_proto::live::{Event, ServerMsg};
use convene_proto::{ConfRole, MediaType, SdkErr};
use convene_sfu::{PeerId, Policy, RoomId, SfuError, SfuEvent};
use convene_store::Store;
use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::media::{MediaNode, WorkerCmd};

/// Events kept for replay after a reconnect.
const RING: usize = 1024;
/// Events larger than this (whole attendee lists of a big meeting, sent to
/// one participant) are not kept for replay: a resume that missed one gets
/// a fresh view instead. Keeps the ring's memory small (a 1,000-person
/// meeting's list is ~200 KB).
const RING_MSG_BYTES: usize = 4096;
/// Messages queued for one connection before it counts as too slow (it is
/// then dropped, the participant counts as disconnected, and may resume
/// within the grace period).
const CONN_QUEUE: usize = 1024;
/// Bytes queued for one connection before it counts as too slow likewise.
pub const CONN_QUEUE_BYTES: usize = 1 << 20;

/// A participant's connection to its meeting task.
pub struct Attached {
    pub participant: ParticipantId,
    pub role: ConfRole,
    pub resume_token: String,
    pub conn: u64,
    pub rx: mpsc::Receiver<Arc<str>>,
    /// Bytes in `rx` not yet written to the socket (the socket's side
    /// takes off what it wrote).
    pub queued: Arc<AtomicUsize>,
    pub meeting: mpsc::Sender<Cmd>,
}

pub enum Cmd {
    Join {
        req: JoinRequest,
        reply: oneshot::Sender<Result<Attached, Refusal>>,
    },
    Resume {
        participant: ParticipantId,
        token: String,
        last_seq: u64,
        reply: oneshot::Sender<Result<Attached, Refusal>>,
    },
    Control {
        by: ParticipantId,
        action: Action,
        reply: oneshot::Sender<Result<(), Refusal>>,
    },
    Leave {
        participant: ParticipantId,
        conn: u64,
    },
    Disconnect {
        participant: ParticipantId,
        conn: u64,
    },
    /// Media signalling from a participant's WebSocket.
    Media {
        participant: ParticipantId,
        conn: u64,
        req: MediaReq,
        reply: oneshot::Sender<Result<Option<String>, Refusal>>,
    },
}

pub enum MediaReq {
    /// Open (or renegotiate from the client's side) the media connection.
    Offer(String),
    /// The answer to the SFU's offer.
    Answer(String),
    Close,
}

/// The live meetings of this node.
pub struct LiveHub {
    tasks: Mutex<HashMap<String, mpsc::Sender<Cmd>>>,
    /// Failures of every password check against this node's meetings
    /// (joins, control tokens, `requestHostRole`), unknown IDs included.
    pub guard: Mutex<PasswordGuard>,
    store: Arc<dyn Store>,
    clock: Arc<Clock>,
    pub media: Arc<MediaNode>,
    /// The participant cap of meetings created without one.
    max_participants: i64,
}

fn refuse(code: SdkErr, reason: &str) -> Refusal {
    Refusal {
        code,
        reason: reason.into(),
    }
}

impl LiveHub {
    pub fn new(store: Arc<dyn Store>, clock: Arc<Clock>, media: Arc<MediaNode>, max_participants: i64) -> LiveHub {
        LiveHub {
            max_participants,
            tasks: Mutex::default(),
            guard: Mutex::default(),
            store,
            clock,
            media,
        }
    }

    /// The meeting with this ID (the running one, else the latest), if any.
    async fn lookup(&self, conf_id: &str) -> Result<Option<Meeting>, Refusal> {
        self.store
            .meeting_by_conf_id(&ConfId(conf_id.to_owned()))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "reading a meeting");
                refuse(SdkErr::SDK_COMMON_FAIL, "internal server error")
            })
    }

    /// Locks the password guard (a poisoned lock only means a panic elsewhere).
    pub fn guard(&self) -> std::sync::MutexGuard<'_, PasswordGuard> {
        self.guard.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The running meeting a join or resume may reach. Credentials are
    /// checked here, under the password guard, before anything tells
    /// whether the meeting exists or has ended; a wrong one counts.
    async fn admit(&self, conf_id: &str, req: &mut JoinRequest) -> Result<Meeting, Refusal> {
        let found = self.lookup(conf_id).await?;
        let now = self.clock.now();
        {
            let mut guard = self.guard();
            req.password_gate = guard.gate(conf_id, &req.client_key, now);
            if let Err(r) = rules::check_credential(found.as_ref(), req) {
                if rules::counts_as_failure(&r) {
                    guard.failed(conf_id, &req.client_key, now);
                }
                return Err(r);
            }
        }
        match found {
            Some(m) if m.state_at(now) == ConfState::Created => Ok(m),
            _ => Err(refuse(SdkErr::CMS_CONF_IS_CLOSED, "the meeting has ended")),
        }
    }

    /// The running meeting with this ID, for a resume (which proves itself
    /// with its resume token, checked by the meeting's task).
    async fn running(&self, conf_id: &str) -> Result<Meeting, Refusal> {
        match self.lookup(conf_id).await? {
            Some(m) if m.state_at(self.clock.now()) == ConfState::Created => Ok(m),
            _ => Err(refuse(
                SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                "that place in the meeting is gone: join again",
            )),
        }
    }

    /// The task of a meeting, started if needed.
    fn task(self: &Arc<Self>, m: &Meeting) -> mpsc::Sender<Cmd> {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = tasks.get(&m.conf_uuid).filter(|tx| !tx.is_closed()) {
            return tx.clone();
        }
        let (tx, rx) = mpsc::channel(256);
        tasks.insert(m.conf_uuid.clone(), tx.clone());
        let task = MeetingTask::new(m.clone(), self.clone());
        tokio::spawn(task.run(rx));
        tx
    }

    fn forget(&self, conf_uuid: &str) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if tasks.get(conf_uuid).is_some_and(|tx| tx.is_closed()) {
            tasks.remove(conf_uuid);
        }
    }

    /// Sends a command, starting the meeting's task again if the one found
    /// had just stopped.
    async fn send<T>(self: &Arc<Self>, m: &Meeting, make: impl Fn(oneshot::Sender<T>) -> Cmd) -> Result<T, Refusal> {
        for _ in 0..3 {
            let (reply, rx) = oneshot::channel();
            if self.task(m).send(make(reply)).await.is_ok() {
                if let Ok(v) = rx.await {
                    return Ok(v);
                }
            }
            self.forget(&m.conf_uuid);
        }
        Err(refuse(SdkErr::SDK_COMMON_FAIL, "the meeting could not be reached"))
    }

    pub async fn join(self: &Arc<Self>, conf_id: &str, mut req: JoinRequest) -> Result<Attached, Refusal> {
        let m = self.admit(conf_id, &mut req).await?;
        self.send(&m, |reply| Cmd::Join {
            req: req.clone(),
            reply,
        })
        .await?
    }

    pub async fn resume(
        self: &Arc<Self>,
        conf_id: &str,
        participant: ParticipantId,
        token: String,
        last_seq: u64,
    ) -> Result<Attached, Refusal> {
        let m = self.running(conf_id).await?;
        let tasks_has = self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&m.conf_uuid);
        if !tasks_has {
            return Err(refuse(
                SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                "that place in the meeting is gone: join again",
            ));
        }
        self.send(&m, |reply| Cmd::Resume {
            participant,
            token: token.clone(),
            last_seq,
            reply,
        })
        .await?
    }

    /// Ends the meeting for whoever is in it, if it is live on this node
    /// (it was cancelled or stopped elsewhere).
    pub async fn end_if_live(self: &Arc<Self>, m: &Meeting) {
        let running = self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&m.conf_uuid)
            .is_some_and(|t| !t.is_closed());
        if running {
            let _ = self.control_as_host(m, Action::End).await;
        }
    }

    /// A control request of the REST control API, with the host's rights.
    pub async fn control_as_host(self: &Arc<Self>, m: &Meeting, action: Action) -> Result<(), Refusal> {
        self.send(m, |reply| Cmd::Control {
            by: convene_core::live::CONTROLLER,
            action: action.clone(),
            reply,
        })
        .await?
    }
}

struct Conn {
    id: u64,
    tx: mpsc::Sender<Arc<str>>,
    queued: Arc<AtomicUsize>,
}

impl Conn {
    /// Queues a message; false when the connection is too far behind
    /// ([`CONN_QUEUE`] messages or [`CONN_QUEUE_BYTES`]) or gone.
    fn push(&self, msg: &Arc<str>) -> bool {
        if self.queued.load(Ordering::Relaxed) + msg.len() > CONN_QUEUE_BYTES {
            return false;
        }
        self.queued.fetch_add(msg.len(), Ordering::Relaxed);
        self.tx.try_send(msg.clone()).is_ok()
    }
}

struct MeetingTask {
    live: Live,
    hub: Arc<LiveHub>,
    conns: HashMap<ParticipantId, Conn>,
    /// Each present participant's resume token (kept while its connection is down).
    tokens: HashMap<ParticipantId, String>,
    /// Each present participant's caller key (`guard::caller_key`), for
    /// the password guard when it asks for the host role.
    callers: HashMap<ParticipantId, String>,
    /// Recent events: number, recipients, the message (`None`: too large
    /// to keep, see [`RING_MSG_BYTES`]).
    ring: VecDeque<(u64, Vec<ParticipantId>, Option<Arc<str>>)>,
    seq: u64,
    next_conn: u64,
    /// The meeting's room on its SFU worker.
    room: RoomId,
    worker: mpsc::UnboundedSender<WorkerCmd>,
    /// Participants with a media connection, and the policy last sent for each.
    media: HashMap<ParticipantId, Policy>,
    /// The SFU's offer each participant has not answered yet: sent again
    /// when the participant resumes, since one made while its connection
    /// was down went nowhere and the SFU waits for the answer before any
    /// other change of that participant's tracks.
    offers: HashMap<ParticipantId, String>,
    media_tx: mpsc::UnboundedSender<SfuEvent>,
    media_rx: Option<mpsc::UnboundedReceiver<SfuEvent>>,
}

/// What a participant's media may do now; `None`: no media at all (not
/// present, or in the waiting room).
fn media_policy(live: &Live, p: ParticipantId) -> Option<Policy> {
    let a = live.attendee(p)?;
    if a.role == ConfRole::Waiting {
        return None;
    }
    let video = live.meeting().info.media_type == MediaType::Video;
    Some(Policy {
        send_audio: live.may_speak(p),
        send_video: video && a.is_camera_on,
        video_allowed: video,
    })
}

/// The SFU's refusal as the participant hears it: a plain reason; the
/// detail (str0m's parser errors name pointers and offsets) stays in the log.
fn sfu_refusal(e: SfuError) -> Refusal {
    match e {
        SfuError::VideoNotAllowed => refuse(SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL, &e.to_string()),
        SfuError::BadSdp(_) | SfuError::Rtc(_) => {
            tracing::info!(error = %e, "a media offer or answer was refused");
            refuse(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "invalid SDP")
        }
        SfuError::UnknownPeer | SfuError::NoPendingOffer => refuse(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, &e.to_string()),
    }
}

impl MeetingTask {
    fn new(m: Meeting, hub: Arc<LiveHub>) -> MeetingTask {
        let (room, worker) = hub.media.new_room();
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        MeetingTask {
            room,
            worker,
            media: HashMap::new(),
            offers: HashMap::new(),
            media_tx,
            media_rx: Some(media_rx),
            live: Live::new(m).with_default_cap(hub.max_participants),
            hub,
            conns: HashMap::new(),
            tokens: HashMap::new(),
            callers: HashMap::new(),
            ring: VecDeque::new(),
            seq: 0,
            next_conn: 1,
        }
    }

    fn attach(
        &mut self,
        participant: ParticipantId,
        role: ConfRole,
        token: String,
        me: &mpsc::Sender<Cmd>,
    ) -> Attached {
        let (tx, rx) = mpsc::channel(CONN_QUEUE);
        let conn = self.next_conn;
        self.next_conn += 1;
        let queued = Arc::new(AtomicUsize::new(0));
        // A newer connection replaces an older one of the same participant.
        self.conns.insert(
            participant,
            Conn {
                id: conn,
                tx,
                queued: queued.clone(),
            },
        );
        self.tokens.insert(participant, token.clone());
        Attached {
            participant,
            role,
            resume_token: token,
            conn,
            rx,
            queued,
            meeting: me.clone(),
        }
    }

    fn deliver(&mut self, mut out: Outbox) {
        while !out.is_empty() {
            let mut slow = Vec::new();
            for (audience, event) in out.drain(..) {
                let recipients = match audience {
                    // A participant just removed still gets the events about its removal.
                    Audience::One(p) => vec![p],
                    other => self.live.audience(other),
                };
                self.seq += 1;
                let msg: Arc<str> = match serde_json::to_string(&ServerMsg::Event { seq: self.seq, event }) {
                    Ok(json) => json.into(),
                    Err(e) => {
                        tracing::error!(error = %e, "serializing an event");
                        continue;
                    }
                };
                for p in &recipients {
                    if self.conns.get(p).is_some_and(|c| !c.push(&msg)) {
                        slow.push(*p);
                    }
                }
                if self.ring.len() == RING {
                    self.ring.pop_front();
                }
                let kept = (msg.len() <= RING_MSG_BYTES).then_some(msg);
                self.ring.push_back((self.seq, recipients, kept));
            }
            // Too slow or gone: the connection closes and the participant
            // counts as disconnected (others see it offline); it may resume
            // within the grace period and replay from the ring.
            let now = self.hub.clock.now();
            for p in slow {
                if self.conns.remove(&p).is_some() {
                    self.live.disconnect(p, now, &mut out);
                }
            }
        }
        // Connections of participants who are no longer in the meeting close.
        let live = &self.live;
        self.conns.retain(|p, _| live.role(*p).is_some());
        self.tokens.retain(|p, _| live.role(*p).is_some());
        self.callers.retain(|p, _| live.role(*p).is_some());
        self.sync_media();
    }

    fn send_to(&mut self, p: ParticipantId, msg: &ServerMsg) {
        let Ok(json) = serde_json::to_string(msg) else { return };
        if self.conns.get(&p).is_some_and(|c| !c.push(&json.into())) {
            self.conns.remove(&p);
            let mut out = Vec::new();
            self.live.disconnect(p, self.hub.clock.now(), &mut out);
            self.deliver(out);
        }
    }

    /// The account of `p` joined again from another connection, which takes
    /// over: the older connection hears why and closes (its resume token
    /// is replaced, so it cannot take the place back by resuming). The
    /// event has a number of its own that only the older connection sees.
    fn tell_replaced(&mut self, p: ParticipantId) {
        let Some(old) = self.conns.remove(&p) else { return };
        self.seq += 1;
        let msg = ServerMsg::Event {
            seq: self.seq,
            event: Event::OnConfEnded {
                reason: convene_proto::live::EndReason(SdkErr::USG_TOKEN_IS_INVAILD_BY_KICKOFF),
                reason_text: "you joined this meeting from another connection".into(),
            },
        };
        if let Ok(json) = serde_json::to_string(&msg) {
            let _ = old.push(&json.into());
        }
        // Its media connection goes too; the new connection opens its own.
        if self.media.remove(&p).is_some() {
            self.offers.remove(&p);
            let _ = self.worker.send(WorkerCmd::Remove {
                room: self.room,
                peer: PeerId(p.0),
            });
        }
    }

    /// Tell the SFU what each participant's media may do now: a mute, a
    /// move to the waiting room or a removal takes effect on the media here.
    fn sync_media(&mut self) {
        let mut closed = Vec::new();
        for (p, policy) in self.media.iter_mut() {
            let peer = PeerId(p.0);
            match media_policy(&self.live, *p) {
                None => {
                    let _ = self.worker.send(WorkerCmd::Remove { room: self.room, peer });
                    closed.push(*p);
                }
                Some(now) if now != *policy => {
                    *policy = now;
                    let _ = self.worker.send(WorkerCmd::Policy {
                        room: self.room,
                        peer,
                        policy: now,
                    });
                }
                Some(_) => {}
            }
        }
        for p in closed {
            self.media.remove(&p);
            self.offers.remove(&p);
            self.send_to(
                p,
                &ServerMsg::MediaClosed {
                    reason: "media is for admitted participants only".into(),
                },
            );
        }
    }

    fn on_media_event(&mut self, e: SfuEvent) {
        match e {
            SfuEvent::Offer { peer, sdp, .. } => {
                let p = ParticipantId(peer.0);
                if self.media.contains_key(&p) {
                    self.send_to(p, &ServerMsg::MediaOffer { sdp: sdp.clone() });
                    self.offers.insert(p, sdp);
                }
            }
            SfuEvent::ActiveSpeaker { peer, .. } => {
                let ev = Event::OnActiveSpeakerChanged {
                    participant_id: peer.map(|x| ParticipantId(x.0)),
                };
                self.deliver(vec![(Audience::Admitted, ev)]);
            }
            SfuEvent::PeerClosed { peer, .. } => {
                let p = ParticipantId(peer.0);
                self.offers.remove(&p);
                if self.media.remove(&p).is_some() {
                    self.send_to(
                        p,
                        &ServerMsg::MediaClosed {
                            reason: "the media connection failed".into(),
                        },
                    );
                }
            }
        }
    }

    async fn on_media_req(&mut self, p: ParticipantId, req: MediaReq) -> Result<Option<String>, Refusal> {
        let peer = PeerId(p.0);
        let room = self.room;
        match req {
            MediaReq::Offer(sdp) => {
                let Some(policy) = media_policy(&self.live, p) else {
                    return Err(refuse(
                        SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                        "media is for admitted participants only",
                    ));
                };
                // The SFU drops its own offer in flight for this one.
                self.offers.remove(&p);
                let (reply, rx) = oneshot::channel();
                let cmd = if self.media.contains_key(&p) {
                    WorkerCmd::Offer { room, peer, sdp, reply }
                } else {
                    WorkerCmd::AddPeer {
                        room,
                        peer,
                        sdp,
                        policy,
                        events: self.media_tx.clone(),
                        reply,
                    }
                };
                let _ = self.worker.send(cmd);
                let answer = rx
                    .await
                    .map_err(|_| refuse(SdkErr::SDK_COMMON_FAIL, "the media server stopped"))?
                    .map_err(sfu_refusal)?;
                self.media.insert(p, policy);
                Ok(Some(answer))
            }
            MediaReq::Answer(sdp) => {
                if !self.media.contains_key(&p) {
                    return Err(refuse(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "no media connection"));
                }
                self.offers.remove(&p);
                let (reply, rx) = oneshot::channel();
                let _ = self.worker.send(WorkerCmd::Answer { room, peer, sdp, reply });
                rx.await
                    .map_err(|_| refuse(SdkErr::SDK_COMMON_FAIL, "the media server stopped"))?
                    .map_err(sfu_refusal)?;
                Ok(None)
            }
            MediaReq::Close => {
                self.offers.remove(&p);
                if self.media.remove(&p).is_some() {
                    let _ = self.worker.send(WorkerCmd::Remove { room, peer });
                }
                Ok(None)
            }
        }
    }

    /// A control request; `requestHostRole` checks the host password, so it
    /// goes through the password guard like a join (same counting, same
    /// lockout), under one lock of it.
    fn control(
        &mut self,
        by: ParticipantId,
        action: Action,
        now: i64,
        out: &mut Outbox,
    ) -> Result<rules::Effects, Refusal> {
        let caller = match (&action, self.callers.get(&by)) {
            (Action::ReclaimHost { .. }, Some(c)) => c.clone(),
            _ => return self.live.control(by, action, now, out),
        };
        let conf = self.live.meeting().conf_id.0.clone();
        let mut guard = self.hub.guard();
        if guard.gate(&conf, &caller, now) != Gate::Open {
            return Err(rules::password_locked());
        }
        let result = self.live.control(by, action, now, out);
        if let Err(r) = &result {
            if rules::counts_as_failure(r) {
                guard.failed(&conf, &caller, now);
            }
        }
        result
    }

    async fn persist(&self, fx: convene_core::live::Effects) {
        let uuid = &self.live.meeting().conf_uuid;
        if fx.ended {
            if let Err(e) = self.hub.store.end_meeting(uuid).await {
                tracing::error!(error = %e, "storing a meeting's end");
            }
        } else {
            if fx.end_changed {
                if let Err(e) = self.hub.store.set_meeting_end(uuid, self.live.end_time()).await {
                    tracing::error!(error = %e, "storing a meeting's new end time");
                }
            }
            if fx.settings_changed {
                if let Err(e) = self.hub.store.set_live_settings(uuid, &self.live.settings()).await {
                    tracing::error!(error = %e, "storing a meeting's live settings");
                }
            }
        }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Cmd>) {
        let me = {
            let tasks = self.hub.tasks.lock().unwrap_or_else(|e| e.into_inner());
            tasks.get(&self.live.meeting().conf_uuid).cloned()
        };
        let Some(me) = me else { return };
        let Some(mut media_rx) = self.media_rx.take() else {
            return;
        };
        let mut moved = self.hub.clock.subscribe();
        let mut served = false;
        loop {
            let now = self.hub.clock.now();
            let mut out = Vec::new();
            let fx = self.live.tick(now, &mut out);
            // Stored before anyone is told, so that what a client reads after
            // an event agrees with it.
            self.persist(fx).await;
            self.deliver(out);
            // An empty meeting's task stops once it has served what started
            // it (a join or a control request queued behind its first tick,
            // which may itself produce events, such as the end warning).
            if self.live.is_ended() || (served && self.live.participants().is_empty() && self.conns.is_empty()) {
                break;
            }
            let wait = self
                .live
                .next_deadline()
                .map(|d| (d - now).max(0) as u64)
                .unwrap_or(3600);
            let cmd = tokio::select! {
                cmd = rx.recv() => cmd,
                Some(e) = media_rx.recv() => {
                    self.on_media_event(e);
                    continue;
                }
                _ = tokio::time::sleep(std::time::Duration::from_secs(wait)) => continue,
                _ = moved.changed() => continue,
            };
            let Some(cmd) = cmd else { break };
            served = true;
            let now = self.hub.clock.now();
            let mut out = Vec::new();
            match cmd {
                Cmd::Join { req, reply } => {
                    let caller = req.client_key.clone();
                    let result = self.live.join(req, now, &mut out).map(|j| {
                        if j.took_over {
                            self.tell_replaced(j.participant);
                        }
                        self.callers.insert(j.participant, caller);
                        let token = convene_core::ids::random_hex(&mut rand::thread_rng(), 16);
                        self.attach(j.participant, j.role, token, &me)
                    });
                    // The joiner's own connection must exist before its welcome events.
                    let _ = reply.send(result);
                    self.deliver(out);
                }
                Cmd::Resume {
                    participant,
                    token,
                    last_seq,
                    reply,
                } => {
                    let ok = self.tokens.get(&participant).is_some_and(|t| *t == token);
                    if !ok || !self.live.reconnect(participant, &mut out) {
                        let _ = reply.send(Err(refuse(
                            SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                            "that place in the meeting is gone: join again",
                        )));
                        continue;
                    }
                    let role = self.live.role(participant).unwrap_or(ConfRole::Attendee);
                    let attached = self.attach(participant, role, token, &me);
                    // Replay what it missed, or a fresh view if that is no longer kept.
                    let oldest = self.ring.front().map(|(s, _, _)| *s).unwrap_or(self.seq + 1);
                    let missed = || {
                        self.ring
                            .iter()
                            .filter(|(s, who, _)| *s > last_seq && who.contains(&participant))
                    };
                    let all_kept = missed().all(|(_, _, msg)| msg.is_some());
                    if let Some(c) = self.conns.get(&participant) {
                        if oldest <= last_seq + 1 && all_kept {
                            for (_, _, msg) in missed() {
                                if let Some(msg) = msg {
                                    let _ = c.push(msg);
                                }
                            }
                        } else {
                            self.live.snapshot(participant, &mut out);
                        }
                    }
                    let _ = reply.send(Ok(attached));
                    self.deliver(out);
                    if let Some(sdp) = self.offers.get(&participant).cloned() {
                        self.send_to(participant, &ServerMsg::MediaOffer { sdp });
                    }
                }
                Cmd::Control { by, action, reply } => {
                    let result = self.control(by, action, now, &mut out);
                    if let Ok(fx) = &result {
                        self.persist(*fx).await;
                    }
                    self.deliver(out);
                    let _ = reply.send(result.map(|_| ()));
                }
                Cmd::Leave { participant, conn } => {
                    if self.conns.get(&participant).is_some_and(|c| c.id == conn) {
                        self.live.leave(participant, &mut out);
                        self.deliver(out);
                    }
                }
                Cmd::Disconnect { participant, conn } => {
                    if self.conns.get(&participant).is_some_and(|c| c.id == conn) {
                        self.conns.remove(&participant);
                        self.live.disconnect(participant, now, &mut out);
                        self.deliver(out);
                    }
                }
                Cmd::Media {
                    participant,
                    conn,
                    req,
                    reply,
                } => {
                    let result = if self.conns.get(&participant).is_some_and(|c| c.id == conn) {
                        self.on_media_req(participant, req).await
                    } else {
                        Err(refuse(SdkErr::UISDK_NOT_IN_CONF_OR_CALL, "not in the meeting"))
                    };
                    let _ = reply.send(result);
                }
            }
        }
        let _ = self.worker.send(WorkerCmd::RemoveRoom { room: self.room });
        // Closing `rx` makes later sends fail, so the hub starts a new task.
        rx.close();
        self.hub.forget(&self.live.meeting().conf_uuid);
    }
}
