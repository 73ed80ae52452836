//! The in-meeting control actions (`IHwmConfCtrl`): who may do what, and
//! what each does to the meeting.

use convene_proto::*;

use super::*;

impl Live {
    /// A control request by `by` (a participant, or the REST control API).
    pub fn control(
        &mut self,
        by: impl Into<Actor>,
        action: Action,
        now: i64,
        out: &mut Outbox,
    ) -> Result<Effects, Refusal> {
        let before = self.settings();
        let mut fx = self.apply_control(by.into(), action, now, out)?;
        fx.settings_changed = !fx.ended && self.settings() != before;
        Ok(fx)
    }

    fn apply_control(&mut self, by: Actor, action: Action, now: i64, out: &mut Outbox) -> Result<Effects, Refusal> {
        let mut fx = Effects::default();
        if self.ended {
            return Err(refuse(SdkErr::CMS_CONF_IS_CLOSED, "the meeting has ended"));
        }
        let me = by.participant();
        let my_role = match me {
            Some(p) => self.present(p)?.info.role,
            None => ConfRole::Host,
        };
        // Actions on oneself need a self.
        let myself = || {
            me.ok_or_else(|| {
                refuse(
                    SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                    "the REST control API is not a participant: name one",
                )
            })
        };
        let host = my_role == ConfRole::Host;
        let host_like = is_host_like(my_role);
        if my_role == ConfRole::Waiting && !matches!(action, Action::Camera { .. } | Action::Mute { .. }) {
            return Err(refuse(SdkErr::UISDK_NOT_IN_CONF_OR_CALL, "you are in the waiting room"));
        }
        match action {
            Action::Mute { target, mute } => {
                let t = self.target(target)?;
                if Some(target) == me {
                    if !mute && !t.may_unmute && !host_like {
                        return Err(forbidden("unmute yourself now: the host muted everyone"));
                    }
                } else if !host_like {
                    return Err(forbidden("mute others"));
                }
                let by_host = Some(target) != me;
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
                if let Some(x) = self.participants.get_mut(&myself()?) {
                    x.info.is_camera_on = on;
                }
                let waiting = my_role == ConfRole::Waiting;
                self.push_lists(out, !waiting, waiting);
            }
            Action::RaiseHand { raised } => {
                if let Some(x) = self.participants.get_mut(&myself()?) {
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
                if t.info.role == ConfRole::Waiting || Some(target) == me {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        "the host role goes to another admitted participant",
                    ));
                }
                self.set_host(target, out);
            }
            Action::ReclaimHost { host_pwd } => {
                if !crate::meeting::same_secret(&host_pwd, &self.meeting.host_pwd) {
                    return Err(refuse(SdkErr::CMS_CONF_PWD_AUTH_FAILED, "wrong host password"));
                }
                let me = myself()?;
                if !host {
                    self.set_host(me, out);
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
                if Some(target) == me {
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
                if t.info.role == ConfRole::Waiting || t.info.role == ConfRole::Host || Some(target) == me {
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
            Action::Rename { target, name } => {
                if Some(target) != me && !host_like {
                    return Err(forbidden("rename others"));
                }
                self.target(target)?;
                let name = name.trim().to_owned();
                if name.is_empty() || name.chars().count() > 64 {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        "the new name must be 1 to 64 characters",
                    ));
                }
                crate::text::check_text("newName", &name, false)
                    .map_err(|e| refuse(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, e))?;
                if let Some(x) = self.participants.get_mut(&target) {
                    x.info.nick_name = name;
                }
                let waiting = self.role(target) == Some(ConfRole::Waiting);
                self.push_lists(out, !waiting, waiting);
            }
            Action::SetHand { target, raised } => {
                if Some(target) != me && (raised || !host_like) {
                    return Err(forbidden(if raised {
                        "raise another's hand"
                    } else {
                        "lower others' hands"
                    }));
                }
                if self.target(target)?.info.role == ConfRole::Waiting {
                    return Err(refuse(
                        SdkErr::UISDK_NOT_IN_CONF_OR_CALL,
                        "that participant is in the waiting room",
                    ));
                }
                if let Some(x) = self.participants.get_mut(&target) {
                    x.info.hand_raised = raised;
                }
                self.push_lists(out, true, false);
            }
            Action::ReleaseHost { target } => {
                if self.target(target)?.info.role != ConfRole::Host {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        "that participant is not the host",
                    ));
                }
                if !host {
                    return Err(forbidden("release the host role"));
                }
                if let Some(x) = self.participants.get_mut(&target) {
                    x.info.role = ConfRole::Attendee;
                    x.admitted_role = ConfRole::Attendee;
                }
                out.push((
                    Audience::One(target),
                    Event::OnSelfRoleChanged {
                        role: ConfRole::Attendee,
                    },
                ));
                self.push_lists(out, true, false);
            }
            Action::AllowUnmute { allow } => {
                if !host_like {
                    return Err(forbidden("let guests unmute themselves"));
                }
                if self.mute_all.is_some() {
                    self.mute_all = Some(allow);
                }
                for p in self.participants.values_mut() {
                    if !is_host_like(p.info.role) && !p.info.is_mic_on {
                        p.may_unmute = allow;
                    }
                }
                out.push((Audience::Admitted, self.meeting_info_event()));
            }
            Action::SetJoinPolicy { allow } => {
                if !host_like {
                    return Err(forbidden("change who may join"));
                }
                self.allow_join = Some(allow);
                self.meeting.info.conf_allow_join_user = Some(allow);
                out.push((Audience::Admitted, self.meeting_info_event()));
            }
            Action::Uninvite { numbers } => {
                if !host_like {
                    return Err(forbidden("change the invited list"));
                }
                let invited = &mut self.meeting.info.attendees;
                let before = invited.len();
                let unknown: Vec<&String> = numbers
                    .iter()
                    .filter(|n| !invited.iter().any(|a| &a.number == *n || &a.third_user_id == *n))
                    .collect();
                if numbers.is_empty() || !unknown.is_empty() {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        format!("not invited to this meeting: {unknown:?}"),
                    ));
                }
                invited.retain(|a| !numbers.iter().any(|n| &a.number == n || &a.third_user_id == n));
                self.meeting.info.num_of_attendee = invited.len() as i64;
                fx.invitees_changed = invited.len() != before;
            }
            Action::Invite { attendees } => {
                if !host_like {
                    return Err(forbidden("invite participants"));
                }
                crate::calls::check_invitees(&attendees)?;
                let invited = &mut self.meeting.info.attendees;
                let before = invited.len();
                for a in &attendees {
                    if !invited.iter().any(|x| crate::calls::same_invitee(x, a)) {
                        invited.push(a.clone());
                    }
                }
                self.meeting.info.num_of_attendee = invited.len() as i64;
                fx.invitees_changed = invited.len() != before;
                self.to_ring = attendees;
            }
            Action::Chat { text, to } => {
                let from = myself()?;
                if self.chat_off && !host_like {
                    return Err(forbidden("chat now: the host turned chat off"));
                }
                let text = text.trim();
                if text.is_empty() || text.chars().count() > CHAT_MAX_CHARS {
                    return Err(refuse(
                        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                        format!("a message has 1 to {CHAT_MAX_CHARS} characters"),
                    ));
                }
                crate::text::check_text("text", text, true)
                    .map_err(|e| refuse(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, e))?;
                if let Some(t) = to {
                    if t == from || self.role(t).is_none_or(|r| r == ConfRole::Waiting) {
                        return Err(refuse(
                            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                            "a private message goes to another participant in the meeting",
                        ));
                    }
                }
                self.chats += 1;
                let message = convene_proto::live::ChatMessage {
                    id: self.chats,
                    from,
                    from_name: self.present(from)?.info.nick_name.clone(),
                    to,
                    text: text.to_owned(),
                    at: now,
                };
                match to {
                    Some(t) => {
                        out.push((
                            Audience::One(from),
                            Event::OnChatMessage {
                                message: message.clone(),
                            },
                        ));
                        out.push((Audience::One(t), Event::OnChatMessage { message }));
                    }
                    None => {
                        if self.chat_log.len() == CHAT_HISTORY {
                            self.chat_log.pop_front();
                        }
                        self.chat_log.push_back(message.clone());
                        out.push((Audience::Admitted, Event::OnChatMessage { message }));
                    }
                }
            }
            Action::Share { target, on } => {
                let target = match target {
                    Some(t) => t,
                    None => myself()?,
                };
                let is_me = Some(target) == me;
                self.target(target)?;
                if on {
                    if !is_me {
                        return Err(forbidden("share another participant's screen"));
                    }
                    if self.meeting.info.media_type != MediaType::Video {
                        return Err(refuse(
                            SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL,
                            "an audio meeting has no screen sharing",
                        ));
                    }
                    if !self.sharing.contains(&target) {
                        if !self.multi_share {
                            if let Some(other) = self.sharing.first().copied() {
                                let name = self
                                    .present(other)
                                    .map(|x| x.info.nick_name.clone())
                                    .unwrap_or_default();
                                return Err(refuse(
                                    SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS,
                                    format!("{name} is sharing their screen: one at a time (a host can stop it or allow several)"),
                                ));
                            }
                        } else if self.sharing.len() >= MAX_SHARERS {
                            return Err(refuse(
                                SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS,
                                format!("{MAX_SHARERS} screens are shared already: at most {MAX_SHARERS} at once"),
                            ));
                        }
                    }
                } else if !is_me && !host_like {
                    return Err(forbidden("stop another participant's sharing"));
                }
                let before = self.sharing.len();
                if on {
                    if !self.sharing.contains(&target) {
                        self.sharing.push(target);
                    }
                } else {
                    self.sharing.retain(|p| *p != target);
                }
                if self.sharing.len() != before {
                    out.push((Audience::Admitted, self.share_event()));
                }
            }
            Action::AllowMultiShare { allow } => {
                if !host_like {
                    return Err(forbidden("allow several sharers"));
                }
                if self.multi_share != allow {
                    self.multi_share = allow;
                    out.push((Audience::Admitted, Event::OnMultiShareChanged { is_allowed: allow }));
                    // Back to one at a time: the latest sharer keeps sharing.
                    if !allow && self.sharing.len() > 1 {
                        let last = self.sharing.split_off(self.sharing.len() - 1);
                        self.sharing = last;
                        out.push((Audience::Admitted, self.share_event()));
                    }
                }
            }
            Action::AllowChat { allow } => {
                if !host_like {
                    return Err(forbidden("turn chat on or off"));
                }
                if self.chat_off == allow {
                    self.chat_off = !allow;
                    out.push((Audience::Admitted, Event::OnChatAllowedChanged { is_allowed: allow }));
                }
            }
            Action::Record { op } => {
                if !host_like {
                    return Err(forbidden("start or stop the recording"));
                }
                let next = self.next_record_state(op)?;
                if next != self.record {
                    self.record = next;
                    self.recorded |= next == RecordState::Recording;
                    out.push((Audience::Everyone, Event::OnRecordStateChanged { state: next }));
                }
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
                    me,
                    out,
                    &mut fx,
                );
            }
        }
        Ok(fx)
    }

    /// What a recording operation makes of the state: the product's codes
    /// for a meeting that may not be recorded and for pausing or stopping
    /// nothing; repeating the current state changes nothing.
    fn next_record_state(&self, op: RecordOp) -> Result<RecordState, Refusal> {
        use RecordState::*;
        if !self.allows_recording() {
            return Err(refuse(
                SdkErr::CMS_RECORD_START_EXCEPTION,
                "this meeting was created without recording (allowRecord)",
            ));
        }
        Ok(match (op, self.record) {
            (RecordOp::Start | RecordOp::Resume, _) => Recording,
            (RecordOp::Pause, Recording | Paused) => Paused,
            (RecordOp::Pause, Off) => {
                return Err(refuse(
                    SdkErr::CMS_RECORD_PAUSED_EXCEPTION,
                    "the meeting is not being recorded",
                ))
            }
            (RecordOp::Stop, _) => Off,
        })
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
            Some(ConfRole::Waiting) => self.waiting_view(p, out),
            Some(_) => self.welcome(p, out),
            None => {}
        }
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
            ActionMsg::RenameAttendee {
                participant_id,
                new_name,
            } => Action::Rename {
                target: participant_id,
                name: new_name,
            },
            ActionMsg::SetHandsState {
                participant_id,
                is_raised,
            } => Action::SetHand {
                target: participant_id,
                raised: is_raised,
            },
            ActionMsg::ReleaseHostRole { participant_id } => Action::ReleaseHost { target: participant_id },
            ActionMsg::AllowGuestUnmute { is_allowed } => Action::AllowUnmute { allow: is_allowed },
            ActionMsg::AddAttendee { attendees } => Action::Invite { attendees },
            ActionMsg::SendChatMessage { text, to } => Action::Chat { text, to },
            ActionMsg::AllowChat { is_allowed } => Action::AllowChat { allow: is_allowed },
            ActionMsg::AllowMultiShare { is_allowed } => Action::AllowMultiShare { allow: is_allowed },
            ActionMsg::OperateCloudRecord { op } => Action::Record { op },
            ActionMsg::SetShare { participant_id, is_on } => Action::Share {
                target: participant_id,
                on: is_on,
            },
        }
    }
}
