//! Wire types of convene, and nothing else.
//!
//! This crate holds the shapes that cross a process boundary: the seed's
//! `CreateConfInfo` and `CreateConfResult` (seed tables 2-13) with their enums and
//! exact numbers, the SDKERR table of the product (spec §2), and the REST DTOs the
//! product's official clients send and expect (spec §3). It is the only crate that
//! derives serde for the public API; it holds no rules (those are in
//! `convene-core`) and does no IO.
//!
//! Main types: [`CreateConfInfo`], [`CreateConfResult`], [`SdkErr`],
//! [`rest::RestScheduleConfDto`], [`rest::ConferenceInfo`].

pub mod conf;
pub mod confctl;
pub mod create_map;
pub mod error;
pub mod live;
pub mod minutes;
pub mod record;
pub mod rest;
pub mod time;

pub use conf::*;
pub use create_map::{ConfOptions, MapError};
pub use error::{RestError, SdkErr};
