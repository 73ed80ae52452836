//! Reading the REST create body (`RestScheduleConfDTO`): the field mapping
//! is `convene_proto::create_map` (both directions, one file); whether its
//! `startTime` and `timeZoneID` may be is decided by [`crate::create::plan`],
//! which the REST API and the SDK reach with the same input.

use convene_proto::rest::RestScheduleConfDto;
use convene_proto::{create_map, ConfOptions, CreateConfInfo, MapError};

use crate::refusal::Refusal;

impl From<MapError> for Refusal {
    fn from(e: MapError) -> Self {
        Refusal::new(e.code, e.reason)
    }
}

/// Reads a REST create body into the seed's `CreateConfInfo` and the
/// REST-only options.
pub fn create_from_rest(dto: RestScheduleConfDto) -> Result<(CreateConfInfo, ConfOptions), Refusal> {
    Ok(create_map::create_info_from_rest(dto)?)
}
