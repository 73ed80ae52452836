//! The shared fixtures of `CreateConfInfo` ↔ REST (`tests/fixtures/create_map.json`):
//! the Rust mapping both ways. The JS SDK's `toRestSchedule` is held to the
//! same fixtures by `web/tests/create_map.mjs`, which
//! `crates/convene-server/tests/js_sdk.rs` runs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on what cannot happen.

use std::path::{Path, PathBuf};

use convene_proto::create_map::create_info_from_rest;
use convene_proto::rest::RestScheduleConfDto;
use convene_proto::{BookConfParam, CreateConfInfo};
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

#[test]
fn rust_maps_every_booking_fixture_both_ways() {
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let bookings = doc["bookings"].as_array().unwrap();
    assert!(bookings.len() >= 2);
    for case in bookings {
        let name = case["name"].as_str().unwrap();
        let param: BookConfParam = serde_json::from_value(case["bookConfParam"].clone()).unwrap();
        let rest = serde_json::to_value(RestScheduleConfDto::from(&param)).unwrap();
        assert_eq!(rest, case["rest"], "{name}: bookConf -> REST");
        let dto: RestScheduleConfDto = serde_json::from_value(case["rest"].clone()).unwrap();
        let (info, options) = create_info_from_rest(dto).unwrap();
        let start = options
            .start_time
            .as_deref()
            .and_then(convene_proto::time::parse_rest_time);
        assert_eq!(start, Some(param.start_time - param.start_time % 60), "{name}");
        assert_eq!(info.duration, Some(param.duration), "{name}");
        assert_eq!(options.time_zone_id, param.time_zone_id, "{name}");
        assert_eq!(info.subject, param.conf_common_param.subject, "{name}");
    }
}
