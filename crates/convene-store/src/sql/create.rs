//! The rules of a meeting creation (which ID, which room, what clashes),
//! written once over the statements any backend's transaction offers.

use super::*;
use convene_core::create::{may_hold, RoomFacts};

/// A room as meeting creation sees it.
pub(super) struct RoomRow {
    pub(super) enterprise_id: String,
    pub(super) kind: String,
    pub(super) owner_id: Option<String>,
}

// The statements of a meeting creation, shared by every `CreateTx`.

/// Frees a room whose meeting has run past its end.
pub(super) const EXPIRE_ROOM_SQL: &str =
    "UPDATE meetings SET state = 'ended', active_conf_id = NULL, active_room_id = NULL \
     WHERE active_room_id = $1 AND active_conf_id IS NOT NULL AND end_ts <= $2";

/// Whether a running meeting holds this room (`meetings_active_room`).
pub(super) const ROOM_IS_ACTIVE_SQL: &str =
    "SELECT 1 FROM meetings WHERE active_room_id = $1 AND active_conf_id IS NOT NULL";

/// The running meetings that hold an ID (UUID and end; at most one unless
/// they overran): a drawn ID through `meetings_conf_id`, a derived one
/// (see `conf_ids`) through its sequence number `$2`.
/// A booked occurrence of a series holds its series' ID too (it has no
/// unique key until it starts: see `active_keys`).
pub(super) const RUNNING_WITH_ID_SQL: &str = "SELECT conf_uuid, end_ts FROM meetings \
     WHERE conf_id = $1 AND id_seq IS NULL \
     AND (active_conf_id IS NOT NULL OR (series_id IS NOT NULL AND state = 'scheduled')) \
     UNION ALL SELECT conf_uuid, end_ts FROM meetings WHERE id_seq = $2 AND conf_id = $1 \
     AND (active_conf_id IS NOT NULL OR (series_id IS NOT NULL AND state = 'scheduled'))";

/// The meeting with an ID (`$1`, its sequence number `$2`) at `$3`: the
/// running one, else the next booked one not over yet (a room's ID may have
/// several), else the latest.
pub(super) fn meeting_by_conf_id_sql() -> String {
    format!(
        "SELECT {MEETING_COLS} FROM (\
         SELECT {MEETING_COLS}, active_conf_id FROM meetings WHERE conf_id = $1 AND id_seq IS NULL \
         UNION ALL SELECT {MEETING_COLS}, active_conf_id FROM meetings WHERE id_seq = $2 AND conf_id = $1\
         ) AS m ORDER BY \
         CASE WHEN state = 'created' AND active_conf_id IS NOT NULL AND end_ts > $3 THEN 0 \
              WHEN state = 'scheduled' AND end_ts > $3 THEN 1 \
              WHEN active_conf_id IS NOT NULL THEN 2 ELSE 3 END, \
         CASE WHEN state = 'scheduled' AND end_ts > $3 THEN start_ts ELSE 0 - start_ts END LIMIT 1"
    )
}

/// Cancels meeting `$1` if it is booked or running at `$2`, freeing its
/// ID and room.
pub(super) const CANCEL_SQL: &str =
    "UPDATE meetings SET state = 'cancelled', active_conf_id = NULL, active_room_id = NULL \
     WHERE conf_uuid = $1 AND state IN ('created', 'scheduled') AND end_ts > $2";

/// The first sequence number no meeting has (see `conf_ids`).
pub(super) const SEQUENCE_END_SQL: &str = "SELECT COALESCE(MAX(id_seq) + 1, 0) FROM meetings WHERE id_seq IS NOT NULL";

/// Ends a meeting that ran past its end, freeing its ID and room.
pub(super) const END_OVERRUN_SQL: &str =
    "UPDATE meetings SET state = 'ended', active_conf_id = NULL, active_room_id = NULL WHERE conf_uuid = $1";
pub(super) const IS_ROOM_SQL: &str = "SELECT 1 FROM rooms WHERE id = $1";
pub(super) const ROOM_SQL: &str = "SELECT enterprise_id, kind, owner_id FROM rooms WHERE id = $1";
/// Up to 8 shared rooms of enterprise `$1` with no meeting (running or
/// booked) in `[$2, $3)`.
pub(super) const FREE_SHARED_ROOMS_SQL: &str =
    "SELECT id FROM rooms WHERE enterprise_id = $1 AND kind = 'shared' AND id NOT IN \
     (SELECT room_id FROM meetings WHERE room_id IS NOT NULL AND state IN ('created', 'scheduled') \
      AND start_ts < $3 AND end_ts > $2) ORDER BY id LIMIT 8";

/// "Room `room` has a meeting (running or booked) other than `me` within
/// `[start, end)`": one meeting at a time in a room, the one place that rule
/// is written (`meetings_room_time` serves it). The arguments are SQL
/// expressions (parameters or columns), never input. SQLite numbers `$N`
/// parameters in order of appearance: each statement's text uses them in
/// ascending order.
pub(super) fn room_overlap(room: &str, me: &str, start: &str, end: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM meetings o WHERE o.room_id = {room} AND o.conf_uuid <> {me} \
         AND o.state IN ('created', 'scheduled') AND o.end_ts > {start} AND o.start_ts < {end})"
    )
}

/// Whether room `$1` has a meeting other than `$2` within `[$3, $4)`.
pub(super) static ROOM_TAKEN_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT 1 WHERE {}", room_overlap("$1", "$2", "$3", "$4")));

/// Starts booked meeting `$2` at `$1` (no later than its booked time): it
/// takes its ID and room, unless the room has another meeting meanwhile.
pub(super) static ACTIVATE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "UPDATE meetings SET state = 'created', start_ts = CASE WHEN start_ts > $1 THEN $1 ELSE start_ts END, \
         active_conf_id = conf_id, active_room_id = room_id \
         WHERE conf_uuid = $2 AND state = 'scheduled' AND end_ts > $1 \
         AND (room_id IS NULL OR NOT {})",
        room_overlap("meetings.room_id", "meetings.conf_uuid", "$1", "meetings.end_ts")
    )
});

/// Replaces booked meeting `$6`'s document, subject and times (`$4`..`$5`)
/// while it is still booked and its room is free then.
pub(super) static UPDATE_BOOKED_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "UPDATE meetings SET doc = $1, subject = $2, subject_key = $3, start_ts = $4, end_ts = $5 \
         WHERE conf_uuid = $6 AND state = 'scheduled' AND (room_id IS NULL OR NOT {})",
        room_overlap("meetings.room_id", "meetings.conf_uuid", "$4", "$5")
    )
});

/// The unique keys a meeting holds while stored: its ID and room while it
/// runs; a booked one keeps its ID (drawn IDs are reserved so) but a booked
/// room meeting holds neither, as several may share the room's ID at
/// different times ([`ROOM_TAKEN_SQL`] keeps them apart).
/// A booked occurrence of a series holds neither either: the occurrences
/// share the ID.
pub(super) fn active_keys(m: &Meeting) -> (Option<&str>, Option<&str>) {
    let room = m.room_id.as_ref().map(RoomId::as_str);
    match (m.state, room) {
        (ConfState::Scheduled, _) if m.series.is_some() => (None, None),
        (ConfState::Scheduled, Some(_)) => (None, None),
        (ConfState::Scheduled, None) => (Some(m.conf_id.as_str()), None),
        _ => (Some(m.conf_id.as_str()), room),
    }
}
pub(super) const INSERT_MEETING_SQL: &str =
    "INSERT INTO meetings (conf_uuid, conf_id, active_conf_id, room_id, active_room_id, \
     owner_id, enterprise_id, subject, state, start_ts, end_ts, doc, subject_key, id_seq, series_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING";

/// What a subject search matches: the subject in lower case, folded here
/// rather than by the database (SQLite's `LOWER` knows only ASCII), so that
/// both backends find "Ärzte" by "ärzte".
pub(super) fn subject_key(subject: &str) -> String {
    subject.to_lowercase()
}

/// Meetings stored before `subject_key` existed, folded per batch at open.
pub(super) const UNFOLDED_SQL: &str = "SELECT conf_uuid, subject FROM meetings WHERE subject_key IS NULL LIMIT 500";
pub(super) const FOLD_SQL: &str = "UPDATE meetings SET subject_key = $1 WHERE conf_uuid = $2";

/// The statements a meeting creation runs inside its caller's transaction:
/// implemented by the sqlx connections (PostgreSQL) and by the SQLite
/// writer thread's rusqlite transaction, so that [`create_meeting`], the
/// rules of IDs and rooms, is written once.
pub(super) trait CreateTx {
    async fn expire_room(&mut self, room: &str, now: i64) -> Result<()>;
    async fn room_is_active(&mut self, room: &str) -> Result<bool>;
    /// See [`RUNNING_WITH_ID_SQL`]; `seq` from [`seq_of`].
    async fn running_with_id(&mut self, id: &str, seq: Option<i64>) -> Result<Vec<(String, i64)>>;
    async fn end_overrun(&mut self, conf_uuid: &str) -> Result<()>;
    async fn is_room(&mut self, id: &str) -> Result<bool>;
    async fn room(&mut self, room: &RoomId) -> Result<Option<RoomRow>>;
    /// See [`FREE_SHARED_ROOMS_SQL`].
    async fn free_shared_rooms(&mut self, enterprise: &EnterpriseId, start: i64, end: i64) -> Result<Vec<RoomId>>;
    /// See [`ROOM_TAKEN_SQL`].
    async fn room_taken(&mut self, room: &str, start: i64, end: i64, except: &str) -> Result<bool>;
    /// Inserts unless the ID, its sequence number or the room is taken
    /// (then `false`).
    async fn insert_meeting(&mut self, m: &Meeting, seq: Option<i64>) -> Result<bool>;
    /// Puts a webhook event of the meeting in the outbox (`ENQUEUE_SQL`):
    /// nothing unless its enterprise's subscription is enabled.
    async fn enqueue_event(&mut self, conf_uuid: &str, event: &str) -> Result<()>;
    /// Puts the meeting's invitations in the outbox (`INSERT_NOTICE_SQL`).
    async fn insert_notices(
        &mut self,
        conf_uuid: &ConfUuid,
        notices: &[convene_core::notify::Notice],
        now: i64,
    ) -> Result<()>;
}

/// Whether the meeting's owner may hold it in `room`: the room's facts,
/// read in the transaction, judged by `convene_core::create::may_hold`.
pub(super) async fn check_room<T: CreateTx>(tx: &mut T, room: &RoomId, meeting: &Meeting) -> Result<()> {
    let Some(row) = tx.room(room).await? else {
        return Err(StoreError::RoomNotAllowed(room.clone()));
    };
    let facts = match row.kind.as_str() {
        "personal" => RoomFacts::Personal {
            owner: row.owner_id.as_deref().unwrap_or_default(),
        },
        _ => RoomFacts::Shared {
            enterprise: &row.enterprise_id,
        },
    };
    let allowed = may_hold(meeting, facts);
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
pub(super) async fn create_meeting<T: CreateTx>(
    tx: &mut T,
    draws: &mut IdDraws,
    new: NewMeeting,
    now: i64,
) -> Result<Meeting> {
    let fixed = new.uses_fixed_id();
    let request = new.room.clone();
    let mut new = new;
    let notices = std::mem::take(&mut new.notices);
    let (later, reminders) = new
        .series
        .as_ref()
        .map(|p| (p.later.clone(), p.reminders.clone()))
        .unwrap_or_default();
    let mut meeting = new.into_meeting(ConfId::default(), None);
    // A series' occurrences, the first one included: each is checked
    // against its room before any is stored.
    let spans: Vec<(i64, i64)> = std::iter::once(meeting.start)
        .chain(later.iter().map(|(_, s)| *s))
        .map(|s| (s, s + (meeting.end - meeting.start)))
        .collect();
    let mut tried_rooms: Vec<RoomId> = Vec::new();
    for _ in 0..ID_ATTEMPTS {
        let room = match &request {
            RoomRequest::None => None,
            RoomRequest::Personal(r) | RoomRequest::Specific(r) => {
                check_room(tx, r, &meeting).await?;
                Some(r.clone())
            }
            RoomRequest::SharedPool => {
                let free = tx
                    .free_shared_rooms(&meeting.enterprise_id, meeting.start, meeting.end)
                    .await?;
                match free.into_iter().find(|r| !tried_rooms.contains(r)) {
                    Some(r) => Some(r),
                    None => return Err(StoreError::NoFreeRoom),
                }
            }
        };
        if let Some(r) = &room {
            // A running meeting holds the room's unique key; a booked one
            // takes it when it starts.
            let mut busy = false;
            if meeting.state == ConfState::Running && tx.room_is_active(r.as_str()).await? {
                tx.expire_room(r.as_str(), now).await?;
                busy = tx.room_is_active(r.as_str()).await?;
            }
            for (start, end) in &spans {
                busy = busy
                    || tx
                        .room_taken(r.as_str(), *start, *end, meeting.conf_uuid.as_str())
                        .await?;
            }
            if busy {
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
            tx.enqueue_event(meeting.conf_uuid.as_str(), convene_core::webhook::event::CREATE)
                .await?;
            for (uuid, start) in &later {
                // A new UUID and no key of its own: nothing can clash.
                if !tx
                    .insert_meeting(&meeting.occurrence(uuid.clone(), *start), None)
                    .await?
                {
                    return Err(StoreError::Conflict("an occurrence's UUID is taken".into()));
                }
                tx.enqueue_event(uuid.as_str(), convene_core::webhook::event::CREATE)
                    .await?;
            }
            if !notices.is_empty() {
                // A series' invitations are the series', not its first occurrence's.
                let key = meeting.series.as_ref().map_or(&meeting.conf_uuid, |s| &s.id);
                tx.insert_notices(key, &notices, now).await?;
            }
            for (uuid, n) in &reminders {
                tx.insert_notices(uuid, std::slice::from_ref(n), now).await?;
            }
            return Ok(meeting);
        }
        // Lost a race (another node took the room or drew the same ID): a
        // named room is busy; anything else draws again.
        if let (Some(r), RoomRequest::Personal(_) | RoomRequest::Specific(_)) = (&room, &request) {
            if tx.room_is_active(r.as_str()).await?
                || tx
                    .room_taken(r.as_str(), meeting.start, meeting.end, meeting.conf_uuid.as_str())
                    .await?
            {
                return Err(StoreError::RoomBusy(r.clone()));
            }
        }
        if let Some(r) = room {
            tried_rooms.push(r);
        }
    }
    Err(StoreError::Conflict("no free meeting ID after repeated draws".into()))
}
