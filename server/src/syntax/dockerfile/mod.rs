//! The Dockerfile syntax tree: directives plus a list of instructions, each parsed on its own.
//! Edits re-split and re-parse only the instructions they touch (see [`Dockerfile::edit`]).

pub mod instruction;
pub mod splitter;

use std::sync::Arc;

pub use instruction::{ArgDecl, Copy, EnvPair, Flag, From, Heredoc, Instruction, Keyword, Kind, Run, Source};
pub use splitter::{Directive, Directives};

use crate::syntax::TextRange;

/// An instruction and where it starts; the parsed part is shared between versions.
#[derive(Debug, Clone)]
pub struct Located {
    /// Start of the instruction's first line.
    pub start: u32,
    pub instruction: Arc<Instruction>,
}

impl Located {
    /// An instruction-relative range made absolute.
    pub fn abs(&self, range: TextRange) -> TextRange {
        range.shift(self.start as usize)
    }

    pub fn range(&self) -> TextRange {
        TextRange::new(self.start as usize, self.start as usize + self.instruction.len as usize)
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    pub directives: Directives,
    pub instructions: Vec<Located>,
}

/// Statistics of the last (re)parse, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReparseStats {
    pub reparsed: usize,
    pub reused: usize,
}

impl Dockerfile {
    pub fn parse(text: &str) -> Dockerfile {
        let directives = splitter::directives(text);
        let instructions = parse_from(text, directives.end, directives.escape, |_| false).0;
        Dockerfile { directives, instructions }
    }

    /// Updates the tree for an edit that replaced `old_range` of the old text; `new_text` is
    /// the whole text after the edit. Returns how much was reused.
    pub fn edit(&mut self, old_range: TextRange, inserted_len: usize, new_text: &str) -> ReparseStats {
        let (edit_start, edit_end) = (old_range.start as usize, old_range.end as usize);
        let delta = inserted_len as isize - old_range.len() as isize;
        // Directives decide how everything else is read: an edit near them re-reads it all.
        if edit_start <= self.directives.reparse_limit {
            *self = Dockerfile::parse(new_text);
            return ReparseStats { reparsed: self.instructions.len(), reused: 0 };
        }
        // Restart at the last instruction starting before the edit (it may continue into it).
        let (first, restart) = match self.instructions.partition_point(|l| (l.start as usize) < edit_start) {
            0 => (0, self.directives.end),
            n => (n - 1, self.instructions[n - 1].start as usize),
        };
        // Old instructions that start after the edit are candidates to resynchronise on.
        let old_after = &self.instructions[first..];
        let new_edit_end = (edit_end as isize + delta) as usize;
        let resync = |new_start: usize| -> Option<usize> {
            if new_start < new_edit_end {
                return None;
            }
            let old_start = (new_start as isize - delta) as usize;
            old_after.binary_search_by(|l| (l.start as usize).cmp(&old_start)).ok()
        };
        let (fresh, resync_at) = parse_from(new_text, restart, self.directives.escape, |s| resync(s).is_some());
        let reparsed = fresh.len();
        // Old instructions from `first + keep` on are reused as they are, moved by `delta`.
        let keep = match resync_at.and_then(resync) {
            Some(i) => first + i,
            None => self.instructions.len(),
        };
        let reused = first + (self.instructions.len() - keep);
        if keep - first == fresh.len() {
            // The common keystroke: as many instructions as before; no element moves.
            for (slot, new) in self.instructions[first..keep].iter_mut().zip(fresh) {
                *slot = new;
            }
        } else {
            self.instructions.splice(first..keep, fresh);
        }
        if delta != 0 {
            let tail_start = first + reparsed;
            for l in &mut self.instructions[tail_start..] {
                l.start = (l.start as isize + delta) as u32;
            }
        }
        ReparseStats { reparsed, reused }
    }

    /// Instructions with their absolute starts.
    pub fn iter(&self) -> impl Iterator<Item = &Located> {
        self.instructions.iter()
    }

    /// The instruction whose text contains `offset`.
    pub fn instruction_at(&self, offset: usize) -> Option<&Located> {
        let i = self.instructions.partition_point(|l| l.start as usize <= offset).checked_sub(1)?;
        let l = &self.instructions[i];
        (offset <= l.range().end as usize).then_some(l)
    }
}

/// Splits and parses from `pos` until the end, or until `stop(line_start)` says the rest can be
/// reused; returns the parsed instructions and the stop position.
fn parse_from(text: &str, pos: usize, escape: char, stop: impl Fn(usize) -> bool) -> (Vec<Located>, Option<usize>) {
    let mut out = Vec::new();
    let mut chunks = splitter::chunks(text, pos, escape);
    loop {
        let next_start = next_instruction_start(text, chunks.position());
        if let Some(s) = next_start
            && stop(s)
        {
            return (out, Some(s));
        }
        let Some(chunk) = chunks.next() else {
            return (out, None);
        };
        let instruction = instruction::parse_instruction(&text[chunk.line_start..chunk.end], escape);
        out.push(Located { start: chunk.line_start as u32, instruction: Arc::new(instruction) });
    }
}

/// The line start of the next instruction at or after the top-level position `pos`.
fn next_instruction_start(text: &str, mut pos: usize) -> Option<usize> {
    while pos < text.len() {
        let (line, next) = splitter::line_at(text, pos);
        let t = line.trim_start();
        if !(t.is_empty() || t.starts_with('#')) {
            return Some(pos);
        }
        pos = next;
    }
    None
}

#[cfg(test)]
mod tests;
