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

/// The events a subscription gets (spec §6.1), by the product's names.
pub mod event {
    pub const VERIFY: &str = "meeting.verify";
    /// A meeting was created (booked or instant): one per occurrence of a
    /// series.
    pub const CREATE: &str = "meeting.create";
    /// A booked meeting (or an occurrence) was edited.
    pub const MODIFY: &str = "meeting.modify";
    /// A meeting (or an occurrence) was cancelled.
    pub const CANCEL: &str = "meeting.cancel";
    /// Its live session began: the first participant was admitted.
    pub const STARTED: &str = "meeting.started";
    /// Its live session ended: the last participant went (it may be
    /// joined again until it concludes).
    pub const END: &str = "meeting.end";
    /// It is over for good (ended by a host, the REST stop, its end time).
    pub const CONCLUDE: &str = "meeting.conclude";
    pub const JOIN: &str = "meeting.join";
    pub const LEFT: &str = "meeting.left";
    /// A recording segment was composed: its files can be fetched.
    pub const RECORD_FINISH: &str = "record.finish";
}

/// A participant as `meeting.join` and `meeting.left` describe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeFacts<'a> {
    pub participant: u64,
    pub name: &'a str,
    /// The seed's role number.
    pub role: i64,
    /// The product's attendee type name ("normal", "terminal"...).
    pub device: &'a str,
    /// The account's user ID; `None` for a guest without an account.
    pub user: Option<&'a str>,
    /// Unix seconds.
    pub joined_at: i64,
    pub left_at: Option<i64>,
}

/// The product's role name of a seed role number.
fn role_name(role: i64) -> &'static str {
    match role {
        1 => "CHAIR",
        3 => "COHOST",
        2 => "AUDIENCE",
        4 => "WAITING",
        _ => "GENERAL",
    }
}

/// `payload.attendeeInfo` of a join or leave, as stored with the event.
pub fn attendee_info(a: &AttendeeFacts<'_>) -> String {
    serde_json::json!({
        "userUUID": a.user.unwrap_or(""),
        "userAgent": a.device,
        "account": "",
        "participantID": a.participant.to_string(),
        "displayName": a.name,
        "joinTime": a.joined_at * 1000,
        "leftTime": a.left_at.map_or(0, |t| t * 1000),
        "role": role_name(a.role),
        "callNumber": "",
    })
    .to_string()
}

/// What an event is about, as stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    pub event: String,
    /// When its change was stored (Unix milliseconds).
    pub at_ms: i64,
    pub conf_id: String,
    pub conf_uuid: String,
    /// The occurrence's UUID for an occurrence of a series, else empty.
    pub cycle_sub_id: String,
    /// `attendee_info`'s JSON for a join or leave.
    pub attendee: Option<String>,
}

/// A push's `eventInfo`: `{event, timestamp, payload: {meetingInfo,
/// attendeeInfo?}}`, serialized once, compactly; these bytes are signed and
/// embedded as they are, and are the same on every retry.
pub fn event_info(f: &EventFacts) -> String {
    let mut payload = serde_json::json!({
        "meetingInfo": {
            "meetingID": f.conf_id,
            "meetingUUID": f.conf_uuid,
            "meetingCycleSubID": f.cycle_sub_id,
        }
    });
    if let Some(a) = f
        .attendee
        .as_deref()
        .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
    {
        payload["attendeeInfo"] = a;
    }
    serde_json::json!({ "event": f.event, "timestamp": f.at_ms, "payload": payload }).to_string()
}

/// The product's retry schedule: after a failed attempt, again in 30 s
/// three times, then every 30 minutes until 24 hours after the first
/// attempt; `None`: give up. `attempts` counts the failed ones so far, this
/// one included.
pub fn next_attempt(attempts: i64, first_at_ms: i64, now_ms: i64) -> Option<i64> {
    const SHORT: i64 = 30_000;
    const LONG: i64 = 30 * 60_000;
    const GIVE_UP: i64 = 24 * 3_600_000;
    let next = if attempts <= 3 { now_ms + SHORT } else { now_ms + LONG };
    (next <= first_at_ms + GIVE_UP).then_some(next)
}

/// Whether a receiver took an event: any 2xx answer (the product asks for
/// 200 without a body; a body is ignored).
pub fn delivered(status: u16) -> bool {
    (200..300).contains(&status)
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

    #[test]
    fn retry_schedule() {
        let t0 = 1_000_000;
        // 30 s three times...
        assert_eq!(next_attempt(1, t0, t0), Some(t0 + 30_000));
        assert_eq!(next_attempt(3, t0, t0 + 60_000), Some(t0 + 90_000));
        // ...then every 30 minutes...
        assert_eq!(next_attempt(4, t0, t0 + 90_000), Some(t0 + 90_000 + 1_800_000));
        // ...until 24 hours after the first attempt.
        assert_eq!(
            next_attempt(40, t0, t0 + 23 * 3_600_000),
            Some(t0 + 23 * 3_600_000 + 1_800_000)
        );
        assert_eq!(next_attempt(50, t0, t0 + 24 * 3_600_000 - 60_000), None);
        assert!(delivered(200) && delivered(204) && !delivered(301) && !delivered(500));
    }

    #[test]
    fn event_bodies() {
        let a = attendee_info(&AttendeeFacts {
            participant: 7,
            name: "Ana \"A\"",
            role: 1,
            device: "normal",
            user: Some("u1"),
            joined_at: 10,
            left_at: None,
        });
        let info = event_info(&EventFacts {
            event: event::JOIN.into(),
            at_ms: 10_500,
            conf_id: "987446316".into(),
            conf_uuid: "uuid".into(),
            cycle_sub_id: String::new(),
            attendee: Some(a),
        });
        let v: serde_json::Value = serde_json::from_str(&info).unwrap();
        assert_eq!(v["event"], "meeting.join");
        assert_eq!(v["timestamp"], 10_500);
        assert_eq!(v["payload"]["meetingInfo"]["meetingID"], "987446316");
        assert_eq!(v["payload"]["attendeeInfo"]["role"], "CHAIR");
        assert_eq!(v["payload"]["attendeeInfo"]["joinTime"], 10_000);
        assert_eq!(v["payload"]["attendeeInfo"]["leftTime"], 0);
        assert_eq!(v["payload"]["attendeeInfo"]["displayName"], "Ana \"A\"");
        assert!(!info.contains(": ") && !info.contains('\n'), "compact: {info}");
    }
}
