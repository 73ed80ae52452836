//! The one refusal type of the meeting rules: a create that is not valid,
//! a join or control request that is not allowed. The server turns it into
//! an HTTP status and the product's JSON error (`error.rs`) or a WebSocket
//! answer; the SDKs read the same code and reason.

use convene_proto::SdkErr;

/// A refused request: the SDKERR code and a reason for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct Refusal {
    pub code: SdkErr,
    pub reason: String,
}

impl Refusal {
    pub fn new(code: SdkErr, reason: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason: reason.into(),
        }
    }
}
