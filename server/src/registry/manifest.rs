//! Manifest requests under a size cap. oci-client reads a manifest response whole, so a
//! hostile or broken registry could make driftls hold gigabytes; here the body is streamed and
//! refused past [`MAX_MANIFEST_BYTES`]. oci-client still does what it does well: the token
//! flow (its `auth` gives the bearer token) and config blobs (streamed into a capped buffer).

use std::time::Duration;

use oci_client::manifest::OciManifest;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap};
use sha2::{Digest, Sha256};

use crate::registry::client::LookupError;

/// Manifests larger than this are refused (real ones are a few KiB; big indexes ~100 KiB).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// The manifest kinds driftls reads: OCI index and manifest, Docker list and v2 manifest.
const ACCEPTED: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// The HTTP client for manifest requests: deadlines, a few redirects (reqwest drops the
/// `Authorization` header when a redirect leaves the host), extra CA certificates.
pub fn http_client(timeout: Duration, ca_pems: &[Vec<u8>], allow_private: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().connect_timeout(timeout).read_timeout(timeout).redirect(
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("more than 5 redirects");
            }
            match redirect_refusal(attempt.url(), allow_private) {
                Some(why) => attempt.error(why),
                None => attempt.follow(),
            }
        }),
    );
    for pem in ca_pems {
        if let Ok(cert) = reqwest::Certificate::from_pem(pem) {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().unwrap_or_default()
}

/// Why a redirect must not be followed: to an address the network policy refuses (a registry
/// must not be able to point driftls at a metadata service or an internal host), or to
/// another scheme than HTTP(S). Host names are not resolved here.
fn redirect_refusal(url: &reqwest::Url, allow_private: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("a redirect to {} is not followed", url.scheme()));
    }
    let refused = match url.host() {
        Some(url::Host::Ipv4(ip)) => crate::registry::endpoint::check_address(ip.into(), allow_private).is_err(),
        Some(url::Host::Ipv6(ip)) => crate::registry::endpoint::check_address(ip.into(), allow_private).is_err(),
        Some(url::Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            name == "metadata" || name == "metadata.google.internal" || name.ends_with(".internal.")
        }
        None => true,
    };
    refused.then(|| "a redirect to a refused address is not followed".to_string())
}

/// The `Authorization` header value for a registry: the bearer token oci-client obtained, or
/// basic credentials when the registry asked for those.
pub fn authorization(token: Option<String>, basic: Option<(&str, &str)>) -> Option<String> {
    use base64_lite::encode;
    match (token, basic) {
        (Some(token), _) => Some(format!("Bearer {token}")),
        (None, Some((user, password))) => Some(format!("Basic {}", encode(format!("{user}:{password}").as_bytes()))),
        (None, None) => None,
    }
}

/// `HEAD` for the digest a reference resolves to; a registry that sends no
/// `Docker-Content-Digest` gets a capped `GET`, whose body is hashed.
pub async fn head_digest(http: &reqwest::Client, url: &str, auth: Option<&str>) -> Result<String, LookupError> {
    let response = send(http.head(url), auth).await?;
    check_status(response.status().as_u16(), url)?;
    match digest_header(response.headers()) {
        Some(digest) => Ok(digest),
        None => get(http, url, auth, None).await.map(|(_, digest)| digest),
    }
}

/// `GET` a manifest, capped; returns it and its digest (checked against `expected`, the digest
/// asked for, when there is one).
pub async fn get(
    http: &reqwest::Client,
    url: &str,
    auth: Option<&str>,
    expected: Option<&str>,
) -> Result<(OciManifest, String), LookupError> {
    let mut response = send(http.get(url), auth).await?;
    check_status(response.status().as_u16(), url)?;
    if response.content_length().is_some_and(|n| n > MAX_MANIFEST_BYTES as u64) {
        return Err(LookupError::TooLarge);
    }
    let header_digest = digest_header(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_MANIFEST_BYTES {
            return Err(LookupError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let computed = format!("sha256:{:x}", Sha256::digest(&body));
    // What was received is what gets pinned: a digest the bytes do not hash to is refused,
    // whether it was asked for or sent in `Docker-Content-Digest`.
    for claimed in expected.into_iter().chain(header_digest.as_deref()) {
        if claimed.starts_with("sha256:") && claimed != computed {
            return Err(LookupError::Malformed(format!("the manifest's digest is {computed}, not {claimed}")));
        }
    }
    let digest = expected.map(str::to_string).or(header_digest).unwrap_or(computed);
    let manifest = serde_json::from_slice(&body).map_err(|e| LookupError::Malformed(format!("manifest: {e}")))?;
    Ok((manifest, digest))
}

/// `GET` a small JSON document (a tag list) under the manifest size cap.
pub async fn get_json(http: &reqwest::Client, url: &str, auth: Option<&str>) -> Result<serde_json::Value, LookupError> {
    let mut response = send(http.get(url), auth).await?;
    check_status(response.status().as_u16(), url)?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_MANIFEST_BYTES {
            return Err(LookupError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| LookupError::Malformed(format!("{}: {e}", without_query(url))))
}

async fn send(request: reqwest::RequestBuilder, auth: Option<&str>) -> Result<reqwest::Response, LookupError> {
    let request = request.header(ACCEPT, ACCEPTED);
    let request = match auth {
        Some(value) => request.header(AUTHORIZATION, value),
        None => request,
    };
    request.send().await.map_err(transport)
}

fn check_status(status: u16, url: &str) -> Result<(), LookupError> {
    match status {
        200..=299 => Ok(()),
        404 => Err(LookupError::NotFound),
        401 | 403 => Err(LookupError::Unauthorized),
        other => Err(LookupError::Network(format!("HTTP {other} from {}", without_query(url)))),
    }
}

fn digest_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .filter(|d| d.starts_with("sha256:") || d.starts_with("sha512:"))
        .map(str::to_string)
}

fn transport(e: reqwest::Error) -> LookupError {
    if e.is_timeout() {
        return LookupError::Timeout;
    }
    // reqwest's messages name the URL, never a header; the causes say what happened.
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        message = format!("{message}: {c}");
        cause = c.source();
    }
    LookupError::Network(message)
}

fn without_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// Standard base64 for a basic `Authorization` header (no crate for 20 lines).
pub mod base64_lite {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn redirects_to_metadata_and_private_addresses_are_refused() {
            let refusal = |u: &str, private| super::super::redirect_refusal(&u.parse().unwrap(), private);
            assert!(refusal("http://169.254.169.254/latest/meta-data", true).is_some());
            assert!(refusal("http://[fd00:ec2::254]/", true).is_some());
            assert!(refusal("http://10.1.2.3/v2/", false).is_some());
            assert!(refusal("http://10.1.2.3/v2/", true).is_none());
            assert!(refusal("http://metadata.google.internal/", false).is_some());
            assert!(refusal("file:///etc/passwd", false).is_some());
            assert!(refusal("https://cdn.example.com/blob", false).is_none());
            assert!(refusal("http://127.0.0.1:5000/v2/", false).is_none());
        }

        #[test]
        fn encodes_like_rfc_4648() {
            for (plain, encoded) in
                [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("user:pa55", "dXNlcjpwYTU1")]
            {
                assert_eq!(super::encode(plain.as_bytes()), encoded);
            }
        }
    }
}
