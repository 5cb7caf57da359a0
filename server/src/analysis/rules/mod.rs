//! One file per rule family of the catalogue. Each `check` appends findings at the rule's
//! default severity; settings and suppressions are applied afterwards, in one place.

pub mod compose;
pub mod deploy;
pub mod image;
pub mod packages;
pub mod remote;
pub mod volumes;

use crate::syntax::dockerfile::{Dockerfile, Instruction, Kind, Located, Run};
use crate::syntax::shell::Script;

/// Every `RUN` (also behind `ONBUILD`) with the instruction that holds it.
pub(crate) fn runs(file: &Dockerfile) -> impl Iterator<Item = (usize, &Located, &Run)> {
    file.instructions.iter().enumerate().filter_map(|(i, l)| run_of(&l.instruction).map(|r| (i, l, r)))
}

fn run_of(instruction: &Instruction) -> Option<&Run> {
    match &instruction.kind {
        Kind::Run(r) => Some(r),
        Kind::Onbuild(inner) => run_of(inner),
        _ => None,
    }
}

/// The scripts of every `RUN`, with the instruction that holds them.
pub(crate) fn scripts(file: &Dockerfile) -> impl Iterator<Item = (usize, &Located, &Script)> {
    runs(file).flat_map(|(i, l, r)| r.scripts.iter().map(move |s| (i, l, s)))
}
