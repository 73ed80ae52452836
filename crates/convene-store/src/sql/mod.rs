//! The SQL of both backends, written once.
//!
//! Files by concern: `create.rs` (the rules of a meeting creation: IDs and
//! rooms, over any transaction), `queries.rs` (every other statement, written
//! once and expanded for both backends, and the `Store` impls), `sqlite.rs`
//! (the SQLite backend: the group-commit writer, the syncer, the
//! checkpointer, the WAL reserve), `postgres.rs` (the PostgreSQL backend).
//!
//! `store_queries!` expands the same functions for SQLite and for PostgreSQL:
//! every statement uses `$N` placeholders in order of first use and only
//! `TEXT`/integer columns, which both dialects read the same way. The backends
//! differ only in how they open, migrate and schedule writes.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use convene_core::auth::{FailureRule, LoginFailures, FAILURE_MEMORY_SECONDS};
use convene_core::create::RoomRequest;
use convene_core::ids::{nine_digit_id, random_hex};
use convene_core::{ConfId, ConfState, ConfUuid, EnterpriseId, Meeting, NewMeeting, RoomId, UserId};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use crate::conf_ids::{seq_of, ConfIdCipher, IdDraws};
use crate::{App, Enterprise, ListQuery, NewUser, Result, Store, StoreError, User};

/// How many times a random ID is drawn again after a clash before giving up.
pub(super) const ID_ATTEMPTS: usize = 16;

/// The columns a meeting is read back from: its document and the fields
/// that are columns of their own (see `Meeting`'s serde attributes).
pub(super) const MEETING_COLS: &str =
    "doc, state, conf_id, conf_uuid, room_id, owner_id, enterprise_id, start_ts, end_ts, live";

pub(super) fn decode_meeting<R: Row>(r: &R) -> Result<Meeting>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let doc: String = r.try_get("doc")?;
    let state: String = r.try_get("state")?;
    let mut m = crate::doc::decode_meeting(&doc)?;
    m.state = ConfState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("meeting state {state:?}")))?;
    m.conf_id = ConfId(r.try_get("conf_id")?);
    m.conf_uuid = ConfUuid(r.try_get("conf_uuid")?);
    m.room_id = r.try_get::<Option<String>, _>("room_id")?.map(RoomId);
    m.owner_id = UserId(r.try_get("owner_id")?);
    m.enterprise_id = EnterpriseId(r.try_get("enterprise_id")?);
    m.start = r.try_get("start_ts")?;
    m.end = r.try_get("end_ts")?;
    let live: Option<String> = r.try_get("live")?;
    m.live = match live {
        Some(l) => Some(crate::doc::decode_live(&l)?),
        None => None,
    };
    Ok(m)
}

pub(super) use crate::doc::encode_meeting;

/// `text` as a LIKE pattern that matches it literally: a search for "50%"
/// or "q_1" finds those characters, not any character (escaped as the
/// query's `ESCAPE` clause says: the escape character is a backslash).
pub(super) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Begins a transaction that writes. SQLite: `BEGIN IMMEDIATE`, taking the
/// write lock first (waiting up to the busy timeout), because a deferred
/// transaction that reads first and then writes fails at once with
/// `SQLITE_BUSY` when another connection committed in between (its
/// snapshot is stale: no busy timeout helps). PostgreSQL: `BEGIN`.
pub(super) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Ends a meeting still running (frees its ID and room).
pub(super) const END_MEETING_SQL: &str =
    "UPDATE meetings SET state = 'ended', active_conf_id = NULL, active_room_id = NULL \
     WHERE conf_uuid = $1 AND state = 'created'";

/// Rounds of compare-and-set a login failure gets against concurrent ones.
pub(super) const LOGIN_FAILURE_ATTEMPTS: usize = 32;

pub(super) fn fresh_id() -> String {
    nine_digit_id(&mut rand::thread_rng())
}

mod cluster;
mod create;
mod events;
mod outbox;
mod postgres;
mod queries;
mod recordings;
mod records;
mod sqlite;

use create::*;
use events::*;
use outbox::*;
use queries::*;
use recordings::*;
pub use recordings::{Composed, RecordQuery, Segment, INTERRUPTED};
use records::*;

pub use events::{EventDelivery, EventItem, EventStatus};
pub use outbox::{Delivery, NoticeStatus, OutboxItem};
pub use records::{AttendanceRow, ChatRow, ControlRow};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
