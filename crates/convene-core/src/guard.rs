//! Password guessing against meetings: who may still try a meeting's
//! passwords, and what a wrong one costs.
//!
//! A meeting's host password is six digits, so every path that checks it (a
//! join, the REST control token, `requestHostRole`) goes through one
//! [`PasswordGuard`]. It keeps three runs of failures, each a
//! [`LoginFailures`] record under its own [`FailureRule`]:
//! - per meeting ID and caller ([`PAIR_RULE`]): the product's "five wrong
//!   passwords lock you out of this meeting";
//! - per caller across all meeting IDs ([`CALLER_RULE`]): tries at IDs that
//!   do not exist count too, so one caller cannot scan IDs for meetings;
//! - per meeting ID from everyone together ([`MEETING_RULE`]): a ceiling for
//!   guesses spread over many addresses; past it the meeting's password path
//!   is closed for a while for everyone.
//!
//! The guard only counts and answers a [`Gate`]; which callers the gate
//! applies to is the join rule's business (`live::check_credential`):
//! those who prove themselves without a password (the owner's login, a join
//! link's code, an invitation) are never held back by it. A right password
//! never wipes failures: a guest who knows the guest password gains no more
//! guesses at the host password.
//!
//! A caller is its account when logged in, else its address (IPv6 by /64,
//! what one customer line gets), see [`caller_key`].

use std::collections::HashMap;
use std::net::IpAddr;

use crate::auth::{FailureRule, LoginFailures};

/// Wrong passwords from one caller for one meeting ID.
pub const PAIR_RULE: FailureRule = FailureRule {
    max: 5,
    lock_seconds: 10 * 60,
    memory_seconds: 3600,
};
/// Wrong passwords from one caller for any meeting IDs, unknown ones too.
pub const CALLER_RULE: FailureRule = FailureRule {
    max: 20,
    lock_seconds: 10 * 60,
    memory_seconds: 3600,
};
/// Wrong passwords for one meeting ID from everyone together: at most ~30
/// guesses per 10 minutes, so a six-digit host password holds for years
/// against a botnet of any size.
pub const MEETING_RULE: FailureRule = FailureRule {
    max: 30,
    lock_seconds: 10 * 60,
    memory_seconds: 3600,
};
/// How often records that no longer matter are deleted (seconds).
const SWEEP_SECONDS: i64 = 60;

/// What a password check of this caller for this meeting may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gate {
    /// Check the password.
    #[default]
    Open,
    /// This caller guessed too often (at this meeting or at any).
    CallerLocked,
    /// Everyone together guessed too often at this meeting.
    MeetingClosed,
}

/// Who is asking: the account when logged in, else the address.
pub fn caller_key(user_id: Option<&str>, address: IpAddr) -> String {
    if let Some(u) = user_id {
        return format!("user:{u}");
    }
    match address {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The failure runs of one node (see the module doc).
#[derive(Debug, Default)]
pub struct PasswordGuard {
    pairs: HashMap<(String, String), LoginFailures>,
    callers: HashMap<String, LoginFailures>,
    meetings: HashMap<String, LoginFailures>,
    next_sweep: i64,
}

impl PasswordGuard {
    /// Whether `caller` may have a password for meeting ID `conf` checked now.
    pub fn gate(&self, conf: &str, caller: &str, now: i64) -> Gate {
        let locked = |f: Option<&LoginFailures>| f.is_some_and(|f| f.is_locked(now));
        if locked(self.pairs.get(&(conf.to_owned(), caller.to_owned()))) || locked(self.callers.get(caller)) {
            Gate::CallerLocked
        } else if locked(self.meetings.get(conf)) {
            Gate::MeetingClosed
        } else {
            Gate::Open
        }
    }

    /// One wrong password (or link code, or a try at an ID with no meeting)
    /// by `caller` for `conf` at `now`. The caller checks [`Self::gate`]
    /// and this under one lock of the guard, so concurrent tries each count
    /// before the next is checked.
    pub fn failed(&mut self, conf: &str, caller: &str, now: i64) {
        self.sweep(now);
        let pair = self.pairs.entry((conf.to_owned(), caller.to_owned())).or_default();
        *pair = pair.after_failure(now, &PAIR_RULE);
        let c = self.callers.entry(caller.to_owned()).or_default();
        *c = c.after_failure(now, &CALLER_RULE);
        let m = self.meetings.entry(conf.to_owned()).or_default();
        *m = m.after_failure(now, &MEETING_RULE);
    }

    /// How many records are kept (bounded by the sweep: a record goes an
    /// hour after its last failure, or when its lock ends if later).
    pub fn records(&self) -> usize {
        self.pairs.len() + self.callers.len() + self.meetings.len()
    }

    fn sweep(&mut self, now: i64) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now + SWEEP_SECONDS;
        self.pairs.retain(|_, f| !f.is_forgotten(now, &PAIR_RULE));
        self.callers.retain(|_, f| !f.is_forgotten(now, &CALLER_RULE));
        self.meetings.retain(|_, f| !f.is_forgotten(now, &MEETING_RULE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_000_000;

    #[test]
    fn five_wrong_lock_one_caller_out_of_one_meeting() {
        let mut g = PasswordGuard::default();
        for i in 0..5 {
            assert_eq!(g.gate("111", "ip:1.2.3.4", T + i), Gate::Open);
            g.failed("111", "ip:1.2.3.4", T + i);
        }
        assert_eq!(g.gate("111", "ip:1.2.3.4", T + 5), Gate::CallerLocked);
        assert_eq!(g.gate("111", "ip:5.6.7.8", T + 5), Gate::Open, "others are not locked");
        assert_eq!(g.gate("222", "ip:1.2.3.4", T + 5), Gate::Open, "nor other meetings");
        assert_eq!(
            g.gate("111", "ip:1.2.3.4", T + 4 + 600),
            Gate::Open,
            "the lock runs out"
        );
    }

    #[test]
    fn one_caller_scanning_ids_is_locked_everywhere() {
        let mut g = PasswordGuard::default();
        for i in 0..CALLER_RULE.max {
            assert_eq!(g.gate(&format!("{}", 100 + i), "user:u", T), Gate::Open);
            g.failed(&format!("{}", 100 + i), "user:u", T);
        }
        assert_eq!(g.gate("999", "user:u", T), Gate::CallerLocked);
    }

    #[test]
    fn many_callers_close_a_meeting_for_all() {
        let mut g = PasswordGuard::default();
        for i in 0..MEETING_RULE.max {
            g.failed("111", &format!("ip:10.0.0.{i}"), T + i);
        }
        assert_eq!(g.gate("111", "ip:9.9.9.9", T + 30), Gate::MeetingClosed);
        assert_eq!(g.gate("222", "ip:9.9.9.9", T + 30), Gate::Open);
    }

    #[test]
    fn forgotten_records_go() {
        let mut g = PasswordGuard::default();
        for i in 0..100 {
            g.failed(&format!("{i}"), &format!("ip:10.0.0.{i}"), T);
        }
        assert_eq!(g.records(), 300);
        g.failed("x", "ip:1.1.1.1", T + 3600 + 60);
        assert_eq!(g.records(), 3);
    }

    #[test]
    fn callers() {
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap_or(IpAddr::from([0u8; 16]));
        assert_eq!(caller_key(None, v6), "ip:2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:1.2.3.4".parse().unwrap_or(IpAddr::from([0u8; 16]));
        assert_eq!(caller_key(None, mapped), "ip:1.2.3.4");
        assert_eq!(caller_key(Some("u1"), mapped), "user:u1");
    }
}
