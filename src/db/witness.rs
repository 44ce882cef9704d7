//! A witness of a request's writes: whoever keeps the record of what staff did (the audit log)
//! is told of each write transaction the request commits, inside that transaction, so that the
//! record and the change stand or fall together.
//!
//! A layer around the handlers puts a [`Witness`] in the request's task ([`scope`]); the
//! authentication extractor tells it who acts ([`acting`]); [`super::run`] hands it to the blocking
//! thread it runs on; and [`super::write_transaction`] calls it when the outermost transaction
//! opens and just before it commits. Work outside a request (the CLI, the maintenance thread, the
//! group-commit writer of citizens' submissions) has the one set by [`watch_the_rest`].

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use diesel::QueryResult;

use super::DbConn;

/// Who acts: a signed-in user, with the role and site they had at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: String,
    pub site_id: Option<i64>,
}

/// Told of every write transaction of one request.
pub trait Witness: Send + Sync {
    /// Who acts, once known (authentication runs after the witness is in place).
    fn acting(&self, actor: Actor);
    /// Names what the request does where the route alone does not say it (a failed sign-in),
    /// with details that are not personal beyond what the record needs (never a password).
    fn note(&self, action: &str, detail: Option<serde_json::Value>);
    /// The request restores this revision: the revisions it makes name it.
    fn restoring(&self, revision: i64);
    /// Why the request saves what it saves, when it is not the caller's to say (an import).
    fn reason(&self, reason: &str);
    /// A transaction opened; the mark comes back to [`Witness::closing`].
    fn opened(&self, conn: &mut DbConn) -> QueryResult<i64>;
    /// The transaction's work succeeded; it commits after this returns (and not if it fails).
    fn closing(&self, conn: &mut DbConn, mark: i64) -> QueryResult<()>;
}

tokio::task_local! {
    static REQUEST: Arc<dyn Witness>;
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<dyn Witness>>> = const { RefCell::new(None) };
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Runs a request's future with `witness` watching its writes.
pub async fn scope<F: Future>(witness: Arc<dyn Witness>, future: F) -> F::Output {
    REQUEST.scope(witness, future).await
}

/// Tells the current request's witness, if any, who acts (from the request's task or from the
/// blocking thread its database work runs on).
pub fn acting(actor: Actor) {
    if let Some(witness) = current().or_else(|| CURRENT.with(|current| current.borrow().clone())) {
        witness.acting(actor);
    }
}

/// Tells the current request's witness, if any, what it does (see [`Witness::note`]).
pub fn note(action: &str, detail: Option<serde_json::Value>) {
    if let Some(witness) = current().or_else(|| CURRENT.with(|current| current.borrow().clone())) {
        witness.note(action, detail);
    }
}

/// Tells the current request's witness, if any, that it restores `revision`.
pub fn restoring(revision: i64) {
    if let Some(witness) = current().or_else(|| CURRENT.with(|current| current.borrow().clone())) {
        witness.restoring(revision);
    }
}

/// Tells the current request's witness, if any, why it saves (see [`Witness::reason`]).
pub fn reason(reason: &str) {
    if let Some(witness) = current().or_else(|| CURRENT.with(|current| current.borrow().clone())) {
        witness.reason(reason);
    }
}

/// The witness of write transactions that no request watches (the CLI, maintenance, the seed):
/// set once at start-up.
static FALLBACK: std::sync::OnceLock<Arc<dyn Witness>> = std::sync::OnceLock::new();

/// Sets the witness of writes outside requests (the first call wins).
pub fn watch_the_rest(witness: Arc<dyn Witness>) {
    let _ = FALLBACK.set(witness);
}

/// Runs `f` on this thread with `witness` watching its write transactions (the CLI's work that
/// has its own reason, an import).
pub fn watching<T>(witness: Arc<dyn Witness>, f: impl FnOnce() -> T) -> T {
    on_thread(Some(witness), f)
}

/// The current request's witness, to carry onto a blocking thread.
pub(super) fn current() -> Option<Arc<dyn Witness>> {
    REQUEST.try_with(Arc::clone).ok()
}

/// Runs `f` on this (blocking) thread with `witness` as the current one.
pub(super) fn on_thread<T>(witness: Option<Arc<dyn Witness>>, f: impl FnOnce() -> T) -> T {
    struct Reset(Option<Arc<dyn Witness>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|current| *current.borrow_mut() = self.0.take());
        }
    }
    let previous = CURRENT.with(|current| current.replace(witness));
    let _reset = Reset(previous);
    f()
}

/// Runs a transaction's work with the current witness told of it, when this is the outermost
/// write transaction of the thread.
pub(super) fn watched<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
    let outermost = DEPTH.with(|d| d.get()) == 0;
    let witness = if outermost {
        CURRENT.with(|current| current.borrow().clone()).or_else(|| FALLBACK.get().cloned())
    } else {
        None
    };
    DEPTH.with(|d| d.set(d.get() + 1));
    let _depth = Depth;
    let Some(witness) = witness else { return f(conn) };
    let mark = witness.opened(conn)?;
    let value = f(conn)?;
    witness.closing(conn, mark)?;
    Ok(value)
}
