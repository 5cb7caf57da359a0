//! Pin actions as data: a file, image facts, the actions offered, and the text after each.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use expect_test::{Expect, expect};

use crate::analysis::diagnostics;
use crate::analysis::image_facts::{Found, HistoryEntry, ImageConfig, ImageFacts, Lookup};
use crate::analysis::pin;
use crate::analysis::settings::RuleSettings;
use crate::analysis::workspace::{SourceFile, Workspace};
use crate::syntax::TextRange;
use crate::syntax::file_kind::FileKind;

const OLD: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const NEW: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn found(digest: &str, history: &[&str], user: &str) -> Lookup {
    let config = ImageConfig {
        history: history.iter().map(|h| HistoryEntry { created_by: h.to_string(), ..Default::default() }).collect(),
        user: Some(user.into()),
        ..Default::default()
    };
    Lookup::Found(Arc::new(Found { digest: digest.into(), config, ..Found::default() }))
}

fn facts() -> ImageFacts {
    let mut facts = ImageFacts::default();
    facts.insert_lookup("python:3.12.7-slim", found(NEW, &[], "root"));
    facts.insert_lookup("reg.example/app:1.0.3", found(NEW, &["ADD file:a in /", "USER app"], "app"));
    facts.insert_lookup(format!("reg.example/app:1.0.3@{OLD}"), found(OLD, &["ADD file:a in /"], "root"));
    facts
}

fn workspace(path: &str, text: &str) -> Workspace {
    let mut ws = Workspace { root: Some(PathBuf::from("/w")), ..Workspace::default() };
    let path = PathBuf::from(path);
    let kind = FileKind::detect(&path, None);
    ws.insert(SourceFile::new(path, kind, text.to_string()));
    ws
}

fn check(path: &str, text: &str, expect: Expect) {
    let ws = workspace(path, text);
    let facts = facts();
    let mut out = String::new();
    let mut actions = pin::actions(&ws, Path::new(path), TextRange::new(0, text.len()), &facts);
    actions.extend(pin::pin_all(&ws, Path::new(path), &facts));
    for action in actions {
        let mut edited = text.to_string();
        let mut edits = action.edits.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        for e in &edits {
            edited.replace_range(e.range.as_range(), &e.new_text);
        }
        let edited = edited.replace(OLD, "sha256:111…").replace(NEW, "sha256:222…");
        let title = action.title.replace(&OLD[..19], "sha256:111").replace(&NEW[..19], "sha256:222");
        out.push_str(&format!(
            "== {title} ({}{})\n{edited}",
            action.rule.code(),
            if action.preferred { ", preferred" } else { "" }
        ));
    }
    expect.assert_eq(&out);
}

#[test]
fn pins_keep_tags_flags_stage_names_and_quotes() {
    check(
        "/w/Dockerfile",
        "ARG BASE=python:3.12.7-slim\nFROM --platform=$BUILDPLATFORM $BASE AS build\nFROM python:3.12.7-slim AS run\n",
        expect![[r#"
            == Pin to sha256:222… (image-unpinned, preferred)
            ARG BASE=python:3.12.7-slim@sha256:222…
            FROM --platform=$BUILDPLATFORM $BASE AS build
            FROM python:3.12.7-slim AS run
            == Pin to sha256:222… (image-unpinned, preferred)
            ARG BASE=python:3.12.7-slim
            FROM --platform=$BUILDPLATFORM $BASE AS build
            FROM python:3.12.7-slim@sha256:222… AS run
            == Pin all images in this file (2 digests) (image-unpinned)
            ARG BASE=python:3.12.7-slim@sha256:222…
            FROM --platform=$BUILDPLATFORM $BASE AS build
            FROM python:3.12.7-slim@sha256:222… AS run
        "#]],
    );
    check(
        "/w/compose.yaml",
        "services:\n  web:\n    image: 'python:3.12.7-slim'\n  db:\n    image: postgres:16.4\n",
        expect![[r#"
            == Pin to sha256:222… (image-unpinned, preferred)
            services:
              web:
                image: 'python:3.12.7-slim@sha256:222…'
              db:
                image: postgres:16.4
            == Pin all images in this file (1 digest) (image-unpinned)
            services:
              web:
                image: 'python:3.12.7-slim@sha256:222…'
              db:
                image: postgres:16.4
        "#]],
    );
}

#[test]
fn a_stale_pin_is_updated_or_kept_with_what_changed() {
    let text = format!("FROM reg.example/app:1.0.3@{OLD}\nRUN make\n");
    check(
        "/w/Dockerfile",
        &text,
        expect![[r#"
            == Update pin to sha256:222… (what the tag resolves to now) (image-pin-stale, preferred)
            FROM reg.example/app:1.0.3@sha256:222…
            RUN make
            == Keep the pinned digest, and note what changed (image-pin-stale)
            # driftls: keeping sha256:111111111111… although the tag now points at sha256:222222222222….
            # What changed (- pinned, + now):
            #   - USER root
            #   + USER app
            # driftls-ignore: image-pin-stale
            FROM reg.example/app:1.0.3@sha256:111…
            RUN make
        "#]],
    );
    // Kept: the finding is gone, the others stay.
    let ws = workspace("/w/Dockerfile", &text);
    let facts = facts();
    let keep = pin::actions(&ws, Path::new("/w/Dockerfile"), TextRange::new(0, text.len()), &facts)
        .into_iter()
        .find(|a| a.title.starts_with("Keep"))
        .unwrap();
    let kept = format!("{}{text}", keep.edits[0].new_text);
    let file = crate::syntax::dockerfile::Dockerfile::parse(&kept);
    let codes: Vec<&str> =
        diagnostics::dockerfile(&file, &kept, &facts, &RuleSettings::default()).iter().map(|d| d.rule.code()).collect();
    assert!(!codes.contains(&"image-pin-stale"), "{codes:?}");
}

#[test]
fn images_nobody_looked_up_yet_are_pending() {
    let text = "FROM python:3.12.7-slim\nFROM reg.example/unknown:2.0.0 AS x\nFROM reg.example/gone:1.0.0\n";
    let ws = workspace("/w/Dockerfile", text);
    let mut facts = facts();
    facts.insert_lookup("reg.example/gone:1.0.0", Lookup::NotFound);
    let pending = pin::pending(&ws, Path::new("/w/Dockerfile"), TextRange::new(0, text.len()), &facts);
    let covered: Vec<&str> = pending.iter().map(|r| &text[r.as_range()]).collect();
    assert_eq!(covered, ["reg.example/unknown:2.0.0"]);
}
