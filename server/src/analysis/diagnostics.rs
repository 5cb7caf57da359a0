//! The diagnostics of a document: every rule family, then settings (off / severity) and inline
//! suppressions, applied in this one place.

use crate::analysis::diagnostic::Diagnostic;
use crate::analysis::dockerfile_model::Model;
use crate::analysis::image_facts::ImageFacts;
use crate::analysis::rules;
use crate::analysis::settings::RuleSettings;
use crate::analysis::suppression::Suppressions;
use crate::syntax::dockerfile::Dockerfile;

/// The diagnostics of a Dockerfile, sorted by position.
pub fn dockerfile(
    file: &Dockerfile,
    text: &str,
    facts: &ImageFacts,
    settings: &RuleSettings,
) -> Vec<Diagnostic> {
    let model = Model::build(file);
    let mut found = Vec::new();
    rules::image::check(&model, &mut found);
    rules::packages::check(file, &mut found);
    rules::remote::check(file, &mut found);
    rules::volumes::check(file, &model, facts, &mut found);
    finish(found, file, text, settings)
}

fn finish(
    mut found: Vec<Diagnostic>,
    file: &Dockerfile,
    text: &str,
    settings: &RuleSettings,
) -> Vec<Diagnostic> {
    let suppressions = Suppressions::scan(text);
    found.retain_mut(|d| {
        let Some(severity) = settings.severity(d.rule) else {
            return false;
        };
        d.severity = severity;
        let instruction_start = file
            .instruction_at(d.range.start as usize)
            .map_or(d.range.start as usize, |l| l.start as usize);
        !suppressions.is_suppressed(d.rule.code(), d.range.start as usize, instruction_start)
    });
    found.sort_by(|a, b| {
        (a.range.start, a.range.end, a.rule).cmp(&(b.range.start, b.range.end, b.rule))
    });
    // An ARG default used by several FROMs is reported once.
    found.dedup_by(|a, b| a.rule == b.rule && a.range == b.range);
    found
}
