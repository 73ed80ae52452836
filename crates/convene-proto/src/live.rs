//! The live meeting's wire shapes: participants and the notifications the
//! product's SDK names (`onAttendeeListChanged`, `onConfEnded`...), as they
//! travel over a participant's WebSocket. `convene-core::live` produces them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::conf::*;
use crate::error::SdkErr;

/// A participant's ID within one meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct ParticipantId(pub u64);

/// One participant as everyone sees it (the spec's attendee info).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    pub participant_id: ParticipantId,
    pub nick_name: String,
    pub role: ConfRole,
    pub is_mic_on: bool,
    pub is_camera_on: bool,
    pub hand_raised: bool,
    pub attendee_type: AttendeeType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_uuid: Option<String>,
    pub is_anonymous: bool,
    /// Connected now (false during the reconnect grace period).
    pub online: bool,
}

/// Why the meeting ended, or why a participant is out (spec §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct EndReason(pub SdkErr);

/// A notification, named after the product SDK's callbacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "name", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Event {
    /// `onConfStateChanged`: 1 on (joined, admitted), 0 off.
    OnConfStateChanged { state: u8 },
    /// `onConfInfoNotify`: the meeting as the receiver may see it.
    OnConfInfoNotify { info: LiveInfo },
    /// `onAttendeeListChanged`: the whole list of admitted participants,
    /// sent to one participant when it arrives (or needs a fresh view);
    /// after that it hears only [`Event::OnAttendeesChanged`].
    OnAttendeeListChanged { attendees: Vec<Attendee> },
    /// `onWaitingListChanged`: who waits, the whole list (hosts only, when
    /// they become hosts); then [`Event::OnAttendeesChanged`] with `waiting`.
    OnWaitingListChanged { attendees: Vec<Attendee> },
    /// What changed in a list since the last event about it, as the
    /// product's `ParticipantsNotify` has it: participants added or changed
    /// (`refresh`, whole entries) and those gone (`remove`). `waiting`:
    /// the waiting list (hosts only), else the admitted participants. The
    /// SDKs keep the lists and call `onAttendeeListChanged` /
    /// `onWaitingListChanged` with the whole list.
    OnAttendeesChanged {
        waiting: bool,
        refresh: Vec<Attendee>,
        remove: Vec<ParticipantId>,
    },
    /// `onWaitingRoomStateChanged`: the waiting room opened or closed.
    OnWaitingRoomStateChanged { is_open: bool },
    /// The receiver's own role changed (admitted, moved back, made co-host...).
    OnSelfRoleChanged { role: ConfRole },
    /// `onMeetingInfoChanged`: lock, mute-all or end time changed.
    OnMeetingInfoChanged {
        is_locked: bool,
        is_mute_all: bool,
        allow_unmute: bool,
        end_time_stamp: i64,
    },
    /// The meeting ends soon (`END_WARNING` before its end).
    OnConfEndingSoon { end_time_stamp: i64 },
    /// `onConfEnded(reason)`: the meeting is over for the receiver.
    OnConfEnded { reason: EndReason, reason_text: String },
    /// `onSpeakerListChanged`: who speaks loudest now (none: silence).
    OnActiveSpeakerChanged { participant_id: Option<ParticipantId> },
    /// A chat message: to everyone, or privately to the receiver (and
    /// back to its sender).
    OnChatMessage { message: ChatMessage },
    /// The recent messages to everyone, once, when a participant is
    /// admitted (a late joiner catches up).
    OnChatHistory { messages: Vec<ChatMessage> },
    /// Whether participants may chat (hosts and co-hosts always may).
    OnChatAllowedChanged { is_allowed: bool },
    /// Who shares a screen now, to the admitted: `sharers` in the order
    /// they started (empty: nobody), `participantId` the latest of them;
    /// on arrival it is `onConfInfoNotify`'s `sharing`/`sharers`.
    OnShareStateChanged {
        participant_id: Option<ParticipantId>,
        #[serde(default)]
        sharers: Vec<ParticipantId>,
    },
    /// Whether several participants may share screens at once (hosts
    /// allow it; up to four).
    OnMultiShareChanged { is_allowed: bool },
    /// The meeting's cloud recording started, paused or stopped (to
    /// everyone, the waiting room too; its state on arrival is in
    /// `onConfInfoNotify`'s `recordState`).
    OnRecordStateChanged { state: RecordState },
    /// How an invitation into the running meeting goes (hosts only; the
    /// product's `InviteResultNotify`): `nickName` and `number` as invited.
    OnCallStateChanged {
        nick_name: String,
        number: String,
        state: CallState,
    },
}

/// A message of the meeting's chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    /// Its number in the meeting, in order.
    pub id: u64,
    pub from: ParticipantId,
    pub from_name: String,
    /// A private message's receiver (`None`: to everyone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<ParticipantId>,
    pub text: String,
    /// Unix seconds.
    pub at: i64,
}

/// The meeting's cloud recording (the product's `recState`; the SDK's
/// `OperateCloudRecord` start, stop, pause, resume).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum RecordState {
    #[default]
    Off,
    /// Being recorded.
    Recording,
    /// Started, then paused: nothing is captured until it resumes.
    Paused,
}

impl RecordState {
    /// The product's `recState`: 1 while recording, else 0.
    pub fn rec_state(self) -> u8 {
        u8::from(self == RecordState::Recording)
    }
}

/// `OperateCloudRecord`'s operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum RecordOp {
    Start,
    Stop,
    Pause,
    Resume,
}

/// Where ringing an invitee stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum CallState {
    /// Their logged-in clients ring.
    Ringing,
    /// They joined.
    Answered,
    Declined,
    /// Nobody answered within the ringing time.
    NoAnswer,
    /// No account to ring (a phone number alone: convene reaches no
    /// telephone network).
    Unreachable,
    /// The meeting ended (or emptied) while it rang.
    Cancelled,
}

impl CallState {
    /// Its wire name (as serde writes it): `ringing`, `answered`,
    /// `declined`, `noAnswer`, `unreachable`, `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Ringing => "ringing",
            CallState::Answered => "answered",
            CallState::Declined => "declined",
            CallState::NoAnswer => "noAnswer",
            CallState::Unreachable => "unreachable",
            CallState::Cancelled => "cancelled",
        }
    }
}

/// What a logged-in client sends on its call channel (`/v1/convene/calls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum CallClientMsg {
    /// The first message: whose calls to ring here.
    Listen { access_token: String },
    /// Turn a call down (every device of the account stops ringing).
    Decline { call_id: String },
}

/// What the server sends on a call channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum CallServerMsg {
    /// Listening: calls to this account ring here from now on.
    Listening,
    /// An invitation into a running meeting: join it (as the logged-in
    /// account: the invitation lets it in) to answer, or decline.
    IncomingCall {
        call_id: String,
        conf_id: String,
        subject: String,
        /// Who invites (the meeting's host as scheduled).
        inviter: String,
        media_type: crate::MediaType,
        /// Unix seconds: it stops ringing then.
        expires_at: i64,
    },
    /// It stopped ringing: answered (here or on another device), declined,
    /// not answered in time, or the meeting ended.
    CallEnded {
        call_id: String,
        reason: CallState,
    },
    Error {
        ret: SdkErr,
        reason: String,
    },
}

/// An ICE server a browser may use to reach the media server (a TURN relay
/// for networks that block UDP), as `RTCIceServer` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// What `onConfInfoNotify` carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LiveInfo {
    pub conf_id: String,
    pub subject: String,
    pub self_conf_role: ConfRole,
    pub self_participant_id: ParticipantId,
    pub scheduler_name: String,
    pub start_time_stamp: i64,
    pub end_time_stamp: i64,
    pub media_type: MediaType,
    pub custom_info: String,
    /// Only hosts see the passwords and the host link code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_pwd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_pwd: Option<String>,
    pub is_locked: bool,
    pub is_waiting_room_open: bool,
    /// Whether the meeting may be recorded (`allowRecord`).
    #[serde(default)]
    pub allow_record: bool,
    #[serde(default)]
    pub record_state: RecordState,
    /// Who shares a screen (none: nobody); the latest of `sharers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing: Option<ParticipantId>,
    /// Everyone sharing, in the order they started.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sharers: Vec<ParticipantId>,
    /// The hosts let several participants share at once.
    #[serde(default)]
    pub multi_share: bool,
}

/// `GET /v1/convene/media/stats` (loopback callers only): the node's SFU counters.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaStats {
    /// Open media connections.
    pub connections: usize,
    /// Frames received from publishers and written to subscribers.
    pub frames_in: u64,
    pub frames_out: u64,
    /// Frames dropped because the meeting does not allow them (muted, camera off).
    pub frames_blocked: u64,
    /// Keyframe requests passed on to publishers.
    pub keyframe_requests: u64,
    /// RTP packets received and sent.
    pub rtp_in: u64,
    pub rtp_out: u64,
    /// Timer turns given to media connections.
    pub timer_turns: u64,
    /// Frames handed to the recording's capture writer, and those it
    /// could not take (it fell behind).
    #[serde(default)]
    pub frames_captured: u64,
    #[serde(default)]
    pub capture_dropped: u64,
}

/// A control request over the WebSocket (the product SDK's `IHwmConfCtrl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum ActionMsg {
    #[serde(rename_all = "camelCase")]
    MuteAttendee {
        participant_id: ParticipantId,
        is_mute: bool,
    },
    #[serde(rename_all = "camelCase")]
    MuteAllAttendee {
        is_mute: bool,
        allow_unmute: bool,
    },
    #[serde(rename_all = "camelCase")]
    SetCamera {
        is_on: bool,
    },
    #[serde(rename_all = "camelCase")]
    RaiseHand {
        is_raised: bool,
    },
    #[serde(rename_all = "camelCase")]
    SetCohostRight {
        participant_id: ParticipantId,
        is_set: bool,
    },
    #[serde(rename_all = "camelCase")]
    GrantHostRole {
        participant_id: ParticipantId,
    },
    #[serde(rename_all = "camelCase")]
    RequestHostRole {
        host_pwd: String,
    },
    #[serde(rename_all = "camelCase")]
    LockConf {
        is_lock: bool,
    },
    #[serde(rename_all = "camelCase")]
    HangupAttendee {
        participant_id: ParticipantId,
    },
    #[serde(rename_all = "camelCase")]
    AllowWaitingAttendeeEnter {
        participant_id: ParticipantId,
    },
    AllowAllWaitingAttendeeEnter,
    #[serde(rename_all = "camelCase")]
    MoveToWaitingRoom {
        participant_id: ParticipantId,
    },
    #[serde(rename_all = "camelCase")]
    OpenWaitingRoom {
        is_open: bool,
    },
    #[serde(rename_all = "camelCase")]
    ExtendConf {
        minutes: i64,
    },
    EndConf,
    /// Rename a participant (oneself; anyone, as host or co-host).
    #[serde(rename_all = "camelCase")]
    RenameAttendee {
        participant_id: ParticipantId,
        new_name: String,
    },
    /// Raise or lower one's hand; a host or co-host lowers anyone's.
    #[serde(rename_all = "camelCase")]
    SetHandsState {
        participant_id: ParticipantId,
        is_raised: bool,
    },
    /// The host gives up the host role.
    #[serde(rename_all = "camelCase")]
    ReleaseHostRole {
        participant_id: ParticipantId,
    },
    /// Whether guests may unmute themselves while everyone is muted.
    #[serde(rename_all = "camelCase")]
    AllowGuestUnmute {
        is_allowed: bool,
    },
    /// Send a chat message to everyone, or privately to `to`.
    #[serde(rename_all = "camelCase")]
    SendChatMessage {
        text: String,
        #[serde(default)]
        to: Option<ParticipantId>,
    },
    /// Whether participants may chat (hosts and co-hosts).
    #[serde(rename_all = "camelCase")]
    AllowChat {
        is_allowed: bool,
    },
    /// Whether several participants may share screens at once (hosts and
    /// co-hosts; up to four).
    #[serde(rename_all = "camelCase")]
    AllowMultiShare {
        is_allowed: bool,
    },
    /// Start or stop sharing one's screen (`participantId` absent: oneself);
    /// hosts and co-hosts stop anyone's. One sharer at a time unless the
    /// hosts allow several.
    #[serde(rename_all = "camelCase")]
    SetShare {
        #[serde(default)]
        participant_id: Option<ParticipantId>,
        is_on: bool,
    },
    /// `OperateCloudRecord`: start, stop, pause or resume the meeting's
    /// cloud recording (hosts and co-hosts, in a meeting that allows it).
    #[serde(rename_all = "camelCase")]
    OperateCloudRecord {
        op: RecordOp,
    },
    /// `addAttendee`: invite people into the meeting (their logged-in
    /// clients ring).
    #[serde(rename_all = "camelCase")]
    AddAttendee {
        attendees: Vec<AttendeeBaseInfo>,
    },
}

/// `joinConfById` / `joinConfByRandom` over the WebSocket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct JoinMsg {
    pub conf_id: String,
    /// `joinConfById`: the password (empty when none is needed).
    pub password: Option<String>,
    /// `joinConfByRandom`: the code of a join link.
    pub random: Option<String>,
    pub nick_name: String,
    pub is_mic_on: bool,
    pub is_camera_on: bool,
    pub attendee_type: Option<AttendeeType>,
    /// Join as this logged-in user (the login's `accessToken`).
    pub access_token: Option<String>,
}

/// What a client sends on its WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientMsg {
    /// The first message: join.
    Join(JoinMsg),
    /// The first message after a dropped connection: take the place back
    /// and receive the events after `lastSeq` addressed to it.
    #[serde(rename_all = "camelCase")]
    Resume {
        conf_id: String,
        participant_id: ParticipantId,
        resume_token: String,
        last_seq: u64,
    },
    #[serde(rename_all = "camelCase")]
    Control {
        req_id: u64,
        #[serde(flatten)]
        action: ActionMsg,
    },
    Leave,
    /// Open (or reopen) this participant's media connection: its SDP offer
    /// with the tracks it sends. Answered by `mediaAnswer` or `mediaError`.
    MediaOffer {
        sdp: String,
    },
    /// The answer to a `mediaOffer` from the server.
    MediaAnswer {
        sdp: String,
    },
    /// Close this participant's media connection (it stays in the meeting).
    MediaClose,
}

/// What the server sends on a participant's WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMsg {
    #[serde(rename_all = "camelCase")]
    Joined {
        participant_id: ParticipantId,
        resume_token: String,
        role: ConfRole,
        /// ICE servers for the media connection besides the server's own
        /// address (TURN, when configured).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ice_servers: Vec<IceServer>,
    },
    #[serde(rename_all = "camelCase")]
    Resumed {
        participant_id: ParticipantId,
        role: ConfRole,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ice_servers: Vec<IceServer>,
    },
    /// The answer to a `control` request.
    #[serde(rename_all = "camelCase")]
    Result { req_id: u64, ret: SdkErr, reason: String },
    /// A notification; `seq` is the meeting's event number (a participant
    /// receives the ones addressed to it, in order).
    Event { seq: u64, event: Event },
    /// The join or resume was refused; the connection closes.
    Error { ret: SdkErr, reason: String },
    /// The server's answer to the participant's `mediaOffer`.
    MediaAnswer { sdp: String },
    /// The server offers a change (others' tracks added or stopped); the
    /// client answers with `mediaAnswer`.
    MediaOffer { sdp: String },
    /// A media request was refused, or the media connection could not be
    /// opened (for example video in an audio-only meeting).
    MediaError { ret: SdkErr, reason: String },
    /// The participant's media connection closed (removed, moved to the
    /// waiting room, or the connection failed); a new `mediaOffer` reopens it
    /// when allowed.
    MediaClosed { reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The browser client reads these names: fields are camelCase like the
    /// product SDK's (`reasonText`, `isLocked`, `endTimeStamp`).
    #[test]
    fn call_state_names_are_the_wire_names() {
        use CallState::*;
        for s in [Ringing, Answered, Declined, NoAnswer, Unreachable, Cancelled] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn event_fields_are_camel_case_on_the_wire() {
        let e = Event::OnConfEnded {
            reason: EndReason(SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF),
            reason_text: "x".into(),
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"name":"onConfEnded","reason":414100044,"reasonText":"x"}"#
        );
        let e = Event::OnMeetingInfoChanged {
            is_locked: true,
            is_mute_all: false,
            allow_unmute: true,
            end_time_stamp: 5,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["isLocked"], true);
        assert_eq!(v["endTimeStamp"], 5);
    }
}
