//! Active speaker detection from the audio levels publishers put in their
//! RTP header extension (RFC 6464: 0 dBov is the loudest, -127 silence).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::PeerId;

/// How often a room's speaker is reconsidered.
pub const EVALUATION_PERIOD: Duration = Duration::from_millis(300);
/// Louder than this (smoothed dBov) counts as speaking.
pub const SPEAKING_THRESHOLD: f32 = -50.0;
/// A new speaker takes over when this much louder than the current one.
pub const HYSTERESIS_DB: f32 = 6.0;
/// Levels older than this no longer count (the peer stopped sending audio).
const STALE: Duration = Duration::from_millis(600);

#[derive(Debug, Default)]
pub struct SpeakerDetector {
    levels: HashMap<PeerId, (f32, Instant)>,
    current: Option<PeerId>,
    next: Option<Instant>,
}

impl SpeakerDetector {
    /// One audio frame's level from `peer`.
    pub fn observe(&mut self, now: Instant, peer: PeerId, level: i8) {
        let level = f32::from(level.clamp(-127, 0));
        let e = self.levels.entry(peer).or_insert((-127.0, now));
        // About 200 ms of 20 ms frames.
        e.0 += (level - e.0) * 0.1;
        e.1 = now;
        self.next.get_or_insert(now + EVALUATION_PERIOD);
    }

    pub fn forget(&mut self, peer: PeerId) {
        self.levels.remove(&peer);
    }

    pub fn current(&self) -> Option<PeerId> {
        self.current
    }

    /// A peer's smoothed audio level as a volume from 0 (silence, -127
    /// dBov) to 100 (0 dBov).
    pub fn volume(&self, peer: PeerId) -> u8 {
        self.levels.get(&peer).map_or(0, |(l, _)| {
            ((l + 127.0) * 100.0 / 127.0).round().clamp(0.0, 100.0) as u8
        })
    }

    pub fn next_evaluation(&self) -> Option<Instant> {
        self.next
    }

    /// When due: the new speaker if it changed (`Some(None)`: nobody speaks now).
    pub fn evaluate(&mut self, now: Instant) -> Option<Option<PeerId>> {
        if self.next.is_none_or(|t| now < t) {
            return None;
        }
        self.levels
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < STALE);
        self.next = (!self.levels.is_empty() || self.current.is_some()).then_some(now + EVALUATION_PERIOD);
        let loudest = self
            .levels
            .iter()
            .filter(|(_, (l, _))| *l > SPEAKING_THRESHOLD)
            .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(b.0.cmp(a.0)))
            .map(|(p, (l, _))| (*p, *l));
        let current_level = self
            .current
            .and_then(|c| self.levels.get(&c))
            .map(|(l, _)| *l)
            .filter(|l| *l > SPEAKING_THRESHOLD);
        let new = match (loudest, current_level) {
            (None, _) => None,
            (Some((p, _)), None) => Some(p),
            (Some((p, l)), Some(cl)) => {
                if l > cl + HYSTERESIS_DB {
                    Some(p)
                } else {
                    self.current
                }
            }
        };
        if new != self.current {
            self.current = new;
            Some(new)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loudest_speaker_wins_and_silence_ends_it() {
        let t0 = Instant::now();
        let mut d = SpeakerDetector::default();
        let (a, b) = (PeerId(1), PeerId(2));
        for i in 0..20 {
            let t = t0 + Duration::from_millis(20 * i);
            d.observe(t, a, -30);
            d.observe(t, b, -90);
        }
        assert_eq!(d.evaluate(t0 + Duration::from_millis(400)), Some(Some(a)));
        // b gets a bit louder than a: not enough to take over.
        for i in 20..40 {
            let t = t0 + Duration::from_millis(20 * i);
            d.observe(t, a, -30);
            d.observe(t, b, -28);
        }
        assert_eq!(d.evaluate(t0 + Duration::from_millis(800)), None);
        // a falls silent: b takes over.
        for i in 40..80 {
            let t = t0 + Duration::from_millis(20 * i);
            d.observe(t, a, -127);
            d.observe(t, b, -20);
        }
        assert_eq!(d.evaluate(t0 + Duration::from_millis(1600)), Some(Some(b)));
        // Nobody sends any more: nobody speaks.
        assert_eq!(d.evaluate(t0 + Duration::from_millis(3000)), Some(None));
        assert_eq!(d.evaluate(t0 + Duration::from_millis(4000)), None);
    }
}
