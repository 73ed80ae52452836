//! A held meeting's records: attendance and control actions (see
//! `migrations/*/0009_meeting_records.sql`), and the history list.

pub(super) const JOINED_SQL: &str =
    "INSERT INTO attendance (conf_uuid, participant_id, name, role, device, joined_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const LEFT_SQL: &str =
    "UPDATE attendance SET left_at = $1 WHERE conf_uuid = $2 AND participant_id = $3 AND left_at IS NULL";
pub(super) const CONTROL_SQL: &str = "INSERT INTO control_records \
     (conf_uuid, at, source, operator, code, object, result, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// One stay of a participant in a held meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    pub participant_id: i64,
    pub name: String,
    /// The seed's role number.
    pub role: i64,
    /// The product's attendee type name.
    pub device: String,
    pub joined_at: i64,
    /// `None` while still in it (or it never said).
    pub left_at: Option<i64>,
}

/// One control action in a held meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRow {
    pub at: i64,
    pub source: String,
    pub operator: String,
    pub code: String,
    pub object: String,
    pub result: i64,
    pub detail: String,
}
