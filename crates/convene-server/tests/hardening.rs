//! Issue 16 end to end: the live edge against someone who guesses, on a
//! real server. Every client here comes from loopback; a second address
//! (127.0.0.2) stands for "somewhere else".

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::*;
use convene_sdk::*;
use serde_json::Value;

struct Meeting {
    result: CreateConfResult,
    owner: ConveneClient,
}

async fn create(server: &TestServer, owner: &str, edit: impl FnOnce(&mut CreateConfInfo)) -> Meeting {
    server.add_account(owner, "Owner").await;
    let owner = server.client(owner).await;
    let mut info = CreateConfInfo::new("Hardening", MediaType::Video, true);
    edit(&mut info);
    let result = owner.create_conf_async(info).await.unwrap();
    Meeting { result, owner }
}

fn http_from(source: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(source))
        .build()
        .unwrap()
}

/// `GET .../control/conferences/token`: (status, error code or "").
async fn control_token(
    server: &TestServer,
    http: &reqwest::Client,
    conf_id: &str,
    password: &str,
    access_token: Option<&str>,
) -> (u16, String) {
    let mut req = http
        .get(format!("{}/v1/mmc/control/conferences/token", server.url()))
        .query(&[("conferenceID", conf_id)])
        .header("X-Password", password);
    if let Some(t) = access_token {
        req = req.header("X-Access-Token", t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    let code = body["error_code"].as_str().unwrap_or("").to_owned();
    (status, code)
}

async fn join_by_id(server: &TestServer, conf_id: &str, password: &str) -> Result<ConfSession, SdkError> {
    join_by_id_as(&ConveneClient::new(&server.url()).unwrap(), conf_id, password).await
}

async fn join_by_id_as(c: &ConveneClient, conf_id: &str, password: &str) -> Result<ConfSession, SdkError> {
    c.join_conf_by_id_async(JoinConfByIdInfo {
        conf_id: conf_id.into(),
        password: password.into(),
        nick_name: "Guesser".into(),
        ..Default::default()
    })
    .await
}

fn code<T>(r: Result<T, SdkError>) -> Option<SdkErr> {
    r.err().map(|e| e.code)
}

#[tokio::test]
async fn the_control_token_endpoint_counts_wrong_host_passwords() {
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let conf = m.result.conf_id.clone();
    let host_pwd = m.result.host_pwd.clone();
    let here = http_from(Ipv4Addr::LOCALHOST);
    // Five wrong guesses, then even the right password waits.
    for _ in 0..5 {
        let (status, c) = control_token(&server, &here, &conf, "000000", None).await;
        assert_eq!(
            (status, c.as_str()),
            (401, SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED.rest_code().as_str())
        );
    }
    let (status, c) = control_token(&server, &here, &conf, &host_pwd, None).await;
    assert_eq!(status, 403, "locked: {c}");
    assert_eq!(c, SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED.rest_code());
    // Another address is not locked out by this one.
    let there = http_from(Ipv4Addr::new(127, 0, 0, 2));
    assert_eq!(control_token(&server, &there, &conf, &host_pwd, None).await.0, 200);
    // A logged-in caller is counted by its account, wherever it comes from.
    server.add_account("mia", "Mia").await;
    let mia = server.client("mia").await.access_token().unwrap();
    for _ in 0..5 {
        control_token(&server, &there, &conf, "000001", Some(&mia)).await;
    }
    assert_eq!(control_token(&server, &here, &conf, &host_pwd, Some(&mia)).await.0, 403);
    // The owner is never held back by others' guesses.
    let owner = m.owner.access_token().unwrap();
    assert_eq!(
        control_token(&server, &here, &conf, &host_pwd, Some(&owner)).await.0,
        200
    );
}

#[tokio::test]
async fn many_callers_together_close_a_meetings_password_path_except_for_its_owner() {
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let conf = m.result.conf_id.clone();
    let http = http_from(Ipv4Addr::LOCALHOST);
    // A "botnet": 30 accounts guessing 1 each (none of them locked alone).
    for i in 0..30 {
        let name = format!("bot{i}");
        server.add_account(&name, "Bot").await;
        let t = server.client(&name).await.access_token().unwrap();
        assert_eq!(control_token(&server, &http, &conf, "123123", Some(&t)).await.0, 401);
    }
    // Now the password path is closed for everyone: tokens and joins.
    server.add_account("honest", "Honest").await;
    let honest = server.client("honest").await;
    let t = honest.access_token().unwrap();
    assert_eq!(
        control_token(&server, &http, &conf, &m.result.host_pwd, Some(&t))
            .await
            .0,
        403
    );
    assert_eq!(
        code(join_by_id_as(&honest, &conf, &m.result.guest_pwd).await),
        Some(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED)
    );
    // The owner still gets a token and joins; link holders still join.
    let owner = m.owner.access_token().unwrap();
    assert_eq!(
        control_token(&server, &http, &conf, &m.result.host_pwd, Some(&owner))
            .await
            .0,
        200
    );
    let host = join_by_id_as(&m.owner, &conf, "").await.unwrap();
    assert_eq!(host.role(), ConfRole::Host);
    let (c, random) = ConveneClient::parse_join_link(&m.result.guest_join_uri).unwrap();
    let linked = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_random_async(JoinConfByRandomInfo {
            conf_id: c,
            random,
            nick_name: "Linda".into(),
            is_mic_on: false,
            is_camera_on: false,
        })
        .await
        .unwrap();
    assert_eq!(linked.role(), ConfRole::Attendee);
}

#[tokio::test]
async fn request_host_role_is_counted_and_locked_out() {
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let guest = join_by_id(&server, &m.result.conf_id, &m.result.guest_pwd)
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(
            code(guest.request_host_role("999999").await),
            Some(SdkErr::CMS_CONF_PWD_AUTH_FAILED)
        );
    }
    assert_eq!(
        code(guest.request_host_role(&m.result.host_pwd).await),
        Some(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED),
        "the right one waits out the lock too"
    );
    assert_eq!(guest.role(), ConfRole::Attendee);
    // And the same run holds back the caller's joins with a password.
    assert_eq!(
        code(join_by_id(&server, &m.result.conf_id, &m.result.guest_pwd).await),
        Some(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED)
    );
}

#[tokio::test]
async fn a_right_guest_password_does_not_wipe_wrong_host_guesses() {
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let conf = &m.result.conf_id;
    let mut wrong = 0;
    let mut locked_after = None;
    'outer: for _round in 0..30 {
        for _ in 0..4 {
            match code(join_by_id(&server, conf, "000000").await) {
                Some(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED) => wrong += 1,
                Some(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED) => {
                    locked_after = Some(wrong);
                    break 'outer;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        match join_by_id(&server, conf, &m.result.guest_pwd).await {
            Ok(s) => s.leave_conf(),
            Err(e) if e.code == SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED => {
                locked_after = Some(wrong);
                break;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(locked_after, Some(5), "five wrong guesses lock, whatever came between");
}

#[tokio::test]
async fn those_who_prove_themselves_without_a_password_are_not_locked_out() {
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let conf = &m.result.conf_id;
    for _ in 0..6 {
        let _ = join_by_id(&server, conf, "000000").await;
    }
    assert_eq!(
        code(join_by_id(&server, conf, &m.result.guest_pwd).await),
        Some(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED)
    );
    // The owner with its login, from the same address.
    let host = join_by_id_as(&m.owner, conf, "").await.unwrap();
    assert_eq!(host.role(), ConfRole::Host);
    // A holder of the guest link, anonymous, from the same address.
    for (link, role) in [(&m.result.guest_join_uri, ConfRole::Attendee)] {
        let (c, random) = ConveneClient::parse_join_link(link).unwrap();
        let s = ConveneClient::new(&server.url())
            .unwrap()
            .join_conf_by_random_async(JoinConfByRandomInfo {
                conf_id: c,
                random,
                nick_name: "Link".into(),
                is_mic_on: false,
                is_camera_on: false,
            })
            .await
            .unwrap();
        assert_eq!(s.role(), role);
    }
}

async fn login_from(server: &TestServer, source: Ipv4Addr, account: &str, password: &str) -> (u16, String) {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{account}:{password}"));
    let res = http_from(source)
        .post(format!("{}/v1/usg/acs/auth/account", server.url()))
        .header("Authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (status, body["error_code"].as_str().unwrap_or("").to_owned())
}

#[tokio::test]
async fn wrong_logins_from_one_address_do_not_lock_the_owner_out_elsewhere() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga").await;
    let attacker = Ipv4Addr::new(127, 0, 0, 3);
    for _ in 0..5 {
        assert_eq!(login_from(&server, attacker, "olga", "guess").await.0, 401);
    }
    // That address is locked out of the name, even with the right password.
    assert_eq!(login_from(&server, attacker, "olga", PASSWORD).await.0, 403);
    // The owner, elsewhere, logs in.
    assert_eq!(login_from(&server, Ipv4Addr::LOCALHOST, "olga", PASSWORD).await.0, 200);
    // A name with a control character is refused outright (it could spell
    // another name's per-address record).
    let (status, _) = login_from(&server, attacker, "olga\u{1}127.0.0.1", "x").await;
    assert_eq!(status, 400);
    // Guesses spread over many addresses still meet the account-wide ceiling.
    for i in 0..(convene_core::auth::LOGIN_ACCOUNT_RULE.max / 4) {
        let source = Ipv4Addr::new(127, 0, 1, i as u8 + 1);
        for _ in 0..4 {
            login_from(&server, source, "olga", "guess").await;
        }
    }
    assert_eq!(login_from(&server, Ipv4Addr::LOCALHOST, "olga", PASSWORD).await.0, 403);
}

#[tokio::test]
async fn unknown_ended_and_running_meetings_look_alike_without_credentials() {
    let server = TestServer::start().await;
    let running = create(&server, "olga", |_| {}).await;
    let ended = {
        let c = server.client("olga").await;
        let r = c
            .create_conf_async(CreateConfInfo::new("Ended", MediaType::Video, true))
            .await
            .unwrap();
        c.cancel_conf_async(&r.conf_id).await.unwrap();
        r
    };
    let unknown = "987654321";
    // The WebSocket join: the same code and the same words for all three,
    // with a wrong password and with none.
    for password in ["000000", ""] {
        let mut answers = Vec::new();
        for conf in [running.result.conf_id.as_str(), ended.conf_id.as_str(), unknown] {
            // A fresh account each time, so no lockout gets in the way.
            let name = format!("probe{}", answers.len() + if password.is_empty() { 10 } else { 0 });
            server.add_account(&name, "Probe").await;
            let c = server.client(&name).await;
            let e = join_by_id_as(&c, conf, password).await.err().unwrap();
            answers.push((e.code, e.reason));
        }
        assert_eq!(answers[0].0, SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED, "{answers:?}");
        assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    }
    // With the right credentials the ended meeting says so.
    assert_eq!(
        code(join_by_id(&server, &ended.conf_id, &ended.guest_pwd).await),
        Some(SdkErr::CMS_CONF_IS_CLOSED)
    );
    // The control-token endpoint likewise: one status and code for all three.
    let http = http_from(Ipv4Addr::new(127, 0, 0, 4));
    let mut answers = Vec::new();
    for conf in [running.result.conf_id.as_str(), ended.conf_id.as_str(), unknown] {
        answers.push(control_token(&server, &http, conf, "000000", None).await);
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 401);
    // Tries at unknown IDs count: one caller scanning IDs is locked out of
    // every meeting, the real one included.
    let scanner = ConveneClient::new(&server.url()).unwrap();
    server.add_account("scanner", "Scanner").await;
    scanner
        .login_by_account_async(LoginByAccountInfo {
            account: "scanner".into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    let mut locked_at = None;
    for i in 0..40 {
        let id = format!("{}", 555_000_000 + i);
        if code(join_by_id_as(&scanner, &id, "000000").await) == Some(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED) {
            locked_at = Some(i);
            break;
        }
    }
    assert_eq!(locked_at, Some(convene_core::guard::CALLER_RULE.max as i32));
    assert_eq!(
        code(join_by_id_as(&scanner, &running.result.conf_id, &running.result.guest_pwd).await),
        Some(SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED)
    );
}

#[tokio::test]
async fn an_empty_meeting_in_its_last_five_minutes_can_be_joined_and_controlled() {
    // Issue 16, item 8: a new meeting task's first tick sent the end
    // warning to nobody and stopped before serving the join that started it.
    let server = TestServer::start().await;
    let m = create(&server, "olga", |c| c.duration = Some(30)).await;
    server.running.clock.advance(26 * 60);
    let http = http_from(Ipv4Addr::LOCALHOST);
    let owner = m.owner.access_token().unwrap();
    let res = http
        .get(format!("{}/v1/mmc/control/conferences/token", server.url()))
        .query(&[("conferenceID", m.result.conf_id.as_str())])
        .header("X-Password", m.result.host_pwd.as_str())
        .header("X-Access-Token", owner.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    let token = body["data"]["token"].as_str().unwrap().to_owned();
    let res = http
        .put(format!("{}/v1/mmc/control/conferences/lock", server.url()))
        .query(&[("conferenceID", m.result.conf_id.as_str())])
        .header("X-Conference-Authorization", token.as_str())
        .json(&serde_json::json!({"isLock": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    let g = join_by_id(&server, &m.result.conf_id, &m.result.guest_pwd)
        .await
        .unwrap();
    assert_eq!(g.role(), ConfRole::Attendee);
}

#[tokio::test]
async fn a_bad_media_offer_is_answered_in_plain_words() {
    // Issue 16, item 9: the parser's detail (pointers, offsets) stays in the log.
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let host = join_by_id_as(&m.owner, &m.result.conf_id, "").await.unwrap();
    for sdp in [
        "hello",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
    ] {
        let e = host.media_offer(sdp.into()).await.unwrap_err();
        assert_eq!(e.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
        assert_eq!(e.reason, "invalid SDP");
    }
}

type RawWs = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A participant on a raw WebSocket whose receive buffer is tiny, so that
/// not reading fills its TCP window quickly. Returns after the welcome.
async fn raw_participant(server: &TestServer, conf_id: &str, password: &str, name: &str) -> RawWs {
    use futures::{SinkExt, StreamExt};
    let addr: std::net::SocketAddr = server.url().trim_start_matches("http://").parse().unwrap();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock.connect(addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/v1/convene/ws"), tcp)
        .await
        .unwrap();
    let join = serde_json::json!({"type": "join", "confId": conf_id, "password": password,
        "nickName": name, "isMicOn": false, "isCameraOn": false});
    ws.send(tokio_tungstenite::tungstenite::Message::Text(join.to_string().into()))
        .await
        .unwrap();
    let first = ws.next().await.unwrap().unwrap();
    assert!(first.to_text().unwrap().contains("\"joined\""), "{first:?}");
    ws
}

#[tokio::test]
async fn a_participant_that_never_reads_is_cut_off_then_dropped() {
    // Issue 16, item 6: a socket that never reads held a growing queue,
    // stayed online past the grace period and kept its place.
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let host = join_by_id_as(&m.owner, &m.result.conf_id, "").await.unwrap();
    let _slow = raw_participant(&server, &m.result.conf_id, &m.result.guest_pwd, "Slow").await;
    let is_slow = |a: &Attendee| a.nick_name == "Slow";
    host.wait_for_list(false, Duration::from_secs(10), |l| l.iter().any(is_slow))
        .await
        .unwrap();
    // The host makes events until the server gives up on the slow one.
    let started = std::time::Instant::now();
    let mut raised = false;
    let mut toggles = 0;
    while host.attendees().iter().any(|a| is_slow(a) && a.online) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still online after {toggles} events"
        );
        raised = !raised;
        host.raise_hand(raised).await.unwrap();
        toggles += 1;
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{toggles} events, {:?}",
        started.elapsed()
    );
    // Offline now; after the grace period it is gone from the roster.
    server.running.clock.advance(31);
    host.wait_for_list(false, Duration::from_secs(10), |l| !l.iter().any(is_slow))
        .await
        .expect("the slow participant is dropped after the grace period");
}

#[tokio::test]
async fn the_same_account_twice_takes_over_its_participant() {
    // Issue 16, item 12: a second join with the same account moved the
    // host role to it and left the first connection with dead controls.
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let first = join_by_id_as(&m.owner, &m.result.conf_id, "").await.unwrap();
    let g = join_by_id(&server, &m.result.conf_id, &m.result.guest_pwd)
        .await
        .unwrap();
    first.mute_self(true).await.unwrap();
    let second = join_by_id_as(&m.owner, &m.result.conf_id, "").await.unwrap();
    assert_eq!(second.participant_id(), first.participant_id(), "the same participant");
    assert_eq!(second.role(), ConfRole::Host);
    // The first connection is told why and is over.
    let why = first
        .wait_for(Duration::from_secs(10), |e| match e {
            Event::OnConfEnded { reason, .. } => Some(reason.0),
            _ => None,
        })
        .await;
    assert_eq!(why, Some(SdkErr::USG_TOKEN_IS_INVAILD_BY_KICKOFF));
    // Its state is kept, and there is one host, whose controls work.
    let list = second
        .wait_for_list(false, Duration::from_secs(10), |l| l.len() == 2)
        .await
        .unwrap();
    let me = list
        .iter()
        .find(|a| a.participant_id == second.participant_id())
        .unwrap();
    assert!(!me.is_mic_on, "still muted");
    assert_eq!(list.iter().filter(|a| a.role == ConfRole::Host).count(), 1);
    second.lock_conf(true).await.unwrap();
    // The guest sees one entry for the host, online.
    let seen = g
        .wait_for_list(false, Duration::from_secs(10), |l| {
            l.len() == 2 && l.iter().all(|a| a.online)
        })
        .await;
    assert!(seen.is_some());
    drop(first);
    second.end_conf().await.unwrap();
}

#[tokio::test]
async fn a_message_over_the_limit_closes_with_1009() {
    use futures::{SinkExt, StreamExt};
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let mut ws = raw_participant(&server, &m.result.conf_id, &m.result.guest_pwd, "Big").await;
    let big = "x".repeat(convene_server::ws::MAX_MESSAGE + 1);
    ws.send(tokio_tungstenite::tungstenite::Message::Text(big.into()))
        .await
        .unwrap();
    let mut code = None;
    while let Some(Ok(msg)) = ws.next().await {
        if let tokio_tungstenite::tungstenite::Message::Close(f) = msg {
            code = f.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(1009));
}

#[tokio::test]
async fn meeting_details_show_secrets_only_to_its_hosts() {
    // Issue 16, item 11: any user of the enterprise saw the guest password,
    // the links, customInfo and the invitees' e-mail and phone.
    let server = TestServer::start().await;
    server.add_account("ivan", "Ivan").await;
    server.add_account("hana", "Hana").await;
    server.add_account("carl", "Carl").await;
    let m = create(&server, "olga", |c| {
        c.custom_info = Some("budget 2027".into());
        c.attendees = vec![
            AttendeeBaseInfo {
                nick_name: "Ivan".into(),
                account_id: Some("ivan".into()),
                email: Some("ivan@example.com".into()),
                number: "+100200300".into(),
                ..Default::default()
            },
            AttendeeBaseInfo {
                nick_name: "Hana".into(),
                number: "+100200301".into(),
                account_id: Some("hana".into()),
                role: Some(ConfRole::Host),
                ..Default::default()
            },
        ];
        c.num_of_attendee = 2;
    })
    .await;
    let conf = &m.result.conf_id;
    let owner = m.owner.conf_detail_async(conf).await.unwrap();
    assert_eq!(owner.custom_info, "budget 2027");
    assert_eq!(owner.attendees[0].email.as_deref(), Some("ivan@example.com"));
    assert!(!owner.chair_join_uri.is_empty());
    // An invited host sees what the owner sees.
    let hana = server.client("hana").await.conf_detail_async(conf).await.unwrap();
    assert_eq!(hana.chair_join_uri, owner.chair_join_uri);
    // An invited guest sees the invitation: guest password and link only.
    let ivan = server.client("ivan").await.conf_detail_async(conf).await.unwrap();
    assert_eq!(ivan.password_for("general"), m.result.guest_pwd);
    assert_eq!(ivan.password_for("chair"), "");
    assert_eq!(ivan.chair_join_uri, "");
    assert_eq!(ivan.audience_join_uri, "");
    assert_eq!(ivan.custom_info, "");
    assert!(ivan
        .attendees
        .iter()
        .all(|a| a.email.is_none() && a.number.is_empty() && a.account_id.is_none()));
    // A colleague who is not invited sees nothing: the meeting looks missing.
    let carl = server.client("carl").await.conf_detail_async(conf).await;
    assert_eq!(carl.err().map(|e| e.code), Some(SdkErr::CMS_CONF_DATA_NOT_FOUND));
}

#[tokio::test]
async fn odd_inputs_get_clear_refusals() {
    // Issue 16, item 10.
    let server = TestServer::start().await;
    let m = create(&server, "olga", |_| {}).await;
    let token = m.owner.access_token().unwrap();
    let http = http_from(Ipv4Addr::LOCALHOST);
    let json_error = |body: &str| -> String {
        let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body:?}"));
        v["error_code"].as_str().unwrap().to_owned()
    };
    // A 50 KB searchKey: a 400, not the database's 500.
    let res = http
        .get(format!("{}/v1/mmc/management/conferences", server.url()))
        .query(&[("searchKey", "x".repeat(50_000))])
        .header("X-Access-Token", token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 414, "over the target limit");
    json_error(&res.text().await.unwrap());
    let res = http
        .get(format!("{}/v1/mmc/management/conferences", server.url()))
        .query(&[("searchKey", "x".repeat(5_000))])
        .header("X-Access-Token", token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    json_error(&res.text().await.unwrap());
    // Oversized headers: 431 in the JSON shape.
    let res = http
        .get(format!("{}/v1/mmc/management/conferences", server.url()))
        .header("X-Access-Token", token.as_str())
        .header("X-Big", "y".repeat(100_000))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 431);
    json_error(&res.text().await.unwrap());
    // Lock without isLock, or with a body that is no object: refused, and
    // the meeting stays as it was.
    let res = http
        .get(format!("{}/v1/mmc/control/conferences/token", server.url()))
        .query(&[("conferenceID", m.result.conf_id.as_str())])
        .header("X-Password", m.result.host_pwd.as_str())
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let ctl = body["data"]["token"].as_str().unwrap().to_owned();
    let lock = |body: &'static str| {
        let http = http.clone();
        let url = format!("{}/v1/mmc/control/conferences/lock", server.url());
        let conf = m.result.conf_id.clone();
        let ctl = ctl.clone();
        async move {
            let res = http
                .put(url)
                .query(&[("conferenceID", conf.as_str())])
                .header("X-Conference-Authorization", ctl.as_str())
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    assert_eq!(lock(r#"{"isLock": 1}"#).await.0, 200);
    for bad in ["[]", "{}", r#"{"isLock": "yes"}"#, r#"{"isLock": 2}"#] {
        let (status, body) = lock(bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        json_error(&body);
    }
    let g = join_by_id(&server, &m.result.conf_id, &m.result.guest_pwd).await;
    assert_eq!(code(g), Some(SdkErr::CMS_CONF_LOCKED), "still locked");
    // Human-readable fields: one rule (NUL, text-direction overrides,
    // nothing visible), at create and at join.
    for subject in ["a\u{0}b", "invoice\u{202E}fdp.exe", "\u{200B}\u{200B}"] {
        let e = m
            .owner
            .create_conf_async(CreateConfInfo::new(subject, MediaType::Video, true))
            .await
            .unwrap_err();
        assert_eq!(e.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "{subject:?}");
    }
    let mut info = CreateConfInfo::new("Ok", MediaType::Video, true);
    info.custom_info = Some("x\u{202E}y".into());
    assert!(m.owner.create_conf_async(info).await.is_err());
}
