//! What the connection pool reports of itself: checkouts, the time requests waited for a
//! connection, and checkouts that gave up. Counted by r2d2's event hooks, read by the metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::r2d2::HandleEvent;
use diesel::r2d2::event::{CheckoutEvent, TimeoutEvent};

/// A checkout that took longer than this waited for a connection (an idle one is handed out in
/// microseconds; a new one is opened in about a millisecond).
const WAITED: Duration = Duration::from_millis(5);

/// Running totals since the pool was built.
#[derive(Debug, Default)]
pub struct PoolStats {
    checkouts: AtomicU64,
    waits: AtomicU64,
    wait_micros: AtomicU64,
    timeouts: AtomicU64,
}

/// A reading of [`PoolStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolReading {
    pub checkouts: u64,
    /// Checkouts that waited (longer than 5 ms) for a connection.
    pub waits: u64,
    /// Time spent in checkouts, all of them, in microseconds.
    pub wait_micros: u64,
    /// Checkouts that found no connection within the pool's timeout.
    pub timeouts: u64,
}

impl PoolStats {
    pub fn read(&self) -> PoolReading {
        PoolReading {
            checkouts: self.checkouts.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
            wait_micros: self.wait_micros.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
        }
    }
}

/// The hooks r2d2 calls, counting into shared [`PoolStats`].
#[derive(Debug)]
pub(super) struct Counting(pub Arc<PoolStats>);

impl HandleEvent for Counting {
    fn handle_checkout(&self, event: CheckoutEvent) {
        let stats = &self.0;
        stats.checkouts.fetch_add(1, Ordering::Relaxed);
        let took = event.duration();
        stats.wait_micros.fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
        if took > WAITED {
            stats.waits.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn handle_timeout(&self, _event: TimeoutEvent) {
        self.0.timeouts.fetch_add(1, Ordering::Relaxed);
    }
}
