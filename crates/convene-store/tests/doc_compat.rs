//! Storage owns its documents: a meeting document and live settings
//! written by the code of 2026-12-04 (the serde form of core's `Meeting`,
//! before storage had types of its own) are read, and written again as the
//! same JSON (plus the version), so that no stored meeting is lost or
//! changed by a rename in the wire or core types.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use convene_proto::*;
use convene_store::doc::{decode_live, decode_meeting, encode_live, encode_meeting};
use serde_json::Value;

const DOC: &str = include_str!("fixtures/meeting-doc-2026-12-04.json");
const LIVE: &str = include_str!("fixtures/live-settings-2026-12-04.json");

#[test]
fn a_document_written_before_storage_owned_it_reads_and_writes_back_the_same() {
    let m = decode_meeting(DOC).unwrap();
    assert_eq!(m.owner_name, "Olga");
    assert_eq!(m.info.subject, "Doc \"fixture\" Ärzte");
    assert_eq!(m.info.media_type, MediaType::Video);
    assert_eq!(m.info.conf_allow_join_user, Some(ConfAllowJoinUserType::InCompanyUser));
    assert_eq!(m.info.auto_mute_mode, Some(AutoMuteType::Mute));
    assert_eq!(m.info.hard_terminal_auto_mute_mode, Some(AutoMuteType::Unmute));
    assert_eq!(m.info.attendees.len(), 2);
    assert_eq!(m.info.attendees[0].role, Some(ConfRole::Cohost));
    assert_eq!(m.info.attendees[0].email.as_deref(), Some("ivy@example.com"));
    assert_eq!(m.info.attendees[1].third_user_id, "tess-3p");
    assert_eq!(m.info.custom_info.as_deref(), Some("line1\nline2"));
    assert_eq!(m.options.record_type, 2);
    assert_eq!(m.options.prolong_length, 15);
    assert_eq!(m.guest_pwd.as_deref(), Some("123456"));
    assert_eq!(m.host_random.len(), 48);
    // Written again: the same document, with its version.
    let mut again: Value = serde_json::from_str(&encode_meeting(&m).unwrap()).unwrap();
    assert_eq!(again["v"], 1);
    again.as_object_mut().unwrap().remove("v");
    assert_eq!(again, serde_json::from_str::<Value>(DOC).unwrap());

    let live = decode_live(LIVE).unwrap();
    assert!(live.locked && !live.waiting_room_open);
    assert_eq!(live.mute_all, Some(false));
    assert_eq!(live.prolong_left, 5);
    assert_eq!(
        serde_json::from_str::<Value>(&encode_live(&live).unwrap()).unwrap(),
        serde_json::from_str::<Value>(LIVE).unwrap()
    );
}

#[test]
fn a_document_from_newer_code_or_with_unknown_numbers_is_refused_not_guessed() {
    let mut newer: Value = serde_json::from_str(DOC).unwrap();
    newer["v"] = 2.into();
    assert!(decode_meeting(&newer.to_string()).is_err());
    let mut odd: Value = serde_json::from_str(DOC).unwrap();
    odd["info"]["mediaType"] = 9.into();
    assert!(decode_meeting(&odd.to_string()).is_err());
}
