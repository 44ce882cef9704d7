//! The shared response cache: anonymous GET responses of the routes it is given (each resource
//! lists its own, as `SHARED_ROUTES`: the routes whose answers are the same for every caller of a
//! URL while the content is unchanged, reading only tables with content-version triggers) are kept
//! in memory and served again while the content they were computed from is unchanged. It knows no
//! resource: the routes and the query for the next scheduled change are given at start-up.
//!
//! Correctness rests on the content version (migration `content_version`): a counter that triggers
//! advance in the same transaction as any change to a table a cached route reads. Every request
//! reads the counter *after* it arrived, through the [`ContentClock`], and a kept response is
//! served only when the counter still holds the value read before that response was computed.
//! So a publish, an edit or a delete, made by this process, by another API node on the same
//! database, or by the CLI, is visible on the next request. A kept response also expires at the
//! next scheduled publication (an article becoming due changes lists without any write) and after
//! [`MAX_AGE`] at the latest, which bounds anything else that depends on the clock.
//!
//! Reading the counter once per request would cost a database round trip per request; the clock
//! instead batches: one read serves every request that arrived before that read started. Under
//! load, one read answers dozens of requests, and no request is ever answered from a read that
//! started before it arrived.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use tokio::sync::{oneshot, watch};

use crate::db::schema::content_version;
use crate::db::{self, DatabaseUrl, DbConn};
use crate::http::observe::MatchedRoute;
use crate::i18n::Language;

/// The longest a response is kept, whatever else: as long as anonymous responses say they may be
/// cached (`max-age=60`).
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// The next moment the content changes without a write (the next scheduled publication).
pub type NextDue = fn(&mut DbConn, NaiveDateTime) -> QueryResult<Option<NaiveDateTime>>;

/// Marks a response drawn from the search index, with where the index stood (its change-log
/// position): the index follows the change log a moment after the content version moves, so such
/// a response is kept only while the index stays where it was as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FromIndex {
    pub tick: i64,
    pub id: i64,
}

/// Where this node's search index stands now (`None` while it has not been built).
pub type IndexPosition = Arc<dyn Fn() -> Option<FromIndex> + Send + Sync>;

/// Whether a response of a shared route may be kept: a 200 that says it is public.
fn is_shareable<B>(res: &ServiceResponse<B>) -> bool {
    res.status() == StatusCode::OK
        && res.headers().get(header::CACHE_CONTROL).is_some_and(|v| v.as_bytes().starts_with(b"public"))
}

/// What the content clock read: the content version and the next scheduled publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub version: i64,
    pub next_due: Option<NaiveDateTime>,
    /// Which read of this process it came from, in order.
    pub read: u64,
}

struct ClockState {
    waiting: Vec<oneshot::Sender<Option<Stamp>>>,
    stopped: bool,
}

struct ClockShared {
    state: Mutex<ClockState>,
    wake: Condvar,
}

/// Reads the content version for requests, batched, on its own thread and connection.
pub struct ContentClock {
    shared: Arc<ClockShared>,
}

impl ContentClock {
    pub fn start(url: DatabaseUrl, next_due: NextDue) -> std::io::Result<Self> {
        let shared = Arc::new(ClockShared {
            state: Mutex::new(ClockState { waiting: Vec::new(), stopped: false }),
            wake: Condvar::new(),
        });
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("muni-content-clock".into())
            .spawn(move || clock_loop(&url, next_due, &thread_shared))?;
        Ok(Self { shared })
    }

    /// The content as of a read that started after this call; `None` when the database could not
    /// be read (the caller then goes without the cache).
    pub async fn stamp(&self) -> Option<Stamp> {
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            state.waiting.push(tx);
        }
        self.shared.wake.notify_one();
        rx.await.ok().flatten()
    }
}

impl Drop for ContentClock {
    fn drop(&mut self) {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner()).stopped = true;
        self.shared.wake.notify_one();
    }
}

fn clock_loop(url: &DatabaseUrl, next_due: NextDue, shared: &ClockShared) {
    let mut conn: Option<DbConn> = None;
    let mut reads = 0u64;
    loop {
        let batch = {
            let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
            while state.waiting.is_empty() && !state.stopped {
                state = shared.wake.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            if state.stopped {
                return;
            }
            std::mem::take(&mut state.waiting)
        };
        // Every request in `batch` arrived before this read starts.
        reads += 1;
        let stamp =
            read_stamp(url, next_due, &mut conn).map(|(version, next_due)| Stamp { version, next_due, read: reads });
        if let Err(e) = &stamp {
            log::warn!("response cache bypassed: cannot read the content version: {e}");
            conn = None;
        }
        let stamp = stamp.ok();
        for waiter in batch {
            let _ = waiter.send(stamp);
        }
    }
}

fn read_stamp(
    url: &DatabaseUrl,
    next_due: NextDue,
    conn: &mut Option<DbConn>,
) -> Result<(i64, Option<NaiveDateTime>), String> {
    if conn.is_none() {
        *conn = Some(db::connect(url).map_err(|e| e.to_string())?);
    }
    let conn = conn.as_mut().expect("connected above");
    let version = content_version::table
        .find(1)
        .select(content_version::version)
        .first::<i64>(conn)
        .map_err(|e| e.to_string())?;
    let next_due = next_due(conn, db::now()).map_err(|e| e.to_string())?;
    Ok((version, next_due))
}

/// What a kept response is filed under: the URL and the request headers its representation
/// depends on (the encoding chosen from `Accept-Encoding`, the CORS headers from `Origin`, the
/// language chosen from `Accept-Language`: the language, not the header, so that the many ways
/// browsers spell it share one entry).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    uri: String,
    accept_encoding: Option<HeaderValue>,
    origin: Option<HeaderValue>,
    language: Language,
}

struct Entry {
    headers: HeaderMap,
    body: web::Bytes,
    version: i64,
    /// Where the search index stood, for a response drawn from it.
    index: Option<FromIndex>,
    stored: Instant,
    expires: Instant,
    size: usize,
}

struct Store {
    /// The content version the entries belong to, and the clock read it was seen at.
    version: i64,
    read: u64,
    entries: HashMap<Key, Arc<Entry>>,
    order: VecDeque<Key>,
    bytes: usize,
    /// Responses being computed, so that requests for the same one wait instead of computing it
    /// again (a popular page just after a change, or when the server starts).
    filling: HashMap<Key, watch::Receiver<()>>,
}

enum Lookup {
    Hit(Arc<Entry>),
    /// Another request is computing this response: wait for it to finish, then look again.
    Wait(watch::Receiver<()>),
    /// Compute the response; the claim wakes the waiting requests when dropped.
    Fill(Claim),
    Miss,
}

/// The right to compute one response; others asking for it wait until this is dropped.
struct Claim {
    cache: Arc<ResponseCache>,
    key: Key,
    _done: watch::Sender<()>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.cache.lock().filling.remove(&self.key);
    }
}

/// The kept responses, within a memory budget.
pub struct ResponseCache {
    clock: ContentClock,
    /// Where this node's search index stands: a response drawn from it is current while it stays.
    index: Option<IndexPosition>,
    shared_routes: Vec<&'static str>,
    store: Mutex<Store>,
    budget: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A reading of the cache for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests answered from the cache (including 304s), since start.
    pub hits: u64,
    /// Responses of shared routes that were computed (and then kept), since start.
    pub misses: u64,
    pub entries: usize,
    pub bytes: usize,
    pub budget: usize,
}

impl ResponseCache {
    /// A cache of at most `budget` bytes of the answers of `shared_routes` (route patterns as
    /// registered); `next_due` finds the next change that comes without a write. `None` when the
    /// budget is 0 (no cache).
    pub fn new(
        url: &DatabaseUrl,
        budget: usize,
        shared_routes: Vec<&'static str>,
        next_due: NextDue,
        index: Option<IndexPosition>,
    ) -> std::io::Result<Option<Self>> {
        if budget == 0 {
            return Ok(None);
        }
        let store = Store {
            version: 0,
            read: 0,
            entries: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            filling: HashMap::new(),
        };
        let clock = ContentClock::start(url.clone(), next_due)?;
        Ok(Some(Self {
            clock,
            index,
            shared_routes,
            store: Mutex::new(store),
            budget,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }))
    }

    pub fn stats(&self) -> CacheStats {
        let store = self.lock();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: store.entries.len(),
            bytes: store.bytes,
            budget: self.budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lookup(self: &Arc<Self>, key: &Key, stamp: &Stamp, may_wait: bool) -> Lookup {
        let mut store = self.lock();
        if stamp.version != store.version {
            if stamp.read <= store.read {
                // An older read than the store's: this request goes without the cache.
                return Lookup::Miss;
            }
            // The content changed: nothing kept is current any more.
            store.version = stamp.version;
            store.read = stamp.read;
            store.entries.clear();
            store.order.clear();
            store.bytes = 0;
        }
        let index_now = || self.index.as_ref().and_then(|position| position());
        let current = |e: &&Arc<Entry>| Instant::now() < e.expires && (e.index.is_none() || e.index == index_now());
        if let Some(entry) = store.entries.get(key).filter(current) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Lookup::Hit(entry.clone());
        }
        if !may_wait {
            return Lookup::Miss;
        }
        if let Some(filling) = store.filling.get(key) {
            return Lookup::Wait(filling.clone());
        }
        let (done, waiting) = watch::channel(());
        store.filling.insert(key.clone(), waiting);
        Lookup::Fill(Claim { cache: self.clone(), key: key.clone(), _done: done })
    }

    fn insert(&self, key: Key, entry: Entry) {
        if entry.size > self.budget / 8 {
            return;
        }
        let mut store = self.lock();
        if entry.version != store.version {
            return;
        }
        store.bytes += entry.size;
        if let Some(old) = store.entries.insert(key.clone(), Arc::new(entry)) {
            store.bytes -= old.size;
        } else {
            store.order.push_back(key);
        }
        while store.bytes > self.budget {
            let Some(oldest) = store.order.pop_front() else { break };
            if let Some(gone) = store.entries.remove(&oldest) {
                store.bytes -= gone.size;
            }
        }
    }
}

/// Serves kept responses and keeps new shareable ones. Runs outside compression, so that a kept
/// response is stored as sent, once per encoding.
pub async fn response_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let cache = req.app_data::<web::Data<ResponseCache>>().map(|cache| cache.clone().into_inner());
    let cacheable = *req.method() == Method::GET && !req.headers().contains_key(header::AUTHORIZATION);
    // Only the shared routes' answers are kept: the others need no read of the content clock.
    let shared = |cache: &Arc<ResponseCache>| {
        MatchedRoute::of(&req).is_some_and(|pattern| cache.shared_routes.contains(&pattern.as_str()))
    };
    let Some(cache) = cache.filter(|cache| cacheable && shared(cache)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(stamp) = cache.clock.stamp().await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let headers = req.headers();
    let key = Key {
        uri: req.uri().to_string(),
        accept_encoding: headers.get(header::ACCEPT_ENCODING).cloned(),
        origin: headers.get(header::ORIGIN).cloned(),
        language: Language::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())),
    };
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let if_none_match = if_none_match.as_deref();
    let claim = match cache.lookup(&key, &stamp, true) {
        Lookup::Hit(entry) => return Ok(req.into_response(kept_response(&entry, if_none_match))),
        Lookup::Wait(mut filled) => {
            // Woken when the other request is done, whatever its outcome.
            let _ = filled.changed().await;
            if let Lookup::Hit(entry) = cache.lookup(&key, &stamp, false) {
                return Ok(req.into_response(kept_response(&entry, if_none_match)));
            }
            None
        }
        Lookup::Fill(claim) => Some(claim),
        Lookup::Miss => None,
    };
    let res = next.call(req).await?;
    if !is_shareable(&res) {
        return Ok(res.map_into_boxed_body());
    }
    let index = res.response().extensions().get::<FromIndex>().copied();
    let (req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let Ok(body) = actix_web::body::to_bytes(body).await else {
        return Ok(ServiceResponse::new(req, HttpResponse::InternalServerError().finish()));
    };
    let now = Instant::now();
    let until_due = stamp.next_due.map(|due| (due - db::now()).to_std().unwrap_or(Duration::ZERO));
    let entry = Entry {
        size: body.len()
            + key.uri.len()
            + head.headers().iter().map(|(n, v)| n.as_str().len() + v.len()).sum::<usize>(),
        headers: head.headers().clone(),
        body: body.clone(),
        version: stamp.version,
        index,
        stored: now,
        expires: now + until_due.map_or(MAX_AGE, |d| d.min(MAX_AGE)),
    };
    cache.misses.fetch_add(1, Ordering::Relaxed);
    cache.insert(key, entry);
    drop(claim);
    Ok(ServiceResponse::new(req, head.set_body(BoxBody::new(body))))
}

/// A kept response as sent again: the stored headers with its `Age`, or a 304 when the client
/// holds it already.
fn kept_response(entry: &Entry, if_none_match: Option<&str>) -> HttpResponse {
    let age = HeaderValue::from(entry.stored.elapsed().as_secs());
    let etag = entry.headers.get(header::ETAG).and_then(|v| v.to_str().ok());
    if let (Some(inm), Some(etag)) = (if_none_match, etag)
        && let Some(candidate) = crate::http::matching_candidate(inm, etag)
    {
        let mut not_modified = HttpResponse::NotModified().finish();
        for (name, value) in entry.headers.iter() {
            if *name != header::CONTENT_TYPE && *name != header::CONTENT_LENGTH && *name != header::CONTENT_ENCODING {
                not_modified.headers_mut().append(name.clone(), value.clone());
            }
        }
        if let Ok(echoed) = HeaderValue::from_str(&candidate) {
            not_modified.headers_mut().insert(header::ETAG, echoed);
        }
        not_modified.headers_mut().insert(header::AGE, age);
        return not_modified;
    }
    let mut response = HttpResponse::Ok().body(entry.body.clone());
    for (name, value) in entry.headers.iter() {
        response.headers_mut().append(name.clone(), value.clone());
    }
    response.headers_mut().insert(header::AGE, age);
    response
}
