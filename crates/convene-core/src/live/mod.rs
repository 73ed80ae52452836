//! A live meeting as a sans-IO state machine: who is in it, in which role,
//! muted or not, waiting or admitted, and when it ends.
//!
//! [`Live`] takes inputs (a join, a leave, a disconnect, a control request,
//! the passing of time) and answers with outcomes and [`Event`]s addressed to
//! an [`Audience`]. It never reads a clock (every input carries `now`), never
//! sends anything and never stores anything: `crate::session::MeetingSession`
//! wraps it, numbers and routes its events and reports what it says in
//! [`Effects`] for storage. The event shapes are wire types of
//! `convene_proto::live`. One owner per meeting means every rule (the
//! participant cap, the waiting room, the lock) is decided without races.
//!
//! Files: this one (the state, joins, leaving, time), `control.rs` (the
//! in-meeting actions), `credentials.rs` (who gets in with what, who sees
//! what).

use std::collections::BTreeMap;

use convene_proto::live::*;
use convene_proto::*;

use crate::guard::Gate;
use crate::ids::{EnterpriseId, UserId};
use crate::meeting::{ConfState, LiveSettings, Meeting};

mod control;
mod credentials;

pub use credentials::{check_credential, check_host_password, counts_as_failure, invitation, password_locked, viewer};

/// Who asks for a control action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A participant, with the rights of their role.
    Participant(ParticipantId),
    /// The REST control API's caller (it holds a control token): the host's
    /// rights without being a participant, so nothing about itself to change.
    RestControl,
}

impl From<ParticipantId> for Actor {
    fn from(p: ParticipantId) -> Self {
        Actor::Participant(p)
    }
}

impl Actor {
    /// The participant acting, if it is one.
    pub fn participant(self) -> Option<ParticipantId> {
        match self {
            Actor::Participant(p) => Some(p),
            Actor::RestControl => None,
        }
    }
}

/// How long a disconnected participant keeps its place.
pub const RECONNECT_GRACE: i64 = 30;
/// How long before the end participants are warned.
pub const END_WARNING: i64 = 5 * 60;
/// Most minutes one extend call adds.
pub const MAX_EXTEND_MINUTES: i64 = 24 * 60;
/// How long after its start a meeting may end at the latest, however
/// often it is extended: twice the longest meeting one can create.
pub const MAX_MEETING_SECONDS: i64 = 48 * 3600;

/// What the joiner proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `joinConfById`: a password (empty when none was typed).
    Password(String),
    /// `joinConfByRandom`: the code a join link carries.
    Random(String),
}

/// A logged-in joiner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user_id: UserId,
    pub enterprise_id: EnterpriseId,
    pub name: String,
    /// The login account (`accountId` of an invitation).
    pub account: String,
    /// The third-party user ID of an App ID user.
    pub third_user_id: Option<String>,
}

/// A join request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub credential: Credential,
    pub nick_name: String,
    /// `None`: anonymous.
    pub account: Option<Account>,
    pub is_mic_on: bool,
    pub is_camera_on: bool,
    pub attendee_type: AttendeeType,
    /// Who is asking, for password-failure lockouts
    /// (`guard::caller_key`: the account, else the client's address).
    pub client_key: String,
    /// Whether this caller's password may be checked now
    /// (`guard::PasswordGuard::gate`); callers who prove themselves without
    /// a password are not held back by it.
    pub password_gate: Gate,
    /// The account answers a call ringing for it (set by the session, not
    /// the caller): the hosts called it, so neither the lock nor the waiting
    /// room holds it back.
    pub answering_call: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Participant {
    info: Attendee,
    /// The role a waiting participant gets when admitted.
    admitted_role: ConfRole,
    /// When the connection dropped, during the grace period.
    disconnected_at: Option<i64>,
    /// Whether this participant may unmute itself (false after a host's
    /// "mute all" without "allow unmute by oneself", until a host unmutes).
    may_unmute: bool,
    /// The order of arrival, for "admit all" and the attendee list.
    order: u64,
}

/// Who an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every admitted participant (not those in the waiting room).
    Admitted,
    /// Hosts and co-hosts.
    Hosts,
    /// Everyone present: the admitted and the waiting room.
    Everyone,
    /// One participant.
    One(ParticipantId),
}

/// Events to deliver, in order.
pub type Outbox = Vec<(Audience, Event)>;

/// What storage must learn of a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effects {
    /// The meeting ended: mark it ended (frees its ID and room).
    pub ended: bool,
    /// The end time moved: store the new one.
    pub end_changed: bool,
    /// Lock, waiting room, mute-all or prolonging changed: store
    /// [`Live::settings`].
    pub settings_changed: bool,
    /// The invited attendees changed: store the meeting's list.
    pub invitees_changed: bool,
}

/// A control request (spec §1, `IHwmConfCtrl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Mute or unmute one participant (oneself included).
    Mute {
        target: ParticipantId,
        mute: bool,
    },
    MuteAll {
        mute: bool,
        allow_unmute: bool,
    },
    /// Turn one's own camera on or off.
    Camera {
        on: bool,
    },
    RaiseHand {
        raised: bool,
    },
    SetCohost {
        target: ParticipantId,
        set: bool,
    },
    GrantHost {
        target: ParticipantId,
    },
    /// `RequestHostRole(hostPwd)`.
    ReclaimHost {
        host_pwd: String,
    },
    Lock {
        lock: bool,
    },
    /// `HangupAttendee`: remove a participant, admitted or waiting.
    Remove {
        target: ParticipantId,
    },
    /// `AllowWaitingAttendeeEnter`.
    Admit {
        target: ParticipantId,
    },
    AdmitAll,
    MoveToWaiting {
        target: ParticipantId,
    },
    OpenWaitingRoom {
        open: bool,
    },
    /// Extend the meeting by some minutes.
    Extend {
        minutes: i64,
    },
    End,
    /// Rename a participant: oneself, or anyone by a host or co-host.
    Rename {
        target: ParticipantId,
        name: String,
    },
    /// Raise or lower a hand: one's own, or anyone's lowered by a host or
    /// co-host (nobody raises another's hand).
    SetHand {
        target: ParticipantId,
        raised: bool,
    },
    /// The host gives up the role (`setRole` applyChair 0): they become a
    /// guest, and the meeting has no host until one takes it back with the
    /// host password or is granted it.
    ReleaseHost {
        target: ParticipantId,
    },
    /// Whether guests may unmute themselves while everyone is muted.
    AllowUnmute {
        allow: bool,
    },
    /// Who may join from now on (`callInRestriction`).
    SetJoinPolicy {
        allow: ConfAllowJoinUserType,
    },
    /// Take attendees off the invited list, by number or third-party ID
    /// (`attendees/delete`); they are no longer "invited" for joining.
    Uninvite {
        numbers: Vec<String>,
    },
    /// Invite people into the running meeting (`POST .../participants`):
    /// they join the invited list and their logged-in clients ring.
    Invite {
        attendees: Vec<convene_proto::AttendeeBaseInfo>,
    },
    /// A chat message to everyone, or privately to `to`.
    Chat {
        text: String,
        to: Option<ParticipantId>,
    },
    /// Whether participants may chat (hosts and co-hosts always may).
    AllowChat {
        allow: bool,
    },
    /// Start, stop, pause or resume the cloud recording.
    Record {
        op: RecordOp,
    },
    /// Whether several participants may share screens at once (hosts).
    AllowMultiShare {
        allow: bool,
    },
    /// Start or stop sharing a screen: one's own, or a host stops anyone's.
    Share {
        /// `None`: oneself.
        target: Option<ParticipantId>,
        on: bool,
    },
}

impl Action {
    /// The product SDK's name of the action (control records' `operateCode`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Mute { .. } => "muteAttendee",
            Action::MuteAll { .. } => "muteAllAttendee",
            Action::Camera { .. } => "setCamera",
            Action::RaiseHand { .. } => "raiseHand",
            Action::SetCohost { .. } => "setCohostRight",
            Action::GrantHost { .. } => "grantHostRole",
            Action::ReclaimHost { .. } => "requestHostRole",
            Action::Lock { .. } => "lockConf",
            Action::Remove { .. } => "hangupAttendee",
            Action::Admit { .. } => "allowWaitingAttendeeEnter",
            Action::AdmitAll => "allowAllWaitingAttendeeEnter",
            Action::MoveToWaiting { .. } => "moveToWaitingRoom",
            Action::OpenWaitingRoom { .. } => "openWaitingRoom",
            Action::Extend { .. } => "extendConf",
            Action::End => "endConf",
            Action::Rename { .. } => "renameAttendee",
            Action::SetHand { .. } => "setHandsState",
            Action::ReleaseHost { .. } => "releaseHostRole",
            Action::AllowUnmute { .. } => "allowGuestUnmute",
            Action::SetJoinPolicy { .. } => "setCallInRestriction",
            Action::Uninvite { .. } => "deleteAttendees",
            Action::Invite { .. } => "inviteAttendees",
            Action::Chat { .. } => "sendChatMessage",
            Action::AllowChat { .. } => "allowChat",
            Action::Record { .. } => "operateCloudRecord",
            Action::Share { .. } => "setShare",
            Action::AllowMultiShare { .. } => "allowMultiShare",
        }
    }

    /// The participant the action is done to, if one.
    pub fn target(&self) -> Option<ParticipantId> {
        match self {
            Action::Mute { target, .. }
            | Action::SetCohost { target, .. }
            | Action::GrantHost { target }
            | Action::Remove { target }
            | Action::Admit { target }
            | Action::MoveToWaiting { target }
            | Action::Rename { target, .. }
            | Action::SetHand { target, .. }
            | Action::ReleaseHost { target } => Some(*target),
            Action::Share { target, .. } => *target,
            _ => None,
        }
    }

    /// What it set, for the record (never a password).
    pub fn detail(&self) -> String {
        match self {
            Action::Mute { mute, .. } => format!("mute={mute}"),
            Action::MuteAll { mute, allow_unmute } => format!("mute={mute} allowUnmute={allow_unmute}"),
            Action::Camera { on } => format!("on={on}"),
            Action::RaiseHand { raised } => format!("raised={raised}"),
            Action::SetCohost { set, .. } => format!("set={set}"),
            Action::Lock { lock } => format!("lock={lock}"),
            Action::Share { on, .. } => format!("on={on}"),
            Action::OpenWaitingRoom { open } => format!("open={open}"),
            Action::Extend { minutes } => format!("minutes={minutes}"),
            Action::Rename { name, .. } => format!("name={name}"),
            Action::SetHand { raised, .. } => format!("raised={raised}"),
            Action::AllowUnmute { allow } | Action::AllowChat { allow } | Action::AllowMultiShare { allow } => {
                format!("allow={allow}")
            }
            Action::SetJoinPolicy { allow } => format!("allow={}", allow.number()),
            Action::Record { op } => format!(
                "op={}",
                match op {
                    RecordOp::Start => "start",
                    RecordOp::Stop => "stop",
                    RecordOp::Pause => "pause",
                    RecordOp::Resume => "resume",
                }
            ),
            Action::Uninvite { numbers } => format!("numbers={}", numbers.join(",")),
            Action::Invite { attendees } => {
                let names: Vec<&str> = attendees.iter().map(|a| a.nick_name.as_str()).collect();
                format!("names={}", names.join(","))
            }
            _ => String::new(),
        }
    }
}

pub use crate::refusal::Refusal;

fn refuse(code: SdkErr, reason: impl Into<String>) -> Refusal {
    Refusal::new(code, reason)
}

fn forbidden(what: &str) -> Refusal {
    refuse(
        SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS,
        format!("your role may not {what}"),
    )
}

/// A successful join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub participant: ParticipantId,
    pub role: ConfRole,
    /// The account was already present: this join takes over its
    /// participant (role and state kept); the older connection is to be
    /// told (`OnConfEnded` with `USG_TOKEN_IS_INVAILD_BY_KICKOFF`) and closed.
    pub took_over: bool,
}

/// Hard terminals follow `hardTerminalAutoMuteMode`; soft clients `autoMuteMode`.
pub fn is_hard_terminal(t: AttendeeType) -> bool {
    matches!(
        t,
        AttendeeType::Terminal
            | AttendeeType::Telepresence
            | AttendeeType::Board
            | AttendeeType::IdeaHub
            | AttendeeType::HwVision
    )
}

fn is_host_like(r: ConfRole) -> bool {
    matches!(r, ConfRole::Host | ConfRole::Cohost)
}

/// The live state of one meeting.
#[derive(Debug, Clone)]
pub struct Live {
    meeting: Meeting,
    participants: BTreeMap<ParticipantId, Participant>,
    next_id: u64,
    locked: bool,
    waiting_room_open: bool,
    mute_all: Option<bool>, // Some(allow_unmute) while "mute all" holds
    end: i64,
    /// Minutes of automatic prolonging still available (`prolongLength`).
    prolong_left: i64,
    warned_for_end: Option<i64>,
    ended: bool,
    /// What the admitted (0) and the hosts (1, the waiting list) were last
    /// told of their lists, to send them only what changed.
    told: [BTreeMap<ParticipantId, Attendee>; 2],
    /// The cap of a meeting created without `concurrentParticipants`.
    default_cap: i64,
    /// Who may join, once a host changed it during the meeting (kept in
    /// [`LiveSettings`]; the meeting's own setting is applied to `meeting`).
    allow_join: Option<ConfAllowJoinUserType>,
    /// The hosts turned the participants' chat off.
    chat_off: bool,
    /// The cloud recording's state.
    record: RecordState,
    /// Who shares a screen, in the order they started (one at a time
    /// unless `multi_share`).
    sharing: Vec<ParticipantId>,
    /// The hosts let several participants share at once (up to [`MAX_SHARERS`]).
    multi_share: bool,
    /// It was recording at some point of this live state.
    recorded: bool,
    /// The latest messages to everyone, for late joiners ([`CHAT_HISTORY`]).
    chat_log: std::collections::VecDeque<convene_proto::live::ChatMessage>,
    /// Messages sent so far (their numbers).
    chats: u64,
    /// Invitees to ring, as the last invitation named them (taken by the
    /// session: [`Live::take_invited`]).
    to_ring: Vec<convene_proto::AttendeeBaseInfo>,
}

/// What of a live meeting's state moves with it to another node (issue
/// 22), besides what storage keeps of the meeting (`LiveSettings`): who is
/// in it, and its chat. Screens shared and media do not move (their
/// connections went with the node); nor do calls ringing.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LiveHandover {
    participants: Vec<(u64, Participant)>,
    next_id: u64,
    chat_log: Vec<convene_proto::live::ChatMessage>,
    chats: u64,
    recorded: bool,
}

/// The most screens shared at once when the hosts allow several sharers.
pub const MAX_SHARERS: usize = 4;

/// Messages to everyone a late joiner gets.
pub const CHAT_HISTORY: usize = 100;
/// The longest chat message, in characters.
pub const CHAT_MAX_CHARS: usize = 2000;

/// The participant cap of a meeting created without one, unless the node
/// sets another ([`Live::with_default_cap`]): never unlimited.
pub const DEFAULT_MAX_PARTICIPANTS: i64 = 1000;

impl Live {
    /// A meeting's live state, from its stored form.
    /// Settings its hosts changed in an earlier run of the meeting
    /// (`meeting.live`) win over those it was created with.
    pub fn new(meeting: Meeting) -> Live {
        let mut meeting = meeting;
        let settings = meeting.live.unwrap_or(LiveSettings {
            locked: false,
            waiting_room_open: meeting.info.is_open_waiting_room.unwrap_or(false),
            mute_all: None,
            prolong_left: meeting.options.prolong_length,
            allow_join: None,
            chat_off: false,
            multi_share: false,
            // `isAutoRecord`: recorded from the start (until a host stops it).
            record: if meeting.info.is_auto_record == Some(true) && meeting.info.allow_record != Some(false) {
                RecordState::Recording
            } else {
                RecordState::Off
            },
        });
        if let Some(j) = settings.allow_join {
            meeting.info.conf_allow_join_user = Some(j);
        }
        let end = meeting.end;
        let ended = meeting.state != ConfState::Running;
        Live {
            meeting,
            participants: BTreeMap::new(),
            next_id: 1,
            locked: settings.locked,
            waiting_room_open: settings.waiting_room_open,
            mute_all: settings.mute_all,
            end,
            prolong_left: settings.prolong_left,
            allow_join: settings.allow_join,
            chat_off: settings.chat_off,
            record: settings.record,
            sharing: Vec::new(),
            multi_share: settings.multi_share,
            recorded: settings.record != RecordState::Off,
            chat_log: std::collections::VecDeque::new(),
            chats: 0,
            to_ring: Vec::new(),
            warned_for_end: None,
            ended,
            told: Default::default(),
            default_cap: DEFAULT_MAX_PARTICIPANTS,
        }
    }

    /// The same, with `cap` for a meeting created without
    /// `concurrentParticipants` (the node's setting).
    pub fn with_default_cap(mut self, cap: i64) -> Live {
        self.default_cap = cap;
        self
    }

    pub fn meeting(&self) -> &Meeting {
        &self.meeting
    }

    /// What moves with the meeting to another node ([`LiveHandover`]).
    pub fn handover(&self) -> LiveHandover {
        LiveHandover {
            participants: self.participants.iter().map(|(p, x)| (p.0, x.clone())).collect(),
            next_id: self.next_id,
            chat_log: self.chat_log.iter().cloned().collect(),
            chats: self.chats,
            recorded: self.recorded,
        }
    }

    /// Takes a handover from the node that ran the meeting before: its
    /// participants are back as disconnected at `now` (each keeps its place
    /// for [`RECONNECT_GRACE`] seconds to resume), with the chat.
    pub fn restore(&mut self, h: LiveHandover, now: i64) {
        for (p, mut x) in h.participants {
            x.disconnected_at = Some(now);
            x.info.online = false;
            self.participants.insert(ParticipantId(p), x);
        }
        self.next_id = self.next_id.max(h.next_id);
        self.chat_log = h.chat_log.into_iter().collect();
        self.chats = h.chats;
        self.recorded |= h.recorded;
    }

    /// The invitees the last `Invite` named, to ring (once).
    pub fn take_invited(&mut self) -> Vec<convene_proto::AttendeeBaseInfo> {
        std::mem::take(&mut self.to_ring)
    }

    /// The settings that outlive this live state (see [`LiveSettings`]).
    pub fn settings(&self) -> LiveSettings {
        LiveSettings {
            locked: self.locked,
            waiting_room_open: self.waiting_room_open,
            mute_all: self.mute_all,
            prolong_left: self.prolong_left,
            allow_join: self.allow_join,
            chat_off: self.chat_off,
            multi_share: self.multi_share,
            record: self.record,
        }
    }

    /// The cloud recording's state.
    pub fn record_state(&self) -> RecordState {
        self.record
    }

    /// Who shares a screen now, in the order they started.
    pub fn sharers(&self) -> &[ParticipantId] {
        &self.sharing
    }

    /// Whether `p` shares its screen.
    pub fn is_sharing(&self, p: ParticipantId) -> bool {
        self.sharing.contains(&p)
    }

    /// The event that tells who shares now.
    pub(crate) fn share_event(&self) -> Event {
        Event::OnShareStateChanged {
            participant_id: self.sharing.last().copied(),
            sharers: self.sharing.clone(),
        }
    }

    /// Sharers no longer admitted (left, removed, moved to the waiting
    /// room) stop sharing: the event that says so.
    pub fn settle_share(&mut self) -> Option<Event> {
        let before = self.sharing.len();
        let admitted: Vec<ParticipantId> = self
            .sharing
            .iter()
            .copied()
            .filter(|p| self.role(*p).is_some_and(|r| r != ConfRole::Waiting))
            .collect();
        self.sharing = admitted;
        (self.sharing.len() != before).then(|| self.share_event())
    }

    /// Whether it has been recorded at some point (the product's `recOccurred`).
    pub fn was_recorded(&self) -> bool {
        self.recorded
    }

    /// Whether the meeting may be recorded (`allowRecord`; automatic
    /// recording implies it).
    pub fn allows_recording(&self) -> bool {
        self.meeting.info.allow_record == Some(true) || self.meeting.info.is_auto_record == Some(true)
    }

    /// Everyone in the meeting, admitted ones first, each in order of arrival.
    pub fn roster(&self) -> Vec<Attendee> {
        let mut all = self.list(false);
        all.extend(self.list(true));
        all
    }

    pub fn end_time(&self) -> i64 {
        self.end
    }

    pub fn is_ended(&self) -> bool {
        self.ended
    }

    pub fn is_locked(&self) -> bool {
        self.locked
    }

    pub fn is_waiting_room_open(&self) -> bool {
        self.waiting_room_open
    }

    /// The role of a participant, if present.
    pub fn role(&self, p: ParticipantId) -> Option<ConfRole> {
        self.participants.get(&p).map(|x| x.info.role)
    }

    /// Whether a participant's audio may be forwarded (the session's media
    /// rights follow it).
    pub fn may_speak(&self, p: ParticipantId) -> bool {
        self.participants
            .get(&p)
            .is_some_and(|x| x.info.role != ConfRole::Waiting && x.info.is_mic_on)
    }

    pub fn attendee(&self, p: ParticipantId) -> Option<&Attendee> {
        self.participants.get(&p).map(|x| &x.info)
    }

    /// Whether nobody is present (admitted, waiting or within its grace period).
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// Everyone present, admitted or waiting, in order of arrival.
    pub fn participants(&self) -> Vec<Attendee> {
        let mut v: Vec<&Participant> = self.participants.values().collect();
        v.sort_by_key(|p| p.order);
        v.into_iter().map(|p| p.info.clone()).collect()
    }

    fn list(&self, waiting: bool) -> Vec<Attendee> {
        let mut v: Vec<&Participant> = self
            .participants
            .values()
            .filter(|p| (p.info.role == ConfRole::Waiting) == waiting)
            .collect();
        v.sort_by_key(|p| p.order);
        v.into_iter().map(|p| p.info.clone()).collect()
    }

    /// Who an audience is, now.
    pub fn audience(&self, a: Audience) -> Vec<ParticipantId> {
        match a {
            Audience::One(p) => self.participants.contains_key(&p).then_some(p).into_iter().collect(),
            Audience::Admitted => self
                .participants
                .iter()
                .filter(|(_, p)| p.info.role != ConfRole::Waiting)
                .map(|(id, _)| *id)
                .collect(),
            Audience::Everyone => self.participants.keys().copied().collect(),
            Audience::Hosts => self
                .participants
                .iter()
                .filter(|(_, p)| is_host_like(p.info.role))
                .map(|(id, _)| *id)
                .collect(),
        }
    }

    /// The next time [`Live::tick`] has something to do.
    pub fn next_deadline(&self) -> Option<i64> {
        if self.ended {
            return None;
        }
        let mut next = self.end;
        if self.warned_for_end != Some(self.end) && self.end - END_WARNING > self.meeting.start {
            next = next.min(self.end - END_WARNING);
        }
        for p in self.participants.values() {
            if let Some(t) = p.disconnected_at {
                next = next.min(t + RECONNECT_GRACE);
            }
        }
        Some(next)
    }

    /// The meeting as `p` may see it.
    pub fn info_for(&self, p: ParticipantId) -> Option<LiveInfo> {
        let me = self.participants.get(&p)?;
        let m = &self.meeting;
        let host = is_host_like(me.info.role);
        Some(LiveInfo {
            conf_id: m.conf_id.0.clone(),
            subject: m.info.subject.clone(),
            self_conf_role: me.info.role,
            self_participant_id: p,
            scheduler_name: m.owner_name.clone(),
            start_time_stamp: m.start,
            end_time_stamp: self.end,
            media_type: m.info.media_type,
            custom_info: m.info.custom_info.clone().unwrap_or_default(),
            host_pwd: (me.info.role == ConfRole::Host).then(|| m.host_pwd.clone()),
            guest_pwd: if host { m.guest_pwd.clone() } else { None },
            is_locked: self.locked,
            is_waiting_room_open: self.waiting_room_open,
            allow_record: self.allows_recording(),
            record_state: self.record,
            sharing: self.sharing.last().copied(),
            sharers: self.sharing.clone(),
            multi_share: self.multi_share,
        })
    }

    /// What a waiting participant is told: that it waits, and the meeting
    /// it waits for (its title, times, media; no custom info, no password).
    pub(crate) fn waiting_view(&self, p: ParticipantId, out: &mut Outbox) {
        out.push((
            Audience::One(p),
            Event::OnSelfRoleChanged {
                role: ConfRole::Waiting,
            },
        ));
        if let Some(mut info) = self.info_for(p) {
            info.custom_info = String::new();
            out.push((Audience::One(p), Event::OnConfInfoNotify { info }));
        }
    }

    fn meeting_info_event(&self) -> Event {
        Event::OnMeetingInfoChanged {
            is_locked: self.locked,
            is_mute_all: self.mute_all.is_some(),
            allow_unmute: self.mute_all.unwrap_or(true),
            end_time_stamp: self.end,
        }
    }

    /// Tells the admitted (`attendees`) and the hosts (`waiting`) what
    /// changed in their lists since they were last told: the participants
    /// added or changed, and those gone (the product's `ParticipantsNotify`
    /// refresh and remove). Whole lists go only to one participant at a
    /// time, when it arrives or needs a fresh view, so a growing meeting
    /// costs each join O(n) bytes, not O(n^2).
    fn push_lists(&mut self, out: &mut Outbox, attendees: bool, waiting: bool) {
        if attendees {
            if let Some(e) = self.list_delta(false) {
                out.push((Audience::Admitted, e));
            }
        }
        if waiting {
            if let Some(e) = self.list_delta(true) {
                out.push((Audience::Hosts, e));
            }
        }
    }

    fn list_delta(&mut self, waiting: bool) -> Option<Event> {
        let told = &mut self.told[usize::from(waiting)];
        let now: BTreeMap<ParticipantId, &Attendee> = self
            .participants
            .iter()
            .filter(|(_, p)| (p.info.role == ConfRole::Waiting) == waiting)
            .map(|(id, p)| (*id, &p.info))
            .collect();
        let remove: Vec<ParticipantId> = told.keys().filter(|id| !now.contains_key(id)).copied().collect();
        let refresh: Vec<Attendee> = now
            .iter()
            .filter(|(id, a)| told.get(id) != Some(**a))
            .map(|(_, a)| (*a).clone())
            .collect();
        if remove.is_empty() && refresh.is_empty() {
            return None;
        }
        for id in &remove {
            told.remove(id);
        }
        for a in &refresh {
            told.insert(a.participant_id, a.clone());
        }
        Some(Event::OnAttendeesChanged {
            waiting,
            refresh,
            remove,
        })
    }

    /// The events a participant gets on arriving in the meeting proper.
    fn welcome(&self, p: ParticipantId, out: &mut Outbox) {
        out.push((Audience::One(p), Event::OnConfStateChanged { state: 1 }));
        if let Some(info) = self.info_for(p) {
            out.push((Audience::One(p), Event::OnConfInfoNotify { info }));
        }
        out.push((Audience::One(p), self.meeting_info_event()));
        out.push((
            Audience::One(p),
            Event::OnAttendeeListChanged {
                attendees: self.list(false),
            },
        ));
        if self.participants.get(&p).is_some_and(|x| is_host_like(x.info.role)) {
            out.push((
                Audience::One(p),
                Event::OnWaitingListChanged {
                    attendees: self.list(true),
                },
            ));
        }
        if self.chat_off {
            out.push((Audience::One(p), Event::OnChatAllowedChanged { is_allowed: false }));
        }
        if !self.chat_log.is_empty() {
            out.push((
                Audience::One(p),
                Event::OnChatHistory {
                    messages: self.chat_log.iter().cloned().collect(),
                },
            ));
        }
    }

    /// `joinConfById` / `joinConfByRandom`.
    pub fn join(&mut self, req: JoinRequest, now: i64, out: &mut Outbox) -> Result<Joined, Refusal> {
        // Credentials first: without them an ended meeting looks like any
        // wrong password (no existence oracle).
        let role = check_credential(Some(&self.meeting), &req)?;
        if self.ended || now >= self.end {
            return Err(refuse(SdkErr::CMS_CONF_IS_CLOSED, "the meeting has ended"));
        }
        // The same account again (a second tab, a rejoin): the newer
        // connection takes over its participant, whatever the lock or cap.
        if let Some(a) = &req.account {
            let present = self
                .participants
                .iter()
                .find(|(_, p)| !p.info.is_anonymous && p.info.user_uuid.as_deref() == Some(a.user_id.as_str()))
                .map(|(id, p)| (*id, p.info.role));
            if let Some((id, role)) = present {
                if let Some(x) = self.participants.get_mut(&id) {
                    x.disconnected_at = None;
                    x.info.online = true;
                }
                self.snapshot(id, out);
                let waiting = role == ConfRole::Waiting;
                self.push_lists(out, !waiting, waiting);
                return Ok(Joined {
                    participant: id,
                    role,
                    took_over: true,
                });
            }
        }
        let m = &self.meeting;
        // Who may join at all. The host (by password, link or ownership) may always.
        if role != ConfRole::Host {
            let anonymous = req.account.is_none();
            match m.info.conf_allow_join_user.unwrap_or(ConfAllowJoinUserType::Anyone) {
                ConfAllowJoinUserType::Anyone => {}
                ConfAllowJoinUserType::LoginedUser if anonymous => {
                    return Err(refuse(
                        SdkErr::CMS_CONF_NOT_ALLOW_ANONYMOUS,
                        "log in to join this meeting",
                    ))
                }
                ConfAllowJoinUserType::LoginedUser => {}
                ConfAllowJoinUserType::InCompanyUser => match &req.account {
                    None => {
                        return Err(refuse(
                            SdkErr::CMS_CONF_NOT_ALLOW_ANONYMOUS,
                            "log in to join this meeting",
                        ))
                    }
                    Some(a) if a.enterprise_id != m.enterprise_id => {
                        return Err(refuse(
                            SdkErr::CMS_CONF_ONLY_ALLOW_USER_IN_ORG,
                            "only users of the host's enterprise may join",
                        ))
                    }
                    Some(_) => {}
                },
                ConfAllowJoinUserType::InvitedUser => {
                    if invitation(m, req.account.as_ref()).is_none() {
                        return Err(refuse(
                            SdkErr::CMS_CONF_ONLY_ALLOW_USER_INVITED,
                            "only invited users may join",
                        ));
                    }
                }
            }
            if self.locked && !req.answering_call {
                return Err(refuse(SdkErr::CMS_CONF_LOCKED, "the meeting is locked"));
            }
        }
        let cap = m
            .info
            .concurrent_participants
            .filter(|c| *c > 0)
            .unwrap_or(self.default_cap);
        if self.participants.len() as i64 >= cap {
            return Err(refuse(
                SdkErr::CMS_OVER_MAX_PARTICIPANT_NUMBER,
                format!("the meeting is full ({cap} participants)"),
            ));
        }
        crate::text::check_text("nickName", &req.nick_name, false)
            .map_err(|e| refuse(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, e))?;
        if req.nick_name.chars().count() > 64 {
            return Err(refuse(
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                "nickName is longer than 64 characters",
            ));
        }
        if req.nick_name.trim().is_empty() && req.account.is_none() {
            return Err(refuse(
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                "nickName is required to join anonymously",
            ));
        }
        // Starting media state.
        let invited_mute = invitation(m, req.account.as_ref()).and_then(|inv| inv.is_mute);
        let (mut mic, mut camera) = (req.is_mic_on, req.is_camera_on);
        if req.account.as_ref().is_some_and(|a| a.user_id == m.owner_id) {
            mic = m.info.is_mic_on.unwrap_or(mic);
            camera = m.info.is_camera_on.unwrap_or(camera);
        } else if role != ConfRole::Host && role != ConfRole::Cohost {
            let mode = if is_hard_terminal(req.attendee_type) {
                m.info.hard_terminal_auto_mute_mode
            } else {
                m.info.auto_mute_mode
            };
            match mode.unwrap_or(AutoMuteType::Default) {
                AutoMuteType::Mute => mic = false,
                AutoMuteType::Unmute => mic = true,
                AutoMuteType::Default => {}
            }
            if invited_mute == Some(true) {
                mic = false;
            }
            if self.mute_all.is_some() {
                mic = false;
            }
        }
        if m.info.media_type == MediaType::Audio {
            camera = false;
        }
        let waits = self.waiting_room_open && !is_host_like(role) && !req.answering_call;
        let id = ParticipantId(self.next_id);
        self.next_id += 1;
        let name = if req.nick_name.trim().is_empty() {
            req.account.as_ref().map(|a| a.name.clone()).unwrap_or_default()
        } else {
            req.nick_name.trim().chars().take(64).collect()
        };
        let info = Attendee {
            participant_id: id,
            nick_name: name,
            role: if waits { ConfRole::Waiting } else { role },
            is_mic_on: mic,
            is_camera_on: camera,
            hand_raised: false,
            attendee_type: req.attendee_type,
            user_uuid: req.account.as_ref().map(|a| a.user_id.0.clone()),
            is_anonymous: req.account.is_none(),
            online: true,
        };
        let may_unmute = self.mute_all.unwrap_or(true) || is_host_like(role);
        self.participants.insert(
            id,
            Participant {
                info,
                admitted_role: role,
                disconnected_at: None,
                may_unmute,
                order: id.0,
            },
        );
        if role == ConfRole::Host {
            self.demote_other_hosts(id);
        }
        if waits {
            self.waiting_view(id, out);
            self.push_lists(out, false, true);
        } else {
            self.welcome(id, out);
            self.push_lists(out, true, false);
        }
        Ok(Joined {
            participant: id,
            role: if waits { ConfRole::Waiting } else { role },
            took_over: false,
        })
    }

    /// One host at a time: a new host makes the previous one a guest.
    fn demote_other_hosts(&mut self, keep: ParticipantId) {
        for (id, p) in self.participants.iter_mut() {
            if *id != keep && p.info.role == ConfRole::Host {
                p.info.role = ConfRole::Attendee;
                p.admitted_role = ConfRole::Attendee;
            }
        }
    }

    fn remove(&mut self, p: ParticipantId, out: &mut Outbox) -> bool {
        match self.participants.remove(&p) {
            Some(x) => {
                let waiting = x.info.role == ConfRole::Waiting;
                self.push_lists(out, !waiting, waiting || is_host_like(x.info.role));
                true
            }
            None => false,
        }
    }

    /// `leaveConf`.
    pub fn leave(&mut self, p: ParticipantId, out: &mut Outbox) {
        if self.participants.contains_key(&p) {
            out.push((
                Audience::One(p),
                Event::OnConfEnded {
                    reason: EndReason(SdkErr::SDK_CONFCTRL_CONF_END_LEAVE_CONF),
                    reason_text: "you left the meeting".into(),
                },
            ));
            self.remove(p, out);
        }
    }

    /// The connection dropped: the participant keeps its place for
    /// [`RECONNECT_GRACE`] seconds.
    pub fn disconnect(&mut self, p: ParticipantId, now: i64, out: &mut Outbox) {
        if let Some(x) = self.participants.get_mut(&p) {
            x.disconnected_at = Some(now);
            x.info.online = false;
            let waiting = x.info.role == ConfRole::Waiting;
            self.push_lists(out, !waiting, waiting);
        }
    }

    /// The participant is back within the grace period.
    pub fn reconnect(&mut self, p: ParticipantId, out: &mut Outbox) -> bool {
        match self.participants.get_mut(&p) {
            Some(x) => {
                x.disconnected_at = None;
                x.info.online = true;
                let waiting = x.info.role == ConfRole::Waiting;
                self.push_lists(out, !waiting, waiting);
                true
            }
            None => false,
        }
    }

    fn end_now(&mut self, reason: SdkErr, text: &str, by: Option<ParticipantId>, out: &mut Outbox, fx: &mut Effects) {
        if self.ended {
            return;
        }
        self.ended = true;
        fx.ended = true;
        let everyone: Vec<ParticipantId> = self.participants.keys().copied().collect();
        for p in everyone {
            let reason = if Some(p) == by {
                SdkErr::SDK_CONFCTRL_CONF_END_SELF_END
            } else {
                reason
            };
            out.push((Audience::One(p), Event::OnConfStateChanged { state: 0 }));
            out.push((
                Audience::One(p),
                Event::OnConfEnded {
                    reason: EndReason(reason),
                    reason_text: text.into(),
                },
            ));
        }
        self.participants.clear();
    }

    /// The passing of time: warnings, the end, and grace periods running out.
    pub fn tick(&mut self, now: i64, out: &mut Outbox) -> Effects {
        let before = self.settings();
        let mut fx = self.tick_inner(now, out);
        fx.settings_changed = !fx.ended && self.settings() != before;
        fx
    }

    fn tick_inner(&mut self, now: i64, out: &mut Outbox) -> Effects {
        let mut fx = Effects::default();
        if self.ended {
            return fx;
        }
        let gone: Vec<ParticipantId> = self
            .participants
            .iter()
            .filter(|(_, p)| p.disconnected_at.is_some_and(|t| now >= t + RECONNECT_GRACE))
            .map(|(id, _)| *id)
            .collect();
        for p in gone {
            self.remove(p, out);
        }
        if now >= self.end {
            // prolongLength: a meeting still in use runs on once, by that much.
            if self.prolong_left > 0 && self.participants.values().any(|p| p.info.role != ConfRole::Waiting) {
                self.end += self.prolong_left * 60;
                self.prolong_left = 0;
                fx.end_changed = true;
                out.push((Audience::Admitted, self.meeting_info_event()));
            } else {
                self.end_now(
                    SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF,
                    "the meeting reached its end time",
                    None,
                    out,
                    &mut fx,
                );
                return fx;
            }
        }
        if now >= self.end - END_WARNING && self.warned_for_end != Some(self.end) {
            self.warned_for_end = Some(self.end);
            out.push((
                Audience::Admitted,
                Event::OnConfEndingSoon {
                    end_time_stamp: self.end,
                },
            ));
        }
        fx
    }

    fn present(&self, p: ParticipantId) -> Result<&Participant, Refusal> {
        self.participants
            .get(&p)
            .ok_or_else(|| refuse(SdkErr::UISDK_NOT_IN_CONF_OR_CALL, "you are not in the meeting"))
    }

    fn target(&self, t: ParticipantId) -> Result<&Participant, Refusal> {
        self.participants
            .get(&t)
            .ok_or_else(|| refuse(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "no such participant"))
    }
}
