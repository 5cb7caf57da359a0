//! Quick fixes: text edits only, never a command run. Each is tied to the finding it fixes.
//! - `deploy-up-keeps-anonymous-volumes`: `--renew-anon-volumes`, `down` before, `down -v`
//!   before (named when it deletes named volumes, and then never preferred);
//! - `compose-bind-mount-owner`: add `user: "${UID:-1000}:${GID:-1000}"`;
//! - `compose-anonymous-volume` on a target-only entry: make it a named volume and declare it.

use std::path::Path;

use crate::analysis::catalogue::Rule;
use crate::analysis::compose::{ComposeFile, MountKind};
use crate::analysis::diagnostics;
use crate::analysis::image_facts::ImageFacts;
use crate::analysis::rules::deploy::{project_files, project_volumes};
use crate::analysis::settings::RuleSettings;
use crate::analysis::workspace::Workspace;
use crate::syntax::TextRange;
use crate::syntax::deploy::{self, TextEdit};

/// A fix: its title, the finding it fixes, and the edits to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub rule: Rule,
    /// The range of the finding it fixes.
    pub diagnostic: TextRange,
    pub edits: Vec<TextEdit>,
    pub preferred: bool,
}

/// Fixes for the findings of `path` that overlap `range`.
pub fn fixes(workspace: &Workspace, path: &Path, range: TextRange, facts: &ImageFacts) -> Vec<Action> {
    let Some(file) = workspace.get(path) else { return Vec::new() };
    let overlaps = |r: TextRange| r.start <= range.end && range.start <= r.end;
    let mut out = Vec::new();
    if file.yaml().is_some() {
        let Some(compose) = workspace.compose(path) else { return out };
        let found = diagnostics::compose(workspace, path, facts, &RuleSettings::default());
        for d in found.iter().filter(|d| overlaps(d.range)) {
            match d.rule {
                Rule::ComposeBindMountOwner => out.extend(add_user(&compose, &file.text, d.range)),
                Rule::ComposeAnonymousVolume => out.extend(name_the_volume(&compose, &file.text, d.range)),
                _ => {}
            }
        }
        return out;
    }
    let Some((snippets, commands)) = diagnostics::deploy_commands(workspace, path) else { return out };
    let found = diagnostics::deploy(workspace, path, facts, &RuleSettings::default());
    for d in found.iter().filter(|d| d.rule == Rule::DeployUpKeepsAnonymousVolumes && overlaps(d.range)) {
        let Some(cmd) = commands.iter().find(|c| c.range == d.range) else { continue };
        let named =
            project_files(workspace, path, cmd).map(|f| project_volumes(workspace, &f, facts).1).unwrap_or_default();
        let down = deploy::companion_command(cmd, &file.text, "down");
        let down_v = deploy::companion_command(cmd, &file.text, "down -v");
        out.push(Action {
            title: "Add --renew-anon-volumes to this `up` (renews anonymous volumes only)".into(),
            rule: d.rule,
            diagnostic: d.range,
            edits: vec![deploy::add_flag_after_subcommand(cmd, "--renew-anon-volumes")],
            preferred: true,
        });
        out.push(Action {
            title: format!("Run `{down}` before `up` (the old anonymous volume is left behind, not re-attached)"),
            rule: d.rule,
            diagnostic: d.range,
            edits: vec![deploy::insert_before(&snippets, &file.text, cmd, &down)],
            preferred: false,
        });
        let title = if named.is_empty() {
            format!("Run `{down_v}` before `up` (also removes the left-behind anonymous volumes)")
        } else {
            format!("Run `{down_v}` before `up`: deletes volumes {} with all their data", named.join(", "))
        };
        out.push(Action {
            title,
            rule: d.rule,
            diagnostic: d.range,
            edits: vec![deploy::insert_before(&snippets, &file.text, cmd, &down_v)],
            preferred: false,
        });
    }
    out
}

fn add_user(compose: &ComposeFile, text: &str, at: TextRange) -> Option<Action> {
    let service = compose.services.iter().find(|s| s.volumes.iter().any(|m| m.range == at))?;
    let line = format!("{}user: \"${{UID:-1000}}:${{GID:-1000}}\"\n", service.body_indent);
    let insert_at = service.body_insert_at.min(text.len());
    let new_text = if insert_at == text.len() && !text.ends_with('\n') { format!("\n{line}") } else { line };
    Some(Action {
        title: format!("Run service `{}` as your user: add `user: \"${{UID:-1000}}:${{GID:-1000}}\"`", service.name),
        rule: Rule::ComposeBindMountOwner,
        diagnostic: at,
        edits: vec![TextEdit { range: TextRange::empty(insert_at), new_text }],
        preferred: true,
    })
}

/// `- /app/node_modules` → `- app_node_modules:/app/node_modules`, declared at the top level.
fn name_the_volume(compose: &ComposeFile, text: &str, at: TextRange) -> Option<Action> {
    let (service, mount) =
        compose.services.iter().find_map(|s| s.volumes.iter().find(|m| m.range == at).map(|m| (s, m)))?;
    if mount.kind != MountKind::Anonymous || !mount.short || mount.inherited {
        return None;
    }
    let base: String =
        mount.target.trim_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let base = if base.is_empty() { format!("{}_data", service.name) } else { base };
    let mut name = base.clone();
    let mut n = 2;
    while compose.declares_volume(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    // The entry's scalar: replace its text (keeping quotes, if any).
    let raw = &text[at.as_range()];
    let target_at = raw.find(&mount.target)?;
    let entry = TextEdit {
        range: TextRange::new(at.start as usize + target_at, at.start as usize + target_at),
        new_text: format!("{name}:"),
    };
    let declare = match &compose.volumes_key {
        Some((key, indent)) => {
            let after = compose.volumes.iter().map(|v| v.range.end).max().unwrap_or(key.end) as usize;
            let line_end = crate::analysis::compose::line_end_after(text, after);
            let prefix = if line_end == text.len() && !text.ends_with('\n') { "\n" } else { "" };
            TextEdit { range: TextRange::empty(line_end), new_text: format!("{prefix}{indent}{name}:\n") }
        }
        None => {
            let prefix = if text.ends_with('\n') { "" } else { "\n" };
            TextEdit { range: TextRange::empty(text.len()), new_text: format!("{prefix}volumes:\n  {name}:\n") }
        }
    };
    Some(Action {
        title: format!("Make `{}` a named volume `{name}` (its content then persists across deploys)", mount.target),
        rule: Rule::ComposeAnonymousVolume,
        diagnostic: at,
        edits: vec![entry, declare],
        preferred: false,
    })
}
