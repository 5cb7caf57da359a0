//! Publishing without redoing the previous publish. LSP has no partial publish: every version
//! re-sends all of a document's diagnostics (2,374 of them, 1.2 MB of JSON, on the 10,000-line
//! benchmark file). But a one-character edit leaves almost all of them on the same line and
//! column, so their JSON is the same bytes. Each document keeps its last render (diagnostics
//! and their JSON); the edits since then ([`EditLog`]) tell which offsets kept their line and
//! column, and a diagnostic found again there is copied, not converted and serialised again.

use std::fmt::Write as _;
use std::sync::Arc;

use tower_lsp_server::ls_types as lsp;

use crate::analysis::Diagnostic;
use crate::lsp::output::Body;
use crate::text::Encoding;

/// Edits remembered between two renders; more than this and the next render starts afresh.
const MAX_LOGGED_EDITS: usize = 32;

/// One applied change, in the offsets of the text right after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditShift {
    pub start: usize,
    /// End of the replaced text, before the edit.
    pub old_end: usize,
    /// End of the inserted text, after the edit.
    pub new_end: usize,
    /// The edit added or removed a line break (or touched a `\r` that a `\n` may now follow).
    pub lines_changed: bool,
    /// Just past the first line break at or after `new_end`: offsets from here on are on a
    /// later line than the edit, so their columns did not move.
    pub break_end: usize,
}

impl EditShift {
    /// Describes replacing `old_end - start` bytes at `start` with `inserted`, given the text
    /// before (`removed`: what was replaced) and the whole text after the edit.
    pub fn new(start: usize, removed: &str, inserted: &str, after: &str) -> EditShift {
        let has_break = |s: &str| s.bytes().any(|b| b == b'\n' || b == b'\r');
        let cr_before = start > 0 && after.as_bytes().get(start - 1) == Some(&b'\r');
        let new_end = start + inserted.len();
        let rest = &after.as_bytes()[new_end.min(after.len())..];
        let break_end = match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => new_end + i + 2,
            Some(i) => new_end + i + 1,
            None => usize::MAX,
        };
        EditShift {
            start,
            old_end: start + removed.len(),
            new_end,
            lines_changed: has_break(removed) || has_break(inserted) || cr_before,
            break_end,
        }
    }

    /// The offset before this edit of `offset` (after it), if it kept its line and column.
    fn back(&self, offset: usize) -> Option<usize> {
        if offset <= self.start {
            Some(offset)
        } else if offset >= self.new_end && offset >= self.break_end && !self.lines_changed {
            Some(offset - self.new_end + self.old_end)
        } else {
            None
        }
    }
}

/// The edits of a document since the render `base`.
#[derive(Debug, Clone, Default)]
pub struct EditLog {
    base: u64,
    edits: Vec<EditShift>,
    /// False when edits were forgotten (too many, or the whole text replaced).
    complete: bool,
}

impl EditLog {
    /// A log of edits made after the render `base`.
    pub fn since(base: u64) -> EditLog {
        EditLog { base, edits: Vec::new(), complete: true }
    }

    pub fn record(&mut self, edit: EditShift) {
        if self.edits.len() >= MAX_LOGGED_EDITS {
            self.complete = false;
            self.edits.clear();
        }
        if self.complete {
            self.edits.push(edit);
        }
    }

    /// The offset in the rendered text of `offset` (in the text now), if it kept its line and
    /// column through every edit.
    fn back(&self, offset: usize) -> Option<usize> {
        self.edits.iter().rev().try_fold(offset, |at, edit| edit.back(at))
    }
}

/// What one render of a document's diagnostics produced.
#[derive(Debug, Default)]
pub struct Rendered {
    id: u64,
    encoding: Option<Encoding>,
    diagnostics: Vec<Diagnostic>,
    /// The JSON of each diagnostic, shared with the message being written. The next render
    /// takes the strings back without copying them once the writer is done, which it is by
    /// the time a client has read the message and answered with an edit.
    json: Arc<Vec<String>>,
    /// How many diagnostics the last render copied from the one before (for tests and benches).
    pub reused: usize,
}

impl Rendered {
    /// Renders `found` (sorted by range and rule, as analysis returns them) as render `id`.
    /// Diagnostics of `previous` are reused when `log` leads from it to this text; the others go
    /// through `to_lsp` and are serialised.
    pub fn render(
        previous: Option<Rendered>,
        log: &EditLog,
        id: u64,
        encoding: Encoding,
        found: Vec<Diagnostic>,
        mut to_lsp: impl FnMut(&Diagnostic) -> lsp::Diagnostic,
    ) -> Rendered {
        let mut old = match previous {
            Some(p) if p.id == log.base && log.complete && p.encoding == Some(encoding) => Old {
                json: Arc::try_unwrap(p.json).unwrap_or_else(|still_written| Vec::clone(&still_written)),
                diagnostics: p.diagnostics,
                next: 0,
            },
            _ => Old::default(),
        };
        let mut reused = 0;
        let json = found
            .iter()
            .map(|diagnostic| match old.reusable(diagnostic, log) {
                Some(json) => {
                    reused += 1;
                    json
                }
                None => serde_json::to_string(&to_lsp(diagnostic)).unwrap_or_default(),
            })
            .collect();
        Rendered { id, encoding: Some(encoding), diagnostics: found, json: Arc::new(json), reused }
    }

    /// The diagnostics of this render (in the analysed text's offsets).
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter()
    }

    /// The `textDocument/publishDiagnostics` message of this render.
    pub fn message(&self, uri: &lsp::Uri, version: Option<i32>) -> Body {
        publish_message(uri, version, self.json.clone())
    }
}

/// The previous render, taken apart for reuse.
#[derive(Default)]
struct Old {
    diagnostics: Vec<Diagnostic>,
    json: Vec<String>,
    /// Where the walk through `diagnostics` is.
    next: usize,
}

impl Old {
    /// The JSON of the previous render's diagnostic that `diagnostic` repeats at the same
    /// lines and columns. The old diagnostics are sorted like the ones asked for, and walked once.
    fn reusable(&mut self, diagnostic: &Diagnostic, log: &EditLog) -> Option<String> {
        if self.diagnostics.is_empty() || diagnostic.related.iter().any(|r| r.path.is_some()) {
            return None;
        }
        let start = log.back(diagnostic.range.start as usize)?;
        let end = log.back(diagnostic.range.end as usize)?;
        let key = (start, end, diagnostic.rule);
        while let Some(d) = self.diagnostics.get(self.next) {
            if (d.range.start as usize, d.range.end as usize, d.rule) >= key {
                break;
            }
            self.next += 1;
        }
        let d = self.diagnostics.get(self.next)?;
        let same = (d.range.start as usize, d.range.end as usize, d.rule) == key
            && d.severity == diagnostic.severity
            && (Arc::ptr_eq(&d.message, &diagnostic.message) || d.message == diagnostic.message)
            && d.related.len() == diagnostic.related.len()
            && d.related.iter().zip(&diagnostic.related).all(|(was, now)| {
                was.path.is_none()
                    && (Arc::ptr_eq(&was.message, &now.message) || was.message == now.message)
                    && log.back(now.range.start as usize) == Some(was.range.start as usize)
                    && log.back(now.range.end as usize) == Some(was.range.end as usize)
            });
        let json = self.json.get_mut(self.next)?;
        (same && !json.is_empty()).then(|| std::mem::take(json))
    }
}

/// A `publishDiagnostics` notification of protocol diagnostics (a few: closes, settings file,
/// the too-large note), serialised here.
pub fn protocol_message(uri: &lsp::Uri, version: Option<i32>, diagnostics: &[lsp::Diagnostic]) -> Body {
    let json = diagnostics.iter().map(|d| serde_json::to_string(d).unwrap_or_default()).collect();
    publish_message(uri, version, Arc::new(json))
}

/// A `publishDiagnostics` notification from diagnostics already serialised.
fn publish_message(uri: &lsp::Uri, version: Option<i32>, diagnostics: Arc<Vec<String>>) -> Body {
    let mut head = String::from(r#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"#);
    head.push_str(&serde_json::to_string(uri.as_str()).unwrap_or_else(|_| "\"\"".into()));
    if let Some(v) = version {
        let _ = write!(head, r#","version":{v}"#);
    }
    head.push_str(r#","diagnostics":["#);
    Body::joined(head.into_bytes(), diagnostics, b"]}}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::settings::RuleSettings;
    use crate::analysis::workspace::Workspace;
    use crate::analysis::{ImageFacts, diagnostics};
    use crate::lsp::convert;
    use crate::lsp::document::{Change, Document};
    use crate::syntax::file_kind::FileKind;
    use crate::text::LineCol;
    use proptest::prelude::*;

    const TEXT: &str = "FROM ubuntu:latest AS é😀\r\nRUN apt-get install -y curl && \\\n  curl https://x.sh | sh\nFROM node\nVOLUME /data\nRUN echo hi > /data/x\nADD https://example.com/a.tgz /a\n";

    fn doc(text: &str) -> Document {
        Document::new("file:///w/Dockerfile".parse().unwrap(), FileKind::Dockerfile, text.into(), 1)
    }

    /// Renders the document's diagnostics as render `id`, after `previous`, with its edit log.
    fn render(doc: &mut Document, previous: Option<Rendered>, id: u64) -> Rendered {
        let log = std::mem::replace(&mut doc.edits, EditLog::since(id));
        let found = diagnostics::dockerfile(
            doc.dockerfile.as_ref().unwrap(),
            &doc.text,
            &ImageFacts::default(),
            &RuleSettings::default(),
        );
        let mut others = convert::OtherFiles::new();
        let (uri, rope) = (doc.uri.clone(), doc.rope.clone());
        Rendered::render(previous, &log, id, Encoding::Utf16, found, |d| {
            convert::diagnostic(&uri, &rope, d, Encoding::Utf16, &Workspace::default(), &mut others)
        })
    }

    fn fresh(doc: &Document) -> Vec<u8> {
        let mut copy = Document::new(doc.uri.clone(), FileKind::Dockerfile, doc.text.to_string(), 1);
        render(&mut copy, None, u64::MAX).message(&doc.uri, Some(7)).to_bytes()
    }

    fn edit(doc: &mut Document, (l1, c1): (u32, u32), (l2, c2): (u32, u32), text: &str) {
        let range = Some((LineCol { line: l1, col: c1 }, LineCol { line: l2, col: c2 }));
        let _ = doc.apply(&Change { range, text }, Encoding::Utf16);
    }

    #[test]
    fn a_keystroke_reuses_every_diagnostic_off_its_line() {
        let mut doc = doc(TEXT);
        let first = render(&mut doc, None, 1);
        assert_eq!(first.reused, 0);
        let total = first.diagnostics.len();
        assert!(total >= 6, "{total}");
        // Typing in the `node` tag: only the findings of line 3 are new.
        edit(&mut doc, (3, 9), (3, 9), "x");
        let second = render(&mut doc, Some(first), 2);
        let on_line_3 = second.json.iter().filter(|j| j.contains(r#""line":3"#)).count();
        assert_eq!(second.reused, second.json.len() - on_line_3);
        assert_eq!(second.message(&doc.uri, Some(7)).to_bytes(), fresh(&doc));
        // A new line moves everything below it: nothing after it is reused.
        edit(&mut doc, (1, 0), (1, 0), "\n");
        let third = render(&mut doc, Some(second), 3);
        assert_eq!(third.message(&doc.uri, Some(7)).to_bytes(), fresh(&doc));
        let before_edit = third.diagnostics.iter().filter(|d| d.range.end as usize <= TEXT.find('\n').unwrap()).count();
        assert_eq!(third.reused, before_edit);
        // A log that does not start at the previous render (a render was lost) reuses nothing.
        edit(&mut doc, (4, 6), (4, 6), "y");
        let lost = render(&mut doc, Some(third), 99);
        edit(&mut doc, (4, 6), (4, 7), "");
        doc.edits = EditLog::since(98);
        assert_eq!(render(&mut doc, Some(lost), 100).reused, 0);
    }

    proptest! {
        /// Random edits (UTF-16 positions, CRLF, non-ASCII, line breaks), rendered every one to
        /// four edits on top of the previous render: the message is always the fresh one's.
        #[test]
        fn incremental_renders_equal_fresh_ones(
            edits in prop::collection::vec(
                (0u32..9, 0u32..40, 0u32..3, 0u32..6, "[a-z:é😀 \\\\\n\r/|]{0,3}", 0u32..4), 1..25)
        ) {
            let mut doc = doc(TEXT);
            let mut rendered = Some(render(&mut doc, None, 1));
            let mut id = 1;
            for (line, col, lines, cols, text, render_now) in edits {
                edit(&mut doc, (line, col), (line + lines, if lines == 0 { col + cols } else { cols }), &text);
                if render_now == 0 {
                    id += 1;
                    let next = render(&mut doc, rendered.take(), id);
                    prop_assert_eq!(String::from_utf8(next.message(&doc.uri, Some(7)).to_bytes()).unwrap(), String::from_utf8(fresh(&doc)).unwrap());
                    rendered = Some(next);
                }
            }
        }
    }
}
