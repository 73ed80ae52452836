//! Storage of convene: the [`Store`] trait and its SQLite and PostgreSQL
//! backends, picked by the database URL's scheme ([`open`]).
//!
//! Both backends run the same SQL (written with `$N` placeholders, which both
//! dialects read), generated once per backend by the `store_queries!` macro in
//! [`sql`]; each runs its own `migrations/` at start-up.
//!
//! What storage decides, because only it can decide atomically: a random
//! meeting ID that no running meeting or room uses, and which room a meeting
//! occupies (one running meeting per room, enforced by unique indexes so that
//! it also holds with several nodes on one PostgreSQL).
//!
//! SQLite writes meetings through one writer thread that commits whatever has
//! queued up in one transaction (group commit): every create is durable when
//! it is acknowledged, and a burst costs one fsync instead of one each. The
//! caller gets its meeting at the commit and its durability at the fsync
//! ([`Store::create_meeting_staged`]), so it can build its answer meanwhile.
//!
//! This crate knows nothing of HTTP, tokens' wire format or SDKERR codes.

mod conf_ids;
pub mod doc;
mod sql;

use async_trait::async_trait;
use convene_core::auth::{FailureRule, LoginFailures};
use convene_core::notify::Notice;
use convene_core::{ConfId, ConfUuid, EnterpriseId, Meeting, NewMeeting, RoomId, UserId};

pub use sql::{
    AttendanceRow, ChatRow, Composed, ControlRow, Delivery, EventDelivery, EventItem, EventStatus, NoticeStatus,
    OutboxItem, PgStore, RecordQuery, Segment, SqliteStore, INTERRUPTED,
};

/// A storage failure, or a refusal only storage can make.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cloud meeting room {0} already holds a running meeting")]
    RoomBusy(RoomId),
    #[error("cloud meeting room {0} is not one the caller may use")]
    RoomNotAllowed(RoomId),
    #[error("the enterprise has no free shared cloud meeting room")]
    NoFreeRoom,
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://...")]
    BadUrl(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// From the SQLite writer's own connection.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The SQLite group commit this create was part of failed (every create
    /// of the batch gets it; the reason is the first error's text).
    #[error("the group commit failed: {0}")]
    GroupCommit(String),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    pub id: EnterpriseId,
    pub name: String,
}

/// An account: a password user, or an App ID user (`app_id` set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub enterprise_id: EnterpriseId,
    pub account: String,
    pub password_hash: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub app_id: Option<String>,
    pub third_user_id: Option<String>,
    pub personal_room: RoomId,
    /// An administrator of its enterprise (manages its accounts).
    pub admin: bool,
}

/// What a new account is made of; the store adds its ID and personal room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub enterprise_id: EnterpriseId,
    pub account: String,
    pub password_hash: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub app_id: Option<String>,
    pub third_user_id: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct App {
    pub app_id: String,
    pub app_key: String,
    pub enterprise_id: EnterpriseId,
}

/// An enterprise's event-push subscription (spec §6.1).
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub enterprise_id: EnterpriseId,
    /// The `appID` of each push.
    pub subscriber_id: String,
    /// Signs each push (a secret).
    pub subscriber_key: String,
    pub url: String,
    /// 0 enabled, 1 not started or disabled, 2 locked.
    pub status: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for Webhook {
    // The key is a secret: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("enterprise_id", &self.enterprise_id)
            .field("subscriber_id", &self.subscriber_id)
            .field("url", &self.url)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// An App ID as its enterprise's administrators manage it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    pub app: App,
    pub name: String,
    pub description: String,
    /// Its logins are refused.
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A change of an App ID (each field: `None` keeps it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub disabled: Option<bool>,
    pub app_key: Option<String>,
}

impl std::fmt::Debug for App {
    // The key is a secret: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("app_id", &self.app_id)
            .field("app_key", &"<hidden>")
            .field("enterprise_id", &self.enterprise_id)
            .finish()
    }
}

/// A page of a user's meetings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub offset: i64,
    pub limit: i64,
    /// Matched against the subject and the meeting ID.
    pub search: Option<String>,
    /// Whether ended and cancelled meetings are listed too.
    pub include_ended: bool,
    /// Only meetings starting before this time (Unix seconds).
    pub starts_before: Option<i64>,
    /// Oldest start first (else newest first).
    pub ascending: bool,
    /// Which meetings: not over yet (default), running, or held.
    pub kind: ListKind,
    /// Only meetings starting at or after this time (Unix seconds).
    pub starts_from: Option<i64>,
}

/// Which of a user's meetings a list holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListKind {
    /// Running and booked (`search_meetings`).
    #[default]
    NotOver,
    /// Running only (`search_online_meetings`).
    Running,
    /// Held and over: ended, or running past their end (history); a
    /// booking nobody held or a cancelled one is not.
    Held,
}

/// The lease a live meeting's change is written under: the write renews it
/// to `until_ms` in the same transaction, and does not happen when another
/// node took the meeting (the epoch moved on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub node_id: String,
    pub epoch: i64,
    /// Unix milliseconds.
    pub until_ms: i64,
}

/// What a node hears from the others ([`Store::subscribe`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A message another node (or this one) published.
    Message(String),
    /// Some messages were lost (the connection dropped, or the subscriber
    /// fell behind): what it keeps from them should be forgotten.
    Missed,
}

/// Which node runs a live meeting's session (see `meeting_leases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub node_id: String,
    /// Where other nodes reach it (its cluster address).
    pub node_url: String,
    /// The fencing token: it grows by one at every takeover.
    pub epoch: i64,
    /// Unix milliseconds (0: released).
    pub expires_at: i64,
}

/// The most meetings [`Store::segments_of_many`] looks up in one query (a
/// list's largest page).
pub const MAX_SEGMENT_LOOKUP: usize = 500;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The oldest enterprise, created with `name` if there is none.
    async fn ensure_default_enterprise(&self, name: &str, now: i64) -> Result<Enterprise>;
    async fn create_enterprise(&self, name: &str, now: i64) -> Result<Enterprise>;
    async fn enterprise(&self, id: &EnterpriseId) -> Result<Option<Enterprise>>;

    /// Adds an account and its personal room in one transaction.
    async fn add_user(&self, user: NewUser, now: i64) -> Result<User>;
    async fn user_by_account(&self, account: &str) -> Result<Option<User>>;
    async fn user_by_id(&self, id: &UserId) -> Result<Option<User>>;
    /// The App ID user, created on first login and its profile refreshed after.
    async fn upsert_app_user(&self, app: &App, user: NewUser, now: i64) -> Result<User>;

    async fn add_app(&self, app: App, now: i64) -> Result<App>;
    async fn app(&self, app_id: &str) -> Result<Option<App>>;
    async fn add_shared_room(&self, enterprise: &EnterpriseId, now: i64) -> Result<RoomId>;
    async fn shared_rooms(&self, enterprise: &EnterpriseId) -> Result<Vec<RoomId>>;

    /// Failures are kept per account *name*, existing or not (and per name
    /// and address, `convene_core::auth::login_address_key`).
    async fn login_failures(&self, key: &str) -> Result<LoginFailures>;
    async fn set_login_failures(&self, key: &str, f: LoginFailures) -> Result<()>;
    /// Counts one more wrong password for `key` at `now` under `rule` and
    /// returns the record after it. Atomic: of N concurrent calls, each counts.
    async fn add_login_failure(&self, key: &str, now: i64, rule: &FailureRule) -> Result<LoginFailures>;
    /// Takes back one attempt counted by `add_login_failure` that was right.
    async fn forgive_login_failure(&self, key: &str, rule: &FailureRule) -> Result<LoginFailures>;

    /// `key` is a digest of the token, never the token itself.
    async fn put_session(&self, key: &str, user: &UserId, expires_at: i64, now: i64) -> Result<()>;
    async fn session(&self, key: &str) -> Result<Option<(UserId, i64)>>;
    /// Ends a session (a logout); whether it existed.
    async fn delete_session(&self, key: &str) -> Result<bool>;

    /// Stores a checked meeting: settles its ID and room, durably, or refuses.
    async fn create_meeting(&self, meeting: NewMeeting, now: i64) -> Result<Meeting> {
        let staged = self.create_meeting_staged(meeting, now).await?;
        staged.durable.await?;
        Ok(staged.meeting)
    }
    /// `create_meeting` in two steps: the meeting as soon as it is settled
    /// (committed, visible to readers), and a [`Durable`] that resolves once
    /// it is on disk. Whoever acknowledges the create must wait for `durable`
    /// first; the time between is for building the answer.
    async fn create_meeting_staged(&self, meeting: NewMeeting, now: i64) -> Result<Staged>;
    /// The meeting with this ID at `now`: the running one, else the next
    /// booked one not over yet, else the latest one that had it.
    async fn meeting_by_conf_id(&self, conf_id: &ConfId, now: i64) -> Result<Option<Meeting>>;
    async fn meeting_by_uuid(&self, conf_uuid: &ConfUuid) -> Result<Option<Meeting>>;
    /// A page of the meetings `owner` created, newest first, and the total.
    async fn list_meetings(&self, owner: &UserId, q: &ListQuery, now: i64) -> Result<(i64, Vec<Meeting>)>;
    /// Starts a booked meeting at `now` (its start moves to `now` if that is
    /// earlier), taking its ID and room unless the room has another meeting
    /// meanwhile; answers the meeting as it is after (still `Scheduled` if it
    /// could not start, `Running` if it or someone else started it).
    async fn activate_meeting(&self, conf_uuid: &ConfUuid, now: i64) -> Result<Option<Meeting>>;
    /// Replaces a booked meeting (an edit: document, subject, times) while
    /// it is still booked and its room is free then, and puts `notices` in
    /// the outbox in the same transaction; false (nothing stored) otherwise.
    async fn update_booked_meeting(&self, m: &Meeting, notices: &[Notice], now: i64) -> Result<bool>;
    /// Cancels a booked or running meeting with its `notices`, in one
    /// transaction; false when it was neither.
    async fn cancel_meeting(&self, conf_uuid: &ConfUuid, now: i64, notices: &[Notice]) -> Result<bool>;
    /// The enterprise's event-push subscription, if it has one.
    async fn webhook_of(&self, enterprise: &EnterpriseId) -> Result<Option<Webhook>>;
    /// Sets the enterprise's subscription, replacing the one it had.
    async fn put_webhook(&self, w: &Webhook) -> Result<()>;
    /// A subscription's status; `false` when there is no such one.
    async fn set_webhook_status(&self, id: &str, status: i64, now: i64) -> Result<bool>;
    async fn delete_webhook(&self, id: &str) -> Result<bool>;
    /// An App ID with what its administrators see of it.
    async fn app_info(&self, app_id: &str) -> Result<Option<AppInfo>>;
    /// A page of an enterprise's App IDs, oldest first, and how many it has.
    async fn list_apps(&self, enterprise: &EnterpriseId, offset: i64, limit: i64) -> Result<(i64, Vec<AppInfo>)>;
    /// Changes an App ID; a new key or disabling ends its users' sessions.
    async fn update_app(&self, app_id: &str, change: &AppChange, now: i64) -> Result<()>;
    /// Deletes an App ID; its users' sessions end (the accounts stay, for history).
    async fn delete_app(&self, app_id: &str) -> Result<()>;
    /// Makes an account an administrator of its enterprise, or not.
    async fn set_admin(&self, user: &UserId, admin: bool) -> Result<()>;
    /// A page of an enterprise's accounts by account name, `search`
    /// matching the account, name or e-mail (ASCII case folded), and how many match.
    async fn list_users(
        &self,
        enterprise: &EnterpriseId,
        search: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<User>)>;
    /// Changes an account's name, e-mail and phone.
    async fn update_user(&self, user: &UserId, name: &str, email: Option<&str>, phone: Option<&str>) -> Result<()>;
    /// Sets a new password hash and ends the account's sessions.
    async fn set_password(&self, user: &UserId, hash: &str) -> Result<()>;
    /// Deletes an account: its sessions end, its booked meetings are
    /// cancelled, its personal room goes; held meetings stay in history.
    async fn delete_user(&self, user: &UserId, now: i64) -> Result<()>;
    /// What `/metrics` reads: booked meetings not over, the outbox's depth.
    async fn gauges(&self, now: i64) -> Result<StoreGauges>;
    /// Whether the database answers (readiness).
    async fn ping(&self) -> Result<()>;
    /// A recurring series' occurrences (held, booked, cancelled) by start.
    async fn series_meetings(&self, series_id: &ConfUuid) -> Result<Vec<Meeting>>;
    /// Carries out an edit or cancel of a series or of some of its
    /// occurrences (`convene_core::series`) in one transaction: `false`,
    /// nothing changed, when an occurrence to cancel is no longer open.
    async fn change_series(&self, change: &convene_core::series::SeriesChange, now: i64) -> Result<bool>;
    /// Claims up to `limit` notices due at `now` for `lease` seconds (an
    /// attempt counted): a deliverer that dies leaves them to be claimed
    /// again once the lease is over.
    async fn claim_notices(&self, now: i64, lease: i64, limit: i64) -> Result<Vec<OutboxItem>>;
    /// At a server's start: lets go of claims that can only be a dead
    /// process's (a database this server alone uses); none on a shared one.
    async fn release_notice_claims(&self) -> Result<()>;
    /// Records how a claimed notice's delivery went.
    async fn finish_notice(&self, id: i64, now: i64, delivery: &Delivery) -> Result<()>;
    /// Claims up to `limit` webhook events due at `now_ms` for `lease_ms`:
    /// of each meeting, only events with no earlier one waiting or claimed
    /// (so a meeting's events go out in order), oldest first.
    async fn claim_events(&self, now_ms: i64, lease_ms: i64, limit: i64) -> Result<Vec<EventItem>>;
    /// Records how claimed events' deliveries went, in one transaction.
    async fn finish_events(&self, results: &[(i64, EventDelivery)]) -> Result<()>;
    /// At a server's start: lets go of event claims a dead process left (a
    /// database this server alone uses; none on a shared one).
    async fn release_event_claims(&self) -> Result<()>;
    /// A meeting's webhook events still kept (pending, failed, unsent).
    async fn events_of(&self, conf_uuid: &ConfUuid) -> Result<Vec<EventStatus>>;
    /// Keeps what live meetings recorded (`convene_core::session::Record`),
    /// and the webhook events they cause, in one transaction.
    async fn add_meeting_records(&self, records: &[(ConfUuid, convene_core::session::Record)]) -> Result<()>;
    /// A page of a meeting's attendance, by join time, and the total;
    /// `search` matches names.
    async fn attendance_of(
        &self,
        conf_uuid: &ConfUuid,
        offset: i64,
        limit: i64,
        search: Option<&str>,
    ) -> Result<(i64, Vec<AttendanceRow>)>;
    /// A meeting's chat, in order.
    async fn chat_of(&self, conf_uuid: &ConfUuid) -> Result<Vec<ChatRow>>;
    /// A page of a meeting's control actions, in order, and the total.
    async fn control_records_of(&self, conf_uuid: &ConfUuid, offset: i64, limit: i64)
        -> Result<(i64, Vec<ControlRow>)>;
    /// A meeting's notices and how each went, oldest first.
    async fn notices_of(&self, conf_uuid: &ConfUuid) -> Result<Vec<NoticeStatus>>;
    /// Marks a meeting ended (by its host, the REST stop call or its end
    /// time), freeing its ID and room; false when it was not running.
    async fn end_meeting(&self, conf_uuid: &ConfUuid) -> Result<bool>;
    /// Keeps what the hosts changed during a running meeting (see
    /// `convene_core::LiveSettings`); read back with the meeting.
    /// A recording segment begins (capturing): its ID.
    async fn start_segment(&self, conf_uuid: &ConfUuid, at: i64, node_id: &str) -> Result<i64>;
    /// Its capture stopped with these tracks: queued for composing (or
    /// failed when nothing was captured).
    async fn stop_segment(
        &self,
        id: i64,
        at: i64,
        tracks: &[convene_core::recording::TrackFile],
        dropped: i64,
    ) -> Result<()>;
    /// The oldest segment waiting for a composer (or whose composer's
    /// lease ran out), held until `now + lease`.
    async fn claim_segment(&self, now: i64, lease: i64, node_id: &str) -> Result<Option<Segment>>;
    /// How its composition went (`Ready` pushes `record.finish`).
    async fn finish_segment(&self, id: i64, outcome: &Composed) -> Result<()>;
    async fn segments_of(&self, conf_uuid: &ConfUuid) -> Result<Vec<Segment>>;

    /// Takes a live meeting's lease for `node_id` until `now_ms + lease_ms`
    /// if nobody holds it or its holder's ran out (a new epoch), or renews
    /// it if `node_id` holds it; answers the holder after the attempt
    /// (another node's lease when it still runs).
    async fn claim_lease(
        &self,
        conf_uuid: &ConfUuid,
        node_id: &str,
        node_url: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Lease>;
    /// Extends the lease `node_id` holds with `epoch` to `until_ms`; false
    /// when another node took the meeting since (the epoch moved on).
    async fn renew_lease(&self, conf_uuid: &ConfUuid, node_id: &str, epoch: i64, until_ms: i64) -> Result<bool>;
    /// Gives the lease up (if still held with `epoch`); its epoch stays.
    async fn release_lease(&self, conf_uuid: &ConfUuid, node_id: &str, epoch: i64) -> Result<()>;
    async fn lease_of(&self, conf_uuid: &ConfUuid) -> Result<Option<Lease>>;
    /// Stores a live meeting's change (its session's `Persist`) in one
    /// transaction; with `fence`, together with the renewal of its lease:
    /// false, and nothing written, when another node holds the meeting.
    async fn store_live_change(
        &self,
        conf_uuid: &ConfUuid,
        fence: Option<&Fence>,
        change: &convene_core::session::Persist,
    ) -> Result<bool>;
    /// Tells every node of a cluster (PostgreSQL `NOTIFY`; at most 8000
    /// bytes). Nothing on SQLite: one node, nobody to tell.
    async fn publish(&self, payload: &str) -> Result<()>;
    /// What the nodes publish, this one's included, as it comes (PostgreSQL
    /// `LISTEN` on a connection of its own); `None` on SQLite.
    async fn subscribe(&self) -> Result<Option<tokio::sync::mpsc::Receiver<Heard>>>;
    /// Keeps a live meeting's handover (JSON) if `node_id` still holds its
    /// lease with `epoch`: false when it does not (fenced out).
    async fn save_handover(&self, conf_uuid: &ConfUuid, node_id: &str, epoch: i64, doc: &str) -> Result<bool>;
    /// The handover the meeting's last holder kept, with its epoch.
    async fn handover_of(&self, conf_uuid: &ConfUuid) -> Result<Option<(i64, String)>>;
    /// Forgets it (the meeting's session ended on its holder).
    async fn clear_handover(&self, conf_uuid: &ConfUuid, node_id: &str, epoch: i64) -> Result<()>;
    /// Remembers an App ID login's nonce until `until` (Unix seconds):
    /// false when it was seen already and is still remembered.
    async fn first_nonce_use(&self, app_id: &str, nonce: &str, until: i64, now: i64) -> Result<bool>;
    /// Keeps a REST control token (its digest `key`) for a meeting.
    async fn put_control_token(&self, key: &str, conf_uuid: &ConfUuid, expires: i64, now: i64) -> Result<()>;
    /// The meeting a control token (its digest) controls, if still valid.
    async fn control_token(&self, key: &str, now: i64) -> Result<Option<ConfUuid>>;
    /// The same for a one-use token, which is used up (by one taker only).
    async fn take_control_token(&self, key: &str, now: i64) -> Result<Option<ConfUuid>>;
    /// The segments of each of these meetings (a list page's), in one
    /// query per [`MAX_SEGMENT_LOOKUP`] meetings.
    async fn segments_of_many(&self, conf_uuids: &[ConfUuid]) -> Result<Vec<Segment>>;
    async fn segment(&self, id: i64) -> Result<Option<Segment>>;
    /// Meetings with a recording, as a list asks for them, and how many.
    async fn recorded_meetings(&self, q: &RecordQuery) -> Result<(i64, Vec<Meeting>)>;
    /// Forgets a meeting's recording: its segments (for their files to be
    /// deleted) and their download links.
    async fn delete_segments(&self, conf_uuid: &ConfUuid) -> Result<Vec<Segment>>;
    /// After a restart of node `node_id`: compositions it left claimed are
    /// queued again; captures it left open are failed. A node alone (`""`)
    /// does this only on a database no other node uses.
    async fn release_segment_claims(&self, now: i64, node_id: &str) -> Result<()>;
    /// Node `node_id` took a meeting over: the segments other nodes were
    /// still capturing are failed as interrupted (how many).
    async fn interrupt_segments(&self, conf_uuid: &ConfUuid, node_id: &str, now: i64) -> Result<u64>;
    /// Meetings with a finished segment that stopped before `before`.
    async fn expired_recordings(&self, before: i64) -> Result<Vec<ConfUuid>>;
    /// A single-use download link (`key`: its token's hash).
    async fn put_download(&self, key: &str, segment: i64, file: &str, expires_at: i64) -> Result<()>;
    /// Uses a download link up: the segment and file it was for, if valid.
    async fn take_download(&self, key: &str, now: i64) -> Result<Option<(i64, String)>>;
}

/// A meeting [`Store::create_meeting_staged`] settled, and its way to disk.
/// The store's states `/metrics` shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Booked meetings not started and not over.
    pub booked: i64,
    /// Notices not delivered yet (due or not).
    pub outbox_pending: i64,
    /// When the oldest due notice became due.
    pub outbox_oldest_due: Option<i64>,
    /// Webhook events not delivered yet.
    pub events_pending: i64,
    /// When the oldest due webhook event became due (ms).
    pub events_oldest_due_ms: Option<i64>,
}

pub struct Staged {
    pub meeting: Meeting,
    pub durable: Durable,
}

/// Resolves once a staged meeting is on disk; an error means it may not be
/// (a failed fsync, a store shut down meanwhile) and the create must fail.
pub type Durable = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>>;

/// How a store is opened, beyond its URL.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// SQLite: bytes of the WAL file written ahead at open (zeros, synced) and
    /// kept when SQLite cuts the WAL back, so that commits overwrite written
    /// blocks instead of growing the file (see `SqliteStore::open_with`).
    /// 0: none. PostgreSQL ignores it.
    pub sqlite_wal_reserve: u64,
    /// PostgreSQL: connections kept open even when idle (0: opened on
    /// demand, as one node needs). Opening one costs PostgreSQL a process
    /// and a password check (~100-150 ms here), which a cluster node's
    /// join or forward waiting on it would pay. SQLite ignores it.
    pub pg_warm_connections: u32,
    /// PostgreSQL: a transaction of this store left idle (waiting on this
    /// process) longer than this is ended by the server, its locks freed
    /// (`idle_in_transaction_session_timeout`; 0: never). A cluster node sets
    /// its lease: a node paused or cut off in the middle of a transaction
    /// must not hold rows the node taking its meetings over needs. SQLite
    /// ignores it.
    pub pg_idle_transaction_ms: u64,
}

/// Opens the store a URL names: `sqlite:PATH` (created if missing) or
/// `postgres://...`; runs its migrations.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    open_with(url, &StoreOptions::default()).await
}

/// [`open`] with options.
pub async fn open_with(url: &str, options: &StoreOptions) -> Result<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(
            SqliteStore::open_with(url, options.sqlite_wal_reserve).await?,
        ))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            PgStore::open_with(url, options.pg_warm_connections, options.pg_idle_transaction_ms).await?,
        ))
    } else {
        Err(StoreError::BadUrl(url.to_owned()))
    }
}
