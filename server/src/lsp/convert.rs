//! Analysis types → protocol types. Positions go through `crate::text` with the negotiated
//! encoding.

use ropey::Rope;
use tower_lsp_server::ls_types as lsp;

use crate::analysis::workspace::Workspace;
use crate::analysis::{Diagnostic, Severity};
use crate::syntax::TextRange;
use crate::text::{self, Encoding, LineCol};

pub fn range(rope: &Rope, range: TextRange, encoding: Encoding) -> lsp::Range {
    let start = text::line_col(rope, range.start as usize, encoding);
    let end = text::line_col(rope, range.end as usize, encoding);
    lsp::Range { start: position(start), end: position(end) }
}

pub fn position(at: LineCol) -> lsp::Position {
    lsp::Position { line: at.line, character: at.col }
}

pub fn line_col(p: lsp::Position) -> LineCol {
    LineCol { line: p.line, col: p.character }
}

pub fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
    }
}

/// Ropes of the other files related information points into, built once per publish.
pub type OtherFiles = std::collections::HashMap<std::path::PathBuf, Rope>;

/// A diagnostic of the document `uri` (text `rope`); related places in other files are looked
/// up in `workspace` (skipped when that file is unknown), their ropes kept in `others`.
pub fn diagnostic(
    uri: &lsp::Uri,
    rope: &Rope,
    d: &Diagnostic,
    encoding: Encoding,
    workspace: &Workspace,
    others: &mut OtherFiles,
) -> lsp::Diagnostic {
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            let location = match &r.path {
                None => lsp::Location { uri: uri.clone(), range: range(rope, r.range, encoding) },
                Some(path) => {
                    if !others.contains_key(path) {
                        others.insert(path.clone(), Rope::from_str(&workspace.get(path)?.text));
                    }
                    let other = others.get(path)?;
                    lsp::Location { uri: lsp::Uri::from_file_path(path)?, range: range(other, r.range, encoding) }
                }
            };
            Some(lsp::DiagnosticRelatedInformation { location, message: r.message.to_string() })
        })
        .collect();
    lsp::Diagnostic {
        range: range(rope, d.range, encoding),
        severity: Some(severity(d.severity)),
        code: Some(lsp::NumberOrString::String(d.rule.code().to_string())),
        source: Some("driftls".to_string()),
        message: d.message.to_string(),
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// Text edits of one document as a protocol `WorkspaceEdit`.
pub fn workspace_edit(
    uri: &lsp::Uri,
    rope: &Rope,
    edits: &[crate::syntax::deploy::TextEdit],
    encoding: Encoding,
) -> lsp::WorkspaceEdit {
    let edits = edits
        .iter()
        .map(|e| lsp::TextEdit { range: range(rope, e.range, encoding), new_text: e.new_text.clone() })
        .collect();
    lsp::WorkspaceEdit { changes: Some([(uri.clone(), edits)].into_iter().collect()), ..Default::default() }
}
