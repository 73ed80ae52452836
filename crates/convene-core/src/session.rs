//! One live meeting's session, sans-IO: [`Live`] (who is in the meeting and
//! what they may do) plus everything about its connections that a server
//! would otherwise decide in its IO loop: the participants' connections and
//! resume tokens, the numbered events and the replay ring, who may have
//! media and with which rights, the media offers not yet answered, when
//! the session stops, and what storage must learn first.
//!
//! In str0m's style: inputs carry the time (`now`, Unix seconds) and
//! randomness as arguments; outputs are polled with
//! [`MeetingSession::poll_output`] and carried out in order by the caller
//! (the server's per-meeting task): send these bytes on these connections,
//! close one, store a change, change a participant's media, stop.
//!
//! **Storage learns first.** A change that must be stored comes out as
//! [`Output::Persist`] before anything that tells of it; the caller stores it
//! before it carries out the next output. If the store fails for good the
//! caller calls [`MeetingSession::persist_failed`]: what was queued is
//! dropped (nobody hears of a change that was not stored), every connection
//! closes and the session stops. The next join starts a new session from
//! what storage has.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use convene_proto::live::{EndReason, Event, ParticipantId, ServerMsg};
use convene_proto::{ConfRole, MediaType, SdkErr};
use rand::Rng;

use crate::guard::Gate;
use crate::live::{password_locked, Action, Actor, Audience, Effects, JoinRequest, Live, Outbox, Refusal};
use crate::meeting::{LiveSettings, Meeting};

/// A connection of a participant, numbered by the session.
pub type ConnId = u64;

/// Events kept for replay after a reconnect.
pub const RING: usize = 1024;
/// Events larger than this (whole attendee lists of a big meeting, sent to
/// one participant) are not kept for replay: a resume that missed one gets
/// a fresh view instead. Keeps the ring small (a 1,000-person meeting's
/// list is ~200 KB).
pub const RING_MSG_BYTES: usize = 4096;

/// What a participant's media may do. The server maps it to the SFU's
/// policy; the SFU enforces it on the packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaRights {
    /// Its audio is forwarded (microphone on, admitted).
    pub send_audio: bool,
    /// Its video is forwarded (camera on, a video meeting).
    pub send_video: bool,
    /// Video tracks may be negotiated at all (a video meeting).
    pub video_allowed: bool,
    /// Its shared screen is forwarded (it is the meeting's sharer).
    pub send_screen: bool,
}

/// What to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Persist {
    /// The meeting ended (frees its ID and room).
    Ended,
    /// The end time moved, and perhaps the settings with it, or the
    /// invited attendees changed.
    Changed {
        end: Option<i64>,
        settings: Option<LiveSettings>,
        invitees: Option<Vec<convene_proto::AttendeeBaseInfo>>,
    },
}

/// A media connection change for the SFU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCmd {
    /// Apply these rights to the participant's media connection.
    Rights(ParticipantId, MediaRights),
    /// Close the participant's media connection.
    Remove(ParticipantId),
}

/// Something for the caller to carry out, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Store this before carrying out any later output.
    Persist(Persist),
    /// Send this message on these connections; a connection that cannot
    /// take it is reported with [`MeetingSession::conn_failed`].
    Send {
        conns: Vec<ConnId>,
        msg: Arc<str>,
    },
    /// Close this connection once what was sent on it is written.
    Close(ConnId),
    Media(MediaCmd),
    /// Keep this in the meeting's records (attendance, control): kept for
    /// history, minutes and webhooks; not a change others wait for.
    Record(Record),
    /// Ring an invitee's logged-in clients.
    Ring(crate::calls::Call),
    /// How an invitation went (answered, declined, not answered,
    /// unreachable, cancelled): for programs following the meeting.
    CallResult {
        name: String,
        number: String,
        state: convene_proto::live::CallState,
    },
    /// Stop ringing a call, and why.
    RingEnd {
        call: crate::calls::Call,
        reason: convene_proto::live::CallState,
    },
    /// Start or stop capturing the meeting's media for its recording (a
    /// segment: from a start to the next stop). Capture runs while the
    /// recording is on and someone is admitted; the session stops it
    /// before [`Output::Stop`].
    Capture(Capture),
    /// The session is over: release its media room and stop.
    Stop,
}

/// A recording segment's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    Start { at: i64 },
    Stop { at: i64 },
}

/// A fact for the meeting's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Admitted to the meeting (joined, or let in from the waiting room).
    Joined {
        participant: ParticipantId,
        name: String,
        role: ConfRole,
        /// The product's attendee type name ("normal", "terminal"...).
        device: &'static str,
        /// The account's user ID (`None`: a guest without one).
        user: Option<String>,
        at: i64,
    },
    /// The meeting's live session began: its first participant was
    /// admitted (again, after it emptied).
    SessionStarted { at: i64 },
    /// Its last participant went (the meeting may be joined again).
    SessionEnded { at: i64 },
    /// The meeting ended for good.
    Concluded { at: i64 },
    /// A chat message (kept for the minutes; not a control action).
    Chat {
        at: i64,
        from: String,
        /// A private message's receiver, by name.
        to: Option<String>,
        text: String,
    },
    /// Out of the meeting: left, removed, moved to the waiting room, gone
    /// past the reconnect grace, or the meeting ended. `spoke_ms`: how long
    /// it was the active speaker (the loudest, as the SFU's audio levels
    /// say) during this stay.
    Left {
        participant: ParticipantId,
        at: i64,
        spoke_ms: i64,
    },
    /// A control action and how it went.
    Control {
        at: i64,
        /// "client" (a participant), "rest" (the REST control API) or
        /// "system" (the meeting itself: how an invitation went).
        source: &'static str,
        operator: String,
        /// The product SDK's name of the action.
        code: &'static str,
        /// The participant acted on, by name.
        object: String,
        /// 0, or the SDKERR it was refused with.
        result: i64,
        detail: String,
    },
}

/// A participant's place on a connection: what a join or resume answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attach {
    pub participant: ParticipantId,
    pub role: ConfRole,
    pub resume_token: String,
    pub conn: ConnId,
}

/// What the media server must do for a participant's offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaStep {
    /// Open its media connection with these rights.
    Open(MediaRights),
    /// Renegotiate its open media connection.
    Renegotiate,
}

struct Present {
    conn: Option<ConnId>,
    /// The resume token's digest ([`token_digest`]): the token itself is
    /// the participant's, never kept (nor moved to another node).
    resume_digest: String,
    /// `guard::caller_key` of its join, for the password guard.
    caller: String,
}

struct Entry {
    seq: u64,
    to: Vec<ParticipantId>,
    /// `None`: too large to keep ([`RING_MSG_BYTES`]).
    msg: Option<Arc<str>>,
}

/// One live meeting's session (see the module doc).
pub struct MeetingSession {
    live: Live,
    present: BTreeMap<ParticipantId, Present>,
    ring: VecDeque<Entry>,
    seq: u64,
    next_conn: ConnId,
    /// Participants with an open media connection, and the rights last sent.
    media: BTreeMap<ParticipantId, MediaRights>,
    /// The SFU's offer each participant has not answered yet: sent again on
    /// resume, since one made while its connection was down went nowhere.
    offers: BTreeMap<ParticipantId, String>,
    out: VecDeque<Output>,
    /// It has served what started it (a join, a control request).
    served: bool,
    /// Programs follow the meeting (the product's event socket): an empty
    /// meeting's session stays while they do.
    watched: bool,
    stopped: bool,
    /// Who is admitted now, as the records last said.
    attending: BTreeMap<ParticipantId, ()>,
    /// The records said the meeting concluded.
    concluded: bool,
    /// Invitations ringing now, by call ID.
    calls: BTreeMap<String, crate::calls::Call>,
    /// Calls made so far (their IDs' numbers).
    calls_made: u64,
    /// The invitees marked `isAutoInvite` were rung (once a session), or
    /// are to be now.
    auto_invited: bool,
    auto_invite_due: bool,
    /// A recording segment is being captured.
    capturing: bool,
    /// Who is the active speaker, since when (ms), and how long each
    /// present participant has been so far.
    speaking: Option<(ParticipantId, i64)>,
    spoke: BTreeMap<ParticipantId, i64>,
    /// Taken over from another node: who had media there (told on resume
    /// that it closed, so that they open it again here).
    media_lost: std::collections::BTreeSet<ParticipantId>,
    /// The time of the latest input.
    now: i64,
}

/// A resume token's SHA-256, hex.
fn token_digest(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How far event numbers jump when a meeting moves to another node: past
/// anything the node before may have sent after its last handover, so a
/// participant resuming from there gets the meeting's whole current view.
pub const HANDOVER_SEQ_GAP: u64 = 1_000;

/// What moves with a meeting's session to another node (issue 22): the
/// live state ([`crate::live::LiveHandover`]), each participant's resume
/// token (its digest) and password-guard key, the event number, speaking
/// times. Kept in storage by the node running it, taken by the next one.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Handover {
    live: crate::live::LiveHandover,
    present: Vec<(u64, String, String)>,
    seq: u64,
    spoke: Vec<(u64, i64)>,
    auto_invited: bool,
    /// Who had a media connection (to the node before: it is gone).
    #[serde(default)]
    media: Vec<u64>,
}

impl Handover {
    /// The event number it was taken at.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

fn json(msg: &ServerMsg) -> Arc<str> {
    // ServerMsg holds strings, numbers and enums only: it always serializes.
    serde_json::to_string(msg).unwrap_or_default().into()
}

impl MeetingSession {
    /// The session of a meeting as storage has it (`Live::new`), with the
    /// participant cap for meetings created without one.
    pub fn new(meeting: Meeting, default_cap: i64) -> MeetingSession {
        MeetingSession {
            live: Live::new(meeting).with_default_cap(default_cap),
            present: BTreeMap::new(),
            ring: VecDeque::new(),
            seq: 0,
            next_conn: 1,
            media: BTreeMap::new(),
            offers: BTreeMap::new(),
            out: VecDeque::new(),
            served: false,
            watched: false,
            stopped: false,
            attending: BTreeMap::new(),
            concluded: false,
            calls: BTreeMap::new(),
            calls_made: 0,
            auto_invited: false,
            auto_invite_due: false,
            capturing: false,
            speaking: None,
            spoke: BTreeMap::new(),
            media_lost: Default::default(),
            now: 0,
        }
    }

    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The event number of the last event sent.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// What another node needs to take the meeting over ([`Handover`]).
    pub fn handover(&self) -> Handover {
        Handover {
            live: self.live.handover(),
            present: self
                .present
                .iter()
                .map(|(p, x)| (p.0, x.resume_digest.clone(), x.caller.clone()))
                .collect(),
            seq: self.seq,
            spoke: self.spoke.iter().map(|(p, ms)| (p.0, *ms)).collect(),
            auto_invited: self.auto_invited,
            media: self.media.keys().map(|p| p.0).collect(),
        }
    }

    /// The session of a meeting taken over from another node at `now`:
    /// its participants wait to resume (with the tokens they hold), event
    /// numbers go on past [`HANDOVER_SEQ_GAP`], media start afresh.
    pub fn restore(meeting: Meeting, default_cap: i64, h: Handover, now: i64) -> MeetingSession {
        let mut s = MeetingSession::new(meeting, default_cap);
        s.now = now;
        s.live.restore(h.live, now);
        for (p, digest, caller) in h.present {
            s.present.insert(
                ParticipantId(p),
                Present {
                    conn: None,
                    resume_digest: digest,
                    caller,
                },
            );
        }
        s.seq = h.seq + HANDOVER_SEQ_GAP;
        s.spoke = h.spoke.into_iter().map(|(p, ms)| (ParticipantId(p), ms)).collect();
        s.auto_invited = h.auto_invited;
        s.media_lost = h.media.into_iter().map(ParticipantId).collect();
        s.served = true;
        // The records know them as attending already.
        s.attending = s
            .live
            .audience(Audience::Admitted)
            .into_iter()
            .map(|p| (p, ()))
            .collect();
        s
    }

    pub fn meeting(&self) -> &Meeting {
        self.live.meeting()
    }

    /// The next output to carry out.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Whether programs follow the meeting: while they do, an empty
    /// meeting's session stays; when the last one goes, it stops if empty.
    pub fn set_watched(&mut self, watched: bool) {
        self.served = true;
        self.watched = watched;
        self.check_stop();
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// When [`Self::tick`] has something to do next.
    pub fn next_deadline(&self) -> Option<i64> {
        let ring = self.calls.values().map(|c| c.until).min();
        match (self.live.next_deadline(), ring) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Rings `invitees`: those with an account on their clients, the others
    /// are unreachable; hosts hear how each goes.
    fn ring(&mut self, invitees: Vec<convene_proto::AttendeeBaseInfo>) {
        use convene_proto::live::CallState;
        let mut events = Vec::new();
        for a in invitees {
            let state = match crate::calls::account_of(&a) {
                Some((user_uuid, account)) => {
                    self.calls_made += 1;
                    let m = self.live.meeting();
                    let call = crate::calls::Call {
                        id: format!("{}-{}", m.conf_uuid.as_str(), self.calls_made),
                        conf_id: m.conf_id.as_str().to_owned(),
                        subject: m.info.subject.clone(),
                        inviter: m.owner_name.clone(),
                        media_type: m.info.media_type,
                        name: a.nick_name.clone(),
                        number: a.number.clone(),
                        user_uuid,
                        account,
                        until: self.now + crate::calls::RING_SECONDS,
                    };
                    // Ringing again replaces a call still ringing for them.
                    let same: Vec<String> = self
                        .calls
                        .values()
                        .filter(|c| {
                            (c.user_uuid.is_some() && c.user_uuid == call.user_uuid)
                                || (c.account.is_some() && c.account == call.account)
                        })
                        .map(|c| c.id.clone())
                        .collect();
                    for id in same {
                        if let Some(old) = self.calls.remove(&id) {
                            self.out.push_back(Output::RingEnd {
                                call: old,
                                reason: CallState::Cancelled,
                            });
                        }
                    }
                    self.calls.insert(call.id.clone(), call.clone());
                    self.out.push_back(Output::Ring(call));
                    CallState::Ringing
                }
                None => {
                    self.call_result(&a.nick_name, &a.number, CallState::Unreachable);
                    CallState::Unreachable
                }
            };
            events.push((
                Audience::Hosts,
                Event::OnCallStateChanged {
                    nick_name: a.nick_name,
                    number: a.number,
                    state,
                },
            ));
        }
        self.deliver(events);
    }

    /// Once the session's first participant is in: rings the invitees
    /// marked `isAutoInvite` who are not in yet.
    fn auto_invite(&mut self) {
        if !std::mem::take(&mut self.auto_invite_due) || self.stopped {
            return;
        }
        self.auto_invited = true;
        let inside: Vec<Option<String>> = self
            .live
            .audience(Audience::Admitted)
            .into_iter()
            .filter_map(|p| self.live.attendee(p).map(|a| a.user_uuid.clone()))
            .collect();
        let due: Vec<convene_proto::AttendeeBaseInfo> = self
            .live
            .meeting()
            .info
            .attendees
            .iter()
            .filter(|a| a.is_auto_invite == Some(true))
            .filter(|a| a.user_uuid.is_none() || !inside.contains(&a.user_uuid))
            .cloned()
            .collect();
        if !due.is_empty() {
            self.ring(due);
        }
    }

    /// How an invitation went, for programs following the meeting and for
    /// its history (a control record `inviteResult`, by the system).
    fn call_result(&mut self, name: &str, number: &str, state: convene_proto::live::CallState) {
        self.out.push_back(Output::CallResult {
            name: name.to_owned(),
            number: number.to_owned(),
            state,
        });
        self.out.push_back(Output::Record(Record::Control {
            at: self.now,
            source: "system",
            operator: String::new(),
            code: "inviteResult",
            object: name.to_owned(),
            result: 0,
            detail: format!("state={}", state.as_str()),
        }));
    }

    /// Stops ringing the calls `which` picks, telling hosts why.
    fn end_calls(&mut self, which: impl Fn(&crate::calls::Call) -> bool, reason: convene_proto::live::CallState) {
        let ids: Vec<String> = self.calls.values().filter(|c| which(c)).map(|c| c.id.clone()).collect();
        let mut events = Vec::new();
        for id in ids {
            if let Some(call) = self.calls.remove(&id) {
                events.push((
                    Audience::Hosts,
                    Event::OnCallStateChanged {
                        nick_name: call.name.clone(),
                        number: call.number.clone(),
                        state: reason,
                    },
                ));
                self.call_result(&call.name, &call.number, reason);
                self.out.push_back(Output::RingEnd { call, reason });
            }
        }
        if !self.stopped {
            self.deliver(events);
        }
    }

    /// The invitee of `call_id` (the account `user_id`/`account`) turned it down.
    pub fn decline(&mut self, call_id: &str, user_id: &str, account: &str, now: i64) -> Result<(), Refusal> {
        self.now = now;
        let ok = self
            .calls
            .get(call_id)
            .is_some_and(|c| c.user_uuid.as_deref() == Some(user_id) || c.account.as_deref() == Some(account));
        if !ok {
            return Err(Refusal::new(
                SdkErr::CMS_CONF_DATA_NOT_FOUND,
                "no such call ringing for you",
            ));
        }
        self.end_calls(|c| c.id == call_id, convene_proto::live::CallState::Declined);
        self.check_stop();
        Ok(())
    }

    /// The calls ringing now (an invitee's client that connects later rings too).
    pub fn calls(&self) -> impl Iterator<Item = &crate::calls::Call> {
        self.calls.values()
    }

    /// The caller key a participant joined with (`guard::caller_key`).
    pub fn caller_of(&self, p: ParticipantId) -> Option<&str> {
        self.present.get(&p).map(|x| x.caller.as_str())
    }

    /// Whether `conn` is the participant's current connection.
    pub fn is_current(&self, p: ParticipantId, conn: ConnId) -> bool {
        self.present.get(&p).is_some_and(|x| x.conn == Some(conn))
    }

    fn new_conn(&mut self) -> ConnId {
        let c = self.next_conn;
        self.next_conn += 1;
        c
    }

    /// Send one message to one participant's current connection, outside
    /// the numbered events (media signalling).
    fn send_to(&mut self, p: ParticipantId, msg: &ServerMsg) {
        if let Some(conn) = self.present.get(&p).and_then(|x| x.conn) {
            self.out.push_back(Output::Send {
                conns: vec![conn],
                msg: json(msg),
            });
        }
    }

    /// Numbers the events, keeps them for replay and sends each to the
    /// connections of its audience; then closes the connections of those
    /// no longer in the meeting and brings media in line.
    fn deliver(&mut self, events: Outbox) {
        let mut events = events;
        // A sharer out of the meeting stops sharing.
        if let Some(e) = self.live.settle_share() {
            events.push((Audience::Admitted, e));
        }
        for (audience, event) in events {
            let to = match audience {
                // A participant just removed still gets the events about its removal.
                Audience::One(p) => vec![p],
                other => self.live.audience(other),
            };
            self.seq += 1;
            let msg = json(&ServerMsg::Event { seq: self.seq, event });
            let conns: Vec<ConnId> = to
                .iter()
                .filter_map(|p| self.present.get(p).and_then(|x| x.conn))
                .collect();
            if !conns.is_empty() {
                self.out.push_back(Output::Send {
                    conns,
                    msg: msg.clone(),
                });
            }
            if self.ring.len() == RING {
                self.ring.pop_front();
            }
            let kept = (msg.len() <= RING_MSG_BYTES).then_some(msg);
            self.ring.push_back(Entry {
                seq: self.seq,
                to,
                msg: kept,
            });
        }
        // Those no longer in the meeting: their connections close.
        let gone: Vec<ParticipantId> = self
            .present
            .keys()
            .filter(|p| self.live.role(**p).is_none())
            .copied()
            .collect();
        for p in gone {
            if let Some(conn) = self.present.remove(&p).and_then(|x| x.conn) {
                self.out.push_back(Output::Close(conn));
            }
        }
        self.sync_media();
        self.record_attendance();
        self.sync_capture();
    }

    /// Starts or stops capturing as the recording's state and the
    /// meeting's attendance say.
    fn sync_capture(&mut self) {
        let want = self.live.record_state() == convene_proto::live::RecordState::Recording
            && !self.live.is_ended()
            && !self.attending.is_empty();
        if want != self.capturing {
            self.capturing = want;
            let at = self.now;
            self.out.push_back(Output::Capture(if want {
                Capture::Start { at }
            } else {
                Capture::Stop { at }
            }));
        }
    }

    /// Records who came in and who went out since the last change, when
    /// the meeting's live session began and ended, and its conclusion.
    fn record_attendance(&mut self) {
        let now = self.now;
        let admitted: Vec<ParticipantId> = if self.live.is_ended() {
            Vec::new()
        } else {
            self.live.audience(Audience::Admitted)
        };
        let was_attended = !self.attending.is_empty();
        let left: Vec<ParticipantId> = self
            .attending
            .keys()
            .filter(|p| !admitted.contains(p))
            .copied()
            .collect();
        for p in left {
            self.attending.remove(&p);
            let spoke_ms = self.spoke_ms(p);
            self.out.push_back(Output::Record(Record::Left {
                participant: p,
                at: now,
                spoke_ms,
            }));
        }
        if admitted.is_empty() && was_attended {
            self.out.push_back(Output::Record(Record::SessionEnded { at: now }));
        } else if !admitted.is_empty() && !was_attended {
            self.out.push_back(Output::Record(Record::SessionStarted { at: now }));
            // Its invitees marked `isAutoInvite` ring, once (`auto_invite`).
            self.auto_invite_due = !self.auto_invited;
        }
        for p in admitted {
            if self.attending.insert(p, ()).is_none() {
                if let Some(a) = self.live.attendee(p) {
                    self.out.push_back(Output::Record(Record::Joined {
                        participant: p,
                        name: a.nick_name.clone(),
                        role: a.role,
                        device: a.attendee_type.rest_name(),
                        user: a.user_uuid.clone(),
                        at: now,
                    }));
                }
            }
        }
        if self.live.is_ended() && !self.concluded {
            self.concluded = true;
            self.out.push_back(Output::Record(Record::Concluded { at: now }));
        }
    }

    /// Whether the participant has a media connection open.
    pub fn has_media(&self, p: ParticipantId) -> bool {
        self.media.contains_key(&p)
    }

    /// What a participant's media may do now; `None`: no media at all (not
    /// present, or in the waiting room).
    pub fn media_rights(&self, p: ParticipantId) -> Option<MediaRights> {
        let a = self.live.attendee(p)?;
        if a.role == ConfRole::Waiting {
            return None;
        }
        let video = self.live.meeting().info.media_type == MediaType::Video;
        Some(MediaRights {
            send_audio: self.live.may_speak(p),
            send_video: video && a.is_camera_on,
            video_allowed: video,
            send_screen: video && self.live.is_sharing(p),
        })
    }

    /// Brings every media connection in line with the meeting: a mute, a
    /// move to the waiting room or a removal acts on the media itself.
    fn sync_media(&mut self) {
        let mut closed = Vec::new();
        let mut changed = Vec::new();
        for (p, rights) in &self.media {
            match self.media_rights(*p) {
                None => closed.push(*p),
                Some(now) if now != *rights => changed.push((*p, now)),
                Some(_) => {}
            }
        }
        for (p, now) in changed {
            self.media.insert(p, now);
            self.out.push_back(Output::Media(MediaCmd::Rights(p, now)));
        }
        for p in closed {
            self.media.remove(&p);
            self.offers.remove(&p);
            self.out.push_back(Output::Media(MediaCmd::Remove(p)));
            self.send_to(
                p,
                &ServerMsg::MediaClosed {
                    reason: "media is for admitted participants only".into(),
                },
            );
        }
    }

    /// Stores what the rules report before anything tells of it.
    fn persist(&mut self, fx: Effects) {
        if fx.ended {
            self.out.push_back(Output::Persist(Persist::Ended));
        } else if fx.end_changed || fx.settings_changed || fx.invitees_changed {
            self.out.push_back(Output::Persist(Persist::Changed {
                end: fx.end_changed.then(|| self.live.end_time()),
                settings: fx.settings_changed.then(|| self.live.settings()),
                invitees: fx.invitees_changed.then(|| self.live.meeting().info.attendees.clone()),
            }));
        }
    }

    /// Stops when the meeting ended, or is empty once it served what
    /// started it.
    fn check_stop(&mut self) {
        if self.stopped {
            return;
        }
        // An empty meeting's session stays while invitees are rung (they
        // may be the first to come).
        let idle =
            self.served && !self.watched && self.live.is_empty() && self.present.is_empty() && self.calls.is_empty();
        if self.live.is_ended() || idle {
            self.end_calls(|_| true, convene_proto::live::CallState::Cancelled);
            if self.capturing {
                self.capturing = false;
                self.out.push_back(Output::Capture(Capture::Stop { at: self.now }));
            }
            self.stopped = true;
            self.out.push_back(Output::Stop);
        }
    }

    /// The passing of time: the end warning, the end, grace periods.
    pub fn tick(&mut self, now: i64) {
        if self.stopped {
            return;
        }
        self.now = now;
        let mut events = Vec::new();
        let fx = self.live.tick(now, &mut events);
        self.persist(fx);
        self.deliver(events);
        self.end_calls(|c| c.until <= now, convene_proto::live::CallState::NoAnswer);
        self.check_stop();
    }

    /// A join on a new connection.
    pub fn join<R: Rng + ?Sized>(&mut self, req: JoinRequest, now: i64, rng: &mut R) -> Result<Attach, Refusal> {
        self.served = true;
        self.now = now;
        let caller = req.client_key.clone();
        let account = req.account.clone();
        let mut req = req;
        req.answering_call = account
            .as_ref()
            .is_some_and(|a| self.calls.values().any(|c| c.is_for(a)));
        let mut events = Vec::new();
        let result = self.live.join(req, now, &mut events);
        let attach = match result {
            Ok(j) => {
                let conn = self.new_conn();
                let resume_token = crate::ids::random_hex(rng, 16);
                let old = self.present.insert(
                    j.participant,
                    Present {
                        conn: Some(conn),
                        resume_digest: token_digest(&resume_token),
                        caller,
                    },
                );
                if j.took_over {
                    self.replaced(j.participant, old.and_then(|o| o.conn));
                }
                Ok(Attach {
                    participant: j.participant,
                    role: j.role,
                    resume_token,
                    conn,
                })
            }
            Err(r) => Err(r),
        };
        self.deliver(events);
        if let (Ok(_), Some(a)) = (&attach, &account) {
            self.end_calls(|c| c.is_for(a), convene_proto::live::CallState::Answered);
        }
        self.auto_invite();
        self.check_stop();
        attach
    }

    /// The account of `p` joined again: the older connection hears why and
    /// closes (its resume token is replaced, so it cannot take the place
    /// back), and its media connection goes. The event has a number of its
    /// own that only the older connection sees.
    fn replaced(&mut self, p: ParticipantId, old: Option<ConnId>) {
        if let Some(conn) = old {
            self.seq += 1;
            let msg = json(&ServerMsg::Event {
                seq: self.seq,
                event: Event::OnConfEnded {
                    reason: EndReason(SdkErr::USG_TOKEN_IS_INVAILD_BY_KICKOFF),
                    reason_text: "you joined this meeting from another connection".into(),
                },
            });
            self.out.push_back(Output::Send { conns: vec![conn], msg });
            self.out.push_back(Output::Close(conn));
        }
        if self.media.remove(&p).is_some() {
            self.offers.remove(&p);
            self.out.push_back(Output::Media(MediaCmd::Remove(p)));
        }
    }

    /// A participant whose connection dropped is back within the grace
    /// period, with the last event number it saw: it gets what it missed
    /// (or a fresh view when that is no longer kept) and the media offer it
    /// has not answered.
    pub fn resume(&mut self, p: ParticipantId, token: &str, last_seq: u64) -> Result<Attach, Refusal> {
        let gone = || Refusal {
            code: SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
            reason: "that place in the meeting is gone: join again".into(),
        };
        let digest = token_digest(token);
        if self.stopped
            || self
                .present
                .get(&p)
                .is_none_or(|x| !crate::meeting::same_secret(&digest, &x.resume_digest))
        {
            return Err(gone());
        }
        let mut events = Vec::new();
        if !self.live.reconnect(p, &mut events) {
            return Err(gone());
        }
        let conn = self.new_conn();
        let old = self.present.get_mut(&p).and_then(|x| x.conn.replace(conn));
        if let Some(old) = old {
            self.out.push_back(Output::Close(old));
        }
        let role = self.live.role(p).unwrap_or(ConfRole::Attendee);
        let oldest = self.ring.front().map(|e| e.seq).unwrap_or(self.seq + 1);
        let missed: Vec<&Entry> = self
            .ring
            .iter()
            .filter(|e| e.seq > last_seq && e.to.contains(&p))
            .collect();
        if oldest <= last_seq + 1 && missed.iter().all(|e| e.msg.is_some()) {
            for msg in missed.into_iter().filter_map(|e| e.msg.clone()) {
                self.out.push_back(Output::Send { conns: vec![conn], msg });
            }
        } else {
            self.live.snapshot(p, &mut events);
        }
        self.deliver(events);
        if let Some(sdp) = self.offers.get(&p).cloned() {
            self.send_to(p, &ServerMsg::MediaOffer { sdp });
        }
        if self.media_lost.remove(&p) {
            self.send_to(
                p,
                &ServerMsg::MediaClosed {
                    reason: "the meeting moved to another node: open media again".into(),
                },
            );
        }
        Ok(Attach {
            participant: p,
            role,
            resume_token: token.to_owned(),
            conn,
        })
    }

    /// A control request by `by` (a participant, or the REST control API
    /// with the host's rights). `gate` is the password guard's
    /// answer for `by`'s caller: `requestHostRole` checks no password while
    /// it is closed.
    pub fn control(&mut self, by: impl Into<Actor>, action: Action, now: i64, gate: Gate) -> Result<(), Refusal> {
        let by = by.into();
        self.served = true;
        self.now = now;
        let name = |p: Option<ParticipantId>| {
            p.and_then(|p| self.live.attendee(p))
                .map(|a| a.nick_name.clone())
                .unwrap_or_default()
        };
        let (operator, source) = match by.participant() {
            Some(p) => (name(Some(p)), "client"),
            None => ("REST control API".to_owned(), "rest"),
        };
        let (code, object, detail) = (action.name(), name(action.target()), action.detail());
        let chat = match &action {
            Action::Chat { text, to } => Some((text.trim().to_owned(), to.map(|t| name(Some(t))))),
            _ => None,
        };
        let result = if matches!(action, Action::ReclaimHost { .. }) && by != Actor::RestControl && gate != Gate::Open {
            Err(password_locked())
        } else {
            let mut events = Vec::new();
            let result = self.live.control(by, action, now, &mut events);
            if let Ok(fx) = &result {
                self.persist(*fx);
            }
            self.deliver(events);
            result.map(|_| ())
        };
        let record = match chat {
            // A message is the chat's record, not a control action's.
            Some((text, to)) => result.is_ok().then_some(Record::Chat {
                at: now,
                from: operator,
                to,
                text,
            }),
            None => Some(Record::Control {
                at: now,
                source,
                operator,
                code,
                object,
                result: result.as_ref().map_or_else(|r| r.code.0, |_| 0),
                detail,
            }),
        };
        if let Some(r) = record {
            self.out.push_back(Output::Record(r));
        }
        // The invitation's calls, after it in the records.
        let invited = self.live.take_invited();
        if !invited.is_empty() {
            self.ring(invited);
        }
        self.auto_invite();
        self.check_stop();
        result
    }

    /// `leaveConf` on the participant's current connection.
    pub fn leave(&mut self, p: ParticipantId, conn: ConnId, now: i64) {
        if self.is_current(p, conn) {
            self.now = now;
            let mut events = Vec::new();
            self.live.leave(p, &mut events);
            self.deliver(events);
            self.check_stop();
        }
    }

    /// The participant's connection dropped (or was too slow, see
    /// [`Self::conn_failed`]): it keeps its place for the grace period.
    pub fn disconnect(&mut self, p: ParticipantId, conn: ConnId, now: i64) {
        if !self.is_current(p, conn) {
            return;
        }
        self.now = now;
        if let Some(x) = self.present.get_mut(&p) {
            x.conn = None;
        }
        let mut events = Vec::new();
        self.live.disconnect(p, now, &mut events);
        self.deliver(events);
        self.check_stop();
    }

    /// A connection could not take what was sent (too slow, or gone): it
    /// closes and its participant counts as disconnected.
    pub fn conn_failed(&mut self, conn: ConnId, now: i64) {
        let p = self.present.iter().find(|(_, x)| x.conn == Some(conn)).map(|(p, _)| *p);
        self.out.push_back(Output::Close(conn));
        if let Some(p) = p {
            self.disconnect(p, conn, now);
        }
    }

    /// Storage failed for good: drop what was queued (nobody hears of a
    /// change that was not stored), close every connection, stop.
    pub fn persist_failed(&mut self) {
        // Closes queued for those the change removed stay; nothing else does.
        let closes: Vec<Output> = self.out.drain(..).filter(|o| matches!(o, Output::Close(_))).collect();
        self.out.extend(closes);
        for x in self.present.values() {
            if let Some(conn) = x.conn {
                self.out.push_back(Output::Close(conn));
            }
        }
        self.present.clear();
        self.stopped = true;
        self.out.push_back(Output::Stop);
    }

    /// A media offer from the participant on `conn`: whether it may have
    /// media, and what the media server must do.
    pub fn media_offer(&mut self, p: ParticipantId, conn: ConnId) -> Result<MediaStep, Refusal> {
        if !self.is_current(p, conn) {
            return Err(not_in_meeting());
        }
        let Some(rights) = self.media_rights(p) else {
            return Err(Refusal {
                code: SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                reason: "media is for admitted participants only".into(),
            });
        };
        // The SFU drops its own offer in flight for this one.
        self.offers.remove(&p);
        Ok(if self.media.contains_key(&p) {
            MediaStep::Renegotiate
        } else {
            MediaStep::Open(rights)
        })
    }

    /// The media server carried out `step` for the participant's offer.
    /// Rights that changed meanwhile are sent; a participant who may no
    /// longer have media loses the connection at once.
    pub fn media_opened(&mut self, p: ParticipantId, step: MediaStep) {
        if let MediaStep::Open(rights) = step {
            self.media.entry(p).or_insert(rights);
        }
        self.sync_media();
    }

    /// The participant's answer to the SFU's offer.
    pub fn media_answer(&mut self, p: ParticipantId, conn: ConnId) -> Result<(), Refusal> {
        if !self.is_current(p, conn) {
            return Err(not_in_meeting());
        }
        if !self.media.contains_key(&p) {
            return Err(Refusal {
                code: SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                reason: "no media connection".into(),
            });
        }
        self.offers.remove(&p);
        Ok(())
    }

    /// The participant closes its media connection (it stays in the meeting).
    pub fn media_close(&mut self, p: ParticipantId, conn: ConnId) {
        if !self.is_current(p, conn) {
            return;
        }
        self.offers.remove(&p);
        if self.media.remove(&p).is_some() {
            self.out.push_back(Output::Media(MediaCmd::Remove(p)));
        }
    }

    /// The SFU offers the participant a change (others' tracks came or went).
    pub fn sfu_offer(&mut self, p: ParticipantId, sdp: String) {
        if self.media.contains_key(&p) {
            self.send_to(p, &ServerMsg::MediaOffer { sdp: sdp.clone() });
            self.offers.insert(p, sdp);
        }
    }

    /// The participant's media connection closed by itself.
    pub fn sfu_closed(&mut self, p: ParticipantId) {
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

    /// The loudest participant changed (`now_ms`: Unix milliseconds).
    pub fn active_speaker(&mut self, p: Option<ParticipantId>, now_ms: i64) {
        if let Some((q, since)) = self.speaking.take() {
            *self.spoke.entry(q).or_default() += (now_ms - since).max(0);
        }
        self.speaking = p.map(|p| (p, now_ms));
        self.deliver(vec![(
            Audience::Admitted,
            Event::OnActiveSpeakerChanged { participant_id: p },
        )]);
    }
}

impl MeetingSession {
    /// How long `p` spoke during its stay, counted up to now and reset
    /// (its stay ended).
    fn spoke_ms(&mut self, p: ParticipantId) -> i64 {
        let mut total = self.spoke.remove(&p).unwrap_or(0);
        if let Some((q, since)) = self.speaking {
            if q == p {
                let now_ms = self.now * 1000;
                total += (now_ms - since).max(0);
                self.speaking = None;
            }
        }
        total
    }
}

fn not_in_meeting() -> Refusal {
    Refusal {
        code: SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
        reason: "not in the meeting".into(),
    }
}
