//! The registry layer: the only network IO of driftls. It resolves tags to digests and reads
//! image configs, caches them, and hands what it learns to analysis as `ImageFacts`.
//!
//! `client` speaks to registries (oci-client with rustls, credentials from
//! `~/.docker/config.json`, deadlines, size caps, the network policy); `lookup` puts the
//! memory and disk caches and single-flight in front of it and is what the server and `check`
//! call; `config` reads config blobs (their history is shown by `analysis::history`).

pub mod client;
pub mod config;
pub mod disk_cache;
pub mod endpoint;
pub mod lookup;
pub mod manifest;

#[cfg(test)]
mod tests;
