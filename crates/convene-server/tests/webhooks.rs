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
