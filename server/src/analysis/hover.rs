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
            if let Some(hover) = build_target_hover(workspace, path, &compose, offset, facts) {
                return Some(hover);
            }
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
    if let Some(hover) = variable_hover(file, text, &model, offset, facts) {
        return Some(hover);
    }
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

/// `build.target` of a compose service: the stage it names, and what that stage leaves.
fn build_target_hover(
    workspace: &Workspace,
    path: &Path,
    compose: &crate::analysis::compose::ComposeFile,
    offset: usize,
    facts: &ImageFacts,
) -> Option<Hover> {
    let (service, target) = compose.services.iter().find_map(|s| {
        let target = s.build.as_ref()?.target.as_ref()?;
        (target.range.start as usize <= offset && offset <= target.range.end as usize).then_some((s, target))
    })?;
    let build = service.build.as_ref()?;
    let dockerfile = crate::analysis::workspace::build_paths(path.parent()?, build)?.1?;
    let tree = workspace.get(&dockerfile)?.dockerfile()?;
    let text = &workspace.get(&dockerfile)?.text;
    let model = Model::build(tree);
    let stage = model.stages.iter().position(|s| s.name.as_deref() == Some(&target.value.to_ascii_lowercase()))?;
    let name = dockerfile.file_name().and_then(|n| n.to_str()).unwrap_or("Dockerfile");
    let from_line = text[tree.instructions[model.stages[stage].from].range().as_range()].lines().next().unwrap_or("");
    let markdown = format!(
        "Builds stage `{}` of `{name}`: `{}`\n\n---\n{}",
        target.value,
        from_line.trim(),
        stage_chain_markdown(tree, text, &model, stage, facts)
    );
    Some(Hover { range: target.range, markdown })
}

/// `$NAME` / `${NAME}` at `offset`: its value from the `ARG`s and `ENV`s before it, down to
/// the base image's `ENV`.
fn variable_hover(file: &Dockerfile, text: &str, model: &Model, offset: usize, facts: &ImageFacts) -> Option<Hover> {
    let line_start = text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let dollar = text[line_start..offset.min(text.len())].rfind('$')? + line_start;
    let rest = &text[dollar + 1..];
    let (name, len) = if let Some(braced) = rest.strip_prefix('{') {
        let name: String = braced.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let close = braced[name.len()..].find('}').map_or(name.len(), |i| name.len() + i + 1);
        (name, close + 2)
    } else {
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let len = name.len() + 1;
        (name, len)
    };
    if name.is_empty() || offset > dollar + len {
        return None;
    }
    let range = TextRange::new(dollar, dollar + len);
    let index = file.instructions.iter().position(|l| l.range().as_range().contains(&offset))?;
    let value = variable_value(file, model, index, &name, facts);
    let markdown = match value {
        Some((value, from)) => format!("`{name}` = `{value}`\n\n({from})"),
        None => format!("`{name}` has no value here: no `ARG` or `ENV` before this line sets it, nor the base image."),
    };
    Some(Hover { range, markdown })
}

fn variable_value(
    file: &Dockerfile,
    model: &Model,
    index: usize,
    name: &str,
    facts: &ImageFacts,
) -> Option<(String, String)> {
    let Some(stage) = model.stage_of(index) else {
        // Before the first FROM: a global ARG.
        let arg = model.global_args.iter().rev().find(|a| a.name == name)?;
        return Some((arg.default.clone().unwrap_or_default(), "a global `ARG` default".into()));
    };
    if model.stages[stage].from == index {
        let arg = model.global_args.iter().rev().find(|a| a.name == name)?;
        return Some((arg.default.clone().unwrap_or_default(), "a global `ARG` default".into()));
    }
    // This stage up to the line, then each parent stage whole, then the base image.
    let mut stage = stage;
    let mut end = index;
    let mut seen = Vec::new();
    loop {
        let current = &model.stages[stage];
        let own = if seen.is_empty() { "this stage" } else { "a parent stage" };
        for located in file.instructions[current.from + 1..end].iter().rev() {
            match &located.instruction.kind {
                Kind::Env(pairs) => {
                    if let Some(pair) = pairs.iter().rev().find(|p| p.key.value == name) {
                        return Some((pair.value.value.to_string(), format!("set by `ENV` in {own}")));
                    }
                }
                Kind::Arg(decls) if seen.is_empty() => {
                    if let Some(decl) = decls.iter().rev().find(|d| d.name.value == name) {
                        let value = decl.default.as_ref().map(|d| d.value.to_string()).or_else(|| {
                            model.global_args.iter().rev().find(|a| a.name == name).and_then(|a| a.default.clone())
                        });
                        let from = "an `ARG` of this stage (overridable with --build-arg)".to_string();
                        return Some((value.unwrap_or_default(), from));
                    }
                }
                _ => {}
            }
        }
        seen.push(stage);
        match current.base {
            Base::Stage(parent) if !seen.contains(&parent) => {
                stage = parent;
                end = model.stages[parent].body.end;
            }
            Base::Image => {
                let base = model.images.iter().find(|u| u.instruction == current.from)?;
                let config = facts.config(&base.facts_key())?;
                return config.env.iter().rev().find_map(|e| {
                    let (k, v) = e.split_once('=')?;
                    (k == name).then(|| (v.to_string(), format!("`ENV` inherited from `{}`", base.expansion.value)))
                });
            }
            _ => return None,
        }
    }
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
            if let Some(age) = found.cached_for.filter(|a| a.as_secs() >= 60) {
                let _ = writeln!(out, "*From the disk cache: the registry said this {} ago.*\n", human(age));
            }
            if let Some(created) = &found.config.created {
                let _ = writeln!(out, "Created: {created}\n");
            }
            out.push_str(&config_markdown(&found.config));
        }
    }
    out
}

/// `90 s` → `1 minute`, `3 h` → `3 hours`, …
fn human(age: std::time::Duration) -> String {
    let minutes = age.as_secs() / 60;
    let (n, unit) = match minutes {
        0..60 => (minutes, "minute"),
        60..2880 => (minutes / 60, "hour"),
        _ => (minutes / 1440, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
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

/// What changed between two configs of an image, as `- old` / `+ new` instruction lines:
/// the inherited instructions first, then the settings a container starts with.
pub fn config_changes(old: &ImageConfig, new: &ImageConfig) -> Vec<String> {
    let lines = |c: &ImageConfig| -> Vec<String> {
        let mut out: Vec<String> = c.history.iter().map(|h| history::instruction(&h.created_by)).collect();
        out.extend(c.env.iter().map(|e| format!("ENV {e}")));
        out.extend(c.working_dir.iter().map(|w| format!("WORKDIR {w}")));
        out.extend(c.user.iter().filter(|u| !u.is_empty()).map(|u| format!("USER {u}")));
        if !c.volumes.is_empty() {
            out.push(format!("VOLUME {}", json_list(&c.volumes)));
        }
        out.extend(c.entrypoint.iter().map(|e| format!("ENTRYPOINT {}", json_list(e))));
        out.extend(c.cmd.iter().map(|e| format!("CMD {}", json_list(e))));
        out
    };
    let (before, after) = (lines(old), lines(new));
    let mut changes: Vec<String> = before.iter().filter(|l| !after.contains(l)).map(|l| format!("- {l}")).collect();
    changes.extend(after.iter().filter(|l| !before.contains(l)).map(|l| format!("+ {l}")));
    let mut seen = std::collections::HashSet::new();
    changes.retain(|c| seen.insert(c.clone()));
    changes
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
