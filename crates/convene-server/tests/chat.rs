//! Issue 21: the meeting's chat through a real server and the Rust SDK: to
//! everyone and privately, a late joiner's history, hosts turning it off,
//! and the messages kept with the meeting's records (for its minutes);
//! screen sharing with several sharers allowed by the host.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::time::Duration;

use common::*;
use convene_sdk::*;

const WAIT: Duration = Duration::from_secs(10);

/// The chat messages `s` receives until one with `text` (history included).
async fn until_text(s: &ConfSession, text: &str) -> Vec<ChatMessage> {
    let mut seen = Vec::new();
    while let Ok(Some((_, e))) = tokio::time::timeout(WAIT, s.next_event()).await {
        let got = match e {
            Event::OnChatMessage { message } => vec![message],
            Event::OnChatHistory { messages } => messages,
            _ => continue,
        };
        let done = got.iter().any(|m| m.text == text);
        seen.extend(got);
        if done {
            return seen;
        }
    }
    panic!("{text:?} never arrived; got {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_to_everyone_privately_late_and_off() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Chatty", MediaType::Audio, true))
        .await
        .unwrap();
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let guest = |name: &'static str| {
        let (url, id, pwd) = (server.url(), m.conf_id.clone(), m.guest_pwd.clone());
        async move {
            ConveneClient::new(&url)
                .unwrap()
                .join_conf_by_id_async(JoinConfByIdInfo {
                    conf_id: id,
                    password: pwd,
                    nick_name: name.into(),
                    ..Default::default()
                })
                .await
                .unwrap()
        }
    };
    let ana = guest("Ana").await;
    let bo = guest("Bo").await;

    // To everyone: all three hear it, with the sender's name.
    ana.send_chat_message("hello everyone", None).await.unwrap();
    for s in [&host, &ana, &bo] {
        let got = until_text(s, "hello everyone").await;
        let m = got.last().unwrap();
        assert_eq!(
            (m.from, m.from_name.as_str(), m.to),
            (ana.participant_id(), "Ana", None)
        );
    }
    // Privately to Bo: Bo and Ana see it, the host does not.
    ana.send_chat_message("psst, Bo", Some(bo.participant_id()))
        .await
        .unwrap();
    let got = until_text(&bo, "psst, Bo").await;
    assert_eq!(got.last().unwrap().to, Some(bo.participant_id()));
    until_text(&ana, "psst, Bo").await;
    host.send_chat_message("after the secret", None).await.unwrap();
    let host_saw = until_text(&host, "after the secret").await;
    assert!(host_saw.iter().all(|m| m.text != "psst, Bo"), "{host_saw:?}");

    // A late joiner gets the messages to everyone, not the private one.
    let late = guest("Late").await;
    let history = until_text(&late, "after the secret").await;
    let texts: Vec<&str> = history.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["hello everyone", "after the secret"]);

    // The host turns chat off: a guest is refused, the host is not.
    assert!(bo.allow_chat(false).await.is_err(), "guests may not turn chat off");
    host.allow_chat(false).await.unwrap();
    let e = bo.send_chat_message("still there?", None).await.unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    host.send_chat_message("hosts still may", None).await.unwrap();
    // Too long is refused with its reason.
    let e = host.send_chat_message(&"x".repeat(2001), None).await.unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
    until_text(&bo, "hosts still may").await;

    // The meeting's chat is kept with its records, private ones named.
    let uuid = server
        .running
        .store
        .meeting_by_conf_id(&convene_core::ConfId(m.conf_id.clone()), now())
        .await
        .unwrap()
        .unwrap()
        .conf_uuid;
    host.end_conf().await.unwrap();
    let mut kept = Vec::new();
    for _ in 0..50 {
        kept = server.running.store.chat_of(&uuid).await.unwrap();
        if kept.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows: Vec<(&str, Option<&str>, &str)> = kept
        .iter()
        .map(|r| (r.from.as_str(), r.to.as_deref(), r.text.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("Ana", None, "hello everyone"),
            ("Ana", Some("Bo"), "psst, Bo"),
            ("Olga Host", None, "after the secret"),
            ("Olga Host", None, "hosts still may"),
        ]
    );
}

/// The first event `pick` takes (the SDK's `wait_for`, failing on time-out).
async fn until_event<T>(s: &ConfSession, pick: impl Fn(&Event) -> Option<T>) -> T {
    s.wait_for(WAIT, pick).await.expect("the event never arrived")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_allow_several_sharers_through_the_sdk() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Two screens", MediaType::Video, true))
        .await
        .unwrap();
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let guest = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: m.guest_pwd.clone(),
            nick_name: "Gus".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    host.set_share(true).await.unwrap();
    // One at a time: the guest is refused, and may not change the rule.
    let e = guest.set_share(true).await.unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    assert!(guest.allow_multi_share(true).await.is_err());
    host.allow_multi_share(true).await.unwrap();
    until_event(&guest, |e| {
        matches!(e, Event::OnMultiShareChanged { is_allowed: true }).then_some(())
    })
    .await;
    guest.set_share(true).await.unwrap();
    let both = vec![host.participant_id(), guest.participant_id()];
    let seen = until_event(&host, |e| match e {
        Event::OnShareStateChanged { sharers, .. } if sharers.len() == 2 => Some(sharers.clone()),
        _ => None,
    })
    .await;
    assert_eq!(seen, both);
    // Taken back: the latest sharer (the guest) keeps sharing.
    host.allow_multi_share(false).await.unwrap();
    let seen = until_event(&host, |e| match e {
        Event::OnShareStateChanged { sharers, .. } if sharers.len() == 1 => Some(sharers.clone()),
        _ => None,
    })
    .await;
    assert_eq!(seen, vec![guest.participant_id()]);
}
