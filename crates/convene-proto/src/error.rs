//! The product's SDKERR numbers (spec §2) and the REST error body.
//!
//! `SdkErr` is a newtype over the number rather than a closed enum, because a
//! client must be able to carry a code it does not know by name.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An SDKERR number. `SdkErr::SDKERR_SUCCESS` is success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct SdkErr(pub i64);

macro_rules! sdkerr_table {
    ($($name:ident = $num:expr),+ $(,)?) => {
        #[allow(non_upper_case_globals)]
        impl SdkErr {
            $(#[doc = stringify!($name)] pub const $name: SdkErr = SdkErr($num);)+

            /// Every named code of the spec's table.
            pub const ALL: &'static [SdkErr] = &[$(SdkErr($num)),+];

            /// The spec's name for this code, if it has one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 { $($num => Some(stringify!($name)),)+ _ => None }
            }
        }
    };
}

sdkerr_table! {
    SDKERR_SUCCESS = 0,
    SDKERR_UNKOWN = -1,
    UISDK_COMMON_ERROR = 430100001,
    UISDK_TIMEOUT = 430100004,
    UISDK_IN_PROCESS = 430100005,
    SDK_COMMON_FAIL = 411000001,
    UISDK_API_INVALID_PARAMETERS = 430100002,
    UISDK_ARGS_LENGTH_OVERRUN = 430100010,
    SDK_PARAM_ERROR = 411000002,
    USG_PARAM_ERR = 200000003,
    CMS_CONF_BAD_REQUEST = 111070001,
    CMS_PARAMETER_VERIFIED_FAIL = 111071061,
    CMS_CONF_MEDIA_TYPES_ILLEGAL = 111071018,
    CMS_CONF_DURATION_OVER_RANGE = 111071015,
    CMS_CONF_LENGTH_OVER_RANGE = 111071021,
    CMS_CONF_SUBJECT_LENGTH_TOO_LONG = 111071022,
    CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME = 111071013,
    CMS_GUEST_PWD_ILLEGAL = 111071080,
    UISDK_INVALID_GUEST_PASSWORD_PARAMETER = 430400007,
    UISDK_SUBJECT_TOO_LONG = 430400011,
    USG_ERR_PASSWORD = 206010000,
    USG_USER_LOCKED = 206030015,
    SDK_LOGIN_AUTH_FAILED = 412100008,
    SDK_LOGIN_ACCOUNT_LOCKED = 412100010,
    USG_APPID_AUTH_FAILED = 206010025,
    USG_APPID_AUTH_EXPIRE = 206010057,
    USG_APPID_ACCOUNT_DISABLED = 206010007,
    USG_INVALID_TOKEN = 206020000,
    USG_TOKEN_IS_INVAILD_BY_KICKOFF = 206020002,
    UISDK_UNLOGIN_ERROR = 430200001,
    UISDK_REPEATED_LOGIN_ERROR = 430200002,
    UISDK_PASSWORD_OR_ACCOUNT_EMPTY = 430200005,
    UISDK_HTTP_SERVER_ERROR = 430500001,
    UISDK_HTTP_CONNECT_SERVER_TIMEOUT_ERROR = 430500002,
    UISDK_NO_NETWORK_ERROR = 430500003,
    SDK_CONFCTRL_TIMEOUT = 414100003,
    CMS_CONF_DATA_NOT_FOUND = 111070005,
    SDK_CONF_NOT_EXIST = 411000003,
    CMS_CONF_NOT_STARTED = 111072005,
    CMS_CONF_IS_CLOSED = 111072006,
    CMS_NOT_ALLOWED_GUEST_FIRST_JOIN = 111071058,
    CMS_VMR_ONLY_ALLOW_CHAIR_START_CONF = 111071004,
    CMS_CONF_AUTHEN_NEED_PASSWORD = 111070009,
    CMS_CONF_PWD_AUTH_FAILED = 111071091,
    CMS_CONF_NOT_FOUND_OR_AUTH_FAILED = 111072065,
    UISDK_JOINCONF_NEED_PASSWORD = 430400001,
    UISDK_JOINCONF_INPUT_INVALID_PASSWORD = 430400005,
    CMS_PARTICIPANT_CONF_LOGIN_LOCKED = 111081009,
    CMS_CONF_LOCKED = 111072050,
    CMS_PARTICIPANT_CONF_IS_LOCKED = 111081007,
    CMS_OVER_MAX_PARTICIPANT_NUMBER = 111072101,
    CMS_CONF_NUM_UP_TO_LIMIT = 111071082,
    CMS_CONF_NOT_ALLOW_ANONYMOUS = 111071073,
    CMS_CONF_ONLY_ALLOW_USER_IN_ORG = 111071074,
    CMS_CONF_ONLY_ALLOW_USER_INVITED = 111071075,
    UISDK_NOT_IN_CONF_OR_CALL = 430400008,
    UISDK_ALREADY_EXIST_CONF_OR_CALL = 430400009,
    UISDK_ROLE_NOT_SUPPORT_OPERATION = 430400017,
    CMS_CONF_INSUFFICIENT_PERMISSIONS = 111070002,
    SDK_CONFCTRL_CONF_END_CHAIR_HANGUP = 414100043,
    SDK_CONFCTRL_CONF_END_STOP_CONF = 414100044,
    SDK_CONFCTRL_CONF_END_LEAVE_CONF = 414100045,
    SDK_CONFCTRL_CONF_END_SELF_END = 414100049,
    CMS_RECORD_START_EXCEPTION = 111072222,
    CMS_RECORD_PAUSED_EXCEPTION = 111072223,
    CMS_RECORD_STOP_EXCEPTION = 111072224,
}

impl SdkErr {
    pub fn is_success(self) -> bool {
        self.0 == 0
    }

    /// The REST `error_code` string: `MMC.` for meeting codes (111xxxxxx),
    /// `USG.` for account codes (2xxxxxxxx), `SDK.` for the client-side rest.
    pub fn rest_code(self) -> String {
        let prefix = match self.0 {
            111_000_000..=111_999_999 => "MMC",
            200_000_000..=299_999_999 => "USG",
            _ => "SDK",
        };
        format!("{prefix}.{}", self.0)
    }

    /// Reads a REST `error_code` such as `MMC.111071015` (any prefix, or none).
    pub fn from_rest_code(code: &str) -> Option<SdkErr> {
        let digits = code.rsplit('.').next().unwrap_or(code);
        digits.parse::<i64>().ok().map(SdkErr)
    }
}

impl std::fmt::Display for SdkErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The REST API's error body: `{"error_code": "MMC.111072065", "error_msg": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RestError {
    pub error_code: String,
    pub error_msg: String,
}

impl RestError {
    pub fn new(code: SdkErr, msg: impl Into<String>) -> Self {
        RestError {
            error_code: code.rest_code(),
            error_msg: msg.into(),
        }
    }

    pub fn sdk_err(&self) -> SdkErr {
        SdkErr::from_rest_code(&self.error_code).unwrap_or(SdkErr::SDKERR_UNKOWN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_codes_carry_the_product_prefixes() {
        assert_eq!(SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED.rest_code(), "MMC.111072065");
        assert_eq!(SdkErr::USG_ERR_PASSWORD.rest_code(), "USG.206010000");
        assert_eq!(
            SdkErr::from_rest_code("MMC.111071015"),
            Some(SdkErr::CMS_CONF_DURATION_OVER_RANGE)
        );
        assert_eq!(SdkErr::CMS_GUEST_PWD_ILLEGAL.name(), Some("CMS_GUEST_PWD_ILLEGAL"));
    }

    #[test]
    fn every_named_code_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in SdkErr::ALL {
            assert!(seen.insert(c.0), "duplicate code {c}");
        }
    }
}
