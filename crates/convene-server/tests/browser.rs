//! Issue 4 (web client, first part): the browser client in headless Debian
//! Chromium, driven by playwright-core (`web/tests/e2e.mjs`), against a real
//! server. Needs `/usr/bin/chromium` and Node.js (`.ci/run` installs
//! Chromium); the test installs playwright-core into `web/tests` itself.
//! Screenshots are kept in `target/browser-artifacts/`.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::path::PathBuf;

use common::{playwright, web_tests};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_and_guest_in_real_browsers() {
    tokio::task::spawn_blocking(playwright).await.unwrap();
    let server = common::TestServer::start().await;
    server.add_account("web-host", "Web Host").await;
    server.add_account("web-callee", "Web Callee").await;
    let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../browser-artifacts");
    // Screenshots of this run only.
    let _ = std::fs::remove_dir_all(&artifacts);
    let out = tokio::process::Command::new("node")
        .arg(web_tests().join("e2e.mjs"))
        .args([&server.url(), "web-host", common::PASSWORD])
        .arg(&artifacts)
        .arg("web-callee")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}
