//! A participant's live session: `joinConfById` / `joinConfByRandom`, the
//! in-meeting control calls (`IHwmConfCtrl`), and the notifications, over the
//! meeting's WebSocket.
//!
//! A background task owns the socket. When the connection drops without a
//! leave, the task resumes it (the server keeps the place for its grace
//! period) and receives the events it missed; the participant is never
//! duplicated. Notifications arrive in order, both through [`ConfSession::next_event`]
//! and through the callbacks named after the product SDK's
//! (`on_attendee_list_changed`, `on_conf_ended`...).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use convene_proto::live::{
    ActionMsg, Attendee, ChatMessage, ClientMsg, Event, JoinMsg, LiveInfo, ParticipantId, RecordOp, RecordState,
    ServerMsg,
};
use convene_proto::{AttendeeBaseInfo, AttendeeType, ConfRole, SdkErr};

use crate::SdkError;

/// `joinConfById` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinConfByIdInfo {
    pub conf_id: String,
    pub password: String,
    pub nick_name: String,
    pub is_mic_on: bool,
    pub is_camera_on: bool,
    /// The joining device's kind (decides which auto-mute policy applies).
    pub attendee_type: Option<AttendeeType>,
}

/// `joinConfByRandom` input: `random` is the code a guest link carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinConfByRandomInfo {
    pub conf_id: String,
    pub random: String,
    pub nick_name: String,
    pub is_mic_on: bool,
    pub is_camera_on: bool,
}

/// A join's callback result.
#[derive(Default)]
pub struct JoinConfResult {
    pub session: Option<ConfSession>,
}

type Callback<T> = Box<dyn Fn(&T) + Send + Sync>;

#[derive(Default)]
struct Callbacks {
    on_conf_state_changed: Option<Callback<u8>>,
    on_conf_info_notify: Option<Callback<LiveInfo>>,
    on_attendee_list_changed: Option<Callback<Vec<Attendee>>>,
    on_waiting_list_changed: Option<Callback<Vec<Attendee>>>,
    on_waiting_room_state_changed: Option<Callback<bool>>,
    on_self_role_changed: Option<Callback<ConfRole>>,
    on_meeting_info_changed: Option<Callback<Event>>,
    on_conf_ending_soon: Option<Callback<i64>>,
    on_conf_ended: Option<Callback<(SdkErr, String)>>,
    on_active_speaker_changed: Option<Callback<Option<ParticipantId>>>,
    on_call_state_changed: Option<Callback<Event>>,
    on_chat_message: Option<Callback<ChatMessage>>,
    on_chat_allowed_changed: Option<Callback<bool>>,
    on_record_state_changed: Option<Callback<RecordState>>,
    on_share_state_changed: Option<Callback<Vec<ParticipantId>>>,
    on_multi_share_changed: Option<Callback<bool>>,
}

impl Callbacks {
    fn call(&self, e: &Event) {
        match e {
            Event::OnConfStateChanged { state } => self.on_conf_state_changed.as_ref().map(|f| f(state)),
            Event::OnConfInfoNotify { info } => self.on_conf_info_notify.as_ref().map(|f| f(info)),
            Event::OnAttendeeListChanged { attendees } => self.on_attendee_list_changed.as_ref().map(|f| f(attendees)),
            Event::OnWaitingListChanged { attendees } => self.on_waiting_list_changed.as_ref().map(|f| f(attendees)),
            Event::OnWaitingRoomStateChanged { is_open } => {
                self.on_waiting_room_state_changed.as_ref().map(|f| f(is_open))
            }
            Event::OnSelfRoleChanged { role } => self.on_self_role_changed.as_ref().map(|f| f(role)),
            Event::OnMeetingInfoChanged { .. } => self.on_meeting_info_changed.as_ref().map(|f| f(e)),
            Event::OnConfEndingSoon { end_time_stamp } => self.on_conf_ending_soon.as_ref().map(|f| f(end_time_stamp)),
            Event::OnConfEnded { reason, reason_text } => {
                self.on_conf_ended.as_ref().map(|f| f(&(reason.0, reason_text.clone())))
            }
            Event::OnActiveSpeakerChanged { participant_id } => {
                self.on_active_speaker_changed.as_ref().map(|f| f(participant_id))
            }
            Event::OnCallStateChanged { .. } => self.on_call_state_changed.as_ref().map(|f| f(e)),
            Event::OnChatMessage { message } => self.on_chat_message.as_ref().map(|f| f(message)),
            // The history arrives as the messages it holds, in order.
            Event::OnChatHistory { messages } => self.on_chat_message.as_ref().map(|f| messages.iter().for_each(f)),
            Event::OnChatAllowedChanged { is_allowed } => self.on_chat_allowed_changed.as_ref().map(|f| f(is_allowed)),
            Event::OnRecordStateChanged { state } => self.on_record_state_changed.as_ref().map(|f| f(state)),
            Event::OnShareStateChanged { sharers, .. } => self.on_share_state_changed.as_ref().map(|f| f(sharers)),
            Event::OnMultiShareChanged { is_allowed } => self.on_multi_share_changed.as_ref().map(|f| f(is_allowed)),
            // Given to the list callbacks whole (see the session's runner).
            Event::OnAttendeesChanged { .. } => None,
        };
    }
}

/// Media signalling from the server (the WebRTC side is the caller's:
/// a browser's RTCPeerConnection, or a str0m peer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSignal {
    /// The answer to our `media_offer`.
    Answer(String),
    /// The server offers a change; reply with `media_answer`.
    Offer(String),
    Error(SdkErr, String),
    /// The media connection was closed by the server.
    Closed(String),
}

enum Req {
    Control(ActionMsg, oneshot::Sender<Result<(), SdkError>>),
    Media(ClientMsg),
    Leave,
    /// Drop the connection as a network failure would (the session resumes
    /// after this long).
    Interrupt(Duration),
}

struct Shared {
    role: Mutex<ConfRole>,
    callbacks: Mutex<Callbacks>,
    /// The admitted participants (0) and the waiting list (1), as the
    /// server's whole lists and changes (`OnAttendeesChanged`) built them.
    lists: Mutex<[Vec<Attendee>; 2]>,
    /// Bytes of the server's messages received after the welcome.
    received: std::sync::atomic::AtomicU64,
}

/// Applies a list change: entries in `refresh` replace (or join) those
/// with their participant ID, those in `remove` go; arrival order (the
/// participant IDs' order) is kept.
fn apply_change(list: &mut Vec<Attendee>, refresh: &[Attendee], remove: &[ParticipantId]) {
    list.retain(|a| !remove.contains(&a.participant_id));
    for r in refresh {
        match list.binary_search_by_key(&r.participant_id, |a| a.participant_id) {
            Ok(i) => list[i] = r.clone(),
            Err(i) => list.insert(i, r.clone()),
        }
    }
}

/// A joined meeting.
pub struct ConfSession {
    conf_id: String,
    participant_id: ParticipantId,
    shared: Arc<Shared>,
    reqs: mpsc::UnboundedSender<Req>,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<(u64, Event)>>,
    media: tokio::sync::Mutex<mpsc::UnboundedReceiver<MediaSignal>>,
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) fn ws_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    format!("{base}/v1/convene/ws")
}

fn net(e: impl std::fmt::Display) -> SdkError {
    SdkError {
        code: SdkErr::UISDK_NO_NETWORK_ERROR,
        reason: e.to_string(),
    }
}

async fn send(ws: &mut Ws, msg: &ClientMsg) -> Result<(), SdkError> {
    let text = serde_json::to_string(msg).map_err(net)?;
    ws.send(Message::Text(text.into())).await.map_err(net)
}

/// The next message from the server, and its size in bytes.
async fn recv(ws: &mut Ws) -> Result<(ServerMsg, usize), SdkError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let msg = serde_json::from_str(&t).map_err(|e| SdkError {
                    code: SdkErr::UISDK_HTTP_SERVER_ERROR,
                    reason: e.to_string(),
                })?;
                return Ok((msg, t.len()));
            }
            Some(Ok(Message::Close(_))) | None => return Err(net("the connection closed")),
            Some(Err(e)) => return Err(net(e)),
            Some(Ok(_)) => {}
        }
    }
}

/// Opens the socket (with `tls` for a `wss://` URL) and sends the first
/// message; answers the server's reply.
/// How long a dropped session tries to resume (the server keeps the place
/// 30 s; a dead node's meetings move once its lease runs out).
const RESUME_FOR: Duration = Duration::from_secs(25);

/// Refusals worth another try: no network, a node not answering, or the
/// meeting moving between nodes ("try again").
fn transient(code: SdkErr) -> bool {
    code == SdkErr::UISDK_NO_NETWORK_ERROR
        || code == SdkErr::UISDK_HTTP_CONNECT_SERVER_TIMEOUT_ERROR
        || code == SdkErr::SDK_COMMON_FAIL
}

async fn open(
    url: &str,
    tls: &Option<Arc<rustls::ClientConfig>>,
    hello: &ClientMsg,
) -> Result<(Ws, ServerMsg), SdkError> {
    let connector = match tls {
        Some(config) => tokio_tungstenite::Connector::Rustls(config.clone()),
        None => tokio_tungstenite::Connector::Plain,
    };
    // No Nagle delay (`true`): requests and acknowledgements are small
    // frames that should leave at once, as the server's do.
    let connect = tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector));
    let (mut ws, _) = tokio::time::timeout(Duration::from_secs(15), connect)
        .await
        .map_err(|_| SdkError {
            code: SdkErr::UISDK_HTTP_CONNECT_SERVER_TIMEOUT_ERROR,
            reason: "connecting timed out".into(),
        })?
        .map_err(net)?;
    send(&mut ws, hello).await?;
    let (first, _) = recv(&mut ws).await?;
    if let ServerMsg::Error { ret, reason } = first {
        return Err(SdkError { code: ret, reason });
    }
    Ok((ws, first))
}

impl ConfSession {
    pub(crate) async fn join(
        base: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
        join: JoinMsg,
    ) -> Result<ConfSession, SdkError> {
        let url = ws_url(base);
        let conf_id = join.conf_id.clone();
        let (ws, first) = open(&url, &tls, &ClientMsg::Join(join)).await?;
        let ServerMsg::Joined {
            participant_id,
            resume_token,
            role,
            ..
        } = first
        else {
            return Err(SdkError {
                code: SdkErr::UISDK_HTTP_SERVER_ERROR,
                reason: "unexpected answer to join".into(),
            });
        };
        let shared = Arc::new(Shared {
            role: Mutex::new(role),
            callbacks: Mutex::default(),
            lists: Mutex::default(),
            received: Default::default(),
        });
        let (reqs, reqs_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (media_tx, media) = mpsc::unbounded_channel();
        let task = Task {
            media: media_tx,
            url,
            tls,
            conf_id: conf_id.clone(),
            participant: participant_id,
            resume_token,
            last_seq: 0,
            shared: shared.clone(),
            events: events_tx,
            pending: HashMap::new(),
            next_req: 1,
            over: false,
        };
        tokio::spawn(task.run(ws, reqs_rx));
        Ok(ConfSession {
            conf_id,
            participant_id,
            shared,
            reqs,
            events: tokio::sync::Mutex::new(events),
            media: tokio::sync::Mutex::new(media),
        })
    }

    pub fn conf_id(&self) -> &str {
        &self.conf_id
    }

    pub fn participant_id(&self) -> ParticipantId {
        self.participant_id
    }

    /// The current role in the meeting (WAITING while in the waiting room).
    pub fn role(&self) -> ConfRole {
        *self.shared.role.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The admitted participants as the meeting last told (in order of
    /// arrival), updated before the event that changed it is delivered.
    pub fn attendees(&self) -> Vec<Attendee> {
        self.shared.lists.lock().unwrap_or_else(|e| e.into_inner())[0].clone()
    }

    /// Bytes of the meeting's messages this session has received since its
    /// welcome (JSON text, without WebSocket framing): what the meeting
    /// costs this participant's link, for benchmarks and diagnostics.
    pub fn received_bytes(&self) -> u64 {
        self.shared.received.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Who waits (hosts and co-hosts only; empty for others).
    pub fn waiting_list(&self) -> Vec<Attendee> {
        self.shared.lists.lock().unwrap_or_else(|e| e.into_inner())[1].clone()
    }

    /// The next notification, in order, with the meeting's event number;
    /// `None` once the session is over and every event was taken.
    pub async fn next_event(&self) -> Option<(u64, Event)> {
        self.events.lock().await.recv().await
    }

    /// Waits (at most `within`) for the first event `pick` accepts, skipping
    /// the others; `None` on time-out or when the session is over.
    pub async fn wait_for<T>(&self, within: Duration, mut pick: impl FnMut(&Event) -> Option<T>) -> Option<T> {
        tokio::time::timeout(within, async {
            while let Some((_, e)) = self.next_event().await {
                if let Some(v) = pick(&e) {
                    return Some(v);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }

    /// Waits until the admitted participants (`waiting`: the waiting list)
    /// satisfy `pred`, and returns them; checked now and after each list
    /// event (the events before are consumed, as with [`Self::wait_for`]).
    pub async fn wait_for_list(
        &self,
        waiting: bool,
        within: Duration,
        pred: impl Fn(&[Attendee]) -> bool,
    ) -> Option<Vec<Attendee>> {
        let current = || if waiting { self.waiting_list() } else { self.attendees() };
        let now = current();
        if pred(&now) {
            return Some(now);
        }
        self.wait_for(within, |e| match e {
            Event::OnAttendeeListChanged { .. }
            | Event::OnWaitingListChanged { .. }
            | Event::OnAttendeesChanged { .. } => Some(current()).filter(|l| pred(l)),
            _ => None,
        })
        .await
    }

    /// Opens this participant's media connection with a WebRTC offer (its
    /// own tracks) and returns the server's answer. Later changes arrive as
    /// [`MediaSignal::Offer`] from [`ConfSession::next_media_signal`].
    pub async fn media_offer(&self, sdp: String) -> Result<String, SdkError> {
        self.reqs
            .send(Req::Media(ClientMsg::MediaOffer { sdp }))
            .map_err(|_| not_in_meeting())?;
        loop {
            match self.next_media_signal().await {
                Some(MediaSignal::Answer(a)) => return Ok(a),
                Some(MediaSignal::Error(code, reason)) => return Err(SdkError { code, reason }),
                Some(MediaSignal::Closed(reason)) => {
                    return Err(SdkError {
                        code: SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                        reason,
                    })
                }
                Some(MediaSignal::Offer(_)) => continue,
                None => return Err(not_in_meeting()),
            }
        }
    }

    /// Answers a [`MediaSignal::Offer`].
    pub fn media_answer(&self, sdp: String) {
        let _ = self.reqs.send(Req::Media(ClientMsg::MediaAnswer { sdp }));
    }

    /// Closes the media connection (the participant stays in the meeting).
    pub fn media_close(&self) {
        let _ = self.reqs.send(Req::Media(ClientMsg::MediaClose));
    }

    /// The next media signal from the server; `None` once the session is over.
    pub async fn next_media_signal(&self) -> Option<MediaSignal> {
        self.media.lock().await.recv().await
    }

    async fn control(&self, action: ActionMsg) -> Result<(), SdkError> {
        let (tx, rx) = oneshot::channel();
        self.reqs.send(Req::Control(action, tx)).map_err(|_| SdkError {
            code: SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
            reason: "not in the meeting".into(),
        })?;
        rx.await.unwrap_or_else(|_| {
            Err(SdkError {
                code: SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                reason: "not in the meeting".into(),
            })
        })
    }

    pub async fn mute_attendee(&self, participant: ParticipantId, is_mute: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::MuteAttendee {
            participant_id: participant,
            is_mute,
        })
        .await
    }
    /// Mutes or unmutes oneself.
    pub async fn mute_self(&self, is_mute: bool) -> Result<(), SdkError> {
        self.mute_attendee(self.participant_id, is_mute).await
    }
    pub async fn mute_all_attendee(&self, is_mute: bool, allow_unmute: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::MuteAllAttendee { is_mute, allow_unmute }).await
    }
    pub async fn set_camera(&self, is_on: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::SetCamera { is_on }).await
    }
    pub async fn raise_hand(&self, is_raised: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::RaiseHand { is_raised }).await
    }
    /// Sends a chat message to everyone (`to` `None`) or privately to one
    /// participant; at most 2,000 characters.
    pub async fn send_chat_message(&self, text: &str, to: Option<ParticipantId>) -> Result<(), SdkError> {
        self.control(ActionMsg::SendChatMessage {
            text: text.to_owned(),
            to,
        })
        .await
    }
    /// `OperateCloudRecord`: starts, stops, pauses or resumes the meeting's
    /// cloud recording (host or co-host, in a meeting created with
    /// recording allowed; otherwise `CMS_RECORD_START_EXCEPTION`).
    pub async fn operate_cloud_record(&self, op: RecordOp) -> Result<(), SdkError> {
        self.control(ActionMsg::OperateCloudRecord { op }).await
    }
    /// Starts or stops sharing one's screen (a video meeting; one sharer
    /// at a time unless the hosts allow several, see [`Self::allow_multi_share`]). The screen's frames go on the media connection's second
    /// video track; the server forwards them only while this holds.
    pub async fn set_share(&self, is_on: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::SetShare {
            participant_id: None,
            is_on,
        })
        .await
    }
    /// Stops another participant's sharing (host or co-host).
    pub async fn stop_share(&self, participant: ParticipantId) -> Result<(), SdkError> {
        self.control(ActionMsg::SetShare {
            participant_id: Some(participant),
            is_on: false,
        })
        .await
    }
    /// Lets several participants share screens at once (up to four), or
    /// only one (host or co-host; taking it back leaves the latest sharer).
    pub async fn allow_multi_share(&self, is_allowed: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::AllowMultiShare { is_allowed }).await
    }
    /// Lets participants chat, or not (hosts and co-hosts always may).
    pub async fn allow_chat(&self, is_allowed: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::AllowChat { is_allowed }).await
    }
    /// `addAttendee`: invites people into the meeting (host or co-host):
    /// each one's logged-in clients ring (see `ConveneClient::listen_calls_async`).
    pub async fn add_attendee(&self, attendees: Vec<AttendeeBaseInfo>) -> Result<(), SdkError> {
        self.control(ActionMsg::AddAttendee { attendees }).await
    }
    /// Renames a participant (oneself; anyone, as host or co-host).
    pub async fn rename_attendee(&self, participant: ParticipantId, new_name: &str) -> Result<(), SdkError> {
        self.control(ActionMsg::RenameAttendee {
            participant_id: participant,
            new_name: new_name.to_owned(),
        })
        .await
    }
    /// Raises or lowers a hand: one's own; a host or co-host lowers anyone's.
    pub async fn set_hands_state(&self, participant: ParticipantId, is_raised: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::SetHandsState {
            participant_id: participant,
            is_raised,
        })
        .await
    }
    /// The host gives up the host role.
    pub async fn release_host_role(&self) -> Result<(), SdkError> {
        self.control(ActionMsg::ReleaseHostRole {
            participant_id: self.participant_id,
        })
        .await
    }
    /// Whether guests may unmute themselves while everyone is muted.
    pub async fn allow_guest_unmute(&self, is_allowed: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::AllowGuestUnmute { is_allowed }).await
    }
    pub async fn set_cohost_right(&self, participant: ParticipantId, is_set: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::SetCohostRight {
            participant_id: participant,
            is_set,
        })
        .await
    }
    pub async fn grant_host_role(&self, participant: ParticipantId) -> Result<(), SdkError> {
        self.control(ActionMsg::GrantHostRole {
            participant_id: participant,
        })
        .await
    }
    pub async fn request_host_role(&self, host_pwd: &str) -> Result<(), SdkError> {
        self.control(ActionMsg::RequestHostRole {
            host_pwd: host_pwd.into(),
        })
        .await
    }
    pub async fn lock_conf(&self, is_lock: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::LockConf { is_lock }).await
    }
    pub async fn hangup_attendee(&self, participant: ParticipantId) -> Result<(), SdkError> {
        self.control(ActionMsg::HangupAttendee {
            participant_id: participant,
        })
        .await
    }
    pub async fn allow_waiting_attendee_enter(&self, participant: ParticipantId) -> Result<(), SdkError> {
        self.control(ActionMsg::AllowWaitingAttendeeEnter {
            participant_id: participant,
        })
        .await
    }
    pub async fn allow_all_waiting_attendee_enter(&self) -> Result<(), SdkError> {
        self.control(ActionMsg::AllowAllWaitingAttendeeEnter).await
    }
    pub async fn move_to_waiting_room(&self, participant: ParticipantId) -> Result<(), SdkError> {
        self.control(ActionMsg::MoveToWaitingRoom {
            participant_id: participant,
        })
        .await
    }
    pub async fn open_waiting_room(&self, is_open: bool) -> Result<(), SdkError> {
        self.control(ActionMsg::OpenWaitingRoom { is_open }).await
    }
    pub async fn extend_conf(&self, minutes: i64) -> Result<(), SdkError> {
        self.control(ActionMsg::ExtendConf { minutes }).await
    }
    /// `endConf`: host only.
    pub async fn end_conf(&self) -> Result<(), SdkError> {
        self.control(ActionMsg::EndConf).await
    }
    /// `leaveConf`: the meeting goes on without this participant.
    pub fn leave_conf(&self) {
        let _ = self.reqs.send(Req::Leave);
    }
    /// Drops the connection as a network failure would; the session resumes
    /// it within the server's grace period. For testing recovery.
    pub fn interrupt_connection(&self) {
        let _ = self.reqs.send(Req::Interrupt(Duration::ZERO));
    }
    /// Like [`ConfSession::interrupt_connection`], with the network gone
    /// for `outage` before the session tries to resume. For testing recovery.
    pub fn interrupt_connection_for(&self, outage: Duration) {
        let _ = self.reqs.send(Req::Interrupt(outage));
    }

    fn callbacks(&self) -> std::sync::MutexGuard<'_, Callbacks> {
        self.shared.callbacks.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn on_conf_state_changed(&self, f: impl Fn(&u8) + Send + Sync + 'static) {
        self.callbacks().on_conf_state_changed = Some(Box::new(f));
    }
    pub fn on_conf_info_notify(&self, f: impl Fn(&LiveInfo) + Send + Sync + 'static) {
        self.callbacks().on_conf_info_notify = Some(Box::new(f));
    }
    pub fn on_attendee_list_changed(&self, f: impl Fn(&Vec<Attendee>) + Send + Sync + 'static) {
        self.callbacks().on_attendee_list_changed = Some(Box::new(f));
    }
    pub fn on_waiting_list_changed(&self, f: impl Fn(&Vec<Attendee>) + Send + Sync + 'static) {
        self.callbacks().on_waiting_list_changed = Some(Box::new(f));
    }
    pub fn on_waiting_room_state_changed(&self, f: impl Fn(&bool) + Send + Sync + 'static) {
        self.callbacks().on_waiting_room_state_changed = Some(Box::new(f));
    }
    pub fn on_self_role_changed(&self, f: impl Fn(&ConfRole) + Send + Sync + 'static) {
        self.callbacks().on_self_role_changed = Some(Box::new(f));
    }
    pub fn on_meeting_info_changed(&self, f: impl Fn(&Event) + Send + Sync + 'static) {
        self.callbacks().on_meeting_info_changed = Some(Box::new(f));
    }
    pub fn on_conf_ending_soon(&self, f: impl Fn(&i64) + Send + Sync + 'static) {
        self.callbacks().on_conf_ending_soon = Some(Box::new(f));
    }
    /// `onConfEnded(reason)`, with the spec's end reason code.
    pub fn on_conf_ended(&self, f: impl Fn(&(SdkErr, String)) + Send + Sync + 'static) {
        self.callbacks().on_conf_ended = Some(Box::new(f));
    }
    /// The loudest speaker changed (`None`: silence).
    pub fn on_active_speaker_changed(&self, f: impl Fn(&Option<ParticipantId>) + Send + Sync + 'static) {
        self.callbacks().on_active_speaker_changed = Some(Box::new(f));
    }
    /// Each chat message that reaches this participant (to everyone, or
    /// privately to or from it), the recent history first on admission.
    pub fn on_chat_message(&self, f: impl Fn(&ChatMessage) + Send + Sync + 'static) {
        self.callbacks().on_chat_message = Some(Box::new(f));
    }
    /// Whether participants may chat now (the hosts turned it on or off).
    pub fn on_chat_allowed_changed(&self, f: impl Fn(&bool) + Send + Sync + 'static) {
        self.callbacks().on_chat_allowed_changed = Some(Box::new(f));
    }
    /// Who shares a screen now, in the order they started (empty: nobody;
    /// on arrival it is `LiveInfo::sharers`).
    pub fn on_share_state_changed(&self, f: impl Fn(&Vec<ParticipantId>) + Send + Sync + 'static) {
        self.callbacks().on_share_state_changed = Some(Box::new(f));
    }
    /// Whether several participants may share at once now (the hosts
    /// allowed it or took it back; on arrival `LiveInfo::multi_share`).
    pub fn on_multi_share_changed(&self, f: impl Fn(&bool) + Send + Sync + 'static) {
        self.callbacks().on_multi_share_changed = Some(Box::new(f));
    }
    /// The meeting's recording started, paused or stopped (its state on
    /// arrival is `LiveInfo::record_state`).
    pub fn on_record_state_changed(&self, f: impl Fn(&RecordState) + Send + Sync + 'static) {
        self.callbacks().on_record_state_changed = Some(Box::new(f));
    }
    /// How invitations into the meeting go (hosts): an
    /// [`Event::OnCallStateChanged`].
    pub fn on_call_state_changed(&self, f: impl Fn(&Event) + Send + Sync + 'static) {
        self.callbacks().on_call_state_changed = Some(Box::new(f));
    }
}

fn not_in_meeting() -> SdkError {
    SdkError {
        code: SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
        reason: "not in the meeting".into(),
    }
}

struct Task {
    url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    conf_id: String,
    participant: ParticipantId,
    resume_token: String,
    last_seq: u64,
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<(u64, Event)>,
    media: mpsc::UnboundedSender<MediaSignal>,
    pending: HashMap<u64, oneshot::Sender<Result<(), SdkError>>>,
    next_req: u64,
    /// Left, removed or ended: no resuming.
    over: bool,
}

impl Task {
    fn on_message(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Result { req_id, ret, reason } => {
                if let Some(tx) = self.pending.remove(&req_id) {
                    let _ = tx.send(if ret.is_success() {
                        Ok(())
                    } else {
                        Err(SdkError { code: ret, reason })
                    });
                }
            }
            ServerMsg::Event { seq, event } => {
                // Resumed replays never repeat what was seen.
                if seq <= self.last_seq {
                    return;
                }
                self.last_seq = seq;
                match &event {
                    Event::OnSelfRoleChanged { role } => {
                        *self.shared.role.lock().unwrap_or_else(|e| e.into_inner()) = *role
                    }
                    Event::OnConfInfoNotify { info } => {
                        *self.shared.role.lock().unwrap_or_else(|e| e.into_inner()) = info.self_conf_role
                    }
                    Event::OnConfEnded { .. } => self.over = true,
                    _ => {}
                }
                // The lists are kept here; the named callbacks get them whole.
                let whole = {
                    let mut lists = self.shared.lists.lock().unwrap_or_else(|e| e.into_inner());
                    match &event {
                        Event::OnAttendeeListChanged { attendees } => {
                            lists[0] = attendees.clone();
                            None
                        }
                        Event::OnWaitingListChanged { attendees } => {
                            lists[1] = attendees.clone();
                            None
                        }
                        Event::OnAttendeesChanged {
                            waiting,
                            refresh,
                            remove,
                        } => {
                            let i = usize::from(*waiting);
                            apply_change(&mut lists[i], refresh, remove);
                            let callbacks = self.shared.callbacks.lock().unwrap_or_else(|e| e.into_inner());
                            let wanted = if *waiting {
                                callbacks.on_waiting_list_changed.is_some()
                            } else {
                                callbacks.on_attendee_list_changed.is_some()
                            };
                            wanted.then(|| {
                                let attendees = lists[i].clone();
                                if *waiting {
                                    Event::OnWaitingListChanged { attendees }
                                } else {
                                    Event::OnAttendeeListChanged { attendees }
                                }
                            })
                        }
                        _ => None,
                    }
                };
                self.shared
                    .callbacks
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .call(whole.as_ref().unwrap_or(&event));
                let _ = self.events.send((seq, event));
            }
            ServerMsg::MediaAnswer { sdp } => {
                let _ = self.media.send(MediaSignal::Answer(sdp));
            }
            ServerMsg::MediaOffer { sdp } => {
                let _ = self.media.send(MediaSignal::Offer(sdp));
            }
            ServerMsg::MediaError { ret, reason } => {
                let _ = self.media.send(MediaSignal::Error(ret, reason));
            }
            ServerMsg::MediaClosed { reason } => {
                let _ = self.media.send(MediaSignal::Closed(reason));
            }
            _ => {}
        }
    }

    async fn run(mut self, mut ws: Ws, mut reqs: mpsc::UnboundedReceiver<Req>) {
        loop {
            let mut outage = Duration::ZERO;
            let dropped = loop {
                tokio::select! {
                    req = reqs.recv() => match req {
                        Some(Req::Control(action, reply)) => {
                            let req_id = self.next_req;
                            self.next_req += 1;
                            if let Err(e) = send(&mut ws, &ClientMsg::Control { req_id, action }).await {
                                let _ = reply.send(Err(e));
                                break true;
                            }
                            self.pending.insert(req_id, reply);
                        }
                        Some(Req::Media(msg)) => {
                            if send(&mut ws, &msg).await.is_err() {
                                break true;
                            }
                        }
                        Some(Req::Leave) => {
                            self.over = true;
                            let _ = send(&mut ws, &ClientMsg::Leave).await;
                        }
                        Some(Req::Interrupt(d)) => {
                            outage = d;
                            if !d.is_zero() {
                                let _ = ws.close(None).await;
                            }
                            break true;
                        }
                        // The session was dropped: leave.
                        None => {
                            let _ = send(&mut ws, &ClientMsg::Leave).await;
                            let _ = ws.close(None).await;
                            return;
                        }
                    },
                    msg = recv(&mut ws) => match msg {
                        Ok((m, bytes)) => {
                            self.shared.received.fetch_add(bytes as u64, std::sync::atomic::Ordering::Relaxed);
                            self.on_message(m)
                        }
                        Err(_) => break !self.over,
                    },
                }
            };
            for (_, tx) in self.pending.drain() {
                let _ = tx.send(Err(net("the connection dropped")));
            }
            if !dropped || self.over {
                return;
            }
            // Resume within the server's grace period: past a network
            // outage, or while the meeting moves to another node (a node
            // died; its lease runs out first), retrying what is transient.
            let mut resumed = None;
            let started = std::time::Instant::now();
            for attempt in 0u64.. {
                if attempt > 0 && started.elapsed() > RESUME_FOR {
                    break;
                }
                let pause = if attempt == 0 { outage } else { Duration::ZERO };
                tokio::time::sleep(Duration::from_millis(100 * attempt.min(10)) + pause).await;
                let hello = ClientMsg::Resume {
                    conf_id: self.conf_id.clone(),
                    participant_id: self.participant,
                    resume_token: self.resume_token.clone(),
                    last_seq: self.last_seq,
                };
                match open(&self.url, &self.tls, &hello).await {
                    Ok((w, ServerMsg::Resumed { role, .. })) => {
                        *self.shared.role.lock().unwrap_or_else(|e| e.into_inner()) = role;
                        resumed = Some(w);
                        break;
                    }
                    Ok(_) => break,
                    Err(e) if !transient(e.code) => break,
                    Err(_) => {}
                }
            }
            match resumed {
                Some(w) => ws = w,
                None => {
                    let _ = self.events.send((
                        self.last_seq,
                        Event::OnConfEnded {
                            reason: convene_proto::live::EndReason(SdkErr::UISDK_NO_NETWORK_ERROR),
                            reason_text: "the connection to the meeting was lost".into(),
                        },
                    ));
                    return;
                }
            }
        }
    }
}
