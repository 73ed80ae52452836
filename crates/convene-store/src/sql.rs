//! The SQL of both backends, written once.
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
use convene_core::{ConfId, ConfState, EnterpriseId, LiveSettings, Meeting, NewMeeting, RoomId, UserId};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use crate::conf_ids::{seq_of, ConfIdCipher, IdDraws};
use crate::{App, Enterprise, ListQuery, NewUser, Result, Store, StoreError, User};

/// How many times a random ID is drawn again after a clash before giving up.
const ID_ATTEMPTS: usize = 16;

/// The columns a meeting is read back from: its document and the fields
/// that are columns of their own (see `Meeting`'s serde attributes).
const MEETING_COLS: &str = "doc, state, conf_id, conf_uuid, room_id, owner_id, enterprise_id, start_ts, end_ts, live";

fn decode_meeting<R: Row>(r: &R) -> Result<Meeting>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let doc: String = r.try_get("doc")?;
    let state: String = r.try_get("state")?;
    let mut m: Meeting = serde_json::from_str(&doc).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    m.state = ConfState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("meeting state {state:?}")))?;
    m.conf_id = ConfId(r.try_get("conf_id")?);
    m.conf_uuid = r.try_get("conf_uuid")?;
    m.room_id = r.try_get::<Option<String>, _>("room_id")?.map(RoomId);
    m.owner_id = UserId(r.try_get("owner_id")?);
    m.enterprise_id = EnterpriseId(r.try_get("enterprise_id")?);
    m.start = r.try_get("start_ts")?;
    m.end = r.try_get("end_ts")?;
    let live: Option<String> = r.try_get("live")?;
    m.live = match live {
        Some(l) => Some(serde_json::from_str(&l).map_err(|e| StoreError::Corrupt(format!("live settings: {e}")))?),
        None => None,
    };
    Ok(m)
}

fn encode_meeting(m: &Meeting) -> Result<String> {
    serde_json::to_string(m).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `text` as a LIKE pattern that matches it literally: a search for "50%"
/// or "q_1" finds those characters, not any character (escaped as the
/// query's `ESCAPE` clause says: the escape character is a backslash).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Rounds of compare-and-set a login failure gets against concurrent ones.
const LOGIN_FAILURE_ATTEMPTS: usize = 32;

fn fresh_id() -> String {
    nine_digit_id(&mut rand::thread_rng())
}

/// A room as meeting creation sees it.
struct RoomRow {
    enterprise_id: String,
    kind: String,
    owner_id: Option<String>,
}

// The statements of a meeting creation, shared by every `CreateTx`.

/// Frees a room whose meeting has run past its end.
const EXPIRE_ROOM_SQL: &str = "UPDATE meetings SET state = 'ended', active_conf_id = NULL, active_room_id = NULL \
     WHERE active_room_id = $1 AND active_conf_id IS NOT NULL AND end_ts <= $2";

/// Whether a running meeting holds this room (`meetings_active_room`).
const ROOM_IS_ACTIVE_SQL: &str = "SELECT 1 FROM meetings WHERE active_room_id = $1 AND active_conf_id IS NOT NULL";

/// The running meetings that hold an ID (UUID and end; at most one unless
/// they overran): a drawn ID through `meetings_conf_id`, a derived one
/// (see `conf_ids`) through its sequence number `$2`.
const RUNNING_WITH_ID_SQL: &str = "SELECT conf_uuid, end_ts FROM meetings \
     WHERE conf_id = $1 AND id_seq IS NULL AND active_conf_id IS NOT NULL \
     UNION ALL SELECT conf_uuid, end_ts FROM meetings WHERE id_seq = $2 AND conf_id = $1 AND active_conf_id IS NOT NULL";

/// The meeting with an ID (`$1`, its sequence number `$2`): the running one,
/// else the latest.
fn meeting_by_conf_id_sql() -> String {
    format!(
        "SELECT {MEETING_COLS} FROM (\
         SELECT {MEETING_COLS}, active_conf_id FROM meetings WHERE conf_id = $1 AND id_seq IS NULL \
         UNION ALL SELECT {MEETING_COLS}, active_conf_id FROM meetings WHERE id_seq = $2 AND conf_id = $1\
         ) AS m ORDER BY CASE WHEN active_conf_id IS NULL THEN 1 ELSE 0 END, start_ts DESC LIMIT 1"
    )
}

/// The first sequence number no meeting has (see `conf_ids`).
const SEQUENCE_END_SQL: &str = "SELECT COALESCE(MAX(id_seq) + 1, 0) FROM meetings WHERE id_seq IS NOT NULL";

/// Ends a meeting that ran past its end, freeing its ID and room.
const END_OVERRUN_SQL: &str =
    "UPDATE meetings SET state = 'ended', active_conf_id = NULL, active_room_id = NULL WHERE conf_uuid = $1";
const IS_ROOM_SQL: &str = "SELECT 1 FROM rooms WHERE id = $1";
const ROOM_SQL: &str = "SELECT enterprise_id, kind, owner_id FROM rooms WHERE id = $1";
const FREE_SHARED_ROOMS_SQL: &str = "SELECT id FROM rooms WHERE enterprise_id = $1 AND kind = 'shared' AND id NOT IN \
     (SELECT active_room_id FROM meetings WHERE active_room_id IS NOT NULL AND end_ts > $2) ORDER BY id LIMIT 8";
const INSERT_MEETING_SQL: &str = "INSERT INTO meetings (conf_uuid, conf_id, active_conf_id, room_id, active_room_id, \
     owner_id, enterprise_id, subject, state, start_ts, end_ts, doc, subject_key, id_seq) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING";

/// What a subject search matches: the subject in lower case, folded here
/// rather than by the database (SQLite's `LOWER` knows only ASCII), so that
/// both backends find "Ärzte" by "ärzte".
fn subject_key(subject: &str) -> String {
    subject.to_lowercase()
}

/// Meetings stored before `subject_key` existed, folded per batch at open.
const UNFOLDED_SQL: &str = "SELECT conf_uuid, subject FROM meetings WHERE subject_key IS NULL LIMIT 500";
const FOLD_SQL: &str = "UPDATE meetings SET subject_key = $1 WHERE conf_uuid = $2";

/// The statements a meeting creation runs inside its caller's transaction:
/// implemented by the sqlx connections (PostgreSQL) and by the SQLite
/// writer thread's rusqlite transaction, so that [`create_meeting`], the
/// rules of IDs and rooms, is written once.
trait CreateTx {
    async fn expire_room(&mut self, room: &str, now: i64) -> Result<()>;
    async fn room_is_active(&mut self, room: &str) -> Result<bool>;
    /// See [`RUNNING_WITH_ID_SQL`]; `seq` from [`seq_of`].
    async fn running_with_id(&mut self, id: &str, seq: Option<i64>) -> Result<Vec<(String, i64)>>;
    async fn end_overrun(&mut self, conf_uuid: &str) -> Result<()>;
    async fn is_room(&mut self, id: &str) -> Result<bool>;
    async fn room(&mut self, room: &RoomId) -> Result<Option<RoomRow>>;
    /// Up to 8 shared rooms of the enterprise that no running meeting holds.
    async fn free_shared_rooms(&mut self, enterprise: &EnterpriseId, now: i64) -> Result<Vec<RoomId>>;
    /// Inserts unless the ID, its sequence number or the room is taken
    /// (then `false`).
    async fn insert_meeting(&mut self, m: &Meeting, seq: Option<i64>) -> Result<bool>;
}

/// Whether the meeting's owner may hold it in `room`.
async fn check_room<T: CreateTx>(tx: &mut T, room: &RoomId, meeting: &Meeting) -> Result<()> {
    let Some(row) = tx.room(room).await? else {
        return Err(StoreError::RoomNotAllowed(room.clone()));
    };
    let allowed = match row.kind.as_str() {
        "personal" => row.owner_id.as_deref() == Some(meeting.owner_id.as_str()),
        _ => row.enterprise_id == meeting.enterprise_id.as_str(),
    };
    if allowed {
        Ok(())
    } else {
        Err(StoreError::RoomNotAllowed(room.clone()))
    }
}

/// Settles a new meeting's ID and room and inserts it, inside the caller's
/// transaction.
/// The meeting is completed once, before the first attempt, and only its
/// ID and room change between attempts.
async fn create_meeting<T: CreateTx>(tx: &mut T, draws: &mut IdDraws, new: NewMeeting, now: i64) -> Result<Meeting> {
    let fixed = new.uses_fixed_id();
    let request = new.room.clone();
    let mut meeting = new.into_meeting(ConfId::default(), None);
    let mut tried_rooms: Vec<RoomId> = Vec::new();
    for _ in 0..ID_ATTEMPTS {
        let room = match &request {
            RoomRequest::None => None,
            RoomRequest::Personal(r) | RoomRequest::Specific(r) => {
                check_room(tx, r, &meeting).await?;
                Some(r.clone())
            }
            RoomRequest::SharedPool => {
                let free = tx.free_shared_rooms(&meeting.enterprise_id, now).await?;
                match free.into_iter().find(|r| !tried_rooms.contains(r)) {
                    Some(r) => Some(r),
                    None => return Err(StoreError::NoFreeRoom),
                }
            }
        };
        if let Some(r) = &room {
            if tx.room_is_active(r.as_str()).await? {
                tx.expire_room(r.as_str(), now).await?;
            }
            if tx.room_is_active(r.as_str()).await? {
                if request == RoomRequest::SharedPool {
                    tried_rooms.push(r.clone());
                    continue;
                }
                return Err(StoreError::RoomBusy(r.clone()));
            }
        }
        let (conf_id, seq) = match (&room, fixed) {
            (Some(r), true) => (r.as_str().to_owned(), None),
            _ => {
                let (id, seq) = draws.draw();
                if tx.is_room(&id).await? {
                    continue;
                }
                // A derived ID is new, but a drawn one (a room's, or from
                // before derived IDs) may be running under the same number.
                // The write (ending an overrun meeting that holds the ID)
                // only when a running one does: almost never.
                // A derived draw knows its number; a random one may still be
                // some derived meeting's ID.
                let lookup = seq.or_else(|| seq_of(draws.cipher.as_ref(), &id));
                let running = tx.running_with_id(&id, lookup).await?;
                if running.iter().any(|(_, end)| *end > now) {
                    continue;
                }
                for (uuid, _) in running {
                    tx.end_overrun(&uuid).await?;
                }
                (id, seq)
            }
        };
        meeting.settle(ConfId(conf_id), room.clone());
        if tx.insert_meeting(&meeting, seq).await? {
            return Ok(meeting);
        }
        // Lost a race (another node took the room or drew the same ID): a
        // named room is busy; anything else draws again.
        if let (Some(r), RoomRequest::Personal(_) | RoomRequest::Specific(_)) = (&room, &request) {
            if tx.room_is_active(r.as_str()).await? {
                return Err(StoreError::RoomBusy(r.clone()));
            }
        }
        if let Some(r) = room {
            tried_rooms.push(r);
        }
    }
    Err(StoreError::Conflict("no free meeting ID after repeated draws".into()))
}

macro_rules! store_queries {
    ($module:ident, $conn:ty, $pool:ty, $row:ty) => {
        pub(crate) mod $module {
            use super::*;

            fn user_from_row(r: &$row) -> Result<User> {
                Ok(User {
                    id: UserId(r.try_get("id")?),
                    enterprise_id: EnterpriseId(r.try_get("enterprise_id")?),
                    account: r.try_get("account")?,
                    password_hash: r.try_get("password_hash")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    phone: r.try_get("phone")?,
                    app_id: r.try_get("app_id")?,
                    third_user_id: r.try_get("third_user_id")?,
                    personal_room: RoomId(r.try_get("personal_room")?),
                })
            }

            const USER_COLS: &str = "id, enterprise_id, account, password_hash, name, email, phone, app_id, third_user_id, personal_room";

            pub async fn first_enterprise(pool: &$pool) -> Result<Option<Enterprise>> {
                let row = sqlx::query("SELECT id, name FROM enterprises ORDER BY created_at, id LIMIT 1")
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(Enterprise { id: EnterpriseId(r.try_get("id")?), name: r.try_get("name")? }),
                    None => None,
                })
            }

            pub async fn create_enterprise(pool: &$pool, name: &str, now: i64) -> Result<Enterprise> {
                let id = random_hex(&mut rand::thread_rng(), 8);
                sqlx::query("INSERT INTO enterprises (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(name)
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(Enterprise { id: EnterpriseId(id), name: name.to_owned() })
            }

            pub async fn enterprise(pool: &$pool, id: &EnterpriseId) -> Result<Option<Enterprise>> {
                let row = sqlx::query("SELECT id, name FROM enterprises WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(Enterprise { id: EnterpriseId(r.try_get("id")?), name: r.try_get("name")? }),
                    None => None,
                })
            }

            /// A room ID that no room and no running meeting uses.
            async fn insert_room(
                conn: &mut $conn,
                ids: Option<&ConfIdCipher>,
                enterprise: &EnterpriseId,
                kind: &str,
                owner: Option<&str>,
                now: i64,
            ) -> Result<RoomId> {
                for _ in 0..ID_ATTEMPTS {
                    let id = fresh_id();
                    if !CreateTx::running_with_id(&mut *conn, &id, seq_of(ids, &id)).await?.is_empty() {
                        continue;
                    }
                    let done = sqlx::query(
                        "INSERT INTO rooms (id, enterprise_id, kind, owner_id, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(&id)
                    .bind(enterprise.as_str())
                    .bind(kind)
                    .bind(owner)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    if done.rows_affected() == 1 {
                        return Ok(RoomId(id));
                    }
                }
                Err(StoreError::Conflict("every room ID drawn".into()))
            }

            pub async fn add_user(conn: &mut $conn, ids: Option<&ConfIdCipher>, u: NewUser, now: i64) -> Result<User> {
                let exists = sqlx::query("SELECT 1 FROM users WHERE account = $1")
                    .bind(&u.account)
                    .fetch_optional(&mut *conn)
                    .await?;
                if exists.is_some() {
                    return Err(StoreError::Conflict(format!("account {:?}", u.account)));
                }
                let id = random_hex(&mut rand::thread_rng(), 16);
                let room = insert_room(&mut *conn, ids, &u.enterprise_id, "personal", Some(&id), now).await?;
                sqlx::query(
                    "INSERT INTO users (id, enterprise_id, account, password_hash, name, email, phone, app_id, third_user_id, personal_room, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&id)
                .bind(u.enterprise_id.as_str())
                .bind(&u.account)
                .bind(&u.password_hash)
                .bind(&u.name)
                .bind(&u.email)
                .bind(&u.phone)
                .bind(&u.app_id)
                .bind(&u.third_user_id)
                .bind(room.as_str())
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(User {
                    id: UserId(id),
                    enterprise_id: u.enterprise_id,
                    account: u.account,
                    password_hash: u.password_hash,
                    name: u.name,
                    email: u.email,
                    phone: u.phone,
                    app_id: u.app_id,
                    third_user_id: u.third_user_id,
                    personal_room: room,
                })
            }

            pub async fn user_by(pool: &$pool, column: &'static str, value: &str) -> Result<Option<User>> {
                // `column` is one of this module's own constants, never input.
                let q = format!("SELECT {USER_COLS} FROM users WHERE {column} = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(value).fetch_optional(pool).await?;
                row.as_ref().map(user_from_row).transpose()
            }

            pub async fn upsert_app_user(
                conn: &mut $conn,
                ids: Option<&ConfIdCipher>,
                app: &App,
                u: NewUser,
                now: i64,
            ) -> Result<User> {
                let q = format!("SELECT {USER_COLS} FROM users WHERE app_id = $1 AND third_user_id = $2");
                let row = sqlx::query(sqlx::AssertSqlSafe(q))
                    .bind(&app.app_id)
                    .bind(&u.third_user_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                match row {
                    Some(r) => {
                        let mut user = user_from_row(&r)?;
                        sqlx::query("UPDATE users SET name = $1, email = $2, phone = $3 WHERE id = $4")
                            .bind(&u.name)
                            .bind(&u.email)
                            .bind(&u.phone)
                            .bind(user.id.as_str())
                            .execute(&mut *conn)
                            .await?;
                        user.name = u.name;
                        user.email = u.email;
                        user.phone = u.phone;
                        Ok(user)
                    }
                    None => add_user(conn, ids, u, now).await,
                }
            }

            pub async fn add_app(pool: &$pool, app: App, now: i64) -> Result<App> {
                let done = sqlx::query(
                    "INSERT INTO apps (app_id, app_key, enterprise_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(&app.app_id)
                .bind(&app.app_key)
                .bind(app.enterprise_id.as_str())
                .bind(now)
                .execute(pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!("app {:?}", app.app_id)));
                }
                Ok(app)
            }

            pub async fn app(pool: &$pool, app_id: &str) -> Result<Option<App>> {
                let row = sqlx::query("SELECT app_id, app_key, enterprise_id FROM apps WHERE app_id = $1")
                    .bind(app_id)
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(App {
                        app_id: r.try_get("app_id")?,
                        app_key: r.try_get("app_key")?,
                        enterprise_id: EnterpriseId(r.try_get("enterprise_id")?),
                    }),
                    None => None,
                })
            }

            pub async fn add_shared_room(
                conn: &mut $conn,
                ids: Option<&ConfIdCipher>,
                enterprise: &EnterpriseId,
                now: i64,
            ) -> Result<RoomId> {
                insert_room(conn, ids, enterprise, "shared", None, now).await
            }

            pub async fn shared_rooms(pool: &$pool, enterprise: &EnterpriseId) -> Result<Vec<RoomId>> {
                let rows = sqlx::query("SELECT id FROM rooms WHERE enterprise_id = $1 AND kind = 'shared' ORDER BY id")
                    .bind(enterprise.as_str())
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(|r| Ok(RoomId(r.try_get("id")?))).collect()
            }

            pub async fn login_failures(pool: &$pool, account: &str) -> Result<LoginFailures> {
                let row = sqlx::query("SELECT count, locked_until, last_failed_at FROM login_failures WHERE account = $1")
                    .bind(account)
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => LoginFailures {
                        count: r.try_get("count")?,
                        locked_until: r.try_get("locked_until")?,
                        last_failed_at: r.try_get("last_failed_at")?,
                    },
                    None => LoginFailures::default(),
                })
            }

            pub async fn set_login_failures(pool: &$pool, account: &str, f: LoginFailures) -> Result<()> {
                if f == LoginFailures::default() {
                    sqlx::query("DELETE FROM login_failures WHERE account = $1").bind(account).execute(pool).await?;
                } else {
                    sqlx::query(
                        "INSERT INTO login_failures (account, count, locked_until, last_failed_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (account) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until, \
                         last_failed_at = excluded.last_failed_at",
                    )
                    .bind(account)
                    .bind(f.count)
                    .bind(f.locked_until)
                    .bind(f.last_failed_at)
                    .execute(pool)
                    .await?;
                }
                Ok(())
            }

            /// One more wrong password under `rule`, counted by
            /// compare-and-set on the record so that concurrent attempts
            /// each count; the rule of what a failure does is
            /// `LoginFailures::after_failure`.
            pub async fn add_login_failure(pool: &$pool, key: &str, now: i64, rule: &FailureRule) -> Result<LoginFailures> {
                // Records that no longer matter (`LoginFailures::is_forgotten`)
                // go here, a bounded number per failure, so that names tried
                // once do not pile up and a backlog costs no one call much.
                sqlx::query(
                    "DELETE FROM login_failures WHERE account IN (SELECT account FROM login_failures \
                     WHERE last_failed_at <= $1 AND locked_until <= $2 LIMIT 100)",
                )
                .bind(now - FAILURE_MEMORY_SECONDS)
                .bind(now)
                .execute(pool)
                .await?;
                update_login_failures(pool, key, |old| old.after_failure(now, rule)).await
            }

            /// Takes back one counted attempt that turned out right
            /// (`LoginFailures::forgiven`), by compare-and-set likewise.
            pub async fn forgive_login_failure(pool: &$pool, key: &str, rule: &FailureRule) -> Result<LoginFailures> {
                update_login_failures(pool, key, |old| old.forgiven(rule)).await
            }

            async fn update_login_failures(
                pool: &$pool,
                key: &str,
                change: impl Fn(LoginFailures) -> LoginFailures,
            ) -> Result<LoginFailures> {
                for _ in 0..LOGIN_FAILURE_ATTEMPTS {
                    let old = login_failures(pool, key).await?;
                    let new = change(old);
                    if new == old {
                        return Ok(new);
                    }
                    let mut done = 0;
                    if new == LoginFailures::default() {
                        done = sqlx::query(
                            "DELETE FROM login_failures WHERE account = $1 AND count = $2 AND locked_until = $3 \
                             AND last_failed_at = $4",
                        )
                        .bind(key)
                        .bind(old.count)
                        .bind(old.locked_until)
                        .bind(old.last_failed_at)
                        .execute(pool)
                        .await?
                        .rows_affected();
                    } else if old == LoginFailures::default() {
                        done = sqlx::query(
                            "INSERT INTO login_failures (account, count, locked_until, last_failed_at) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO NOTHING",
                        )
                        .bind(key)
                        .bind(new.count)
                        .bind(new.locked_until)
                        .bind(new.last_failed_at)
                        .execute(pool)
                        .await?
                        .rows_affected();
                    }
                    if done == 0 && old != LoginFailures::default() && new != LoginFailures::default() {
                        done = sqlx::query(
                            "UPDATE login_failures SET count = $2, locked_until = $3, last_failed_at = $4 \
                             WHERE account = $1 AND count = $5 AND locked_until = $6 AND last_failed_at = $7",
                        )
                        .bind(key)
                        .bind(new.count)
                        .bind(new.locked_until)
                        .bind(new.last_failed_at)
                        .bind(old.count)
                        .bind(old.locked_until)
                        .bind(old.last_failed_at)
                        .execute(pool)
                        .await?
                        .rows_affected();
                    }
                    if done == 1 {
                        return Ok(new);
                    }
                }
                Err(StoreError::Conflict("the login failure record kept changing".into()))
            }

            pub async fn put_session(pool: &$pool, key: &str, user: &UserId, expires_at: i64, now: i64) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
                sqlx::query("INSERT INTO sessions (token_key, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(key)
                    .bind(user.as_str())
                    .bind(expires_at)
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn session(pool: &$pool, key: &str) -> Result<Option<(UserId, i64)>> {
                let row = sqlx::query("SELECT user_id, expires_at FROM sessions WHERE token_key = $1")
                    .bind(key)
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some((UserId(r.try_get("user_id")?), r.try_get("expires_at")?)),
                    None => None,
                })
            }

            impl CreateTx for $conn {
                async fn expire_room(&mut self, room: &str, now: i64) -> Result<()> {
                    sqlx::query(EXPIRE_ROOM_SQL).bind(room).bind(now).execute(&mut *self).await?;
                    Ok(())
                }

                async fn room_is_active(&mut self, room: &str) -> Result<bool> {
                    Ok(sqlx::query(ROOM_IS_ACTIVE_SQL).bind(room).fetch_optional(&mut *self).await?.is_some())
                }

                async fn running_with_id(&mut self, id: &str, seq: Option<i64>) -> Result<Vec<(String, i64)>> {
                    let rows = sqlx::query(RUNNING_WITH_ID_SQL).bind(id).bind(seq).fetch_all(&mut *self).await?;
                    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
                }

                async fn end_overrun(&mut self, conf_uuid: &str) -> Result<()> {
                    sqlx::query(END_OVERRUN_SQL).bind(conf_uuid).execute(&mut *self).await?;
                    Ok(())
                }

                async fn is_room(&mut self, id: &str) -> Result<bool> {
                    Ok(sqlx::query(IS_ROOM_SQL).bind(id).fetch_optional(&mut *self).await?.is_some())
                }

                async fn room(&mut self, room: &RoomId) -> Result<Option<RoomRow>> {
                    let row = sqlx::query(ROOM_SQL).bind(room.as_str()).fetch_optional(&mut *self).await?;
                    Ok(match row {
                        Some(r) => Some(RoomRow {
                            enterprise_id: r.try_get("enterprise_id")?,
                            kind: r.try_get("kind")?,
                            owner_id: r.try_get("owner_id")?,
                        }),
                        None => None,
                    })
                }

                async fn free_shared_rooms(&mut self, enterprise: &EnterpriseId, now: i64) -> Result<Vec<RoomId>> {
                    let rows = sqlx::query(FREE_SHARED_ROOMS_SQL)
                        .bind(enterprise.as_str())
                        .bind(now)
                        .fetch_all(&mut *self)
                        .await?;
                    rows.iter().map(|r| Ok(RoomId(r.try_get("id")?))).collect()
                }

                async fn insert_meeting(&mut self, m: &Meeting, seq: Option<i64>) -> Result<bool> {
                    let room = m.room_id.as_ref().map(|r| r.as_str().to_owned());
                    let done = sqlx::query(INSERT_MEETING_SQL)
                        .bind(&m.conf_uuid)
                        .bind(m.conf_id.as_str())
                        .bind(m.conf_id.as_str())
                        .bind(&room)
                        .bind(&room)
                        .bind(m.owner_id.as_str())
                        .bind(m.enterprise_id.as_str())
                        .bind(&m.info.subject)
                        .bind(m.state.as_str())
                        .bind(m.start)
                        .bind(m.end)
                        .bind(encode_meeting(m)?)
                        .bind(subject_key(&m.info.subject))
                        .bind(seq)
                        .execute(&mut *self)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }
            }

            /// The meeting with this ID: the running one, else the latest.
            /// Drawn IDs are found through `meetings_conf_id`, a derived one
            /// through its sequence number (`seq`, from [`seq_of`]).
            pub async fn meeting_by_conf_id(pool: &$pool, conf_id: &str, seq: Option<i64>) -> Result<Option<Meeting>> {
                let row = sqlx::query(sqlx::AssertSqlSafe(meeting_by_conf_id_sql())).bind(conf_id).bind(seq).fetch_optional(pool).await?;
                row.as_ref().map(decode_meeting).transpose()
            }

            pub async fn meeting_by(pool: &$pool, column: &'static str, value: &str) -> Result<Option<Meeting>> {
                // `column` is one of this module's own constants, never input.
                let q = format!(
                    "SELECT {MEETING_COLS} FROM meetings WHERE {column} = $1 \
                     ORDER BY CASE WHEN active_conf_id IS NULL THEN 1 ELSE 0 END, start_ts DESC LIMIT 1"
                );
                let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(value).fetch_optional(pool).await?;
                row.as_ref().map(decode_meeting).transpose()
            }

            /// Folds the subjects of meetings stored before `subject_key`
            /// existed (a migration cannot run Rust's folding), a batch per
            /// transaction, until none is left.
            pub async fn fold_old_subjects(pool: &$pool) -> Result<u64> {
                let mut folded = 0;
                loop {
                    let mut tx = pool.begin().await?;
                    let rows = sqlx::query(UNFOLDED_SQL).fetch_all(&mut *tx).await?;
                    if rows.is_empty() {
                        return Ok(folded);
                    }
                    for r in &rows {
                        let (uuid, subject): (String, String) = (r.try_get(0)?, r.try_get(1)?);
                        sqlx::query(FOLD_SQL)
                            .bind(subject_key(&subject))
                            .bind(uuid)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    folded += rows.len() as u64;
                }
            }

            pub async fn list_meetings(pool: &$pool, owner: &UserId, q: &ListQuery, now: i64) -> Result<(i64, Vec<Meeting>)> {
                let search = q.search.clone().unwrap_or_default();
                let pattern = format!("%{}%", like_literal(&subject_key(&search)));
                let filter: &str = "owner_id = $1 AND ($2 = 1 OR (state = 'created' AND end_ts > $3)) \
                              AND ($4 = '' OR subject_key LIKE $5 ESCAPE '\\' OR conf_id = $4)";
                let count: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM meetings WHERE {filter}")))
                    .bind(owner.as_str())
                    .bind(i64::from(q.include_ended))
                    .bind(now)
                    .bind(&search)
                    .bind(&pattern)
                    .fetch_one(pool)
                    .await?
                    .try_get("n")?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {MEETING_COLS} FROM meetings WHERE {filter} ORDER BY start_ts DESC, conf_uuid LIMIT $6 OFFSET $7"
                )))
                .bind(owner.as_str())
                .bind(i64::from(q.include_ended))
                .bind(now)
                .bind(&search)
                .bind(&pattern)
                .bind(q.limit)
                .bind(q.offset)
                .fetch_all(pool)
                .await?;
                let meetings = rows.iter().map(decode_meeting).collect::<Result<Vec<_>>>()?;
                Ok((count, meetings))
            }

            pub async fn end_meeting(pool: &$pool, conf_uuid: &str) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE meetings SET state = 'ended', active_conf_id = NULL, active_room_id = NULL \
                     WHERE conf_uuid = $1 AND state = 'created'",
                )
                .bind(conf_uuid)
                .execute(pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            pub async fn set_meeting_end(pool: &$pool, conf_uuid: &str, end: i64) -> Result<()> {
                sqlx::query("UPDATE meetings SET end_ts = $1 WHERE conf_uuid = $2 AND state = 'created'")
                    .bind(end)
                    .bind(conf_uuid)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn set_live_settings(pool: &$pool, conf_uuid: &str, live: &LiveSettings) -> Result<()> {
                let json = serde_json::to_string(live).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query("UPDATE meetings SET live = $1 WHERE conf_uuid = $2 AND state = 'created'")
                    .bind(json)
                    .bind(conf_uuid)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn cancel_meeting(pool: &$pool, conf_uuid: &str, now: i64) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE meetings SET state = 'cancelled', active_conf_id = NULL, active_room_id = NULL \
                     WHERE conf_uuid = $1 AND state = 'created' AND end_ts > $2",
                )
                .bind(conf_uuid)
                .bind(now)
                .execute(pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

store_queries!(lite, sqlx::SqliteConnection, SqlitePool, sqlx::sqlite::SqliteRow);
store_queries!(pg, sqlx::PgConnection, PgPool, sqlx::postgres::PgRow);

/// The `Store` impl of a backend: the same SQL for both, except
/// `create_meeting`, which each backend schedules its own way.
macro_rules! impl_store {
    ($ty:ty, $q:ident) => {
        #[async_trait]
        impl Store for $ty {
            async fn create_meeting_staged(&self, meeting: NewMeeting, now: i64) -> Result<crate::Staged> {
                self.create_meeting_scheduled(meeting, now).await
            }
            async fn ensure_default_enterprise(&self, name: &str, now: i64) -> Result<Enterprise> {
                match $q::first_enterprise(&self.pool).await? {
                    Some(e) => Ok(e),
                    None => $q::create_enterprise(&self.pool, name, now).await,
                }
            }
            async fn create_enterprise(&self, name: &str, now: i64) -> Result<Enterprise> {
                $q::create_enterprise(&self.pool, name, now).await
            }
            async fn enterprise(&self, id: &EnterpriseId) -> Result<Option<Enterprise>> {
                $q::enterprise(&self.pool, id).await
            }
            async fn add_user(&self, user: NewUser, now: i64) -> Result<User> {
                let mut tx = self.pool.begin().await?;
                let u = $q::add_user(&mut *tx, self.conf_id_cipher(), user, now).await?;
                tx.commit().await?;
                Ok(u)
            }
            async fn user_by_account(&self, account: &str) -> Result<Option<User>> {
                $q::user_by(&self.pool, "account", account).await
            }
            async fn user_by_id(&self, id: &UserId) -> Result<Option<User>> {
                $q::user_by(&self.pool, "id", id.as_str()).await
            }
            async fn upsert_app_user(&self, app: &App, user: NewUser, now: i64) -> Result<User> {
                let mut tx = self.pool.begin().await?;
                let u = $q::upsert_app_user(&mut *tx, self.conf_id_cipher(), app, user, now).await?;
                tx.commit().await?;
                Ok(u)
            }
            async fn add_app(&self, app: App, now: i64) -> Result<App> {
                $q::add_app(&self.pool, app, now).await
            }
            async fn app(&self, app_id: &str) -> Result<Option<App>> {
                $q::app(&self.pool, app_id).await
            }
            async fn add_shared_room(&self, enterprise: &EnterpriseId, now: i64) -> Result<RoomId> {
                let mut tx = self.pool.begin().await?;
                let r = $q::add_shared_room(&mut *tx, self.conf_id_cipher(), enterprise, now).await?;
                tx.commit().await?;
                Ok(r)
            }
            async fn shared_rooms(&self, enterprise: &EnterpriseId) -> Result<Vec<RoomId>> {
                $q::shared_rooms(&self.pool, enterprise).await
            }
            async fn login_failures(&self, account: &str) -> Result<LoginFailures> {
                $q::login_failures(&self.pool, account).await
            }
            async fn set_login_failures(&self, account: &str, f: LoginFailures) -> Result<()> {
                $q::set_login_failures(&self.pool, account, f).await
            }
            async fn add_login_failure(&self, key: &str, now: i64, rule: &FailureRule) -> Result<LoginFailures> {
                $q::add_login_failure(&self.pool, key, now, rule).await
            }
            async fn forgive_login_failure(&self, key: &str, rule: &FailureRule) -> Result<LoginFailures> {
                $q::forgive_login_failure(&self.pool, key, rule).await
            }
            async fn put_session(&self, key: &str, user: &UserId, expires_at: i64, now: i64) -> Result<()> {
                $q::put_session(&self.pool, key, user, expires_at, now).await
            }
            async fn session(&self, key: &str) -> Result<Option<(UserId, i64)>> {
                $q::session(&self.pool, key).await
            }
            async fn meeting_by_conf_id(&self, conf_id: &ConfId) -> Result<Option<Meeting>> {
                let seq = seq_of(self.conf_id_cipher(), conf_id.as_str());
                $q::meeting_by_conf_id(&self.pool, conf_id.as_str(), seq).await
            }
            async fn meeting_by_uuid(&self, conf_uuid: &str) -> Result<Option<Meeting>> {
                $q::meeting_by(&self.pool, "conf_uuid", conf_uuid).await
            }
            async fn list_meetings(&self, owner: &UserId, q: &ListQuery, now: i64) -> Result<(i64, Vec<Meeting>)> {
                $q::list_meetings(&self.pool, owner, q, now).await
            }
            async fn end_meeting(&self, conf_uuid: &str) -> Result<bool> {
                $q::end_meeting(&self.pool, conf_uuid).await
            }
            async fn set_meeting_end(&self, conf_uuid: &str, end: i64) -> Result<()> {
                $q::set_meeting_end(&self.pool, conf_uuid, end).await
            }
            async fn cancel_meeting(&self, conf_uuid: &str, now: i64) -> Result<bool> {
                $q::cancel_meeting(&self.pool, conf_uuid, now).await
            }
            async fn set_live_settings(&self, conf_uuid: &str, live: &LiveSettings) -> Result<()> {
                $q::set_live_settings(&self.pool, conf_uuid, live).await
            }
        }
    };
}

impl_store!(SqliteStore, lite);
impl_store!(PgStore, pg);

/// One queued meeting creation for the SQLite writer.
struct CreateJob {
    meeting: NewMeeting,
    now: i64,
    /// The meeting (or the refusal) once its batch is committed.
    reply: oneshot::Sender<Result<Meeting>>,
    /// Told by the syncer once the commit is on disk.
    durable: oneshot::Sender<Result<()>>,
}

/// Most creates one group commit takes.
const MAX_BATCH: usize = 512;

/// SQLite backend: WAL with `synchronous = FULL`, a read pool, and one writer
/// thread that group-commits meeting creations.
pub struct SqliteStore {
    pool: SqlitePool,
    writer: mpsc::Sender<CreateJob>,
    /// This database's permutation of random meeting IDs (see `conf_ids`).
    cipher: ConfIdCipher,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite:PATH`).
    pub async fn open(url: &str) -> Result<SqliteStore> {
        Self::open_with(url, 0).await
    }

    /// [`SqliteStore::open`], first growing the WAL file to `wal_reserve`
    /// bytes of written zeros (see [`reserve_wal`]) if it is shorter.
    pub async fn open_with(url: &str, wal_reserve: u64) -> Result<SqliteStore> {
        // SQLite cuts the WAL back to this when it rewinds it: never below
        // the reserve.
        let keep = WAL_KEEP_BYTES.max(i64::try_from(wal_reserve).unwrap_or(i64::MAX));
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .page_size(1024)
            // A batch's inserts keep a statement journal; in memory it costs a
            // copy, on disk a temporary file per batch.
            .pragma("temp_store", "MEMORY")
            .pragma("journal_size_limit", keep.to_string())
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        lite::fold_old_subjects(&pool).await?;
        let key: Vec<u8> = sqlx::query_scalar("SELECT value FROM store_keys WHERE name = 'conf_id'")
            .fetch_one(&pool)
            .await?;
        let key: [u8; 16] = key
            .try_into()
            .map_err(|_| StoreError::Corrupt("the meeting ID key in store_keys is not 16 bytes".into()))?;
        let cipher = ConfIdCipher::new(key);
        // The writer reads where the sequence stands at each transaction.
        let draws = IdDraws {
            cipher: Some(cipher.clone()),
            next: 0,
        };
        let path = opts.get_filename().to_owned();
        let wal = {
            let mut p = path.as_os_str().to_owned();
            p.push("-wal");
            std::path::PathBuf::from(p)
        };
        let wal_file = wal.clone();
        let conn = open_writer(&path, keep)?;
        reserve_wal(&conn, &wal, wal_reserve)?;
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        let (sync_tx, sync_rx) = std::sync::mpsc::channel();
        let created = Arc::new(AtomicU64::new(0));
        let counter = created.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || sqlite_writer(conn, draws, rx, sync_tx, counter))
            .map_err(|e| StoreError::Corrupt(format!("starting the SQLite writer: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-syncer".into())
            .spawn(move || sqlite_syncer(wal, sync_rx))
            .map_err(|e| StoreError::Corrupt(format!("starting the SQLite syncer: {e}")))?;
        tokio::spawn(sqlite_checkpointer(pool.clone(), wal_file, tx.downgrade(), created));
        Ok(SqliteStore {
            pool,
            writer: tx,
            cipher,
        })
    }

    fn conf_id_cipher(&self) -> Option<&ConfIdCipher> {
        Some(&self.cipher)
    }

    async fn create_meeting_scheduled(&self, meeting: NewMeeting, now: i64) -> Result<crate::Staged> {
        let (reply, answer) = oneshot::channel();
        let (durable, on_disk) = oneshot::channel();
        self.writer
            .send(CreateJob {
                meeting,
                now,
                reply,
                durable,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        let meeting = answer.await.map_err(|_| StoreError::Closed)??;
        Ok(crate::Staged {
            meeting,
            // A syncer gone before the fsync: not known to be on disk.
            durable: Box::pin(async move { on_disk.await.map_err(|_| StoreError::Closed)? }),
        })
    }
}

/// The writer's own connection (rusqlite, driven synchronously by its
/// thread: no hop per statement, statements prepared once).
///
/// It never checkpoints: a checkpoint inside its commit would delay every
/// create of the batch; the checkpointer task does that on the pool's FULL
/// connections, which sync the WAL before copying it and the database after.
/// Nor does it fsync at commit (synchronous = OFF on this connection only):
/// the syncer thread fsyncs the WAL after each commit and only then
/// acknowledges the batch, so an acknowledged create is on disk, while the
/// next batch's SQL runs during the previous one's fsync.
fn open_writer(path: &std::path::Path, journal_size_limit: i64) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "journal_size_limit", journal_size_limit)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// Grows the WAL file to `reserve` bytes of written (and synced) zeros, as
/// PostgreSQL recycles WAL segments, if it is shorter.
///
/// A commit that appends to the WAL makes its fdatasync also allocate blocks
/// and commit the file system's journal for the new size; one that overwrites
/// written blocks does not (the fsync p50 0.8 -> 0.4 ms; creates/s and p99 in
/// docs/PERFORMANCE.md, "the WAL reserve"). SQLite keeps the file
/// (it rewinds to its start after a checkpoint and cuts it back only to
/// `journal_size_limit`, set no lower), so this is paid once per data folder.
///
/// Safe beside SQLite: it runs inside a write transaction (no frame can be
/// appended meanwhile) and writes only past the end of the file; SQLite reads
/// frames only up to the last valid one, and zeros are never valid. On an
/// error (a full disk) the file is cut back to where it ended and the store
/// opens without the reserve.
fn reserve_wal(conn: &rusqlite::Connection, wal: &std::path::Path, reserve: u64) -> Result<()> {
    use std::io::{Seek, Write};
    if reserve == 0 {
        return Ok(());
    }
    fn append_zeros(file: &mut std::fs::File, from: u64, to: u64) -> std::io::Result<()> {
        file.seek(std::io::SeekFrom::Start(from))?;
        let zeros = vec![0u8; 1 << 20];
        let mut at = from;
        while at < to {
            let n = usize::try_from(to - at).unwrap_or(usize::MAX).min(zeros.len());
            file.write_all(&zeros[..n])?;
            at += n as u64;
        }
        file.sync_all()
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let grown = std::fs::OpenOptions::new().write(true).open(wal).and_then(|mut file| {
        let len = file.metadata()?.len();
        let written = if len < reserve {
            append_zeros(&mut file, len, reserve)
        } else {
            Ok(())
        };
        if written.is_err() {
            let _ = file.set_len(len);
        }
        written
    });
    conn.execute_batch("ROLLBACK")?;
    if let Err(e) = grown {
        tracing::warn!(error = %e, wal = %wal.display(), reserve, "could not write the WAL reserve; going on without");
    }
    Ok(())
}

/// How often the checkpointer looks at the writer.
const CHECKPOINT_TICK: Duration = Duration::from_millis(100);

/// While the writer is idle, the WAL is copied back into the database file
/// this often (a checkpoint with nothing to copy costs next to nothing).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// While creates keep coming, checkpoints wait: one running beside the
/// writer costs it the copy's reads and writes and the database file's
/// fsync on the same disk (measured: p99 11.3-11.9 ms with a checkpoint
/// every 500 ms, 9.2-10 ms without, at 10.5-11.7k creates/s). They wait at
/// most this long...
const CHECKPOINT_BUSY_MAX_WAIT: Duration = Duration::from_secs(60);

/// ...or until the WAL file has grown this large (PostgreSQL's default
/// `max_wal_size`; ~2.7 KB per create measured, so ~400,000 creates). A
/// larger WAL makes readers probe more of its index and a crash's recovery
/// read more of it.
const CHECKPOINT_BUSY_MAX_WAL_BYTES: u64 = 1 << 30;

/// What is left of the WAL file when SQLite rewinds it.
///
/// SQLite rewinds the WAL when a write begins after a checkpoint has copied
/// all of it back. During a burst of creates there is no checkpoint (see
/// above), so the WAL grows for as long as the burst lasts (about 40 MB/s at
/// 11k creates/s); the checkpoint at the first pause copies it back, the next
/// write rewinds it, and SQLite cuts it back to this size. Forcing a rewind
/// during the burst would stall the writer for a database fsync
/// (20-60 ms measured), which costs more than the disk space. A WAL reserve
/// (`open_with`) larger than this is kept instead.
const WAL_KEEP_BYTES: i64 = 64 << 20;

/// Checkpoints the WAL while the store is open (until its writer is gone):
/// when the writer has been idle for a tick, or when a burst has gone on for
/// too long or grown the WAL too much. `created` counts the creates the
/// writer has committed.
async fn sqlite_checkpointer(
    pool: SqlitePool,
    wal: std::path::PathBuf,
    alive: mpsc::WeakSender<CreateJob>,
    created: Arc<AtomicU64>,
) {
    let mut tick = tokio::time::interval(CHECKPOINT_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = created.load(Ordering::Relaxed);
    let (mut last, mut at_last) = (tokio::time::Instant::now(), seen);
    loop {
        tick.tick().await;
        if alive.upgrade().is_none() {
            return;
        }
        let now_created = created.load(Ordering::Relaxed);
        let busy = now_created != seen;
        seen = now_created;
        let due = if busy {
            let wal_bytes = tokio::fs::metadata(&wal).await.map(|m| m.len()).unwrap_or(0);
            last.elapsed() >= CHECKPOINT_BUSY_MAX_WAIT || wal_bytes >= CHECKPOINT_BUSY_MAX_WAL_BYTES
        } else {
            last.elapsed() >= CHECKPOINT_EVERY || now_created != at_last
        };
        if !due {
            continue;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
        }
        (last, at_last) = (tokio::time::Instant::now(), now_created);
    }
}

/// Takes every create that is waiting, runs them in one transaction, commits
/// once, hands each caller its meeting (so that it can build its answer while
/// the fsync runs) and the batch to the syncer, which tells the callers when
/// it is on disk. Runs on its own thread until the store is dropped.
fn sqlite_writer(
    mut conn: rusqlite::Connection,
    mut draws: IdDraws,
    mut rx: mpsc::Receiver<CreateJob>,
    syncer: std::sync::mpsc::Sender<Committed>,
    created: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // The meetings move into the transaction (nothing is copied); whom
        // to answer stays here.
        let (work, callers): (Vec<_>, Vec<_>) = batch
            .drain(..)
            .map(|job| ((job.meeting, job.now), (job.reply, job.durable)))
            .unzip();
        match write_batch(&mut conn, &mut draws, work) {
            Ok(results) => {
                created.fetch_add(callers.len() as u64, Ordering::Relaxed);
                // Committed, not yet durable: each caller gets its meeting now
                // and the syncer tells it once it is on disk. A refused create
                // stored nothing and has nothing to wait for.
                let answers = callers
                    .into_iter()
                    .zip(results)
                    .filter_map(|((reply, durable), result)| {
                        let ok = result.is_ok();
                        let _ = reply.send(result);
                        ok.then_some(durable)
                    })
                    .collect();
                if let Err(lost) = syncer.send(answers) {
                    for reply in lost.0 {
                        let _ = reply.send(Err(StoreError::Closed));
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = callers.len(), "group commit failed");
                let msg = e.to_string();
                for (reply, _) in callers {
                    let _ = reply.send(Err(StoreError::GroupCommit(msg.clone())));
                }
            }
        }
    }
}

/// A committed batch waiting for its fsync: whom to tell.
type Committed = Vec<oneshot::Sender<Result<()>>>;

/// Makes committed batches durable (fdatasync of the WAL) and tells their
/// callers.
/// One sync covers every batch committed before it started.
fn sqlite_syncer(wal: std::path::PathBuf, rx: std::sync::mpsc::Receiver<Committed>) {
    let mut file: Option<std::fs::File> = None;
    let mut waiting: Vec<Committed> = Vec::new();
    while let Ok(first) = rx.recv() {
        waiting.push(first);
        waiting.extend(rx.try_iter());
        if file.is_none() {
            file = std::fs::OpenOptions::new().read(true).open(&wal).ok();
        }
        let synced = match &file {
            Some(f) => f.sync_data(),
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no WAL file to sync")),
        };
        if let Err(e) = &synced {
            tracing::error!(error = %e, "syncing the WAL");
        }
        for reply in waiting.drain(..).flatten() {
            let answer = synced
                .as_ref()
                .map(|_| ())
                .map_err(|e| StoreError::GroupCommit(format!("syncing the WAL: {e}")));
            let _ = reply.send(answer);
        }
    }
}

/// One group commit: every job's creation in one transaction. A database
/// error fails the whole batch (nothing of it is stored) rather than guess.
fn write_batch(
    conn: &mut rusqlite::Connection,
    draws: &mut IdDraws,
    batch: Vec<(NewMeeting, i64)>,
) -> Result<Vec<Result<Meeting>>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Where the sequence of derived IDs stands, read inside the write lock:
    // another process writing meetings into the same file (a second server
    // on one data folder) has then moved it on, and no number is drawn twice.
    let end: i64 = tx.prepare_cached(SEQUENCE_END_SQL)?.query_row([], |r| r.get(0))?;
    draws.next = draws.next.max(end);
    let mut results = Vec::with_capacity(batch.len());
    {
        let mut w = LiteWriter(&tx);
        for (meeting, now) in batch {
            match run_ready(create_meeting(&mut w, draws, meeting, now))? {
                Err(StoreError::Sqlite(e)) => return Err(StoreError::Sqlite(e)),
                other => results.push(other),
            }
        }
    }
    tx.commit()?;
    Ok(results)
}

/// Runs a future that never waits (the writer's statements are synchronous)
/// to completion on the calling thread.
fn run_ready<F: std::future::Future>(f: F) -> Result<F::Output> {
    let mut f = std::pin::pin!(f);
    match f
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(v) => Ok(v),
        std::task::Poll::Pending => Err(StoreError::Corrupt("the SQLite writer was asked to wait".into())),
    }
}

/// The SQLite writer's transaction as a [`CreateTx`]: the same statements
/// as the sqlx backends (`$N` placeholders bind by position in SQLite too).
struct LiteWriter<'a>(&'a rusqlite::Transaction<'a>);

impl CreateTx for LiteWriter<'_> {
    async fn expire_room(&mut self, room: &str, now: i64) -> Result<()> {
        self.0
            .prepare_cached(EXPIRE_ROOM_SQL)?
            .execute(rusqlite::params![room, now])?;
        Ok(())
    }

    async fn room_is_active(&mut self, room: &str) -> Result<bool> {
        Ok(self.0.prepare_cached(ROOM_IS_ACTIVE_SQL)?.exists([room])?)
    }

    async fn running_with_id(&mut self, id: &str, seq: Option<i64>) -> Result<Vec<(String, i64)>> {
        let mut st = self.0.prepare_cached(RUNNING_WITH_ID_SQL)?;
        let rows = st.query_map(rusqlite::params![id, seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn end_overrun(&mut self, conf_uuid: &str) -> Result<()> {
        self.0.prepare_cached(END_OVERRUN_SQL)?.execute([conf_uuid])?;
        Ok(())
    }

    async fn is_room(&mut self, id: &str) -> Result<bool> {
        Ok(self.0.prepare_cached(IS_ROOM_SQL)?.exists([id])?)
    }

    async fn room(&mut self, room: &RoomId) -> Result<Option<RoomRow>> {
        use rusqlite::OptionalExtension;
        let mut st = self.0.prepare_cached(ROOM_SQL)?;
        let row = st
            .query_row([room.as_str()], |r| {
                Ok(RoomRow {
                    enterprise_id: r.get(0)?,
                    kind: r.get(1)?,
                    owner_id: r.get(2)?,
                })
            })
            .optional()?;
        Ok(row)
    }

    async fn free_shared_rooms(&mut self, enterprise: &EnterpriseId, now: i64) -> Result<Vec<RoomId>> {
        let mut st = self.0.prepare_cached(FREE_SHARED_ROOMS_SQL)?;
        let rows = st.query_map(rusqlite::params![enterprise.as_str(), now], |r| r.get::<_, String>(0))?;
        Ok(rows.map(|r| r.map(RoomId)).collect::<Result<_, _>>()?)
    }

    async fn insert_meeting(&mut self, m: &Meeting, seq: Option<i64>) -> Result<bool> {
        let room = m.room_id.as_ref().map(|r| r.as_str());
        let doc = encode_meeting(m)?;
        let done = self.0.prepare_cached(INSERT_MEETING_SQL)?.execute(rusqlite::params![
            m.conf_uuid,
            m.conf_id.as_str(),
            m.conf_id.as_str(),
            room,
            room,
            m.owner_id.as_str(),
            m.enterprise_id.as_str(),
            m.info.subject,
            m.state.as_str(),
            m.start,
            m.end,
            doc,
            subject_key(&m.info.subject),
            seq,
        ])?;
        Ok(done == 1)
    }
}

/// PostgreSQL backend: a connection pool; each create is its own transaction,
/// and the unique indexes settle races between nodes.
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<PgStore> {
        let pool = PgPoolOptions::new().max_connections(16).connect(url).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        pg::fold_old_subjects(&pool).await?;
        Ok(PgStore { pool })
    }

    /// PostgreSQL draws random IDs (several nodes create at once) and finds
    /// them through its `meetings_conf_id` index.
    fn conf_id_cipher(&self) -> Option<&ConfIdCipher> {
        None
    }
}

impl PgStore {
    async fn create_meeting_scheduled(&self, meeting: NewMeeting, now: i64) -> Result<crate::Staged> {
        let mut tx = self.pool.begin().await?;
        let m = create_meeting(&mut *tx, &mut IdDraws::drawn(), meeting, now).await?;
        tx.commit().await?;
        Ok(crate::Staged {
            meeting: m,
            durable: Box::pin(std::future::ready(Ok(()))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_core::create::{plan, ConfOptions, CreateLimits, Creator};
    use convene_proto::{CreateConfInfo, MediaType, VmrConfIdType};

    const T0: i64 = 1_800_000_000;

    async fn store_with_user(dir: &tempfile::TempDir) -> (SqliteStore, User) {
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let user = add_alice(&store).await;
        (store, user)
    }

    async fn add_alice(store: &SqliteStore) -> User {
        let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
        let user = NewUser {
            enterprise_id: e.id,
            account: "alice".into(),
            password_hash: None,
            name: "Alice".into(),
            email: None,
            phone: None,
            app_id: None,
            third_user_id: None,
        };
        store.add_user(user, T0).await.unwrap()
    }

    fn request(u: &User, fixed: bool) -> NewMeeting {
        let mut info = CreateConfInfo::new("ids", MediaType::Video, true);
        if fixed {
            info.vmr_conf_id_type = Some(VmrConfIdType::Fixed);
        }
        let creator = Creator {
            user_id: u.id.clone(),
            name: u.name.clone(),
            enterprise_id: u.enterprise_id.clone(),
            personal_room: u.personal_room.clone(),
        };
        plan(
            info,
            ConfOptions::default(),
            &creator,
            &CreateLimits::default(),
            T0,
            &mut rand::thread_rng(),
        )
        .unwrap()
    }

    async fn id_seq(store: &SqliteStore, m: &Meeting) -> Option<i64> {
        sqlx::query_scalar("SELECT id_seq FROM meetings WHERE conf_uuid = $1")
            .bind(&m.conf_uuid)
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn random_ids_are_derived_from_a_sequence_and_found_by_it() {
        let dir = tempfile::tempdir().unwrap();
        let (store, alice) = store_with_user(&dir).await;
        let mut made = Vec::new();
        for seq in 0..3 {
            let m = store.create_meeting(request(&alice, false), T0).await.unwrap();
            assert_eq!(id_seq(&store, &m).await, Some(seq));
            assert_eq!(store.cipher.id_of(seq).as_deref(), Some(m.conf_id.as_str()));
            made.push(m);
        }
        // A cloud meeting room's fixed ID is drawn, not derived.
        let fixed = store.create_meeting(request(&alice, true), T0).await.unwrap();
        assert_eq!(fixed.conf_id.as_str(), alice.personal_room.as_str());
        assert_eq!(id_seq(&store, &fixed).await, None);
        for m in made.iter().chain([&fixed]) {
            let found = store.meeting_by_conf_id(&m.conf_id).await.unwrap().unwrap();
            assert_eq!(found.conf_uuid, m.conf_uuid);
        }
        // The sequence goes on after a restart; the key stays.
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        drop(store);
        let again = SqliteStore::open(&url).await.unwrap();
        let m = again.create_meeting(request(&alice, false), T0).await.unwrap();
        assert_eq!(id_seq(&again, &m).await, Some(3));
        assert_eq!(again.cipher.id_of(0).as_deref(), Some(made[0].conf_id.as_str()));
        assert!(again.meeting_by_conf_id(&made[1].conf_id).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_drawn_id_that_is_running_or_a_room_is_not_given_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, alice) = store_with_user(&dir).await;
        // A meeting from before derived IDs (drawn, so no sequence number)
        // runs under the ID that sequence number 0 would give.
        let old = store.create_meeting(request(&alice, false), T0).await.unwrap();
        let taken = store.cipher.id_of(1).unwrap();
        sqlx::query("UPDATE meetings SET conf_id = $1, active_conf_id = $1, id_seq = NULL WHERE conf_uuid = $2")
            .bind(&taken)
            .bind(&old.conf_uuid)
            .execute(&store.pool)
            .await
            .unwrap();
        // And sequence number 2's ID is a cloud meeting room's.
        let room = store.cipher.id_of(2).unwrap();
        sqlx::query(
            "INSERT INTO rooms (id, enterprise_id, kind, owner_id, created_at) VALUES ($1, $2, 'shared', NULL, 0)",
        )
        .bind(&room)
        .bind(alice.enterprise_id.as_str())
        .execute(&store.pool)
        .await
        .unwrap();
        let m = store.create_meeting(request(&alice, false), T0).await.unwrap();
        assert_eq!(id_seq(&store, &m).await, Some(3), "1 is running, 2 is a room");
        assert_eq!(m.conf_id.as_str(), store.cipher.id_of(3).unwrap());
        let found = store.meeting_by_conf_id(&ConfId(taken.clone())).await.unwrap().unwrap();
        assert_eq!(found.conf_uuid, old.conf_uuid, "the drawn ID is still found");

        // A drawn meeting that ran past its end gives its ID up: now under
        // sequence number 4's ID, it is ended when that ID is drawn.
        let overrun = store.cipher.id_of(4).unwrap();
        sqlx::query("UPDATE meetings SET conf_id = $1, active_conf_id = $1 WHERE conf_uuid = $2")
            .bind(&overrun)
            .bind(&old.conf_uuid)
            .execute(&store.pool)
            .await
            .unwrap();
        let later = old.end + 1;
        let next = store.create_meeting(request(&alice, false), later).await.unwrap();
        assert_eq!(next.conf_id.as_str(), overrun);
        assert_eq!(id_seq(&store, &next).await, Some(4));
        let found = store.meeting_by_conf_id(&ConfId(overrun)).await.unwrap().unwrap();
        assert_eq!(found.conf_uuid, next.conf_uuid, "the running one first");
        let old_state: (String, Option<String>) =
            sqlx::query_as("SELECT state, active_conf_id FROM meetings WHERE conf_uuid = $1")
                .bind(&old.conf_uuid)
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(old_state, ("ended".to_owned(), None));
    }

    #[tokio::test]
    async fn a_staged_create_is_settled_at_commit_and_durable_after_the_sync() {
        let dir = tempfile::tempdir().unwrap();
        let (store, alice) = store_with_user(&dir).await;
        let staged = store.create_meeting_staged(request(&alice, false), T0).await.unwrap();
        // Committed: readers see it before the fsync is known to be done.
        let read = store.meeting_by_uuid(&staged.meeting.conf_uuid).await.unwrap().unwrap();
        assert_eq!(read.conf_id, staged.meeting.conf_id);
        staged.durable.await.unwrap();

        // A refusal (the room is busy) comes at once, with nothing to wait for.
        let first = store.create_meeting_staged(request(&alice, true), T0).await.unwrap();
        let refused = store.create_meeting_staged(request(&alice, true), T0).await;
        assert!(matches!(refused, Err(StoreError::RoomBusy(_))), "{:?}", refused.err());
        first.durable.await.unwrap();

        // Many at once: one group commit or a few, each told when it is durable.
        let many =
            futures::future::join_all((0..40).map(|_| store.create_meeting_staged(request(&alice, false), T0))).await;
        let mut ids = std::collections::HashSet::new();
        for staged in many {
            let staged = staged.unwrap();
            assert!(ids.insert(staged.meeting.conf_id.clone()));
            staged.durable.await.unwrap();
        }
        // The one-step call is the same two steps.
        let m = store.create_meeting(request(&alice, false), T0).await.unwrap();
        assert!(!ids.contains(&m.conf_id));
    }

    #[tokio::test]
    async fn the_wal_reserve_is_written_ahead_kept_and_harmless() {
        // Above WAL_KEEP_BYTES, so that SQLite's cut-back would show.
        const RESERVE: u64 = 72 << 20;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let wal = dir.path().join("t.db-wal");
        let wal_len = || std::fs::metadata(&wal).unwrap().len();
        let store = SqliteStore::open_with(&url, RESERVE).await.unwrap();
        let alice = add_alice(&store).await;
        assert!(wal_len() >= RESERVE, "{}", wal_len());
        let mut made = Vec::new();
        for _ in 0..20 {
            made.push(store.create_meeting(request(&alice, false), T0).await.unwrap());
        }
        // Copied back and rewound: SQLite cuts the file back no lower than the reserve.
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&store.pool)
            .await
            .unwrap();
        made.push(store.create_meeting(request(&alice, false), T0).await.unwrap());
        assert!(wal_len() >= RESERVE, "{}", wal_len());
        drop(store);
        // Everything acknowledged is read back after a reopen (the zeros past
        // the last frame are not taken for frames).
        let again = SqliteStore::open_with(&url, RESERVE).await.unwrap();
        for m in &made {
            let read = again.meeting_by_conf_id(&m.conf_id).await.unwrap().unwrap();
            assert_eq!(read.conf_uuid, m.conf_uuid);
        }
        assert!(wal_len() >= RESERVE);
    }

    #[tokio::test]
    async fn two_stores_on_one_file_never_draw_the_same_number() {
        let dir = tempfile::tempdir().unwrap();
        let (a, alice) = store_with_user(&dir).await;
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let b = SqliteStore::open(&url).await.unwrap();
        let mut ids = std::collections::HashSet::new();
        // `b` opened before `a` wrote these, and is then many numbers behind
        // (more than a create's attempts).
        let plan = [(&a, 40), (&b, 1), (&a, 1), (&b, 2)];
        let mut seq = 0;
        for (store, n) in plan {
            for _ in 0..n {
                let m = store.create_meeting(request(&alice, false), T0).await.unwrap();
                assert!(ids.insert(m.conf_id.clone()), "{:?} given twice", m.conf_id);
                assert_eq!(id_seq(store, &m).await, Some(seq));
                seq += 1;
            }
        }
    }

    #[tokio::test]
    async fn lookups_by_id_use_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_user(&dir).await;
        let by_id = meeting_by_conf_id_sql();
        for sql in [RUNNING_WITH_ID_SQL, by_id.as_str()] {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .bind("123456789")
                .bind(7i64)
                .fetch_all(&store.pool)
                .await
                .unwrap();
            let plan: Vec<String> = rows.iter().map(|r| r.get("detail")).collect();
            let plan = plan.join(" | ");
            assert!(plan.contains("meetings USING INDEX meetings_conf_id"), "{plan}");
            assert!(plan.contains("meetings USING INDEX meetings_id_seq"), "{plan}");
            assert!(!plan.contains("SCAN meetings"), "{plan}");
        }
    }
}
