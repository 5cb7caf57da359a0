//! The registry layer: the only network IO of driftls. It resolves tags to digests and reads
//! image configs, caches them, and hands what it learns to analysis as `ImageFacts`.
//!
//! This version has the client (oci-client with rustls, credentials from
//! `~/.docker/config.json`, deadlines, size caps, the network policy), reading config blobs,
//! turning image history back into instructions, and the disk cache. The server and `check`
//! do not call it yet: the background lookups and the registry rules come next.

pub mod client;
pub mod config;
pub mod disk_cache;
pub mod endpoint;
pub mod history;

#[cfg(test)]
mod tests;
