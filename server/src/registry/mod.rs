//! The registry layer: the only network IO of driftls. It resolves tags to digests and reads
//! image configs, caches them, and hands what it learns to analysis as `ImageFacts`.
//!
//! This version has the pure parts: reading config blobs, turning image history back into
//! instructions, where and how to reach a registry (and where never to), and the disk cache.
//! The network client (oci-client with rustls, credentials from `~/.docker/config.json`) comes
//! with the registry rules.

pub mod config;
pub mod disk_cache;
pub mod endpoint;
pub mod history;
