//! What a build stage leaves in the image, following `FROM <stage>` down to the base image:
//! its `VOLUME` paths (with where each was declared) and its final `USER`. Used by the compose
//! rules for services that build a local Dockerfile.

use crate::analysis::dockerfile_model::{Base, Model};
use crate::analysis::image_facts::ImageFacts;
use crate::syntax::TextRange;
use crate::syntax::dockerfile::{Dockerfile, Kind};

/// A volume an image declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredVolume {
    pub path: String,
    /// The `VOLUME` path word in the Dockerfile, or the `FROM` image for a base image's.
    pub range: TextRange,
    /// `None` when declared in the Dockerfile; the base image reference otherwise.
    pub from_image: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageSummary {
    pub volumes: Vec<DeclaredVolume>,
    /// The last `USER`, if any stage in the chain (or the base image) sets one.
    pub user: Option<String>,
    /// Whether everything down to the base image is known (no unresolved `FROM`, base image
    /// facts present or `scratch`).
    pub complete: bool,
}

/// Stage names of a Dockerfile, lower-cased, in order.
pub fn stage_names(file: &Dockerfile) -> Vec<String> {
    Model::build(file).stages.iter().filter_map(|s| s.name.clone()).collect()
}

/// The image that building `target` (or the last stage) produces.
pub fn summarize(file: &Dockerfile, target: Option<&str>, facts: &ImageFacts) -> Option<ImageSummary> {
    let model = Model::build(file);
    let mut stage = match target {
        Some(t) => model.stages.iter().position(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(t)))?,
        None => model.stages.len().checked_sub(1)?,
    };
    // Walk to the root of the chain, then replay instructions from the base upwards.
    let mut chain = vec![stage];
    while let Base::Stage(parent) = model.stages[stage].base {
        if chain.contains(&parent) {
            break;
        }
        chain.push(parent);
        stage = parent;
    }
    let mut summary = ImageSummary::default();
    let root = &model.stages[*chain.last()?];
    summary.complete = match root.base {
        Base::Scratch => true,
        Base::Image => {
            let image = model.images.iter().find(|u| u.instruction == root.from);
            match image.and_then(|u| facts.config(&u.facts_key()).map(|c| (u, c))) {
                Some((u, config)) => {
                    summary.user = config.user.clone().filter(|u| !u.is_empty());
                    summary.volumes = config
                        .volumes
                        .iter()
                        .map(|v| DeclaredVolume {
                            path: v.clone(),
                            range: u.written,
                            from_image: Some(u.expansion.value.clone()),
                        })
                        .collect();
                    true
                }
                None => false,
            }
        }
        _ => false,
    };
    for &s in chain.iter().rev() {
        for i in model.stages[s].body.clone() {
            let located = &file.instructions[i];
            match &located.instruction.kind {
                Kind::Volume(paths) => {
                    for p in paths {
                        if !p.value.contains('$') {
                            summary.volumes.push(DeclaredVolume {
                                path: crate::analysis::compose::normalize_path(&p.value),
                                range: located.abs(p.range),
                                from_image: None,
                            });
                        }
                    }
                }
                Kind::User(u) => summary.user = Some(u.value.to_string()),
                _ => {}
            }
        }
    }
    Some(summary)
}
