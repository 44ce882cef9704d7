//! The sealer: on PostgreSQL, entries are written awaiting their seal (see [`super::repo::append`]),
//! and a thread on every node chains them soon after they commit. A write pokes it; it waits a
//! moment so that one transaction seals what several writes committed, and it looks every second
//! anyway (for entries another node wrote and did not seal, or whose commit came after the poke).

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::db::Database;

/// Whether an entry was appended since the sealer last looked.
static POKED: Mutex<bool> = Mutex::new(false);
static WAKE: Condvar = Condvar::new();

/// How long the sealer waits after a poke, for the write that poked to commit and others to join.
const GATHER: Duration = Duration::from_millis(20);
/// How long it sleeps when nobody pokes.
const IDLE: Duration = Duration::from_secs(1);

/// Tells the sealer an entry awaits its seal.
pub fn poke() {
    let mut poked = POKED.lock().unwrap_or_else(|p| p.into_inner());
    if !*poked {
        *poked = true;
        WAKE.notify_all();
    }
}

/// Waits for a poke or for [`IDLE`], whichever comes first.
fn wait() {
    let poked = POKED.lock().unwrap_or_else(|p| p.into_inner());
    let (mut poked, _) = WAKE.wait_timeout_while(poked, IDLE, |poked| !*poked).unwrap_or_else(|p| p.into_inner());
    *poked = false;
}

/// Starts the sealing thread (PostgreSQL only: SQLite seals as it writes).
pub fn start(db: Database, metrics: Option<std::sync::Arc<crate::metrics::Metrics>>) {
    if !matches!(db.url, crate::db::DatabaseUrl::Postgres(_)) {
        return;
    }
    let spawned = std::thread::Builder::new().name("muni-audit-sealer".into()).spawn(move || {
        let mut failing = false;
        loop {
            wait();
            std::thread::sleep(GATHER);
            let result = db
                .get()
                .map_err(|e| e.to_string())
                .and_then(|mut conn| super::repo::seal(&mut conn).map_err(|e| e.to_string()));
            if let Some(metrics) = &metrics {
                metrics.background_run("audit_seal", result.is_ok());
            }
            match &result {
                Ok(_) => {}
                // Once per outage, not every second.
                Err(e) if !failing => log::error!("sealing audit entries failed: {e}"),
                Err(_) => {}
            }
            failing = result.is_err();
        }
    });
    if let Err(e) = spawned {
        log::error!("cannot start the audit sealer: {e}");
    }
}
