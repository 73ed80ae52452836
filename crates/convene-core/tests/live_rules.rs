//! Issue 3: the live meeting's rules, with simulated time. Each test is a
//! small table of (settings x joiner x action) -> outcome.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use convene_core::create::{plan, CreateLimits, Creator};
use convene_core::guard::Gate;
use convene_core::live::*;
use convene_core::{ConfId, EnterpriseId, Meeting, RoomId, UserId};
use convene_proto::live::*;
use convene_proto::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

const T0: i64 = 1_800_000_000;

fn owner() -> Account {
    Account {
        user_id: UserId("owner".into()),
        enterprise_id: EnterpriseId("corp".into()),
        name: "Olga Owner".into(),
        account: "olga".into(),
        third_user_id: None,
    }
}

fn colleague(name: &str) -> Account {
    Account {
        user_id: UserId(name.into()),
        enterprise_id: EnterpriseId("corp".into()),
        name: name.into(),
        account: name.into(),
        third_user_id: None,
    }
}

fn outsider(name: &str) -> Account {
    Account {
        user_id: UserId(name.into()),
        enterprise_id: EnterpriseId("other".into()),
        name: name.into(),
        account: name.into(),
        third_user_id: None,
    }
}

fn meeting(edit: impl FnOnce(&mut CreateConfInfo, &mut ConfOptions)) -> Meeting {
    let mut info = CreateConfInfo::new("Live", MediaType::Video, true);
    info.guest_pwd = Some("1111".into());
    let mut opts = ConfOptions::default();
    edit(&mut info, &mut opts);
    let o = owner();
    let creator = Creator {
        user_id: o.user_id,
        name: o.name,
        enterprise_id: o.enterprise_id,
        personal_room: RoomId("900000000".into()),
    };
    let new = plan(
        info,
        opts,
        &creator,
        &CreateLimits::default(),
        T0,
        &mut StdRng::seed_from_u64(9),
    )
    .unwrap();
    new.into_meeting(ConfId("123456789".into()), None)
}

fn req(cred: Credential, name: &str, account: Option<Account>) -> JoinRequest {
    JoinRequest {
        credential: cred,
        nick_name: name.into(),
        account,
        is_mic_on: true,
        is_camera_on: true,
        attendee_type: AttendeeType::Normal,
        client_key: format!("client-{name}"),
        password_gate: Gate::Open,
        answering_call: false,
    }
}

fn pw(p: &str) -> Credential {
    Credential::Password(p.into())
}

fn join(live: &mut Live, r: JoinRequest) -> Result<Joined, SdkErr> {
    live.join(r, T0 + 1, &mut Vec::new()).map_err(|e| e.code)
}

fn host_in(live: &mut Live) -> ParticipantId {
    let host_pwd = live.meeting().host_pwd.clone();
    join(live, req(pw(&host_pwd), "Host", None)).unwrap().participant
}

#[test]
fn credentials_give_roles() {
    let m = meeting(|_, _| {});
    let (host_pwd, guest_random, host_random, audience_random) = (
        m.host_pwd.clone(),
        m.guest_random.clone(),
        m.host_random.clone(),
        m.audience_random.clone(),
    );
    let mut invited_m = meeting(|c, _| {
        c.attendees = vec![AttendeeBaseInfo {
            nick_name: "Ivy".into(),
            number: "1".into(),
            account_id: Some("ivy".into()),
            role: Some(ConfRole::Cohost),
            ..Default::default()
        }];
        c.num_of_attendee = 1;
    });
    invited_m.host_pwd = host_pwd.clone();
    let table: Vec<(Meeting, JoinRequest, Result<ConfRole, SdkErr>)> = vec![
        (m.clone(), req(pw(&host_pwd), "h", None), Ok(ConfRole::Host)),
        (m.clone(), req(pw("1111"), "g", None), Ok(ConfRole::Attendee)),
        (
            m.clone(),
            req(pw("2222"), "x", None),
            Err(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED),
        ),
        (
            m.clone(),
            req(pw(""), "x", None),
            Err(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED),
        ),
        (
            m.clone(),
            req(Credential::Random(guest_random), "g", None),
            Ok(ConfRole::Attendee),
        ),
        (
            m.clone(),
            req(Credential::Random(host_random), "h", None),
            Ok(ConfRole::Host),
        ),
        (
            m.clone(),
            req(Credential::Random(audience_random), "a", None),
            Ok(ConfRole::Audience),
        ),
        (
            m.clone(),
            req(Credential::Random("nope".into()), "x", None),
            Err(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED),
        ),
        (m.clone(), req(pw(""), "", Some(owner())), Ok(ConfRole::Host)),
        (
            m.clone(),
            req(pw(""), "", Some(colleague("carl"))),
            Err(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED),
        ),
        (
            invited_m.clone(),
            req(pw(""), "", Some(colleague("ivy"))),
            Ok(ConfRole::Cohost),
        ),
        (
            meeting(|c, _| {
                c.need_password = false;
                c.guest_pwd = None
            }),
            req(pw(""), "g", None),
            Ok(ConfRole::Attendee),
        ),
        (
            m.clone(),
            req(pw("1111"), "  ", None),
            Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
    ];
    for (i, (m, r, want)) in table.into_iter().enumerate() {
        let mut live = Live::new(m);
        assert_eq!(join(&mut live, r).map(|j| j.role), want, "row {i}");
    }
}

#[test]
fn a_closed_password_gate_holds_back_passwords_only() {
    // Issue 16, items 3-4: while the guard's gate is closed for a caller,
    // no password is checked (the right one neither: no guessing through a
    // lock), but those who prove themselves without one get in.
    let mut m = meeting(|c, _| {
        c.attendees = vec![AttendeeBaseInfo {
            nick_name: "Tess".into(),
            third_user_id: "tess-3p".into(),
            role: Some(ConfRole::Cohost),
            ..Default::default()
        }];
        c.num_of_attendee = 1;
    });
    m.info.is_open_waiting_room = Some(false);
    let host_pwd = m.host_pwd.clone();
    let app_user = Account {
        third_user_id: Some("tess-3p".into()),
        ..colleague("tess")
    };
    for gate in [Gate::CallerLocked, Gate::MeetingClosed] {
        let locked = |cred: Credential, account: Option<Account>| {
            let mut r = req(cred, "x", account);
            r.password_gate = gate;
            check_credential(Some(&m), &r).map_err(|e| e.code)
        };
        let held = Err(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED);
        assert_eq!(locked(pw(&host_pwd), None), held, "the right host password waits too");
        assert_eq!(locked(pw("1111"), None), held);
        assert_eq!(locked(pw("9999"), None), held);
        assert_eq!(locked(pw(""), None), held);
        assert_eq!(locked(Credential::Random("nope".into()), None), held);
        assert_eq!(locked(pw(""), Some(owner())), Ok(ConfRole::Host), "the owner");
        assert_eq!(locked(pw("9999"), Some(owner())), Ok(ConfRole::Host));
        assert_eq!(
            locked(Credential::Random(m.host_random.clone()), None),
            Ok(ConfRole::Host),
            "a host link"
        );
        assert_eq!(
            locked(Credential::Random(m.guest_random.clone()), None),
            Ok(ConfRole::Attendee),
            "a guest link"
        );
        assert_eq!(
            locked(pw(""), Some(app_user.clone())),
            Ok(ConfRole::Cohost),
            "an invitation"
        );
    }
    // An ended meeting answers the same as a wrong password to those
    // without credentials, and says it ended only to those with them.
    let mut live = Live::new(m.clone());
    let mut out = Vec::new();
    let host = live.join(req(pw(&host_pwd), "h", None), T0 + 1, &mut out).unwrap();
    live.control(host.participant, Action::End, T0 + 2, &mut out).unwrap();
    let e = live.join(req(pw("9999"), "x", None), T0 + 3, &mut out).unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED);
    let e = live.join(req(pw(""), "x", None), T0 + 3, &mut out).unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED);
    let e = live.join(req(pw("1111"), "x", None), T0 + 3, &mut out).unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_CONF_IS_CLOSED);
}

#[test]
fn an_app_id_invitation_carries_its_mute() {
    // Issue 16, item 13: an App ID user invited by `thirdUserId` gets the
    // invitation's role and its `isMute`.
    let m = meeting(|c, _| {
        c.attendees = vec![AttendeeBaseInfo {
            nick_name: "Tess".into(),
            third_user_id: "tess-3p".into(),
            role: Some(ConfRole::Attendee),
            is_mute: Some(true),
            ..Default::default()
        }];
        c.num_of_attendee = 1;
    });
    let app_user = Account {
        third_user_id: Some("tess-3p".into()),
        ..colleague("tess")
    };
    let mut live = Live::new(m);
    let j = join(&mut live, req(pw(""), "", Some(app_user))).unwrap();
    assert_eq!(j.role, ConfRole::Attendee);
    assert!(!live.attendee(j.participant).unwrap().is_mic_on, "invited muted");
}

#[test]
fn who_may_join() {
    use ConfAllowJoinUserType::*;
    let invited = |c: &mut CreateConfInfo| {
        c.attendees = vec![AttendeeBaseInfo {
            nick_name: "Ivy".into(),
            number: "1".into(),
            account_id: Some("ivy".into()),
            ..Default::default()
        }];
        c.num_of_attendee = 1;
    };
    let cases: Vec<(ConfAllowJoinUserType, Option<Account>, Result<(), SdkErr>)> = vec![
        (Anyone, None, Ok(())),
        (LoginedUser, None, Err(SdkErr::CMS_CONF_NOT_ALLOW_ANONYMOUS)),
        (LoginedUser, Some(outsider("otto")), Ok(())),
        (InCompanyUser, None, Err(SdkErr::CMS_CONF_NOT_ALLOW_ANONYMOUS)),
        (
            InCompanyUser,
            Some(outsider("otto")),
            Err(SdkErr::CMS_CONF_ONLY_ALLOW_USER_IN_ORG),
        ),
        (InCompanyUser, Some(colleague("carl")), Ok(())),
        (InvitedUser, None, Err(SdkErr::CMS_CONF_ONLY_ALLOW_USER_INVITED)),
        (
            InvitedUser,
            Some(colleague("carl")),
            Err(SdkErr::CMS_CONF_ONLY_ALLOW_USER_INVITED),
        ),
        (InvitedUser, Some(colleague("ivy")), Ok(())),
    ];
    for (who, account, want) in cases {
        let mut live = Live::new(meeting(|c, _| {
            c.conf_allow_join_user = Some(who);
            invited(c);
        }));
        let got = join(&mut live, req(pw("1111"), "j", account.clone())).map(|_| ());
        assert_eq!(got, want, "{who:?} / {account:?}");
        // The host password always gets in.
        let host_pwd = live.meeting().host_pwd.clone();
        assert!(join(&mut live, req(pw(&host_pwd), "h", None)).is_ok());
    }
}

#[test]
fn the_cap_refuses_the_next_joiner() {
    let mut live = Live::new(meeting(|c, _| c.concurrent_participants = Some(2)));
    let host = host_in(&mut live);
    let g = join(&mut live, req(pw("1111"), "g1", None)).unwrap().participant;
    assert_eq!(
        join(&mut live, req(pw("1111"), "g2", None)).unwrap_err(),
        SdkErr::CMS_OVER_MAX_PARTICIPANT_NUMBER
    );
    live.leave(g, &mut Vec::new());
    assert!(join(&mut live, req(pw("1111"), "g2", None)).is_ok());
    assert_eq!(live.participants().len(), 2);
    let _ = host;
}

#[test]
fn lock_and_end_close_the_door() {
    let mut live = Live::new(meeting(|_, _| {}));
    let host = host_in(&mut live);
    let mut out = Vec::new();
    live.control(host, Action::Lock { lock: true }, T0 + 5, &mut out)
        .unwrap();
    assert_eq!(
        join(&mut live, req(pw("1111"), "g", None)).unwrap_err(),
        SdkErr::CMS_CONF_LOCKED
    );
    let host_pwd = live.meeting().host_pwd.clone();
    assert!(
        join(&mut live, req(pw(&host_pwd), "h2", None)).is_ok(),
        "the host password opens a locked meeting"
    );
    live.control(host, Action::Lock { lock: false }, T0 + 6, &mut out)
        .unwrap_err(); // h2 is host now
    let fx = {
        let h2 = live
            .participants()
            .iter()
            .find(|a| a.role == ConfRole::Host)
            .unwrap()
            .participant_id;
        live.control(h2, Action::Lock { lock: false }, T0 + 6, &mut out)
            .unwrap();
        live.control(h2, Action::End, T0 + 7, &mut out).unwrap()
    };
    assert!(fx.ended);
    assert_eq!(
        join(&mut live, req(pw("1111"), "g", None)).unwrap_err(),
        SdkErr::CMS_CONF_IS_CLOSED
    );
    let ended: Vec<_> = out
        .iter()
        .filter_map(|(a, e)| match e {
            Event::OnConfEnded { reason, .. } => Some((*a, reason.0)),
            _ => None,
        })
        .collect();
    assert!(ended.contains(&(Audience::One(host), SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF)));
}

#[test]
fn waiting_room_holds_guests_back() {
    let mut live = Live::new(meeting(|c, _| c.is_open_waiting_room = Some(true)));
    let host = host_in(&mut live);
    let mut out = Vec::new();
    let g1 = live.join(req(pw("1111"), "g1", None), T0 + 2, &mut out).unwrap();
    assert_eq!(g1.role, ConfRole::Waiting);
    // The waiting guest is told only its own state; hosts see the waiting list.
    for (aud, ev) in &out {
        match aud {
            Audience::One(p) => assert_eq!(*p, g1.participant, "{ev:?}"),
            Audience::Hosts => assert!(
                matches!(ev, Event::OnAttendeesChanged { waiting: true, refresh, remove } if refresh.len() == 1 && remove.is_empty()),
                "{ev:?}"
            ),
            Audience::Admitted | Audience::Everyone => panic!("a waiting joiner is announced to everyone: {ev:?}"),
        }
    }
    assert!(!live.audience(Audience::Admitted).contains(&g1.participant));
    assert!(live.info_for(g1.participant).is_some());
    let g2 = join(&mut live, req(pw("1111"), "g2", None)).unwrap().participant;
    let g3 = join(&mut live, req(pw("1111"), "g3", None)).unwrap().participant;
    // A guest cannot admit; the host admits one, removes one, admits all.
    assert_eq!(
        live.control(g1.participant, Action::AdmitAll, T0 + 3, &mut out)
            .unwrap_err()
            .code,
        SdkErr::UISDK_NOT_IN_CONF_OR_CALL
    );
    let mut out = Vec::new();
    live.control(host, Action::Admit { target: g1.participant }, T0 + 3, &mut out)
        .unwrap();
    assert_eq!(live.role(g1.participant), Some(ConfRole::Attendee));
    assert!(out.contains(&(Audience::One(g1.participant), Event::OnConfStateChanged { state: 1 })));
    live.control(host, Action::Remove { target: g2 }, T0 + 4, &mut out)
        .unwrap();
    assert_eq!(live.role(g2), None);
    live.control(host, Action::AdmitAll, T0 + 5, &mut out).unwrap();
    assert_eq!(live.role(g3), Some(ConfRole::Attendee));
    // Back to the waiting room; closing the room lets the next joiner straight in.
    live.control(host, Action::MoveToWaiting { target: g3 }, T0 + 6, &mut out)
        .unwrap();
    assert_eq!(live.role(g3), Some(ConfRole::Waiting));
    live.control(host, Action::OpenWaitingRoom { open: false }, T0 + 7, &mut out)
        .unwrap();
    assert_eq!(
        join(&mut live, req(pw("1111"), "g4", None)).unwrap().role,
        ConfRole::Attendee
    );
    // Hosts and co-hosts skip the waiting room.
    live.control(host, Action::OpenWaitingRoom { open: true }, T0 + 8, &mut out)
        .unwrap();
    let host_pwd = live.meeting().host_pwd.clone();
    assert_eq!(
        join(&mut live, req(pw(&host_pwd), "h2", None)).unwrap().role,
        ConfRole::Host
    );
}

#[test]
fn mute_policies_at_join() {
    // (soft policy, hard policy, joiner type, joiner's own mic, expected mic)
    type Case = (Option<AutoMuteType>, Option<AutoMuteType>, AttendeeType, bool, bool);
    let cases: Vec<Case> = vec![
        // (soft policy, hard policy, joiner type, joiner's own mic, expected mic)
        (Some(AutoMuteType::Mute), None, AttendeeType::Normal, true, false),
        (Some(AutoMuteType::Unmute), None, AttendeeType::Normal, false, true),
        (Some(AutoMuteType::Default), None, AttendeeType::Normal, true, true),
        (
            Some(AutoMuteType::Mute),
            Some(AutoMuteType::Unmute),
            AttendeeType::Terminal,
            false,
            true,
        ),
        (
            Some(AutoMuteType::Unmute),
            Some(AutoMuteType::Mute),
            AttendeeType::IdeaHub,
            true,
            false,
        ),
        (None, Some(AutoMuteType::Mute), AttendeeType::Mobile, true, true),
    ];
    for (soft, hard, t, own, want) in cases {
        let mut live = Live::new(meeting(|c, _| {
            c.auto_mute_mode = soft;
            c.hard_terminal_auto_mute_mode = hard;
        }));
        let mut r = req(pw("1111"), "g", None);
        r.attendee_type = t;
        r.is_mic_on = own;
        let p = join(&mut live, r).unwrap().participant;
        assert_eq!(
            live.attendee(p).unwrap().is_mic_on,
            want,
            "{soft:?} {hard:?} {t:?} own={own}"
        );
    }
    // The creator's isMicOn / isCameraOn decide the host's start state.
    let mut live = Live::new(meeting(|c, _| {
        c.is_mic_on = Some(false);
        c.is_camera_on = Some(false);
        c.auto_mute_mode = Some(AutoMuteType::Unmute);
    }));
    let p = join(&mut live, req(pw(""), "", Some(owner()))).unwrap().participant;
    let a = live.attendee(p).unwrap();
    assert!(!a.is_mic_on && !a.is_camera_on);
    assert_eq!(a.nick_name, "Olga Owner");
    // Audio meetings carry no camera.
    let mut live = Live::new(meeting(|c, _| c.media_type = MediaType::Audio));
    let p = join(&mut live, req(pw("1111"), "g", None)).unwrap().participant;
    assert!(!live.attendee(p).unwrap().is_camera_on);
}

#[test]
fn mute_all_and_unmuting_oneself() {
    for allow in [true, false] {
        let mut live = Live::new(meeting(|_, _| {}));
        let host = host_in(&mut live);
        let g = join(&mut live, req(pw("1111"), "g", None)).unwrap().participant;
        let mut out = Vec::new();
        live.control(
            host,
            Action::MuteAll {
                mute: true,
                allow_unmute: allow,
            },
            T0 + 2,
            &mut out,
        )
        .unwrap();
        assert!(!live.attendee(g).unwrap().is_mic_on);
        assert!(
            live.attendee(host).unwrap().is_mic_on,
            "hosts are not muted by mute-all"
        );
        assert!(!live.may_speak(g));
        let unmute = live.control(g, Action::Mute { target: g, mute: false }, T0 + 3, &mut out);
        assert_eq!(unmute.is_ok(), allow);
        if !allow {
            assert_eq!(unmute.unwrap_err().code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
            // A late joiner is muted too; the host can unmute a guest.
            let late = join(&mut live, req(pw("1111"), "late", None)).unwrap().participant;
            assert!(!live.attendee(late).unwrap().is_mic_on);
            live.control(host, Action::Mute { target: g, mute: false }, T0 + 4, &mut out)
                .unwrap();
            assert!(live.may_speak(g));
            live.control(g, Action::Mute { target: g, mute: true }, T0 + 5, &mut out)
                .unwrap();
            live.control(g, Action::Mute { target: g, mute: false }, T0 + 6, &mut out)
                .unwrap();
        }
    }
}

#[test]
fn a_guest_is_refused_every_host_action() {
    let mut live = Live::new(meeting(|_, _| {}));
    let host = host_in(&mut live);
    let g = join(&mut live, req(pw("1111"), "g", None)).unwrap().participant;
    let actions = vec![
        Action::Mute {
            target: host,
            mute: true,
        },
        Action::MuteAll {
            mute: true,
            allow_unmute: true,
        },
        Action::SetCohost { target: g, set: true },
        Action::GrantHost { target: g },
        Action::Lock { lock: true },
        Action::Remove { target: host },
        Action::AdmitAll,
        Action::MoveToWaiting { target: host },
        Action::OpenWaitingRoom { open: true },
        Action::Extend { minutes: 10 },
    ];
    for a in actions {
        let e = live.control(g, a.clone(), T0 + 2, &mut Vec::new()).unwrap_err();
        assert_eq!(e.code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS, "{a:?}");
    }
    assert_eq!(
        live.control(g, Action::End, T0 + 2, &mut Vec::new()).unwrap_err().code,
        SdkErr::UISDK_ROLE_NOT_SUPPORT_OPERATION
    );
    assert_eq!(
        live.control(
            g,
            Action::ReclaimHost {
                host_pwd: "000000".into()
            },
            T0 + 2,
            &mut Vec::new()
        )
        .unwrap_err()
        .code,
        SdkErr::CMS_CONF_PWD_AUTH_FAILED
    );
    assert!(!live.is_locked() && !live.is_ended());
    // Self actions are fine.
    live.control(g, Action::RaiseHand { raised: true }, T0 + 2, &mut Vec::new())
        .unwrap();
    live.control(g, Action::Camera { on: false }, T0 + 2, &mut Vec::new())
        .unwrap();
}

#[test]
fn the_rest_controller_has_the_hosts_rights_and_no_self() {
    let mut live = Live::new(meeting(|_, _| {}));
    let host = host_in(&mut live);
    let g = join(&mut live, req(pw("1111"), "g", None)).unwrap().participant;
    let mut out = Vec::new();
    live.control(
        Actor::RestControl,
        Action::Mute { target: g, mute: true },
        T0 + 2,
        &mut out,
    )
    .unwrap();
    // A host's mute, not a self-mute: the guest may be unmuted by a host later.
    live.control(
        Actor::RestControl,
        Action::SetCohost { target: g, set: true },
        T0 + 2,
        &mut out,
    )
    .unwrap();
    assert_eq!(live.role(g), Some(ConfRole::Cohost));
    for action in [
        Action::RaiseHand { raised: true },
        Action::Camera { on: false },
        Action::ReclaimHost {
            host_pwd: live.meeting().host_pwd.clone(),
        },
    ] {
        let e = live
            .control(Actor::RestControl, action.clone(), T0 + 3, &mut out)
            .unwrap_err();
        assert_eq!(e.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "{action:?}");
    }
    assert_eq!(live.role(host), Some(ConfRole::Host));
    // Ending: nobody is told they ended it themselves.
    out.clear();
    live.control(Actor::RestControl, Action::End, T0 + 4, &mut out).unwrap();
    let ended: Vec<_> = out
        .iter()
        .filter_map(|(_, e)| match e {
            Event::OnConfEnded { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert!(!ended.is_empty());
    assert!(
        ended.iter().all(|r| r.0 == SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF),
        "{ended:?}"
    );
}

#[test]
fn roles_change_hands() {
    let mut live = Live::new(meeting(|_, _| {}));
    let host = host_in(&mut live);
    let g = join(&mut live, req(pw("1111"), "g", None)).unwrap().participant;
    let c = join(&mut live, req(pw("1111"), "c", None)).unwrap().participant;
    let mut out = Vec::new();
    live.control(host, Action::SetCohost { target: c, set: true }, T0 + 2, &mut out)
        .unwrap();
    assert_eq!(live.role(c), Some(ConfRole::Cohost));
    // A co-host can mute and lock, but not end, extend or hand out roles.
    live.control(c, Action::Mute { target: g, mute: true }, T0 + 3, &mut out)
        .unwrap();
    live.control(c, Action::Lock { lock: true }, T0 + 3, &mut out).unwrap();
    assert!(live.control(c, Action::End, T0 + 3, &mut out).is_err());
    assert!(live
        .control(c, Action::SetCohost { target: g, set: true }, T0 + 3, &mut out)
        .is_err());
    assert!(live
        .control(c, Action::Remove { target: host }, T0 + 3, &mut out)
        .is_err());
    // Everyone sees role changes in the attendee list.
    let lists = out
        .iter()
        .filter(|(a, e)| *a == Audience::Admitted && matches!(e, Event::OnAttendeesChanged { waiting: false, .. }))
        .count();
    assert!(lists >= 2);
    // Handing over and reclaiming the host role.
    live.control(host, Action::GrantHost { target: g }, T0 + 4, &mut out)
        .unwrap();
    assert_eq!(
        (live.role(g), live.role(host)),
        (Some(ConfRole::Host), Some(ConfRole::Attendee))
    );
    let host_pwd = live.meeting().host_pwd.clone();
    live.control(host, Action::ReclaimHost { host_pwd }, T0 + 5, &mut out)
        .unwrap();
    assert_eq!(
        (live.role(host), live.role(g)),
        (Some(ConfRole::Host), Some(ConfRole::Attendee))
    );
    // Only hosts learn the passwords.
    assert!(live.info_for(host).unwrap().host_pwd.is_some());
    assert!(live.info_for(g).unwrap().host_pwd.is_none());
}

#[test]
fn duration_is_real() {
    // 30 minutes by default; a warning 5 minutes before; the end with its reason.
    let mut live = Live::new(meeting(|_, _| {}));
    let host = host_in(&mut live);
    let end = T0 + 30 * 60;
    assert_eq!(live.next_deadline(), Some(end - END_WARNING));
    let mut out = Vec::new();
    assert_eq!(live.tick(end - END_WARNING - 1, &mut out), Effects::default());
    assert!(out.is_empty());
    live.tick(end - END_WARNING, &mut out);
    assert!(out.contains(&(Audience::Admitted, Event::OnConfEndingSoon { end_time_stamp: end })));
    assert_eq!(live.next_deadline(), Some(end));
    // The host extends by 10 minutes: a new end, a new warning.
    let fx = live
        .control(host, Action::Extend { minutes: 10 }, end - 60, &mut out)
        .unwrap();
    assert!(fx.end_changed);
    assert_eq!(live.end_time(), end + 600);
    let mut out = Vec::new();
    assert_eq!(live.tick(end, &mut out), Effects::default());
    let fx = live.tick(end + 600, &mut out);
    assert!(fx.ended && live.is_ended());
    assert!(out.contains(&(
        Audience::One(host),
        Event::OnConfEnded {
            reason: EndReason(SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF),
            reason_text: "the meeting reached its end time".into()
        }
    )));
    assert_eq!(live.next_deadline(), None);
}

#[test]
fn prolong_length_runs_a_busy_meeting_on_once() {
    let mut live = Live::new(meeting(|_, o| o.prolong_length = 15));
    let _host = host_in(&mut live);
    let end = T0 + 30 * 60;
    let fx = live.tick(end, &mut Vec::new());
    assert!(fx.end_changed && !fx.ended);
    assert_eq!(live.end_time(), end + 15 * 60);
    assert!(live.tick(end + 15 * 60, &mut Vec::new()).ended);
}

#[test]
fn an_empty_meeting_stays_joinable_until_its_end() {
    let mut live = Live::new(meeting(|_, _| {}));
    let g = join(&mut live, req(pw("1111"), "g", None)).unwrap().participant;
    live.leave(g, &mut Vec::new());
    live.tick(T0 + 20 * 60, &mut Vec::new());
    assert!(live
        .join(req(pw("1111"), "g", None), T0 + 20 * 60, &mut Vec::new())
        .is_ok());
    let mut live = Live::new(meeting(|_, o| o.prolong_length = 15));
    assert!(
        live.tick(T0 + 30 * 60, &mut Vec::new()).ended,
        "nobody there: no prolonging"
    );
}

#[test]
fn a_dropped_connection_keeps_its_place_for_the_grace_period() {
    let mut live = Live::new(meeting(|_, _| {}));
    let g = join(&mut live, req(pw("1111"), "g", None)).unwrap().participant;
    let mut out = Vec::new();
    live.disconnect(g, T0 + 10, &mut out);
    assert!(!live.attendee(g).unwrap().online);
    assert_eq!(live.next_deadline(), Some(T0 + 10 + RECONNECT_GRACE));
    live.tick(T0 + 10 + RECONNECT_GRACE - 1, &mut out);
    assert!(live.reconnect(g, &mut out));
    assert!(live.attendee(g).unwrap().online);
    live.disconnect(g, T0 + 100, &mut out);
    live.tick(T0 + 100 + RECONNECT_GRACE, &mut out);
    assert_eq!(live.attendee(g), None);
    assert!(!live.reconnect(g, &mut out));
}

#[test]
fn a_growing_meeting_sends_changes_not_whole_lists() {
    // Issue 16, item 7: every join sent the whole attendee list to everyone
    // (150 joiners: ~242 MB). Now the newcomer gets the whole list once and
    // the others only the change.
    let mut live = Live::new(meeting(|_, _| {}));
    let mut bytes = 0usize;
    let mut lists: std::collections::HashMap<ParticipantId, Vec<Attendee>> = Default::default();
    for i in 0..150 {
        let mut out = Vec::new();
        live.join(req(pw("1111"), &format!("guest {i:03}"), None), T0 + 1, &mut out)
            .unwrap();
        for (aud, ev) in out {
            let to = live.audience(aud);
            bytes += serde_json::to_string(&ev).unwrap().len() * to.len();
            // What each participant would rebuild from what it was told.
            for p in to {
                let l = lists.entry(p).or_default();
                match &ev {
                    Event::OnAttendeeListChanged { attendees } => *l = attendees.clone(),
                    Event::OnAttendeesChanged {
                        waiting: false,
                        refresh,
                        remove,
                    } => {
                        l.retain(|a| {
                            !remove.contains(&a.participant_id)
                                && !refresh.iter().any(|r| r.participant_id == a.participant_id)
                        });
                        l.extend(refresh.iter().cloned());
                        l.sort_by_key(|a| a.participant_id);
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(bytes <= 15_000_000, "{bytes} bytes for 150 joins");
    // Someone leaves and someone raises a hand: only that is sent.
    let mut out = Vec::new();
    let first = live.participants()[0].participant_id;
    let second = live.participants()[1].participant_id;
    live.leave(first, &mut out);
    live.control(second, Action::RaiseHand { raised: true }, T0 + 2, &mut out)
        .unwrap();
    for (aud, ev) in out {
        for p in live.audience(aud) {
            let l = lists.entry(p).or_default();
            if let Event::OnAttendeesChanged {
                waiting: false,
                refresh,
                remove,
            } = &ev
            {
                assert!(refresh.len() + remove.len() == 1, "{ev:?}");
                l.retain(|a| {
                    !remove.contains(&a.participant_id) && !refresh.iter().any(|r| r.participant_id == a.participant_id)
                });
                l.extend(refresh.iter().cloned());
                l.sort_by_key(|a| a.participant_id);
            }
        }
    }
    // Everyone's rebuilt list is the meeting's.
    let truth = live.participants();
    for p in live.audience(Audience::Admitted) {
        assert_eq!(lists[&p], truth, "participant {p:?}");
    }
}

#[test]
fn extending_has_an_overall_ceiling() {
    // Issue 16, item 10: 200 extends moved the end a year on.
    let mut live = Live::new(meeting(|_, _| {}));
    let host = host_in(&mut live);
    let mut out = Vec::new();
    let mut refused = None;
    for i in 0..200 {
        if let Err(e) = live.control(host, Action::Extend { minutes: 60 }, T0 + 2, &mut out) {
            refused = Some((i, e.code));
            break;
        }
    }
    assert_eq!(refused.map(|r| r.1), Some(SdkErr::CMS_CONF_DURATION_OVER_RANGE));
    assert!(live.end_time() - live.meeting().start <= MAX_MEETING_SECONDS);
    assert!(live.end_time() - live.meeting().start > MAX_MEETING_SECONDS - 3600);
}

#[test]
fn nicknames_follow_the_text_rule() {
    let mut live = Live::new(meeting(|_, _| {}));
    for bad in ["a\0b", "evil\u{202E}gpj.exe", "\u{200B}\u{200B}", &"n".repeat(65)] {
        assert_eq!(
            join(&mut live, req(pw("1111"), bad, None)).err(),
            Some(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
            "{bad:?}"
        );
    }
    assert!(join(&mut live, req(pw("1111"), "Zoë 👋", None)).is_ok());
}

#[test]
fn a_meeting_without_a_cap_has_the_nodes_default() {
    let mut live = Live::new(meeting(|c, _| c.concurrent_participants = None)).with_default_cap(3);
    for i in 0..3 {
        join(&mut live, req(pw("1111"), &format!("g{i}"), None)).unwrap();
    }
    assert_eq!(
        join(&mut live, req(pw("1111"), "g3", None)).err(),
        Some(SdkErr::CMS_OVER_MAX_PARTICIPANT_NUMBER)
    );
}

#[test]
fn chat_to_everyone_privately_off_and_for_late_joiners() {
    let mut live = Live::new(meeting(|c, _| c.is_open_waiting_room = Some(true)));
    let host = host_in(&mut live);
    let mut out = Vec::new();
    live.control(host, Action::OpenWaitingRoom { open: false }, T0 + 2, &mut out)
        .unwrap();
    let ana = join(&mut live, req(pw("1111"), "Ana", None)).unwrap().participant;
    let bo = join(&mut live, req(pw("1111"), "Bo", None)).unwrap().participant;
    let chat = |text: &str, to| Action::Chat { text: text.into(), to };
    let messages = |out: &Outbox| -> Vec<(Audience, String)> {
        out.iter()
            .filter_map(|(a, e)| match e {
                Event::OnChatMessage { message } => Some((*a, message.text.clone())),
                _ => None,
            })
            .collect()
    };

    // To everyone: every admitted participant hears it, trimmed.
    let mut out = Vec::new();
    live.control(ana, chat("  hello all \n", None), T0 + 3, &mut out)
        .unwrap();
    assert_eq!(messages(&out), [(Audience::Admitted, "hello all".to_owned())]);
    // Privately: the sender and the receiver only.
    let mut out = Vec::new();
    live.control(ana, chat("just you", Some(bo)), T0 + 4, &mut out).unwrap();
    assert_eq!(
        messages(&out),
        [
            (Audience::One(ana), "just you".to_owned()),
            (Audience::One(bo), "just you".to_owned())
        ]
    );
    // Bad input, named.
    for bad in [
        chat("   ", None),
        chat(&"x".repeat(2001), None),
        chat("me", Some(ana)),
        chat("nobody", Some(ParticipantId(999))),
    ] {
        let e = live.control(ana, bad, T0 + 5, &mut Vec::new()).unwrap_err();
        assert_eq!(e.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "{}", e.reason);
    }
    // The REST control API is not a participant: it cannot chat.
    assert!(live
        .control(Actor::RestControl, chat("from nowhere", None), T0 + 5, &mut Vec::new())
        .is_err());
    // Off: guests may not, hosts still may; on again.
    assert_eq!(
        live.control(ana, Action::AllowChat { allow: false }, T0 + 6, &mut Vec::new())
            .unwrap_err()
            .code,
        SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS
    );
    let mut out = Vec::new();
    live.control(host, Action::AllowChat { allow: false }, T0 + 6, &mut out)
        .unwrap();
    assert!(out.contains(&(Audience::Admitted, Event::OnChatAllowedChanged { is_allowed: false })));
    assert!(live.settings().chat_off, "kept with the live settings");
    let e = live
        .control(bo, chat("can I?", None), T0 + 7, &mut Vec::new())
        .unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    live.control(host, chat("hosts may", None), T0 + 7, &mut Vec::new())
        .unwrap();
    // A late joiner gets the state and the messages to everyone, not the private one.
    let mut out = Vec::new();
    let late = live
        .join(req(pw("1111"), "Late", None), T0 + 8, &mut out)
        .unwrap()
        .participant;
    assert!(out.contains(&(Audience::One(late), Event::OnChatAllowedChanged { is_allowed: false })));
    let history: Vec<String> = out
        .iter()
        .find_map(|(_, e)| match e {
            Event::OnChatHistory { messages } => Some(messages.iter().map(|m| m.text.clone()).collect()),
            _ => None,
        })
        .unwrap();
    assert_eq!(history, ["hello all", "hosts may"]);
    // The history keeps the latest 100.
    live.control(host, Action::AllowChat { allow: true }, T0 + 9, &mut Vec::new())
        .unwrap();
    for i in 0..150 {
        live.control(ana, chat(&format!("m{i}"), None), T0 + 10, &mut Vec::new())
            .unwrap();
    }
    let mut out = Vec::new();
    let last = live
        .join(req(pw("1111"), "Last", None), T0 + 11, &mut out)
        .unwrap()
        .participant;
    let kept = out
        .iter()
        .find_map(|(a, e)| match e {
            Event::OnChatHistory { messages } if *a == Audience::One(last) => Some(messages.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(kept.len(), CHAT_HISTORY);
    assert_eq!(kept.last().unwrap().text, "m149");
    assert!(kept.windows(2).all(|w| w[0].id < w[1].id));
}
