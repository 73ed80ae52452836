//! A live meeting as a sans-IO state machine: who is in it, in which role,
//! muted or not, waiting or admitted, and when it ends.
//!
//! [`Live`] takes inputs (a join, a leave, a disconnect, a control request,
//! the passing of time) and answers with outcomes and [`Event`]s addressed to
//! an [`Audience`]. It never reads a clock (every input carries `now`), never
//! sends anything and never stores anything: the server's one task per live
//! meeting feeds it, delivers its events and persists what it reports in
//! [`Effects`]. The event shapes are wire types of `convene_proto::live`. One owner per meeting means every rule (the participant cap,
//! the waiting room, the lock) is decided without races.

use std::collections::BTreeMap;

pub use convene_proto::live::*;
use convene_proto::*;

use crate::guard::Gate;
use crate::ids::{EnterpriseId, UserId};
use crate::meeting::{ConfState, LiveSettings, Meeting};

/// The REST control API's caller (it holds the host password's control
/// token): it acts with the host's rights without being a participant.
pub const CONTROLLER: ParticipantId = ParticipantId(0);

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
}

#[derive(Debug, Clone)]
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
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct Refusal {
    pub code: SdkErr,
    pub reason: String,
}

fn refuse(code: SdkErr, reason: impl Into<String>) -> Refusal {
    Refusal {
        code,
        reason: reason.into(),
    }
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
}

/// The participant cap of a meeting created without one, unless the node
/// sets another ([`Live::with_default_cap`]): never unlimited.
pub const DEFAULT_MAX_PARTICIPANTS: i64 = 1000;

impl Live {
    /// A meeting's live state, from its stored form.
    /// Settings its hosts changed in an earlier run of the meeting
    /// (`meeting.live`) win over those it was created with.
    pub fn new(meeting: Meeting) -> Live {
        let settings = meeting.live.unwrap_or(LiveSettings {
            locked: false,
            waiting_room_open: meeting.info.is_open_waiting_room.unwrap_or(false),
            mute_all: None,
            prolong_left: meeting.options.prolong_length,
        });
        let end = meeting.end;
        let ended = meeting.state != ConfState::Created;
        Live {
            meeting,
            participants: BTreeMap::new(),
            next_id: 1,
            locked: settings.locked,
            waiting_room_open: settings.waiting_room_open,
            mute_all: settings.mute_all,
            end,
            prolong_left: settings.prolong_left,
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

    /// The settings that outlive this live state (see [`LiveSettings`]).
    pub fn settings(&self) -> LiveSettings {
        LiveSettings {
            locked: self.locked,
            waiting_room_open: self.waiting_room_open,
            mute_all: self.mute_all,
            prolong_left: self.prolong_left,
        }
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

    /// Whether a participant's audio may be forwarded (the SFU asks this).
    pub fn may_speak(&self, p: ParticipantId) -> bool {
        self.participants
            .get(&p)
            .is_some_and(|x| x.info.role != ConfRole::Waiting && x.info.is_mic_on)
    }

    pub fn attendee(&self, p: ParticipantId) -> Option<&Attendee> {
        self.participants.get(&p).map(|x| &x.info)
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
        })
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
            if self.locked {
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
        let waits = self.waiting_room_open && !is_host_like(role);
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
            out.push((
                Audience::One(id),
                Event::OnSelfRoleChanged {
                    role: ConfRole::Waiting,
                },
            ));
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

    /// A control request by participant `by`.
    pub fn control(
        &mut self,
        by: ParticipantId,
        action: Action,
        now: i64,
        out: &mut Outbox,
    ) -> Result<Effects, Refusal> {
        let before = self.settings();
        let mut fx = self.apply_control(by, action, now, out)?;
        fx.settings_changed = !fx.ended && self.settings() != before;
        Ok(fx)
    }

    fn apply_control(
        &mut self,
        by: ParticipantId,
        action: Action,
        now: i64,
        out: &mut Outbox,
    ) -> Result<Effects, Refusal> {
        let mut fx = Effects::default();
        if self.ended {
            return Err(refuse(SdkErr::CMS_CONF_IS_CLOSED, "the meeting has ended"));
        }
        let my_role = if by == CONTROLLER {
            ConfRole::Host
        } else {
            self.present(by)?.info.role
        };
        let host = my_role == ConfRole::Host;
        let host_like = is_host_like(my_role);
        if my_role == ConfRole::Waiting && !matches!(action, Action::Camera { .. } | Action::Mute { .. }) {
            return Err(refuse(SdkErr::UISDK_NOT_IN_CONF_OR_CALL, "you are in the waiting room"));
        }
        match action {
            Action::Mute { target, mute } => {
                let t = self.target(target)?;
                if target == by {
                    if !mute && !t.may_unmute && !host_like {
                        return Err(forbidden("unmute yourself now: the host muted everyone"));
                    }
                } else if !host_like {
                    return Err(forbidden("mute others"));
                }
                let by_host = target != by;
                if let Some(x) = self.participants.get_mut(&target) {
                    x.info.is_mic_on = !mute;
                    if by_host && !mute {
                        x.may_unmute = true;
                    }
                }
                let waiting = self.role(target) == Some(ConfRole::Waiting);
                self.push_lists(out, !waiting, waiting);
            }
            Action::MuteAll { mute, allow_unmute } => {
                if !host_like {
                    return Err(forbidden("mute everyone"));
                }
                self.mute_all = mute.then_some(allow_unmute);
                for p in self.participants.values_mut() {
                    if is_host_like(p.info.role) {
                        continue;
                    }
                    if mute {
                        p.info.is_mic_on = false;
                        p.may_unmute = allow_unmute;
                    } else {
                        p.may_unmute = true;
                    }
                }
                out.push((Audience::Admitted, self.meeting_info_event()));
                self.push_lists(out, true, false);
            }
            Action::Camera { on } => {
                let on = on && self.meeting.info.media_type == MediaType::Video;
                if let Some(x) = self.participants.get_mut(&by) {
                    x.info.is_camera_on = on;
                }
                let waiting = my_role == ConfRole::Waiting;
                self.push_lists(out, !waiting, waiting);
            }
            Action::RaiseHand { raised } => {
                if let Some(x) = self.participants.get_mut(&by) {
                    x.info.hand_raised = raised;
                }
                self.push_lists(out, true, false);
            }
            Action::SetCohost { target, set } => {
                if !host {
                    return Err(forbidden("appoint co-hosts"));
                }
                let t = self.target(target)?;
                if t.info.role == ConfRole::Waiting || t.info.role == ConfRole::Host {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        "only an admitted guest can be made co-host",
                    ));
                }
                let role = if set { ConfRole::Cohost } else { ConfRole::Attendee };
                if let Some(x) = self.participants.get_mut(&target) {
                    x.info.role = role;
                    x.admitted_role = role;
                    x.may_unmute = x.may_unmute || set;
                }
                out.push((Audience::One(target), Event::OnSelfRoleChanged { role }));
                if set {
                    out.push((
                        Audience::One(target),
                        Event::OnWaitingListChanged {
                            attendees: self.list(true),
                        },
                    ));
                }
                self.push_lists(out, true, false);
            }
            Action::GrantHost { target } => {
                if !host {
                    return Err(forbidden("hand over the host role"));
                }
                let t = self.target(target)?;
                if t.info.role == ConfRole::Waiting || target == by {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        "the host role goes to another admitted participant",
                    ));
                }
                self.set_host(target, out);
            }
            Action::ReclaimHost { host_pwd } => {
                if host_pwd != self.meeting.host_pwd {
                    return Err(refuse(SdkErr::CMS_CONF_PWD_AUTH_FAILED, "wrong host password"));
                }
                if !host {
                    self.set_host(by, out);
                }
            }
            Action::Lock { lock } => {
                if !host_like {
                    return Err(forbidden("lock the meeting"));
                }
                self.locked = lock;
                out.push((Audience::Admitted, self.meeting_info_event()));
            }
            Action::Remove { target } => {
                if !host_like {
                    return Err(forbidden("remove participants"));
                }
                let t = self.target(target)?;
                if t.info.role == ConfRole::Host && !host {
                    return Err(forbidden("remove the host"));
                }
                if target == by {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        "use leave to leave the meeting",
                    ));
                }
                out.push((Audience::One(target), Event::OnConfStateChanged { state: 0 }));
                out.push((
                    Audience::One(target),
                    Event::OnConfEnded {
                        reason: EndReason(SdkErr::SDK_CONFCTRL_CONF_END_CHAIR_HANGUP),
                        reason_text: "the host removed you from the meeting".into(),
                    },
                ));
                self.remove(target, out);
            }
            Action::Admit { target } => {
                if !host_like {
                    return Err(forbidden("admit from the waiting room"));
                }
                if self.target(target)?.info.role != ConfRole::Waiting {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        "that participant is not waiting",
                    ));
                }
                self.admit(target, out);
                self.push_lists(out, true, true);
            }
            Action::AdmitAll => {
                if !host_like {
                    return Err(forbidden("admit from the waiting room"));
                }
                let waiting: Vec<ParticipantId> = self.list(true).iter().map(|a| a.participant_id).collect();
                for p in &waiting {
                    self.admit(*p, out);
                }
                self.push_lists(out, true, true);
            }
            Action::MoveToWaiting { target } => {
                if !host_like {
                    return Err(forbidden("move participants to the waiting room"));
                }
                let t = self.target(target)?;
                if t.info.role == ConfRole::Waiting || t.info.role == ConfRole::Host || target == by {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        "that participant cannot be moved to the waiting room",
                    ));
                }
                if let Some(x) = self.participants.get_mut(&target) {
                    x.admitted_role = if x.info.role == ConfRole::Cohost {
                        ConfRole::Attendee
                    } else {
                        x.info.role
                    };
                    x.info.role = ConfRole::Waiting;
                }
                out.push((Audience::One(target), Event::OnConfStateChanged { state: 0 }));
                out.push((
                    Audience::One(target),
                    Event::OnSelfRoleChanged {
                        role: ConfRole::Waiting,
                    },
                ));
                self.push_lists(out, true, true);
            }
            Action::OpenWaitingRoom { open } => {
                if !host_like {
                    return Err(forbidden("open or close the waiting room"));
                }
                self.waiting_room_open = open;
                out.push((Audience::Admitted, Event::OnWaitingRoomStateChanged { is_open: open }));
            }
            Action::Extend { minutes } => {
                if !host {
                    return Err(forbidden("extend the meeting"));
                }
                if !(1..=MAX_EXTEND_MINUTES).contains(&minutes) {
                    return Err(refuse(
                        SdkErr::CMS_CONF_DURATION_OVER_RANGE,
                        format!("extend by 1 to {MAX_EXTEND_MINUTES} minutes"),
                    ));
                }
                let end = self.end.max(now) + minutes * 60;
                if end - self.meeting.start > MAX_MEETING_SECONDS {
                    return Err(refuse(
                        SdkErr::CMS_CONF_DURATION_OVER_RANGE,
                        format!(
                            "a meeting ends at most {} hours after its start",
                            MAX_MEETING_SECONDS / 3600
                        ),
                    ));
                }
                self.end = end;
                fx.end_changed = true;
                out.push((Audience::Admitted, self.meeting_info_event()));
            }
            Action::End => {
                if !host {
                    return Err(refuse(
                        SdkErr::UISDK_ROLE_NOT_SUPPORT_OPERATION,
                        "only the host can end the meeting",
                    ));
                }
                self.end_now(
                    SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF,
                    "the host ended the meeting",
                    Some(by),
                    out,
                    &mut fx,
                );
            }
        }
        Ok(fx)
    }

    fn set_host(&mut self, new_host: ParticipantId, out: &mut Outbox) {
        let old: Vec<ParticipantId> = self
            .participants
            .iter()
            .filter(|(_, p)| p.info.role == ConfRole::Host)
            .map(|(id, _)| *id)
            .collect();
        self.demote_other_hosts(new_host);
        if let Some(x) = self.participants.get_mut(&new_host) {
            x.info.role = ConfRole::Host;
            x.admitted_role = ConfRole::Host;
            x.may_unmute = true;
        }
        for o in old {
            out.push((
                Audience::One(o),
                Event::OnSelfRoleChanged {
                    role: ConfRole::Attendee,
                },
            ));
        }
        out.push((
            Audience::One(new_host),
            Event::OnSelfRoleChanged { role: ConfRole::Host },
        ));
        if let Some(info) = self.info_for(new_host) {
            out.push((Audience::One(new_host), Event::OnConfInfoNotify { info }));
        }
        // The new host hears of the waiting list from now on: the whole of it first.
        out.push((
            Audience::One(new_host),
            Event::OnWaitingListChanged {
                attendees: self.list(true),
            },
        ));
        self.push_lists(out, true, false);
    }

    fn admit(&mut self, p: ParticipantId, out: &mut Outbox) {
        let role = match self.participants.get_mut(&p) {
            Some(x) if x.info.role == ConfRole::Waiting => {
                x.info.role = x.admitted_role;
                x.admitted_role
            }
            _ => return,
        };
        out.push((Audience::One(p), Event::OnSelfRoleChanged { role }));
        self.welcome(p, out);
    }

    /// Everything a participant needs to rebuild its view (after a
    /// reconnect whose missed events are no longer kept).
    pub fn snapshot(&self, p: ParticipantId, out: &mut Outbox) {
        match self.role(p) {
            Some(ConfRole::Waiting) => out.push((
                Audience::One(p),
                Event::OnSelfRoleChanged {
                    role: ConfRole::Waiting,
                },
            )),
            Some(_) => self.welcome(p, out),
            None => {}
        }
    }
}

/// The invitation of a logged-in account, if it is invited: matched by
/// `userUuid`, `accountId` or `thirdUserId` (an App ID user). The one rule
/// for "is this account invited?" (its role, its mute state, invited-only
/// meetings).
pub fn invitation<'m>(m: &'m Meeting, account: Option<&Account>) -> Option<&'m AttendeeBaseInfo> {
    let a = account?;
    m.info.attendees.iter().find(|inv| {
        inv.user_uuid.as_deref() == Some(a.user_id.as_str())
            || inv
                .account_id
                .as_deref()
                .is_some_and(|x| !x.is_empty() && x == a.account)
            || (!inv.third_user_id.is_empty() && a.third_user_id.as_deref() == Some(inv.third_user_id.as_str()))
    })
}

/// Whether a refusal of [`check_credential`] (or of a host password in
/// `requestHostRole`) is a wrong guess the password guard counts.
pub fn counts_as_failure(r: &Refusal) -> bool {
    r.code == SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED || r.code == SdkErr::CMS_CONF_PWD_AUTH_FAILED
}

/// How a logged-in account may see a meeting's details (`confDetail`):
/// the owner and accounts invited as host see everything; other invited
/// accounts what an invitation shows; anyone else nothing (the meeting
/// looks missing).
pub fn viewer(m: &Meeting, account: &Account) -> Option<crate::meeting::Viewer> {
    use crate::meeting::Viewer;
    if account.user_id == m.owner_id {
        return Some(Viewer::Host);
    }
    invitation(m, Some(account)).map(|inv| match inv.role {
        Some(ConfRole::Host) => Viewer::Host,
        _ => Viewer::Other,
    })
}

fn wrong_credentials() -> Refusal {
    refuse(
        SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED,
        "the meeting does not exist, has ended, or the password is wrong",
    )
}

/// The answer to a password check the guard's gate holds back.
pub fn password_locked() -> Refusal {
    refuse(
        SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED,
        "too many wrong passwords for this meeting: try again later",
    )
}

/// The role a join's credential and account give in meeting `m`, before
/// the waiting room, or why not. The one rule of who gets in with what:
/// - the owner's login: host, no password;
/// - a join link's code: host, guest or audience; an invitation: its role
///   (host link and host password win over it); neither needs a password,
///   so neither is held back by `req.password_gate`;
/// - a password: host or guest, checked only while the gate is open
///   (else `CMS_PARTICIPANT_CONF_LOGIN_LOCKED`, whatever was typed);
/// - a meeting without a guest password lets in a guest who typed none.
///
/// Wrong or missing credentials answer `CMS_CONF_NOT_FOUND_OR_AUTH_FAILED`,
/// exactly as an unknown or ended meeting does; the caller counts that
/// answer as a failure ([`counts_as_failure`]). `None`: no meeting has
/// that ID.
pub fn check_credential(m: Option<&Meeting>, req: &JoinRequest) -> Result<ConfRole, Refusal> {
    let Some(m) = m else {
        // No meeting by that ID: the same answer as a wrong password.
        return Err(if req.password_gate == Gate::Open {
            wrong_credentials()
        } else {
            password_locked()
        });
    };
    if req.account.as_ref().is_some_and(|a| a.user_id == m.owner_id) {
        return Ok(ConfRole::Host);
    }
    let invited = invitation(m, req.account.as_ref()).map(|inv| inv.role.unwrap_or(ConfRole::Attendee));
    let typed = match &req.credential {
        Credential::Random(code) if !code.is_empty() => {
            let by_code = if *code == m.host_random {
                Some(ConfRole::Host)
            } else if *code == m.guest_random {
                Some(ConfRole::Attendee)
            } else if *code == m.audience_random {
                Some(ConfRole::Audience)
            } else {
                None
            };
            match (by_code, invited) {
                (Some(ConfRole::Host), _) => return Ok(ConfRole::Host),
                (_, Some(r)) => return Ok(r),
                (Some(r), None) => return Ok(r),
                (None, None) => true,
            }
        }
        Credential::Random(_) => false,
        Credential::Password(pw) => !pw.is_empty(),
    };
    let pw = match &req.credential {
        Credential::Password(pw) => pw.as_str(),
        Credential::Random(_) => "",
    };
    if typed && req.password_gate != Gate::Open {
        return invited.ok_or_else(password_locked);
    }
    if !pw.is_empty() && pw == m.host_pwd {
        return Ok(ConfRole::Host);
    }
    if let Some(r) = invited {
        return Ok(r);
    }
    match (&req.credential, m.guest_pwd.as_deref()) {
        (Credential::Password(_), Some(g)) if !pw.is_empty() && pw == g => Ok(ConfRole::Attendee),
        (Credential::Password(_), None) if pw.is_empty() => Ok(ConfRole::Attendee),
        _ if req.password_gate != Gate::Open => Err(password_locked()),
        _ => Err(wrong_credentials()),
    }
}

/// The REST control token's check (`X-Password`): the host password of a
/// running or ended meeting, held back by the password guard's gate for
/// everyone but the meeting's owner (`caller`, when logged in). Unknown
/// meetings and wrong passwords answer alike; both count as failures.
pub fn check_host_password(
    m: Option<&Meeting>,
    given: &str,
    gate: Gate,
    caller: Option<&UserId>,
) -> Result<(), Refusal> {
    let owner = m.is_some_and(|m| caller == Some(&m.owner_id));
    if gate != Gate::Open && !owner {
        return Err(password_locked());
    }
    match m {
        Some(m) if !given.is_empty() && given == m.host_pwd => Ok(()),
        _ => Err(wrong_credentials()),
    }
}

impl From<ActionMsg> for Action {
    fn from(m: ActionMsg) -> Action {
        match m {
            ActionMsg::MuteAttendee {
                participant_id,
                is_mute,
            } => Action::Mute {
                target: participant_id,
                mute: is_mute,
            },
            ActionMsg::MuteAllAttendee { is_mute, allow_unmute } => Action::MuteAll {
                mute: is_mute,
                allow_unmute,
            },
            ActionMsg::SetCamera { is_on } => Action::Camera { on: is_on },
            ActionMsg::RaiseHand { is_raised } => Action::RaiseHand { raised: is_raised },
            ActionMsg::SetCohostRight { participant_id, is_set } => Action::SetCohost {
                target: participant_id,
                set: is_set,
            },
            ActionMsg::GrantHostRole { participant_id } => Action::GrantHost { target: participant_id },
            ActionMsg::RequestHostRole { host_pwd } => Action::ReclaimHost { host_pwd },
            ActionMsg::LockConf { is_lock } => Action::Lock { lock: is_lock },
            ActionMsg::HangupAttendee { participant_id } => Action::Remove { target: participant_id },
            ActionMsg::AllowWaitingAttendeeEnter { participant_id } => Action::Admit { target: participant_id },
            ActionMsg::AllowAllWaitingAttendeeEnter => Action::AdmitAll,
            ActionMsg::MoveToWaitingRoom { participant_id } => Action::MoveToWaiting { target: participant_id },
            ActionMsg::OpenWaitingRoom { is_open } => Action::OpenWaitingRoom { open: is_open },
            ActionMsg::ExtendConf { minutes } => Action::Extend { minutes },
            ActionMsg::EndConf => Action::End,
        }
    }
}
