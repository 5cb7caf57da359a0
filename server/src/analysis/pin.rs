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
        .map(|p| Action {
            preferred: !p.title.starts_with("Keep"),
            title: p.title,
            rule: p.rule,
            diagnostic: p.at,
            edits: vec![p.edit],
        })
        .collect()
}

/// Unpinned images overlapping `range` whose digest nobody has looked up yet: the ranges of
/// their findings. The server offers these as actions resolved later (`codeAction/resolve`).
pub fn pending(workspace: &Workspace, path: &Path, range: TextRange, facts: &ImageFacts) -> Vec<TextRange> {
    let overlaps = |r: TextRange| r.start <= range.end && range.start <= r.end;
    let Some(file) = workspace.get(path) else { return Vec::new() };
    let mut out = Vec::new();
    let mut consider = |value: &str, platform: Option<&str>, at: TextRange| {
        let unpinned = ImageRef::parse(value).is_ok_and(|i| i.digest.is_none());
        if unpinned && overlaps(at) && facts.lookup(&facts_key(value, platform)).is_none() {
            out.push(at);
        }
    };
    match file.kind {
        FileKind::Dockerfile => {
            let Some(tree) = file.dockerfile() else { return Vec::new() };
            let model = Model::build(tree);
            for u in &model.images {
                let literal = file.text[u.written.as_range()] == u.expansion.value;
                let at = if literal {
                    Some(u.written)
                } else {
                    model
                        .global_args
                        .iter()
                        .find(|a| {
                            a.default_range.and_then(|r| file.text.get(r.as_range()))
                                == Some(u.expansion.value.as_str())
                        })
                        .and_then(|a| a.default_range)
                };
                if let Some(at) = at {
                    consider(&u.expansion.value, u.platform.as_deref(), at);
                }
            }
        }
        FileKind::Compose => {
            let Some(compose) = workspace.compose(path) else { return Vec::new() };
            for image in compose.services.iter().filter(|s| s.build.is_none()).filter_map(|s| s.image.as_ref()) {
                let quote = usize::from(file.text[image.range.as_range()].starts_with(['"', '\'']));
                let inner = TextRange::new(image.range.start as usize + quote, image.range.end as usize - quote);
                if image.resolved && file.text[inner.as_range()] == image.value {
                    consider(&image.value, None, inner);
                }
            }
        }
        _ => {}
    }
    out
}

/// Literal images with a channel tag (`latest`) or none, overlapping `range`: worth a "pin to
/// the version tag with the same digest" (the registry's tag list says which).
pub fn version_pin_targets(workspace: &Workspace, path: &Path, range: TextRange) -> Vec<TextRange> {
    let overlaps = |r: TextRange| r.start <= range.end && range.start <= r.end;
    let Some(file) = workspace.get(path) else { return Vec::new() };
    let floating = |value: &str| {
        ImageRef::parse(value).is_ok_and(|i| {
            i.digest.is_none()
                && i.tag.is_none_or(|t| {
                    crate::analysis::tags::classify_tag(&i, &value[t.as_range()])
                        == crate::analysis::tags::TagKind::Channel
                })
        })
    };
    let mut out = Vec::new();
    match file.kind {
        FileKind::Dockerfile => {
            let Some(tree) = file.dockerfile() else { return out };
            for u in &Model::build(tree).images {
                if overlaps(u.written)
                    && file.text[u.written.as_range()] == u.expansion.value
                    && floating(&u.expansion.value)
                {
                    out.push(u.written);
                }
            }
        }
        FileKind::Compose => {
            let Some(compose) = workspace.compose(path) else { return out };
            for image in compose.services.iter().filter(|s| s.build.is_none()).filter_map(|s| s.image.as_ref()) {
                let quote = usize::from(file.text[image.range.as_range()].starts_with(['"', '\'']));
                let inner = TextRange::new(image.range.start as usize + quote, image.range.end as usize - quote);
                if overlaps(inner) && file.text[inner.as_range()] == image.value && floating(&image.value) {
                    out.push(inner);
                }
            }
        }
        _ => {}
    }
    out
}

/// The edit that turns `value` (written at `written`) into `name:version@digest`.
pub fn version_pin_edit(value: &str, written: TextRange, version: &str, digest: &str) -> Option<TextEdit> {
    let image = ImageRef::parse(value).ok()?;
    let start = written.start as usize;
    let range = match image.tag {
        Some(tag) => TextRange::new(start + tag.start as usize, written.end as usize),
        None => TextRange::empty(written.end as usize),
    };
    let new_text = if image.tag.is_some() { format!("{version}@{digest}") } else { format!(":{version}@{digest}") };
    Some(TextEdit { range, new_text })
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
            let mut pins: Vec<Pin> =
                model.images.iter().filter_map(|u| dockerfile_pin(&model, u, &file.text, facts)).collect();
            pins.extend(
                model.images.iter().filter(|u| file.text[u.written.as_range()] == u.expansion.value).filter_map(|u| {
                    keep_pinned(&u.expansion.value, u.platform.as_deref(), u.written, &file.text, facts)
                }),
            );
            pins
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
                    (file.text[inner.as_range()] == image.value).then(|| {
                        [
                            pin_at(&image.value, None, inner, inner, facts),
                            keep_pinned(&image.value, None, inner, &file.text, facts),
                        ]
                    })
                })
                .flatten()
                .flatten()
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

/// "Keep the pinned digest": a comment above the line saying what changed between the pinned
/// image and what the tag points at now, and a pragma that silences `image-pin-stale` there.
fn keep_pinned(value: &str, platform: Option<&str>, written: TextRange, text: &str, facts: &ImageFacts) -> Option<Pin> {
    let image = ImageRef::parse(value).ok()?;
    let (pinned, tag) = (image.digest?, image.tag?);
    let tagged = facts_key(&value[..tag.end as usize], platform);
    let now = facts.found(&tagged).filter(|f| !f.digest.is_empty() && f.digest != value[pinned.as_range()])?;
    let line_start = text[..written.start as usize].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let mut lines = vec![format!(
        "driftls: keeping {} although the tag now points at {}.",
        short(&value[pinned.as_range()]),
        short(&now.digest)
    )];
    match facts.found(&facts_key(value, platform)) {
        Some(old) => {
            let changes = crate::analysis::hover::config_changes(&old.config, &now.config);
            if changes.is_empty() {
                lines.push("The configs and histories of both read the same.".into());
            } else {
                lines.push("What changed (- pinned, + now):".into());
                lines.extend(changes.iter().take(20).map(|c| format!("  {c}")));
                if changes.len() > 20 {
                    lines.push(format!("  … and {} more", changes.len() - 20));
                }
            }
        }
        None => lines.push("(the pinned image's config was not read; hover the image for details)".into()),
    }
    lines.push("driftls-ignore: image-pin-stale".into());
    let block: String = lines.iter().map(|l| format!("{indent}# {l}\n")).collect();
    let range =
        TextRange::new(written.start as usize + pinned.start as usize, written.start as usize + pinned.end as usize);
    Some(Pin {
        edit: TextEdit { range: TextRange::empty(line_start), new_text: block },
        at: range,
        title: "Keep the pinned digest, and note what changed".into(),
        rule: Rule::ImagePinStale,
    })
}

/// `sha256:0123456789ab…`
fn short(digest: &str) -> String {
    let cut = digest.char_indices().nth(19).map_or(digest.len(), |(i, _)| i);
    if cut < digest.len() { format!("{}…", &digest[..cut]) } else { digest.to_string() }
}
