//! What every SQLite connection of this process is opened with, set where SQLite opens it.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Makes SQLite plan each statement once, for whatever values are bound to it.
///
/// Without this, SQLite plans some statements for the values bound to them: a `LIMIT ?` (since
/// 3.47), a `LIKE ?`, a comparison that sampled statistics (`sqlite_stat4`) cover. Such a
/// statement is marked to be prepared again whenever another value is bound, and diesel binds
/// every `LIMIT` (`first()` included): no such statement stayed prepared. Profiled on 100,000
/// articles, preparing them again was half the time of reading an article by its slug. The query
/// planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`) keeps one plan per statement; our
/// queries' plans follow their indexes, not their values.
///
/// Set through an automatic extension, which SQLite runs for every connection it opens in this
/// process (diesel does not hand out its connection's handle).
pub fn plan_statements_once() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: `stable_plans` has the signature SQLite calls automatic extensions with.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(stable_plans)) };
        if rc != ffi::SQLITE_OK {
            log::warn!("SQLite statements will be planned per bound value (auto extension: code {rc})");
        }
    });
}

unsafe extern "C" fn stable_plans(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening, valid for this call; the option takes an
    // int (1: on) and a pointer where it may write the new setting (none wanted).
    unsafe { ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, 1 as c_int, std::ptr::null_mut::<c_int>()) };
    ffi::SQLITE_OK
}
