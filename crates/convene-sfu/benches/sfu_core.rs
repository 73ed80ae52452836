//! What the SFU itself costs per forwarded RTP packet, without sockets: one
//! meeting of in-process str0m peers on the simulated network of the tests
//! (`tests/common/net.rs`), timing only the SFU's own calls. The kernel's
//! share of a real run (receiving and sending each datagram on loopback) is
//! left out, so this is a floor for what `convene bench media` can reach.
//!
//! `cargo bench -p convene-sfu --bench sfu_core [-- PUBLISHERS SUBSCRIBERS SECONDS]`
//! (default 2 publishers of audio and video, 8 receive-only subscribers,
//! 10 simulated seconds after 2 of warm-up).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/common/net.rs"]
mod net;

use std::time::Duration;

use convene_sfu::Policy;
use net::{secs, Net};

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let publishers = args.first().copied().unwrap_or(2);
    let subscribers = args.get(1).copied().unwrap_or(8);
    let seconds = args.get(2).copied().unwrap_or(10);

    let mut net = Net::new();
    for id in 1..=publishers {
        net.join(id);
    }
    for id in publishers + 1..=publishers + subscribers {
        net.join_with(id, false, false, Policy::OPEN).unwrap();
    }
    net.run(secs(2.0));

    let before = net.sfu.stats();
    net.sfu_busy = Duration::ZERO;
    let started = std::time::Instant::now();
    net.run(secs(seconds as f64));
    let wall = started.elapsed();
    let after = net.sfu.stats();

    let forwarded = after.rtp_out - before.rtp_out;
    let received = after.rtp_in - before.rtp_in;
    let turns = after.timer_turns - before.timer_turns;
    let busy_us = net.sfu_busy.as_secs_f64() * 1e6;
    let per_packet = busy_us / forwarded.max(1) as f64;
    println!(
        "sfu_core: {publishers} publishers (audio + video) and {subscribers} subscribers, \
         {seconds} simulated s (run took {:.1} s)",
        wall.as_secs_f64()
    );
    println!(
        "  RTP received {received}, forwarded {forwarded} ({:.0} per simulated s); timer turns per forwarded packet {:.2}",
        forwarded as f64 / seconds as f64,
        turns as f64 / forwarded.max(1) as f64
    );
    println!(
        "  time inside the SFU: {:.2} us per forwarded packet, i.e. at most {:.0} forwarded packets/s per core \
         before any socket I/O",
        per_packet,
        1e6 / per_packet
    );
}
