//! The diagnostics of a document: every rule family, then settings (off / severity) and inline
//! suppressions, applied in this one place.

use std::path::Path;

use crate::analysis::catalogue::Rule;
use crate::analysis::diagnostic::Diagnostic;
use crate::analysis::dockerfile_model::Model;
use crate::analysis::image_facts::ImageFacts;
use crate::analysis::memo::DockerfileMemo;
use crate::analysis::rules;
use crate::analysis::settings::{Level, RuleSettings};
use crate::analysis::suppression::Suppressions;
use crate::analysis::workspace::Workspace;
use crate::syntax::ci_yaml;
use crate::syntax::deploy::{self, ComposeCommand, ScriptKind, Snippet};
use crate::syntax::dockerfile::Dockerfile;
use crate::syntax::file_kind::{FileKind, ScriptSyntax};
use crate::syntax::yaml::Yaml;

/// The diagnostics of a Dockerfile, sorted by position.
pub fn dockerfile(file: &Dockerfile, text: &str, facts: &ImageFacts, settings: &RuleSettings) -> Vec<Diagnostic> {
    let model = Model::build(file);
    let mut found = Vec::new();
    rules::image::check(&model, facts, &mut found);
    rules::packages::check(file, &mut found);
    rules::remote::check(file, &mut found);
    rules::volumes::check(file, &model, facts, &mut found);
    finish(found, text, settings, |offset| file.instruction_at(offset).map_or(offset, |l| l.start as usize))
}

/// [`dockerfile`], reusing what `memo` remembers from the analyses of earlier versions of the
/// same document: after an edit, only what the edit can change is computed again. Gives
/// exactly what [`dockerfile`] gives; `facts` and `settings` may differ from call to call.
pub fn dockerfile_incremental(
    file: &Dockerfile,
    text: &str,
    facts: &ImageFacts,
    settings: &RuleSettings,
    memo: &mut DockerfileMemo,
) -> Vec<Diagnostic> {
    let Some(found) = memo.findings(file, facts) else {
        return dockerfile(file, text, facts, settings);
    };
    finish(found, text, settings, |offset| file.instruction_at(offset).map_or(offset, |l| l.start as usize))
}

/// The diagnostics of the compose file at `path` in the workspace.
pub fn compose(workspace: &Workspace, path: &Path, facts: &ImageFacts, settings: &RuleSettings) -> Vec<Diagnostic> {
    let Some(file) = workspace.get(path) else { return Vec::new() };
    let Some(compose) = workspace.compose(path) else { return Vec::new() };
    let mut found = Vec::new();
    rules::compose::check(workspace, path, &compose, &file.text, facts, &mut found);
    finish(found, &file.text, settings, |offset| offset)
}

/// The shell snippets and compose commands of a deploy script or CI file.
pub fn deploy_commands(workspace: &Workspace, path: &Path) -> Option<(Vec<Snippet>, Vec<ComposeCommand>)> {
    let file = workspace.get(path)?;
    let snippets = match file.kind {
        FileKind::Script(ScriptSyntax::Shell) => deploy::snippets(ScriptKind::Shell, &file.text),
        FileKind::Script(ScriptSyntax::Jenkinsfile) => deploy::snippets(ScriptKind::Jenkinsfile, &file.text),
        FileKind::Script(ScriptSyntax::Makefile) => deploy::snippets(ScriptKind::Makefile, &file.text),
        FileKind::CiYaml(flavor) => ci_yaml::snippets(flavor, &Yaml::parse(&file.text), &file.text),
        _ => return None,
    };
    let commands = deploy::find(&snippets);
    Some((snippets, commands))
}

/// The diagnostics of the deploy script (or CI file) at `path`.
pub fn deploy(workspace: &Workspace, path: &Path, facts: &ImageFacts, settings: &RuleSettings) -> Vec<Diagnostic> {
    let Some(file) = workspace.get(path) else { return Vec::new() };
    let Some((snippets, commands)) = deploy_commands(workspace, path) else { return Vec::new() };
    let mut found = Vec::new();
    rules::deploy::check(workspace, path, &snippets, &commands, facts, &mut found);
    finish(found, &file.text, settings, |offset| offset)
}

/// Settings and suppressions, in one place. `owner_start` maps a finding's offset to the start
/// of what holds it (a Dockerfile instruction), so a pragma on the line before that counts too.
fn finish(
    mut found: Vec<Diagnostic>,
    text: &str,
    settings: &RuleSettings,
    owner_start: impl Fn(usize) -> usize,
) -> Vec<Diagnostic> {
    let suppressions = Suppressions::scan(text);
    // Looked up once per rule, not once per finding.
    let levels = Rule::ALL.map(|rule| settings.configured(rule));
    debug_assert!(Rule::ALL.iter().enumerate().all(|(i, &rule)| rule as usize == i));
    found.retain_mut(|d| {
        // A configured level replaces the severity a rule chose (some rules have variants, such
        // as "cannot tell" at information); `off` drops the finding.
        match levels[d.rule as usize] {
            Some(Level::Off) => return false,
            Some(Level::On(severity)) => d.severity = severity,
            None => {}
        }
        let offset = d.range.start as usize;
        suppressions.is_empty() || !suppressions.is_suppressed(d.rule.code(), offset, owner_start(offset))
    });
    found.sort_by_key(|a| (a.range.start, a.range.end, a.rule));
    // An ARG default used by several FROMs is reported once.
    found.dedup_by(|a, b| a.rule == b.rule && a.range == b.range);
    found
}
