//! The state every handler can reach. It sits above the infrastructure (database, configuration,
//! tokens, rate limits, encryption, the response cache, the metrics) and below every resource: it imports no
//! resource and nothing below it imports it, so the assembly (`startup`) is the only place that
//! names everything.

use std::sync::Arc;

use actix_web::web;

use crate::auth::tokens::TokenKeys;
use crate::cache::ResponseCache;
use crate::config::Config;
use crate::crypto::Vault;
use crate::db::Database;
use crate::limits::RateLimits;
use crate::metrics::Metrics;

pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    pub tokens: TokenKeys,
    /// Also registered on its own, for the [`crate::limits::RateLimited`] extractor.
    pub limits: web::Data<RateLimits>,
    /// Encrypts and indexes citizens' personal data.
    pub vault: Vault,
    /// The OpenAPI document, serialised once.
    pub openapi_json: String,
    /// Shared responses kept while the content is unchanged; `None` when turned off. Also
    /// registered on its own, for the cache middleware.
    pub cache: Option<web::Data<ResponseCache>>,
    /// What `/metrics` reports; `None` when `MUNI_METRICS=off`.
    pub metrics: Option<Arc<Metrics>>,
    /// This node's search index; `None` when it cannot be opened (search then answers 503).
    pub search: Option<Arc<crate::search::SearchIndex>>,
}
