//! `volume-write-after-declare`: build steps that write at or under a path an earlier
//! `VOLUME` declared, in the same stage, a local parent stage, or the base image (from image
//! facts). The legacy builder discards such writes, BuildKit keeps them, and at run time a
//! volume created earlier hides them. `volume-inherited`: a `FROM` whose base (image or local
//! stage) already declares volumes, which nothing in this file shows.

use crate::analysis::catalogue::Rule;
use crate::analysis::diagnostic::{Anchored, Diagnostic, Where};
use crate::analysis::dockerfile_model::{Base, ImageUse, Model};
use crate::analysis::image_facts::ImageFacts;
use crate::syntax::dockerfile::{Dockerfile, Flag, Instruction, Kind};
use crate::syntax::shell::Command;
use crate::syntax::words::Word;

/// A declared volume: its normalised path, where it was declared, and by what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Volume {
    path: String,
    declared_at: Where,
    declared_by: String,
    /// The base image's history step that declared it (`history step 2 of 3: VOLUME [/usr/app]`).
    history: Option<String>,
}

/// What the volume rules know at a point of a stage. Its places are [`Where`]s, so the state
/// after an instruction does not change when an edit elsewhere moves the instructions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StageState {
    volumes: Vec<Volume>,
    /// The working directory, when known.
    workdir: Option<String>,
}

impl StageState {
    /// The state of `FROM scratch`: nothing declared, at `/`.
    pub fn scratch() -> StageState {
        StageState { volumes: Vec::new(), workdir: Some("/".into()) }
    }

    pub fn has_volumes(&self) -> bool {
        !self.volumes.is_empty()
    }
}

/// How an instruction takes part in the volume rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `VOLUME`, `WORKDIR`: changes the state.
    Changes,
    /// `COPY`, `ADD`, `RUN`: may write under a volume (only when there is one).
    Writes,
    Ignored,
}

pub(crate) fn role(instruction: &Instruction) -> Role {
    match instruction.kind {
        Kind::Volume(_) | Kind::Workdir(_) => Role::Changes,
        Kind::Copy(_) | Kind::Add(_) | Kind::Run(_) => Role::Writes,
        _ => Role::Ignored,
    }
}

pub fn check(file: &Dockerfile, model: &Model, facts: &ImageFacts, out: &mut Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut finished: Vec<StageState> = Vec::with_capacity(model.stages.len());
    for stage in &model.stages {
        let from = &file.instructions[stage.from].instruction;
        let mut state = match stage.base {
            Base::Stage(parent) => finished.get(parent).cloned().unwrap_or_default(),
            Base::Scratch => StageState::scratch(),
            Base::Unresolved => StageState::default(),
            Base::Image => match model.images.iter().find(|u| u.instruction == stage.from) {
                Some(image_use) => base_image_state(image_use, stage.from, from, facts),
                None => StageState::default(),
            },
        };
        found.extend(inherited(stage.from, from, &stage.base, &state));
        for i in stage.body.clone() {
            step(i, &file.instructions[i].instruction, &mut state, &mut found);
        }
        finished.push(state);
    }
    out.extend(found.into_iter().map(|a| a.into_placed(|at| file.instructions[at].start as usize)));
}

/// The state a stage on a registry image starts with: the image's volumes (from image facts),
/// declared at the image of the `FROM` at `at`.
pub(crate) fn base_image_state(image_use: &ImageUse, at: usize, from: &Instruction, facts: &ImageFacts) -> StageState {
    let Some(config) = facts.config(&image_use.facts_key()) else {
        return StageState::default();
    };
    let Kind::From(f) = &from.kind else {
        return StageState::default();
    };
    let volumes = config
        .volumes
        .iter()
        .filter_map(|v| resolve(v, Some("/")).map(|path| (v, path)))
        .map(|(declared, path)| Volume {
            declared_at: Where { at, range: f.image.range },
            declared_by: format!("the base image `{}`", image_use.expansion.value),
            history: config.volume_step(declared).map(|(step, entry)| {
                format!("history step {} of {}: `{}`", step + 1, config.history.len(), entry.created_by.trim())
            }),
            path,
        })
        .collect();
    StageState { volumes, workdir: config.working_dir.clone().or(Some("/".into())) }
}

/// `volume-inherited` for the `FROM` at `at`, whose stage starts with `state`.
pub(crate) fn inherited(at: usize, from: &Instruction, base: &Base, state: &StageState) -> Option<Anchored> {
    if matches!(base, Base::Scratch | Base::Unresolved) || state.volumes.is_empty() {
        return None;
    }
    let Kind::From(from) = &from.kind else { return None };
    let volumes = &state.volumes;
    let paths: Vec<String> = volumes.iter().map(|v| format!("`{}`", v.path)).collect();
    let by: Vec<String> = volumes
        .iter()
        .map(|v| match (v.declared_by.as_str(), &v.history) {
            ("VOLUME", _) => format!("`{}` by a VOLUME of a parent stage", v.path),
            (_, Some(step)) => format!("`{}` in its {step}", v.path),
            (_, None) => format!("`{}` by the image or one of its ancestors", v.path),
        })
        .collect();
    let mut diagnostic = Anchored::new(
        Diagnostic::new(
            Rule::VolumeInherited,
            from.image.range,
            format!(
                "`{}` declares VOLUME {} ({}). Files the build writes there may be discarded, and every container \
                 gets an anonymous volume there that `docker compose up` re-attaches on each deploy: mount a named volume \
                 or a bind mount at that path, or write elsewhere.",
                from.image.value,
                paths.join(", "),
                by.join("; ")
            ),
        ),
        at,
    );
    for v in volumes.iter().filter(|v| v.declared_by == "VOLUME") {
        diagnostic = diagnostic.with_related(v.declared_at, format!("`{}` is declared a volume here", v.path));
    }
    Some(diagnostic)
}

/// One instruction of a stage body (the one at `at`): updates `state`, reports writes under
/// a volume.
pub(crate) fn step(at: usize, instruction: &Instruction, state: &mut StageState, out: &mut Vec<Anchored>) {
    match &instruction.kind {
        Kind::Volume(paths) => {
            for p in paths {
                if let Some(path) = resolve(&p.value, state.workdir.as_deref()) {
                    state.volumes.push(Volume {
                        path,
                        declared_at: Where { at, range: p.range },
                        declared_by: "VOLUME".into(),
                        history: None,
                    });
                }
            }
        }
        Kind::Workdir(w) => state.workdir = resolve(&w.value, state.workdir.as_deref()),
        Kind::Copy(c) | Kind::Add(c) if !state.volumes.is_empty() => {
            let keyword = if matches!(instruction.kind, Kind::Copy(_)) { "COPY" } else { "ADD" };
            if let Some(d) = write_under_volume(&c.dest, state, &[]) {
                out.push(diagnostic(keyword, Where { at, range: c.dest.range }, &d.0, d.1));
            }
        }
        Kind::Run(run) if !state.volumes.is_empty() => {
            let mounts = mount_targets(&run.flags);
            let hit = run
                .scripts
                .iter()
                .flat_map(|s| s.commands().iter())
                .flat_map(written_paths)
                .find_map(|w| write_under_volume(w, state, &mounts).map(|d| (w, d)));
            if let Some((word, (path, volume))) = hit {
                out.push(diagnostic("RUN", Where { at, range: word.range }, &path, volume));
            }
        }
        _ => {}
    }
}

fn diagnostic(keyword: &str, place: Where, path: &str, volume: &Volume) -> Anchored {
    let declared = if volume.declared_by == "VOLUME" {
        format!("`VOLUME {}` declared earlier", volume.path)
    } else {
        let step = volume.history.as_ref().map(|h| format!(" ({h})")).unwrap_or_default();
        format!("{}{step} declares `VOLUME {}`", volume.declared_by, volume.path)
    };
    Anchored::new(
        Diagnostic::new(
            Rule::VolumeWriteAfterDeclare,
            place.range,
            format!(
                "{keyword} writes to `{path}`, but {declared}: the legacy builder discards this write, BuildKit keeps it, \
                 and at run time an existing volume hides it. Write before declaring the VOLUME, or drop the VOLUME and mount a named volume."
            ),
        ),
        place.at,
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
