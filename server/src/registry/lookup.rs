//! Image lookups with caches: what the server and `check` call. A tag is resolved with a `HEAD`
//! request (it does not count as a pull) and remembered for a TTL, because tags move; what a
//! digest names never changes, so configs are kept by digest for good, in memory and on disk.
//! Identical lookups in flight share one request, and concurrent requests are bounded.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use moka::future::Cache;
use oci_client::secrets::RegistryAuth;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::analysis::image_facts::{Found, Lookup};
use crate::registry::client::{LookupError, RegistryClient, RegistrySettings, credentials, credentials_in};
use crate::registry::disk_cache::DiskCache;
use crate::registry::endpoint::Endpoint;
use crate::syntax::image_ref::ImageRef;

/// How lookups are made and kept.
#[derive(Debug, Clone)]
pub struct LookupSettings {
    pub client: RegistrySettings,
    /// How long a tag's digest is trusted (`driftls.registry.tagTtlSeconds`, default 10 min).
    pub tag_ttl: Duration,
    /// The disk cache directory; `None` keeps everything in memory.
    pub cache_dir: Option<PathBuf>,
    /// Where `config.json` is read from; `None`: `$DOCKER_CONFIG` or `~/.docker`.
    pub docker_config: Option<PathBuf>,
}

impl Default for LookupSettings {
    fn default() -> LookupSettings {
        LookupSettings {
            client: RegistrySettings::default(),
            tag_ttl: Duration::from_secs(600),
            cache_dir: DiskCache::default_dir(),
            docker_config: None,
        }
    }
}

/// At most this many tags are probed when looking for a version tag.
pub const MAX_VERSION_PROBES: usize = 12;

/// At most this many registry requests at once.
const MAX_CONCURRENT_REQUESTS: usize = 8;

/// A tag's digest as kept on disk (the file's age is the entry's age).
#[derive(Serialize, Deserialize)]
struct TagEntry {
    digest: String,
}

pub struct ImageService {
    client: RegistryClient,
    settings: LookupSettings,
    /// Tag reference → what it resolves to, for the TTL.
    tags: Cache<String, Lookup>,
    /// `name@digest` → the image: content-addressed, kept until evicted by size.
    digests: Cache<String, Lookup>,
    disk: Option<DiskCache>,
    permits: Semaphore,
    requests: AtomicUsize,
}

impl ImageService {
    pub fn new(settings: LookupSettings) -> ImageService {
        ImageService {
            client: RegistryClient::new(settings.client.clone()),
            tags: Cache::builder().max_capacity(4096).time_to_live(settings.tag_ttl).build(),
            digests: Cache::builder().max_capacity(4096).build(),
            disk: settings.cache_dir.clone().map(DiskCache::new),
            permits: Semaphore::new(MAX_CONCURRENT_REQUESTS),
            requests: AtomicUsize::new(0),
            settings,
        }
    }

    pub fn settings(&self) -> &LookupSettings {
        &self.settings
    }

    /// Registry requests made so far (a cache hit or a shared lookup makes none).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// What the registry says about `reference` (as written after `ARG` expansion). `NotFound`
    /// is an answer; failures (offline, timeout, 401, 5xx) are errors and are not cached.
    /// `key` is a reference, optionally with ` --platform=os/arch` (a `FROM --platform`).
    pub async fn lookup(&self, key: &str) -> Result<Lookup, LookupError> {
        let (reference, _) = split_platform(key);
        let image = ImageRef::parse(reference).map_err(|e| LookupError::Malformed(format!("{reference}: {e:?}")))?;
        let result = match image.digest {
            Some(_) => self.digests.try_get_with(key.to_string(), self.fetch_digest(key.to_string())).await,
            None => self.tags.try_get_with(key.to_string(), self.fetch_tag(key.to_string())).await,
        };
        result.map_err(|e| (*e).clone())
    }

    /// A version tag of the same repository that points at `digest` (for `latest` or a series
    /// tag): one tag list and at most [`MAX_VERSION_PROBES`] `HEAD` requests, made together.
    pub async fn version_tag(&self, reference: &str, digest: &str) -> Result<Option<String>, LookupError> {
        let image = ImageRef::parse(reference).map_err(|e| LookupError::Malformed(format!("{reference}: {e:?}")))?;
        let current = image.tag.map(|t| &reference[t.as_range()]);
        let name = name_of(reference).to_string();
        let auth = self.auth(reference).await;
        let tags = {
            let _permit = self.permits.acquire().await.map_err(|_| LookupError::Offline)?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.client.tags(reference, &auth, 1000).await?
        };
        let candidates = crate::analysis::tags::version_candidates(&tags, current, MAX_VERSION_PROBES);
        let probes = candidates.iter().map(|tag| {
            let text = format!("{name}:{tag}");
            let auth = auth.clone();
            async move {
                let _permit = self.permits.acquire().await.ok()?;
                self.requests.fetch_add(1, Ordering::Relaxed);
                self.client.digest(&text, &auth).await.ok()
            }
        });
        let digests = futures::future::join_all(probes).await;
        Ok(candidates.into_iter().zip(digests).find(|(_, d)| d.as_deref() == Some(digest)).map(|(t, _)| t))
    }

    /// The registry host of a lookup key, for reporting failures once per registry.
    pub fn registry_of(key: &str) -> String {
        let (reference, _) = split_platform(key);
        ImageRef::parse(reference).map(|i| Endpoint::of(&i).host).unwrap_or_else(|_| reference.to_string())
    }

    async fn fetch_tag(&self, key: String) -> Result<Lookup, LookupError> {
        let (reference, platform) = split_platform(&key);
        // What a tag points at does not depend on the platform: one entry per tag.
        let stored = self.disk_get::<TagEntry>("tags", reference);
        if let Some((entry, age)) = &stored
            && (*age < self.settings.tag_ttl || self.settings.client.offline)
        {
            return self.by_digest(reference, platform, &entry.digest).await;
        }
        let auth = self.auth(reference).await;
        let answer = {
            let _permit = self.permits.acquire().await.map_err(|_| LookupError::Offline)?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.client.digest(reference, &auth).await
        };
        match answer {
            Ok(digest) => {
                self.disk_put("tags", reference, &TagEntry { digest: digest.clone() });
                self.by_digest(reference, platform, &digest).await
            }
            Err(LookupError::NotFound) => Ok(Lookup::NotFound),
            // Unreachable: what was seen before is better than nothing (offline use).
            Err(e) => match stored {
                Some((entry, _)) => self.by_digest(reference, platform, &entry.digest).await.map_err(|_| e),
                None => Err(e),
            },
        }
    }

    /// The image a tag reference resolved to, by its digest (shared with other tags of it).
    async fn by_digest(&self, reference: &str, platform: Option<&str>, digest: &str) -> Result<Lookup, LookupError> {
        let name = name_of(reference);
        let key = match platform {
            Some(p) => format!("{name}@{digest} --platform={p}"),
            None => format!("{name}@{digest}"),
        };
        self.digests.try_get_with(key.clone(), self.fetch_digest(key)).await.map_err(|e| (*e).clone())
    }

    async fn fetch_digest(&self, key: String) -> Result<Lookup, LookupError> {
        let (reference, platform) = split_platform(&key);
        let platform = platform.unwrap_or(&self.settings.client.platform).to_string();
        let disk_key =
            format!("{}@{} {platform}", name_of(reference), reference.rsplit_once('@').map_or("", |(_, d)| d));
        if let Some((mut found, age)) = self.disk_get::<Found>("images", &disk_key) {
            found.cached_for = Some(age);
            return Ok(Lookup::Found(Arc::new(found)));
        }
        let auth = self.auth(reference).await;
        let answer = {
            let _permit = self.permits.acquire().await.map_err(|_| LookupError::Offline)?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.client.resolve_for(reference, &auth, &platform).await
        };
        match answer {
            Ok(resolved) => {
                let found = Found {
                    digest: resolved.digest,
                    platforms: resolved.platforms,
                    platform: resolved.platform,
                    config: resolved.config,
                    cached_for: None,
                };
                self.disk_put("images", &disk_key, &found);
                Ok(Lookup::Found(Arc::new(found)))
            }
            Err(LookupError::NotFound) => Ok(Lookup::NotFound),
            Err(e) => Err(e),
        }
    }

    /// Credentials for the reference's registry, read off the async threads (credential
    /// helpers are programs). Never logged.
    async fn auth(&self, reference: &str) -> RegistryAuth {
        if self.settings.client.offline {
            return RegistryAuth::Anonymous;
        }
        let Ok(image) = ImageRef::parse(reference) else { return RegistryAuth::Anonymous };
        let endpoint = Endpoint::of(&image);
        let dir = self.settings.docker_config.clone();
        tokio::task::spawn_blocking(move || match dir {
            Some(dir) => credentials_in(&dir, &endpoint),
            None => credentials(&endpoint),
        })
        .await
        .unwrap_or(RegistryAuth::Anonymous)
    }

    fn disk_get<T: serde::de::DeserializeOwned>(&self, kind: &str, key: &str) -> Option<(T, Duration)> {
        let (bytes, age) = self.disk.as_ref()?.get(kind, key)?;
        // A corrupt or foreign entry is a miss.
        serde_json::from_slice(&bytes).ok().map(|v| (v, age))
    }

    fn disk_put<T: Serialize>(&self, kind: &str, key: &str, value: &T) {
        if let (Some(disk), Ok(bytes)) = (&self.disk, serde_json::to_vec(value)) {
            // A cache that cannot be written only costs a request next time.
            let _ = disk.put(kind, key, &bytes);
        }
    }
}

/// `python:3.12 --platform=linux/arm64` → (`python:3.12`, `Some("linux/arm64")`).
pub fn split_platform(key: &str) -> (&str, Option<&str>) {
    match key.split_once(" --platform=") {
        Some((reference, platform)) => (reference, Some(platform)),
        None => (key, None),
    }
}

/// `name` of `name:tag`, `name@digest` or `name:tag@digest` (a registry port is kept).
fn name_of(reference: &str) -> &str {
    let without_digest = reference.split_once('@').map_or(reference, |(n, _)| n);
    match without_digest.rfind(':') {
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    }
}

#[cfg(test)]
mod tests {
    use super::name_of;

    #[test]
    fn names_keep_registry_ports() {
        assert_eq!(name_of("localhost:5000/a/b:1.0"), "localhost:5000/a/b");
        assert_eq!(name_of("localhost:5000/a/b"), "localhost:5000/a/b");
        assert_eq!(name_of("a/b:1@sha256:ab"), "a/b");
        assert_eq!(name_of("a@sha256:ab"), "a");
        assert_eq!(name_of("python:3.12"), "python");
    }
}
