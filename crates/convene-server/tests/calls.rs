//! Issue 19: invitees ring. An invitation into a running meeting (the SDK's
//! `addAttendee`, the REST `invite_participant`) or a meeting's
//! `isAutoInvite` invitees when it starts ring the account's logged-in
//! clients until they answer (join), decline, 60 s pass or the meeting
//! ends; the hosts hear each step.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::time::Duration;

use common::*;
use convene_sdk::*;

const WAIT: Duration = Duration::from_secs(10);

async fn next(l: &mut CallListener) -> CallEvent {
    tokio::time::timeout(WAIT, l.next())
        .await
        .expect("a call event")
        .unwrap()
}

async fn incoming(l: &mut CallListener) -> IncomingCall {
    match next(l).await {
        CallEvent::Incoming(c) => c,
        other => panic!("expected a call, got {other:?}"),
    }
}

/// The hosts' call events so far, `(name, state)`, until `until` arrives.
async fn call_states(s: &ConfSession, until: (&str, CallState)) -> Vec<(String, CallState)> {
    let mut seen = Vec::new();
    while let Ok(Some((_, e))) = tokio::time::timeout(WAIT, s.next_event()).await {
        if let Event::OnCallStateChanged { nick_name, state, .. } = e {
            let done = nick_name == until.0 && state == until.1;
            seen.push((nick_name, state));
            if done {
                return seen;
            }
        }
    }
    panic!("no {until:?} among {seen:?}");
}

fn invitee(name: &str, account: &str) -> AttendeeBaseInfo {
    AttendeeBaseInfo {
        nick_name: name.into(),
        number: format!("+99{}", account.len()),
        account_id: Some(account.into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitees_ring_until_they_answer_decline_time_out_or_the_meeting_ends() {
    let server = TestServer::start().await;
    for (a, n) in [("olga", "Olga Host"), ("auto", "Auto Callee"), ("late", "Late Callee")] {
        server.add_account(a, n).await;
    }
    // A bad token is refused on the call channel.
    let stranger = ConveneClient::with_token(&server.url(), "forged").unwrap();
    assert!(stranger.listen_calls_async().await.is_err());

    let owner = server.client("olga").await;
    let auto = server.client("auto").await;
    let mut auto_calls = auto.listen_calls_async().await.unwrap();
    let mut info = CreateConfInfo::new("Ringing", MediaType::Audio, true);
    let mut a = invitee("Auto Callee", "auto");
    a.is_auto_invite = Some(true);
    info.attendees = vec![a, invitee("Not auto", "late")];
    info.num_of_attendee = 2;
    let m = owner.create_conf_async(info).await.unwrap();
    // Nothing rings before the meeting's session starts.
    assert!(tokio::time::timeout(Duration::from_millis(300), auto_calls.next())
        .await
        .is_err());

    // The host's arrival rings the isAutoInvite invitee (only).
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let call = incoming(&mut auto_calls).await;
    assert_eq!(
        (call.conf_id.as_str(), call.inviter.as_str()),
        (m.conf_id.as_str(), "Olga Host")
    );
    assert!(call.expires_at > now() + 50);
    // Declining a call that is not one's own is refused; one's own ends it.
    auto_calls.decline("no-such-call").await.unwrap();
    assert!(tokio::time::timeout(WAIT, auto_calls.next()).await.unwrap().is_err());
    auto_calls.decline(&call.call_id).await.unwrap();
    assert_eq!(
        next(&mut auto_calls).await,
        CallEvent::Ended {
            call_id: call.call_id.clone(),
            reason: CallState::Declined
        }
    );
    assert_eq!(
        call_states(&host, ("Auto Callee", CallState::Declined)).await,
        [
            ("Auto Callee".to_owned(), CallState::Ringing),
            ("Auto Callee".to_owned(), CallState::Declined)
        ]
    );

    // A guest may not invite; the host may (over the SDK's addAttendee).
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
    assert!(guest.add_attendee(vec![invitee("Late Callee", "late")]).await.is_err());
    let typo = host
        .add_attendee(vec![invitee("Typo", "no-such-account")])
        .await
        .unwrap_err();
    assert_eq!(typo.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "{typo:?}");
    // A list past 100 people is refused as a whole (before any lookup).
    let crowd: Vec<AttendeeBaseInfo> = (0..101).map(|i| invitee("Many", &format!("nobody-{i}"))).collect();
    let e = host.add_attendee(crowd).await.unwrap_err();
    assert!(e.reason.contains("1 to 100"), "{e:?}");
    host.add_attendee(vec![invitee("Late Callee", "late")]).await.unwrap();
    // A client that starts listening while it rings hears the call.
    let late = server.client("late").await;
    let mut late_calls = late.listen_calls_async().await.unwrap();
    let call = incoming(&mut late_calls).await;
    // Not answered in 60 s (the test clock): it stops.
    server.running.clock.advance(61);
    assert_eq!(
        next(&mut late_calls).await,
        CallEvent::Ended {
            call_id: call.call_id.clone(),
            reason: CallState::NoAnswer
        }
    );
    assert_eq!(
        call_states(&host, ("Late Callee", CallState::NoAnswer)).await,
        [
            ("Late Callee".to_owned(), CallState::Ringing),
            ("Late Callee".to_owned(), CallState::NoAnswer)
        ]
    );

    // Ringing again, then the meeting ends: the call is cancelled.
    host.add_attendee(vec![invitee("Late Callee", "late")]).await.unwrap();
    let call = incoming(&mut late_calls).await;
    host.end_conf().await.unwrap();
    assert_eq!(
        next(&mut late_calls).await,
        CallEvent::Ended {
            call_id: call.call_id,
            reason: CallState::Cancelled
        }
    );
    // The invited list is the meeting's, stored: the late callee once (it
    // was invited already as "Not auto": the same account).
    let stored = server
        .running
        .store
        .meeting_by_conf_id(&convene_core::ConfId(m.conf_id.clone()), now())
        .await
        .unwrap()
        .unwrap();
    let invited: Vec<&str> = stored.info.attendees.iter().map(|a| a.nick_name.as_str()).collect();
    assert_eq!(invited, ["Auto Callee", "Not auto"]);
}
