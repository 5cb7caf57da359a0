//! The incremental analysis (`diagnostics::dockerfile_incremental` with a `DockerfileMemo`)
//! against a fresh one: after every edit of the incremental tree, with image facts and
//! settings changing between calls, the findings and the looked-up references are the same.

use std::sync::Arc;

use expect_test::expect;

use crate::analysis::diagnostics;
use crate::analysis::image_facts::{Found, HistoryEntry, ImageConfig, ImageFacts, Lookup};
use crate::analysis::memo::DockerfileMemo;
use crate::analysis::settings::{Level, RuleSettings};
use crate::analysis::{Diagnostic, Rule, Severity};
use crate::generate::{self, Rng};
use crate::syntax::TextRange;
use crate::syntax::dockerfile::{Dockerfile, Located};

/// Analyses `text` both ways and asserts the same findings and the same lookups.
fn assert_same(
    tree: &Dockerfile,
    text: &str,
    facts: &ImageFacts,
    settings: &RuleSettings,
    memo: &mut DockerfileMemo,
    what: &str,
) -> Vec<Diagnostic> {
    let (recording, asked) = facts.recording();
    let got = diagnostics::dockerfile_incremental(tree, text, &recording, settings, memo);
    let (recording, fresh_asked) = facts.recording();
    let want = diagnostics::dockerfile(&Dockerfile::parse(text), text, &recording, settings);
    if got != want {
        let first = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        panic!(
            "{what}: {} findings, a fresh analysis has {}; first difference at {first}:\n  got  {:?}\n  want {:?}\ntext:\n{text}",
            got.len(),
            want.len(),
            got.get(first),
            want.get(first)
        );
    }
    assert_eq!(asked.take(), fresh_asked.take(), "{what}: looked up other references");
    assert_eq!(memo.len(), tree.instructions.len(), "{what}: the memo keeps what the last analysis did not use");
    got
}

const SNIPPETS: [&str; 22] = [
    "x",
    " ",
    "\n",
    "\\\n",
    "#",
    "1",
    ".7",
    ":latest",
    "@sha256:2140dad235c130ac861018a4e13a6bc8aea3a35f3a40e20c1b060d51a7efd250",
    "${BASE}",
    "$TAG",
    "/data",
    "stage0",
    " AS stage1",
    "FROM ",
    "RUN ",
    "<<EOF",
    "\nEOF\n",
    "é",
    "\"",
    "--from=stage2 ",
    " # driftls-ignore: package-unpinned",
];

const LINES: [&str; 26] = [
    "ARG BASE=node:22.11.0\n",
    "ARG BASE\n",
    "ARG TAG=1.0\n",
    "FROM ${BASE}:${TAG} AS tagged\n",
    "FROM ${UNSET} AS unset\n",
    "FROM stage0 AS stage0\n",
    "FROM scratch\n",
    "FROM --platform=linux/arm64 python:3.12 AS arm\n",
    "VOLUME /usr/app\n",
    "VOLUME [\"/data\", \"/srv\"]\n",
    "WORKDIR /data\n",
    "WORKDIR sub\n",
    "COPY --from=stage1 /a /data/x\n",
    "COPY --from=${BASE} /a /b\n",
    "RUN mkdir -p /data/cache && curl -fsSL https://x.sh | bash\n",
    "RUN --mount=type=bind,from=node:20,target=/m cp /m/x /usr/app/x\n",
    "ADD https://example.com/x.tgz /data/\n",
    "ONBUILD RUN apt-get install -y curl\n",
    "# driftls-ignore: image-unpinned\n",
    "# driftls-ignore: volume-write-after-declare, package-unpinned\n",
    "# driftls-ignore-file: remote-script-pipe\n",
    "USER app\n",
    "\n",
    "# a comment\n",
    "# escape=`\n",
    "COPY --from=0 /a /data/b\n",
];

const SWAPS: [(&str, &str); 9] = [
    ("python:3.12", "python:3.12.7-slim"),
    ("stage0", "stage9"),
    ("/data", "/srv"),
    ("BASE", "BASE2"),
    ("node:latest", "node:20.1.0"),
    ("alpine", "alpine:3.20.3"),
    ("VOLUME", "LABEL"),
    ("ARG TAG", "ARG TAG=2.0"),
    ("apt-get install", "apt-get upgrade"),
];

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|&i| i < text.len()).collect()
}

/// One random edit of `text`: what it replaced and the length of what it put there.
fn random_edit(rng: &mut Rng, text: &mut String) -> (TextRange, usize) {
    let starts = line_starts(text);
    let line = starts.get(rng.below(starts.len().max(1))).copied().unwrap_or(0);
    match rng.below(7) {
        0 => {
            let at = floor_boundary(text, rng.below(text.len() + 1));
            let s = rng.pick(&SNIPPETS);
            text.insert_str(at, s);
            (TextRange::empty(at), s.len())
        }
        1 => {
            let start = floor_boundary(text, rng.below(text.len() + 1));
            let end = floor_boundary(text, start + rng.below(12));
            text.replace_range(start..end, "");
            (TextRange::new(start, end), 0)
        }
        2 | 3 => {
            let s = rng.pick(&LINES);
            text.insert_str(line, s);
            (TextRange::empty(line), s.len())
        }
        4 => {
            let end = text[line..].find('\n').map_or(text.len(), |i| line + i + 1);
            text.replace_range(line..end, "");
            (TextRange::new(line, end), 0)
        }
        _ => {
            let (from, to) = SWAPS[rng.below(SWAPS.len())];
            let (from, to) = if rng.below(2) == 0 { (from, to) } else { (to, from) };
            let hits: Vec<usize> = text.match_indices(from).map(|(i, _)| i).collect();
            if hits.is_empty() {
                text.insert_str(line, "VOLUME /data\n");
                return (TextRange::empty(line), "VOLUME /data\n".len());
            }
            let at = hits[rng.below(hits.len())];
            text.replace_range(at..at + from.len(), to);
            (TextRange::new(at, at + from.len()), to.len())
        }
    }
}

fn found(digest: &str, config: ImageConfig) -> Lookup {
    Lookup::Found(Arc::new(Found { digest: digest.into(), config, ..Found::default() }))
}

/// Changes `facts` in place (the memo must notice) the `n`th way.
fn change_facts(facts: &mut ImageFacts, n: usize) {
    match n % 5 {
        0 => facts.insert(
            "python:3.12",
            ImageConfig {
                volumes: vec!["/data".into(), "/var/cache".into()],
                history: vec![HistoryEntry { created_by: "VOLUME [/data]".into(), ..HistoryEntry::default() }],
                ..ImageConfig::default()
            },
        ),
        1 => facts.insert_lookup("node:latest", Lookup::NotFound),
        2 => facts.insert_lookup(
            "nginx:1.27.2-alpine",
            found("sha256:0000000000000000000000000000000000000000000000000000000000000000", ImageConfig::default()),
        ),
        3 => facts.insert(
            "ubuntu:22.04",
            ImageConfig { volumes: vec!["usr/app".into()], working_dir: Some("/usr".into()), ..ImageConfig::default() },
        ),
        _ => *facts = ImageFacts::default(),
    }
}

fn settings(n: usize) -> RuleSettings {
    let mut settings = RuleSettings::default();
    match n % 4 {
        0 => {}
        1 => settings.set(Rule::ImageUnpinned, Level::Off),
        2 => settings.set(Rule::VolumeInherited, Level::On(Severity::Error)),
        _ => {
            settings.set(Rule::PackageUnpinned, Level::On(Severity::Hint));
            settings.set(Rule::RemoteScriptPipe, Level::Off);
        }
    }
    settings
}

fn random_edits(lines: usize, seed: u64, edits: usize) {
    let mut rng = Rng::new(seed);
    let mut text = generate::dockerfile(lines, seed);
    let mut tree = Dockerfile::parse(&text);
    let mut memo = DockerfileMemo::new();
    let mut facts = ImageFacts::default();
    let mut rule_settings = RuleSettings::default();
    assert_same(&tree, &text, &facts, &rule_settings, &mut memo, "first analysis");
    for step in 0..edits {
        let (range, inserted) = random_edit(&mut rng, &mut text);
        tree.edit(range, inserted, &text);
        if rng.below(10) == 0 {
            change_facts(&mut facts, rng.below(5));
        }
        if rng.below(10) == 0 {
            rule_settings = settings(rng.below(4));
        }
        let what = format!("{lines} lines, seed {seed}, edit {step} ({range:?} + {inserted})");
        assert_same(&tree, &text, &facts, &rule_settings, &mut memo, &what);
    }
}

#[test]
fn random_edits_give_what_a_fresh_analysis_gives() {
    for seed in 1..=6 {
        random_edits(40, seed, 150);
    }
    for seed in [7, 42] {
        random_edits(300, seed, 120);
    }
    random_edits(1_000, 11, 50);
}

#[test]
fn facts_and_settings_changes_without_edits_are_honoured() {
    let text = generate::dockerfile(300, 5);
    let tree = Dockerfile::parse(&text);
    let mut memo = DockerfileMemo::new();
    let mut facts = ImageFacts::default();
    for n in 0..10 {
        change_facts(&mut facts, n);
        assert_same(&tree, &text, &facts, &settings(n), &mut memo, &format!("facts change {n}"));
        assert_eq!(memo.created(), if n == 0 { tree.instructions.len() } else { 0 });
    }
}

#[test]
fn a_one_character_edit_analyses_one_instruction_again() {
    let mut text = generate::dockerfile(1_000, 42);
    let mut tree = Dockerfile::parse(&text);
    let (facts, settings) = (ImageFacts::default(), RuleSettings::default());
    let mut memo = DockerfileMemo::new();
    assert_same(&tree, &text, &facts, &settings, &mut memo, "first analysis");
    assert_eq!(memo.created(), tree.instructions.len());
    for (needle, offset) in [("apt-get install", 3), ("VOLUME /data", 9), ("FROM ${BASE}", 12), ("ARG TAG", 7)] {
        let at =
            text[text.len() / 2..].find(needle).map(|i| text.len() / 2 + i).or(text.find(needle)).unwrap() + offset;
        text.insert(at, 'x');
        tree.edit(TextRange::empty(at), 1, &text);
        assert_same(&tree, &text, &facts, &settings, &mut memo, needle);
        assert_eq!(memo.created(), 1, "{needle}");
    }
}

#[test]
fn the_memo_holds_only_the_current_instructions() {
    let mut memo = DockerfileMemo::new();
    let (facts, settings) = (ImageFacts::default(), RuleSettings::default());
    let mut rng = Rng::new(3);
    let mut text = generate::dockerfile(200, 3);
    let mut tree = Dockerfile::parse(&text);
    for _ in 0..100 {
        let (range, inserted) = random_edit(&mut rng, &mut text);
        tree.edit(range, inserted, &text);
        diagnostics::dockerfile_incremental(&tree, &text, &facts, &settings, &mut memo);
        assert_eq!(memo.len(), tree.instructions.len());
    }
    // Another document in the same memo: nothing of the first one stays.
    let other = "FROM alpine\nRUN apk add curl\n";
    diagnostics::dockerfile_incremental(&Dockerfile::parse(other), other, &facts, &settings, &mut memo);
    assert_eq!(memo.len(), 2);
}

#[test]
fn an_instruction_held_twice_is_analysed_afresh() {
    let text = "FROM alpine\nVOLUME /data\nRUN touch /data/x\n";
    let mut tree = Dockerfile::parse(text);
    let (facts, settings) = (ImageFacts::default(), RuleSettings::default());
    let mut memo = DockerfileMemo::new();
    assert_same(&tree, text, &facts, &settings, &mut memo, "first analysis");
    // Not what the parser makes: the RUN shares the VOLUME's instruction.
    let shared = tree.instructions[1].instruction.clone();
    tree.instructions[2] = Located { start: tree.instructions[2].start, instruction: shared };
    let fresh = diagnostics::dockerfile(&tree, text, &facts, &settings);
    assert_eq!(diagnostics::dockerfile_incremental(&tree, text, &facts, &settings, &mut memo), fresh);
    assert!(memo.is_empty());
}

#[test]
fn findings_in_other_instructions_follow_them() {
    // Volume findings point at the VOLUME (and image findings at the ARG default) in
    // another instruction; edits before, between and after move them differently.
    let mut text = String::from(
        "ARG BASE=python:3.12\nFROM ${BASE} AS build\nVOLUME /data\nRUN touch /data/x\nFROM build\nCOPY a /data/a\n",
    );
    let mut tree = Dockerfile::parse(&text);
    let (facts, settings) = (ImageFacts::default(), RuleSettings::default());
    let mut memo = DockerfileMemo::new();
    let mut rendered = String::new();
    for (at_text, insert) in [
        ("VOLUME", "# c\n"),
        ("RUN", "WORKDIR /\n"),
        ("ARG", "# driftls-ignore: image-unpinned\n"),
        ("FROM build", "ENV A=1\n"),
    ] {
        let at = text.find(at_text).unwrap();
        text.insert_str(at, insert);
        tree.edit(TextRange::empty(at), insert.len(), &text);
        for d in assert_same(&tree, &text, &facts, &settings, &mut memo, insert) {
            let related: Vec<&str> = d.related.iter().map(|r| &text[r.range.as_range()]).collect();
            rendered.push_str(&format!("{} `{}` {related:?}\n", d.rule.code(), &text[d.range.as_range()]));
        }
        rendered.push_str("--\n");
    }
    expect![[r#"
        image-floating-tag `python:3.12` []
        image-unpinned `python:3.12` []
        volume-write-after-declare `/data/x` ["/data"]
        volume-inherited `build` ["/data"]
        volume-write-after-declare `/data/a` ["/data"]
        --
        image-floating-tag `python:3.12` []
        image-unpinned `python:3.12` []
        volume-write-after-declare `/data/x` ["/data"]
        volume-inherited `build` ["/data"]
        volume-write-after-declare `/data/a` ["/data"]
        --
        image-floating-tag `python:3.12` []
        volume-write-after-declare `/data/x` ["/data"]
        volume-inherited `build` ["/data"]
        volume-write-after-declare `/data/a` ["/data"]
        --
        image-floating-tag `python:3.12` []
        volume-write-after-declare `/data/x` ["/data"]
        volume-inherited `build` ["/data"]
        volume-write-after-declare `/data/a` ["/data"]
        --
    "#]]
    .assert_eq(&rendered);
}

#[test]
fn the_memo_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<DockerfileMemo>();
}
