//! The JS SDK (`web/sdk/`, served by this crate) checked with Node.js
//! (`.ci/run` installs it): its CreateConfInfo -> REST mapping against the
//! fixtures the Rust mapping is held to, and its meeting connection's states
//! against a scripted server. The browser test drives it against a real one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on what cannot happen.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `node web/tests/{script} args..`; passes when it exits 0 having
/// printed "ok {name}" for each of `expect`.
fn node(script: &str, args: &[PathBuf], expect: &[String]) {
    let out = std::process::Command::new("node")
        .arg(root().join("web/tests").join(script))
        .args(args)
        .output()
        .expect("this test needs Node.js (apt-get install nodejs, as .ci/run does)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
    for name in expect {
        assert!(
            text.lines().any(|l| l == format!("ok {name}")),
            "{script} did not check {name:?}:\n{text}"
        );
    }
}

#[test]
fn js_sdk_maps_create_conf_info_as_rust_does() {
    let fixture = root().join("crates/convene-proto/tests/fixtures/create_map.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
    let names: Vec<String> = ["cases", "bookings"]
        .iter()
        .flat_map(|k| doc[*k].as_array().unwrap().iter())
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.len() >= 7);
    node("create_map.mjs", &[fixture], &names);
}

#[test]
fn js_sdk_meeting_connection_states() {
    let expect = [
        "a refused join is idle again",
        "events once each, across a resume; calls made meanwhile go out once back",
        "leaving while reconnecting fails what waited and stops trying",
        "a place the server no longer keeps is lost",
        "after leaving, pending answers still arrive; the close ends it",
    ];
    node("session.mjs", &[], &expect.map(String::from));
}
