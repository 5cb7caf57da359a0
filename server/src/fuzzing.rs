//! Entry points for the fuzz targets (`fuzz/`, cargo fuzz with libFuzzer), kept in the library
//! so the same code runs in the stable test suite over every corpus file and past crash
//! (`server/tests/fuzz_corpus.rs`). Each takes arbitrary bytes and panics only on a real bug:
//! a panic inside driftls, or an incremental result that differs from a fresh parse.

use std::path::PathBuf;

use crate::analysis::image_facts::ImageFacts;
use crate::analysis::settings::RuleSettings;
use crate::analysis::workspace::{SourceFile, Workspace};
use crate::analysis::{diagnostics, hover, pin};
use crate::syntax::TextRange;
use crate::syntax::deploy::{self, ScriptKind};
use crate::syntax::dockerfile::Dockerfile;
use crate::syntax::file_kind::FileKind;
use crate::syntax::yaml::Yaml;

/// The fuzz targets, by name (the file names under `fuzz/fuzz_targets/`).
pub const TARGETS: [&str; 6] =
    ["dockerfile", "dockerfile_edit", "compose", "deploy_script", "image_ref", "registry_response"];

/// Runs target `name` on `data`.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "dockerfile" => dockerfile(data),
        "dockerfile_edit" => dockerfile_edit(data),
        "compose" => compose(data),
        "deploy_script" => deploy_script(data),
        "image_ref" => image_ref(data),
        "registry_response" => registry_response(data),
        other => panic!("no fuzz target {other}"),
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A Dockerfile: parse, every rule, a hover and the pin actions at a few offsets.
pub fn dockerfile(data: &[u8]) {
    let text = text(data);
    let mut ws = Workspace::default();
    let path = PathBuf::from("/w/Dockerfile");
    ws.insert(SourceFile::new(path.clone(), FileKind::Dockerfile, text.clone()));
    let facts = ImageFacts::default();
    if let Some(tree) = ws.get(&path).and_then(|f| f.dockerfile()) {
        diagnostics::dockerfile(tree, &text, &facts, &RuleSettings::default());
    }
    for offset in [0, text.len() / 3, text.len() / 2, text.len()] {
        if text.is_char_boundary(offset) {
            hover::hover(&ws, &path, offset, &facts);
        }
    }
    pin::actions(&ws, &path, TextRange::new(0, text.len()), &facts);
}

/// Edits: the first byte says how many, then (position, length, byte) triples; after each the
/// incremental tree must equal a fresh parse.
pub fn dockerfile_edit(data: &[u8]) {
    let Some((&count, rest)) = data.split_first() else { return };
    let edits = (count as usize % 8) * 3;
    if rest.len() < edits {
        return;
    }
    let (ops, initial) = rest.split_at(edits);
    let mut text = text(initial);
    let mut tree = Dockerfile::parse(&text);
    for op in ops.chunks(3) {
        let mut start = (op[0] as usize * text.len()) / 256;
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + (op[1] as usize % 8)).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let inserted = match op[2] {
            b'\\' => "\\\n",
            b'<' => "<<EOF\n",
            b'#' => "# escape=`\n",
            b'\n' | b'\r' => "\n",
            c if c.is_ascii_graphic() || c == b' ' => return_char(c),
            _ => "é",
        }
        .to_string();
        text.replace_range(start..end, &inserted);
        tree.edit(TextRange::new(start, end), inserted.len(), &text);
        let fresh = Dockerfile::parse(&text);
        assert_eq!(tree.directives, fresh.directives, "directives differ for {text:?}");
        let a: Vec<_> = tree.instructions.iter().map(|l| (l.start, &*l.instruction)).collect();
        let b: Vec<_> = fresh.instructions.iter().map(|l| (l.start, &*l.instruction)).collect();
        assert_eq!(a, b, "instructions differ for {text:?}");
    }
}

/// A printable ASCII byte as a `'static` one-character string.
fn return_char(c: u8) -> &'static str {
    const PRINTABLE: &str =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    let i = (c - b' ') as usize;
    &PRINTABLE[i..i + 1]
}

/// A compose file: parse, the compose rules and actions, and one edit through the incremental
/// path, whose tree must equal a fresh parse.
pub fn compose(data: &[u8]) {
    let text = text(data);
    let mut ws = Workspace { root: Some(PathBuf::from("/w")), ..Workspace::default() };
    let path = PathBuf::from("/w/compose.yaml");
    ws.insert(SourceFile::new(path.clone(), FileKind::Compose, text.clone()));
    ws.insert(SourceFile::new(
        PathBuf::from("/w/Dockerfile"),
        FileKind::Dockerfile,
        "FROM alpine\nVOLUME /data\n".into(),
    ));
    let facts = ImageFacts::default();
    diagnostics::compose(&ws, &path, &facts, &RuleSettings::default());
    crate::analysis::actions::fixes(&ws, &path, TextRange::new(0, text.len()), &facts);
    hover::hover(&ws, &path, text.len() / 2, &facts);
    // One edit in the middle: insert a character, then compare with a fresh parse.
    let mut incremental = Yaml::parse(&text);
    let mut at = text.len() / 2;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut edited = text.clone();
    edited.insert(at, 'x');
    incremental.edit(TextRange::empty(at), 1, &text, &edited);
    let fresh = Yaml::parse(&edited);
    assert_eq!(incremental.root, fresh.root, "incremental YAML differs for {edited:?}");
    assert_eq!(incremental.has_error, fresh.has_error);
}

/// Deploy scripts of every kind: snippets and compose commands; then the deploy rules.
pub fn deploy_script(data: &[u8]) {
    let text = text(data);
    for kind in [ScriptKind::Shell, ScriptKind::Jenkinsfile, ScriptKind::Makefile] {
        let snippets = deploy::snippets(kind, &text);
        deploy::find(&snippets);
    }
    let mut ws = Workspace { root: Some(PathBuf::from("/w")), ..Workspace::default() };
    ws.insert(SourceFile::new(
        PathBuf::from("/w/compose.yaml"),
        FileKind::Compose,
        "services:\n  a:\n    image: x\n    volumes:\n      - /data\n".into(),
    ));
    for name in ["deploy.sh", "Jenkinsfile", "Makefile", ".gitlab-ci.yml"] {
        let path = PathBuf::from("/w").join(name);
        let kind = FileKind::detect(&path, None);
        ws.insert(SourceFile::new(path.clone(), kind, text.clone()));
        diagnostics::deploy(&ws, &path, &ImageFacts::default(), &RuleSettings::default());
        crate::analysis::actions::fixes(&ws, &path, TextRange::new(0, text.len()), &ImageFacts::default());
    }
}

/// Image references: parse, normalise, find the registry endpoint.
pub fn image_ref(data: &[u8]) {
    let text = text(data);
    if let Ok(image) = crate::syntax::image_ref::ImageRef::parse(&text) {
        let endpoint = crate::registry::endpoint::Endpoint::of(&image);
        let _ = endpoint.hostname();
        crate::analysis::links::page(&image);
        crate::analysis::tags::classify_tag(&image, image.tag.map_or("", |t| &text[t.as_range()]));
    }
    crate::registry::lookup::split_platform(&text);
}

/// What a registry sends: config blobs, manifests and indexes, tag lists, history lines.
pub fn registry_response(data: &[u8]) {
    if let Ok(config) = crate::registry::config::parse_config(data) {
        hover::config_markdown(&config);
        for entry in &config.history {
            crate::analysis::history::instruction(&entry.created_by);
        }
        for v in &config.volumes {
            config.volume_step(v);
        }
    }
    let _ = serde_json::from_slice::<oci_client::manifest::OciManifest>(data);
    crate::analysis::history::instruction(&text(data));
    if let Ok(tags) = serde_json::from_slice::<serde_json::Value>(data)
        && let Some(list) = tags["tags"].as_array()
    {
        let tags: Vec<String> = list.iter().filter_map(|t| t.as_str().map(str::to_string)).collect();
        crate::analysis::tags::version_candidates(&tags, Some("latest"), 12);
    }
}
