//! Per-client rate limits for the public writes (login, refresh, citizen submissions).
//!
//! A handler that writes without a token takes [`RateLimited`] as a parameter, so the limit shows in
//! its signature, as [`crate::auth::AuthUser`] shows the guard on staff writes. Over the limit the
//! request is refused with 429 and `Retry-After` before its body is read.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

pub struct RateLimits {
    public_writes: DefaultKeyedRateLimiter<IpAddr>,
    trust_proxy: bool,
    checks: AtomicU64,
}

impl RateLimits {
    /// `per_minute` requests a minute per client address, all of which may come at once.
    pub fn new(per_minute: u32, trust_proxy: bool) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            public_writes: RateLimiter::keyed(Quota::per_minute(per_minute)),
            trust_proxy,
            checks: AtomicU64::new(0),
        }
    }

    /// The client's address: the peer, or behind a trusted proxy the first `Forwarded`/`X-Forwarded-For` hop.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        if self.trust_proxy {
            let info = req.connection_info();
            if let Some(ip) = info.realip_remote_addr().and_then(parse_ip) {
                return Some(ip);
            }
        }
        req.peer_addr().map(|a| a.ip())
    }

    pub fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        // Forget idle clients now and then, so the table stays small.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.public_writes.retain_recent();
        }
        let Some(ip) = self.client_ip(req) else {
            return Ok(());
        };
        self.public_writes.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::TooManyRequests {
                detail: format!("Too many requests from this address; try again in {secs} seconds."),
                retry_after_secs: secs.max(1),
            }
        })
    }
}

fn parse_ip(value: &str) -> Option<IpAddr> {
    let value = value.trim();
    value
        .parse()
        .ok()
        .or_else(|| value.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| value.trim_start_matches('[').split(']').next().and_then(|v| v.parse().ok()))
}

/// Proof that this request is within the public-write rate limit of its client.
pub struct RateLimited;

impl FromRequest for RateLimited {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.app_data::<web::Data<RateLimits>>() {
            Some(limits) => limits.check(req).map(|()| RateLimited),
            None => Err(ApiError::internal("the rate limits are not registered")),
        };
        ready(result)
    }
}
