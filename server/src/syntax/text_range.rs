//! Byte ranges into a text, like rust-analyzer's `TextRange`: small, `Copy`, and
//! convertible to editor positions in exactly one place (`crate::text::LineMap`).

use std::fmt;
use std::ops::Range;

/// A half-open byte range `start..end`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        debug_assert!(start <= end, "inverted range {start}..{end}");
        TextRange { start: start as u32, end: end.max(start) as u32 }
    }

    pub fn empty(at: usize) -> TextRange {
        TextRange::new(at, at)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The same range moved right by `offset` bytes (relative → absolute spans).
    pub fn shift(self, offset: usize) -> TextRange {
        TextRange::new(self.start as usize + offset, self.end as usize + offset)
    }

    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset < self.end as usize
    }

    pub fn as_range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl From<Range<usize>> for TextRange {
    fn from(r: Range<usize>) -> TextRange {
        TextRange::new(r.start, r.end)
    }
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
