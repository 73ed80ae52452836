//! The meeting session's rules with simulated time: replay and resume, the
//! session's lifecycle, media rights after each change, slow connections,
//! and "storage learns first" (what the server's per-meeting task carried
//! out by itself before; now decided in core and checked here).

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use convene_core::create::{plan, CreateLimits, Creator};
use convene_core::guard::Gate;
use convene_core::live::*;
use convene_core::session::*;
use convene_core::{ConfId, EnterpriseId, Meeting, RoomId, UserId};
use convene_proto::live::*;
use convene_proto::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

const T0: i64 = 1_800_000_000;

fn meeting(edit: impl FnOnce(&mut CreateConfInfo)) -> Meeting {
    let mut info = CreateConfInfo::new("Session", MediaType::Video, true);
    info.guest_pwd = Some("1111".into());
    edit(&mut info);
    let creator = Creator {
        user_id: UserId("owner".into()),
        name: "Olga".into(),
        enterprise_id: EnterpriseId("corp".into()),
        personal_room: RoomId("900000000".into()),
    };
    plan(
        info,
        ConfOptions::default(),
        &creator,
        &CreateLimits::default(),
        T0,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap()
    .into_meeting(ConfId("123456789".into()), None)
}

fn req(password: &str, name: &str) -> JoinRequest {
    JoinRequest {
        credential: Credential::Password(password.into()),
        nick_name: name.into(),
        account: None,
        is_mic_on: true,
        is_camera_on: true,
        attendee_type: AttendeeType::Normal,
        client_key: format!("ip:{name}"),
        password_gate: Gate::Open,
        answering_call: false,
    }
}

fn outputs(s: &mut MeetingSession) -> Vec<Output> {
    std::iter::from_fn(|| s.poll_output()).collect()
}

/// The events sent on `conn`, decoded.
fn sent_to(out: &[Output], conn: ConnId) -> Vec<(u64, Event)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { conns, msg } if conns.contains(&conn) => Some(msg.clone()),
            _ => None,
        })
        .filter_map(
            |m| match serde_json::from_str::<convene_proto::live::ServerMsg>(&m).unwrap() {
                convene_proto::live::ServerMsg::Event { seq, event } => Some((seq, event)),
                _ => None,
            },
        )
        .collect()
}

struct Two {
    s: MeetingSession,
    host: Attach,
    guest: Attach,
}

fn host_and_guest(edit: impl FnOnce(&mut CreateConfInfo)) -> Two {
    let m = meeting(edit);
    let host_pwd = m.host_pwd.clone();
    let mut s = MeetingSession::new(m, 1000);
    let mut rng = StdRng::seed_from_u64(2);
    let host = s.join(req(&host_pwd, "host"), T0 + 1, &mut rng).unwrap();
    let guest = s.join(req("1111", "guest"), T0 + 1, &mut rng).unwrap();
    outputs(&mut s);
    Two { s, host, guest }
}

#[test]
fn a_resume_replays_exactly_what_was_missed() {
    let Two { mut s, host, guest } = host_and_guest(|_| {});
    s.disconnect(guest.participant, guest.conn, T0 + 2);
    let out = outputs(&mut s);
    let last_seen = sent_to(&out, guest.conn).last().map(|(n, _)| *n).unwrap_or(0);
    s.control(host.participant, Action::Lock { lock: true }, T0 + 3, Gate::Open)
        .unwrap();
    let missed: Vec<(u64, Event)> = sent_to(&outputs(&mut s), host.conn);
    assert!(!missed.is_empty());
    // A wrong token is refused; the right one replays, in order, once.
    assert!(s.resume(guest.participant, "nope", last_seen).is_err());
    let back = s.resume(guest.participant, &guest.resume_token, last_seen).unwrap();
    assert_ne!(back.conn, guest.conn);
    let replay = sent_to(&outputs(&mut s), back.conn);
    let numbers: Vec<u64> = replay.iter().map(|(n, _)| *n).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert!(numbers.iter().all(|n| *n > last_seen));
    assert!(replay
        .iter()
        .any(|(_, e)| matches!(e, Event::OnMeetingInfoChanged { is_locked: true, .. })));
    // The old connection is no longer the participant's.
    assert!(!s.is_current(guest.participant, guest.conn));
}

#[test]
fn a_resume_past_the_ring_gets_a_fresh_view() {
    let Two { mut s, host, guest } = host_and_guest(|_| {});
    s.disconnect(guest.participant, guest.conn, T0 + 2);
    for i in 0..(RING + 10) {
        s.control(
            host.participant,
            Action::RaiseHand { raised: i % 2 == 0 },
            T0 + 3,
            Gate::Open,
        )
        .unwrap();
    }
    outputs(&mut s);
    let back = s.resume(guest.participant, &guest.resume_token, 1).unwrap();
    let view = sent_to(&outputs(&mut s), back.conn);
    assert!(view
        .iter()
        .any(|(_, e)| matches!(e, Event::OnConfStateChanged { state: 1 })));
    assert!(view
        .iter()
        .any(|(_, e)| matches!(e, Event::OnAttendeeListChanged { attendees } if attendees.len() == 2)));
}

#[test]
fn the_session_stops_once_an_empty_meeting_served_what_started_it() {
    // A refused REST control on an empty meeting used to keep the task and
    // its SFU room until 5 minutes before the end.
    let mut s = MeetingSession::new(meeting(|_| {}), 1000);
    s.tick(T0 + 1);
    assert!(!s.is_stopped(), "nothing served yet");
    let refused = s.control(
        Actor::RestControl,
        Action::Admit {
            target: ParticipantId(7),
        },
        T0 + 1,
        Gate::Open,
    );
    assert!(refused.is_err());
    assert!(s.is_stopped());
    assert_eq!(outputs(&mut s).last(), Some(&Output::Stop));
    // In its last five minutes a new session serves the join that started it.
    let m = meeting(|c| c.duration = Some(30));
    let mut s = MeetingSession::new(m, 1000);
    s.tick(T0 + 26 * 60);
    assert!(!s.is_stopped());
    let j = s.join(req("1111", "late"), T0 + 26 * 60, &mut StdRng::seed_from_u64(3));
    assert!(j.is_ok());
    assert!(!s.is_stopped());
}

#[test]
fn media_rights_follow_every_change() {
    let Two { mut s, host, guest } = host_and_guest(|_| {});
    let step = s.media_offer(guest.participant, guest.conn).unwrap();
    let MediaStep::Open(rights) = step else {
        panic!("{step:?}")
    };
    assert!(rights.send_audio && rights.send_video && rights.video_allowed);
    s.media_opened(guest.participant, step);
    outputs(&mut s);
    // The host mutes the guest: its audio stops at the SFU.
    s.control(
        host.participant,
        Action::Mute {
            target: guest.participant,
            mute: true,
        },
        T0 + 2,
        Gate::Open,
    )
    .unwrap();
    let out = outputs(&mut s);
    assert!(out.contains(&Output::Media(MediaCmd::Rights(
        guest.participant,
        MediaRights {
            send_audio: false,
            send_video: true,
            video_allowed: true,
            send_screen: false,
        }
    ))));
    // Moved to the waiting room: its media connection closes at once, and
    // it may not open one there.
    s.control(
        host.participant,
        Action::MoveToWaiting {
            target: guest.participant,
        },
        T0 + 3,
        Gate::Open,
    )
    .unwrap();
    let out = outputs(&mut s);
    assert!(out.contains(&Output::Media(MediaCmd::Remove(guest.participant))));
    assert!(s.media_offer(guest.participant, guest.conn).is_err());
    // An offer on a connection that is not the participant's is refused.
    assert!(s.media_offer(host.participant, guest.conn).is_err());
}

#[test]
fn storage_learns_first_and_a_failed_write_stops_the_session() {
    let Two { mut s, host, guest } = host_and_guest(|_| {});
    // Lock: the settings are stored before anyone is told.
    s.control(host.participant, Action::Lock { lock: true }, T0 + 2, Gate::Open)
        .unwrap();
    let out = outputs(&mut s);
    let persist = out.iter().position(|o| matches!(o, Output::Persist(_))).unwrap();
    let first_send = out.iter().position(|o| matches!(o, Output::Send { .. })).unwrap();
    assert!(persist < first_send);
    assert!(matches!(&out[persist], Output::Persist(Persist::Changed { settings: Some(x), .. }) if x.locked));
    // End: the store fails for good. Nobody hears the meeting ended (it
    // did not, as far as storage knows), every connection closes, the
    // session stops; the next join will start from storage.
    s.control(host.participant, Action::End, T0 + 3, Gate::Open).unwrap();
    assert_eq!(s.poll_output(), Some(Output::Persist(Persist::Ended)));
    s.persist_failed();
    let rest = outputs(&mut s);
    assert!(rest.iter().all(|o| !matches!(o, Output::Send { .. })), "{rest:?}");
    assert!(rest.contains(&Output::Close(host.conn)) && rest.contains(&Output::Close(guest.conn)));
    assert_eq!(rest.last(), Some(&Output::Stop));
    assert!(s.is_stopped());
}

#[test]
fn a_slow_connection_counts_as_disconnected_then_goes() {
    let Two { mut s, host, guest } = host_and_guest(|_| {});
    s.conn_failed(guest.conn, T0 + 2);
    let out = outputs(&mut s);
    assert!(out.contains(&Output::Close(guest.conn)));
    let offline = sent_to(&out, host.conn).into_iter().any(|(_, e)| {
        matches!(e, Event::OnAttendeesChanged { refresh, .. } if refresh.iter().any(|a| a.participant_id == guest.participant && !a.online))
    });
    assert!(offline, "{out:?}");
    s.tick(T0 + 2 + RECONNECT_GRACE);
    let gone = sent_to(&outputs(&mut s), host.conn)
        .into_iter()
        .any(|(_, e)| matches!(e, Event::OnAttendeesChanged { remove, .. } if remove.contains(&guest.participant)));
    assert!(gone);
    assert!(s.resume(guest.participant, &guest.resume_token, 0).is_err());
}

#[test]
fn request_host_role_waits_while_the_gate_is_closed() {
    let Two { mut s, guest, .. } = host_and_guest(|_| {});
    let host_pwd = s.meeting().host_pwd.clone();
    let e = s
        .control(
            guest.participant,
            Action::ReclaimHost {
                host_pwd: host_pwd.clone(),
            },
            T0 + 2,
            Gate::CallerLocked,
        )
        .unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED);
    s.control(guest.participant, Action::ReclaimHost { host_pwd }, T0 + 2, Gate::Open)
        .unwrap();
    assert_eq!(s.live().role(guest.participant), Some(ConfRole::Host));
}

/// Issue 18: the session records who was in the meeting when and what was
/// done, for the meeting's history; a refused action is recorded with its code.
#[test]
fn attendance_and_control_actions_are_recorded() {
    let m = meeting(|_| {});
    let host_pwd = m.host_pwd.clone();
    let mut s = MeetingSession::new(m, 1000);
    let mut rng = StdRng::seed_from_u64(2);
    let records = |out: Vec<Output>| -> Vec<Record> {
        out.into_iter()
            .filter_map(|o| match o {
                Output::Record(r) => Some(r),
                _ => None,
            })
            .collect()
    };
    let host = s.join(req(&host_pwd, "host"), T0 + 1, &mut rng).unwrap();
    let guest = s.join(req("1111", "guest"), T0 + 2, &mut rng).unwrap();
    let joined = records(outputs(&mut s));
    assert!(
        matches!(&joined[..], [
        Record::SessionStarted { at: 1_800_000_001 },
        Record::Joined { name: h, role: ConfRole::Host, at: 1_800_000_001, .. },
        Record::Joined { name: g, role: ConfRole::Attendee, device: "normal", at: 1_800_000_002, .. },
    ] if h == "host" && g == "guest"),
        "{joined:?}"
    );
    // A guest's refused lock, then the host's lock.
    let _ = s.control(guest.participant, Action::Lock { lock: true }, T0 + 3, Gate::Open);
    s.control(host.participant, Action::Lock { lock: true }, T0 + 4, Gate::Open)
        .unwrap();
    let done = records(outputs(&mut s));
    let summary: Vec<_> = done
        .iter()
        .map(|r| match r {
            Record::Control {
                operator, code, result, ..
            } => (operator.as_str(), *code, *result),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(summary[0].0, "guest");
    assert_ne!(summary[0].2, 0, "refused, with its code");
    assert_eq!(summary[1], ("host", "lockConf", 0));
    // The guest speaks (the loudest) 4.5 s, then the host until the end;
    // the guest leaves; the end takes the host out.
    s.active_speaker(Some(guest.participant), (T0 + 5) * 1000);
    s.active_speaker(Some(host.participant), (T0 + 9) * 1000 + 500);
    outputs(&mut s);
    s.leave(guest.participant, guest.conn, T0 + 10);
    assert_eq!(
        records(outputs(&mut s)),
        vec![Record::Left {
            participant: guest.participant,
            at: T0 + 10,
            spoke_ms: 4500,
        }]
    );
    s.control(host.participant, Action::End, T0 + 20, Gate::Open).unwrap();
    let end = records(outputs(&mut s));
    assert!(
        end.contains(&Record::Left {
            participant: host.participant,
            at: T0 + 20,
            spoke_ms: 10_500,
        }),
        "{end:?}"
    );
    assert!(
        matches!(
            end.last(),
            Some(Record::Control {
                code: "endConf",
                result: 0,
                ..
            })
        ),
        "{end:?}"
    );
    // The session's end and the meeting's conclusion, after the last one
    // out, once each.
    let at = |r: &Record| end.iter().position(|x| x == r).unwrap();
    let left = at(&Record::Left {
        participant: host.participant,
        at: T0 + 20,
        spoke_ms: 10_500,
    });
    assert!(left < at(&Record::SessionEnded { at: T0 + 20 }));
    assert!(at(&Record::SessionEnded { at: T0 + 20 }) < at(&Record::Concluded { at: T0 + 20 }));
    assert_eq!(end.iter().filter(|r| matches!(r, Record::Concluded { .. })).count(), 1);
}

fn captures(out: &[Output]) -> Vec<Capture> {
    out.iter()
        .filter_map(|o| match o {
            Output::Capture(c) => Some(*c),
            _ => None,
        })
        .collect()
}

#[test]
fn recording_is_for_hosts_of_a_meeting_that_allows_it_and_everyone_hears_of_it() {
    // Not allowed: the product's code, for the host too.
    let Two { mut s, host, .. } = host_and_guest(|_| {});
    let r = s.control(
        host.participant,
        Action::Record { op: RecordOp::Start },
        T0 + 2,
        Gate::Open,
    );
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_RECORD_START_EXCEPTION);
    assert!(captures(&outputs(&mut s)).is_empty());

    // Allowed, with a waiting room: a guest may not, a host may; the
    // admitted and the waiting room hear it; capture runs from start to stop.
    let Two { mut s, host, guest } = host_and_guest(|i| i.allow_record = Some(true));
    let waiting = {
        s.control(
            host.participant,
            Action::OpenWaitingRoom { open: true },
            T0 + 2,
            Gate::Open,
        )
        .unwrap();
        s.join(req("1111", "late"), T0 + 2, &mut StdRng::seed_from_u64(5))
            .unwrap()
    };
    outputs(&mut s);
    let r = s.control(
        guest.participant,
        Action::Record { op: RecordOp::Start },
        T0 + 3,
        Gate::Open,
    );
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    s.control(
        host.participant,
        Action::Record { op: RecordOp::Start },
        T0 + 3,
        Gate::Open,
    )
    .unwrap();
    let out = outputs(&mut s);
    assert_eq!(captures(&out), vec![Capture::Start { at: T0 + 3 }]);
    assert!(out.iter().any(|o| matches!(o, Output::Persist(Persist::Changed { settings: Some(st), .. }) if st.record == RecordState::Recording)));
    for conn in [host.conn, waiting.conn] {
        assert!(sent_to(&out, conn).iter().any(|(_, e)| *e
            == Event::OnRecordStateChanged {
                state: RecordState::Recording
            }));
    }
    // Pause stops capture; resume starts a new segment; stop ends it.
    s.control(
        host.participant,
        Action::Record { op: RecordOp::Pause },
        T0 + 4,
        Gate::Open,
    )
    .unwrap();
    s.control(
        host.participant,
        Action::Record { op: RecordOp::Resume },
        T0 + 5,
        Gate::Open,
    )
    .unwrap();
    s.control(
        Actor::RestControl,
        Action::Record { op: RecordOp::Stop },
        T0 + 6,
        Gate::Open,
    )
    .unwrap();
    let out = outputs(&mut s);
    assert_eq!(
        captures(&out),
        vec![
            Capture::Stop { at: T0 + 4 },
            Capture::Start { at: T0 + 5 },
            Capture::Stop { at: T0 + 6 }
        ]
    );
    let states: Vec<RecordState> = sent_to(&out, host.conn)
        .into_iter()
        .filter_map(|(_, e)| match e {
            Event::OnRecordStateChanged { state } => Some(state),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        vec![RecordState::Paused, RecordState::Recording, RecordState::Off]
    );
    // Pausing nothing is refused; stopping nothing changes nothing.
    let r = s.control(
        host.participant,
        Action::Record { op: RecordOp::Pause },
        T0 + 7,
        Gate::Open,
    );
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_RECORD_PAUSED_EXCEPTION);
    s.control(
        host.participant,
        Action::Record { op: RecordOp::Stop },
        T0 + 7,
        Gate::Open,
    )
    .unwrap();
    assert!(captures(&outputs(&mut s)).is_empty());
}

#[test]
fn an_automatic_recording_captures_while_someone_is_admitted_and_stops_with_the_meeting() {
    let m = meeting(|i| i.is_auto_record = Some(true));
    let host_pwd = m.host_pwd.clone();
    let mut s = MeetingSession::new(m, 1000);
    let mut rng = StdRng::seed_from_u64(2);
    let host = s.join(req(&host_pwd, "host"), T0 + 1, &mut rng).unwrap();
    let out = outputs(&mut s);
    assert_eq!(captures(&out), vec![Capture::Start { at: T0 + 1 }]);
    let info = sent_to(&out, host.conn)
        .into_iter()
        .find_map(|(_, e)| match e {
            Event::OnConfInfoNotify { info } => Some(info),
            _ => None,
        })
        .unwrap();
    assert!(info.allow_record);
    assert_eq!(info.record_state, RecordState::Recording);
    // The meeting empties: capture stops (the recording stays on for the
    // next session); the host ends it: capture stops before the session.
    s.leave(host.participant, host.conn, T0 + 9);
    let out = outputs(&mut s);
    assert_eq!(captures(&out), vec![Capture::Stop { at: T0 + 9 }]);
    let mut s = MeetingSession::new(s.meeting().clone(), 1000);
    let host = s.join(req(&host_pwd, "host"), T0 + 20, &mut rng).unwrap();
    assert_eq!(captures(&outputs(&mut s)), vec![Capture::Start { at: T0 + 20 }]);
    s.control(host.participant, Action::End, T0 + 30, Gate::Open).unwrap();
    let out = outputs(&mut s);
    let stop = out
        .iter()
        .position(|o| *o == Output::Capture(Capture::Stop { at: T0 + 30 }))
        .unwrap();
    let end = out.iter().position(|o| *o == Output::Stop).unwrap();
    assert!(stop < end);
}

#[test]
fn one_screen_at_a_time_hosts_stop_any_and_a_sharer_who_goes_stops() {
    let Two { mut s, host, guest } = host_and_guest(|_| {});
    let share = |on: bool| Action::Share { target: None, on };
    s.control(guest.participant, share(true), T0 + 2, Gate::Open).unwrap();
    let out = outputs(&mut s);
    assert!(sent_to(&out, host.conn).iter().any(|(_, e)| *e
        == Event::OnShareStateChanged {
            participant_id: Some(guest.participant),
            sharers: vec![guest.participant],
        }));
    assert_eq!(s.media_rights(guest.participant).map(|r| r.send_screen), Some(true));
    assert_eq!(s.media_rights(host.participant).map(|r| r.send_screen), Some(false));
    // One at a time, even for the host; nobody shares another's screen.
    let r = s.control(host.participant, share(true), T0 + 3, Gate::Open);
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    let r = s.control(
        guest.participant,
        Action::Share {
            target: Some(host.participant),
            on: true,
        },
        T0 + 3,
        Gate::Open,
    );
    assert!(r.is_err());
    // The host stops the guest's share; then shares itself.
    s.control(
        host.participant,
        Action::Share {
            target: Some(guest.participant),
            on: false,
        },
        T0 + 4,
        Gate::Open,
    )
    .unwrap();
    assert!(s.live().sharers().is_empty());
    s.control(host.participant, share(true), T0 + 5, Gate::Open).unwrap();
    assert_eq!(s.live().sharers(), &[host.participant]);
    // A guest may not stop the host's share; the host leaving stops it.
    let r = s.control(
        guest.participant,
        Action::Share {
            target: Some(host.participant),
            on: false,
        },
        T0 + 6,
        Gate::Open,
    );
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    outputs(&mut s);
    s.leave(host.participant, host.conn, T0 + 7);
    let out = outputs(&mut s);
    assert!(s.live().sharers().is_empty());
    assert!(sent_to(&out, guest.conn).iter().any(|(_, e)| *e
        == Event::OnShareStateChanged {
            participant_id: None,
            sharers: vec![],
        }));
    // An audio meeting has no screen sharing.
    let Two { mut s, guest, .. } = host_and_guest(|i| i.media_type = MediaType::Audio);
    let r = s.control(guest.participant, share(true), T0 + 2, Gate::Open);
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL);
}

#[test]
fn hosts_allow_several_sharers_up_to_four_and_take_it_back() {
    let Two { mut s, host, guest } = host_and_guest(|_| {});
    let share = |on: bool| Action::Share { target: None, on };
    let allow = |allow: bool| Action::AllowMultiShare { allow };
    // Only hosts decide.
    let r = s.control(guest.participant, allow(true), T0 + 1, Gate::Open);
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    s.control(host.participant, allow(true), T0 + 1, Gate::Open).unwrap();
    let out = outputs(&mut s);
    assert!(sent_to(&out, guest.conn)
        .iter()
        .any(|(_, e)| *e == Event::OnMultiShareChanged { is_allowed: true }));
    assert!(s.live().settings().multi_share, "kept with the live settings");
    // Both share; both screens are forwarded; everyone is told both.
    s.control(guest.participant, share(true), T0 + 2, Gate::Open).unwrap();
    s.control(host.participant, share(true), T0 + 3, Gate::Open).unwrap();
    let out = outputs(&mut s);
    assert!(sent_to(&out, guest.conn).iter().any(|(_, e)| *e
        == Event::OnShareStateChanged {
            participant_id: Some(host.participant),
            sharers: vec![guest.participant, host.participant],
        }));
    assert_eq!(s.media_rights(guest.participant).map(|r| r.send_screen), Some(true));
    assert_eq!(s.media_rights(host.participant).map(|r| r.send_screen), Some(true));
    let info = s.live().info_for(guest.participant).unwrap();
    assert_eq!(info.sharers, vec![guest.participant, host.participant]);
    assert!(info.multi_share);
    // Sharing again changes nothing.
    s.control(host.participant, share(true), T0 + 4, Gate::Open).unwrap();
    assert!(outputs(&mut s).iter().all(|o| !matches!(o, Output::Send { .. })));
    // Back to one at a time: the latest sharer keeps it, the other's stops.
    s.control(host.participant, allow(false), T0 + 5, Gate::Open).unwrap();
    assert_eq!(s.live().sharers(), &[host.participant]);
    assert_eq!(s.media_rights(guest.participant).map(|r| r.send_screen), Some(false));
    let r = s.control(guest.participant, share(true), T0 + 6, Gate::Open);
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    // At most four at once (the setting outlives the session).
    let m = s.meeting().clone();
    let mut s = MeetingSession::new(m.clone(), 1000);
    let mut rng = StdRng::seed_from_u64(9);
    let host = s.join(req(&m.host_pwd, "host"), T0 + 10, &mut rng).unwrap();
    s.control(host.participant, allow(true), T0 + 10, Gate::Open).unwrap();
    for n in 0..4 {
        let g = s.join(req("1111", &format!("g{n}")), T0 + 10, &mut rng).unwrap();
        s.control(g.participant, share(true), T0 + 11, Gate::Open).unwrap();
    }
    assert_eq!(s.live().sharers().len(), 4);
    let r = s.control(host.participant, share(true), T0 + 12, Gate::Open);
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
}

#[test]
fn a_session_moves_to_another_node_and_its_participants_resume_there() {
    let Two { mut s, host, guest } = host_and_guest(|_| {});
    let step = s.media_offer(guest.participant, guest.conn).unwrap();
    s.media_opened(guest.participant, step);
    s.control(
        host.participant,
        Action::Chat {
            text: "before the move".into(),
            to: None,
        },
        T0 + 2,
        Gate::Open,
    )
    .unwrap();
    let last = sent_to(&outputs(&mut s), guest.conn).last().map(|(n, _)| *n).unwrap();
    // The handover as storage keeps it (JSON), taken by the next node.
    let doc = serde_json::to_string(&s.handover()).unwrap();
    assert!(
        !doc.contains(&guest.resume_token),
        "resume tokens are kept as digests only"
    );
    let h: convene_core::session::Handover = serde_json::from_str(&doc).unwrap();
    let mut next = MeetingSession::restore(s.meeting().clone(), 1000, h, T0 + 5);
    assert_eq!(next.live().roster().len(), 2);
    assert!(
        next.live().roster().iter().all(|a| !a.online),
        "nobody is connected to the new node yet"
    );
    // A wrong token is refused; the right one resumes, with the whole view
    // numbered past the old node's events.
    assert!(next.resume(guest.participant, "nope", last).is_err());
    let back = next.resume(guest.participant, &guest.resume_token, last).unwrap();
    let out = outputs(&mut next);
    let got = sent_to(&out, back.conn);
    // Its media connection was to the node before: it is told to open it again.
    assert!(out.iter().any(
        |o| matches!(o, Output::Send { conns, msg } if conns.contains(&back.conn) && msg.contains("\"mediaClosed\""))
    ));
    assert!(got
        .iter()
        .all(|(n, _)| *n > last + convene_core::session::HANDOVER_SEQ_GAP - 1));
    assert!(got.iter().any(|(_, e)| matches!(e, Event::OnConfInfoNotify { .. })));
    assert!(got.iter().any(
        |(_, e)| matches!(e, Event::OnChatHistory { messages } if messages.iter().any(|m| m.text == "before the move"))
    ));
    // The host never comes back: its place goes after the grace period.
    next.tick(T0 + 5 + convene_core::live::RECONNECT_GRACE + 1);
    outputs(&mut next);
    assert_eq!(next.live().roster().len(), 1);
    assert!(!next.is_stopped());
}

#[test]
fn a_recording_goes_on_in_a_new_segment_on_the_next_node() {
    let Two { mut s, guest, .. } = host_and_guest(|i| {
        i.allow_record = Some(true);
        i.is_auto_record = Some(true);
    });
    s.tick(T0 + 2);
    outputs(&mut s);
    let last = 0;
    let h = s.handover();
    // The node died while capturing; the next one captures anew once the
    // meeting goes on there (its recording state is a stored live setting).
    let mut next = MeetingSession::restore(s.meeting().clone(), 1000, h, T0 + 8);
    next.resume(guest.participant, &guest.resume_token, last).unwrap();
    assert_eq!(captures(&outputs(&mut next)), vec![Capture::Start { at: T0 + 8 }]);
}
