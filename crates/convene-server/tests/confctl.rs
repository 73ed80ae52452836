//! Issue 19: the product's per-meeting event WebSocket follows joins,
//! mutes, the lock, leaves and the end, in the product's frames.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::time::Duration;

use common::*;
use convene_sdk::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next frame whose `action` is `action` (others skipped), within 10 s.
async fn next(ws: &mut Ws, action: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["action"] == action {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("the socket ended waiting for {action}: {other:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {action} frame"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_socket_follows_a_meeting() {
    use base64::Engine;
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Followed", MediaType::Video, true))
        .await
        .unwrap();
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            is_mic_on: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let t: Value = server.control_token(&m.conf_id, &m.host_pwd).await;
    let token = t["data"]["token"].as_str().unwrap().to_owned();
    let ws_url = t["data"]["wsURL"].as_str().unwrap().to_owned();
    let tmp = t["data"]["tmpWsToken"].as_str().unwrap().to_owned();
    let url = |tmp: &str| format!("{ws_url}?confID={}&tmpToken={tmp}", m.conf_id);

    let (mut ws, _) = tokio_tungstenite::connect_async(url(&tmp)).await.unwrap();
    // A token is good once.
    assert!(tokio_tungstenite::connect_async(url(&tmp)).await.is_err());
    assert!(tokio_tungstenite::connect_async(url("forged")).await.is_err());
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(&token));
    let subscribe = json!({
        "sequence": "000000000000000000001",
        "action": "Subscribe",
        "data": json!({"subscribeType": ["ConfBasicInfoNotify", "ConfDynamicInfoNotify", "ParticipantsNotify",
                                         "AttendeesNotify", "WaitingListNotify", "InviteResultNotify"], "confToken": basic}).to_string(),
    });
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    let ok = next(&mut ws, "Subscribe").await;
    assert_eq!(ok["data"]["returnCode"], 0, "{ok}");
    assert_eq!(ok["sequence"], "000000000000000000001");

    // The whole meeting first.
    let basic_info = next(&mut ws, "ConfBasicInfoNotify").await;
    assert_eq!(
        (basic_info["msgMode"].clone(), basic_info["data"]["subject"].clone()),
        (json!(0), json!("Followed"))
    );
    assert_eq!(basic_info["confID"], m.conf_id.as_str());
    let dynamic = next(&mut ws, "ConfDynamicInfoNotify").await;
    assert_eq!(
        (dynamic["data"]["state"].clone(), dynamic["data"]["lock"].clone()),
        (json!("Created"), json!(0))
    );
    let people = next(&mut ws, "ParticipantsNotify").await;
    let host_pid = host.participant_id().0.to_string();
    assert_eq!(people["data"][0]["pid"], host_pid.as_str());
    assert_eq!(people["data"][0]["pinfoMap"]["ROLE"], "1");
    assert_eq!(people["data"][0]["pinfoMap"]["NAME"], "Olga Host");

    // A guest joins, is muted; the meeting is locked.
    let guest = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: m.guest_pwd.clone(),
            nick_name: "Gus".into(),
            is_mic_on: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let gus = guest.participant_id().0.to_string();
    let joined = next(&mut ws, "ParticipantsNotify").await;
    assert_eq!(joined["msgMode"], 1);
    assert_eq!(joined["data"][0]["pid"], gus.as_str());
    assert_eq!(
        (
            joined["data"][0]["mode"].clone(),
            joined["data"][0]["pinfoMap"]["NAME"].clone()
        ),
        (json!(0), json!("Gus"))
    );
    assert_eq!(joined["data"][0]["pinfoMap"]["MUTE"], "0");
    host.mute_attendee(guest.participant_id(), true).await.unwrap();
    let muted = next(&mut ws, "ParticipantsNotify").await;
    assert_eq!(
        (
            muted["data"][0]["pid"].clone(),
            muted["data"][0]["pinfoMap"]["MUTE"].clone()
        ),
        (json!(gus), json!("1"))
    );
    host.lock_conf(true).await.unwrap();
    let locked = next(&mut ws, "ConfDynamicInfoNotify").await;
    assert_eq!(
        (locked["msgMode"].clone(), locked["data"]["lock"].clone()),
        (json!(1), json!(1))
    );

    // An invitee known by a phone number alone cannot be rung.
    host.add_attendee(vec![AttendeeBaseInfo {
        nick_name: "Pat".into(),
        number: "+8613800000009".into(),
        ..Default::default()
    }])
    .await
    .unwrap();
    let result = next(&mut ws, "InviteResultNotify").await;
    assert_eq!(result["data"][0]["callNumber"], "+8613800000009", "{result}");
    assert_eq!(result["data"][0]["errorCode"], "unreachable");

    // A heartbeat is answered; the guest leaves; the host ends it.
    ws.send(Message::Text(
        json!({"action": "HeartBeat", "sequence": "2"}).to_string().into(),
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut ws, "HeartBeat").await["data"]["returnCode"], 0);
    guest.leave_conf();
    let left = next(&mut ws, "ParticipantsNotify").await;
    assert_eq!(
        (left["data"][0]["pid"].clone(), left["data"][0]["mode"].clone()),
        (json!(gus), json!(1))
    );
    host.end_conf().await.unwrap();
    let ended = next(&mut ws, "ConfDynamicInfoNotify").await;
    assert_eq!(ended["data"]["state"], "Destroyed");
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .unwrap();
    assert!(closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_needs_the_control_token() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Guarded", MediaType::Video, true))
        .await
        .unwrap();
    let _host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let t: Value = server.control_token(&m.conf_id, &m.host_pwd).await;
    let token = t["data"]["token"].as_str().unwrap();
    // wsToken: with the control token only.
    let r = http
        .get(format!("{}/v1/mmc/control/conferences/wsToken", server.url()))
        .query(&[("conferenceID", &m.conf_id)])
        .header("X-Conference-Authorization", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let w: Value = http
        .get(format!("{}/v1/mmc/control/conferences/wsToken", server.url()))
        .query(&[("conferenceID", &m.conf_id)])
        .header("X-Conference-Authorization", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tmp = w["webSocketToken"].as_str().unwrap();
    let url = format!(
        "{}?confID={}&tmpToken={tmp}",
        t["data"]["wsURL"].as_str().unwrap(),
        m.conf_id
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let subscribe = json!({"sequence": "1", "action": "Subscribe",
                           "data": json!({"subscribeType": ["ParticipantsNotify"], "confToken": "forged"}).to_string()});
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    let refused = next(&mut ws, "Subscribe").await;
    assert_eq!(refused["data"]["returnCode"], 1);
    assert!(matches!(
        tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap(),
        None | Some(Ok(Message::Close(_))) | Some(Err(_))
    ));
}

/// A program may follow a meeting before anyone is in it; the meeting's
/// session stays while it does, through the first guest's coming and going.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_meeting_can_be_followed_from_its_start() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Early", MediaType::Video, true))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let t: Value = server.control_token(&m.conf_id, &m.host_pwd).await;
    let token = t["data"]["token"].as_str().unwrap().to_owned();
    let url = format!(
        "{}?confID={}&tmpToken={}",
        t["data"]["wsURL"].as_str().unwrap(),
        m.conf_id,
        t["data"]["tmpWsToken"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let subscribe = json!({"sequence": "1", "action": "Subscribe",
                           "data": json!({"subscribeType": ["ParticipantsNotify", "ConfDynamicInfoNotify"], "confToken": token}).to_string()});
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    assert_eq!(next(&mut ws, "Subscribe").await["data"]["returnCode"], 0);
    let nobody = next(&mut ws, "ParticipantsNotify").await;
    assert_eq!(nobody["data"], json!([]));
    tokio::time::sleep(Duration::from_millis(300)).await;
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
    let came = next(&mut ws, "ParticipantsNotify").await;
    assert_eq!(came["data"][0]["pinfoMap"]["NAME"], "Gus");
    guest.leave_conf();
    let went = next(&mut ws, "ParticipantsNotify").await;
    assert_eq!(went["data"][0]["mode"], 1);
    // Still followed, though empty: stopped over REST, the end arrives.
    let r = http
        .put(format!("{}/v1/mmc/control/conferences/stop", server.url()))
        .query(&[("conferenceID", &m.conf_id)])
        .header("X-Conference-Authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        next(&mut ws, "ConfDynamicInfoNotify").await["data"]["state"],
        "Destroyed"
    );
}
