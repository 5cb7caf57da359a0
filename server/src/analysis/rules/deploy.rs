//! `deploy-up-keeps-anonymous-volumes`: a `compose up` with no `down` before it in the same
//! script and no `-V`/`--renew-anon-volumes`, for a compose project that has a service with an
//! anonymous volume: the deploy keeps serving the old files (seed 000).

use std::path::{Path, PathBuf};

use crate::analysis::catalogue::Rule;
use crate::analysis::diagnostic::{Diagnostic, Severity};
use crate::analysis::image_facts::ImageFacts;
use crate::analysis::rules::compose::{AnonymousVolume, anonymous_volumes};
use crate::analysis::workspace::{Workspace, normalize};
use crate::syntax::deploy::{ComposeCommand, Snippet};
use crate::syntax::file_kind::is_compose_name;

/// The compose files a command runs, or `None` when they cannot be found.
pub fn project_files(workspace: &Workspace, script: &Path, cmd: &ComposeCommand) -> Option<Vec<PathBuf>> {
    let script_dir = script.parent().unwrap_or(Path::new("/"));
    // `cd DIR &&` and `--project-directory` move the base, when they name a local directory.
    let mut bases: Vec<PathBuf> = Vec::new();
    for dir in [cmd.project_directory.as_ref(), cmd.cd.as_ref()].into_iter().flatten() {
        let v = dir.value.as_str();
        if !v.starts_with('/') && !v.contains('$') {
            bases.push(normalize(&script_dir.join(v)));
        }
    }
    bases.push(script_dir.to_path_buf());
    if let Some(root) = &workspace.root {
        bases.push(root.clone());
    }
    if !cmd.files.is_empty() {
        for base in &bases {
            let found: Vec<PathBuf> = cmd
                .files
                .iter()
                .map(|f| normalize(&base.join(f.value.as_str())))
                .filter(|p| workspace.get(p).is_some_and(|f| f.yaml().is_some()))
                .collect();
            if found.len() == cmd.files.len() {
                return Some(found);
            }
        }
        return None;
    }
    for base in &bases {
        for name in ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"] {
            let candidate = base.join(name);
            if workspace.get(&candidate).is_some() {
                return Some(vec![candidate]);
            }
        }
    }
    // One compose file anywhere in the workspace is the project.
    let all: Vec<PathBuf> = workspace
        .compose_files()
        .map(|f| f.path.clone())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| is_compose_name(n) && !n.contains(".override."))
        })
        .collect();
    (all.len() == 1).then_some(all)
}

/// The anonymous volumes of a project's compose files, and its named volumes.
pub fn project_volumes(
    workspace: &Workspace,
    files: &[PathBuf],
    facts: &ImageFacts,
) -> (Vec<AnonymousVolume>, Vec<String>) {
    let mut anonymous = Vec::new();
    let mut named = Vec::new();
    for path in files {
        let Some(compose) = workspace.compose(path) else { continue };
        anonymous.extend(anonymous_volumes(workspace, path, &compose, facts));
        named.extend(compose.volumes.iter().filter(|v| !v.external).map(|v| v.name.clone()));
    }
    (anonymous, named)
}

/// Whether a `down` runs before `cmd` in the same script (group).
fn down_before(commands: &[ComposeCommand], snippets: &[Snippet], index: usize) -> bool {
    let group = snippets[commands[index].snippet].group;
    commands[..index].iter().any(|c| snippets[c.snippet].group == group && c.is("down"))
}

pub fn check(
    workspace: &Workspace,
    script: &Path,
    snippets: &[Snippet],
    commands: &[ComposeCommand],
    facts: &ImageFacts,
    out: &mut Vec<Diagnostic>,
) {
    for (i, cmd) in commands.iter().enumerate() {
        if !cmd.is("up") || cmd.renews_anon_volumes() || down_before(commands, snippets, i) {
            continue;
        }
        let Some(files) = project_files(workspace, script, cmd) else {
            let mut d = Diagnostic::new(
                Rule::DeployUpKeepsAnonymousVolumes,
                cmd.range,
                "driftls cannot tell which compose project this `up` runs, so it cannot tell whether stale anonymous volumes survive the deploy. \
                 Pass `-f <compose file>` with a path inside this workspace, or silence this with `# driftls-ignore: deploy-up-keeps-anonymous-volumes`.",
            );
            d.severity = Severity::Information;
            out.push(d);
            continue;
        };
        let (anonymous, _) = project_volumes(workspace, &files, facts);
        let Some(first) = anonymous.first() else { continue };
        let listed: Vec<String> =
            anonymous.iter().take(3).map(|v| format!("`{}` at `{}`", v.service, v.path)).collect();
        let more = if anonymous.len() > 3 { format!(" and {} more", anonymous.len() - 3) } else { String::new() };
        let mut d = Diagnostic::new(
            Rule::DeployUpKeepsAnonymousVolumes,
            cmd.range,
            format!(
                "This `up` re-attaches the anonymous volumes of {}{more}, so the deploy keeps serving the old files there. \
                 Add `--renew-anon-volumes`, or run `docker compose down` first.",
                listed.join(", ")
            ),
        );
        if let Some(compose) = files.first() {
            let range = workspace.compose(compose).and_then(|c| c.service(&first.service).map(|s| s.key_range));
            if let Some(range) = range {
                d = d.with_related_in(
                    compose,
                    range,
                    format!("service `{}` gets an anonymous volume at `{}`", first.service, first.path),
                );
            }
        }
        out.push(d);
    }
}
