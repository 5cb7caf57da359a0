//! What is known about images from outside the files (the registry, its cache). An input of
//! analysis, like a crate graph: tests build it directly, the registry layer fills it.
//!
//! Analysis also says what it asked for: a recording copy logs every reference a rule looked
//! up, known or not, so the server knows which lookups to start (or refresh) without walking
//! the documents a second time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// One `history` entry of an image config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub created_by: String,
    pub empty_layer: bool,
    pub created: Option<String>,
}

/// The parts of an image config that hovers and rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageConfig {
    /// `VOLUME` paths the image declares (from any ancestor).
    pub volumes: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub env: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub exposed_ports: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// `ONBUILD` triggers: they run in the build that uses this image as its base.
    pub on_build: Vec<String>,
    pub healthcheck: Option<Vec<String>>,
    pub stop_signal: Option<String>,
    pub shell: Option<Vec<String>>,
    pub history: Vec<HistoryEntry>,
    pub created: Option<String>,
    /// `os/architecture` of this config.
    pub platform: Option<String>,
}

impl ImageConfig {
    /// The history step that declared `path` as a volume (`VOLUME [/usr/app]`), if the history
    /// shows it: its index and text.
    pub fn volume_step(&self, path: &str) -> Option<(usize, &HistoryEntry)> {
        self.history.iter().enumerate().rev().find(|(_, h)| {
            let text = h.created_by.trim();
            let body = text.split("#(nop)").nth(1).unwrap_or(text).trim();
            body.starts_with("VOLUME")
                && body
                    .trim_start_matches("VOLUME")
                    .split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '"' | ','))
                    .any(|w| w.trim_end_matches('/') == path.trim_end_matches('/'))
        })
    }
}

/// What the registry said about an image reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// What the reference resolves to now: for a multi-platform image, the index digest.
    pub digest: String,
    /// Platforms of a multi-platform index; empty for a single manifest.
    pub platforms: Vec<String>,
    /// The platform whose config was read.
    pub platform: Option<String>,
    pub config: ImageConfig,
    /// How old the answer was when read from the disk cache (`None`: from the registry now).
    #[serde(skip)]
    pub cached_for: Option<std::time::Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Arc<Found>),
    /// The registry answered that the repository, tag or digest does not exist.
    NotFound,
}

/// Image facts keyed by the image reference after `ARG` expansion (`ghcr.io/o/r:1.4.1`).
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    known: Arc<HashMap<String, Lookup>>,
    asked: Option<Arc<Mutex<BTreeSet<String>>>>,
}

/// The references an analysis asked for, known or not.
#[derive(Debug, Clone, Default)]
pub struct Asked(Arc<Mutex<BTreeSet<String>>>);

impl Asked {
    pub fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl ImageFacts {
    /// Records `config` for `reference` (a test helper: the digest is unknown).
    pub fn insert(&mut self, reference: impl Into<String>, config: ImageConfig) {
        let found = Found { config, ..Found::default() };
        self.insert_lookup(reference, Lookup::Found(Arc::new(found)));
    }

    pub fn insert_lookup(&mut self, reference: impl Into<String>, lookup: Lookup) {
        Arc::make_mut(&mut self.known).insert(reference.into(), lookup);
    }

    /// A copy that logs every reference analysis asks for, and the log.
    pub fn recording(&self) -> (ImageFacts, Asked) {
        let asked = Asked::default();
        (ImageFacts { known: self.known.clone(), asked: Some(asked.0.clone()) }, asked)
    }

    /// What the registry said about `reference`, if it was asked.
    pub fn lookup(&self, reference: &str) -> Option<&Lookup> {
        if let Some(asked) = &self.asked {
            asked.lock().unwrap_or_else(|p| p.into_inner()).insert(reference.to_string());
        }
        self.known.get(reference)
    }

    /// Logs `references` as asked, as if each had been looked up (the incremental analysis
    /// replays what its remembered findings asked).
    pub(crate) fn record<'a>(&self, references: impl IntoIterator<Item = &'a str>) {
        let Some(asked) = &self.asked else { return };
        let mut asked = asked.lock().unwrap_or_else(|p| p.into_inner());
        for reference in references {
            if !asked.contains(reference) {
                asked.insert(reference.to_string());
            }
        }
    }

    /// The same facts without the log. While it is kept, the facts it shares cannot change in
    /// place (they are copied on write), so [`ImageFacts::same_facts`] on it stays meaningful.
    pub(crate) fn unlogged(&self) -> ImageFacts {
        ImageFacts { known: self.known.clone(), asked: None }
    }

    /// Whether both hold the very same facts (a recording copy shares them).
    pub(crate) fn same_facts(&self, other: &ImageFacts) -> bool {
        Arc::ptr_eq(&self.known, &other.known)
    }

    /// What is known about `reference`, without recording the question.
    pub fn known(&self, reference: &str) -> Option<&Lookup> {
        self.known.get(reference)
    }

    pub fn found(&self, reference: &str) -> Option<&Found> {
        match self.lookup(reference)? {
            Lookup::Found(found) => Some(found),
            Lookup::NotFound => None,
        }
    }

    pub fn config(&self, reference: &str) -> Option<&ImageConfig> {
        self.found(reference).map(|f| &f.config)
    }

    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_copy_logs_hits_and_misses() {
        let mut facts = ImageFacts::default();
        facts.insert("a:1", ImageConfig::default());
        let (recording, asked) = facts.recording();
        assert!(recording.config("a:1").is_some());
        assert!(recording.config("b:2").is_none());
        assert_eq!(asked.take().into_iter().collect::<Vec<_>>(), ["a:1", "b:2"]);
        // The original does not record.
        facts.config("c:3");
        assert!(asked.take().is_empty());
    }

    #[test]
    fn the_volume_step_is_found_in_classic_and_buildkit_history() {
        let config = ImageConfig {
            history: vec![
                HistoryEntry { created_by: "/bin/sh -c #(nop)  VOLUME [/data]".into(), ..Default::default() },
                HistoryEntry { created_by: "VOLUME [/usr/app]".into(), ..Default::default() },
                HistoryEntry { created_by: "WORKDIR /usr/app".into(), ..Default::default() },
            ],
            ..Default::default()
        };
        assert_eq!(config.volume_step("/usr/app").map(|s| s.0), Some(1));
        assert_eq!(config.volume_step("/data/").map(|s| s.0), Some(0));
        assert!(config.volume_step("/usr").is_none());
    }
}
