//! Delivering invitations. Core decides who is told what
//! (`convene_core::notify`) and storage keeps each notice in its outbox with
//! the change it tells of; this deliverer claims due notices, sends them
//! (e-mail through an SMTP server with lettre, an iCalendar entry built with
//! icalendar; SMS through a gateway) and records how each went, retrying
//! with `convene_core::notify::retry_at`. A crash between sending and
//! recording sends a notice again once its lease is over: at least once.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use convene_core::notify::{retry_at, Channel, NoticeKind};
use convene_core::tz::TimeZone;
use convene_core::Meeting;
use convene_store::{Delivery, OutboxItem, Store};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::calendar::Scope;
use crate::clock::Clock;
use crate::config::Secret;

/// How long a claimed notice is the deliverer's before another may claim it.
const LEASE_SECS: i64 = 120;
/// Notices claimed at a time.
const BATCH: i64 = 16;
/// How long one delivery may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The sender when `--smtp-from` is not given.
pub const DEFAULT_SMTP_FROM: &str = "convene <convene@localhost>";

/// Where invitations go out (`--smtp-url`, `--smtp-from`, `--sms-gateway-*`).
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    pub smtp_url: Option<Secret>,
    pub smtp_from: String,
    pub sms_gateway_url: Option<String>,
    pub sms_gateway_secret: Option<Secret>,
    /// Extra CAs (PEM file) for webhook receivers over https.
    pub webhook_ca: Option<std::path::PathBuf>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp_url: None,
            smtp_from: DEFAULT_SMTP_FROM.into(),
            sms_gateway_url: None,
            sms_gateway_secret: None,
            webhook_ca: None,
        }
    }
}

impl NotifyConfig {
    /// Refuses a configuration that could never send.
    pub fn check(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.smtp_url {
            smtp_transport(&url.0).context("--smtp-url")?;
        }
        self.smtp_from
            .parse::<Mailbox>()
            .with_context(|| format!("--smtp-from {:?} is not an e-mail address", self.smtp_from))?;
        if self.sms_gateway_url.is_some() && self.sms_gateway_secret.is_none() {
            bail!("--sms-gateway-url needs --sms-gateway-secret (the gateway checks the signature)");
        }
        Ok(())
    }
}

/// `smtp://` upgrades with STARTTLS when the server offers it, unless the
/// URL says otherwise (`?tls=required`); `smtps://` is TLS from the start.
fn smtp_transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let url = if url.starts_with("smtp://") && !url.contains("tls=") {
        format!("{url}{}tls=opportunistic", if url.contains('?') { '&' } else { '?' })
    } else {
        url.to_owned()
    };
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)?
        .timeout(Some(SEND_TIMEOUT))
        .build())
}

/// The deliverer: one task per server.
pub struct Deliverer {
    store: Arc<dyn Store>,
    clock: Arc<Clock>,
    public_url: String,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    sms: Option<(String, String)>,
    http: reqwest::Client,
    wake: Arc<tokio::sync::Notify>,
}

impl Deliverer {
    /// Starts delivering; says at start when a channel has nowhere to go.
    /// The returned handle wakes it early (a change just stored notices).
    pub fn spawn(
        config: &NotifyConfig,
        store: Arc<dyn Store>,
        clock: Arc<Clock>,
        public_url: String,
    ) -> anyhow::Result<Arc<tokio::sync::Notify>> {
        let smtp = config.smtp_url.as_ref().map(|u| smtp_transport(&u.0)).transpose()?;
        if smtp.is_none() {
            tracing::warn!("no --smtp-url: e-mail invitations are recorded as not sent");
        }
        let sms = match (&config.sms_gateway_url, &config.sms_gateway_secret) {
            (Some(u), Some(s)) => Some((u.clone(), s.0.clone())),
            _ => {
                tracing::warn!("no --sms-gateway-url: SMS invitations are recorded as not sent");
                None
            }
        };
        let wake = Arc::new(tokio::sync::Notify::new());
        let d = Deliverer {
            store,
            clock,
            public_url,
            smtp,
            from: config.smtp_from.parse().context("--smtp-from")?,
            sms,
            http: reqwest::Client::builder().timeout(SEND_TIMEOUT).build()?,
            wake: wake.clone(),
        };
        tokio::spawn(d.run());
        Ok(wake)
    }

    async fn run(self) {
        if let Err(e) = self.store.release_notice_claims().await {
            tracing::error!(error = %e, "releasing the invitations a dead process had claimed");
        }
        loop {
            let now = self.clock.now();
            let claimed = match self.store.claim_notices(now, LEASE_SECS, BATCH).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "reading the invitations outbox");
                    Vec::new()
                }
            };
            let idle = claimed.is_empty();
            for item in claimed {
                let result = self.deliver(&item).await;
                let outcome = match &result {
                    Delivery::Sent => "sent",
                    Delivery::Retry { .. } => "retry",
                    Delivery::Failed { .. } => "failed",
                    Delivery::Unsent { .. } => "unsent",
                };
                metrics::counter!("convene_notices_total", "channel" => item.notice.channel.as_str(), "outcome" => outcome)
                    .increment(1);
                match &result {
                    Delivery::Sent => {
                        tracing::info!(to = %item.notice.recipient, kind = item.notice.kind.as_str(), "invitation sent")
                    }
                    other => tracing::warn!(to = %item.notice.recipient, result = ?other, "invitation not delivered"),
                }
                if let Err(e) = self.store.finish_notice(item.id, self.clock.now(), &result).await {
                    // Its lease runs out and it is claimed again: sent twice rather than lost.
                    tracing::error!(error = %e, "recording an invitation's delivery");
                }
            }
            if idle {
                let _ = tokio::time::timeout(Duration::from_secs(2), self.wake.notified()).await;
            }
        }
    }

    async fn deliver(&self, item: &OutboxItem) -> Delivery {
        let own = match self.store.meeting_by_uuid(&item.conf_uuid).await {
            Ok(m) => m,
            Err(e) => return self.retry(item, format!("reading the meeting: {e}")),
        };
        // A notice not kept under a meeting is a recurring series'.
        let all = match own {
            Some(_) => Vec::new(),
            None => match self.store.series_meetings(&item.conf_uuid).await {
                Ok(all) => all,
                Err(e) => return self.retry(item, format!("reading the series: {e}")),
            },
        };
        let Some((meeting, scope)) = crate::calendar::scope(own, all) else {
            return Delivery::Failed {
                error: "the meeting is gone".into(),
            };
        };
        // A reminder of an occurrence no longer booked (cancelled, started,
        // over) has nothing to remind of.
        if item.notice.kind == NoticeKind::Remind
            && meeting.state_at(self.clock.now()) != convene_core::ConfState::Scheduled
        {
            return Delivery::Unsent {
                reason: "the occurrence is no longer booked".into(),
            };
        }
        match item.notice.channel {
            Channel::Email => self.email(item, &meeting, &scope).await,
            Channel::Sms => self.sms(item, &meeting, &scope).await,
        }
    }

    fn retry(&self, item: &OutboxItem, error: String) -> Delivery {
        match retry_at(item.attempts, self.clock.now()) {
            Some(at) => Delivery::Retry { at, error },
            None => Delivery::Failed {
                error: format!("gave up after {} attempts: {error}", item.attempts),
            },
        }
    }

    async fn email(&self, item: &OutboxItem, m: &Meeting, scope: &Scope) -> Delivery {
        let Some(smtp) = &self.smtp else {
            return Delivery::Unsent {
                reason: "no SMTP server is configured (--smtp-url)".into(),
            };
        };
        let n = &item.notice;
        let to: Mailbox = match n.recipient.parse::<lettre::Address>() {
            Ok(a) => Mailbox::new(Some(n.name.clone()).filter(|s| !s.is_empty()), a),
            Err(e) => {
                return Delivery::Failed {
                    error: format!("{:?} is not an e-mail address: {e}", n.recipient),
                }
            }
        };
        let text = Invitation::new(m, item, &self.public_url, scope);
        let body = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(text.body.clone());
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(text.subject.clone());
        let message = if n.calendar {
            let method = if n.kind == NoticeKind::Cancel {
                "CANCEL"
            } else {
                "REQUEST"
            };
            let ics = text.calendar(m, &self.from, &n.recipient, &n.name, scope);
            let calendar = SinglePart::builder()
                .header(
                    ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                        .unwrap_or(ContentType::TEXT_PLAIN),
                )
                .body(ics);
            message.multipart(MultiPart::mixed().singlepart(body).singlepart(calendar))
        } else {
            message.singlepart(body)
        };
        let message = match message {
            Ok(msg) => msg,
            Err(e) => {
                return Delivery::Failed {
                    error: format!("building the message: {e}"),
                }
            }
        };
        match smtp.send(message).await {
            Ok(_) => Delivery::Sent,
            Err(e) if e.is_permanent() => Delivery::Failed { error: e.to_string() },
            Err(e) => self.retry(item, e.to_string()),
        }
    }

    /// POSTs `{"to", "text", "conferenceID", "kind"}` to the gateway with
    /// `X-Convene-Signature: hex(HMAC-SHA256(secret, body))`.
    async fn sms(&self, item: &OutboxItem, m: &Meeting, scope: &Scope) -> Delivery {
        use hmac::Mac;
        let Some((url, secret)) = &self.sms else {
            return Delivery::Unsent {
                reason: "no SMS gateway is configured (--sms-gateway-url)".into(),
            };
        };
        let text = Invitation::new(m, item, &self.public_url, scope);
        let body = serde_json::json!({
            "to": item.notice.recipient,
            "text": text.sms,
            "conferenceID": m.conf_id.0,
            "kind": item.notice.kind.as_str(),
        })
        .to_string();
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
            return Delivery::Failed {
                error: "bad gateway secret".into(),
            };
        };
        mac.update(body.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        let sent = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Convene-Signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Delivery::Sent,
            Ok(r) if r.status().is_client_error() => Delivery::Failed {
                error: format!("the SMS gateway refused it: HTTP {}", r.status()),
            },
            Ok(r) => self.retry(item, format!("the SMS gateway answered HTTP {}", r.status())),
            Err(e) => self.retry(item, format!("the SMS gateway: {e}")),
        }
    }
}

/// The words of an invitation in its language (`language`: zh-CN or
/// en-US, the default).
struct Words {
    date: &'static str,
    invite: &'static str,
    update: &'static str,
    cancel: &'static str,
    invites: &'static str,
    changed: &'static str,
    cancelled: &'static str,
    remind: &'static str,
    soon: &'static str,
    hello: &'static str,
    there: &'static str,
    subject: &'static str,
    time: &'static str,
    id: &'static str,
    password: &'static str,
    host: &'static str,
    join: &'static str,
    organiser: &'static str,
    repeats: &'static str,
}

impl Words {
    fn of(language: Option<&str>) -> &'static Words {
        const EN: Words = Words {
            date: "%a %e %b %Y %H:%M",
            invite: "Invitation: ",
            update: "Updated: ",
            cancel: "Cancelled: ",
            invites: "{owner} invites you to a meeting.",
            changed: "{owner} changed this meeting.",
            cancelled: "{owner} cancelled this meeting.",
            remind: "Reminder: ",
            soon: "{owner}'s meeting is coming up.",
            hello: "Hello {name},",
            there: "there",
            subject: "Subject: ",
            time: "Time: ",
            id: "Meeting ID: ",
            password: "Password: ",
            host: " (host)",
            join: "Join: ",
            organiser: "Organiser: ",
            repeats: "Repeats: ",
        };
        const ZH: Words = Words {
            date: "%Y/%m/%d %H:%M",
            invite: "会议邀请：",
            update: "会议变更：",
            cancel: "会议取消：",
            invites: "{owner} 邀请您参加会议。",
            changed: "{owner} 修改了会议。",
            cancelled: "{owner} 取消了会议。",
            remind: "会议提醒：",
            soon: "{owner} 的会议即将召开。",
            hello: "{name}，您好：",
            there: "您",
            subject: "会议主题：",
            time: "会议时间：",
            id: "会议ID：",
            password: "会议密码：",
            host: "（主持人）",
            join: "入会链接：",
            organiser: "组织者：",
            repeats: "重复：",
        };
        if language == Some("zh-CN") {
            &ZH
        } else {
            &EN
        }
    }
}

/// What an invitation says, in the meeting's time zone.
struct Invitation {
    subject: String,
    body: String,
    sms: String,
    link: String,
    zone: Option<TimeZone>,
    sequence: i64,
    kind: NoticeKind,
}

impl Invitation {
    fn new(m: &Meeting, item: &OutboxItem, public_url: &str, scope: &Scope) -> Invitation {
        let n = &item.notice;
        let t = Words::of(m.options.language.as_deref());
        let zone = m.options.time_zone_id.as_deref().and_then(TimeZone::from_code);
        let when = match zone {
            Some(z) => format!(
                "{} - {} {}",
                z.local(m.start).format(t.date),
                z.local(m.end).format("%H:%M"),
                z.label
            ),
            None => {
                let utc = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
                format!("{} - {} UTC", utc(m.start).format(t.date), utc(m.end).format("%H:%M"))
            }
        };
        let (password, link) = if n.host {
            (Some(m.host_pwd.clone()), m.host_join_uri(public_url))
        } else {
            (m.guest_pwd.clone(), m.guest_join_uri(public_url))
        };
        let subject = &m.info.subject;
        let owner = &m.owner_name;
        let (title, lead) = match n.kind {
            NoticeKind::Invite => (format!("{}{subject}", t.invite), t.invites.replace("{owner}", owner)),
            NoticeKind::Update => (format!("{}{subject}", t.update), t.changed.replace("{owner}", owner)),
            NoticeKind::Cancel => (format!("{}{subject}", t.cancel), t.cancelled.replace("{owner}", owner)),
            NoticeKind::Remind => (format!("{}{subject}", t.remind), t.soon.replace("{owner}", owner)),
        };
        let name = if n.name.is_empty() { t.there } else { &n.name };
        let repeats = match scope {
            Scope::Series { repeats, .. } => format!(
                "{}{}\n",
                t.repeats,
                repeats.describe(m.options.language.as_deref() == Some("zh-CN"))
            ),
            _ => String::new(),
        };
        let mut body = format!(
            "{}\n\n{lead}\n\n{}{subject}\n{}{when}\n{repeats}{}{}\n",
            t.hello.replace("{name}", name),
            t.subject,
            t.time,
            t.id,
            m.conf_id
        );
        if n.kind != NoticeKind::Cancel {
            if let Some(p) = &password {
                body.push_str(&format!("{}{p}{}\n", t.password, if n.host { t.host } else { "" }));
            }
            body.push_str(&format!("{}{link}\n", t.join));
        }
        body.push_str(&format!("{}{owner}\n", t.organiser));
        let sms = match n.kind {
            NoticeKind::Cancel => format!("{title} ({when}), {}{}", t.id, m.conf_id),
            _ => format!("{title}, {when}. {}{}. {}{link}", t.id, m.conf_id, t.join),
        };
        Invitation {
            subject: format!("{title} ({when})"),
            body,
            sms,
            link,
            zone,
            sequence: n.sequence,
            kind: n.kind,
        }
    }

    /// The iCalendar entry: `METHOD:REQUEST` (or `CANCEL`), one stable
    /// `UID` per meeting, `SEQUENCE` its version, times in its zone (with
    /// that zone's `VTIMEZONE`) or UTC.
    /// A series' entry: its `UID`, `RRULE`, cancelled occurrences as
    /// `EXDATE`, moved ones as `VEVENT`s with their `RECURRENCE-ID`; one
    /// occurrence's: the series' `UID` and its `RECURRENCE-ID`.
    fn calendar(&self, m: &Meeting, from: &Mailbox, to: &str, to_name: &str, scope: &Scope) -> String {
        use icalendar::{CalendarDateTime, Component, EventLike, EventStatus};
        let uid = match scope {
            Scope::Single => m.conf_uuid.0.clone(),
            Scope::Series { uid, .. } | Scope::Occurrence { uid, .. } => uid.clone(),
        };
        let (start, end) = match scope {
            Scope::Series { anchor, .. } => (*anchor, *anchor + (m.end - m.start)),
            _ => (m.start, m.end),
        };
        let mut event = icalendar::Event::new();
        event
            .uid(&format!("{uid}@convene"))
            .sequence(u32::try_from(self.sequence).unwrap_or(0))
            .summary(&m.info.subject)
            .description(&self.body)
            .location(&self.link)
            .url(&self.link);
        let at = |t: i64| -> CalendarDateTime {
            match self.zone {
                Some(z) => CalendarDateTime::WithTimezone {
                    date_time: z.local(t).naive_local(),
                    tzid: z.zone.name().to_owned(),
                },
                None => CalendarDateTime::Utc(chrono::DateTime::from_timestamp(t, 0).unwrap_or_default()),
            }
        };
        event.starts(at(start)).ends(at(end));
        if self.kind == NoticeKind::Cancel {
            event.status(EventStatus::Cancelled);
        }
        let mut moved_events = Vec::new();
        match scope {
            Scope::Single => {}
            Scope::Occurrence { slot, .. } => {
                event.append_property(crate::calendar::property("RECURRENCE-ID", self.zone, &[*slot]));
            }
            Scope::Series {
                rrule, exdates, moved, ..
            } => {
                event.add_property("RRULE", rrule);
                if !exdates.is_empty() {
                    event.append_property(crate::calendar::property("EXDATE", self.zone, exdates));
                }
                for o in moved {
                    let slot = o.series.as_ref().map_or(o.start, |s| s.slot);
                    let mut e = icalendar::Event::new();
                    e.uid(&format!("{uid}@convene"))
                        .sequence(u32::try_from(o.sequence).unwrap_or(0))
                        .summary(&o.info.subject)
                        .location(&self.link)
                        .starts(at(o.start))
                        .ends(at(o.end));
                    e.append_property(crate::calendar::property("RECURRENCE-ID", self.zone, &[slot]));
                    moved_events.push(e.done());
                }
            }
        }
        let mut organizer = icalendar::Property::new("ORGANIZER", format!("mailto:{}", from.email));
        organizer.add_parameter("CN", &m.owner_name);
        event.append_property(organizer);
        let mut attendee = icalendar::Property::new("ATTENDEE", format!("mailto:{to}"));
        attendee.add_parameter("CN", if to_name.is_empty() { to } else { to_name });
        attendee.add_parameter("ROLE", "REQ-PARTICIPANT");
        attendee.add_parameter("RSVP", "TRUE");
        event.append_property(attendee);
        let mut cal = icalendar::Calendar::new();
        cal.append_property((
            "METHOD",
            if self.kind == NoticeKind::Cancel {
                "CANCEL"
            } else {
                "REQUEST"
            },
        ));
        cal.push(event.done());
        for e in moved_events {
            cal.push(e);
        }
        let text = cal.done().to_string();
        match self.zone {
            // The zone's definition goes before the event that uses it.
            Some(z) => text.replacen(
                "BEGIN:VEVENT",
                &format!("{}BEGIN:VEVENT", vtimezone(z.zone, m.start)),
                1,
            ),
            None => text,
        }
    }
}

/// A `VTIMEZONE` for `zone` around `at`: its offset then and every change
/// of it within a year either side (daylight saving), as chrono-tz knows
/// them, each as its own `STANDARD`/`DAYLIGHT` part.
fn vtimezone(zone: chrono_tz::Tz, at: i64) -> String {
    use chrono::{Offset, TimeZone as _};
    let offset = |t: i64| -> i32 {
        zone.timestamp_opt(t, 0)
            .single()
            .map(|d| d.offset().fix().local_minus_utc())
            .unwrap_or(0)
    };
    let is_dst = |t: i64| -> bool {
        use chrono_tz::OffsetComponents;
        zone.timestamp_opt(t, 0)
            .single()
            .is_some_and(|d| !d.offset().dst_offset().is_zero())
    };
    let fmt = |secs: i32| {
        let sign = if secs < 0 { '-' } else { '+' };
        let s = secs.abs();
        format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
    };
    let local = |t: i64, off: i32| {
        chrono::DateTime::from_timestamp(t + i64::from(off), 0)
            .unwrap_or_default()
            .format("%Y%m%dT%H%M%S")
            .to_string()
    };
    // Changes within a year either side, found hour by hour then to the second.
    let (from, to) = (at - 366 * 86_400, at + 366 * 86_400);
    let mut parts = Vec::new();
    let mut prev_off = offset(from);
    let mut t = from;
    while t < to {
        let next = t + 3600;
        if offset(next) != prev_off {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(mid) == prev_off {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let new_off = offset(hi);
            parts.push((hi, prev_off, new_off, is_dst(hi)));
            prev_off = new_off;
        }
        t = next;
    }
    if parts.is_empty() {
        let off = offset(at);
        parts.push((from, off, off, false));
    }
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", zone.name());
    for (t, before, after, dst) in parts {
        let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
        out.push_str(&format!(
            "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\nEND:{kind}\r\n",
            local(t, before),
            fmt(before),
            fmt(after)
        ));
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_with_daylight_saving_has_its_changes() {
        // 2026-12-05 09:00 UTC, London: GMT now, BST from 29 Mar 2026 to 25 Oct 2026 and from 28 Mar 2027.
        let v = vtimezone(chrono_tz::Tz::Europe__London, 1_796_461_200);
        assert!(v.contains("TZID:Europe/London"), "{v}");
        assert!(
            v.contains("BEGIN:DAYLIGHT\r\nDTSTART:20270328T010000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100"),
            "{v}"
        );
        assert!(
            v.contains("BEGIN:STANDARD\r\nDTSTART:20261025T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000"),
            "{v}"
        );
        let shanghai = vtimezone(chrono_tz::Tz::Asia__Shanghai, 1_796_461_200);
        assert!(
            shanghai.contains("TZOFFSETTO:+0800") && !shanghai.contains("DAYLIGHT"),
            "{shanghai}"
        );
    }
}
