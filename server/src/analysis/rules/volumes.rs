//! `volume-write-after-declare`: build steps that write at or under a path an earlier
//! `VOLUME` declared, in the same stage, a local parent stage, or the base image (from image
//! facts). The legacy builder discards such writes, BuildKit keeps them, and at run time a
//! volume created earlier hides them. `volume-inherited`: a `FROM` whose base (image or local
//! stage) already declares volumes, which nothing in this file shows.

use crate::analysis::catalogue::Rule;
use crate::analysis::diagnostic::Diagnostic;
use crate::analysis::dockerfile_model::{Base, Model};
use crate::analysis::image_facts::ImageFacts;
use crate::syntax::TextRange;
use crate::syntax::dockerfile::{Dockerfile, Flag, Kind};
use crate::syntax::shell::Command;
use crate::syntax::words::Word;

/// A declared volume: its normalised path, where it was declared, and by what.
#[derive(Debug, Clone)]
struct Volume {
    path: String,
    declared_at: TextRange,
    declared_by: String,
    /// The base image's history step that declared it (`history step 2 of 3: VOLUME [/usr/app]`).
    history: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct StageState {
    volumes: Vec<Volume>,
    /// The working directory, when known.
    workdir: Option<String>,
}

pub fn check(file: &Dockerfile, model: &Model, facts: &ImageFacts, out: &mut Vec<Diagnostic>) {
    let mut finished: Vec<StageState> = Vec::with_capacity(model.stages.len());
    for stage in &model.stages {
        let mut state = match stage.base {
            Base::Stage(parent) => finished.get(parent).cloned().unwrap_or_default(),
            Base::Scratch => StageState { volumes: Vec::new(), workdir: Some("/".into()) },
            Base::Unresolved => StageState::default(),
            Base::Image => base_image_state(model, stage.from, facts),
        };
        if !matches!(stage.base, Base::Scratch | Base::Unresolved)
            && !state.volumes.is_empty()
            && let Kind::From(from) = &file.instructions[stage.from].instruction.kind
        {
            let range = match stage.base {
                Base::Image => model.images.iter().find(|u| u.instruction == stage.from).map(|u| u.written),
                _ => None,
            };
            let range = range.unwrap_or_else(|| file.instructions[stage.from].abs(from.image.range));
            out.push(inherited(range, &from.image.value, &state.volumes));
        }
        for i in stage.body.clone() {
            let located = &file.instructions[i];
            match &located.instruction.kind {
                Kind::Volume(paths) => {
                    for p in paths {
                        if let Some(path) = resolve(&p.value, state.workdir.as_deref()) {
                            state.volumes.push(Volume {
                                path,
                                declared_at: located.abs(p.range),
                                declared_by: "VOLUME".into(),
                                history: None,
                            });
                        }
                    }
                }
                Kind::Workdir(w) => state.workdir = resolve(&w.value, state.workdir.as_deref()),
                Kind::Copy(c) | Kind::Add(c) if !state.volumes.is_empty() => {
                    let keyword = if matches!(located.instruction.kind, Kind::Copy(_)) { "COPY" } else { "ADD" };
                    if let Some(d) = write_under_volume(&c.dest, &state, &[]) {
                        out.push(diagnostic(keyword, located.abs(c.dest.range), &d.0, d.1));
                    }
                }
                Kind::Run(run) if !state.volumes.is_empty() => {
                    let mounts = mount_targets(&run.flags);
                    let hit = run
                        .scripts
                        .iter()
                        .flat_map(|s| s.commands().iter())
                        .flat_map(written_paths)
                        .find_map(|w| write_under_volume(w, &state, &mounts).map(|d| (w, d)));
                    if let Some((word, (path, volume))) = hit {
                        out.push(diagnostic("RUN", located.abs(word.range), &path, volume));
                    }
                }
                _ => {}
            }
        }
        finished.push(state);
    }
}

fn base_image_state(model: &Model, from: usize, facts: &ImageFacts) -> StageState {
    let Some(image_use) = model.images.iter().find(|u| u.instruction == from) else {
        return StageState::default();
    };
    let Some(config) = facts.config(&image_use.facts_key()) else {
        return StageState::default();
    };
    let volumes = config
        .volumes
        .iter()
        .filter_map(|v| resolve(v, Some("/")).map(|path| (v, path)))
        .map(|(declared, path)| Volume {
            declared_at: image_use.written,
            declared_by: format!("the base image `{}`", image_use.expansion.value),
            history: config.volume_step(declared).map(|(step, entry)| {
                format!("history step {} of {}: `{}`", step + 1, config.history.len(), entry.created_by.trim())
            }),
            path,
        })
        .collect();
    StageState { volumes, workdir: config.working_dir.clone().or(Some("/".into())) }
}

fn inherited(range: TextRange, base: &str, volumes: &[Volume]) -> Diagnostic {
    let paths: Vec<String> = volumes.iter().map(|v| format!("`{}`", v.path)).collect();
    let by: Vec<String> = volumes
        .iter()
        .map(|v| match (v.declared_by.as_str(), &v.history) {
            ("VOLUME", _) => format!("`{}` by a VOLUME of a parent stage", v.path),
            (_, Some(step)) => format!("`{}` in its {step}", v.path),
            (_, None) => format!("`{}` by the image or one of its ancestors", v.path),
        })
        .collect();
    let mut diagnostic = Diagnostic::new(
        Rule::VolumeInherited,
        range,
        format!(
            "`{base}` declares VOLUME {} ({}). Files the build writes there may be discarded, and every container \
             gets an anonymous volume there that `docker compose up` re-attaches on each deploy: mount a named volume \
             or a bind mount at that path, or write elsewhere.",
            paths.join(", "),
            by.join("; ")
        ),
    );
    for v in volumes.iter().filter(|v| v.declared_by == "VOLUME") {
        diagnostic = diagnostic.with_related(v.declared_at, format!("`{}` is declared a volume here", v.path));
    }
    diagnostic
}

fn diagnostic(keyword: &str, range: TextRange, path: &str, volume: &Volume) -> Diagnostic {
    let declared = if volume.declared_by == "VOLUME" {
        format!("`VOLUME {}` declared earlier", volume.path)
    } else {
        let step = volume.history.as_ref().map(|h| format!(" ({h})")).unwrap_or_default();
        format!("{}{step} declares `VOLUME {}`", volume.declared_by, volume.path)
    };
    Diagnostic::new(
        Rule::VolumeWriteAfterDeclare,
        range,
        format!(
            "{keyword} writes to `{path}`, but {declared}: the legacy builder discards this write, BuildKit keeps it, \
             and at run time an existing volume hides it. Write before declaring the VOLUME, or drop the VOLUME and mount a named volume."
        ),
    )
    .with_related(volume.declared_at, format!("`{}` is declared a volume here", volume.path))
}

/// The path `word` writes to, resolved, and the volume it falls under.
fn write_under_volume<'a>(word: &Word, state: &'a StageState, mounts: &[String]) -> Option<(String, &'a Volume)> {
    let path = resolve(&word.value, state.workdir.as_deref())?;
    if mounts.iter().any(|m| is_under(&path, m)) {
        return None;
    }
    state.volumes.iter().find(|v| is_under(&path, &v.path)).map(|v| (path.clone(), v))
}

fn is_under(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// An absolute, normalised path (`.`/`..` and repeated `/` removed), or `None` when it
/// depends on a variable or an unknown working directory.
fn resolve(path: &str, workdir: Option<&str>) -> Option<String> {
    if path.contains('$') || path.is_empty() {
        return None;
    }
    let joined = if path.starts_with('/') { path.to_string() } else { format!("{}/{path}", workdir?) };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// Targets of `RUN --mount=…,target=…`: writes there go to the mount, not the image.
fn mount_targets(flags: &[Flag]) -> Vec<String> {
    flags
        .iter()
        .filter(|f| f.name == "mount")
        .filter_map(|f| f.value.as_ref())
        .filter_map(|v| {
            v.value.split(',').find_map(|kv| {
                let (k, t) = kv.split_once('=')?;
                matches!(k, "target" | "dst" | "destination").then(|| resolve(t, Some("/"))).flatten()
            })
        })
        .collect()
}

/// Words a command writes to: redirection targets and the destination operands of common
/// file-writing programs.
fn written_paths(command: &Command) -> Vec<&Word> {
    let mut out: Vec<&Word> =
        command.redirects.iter().filter(|r| r.op.contains('>') && !r.op.contains('&')).map(|r| &r.target).collect();
    out.retain(|w| !w.value.starts_with("/dev/"));
    let Some(program) = command.program() else {
        return out;
    };
    let args = command.args();
    let operands: Vec<&Word> = args.iter().filter(|a| !a.value.starts_with('-')).collect();
    let value_of = |names: &[&str]| -> Option<&Word> {
        args.iter().position(|a| names.contains(&a.value.as_str())).and_then(|i| args.get(i + 1))
    };
    match program {
        "mkdir" | "touch" | "rm" | "rmdir" | "tee" | "truncate" | "ln" => out.extend(operands),
        "chmod" | "chown" | "chgrp" => out.extend(operands.into_iter().skip(1)),
        "cp" | "mv" | "install" | "rsync" => out.extend(operands.last().copied()),
        "tar" => out.extend(value_of(&["-C", "--directory"])),
        "unzip" => out.extend(value_of(&["-d"])),
        "curl" => out.extend(value_of(&["-o", "--output"])),
        "wget" => out.extend(value_of(&["-O", "--output-document", "-P", "--directory-prefix"])),
        "git" if operands.first().is_some_and(|o| o.value == "clone") => out.extend(operands.get(2).copied()),
        _ => {}
    }
    out
}
