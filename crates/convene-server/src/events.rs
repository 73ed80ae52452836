//! Enterprise event push (spec §6.1), its delivery: the store puts events
//! in its outbox with the changes that cause them (`convene_store`'s
//! `webhook_events`); this worker claims the due ones, pushes each to its
//! enterprise's subscription, signed (`webhooks::push`), and records how it
//! went. Events of one meeting go one after another, in order (the claim
//! gives each meeting's oldest pending events only); meetings go side by
//! side. A slow or dead receiver holds up its own events only, never a
//! meeting: nothing here is on a meeting's path.
//!
//! At least once: an event is deleted only after its receiver took it; a
//! crash leaves it claimed until the lease ends, then it is sent again,
//! with the same `X-Request-ID` (`<meeting UUID>-<event number>`) so the
//! receiver can drop the repeat.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use convene_core::webhook::{delivered, event_info, next_attempt, WebhookStatus};
use convene_core::EnterpriseId;
use convene_store::{EventDelivery, EventItem, Store, Webhook};
use futures::StreamExt;

use crate::clock::Clock;
use crate::util::now_ms;

/// Events claimed at once.
const BATCH: i64 = 512;
/// How long a claim holds: well past what one meeting's share of a batch
/// may take (each push times out after `SEND_TIMEOUT`, and a meeting's
/// later events are given back once `GROUP_BUDGET` is spent).
const LEASE_MS: i64 = 120_000;
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const GROUP_BUDGET: Duration = Duration::from_secs(30);
/// Meetings whose events are pushed at the same time.
const PARALLEL: usize = 64;
/// How often an idle worker looks for due events (a read of an index; it
/// bounds the lag of an event on an idle server).
const IDLE_POLL: Duration = Duration::from_millis(100);

/// The push side: its HTTP client (system roots plus `--webhook-ca`).
pub struct Pusher {
    pub http: reqwest::Client,
}

impl Pusher {
    pub fn new(ca: Option<&std::path::Path>) -> anyhow::Result<Pusher> {
        let mut b = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .pool_max_idle_per_host(PARALLEL);
        if let Some(path) = ca {
            let pem = std::fs::read(path).with_context(|| format!("--webhook-ca {}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("--webhook-ca {}: not PEM certificates", path.display()))?;
            b = b.tls_certs_merge(certs);
        }
        Ok(Pusher {
            http: b.build().context("the webhook HTTP client")?,
        })
    }

    /// Starts the worker. Due times and retries go by `clock` (which tests
    /// move forward); an event's lag by the system clock.
    pub fn spawn(self: &Arc<Self>, store: Arc<dyn Store>, clock: Arc<Clock>) {
        tokio::spawn(run(self.clone(), store, clock));
    }
}

async fn run(p: Arc<Pusher>, store: Arc<dyn Store>, clock: Arc<Clock>) {
    if let Err(e) = store.release_event_claims().await {
        tracing::error!(error = %e, "releasing the webhook events a dead process had claimed");
    }
    loop {
        let claimed = match store.claim_events(clock.now_ms(), LEASE_MS, BATCH).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "claiming webhook events");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if claimed.is_empty() {
            tokio::time::sleep(IDLE_POLL).await;
            continue;
        }
        let results = deliver(&p, &*store, &clock, claimed).await;
        if let Err(e) = store.finish_events(&results).await {
            // The claims lapse and the events go again (at least once).
            tracing::error!(error = %e, "recording webhook deliveries");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Pushes a claimed batch: each meeting's events in order, meetings side by
/// side; answers each event's result.
async fn deliver(p: &Pusher, store: &dyn Store, clock: &Clock, claimed: Vec<EventItem>) -> Vec<(i64, EventDelivery)> {
    // Each enterprise's subscription as it is now (one read per batch).
    let mut hooks: HashMap<EnterpriseId, Option<Arc<Webhook>>> = HashMap::new();
    for item in &claimed {
        if !hooks.contains_key(&item.enterprise_id) {
            let w = match store.webhook_of(&item.enterprise_id).await {
                Ok(w) => w.map(Arc::new),
                Err(e) => {
                    tracing::error!(error = %e, "reading a webhook subscription");
                    // Given back: claimed again once the store answers.
                    return claimed.iter().map(|i| (i.id, EventDelivery::Released)).collect();
                }
            };
            hooks.insert(item.enterprise_id.clone(), w);
        }
    }
    let mut groups: Vec<(Option<Arc<Webhook>>, Vec<EventItem>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in claimed {
        let at = *index.entry(item.facts.conf_uuid.clone()).or_insert_with(|| {
            groups.push((hooks.get(&item.enterprise_id).cloned().flatten(), Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(item);
    }
    futures::stream::iter(groups)
        .map(|(hook, items)| deliver_meeting(p, clock, hook, items))
        .buffer_unordered(PARALLEL)
        .flat_map(futures::stream::iter)
        .collect()
        .await
}

/// One meeting's events, in order: after a failure the rest wait (given
/// back unsent), so the receiver never sees a later event before an
/// earlier one.
async fn deliver_meeting(
    p: &Pusher,
    clock: &Clock,
    hook: Option<Arc<Webhook>>,
    items: Vec<EventItem>,
) -> Vec<(i64, EventDelivery)> {
    let started = std::time::Instant::now();
    let mut out = Vec::with_capacity(items.len());
    let mut blocked = false;
    for item in items {
        if blocked || started.elapsed() > GROUP_BUDGET {
            out.push((item.id, EventDelivery::Released));
            continue;
        }
        let Some(w) = hook.as_deref().filter(|w| w.status == WebhookStatus::Enabled.number()) else {
            out.push((
                item.id,
                EventDelivery::Unsent {
                    reason: "the enterprise's webhook is disabled or gone".into(),
                },
            ));
            continue;
        };
        let result = push_one(p, clock, w, &item).await;
        if !matches!(result, EventDelivery::Sent) {
            blocked = true;
        }
        out.push((item.id, result));
    }
    out
}

async fn push_one(p: &Pusher, clock: &Clock, w: &Webhook, item: &EventItem) -> EventDelivery {
    let info = event_info(&item.facts);
    let nonce = convene_core::ids::random_hex(&mut rand::thread_rng(), 16);
    let request_id = format!("{}-{}", item.facts.conf_uuid, item.id);
    let sent_at = clock.now_ms();
    let error = match crate::webhooks::push(&p.http, w, &info, &nonce, &request_id, sent_at).await {
        Ok((status, _)) if delivered(status) => {
            let lag = (now_ms() - item.facts.at_ms).max(0) as f64 / 1000.0;
            metrics::histogram!("convene_webhook_lag_seconds").record(lag);
            metrics::counter!("convene_webhook_pushes_total", "outcome" => "delivered").increment(1);
            return EventDelivery::Sent;
        }
        Ok((status, _)) => format!("the receiver answered HTTP {status}"),
        Err(e) => e,
    };
    let attempts = item.attempts + 1;
    // The first attempt's time: the event's, as it is due at once.
    match next_attempt(attempts, item.facts.at_ms, clock.now_ms()) {
        Some(at) => {
            metrics::counter!("convene_webhook_pushes_total", "outcome" => "retry").increment(1);
            tracing::warn!(url = %w.url, event = %item.facts.event, attempts, %error, "webhook push failed; trying again");
            EventDelivery::Retry { at, error }
        }
        None => {
            metrics::counter!("convene_webhook_pushes_total", "outcome" => "failed").increment(1);
            tracing::error!(url = %w.url, event = %item.facts.event, attempts, %error, "webhook push failed for good");
            EventDelivery::Failed { error }
        }
    }
}
