//! The seed's `createConf` types, one to one: field names in the seed's camelCase
//! on the wire, snake_case in Rust, enums carrying the seed's numbers.

use serde::{Deserialize, Serialize};
use serde_repr::{Deserialize_repr, Serialize_repr};
use utoipa::ToSchema;

macro_rules! seed_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $num:expr),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize_repr, Deserialize_repr, ToSchema)]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $variant = $num),+ }

        impl $name {
            /// Every value, in the seed's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The seed's number for this value.
            pub fn number(self) -> u8 { self as u8 }

            /// The value for a seed number, if there is one.
            pub fn from_number(n: i64) -> Option<Self> {
                $(if n == $num { return Some($name::$variant); })+
                None
            }
        }
    };
}

seed_enum! {
    /// Seed table 3, `MediaType`.
    MediaType {
        /// HWM_MEDIA_TYPE_AUDIO
        Audio = 0,
        /// HWM_MEDIA_TYPE_VIDEO
        Video = 1,
    }
}

seed_enum! {
    /// Seed table 4, `ConfAllowJoinUserType`.
    ConfAllowJoinUserType {
        /// CONF_ALLOW_JOIN_ANYONE
        Anyone = 0,
        /// CONF_ALLOW_JOIN_LOGINED_USER
        LoginedUser = 1,
        /// CONF_ALLOW_JOIN_IN_COMPANY_USER
        InCompanyUser = 2,
        /// CONF_ALLOW_JOIN_INVITED_USER
        InvitedUser = 3,
    }
}

seed_enum! {
    /// Seed table 5, `VmrConfIdType`.
    VmrConfIdType {
        /// HWM_VMR_CONF_ID_TYPE_FIXED
        Fixed = 0,
        /// HWM_VMR_CONF_ID_TYPE_RANDOM
        Random = 1,
    }
}

seed_enum! {
    /// Seed table 7, `ConfRole`.
    ConfRole {
        /// HWM_CONF_ROLE_ATTENDEE (guest)
        Attendee = 0,
        /// HWM_CONF_ROLE_HOST
        Host = 1,
        /// HWM_CONF_ROLE_AUDIENCE
        Audience = 2,
        /// HWM_CONF_ROLE_COHOST
        Cohost = 3,
        /// HWM_CONF_ROLE_WAITING
        Waiting = 4,
    }
}

seed_enum! {
    /// Seed table 8, `AttendeeType`.
    AttendeeType {
        /// ATTENDEE_TYPE_NORMAL
        Normal = 0,
        /// ATTENDEE_TYPE_TELEPRESENCE
        Telepresence = 1,
        /// ATTENDEE_TYPE_TERMINAL
        Terminal = 2,
        /// ATTENDEE_TYPE_OUTSIDE
        Outside = 3,
        /// ATTENDEE_TYPE_CUSTOMNUMBER
        CustomNumber = 4,
        /// ATTENDEE_TYPE_MOBILE
        Mobile = 5,
        /// ATTENDEE_TYPE_ANONYMOUS
        Anonymous = 6,
        /// ATTENDEE_TYPE_TELEPHONE
        Telephone = 7,
        /// ATTENDEE_TYPE_BOARD
        Board = 8,
        /// ATTENDEE_TYPE_IDEAHUB
        IdeaHub = 9,
        /// ATTENDEE_TYPE_HWVISION
        HwVision = 10,
        /// ATTENDEE_TYPE_WELINKC
        WeLinkC = 11,
    }
}

impl AttendeeType {
    /// The REST API's string name of this type (RestAttendeeDTO.type).
    pub fn rest_name(self) -> &'static str {
        match self {
            AttendeeType::Normal => "normal",
            AttendeeType::Telepresence => "telepresence",
            AttendeeType::Terminal => "terminal",
            AttendeeType::Outside => "outside",
            AttendeeType::CustomNumber => "customnumber",
            AttendeeType::Mobile => "mobile",
            AttendeeType::Anonymous => "anonymous",
            AttendeeType::Telephone => "telephone",
            AttendeeType::Board => "board",
            AttendeeType::IdeaHub => "ideahub",
            AttendeeType::HwVision => "hwvision",
            AttendeeType::WeLinkC => "welinkc",
        }
    }

    /// Parses the REST name (case-insensitive) or the seed number written as text.
    pub fn from_rest_name(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Self::from_number(n);
        }
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.rest_name().eq_ignore_ascii_case(s))
    }
}

seed_enum! {
    /// Seed table 9, `ConfResType`.
    ConfResType {
        /// HWM_CONF_RESTYPE_DEFAULT
        Default = 0,
        /// HWM_CONF_RESTYPE_SHARE_VMR
        ShareVmr = 3,
    }
}

seed_enum! {
    /// Seed table 10, `SummaryState`.
    SummaryState {
        /// SUMMARY_STATE_CLOSE
        Close = 0,
        /// SUMMARY_STATE_OPEN
        Open = 1,
    }
}

seed_enum! {
    /// Seed table 11, `AutoMuteType`.
    AutoMuteType {
        /// AUTO_MUTE_TYPE_DEFAULT
        Default = 0,
        /// AUTO_MUTE_TYPE_MUTE
        Mute = 1,
        /// AUTO_MUTE_TYPE_UNMUTE
        Unmute = 2,
    }
}

/// Seed table 6, `AttendeeBaseInfo`. `number` and `thirdUserId` are both marked
/// mandatory by the seed with "either this or the other must be set", so both
/// default to the empty string and the rule lives in `convene-core`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttendeeBaseInfo {
    pub nick_name: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub third_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_auto_invite: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mute: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ConfRole>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub attendee_type: Option<AttendeeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_uuid: Option<String>,
}

/// Seed table 2, `CreateConfInfo`: what `createConf` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateConfInfo {
    pub subject: String,
    pub media_type: MediaType,
    pub need_password: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_auto_record: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_record: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conf_allow_join_user: Option<ConfAllowJoinUserType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmr_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmr_conf_id_type: Option<VmrConfIdType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_pwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_open_waiting_room: Option<bool>,
    /// Minutes, 15..=1440.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mic_on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_camera_on: Option<bool>,
    /// 0 = unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_participants: Option<i64>,
    pub num_of_attendee: i64,
    #[serde(default)]
    pub attendees: Vec<AttendeeBaseInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conf_res_type: Option<ConfResType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_summary_state: Option<SummaryState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_mute_mode: Option<AutoMuteType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_terminal_auto_mute_mode: Option<AutoMuteType>,
}

impl CreateConfInfo {
    /// The smallest valid request: a subject, a media type, no attendees.
    pub fn new(subject: impl Into<String>, media_type: MediaType, need_password: bool) -> Self {
        CreateConfInfo {
            subject: subject.into(),
            media_type,
            need_password,
            is_auto_record: None,
            allow_record: None,
            conf_allow_join_user: None,
            vmr_id: None,
            vmr_conf_id_type: None,
            guest_pwd: None,
            is_open_waiting_room: None,
            duration: None,
            is_mic_on: None,
            is_camera_on: None,
            concurrent_participants: None,
            num_of_attendee: 0,
            attendees: Vec::new(),
            custom_info: None,
            conf_res_type: None,
            default_summary_state: None,
            auto_mute_mode: None,
            hard_terminal_auto_mute_mode: None,
        }
    }
}

/// Seed table 13, `CreateConfResult`: what the callback receives.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateConfResult {
    pub conf_id: String,
    pub vmr_conf_id: String,
    pub host_pwd: String,
    pub guest_pwd: String,
    pub media_type: Option<MediaType>,
    pub guest_join_uri: String,
    pub self_conf_role: Option<ConfRole>,
    pub subject: String,
    /// Discarded by the seed in favour of `startTimeStamp`; still filled.
    pub start_time: i64,
    /// Discarded by the seed in favour of `endTimeStamp`; still filled.
    pub end_time: i64,
    pub start_time_stamp: i64,
    pub end_time_stamp: i64,
    pub scheduler_name: String,
    pub custom_info: String,
}

/// The product SDK's `bookConf` argument: a meeting booked for later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookConfParam {
    /// When it starts: Unix seconds (UTC), minute precision.
    pub start_time: i64,
    /// Minutes.
    pub duration: i64,
    /// The product's time-zone code its times are shown in ("56" Beijing,
    /// "26" London...); none: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone_id: Option<String>,
    /// What the meeting is: the seed's `CreateConfInfo` fields.
    pub conf_common_param: CreateConfInfo,
}
