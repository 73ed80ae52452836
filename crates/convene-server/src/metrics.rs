//! Metrics and health for operators: `GET /metrics` in the Prometheus text
//! format (the `metrics` facade with `metrics-exporter-prometheus`), `GET
//! /healthz` (the process answers) and `GET /readyz` (and its database).
//!
//! Counters and histograms are recorded where things happen, through the
//! facade's lock-free handles (no lock of the meeting, the store or the SFU
//! is held for them); what is a state rather than an event (meetings
//! running and booked, participants, media connections, the outbox,
//! memory) is read when scraped, so it costs nothing in between. Every
//! metric is described below and in docs/OPERATIONS.md.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets (seconds): 0.5 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed once (the facade has one global
/// recorder; several servers in one test process share it).
/// `node`: a cluster node's name, put on every series as the `node` label
/// (the recorder is the process's: one node per process).
pub fn install(node: Option<&str>) -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?;
            if let Some(n) = node {
                builder = builder.add_global_label("node", n);
            }
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            // Histogram samples gather until folded into their buckets: fold
            // them every few seconds whether or not anyone scrapes.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                })
                .ok()?;
            Some(handle)
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "convene_http_requests_total",
        "HTTP requests answered, by route, method and status."
    );
    describe_histogram!(
        "convene_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (to its response head), by route."
    );
    describe_counter!(
        "convene_joins_total",
        "Joins of live meetings: result \"ok\", or the refusal's SDKERR name."
    );
    describe_histogram!(
        "convene_control_seconds",
        Unit::Seconds,
        "From a control request reaching its meeting to its change stored and its events queued to every participant."
    );
    describe_histogram!(
        "convene_store_commit_seconds",
        Unit::Seconds,
        "SQLite writer: one batch of meeting creations, from its first statement to its commit."
    );
    describe_gauge!("convene_meetings_running", "Live meetings with a session on this node.");
    describe_gauge!("convene_meetings_booked", "Booked meetings not started and not over.");
    describe_gauge!(
        "convene_participants",
        "Participants in this node's live meetings, by state (admitted, waiting)."
    );
    describe_gauge!("convene_media_connections", "Open WebRTC media connections of the SFU.");
    describe_counter!(
        "convene_sfu_rtp_packets_total",
        "RTP packets through the SFU, by direction (in, out)."
    );
    describe_counter!(
        "convene_sfu_frames_blocked_total",
        "Media frames the SFU dropped by the meeting's rules (muted, camera off)."
    );
    describe_counter!(
        "convene_sfu_keyframe_requests_total",
        "Keyframe requests the SFU passed on to publishers."
    );
    describe_gauge!(
        "convene_outbox_pending",
        "Notices (invitations, reminders) waiting to be delivered."
    );
    describe_gauge!(
        "convene_outbox_oldest_pending_seconds",
        "Age of the oldest due notice not delivered yet."
    );
    describe_counter!(
        "convene_notices_total",
        "Notices delivered, by channel and outcome (sent, retry, failed, unsent)."
    );
    describe_counter!(
        "convene_sfu_nacks_total",
        "NACKs sent to publishers (direction=sent) and received from subscribers (received)."
    );
    describe_counter!(
        "convene_sfu_packets_lost_total",
        "RTP packets lost from publishers to the SFU (in, estimated) and from the SFU to subscribers (out, as they report)."
    );
    describe_gauge!(
        "convene_webhook_events_pending",
        "Webhook events waiting to be pushed (due or waiting for a retry)."
    );
    describe_gauge!(
        "convene_webhook_oldest_pending_seconds",
        "Age of the oldest due webhook event not pushed yet."
    );
    describe_counter!(
        "convene_webhook_pushes_total",
        "Webhook pushes by outcome (delivered, retry, failed)."
    );
    describe_histogram!(
        "convene_webhook_lag_seconds",
        Unit::Seconds,
        "From a change being stored to its webhook event taken by the receiver."
    );
    describe_gauge!(
        "convene_process_resident_memory_bytes",
        "Resident memory of the server process."
    );
}

/// Records each HTTP request: the route (the matched pattern, never the
/// raw path, so IDs do not multiply the series), method, status, latency.
/// The handles of each (route, method, status) are looked up in the
/// registry once per thread and kept (the registry hashes every label on
/// each lookup, which cost a few % of a create's time).
pub async fn track_http(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    HTTP_HANDLES.with(|cache| {
        let mut cache = cache.borrow_mut();
        let route_str = route.as_ref().map_or("unmatched", |r| r.as_str());
        // A route's pattern lives as long as the router: its address names it.
        let key = (route_str.as_ptr() as usize, route_str.len(), method.clone(), status);
        let make = || {
            let r = route_str.to_owned();
            (
                r.clone(),
                metrics::counter!("convene_http_requests_total", "route" => r.clone(), "method" => method.as_str().to_owned(), "status" => status.to_string()),
                metrics::histogram!("convene_http_request_duration_seconds", "route" => r),
            )
        };
        let entry = cache.entry(key).or_insert_with(make);
        // (A router dropped and another made may reuse an address.)
        if entry.0 != route_str {
            *entry = make();
        }
        entry.1.increment(1);
        entry.2.record(elapsed);
    });
    res
}

type HttpKey = (usize, usize, axum::http::Method, u16);

thread_local! {
    static HTTP_HANDLES: std::cell::RefCell<std::collections::HashMap<HttpKey, (String, metrics::Counter, metrics::Histogram)>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// `GET /metrics`: the states read now, then everything rendered. Answered
/// to loopback callers only unless `--metrics-public` (an operator's
/// scraper on another host goes through that flag or a proxy).
pub async fn scrape(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
) -> Response {
    let Some(handle) = state.metrics.clone() else {
        return crate::error::hidden();
    };
    if !state.metrics_public && !peer.ip().is_loopback() {
        return crate::error::hidden();
    }
    let now = state.now();
    let (running, admitted, waiting) = state.live.census().await;
    metrics::gauge!("convene_meetings_running").set(running as f64);
    metrics::gauge!("convene_participants", "state" => "admitted").set(admitted as f64);
    metrics::gauge!("convene_participants", "state" => "waiting").set(waiting as f64);
    let (s, connections) = state.live.media.stats().await;
    metrics::gauge!("convene_media_connections").set(connections as f64);
    metrics::counter!("convene_sfu_rtp_packets_total", "direction" => "in").absolute(s.rtp_in);
    metrics::counter!("convene_sfu_rtp_packets_total", "direction" => "out").absolute(s.rtp_out);
    metrics::counter!("convene_sfu_frames_blocked_total").absolute(s.frames_blocked);
    metrics::counter!("convene_sfu_keyframe_requests_total").absolute(s.keyframe_requests);
    metrics::counter!("convene_sfu_nacks_total", "direction" => "sent").absolute(s.nacks_sent);
    metrics::counter!("convene_sfu_nacks_total", "direction" => "received").absolute(s.nacks_received);
    metrics::counter!("convene_sfu_packets_lost_total", "direction" => "in").absolute(s.packets_lost_in);
    metrics::counter!("convene_sfu_packets_lost_total", "direction" => "out").absolute(s.packets_lost_out);
    match state.store.gauges(now).await {
        Ok(g) => {
            metrics::gauge!("convene_meetings_booked").set(g.booked as f64);
            metrics::gauge!("convene_outbox_pending").set(g.outbox_pending as f64);
            metrics::gauge!("convene_outbox_oldest_pending_seconds")
                .set(g.outbox_oldest_due.map_or(0, |t| (now - t).max(0)) as f64);
            metrics::gauge!("convene_webhook_events_pending").set(g.events_pending as f64);
            let now_ms = crate::util::now_ms();
            metrics::gauge!("convene_webhook_oldest_pending_seconds")
                .set(g.events_oldest_due_ms.map_or(0, |t| (now_ms - t).max(0)) as f64 / 1000.0);
        }
        Err(e) => tracing::warn!(error = %e, "reading the store's gauges"),
    }
    if let Some(rss) = resident_memory() {
        metrics::gauge!("convene_process_resident_memory_bytes").set(rss as f64);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Resident memory from `/proc/self/statm` (Linux; `None` elsewhere).
fn resident_memory() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// `GET /readyz`: 200 when the database answers, else 503.
pub async fn ready(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "the database does not answer",
            )
                .into_response()
        }
    }
}
