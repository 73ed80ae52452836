//! Ringing invitees: an invitation into a running meeting (`POST
//! .../participants`) or, when a meeting's session begins, its invitees
//! marked `isAutoInvite` (the seed: "whether to automatically invite"). An
//! invitee with an account (`userUUID` or `accountId`) is rung on the
//! account's logged-in clients until they join, decline or
//! [`RING_SECONDS`] pass; one known by a phone number alone is
//! unreachable (convene reaches no telephone network). The session decides
//! (`session::MeetingSession`); the server carries the calls to clients.

use convene_proto::{AttendeeBaseInfo, MediaType, SdkErr};

use crate::live::{Account, Refusal};

/// How long a call rings.
pub const RING_SECONDS: i64 = 60;

/// People one invitation may name.
pub const MAX_INVITEES: usize = 100;

/// One ringing invitation (told to the other nodes of a cluster as JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub id: String,
    pub conf_id: String,
    pub subject: String,
    /// The meeting's host as scheduled.
    pub inviter: String,
    pub media_type: MediaType,
    /// The invitee as invited.
    pub name: String,
    pub number: String,
    pub user_uuid: Option<String>,
    pub account: Option<String>,
    /// Unix seconds: it stops ringing then.
    pub until: i64,
}

impl Call {
    /// Whether `a` is the account this call rings.
    pub fn is_for(&self, a: &Account) -> bool {
        self.rings(a.user_id.as_str(), &a.account)
    }

    /// Whether it rings the account with this user ID or login account.
    pub fn rings(&self, user_id: &str, account: &str) -> bool {
        self.user_uuid.as_deref() == Some(user_id) || self.account.as_deref() == Some(account)
    }
}

fn present(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned)
}

/// The account an invitee names, if any: `(userUUID, accountId)`.
pub fn account_of(a: &AttendeeBaseInfo) -> Option<(Option<String>, Option<String>)> {
    let (user, account) = (present(&a.user_uuid), present(&a.account_id));
    (user.is_some() || account.is_some()).then_some((user, account))
}

/// Whether two invitees are one person: the same account, else the same
/// number.
pub fn same_invitee(x: &AttendeeBaseInfo, y: &AttendeeBaseInfo) -> bool {
    match (account_of(x), account_of(y)) {
        (Some((xu, xa)), Some((yu, ya))) => (xu.is_some() && xu == yu) || (xa.is_some() && xa == ya),
        _ => !x.number.is_empty() && x.number == y.number,
    }
}

/// An invitation's list: 1 to [`MAX_INVITEES`] people, each named, each
/// with an account or a number.
pub fn check_invitees(list: &[AttendeeBaseInfo]) -> Result<(), Refusal> {
    let bad = |reason: String| Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason);
    if list.is_empty() || list.len() > MAX_INVITEES {
        return Err(bad(format!("attendees: 1 to {MAX_INVITEES} people")));
    }
    for a in list {
        if a.nick_name.trim().is_empty() {
            return Err(bad("each invitee needs a name".into()));
        }
        crate::text::check_text("name", &a.nick_name, false).map_err(bad)?;
        if account_of(a).is_none() && a.number.trim().is_empty() {
            return Err(bad(format!("{}: give userUUID, accountId or phone", a.nick_name)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(name: &str, number: &str, user: Option<&str>, account: Option<&str>) -> AttendeeBaseInfo {
        AttendeeBaseInfo {
            nick_name: name.into(),
            number: number.into(),
            user_uuid: user.map(Into::into),
            account_id: account.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn invitees() {
        assert!(check_invitees(&[]).is_err());
        assert!(check_invitees(&[who("", "1", None, None)]).is_err());
        assert!(check_invitees(&[who("Ana", "", None, None)]).is_err());
        assert!(check_invitees(&[who("Ana", "", None, Some("ana"))]).is_ok());
        assert!(check_invitees(&[who("Ana", "+1555", None, None)]).is_ok());
        assert!(account_of(&who("Ana", "+1555", None, Some(" "))).is_none());
        assert!(same_invitee(
            &who("A", "1", Some("u1"), None),
            &who("B", "2", Some("u1"), None)
        ));
        assert!(same_invitee(&who("A", "1", None, None), &who("B", "1", None, None)));
        assert!(!same_invitee(
            &who("A", "1", Some("u1"), None),
            &who("B", "1", Some("u2"), None)
        ));
    }
}
