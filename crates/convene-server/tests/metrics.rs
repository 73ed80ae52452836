//! Issue 19: `/metrics` in the Prometheus text format, parsed by the
//! Prometheus project's own parser (Python's prometheus_client), moves as a
//! meeting runs; `/healthz` and `/readyz` answer.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::time::Duration;

use common::*;
use convene_sdk::*;
use serde_json::Value;

struct Scrape(Vec<(String, serde_json::Map<String, Value>, f64)>);

impl Scrape {
    /// The sum of the samples named `name` whose labels include `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).and_then(Value::as_str) == Some(*v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }
}

async fn scrape(python: &std::path::Path, server: &TestServer) -> Scrape {
    let res = reqwest::get(format!("{}/metrics", server.url())).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    let mut child = tokio::process::Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/parse_metrics.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncWriteExt;
    child.stdin.take().unwrap().write_all(text.as_bytes()).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "{}\n{text}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<(String, serde_json::Map<String, Value>, f64)> = serde_json::from_slice(&out.stdout).unwrap();
    Scrape(rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_as_a_meeting_runs() {
    let python = tokio::task::spawn_blocking(python_venv).await.unwrap();
    let server = TestServer::start().await;
    for path in ["/healthz", "/readyz"] {
        let r = reqwest::get(format!("{}{path}", server.url())).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Metered", MediaType::Video, true))
        .await
        .unwrap();
    let before = scrape(&python, &server).await;
    let created = before.get(
        "convene_http_requests_total",
        &[
            ("route", "/v1/mmc/management/conferences"),
            ("method", "POST"),
            ("status", "200"),
        ],
    );
    assert!(created >= 1.0, "the create was counted by its route");
    assert!(before.get("convene_process_resident_memory_bytes", &[]) > 1e6);
    assert!(
        before.get(
            "convene_http_request_duration_seconds_count",
            &[("route", "/v1/mmc/management/conferences")]
        ) >= 1.0
    );

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
    let wrong = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: "000000".into(),
            nick_name: "Wrong".into(),
            ..Default::default()
        })
        .await
        .err()
        .unwrap();
    host.lock_conf(true).await.unwrap();
    let during = scrape(&python, &server).await;
    let joins = |s: &Scrape| s.get("convene_joins_total", &[("result", "ok")]);
    assert_eq!(joins(&during) - joins(&before), 2.0);
    let refused = wrong.code.name().unwrap();
    assert_eq!(
        during.get("convene_joins_total", &[("result", refused)]),
        1.0,
        "by its code"
    );
    assert_eq!(during.get("convene_meetings_running", &[]), 1.0);
    assert_eq!(during.get("convene_participants", &[("state", "admitted")]), 2.0);
    assert!(during.get("convene_control_seconds_count", &[]) >= 1.0);
    assert!(during.get("convene_store_commit_seconds_count", &[]) >= 1.0);
    assert_eq!(during.get("convene_meetings_booked", &[]), 0.0);

    // The guest leaves: one participant fewer.
    guest.leave_conf();
    let mut after = scrape(&python, &server).await;
    for _ in 0..50 {
        if after.get("convene_participants", &[("state", "admitted")]) == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&python, &server).await;
    }
    assert_eq!(after.get("convene_participants", &[("state", "admitted")]), 1.0);
    drop(host);
}
