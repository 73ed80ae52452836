//! Login rules: password lockout and the App ID signature's signed data.
//!
//! The HMAC itself is computed by `convene-server` (it owns the crypto crates);
//! this module says *what* is signed and *when* a login is refused.

/// How many wrong passwords in a run lock, for how long, and how long a run
/// is remembered without another failure. The same record and rule serve
/// account logins, meeting passwords and their ceilings; only the numbers
/// differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRule {
    /// Failures in a run that lock.
    pub max: i64,
    /// How long a lock lasts, in seconds.
    pub lock_seconds: i64,
    /// How long a run is remembered without another failure, in seconds:
    /// after that it starts again, and its record may be deleted.
    pub memory_seconds: i64,
}

/// Wrong passwords for one account name from one client address: the
/// product's "five wrong passwords lock" for the one who typed them.
pub const LOGIN_ADDRESS_RULE: FailureRule = FailureRule {
    max: 5,
    lock_seconds: 10 * 60,
    memory_seconds: FAILURE_MEMORY_SECONDS,
};
/// Wrong passwords for one account name from everywhere together: slower,
/// so that a run from one address does not lock the owner out elsewhere,
/// while guesses spread over many addresses still meet a ceiling.
pub const LOGIN_ACCOUNT_RULE: FailureRule = FailureRule {
    max: 50,
    lock_seconds: 10 * 60,
    memory_seconds: FAILURE_MEMORY_SECONDS,
};
/// Consecutive wrong passwords from one address that lock an account name
/// for that address (kept for callers that name the product's number).
pub const MAX_FAILED_LOGINS: i64 = LOGIN_ADDRESS_RULE.max;
/// How long a locked account name stays locked, in seconds.
pub const LOCK_SECONDS: i64 = LOGIN_ADDRESS_RULE.lock_seconds;
/// How long a run of wrong passwords is remembered without another one, in
/// seconds: a mistyped password yesterday does not count toward today's
/// lock, and the records of names tried once (made-up ones too) can go.
pub const FAILURE_MEMORY_SECONDS: i64 = 24 * 3600;

/// The key of the login failure record of `account` tried from `address`
/// (see [`LOGIN_ADDRESS_RULE`]); the account-wide record's key is the name
/// itself. Names with control characters are refused before this, so no
/// name can spell another's per-address key.
pub fn login_address_key(account: &str, address: &str) -> String {
    format!("{account}\u{1}{address}")
}

/// A run of failures: kept per account *name* (whether or not such an
/// account exists, so that lockout answers do not reveal which accounts
/// exist), per name and address, and per meeting and caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub count: i64,
    pub locked_until: i64,
    /// When the last wrong password came (Unix seconds; 0: never).
    pub last_failed_at: i64,
}

impl LoginFailures {
    pub fn is_locked(&self, now: i64) -> bool {
        self.locked_until > now
    }

    /// Whether this record no longer matters at `now`: no lock in force and
    /// the last wrong password forgotten. Such records may be deleted.
    pub fn is_forgotten(&self, now: i64, rule: &FailureRule) -> bool {
        !self.is_locked(now) && self.last_failed_at <= now - rule.memory_seconds
    }

    /// The record after one more wrong password at `now`.
    pub fn after_failure(self, now: i64, rule: &FailureRule) -> LoginFailures {
        // A lock that has run out, or a run of failures long forgotten,
        // starts a fresh count.
        let lock_ran_out = self.locked_until != 0 && self.locked_until <= now;
        let count = if lock_ran_out || self.is_forgotten(now, rule) {
            1
        } else {
            self.count + 1
        };
        let locked_until = if count >= rule.max { now + rule.lock_seconds } else { 0 };
        LoginFailures {
            count,
            locked_until,
            last_failed_at: now,
        }
    }

    /// The record once an attempt counted by [`Self::after_failure`] turned
    /// out right: that one attempt is taken back (and the lock it set, if it
    /// was the one that reached the limit). Other failures stay: a right
    /// password does not wipe guesses at a different one.
    pub fn forgiven(self, rule: &FailureRule) -> LoginFailures {
        let count = (self.count - 1).max(0);
        if count == 0 {
            return LoginFailures::default();
        }
        LoginFailures {
            count,
            locked_until: if count >= rule.max { self.locked_until } else { 0 },
            last_failed_at: self.last_failed_at,
        }
    }

    /// Whether the attempt whose failure made this record may still have its
    /// password checked: the first `rule.max` in a row may (the last of them
    /// locks if wrong), any beyond were already locked out.
    pub fn may_check(&self, rule: &FailureRule) -> bool {
        self.count <= rule.max
    }
}

/// Why an App ID login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAuthRefusal {
    /// The signature's `expireTime` has passed.
    Expired,
    /// Malformed request, unknown app, or a signature that does not match.
    BadSignature,
}

/// The data the App ID signature covers (spec §3.2): `appId:userId:expireTime:nonce`,
/// or `appId:corpId:userId:expireTime:nonce` in the multi-tenant mode.
pub fn app_sign_data(app_id: &str, corp_id: Option<&str>, user_id: &str, expire_time: i64, nonce: &str) -> String {
    match corp_id {
        Some(corp) => format!("{app_id}:{corp}:{user_id}:{expire_time}:{nonce}"),
        None => format!("{app_id}:{user_id}:{expire_time}:{nonce}"),
    }
}

/// Checks the fields of an App ID login that need no key: the nonce length
/// (32..=64) and the expiry (0 = never) against `now`.
pub fn check_app_auth_fields(user_id: &str, expire_time: i64, nonce: &str, now: i64) -> Result<(), AppAuthRefusal> {
    if user_id.is_empty() || user_id.len() > 64 || !(32..=64).contains(&nonce.len()) || expire_time < 0 {
        return Err(AppAuthRefusal::BadSignature);
    }
    if expire_time != 0 && expire_time <= now {
        return Err(AppAuthRefusal::Expired);
    }
    Ok(())
}

/// Parses `HMAC-SHA256 signature=HEX[,access=BASE64]` and returns the signature
/// bytes. Hex may be upper- or lower-case; `access=` may be absent.
pub fn parse_app_authorization(header: &str) -> Option<Vec<u8>> {
    let rest = header.trim().strip_prefix("HMAC-SHA256")?.trim_start();
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        if k.trim().eq_ignore_ascii_case("signature") {
            signature = Some(v.trim());
        }
    }
    decode_hex(signature?)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: FailureRule = LOGIN_ADDRESS_RULE;

    #[test]
    fn a_right_password_takes_back_only_its_own_attempt() {
        let mut f = LoginFailures::default();
        for i in 0..4 {
            f = f.after_failure(100 + i, &R);
        }
        // The fifth attempt is counted first; it was right.
        let charged = f.after_failure(200, &R);
        assert!(charged.is_locked(200) && charged.may_check(&R));
        let back = charged.forgiven(&R);
        assert_eq!(back.count, 4, "the four wrong ones stay");
        assert!(!back.is_locked(200));
        assert!(back.after_failure(201, &R).is_locked(201), "one more wrong one locks");
        assert_eq!(
            LoginFailures::default().after_failure(5, &R).forgiven(&R),
            LoginFailures::default()
        );
    }

    #[test]
    fn five_failures_lock_and_the_lock_runs_out() {
        let mut f = LoginFailures::default();
        for i in 1..MAX_FAILED_LOGINS {
            f = f.after_failure(1000 + i, &R);
            assert!(!f.is_locked(1000 + i), "locked after {i} failures");
        }
        f = f.after_failure(1010, &R);
        assert!(f.is_locked(1010));
        assert!(f.is_locked(1010 + LOCK_SECONDS - 1));
        assert!(!f.is_locked(1010 + LOCK_SECONDS));
        assert!(f.may_check(&R), "the fifth attempt is still checked");
        assert!(!f.after_failure(1011, &R).may_check(&R), "a sixth is not");
        // After the lock ran out, one failure does not lock again.
        let g = f.after_failure(1010 + LOCK_SECONDS + 1, &R);
        assert_eq!(g.count, 1);
        assert!(!g.is_locked(1010 + LOCK_SECONDS + 1));
    }

    #[test]
    fn a_run_of_failures_is_forgotten_after_a_day() {
        let t = 1_000_000;
        let mut f = LoginFailures::default();
        for i in 0..MAX_FAILED_LOGINS - 1 {
            f = f.after_failure(t + i, &R);
        }
        assert_eq!(f.count, MAX_FAILED_LOGINS - 1);
        assert!(!f.is_forgotten(t + FAILURE_MEMORY_SECONDS, &R));
        // One more within the day locks.
        assert!(f
            .after_failure(t + FAILURE_MEMORY_SECONDS, &R)
            .is_locked(t + FAILURE_MEMORY_SECONDS));
        // A day after the last one, the run starts again.
        let later = t + MAX_FAILED_LOGINS - 2 + FAILURE_MEMORY_SECONDS;
        assert!(f.is_forgotten(later, &R));
        let g = f.after_failure(later, &R);
        assert_eq!(g.count, 1);
        assert!(!g.is_locked(later));
        // A lock in force is never forgotten, however old the failure.
        let locked = LoginFailures {
            count: MAX_FAILED_LOGINS,
            locked_until: later + 10,
            last_failed_at: t,
        };
        assert!(!locked.is_forgotten(later, &R));
    }

    #[test]
    fn authorization_header_forms() {
        let sig = parse_app_authorization("HMAC-SHA256 signature=ABCDEF01,access=YXBw").unwrap();
        assert_eq!(sig, vec![0xab, 0xcd, 0xef, 0x01]);
        assert_eq!(parse_app_authorization("HMAC-SHA256 signature=abcdef01"), Some(sig));
        assert_eq!(parse_app_authorization("Basic abc"), None);
        assert_eq!(parse_app_authorization("HMAC-SHA256 signature=xyz"), None);
    }

    #[test]
    fn sign_data_and_expiry() {
        assert_eq!(app_sign_data("a", None, "u", 5, "n"), "a:u:5:n");
        assert_eq!(app_sign_data("a", Some("c"), "u", 5, "n"), "a:c:u:5:n");
        let nonce = "n".repeat(36);
        assert_eq!(check_app_auth_fields("u", 0, &nonce, 99), Ok(()));
        assert_eq!(check_app_auth_fields("u", 100, &nonce, 99), Ok(()));
        assert_eq!(check_app_auth_fields("u", 99, &nonce, 99), Err(AppAuthRefusal::Expired));
        assert_eq!(
            check_app_auth_fields("u", 0, "short", 99),
            Err(AppAuthRefusal::BadSignature)
        );
    }
}
