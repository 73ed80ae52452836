//! Reading the REST create body (`RestScheduleConfDTO`) at a time: the
//! field mapping is `convene_proto::create_map` (both directions, one file);
//! what is decided here is when the meeting may start. The REST API and the
//! SDK then reach [`crate::create::plan`] with the same input.

use convene_proto::rest::RestScheduleConfDto;
use convene_proto::{create_map, ConfOptions, CreateConfInfo, MapError, SdkErr};

use crate::meeting::parse_rest_time;
use crate::refusal::Refusal;

impl From<MapError> for Refusal {
    fn from(e: MapError) -> Self {
        Refusal::new(e.code, e.reason)
    }
}

/// Reads a REST create body at `now` into the seed's `CreateConfInfo` and the
/// REST-only options.
pub fn create_from_rest(dto: RestScheduleConfDto, now: i64) -> Result<(CreateConfInfo, ConfOptions), Refusal> {
    if let Some(start) = dto.start_time.as_deref().filter(|s| !s.trim().is_empty()) {
        let t = parse_rest_time(start).ok_or_else(|| {
            Refusal::new(
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                "startTime must be \"yyyy-MM-dd HH:mm\" (UTC)",
            )
        })?;
        // A minute of grace: the time has minute precision.
        if t < now - 60 {
            return Err(Refusal::new(
                SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME,
                "startTime is in the past",
            ));
        }
        if t > now + 60 {
            return Err(Refusal::new(
                SdkErr::CMS_CONF_BAD_REQUEST,
                "scheduled meetings (a future startTime) are not supported yet; omit startTime for an instant meeting",
            ));
        }
    }
    Ok(create_map::create_info_from_rest(dto)?)
}
