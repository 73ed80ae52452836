//! Issue 19: the REST control API's edges on a real server: the control
//! token's forms and lifetime, the in-meeting settings, refusals by name,
//! and the same actions over the participants' WebSocket.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::time::Duration;

use common::*;
use convene_sdk::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

async fn guest(server: &TestServer, conf_id: &str, pwd: &str, name: &str) -> Result<ConfSession, SdkError> {
    ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: conf_id.into(),
            password: pwd.into(),
            nick_name: name.into(),
            ..Default::default()
        })
        .await
}

#[tokio::test]
async fn control_token_forms_settings_and_refusals() {
    use base64::Engine;
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("REST control", MediaType::Video, true))
        .await
        .unwrap();
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let g = guest(&server, &m.conf_id, &m.guest_pwd, "Gus").await.unwrap();
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}/v1/mmc/control/conferences/{path}", server.url());
    let t: Value = http
        .get(url("token"))
        .query(&[("conferenceID", &m.conf_id)])
        .header("X-Password", &m.host_pwd)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = t["data"]["token"].as_str().unwrap().to_owned();
    assert_eq!(t["data"]["confTokenExpireTime"], 3600, "a duration in seconds");
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(&token));
    let call = |method: reqwest::Method, path: &str, auth: &str, body: Option<Value>| {
        let mut req = http
            .request(method, url(path))
            .query(&[("conferenceID", &m.conf_id)])
            .header("X-Conference-Authorization", auth);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    let answer = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        (status, body["error_code"].as_str().unwrap_or("").to_owned(), body)
    };

    // The Basic form of the token works as the token does.
    let (status, _, _) = answer(
        call(reqwest::Method::PUT, "lock", &basic, Some(json!({"isLock": 1})))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(g
        .wait_for(WAIT, |e| matches!(
            e,
            Event::OnMeetingInfoChanged { is_locked: true, .. }
        )
        .then_some(()))
        .await
        .is_some());

    // realTimeInfo: with the token only.
    let (status, code, _) = answer(
        call(reqwest::Method::GET, "realTimeInfo", "forged", None)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "USG.206020000"));
    let (_, _, info) = answer(call(reqwest::Method::GET, "realTimeInfo", &token, None).await.unwrap()).await;
    let gus = info["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Gus")
        .unwrap()["pid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(gus, g.participant_id().0.to_string());
    assert_eq!(info["confInfo"]["chairID"], host.participant_id().0.to_string());

    // In-meeting settings: who may join (invited only), then refusals by name.
    let (status, _, _) = answer(
        call(
            reqwest::Method::PUT,
            "updateStartedConfConfig",
            &token,
            Some(json!({"isLock": 0, "callInRestriction": 3})),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let refused = guest(&server, &m.conf_id, &m.guest_pwd, "Uninvited")
        .await
        .err()
        .unwrap();
    assert_eq!(refused.code, SdkErr::CMS_CONF_ONLY_ALLOW_USER_INVITED);
    for (body, want) in [
        (json!({"chatPermission": 4}), "chatPermission"),
        (json!({}), "no setting"),
        (json!({"callInRestriction": 1}), "callInRestriction"),
        (json!({"isLock": "yes"}), "isLock"),
    ] {
        let (status, code, b) = answer(
            call(
                reqwest::Method::PUT,
                "updateStartedConfConfig",
                &token,
                Some(body.clone()),
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!((status, code.as_str()), (400, "MMC.111071061"), "{body}");
        assert!(b["error_msg"].as_str().unwrap().contains(want), "{b}");
    }
    // Prolong needs `auto`; the longest extension is the meeting's rule.
    let (status, _, _) = answer(
        call(reqwest::Method::PUT, "duration", &token, Some(json!({"duration": 10})))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    // Hang-up of nobody, of an unknown participant.
    let (status, _, _) = answer(
        call(
            reqwest::Method::POST,
            "participants/delete",
            &token,
            Some(json!({"bulkHangUpParticipants": []})),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = answer(
        call(
            reqwest::Method::POST,
            "participants/delete",
            &token,
            Some(json!({"bulkHangUpParticipants": ["999999"]})),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 400);

    // The same actions over the WebSocket: a guest renames itself, not others.
    g.rename_attendee(g.participant_id(), "Gustav").await.unwrap();
    let other = g.rename_attendee(host.participant_id(), "Nobody").await.unwrap_err();
    assert_eq!(other.code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    assert!(host
        .wait_for_list(false, WAIT, |l| l.iter().any(|a| a.nick_name == "Gustav"))
        .await
        .is_some());
    // The host gives up the role; the meeting goes on without one until it
    // is taken back with the host password.
    host.release_host_role().await.unwrap();
    let (_, _, info) = answer(call(reqwest::Method::GET, "realTimeInfo", &token, None).await.unwrap()).await;
    assert_eq!(info["confInfo"]["chairID"], "");
    host.request_host_role(&m.host_pwd).await.unwrap();
    let (_, _, info) = answer(call(reqwest::Method::GET, "realTimeInfo", &token, None).await.unwrap()).await;
    assert_eq!(info["confInfo"]["chairID"], host.participant_id().0.to_string());

    // Stop without a body.
    let (status, _, _) = answer(call(reqwest::Method::PUT, "stop", &token, None).await.unwrap()).await;
    assert_eq!(status, 200);
}

/// `attendees/delete` takes attendees off the invited list (kept with the
/// meeting), and hangs up one that joined.
#[tokio::test]
async fn invited_attendees_are_taken_off_the_list() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let mut info = CreateConfInfo::new("Invited", MediaType::Video, true);
    info.attendees = ["+8613800000001", "+8613800000002"]
        .iter()
        .map(|n| AttendeeBaseInfo {
            nick_name: format!("Guest {n}"),
            number: (*n).into(),
            ..Default::default()
        })
        .collect();
    info.num_of_attendee = 2;
    let m = owner.create_conf_async(info).await.unwrap();
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let g = guest(&server, &m.conf_id, &m.guest_pwd, "Gus").await.unwrap();
    let http = reqwest::Client::new();
    let t: Value = server.control_token(&m.conf_id, &m.host_pwd).await;
    let token = t["data"]["token"].as_str().unwrap();
    let delete = |body: Value| {
        http.post(format!("{}/v1/mmc/control/conferences/attendees/delete", server.url()))
            .query(&[("conferenceID", &m.conf_id)])
            .header("X-Conference-Authorization", token)
            .json(&body)
            .send()
    };
    let r = delete(json!({"bulkDelAttendInfo": [{"number": "+8600000"}]}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "not invited");
    let r = delete(json!({"bulkDelAttendInfo": []})).await.unwrap();
    assert_eq!(r.status(), 400);
    let r = delete(json!({"bulkDelAttendInfo": [
        {"number": "+8613800000001", "participantID": g.participant_id().0.to_string()}
    ]}))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // Kept with the meeting; the one who joined is hung up.
    let detail = owner.conf_detail_async(&m.conf_id).await.unwrap();
    assert_eq!(detail.attendees.len(), 1);
    assert_eq!(detail.attendees[0].number, "+8613800000002");
    let ended = g
        .wait_for(WAIT, |e| match e {
            Event::OnConfEnded { reason, .. } => Some(reason.0),
            _ => None,
        })
        .await;
    assert_eq!(ended, Some(SdkErr::SDK_CONFCTRL_CONF_END_CHAIR_HANGUP));
    let info: Value = http
        .get(format!("{}/v1/mmc/control/conferences/realTimeInfo", server.url()))
        .query(&[("conferenceID", &m.conf_id)])
        .header("X-Conference-Authorization", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["attendees"].as_array().unwrap().len(), 1);
    drop(host);
}
