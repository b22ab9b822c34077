//! Webhook targets and signatures, used by the API (checking `webhook_url` at submission)
//! and the workers (checking it again at every delivery, after name resolution, and
//! signing what they send).
//!
//! A target must be `https://` (`http://` only with `webhooks.allow_http`), carry no
//! user-info (no credentials in URLs), and, unless `webhooks.allow_private`, reach only
//! public unicast addresses: never loopback, private, shared (CGNAT), link-local,
//! unique-local, multicast, documentation, benchmarking or reserved ranges, also when
//! written as IPv4-mapped/NAT64/6to4 IPv6. URLs are parsed by the same parser the sender
//! uses, so an address spelled oddly (`0x7f.1`) is judged as the address it is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aws_lc_rs::hmac;
use url::{Host, Url};

use crate::config::WebhookSettings;

/// Longest `webhook_url` accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Checks a `webhook_url` as submitted; the message says what is wrong with it.
pub fn check_url(text: &str, policy: &WebhookSettings) -> Result<Url, String> {
    if !policy.enabled() {
        return Err("webhooks are not configured on this server".into());
    }
    if text.len() > MAX_URL_LEN {
        return Err(format!("at most {MAX_URL_LEN} characters"));
    }
    let url = Url::parse(text).map_err(|e| format!("not a valid URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        _ => return Err("must be an https:// URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    match url.host() {
        None => return Err("must name a host".into()),
        Some(Host::Ipv4(ip)) => allowed(IpAddr::V4(ip), policy)?,
        Some(Host::Ipv6(ip)) => allowed(IpAddr::V6(ip), policy)?,
        Some(Host::Domain(_)) => {}
    }
    Ok(url)
}

/// Whether a delivery may connect to `ip`.
pub fn allowed(ip: IpAddr, policy: &WebhookSettings) -> Result<(), String> {
    if policy.allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(format!("{ip} is not a public address (webhooks.allow_private is off)"))
    }
}

/// A globally routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s[0] {
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
        0x64 if s[1] == 0xff9b => public_v4(embedded_v4(s[6], s[7])),
        0x2002 => public_v4(embedded_v4(s[1], s[2])),
        _ => {
            !(ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || s[0] == 0
                || (s[0] == 0x100 && s[1] == 0 && s[2] == 0 && s[3] == 0))
        }
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`, the `X-NAAS-Signature` of a delivery.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::secret::Secret;

    fn policy() -> WebhookSettings {
        let mut policy = Settings::defaults().webhooks;
        policy.signing_secret = Some(Secret::new("a-signing-secret-for-tests".into()));
        policy
    }

    #[test]
    fn only_public_https_targets_without_credentials() {
        let p = policy();
        assert!(check_url("https://hooks.example.com/naas?token=x", &p).is_ok());
        assert!(check_url("https://93.184.215.14:8443/h", &p).is_ok());
        for refused in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://127.0.0.1/",
            "https://0x7f.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[64:ff9b::a00:1]/",
            "https://[2002:a00:1::]/",
            "not a url",
        ] {
            assert!(check_url(refused, &p).is_err(), "{refused}");
        }
        let mut open = policy();
        open.allow_private = true;
        open.allow_http = true;
        assert!(check_url("http://127.0.0.1:8080/hook", &open).is_ok());
        let off = Settings::defaults().webhooks;
        assert_eq!(
            check_url("https://hooks.example.com/", &off).unwrap_err(),
            "webhooks are not configured on this server"
        );
    }

    #[test]
    fn public_addresses() {
        for ip in ["8.8.8.8", "2606:4700::1111", "[2002:808:808::]"] {
            assert!(is_public(ip.trim_matches(['[', ']']).parse().unwrap()), "{ip}");
        }
        for ip in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "198.18.0.1", "192.0.0.8", "::", "ff02::1", "2001:db8::1"]
        {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231, test case 2.
        let sig = signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
