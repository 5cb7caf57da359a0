//! Hovers: what a base image brings along (its inherited instructions and the config a
//! container starts with, from image facts), what a local stage chain sets, and what an
//! instruction keyword does. Markdown; pure like the rest of analysis.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::dockerfile_model::{Base, ImageUse, Model, facts_key};
use crate::analysis::history;
use crate::analysis::image_facts::{ImageConfig, ImageFacts, Lookup};
use crate::analysis::workspace::Workspace;
use crate::syntax::TextRange;
use crate::syntax::dockerfile::{Dockerfile, Keyword, Kind};
use crate::syntax::file_kind::FileKind;
use crate::syntax::image_ref::ImageRef;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    pub range: TextRange,
    pub markdown: String,
}

/// The hover at byte `offset` of the file at `path`.
pub fn hover(workspace: &Workspace, path: &Path, offset: usize, facts: &ImageFacts) -> Option<Hover> {
    let file = workspace.get(path)?;
    match file.kind {
        FileKind::Dockerfile => dockerfile_hover(file.dockerfile()?, &file.text, offset, facts),
        FileKind::Compose => {
            let compose = workspace.compose(path)?;
            let service = compose.services.iter().find(|s| {
                s.image.as_ref().is_some_and(|i| i.range.start as usize <= offset && offset <= i.range.end as usize)
            })?;
            let image = service.image.as_ref().filter(|i| i.resolved)?;
            if service.build.is_some() {
                return None;
            }
            let parsed = ImageRef::parse(&image.value).ok()?;
            Some(Hover { range: image.range, markdown: image_markdown(&image.value, &parsed, None, facts) })
        }
        _ => None,
    }
}

fn dockerfile_hover(file: &Dockerfile, text: &str, offset: usize, facts: &ImageFacts) -> Option<Hover> {
    let model = Model::build(file);
    let inside = |r: TextRange| r.start as usize <= offset && offset <= r.end as usize;
    if let Some(image_use) = model.images.iter().find(|u| inside(u.written)) {
        return Some(Hover {
            range: image_use.written,
            markdown: image_markdown(
                &image_use.expansion.value,
                &image_use.image,
                image_use.platform.as_deref(),
                facts,
            ),
        });
    }
    let located = file.instruction_at(offset)?;
    if let Kind::From(from) = &located.instruction.kind
        && inside(located.abs(from.image.range))
        && let Some(stage) = model.stages.iter().find(|s| s.from == file_index(file, located.start))
        && let Base::Stage(parent) = stage.base
    {
        return Some(Hover {
            range: located.abs(from.image.range),
            markdown: stage_chain_markdown(file, text, &model, parent, facts),
        });
    }
    let keyword = located.abs(located.instruction.keyword_range);
    if inside(keyword) {
        let about = keyword_doc(located.instruction.keyword)?;
        let name = &text[keyword.as_range()];
        return Some(Hover { range: keyword, markdown: format!("**{}**: {about}", name.to_ascii_uppercase()) });
    }
    None
}

fn file_index(file: &Dockerfile, start: u32) -> usize {
    file.instructions.iter().position(|l| l.start == start).unwrap_or(usize::MAX)
}

/// What building `stage` and its local ancestors sets, then the registry image at the root.
fn stage_chain_markdown(file: &Dockerfile, text: &str, model: &Model, stage: usize, facts: &ImageFacts) -> String {
    let mut chain = vec![stage];
    let mut current = stage;
    while let Base::Stage(parent) = model.stages[current].base {
        if chain.contains(&parent) {
            break;
        }
        chain.push(parent);
        current = parent;
    }
    let mut out = String::from("**Stage chain** (this stage builds on these, nearest first)\n");
    for &i in &chain {
        let s = &model.stages[i];
        let name = s.name.as_deref().unwrap_or("(unnamed)");
        let _ = writeln!(out, "\n`{name}` sets:\n```dockerfile");
        let mut any = false;
        for located in &file.instructions[s.body.clone()] {
            if matches!(
                located.instruction.keyword,
                Keyword::Env
                    | Keyword::Workdir
                    | Keyword::User
                    | Keyword::Volume
                    | Keyword::Entrypoint
                    | Keyword::Cmd
                    | Keyword::Expose
                    | Keyword::Onbuild
                    | Keyword::Healthcheck
                    | Keyword::Shell
                    | Keyword::Stopsignal
            ) {
                let line = text[located.range().as_range()].lines().next().unwrap_or("").trim();
                let _ = writeln!(out, "{line}");
                any = true;
            }
        }
        if !any {
            out.push_str("# (nothing a container inherits)\n");
        }
        out.push_str("```\n");
    }
    let root = &model.stages[*chain.last().unwrap_or(&stage)];
    if root.base == Base::Image
        && let Some(image_use) = model.images.iter().find(|u| u.instruction == root.from)
    {
        let _ = write!(
            out,
            "\n---\n{}",
            image_markdown(&image_use.expansion.value, &image_use.image, image_use.platform.as_deref(), facts)
        );
    }
    out
}

/// The hover of one image reference: what it resolves to and what it brings along.
pub fn image_markdown(value: &str, image: &ImageRef, platform: Option<&str>, facts: &ImageFacts) -> String {
    let mut out = String::new();
    let normalised = normalised(value, image);
    let _ = writeln!(out, "**`{normalised}`**\n");
    let tagged = image.digest.map(|d| value[..d.start as usize].trim_end_matches('@').to_string());
    let pinned = image.digest.map(|d| &value[d.as_range()]);
    match (
        facts.lookup(&facts_key(value, platform)),
        tagged.as_deref().filter(|t| t.contains(':') || image.tag.is_some()),
    ) {
        (Some(Lookup::NotFound), _) => {
            out.push_str("The registry says this image does not exist.\n");
            return out;
        }
        (None, _) => {
            out.push_str("*resolving…* (the registry has not answered yet; hover again in a moment)\n");
            return out;
        }
        (Some(Lookup::Found(found)), tag) => {
            let current = match tag {
                Some(tagged) => facts.found(&facts_key(tagged, platform)).map(|f| f.digest.clone()),
                None if pinned.is_none() => Some(found.digest.clone()),
                None => None,
            };
            match (pinned, current.as_deref()) {
                (Some(p), Some(now)) if !now.is_empty() && p != now => {
                    let _ = writeln!(out, "Pinned `{p}` is **stale**: the tag now resolves to `{now}`.\n");
                }
                (Some(p), Some(_)) => {
                    let _ = writeln!(out, "Pinned `{p}`: current.\n");
                }
                (Some(p), None) => {
                    let _ = writeln!(out, "Pinned `{p}`.\n");
                }
                (None, Some(now)) if !now.is_empty() => {
                    let _ = writeln!(out, "Resolves now to `{now}` (not pinned: pin it as `{value}@{now}`).\n");
                }
                _ => {}
            }
            if !found.platforms.is_empty() {
                let _ = writeln!(
                    out,
                    "Platforms: {} (shown: `{}`)\n",
                    found.platforms.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
                    found.platform.as_deref().unwrap_or("?")
                );
            }
            if let Some(created) = &found.config.created {
                let _ = writeln!(out, "Created: {created}\n");
            }
            out.push_str(&config_markdown(&found.config));
        }
    }
    out
}

/// `python:3.12` → `docker.io/library/python:3.12`.
fn normalised(value: &str, image: &ImageRef) -> String {
    let mut out = format!("{}/{}", image.domain, image.path);
    if let Some(tag) = image.tag {
        let _ = write!(out, ":{}", &value[tag.as_range()]);
    }
    if let Some(digest) = image.digest {
        let _ = write!(out, "@{}", &value[digest.as_range()]);
    }
    out
}

/// Inherited instructions, oldest first, then the effective config.
pub fn config_markdown(config: &ImageConfig) -> String {
    let mut out = String::new();
    if !config.volumes.is_empty() {
        let _ = writeln!(
            out,
            "⚠ **Declares `VOLUME {}`**: what a build writes there after this may be discarded, and compose gives \
             every container an anonymous volume there that `up` re-attaches, so new image content at that path \
             never shows. Mount a named volume or a bind mount there.\n",
            json_list(&config.volumes)
        );
    }
    if !config.on_build.is_empty() {
        let _ = writeln!(out, "⚠ **ONBUILD triggers** run in *this* build, right after `FROM`:\n```dockerfile");
        for trigger in &config.on_build {
            let _ = writeln!(out, "{trigger}");
        }
        out.push_str("```\n\n");
    }
    if !config.history.is_empty() {
        out.push_str("Inherited instructions (oldest first):\n```dockerfile\n");
        for entry in &config.history {
            let _ = writeln!(out, "{}", history::instruction(&entry.created_by));
        }
        out.push_str("```\n\n");
    }
    out.push_str("A container starts with:\n```dockerfile\n");
    for env in &config.env {
        let _ = writeln!(out, "ENV {env}");
    }
    if let Some(dir) = config.working_dir.as_deref().filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "WORKDIR {dir}");
    }
    let _ = writeln!(out, "USER {}", config.user.as_deref().filter(|u| !u.is_empty()).unwrap_or("root (default)"));
    if !config.volumes.is_empty() {
        let _ = writeln!(out, "VOLUME {}", json_list(&config.volumes));
    }
    if !config.exposed_ports.is_empty() {
        let _ = writeln!(out, "EXPOSE {}", config.exposed_ports.join(" "));
    }
    for (keyword, value) in
        [("ENTRYPOINT", &config.entrypoint), ("CMD", &config.cmd), ("HEALTHCHECK CMD", &config.healthcheck)]
    {
        if let Some(list) = value {
            let _ = writeln!(out, "{keyword} {}", json_list(list));
        }
    }
    if let Some(signal) = &config.stop_signal {
        let _ = writeln!(out, "STOPSIGNAL {signal}");
    }
    if let Some(shell) = &config.shell {
        let _ = writeln!(out, "SHELL {}", json_list(shell));
    }
    let (known, others): (Vec<_>, Vec<_>) =
        config.labels.iter().partition(|(k, _)| k.starts_with("org.opencontainers.image."));
    for (key, value) in known {
        let _ = writeln!(out, "LABEL {key}={value:?}");
    }
    out.push_str("```\n");
    if !others.is_empty() {
        let _ = writeln!(out, "\nand {} other label(s).", others.len());
    }
    out
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_default().replace("\",\"", "\", \"")
}

/// What each instruction does, in a line (our own words).
fn keyword_doc(keyword: Keyword) -> Option<&'static str> {
    Some(match keyword {
        Keyword::From => {
            "starts a build stage from an image (`--platform=` picks the platform, `AS name` names the stage). The tag is resolved when the build runs, so an unpinned tag can build a different image next time."
        }
        Keyword::Run => {
            "runs a command in a new layer (`--mount=type=cache|secret|bind`, `--network=`). Whatever it downloads is whatever the server sends that day."
        }
        Keyword::Copy => {
            "copies files from the build context, a stage or an image (`--from=`, `--chown=`, `--chmod=`, `--link`)."
        }
        Keyword::Add => {
            "like COPY, and also fetches URLs and git repositories and unpacks local archives (`--checksum=` verifies a URL)."
        }
        Keyword::Env => "sets environment variables for later instructions and for the container.",
        Keyword::Arg => {
            "declares a build argument (`--build-arg`); before the first FROM it can be used in FROM lines."
        }
        Keyword::Workdir => "sets the working directory for later instructions and the container (created if missing).",
        Keyword::User => "sets the user (and group) for later RUN, CMD and ENTRYPOINT.",
        Keyword::Volume => {
            "declares mount points: at run time each gets a volume (anonymous unless mounted), and build steps after it may not change its content."
        }
        Keyword::Expose => "documents the ports the container listens on; it publishes nothing.",
        Keyword::Entrypoint => "sets the program the container runs; CMD becomes its arguments.",
        Keyword::Cmd => "sets the default command (or the ENTRYPOINT's default arguments).",
        Keyword::Label => "adds metadata to the image.",
        Keyword::Healthcheck => "sets how the container's health is checked (`--interval`, `--timeout`, `--retries`).",
        Keyword::Shell => "sets the shell for the shell form of RUN, CMD and ENTRYPOINT.",
        Keyword::Stopsignal => "sets the signal that stops the container.",
        Keyword::Onbuild => "registers an instruction that runs in builds that use this image as their base.",
        Keyword::Maintainer => "deprecated: use `LABEL org.opencontainers.image.authors=…`.",
        _ => return None,
    })
}

/// The image use at `offset`, for actions that edit it.
pub fn image_use_at(model: &Model, offset: usize) -> Option<&ImageUse> {
    model.images.iter().find(|u| u.written.start as usize <= offset && offset <= u.written.end as usize)
}
