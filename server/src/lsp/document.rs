//! An open document: its text (a rope for positions, a string for the parsers), its version,
//! and its syntax tree, updated incrementally on every change.

use ropey::Rope;

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::memo::DockerfileMemo;
use crate::analysis::workspace::{Parsed, SourceFile};
use crate::lsp::rendered::{EditLog, EditShift, Rendered};
use crate::syntax::TextRange;
use crate::syntax::dockerfile::Dockerfile;
use crate::syntax::file_kind::FileKind;
use crate::syntax::yaml::{EditPoints, Point, Yaml};
use crate::text::{self, Encoding, LineCol};

pub struct Document {
    pub uri: tower_lsp_server::ls_types::Uri,
    pub path: PathBuf,
    pub version: i32,
    pub kind: FileKind,
    pub rope: Rope,
    /// Shared with the snapshot being analysed; an edit after that analysis ended changes it in
    /// place (no copy of a 10,000-line file per keystroke).
    pub text: Arc<String>,
    /// The tree of a Dockerfile. Shared with the snapshot being analysed, like `text`: handing
    /// it over costs no copy of its 5,000 instructions.
    pub dockerfile: Option<Arc<Dockerfile>>,
    /// The YAML tree of a compose file.
    /// Shared with the workspace copy, so an edit does not copy the tree.
    pub yaml: Option<std::sync::Arc<Yaml>>,
    /// The findings last published (range and rule), for hovers that explain a rule.
    pub published: Vec<(crate::syntax::TextRange, crate::analysis::Rule)>,
    /// The last render of the diagnostics, and the edits since, so the next publish re-uses it.
    pub rendered: Option<Rendered>,
    pub edits: EditLog,
    /// What the last analysis of this Dockerfile remembers for the next one.
    pub memo: Option<DockerfileMemo>,
}

/// A change as the protocol sends it: a range (or none for the whole text) and new text.
pub struct Change<'a> {
    pub range: Option<(LineCol, LineCol)>,
    pub text: &'a str,
}

/// Why a change was not applied. The document is unchanged when this is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    /// The start is after the end.
    Inverted { start: LineCol, end: LineCol },
}

impl std::fmt::Display for ChangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeError::Inverted { start, end } => {
                write!(f, "change range starts at {}:{} after its end {}:{}", start.line, start.col, end.line, end.col)
            }
        }
    }
}

impl Document {
    pub fn new(uri: tower_lsp_server::ls_types::Uri, kind: FileKind, text: String, version: i32) -> Document {
        let dockerfile = (kind == FileKind::Dockerfile).then(|| Arc::new(Dockerfile::parse(&text)));
        let yaml = (kind == FileKind::Compose).then(|| std::sync::Arc::new(Yaml::parse(&text)));
        let path = uri.to_file_path().map(|p| p.into_owned()).unwrap_or_else(|| PathBuf::from(uri.path().as_str()));
        Document {
            uri,
            path,
            version,
            kind,
            rope: Rope::from_str(&text),
            text: Arc::new(text),
            dockerfile,
            yaml,
            published: Vec::new(),
            rendered: None,
            edits: EditLog::default(),
            memo: None,
        }
    }

    /// The document as a workspace file (it overrides the copy on disk).
    pub fn source(&self) -> SourceFile {
        let parsed = match (&self.dockerfile, &self.yaml) {
            (Some(tree), _) => Parsed::Dockerfile(Dockerfile::clone(tree)),
            (_, Some(yaml)) => Parsed::Compose(yaml.clone()),
            _ => return SourceFile::new(self.path.clone(), self.kind, self.text.to_string()),
        };
        SourceFile { path: self.path.clone(), kind: self.kind, text: self.text.to_string(), parsed }
    }

    fn point(&self, offset: usize) -> Point {
        let row = self.rope.byte_to_line(offset);
        Point { row, column: offset - self.rope.line_to_byte(row) }
    }

    /// Applies one change; returns whether a position had to be clamped (for the log).
    pub fn apply(&mut self, change: &Change<'_>, encoding: Encoding) -> Result<bool, ChangeError> {
        let Some((start, end)) = change.range else {
            *self = Document::new(self.uri.clone(), self.kind, change.text.to_string(), self.version);
            return Ok(false);
        };
        let s = text::offset(&self.rope, start, encoding);
        let e = text::offset(&self.rope, end, encoding);
        if s.offset > e.offset {
            return Err(ChangeError::Inverted { start, end });
        }
        let (start_point, old_end_point) = (self.point(s.offset), self.point(e.offset));
        let (start_char, end_char) = (self.rope.byte_to_char(s.offset), self.rope.byte_to_char(e.offset));
        self.rope.remove(start_char..end_char);
        self.rope.insert(start_char, change.text);
        let removed = self.text[s.offset..e.offset].to_string();
        Arc::make_mut(&mut self.text).replace_range(s.offset..e.offset, change.text);
        self.edits.record(EditShift::new(s.offset, &removed, change.text, &self.text));
        let old = TextRange::new(s.offset, e.offset);
        if let Some(tree) = &mut self.dockerfile {
            Arc::make_mut(tree).edit(old, change.text.len(), &self.text);
        }
        if self.yaml.is_some() {
            let points = EditPoints {
                start: start_point,
                old_end: old_end_point,
                new_end: self.point(s.offset + change.text.len()),
            };
            if let Some(yaml) = &mut self.yaml {
                *yaml = std::sync::Arc::new(yaml.edited(old, change.text.len(), points, &self.text));
            }
        }
        Ok(s.clamped || e.clamped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(text: &str) -> Document {
        Document::new("file:///Dockerfile".parse().unwrap(), FileKind::Dockerfile, text.into(), 1)
    }

    fn at(line: u32, col: u32) -> LineCol {
        LineCol { line, col }
    }

    #[test]
    fn inverted_range_is_rejected_and_nothing_changes() {
        let mut doc = doc("FROM a\n");
        let err = doc.apply(&Change { range: Some((at(0, 4), at(0, 2))), text: "x" }, Encoding::Utf16);
        assert!(err.is_err());
        assert_eq!(doc.text.as_str(), "FROM a\n");
    }

    proptest! {
        /// Random edits addressed in UTF-16 positions, as a client computes them, keep the rope,
        /// the string and the tree in step with a fresh parse.
        #[test]
        fn random_utf16_edits_stay_consistent(edits in prop::collection::vec((0u32..8, 0u32..30, 0u32..8, 0u32..30, "[a-zé😀 \\\\\n\r]{0,4}"), 1..30)) {
            let mut doc = doc("FROM a\r\nRUN é😀 \\\n  x\nCOPY <<EOF /x\n😀\nEOF\n");
            for (l1, c1, l2, c2, text) in edits {
                let (a, b) = if (l1, c1) <= (l2, c2) { (at(l1, c1), at(l2, c2)) } else { (at(l2, c2), at(l1, c1)) };
                let _ = doc.apply(&Change { range: Some((a, b)), text: &text }, Encoding::Utf16);
                prop_assert_eq!(doc.rope.to_string(), doc.text.to_string());
                let fresh = Dockerfile::parse(&doc.text);
                let tree = doc.dockerfile.as_ref().unwrap();
                let got: Vec<_> = tree.instructions.iter().map(|l| (l.start, l.instruction.clone())).collect();
                let want: Vec<_> = fresh.instructions.iter().map(|l| (l.start, l.instruction.clone())).collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}
