//! Who is told of a meeting, by which channel, and how delivery is retried:
//! the rules of invitations. Storage keeps each notice in its outbox in the
//! same transaction as the change it tells of; the server's deliverer sends
//! them (e-mail with an iCalendar entry, SMS through a gateway) and reports
//! back. Nothing here sends anything.

use convene_proto::{ConfOptions, ConfRole, CreateConfInfo};

/// What a notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The meeting was created (or booked): an invitation.
    Invite,
    /// A booked meeting was edited.
    Update,
    /// The meeting was cancelled.
    Cancel,
    /// An occurrence of a recurring series is near (`preRemindDays`).
    Remind,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Invite => "invite",
            NoticeKind::Update => "update",
            NoticeKind::Cancel => "cancel",
            NoticeKind::Remind => "remind",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        [
            NoticeKind::Invite,
            NoticeKind::Update,
            NoticeKind::Cancel,
            NoticeKind::Remind,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// How a notice travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Email, Channel::Sms].into_iter().find(|c| c.as_str() == s)
    }
}

/// One message to one invitee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub channel: Channel,
    /// An e-mail address or a phone number.
    pub recipient: String,
    /// How the invitee is greeted.
    pub name: String,
    /// Invited as host: told the host password and link (else the guest's).
    pub host: bool,
    /// With an iCalendar entry (e-mail only).
    pub calendar: bool,
    /// The meeting's version this tells of (iCalendar `SEQUENCE`).
    pub sequence: i64,
    /// When it is due (Unix seconds); 0: at once.
    pub due: i64,
}

/// The notices a change of a meeting sends: an e-mail to each invited
/// attendee with an address, unless `isSendNotify` is false, with a
/// calendar entry unless `isSendCalendar` is false; an SMS to each with an
/// `sms` number when `isSendSms` is true. One per address and channel.
pub fn notices(info: &CreateConfInfo, options: &ConfOptions, kind: NoticeKind, sequence: i64) -> Vec<Notice> {
    let mut out: Vec<Notice> = Vec::new();
    let email = options.is_send_notify != Some(false);
    let calendar = options.is_send_calendar != Some(false);
    let sms = options.is_send_sms == Some(true);
    for a in &info.attendees {
        let host = a.role == Some(ConfRole::Host);
        let mut push = |channel, recipient: &str, calendar| {
            let recipient = recipient.trim();
            if recipient.is_empty()
                || out
                    .iter()
                    .any(|n| n.channel == channel && n.recipient.eq_ignore_ascii_case(recipient))
            {
                return;
            }
            out.push(Notice {
                kind,
                channel,
                recipient: recipient.to_owned(),
                name: a.nick_name.clone(),
                host,
                calendar,
                sequence,
                due: 0,
            });
        };
        if let (true, Some(e)) = (email, a.email.as_deref()) {
            push(Channel::Email, e, calendar);
        }
        if let (true, Some(n)) = (sms, a.sms.as_deref()) {
            push(Channel::Sms, n, false);
        }
    }
    out
}

/// The reminders of a series' occurrences (`uuid`, start): each invitee
/// is told `days` before each one (`preRemindDays`; 0: never), by the
/// channels that invited them, without a calendar entry (the series' entry
/// has the occurrence already). One whose time has passed is not made.
pub fn reminders(
    info: &CreateConfInfo,
    options: &ConfOptions,
    occurrences: &[(crate::ConfUuid, i64)],
    days: i64,
    now: i64,
) -> Vec<(crate::ConfUuid, Notice)> {
    if days <= 0 {
        return Vec::new();
    }
    let each = notices(info, options, NoticeKind::Remind, 0);
    let mut out = Vec::new();
    for (uuid, start) in occurrences {
        let due = start - days * 86_400;
        if due <= now {
            continue;
        }
        for n in &each {
            out.push((
                uuid.clone(),
                Notice {
                    calendar: false,
                    due,
                    ..n.clone()
                },
            ));
        }
    }
    out
}

/// The notices an edit sends: an update to each invitee kept, an
/// invitation to each one added, a cancellation to each one removed.
pub fn edit_notices(
    before: (&CreateConfInfo, &ConfOptions),
    after: (&CreateConfInfo, &ConfOptions),
    sequence: i64,
) -> Vec<Notice> {
    let old = notices(before.0, before.1, NoticeKind::Cancel, sequence);
    let new = notices(after.0, after.1, NoticeKind::Invite, sequence);
    let same = |a: &Notice, b: &Notice| a.channel == b.channel && a.recipient.eq_ignore_ascii_case(&b.recipient);
    let gone: Vec<Notice> = old
        .iter()
        .filter(|o| !new.iter().any(|n| same(n, o)))
        .cloned()
        .collect();
    new.into_iter()
        .map(|mut n| {
            if old.iter().any(|o| same(o, &n)) {
                n.kind = NoticeKind::Update;
            }
            n
        })
        .chain(gone)
        .collect()
}

/// Delivery attempts before a notice is given up.
pub const MAX_ATTEMPTS: i64 = 10;

/// When a notice whose `attempts`-th delivery failed is tried again: after
/// 30 s, doubling, at most an hour apart; `None` once it is given up
/// (about five hours after the first try).
pub fn retry_at(attempts: i64, now: i64) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let wait = (30i64 << (attempts.clamp(1, 20) - 1)).min(3600);
    Some(now + wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_proto::{AttendeeBaseInfo, MediaType};

    fn invitee(name: &str, email: Option<&str>, sms: Option<&str>, role: Option<ConfRole>) -> AttendeeBaseInfo {
        AttendeeBaseInfo {
            nick_name: name.into(),
            number: "1".into(),
            email: email.map(Into::into),
            sms: sms.map(Into::into),
            role,
            ..Default::default()
        }
    }

    #[test]
    fn who_is_told_by_what() {
        let mut info = CreateConfInfo::new("s", MediaType::Video, true);
        info.attendees = vec![
            invitee("Ana", Some("ana@example.com"), Some("+100"), Some(ConfRole::Host)),
            invitee("Ana again", Some("ANA@example.com"), None, None),
            invitee("Bo", None, Some("+200"), None),
            invitee("Cy", Some(" "), None, None),
        ];
        let all = notices(&info, &ConfOptions::default(), NoticeKind::Invite, 0);
        assert_eq!(
            all.len(),
            1,
            "e-mail by default, once per address, no SMS unless asked: {all:?}"
        );
        assert!(all[0].host && all[0].calendar);
        let opts = ConfOptions {
            is_send_sms: Some(true),
            is_send_calendar: Some(false),
            ..Default::default()
        };
        let all = notices(&info, &opts, NoticeKind::Update, 3);
        let got: Vec<_> = all
            .iter()
            .map(|n| (n.channel, n.recipient.as_str(), n.calendar, n.sequence))
            .collect();
        assert_eq!(
            got,
            vec![
                (Channel::Email, "ana@example.com", false, 3),
                (Channel::Sms, "+100", false, 3),
                (Channel::Sms, "+200", false, 3)
            ]
        );
        let none = ConfOptions {
            is_send_notify: Some(false),
            ..Default::default()
        };
        assert!(notices(&info, &none, NoticeKind::Cancel, 0).is_empty());
    }

    #[test]
    fn an_edit_updates_invites_and_cancels() {
        let mut before = CreateConfInfo::new("s", MediaType::Video, true);
        before.attendees = vec![
            invitee("Ana", Some("a@x"), None, None),
            invitee("Bo", Some("b@x"), None, None),
        ];
        let mut after = before.clone();
        after.attendees = vec![
            invitee("Ana", Some("A@x"), None, None),
            invitee("Cy", Some("c@x"), None, None),
        ];
        let o = ConfOptions::default();
        let got: Vec<_> = edit_notices((&before, &o), (&after, &o), 2)
            .into_iter()
            .map(|n| (n.recipient, n.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A@x".to_owned(), NoticeKind::Update),
                ("c@x".to_owned(), NoticeKind::Invite),
                ("b@x".to_owned(), NoticeKind::Cancel)
            ]
        );
    }

    #[test]
    fn retries_back_off_and_stop() {
        assert_eq!(retry_at(1, 0), Some(30));
        assert_eq!(retry_at(2, 0), Some(60));
        assert_eq!(retry_at(8, 0), Some(3600));
        assert_eq!(retry_at(MAX_ATTEMPTS, 0), None);
    }
}
