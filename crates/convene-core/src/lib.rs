//! The meeting domain of convene as plain rules: no IO, no clock, no async.
//!
//! Time is always an argument (`now`, Unix seconds) and randomness is an
//! `rand::Rng` the caller hands in, so every rule can be tested with simulated
//! time and seeded randomness (str0m's sans-IO contract). This crate never
//! touches the network, the disk, tokio or sqlx.
//!
//! Modules:
//! - [`ids`]: typed IDs (`ConfId`, `ConfUuid`, `UserId`, `RoomId`...) and their generators.
//! - [`create`]: validation of a `CreateConfInfo` into a [`create::NewMeeting`]
//!   (instant or booked), and of an edit of a booked meeting.
//! - [`cycle`]: the days a recurring series falls on (`cycleParams`).
//! - [`series`]: recurring series and their occurrences: create, edit, cancel.
//! - [`tz`]: the product's time-zone codes as IANA zones.
//! - [`notify`]: who is told of a meeting by which channel; delivery retries.
//! - [`rest`]: when a REST create may start; its fields are read by
//!   `convene_proto::create_map`, the one mapping of `CreateConfInfo` ↔ REST.
//! - [`meeting`]: the stored meeting, its state and what it answers (the REST
//!   `ConferenceInfo`, the seed's `CreateConfResult`).
//! - [`auth`]: login rules (lockout, App ID signature data).
//! - [`guard`]: password guessing against meetings (who may still try).
//! - [`live`]: one live meeting's rules as a state machine. Its events and
//!   participant IDs are `convene_proto::live`'s wire types, imported from there.
//! - [`session`]: one live meeting's session: `Live` plus its connections,
//!   numbered events and replay, media rights, lifecycle; outputs polled.
//! - [`text`]: the one rule for human-readable fields.
//! - [`refusal`]: the one refusal type (creates, joins, control).

pub mod auth;
pub mod calls;
pub mod create;
pub mod cycle;
pub mod guard;
pub mod ids;
pub mod live;
pub mod meeting;
pub mod notify;
pub mod recording;
pub mod refusal;
pub mod rest;
pub mod series;
pub mod session;
pub mod text;
pub mod tz;
pub mod webhook;

pub use create::{CreateLimits, Creator, NewMeeting, RoomRequest};
pub use ids::{ConfId, ConfUuid, EnterpriseId, RoomId, UserId};
pub use meeting::{ConfState, LiveSettings, Meeting};
pub use refusal::Refusal;
