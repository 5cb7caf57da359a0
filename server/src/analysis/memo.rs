//! What the analysis of a Dockerfile remembers from one version to the next, so that after an
//! edit it redoes only what the edit can change (see [`diagnostics::dockerfile_incremental`]).
//!
//! An edit re-parses the instructions it touches; every other instruction keeps its very
//! `Arc<Instruction>` and only moves. The memo keeps one entry per instruction, found by the
//! address of that `Arc` and holding a clone of it (so the address cannot be reused by another
//! instruction while the entry lives). An entry remembers:
//!
//! - what depends on the instruction alone (`package-*`, `remote-script-pipe`,
//!   `add-url-unchecked`), with ranges relative to the instruction;
//! - what depends on it and on context, each with the context it was computed for, compared
//!   before reuse: the global `ARG`s (a `FROM` image, `COPY --from`, `RUN --mount=from=`),
//!   the image facts (registry findings, a base image's volumes), and the volume state
//!   flowing into it (`VOLUME`, `WORKDIR` and the writes under a volume).
//!
//! Which stage a `FROM`/`--from` value names is decided again on every analysis (a map of
//! the stage names seen so far), as are settings and suppressions (after the memo). Findings
//! that point into other instructions (an `ARG` default, a `VOLUME` of a parent stage) name
//! them by entry ([`Anchored`]), so they follow them when an edit moves them.
//!
//! Entries live in slots, listed in the order of the last analysis's instructions. A new
//! version shares a prefix and a suffix of instructions with the last one (compared by
//! address): only the instructions between are looked up by address, and the entries of the
//! old ones there that are gone are dropped, so the memo holds exactly the current
//! instructions.
//!
//! [`diagnostics::dockerfile_incremental`]: crate::analysis::diagnostics::dockerfile_incremental

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::analysis::diagnostic::{Anchored, Diagnostic};
use crate::analysis::dockerfile_model::{self, Base, Candidate, FromImage, ImageUse, Model};
use crate::analysis::image_facts::ImageFacts;
use crate::analysis::rules;
use crate::analysis::rules::volumes::{self, Role, StageState};
use crate::syntax::TextRange;
use crate::syntax::dockerfile::{Dockerfile, Instruction, Kind, Located};

/// Findings of a Dockerfile's previous analyses, reused by the next one. One per document;
/// it holds no text, only the document's current instructions and their findings.
#[derive(Default)]
pub struct DockerfileMemo {
    /// Entries by slot; a free slot is `None` and listed in `free`.
    slots: Vec<Option<Entry>>,
    free: Vec<u32>,
    /// The slot of each instruction, by address.
    index: HashMap<usize, u32, Fast>,
    /// The last analysis's instructions, in order: their slots and addresses.
    order: Vec<u32>,
    order_ids: Vec<usize>,
    /// Number of the current analysis (marks the entries of the edited middle).
    generation: u64,
    /// The last number given to a context (global `ARG`s, image facts).
    epochs: u64,
    /// The global `ARG` instructions (addresses) and escape character of the last analysis,
    /// and the number of that context.
    globals: (Vec<usize>, char, u64),
    /// The image facts of the last analysis (kept so that they cannot change in place) and the
    /// number of that context.
    facts: Option<(ImageFacts, u64)>,
    /// The states of `FROM scratch` and of a stage that starts unknown, shared so that they
    /// compare by address.
    scratch: Arc<StageState>,
    unknown: Arc<StageState>,
    /// The first stage of each name, rebuilt by each analysis (kept for its allocation).
    names: HashMap<Arc<str>, usize, Fast>,
    /// Entries the last analysis had to create (instructions it had not seen).
    created: usize,
}

impl std::fmt::Debug for DockerfileMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerfileMemo").field("entries", &self.len()).finish_non_exhaustive()
    }
}

/// A multiplicative hash (like rustc's Fx) for addresses and short names: no protection
/// against chosen collisions, which a document's own stage names cannot make costly.
type Fast = BuildHasherDefault<FastHasher>;

#[derive(Default)]
struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(last));
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

struct Entry {
    /// Keeps the address unique while the entry lives.
    instruction: Arc<Instruction>,
    /// The analysis whose edited middle held the old instruction (taken: 0).
    mark: u64,
    /// Where the instruction starts in the current analysis.
    start: u32,
    is_from: bool,
    /// `COPY --from` or `RUN --mount=…,from=` values.
    has_image_flags: bool,
    role: Role,
    /// Findings of this instruction alone, relative to its start.
    local: Vec<Diagnostic>,
    from: Option<Box<FromMemo>>,
    flags: Option<Box<FlagsMemo>>,
    volumes: Option<VolumeMemo>,
}

/// A `FROM`, for the global `ARG`s of `epoch`.
struct FromMemo {
    epoch: u64,
    name: Option<Arc<str>>,
    target: Target,
}

enum Target {
    Unresolved(Vec<Anchored>),
    Scratch,
    /// An earlier stage of the (lower-cased) name, or else this image.
    Named {
        lower: String,
        image: Option<Box<UseMemo>>,
        base_state: Option<(u64, Arc<StageState>)>,
    },
}

/// The `--from` values of a `COPY` or `RUN`, for the global `ARG`s of `epoch`.
struct FlagsMemo {
    epoch: u64,
    uses: Vec<FlagUse>,
}

struct FlagUse {
    /// The lower-cased value, looked up among earlier stage names.
    lower: String,
    /// Not a stage index and not `scratch`.
    may_be_image: bool,
    image: Option<UseMemo>,
}

/// An image reference (`written` relative to its instruction) and its findings.
struct UseMemo {
    image_use: ImageUse,
    /// `check_image`: depends on the global `ARG`s only.
    text: Vec<Anchored>,
    /// `check_registry` for the facts of an epoch, and what it looked up.
    registry: Option<(u64, Vec<Anchored>, Vec<String>)>,
}

/// The volume rules at one instruction: the state before it, after it, and what it reported.
/// For a `FROM`, `before` is the state its stage starts with and `found` its
/// `volume-inherited`, for a base that is (`base_counts`) or is not scratch / unresolved.
struct VolumeMemo {
    before: Arc<StageState>,
    after: Arc<StageState>,
    base_counts: bool,
    found: Vec<Anchored>,
}

/// Which entries (slots) have findings to emit, in the order a fresh analysis reports them
/// (only the relative order of findings of one rule at one range matters: the first is kept).
#[derive(Default)]
struct Emit {
    /// `FROM` images, then `--from` images (with the use's index), then unresolved `FROM`s.
    from_images: Vec<u32>,
    flag_images: Vec<(u32, usize)>,
    unresolved: Vec<u32>,
    /// Findings of one instruction alone and volume findings, in instruction order.
    rest: Vec<u32>,
    /// How many findings that makes, about (registry findings are not counted).
    count: usize,
}

fn address(instruction: &Arc<Instruction>) -> usize {
    Arc::as_ptr(instruction) as usize
}

impl DockerfileMemo {
    pub fn new() -> DockerfileMemo {
        DockerfileMemo::default()
    }

    /// How many instructions it holds findings for.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many instructions the last analysis had not seen before.
    pub fn created(&self) -> usize {
        self.created
    }

    fn next_epoch(&mut self) -> u64 {
        self.epochs += 1;
        self.epochs
    }

    /// Every finding of `file` before settings and suppressions, reusing what is remembered,
    /// or `None` when the file holds one instruction twice (not made by the parser; the memo
    /// is then emptied and the caller analyses afresh).
    pub(crate) fn findings(&mut self, file: &Dockerfile, facts: &ImageFacts) -> Option<Vec<Diagnostic>> {
        self.generation += 1;
        self.created = 0;
        let escape = file.directives.escape;
        let facts_epoch = match &self.facts {
            Some((kept, epoch)) if kept.same_facts(facts) => *epoch,
            _ => {
                let epoch = self.next_epoch();
                self.facts = Some((facts.unlogged(), epoch));
                epoch
            }
        };
        // The global ARGs are a function of their instructions: compare those by address
        // (every entry of the last analysis is alive here, so no address was reused).
        let global_ids: Vec<usize> = file
            .instructions
            .iter()
            .take_while(|l| !matches!(l.instruction.kind, Kind::From(_)))
            .filter(|l| matches!(l.instruction.kind, Kind::Arg(_)))
            .map(|l| address(&l.instruction))
            .collect();
        if self.globals.0 != global_ids || self.globals.1 != escape || self.globals.2 == 0 {
            let epoch = self.next_epoch();
            self.globals = (global_ids, escape, epoch);
        }
        let g_epoch = self.globals.2;
        if !self.align(file) {
            *self = DockerfileMemo { epochs: self.epochs, ..DockerfileMemo::default() };
            return None;
        }
        let globals = Model { global_args: dockerfile_model::global_args(&file.instructions), ..Model::default() };
        let cx = Context { file, facts, globals: &globals, order: &self.order, escape, g_epoch, facts_epoch };
        let slots = &mut self.slots;
        let names = &mut self.names;
        names.clear();

        let mut emit = Emit::default();
        // The final volume state of each stage so far, and the state at this point of the current one.
        let mut finished: Vec<Arc<StageState>> = Vec::new();
        let mut state: Option<Arc<StageState>> = None;
        for (located, &slot) in file.instructions.iter().zip(&self.order) {
            let entry = slots[slot as usize].as_mut().expect("a live slot");
            entry.start = located.start;
            let instruction = &*located.instruction;
            if entry.has_image_flags {
                let flags = entry.flags(located, &cx);
                for (k, flag) in flags.uses.iter_mut().enumerate() {
                    if !flag.may_be_image || names.contains_key(flag.lower.as_str()) {
                        continue;
                    }
                    if let Some(image_use) = &mut flag.image {
                        image_use.registry(located, &cx);
                        emit.flag_images.push((slot, k));
                        emit.count += image_use.text.len();
                    }
                }
            }
            if entry.is_from {
                finished.extend(state.take());
                let stage = finished.len();
                let from = entry.from(located, &cx);
                let (base, start_state) = match &mut from.target {
                    Target::Unresolved(found) => {
                        if !found.is_empty() {
                            emit.unresolved.push(slot);
                            emit.count += found.len();
                        }
                        (Base::Unresolved, self.unknown.clone())
                    }
                    Target::Scratch => (Base::Scratch, self.scratch.clone()),
                    Target::Named { lower, image, base_state } => match names.get(lower.as_str()) {
                        Some(&parent) => (Base::Stage(parent), finished[parent].clone()),
                        None => {
                            let start_state = match image {
                                Some(image_use) => {
                                    image_use.registry(located, &cx);
                                    emit.from_images.push(slot);
                                    emit.count += image_use.text.len();
                                    match base_state {
                                        Some((epoch, kept)) if *epoch == facts_epoch => kept.clone(),
                                        _ => {
                                            let fresh = volumes::base_image_state(
                                                &image_use.image_use,
                                                slot as usize,
                                                instruction,
                                                facts,
                                            );
                                            let fresh = same_or_new(base_state.as_ref().map(|(_, s)| s), fresh);
                                            *base_state = Some((facts_epoch, fresh.clone()));
                                            fresh
                                        }
                                    }
                                }
                                None => self.unknown.clone(),
                            };
                            (Base::Image, start_state)
                        }
                    },
                };
                if let Some(name) = &from.name {
                    names.entry(name.clone()).or_insert(stage);
                }
                let base_counts = !matches!(base, Base::Scratch | Base::Unresolved);
                let reuse = entry
                    .volumes
                    .as_ref()
                    .is_some_and(|m| m.base_counts == base_counts && same(&m.before, &start_state));
                if !reuse {
                    let found =
                        volumes::inherited(slot as usize, instruction, &base, &start_state).into_iter().collect();
                    let after = start_state.clone();
                    entry.volumes = Some(VolumeMemo { before: start_state, after, base_counts, found });
                }
                state = entry.volumes.as_ref().map(|m| m.after.clone());
            } else if let Some(current) = &mut state {
                let runs = match entry.role {
                    Role::Changes => true,
                    Role::Writes => current.has_volumes(),
                    Role::Ignored => false,
                };
                if runs {
                    match &entry.volumes {
                        Some(memo) if same(&memo.before, current) => {
                            // (When equal by value only, the next instructions compare by
                            // address again with the remembered state.)
                            if !Arc::ptr_eq(current, &memo.after) {
                                *current = memo.after.clone();
                            }
                        }
                        old => {
                            let mut after = StageState::clone(current);
                            let mut found = Vec::new();
                            volumes::step(slot as usize, instruction, &mut after, &mut found);
                            let after = if after == **current {
                                current.clone() // a write leaves the state as it is
                            } else {
                                same_or_new(old.as_ref().map(|m| &m.after), after)
                            };
                            let before = std::mem::replace(current, after.clone());
                            entry.volumes = Some(VolumeMemo { before, after, base_counts: true, found });
                        }
                    }
                } else if entry.volumes.is_some() {
                    entry.volumes = None;
                }
            } else if entry.volumes.is_some() {
                entry.volumes = None;
            }
            let found = entry.local.len() + entry.volumes.as_ref().map_or(0, |m| m.found.len());
            if found > 0 {
                emit.rest.push(slot);
                emit.count += found;
            }
        }
        Some(self.emit(&emit, facts))
    }

    /// Lines the entries up with `file`'s instructions: the prefix and suffix the last
    /// analysis shares keep their slots; the instructions between are found by address or
    /// get a new entry; the old ones there that are gone are dropped. `false` when an
    /// instruction is there twice.
    fn align(&mut self, file: &Dockerfile) -> bool {
        let ids: Vec<usize> = file.instructions.iter().map(|l| address(&l.instruction)).collect();
        let (old, new) = (&self.order_ids, &ids);
        let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let room = old.len().min(new.len()) - prefix;
        let suffix = old.iter().rev().zip(new.iter().rev()).take(room).take_while(|(a, b)| a == b).count();
        let (old_middle, new_middle) = (prefix..old.len() - suffix, prefix..new.len() - suffix);
        let generation = self.generation;
        for &slot in &self.order[old_middle.clone()] {
            self.slots[slot as usize].as_mut().expect("a live slot").mark = generation;
        }
        let mut middle = Vec::with_capacity(new_middle.len());
        // A file of one instruction at 0, for the rules of one instruction alone.
        let mut alone: Option<Dockerfile> = None;
        for (located, &id) in file.instructions[new_middle.clone()].iter().zip(&ids[new_middle]) {
            let slot = match self.index.get(&id) {
                Some(&slot) => {
                    let entry = self.slots[slot as usize].as_mut().expect("a live slot");
                    if entry.mark != generation {
                        return false; // also in the prefix, the suffix, or earlier in the middle
                    }
                    entry.mark = 0;
                    slot
                }
                None => {
                    self.created += 1;
                    let alone = alone.get_or_insert_with(|| Dockerfile {
                        directives: file.directives.clone(),
                        instructions: Vec::with_capacity(1),
                    });
                    let entry = Some(Entry::new(located, alone));
                    let slot = match self.free.pop() {
                        Some(slot) => {
                            self.slots[slot as usize] = entry;
                            slot
                        }
                        None => {
                            self.slots.push(entry);
                            (self.slots.len() - 1) as u32
                        }
                    };
                    self.index.insert(id, slot);
                    // A new entry is marked taken; the free slots it may reuse are not in
                    // the old middle.
                    slot
                }
            };
            middle.push(slot);
        }
        for &slot in &self.order[old_middle.clone()] {
            let gone = self.slots[slot as usize].as_ref().is_some_and(|e| e.mark == generation);
            if gone && let Some(entry) = self.slots[slot as usize].take() {
                self.index.remove(&address(&entry.instruction));
                self.free.push(slot);
            }
        }
        self.order.splice(old_middle, middle);
        self.order_ids = ids;
        true
    }

    fn emit(&self, emit: &Emit, facts: &ImageFacts) -> Vec<Diagnostic> {
        let entry = |slot: u32| self.slots[slot as usize].as_ref().expect("a live slot");
        let start_of = |slot: usize| entry(slot as u32).start as usize;
        let mut out = Vec::with_capacity(emit.count);
        // The image findings, in a fresh analysis's order. Those reported on an `ARG` default
        // (before every `FROM`) go first, the others follow in file order: the final sort then
        // finds a few long runs. No two findings of one rule at one range change order.
        let image_uses = || {
            let froms = emit.from_images.iter().filter_map(move |&slot| match entry(slot).from.as_deref() {
                Some(FromMemo { target: Target::Named { image: Some(image_use), .. }, .. }) => {
                    Some((slot, &**image_use))
                }
                _ => None,
            });
            let flags = emit.flag_images.iter().filter_map(move |&(slot, k)| {
                entry(slot).flags.as_ref().and_then(|f| f.uses[k].image.as_ref()).map(|u| (slot, u))
            });
            froms.chain(flags)
        };
        for own in [false, true] {
            for (slot, image_use) in image_uses() {
                let registry = image_use.registry.iter().flat_map(|(_, found, _)| found);
                for a in image_use.text.iter().chain(registry) {
                    if (a.at == slot as usize) == own {
                        out.push(a.place(start_of));
                    }
                }
            }
        }
        for (_, image_use) in image_uses() {
            if let Some((_, _, asked)) = &image_use.registry {
                facts.record(asked.iter().map(String::as_str));
            }
        }
        for &slot in &emit.unresolved {
            if let Some(Target::Unresolved(found)) = entry(slot).from.as_ref().map(|f| &f.target) {
                out.extend(found.iter().map(|a| a.place(start_of)));
            }
        }
        for &slot in &emit.rest {
            let e = entry(slot);
            let start = e.start as usize;
            out.extend(e.local.iter().map(|d| {
                let mut d = d.clone();
                d.range = d.range.shift(start);
                for r in &mut d.related {
                    r.range = r.range.shift(start);
                }
                d
            }));
            if let Some(memo) = &e.volumes {
                out.extend(memo.found.iter().map(|a| a.place(start_of)));
            }
        }
        out
    }
}

/// What the entries of one analysis compute with.
struct Context<'a> {
    file: &'a Dockerfile,
    facts: &'a ImageFacts,
    /// The global `ARG`s (absolute ranges) in an otherwise empty model, as the image rules read them.
    globals: &'a Model,
    /// The slot of each instruction.
    order: &'a [u32],
    escape: char,
    g_epoch: u64,
    facts_epoch: u64,
}

impl Context<'_> {
    /// A finding with absolute ranges, anchored to the entries of the instructions that hold them.
    fn anchor(&self, mut d: Diagnostic) -> Anchored {
        let instructions = &self.file.instructions;
        let place = |range: &mut TextRange| -> usize {
            let offset = range.start as usize;
            let i = instructions.partition_point(|l| l.start as usize <= offset).saturating_sub(1);
            let start = instructions[i].start as usize;
            debug_assert!(start <= offset && offset <= instructions[i].range().end as usize, "{range:?} is outside");
            *range = TextRange::new(range.start as usize - start, range.end as usize - start);
            self.order[i] as usize
        };
        let at = place(&mut d.range);
        let related_at = d.related.iter_mut().map(|r| place(&mut r.range)).collect();
        Anchored { diagnostic: d, at, related_at }
    }
}

impl Entry {
    /// `alone` is a file that is emptied and used to run the rules of one instruction alone.
    fn new(located: &Located, alone: &mut Dockerfile) -> Entry {
        alone.instructions.clear();
        alone.instructions.push(Located { start: 0, instruction: located.instruction.clone() });
        let mut local = Vec::new();
        rules::packages::check(alone, &mut local);
        rules::remote::check(alone, &mut local);
        alone.instructions.clear();
        let instruction = &located.instruction;
        Entry {
            instruction: instruction.clone(),
            mark: 0,
            start: located.start,
            is_from: matches!(instruction.kind, Kind::From(_)),
            has_image_flags: dockerfile_model::has_image_flags(located),
            role: volumes::role(instruction),
            local,
            from: None,
            flags: None,
            volumes: None,
        }
    }

    fn from(&mut self, located: &Located, cx: &Context<'_>) -> &mut FromMemo {
        if self.from.as_ref().is_some_and(|f| f.epoch == cx.g_epoch) {
            return self.from.as_mut().expect("checked");
        }
        let relative = Located { start: 0, instruction: located.instruction.clone() };
        let target =
            dockerfile_model::from_target(&relative, cx.escape, &cx.globals.global_args).expect("called for a FROM");
        let name = target.name.map(Arc::from);
        let target = match target.image {
            FromImage::Unresolved(refs) => Target::Unresolved(
                refs.unwrap_or_default()
                    .into_iter()
                    .map(|(range, name, declared)| {
                        cx.anchor(rules::image::unresolved_reference(
                            range.shift(located.start as usize),
                            &name,
                            declared,
                        ))
                    })
                    .collect(),
            ),
            FromImage::Scratch => Target::Scratch,
            FromImage::Named(candidate) => Target::Named {
                lower: candidate.expansion.value.to_ascii_lowercase(),
                image: UseMemo::new(candidate, located, cx).map(Box::new),
                base_state: None,
            },
        };
        self.from.insert(Box::new(FromMemo { epoch: cx.g_epoch, name, target }))
    }

    fn flags(&mut self, located: &Located, cx: &Context<'_>) -> &mut FlagsMemo {
        if self.flags.as_ref().is_some_and(|f| f.epoch == cx.g_epoch) {
            return self.flags.as_mut().expect("checked");
        }
        let relative = Located { start: 0, instruction: located.instruction.clone() };
        let uses = dockerfile_model::flag_targets(&relative, cx.escape, &cx.globals.global_args)
            .into_iter()
            .map(|candidate| FlagUse {
                lower: candidate.expansion.value.to_ascii_lowercase(),
                may_be_image: candidate.names_image(|_| false),
                image: UseMemo::new(candidate, located, cx),
            })
            .collect();
        self.flags.insert(Box::new(FlagsMemo { epoch: cx.g_epoch, uses }))
    }
}

impl UseMemo {
    /// `candidate` has ranges relative to `located`.
    fn new(candidate: Candidate, located: &Located, cx: &Context<'_>) -> Option<UseMemo> {
        let image_use = candidate.image_use(0)?;
        let mut found = Vec::new();
        rules::image::check_image(cx.globals, &absolute(&image_use, located), &mut found);
        // In file order (a stable sort: only findings of different rules change places).
        found.sort_by_key(|d| (d.range.start, d.range.end, d.rule));
        let text = found.into_iter().map(|d| cx.anchor(d)).collect();
        Some(UseMemo { image_use, text, registry: None })
    }

    /// Brings the registry findings up to the current facts.
    fn registry(&mut self, located: &Located, cx: &Context<'_>) {
        if self.registry.as_ref().is_some_and(|(epoch, ..)| *epoch == cx.facts_epoch) {
            return;
        }
        let (recording, asked) = cx.facts.unlogged().recording();
        let mut found = Vec::new();
        rules::image::check_registry(cx.globals, &absolute(&self.image_use, located), &recording, &mut found);
        let found = found.into_iter().map(|d| cx.anchor(d)).collect();
        self.registry = Some((cx.facts_epoch, found, asked.take().into_iter().collect()));
    }
}

fn absolute(image_use: &ImageUse, located: &Located) -> ImageUse {
    let mut image_use = image_use.clone();
    image_use.written = located.abs(image_use.written);
    image_use
}

fn same(a: &Arc<StageState>, b: &Arc<StageState>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// `fresh`, as the `old` state when equal, so that later instructions compare by address.
fn same_or_new(old: Option<&Arc<StageState>>, fresh: StageState) -> Arc<StageState> {
    match old {
        Some(old) if **old == fresh => old.clone(),
        _ => Arc::new(fresh),
    }
}
