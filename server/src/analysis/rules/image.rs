//! Image drift: `image-untagged`, `image-latest`, `image-floating-tag`, `image-unpinned` and
//! `from-arg-unresolved` from the text; `image-pin-stale` and `image-not-found` from what the
//! registry said (image facts). When the image comes from an `ARG` default, the finding is
//! reported on the `ARG` line, where the fix goes.

use crate::analysis::catalogue::Rule;
use crate::analysis::diagnostic::Diagnostic;
use crate::analysis::dockerfile_model::{ImageUse, ImageUseKind, Model, facts_key};
use crate::analysis::image_facts::{ImageFacts, Lookup};
use crate::analysis::tags::{TagKind, classify_tag};
use crate::syntax::TextRange;

pub fn check(model: &Model, facts: &ImageFacts, out: &mut Vec<Diagnostic>) {
    for image_use in &model.images {
        check_image(model, image_use, out);
        check_registry(model, image_use, facts, out);
    }
    for unresolved in &model.unresolved {
        for (range, name, declared) in &unresolved.refs {
            out.push(unresolved_reference(*range, name, *declared));
        }
    }
}

/// `from-arg-unresolved` for the reference to `name` at `range` in a `FROM` image.
pub(crate) fn unresolved_reference(range: TextRange, name: &str, declared: bool) -> Diagnostic {
    let message = if declared {
        format!(
            "The base image depends on `${name}`, and `ARG {name}` has no default, so whoever runs the build chooses the image. \
             Give `ARG {name}` a default (ideally a digest-pinned reference) before the first FROM."
        )
    } else {
        format!(
            "`${name}` is not declared by an ARG before the first FROM, so the image is whatever the build passes (or empty). \
             Declare `ARG {name}=<image>` before the first FROM."
        )
    };
    Diagnostic::new(Rule::FromArgUnresolved, range, message)
}

pub fn check_image(model: &Model, image_use: &ImageUse, out: &mut Vec<Diagnostic>) {
    let image = &image_use.image;
    if image.digest.is_some() {
        return;
    }
    let value = &image_use.expansion.value;
    let name = &value[..image.tag.map_or(value.len(), |t| t.start as usize - 1)];
    let whole = TextRange::new(0, value.len());
    let site = |value_range: TextRange| Site::of(model, image_use, value_range);
    match image.tag {
        None => {
            let at = site(whole);
            out.push(Diagnostic::new(
                Rule::ImageUntagged,
                at.range,
                format!(
                    "{} has no tag, so it means `latest` and the next build can pull a different image. \
                     Add a release tag (`{name}:<version>`) and pin its digest.",
                    at.subject(value)
                ),
            ));
        }
        Some(tag_range) => {
            let tag = &value[tag_range.as_range()];
            match classify_tag(image, tag) {
                TagKind::Channel => {
                    let at = site(tag_range);
                    out.push(Diagnostic::new(
                        Rule::ImageLatest,
                        at.range,
                        format!(
                            "{} uses the channel tag `{tag}`, which points at a new image every release (and compose does not re-pull one it has). \
                             Use a release tag and pin its digest.",
                            at.subject(value)
                        ),
                    ));
                }
                TagKind::Series => {
                    let at = site(tag_range);
                    out.push(Diagnostic::new(
                        Rule::ImageFloatingTag,
                        at.range,
                        format!(
                            "{} names a series, not a release: `{tag}` moves to each new release in it, so the next build can get a different image. \
                             Use a full version tag (`{}`) and pin its digest.",
                            at.subject(value),
                            full_version_example(tag)
                        ),
                    ));
                }
                TagKind::Release => {}
            }
        }
    }
    let at = site(whole);
    let what = match image_use.kind {
        ImageUseKind::From => "the base image",
        ImageUseKind::CopyFrom => "the image COPY reads from",
        ImageUseKind::MountFrom => "the mounted image",
        ImageUseKind::Compose => "what the service runs",
    };
    out.push(Diagnostic::new(
        Rule::ImageUnpinned,
        at.range,
        format!(
            "{} is not pinned by digest, so a re-push of the tag silently changes {what}. \
             Pin it as `{value}@sha256:<digest>`.",
            at.subject(value)
        ),
    ));
}

/// `image-not-found` and `image-pin-stale`: what the registry answered for this image. Only an
/// answer counts: an image the registry was not asked about (offline, timeout) gives nothing.
pub fn check_registry(model: &Model, image_use: &ImageUse, facts: &ImageFacts, out: &mut Vec<Diagnostic>) {
    let image = &image_use.image;
    let value = &image_use.expansion.value;
    let whole = TextRange::new(0, value.len());
    let site = |value_range: TextRange| Site::of(model, image_use, value_range);
    if facts.lookup(&image_use.facts_key()) == Some(&Lookup::NotFound) {
        let at = site(whole);
        let what = if image.digest.is_some() { "this digest" } else { "this repository or tag" };
        out.push(Diagnostic::new(
            Rule::ImageNotFound,
            at.range,
            format!(
                "The registry answered that {what} does not exist: {} cannot be pulled. \
                 Check the name and tag (a private registry may also hide repositories you cannot read).",
                at.subject(value)
            ),
        ));
        return;
    }
    let (Some(digest_range), Some(tag_range)) = (image.digest, image.tag) else { return };
    let pinned = &value[digest_range.as_range()];
    let tagged = &value[..tag_range.end as usize];
    let Some(now) = facts.found(&facts_key(tagged, image_use.platform.as_deref())) else { return };
    if now.digest.is_empty() || now.digest == pinned {
        return;
    }
    let at = site(digest_range);
    out.push(Diagnostic::new(
        Rule::ImagePinStale,
        at.range,
        format!(
            "Drift detected: `{tagged}` now resolves to `{}`, not the pinned `{pinned}`: the tag was re-pushed. \
             Review what changed, then update the pin.",
            now.digest
        ),
    ));
}

/// Where a finding about part of an image value is reported.
struct Site<'a> {
    range: TextRange,
    /// The `ARG` whose default supplied that part, if any.
    arg: Option<&'a str>,
}

impl<'a> Site<'a> {
    fn of(model: &'a Model, image_use: &ImageUse, value_range: TextRange) -> Site<'a> {
        let last = (value_range.end as usize).saturating_sub(1).max(value_range.start as usize);
        let decisive =
            image_use.expansion.origin_at(value_range.start as usize).or_else(|| image_use.expansion.origin_at(last));
        if let Some(arg) = decisive.and_then(|name| model.global_arg(name))
            && let Some(default_range) = arg.default_range
        {
            return Site { range: default_range, arg: Some(&arg.name) };
        }
        Site { range: image_use.source_range(value_range), arg: None }
    }

    fn subject(&self, value: &str) -> String {
        match self.arg {
            Some(arg) => format!("`{value}` (from the default of ARG {arg})"),
            None => format!("`{value}`"),
        }
    }
}

/// `2.7` → `2.7.<patch>`, `20-slim` → `20.<minor>.<patch>-slim`, `bookworm` → `<version>-bookworm`.
fn full_version_example(tag: &str) -> String {
    let (version, rest) = tag.split_once('-').map_or((tag, ""), |(v, r)| (v, r));
    let dash = if rest.is_empty() { "" } else { "-" };
    if version.starts_with(|c: char| c.is_ascii_digit()) {
        let missing = 3usize.saturating_sub(version.split('.').count());
        let filler = ["<minor>", "<patch>"][2 - missing.min(2)..].join(".");
        format!("{version}.{filler}{dash}{rest}")
    } else {
        format!("<version>-{tag}")
    }
}
