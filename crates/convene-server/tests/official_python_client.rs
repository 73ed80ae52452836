//! Issue 2: the product's own official REST client (PyPI
//! `huaweicloudsdkmeeting`, pinned below) logs in both ways and creates,
//! lists, shows and cancels meetings against convene over HTTPS, unchanged.
//! The test makes its own venv (kept in the target folder between runs).

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::path::PathBuf;
use std::process::Command;

const PACKAGES: &[&str] = &[
    "huaweicloudsdkmeeting==3.1.219",
    "huaweicloudsdkcore==3.1.219",
];

fn venv() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("official-python-client");
    let python = dir.join("bin/python");
    let marker = dir.join(".installed");
    if marker.exists() {
        return python;
    }
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .status()
        .expect("python3 on PATH");
    assert!(ok.success(), "python3 -m venv failed");
    let ok = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PACKAGES)
        .status()
        .unwrap();
    assert!(ok.success(), "pip install {PACKAGES:?} failed");
    std::fs::write(&marker, PACKAGES.join("\n")).unwrap();
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_works_unchanged() {
    let python = tokio::task::spawn_blocking(venv).await.unwrap();
    let server = common::TestServer::start().await;
    server.add_account("py-account", "Python Account").await;
    let key = server.add_app("py-app").await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/official_client.py"
    );
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([
            &server.https_url(),
            "py-account",
            common::PASSWORD,
            "py-app",
            &key,
        ])
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
