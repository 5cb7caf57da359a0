//! The analysis layer's own diagnostic type: byte ranges, no protocol types.

use std::fmt;
use std::sync::Arc;

use crate::analysis::catalogue::Rule;
use crate::syntax::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Hint,
    Information,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Information => "information",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "hint" => Some(Severity::Hint),
            "information" | "info" => Some(Severity::Information),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place related to a diagnostic (the `VOLUME` a write collides with): in the same file,
/// or in `path` (the Dockerfile a compose service builds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub path: Option<std::path::PathBuf>,
    pub range: TextRange,
    /// Shared, like [`Diagnostic::message`].
    pub message: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: Rule,
    pub severity: Severity,
    pub range: TextRange,
    /// Shared: a memoised finding is handed out again on every analysis without a copy.
    pub message: Arc<str>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    /// A diagnostic at the rule's default severity.
    pub fn new(rule: Rule, range: TextRange, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            severity: rule.default_severity(),
            range,
            message: Arc::from(message.into()),
            related: Vec::new(),
        }
    }

    pub fn with_related(mut self, range: TextRange, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related { path: None, range, message: Arc::from(message.into()) });
        self
    }

    pub fn with_related_in(
        mut self,
        path: &std::path::Path,
        range: TextRange,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.related.push(Related { path: Some(path.to_path_buf()), range, message: Arc::from(message.into()) });
        self
    }
}

/// A range inside one instruction, relative to its start, and which instruction: an index in
/// the file, or an instruction's address in the incremental analysis. It stays true when an
/// edit elsewhere moves the instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Where {
    pub at: usize,
    pub range: TextRange,
}

/// A diagnostic whose ranges are relative to the instructions that hold them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Anchored {
    /// Ranges relative to `at` (the main range) and `related_at` (each related range).
    pub diagnostic: Diagnostic,
    pub at: usize,
    pub related_at: Vec<usize>,
}

impl Anchored {
    /// A diagnostic about `range`, with no related places yet.
    pub fn new(diagnostic: Diagnostic, at: usize) -> Anchored {
        debug_assert!(diagnostic.related.is_empty());
        Anchored { diagnostic, at, related_at: Vec::new() }
    }

    pub fn with_related(mut self, place: Where, message: impl Into<String>) -> Anchored {
        self.diagnostic = self.diagnostic.with_related(place.range, message);
        self.related_at.push(place.at);
        self
    }

    /// The diagnostic with absolute ranges; `start_of` gives an instruction's start.
    pub fn place(&self, start_of: impl Fn(usize) -> usize) -> Diagnostic {
        let mut d = self.diagnostic.clone();
        d.range = d.range.shift(start_of(self.at));
        for (r, &at) in d.related.iter_mut().zip(&self.related_at) {
            r.range = r.range.shift(start_of(at));
        }
        d
    }

    /// [`Anchored::place`], without a copy.
    pub fn into_placed(self, start_of: impl Fn(usize) -> usize) -> Diagnostic {
        let mut d = self.diagnostic;
        d.range = d.range.shift(start_of(self.at));
        for (r, &at) in d.related.iter_mut().zip(&self.related_at) {
            r.range = r.range.shift(start_of(at));
        }
        d
    }
}
