//! What the registry said, kept on disk so hovers and rules work offline from what was seen
//! before: under `$DRIFTLS_CACHE_DIR`, else `$XDG_CACHE_HOME/driftls`, else `~/.cache/driftls`.
//! Writes are atomic (temporary file, then rename); an unreadable or corrupt entry is a miss,
//! never an error. Only registry answers are stored: never a credential.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    pub fn new(dir: PathBuf) -> DiskCache {
        DiskCache { dir }
    }

    /// The cache directory from the environment, if one can be named.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DRIFTLS_CACHE_DIR").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir));
        }
        if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return Some(Path::new(&xdg).join("driftls"));
        }
        std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache").join("driftls"))
    }

    /// The file of `key` (`kind/…`): readable names, with a hash so that different keys never
    /// share a file.
    fn path(&self, kind: &str, key: &str) -> PathBuf {
        let readable: String = key
            .chars()
            .take(80)
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .collect();
        self.dir.join(kind).join(format!("{readable}-{:016x}.json", fnv1a(key.as_bytes())))
    }

    /// The stored bytes and their age, if present and readable.
    pub fn get(&self, kind: &str, key: &str) -> Option<(Vec<u8>, Duration)> {
        let path = self.path(kind, key);
        let bytes = std::fs::read(&path).ok()?;
        let age = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok());
        Some((bytes, age.unwrap_or_default()))
    }

    /// Stores `bytes` atomically; errors are returned for the log, never fatal.
    pub fn put(&self, kind: &str, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(kind, key);
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(".tmp-{}-{:016x}", std::process::id(), fnv1a(key.as_bytes())));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }
}

/// FNV-1a, 64 bits: a stable file-name hash (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_atomic_and_corruption_is_a_miss() {
        let dir = std::env::temp_dir().join(format!("driftls-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = DiskCache::new(dir.clone());
        assert!(cache.get("tags", "ghcr.io/o/r:1.0").is_none());
        cache.put("tags", "ghcr.io/o/r:1.0", b"{\"digest\":\"sha256:ab\"}").unwrap();
        let (bytes, age) = cache.get("tags", "ghcr.io/o/r:1.0").unwrap();
        assert_eq!(bytes, b"{\"digest\":\"sha256:ab\"}");
        assert!(age < Duration::from_secs(60));
        // Keys that read the same after escaping still get their own files.
        cache.put("tags", "ghcr.io/o/r:1_0", b"other").unwrap();
        assert_eq!(cache.get("tags", "ghcr.io/o/r:1.0").unwrap().0, b"{\"digest\":\"sha256:ab\"}");
        // No temporary files are left behind.
        let leftovers = std::fs::read_dir(dir.join("tags"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
