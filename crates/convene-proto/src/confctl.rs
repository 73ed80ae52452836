//! The product's per-meeting event WebSocket (spec §6.2): its frames, as a
//! host-side program reads them.

use serde::{Deserialize, Serialize};

/// `GET .../control/conferences/wsToken`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WsTokenResponse {
    pub web_socket_token: String,
}

/// Every frame: `msgMode` 0 a whole view, 1 what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame<T> {
    pub action: String,
    pub version: String,
    /// Unix milliseconds.
    pub create_time: i64,
    #[serde(rename = "msgID")]
    pub msg_id: String,
    pub msg_mode: u8,
    #[serde(rename = "confID")]
    pub conf_id: String,
    pub data: T,
}

/// The answer to `Subscribe` or `HeartBeat` (or an `Error`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub action: String,
    pub sequence: serde_json::Value,
    pub data: ReplyData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyData {
    pub return_code: i64,
    pub return_desc: String,
}

/// `ConfBasicInfoNotify.data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicInfo {
    #[serde(rename = "confID")]
    pub conf_id: String,
    pub subject: String,
    /// Unix milliseconds.
    pub schedule_start_time: i64,
    pub schedule_end_time: i64,
    pub scheduser_name: String,
    /// "Video" or "Voice".
    pub media_type: String,
}

/// `ConfDynamicInfoNotify.data` (the fields convene has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamicInfo {
    /// Unix milliseconds.
    pub end_time: i64,
    /// Always "FREE" (no broadcast or roll call).
    pub mode: String,
    /// "Created" or "Destroyed".
    pub state: String,
    pub lock: i64,
    /// 1 while "mute all" holds.
    pub mute: i64,
    /// Whether guests may unmute themselves.
    pub can_unmute: i64,
    /// 1 while the meeting is recorded.
    pub rec_state: i64,
    /// 1 once it has been recorded (this session).
    pub rec_occurred: i64,
}

/// One entry of `ParticipantsNotify` or `WaitingListNotify`: `mode` 0
/// refresh (added or changed), 1 remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantEntry {
    pub pid: String,
    pub mode: u8,
    pub pinfo_map: Option<PInfo>,
}

/// A participant's `pinfoMap` (every value a string, as the product has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct PInfo {
    pub name: String,
    /// "1" host, "0" guest, "2" audience.
    pub role: String,
    /// "0" in the meeting, "3" reconnecting.
    pub state: String,
    pub hand: String,
    /// "1" muted.
    pub mute: String,
    pub video: String,
    pub is_cohost: String,
    pub anonymous: String,
    pub account: String,
}

/// One entry of `AttendeesNotify`: an invited attendee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitedEntry {
    pub name: String,
    pub phone: String,
    /// 1 invited as host.
    pub role: i64,
}

/// One entry of `SpeakerChangeNotify.data` (the loudest participant; the
/// product lists up to three).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpeakerEntry {
    pub pid: String,
    pub name: String,
    /// 0 (silence) to 100: the order of speakers.
    pub speaking_volume: i64,
}

/// One entry of `InviteResultNotify.data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteResultEntry {
    /// The invitee's number (its name when it has none).
    pub call_number: String,
    pub name: String,
    /// "0": answered (joined); else why not (`declined`, `noAnswer`,
    /// `unreachable`, `cancelled`). The product's example names it
    /// `resultCode`, its table `errorCode`: both are sent.
    pub error_code: String,
    pub result_code: String,
}
