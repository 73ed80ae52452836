//! Enterprise event push (spec §6.1): the rules of a subscription, what a
//! delivery signs, and what enabling one requires. The server sends; this
//! decides.

use convene_proto::SdkErr;

use crate::refusal::Refusal;

/// A subscription's state, as the product numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// Events are pushed (its receiver answered the verification).
    Enabled,
    /// Set up, or disabled: nothing is pushed.
    NotStarted,
    /// Locked by an administrator: nothing is pushed.
    Locked,
}

impl WebhookStatus {
    pub fn number(self) -> i64 {
        match self {
            WebhookStatus::Enabled => 0,
            WebhookStatus::NotStarted => 1,
            WebhookStatus::Locked => 2,
        }
    }

    pub fn from_number(n: i64) -> Option<WebhookStatus> {
        match n {
            0 => Some(WebhookStatus::Enabled),
            1 => Some(WebhookStatus::NotStarted),
            2 => Some(WebhookStatus::Locked),
            _ => None,
        }
    }
}

fn bad(reason: impl Into<String>) -> Refusal {
    Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason)
}

/// A subscription's fields: `subscriberId` (the `appID` of each push) 1-64
/// characters, `subscriberKey` (the signing key) 16-256, `url` http(s)
/// without credentials or a fragment, at most 1,024 characters.
pub fn check_config(subscriber_id: &str, subscriber_key: &str, url: &str) -> Result<(), Refusal> {
    if subscriber_id.trim().is_empty() || subscriber_id.chars().count() > 64 {
        return Err(bad("subscriberId must be 1 to 64 characters"));
    }
    crate::text::check_text("subscriberId", subscriber_id, false).map_err(bad)?;
    if !(16..=256).contains(&subscriber_key.len()) {
        return Err(bad("subscriberKey must be 16 to 256 characters (it signs every push)"));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| bad("url must start with https:// or http://"))?;
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if host.is_empty()
        || host.contains('@')
        || url.contains('#')
        || url.len() > 1024
        || url.chars().any(char::is_whitespace)
    {
        return Err(bad("url must name a host, without credentials, spaces or a fragment"));
    }
    Ok(())
}

/// What a push's `signature` signs: `appID + timestamp + nonce +
/// eventInfo`, `eventInfo` being the exact bytes the body carries.
pub fn signed_data(app_id: &str, timestamp: i64, nonce: &str, event_info: &str) -> String {
    let mut s = String::with_capacity(app_id.len() + 20 + nonce.len() + event_info.len());
    s.push_str(app_id);
    s.push_str(&timestamp.to_string());
    s.push_str(nonce);
    s.push_str(event_info);
    s
}

/// Whether a receiver's answer to `meeting.verify` enables the
/// subscription: HTTP 200 with `{"event": "meeting.verify", "nonce": the
/// nonce sent}`; else why not.
pub fn verified(status: u16, body: &[u8], nonce: &str) -> Result<(), String> {
    if status != 200 {
        return Err(format!("the receiver answered HTTP {status}, not 200"));
    }
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the receiver's answer is not JSON".to_owned())?;
    if v.get("event").and_then(|e| e.as_str()) != Some("meeting.verify") {
        return Err("the receiver's answer lacks \"event\": \"meeting.verify\"".into());
    }
    if v.get("nonce").and_then(|n| n.as_str()) != Some(nonce) {
        return Err("the receiver did not echo the nonce".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_and_answers() {
        assert!(check_config("corp-hooks", &"k".repeat(16), "https://hooks.example/meeting").is_ok());
        assert!(check_config("", &"k".repeat(16), "https://h").is_err());
        assert!(check_config("a", "short", "https://h").is_err());
        for url in [
            "ftp://h/",
            "https://",
            "https://user:pw@h/",
            "https://h/#x",
            "https://h/ x",
            "h/x",
        ] {
            assert!(check_config("a", &"k".repeat(16), url).is_err(), "{url}");
        }
        assert_eq!(signed_data("app", 12, "n", "{}"), "app12n{}");
        assert!(verified(200, br#"{"event":"meeting.verify","nonce":"abc"}"#, "abc").is_ok());
        assert!(verified(200, br#"{"event":"meeting.verify","nonce":"abd"}"#, "abc").is_err());
        assert!(verified(204, b"", "abc").is_err());
        assert!(verified(200, b"ok", "abc").is_err());
    }
}
