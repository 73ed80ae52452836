//! Issue 3 end to end: several SDK clients in live meetings on a real server.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::time::Duration;

use common::*;
use convene_sdk::*;

const WAIT: Duration = Duration::from_secs(10);

struct Meeting {
    result: CreateConfResult,
    host_client: ConveneClient,
}

async fn create(server: &TestServer, edit: impl FnOnce(&mut CreateConfInfo)) -> Meeting {
    if server.running.store.user_by_account("olga").await.unwrap().is_none() {
        server.add_account("olga", "Olga Host").await;
    }
    let host_client = server.client("olga").await;
    let mut info = CreateConfInfo::new("Live test", MediaType::Video, true);
    edit(&mut info);
    let result = host_client.create_conf_async(info).await.unwrap();
    Meeting { result, host_client }
}

async fn host_joins(m: &Meeting) -> ConfSession {
    let s = m
        .host_client
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.result.conf_id.clone(),
            is_mic_on: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(s.role(), ConfRole::Host);
    s
}

async fn guest(server: &TestServer, m: &Meeting, name: &str) -> Result<ConfSession, SdkError> {
    ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.result.conf_id.clone(),
            password: m.result.guest_pwd.clone(),
            nick_name: name.into(),
            is_mic_on: true,
            is_camera_on: true,
            attendee_type: None,
        })
        .await
}

/// The admitted participants once they satisfy `pred`.
async fn list_with(s: &ConfSession, pred: impl Fn(&[Attendee]) -> bool) -> Option<Vec<Attendee>> {
    s.wait_for_list(false, WAIT, pred).await
}

#[tokio::test]
async fn waiting_room_admit_and_remove() {
    let server = TestServer::start().await;
    let m = create(&server, |c| c.is_open_waiting_room = Some(true)).await;
    let host = host_joins(&m).await;
    // A guest opens the guest link: no password typed, and it waits.
    let (conf_id, random) = ConveneClient::parse_join_link(&m.result.guest_join_uri).unwrap();
    let ann = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_random_async(JoinConfByRandomInfo {
            conf_id,
            random,
            nick_name: "Ann".into(),
            is_mic_on: true,
            is_camera_on: true,
        })
        .await
        .unwrap();
    assert_eq!(ann.role(), ConfRole::Waiting);
    let waiting = host.wait_for_list(true, WAIT, |l| l.len() == 1).await.unwrap()[0].clone();
    assert_eq!(waiting.nick_name, "Ann");
    // Admitted: Ann is in, and sees the attendee list for the first time.
    host.allow_waiting_attendee_enter(waiting.participant_id).await.unwrap();
    assert_eq!(
        ann.wait_for(WAIT, |e| matches!(e, Event::OnConfStateChanged { state: 1 })
            .then_some(()))
            .await,
        Some(())
    );
    let seen = list_with(&ann, |l| l.len() == 2).await.unwrap();
    assert!(seen.iter().any(|a| a.role == ConfRole::Host));
    assert_eq!(ann.role(), ConfRole::Attendee);
    // Before that, Ann saw nothing of the meeting.
    // (Every event Ann got before OnConfStateChanged was about her own state;
    // checked by the core tests and by the attendee count she saw first.)
    // Bob waits and is removed.
    let bob = guest(&server, &m, "Bob").await.unwrap();
    assert_eq!(bob.role(), ConfRole::Waiting);
    host.hangup_attendee(bob.participant_id()).await.unwrap();
    let ended = bob
        .wait_for(WAIT, |e| match e {
            Event::OnConfEnded { reason, .. } => Some(reason.0),
            _ => None,
        })
        .await;
    assert_eq!(ended, Some(SdkErr::SDK_CONFCTRL_CONF_END_CHAIR_HANGUP));
    // Ann goes back to the waiting room, then everyone waiting is let in.
    host.move_to_waiting_room(ann.participant_id()).await.unwrap();
    assert_eq!(
        ann.wait_for(WAIT, |e| matches!(
            e,
            Event::OnSelfRoleChanged {
                role: ConfRole::Waiting
            }
        )
        .then_some(()))
            .await,
        Some(())
    );
    host.allow_all_waiting_attendee_enter().await.unwrap();
    assert_eq!(
        ann.wait_for(WAIT, |e| matches!(
            e,
            Event::OnSelfRoleChanged {
                role: ConfRole::Attendee
            }
        )
        .then_some(()))
            .await,
        Some(())
    );
    // Closing the room lets the next guest straight in.
    host.open_waiting_room(false).await.unwrap();
    assert_eq!(guest(&server, &m, "Cleo").await.unwrap().role(), ConfRole::Attendee);
}

#[tokio::test]
async fn the_cap_holds_against_racing_joiners() {
    let server = TestServer::start().await;
    let m = create(&server, |c| c.concurrent_participants = Some(3)).await;
    let _host = host_joins(&m).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let url = server.url();
        let (conf_id, password) = (m.result.conf_id.clone(), m.result.guest_pwd.clone());
        tasks.push(tokio::spawn(async move {
            ConveneClient::new(&url)
                .unwrap()
                .join_conf_by_id_async(JoinConfByIdInfo {
                    conf_id,
                    password,
                    nick_name: format!("g{i}"),
                    ..Default::default()
                })
                .await
        }));
    }
    let mut joined = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(s) => joined.push(s),
            Err(e) => assert_eq!(e.code, SdkErr::CMS_OVER_MAX_PARTICIPANT_NUMBER),
        }
    }
    assert_eq!(joined.len(), 2, "the host plus two guests fill a cap of three");
}

#[tokio::test]
async fn lock_and_a_guest_trying_every_host_action() {
    let server = TestServer::start().await;
    let m = create(&server, |_| {}).await;
    let host = host_joins(&m).await;
    let g = guest(&server, &m, "Gus").await.unwrap();
    let h = host.participant_id();
    let refusals = vec![
        g.mute_attendee(h, true).await,
        g.mute_all_attendee(true, false).await,
        g.set_cohost_right(g.participant_id(), true).await,
        g.grant_host_role(g.participant_id()).await,
        g.lock_conf(true).await,
        g.hangup_attendee(h).await,
        g.allow_all_waiting_attendee_enter().await,
        g.move_to_waiting_room(h).await,
        g.open_waiting_room(true).await,
        g.extend_conf(10).await,
    ];
    for r in refusals {
        assert_eq!(r.unwrap_err().code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    }
    assert_eq!(
        g.end_conf().await.unwrap_err().code,
        SdkErr::UISDK_ROLE_NOT_SUPPORT_OPERATION
    );
    assert_eq!(
        g.request_host_role("000000").await.unwrap_err().code,
        SdkErr::CMS_CONF_PWD_AUTH_FAILED
    );
    // The host locks: the next guest is refused, the host password still gets in.
    host.lock_conf(true).await.unwrap();
    assert_eq!(
        guest(&server, &m, "Late").await.err().map(|e| e.code),
        Some(SdkErr::CMS_CONF_LOCKED)
    );
    // Reclaiming the host role with the host password.
    g.request_host_role(&m.result.host_pwd).await.unwrap();
    assert_eq!(
        g.wait_for(WAIT, |e| matches!(e, Event::OnSelfRoleChanged { role: ConfRole::Host })
            .then_some(()))
            .await,
        Some(())
    );
    assert_eq!(
        host.wait_for(WAIT, |e| matches!(
            e,
            Event::OnSelfRoleChanged {
                role: ConfRole::Attendee
            }
        )
        .then_some(()))
            .await,
        Some(())
    );
}

#[tokio::test]
async fn mute_policies_per_attendee_type_and_mute_all() {
    let server = TestServer::start().await;
    let m = create(&server, |c| {
        c.auto_mute_mode = Some(AutoMuteType::Mute);
        c.hard_terminal_auto_mute_mode = Some(AutoMuteType::Unmute);
        c.is_mic_on = Some(false);
    })
    .await;
    let host = host_joins(&m).await;
    let soft = guest(&server, &m, "Soft").await.unwrap();
    let terminal = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.result.conf_id.clone(),
            password: m.result.guest_pwd.clone(),
            nick_name: "Room 1".into(),
            is_mic_on: false,
            is_camera_on: true,
            attendee_type: Some(AttendeeType::Terminal),
        })
        .await
        .unwrap();
    let list = list_with(&host, |l| l.len() == 3).await.unwrap();
    let mic = |id: ParticipantId| list.iter().find(|a| a.participant_id == id).unwrap().is_mic_on;
    assert!(!mic(host.participant_id()), "the creator's isMicOn=false");
    assert!(!mic(soft.participant_id()), "soft clients auto-muted");
    assert!(mic(terminal.participant_id()), "hard terminals auto-unmuted");
    // Mute all without unmuting oneself: the guest may not unmute.
    host.mute_all_attendee(true, false).await.unwrap();
    assert_eq!(
        soft.mute_self(false).await.unwrap_err().code,
        SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS
    );
    host.mute_all_attendee(false, true).await.unwrap();
    soft.mute_self(false).await.unwrap();
    let list = list_with(&terminal, |l| l.iter().any(|a| a.nick_name == "Soft" && a.is_mic_on)).await;
    assert!(list.is_some(), "everyone sees the unmute");
}

#[tokio::test]
async fn role_changes_are_seen_by_everyone() {
    let server = TestServer::start().await;
    let m = create(&server, |_| {}).await;
    let host = host_joins(&m).await;
    let a = guest(&server, &m, "Ann").await.unwrap();
    let b = guest(&server, &m, "Bob").await.unwrap();
    let cb_seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = cb_seen.clone();
    let a_id = a.participant_id();
    b.on_attendee_list_changed(move |l| {
        if l.iter().any(|x| x.participant_id == a_id && x.role == ConfRole::Cohost) {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    host.set_cohost_right(a.participant_id(), true).await.unwrap();
    let seen = list_with(&b, move |l| {
        l.iter().any(|x| x.participant_id == a_id && x.role == ConfRole::Cohost)
    })
    .await;
    assert!(seen.is_some());
    assert!(
        cb_seen.load(std::sync::atomic::Ordering::SeqCst),
        "the named callback fired too"
    );
    // The co-host can mute Bob, but not end the meeting.
    a.mute_attendee(b.participant_id(), true).await.unwrap();
    assert!(a.end_conf().await.is_err());
    // Handing over the host role.
    host.grant_host_role(b.participant_id()).await.unwrap();
    let b_id = b.participant_id();
    let h_id = host.participant_id();
    let seen = list_with(&a, move |l| {
        l.iter().any(|x| x.participant_id == b_id && x.role == ConfRole::Host)
            && l.iter()
                .any(|x| x.participant_id == h_id && x.role == ConfRole::Attendee)
    })
    .await;
    assert!(seen.is_some());
}

#[tokio::test]
async fn the_meeting_ends_at_its_end_time_unless_extended() {
    let server = TestServer::start().await;
    let m = create(&server, |c| c.duration = Some(15)).await;
    let host = host_joins(&m).await;
    let g = guest(&server, &m, "Gus").await.unwrap();
    let clock = &server.running.clock;
    clock.advance(10 * 60 + 1);
    let warned = g
        .wait_for(WAIT, |e| match e {
            Event::OnConfEndingSoon { end_time_stamp } => Some(*end_time_stamp),
            _ => None,
        })
        .await;
    assert_eq!(warned, Some(m.result.end_time_stamp));
    host.extend_conf(10).await.unwrap();
    let new_end = g
        .wait_for(WAIT, |e| match e {
            Event::OnMeetingInfoChanged { end_time_stamp, .. } => Some(*end_time_stamp),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(new_end, m.result.end_time_stamp + 600);
    // Past the old end: still on. Past the new end: over, for everyone.
    clock.advance(5 * 60);
    let detail = m.host_client.conf_detail_async(&m.result.conf_id).await.unwrap();
    assert_eq!(detail.conference_state, "Created");
    assert_eq!(detail.end_time_stamp, new_end, "the extension is stored");
    clock.advance(10 * 60);
    for s in [&host, &g] {
        let reason = s
            .wait_for(WAIT, |e| match e {
                Event::OnConfEnded { reason, .. } => Some(reason.0),
                _ => None,
            })
            .await;
        assert_eq!(reason, Some(SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF));
    }
    assert_eq!(
        guest(&server, &m, "Late").await.err().map(|e| e.code),
        Some(SdkErr::CMS_CONF_IS_CLOSED)
    );
    assert_eq!(
        m.host_client
            .conf_detail_async(&m.result.conf_id)
            .await
            .unwrap()
            .conference_state,
        "Destroyed"
    );
}

#[tokio::test]
async fn a_reconnect_gets_its_place_and_missed_events_without_duplicates() {
    let server = TestServer::start().await;
    let m = create(&server, |_| {}).await;
    let host = host_joins(&m).await;
    let g = guest(&server, &m, "Gus").await.unwrap();
    list_with(&host, |l| l.len() == 2).await.unwrap();
    g.interrupt_connection();
    // The host mutes the guest while (or just after) its connection is down.
    host.mute_attendee(g.participant_id(), true).await.unwrap();
    let gid = g.participant_id();
    let seen = list_with(&g, move |l| l.iter().any(|a| a.participant_id == gid && !a.is_mic_on))
        .await
        .unwrap();
    assert_eq!(seen.len(), 2, "no duplicate participant: {seen:?}");
    // Still a working session after the resume.
    g.raise_hand(true).await.unwrap();
    let list = list_with(&host, move |l| {
        l.iter().any(|a| a.participant_id == gid && a.hand_raised)
    })
    .await
    .unwrap();
    assert_eq!(list.len(), 2);
    // Event numbers only grow.
    let mut last = 0;
    while let Ok(Some((seq, _))) = tokio::time::timeout(Duration::from_millis(200), g.next_event()).await {
        assert!(seq > last);
        last = seq;
    }
}

#[tokio::test]
async fn joins_refused_alike_and_locked_out() {
    let server = TestServer::start().await;
    let m = create(&server, |c| {
        c.conf_allow_join_user = Some(ConfAllowJoinUserType::LoginedUser)
    })
    .await;
    let c = ConveneClient::new(&server.url()).unwrap();
    let join = |conf_id: &str, password: &str| {
        let c = c.clone();
        let info = JoinConfByIdInfo {
            conf_id: conf_id.into(),
            password: password.into(),
            nick_name: "X".into(),
            ..Default::default()
        };
        async move { c.join_conf_by_id_async(info).await.err().map(|e| e.code) }
    };
    let wrong = join(&m.result.conf_id, "0000").await;
    let missing = join("999999999", "0000").await;
    assert_eq!(wrong, Some(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED));
    assert_eq!(wrong, missing, "a missing meeting and a wrong password look the same");
    // Nothing typed looks the same too (no oracle of which IDs need one).
    assert_eq!(
        join(&m.result.conf_id, "").await,
        Some(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED)
    );
    assert_eq!(
        join(&m.result.conf_id, &m.result.guest_pwd).await,
        Some(SdkErr::CMS_CONF_NOT_ALLOW_ANONYMOUS)
    );
    // Two wrong ones so far for this meeting from this address (the
    // unknown ID counts for that ID); three more lock, and a right
    // password does not reset the count.
    for _ in 0..3 {
        assert_eq!(
            join(&m.result.conf_id, "0000").await,
            Some(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED)
        );
    }
    assert_eq!(
        join(&m.result.conf_id, &m.result.guest_pwd).await,
        Some(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED)
    );
    // A logged-in user is counted by its account, not the address: it gets
    // in with the guest password, and with the link.
    server.add_account("lena", "Lena").await;
    let lena = server.client("lena").await;
    let s = lena
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.result.conf_id.clone(),
            password: m.result.guest_pwd.clone(),
            nick_name: String::new(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(s.role(), ConfRole::Attendee);
    s.leave_conf();
    let (conf_id, random) = ConveneClient::parse_join_link(&m.result.guest_join_uri).unwrap();
    let s = lena
        .join_conf_by_random_async(JoinConfByRandomInfo {
            conf_id,
            random,
            nick_name: String::new(),
            is_mic_on: false,
            is_camera_on: false,
        })
        .await
        .unwrap();
    assert_eq!(s.role(), ConfRole::Attendee);
}

#[tokio::test]
async fn cancelling_a_live_meeting_ends_it_for_everyone() {
    let server = TestServer::start().await;
    let m = create(&server, |_| {}).await;
    let host = host_joins(&m).await;
    let g = guest(&server, &m, "Gus").await.unwrap();
    m.host_client.cancel_conf_async(&m.result.conf_id).await.unwrap();
    for s in [&host, &g] {
        let reason = s
            .wait_for(WAIT, |e| match e {
                Event::OnConfEnded { reason, .. } => Some(reason.0),
                _ => None,
            })
            .await;
        assert_eq!(reason, Some(SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF));
    }
    assert_eq!(
        guest(&server, &m, "Late").await.err().map(|e| e.code),
        Some(SdkErr::CMS_CONF_IS_CLOSED)
    );
}

#[tokio::test]
async fn what_the_hosts_changed_outlives_the_meeting_emptying() {
    let server = TestServer::start().await;
    let m = create(&server, |c| c.is_open_waiting_room = Some(true)).await;
    let host = host_joins(&m).await;
    host.lock_conf(true).await.unwrap();
    host.open_waiting_room(false).await.unwrap();
    host.mute_all_attendee(true, false).await.unwrap();
    host.leave_conf();
    // Stored as it changed...
    let conf_id = convene_core::ConfId(m.result.conf_id.clone());
    let want = convene_core::LiveSettings {
        locked: true,
        waiting_room_open: false,
        mute_all: Some(false),
        prolong_left: 0,
        allow_join: None,
        chat_off: false,
        multi_share: false,
        record: Default::default(),
    };
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let stored = server
            .running
            .store
            .meeting_by_conf_id(&conf_id, i64::MAX / 2)
            .await
            .unwrap()
            .unwrap();
        if stored.live == Some(want) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "stored: {:?}", stored.live);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...and the meeting, emptied (its live task stops), is still locked.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        guest(&server, &m, "Late").await.err().map(|e| e.code),
        Some(SdkErr::CMS_CONF_LOCKED)
    );
    // The host comes back and unlocks: the waiting room stays closed and
    // everyone stays muted without the right to unmute.
    let host = host_joins(&m).await;
    host.lock_conf(false).await.unwrap();
    let g = guest(&server, &m, "Gus").await.unwrap();
    assert_ne!(g.role(), ConfRole::Waiting);
    assert_eq!(
        g.mute_attendee(g.participant_id(), false).await.err().map(|e| e.code),
        Some(SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS)
    );
}

/// Issue 18: a booked meeting is held back until a host starts it (from
/// 30 minutes before its time); guests then join; the meeting runs until
/// its booked end.
#[tokio::test]
async fn a_booked_meeting_starts_when_its_host_comes() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let host_client = server.client("olga").await;
    let clock = &server.running.clock;
    let start = clock.now() - clock.now() % 60 + 2 * 3600;
    let result = host_client
        .book_conf_async(BookConfParam {
            start_time: start,
            duration: 30,
            time_zone_id: Some("56".into()),
            conf_common_param: CreateConfInfo::new("Booked", MediaType::Video, true),
        })
        .await
        .unwrap();
    assert_eq!(
        (result.start_time_stamp, result.end_time_stamp),
        (start, start + 30 * 60)
    );
    let m = Meeting { result, host_client };
    // Too early for anyone; then too early for a guest before the host.
    let early = m
        .host_client
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.result.conf_id.clone(),
            ..Default::default()
        })
        .await
        .err()
        .unwrap();
    assert_eq!(early.code, SdkErr::CMS_CONF_NOT_STARTED);
    clock.advance(2 * 3600 - 20 * 60);
    assert_eq!(
        guest(&server, &m, "Gus").await.err().unwrap().code,
        SdkErr::CMS_NOT_ALLOWED_GUEST_FIRST_JOIN
    );
    // The host starts it about 20 minutes early; guests follow.
    let before = clock.now();
    let host = host_joins(&m).await;
    let after = clock.now();
    let g = guest(&server, &m, "Gus").await.unwrap();
    assert!(list_with(&g, |l| l.len() == 2).await.is_some());
    let detail = m.host_client.conf_detail_async(&m.result.conf_id).await.unwrap();
    assert_eq!(detail.conference_state, "Created");
    // Started when the host came.
    assert!((before..=after).contains(&detail.start_time_stamp), "{detail:?}");
    assert!(detail.start_time_stamp < start - 19 * 60);
    assert_eq!(detail.end_time_stamp, start + 30 * 60);
    // An edit is too late now.
    let edit = m
        .host_client
        .modify_conf_async(
            &m.result.conf_id,
            BookConfParam {
                start_time: start + 3600,
                duration: 30,
                time_zone_id: None,
                conf_common_param: CreateConfInfo::new("Moved", MediaType::Video, true),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(edit.code, SdkErr::CMS_CONF_BAD_REQUEST);
    drop((host, g));
}

/// Issue 18: each occurrence of a recurring series is a meeting of its
/// own: the series' ID joins the current occurrence, which has its own
/// confUUID and its own history.
#[tokio::test]
async fn each_occurrence_of_a_series_is_a_meeting_of_its_own() {
    use convene_proto::time::rest_time;
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let host_client = server.client("olga").await;
    let token = host_client.access_token().unwrap();
    let clock = &server.running.clock;
    let day = 86_400;
    let start = clock.now() - clock.now() % 60 + 2 * 3600;
    let http = reqwest::Client::new();
    let body = serde_json::json!({
        "subject": "Daily", "mediaTypes": "HDVideo", "startTime": rest_time(start), "length": 30,
        "cycleParams": {"startDate": rest_time(start)[..10], "endDate": rest_time(start + day)[..10], "cycle": "Day"}
    });
    let r: serde_json::Value = http
        .post(format!("{}/v1/mmc/management/cycleconferences", server.url()))
        .header("X-Access-Token", &token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r[0]["conferenceID"].as_str().unwrap().to_owned();
    let subs: Vec<String> = r[0]["subConfs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cycleSubConfID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(subs.len(), 2);
    let m = Meeting {
        result: CreateConfResult {
            conf_id: id.clone(),
            ..Default::default()
        },
        host_client,
    };

    // The first: started by its host ten minutes early, then ended.
    clock.advance(2 * 3600 - 10 * 60);
    let host = host_joins(&m).await;
    let first = m.host_client.conf_detail_async(&id).await.unwrap();
    assert_eq!(
        (first.conference_state.as_str(), first.conf_uuid.as_str()),
        ("Created", subs[0].as_str())
    );
    host.end_conf().await.unwrap();
    drop(host);
    let next = m.host_client.conf_detail_async(&id).await.unwrap();
    assert_eq!(next.conference_state, "Schedule");
    assert_eq!(
        next.start_time_stamp,
        start + day,
        "the ID now means the next occurrence"
    );

    // The next day (logged in again: a day outlives a login): the same
    // ID, another meeting.
    clock.advance(day);
    let m = Meeting {
        host_client: server.client("olga").await,
        ..m
    };
    let token = m.host_client.access_token().unwrap();
    let host = host_joins(&m).await;
    let second = m.host_client.conf_detail_async(&id).await.unwrap();
    assert_eq!(
        (second.conference_state.as_str(), second.conf_uuid.as_str()),
        ("Created", subs[1].as_str())
    );
    drop(host);

    // The first is in history with its own attendance.
    let mut joined = 0;
    for _ in 0..50 {
        let a: serde_json::Value = http
            .get(format!(
                "{}/v1/mmc/management/conferences/history/confAttendeeRecord?confUUID={}",
                server.url(),
                subs[0]
            ))
            .header("X-Access-Token", &token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        joined = a["count"].as_i64().unwrap_or(0);
        if joined > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(joined, 1, "the host joined the first occurrence once");
}
