//! Live meetings on this node: the hub (which meetings run here, the
//! password guard, credentials checked before a meeting is reached) and one
//! task per meeting that pumps its `convene_core::session::MeetingSession`:
//! it reads the participants' commands, the SFU's events and the clock,
//! feeds the session, and carries out its outputs (messages to the
//! participants' WebSockets, store writes before anything that tells of
//! them, media commands). The session decides; the task carries out.
//!
//! The task stops when the session does (the meeting ended, or emptied
//! after serving what started it); the next join starts a new one from
//! storage, which keeps what the hosts changed (lock, mute-all, waiting
//! room, prolonging left).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use convene_core::calls::Call;
use convene_core::guard::{Gate, PasswordGuard};
use convene_core::live::{self as rules, Action, Actor, JoinRequest, Refusal};
use convene_core::session::{
    Attach, Capture, ConnId, MediaCmd, MediaRights, MediaStep, MeetingSession, Output, Persist, Record,
};
use convene_core::{ConfId, ConfState, ConfUuid, Meeting};
use convene_proto::live::{CallState, ParticipantId};
use convene_proto::{ConfRole, SdkErr};
use convene_sfu::{MediaRoomId, PeerId, Policy, SfuError, SfuEvent};
use convene_store::Store;
use rand::SeedableRng;
use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::media::{MediaNode, WorkerCmd};

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
        by: Actor,
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
    /// A program follows the meeting (the product's event socket).
    Watch {
        types: std::collections::HashSet<String>,
        reply: oneshot::Sender<mpsc::Receiver<Arc<str>>>,
    },
    /// A watcher's socket closed.
    Unwatch,
    /// An invitee turned a ringing call down.
    Decline {
        call_id: String,
        user_id: String,
        account: String,
        reply: oneshot::Sender<Result<(), Refusal>>,
    },
    /// Who is in the meeting now (the REST `realTimeInfo`).
    Roster {
        reply: oneshot::Sender<Vec<convene_proto::live::Attendee>>,
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
    tasks: Mutex<HashMap<ConfUuid, mpsc::Sender<Cmd>>>,
    /// Failures of every password check against this node's meetings
    /// (joins, control tokens, `requestHostRole`), unknown IDs included.
    pub guard: Mutex<PasswordGuard>,
    store: Arc<dyn Store>,
    clock: Arc<Clock>,
    pub media: Arc<MediaNode>,
    /// The participant cap of meetings created without one.
    max_participants: i64,
    /// To the records writer (see [`write_records`]).
    records: mpsc::UnboundedSender<(ConfUuid, Record)>,
    /// Calls ringing for invitees, and the clients listening for them.
    pub calls: crate::calls::Calls,
    /// Recordings: where segments' files go, and their composer.
    pub recordings: Arc<crate::record::Recordings>,
    /// This node's part in a cluster (`None`: alone).
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

/// A cluster node's hold on a meeting it runs: the lease's epoch, and
/// until when it holds by this node's clock (renewed by the task).
struct Hold {
    cluster: Arc<crate::cluster::Cluster>,
    epoch: i64,
    until: std::time::Instant,
}

/// The shared password guard's keys (beside the login lockouts' in the
/// same table): per meeting ID and caller, per caller, per meeting ID.
fn shared_keys(conf: &str, caller: &str) -> [String; 3] {
    [
        format!("guard:pair:{conf}\n{caller}"),
        format!("guard:caller:{caller}"),
        format!("guard:meeting:{conf}"),
    ]
}

/// The stricter of two gates.
pub fn stricter(a: Gate, b: Gate) -> Gate {
    match (a, b) {
        (Gate::CallerLocked, _) | (_, Gate::CallerLocked) => Gate::CallerLocked,
        (Gate::MeetingClosed, _) | (_, Gate::MeetingClosed) => Gate::MeetingClosed,
        _ => Gate::Open,
    }
}

/// The refusal of a request for a meeting another node runs (it moved
/// there since the request was routed): the client tries again.
fn moved() -> Refusal {
    Refusal::new(SdkErr::SDK_COMMON_FAIL, "the meeting moved to another node: try again")
}

/// Keeps what live meetings record (attendance, control actions) in
/// batches: a record is history, not something anyone waits for, so it does
/// not hold up the meeting; a crash loses at most the last batch's 100 ms.
async fn write_records(store: Arc<dyn Store>, mut rx: mpsc::UnboundedReceiver<(ConfUuid, Record)>) {
    while let Some(first) = rx.recv().await {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let mut batch = vec![first];
        while batch.len() < 1024 {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        if let Err(e) = store.add_meeting_records(&batch).await {
            tracing::error!(error = %e, records = batch.len(), "keeping meeting records");
        }
    }
}

impl LiveHub {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<Clock>,
        media: Arc<MediaNode>,
        max_participants: i64,
        recordings: Arc<crate::record::Recordings>,
        cluster: Option<Arc<crate::cluster::Cluster>>,
    ) -> LiveHub {
        let (records, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_records(store.clone(), rx));
        LiveHub {
            cluster,
            records,
            recordings,
            calls: Default::default(),
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
            .meeting_by_conf_id(&ConfId(conf_id.to_owned()), self.clock.now())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "reading a meeting");
                Refusal::new(SdkErr::SDK_COMMON_FAIL, "internal server error")
            })
    }

    /// On a cluster node, the password guard's runs kept in the database
    /// (every node's guesses count together): the gate they set for
    /// `caller` at meeting ID `conf` (alone: open; the node's own guard
    /// decides). Every check of one meeting's password runs on the node
    /// holding it (the cluster middleware and router send it there), whose
    /// own guard counts at once; these runs carry the counts across a
    /// takeover and, per caller, across meetings held by other nodes
    /// (counted after each check: a burst at many meetings at once may
    /// pass a few over that ceiling).
    pub async fn shared_gate(&self, conf: &str, caller: &str, now: i64) -> Gate {
        if self.cluster.is_none() {
            return Gate::Open;
        }
        let [pair, by_caller, meeting] = shared_keys(conf, caller);
        let locked = |k: String| async move {
            self.store
                .login_failures(&k)
                .await
                .map(|f| f.is_locked(now))
                .unwrap_or(false)
        };
        if locked(pair).await || locked(by_caller).await {
            Gate::CallerLocked
        } else if locked(meeting).await {
            Gate::MeetingClosed
        } else {
            Gate::Open
        }
    }

    /// Counts a wrong password in the shared runs (cluster nodes only).
    pub async fn shared_failed(&self, conf: &str, caller: &str, now: i64) {
        if self.cluster.is_none() {
            return;
        }
        let [pair, by_caller, meeting] = shared_keys(conf, caller);
        use convene_core::guard::{CALLER_RULE, MEETING_RULE, PAIR_RULE};
        for (k, rule) in [(pair, PAIR_RULE), (by_caller, CALLER_RULE), (meeting, MEETING_RULE)] {
            if let Err(e) = self.store.add_login_failure(&k, now, &rule).await {
                tracing::error!(error = %e, "counting a wrong password");
            }
        }
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
        let shared = self.shared_gate(conf_id, &req.client_key, now).await;
        let mut wrong = false;
        let role = {
            let mut guard = self.guard();
            req.password_gate = stricter(guard.gate(conf_id, &req.client_key, now), shared);
            let role = rules::check_credential(found.as_ref(), req);
            if let Err(r) = &role {
                if rules::counts_as_failure(r) {
                    guard.failed(conf_id, &req.client_key, now);
                    wrong = true;
                }
            }
            role
        };
        if wrong {
            self.shared_failed(conf_id, &req.client_key, now).await;
        }
        let role = role?;
        match found {
            Some(m) if m.state_at(now) == ConfState::Running => Ok(m),
            Some(m) if m.state_at(now) == ConfState::Scheduled => self.start_booked(&m, role, now).await,
            _ => Err(Refusal::new(SdkErr::CMS_CONF_IS_CLOSED, "the meeting has ended")),
        }
    }

    /// Starts a booked meeting for a joiner or caller with `role` if
    /// `Meeting::may_start` lets them: storage starts it once (several may
    /// arrive together) unless its room holds another meeting meanwhile.
    pub async fn start_booked(&self, m: &Meeting, role: ConfRole, now: i64) -> Result<Meeting, Refusal> {
        m.may_start(role, now)?;
        let after = self.store.activate_meeting(&m.conf_uuid, now).await.map_err(|e| {
            tracing::error!(error = %e, "starting a booked meeting");
            Refusal::new(SdkErr::SDK_COMMON_FAIL, "internal server error")
        })?;
        match after {
            Some(a) if a.state_at(now) == ConfState::Running => Ok(a),
            Some(a) if a.state_at(now) == ConfState::Scheduled => Err(Refusal::new(
                SdkErr::CMS_CONF_NUM_UP_TO_LIMIT,
                "the meeting's cloud meeting room still holds another meeting; try again once it ends",
            )),
            _ => Err(Refusal::new(SdkErr::CMS_CONF_IS_CLOSED, "the meeting has ended")),
        }
    }

    /// The running meeting with this ID, for a resume (which proves itself
    /// with its resume token, checked by the meeting's task).
    async fn running(&self, conf_id: &str) -> Result<Meeting, Refusal> {
        match self.lookup(conf_id).await? {
            Some(m) if m.state_at(self.clock.now()) == ConfState::Running => Ok(m),
            _ => Err(Refusal::new(
                SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                "that place in the meeting is gone: join again",
            )),
        }
    }

    /// The task of a meeting, started if needed. On a cluster node, only
    /// with the meeting's lease: no node runs a meeting another one holds.
    async fn task(self: &Arc<Self>, m: &Meeting) -> Result<mpsc::Sender<Cmd>, Refusal> {
        if let Some(tx) = self.running_task(&m.conf_uuid) {
            return Ok(tx);
        }
        let hold = match &self.cluster {
            None => None,
            // The lease taken or renewed now: the hold runs from here.
            Some(c) => match c.take(self.store.as_ref(), &m.conf_uuid).await {
                Ok(crate::cluster::Route::Local(epoch)) => Some(Hold {
                    cluster: c.clone(),
                    epoch,
                    until: std::time::Instant::now() + std::time::Duration::from_millis(c.lease_ms as u64),
                }),
                Ok(crate::cluster::Route::Remote(_)) => return Err(moved()),
                Err(e) => {
                    tracing::error!(error = %e, "taking a meeting's lease");
                    return Err(Refusal::new(SdkErr::SDK_COMMON_FAIL, "internal server error"));
                }
            },
        };
        // Taken over from a node that held it before: its handover.
        let handover = match &hold {
            Some(h) => self.handover_for(m, h.epoch).await,
            None => None,
        };
        if hold.is_some() {
            // Held here now: what another node was still capturing of it
            // stopped with that node's hold (it may yet close the part with
            // what it captured, if it was only paused).
            let now = self.clock.now();
            match self
                .store
                .interrupt_segments(&m.conf_uuid, &self.recordings.node_id, now)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::warn!(meeting = %m.conf_uuid.as_str(), segments = n, "recording parts interrupted"),
                Err(e) => tracing::error!(error = %e, "marking recording parts interrupted"),
            }
        }
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = tasks.get(&m.conf_uuid).filter(|tx| !tx.is_closed()) {
            return Ok(tx.clone());
        }
        let (tx, rx) = mpsc::channel(256);
        tasks.insert(m.conf_uuid.clone(), tx.clone());
        let (mut task, media_rx) = MeetingTask::new(m.clone(), self.clone());
        if let Some(h) = handover {
            tracing::info!(meeting = %m.conf_uuid.as_str(), seq = h.seq(), "taking a meeting over from another node");
            metrics::counter!("convene_cluster_takeovers_total").increment(1);
            task.session = MeetingSession::restore(m.clone(), self.max_participants, h, self.clock.now());
            task.saved_seq = task.session.seq();
        }
        task.hold = hold;
        tokio::spawn(task.run(rx, media_rx));
        Ok(tx)
    }

    /// The handover an earlier holder of the meeting kept (under an older
    /// epoch than `epoch`, ours), if any and readable.
    async fn handover_for(&self, m: &Meeting, epoch: i64) -> Option<convene_core::session::Handover> {
        match self.store.handover_of(&m.conf_uuid).await {
            Ok(Some((held, doc))) if held < epoch => match serde_json::from_str(&doc) {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::error!(error = %e, "an unreadable meeting handover: starting afresh");
                    None
                }
            },
            Ok(_) => None,
            Err(e) => {
                tracing::error!(error = %e, "reading a meeting handover: starting afresh");
                None
            }
        }
    }

    /// A meeting's task if one runs (never starts one).
    fn running_task(&self, conf_uuid: &ConfUuid) -> Option<mpsc::Sender<Cmd>> {
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(conf_uuid)
            .filter(|t| !t.is_closed())
            .cloned()
    }

    fn forget(&self, conf_uuid: &ConfUuid) {
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
            if self.task(m).await?.send(make(reply)).await.is_ok() {
                if let Ok(v) = rx.await {
                    return Ok(v);
                }
            }
            self.forget(&m.conf_uuid);
        }
        Err(Refusal::new(
            SdkErr::SDK_COMMON_FAIL,
            "the meeting could not be reached",
        ))
    }

    pub async fn join(self: &Arc<Self>, conf_id: &str, req: JoinRequest) -> Result<Attached, Refusal> {
        let result = self.join_inner(conf_id, req).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(r) => r.code.name().unwrap_or("other"),
        };
        metrics::counter!("convene_joins_total", "result" => outcome).increment(1);
        result
    }

    async fn join_inner(self: &Arc<Self>, conf_id: &str, mut req: JoinRequest) -> Result<Attached, Refusal> {
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
        // Alone, no task means no place to resume. On a cluster node, the
        // meeting may have run on a node that died: the task starts from
        // its handover (and without one, the place is gone as well).
        if !tasks_has && self.cluster.is_none() {
            return Err(Refusal::new(
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
        if self.running_task(&m.conf_uuid).is_some() {
            let _ = self.control_as_host(m, Action::End).await;
        }
    }

    /// Who is in a meeting now: nobody when its task is not running (an
    /// empty meeting has none, and asking does not start one).
    pub async fn roster(self: &Arc<Self>, m: &Meeting) -> Vec<convene_proto::live::Attendee> {
        let Some(tx) = self.running_task(&m.conf_uuid) else {
            return Vec::new();
        };
        let (reply, rx) = oneshot::channel();
        if tx.send(Cmd::Roster { reply }).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// A program follows a running meeting: its frames, until the meeting
    /// ends or its session on this node stops.
    pub async fn watch(
        self: &Arc<Self>,
        m: &Meeting,
        types: std::collections::HashSet<String>,
    ) -> Option<mpsc::Receiver<Arc<str>>> {
        self.send(m, |reply| Cmd::Watch {
            types: types.clone(),
            reply,
        })
        .await
        .ok()
    }

    /// A watcher of `m` went: its session may stop (never starts one).
    pub async fn unwatch(self: &Arc<Self>, m: &Meeting) {
        if let Some(tx) = self.running_task(&m.conf_uuid) {
            let _ = tx.send(Cmd::Unwatch).await;
        }
    }

    /// For `/metrics`: live meetings on this node, and their participants
    /// admitted and waiting (each meeting asked, at most a second each).
    pub async fn census(self: &Arc<Self>) -> (usize, usize, usize) {
        let tasks: Vec<mpsc::Sender<Cmd>> = self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|t| !t.is_closed())
            .cloned()
            .collect();
        let (mut admitted, mut waiting) = (0, 0);
        for tx in &tasks {
            let (reply, rx) = oneshot::channel();
            if tx.send(Cmd::Roster { reply }).await.is_err() {
                continue;
            }
            if let Ok(Ok(list)) = tokio::time::timeout(std::time::Duration::from_secs(1), rx).await {
                let w = list.iter().filter(|a| a.role == ConfRole::Waiting).count();
                waiting += w;
                admitted += list.len() - w;
            }
        }
        (tasks.len(), admitted, waiting)
    }

    /// `user` turns down a call ringing for them (on this node).
    pub async fn decline(self: &Arc<Self>, call_id: &str, user: &convene_store::User) -> Result<(), Refusal> {
        let gone = || Refusal::new(SdkErr::CMS_CONF_DATA_NOT_FOUND, "no such call ringing for you");
        let m = self.calls.meeting_of(call_id).ok_or_else(gone)?;
        let Some(tx) = self.running_task(&m) else {
            // Rung by another node: its meeting's node hears the decline.
            return match &self.cluster {
                Some(c) if self.calls.rings(call_id, user) => {
                    c.bus.tell(crate::bus::News::Decline {
                        conf_uuid: m.0,
                        call_id: call_id.to_owned(),
                        user_id: user.id.as_str().to_owned(),
                        account: user.account.clone(),
                    });
                    Ok(())
                }
                _ => Err(gone()),
            };
        };
        let (reply, rx) = oneshot::channel();
        let cmd = Cmd::Decline {
            call_id: call_id.to_owned(),
            user_id: user.id.as_str().to_owned(),
            account: user.account.clone(),
            reply,
        };
        tx.send(cmd).await.map_err(|_| gone())?;
        rx.await.unwrap_or_else(|_| Err(gone()))
    }

    /// A decline another node heard, for a meeting this one may run.
    pub async fn decline_here(&self, conf_uuid: &ConfUuid, call_id: String, user_id: String, account: String) {
        let Some(tx) = self.running_task(conf_uuid) else { return };
        let (reply, rx) = oneshot::channel();
        let cmd = Cmd::Decline {
            call_id,
            user_id,
            account,
            reply,
        };
        if tx.send(cmd).await.is_ok() {
            if let Ok(Err(r)) = rx.await {
                tracing::debug!(reason = %r.reason, "a decline from another node refused");
            }
        }
    }

    /// The meeting rings `call` (on every node of a cluster: the invitee
    /// may listen on any).
    fn ring(&self, conf_uuid: &ConfUuid, call: Call) {
        if let Some(c) = &self.cluster {
            c.bus.tell(crate::bus::News::Ring {
                conf_uuid: conf_uuid.0.clone(),
                call: call.clone(),
            });
        }
        self.calls.ring(conf_uuid, call, self.clock.now());
    }

    /// The meeting stopped ringing `call`.
    fn ring_end(&self, call: &Call, reason: CallState) {
        if let Some(c) = &self.cluster {
            c.bus.tell(crate::bus::News::RingEnd {
                call: call.clone(),
                reason,
            });
        }
        self.calls.end(call, reason);
    }

    /// A control request of the REST control API, with the host's rights.
    pub async fn control_as_host(self: &Arc<Self>, m: &Meeting, action: Action) -> Result<(), Refusal> {
        self.send(m, |reply| Cmd::Control {
            by: Actor::RestControl,
            action: action.clone(),
            reply,
        })
        .await?
    }
}

struct Conn {
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

/// The SFU's policy for a participant's media rights.
fn policy(r: MediaRights) -> Policy {
    Policy {
        send_audio: r.send_audio,
        send_video: r.send_video,
        video_allowed: r.video_allowed,
        send_screen: r.send_screen,
    }
}

/// The SFU's refusal as the participant hears it: a plain reason; the
/// detail (str0m's parser errors name pointers and offsets) stays in the log.
fn sfu_refusal(e: SfuError) -> Refusal {
    match e {
        SfuError::VideoNotAllowed => Refusal::new(SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL, e.to_string()),
        SfuError::BadSdp(_) | SfuError::Rtc(_) => {
            tracing::info!(error = %e, "a media offer or answer was refused");
            Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "invalid SDP")
        }
        SfuError::UnknownPeer | SfuError::NoPendingOffer => {
            Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, e.to_string())
        }
    }
}

/// How often a failed store write is tried before the session stops.
const PERSIST_ATTEMPTS: u32 = 3;

/// The pump of one meeting: reads its commands, the SFU's events and the
/// clock, feeds the [`MeetingSession`] and carries out its outputs (sends,
/// closes, store writes, media commands). It decides nothing itself.
struct MeetingTask {
    session: MeetingSession,
    hub: Arc<LiveHub>,
    conns: HashMap<ConnId, Conn>,
    /// The meeting's room on its SFU worker.
    room: MediaRoomId,
    worker: mpsc::UnboundedSender<WorkerCmd>,
    media_tx: mpsc::UnboundedSender<SfuEvent>,
    /// Programs following the meeting over the product's event socket.
    watchers: crate::confctl::Watchers,
    /// The recording segment being captured, if one.
    segment: Option<i64>,
    /// Participants' names as they joined (for a recording's tiles).
    names: HashMap<u64, String>,
    /// On a cluster node: its lease on the meeting.
    hold: Option<Hold>,
    /// The event number the last handover was kept at, and since when
    /// a newer one waits to be written.
    saved_seq: u64,
    /// A change the handover carries that makes no event (who has media).
    unsaved_media: bool,
    unsaved_since: Option<std::time::Instant>,
}

/// A cluster node writes a meeting's handover at most this often (and at
/// once after a join, so a new resume token is never lost, after a control
/// request before its answer, so a takeover does not undo an acknowledged
/// change, and right after a resume, a leave or a media request). What
/// only this batching may lose: speaking times of the last moments.
const HANDOVER_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

impl MeetingTask {
    fn new(m: Meeting, hub: Arc<LiveHub>) -> (MeetingTask, mpsc::UnboundedReceiver<SfuEvent>) {
        let (room, worker) = hub.media.new_room();
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        let task = MeetingTask {
            session: MeetingSession::new(m, hub.max_participants),
            hub,
            conns: HashMap::new(),
            room,
            worker,
            media_tx,
            watchers: Default::default(),
            segment: None,
            names: HashMap::new(),
            hold: None,
            saved_seq: 0,
            unsaved_media: false,
            unsaved_since: None,
        };
        (task, media_rx)
    }

    /// Tells the meeting's watchers what changed (nothing to do when
    /// nobody watches).
    fn tell_watchers(&mut self) {
        if self.watchers.is_empty() {
            return;
        }
        let now_view = crate::confctl::Now::of(self.session.live());
        self.watchers.changed(&now_view);
        if self.watchers.is_empty() {
            // The last ones were too slow and were dropped.
            self.session.set_watched(false);
        }
    }

    /// A connection for a participant the session just attached.
    fn attached(&mut self, a: Attach, me: &mpsc::Sender<Cmd>) -> Attached {
        let (tx, rx) = mpsc::channel(CONN_QUEUE);
        let queued = Arc::new(AtomicUsize::new(0));
        self.conns.insert(
            a.conn,
            Conn {
                tx,
                queued: queued.clone(),
            },
        );
        Attached {
            participant: a.participant,
            role: a.role,
            resume_token: a.resume_token,
            conn: a.conn,
            rx,
            queued,
            meeting: me.clone(),
        }
    }

    /// Carries out the session's outputs in order. A store write comes
    /// before whatever follows it; if it fails for good the session drops
    /// what was queued and stops. Answers false in that case.
    async fn drain(&mut self) -> bool {
        let mut stored = true;
        while let Some(output) = self.session.poll_output() {
            match output {
                Output::Persist(p) => {
                    if !self.persist(&p).await {
                        stored = false;
                        self.session.persist_failed();
                    }
                }
                Output::Send { conns, msg } => {
                    let now = self.hub.clock.now();
                    for c in conns {
                        if self.conns.get(&c).is_some_and(|x| !x.push(&msg)) {
                            self.conns.remove(&c);
                            self.session.conn_failed(c, now);
                        }
                    }
                }
                Output::Record(r) => {
                    if let Record::Joined { participant, name, .. } = &r {
                        self.names.insert(participant.0, name.clone());
                    }
                    let _ = self.hub.records.send((self.session.meeting().conf_uuid.clone(), r));
                }
                Output::Capture(Capture::Start { at }) => {
                    let uuid = self.session.meeting().conf_uuid.clone();
                    match self.hub.recordings.begin(&uuid, at).await {
                        Ok((id, dir)) => {
                            self.segment = Some(id);
                            let _ = self.worker.send(WorkerCmd::CaptureStart { room: self.room, dir });
                        }
                        // Not stored: nothing is captured (a recording
                        // nobody can find would only fill the disk).
                        Err(e) => tracing::error!(error = %e, "starting a recording segment"),
                    }
                }
                Output::Capture(Capture::Stop { at }) => {
                    if let Some(id) = self.segment.take() {
                        let (done, rx) = oneshot::channel();
                        let _ = self.worker.send(WorkerCmd::CaptureStop { room: self.room, done });
                        self.hub.recordings.end(id, at, rx, self.names.clone());
                    }
                }
                Output::Close(c) => {
                    // Dropping the sender ends the socket's loop once it has
                    // written what was queued.
                    self.conns.remove(&c);
                }
                Output::Media(MediaCmd::Rights(p, r)) => {
                    let _ = self.worker.send(WorkerCmd::Policy {
                        room: self.room,
                        peer: PeerId(p.0),
                        policy: policy(r),
                    });
                }
                Output::Media(MediaCmd::Remove(p)) => {
                    let _ = self.worker.send(WorkerCmd::Remove {
                        room: self.room,
                        peer: PeerId(p.0),
                    });
                }
                Output::Ring(call) => {
                    self.hub.ring(&self.session.meeting().conf_uuid, call);
                }
                Output::RingEnd { call, reason } => self.hub.ring_end(&call, reason),
                Output::CallResult { name, number, state } => {
                    self.watchers
                        .invite_result(self.session.meeting(), &name, &number, state);
                }
                Output::Stop => {}
            }
        }
        stored
    }

    /// Whether this node still holds the meeting, renewing its lease (a
    /// write of a node whose lease moved on must not happen: the fence).
    /// Alone, always.
    async fn fenced(&mut self) -> bool {
        let Some(h) = &mut self.hold else { return true };
        let started = std::time::Instant::now();
        let until = crate::cluster::now_ms() + h.cluster.lease_ms;
        let uuid = self.session.meeting().conf_uuid.clone();
        match self
            .hub
            .store
            .renew_lease(&uuid, &h.cluster.node_id, h.epoch, until)
            .await
        {
            Ok(true) => {
                h.until = started + std::time::Duration::from_millis(h.cluster.lease_ms as u64);
                true
            }
            Ok(false) => {
                tracing::warn!(meeting = %uuid.as_str(), epoch = h.epoch, "another node took the meeting: this one stops");
                h.until = started;
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "renewing a meeting's lease");
                // A little wait before the next try (the renewal timer
                // fires at once until the hold lapses).
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                std::time::Instant::now() < h.until
            }
        }
    }

    /// Keeps the session's handover for the node that may take over
    /// (cluster nodes only; `now`: at once, else within [`HANDOVER_EVERY`]).
    /// False when fenced out: another node holds the meeting.
    async fn keep_handover(&mut self, now: bool) -> bool {
        let Some(h) = &mut self.hold else { return true };
        let seq = self.session.seq();
        if seq == self.saved_seq && !self.unsaved_media {
            self.unsaved_since = None;
            return true;
        }
        let since = *self.unsaved_since.get_or_insert_with(std::time::Instant::now);
        if !now && since.elapsed() < HANDOVER_EVERY {
            return true;
        }
        let doc = match serde_json::to_string(&self.session.handover()) {
            Ok(d) => d,
            Err(_) => return true,
        };
        let uuid = self.session.meeting().conf_uuid.clone();
        match self
            .hub
            .store
            .save_handover(&uuid, &h.cluster.node_id, h.epoch, &doc)
            .await
        {
            Ok(true) => {
                self.saved_seq = seq;
                self.unsaved_media = false;
                self.unsaved_since = None;
                true
            }
            Ok(false) => {
                tracing::warn!(meeting = %uuid.as_str(), "another node took the meeting: this one stops");
                h.until = std::time::Instant::now();
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "keeping a meeting's handover");
                true
            }
        }
    }

    /// Whether the hold ran out by this node's clock (e.g. after the
    /// process was paused): the meeting may be another node's now.
    fn hold_lapsed(&self) -> bool {
        self.hold.as_ref().is_some_and(|h| std::time::Instant::now() >= h.until)
    }

    /// Stores a change, trying again a few times. On a cluster node, in
    /// one transaction with its lease's renewal: a node that lost the
    /// meeting writes nothing (the fence), and answers false.
    async fn persist(&mut self, p: &Persist) -> bool {
        let uuid = self.session.meeting().conf_uuid.clone();
        for attempt in 1..=PERSIST_ATTEMPTS {
            let started = std::time::Instant::now();
            let fence = self.hold.as_ref().map(|h| convene_store::Fence {
                node_id: h.cluster.node_id.clone(),
                epoch: h.epoch,
                until_ms: crate::cluster::now_ms() + h.cluster.lease_ms,
            });
            match self.hub.store.store_live_change(&uuid, fence.as_ref(), p).await {
                Ok(true) => {
                    if let Some(h) = &mut self.hold {
                        h.until = started + std::time::Duration::from_millis(h.cluster.lease_ms as u64);
                    }
                    return true;
                }
                Ok(false) => {
                    tracing::warn!(meeting = %uuid.as_str(), "another node took the meeting: this one stops");
                    if let Some(h) = &mut self.hold {
                        h.until = started;
                    }
                    return false;
                }
                Err(e) => {
                    tracing::error!(error = %e, attempt, "storing a live meeting's change");
                    if attempt < PERSIST_ATTEMPTS {
                        tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(attempt))).await;
                    }
                }
            }
        }
        false
    }

    /// The reply to a request whose change could not be stored.
    fn not_stored() -> Refusal {
        Refusal::new(SdkErr::SDK_COMMON_FAIL, "the change could not be stored: join again")
    }

    async fn on_media_req(&mut self, p: ParticipantId, conn: ConnId, req: MediaReq) -> Result<Option<String>, Refusal> {
        let peer = PeerId(p.0);
        let room = self.room;
        match req {
            MediaReq::Offer(sdp) => {
                let step = self.session.media_offer(p, conn)?;
                let (reply, rx) = oneshot::channel();
                let cmd = match step {
                    MediaStep::Renegotiate => WorkerCmd::Offer { room, peer, sdp, reply },
                    MediaStep::Open(rights) => WorkerCmd::AddPeer {
                        room,
                        peer,
                        sdp,
                        policy: policy(rights),
                        events: self.media_tx.clone(),
                        reply,
                    },
                };
                let _ = self.worker.send(cmd);
                let answer = rx
                    .await
                    .map_err(|_| Refusal::new(SdkErr::SDK_COMMON_FAIL, "the media server stopped"))?
                    .map_err(sfu_refusal)?;
                self.session.media_opened(p, step);
                Ok(Some(answer))
            }
            MediaReq::Answer(sdp) => {
                self.session.media_answer(p, conn)?;
                let (reply, rx) = oneshot::channel();
                let _ = self.worker.send(WorkerCmd::Answer { room, peer, sdp, reply });
                rx.await
                    .map_err(|_| Refusal::new(SdkErr::SDK_COMMON_FAIL, "the media server stopped"))?
                    .map_err(sfu_refusal)?;
                Ok(None)
            }
            MediaReq::Close => {
                self.session.media_close(p, conn);
                Ok(None)
            }
        }
    }

    fn on_media_event(&mut self, e: SfuEvent) {
        match e {
            SfuEvent::Offer { peer, sdp, .. } => self.session.sfu_offer(ParticipantId(peer.0), sdp),
            SfuEvent::ActiveSpeaker { peer, volume, .. } => {
                let p = peer.map(|x| ParticipantId(x.0));
                self.watchers.speaker(self.session.live(), p, volume);
                self.session.active_speaker(p, self.hub.clock.now_ms());
            }
            SfuEvent::PeerClosed { peer, .. } => self.session.sfu_closed(ParticipantId(peer.0)),
        }
    }

    /// A control request; `requestHostRole` checks the host password, so
    /// the password guard is asked first and told of a wrong one, under one
    /// lock of it (as for joins).
    fn control(&mut self, by: Actor, action: Action, now: i64) -> Result<(), Refusal> {
        let reclaim = matches!(action, Action::ReclaimHost { .. });
        let caller = by
            .participant()
            .and_then(|p| self.session.caller_of(p))
            .map(str::to_owned);
        let (Some(caller), true) = (caller, reclaim) else {
            return self.session.control(by, action, now, Gate::Open);
        };
        let conf = self.session.meeting().conf_id.0.clone();
        let hub = self.hub.clone();
        let mut guard = hub.guard();
        let gate = guard.gate(&conf, &caller, now);
        let result = self.session.control(by, action, now, gate);
        if let Err(r) = &result {
            if rules::counts_as_failure(r) {
                guard.failed(&conf, &caller, now);
            }
        }
        result
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Cmd>, mut media_rx: mpsc::UnboundedReceiver<SfuEvent>) {
        let me = {
            let tasks = self.hub.tasks.lock().unwrap_or_else(|e| e.into_inner());
            tasks.get(&self.session.meeting().conf_uuid).cloned()
        };
        let Some(me) = me else { return };
        let mut moved = self.hub.clock.subscribe();
        let mut rng = rand::rngs::StdRng::from_entropy();
        let mut urgent = false;
        loop {
            let now = self.hub.clock.now();
            self.session.tick(now);
            self.drain().await;
            self.tell_watchers();
            if self.session.is_stopped() {
                break;
            }
            if !self.keep_handover(std::mem::take(&mut urgent)).await {
                break;
            }
            let flush = self.unsaved_since.map_or(std::time::Duration::from_secs(3600), |t| {
                HANDOVER_EVERY.saturating_sub(t.elapsed())
            });
            let wait = self
                .session
                .next_deadline()
                .map(|d| (d - now).max(0) as u64)
                .unwrap_or(3600);
            // A cluster node renews its lease every third of it.
            let renew = self.hold.as_ref().map_or(std::time::Duration::from_secs(3600), |h| {
                let third = std::time::Duration::from_millis(h.cluster.lease_ms as u64 / 3);
                h.until.checked_sub(third * 2).map_or(std::time::Duration::ZERO, |t| {
                    t.saturating_duration_since(std::time::Instant::now())
                })
            });
            let cmd = tokio::select! {
                cmd = rx.recv() => cmd,
                Some(e) = media_rx.recv() => {
                    if self.hold_lapsed() {
                        break;
                    }
                    self.on_media_event(e);
                    continue;
                }
                _ = tokio::time::sleep(std::time::Duration::from_secs(wait)) => continue,
                _ = tokio::time::sleep(renew) => {
                    if !self.fenced().await {
                        break;
                    }
                    continue;
                }
                _ = tokio::time::sleep(flush) => continue,
                _ = moved.changed() => continue,
            };
            let Some(cmd) = cmd else { break };
            // Paused past the lease (or cut off from the database): the
            // meeting may run elsewhere now; this node must not act on it.
            if self.hold_lapsed() && !self.fenced().await {
                refuse_moved(cmd);
                break;
            }
            let now = self.hub.clock.now();
            match cmd {
                Cmd::Join { req, reply } => {
                    let result = self.session.join(req, now, &mut rng);
                    // The joiner's connection exists before its welcome is sent.
                    let result = result.map(|a| self.attached(a, &me));
                    let stored = self.drain().await;
                    // Its resume token moves with the meeting before it has it.
                    let stored = stored && self.keep_handover(true).await;
                    let _ = reply.send(if stored { result } else { Err(Self::not_stored()) });
                }
                Cmd::Resume {
                    participant,
                    token,
                    last_seq,
                    reply,
                } => {
                    let result = self
                        .session
                        .resume(participant, &token, last_seq)
                        .map(|a| self.attached(a, &me));
                    urgent = true;
                    let _ = reply.send(result);
                }
                Cmd::Control { by, action, reply } => {
                    let started = std::time::Instant::now();
                    let result = self.control(by, action, now);
                    let stored = self.drain().await;
                    // What it changed moves with the meeting before it is
                    // answered: a takeover does not undo an acknowledged
                    // change (everyone was told of it just now).
                    let stored = stored && self.keep_handover(true).await;
                    metrics::histogram!("convene_control_seconds").record(started.elapsed().as_secs_f64());
                    let _ = reply.send(if stored { result } else { Err(Self::not_stored()) });
                }
                Cmd::Leave { participant, conn } => {
                    self.session.leave(participant, conn, now);
                    urgent = true;
                }
                Cmd::Disconnect { participant, conn } => {
                    self.conns.remove(&conn);
                    self.session.disconnect(participant, conn, now);
                }
                Cmd::Watch { types, reply } => {
                    let now_view = crate::confctl::Now::of(self.session.live());
                    let _ = reply.send(self.watchers.add(types, &now_view));
                    self.session.set_watched(true);
                }
                Cmd::Unwatch => {
                    self.watchers.prune();
                    self.session.set_watched(!self.watchers.is_empty());
                }
                Cmd::Roster { reply } => {
                    let _ = reply.send(self.session.live().roster());
                }
                Cmd::Decline {
                    call_id,
                    user_id,
                    account,
                    reply,
                } => {
                    let _ = reply.send(self.session.decline(&call_id, &user_id, &account, now));
                }
                Cmd::Media {
                    participant,
                    conn,
                    req,
                    reply,
                } => {
                    let had = self.session.has_media(participant);
                    let result = self.on_media_req(participant, conn, req).await;
                    let _ = reply.send(result);
                    // Who has media moves with the meeting (the next node
                    // tells them to open it again), at once when it changed
                    // (not at every renegotiation: a join makes one for
                    // everyone).
                    if self.session.has_media(participant) != had {
                        self.unsaved_media = true;
                        urgent = true;
                    }
                }
            }
        }
        let lost = self.hold_lapsed();
        if !lost {
            self.drain().await;
        }
        // A capture still open (the meeting moved to another node while
        // recording) is closed with what it has: the part is kept, and
        // composed here.
        if let Some(id) = self.segment.take() {
            let (done, rx) = oneshot::channel();
            let _ = self.worker.send(WorkerCmd::CaptureStop { room: self.room, done });
            self.hub
                .recordings
                .end(id, self.hub.clock.now(), rx, self.names.clone());
        }
        let _ = self.worker.send(WorkerCmd::RemoveRoom { room: self.room });
        // Closing `rx` makes later sends fail, so the hub starts a new task.
        rx.close();
        if lost {
            // Another node may run it: its connections go (the clients
            // come back through any node to the new holder), and what
            // was asked meanwhile is refused.
            self.conns.clear();
            while let Ok(cmd) = rx.try_recv() {
                refuse_moved(cmd);
            }
        } else if let Some(h) = &self.hold {
            let uuid = &self.session.meeting().conf_uuid;
            // Over here (emptied or ended): nothing to take over.
            if let Err(e) = self.hub.store.clear_handover(uuid, &h.cluster.node_id, h.epoch).await {
                tracing::warn!(error = %e, "forgetting a meeting's handover");
            }
            if let Err(e) = self.hub.store.release_lease(uuid, &h.cluster.node_id, h.epoch).await {
                tracing::warn!(error = %e, "releasing a meeting's lease");
            }
        }
        self.hub.forget(&self.session.meeting().conf_uuid);
    }
}

/// Answers a command with [`moved`] (what needs no answer is dropped).
fn refuse_moved(cmd: Cmd) {
    match cmd {
        Cmd::Join { reply, .. } => {
            let _ = reply.send(Err(moved()));
        }
        Cmd::Resume { reply, .. } => {
            let _ = reply.send(Err(moved()));
        }
        Cmd::Control { reply, .. } => {
            let _ = reply.send(Err(moved()));
        }
        Cmd::Media { reply, .. } => {
            let _ = reply.send(Err(moved()));
        }
        Cmd::Decline { reply, .. } => {
            let _ = reply.send(Err(moved()));
        }
        _ => {}
    }
}
