//! Issue 16: arbitrary JSON values, strings and numbers thrown at the create
//! body, the REST control bodies and every WebSocket message. Whatever comes
//! in: never a 5xx, never a panic (the server keeps answering), always the
//! product's JSON error shape, and nothing stored for a refusal.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use common::*;
use futures::{SinkExt, StreamExt};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};
use tokio_tungstenite::tungstenite::Message;

/// Any JSON value, with the values the API reads most often over-weighted
/// (0/1, empty and hostile strings, huge numbers).
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![Just(0i64), Just(1), Just(-1), Just(i64::MAX), Just(i64::MIN)].prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,24}".prop_map(Value::String),
        prop_oneof![
            Just(""),
            Just("0"),
            Just("1"),
            Just("\u{0}"),
            Just("x\u{202E}y"),
            Just("\u{200B}"),
            Just("2020-01-01 00:00"),
            Just("123456789"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((".{0,10}", inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

const CREATE_FIELDS: &[&str] = &[
    "subject",
    "mediaTypes",
    "length",
    "startTime",
    "attendees",
    "isAutoRecord",
    "recordType",
    "confConfigInfo",
    "vmrFlag",
    "vmrID",
    "concurrentParticipants",
    "confResType",
    "customInfo",
    "defaultSummaryState",
    "isMicOn",
    "confAllowJoinUser",
    "numOfAttendee",
    "vmrIDType",
    "timeZoneID",
];

/// A create body: a valid one with one field (or the whole body) replaced.
fn create_body() -> impl Strategy<Value = Value> {
    let valid = json!({"subject": "Prop", "mediaTypes": "Voice,HDVideo", "length": 30});
    prop_oneof![
        3 => (prop::sample::select(CREATE_FIELDS), any_json()).prop_map(move |(k, v)| {
            let mut b = valid.clone();
            b[k] = v;
            b
        }),
        1 => any_json(),
    ]
}

fn check_error_shape(status: u16, body: &str) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "a {status}: {body}");
    if status >= 400 {
        let v: Value = serde_json::from_str(body).map_err(|_| TestCaseError::fail(format!("not JSON: {body}")))?;
        prop_assert!(v["error_code"].is_string() && v["error_msg"].is_string(), "{body}");
    }
    Ok(())
}

#[test]
fn arbitrary_rest_bodies_never_break_the_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(TestServer::start());
    rt.block_on(server.add_account("prop", "Prop"));
    let client = rt.block_on(server.client("prop"));
    let token = client.access_token().unwrap();
    let http = reqwest::Client::new();
    let base = server.url();
    let count = |http: &reqwest::Client| {
        let http = http.clone();
        let (base, token) = (base.clone(), token.clone());
        async move {
            let v: Value = http
                .get(format!("{base}/v1/mmc/management/conferences"))
                .query(&[("includeEnded", "true"), ("limit", "1")])
                .header("X-Access-Token", token.as_str())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["count"].as_i64().unwrap()
        }
    };
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&create_body(), |body| {
            rt.block_on(async {
                let before = count(&http).await;
                let res = http
                    .post(format!("{base}/v1/mmc/management/conferences"))
                    .header("X-Access-Token", token.as_str())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let text = res.text().await.unwrap();
                check_error_shape(status, &text)?;
                let after = count(&http).await;
                if status >= 400 {
                    prop_assert_eq!(after, before, "a refused create stored something: {}", body);
                } else {
                    // Free the room it may hold for the next case.
                    let v: Value = serde_json::from_str(&text).unwrap();
                    let id = v[0]["conferenceID"].as_str().unwrap_or_default().to_owned();
                    http.delete(format!("{base}/v1/mmc/management/conferences"))
                        .query(&[("conferenceID", id.as_str())])
                        .header("X-Access-Token", token.as_str())
                        .send()
                        .await
                        .unwrap();
                }
                Ok(())
            })
        })
        .unwrap();

    // The control bodies, on a running meeting with its control token.
    let m = rt.block_on(client.create_conf_async(convene_sdk::CreateConfInfo::new(
        "Control",
        convene_sdk::MediaType::Video,
        true,
    )));
    let m = m.unwrap();
    let ctl: Value = rt.block_on(async {
        http.get(format!("{base}/v1/mmc/control/conferences/token"))
            .query(&[("conferenceID", m.conf_id.as_str())])
            .header("X-Password", m.host_pwd.as_str())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let ctl = ctl["data"]["token"].as_str().unwrap().to_owned();
    let paths = [
        "lock",
        "mute",
        "participants/mute",
        "participants/cohost",
        "allowWaitingParticipant",
    ];
    let strategy = (prop::sample::select(paths.to_vec()), any_json(), ".{0,12}");
    runner
        .run(&strategy, |(path, body, participant)| {
            rt.block_on(async {
                let res = http
                    .put(format!("{base}/v1/mmc/control/conferences/{path}"))
                    .query(&[
                        ("conferenceID", m.conf_id.as_str()),
                        ("participantID", participant.as_str()),
                    ])
                    .header("X-Conference-Authorization", ctl.as_str())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                check_error_shape(status, &res.text().await.unwrap())
            })
        })
        .unwrap();
    // Still answering.
    let ok = rt.block_on(async { http.get(format!("{base}/healthz")).send().await.unwrap().status() });
    assert!(ok.is_success());
}

/// A WebSocket message: a known type with arbitrary fields, or anything.
fn ws_message() -> impl Strategy<Value = Value> {
    let types = [
        "join",
        "resume",
        "control",
        "leave",
        "mediaOffer",
        "mediaAnswer",
        "mediaClose",
        "nonsense",
    ];
    let actions = [
        "muteAttendee",
        "muteAllAttendee",
        "setCamera",
        "raiseHand",
        "setCohostRight",
        "grantHostRole",
        "requestHostRole",
        "lockConf",
        "hangupAttendee",
        "allowWaitingAttendeeEnter",
        "allowAllWaitingAttendeeEnter",
        "moveToWaitingRoom",
        "openWaitingRoom",
        "extendConf",
        "endConf",
    ];
    prop_oneof![
        3 => (
            prop::sample::select(types.to_vec()),
            prop::sample::select(actions.to_vec()),
            prop::collection::vec((".{0,12}", any_json()), 0..4),
            any::<u32>(),
        )
            .prop_map(|(t, a, fields, req_id)| {
                let mut m: Map<String, Value> = fields.into_iter().collect();
                m.insert("type".into(), json!(t));
                m.insert("action".into(), json!(a));
                m.insert("reqId".into(), json!(req_id));
                Value::Object(m)
            }),
        1 => any_json(),
    ]
}

#[test]
fn arbitrary_websocket_messages_never_break_the_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(TestServer::start());
    rt.block_on(server.add_account("prop", "Prop"));
    let client = rt.block_on(server.client("prop"));
    let m = rt
        .block_on(client.create_conf_async(convene_sdk::CreateConfInfo::new(
            "WS",
            convene_sdk::MediaType::Video,
            true,
        )))
        .unwrap();
    let ws_url = format!("{}/v1/convene/ws", server.url().replacen("http", "ws", 1));
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (any::<bool>(), prop::collection::vec(ws_message(), 1..4));
    runner
        .run(&strategy, |(joined_first, msgs)| {
            rt.block_on(async {
                let (mut ws, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await.unwrap();
                if joined_first {
                    let join = json!({"type": "join", "confId": m.conf_id, "password": m.guest_pwd,
                        "nickName": "Prop", "isMicOn": false, "isCameraOn": false});
                    ws.send(Message::Text(join.to_string().into())).await.unwrap();
                }
                for msg in &msgs {
                    if ws.send(Message::Text(msg.to_string().into())).await.is_err() {
                        break;
                    }
                }
                // Every answer is a message of the protocol; errors carry a code.
                while let Ok(Some(Ok(reply))) =
                    tokio::time::timeout(std::time::Duration::from_millis(150), ws.next()).await
                {
                    if let Message::Text(t) = reply {
                        let v: Value =
                            serde_json::from_str(&t).map_err(|_| TestCaseError::fail(format!("not JSON: {t}")))?;
                        prop_assert!(v["type"].is_string(), "{t}");
                        if v["type"] == "error" || v["type"] == "mediaError" {
                            prop_assert!(v["ret"].is_i64(), "{t}");
                        }
                    }
                }
                Ok(())
            })
        })
        .unwrap();
    // The meeting and the server are still there: its owner joins (guests
    // from this address may have guessed themselves into a lockout).
    let s = rt.block_on(client.join_conf_by_id_async(convene_sdk::JoinConfByIdInfo {
        conf_id: m.conf_id.clone(),
        nick_name: "After".into(),
        ..Default::default()
    }));
    assert_eq!(s.unwrap().role(), convene_sdk::ConfRole::Host);
}
