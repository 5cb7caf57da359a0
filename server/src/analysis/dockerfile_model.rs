//! The meaning of a parsed Dockerfile that the rules share: global `ARG`s, stages and their
//! bases, and every image reference (`FROM`, `COPY --from`, `RUN --mount=from=`) with its value
//! after `ARG` expansion and where that value came from.

use crate::syntax::TextRange;
use crate::syntax::dockerfile::{Dockerfile, Kind, Located};
use crate::syntax::image_ref::ImageRef;
use crate::syntax::variables::{self, Expansion};

/// Platform `ARG`s BuildKit defines in the global scope; their values depend on the build.
pub const AUTOMATIC_ARGS: [&str; 8] = [
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// An `ARG` before the first `FROM`.
#[derive(Debug, Clone)]
pub struct GlobalArg {
    pub name: String,
    pub default: Option<String>,
    /// The declaration (`NAME` or `NAME=default`), absolute.
    pub decl_range: TextRange,
    /// The default value, absolute.
    pub default_range: Option<TextRange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    Image,
    /// The image text depends on build arguments that have no value here.
    Unresolved,
}

#[derive(Debug, Clone)]
pub struct Stage {
    /// Index of the `FROM` in `Dockerfile::instructions`.
    pub from: usize,
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    pub base: Base,
    /// Instructions of the stage after its `FROM` (indices).
    pub body: std::ops::Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageUseKind {
    From,
    CopyFrom,
    MountFrom,
    /// A compose service's `image:`.
    Compose,
}

/// A reference to a registry image somewhere in the file.
#[derive(Debug, Clone)]
pub struct ImageUse {
    pub kind: ImageUseKind,
    /// Index of the instruction that holds it.
    pub instruction: usize,
    /// The text as written, absolute.
    pub written: TextRange,
    pub expansion: Expansion,
    pub image: ImageRef,
    /// `FROM --platform=…` when it names a platform (not `$BUILDPLATFORM` and the like).
    pub platform: Option<String>,
}

impl ImageUse {
    /// The key of this image in the image facts: the reference, and the platform when `FROM`
    /// names one (`python:3.12 --platform=linux/arm64`), since the config differs per platform.
    pub fn facts_key(&self) -> String {
        facts_key(&self.expansion.value, self.platform.as_deref())
    }

    /// A compose `image:` value: `written` is the scalar's range; `exact` when the value is the
    /// text between the quotes (no interpolation), so parts map one to one.
    pub fn compose(value: &str, written: TextRange, exact: bool) -> Option<ImageUse> {
        use crate::syntax::variables::{Origin, Piece};
        let image = ImageRef::parse(value).ok()?;
        let len = value.len();
        let piece = if exact {
            Piece { out: TextRange::new(0, len), src: TextRange::new(0, len), origin: Origin::Literal }
        } else {
            Piece {
                out: TextRange::new(0, len),
                src: TextRange::new(0, written.len()),
                origin: Origin::Variable(String::new()),
            }
        };
        let expansion =
            Expansion { value: value.to_string(), pieces: vec![piece], valueless: Vec::new(), undeclared: Vec::new() };
        Some(ImageUse { kind: ImageUseKind::Compose, instruction: 0, written, expansion, image, platform: None })
    }

    /// The source range that produced `value_range` of the expanded value, absolute.
    pub fn source_range(&self, value_range: TextRange) -> TextRange {
        self.expansion.source_range(value_range).map_or(self.written, |r| r.shift(self.written.start as usize))
    }
}

/// A `FROM` whose image needs build arguments that have no value.
#[derive(Debug, Clone)]
pub struct UnresolvedFrom {
    pub instruction: usize,
    /// Each offending reference: its range (absolute), name, and whether an `ARG` declares it.
    pub refs: Vec<(TextRange, String, bool)>,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub global_args: Vec<GlobalArg>,
    pub stages: Vec<Stage>,
    pub images: Vec<ImageUse>,
    pub unresolved: Vec<UnresolvedFrom>,
}

impl Model {
    pub fn build(file: &Dockerfile) -> Model {
        let escape = file.directives.escape;
        let instructions = &file.instructions;
        let mut model = Model { global_args: global_args(instructions), ..Model::default() };
        let froms: Vec<usize> = instructions
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l.instruction.kind, Kind::From(_)))
            .map(|(i, _)| i)
            .collect();
        for (n, &at) in froms.iter().enumerate() {
            let located = &instructions[at];
            let Some(target) = from_target(located, escape, &model.global_args) else {
                continue;
            };
            let body = at + 1..froms.get(n + 1).copied().unwrap_or(instructions.len());
            let base = match target.image {
                FromImage::Unresolved(refs) => {
                    if let Some(refs) = refs {
                        model.unresolved.push(UnresolvedFrom { instruction: at, refs });
                    }
                    Base::Unresolved
                }
                FromImage::Scratch => Base::Scratch,
                FromImage::Named(named) => match model.stage_named(&named.expansion.value) {
                    Some(stage) => Base::Stage(stage),
                    None => {
                        model.images.extend(named.image_use(at));
                        Base::Image
                    }
                },
            };
            model.stages.push(Stage { from: at, name: target.name, base, body });
        }
        // COPY --from=… and RUN --mount=…,from=… name earlier stages or images.
        for (i, located) in instructions.iter().enumerate() {
            for flag in flag_targets(located, escape, &model.global_args) {
                let earlier_stage = |name: &str| model.stage_named(name).is_some_and(|s| model.stages[s].from < i);
                if !flag.names_image(earlier_stage) {
                    continue;
                }
                model.images.extend(flag.image_use(i));
            }
        }
        model
    }

    fn stage_named(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    pub fn global_arg(&self, name: &str) -> Option<&GlobalArg> {
        self.global_args.iter().rev().find(|a| a.name == name)
    }

    /// The stage an instruction belongs to.
    pub fn stage_of(&self, instruction: usize) -> Option<usize> {
        self.stages.iter().position(|s| s.from == instruction || s.body.contains(&instruction))
    }
}

/// The image facts key of `reference` for `platform` (see [`ImageUse::facts_key`]).
pub fn facts_key(reference: &str, platform: Option<&str>) -> String {
    match platform {
        Some(p) => format!("{reference} --platform={p}"),
        None => reference.to_string(),
    }
}

/// The `ARG`s before the first `FROM`.
pub(crate) fn global_args(instructions: &[Located]) -> Vec<GlobalArg> {
    let mut out = Vec::new();
    for located in instructions.iter().take_while(|l| !matches!(l.instruction.kind, Kind::From(_))) {
        if let Kind::Arg(decls) = &located.instruction.kind {
            for d in decls {
                let decl_range = d.default.as_ref().map_or(d.name.range, |v| d.name.range.cover(v.range));
                out.push(GlobalArg {
                    name: d.name.value.to_string(),
                    default: d.default.as_ref().map(|v| v.value.to_string()),
                    decl_range: located.abs(decl_range),
                    default_range: d.default.as_ref().map(|v| located.abs(v.range)),
                });
            }
        }
    }
    out
}

fn lookup(globals: &[GlobalArg], name: &str) -> Option<Option<String>> {
    globals.iter().rev().find(|a| a.name == name).map(|a| a.default.clone())
}

/// What a `FROM` names once the global `ARG`s are expanded, before the names of earlier
/// stages decide between a stage and an image (the incremental analysis keeps it per `FROM`).
#[derive(Debug, Clone)]
pub(crate) struct FromTarget {
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    pub image: FromImage,
}

#[derive(Debug, Clone)]
pub(crate) enum FromImage {
    /// The image needs build arguments that have no value: the offending references
    /// (absolute range, name, declared by an `ARG`), or `None` when an automatic platform
    /// `ARG` is involved (the build sets those).
    Unresolved(Option<Vec<(TextRange, String, bool)>>),
    Scratch,
    /// An earlier stage of that name, or else a registry image.
    Named(Candidate),
}

/// A value that names a registry image unless it names a stage.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub kind: ImageUseKind,
    /// The text as written, absolute.
    pub written: TextRange,
    pub expansion: Expansion,
    pub platform: Option<String>,
}

impl Candidate {
    /// The image use, when the value parses as an image reference.
    pub fn image_use(self, instruction: usize) -> Option<ImageUse> {
        let image = ImageRef::parse(&self.expansion.value).ok()?;
        let Candidate { kind, written, expansion, platform } = self;
        Some(ImageUse { kind, instruction, written, expansion, image, platform })
    }

    /// Whether a `--from` value names an image: not an earlier stage (by name or index) and
    /// not `scratch`.
    pub fn names_image(&self, earlier_stage: impl Fn(&str) -> bool) -> bool {
        let value = &self.expansion.value;
        !(earlier_stage(value) || value.parse::<usize>().is_ok() || value.eq_ignore_ascii_case("scratch"))
    }
}

/// The target of a `FROM` (`None` for any other instruction).
pub(crate) fn from_target(located: &Located, escape: char, globals: &[GlobalArg]) -> Option<FromTarget> {
    let Kind::From(from) = &located.instruction.kind else {
        return None;
    };
    let name = from.stage_name.as_ref().map(|w| w.value.to_ascii_lowercase().to_string());
    let expansion = variables::expand(&from.image.value, escape, &|v| lookup(globals, v));
    let image = if !expansion.undeclared.is_empty() || !expansion.valueless.is_empty() {
        let uses_automatic = expansion.undeclared.iter().any(|r| AUTOMATIC_ARGS.contains(&r.name.as_str()));
        FromImage::Unresolved((!uses_automatic).then(|| {
            let declared = |name: &str| globals.iter().any(|a| a.name == name);
            expansion
                .undeclared
                .iter()
                .chain(&expansion.valueless)
                .map(|r| {
                    (located.abs(r.range.shift(from.image.range.start as usize)), r.name.clone(), declared(&r.name))
                })
                .collect()
        }))
    } else if expansion.value.eq_ignore_ascii_case("scratch") {
        FromImage::Scratch
    } else {
        let platform = from
            .flags
            .iter()
            .find(|f| f.name == "platform")
            .and_then(|f| f.value.as_ref())
            .map(|v| variables::expand(&v.value, escape, &|name| lookup(globals, name)))
            .filter(|e| e.undeclared.is_empty() && e.valueless.is_empty() && e.value.contains('/'))
            .map(|e| e.value);
        FromImage::Named(Candidate {
            kind: ImageUseKind::From,
            written: located.abs(from.image.range),
            expansion,
            platform,
        })
    };
    Some(FromTarget { name, image })
}

/// The `COPY --from` / `RUN --mount=…,from=` values of one instruction whose expansion with
/// the global `ARG`s is complete.
pub(crate) fn flag_targets(located: &Located, escape: char, globals: &[GlobalArg]) -> Vec<Candidate> {
    let flags = image_flags(located);
    if flags.is_empty() {
        return Vec::new();
    }
    let kind =
        if located.instruction.flag("from").is_some() { ImageUseKind::CopyFrom } else { ImageUseKind::MountFrom };
    flags
        .into_iter()
        .map(|(written, text)| (written, variables::expand(&text, escape, &|v| lookup(globals, v))))
        .filter(|(_, e)| e.undeclared.is_empty() && e.valueless.is_empty())
        .map(|(written, expansion)| Candidate { kind, written, expansion, platform: None })
        .collect()
}

/// Whether an instruction has `COPY --from` or `RUN --mount=…,from=` values.
pub(crate) fn has_image_flags(located: &Located) -> bool {
    !image_flags(located).is_empty()
}

/// `COPY --from=x` and every `from=x` of `RUN --mount=…`: the value's absolute range and text.
fn image_flags(located: &Located) -> Vec<(TextRange, String)> {
    let mut out = Vec::new();
    let instruction = &located.instruction;
    if matches!(instruction.kind, Kind::Copy(_))
        && let Some(value) = instruction.flag("from").and_then(|f| f.value.as_ref())
    {
        out.push((located.abs(value.range), value.value.to_string()));
    }
    if matches!(instruction.kind, Kind::Run(_)) {
        for flag in instruction.flags().iter().filter(|f| f.name == "mount") {
            let Some(value) = &flag.value else { continue };
            let mut offset = 0;
            for part in value.value.split(',') {
                if let Some(from) = part.strip_prefix("from=") {
                    let start = value.range.start as usize + offset + 5;
                    let exact = value.value.len() == value.range.len();
                    let range = if exact { TextRange::new(start, start + from.len()) } else { value.range };
                    out.push((located.abs(range), from.to_string()));
                }
                offset += part.len() + 1;
            }
        }
    }
    out
}
