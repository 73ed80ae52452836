//! The product's cloud recording API (spec §3.2), with its field names as
//! its official clients send and read them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `RecordResultDO`: a meeting's recording in lists and details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordResult {
    #[serde(rename = "confUUID")]
    pub conf_uuid: String,
    #[serde(rename = "confID")]
    pub conf_id: String,
    /// Viewing links (none: files are fetched through download links).
    pub url: Vec<String>,
    /// Seconds recorded.
    pub rcd_time: i64,
    /// Size of the files, MB (rounded up).
    pub rcd_size: i64,
    pub subject: String,
    pub scheduser_name: String,
    /// `yyyy-MM-dd HH:mm` UTC, as the meeting's `startTime`.
    pub start_time: String,
    /// Every part composed (or failed for good).
    pub is_decode_finish: bool,
    /// Milliseconds: when the last part was composed (0 until then).
    pub decode_end_time: i64,
    /// Some file can be fetched.
    pub available: bool,
    pub record_auth_type: i64,
}

/// `GET /v1/mmc/management/record/files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordPage {
    pub offset: i64,
    pub limit: i64,
    pub count: i64,
    pub data: Vec<RecordResult>,
}

/// `RecordDownloadUrlDO`: a file's single-use download link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordDownloadUrl {
    /// Sent as `Authorization: <token>` with the download; valid one
    /// hour, once.
    pub token: String,
    /// `Hd` (the composed meeting), `Sd` or `Aux`; convene adds `Track`,
    /// one participant's captured audio or video (WebM).
    pub file_type: String,
    pub url: String,
    /// Whose track (`Track` only; a convene extra).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_name: Option<String>,
}

/// `RecordDownloadInfoBO` (the product spells `confUuid` so here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordDownloadInfo {
    pub conf_uuid: String,
    pub urls: Vec<RecordDownloadUrl>,
}

/// `GET /v1/mmc/management/record/downloadurls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordDownloadUrls {
    pub record_urls: Vec<RecordDownloadInfo>,
}

/// `POST /v1/mmc/rlm/record/info`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordInfoReq {
    #[serde(rename = "confUUID")]
    pub conf_uuid: String,
    #[serde(default)]
    pub segment_offset: Option<i64>,
    #[serde(default)]
    pub segment_limit: Option<i64>,
}

/// `SegmentFileDO`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SegmentFile {
    /// `SPEAKER_VIDEO` (the composed meeting), `AUDIO`, `SHARE_VIDEO`...
    pub record_type: String,
    /// Milliseconds.
    pub begin_time: i64,
    pub end_time: i64,
    /// Seconds.
    pub duration: i64,
    pub file_size: i64,
    pub sha256: String,
    pub play_url: String,
    pub download_url: String,
}

/// `SegmentDO`: one manual start-to-stop part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SegmentInfo {
    pub manual_order: i64,
    pub segment_order: i64,
    /// Bytes, as a string.
    pub segment_size: String,
    pub file_list: Vec<SegmentFile>,
}

/// `RecordInfoDO`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordInfo {
    pub subject: String,
    /// `yyyy-MM-dd HH:mm` UTC.
    pub begin_time: String,
    pub segment_offset: i64,
    pub segment_limit: i64,
    pub segment_count: i64,
    pub segment_list: Vec<SegmentInfo>,
}

/// `POST /v1/mmc/rlm/record/info`'s answer (its own envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordInfoResponse {
    pub code: String,
    pub message: String,
    pub data: RecordInfo,
}

/// `PUT /v1/mmc/control/conferences/record`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetRecordBody {
    /// 1 start, 0 stop.
    pub is_record: i64,
}

/// `PUT /v1/mmc/control/conferences/mmrRecord`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetMmrRecordBody {
    /// 0 pause, 1 start (or resume), 2 stop.
    pub record_type: i64,
}
