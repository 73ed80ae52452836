//! Issue 19: an enterprise's webhook is set by its administrators, and
//! enabling it sends a signed `meeting.verify` that a receiver started by
//! the test checks and must echo.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{json, Value};

const KEY: &str = "subscriber-key-0123456789";

#[derive(serde::Deserialize)]
struct Push<'a> {
    #[serde(rename = "appID")]
    app_id: String,
    timestamp: i64,
    nonce: String,
    signature: String,
    #[serde(rename = "eventInfo", borrow)]
    event_info: &'a serde_json::value::RawValue,
}

/// A receiver on 127.0.0.1: checks each push's signature over the exact
/// `eventInfo` bytes, keeps the events, and answers `meeting.verify` by
/// echoing its nonce (`/good`) or not (`/bad`).
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    use hmac::Mac;
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let kept = seen.clone();
    let answer = move |echo: bool, body: axum::body::Bytes| {
        let kept = kept.clone();
        async move {
            let p: Push = serde_json::from_slice(&body).unwrap();
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
            mac.update(format!("{}{}{}{}", p.app_id, p.timestamp, p.nonce, p.event_info.get()).as_bytes());
            assert_eq!(
                p.signature,
                hex::encode(mac.finalize().into_bytes()),
                "the signature holds"
            );
            let event: Value = serde_json::from_str(p.event_info.get()).unwrap();
            kept.lock().unwrap().push(event);
            let nonce = if echo { p.nonce } else { "something else".into() };
            axum::Json(json!({"event": "meeting.verify", "nonce": nonce}))
        }
    };
    let (a, b) = (answer.clone(), answer);
    let app = axum::Router::new()
        .route("/good", axum::routing::post(move |body| a(true, body)))
        .route("/bad", axum::routing::post(move |body| b(false, body)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_and_enables_a_verified_webhook() {
    let server = TestServer::start().await;
    server.add_account("boss", "The Admin").await;
    server.add_account("plain", "Not Admin").await;
    let boss = server.running.store.user_by_account("boss").await.unwrap().unwrap();
    server.running.store.set_admin(&boss.id, true).await.unwrap();
    let token = |who: &'static str| {
        let server = &server;
        async move { server.client(who).await.access_token().unwrap() }
    };
    let (admin, plain) = (token("boss").await, token("plain").await);
    let (base, seen) = receiver().await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}/v1/mmc/management/webhook/{p}", server.url());
    let call = |m: reqwest::Method, path: String, who: &str, body: Option<Value>| {
        let mut r = http.request(m, path).header("X-Access-Token", who);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    let config = |u: &str| json!({"subscriberId": "corp-hooks", "subscriberKey": KEY, "url": u});

    // Administrators only; bad configurations refused.
    let r = call(
        reqwest::Method::POST,
        url("link-config"),
        &plain,
        Some(config(&format!("{base}/good"))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    for bad in [
        json!({"subscriberId": "corp-hooks", "subscriberKey": KEY, "url": "ftp://x/"}),
        json!({"subscriberId": "corp-hooks", "subscriberKey": "short", "url": format!("{base}/good")}),
        json!({"subscriberKey": KEY, "url": format!("{base}/good")}),
    ] {
        let r = call(reqwest::Method::POST, url("link-config"), &admin, Some(bad.clone()))
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = call(reqwest::Method::GET, url("link-config"), &admin, None)
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "none yet");

    // Set, not started; enabled once the receiver echoes the signed verify.
    let r = call(
        reqwest::Method::POST,
        url("link-config"),
        &admin,
        Some(config(&format!("{base}/good"))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let shown: Value = call(reqwest::Method::GET, url("link-config"), &admin, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (shown["status"].clone(), shown["subscriberId"].clone()),
        (json!(1), json!("corp-hooks"))
    );
    assert!(!shown.to_string().contains(KEY), "the key is never shown");
    let id = shown["id"].as_str().unwrap().to_owned();
    let status = |id: &str, s: i64| url(&format!("change-status?id={id}&status={s}"));
    let r = call(reqwest::Method::PUT, status(&id, 9), &admin, None).await.unwrap();
    assert_eq!(r.status(), 400);
    let r = call(reqwest::Method::PUT, status("nope", 0), &admin, None)
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = call(reqwest::Method::PUT, status(&id, 0), &admin, None).await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    {
        let events = seen.lock().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["event"], "meeting.verify");
        assert!(events[0].get("payload").is_none());
    }
    let shown: Value = call(reqwest::Method::GET, url("link-config"), &admin, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], 0);

    // A receiver that does not echo the nonce is not enabled.
    call(
        reqwest::Method::POST,
        url("link-config"),
        &admin,
        Some(config(&format!("{base}/bad"))),
    )
    .await
    .unwrap();
    let shown: Value = call(reqwest::Method::GET, url("link-config"), &admin, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = shown["id"].as_str().unwrap().to_owned();
    let r = call(reqwest::Method::PUT, status(&id, 0), &admin, None).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("nonce"));
    let shown: Value = call(reqwest::Method::GET, url("link-config"), &admin, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], 1);
    // Locked, then deleted.
    let r = call(reqwest::Method::PUT, status(&id, 2), &admin, None).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = call(
        reqwest::Method::DELETE,
        url(&format!("link-config?id={id}")),
        &admin,
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = call(reqwest::Method::GET, url("link-config"), &admin, None)
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// What the events receiver kept: each push's `X-Request-ID` and event.
type Pushes = Arc<Mutex<Vec<(String, Value)>>>;

/// A receiver of events at `/events`: checks every signature, keeps every
/// push, refuses the first one after `meeting.verify` (HTTP 503) and takes
/// the rest (200, no body); echoes `meeting.verify`.
async fn events_receiver() -> (String, Pushes) {
    use hmac::Mac;
    use std::sync::atomic::{AtomicBool, Ordering};
    let seen: Pushes = Arc::default();
    let kept = seen.clone();
    let refused_one = Arc::new(AtomicBool::new(false));
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (kept, refused_one) = (kept.clone(), refused_one.clone());
            async move {
                let p: Push = serde_json::from_slice(&body).unwrap();
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
                mac.update(format!("{}{}{}{}", p.app_id, p.timestamp, p.nonce, p.event_info.get()).as_bytes());
                assert_eq!(p.signature, hex::encode(mac.finalize().into_bytes()));
                let event: Value = serde_json::from_str(p.event_info.get()).unwrap();
                if event["event"] == "meeting.verify" {
                    return (
                        axum::http::StatusCode::OK,
                        json!({"event": "meeting.verify", "nonce": p.nonce}).to_string(),
                    );
                }
                let id = headers["x-request-id"].to_str().unwrap().to_owned();
                kept.lock().unwrap().push((id, event));
                if !refused_one.swap(true, Ordering::SeqCst) {
                    return (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::new());
                }
                (axum::http::StatusCode::OK, String::new())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/events"), seen)
}

/// The events pushed of meeting `conf_id`, in arrival order.
fn of(seen: &Pushes, conf_id: &str) -> Vec<(String, Value)> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(_, e)| e["payload"]["meetingInfo"]["meetingID"] == conf_id)
        .cloned()
        .collect()
}

fn names(events: &[(String, Value)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, e)| e["event"].as_str().unwrap().to_owned())
        .collect()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Events of a meeting's whole life reach the receiver signed and in
/// order; a refused push is retried on the product's schedule (30 s) with
/// the same `X-Request-ID`, and holds back its meeting's later events but
/// not other meetings'.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meetings_events_arrive_signed_in_order_and_a_refused_one_is_retried() {
    use convene_sdk::*;
    let server = TestServer::start().await;
    server.add_account("boss", "The Admin").await;
    let boss = server.running.store.user_by_account("boss").await.unwrap().unwrap();
    server.running.store.set_admin(&boss.id, true).await.unwrap();
    let owner = server.client("boss").await;
    let admin = owner.access_token().unwrap();

    // Before a subscription is enabled nothing is stored for it.
    let before = owner
        .create_conf_async(CreateConfInfo::new("Unseen", MediaType::Audio, true))
        .await
        .unwrap();
    let before = server
        .running
        .store
        .meeting_by_conf_id(&convene_core::ConfId(before.conf_id.clone()), now())
        .await
        .unwrap()
        .unwrap();
    assert!(server
        .running
        .store
        .events_of(&before.conf_uuid)
        .await
        .unwrap()
        .is_empty());

    let (url, seen) = events_receiver().await;
    let http = reqwest::Client::new();
    let base = format!("{}/v1/mmc/management/webhook", server.url());
    let r = http
        .post(format!("{base}/link-config"))
        .header("X-Access-Token", &admin)
        .json(&json!({"subscriberId": "corp-hooks", "subscriberKey": KEY, "url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let shown: Value = http
        .get(format!("{base}/link-config"))
        .header("X-Access-Token", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = http
        .put(format!(
            "{base}/change-status?id={}&status=0",
            shown["id"].as_str().unwrap()
        ))
        .header("X-Access-Token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // Meeting A: created (its create is refused once), held, ended.
    let a = owner
        .create_conf_async(CreateConfInfo::new("Held", MediaType::Audio, true))
        .await
        .unwrap();
    wait_until("A's refused create", || !of(&seen, &a.conf_id).is_empty()).await;
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: a.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let guest = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: a.conf_id.clone(),
            password: a.guest_pwd.clone(),
            nick_name: "Gus".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    guest.leave_conf();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    host.end_conf().await.unwrap();

    // Meeting B meanwhile: booked, edited, cancelled; its events are not
    // held up by A's.
    let start = server.running.clock.now() + 86_400;
    let info = CreateConfInfo::new("Booked", MediaType::Audio, true);
    let b = owner
        .book_conf_async(BookConfParam {
            start_time: start,
            duration: 30,
            time_zone_id: None,
            conf_common_param: info.clone(),
        })
        .await
        .unwrap();
    owner
        .modify_conf_async(
            &b.conf_id,
            BookConfParam {
                start_time: start + 600,
                duration: 30,
                time_zone_id: None,
                conf_common_param: info,
            },
        )
        .await
        .unwrap();
    owner.cancel_conf_async(&b.conf_id).await.unwrap();
    wait_until("B's three events", || of(&seen, &b.conf_id).len() == 3).await;
    assert_eq!(
        names(&of(&seen, &b.conf_id)),
        ["meeting.create", "meeting.modify", "meeting.cancel"]
    );
    assert_eq!(
        names(&of(&seen, &a.conf_id)),
        ["meeting.create"],
        "A's later events wait behind its refused one"
    );

    // 30 s later (the test clock) the refused one goes again, then the rest.
    server.running.clock.advance(31);
    let expected = [
        "meeting.create",
        "meeting.create",
        "meeting.started",
        "meeting.join",
        "meeting.join",
        "meeting.left",
        "meeting.left",
        "meeting.end",
        "meeting.conclude",
    ];
    wait_until("A's events", || of(&seen, &a.conf_id).len() == expected.len()).await;
    let events = of(&seen, &a.conf_id);
    assert_eq!(names(&events), expected);
    assert_eq!(events[0].0, events[1].0, "a retry has its first attempt's X-Request-ID");
    let ids: std::collections::BTreeSet<_> = events[1..].iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), expected.len() - 1, "one ID per event");
    let who = |i: usize| events[i].1["payload"]["attendeeInfo"].clone();
    assert_eq!(who(3)["displayName"], "The Admin");
    assert_eq!(who(3)["role"], "CHAIR");
    assert_eq!(who(3)["userUUID"], boss.id.as_str());
    assert_eq!(who(4)["displayName"], "Gus");
    assert_eq!(who(4)["userUUID"], "");
    assert_eq!(who(5)["displayName"], "Gus", "the guest left first");
    assert!(who(5)["leftTime"].as_i64().unwrap() >= who(5)["joinTime"].as_i64().unwrap());
    assert_ne!(who(5)["leftTime"], 0);
    for (_, e) in &events {
        assert!(e["timestamp"].as_i64().unwrap() > 1_600_000_000_000, "milliseconds");
        assert_eq!(e["payload"]["meetingInfo"]["meetingCycleSubID"], "");
    }
    // Delivered events leave the outbox.
    let a_uuid = server
        .running
        .store
        .meeting_by_conf_id(&convene_core::ConfId(a.conf_id.clone()), now())
        .await
        .unwrap()
        .unwrap()
        .conf_uuid;
    let mut left = server.running.store.events_of(&a_uuid).await.unwrap();
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        left = server.running.store.events_of(&a_uuid).await.unwrap();
    }
    assert!(left.is_empty(), "{left:?}");
}
