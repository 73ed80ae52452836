//! The server's clock: the system time plus an offset that tests can move
//! forward, telling every waiting live meeting when they do.

use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::watch;

pub struct Clock {
    offset: AtomicI64,
    moved: watch::Sender<i64>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset: AtomicI64::new(0),
            moved: watch::channel(0).0,
        }
    }
}

impl Clock {
    /// Unix seconds.
    pub fn now(&self) -> i64 {
        crate::util::now() + self.offset.load(Ordering::SeqCst)
    }

    /// Unix milliseconds (the system's, moved by the same offset).
    pub fn now_ms(&self) -> i64 {
        crate::util::now_ms() + self.offset.load(Ordering::SeqCst) * 1000
    }

    /// Moves time forward (tests: a meeting's end without waiting for it).
    pub fn advance(&self, secs: i64) {
        let off = self.offset.fetch_add(secs, Ordering::SeqCst) + secs;
        self.moved.send_replace(off);
    }

    /// Resolves when [`Clock::advance`] is called.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.moved.subscribe()
    }
}
