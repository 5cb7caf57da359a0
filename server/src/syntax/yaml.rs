//! YAML as a tree with exact byte ranges, from tree-sitter-yaml: error tolerant (a broken line
//! mid-edit keeps the rest) and incrementally re-parsed. Anchors and aliases are kept as
//! written; readers resolve them on demand with a depth limit, so alias bombs cost nothing.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use compact_str::CompactString;
pub use tree_sitter::Point;
use tree_sitter::{InputEdit, Parser, Tree};

use crate::syntax::TextRange;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub range: TextRange,
    pub anchor: Option<CompactString>,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Scalar(Scalar),
    /// Children are shared (`Arc`): a subtree an edit did not touch is reused, not copied.
    Mapping(Arc<[Pair]>),
    Sequence(Arc<[Node]>),
    Alias(CompactString),
    /// Parsed, but not understood (a tag-only node, a broken region).
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The value after unquoting and unescaping.
    pub value: String,
    pub style: ScalarStyle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub key: Node,
    /// `None` for `key:` with nothing after it.
    pub value: Option<Node>,
    pub range: TextRange,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.value.as_str())
    }

    pub fn pairs(&self) -> &[Pair] {
        match &self.kind {
            NodeKind::Mapping(p) => p,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Sequence(items) => items,
            _ => &[],
        }
    }
}

/// A parsed YAML file: the first document's root, the anchors, and the tree-sitter tree kept
/// for incremental re-parsing.
pub struct Yaml {
    tree: Option<Tree>,
    pub root: Option<Node>,
    pub anchors: HashMap<CompactString, Node>,
    /// Whether tree-sitter found a syntax error anywhere.
    pub has_error: bool,
    /// The converted pairs of the first [`INDEXED_LEVELS`] mapping levels (top-level keys,
    /// services), by the id of their tree-sitter node in `tree` and by position: the next
    /// version takes those an edit did not touch instead of converting them again.
    reusable: Reusable,
    /// How many of those pairs this version took from the previous one (for tests).
    reused: usize,
}

impl std::fmt::Debug for Yaml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Yaml").field("root", &self.root).field("has_error", &self.has_error).finish()
    }
}

impl Clone for Yaml {
    fn clone(&self) -> Yaml {
        Yaml {
            tree: self.tree.clone(),
            root: self.root.clone(),
            anchors: self.anchors.clone(),
            has_error: self.has_error,
            reusable: self.reusable.clone(),
            reused: self.reused,
        }
    }
}

fn parser() -> Parser {
    let mut parser = Parser::new();
    // The grammar is compiled in; a version mismatch would be a build problem, not input.
    let _ = parser.set_language(&tree_sitter_yaml::LANGUAGE.into());
    parser
}

impl Yaml {
    fn empty() -> Yaml {
        Yaml {
            tree: None,
            root: None,
            anchors: HashMap::new(),
            has_error: false,
            reusable: Reusable::default(),
            reused: 0,
        }
    }

    pub fn parse(text: &str) -> Yaml {
        if text.len() > CHUNK_BYTES {
            return parse_chunked(text);
        }
        let tree = parser().parse(text, None);
        Yaml::from_tree(tree, text, None)
    }

    /// Re-parses after an edit that replaced `old` (a byte range of the old text) with
    /// `inserted_len` bytes; `old_text` is the text before the edit, `new_text` after.
    pub fn edit(&mut self, old: TextRange, inserted_len: usize, old_text: &str, new_text: &str) {
        let start = old.start as usize;
        let points = EditPoints {
            start: point(old_text, start),
            old_end: point(old_text, old.end as usize),
            new_end: point(new_text, start + inserted_len),
        };
        self.edit_with_points(old, inserted_len, points, new_text);
    }

    /// The tree after an edit, leaving `self` as it is (tree-sitter's tree is copied, which is
    /// cheap, and the parts of the YAML tree the edit did not touch are shared): for trees
    /// shared between versions.
    ///
    /// Incremental: a pair of the first two mapping levels (a top-level key, a service) that the
    /// edit did not touch is taken from `self` instead of being converted again: shared as it
    /// is before the edit, a copy with its ranges moved after it (see `Converter::reuse`).
    /// Only the pairs around the edit are read from tree-sitter's tree.
    pub fn edited(&self, old: TextRange, inserted_len: usize, points: EditPoints, new_text: &str) -> Yaml {
        let Some(mut tree) = self.tree.clone().filter(|_| new_text.len() <= CHUNK_BYTES) else {
            return Yaml::parse(new_text);
        };
        let start = old.start as usize;
        tree.edit(&InputEdit {
            start_byte: start,
            old_end_byte: old.end as usize,
            new_end_byte: start + inserted_len,
            start_position: points.start,
            old_end_position: points.old_end,
            new_end_position: points.new_end,
        });
        // `self.tree` stays alive until the new tree is read, so a node id of the new tree that
        // is in `self.reusable` is the very subtree that was converted (not a reused address).
        let tree = parser().parse(new_text, Some(&tree));
        let new_end = start + inserted_len;
        let shift = Shift {
            start,
            old_end: old.end as usize,
            new_end,
            next_line: new_text.get(new_end..).and_then(|t| t.find('\n')).map_or(usize::MAX, |i| new_end + i + 1),
        };
        Yaml::from_tree(tree, new_text, Some((&self.reusable, shift)))
    }

    /// Like [`Yaml::edit`], with the row/column points computed by the caller (from a rope,
    /// without copying the old text).
    pub fn edit_with_points(&mut self, old: TextRange, inserted_len: usize, points: EditPoints, new_text: &str) {
        *self = self.edited(old, inserted_len, points, new_text);
    }

    fn from_tree(tree: Option<Tree>, text: &str, previous: Option<(&Reusable, Shift)>) -> Yaml {
        let mut yaml = Yaml::empty();
        if let Some(tree) = &tree {
            let root = tree.root_node();
            yaml.has_error = root.has_error();
            // tree-sitter's recovery can flatten a whole file around one half-typed line
            // (`    imag`): read a copy with such lines blanked instead (offsets unchanged).
            let masked = if yaml.has_error { mask_incomplete_lines(text) } else { None };
            let masked_tree = masked.as_deref().and_then(|m| parser().parse(m, None));
            let (source, node) = match (&masked, &masked_tree) {
                (Some(m), Some(t)) if !t.root_node().has_error() || t.root_node().kind() != "ERROR" => {
                    (m.as_str(), t.root_node())
                }
                _ => (text, root),
            };
            // Reuse and the index only for a tree read as it is (not a masked copy, whose node
            // ids are not `tree`'s), and only without errors (recovery is not local).
            let clean = !yaml.has_error;
            if let Some((before, _)) = previous.filter(|_| clean) {
                yaml.reusable.reserve(before.entries.len());
            }
            let mut converter = Converter {
                text: source,
                anchors: &mut yaml.anchors,
                anchors_added: 0,
                reused: 0,
                depth: 0,
                pair_level: 0,
                parent_old: NO_PARENT,
                parent_new: NO_PARENT,
                previous: previous.filter(|_| clean),
                index: clean.then_some(&mut yaml.reusable),
            };
            yaml.root = converter.document_root(node);
            yaml.reused = converter.reused;
        }
        yaml.tree = tree;
        yaml
    }

    /// The node an alias names, following alias chains (bounded).
    pub fn resolve<'a>(&'a self, node: &'a Node) -> &'a Node {
        let mut current = node;
        for _ in 0..16 {
            match &current.kind {
                NodeKind::Alias(name) => match self.anchors.get(name) {
                    Some(target) => current = target,
                    None => return current,
                },
                _ => return current,
            }
        }
        current
    }

    /// The pairs of a mapping with `<<: *anchor` merge keys applied (own keys win).
    pub fn merged_pairs<'a>(&'a self, node: &'a Node) -> Vec<&'a Pair> {
        let mut out: Vec<&Pair> = Vec::new();
        self.collect_pairs(self.resolve(node), &mut out, 0);
        out
    }

    fn collect_pairs<'a>(&'a self, node: &'a Node, out: &mut Vec<&'a Pair>, depth: usize) {
        if depth > 8 {
            return;
        }
        let mut merges: Vec<&Node> = Vec::new();
        for pair in node.pairs() {
            if pair.key.as_str() == Some("<<") {
                if let Some(v) = &pair.value {
                    match &self.resolve(v).kind {
                        NodeKind::Sequence(items) => merges.extend(items.iter()),
                        _ => merges.push(v),
                    }
                }
            } else {
                out.push(pair);
            }
        }
        if merges.is_empty() {
            return;
        }
        // Own keys win over merged ones; earlier merges over later ones. (A set only for long
        // mappings: a service has a dozen keys, and a set per service was a tenth of a read.)
        let mut seen: Option<std::collections::HashSet<&str>> =
            (out.len() > 16).then(|| out.iter().filter_map(|p| p.key.as_str()).collect());
        for m in merges {
            let mut inherited = Vec::new();
            self.collect_pairs(self.resolve(m), &mut inherited, depth + 1);
            for p in inherited {
                let new = match (p.key.as_str(), &mut seen) {
                    (None, _) => true,
                    (Some(k), Some(seen)) => seen.insert(k),
                    (Some(k), None) => !out.iter().any(|q| q.key.as_str() == Some(k)),
                };
                if new {
                    out.push(p);
                }
            }
        }
    }

    /// `key` of a mapping (merge keys applied), value resolved through aliases.
    pub fn get<'a>(&'a self, node: &'a Node, key: &str) -> Option<&'a Node> {
        self.get_pair(node, key).and_then(|p| p.value.as_ref()).map(|v| self.resolve(v))
    }

    /// The pair [`Yaml::merged_pairs`] would list first for `key`, without listing them.
    pub fn get_pair<'a>(&'a self, node: &'a Node, key: &str) -> Option<&'a Pair> {
        if key == "<<" {
            return None;
        }
        self.find_pair(self.resolve(node), key, 0)
    }

    /// Own keys first, then each merge in order (as [`Yaml::collect_pairs`] orders them).
    fn find_pair<'a>(&'a self, node: &'a Node, key: &str, depth: usize) -> Option<&'a Pair> {
        if depth > 8 {
            return None;
        }
        let pairs = node.pairs();
        if let Some(p) = pairs.iter().find(|p| p.key.as_str() == Some(key)) {
            return Some(p);
        }
        for merge in pairs.iter().filter(|p| p.key.as_str() == Some("<<")) {
            let Some(v) = &merge.value else { continue };
            let found = match &self.resolve(v).kind {
                NodeKind::Sequence(items) => items.iter().find_map(|m| self.find_pair(self.resolve(m), key, depth + 1)),
                _ => self.find_pair(self.resolve(v), key, depth + 1),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// The text with lines that cannot be a complete YAML entry (a bare word in a block mapping,
/// typed half-way) replaced by spaces, or `None` when there is no such line. Block scalar
/// bodies are left alone.
fn mask_incomplete_lines(text: &str) -> Option<String> {
    let mut masked = String::with_capacity(text.len());
    let mut changed = false;
    let mut block_indent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let indent = content.len() - trimmed.len();
        if let Some(b) = block_indent {
            if trimmed.is_empty() || indent > b {
                masked.push_str(line);
                continue;
            }
            block_indent = None;
        }
        let opens_block = {
            let t = trimmed.trim_end();
            t.ends_with('|')
                || t.ends_with('>')
                || t.ends_with("|-")
                || t.ends_with(">-")
                || t.ends_with("|+")
                || t.ends_with(">+")
        };
        if opens_block {
            block_indent = Some(indent);
        }
        let incomplete = !trimmed.is_empty()
            && !trimmed.starts_with(['-', '#', '[', '{', '"', '\'', '&', '*', '!', '?', '%', '|', '>'])
            && !trimmed.contains(':')
            && trimmed != "---"
            && trimmed != "...";
        if incomplete {
            changed = true;
            masked.extend(line.bytes().map(|b| if b == b'\n' || b == b'\r' { b as char } else { ' ' }));
        } else {
            masked.push_str(line);
        }
    }
    changed.then_some(masked)
}

/// tree-sitter-yaml gives up (an `ERROR` root) on documents past about 512 KiB: larger files
/// are read in pieces of at most this size.
const CHUNK_BYTES: usize = 256 * 1024;

/// Reads a large file a top-level entry at a time, and an entry larger than a chunk a group of
/// its children at a time (each group is a valid indented mapping on its own).
fn parse_chunked(text: &str) -> Yaml {
    let mut yaml = Yaml::empty();
    let mut pairs = Vec::new();
    for (start, end) in blocks(text, 0, text.len(), 0) {
        let block = &text[start..end];
        if block.len() <= CHUNK_BYTES {
            let part = Yaml::parse(block);
            yaml.has_error |= part.has_error;
            merge_part(&mut yaml, &mut pairs, part, start);
            continue;
        }
        // `key:` then children indented below it, read in groups.
        let key_end = block.find('\n').map_or(end, |i| start + i);
        let key_text = text[start..key_end].trim_end();
        let Some(key) = key_text.strip_suffix(':') else { continue };
        let children_start = (key_end + 1).min(end);
        let indent = text[children_start..end]
            .lines()
            .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map_or(2, |l| l.len() - l.trim_start().len());
        let mut children = Vec::new();
        let mut group_start = children_start;
        let child_blocks = blocks(text, children_start, end, indent);
        for (i, &(_, child_end)) in child_blocks.iter().enumerate() {
            let next_end = child_blocks.get(i + 1).map_or(end, |b| b.1);
            if next_end - group_start > CHUNK_BYTES || i + 1 == child_blocks.len() {
                let part = Yaml::parse(&text[group_start..child_end]);
                yaml.has_error |= part.has_error;
                merge_part(&mut yaml, &mut children, part, group_start);
                group_start = child_end;
            }
        }
        let key_node = Node {
            range: TextRange::new(start, start + key.len()),
            anchor: None,
            kind: NodeKind::Scalar(Scalar { value: key.to_string(), style: ScalarStyle::Plain }),
        };
        let value =
            Node { range: TextRange::new(children_start, end), anchor: None, kind: NodeKind::Mapping(children.into()) };
        pairs.push(Pair { key: key_node, value: Some(value), range: TextRange::new(start, end) });
    }
    yaml.root =
        Some(Node { range: TextRange::new(0, text.len()), anchor: None, kind: NodeKind::Mapping(pairs.into()) });
    yaml
}

/// The pairs and anchors of a part parsed at `offset`, moved into place.
fn merge_part(yaml: &mut Yaml, pairs: &mut Vec<Pair>, part: Yaml, offset: usize) {
    let delta = offset as i64;
    for (name, node) in part.anchors {
        yaml.anchors.insert(name, shifted_node(&node, delta));
    }
    if let Some(Node { kind: NodeKind::Mapping(found), .. }) = part.root {
        pairs.extend(found.iter().map(|p| shifted_pair(p, delta)));
    }
}

fn shifted_range(range: TextRange, delta: i64) -> TextRange {
    TextRange { start: (i64::from(range.start) + delta) as u32, end: (i64::from(range.end) + delta) as u32 }
}

/// A copy of `node` moved by `delta` bytes (its text is the same, elsewhere).
fn shifted_node(node: &Node, delta: i64) -> Node {
    if delta == 0 {
        return node.clone();
    }
    let kind = match &node.kind {
        NodeKind::Mapping(pairs) => NodeKind::Mapping(pairs.iter().map(|p| shifted_pair(p, delta)).collect()),
        NodeKind::Sequence(items) => NodeKind::Sequence(items.iter().map(|i| shifted_node(i, delta)).collect()),
        other => other.clone(),
    };
    Node { range: shifted_range(node.range, delta), anchor: node.anchor.clone(), kind }
}

fn shifted_pair(pair: &Pair, delta: i64) -> Pair {
    Pair {
        key: shifted_node(&pair.key, delta),
        value: pair.value.as_ref().map(|v| shifted_node(v, delta)),
        range: shifted_range(pair.range, delta),
    }
}

/// `[start, end)` split before every line indented exactly `indent` that starts an entry
/// (not a comment, a blank line or a `-` item continuing the previous entry).
fn blocks(text: &str, start: usize, end: usize, indent: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut pos = start;
    let mut current = start;
    while pos < end {
        let line_end = text[pos..end].find('\n').map_or(end, |i| pos + i + 1);
        let line = &text[pos..line_end];
        let trimmed = line.trim_start_matches(' ');
        let starts_entry = line.len() - trimmed.len() == indent
            && !trimmed.trim().is_empty()
            && !trimmed.starts_with('#')
            && !trimmed.starts_with("- ");
        if starts_entry && pos > current {
            out.push((current, pos));
            current = pos;
        }
        pos = line_end;
    }
    if current < end {
        out.push((current, end));
    }
    out
}

/// Row/column (bytes) of an edit's start, old end and new end, as tree-sitter wants them.
#[derive(Debug, Clone, Copy)]
pub struct EditPoints {
    pub start: Point,
    pub old_end: Point,
    pub new_end: Point,
}

/// A byte offset as tree-sitter's row/column (columns in bytes).
pub fn point(text: &str, offset: usize) -> Point {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let col = offset - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    Point { row, column: col }
}

/// Node kinds the converter tells apart, looked up by tree-sitter kind id (comparing kind
/// names as strings was an eighth of a compose edit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Alias,
    AliasName,
    Anchor,
    AnchorName,
    BlockMapping,
    BlockMappingPair,
    BlockNode,
    BlockScalar,
    BlockSequence,
    BlockSequenceItem,
    Comment,
    Document,
    DoubleQuoteScalar,
    Error,
    FlowMapping,
    FlowNode,
    FlowPair,
    FlowSequence,
    PlainScalar,
    SingleQuoteScalar,
    Stream,
    Tag,
    Other,
}

struct Ids {
    kinds: Vec<K>,
    key: std::num::NonZeroU16,
    value: std::num::NonZeroU16,
}

fn ids() -> &'static Ids {
    static IDS: std::sync::OnceLock<Ids> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_yaml::LANGUAGE.into();
        let mut kinds = vec![K::Other; language.node_kind_count() + 1];
        let named: [(&str, K); 21] = [
            ("stream", K::Stream),
            ("document", K::Document),
            ("block_node", K::BlockNode),
            ("flow_node", K::FlowNode),
            ("block_mapping", K::BlockMapping),
            ("flow_mapping", K::FlowMapping),
            ("block_mapping_pair", K::BlockMappingPair),
            ("flow_pair", K::FlowPair),
            ("block_sequence", K::BlockSequence),
            ("flow_sequence", K::FlowSequence),
            ("block_sequence_item", K::BlockSequenceItem),
            ("plain_scalar", K::PlainScalar),
            ("single_quote_scalar", K::SingleQuoteScalar),
            ("double_quote_scalar", K::DoubleQuoteScalar),
            ("block_scalar", K::BlockScalar),
            ("alias", K::Alias),
            ("anchor", K::Anchor),
            ("anchor_name", K::AnchorName),
            ("alias_name", K::AliasName),
            ("tag", K::Tag),
            ("comment", K::Comment),
        ];
        for (name, kind) in named {
            for is_named in [true, false] {
                let id = language.id_for_node_kind(name, is_named) as usize;
                if id != 0 && id < kinds.len() {
                    kinds[id] = kind;
                }
            }
        }
        // `ERROR` has its own id (u16::MAX) outside the table.
        let field = |name: &str| language.field_id_for_name(name).unwrap_or(std::num::NonZeroU16::MIN);
        Ids { kinds, key: field("key"), value: field("value") }
    })
}

fn kind_of(n: tree_sitter::Node<'_>) -> K {
    if n.is_error() {
        return K::Error;
    }
    ids().kinds.get(n.kind_id() as usize).copied().unwrap_or(K::Other)
}

/// Hashes tree-sitter node ids (addresses) for [`Reusable`].
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        let h = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

type IdMap<K> = HashMap<K, u32, BuildHasherDefault<IdHasher>>;

/// The pairs of the first [`INDEXED_LEVELS`] mapping levels as converted, for the next version
/// to take those an edit did not touch.
#[derive(Default, Clone)]
struct Reusable {
    entries: Vec<Reuse>,
    /// By the id of the pair's tree-sitter node: tree-sitter's re-parse keeps the subtrees
    /// before an edit (the same node, so the same conversion).
    by_id: IdMap<usize>,
    /// By where the pair starts: after an edit, tree-sitter-yaml builds new nodes (its scanner
    /// state differs), so a pair there is matched by position instead (see [`Converter::pair`]).
    by_start: IdMap<u32>,
}

impl Reusable {
    fn push(&mut self, id: usize, entry: Reuse) {
        let i = self.entries.len() as u32;
        self.by_start.insert(entry.pair.range.start, i);
        self.by_id.insert(id, i);
        self.entries.push(entry);
    }

    fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        self.by_id.reserve(n);
        self.by_start.reserve(n);
    }
}

#[derive(Clone)]
struct Reuse {
    pair: Pair,
    /// The converter's depth at the pair (its limit makes a conversion depend on it).
    depth: usize,
    /// How many pairs it was nested in, and where the one holding it starts.
    level: usize,
    parent: u32,
    kind_id: u16,
}

/// Where an edit was: `start..old_end` in the old text became `start..new_end`.
#[derive(Clone, Copy)]
struct Shift {
    start: usize,
    old_end: usize,
    new_end: usize,
    /// The start of the first line after the edit's end.
    next_line: usize,
}

impl Shift {
    /// A new offset in the old text, unless it is inside the edit.
    fn to_old(self, at: usize) -> Option<usize> {
        if at <= self.start {
            Some(at)
        } else if at >= self.new_end {
            Some(at - self.new_end + self.old_end)
        } else {
            None
        }
    }
}

/// The pair nodes inside `n`, not inside each other.
fn pair_nodes<'t>(n: tree_sitter::Node<'t>, out: &mut Vec<tree_sitter::Node<'t>>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut cursor = n.walk();
    for child in n.named_children(&mut cursor) {
        match kind_of(child) {
            K::BlockMappingPair | K::FlowPair => out.push(child),
            _ => pair_nodes(child, out, depth + 1),
        }
    }
}

/// The parent of a top-level pair, or of a pair inside the edit.
const NO_PARENT: u32 = u32::MAX;

/// Pairs nested in fewer than this many pairs are indexed for reuse: top-level keys and their
/// entries (services, volumes). Deeper ones are re-read with the entry that holds them.
const INDEXED_LEVELS: usize = 2;

struct Converter<'t, 'a> {
    text: &'t str,
    anchors: &'a mut HashMap<CompactString, Node>,
    /// Anchors registered so far (a pair that defines one is not reused: its anchor must be
    /// registered again).
    anchors_added: usize,
    /// Pairs taken from `previous`.
    reused: usize,
    depth: usize,
    /// How many pairs the current node is nested in.
    pair_level: usize,
    /// Where the innermost pair holding the current node starts in the previous version (for
    /// matching) and in this one (for the index); [`NO_PARENT`] at the top.
    parent_old: u32,
    parent_new: u32,
    /// The previous version's pairs and the edit since, for an incremental re-read.
    previous: Option<(&'a Reusable, Shift)>,
    /// Where this version's pairs are recorded, when it can be reused.
    index: Option<&'a mut Reusable>,
}

const MAX_DEPTH: usize = 200;

impl Converter<'_, '_> {
    fn range(n: tree_sitter::Node<'_>) -> TextRange {
        TextRange::new(n.start_byte(), n.end_byte())
    }

    fn document_root(&mut self, root: tree_sitter::Node<'_>) -> Option<Node> {
        // stream → document → block_node/flow_node; a broken file may put ERROR anywhere.
        let mut cursor = root.walk();
        let mut children: Vec<tree_sitter::Node<'_>> = root.named_children(&mut cursor).collect();
        if kind_of(root) == K::Stream
            && let Some(doc) = children.iter().find(|c| kind_of(**c) == K::Document)
        {
            let doc = *doc;
            let mut c2 = doc.walk();
            children = doc.named_children(&mut c2).collect();
        }
        let mut pairs = Vec::new();
        for child in children {
            match kind_of(child) {
                K::BlockNode | K::FlowNode => {
                    if let Some(node) = self.node(child)
                        && pairs.is_empty()
                    {
                        return Some(node);
                    }
                }
                _ => self.pairs_in(child, &mut pairs),
            }
        }
        (!pairs.is_empty()).then(|| Node {
            range: Converter::range(root),
            anchor: None,
            kind: NodeKind::Mapping(pairs.into()),
        })
    }

    /// Pairs found directly in an ERROR region (tree-sitter keeps the pairs it recognised).
    fn pairs_in(&mut self, n: tree_sitter::Node<'_>, out: &mut Vec<Pair>) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let mut cursor = n.walk();
        for child in n.named_children(&mut cursor) {
            match kind_of(child) {
                K::BlockMappingPair | K::FlowPair => {
                    if let Some(p) = self.pair(child) {
                        out.push(p);
                    }
                }
                K::Error | K::BlockNode | K::BlockMapping => self.pairs_in(child, out),
                _ => {}
            }
        }
        self.depth -= 1;
    }

    fn node(&mut self, n: tree_sitter::Node<'_>) -> Option<Node> {
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let out = self.node_inner(n);
        self.depth -= 1;
        out
    }

    fn node_inner(&mut self, n: tree_sitter::Node<'_>) -> Option<Node> {
        let range = Converter::range(n);
        match kind_of(n) {
            K::BlockNode | K::FlowNode => {
                let mut anchor = None;
                let mut inner = None;
                let mut cursor = n.walk();
                for child in n.named_children(&mut cursor) {
                    match kind_of(child) {
                        K::Anchor => anchor = self.name_of(child, K::AnchorName),
                        K::Tag | K::Comment => {}
                        _ => inner = inner.or_else(|| self.node(child)),
                    }
                }
                let mut node = inner.unwrap_or(Node { range, anchor: None, kind: NodeKind::Other });
                if let Some(name) = anchor {
                    node.anchor = Some(name.clone());
                    self.anchors.insert(name, node.clone());
                    self.anchors_added += 1;
                }
                Some(node)
            }
            K::BlockMapping | K::FlowMapping => {
                let mut pairs = Vec::new();
                let mut cursor = n.walk();
                for child in n.named_children(&mut cursor) {
                    match kind_of(child) {
                        K::BlockMappingPair | K::FlowPair => pairs.extend(self.pair(child)),
                        K::Error => self.pairs_in(child, &mut pairs),
                        _ => {}
                    }
                }
                Some(Node { range, anchor: None, kind: NodeKind::Mapping(pairs.into()) })
            }
            K::BlockSequence | K::FlowSequence => {
                let mut items = Vec::new();
                let mut cursor = n.walk();
                for child in n.named_children(&mut cursor) {
                    match kind_of(child) {
                        K::BlockSequenceItem => {
                            let mut c2 = child.walk();
                            let inner = child.named_children(&mut c2).find(|c| kind_of(*c) != K::Comment);
                            match inner.and_then(|i| self.node(i)) {
                                Some(node) => items.push(node),
                                None => items.push(Node {
                                    range: Converter::range(child),
                                    anchor: None,
                                    kind: NodeKind::Other,
                                }),
                            }
                        }
                        K::FlowNode => items.extend(self.node(child)),
                        K::FlowPair => {
                            if let Some(p) = self.pair(child) {
                                items.push(Node {
                                    range: p.range,
                                    anchor: None,
                                    kind: NodeKind::Mapping(Arc::new([p])),
                                });
                            }
                        }
                        _ => {}
                    }
                }
                Some(Node { range, anchor: None, kind: NodeKind::Sequence(items.into()) })
            }
            K::PlainScalar => Some(self.scalar(n, ScalarStyle::Plain)),
            K::SingleQuoteScalar => Some(self.scalar(n, ScalarStyle::SingleQuoted)),
            K::DoubleQuoteScalar => Some(self.scalar(n, ScalarStyle::DoubleQuoted)),
            K::BlockScalar => Some(self.scalar(n, ScalarStyle::Block)),
            K::Alias => {
                self.name_of(n, K::AliasName).map(|name| Node { range, anchor: None, kind: NodeKind::Alias(name) })
            }
            _ => Some(Node { range, anchor: None, kind: NodeKind::Other }),
        }
    }

    fn pair(&mut self, n: tree_sitter::Node<'_>) -> Option<Pair> {
        let indexed = self.pair_level < INDEXED_LEVELS && self.index.is_some();
        let start = n.start_byte();
        if indexed && let Some((pair, old_start)) = self.reuse(n, start) {
            self.reused += 1;
            self.record(n, &pair);
            if self.pair_level + 1 < INDEXED_LEVELS {
                self.record_inner(n, &pair, old_start);
            }
            return Some(pair);
        }
        let anchors_before = self.anchors_added;
        let parents = (self.parent_old, self.parent_new);
        self.parent_old = self.previous.and_then(|(_, shift)| shift.to_old(start)).map_or(NO_PARENT, |s| s as u32);
        self.parent_new = start as u32;
        self.pair_level += 1;
        let key = n.child_by_field_id(ids().key.get()).and_then(|k| self.node(k));
        let value = key.as_ref().and_then(|_| n.child_by_field_id(ids().value.get())).and_then(|v| self.node(v));
        self.pair_level -= 1;
        (self.parent_old, self.parent_new) = parents;
        let pair = Pair { key: key?, value, range: Converter::range(n) };
        if indexed && self.anchors_added == anchors_before {
            self.record(n, &pair);
        }
        Some(pair)
    }

    /// The previous version's conversion of the pair `n`, moved into place, when it is the same:
    ///
    /// - the same tree-sitter subtree (kept by the incremental re-parse: before the edit), or
    /// - a pair after the edit, starting on a later line (so the same column), that starts and
    ///   ends where one did before (moved by the edit's length change), with the same node
    ///   kind, nesting, depth and parent. Its text is the same (all of it is after the edit),
    ///   and tree-sitter read it as a pair of the same mapping both times, without errors (the
    ///   index is only kept for trees without errors), so it reads the same.
    ///
    /// A pair that registered an anchor is never indexed (the anchor must be registered again).
    /// Returns the pair and where it started before.
    fn reuse(&self, n: tree_sitter::Node<'_>, start: usize) -> Option<(Pair, u32)> {
        let (previous, shift) = self.previous?;
        let by_id = previous.by_id.get(&n.id()).map(|&i| &previous.entries[i as usize]);
        if let Some(old) = by_id.filter(|e| e.depth == self.depth) {
            let old_start = old.pair.range.start;
            return Some((shifted_pair(&old.pair, start as i64 - i64::from(old_start)), old_start));
        }
        if start < shift.next_line {
            return None;
        }
        let end = n.end_byte();
        let old_start = shift.to_old(start)? as u32;
        let old = &previous.entries[*previous.by_start.get(&old_start)? as usize];
        let same = old.pair.range.end as usize == shift.to_old(end)?
            && old.depth == self.depth
            && old.level == self.pair_level
            && old.parent == self.parent_old
            && old.kind_id == n.kind_id();
        same.then(|| (shifted_pair(&old.pair, start as i64 - i64::from(old_start)), old_start))
    }

    /// Indexes the pairs inside a reused pair `n` (as its conversion would have), so that the
    /// next edit, inside it, still finds them: with `n`'s tree-sitter nodes, their ids included.
    fn record_inner(&mut self, n: tree_sitter::Node<'_>, pair: &Pair, old_start: u32) {
        let Some((previous, _)) = self.previous else { return };
        let delta = i64::from(pair.range.start) - i64::from(old_start);
        let owned = pair.value.as_ref().map_or(&[][..], Node::pairs);
        let mut inner = Vec::new();
        pair_nodes(n, &mut inner, 0);
        for p in inner {
            let start = p.start_byte();
            let Ok(before) = u32::try_from(start as i64 - delta) else { continue };
            let Some(&i) = previous.by_start.get(&before) else { continue };
            let old = &previous.entries[i as usize];
            let same = old.level == self.pair_level + 1
                && old.parent == old_start
                && i64::from(old.pair.range.end) + delta == p.end_byte() as i64
                && old.kind_id == p.kind_id();
            if !same {
                continue;
            }
            let child = match owned.binary_search_by_key(&(start as u32), |q| q.range.start) {
                Ok(j) => owned[j].clone(),
                Err(_) => shifted_pair(&old.pair, delta),
            };
            let entry = Reuse {
                pair: child,
                depth: old.depth,
                level: old.level,
                parent: pair.range.start,
                kind_id: old.kind_id,
            };
            if let Some(index) = &mut self.index {
                index.push(p.id(), entry);
            }
        }
    }

    fn record(&mut self, n: tree_sitter::Node<'_>, pair: &Pair) {
        let entry = Reuse {
            pair: pair.clone(),
            depth: self.depth,
            level: self.pair_level,
            parent: self.parent_new,
            kind_id: n.kind_id(),
        };
        if let Some(index) = &mut self.index {
            index.push(n.id(), entry);
        }
    }

    fn name_of(&self, n: tree_sitter::Node<'_>, kind: K) -> Option<CompactString> {
        let mut cursor = n.walk();
        let name = n.named_children(&mut cursor).find(|c| kind_of(*c) == kind)?;
        Some(CompactString::from(&self.text[name.start_byte()..name.end_byte()]))
    }

    fn scalar(&self, n: tree_sitter::Node<'_>, style: ScalarStyle) -> Node {
        let raw = &self.text[n.start_byte()..n.end_byte()];
        let value = match style {
            ScalarStyle::Plain => fold_plain(raw),
            ScalarStyle::SingleQuoted => raw
                .trim_start_matches('\'')
                .strip_suffix('\'')
                .unwrap_or(raw.trim_start_matches('\''))
                .replace("''", "'"),
            ScalarStyle::DoubleQuoted => {
                unescape_double(raw.strip_prefix('"').map(|r| r.strip_suffix('"').unwrap_or(r)).unwrap_or(raw))
            }
            ScalarStyle::Block => block_value(raw),
        };
        Node { range: Converter::range(n), anchor: None, kind: NodeKind::Scalar(Scalar { value, style }) }
    }
}

fn fold_plain(raw: &str) -> String {
    if !raw.contains('\n') {
        return raw.to_string();
    }
    raw.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('/') => out.push('/'),
            Some('0') => out.push('\0'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The content of a `|` or `>` block scalar, indentation removed (folding not applied: the
/// shell reads both the same way for our purposes).
fn block_value(raw: &str) -> String {
    let mut lines = raw.lines();
    lines.next(); // the `|` / `>` indicator line
    let body: Vec<&str> = lines.collect();
    let indent =
        body.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let mut out = String::new();
    for l in body {
        out.push_str(l.get(indent..).unwrap_or(""));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
