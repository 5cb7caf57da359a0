//! What is known about images from outside the files (the registry, its cache). An input of
//! analysis, like a crate graph: tests build it directly, the registry layer fills it.

use std::collections::{BTreeMap, HashMap};

/// One `history` entry of an image config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryEntry {
    pub created_by: String,
    pub empty_layer: bool,
    pub created: Option<String>,
}

/// The parts of an image config that hovers and rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

/// Image facts keyed by the image reference after `ARG` expansion (`ghcr.io/o/r:1.4.1`).
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    configs: HashMap<String, ImageConfig>,
}

impl ImageFacts {
    pub fn insert(&mut self, reference: impl Into<String>, config: ImageConfig) {
        self.configs.insert(reference.into(), config);
    }

    pub fn config(&self, reference: &str) -> Option<&ImageConfig> {
        self.configs.get(reference)
    }
}
