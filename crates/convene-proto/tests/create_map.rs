//! The shared fixtures of `CreateConfInfo` ↔ REST (`tests/fixtures/create_map.json`):
//! the Rust mapping both ways. The JS SDK's `toRestSchedule` is held to the
//! same fixtures by `web/tests/create_map.mjs`, which
//! `crates/convene-server/tests/js_sdk.rs` runs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on what cannot happen.

use std::path::{Path, PathBuf};

use convene_proto::create_map::create_info_from_rest;
use convene_proto::rest::RestScheduleConfDto;
use convene_proto::CreateConfInfo;
use serde_json::Value;

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/create_map.json")
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 5, "the fixtures lost their cases");
    cases
}

#[test]
fn rust_maps_every_fixture_both_ways() {
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let info: CreateConfInfo = serde_json::from_value(case["createConfInfo"].clone()).unwrap();
        let rest = serde_json::to_value(RestScheduleConfDto::from(&info)).unwrap();
        assert_eq!(rest, case["rest"], "{name}: CreateConfInfo -> REST");

        let dto: RestScheduleConfDto = serde_json::from_value(case["rest"].clone()).unwrap();
        let (back, _options) = create_info_from_rest(dto).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let expected = case.get("readBack").unwrap_or(&case["createConfInfo"]);
        let expected: CreateConfInfo = serde_json::from_value(expected.clone()).unwrap();
        assert_eq!(back, expected, "{name}: REST -> CreateConfInfo");
    }
}
