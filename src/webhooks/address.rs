//! Where webhooks may go: the public internet only, unless a deployment allows its own network.
//! Every address an endpoint's host resolves to is classified, at registration and again when
//! each request connects (through the HTTP client's resolver), so a name that later resolves to
//! an internal address (DNS rebinding) is refused too. IP literals in any spelling the URL
//! standard accepts (`127.1`, `2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`) are parsed to the
//! address first, then classified the same way.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address is not on the public internet, or `None` when it is.
pub fn internal_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, ..) => "an unspecified address (0.0.0.0/8)",
        (127, ..) => "a loopback address",
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => "a private address",
        (100, 64..=127, _) => "a shared (carrier-grade NAT) address",
        (169, 254, _) => "a link-local address (cloud metadata lives there)",
        (192, 0, 0) => "an IETF protocol address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, ..) => "a multicast address",
        (240..=255, ..) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let segments = ip.segments();
    // IPv4 inside IPv6 (NAT64, 6to4): the embedded address decides.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_reason(Ipv4Addr::new(
            (segments[6] >> 8) as u8,
            segments[6] as u8,
            (segments[7] >> 8) as u8,
            segments[7] as u8,
        ));
    }
    if segments[0] == 0x2002 {
        return v4_reason(Ipv4Addr::new(
            (segments[1] >> 8) as u8,
            segments[1] as u8,
            (segments[2] >> 8) as u8,
            segments[2] as u8,
        ));
    }
    Some(match segments[0] {
        _ if ip.is_unspecified() => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        // ::/96, the deprecated IPv4-compatible form, and the rest of ::/8.
        0 => "a reserved address",
        0xfc00..=0xfdff => "a private (unique local) address",
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if segments[1] == 0 => "a Teredo address",
        0x2001 if segments[1] == 0xdb8 => "a documentation address",
        _ => return None,
    })
}

/// Why a request to `url` may not be made, as far as the URL alone says (`None`: it may, if its
/// host resolves to public addresses).
pub fn url_refusal(url: &Url, allow_private: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some("must be an http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("must not carry a user name or password".into());
    }
    if url.fragment().is_some() {
        return Some("must not have a fragment".into());
    }
    let ip = match url.host() {
        None => return Some("must name a host".into()),
        Some(url::Host::Domain(_)) => return None,
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
    };
    if allow_private {
        return None;
    }
    internal_reason(ip).map(|why| format!("points to {why} ({ip}), which webhooks may not reach"))
}

/// Resolves `host` and refuses it if any of its addresses is internal (one internal answer is
/// enough: a name must not be usable to reach inside).
pub async fn resolve_public(host: &str, port: u16, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let addresses: Vec<SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|e| format!("`{host}` does not resolve: {e}"))?.collect();
    if addresses.is_empty() {
        return Err(format!("`{host}` does not resolve"));
    }
    if !allow_private {
        for address in &addresses {
            if let Some(why) = internal_reason(address.ip()) {
                return Err(format!("`{host}` resolves to {why} ({}), which webhooks may not reach", address.ip()));
            }
        }
    }
    Ok(addresses)
}

/// The HTTP client's resolver: every name it connects to goes through [`resolve_public`].
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl GuardedResolver {
    pub fn shared(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addresses = resolve_public(name.as_str(), 0, allow_private)
                .await
                .map_err(Box::<dyn std::error::Error + Send + Sync>::from)?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> Option<String> {
        url_refusal(&Url::parse(url).unwrap(), false)
    }

    #[test]
    fn loopback_in_every_spelling_is_refused() {
        for url in [
            "http://127.0.0.1/hook",
            "http://127.1/hook",
            "http://2130706433/hook",
            "http://0x7f.1/hook",
            "http://0177.0.0.1/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[::ffff:7f00:1]/hook",
            "http://0.0.0.0/hook",
            "http://[::]/hook",
        ] {
            let why = refused(url).unwrap_or_else(|| panic!("{url} was allowed"));
            assert!(why.contains("loopback") || why.contains("unspecified"), "{url}: {why}");
        }
    }

    #[test]
    fn private_link_local_and_metadata_addresses_are_refused() {
        for ip in [
            "10.0.0.1",
            "172.16.5.4",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "fd00:ec2::254",
            "fe80::1",
            "fc00::1",
            "ff02::1",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.10",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(internal_reason(ip).is_some(), "{ip} was allowed");
        }
        assert!(internal_reason("169.254.169.254".parse().unwrap()).unwrap().contains("metadata"));
    }

    #[test]
    fn public_addresses_pass() {
        for ip in ["1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "64:ff9b::808:808"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(internal_reason(ip), None, "{ip}");
        }
        assert_eq!(refused("https://hooks.phuong.example.vn/muni"), None);
    }

    #[test]
    fn the_setting_lets_private_addresses_through_but_not_bad_urls() {
        let url = Url::parse("http://127.0.0.1:9/hook").unwrap();
        assert_eq!(url_refusal(&url, true), None);
        for bad in ["ftp://example.vn/x", "http://user:pw@example.vn/x", "http://example.vn/x#frag"] {
            assert!(url_refusal(&Url::parse(bad).unwrap(), true).is_some(), "{bad}");
        }
    }

    #[tokio::test]
    async fn localhost_resolves_to_loopback_and_is_refused() {
        let err = resolve_public("localhost", 80, false).await.unwrap_err();
        assert!(err.contains("loopback"), "{err}");
        assert!(resolve_public("localhost", 80, true).await.is_ok());
    }
}
