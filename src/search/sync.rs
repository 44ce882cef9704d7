//! Keeping the index up to date: a rebuild from the database when the index is new, then, a few
//! times a second, the public entries of the change log after the index's place, in commit order.
//! Every node that shares the database does the same for its own index, so a change committed
//! anywhere is found everywhere within a second.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::index::SearchIndex;
use super::source::{self, Kind};
use crate::changes::{self, Position, ResourceType};
use crate::db::{self, Database, DbConn};
use crate::metrics::Metrics;

/// How often the change log is read for what the index has not seen.
const INTERVAL: Duration = Duration::from_millis(250);
/// Entries applied in one commit of the index.
const BATCH: i64 = 1000;
/// Resources read at once in a rebuild.
const REBUILD_BATCH: i64 = 1000;

/// Builds the index from the database's public content: what the change log holds up to the
/// moment the build starts is in it (entries after that are applied next), so nothing committed
/// meanwhile is missed. Returns how many resources it holds.
pub fn rebuild(conn: &mut DbConn, index: &SearchIndex) -> Result<usize, String> {
    let from = changes::last_position(conn).map_err(|e| e.to_string())?;
    index.clear().map_err(|e| e.to_string())?;
    let now = db::now();
    let mut held = 0;
    for kind in Kind::ALL {
        let mut after = 0;
        loop {
            let ids = source::ids_after(conn, kind, after, REBUILD_BATCH).map_err(|e| e.to_string())?;
            let Some(&last) = ids.last() else { break };
            after = last;
            let docs = source::public_docs(conn, kind, &ids, now).map_err(|e| e.to_string())?;
            held += docs.len();
            index.add(&docs).map_err(|e| e.to_string())?;
        }
    }
    index.apply(&[], &[], from).map_err(|e| e.to_string())?;
    Ok(held)
}

/// Applies the change log's public entries after the index's place; returns how many it read.
pub fn catch_up(conn: &mut DbConn, index: &SearchIndex) -> Result<usize, String> {
    let Some(mut at) = index.position() else { return Ok(0) };
    let types: Vec<ResourceType> = Kind::ALL.iter().filter_map(|k| ResourceType::parse(k.as_str())).collect();
    let mut read = 0;
    loop {
        let entries = changes::public_after(conn, at, None, &types, BATCH).map_err(|e| e.to_string())?;
        let Some(last) = entries.last() else { return Ok(read) };
        let next: Position = last.position();
        let keys: BTreeSet<(Kind, i64)> =
            entries.iter().filter_map(|e| Kind::parse(&e.resource).map(|k| (k, e.resource_id))).collect();
        let keys: Vec<(Kind, i64)> = keys.into_iter().collect();
        let now = db::now();
        let mut docs = Vec::new();
        for kind in Kind::ALL {
            let ids: Vec<i64> = keys.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
            docs.extend(source::public_docs(conn, kind, &ids, now).map_err(|e| e.to_string())?);
        }
        index.apply(&keys, &docs, next).map_err(|e| e.to_string())?;
        read += entries.len();
        at = next;
        if (entries.len() as i64) < BATCH {
            return Ok(read);
        }
    }
}

/// Builds the index again from the database (`muni search reindex`; a server on the same index
/// must be stopped, as it holds the index's writer).
pub fn reindex(conn: &mut DbConn, index: &SearchIndex) -> Result<usize, String> {
    index.reset(&database_id(conn)?);
    rebuild(conn, index)
}

fn database_id(conn: &mut DbConn) -> Result<String, String> {
    use diesel::prelude::*;

    use crate::db::schema::settings;
    let id: Option<String> = settings::table
        .find("database_id")
        .select(settings::value)
        .first(conn)
        .optional()
        .map_err(|e| e.to_string())?;
    Ok(id.unwrap_or_default())
}

/// Makes the index be built again when it was built from another database (a restore, a new
/// database at the same address) or stands past the end of this one's change log.
fn check_origin(conn: &mut DbConn, index: &SearchIndex) -> Result<(), String> {
    let id = database_id(conn)?;
    let ahead = match index.position() {
        Some(at) => at > changes::last_position(conn).map_err(|e| e.to_string())?,
        None => false,
    };
    if index.database() != id || ahead {
        if index.position().is_some() {
            log::warn!("the search index was built from another database: building it again");
        }
        index.reset(&id);
    }
    Ok(())
}

/// A build reads every public resource through the allocator: what it freed goes back to the
/// system rather than staying in the allocator's free lists for the life of the process.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory at the top of glibc's heaps; it has no
    // preconditions and touches no memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Starts the thread that builds the index when it must and keeps it caught up.
pub fn start(db: Database, index: Arc<SearchIndex>, metrics: Option<Arc<Metrics>>) {
    let spawned = std::thread::Builder::new().name("muni-search".into()).spawn(move || {
        let (mut failing, mut checked) = (false, false);
        loop {
            let result = db.get().map_err(|e| e.to_string()).and_then(|mut conn| {
                if !checked {
                    check_origin(&mut conn, &index)?;
                    checked = true;
                }
                if index.position().is_none() {
                    let started = Instant::now();
                    let held = rebuild(&mut conn, &index)?;
                    log::info!("search index built: {held} resources in {:.1} s", started.elapsed().as_secs_f64());
                    give_back_memory();
                }
                catch_up(&mut conn, &index)
            });
            if let Some(metrics) = &metrics {
                metrics.background_run("search_index", result.is_ok());
            }
            let failed = result.is_err();
            if let Err(e) = result
                && !failing
            {
                log::error!("keeping the search index up to date failed: {e}");
            }
            failing = failed;
            std::thread::sleep(INTERVAL);
        }
    });
    if let Err(e) = spawned {
        log::error!("cannot start the search thread: {e}");
    }
}
