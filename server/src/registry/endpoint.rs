//! Where to ask for an image and how: Docker Hub's API host and `library/` prefix, other hosts
//! as written; plain HTTP only for loopback registries (like Docker) and those the user lists
//! as insecure; addresses that must never be reached from a file someone else wrote.

use std::net::IpAddr;

use crate::syntax::image_ref::ImageRef;

/// Docker Hub's registry API host.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// The API host and repository of an image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// `registry-1.docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub host: String,
    /// `library/ubuntu`, `dbt-labs/dbt-core`.
    pub repository: String,
}

impl Endpoint {
    pub fn of(image: &ImageRef) -> Endpoint {
        let host = if image.is_docker_hub() { DOCKER_HUB_API.to_string() } else { image.domain.clone() };
        Endpoint { host, repository: image.path.clone() }
    }

    /// The host without a port.
    pub fn hostname(&self) -> &str {
        if let Some(v6) = self.host.strip_prefix('[') {
            return v6.split(']').next().unwrap_or(v6);
        }
        self.host
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(&self.host, |(h, _)| h)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// Plain HTTP for loopback hosts and hosts listed in `driftls.registry.insecure`; HTTPS
/// everywhere else.
pub fn scheme(endpoint: &Endpoint, insecure: &[String]) -> Scheme {
    let host = endpoint.hostname();
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback || insecure.iter().any(|i| i == &endpoint.host || i == host) { Scheme::Http } else { Scheme::Https }
}

/// Why an address may not be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Link-local and cloud metadata addresses (`169.254.0.0/16`, `fe80::/10`, `fd00:ec2::254`).
    Metadata,
    /// A private range (`10/8`, `172.16/12`, `192.168/16`, `fc00::/7`) without the opt-in setting.
    Private,
}

/// Whether a registry host that resolved to `ip` may be contacted. Loopback is allowed (a
/// local registry); link-local and metadata never; private ranges only with `allow_private`.
pub fn check_address(ip: IpAddr, allow_private: bool) -> Result<(), Refusal> {
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_link_local() {
                return Err(Refusal::Metadata);
            }
            if v4.is_private() && !allow_private {
                return Err(Refusal::Private);
            }
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let aws_metadata = std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
            if (segments[0] & 0xffc0) == 0xfe80 || v6 == aws_metadata {
                return Err(Refusal::Metadata);
            }
            if (segments[0] & 0xfe00) == 0xfc00 && !allow_private {
                return Err(Refusal::Private);
            }
            if let Some(v4) = v6.to_ipv4_mapped() {
                return check_address(IpAddr::V4(v4), allow_private);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(text: &str) -> Endpoint {
        Endpoint::of(&ImageRef::parse(text).unwrap())
    }

    #[test]
    fn hosts_and_schemes() {
        assert_eq!(
            endpoint("ubuntu:22.04"),
            Endpoint { host: DOCKER_HUB_API.into(), repository: "library/ubuntu".into() }
        );
        assert_eq!(endpoint("index.docker.io/bitnami/redis").host, DOCKER_HUB_API);
        assert_eq!(endpoint("ghcr.io/dbt-labs/dbt-core:1.4.1").repository, "dbt-labs/dbt-core");
        let none: Vec<String> = Vec::new();
        assert_eq!(scheme(&endpoint("127.0.0.1:5000/x"), &none), Scheme::Http);
        assert_eq!(scheme(&endpoint("localhost:5000/x"), &none), Scheme::Http);
        assert_eq!(scheme(&endpoint("[::1]:5000/x"), &none), Scheme::Http);
        assert_eq!(scheme(&endpoint("registry.lan:5000/x"), &none), Scheme::Https);
        assert_eq!(scheme(&endpoint("registry.lan:5000/x"), &["registry.lan:5000".to_string()]), Scheme::Http);
        assert_eq!(endpoint("registry.lan:5000/x").hostname(), "registry.lan");
    }

    #[test]
    fn address_policy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(check_address(ip("169.254.169.254"), true), Err(Refusal::Metadata));
        assert_eq!(check_address(ip("fd00:ec2::254"), true), Err(Refusal::Metadata));
        assert_eq!(check_address(ip("fe80::1"), true), Err(Refusal::Metadata));
        assert_eq!(check_address(ip("10.1.2.3"), false), Err(Refusal::Private));
        assert_eq!(check_address(ip("10.1.2.3"), true), Ok(()));
        assert_eq!(check_address(ip("::ffff:192.168.1.1"), false), Err(Refusal::Private));
        assert_eq!(check_address(ip("127.0.0.1"), false), Ok(()));
        assert_eq!(check_address(ip("140.82.112.33"), false), Ok(()));
    }
}
