//! The load tools: `convene bench create`, `join` and `media`, and the
//! synthetic media peers they (and the server's media tests) use. Kept out
//! of the server library, which neither needs nor links them.

pub mod browser;
pub mod clip;
pub mod compose;
pub mod create;
pub mod failover;
pub mod janus;
pub mod join;
pub mod media;
pub mod media_peer;
pub mod page;
mod target;
pub mod webhook;

pub use compose::{compose, ComposeBenchArgs};
pub use create::{create, CreateBenchArgs};
pub use failover::{failover, FailoverBenchArgs};
pub use join::{join, JoinBenchArgs};
pub use media::{media, MediaBenchArgs};
pub use page::{page, PageBenchArgs};
pub use target::{serve, TargetArgs};
pub use webhook::{webhook, WebhookBenchArgs};
