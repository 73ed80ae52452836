//! convene's meeting minutes (`GET /v1/convene/minutes`): the product has
//! no REST API for minutes (spec §4), so this is convene's own, documented
//! in docs/DECISIONS.md. Every line comes from what the meeting recorded:
//! attendance, the active speaker's time, control actions, chat, recording.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A held meeting's minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Minutes {
    #[serde(rename = "confUUID")]
    pub conf_uuid: String,
    #[serde(rename = "confID")]
    pub conf_id: String,
    pub subject: String,
    /// Who scheduled it.
    pub scheduler_name: String,
    /// Its booked start and end (Unix ms).
    pub start_time: i64,
    pub end_time: i64,
    /// When the first participant came and the last one left (Unix ms;
    /// `None` if nobody came, or someone is still in it).
    pub held_from: Option<i64>,
    pub held_until: Option<i64>,
    /// The meeting is over: nothing will be added.
    pub complete: bool,
    pub attendance: Vec<MinutesAttendance>,
    /// Speaking time per participant (as the active speaker), most first.
    pub speaking: Vec<MinutesSpeaker>,
    pub control_log: Vec<MinutesControl>,
    pub chat: Vec<MinutesChat>,
    pub recordings: Vec<MinutesRecording>,
}

/// One stay of one participant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinutesAttendance {
    pub name: String,
    /// `host`, `cohost`, `attendee`, `audience` (the role it came in with).
    pub role: String,
    /// The product's client type (`normal`, `terminal`...).
    pub client_type: String,
    /// Unix ms.
    pub join_time: i64,
    pub left_time: Option<i64>,
    /// Seconds it was the active speaker.
    pub spoke_seconds: f64,
}

/// A participant's speaking time over all its stays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinutesSpeaker {
    pub name: String,
    pub seconds: f64,
    /// Its share of all speaking time, in percent.
    pub share: f64,
}

/// A control action (lock, mutes, removals, host changes, recording...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinutesControl {
    /// Unix ms.
    pub time: i64,
    /// Who did it (a participant's name, or `REST` for the control API).
    pub operator: String,
    /// The product SDK's name of the action (`lockConf`, `muteAttendee`...).
    pub action: String,
    /// Whom it was done to, if someone.
    pub object: String,
    /// 0 done; else the refusal's code.
    pub result: i64,
    pub detail: String,
}

/// A chat message (private ones name their receiver).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinutesChat {
    /// Unix ms.
    pub time: i64,
    pub from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub text: String,
}

/// One part of the meeting's recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinutesRecording {
    /// 1, 2... in order.
    pub part: i64,
    /// `capturing`, `queued`, `composing`, `ready`, `failed`.
    pub state: String,
    /// Unix ms.
    pub begin_time: i64,
    pub end_time: Option<i64>,
    /// The composed files (empty until ready).
    pub files: Vec<MinutesRecordingFile>,
    /// Why it failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where single-use download links are fetched (the product's call).
    pub download_urls_api: String,
}

/// A composed file of a recording part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinutesRecordingFile {
    pub file_type: String,
    pub duration_seconds: i64,
    pub bytes: i64,
    pub sha256: String,
}
