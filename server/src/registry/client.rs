//! Asks a registry what a tag points at and what the image's config says, on oci-client with
//! rustls. Every call has a whole-request deadline, goes only to addresses the network policy
//! allows, reads config blobs under a size cap, and sends credentials only to the registry
//! they belong to (oci-client scopes them per registry; redirects are not followed with them).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use oci_client::RegistryOperation;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::manifest::OciManifest;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use tokio::io::AsyncWrite;

use crate::analysis::image_facts::ImageConfig;
use crate::registry::config::{MAX_CONFIG_BYTES, parse_config};
use crate::registry::endpoint::{DOCKER_HUB_API, Endpoint, Refusal, Scheme, check_address, scheme};
use crate::registry::manifest;
use crate::syntax::image_ref::ImageRef;

/// How the registry is reached (the `driftls.registry.*` settings).
#[derive(Debug, Clone)]
pub struct RegistrySettings {
    pub offline: bool,
    /// Whole-request deadline (`driftls.registry.timeoutMs`, default 5 s).
    pub timeout: Duration,
    /// Hosts (`host[:port]`) reached over plain HTTP.
    pub insecure: Vec<String>,
    /// `os/arch` whose manifest is read from a multi-platform index.
    pub platform: String,
    /// Allow registries on private address ranges (10/8, 172.16/12, 192.168/16, fc00::/7).
    pub allow_private: bool,
    /// Extra CA certificates (PEM files) to trust.
    pub ca_files: Vec<PathBuf>,
}

impl Default for RegistrySettings {
    fn default() -> RegistrySettings {
        RegistrySettings {
            offline: false,
            timeout: Duration::from_secs(5),
            insecure: Vec::new(),
            platform: host_platform(),
            allow_private: false,
            ca_files: Vec::new(),
        }
    }
}

/// `linux/amd64`, `linux/arm64`, … for the machine driftls runs on.
pub fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("linux/{arch}")
}

/// Why a lookup gave no answer. Only `NotFound` is a finding; the others go to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    Offline,
    Refused(Refusal),
    NotFound,
    Unauthorized,
    Timeout,
    TooLarge,
    Network(String),
    Malformed(String),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::Offline => write!(f, "offline: no registry requests"),
            LookupError::Refused(Refusal::Metadata) => {
                write!(f, "refused: the host resolves to a link-local or metadata address")
            }
            LookupError::Refused(Refusal::Private) => {
                write!(
                    f,
                    "refused: the host resolves to a private address (allow with driftls.registry.allowPrivateNetworks)"
                )
            }
            LookupError::NotFound => write!(f, "the registry says the repository or tag does not exist"),
            LookupError::Unauthorized => write!(f, "the registry refused the credentials (or needs some)"),
            LookupError::Timeout => write!(f, "the registry did not answer in time"),
            LookupError::TooLarge => write!(f, "the registry sent more than driftls reads ({MAX_CONFIG_BYTES} bytes)"),
            LookupError::Network(e) => write!(f, "{e}"),
            LookupError::Malformed(e) => write!(f, "unexpected answer: {e}"),
        }
    }
}

/// What a tag resolves to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The digest to pin: the index digest of a multi-platform image (`Docker-Content-Digest`).
    pub digest: String,
    /// Platforms of a multi-platform index (`linux/amd64`, …); empty for a single manifest.
    pub platforms: Vec<String>,
    /// The platform whose config was read.
    pub platform: Option<String>,
    pub config: ImageConfig,
}

pub struct RegistryClient {
    settings: RegistrySettings,
    /// One oci-client per host and scheme (its protocol and token cache are per host).
    clients: Mutex<HashMap<(String, bool), std::sync::Arc<Client>>>,
    /// Loopback and insecure hosts found to speak plain HTTP (Docker tries HTTPS first).
    plain_http: Mutex<std::collections::HashSet<String>>,
    /// Manifest requests (capped; see `manifest`). Built on the first request: building it
    /// loads and parses the system's root certificates (about 19 M instructions), which an
    /// offline session, and the start of every session, can do without.
    http: std::sync::OnceLock<reqwest::Client>,
}

impl RegistryClient {
    pub fn new(settings: RegistrySettings) -> RegistryClient {
        RegistryClient {
            settings,
            clients: Mutex::new(HashMap::new()),
            plain_http: Mutex::new(Default::default()),
            http: std::sync::OnceLock::new(),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            let settings = &self.settings;
            let pems: Vec<Vec<u8>> = settings.ca_files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
            manifest::http_client(settings.timeout, &pems, settings.allow_private)
        })
    }

    fn remember_plain(&self, endpoint: &Endpoint) {
        self.plain_http.lock().unwrap_or_else(|p| p.into_inner()).insert(endpoint.host.clone());
    }

    fn client_with(&self, endpoint: &Endpoint, plain: bool) -> std::sync::Arc<Client> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry((endpoint.host.clone(), plain))
            .or_insert_with(|| {
                let protocol = if plain {
                    ClientProtocol::HttpsExcept(vec![endpoint.host.clone()])
                } else {
                    ClientProtocol::Https
                };
                let extra_root_certificates = self
                    .settings
                    .ca_files
                    .iter()
                    .filter_map(|p| std::fs::read(p).ok())
                    .map(|data| Certificate { encoding: CertificateEncoding::Pem, data })
                    .collect();
                std::sync::Arc::new(Client::new(ClientConfig {
                    protocol,
                    extra_root_certificates,
                    connect_timeout: Some(self.settings.timeout),
                    read_timeout: Some(self.settings.timeout),
                    ..ClientConfig::default()
                }))
            })
            .clone()
    }

    /// Checks the network policy for the registry's addresses.
    async fn allowed(&self, endpoint: &Endpoint) -> Result<(), LookupError> {
        if self.settings.offline {
            return Err(LookupError::Offline);
        }
        let host = endpoint.hostname().to_string();
        let port = endpoint.host.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).unwrap_or(443);
        let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::time::timeout(self.settings.timeout, tokio::net::lookup_host((host.as_str(), port)))
                .await
                .map_err(|_| LookupError::Timeout)?
                .map_err(|e| LookupError::Network(format!("{host}: {e}")))?
                .map(|a| a.ip())
                .collect(),
        };
        for ip in addresses {
            check_address(ip, self.settings.allow_private).map_err(LookupError::Refused)?;
        }
        Ok(())
    }

    /// Resolves `image` (a tag or digest reference): its digest now, its platforms, and the
    /// config of the configured platform.
    pub async fn resolve(&self, text: &str, auth: &RegistryAuth) -> Result<Resolved, LookupError> {
        let platform = self.settings.platform.clone();
        self.resolve_for(text, auth, &platform).await
    }

    /// [`RegistryClient::resolve`] reading the config of `platform` (`os/arch[/variant]`) from a
    /// multi-platform index.
    pub async fn resolve_for(&self, text: &str, auth: &RegistryAuth, wanted: &str) -> Result<Resolved, LookupError> {
        let image = ImageRef::parse(text).map_err(|e| LookupError::Malformed(format!("{text}: {e:?}")))?;
        let endpoint = Endpoint::of(&image);
        self.allowed(&endpoint).await?;
        let reference = reference(text, &image, &endpoint);
        let ((manifest, digest), client) = self.manifest(&endpoint, &reference, auth).await?;
        let deadline = self.settings.timeout;
        let (image_manifest, platforms, platform) = match manifest {
            OciManifest::Image(m) => (m, Vec::new(), None),
            OciManifest::ImageIndex(index) => {
                let platforms: Vec<String> = index
                    .manifests
                    .iter()
                    .filter_map(|m| m.platform.as_ref())
                    .map(|p| format!("{}/{}", p.os, p.architecture))
                    .filter(|p| p != "unknown/unknown")
                    .collect();
                let os_arch = |p: &oci_client::manifest::Platform| format!("{}/{}", p.os, p.architecture);
                let with_variant = |p: &oci_client::manifest::Platform| match &p.variant {
                    Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                    None => os_arch(p),
                };
                let chosen = index
                    .manifests
                    .iter()
                    .find(|m| m.platform.as_ref().is_some_and(|p| with_variant(p) == wanted))
                    .or_else(|| {
                        let wanted: String = wanted.split('/').take(2).collect::<Vec<_>>().join("/");
                        index.manifests.iter().find(|m| m.platform.as_ref().is_some_and(|p| os_arch(p) == wanted))
                    })
                    .or_else(|| index.manifests.first())
                    .ok_or_else(|| LookupError::Malformed("an image index without manifests".into()))?;
                let by_digest = Reference::with_digest(
                    reference.registry().to_string(),
                    reference.repository().to_string(),
                    chosen.digest.clone(),
                );
                let ((inner, _), _) = self.manifest(&endpoint, &by_digest, auth).await?;
                let OciManifest::Image(m) = inner else {
                    return Err(LookupError::Malformed("an index inside an index".into()));
                };
                let platform = chosen.platform.as_ref().map(|p| format!("{}/{}", p.os, p.architecture));
                (m, platforms, platform)
            }
        };
        if image_manifest.config.size > MAX_CONFIG_BYTES as i64 {
            return Err(LookupError::TooLarge);
        }
        let mut blob = CappedBuffer::default();
        tokio::time::timeout(deadline, client.pull_blob(&reference, &image_manifest.config, &mut blob))
            .await
            .map_err(|_| LookupError::Timeout)?
            .map_err(|e| if blob.overflowed { LookupError::TooLarge } else { classify(e) })?;
        let config = parse_config(&blob.data).map_err(|e| LookupError::Malformed(e.to_string()))?;
        Ok(Resolved { digest, platforms, platform: platform.or_else(|| config.platform.clone()), config })
    }

    /// The digest a tag points at now (a `HEAD` request: it does not count as a pull).
    pub async fn digest(&self, text: &str, auth: &RegistryAuth) -> Result<String, LookupError> {
        let image = ImageRef::parse(text).map_err(|e| LookupError::Malformed(format!("{text}: {e:?}")))?;
        let endpoint = Endpoint::of(&image);
        self.allowed(&endpoint).await?;
        let reference = reference(text, &image, &endpoint);
        let http = self.http();
        self.over_schemes(&endpoint, &reference, auth, |url, authorization, _| async move {
            manifest::head_digest(http, &url, authorization.as_deref()).await
        })
        .await
    }

    /// Up to `limit` tags of the image's repository (one page of `tags/list`).
    pub async fn tags(&self, text: &str, auth: &RegistryAuth, limit: usize) -> Result<Vec<String>, LookupError> {
        let image = ImageRef::parse(text).map_err(|e| LookupError::Malformed(format!("{text}: {e:?}")))?;
        let endpoint = Endpoint::of(&image);
        self.allowed(&endpoint).await?;
        let reference = reference(text, &image, &endpoint);
        let http = self.http();
        let list = self
            .over_schemes(&endpoint, &reference, auth, |url, authorization, _| async move {
                let base = url.split("/manifests/").next().unwrap_or(&url).to_string();
                manifest::get_json(http, &format!("{base}/tags/list?n={limit}"), authorization.as_deref()).await
            })
            .await?;
        let tags = list["tags"].as_array().map(|t| t.iter().filter_map(|v| v.as_str()).map(str::to_string));
        Ok(tags.map(|t| t.take(limit).collect()).unwrap_or_default())
    }

    /// The manifest `reference` names and its digest, with the oci-client that holds the
    /// registry's token (for the config blob). HTTPS first; plain HTTP for loopback and
    /// insecure registries when HTTPS gets no answer, as Docker does.
    async fn manifest(
        &self,
        endpoint: &Endpoint,
        reference: &Reference,
        auth: &RegistryAuth,
    ) -> Result<((OciManifest, String), std::sync::Arc<Client>), LookupError> {
        self.over_schemes(endpoint, reference, auth, async |url, authorization, client| {
            manifest::get(self.http(), &url, authorization.as_deref(), reference.digest())
                .await
                .map(|found| (found, client))
        })
        .await
    }

    /// Runs `request` (given the URL, the `Authorization` value and the oci-client holding the
    /// token) over HTTPS, then over plain HTTP for loopback and insecure registries when HTTPS
    /// got no answer, as Docker does; each attempt under the deadline.
    async fn over_schemes<T, F>(
        &self,
        endpoint: &Endpoint,
        reference: &Reference,
        auth: &RegistryAuth,
        request: impl Fn(String, Option<String>, std::sync::Arc<Client>) -> F,
    ) -> Result<T, LookupError>
    where
        F: std::future::Future<Output = Result<T, LookupError>>,
    {
        let mut last = LookupError::Offline;
        for plain in self.schemes(endpoint) {
            let attempt = tokio::time::timeout(self.settings.timeout, async {
                let (url, authorization, client) = self.prepare(endpoint, reference, auth, plain).await;
                request(url, authorization, client).await
            })
            .await
            .unwrap_or(Err(LookupError::Timeout));
            match attempt {
                Err(LookupError::Network(e)) => last = LookupError::Network(e),
                other => {
                    if plain {
                        self.remember_plain(endpoint);
                    }
                    return other;
                }
            }
        }
        Err(last)
    }

    /// The schemes to try, in order (`true`: plain HTTP).
    fn schemes(&self, endpoint: &Endpoint) -> Vec<bool> {
        let known_plain = self.plain_http.lock().unwrap_or_else(|p| p.into_inner()).contains(&endpoint.host);
        if known_plain {
            vec![true]
        } else if scheme(endpoint, &self.settings.insecure) == Scheme::Http {
            vec![false, true]
        } else {
            vec![false]
        }
    }

    /// The manifest URL, the `Authorization` value (a bearer token from the registry's token
    /// service, or basic credentials) and the oci-client holding that token.
    async fn prepare(
        &self,
        endpoint: &Endpoint,
        reference: &Reference,
        auth: &RegistryAuth,
        plain: bool,
    ) -> (String, Option<String>, std::sync::Arc<Client>) {
        let client = self.client_with(endpoint, plain);
        // A failed token request leaves the manifest request to say what is wrong.
        let token = client.auth(reference, auth, RegistryOperation::Pull).await.ok().flatten();
        let basic = match auth {
            RegistryAuth::Basic(user, password) => Some((user.as_str(), password.as_str())),
            _ => None,
        };
        let scheme = if plain { "http" } else { "https" };
        let target = reference.digest().or(reference.tag()).unwrap_or("latest");
        let url = format!("{scheme}://{}/v2/{}/manifests/{target}", endpoint.host, reference.repository());
        (url, manifest::authorization(token, basic), client)
    }
}

/// The oci-client reference of an image (Docker Hub through its API host).
fn reference(text: &str, image: &ImageRef, endpoint: &Endpoint) -> Reference {
    let registry = if endpoint.host == DOCKER_HUB_API { "docker.io".to_string() } else { endpoint.host.clone() };
    let repository = endpoint.repository.clone();
    match (image.digest, image.tag) {
        (Some(d), _) => Reference::with_digest(registry, repository, text[d.as_range()].to_string()),
        (None, Some(t)) => Reference::with_tag(registry, repository, text[t.as_range()].to_string()),
        (None, None) => Reference::with_tag(registry, repository, "latest".to_string()),
    }
}

fn classify_ref(e: &oci_client::errors::OciDistributionError) -> LookupError {
    use oci_client::errors::OciDistributionError as E;
    match e {
        E::ImageManifestNotFoundError(_) => LookupError::NotFound,
        E::UnauthorizedError { .. } | E::AuthenticationFailure(_) => LookupError::Unauthorized,
        E::RegistryError { envelope, .. }
            if envelope.errors.iter().any(|x| format!("{:?}", x.code).contains("Unknown")) =>
        {
            LookupError::NotFound
        }
        other => {
            let text = other.to_string();
            if text.contains("404") || text.to_ascii_lowercase().contains("not found") {
                LookupError::NotFound
            } else {
                LookupError::Network(text)
            }
        }
    }
}

fn classify(e: oci_client::errors::OciDistributionError) -> LookupError {
    classify_ref(&e)
}

/// A blob buffer that refuses to grow past the config size cap.
#[derive(Default)]
struct CappedBuffer {
    data: Vec<u8>,
    overflowed: bool,
}

impl AsyncWrite for CappedBuffer {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.data.len() + buf.len() > MAX_CONFIG_BYTES {
            self.overflowed = true;
            return std::task::Poll::Ready(Err(std::io::Error::other("image config too large")));
        }
        self.data.extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// Credentials for a registry from `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`
/// (`auths`, `credsStore`, `credHelpers`); anonymous when there are none. Runs credential
/// helpers, so call it off the async threads. The result is never logged.
pub fn credentials(endpoint: &Endpoint) -> RegistryAuth {
    to_auth(docker_credential::get_credential(&server_key(endpoint)))
}

/// Credentials from the `config.json` in `config_dir` (what `$DOCKER_CONFIG` names).
pub fn credentials_in(config_dir: &std::path::Path, endpoint: &Endpoint) -> RegistryAuth {
    match std::fs::File::open(config_dir.join("config.json")) {
        Ok(file) => to_auth(docker_credential::get_credential_from_reader(file, &server_key(endpoint))),
        Err(_) => RegistryAuth::Anonymous,
    }
}

/// The key `config.json` files use for a registry (Docker Hub's historical URL).
fn server_key(endpoint: &Endpoint) -> String {
    if endpoint.host == DOCKER_HUB_API { "https://index.docker.io/v1/".to_string() } else { endpoint.host.clone() }
}

fn to_auth(
    credential: Result<docker_credential::DockerCredential, docker_credential::CredentialRetrievalError>,
) -> RegistryAuth {
    match credential {
        Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => {
            RegistryAuth::Basic(user, password)
        }
        _ => RegistryAuth::Anonymous,
    }
}
