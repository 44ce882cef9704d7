//! The audit log: who did what, when and from where, append-only and hash-chained.
//!
//! Entries are written by [`record::audit_layer`]'s witness inside each write transaction of a
//! signed-in request (so an entry and its change commit together), and name the change-log
//! entries the write made: the audit log, webhooks and the change feed read one log of changes.
//! The database refuses UPDATE and DELETE on the table (but for an entry's seal, once);
//! [`repo::verify`] (`muni audit verify`) finds an entry edited or removed around that. On
//! PostgreSQL an entry is sealed (given its place in the chain and its hash) just after its
//! commit, by [`sealer`]; SQLite seals it as it writes it.

mod handlers;
pub mod model;
mod record;
mod repo;
pub mod sealer;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::list_audit;
pub use record::{action_of, audit_layer, unattended};
pub use repo::{Anchor, Archived, Verdict, age_out, anchor, awaiting_seal, seal, verify};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_audit);
}
