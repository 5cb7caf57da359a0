//! Digest pins from image facts: "Pin to sha256:…" on an unpinned image (`name:tag@sha256:…`,
//! the tag kept for readers, `FROM` flags and `AS name` untouched, the `ARG` default rewritten
//! when the image comes from one, compose quoting kept), "Update pin" on a stale pin, and one
//! edit that pins every image of a file. Only digests already known are used: an action never
//! waits for the registry.

use std::path::Path;

use crate::analysis::actions::Action;
use crate::analysis::catalogue::Rule;
use crate::analysis::dockerfile_model::{ImageUse, Model, facts_key};
use crate::analysis::image_facts::ImageFacts;
use crate::analysis::workspace::Workspace;
use crate::syntax::TextRange;
use crate::syntax::deploy::TextEdit;
use crate::syntax::file_kind::FileKind;
use crate::syntax::image_ref::ImageRef;

/// A pin edit for one image: the edit, the range of the finding it answers, and its title.
struct Pin {
    edit: TextEdit,
    at: TextRange,
    title: String,
    rule: Rule,
}

/// Pin actions for the images overlapping `range`.
pub fn actions(workspace: &Workspace, path: &Path, range: TextRange, facts: &ImageFacts) -> Vec<Action> {
    let overlaps = |r: TextRange| r.start <= range.end && range.start <= r.end;
    pins(workspace, path, facts)
        .into_iter()
        .filter(|p| overlaps(p.at) || overlaps(p.edit.range))
        .map(|p| Action { title: p.title, rule: p.rule, diagnostic: p.at, edits: vec![p.edit], preferred: true })
        .collect()
}

/// One action pinning every unpinned image of the file whose digest is known.
pub fn pin_all(workspace: &Workspace, path: &Path, facts: &ImageFacts) -> Option<Action> {
    let mut edits: Vec<TextEdit> =
        pins(workspace, path, facts).into_iter().filter(|p| p.rule == Rule::ImageUnpinned).map(|p| p.edit).collect();
    edits.sort_by_key(|e| e.range.start);
    edits.dedup_by_key(|e| e.range.start);
    (!edits.is_empty()).then(|| Action {
        title: format!(
            "Pin all images in this file ({} digest{})",
            edits.len(),
            if edits.len() == 1 { "" } else { "s" }
        ),
        rule: Rule::ImageUnpinned,
        diagnostic: TextRange::empty(0),
        edits,
        preferred: false,
    })
}

fn pins(workspace: &Workspace, path: &Path, facts: &ImageFacts) -> Vec<Pin> {
    let Some(file) = workspace.get(path) else { return Vec::new() };
    match file.kind {
        FileKind::Dockerfile => {
            let Some(tree) = file.dockerfile() else { return Vec::new() };
            let model = Model::build(tree);
            model.images.iter().filter_map(|u| dockerfile_pin(&model, u, &file.text, facts)).collect()
        }
        FileKind::Compose => {
            let Some(compose) = workspace.compose(path) else { return Vec::new() };
            compose
                .services
                .iter()
                .filter(|s| s.build.is_none())
                .filter_map(|s| s.image.as_ref().filter(|i| i.resolved))
                .filter_map(|image| {
                    // The text between the quotes, when it is the value as written.
                    let quoted = file.text[image.range.as_range()].starts_with(['"', '\'']);
                    let quote = usize::from(quoted);
                    let inner = TextRange::new(image.range.start as usize + quote, image.range.end as usize - quote);
                    (file.text[inner.as_range()] == image.value)
                        .then(|| pin_at(&image.value, None, inner, inner, facts))
                        .flatten()
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The pin of a `FROM`/`COPY --from`/`--mount=from` image: in place when written literally, on
/// the `ARG` default when the whole image comes from one.
fn dockerfile_pin(model: &Model, image_use: &ImageUse, text: &str, facts: &ImageFacts) -> Option<Pin> {
    let value = &image_use.expansion.value;
    if text[image_use.written.as_range()] == *value {
        return pin_at(value, image_use.platform.as_deref(), image_use.written, image_use.written, facts);
    }
    let arg = model
        .global_args
        .iter()
        .find(|a| a.default_range.and_then(|r| text.get(r.as_range())) == Some(value.as_str()))?;
    let at = arg.default_range?;
    pin_at(value, image_use.platform.as_deref(), at, at, facts)
}

/// The pin of `value` written exactly at `written`; `finding` is where its diagnostic is.
fn pin_at(
    value: &str,
    platform: Option<&str>,
    written: TextRange,
    finding: TextRange,
    facts: &ImageFacts,
) -> Option<Pin> {
    let image = ImageRef::parse(value).ok()?;
    let start = written.start as usize;
    match (image.digest, image.tag) {
        (None, _) => {
            let digest =
                facts.found(&facts_key(value, platform)).map(|f| f.digest.clone()).filter(|d| !d.is_empty())?;
            Some(Pin {
                edit: TextEdit { range: TextRange::empty(written.end as usize), new_text: format!("@{digest}") },
                at: finding,
                title: format!("Pin to {}", short(&digest)),
                rule: Rule::ImageUnpinned,
            })
        }
        (Some(pinned), Some(tag)) => {
            let tagged = facts_key(&value[..tag.end as usize], platform);
            let now = facts.found(&tagged).map(|f| f.digest.clone()).filter(|d| !d.is_empty())?;
            if now == value[pinned.as_range()] {
                return None;
            }
            let range = TextRange::new(start + pinned.start as usize, start + pinned.end as usize);
            Some(Pin {
                edit: TextEdit { range, new_text: now.clone() },
                at: range,
                title: format!("Update pin to {} (what the tag resolves to now)", short(&now)),
                rule: Rule::ImagePinStale,
            })
        }
        (Some(_), None) => None,
    }
}

/// `sha256:0123456789ab…`
fn short(digest: &str) -> String {
    let cut = digest.char_indices().nth(19).map_or(digest.len(), |(i, _)| i);
    if cut < digest.len() { format!("{}…", &digest[..cut]) } else { digest.to_string() }
}
