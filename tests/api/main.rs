//! The integration tests: the real server on a real port, against a fresh SQLite file per test,
//! or a fresh PostgreSQL database per test when `TEST_DATABASE_URL` is a postgres URL.

mod architecture;
mod articles;
mod attachments;
mod audit;
mod auth;
mod browser;
mod cache;
mod categories;
mod changes;
mod contract;
mod events;
mod feedback;
mod feeds;
mod hardening;
mod helpers;
mod http;
mod language;
mod lists;
mod media;
mod operations;
mod platform;
mod privacy;
mod procedures;
mod questions;
mod revisions;
mod s3;
mod search;
mod sites;
mod users;
mod webhooks;
