//! Issue 2: the product's own official REST client (PyPI
//! `huaweicloudsdkmeeting`, pinned below) logs in both ways and creates,
//! lists, shows and cancels meetings against convene over HTTPS, unchanged.
//! The test makes its own venv (kept in the target folder between runs).

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_works_unchanged() {
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let server = common::TestServer::start().await;
    server.add_account("py-account", "Python Account").await;
    let key = server.add_app("py-app").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/official_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([&server.https_url(), "py-account", common::PASSWORD, "py-app", &key])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// Issue 3: the official client takes a control token and locks, mutes all
/// and stops a meeting while SDK clients are in it; they see each change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_controls_a_live_meeting() {
    use convene_sdk::*;
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let server = common::TestServer::start().await;
    server.add_account("py-host", "Python Host").await;
    server.add_account("py-callee", "Py Callee").await;
    let host_client = server.client("py-host").await;
    // The invitee is logged in elsewhere, listening for calls: it answers
    // the one it gets (joins as its account, no password) until hung up.
    let callee = server.client("py-callee").await;
    let mut calls = callee.listen_calls_async().await.unwrap();
    let answered = tokio::spawn(async move {
        let call = loop {
            match calls.next().await.unwrap() {
                CallEvent::Incoming(c) => break c,
                CallEvent::Ended { .. } => {}
            }
        };
        let s = callee.accept_call_async(&call).await.unwrap();
        let ended = loop {
            if let CallEvent::Ended { call_id, reason } = calls.next().await.unwrap() {
                break (call_id, reason);
            }
        };
        let mut hung_up = false;
        while let Ok(Some((_, e))) = tokio::time::timeout(std::time::Duration::from_secs(20), s.next_event()).await {
            if matches!(e, Event::OnConfEnded { .. }) {
                hung_up = true;
                break;
            }
        }
        assert!(hung_up, "the invitee was hung up");
        (call, ended)
    });
    let m = host_client
        .create_conf_async(CreateConfInfo::new("Controlled", MediaType::Video, true))
        .await
        .unwrap();
    let host = host_client
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            is_mic_on: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let guest = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: m.guest_pwd.clone(),
            nick_name: "Guest".into(),
            is_mic_on: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let second = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: m.guest_pwd.clone(),
            nick_name: "Second".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    guest.raise_hand(true).await.unwrap();
    let wait = std::time::Duration::from_secs(10);
    assert!(host
        .wait_for_list(false, wait, |l| l.len() == 3 && l.iter().any(|a| a.hand_raised))
        .await
        .is_some());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/control_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([
            &server.https_url(),
            "py-host",
            common::PASSWORD,
            &m.conf_id,
            &m.host_pwd,
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every change reached the SDK clients as events, in order.
    async fn drain(s: &ConfSession) -> Vec<Event> {
        let mut seen = Vec::new();
        while let Ok(Some((_, e))) = tokio::time::timeout(std::time::Duration::from_secs(10), s.next_event()).await {
            let end = matches!(e, Event::OnConfEnded { .. });
            seen.push(e);
            if end {
                break;
            }
        }
        seen
    }
    let roles = |events: &[Event]| -> Vec<ConfRole> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::OnSelfRoleChanged { role } => Some(*role),
                _ => None,
            })
            .collect()
    };
    let ended = |events: &[Event]| {
        events.iter().find_map(|e| match e {
            Event::OnConfEnded { reason, .. } => Some(reason.0),
            _ => None,
        })
    };
    let (h, g, s2) = (drain(&host).await, drain(&guest).await, drain(&second).await);
    // The invitee's client rang with the meeting's call, stopped once answered.
    let (call, (ended_id, reason)) = answered.await.unwrap();
    assert_eq!(
        (call.conf_id.as_str(), call.subject.as_str()),
        (m.conf_id.as_str(), "Controlled")
    );
    assert_eq!((ended_id, reason), (call.call_id.clone(), CallState::Answered));
    // The hosts heard how each invitation went.
    let calls: Vec<(String, CallState)> = h
        .iter()
        .filter_map(|e| match e {
            Event::OnCallStateChanged { nick_name, state, .. } => Some((nick_name.clone(), *state)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("Callee".to_owned(), CallState::Ringing),
            ("Phone Only".to_owned(), CallState::Unreachable),
            ("Callee".to_owned(), CallState::Answered),
        ]
    );
    assert_eq!(
        roles(&g),
        vec![ConfRole::Host, ConfRole::Attendee],
        "handed over and back: {g:?}"
    );
    assert_eq!(roles(&h), vec![ConfRole::Attendee, ConfRole::Host], "{h:?}");
    assert_eq!(
        roles(&s2),
        vec![ConfRole::Waiting, ConfRole::Attendee],
        "moved to the waiting room and let back in"
    );
    assert_eq!(ended(&s2), Some(SdkErr::SDK_CONFCTRL_CONF_END_CHAIR_HANGUP), "hung up");
    for events in [&h, &g] {
        assert!(events
            .iter()
            .any(|e| matches!(e, Event::OnMeetingInfoChanged { is_locked: true, .. })));
        assert_eq!(ended(events), Some(SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF));
        let told = format!("{events:?}");
        assert!(told.contains("Renamed Guest"), "the new name reached everyone");
    }
    let last = guest.attendees();
    let me = last.iter().find(|a| a.nick_name == "Renamed Guest").unwrap();
    assert!(!me.hand_raised && !me.is_mic_on, "{me:?}");
    assert_eq!(
        host_client
            .conf_detail_async(&m.conf_id)
            .await
            .unwrap()
            .conference_state,
        "Destroyed"
    );
}

/// Issue 19: an enterprise's administrator manages its accounts with the
/// official client, unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_manages_accounts() {
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let server = common::TestServer::start().await;
    server.add_account("boss", "The Admin").await;
    server.add_account("plain", "Not Admin").await;
    let boss = server.running.store.user_by_account("boss").await.unwrap().unwrap();
    server.running.store.set_admin(&boss.id, true).await.unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/corp_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([&server.https_url(), "boss", common::PASSWORD, "plain"])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
