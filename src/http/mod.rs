//! HTTP plumbing shared by every resource, one concern per file: extractors that answer
//! problem+json ([`extract`]), paging and list responses ([`paging`]), problem+json for every error
//! ([`problem`]), caching headers ([`etag`]), the route table with 404/405 and unknown query
//! parameters ([`routes`]), the input guard and security headers ([`guard`]), request ids, the
//! access log and request metrics ([`observe`]), shared parameter parsing ([`params`]) and `fields=` on lists ([`fields`]). Nothing here knows a resource or the application state.

pub mod etag;
pub mod extract;
pub mod fields;
pub mod guard;
pub mod observe;
pub mod paging;
pub mod params;
pub mod problem;
pub mod routes;

pub use etag::*;
pub use extract::*;

/// The header that says why a staff write is made (see `audit`, `revisions`).
pub const CHANGE_REASON_HEADER: &str = "X-Change-Reason";
pub use fields::{Fields, Selected};
pub use paging::*;
pub use params::{bad_parameter, parse_instant};
pub use problem::*;
pub use routes::*;
