//! What is known about images from outside the files (the registry, its cache). An input of
//! analysis, like a crate graph: tests build it directly, the registry layer fills it.

use std::collections::HashMap;

/// The parts of an image config the rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `VOLUME` paths the image declares (from any ancestor).
    pub volumes: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
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
