//! muni: a headless JSON REST API for the content of Vietnamese wards, communes and provinces.
//!
//! How a request flows: [`startup`] builds the actix-web `App` with its middleware (logging,
//! ETag/cache headers, compression, problem+json for every error, CORS) and the routes of each
//! resource module. A handler takes its inputs through extractors that answer problem+json on bad
//! input ([`http::ApiJson`], [`http::ApiQuery`]), the caller through [`auth::AuthUser`] when it
//! writes, and runs its queries on a pooled connection off the async workers ([`db::run`]).
//! Each resource module has `mod.rs` (routes, and what other modules may call), `model.rs` (types,
//! validation, typed lifecycles), `repo.rs` (every query) and handler files by side or
//! sub-resource. Every failure is an [`error::ApiError`]. The layers and their rules are in
//! `ARCHITECTURE.md`.

pub mod articles;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod categories;
pub mod changes;
pub mod citizen;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod feedback;
pub mod fields;
pub mod health;
pub mod http;
pub mod i18n;
pub mod limits;
pub mod logging;
pub mod media;
pub mod metrics;
pub mod openapi;
pub mod personal_data;
pub mod privacy;
pub mod procedures;
pub mod questions;
pub mod revisions;
pub mod search;
pub mod seed;
pub mod sitemaps;
pub mod sites;
pub mod startup;
pub mod state;
pub mod text;
pub mod users;
pub mod webhooks;
