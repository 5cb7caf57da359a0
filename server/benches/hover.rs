//! Hover latency on a cached image: `analysis::hover::hover` over a Dockerfile whose base image
//! facts are known (a config like a real base image's: 40 history entries, 20 ENV, labels),
//! plus the workspace snapshot a handler takes. Target: under 1 ms of server time.
//!
//! `cargo bench --bench hover` (`-- --quick` fewer iterations; `--check` exit 1 past 1 ms).

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{fmt, measure};
use driftls::analysis::hover::hover;
use driftls::analysis::image_facts::{Found, HistoryEntry, ImageConfig, ImageFacts, Lookup};
use driftls::analysis::workspace::{SourceFile, Workspace};
use driftls::syntax::file_kind::FileKind;

fn facts() -> ImageFacts {
    let config = ImageConfig {
        volumes: vec!["/usr/app".into(), "/data".into()],
        working_dir: Some("/usr/app".into()),
        env: (0..20).map(|i| format!("VAR_{i}=value-{i}")).collect(),
        entrypoint: Some(vec!["dbt".into()]),
        cmd: Some(vec!["--help".into()]),
        labels: (0..12).map(|i| (format!("org.opencontainers.image.l{i}"), format!("v{i}"))).collect(),
        history: (0..40)
            .map(|i| HistoryEntry {
                created_by: format!(
                    "RUN /bin/sh -c apt-get install -y package-{i} && rm -rf /var/lib/apt/lists/* # buildkit"
                ),
                empty_layer: i % 3 == 0,
                created: Some("2024-05-01T00:00:00Z".into()),
            })
            .collect(),
        ..Default::default()
    };
    let mut facts = ImageFacts::default();
    let found = Found {
        digest: format!("sha256:{}", "a".repeat(64)),
        platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
        platform: Some("linux/amd64".into()),
        config,
        cached_for: None,
    };
    facts.insert_lookup("ghcr.io/dbt-labs/dbt-core:1.4.1", Lookup::Found(Arc::new(found)));
    facts
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let check = std::env::args().any(|a| a == "--check");
    let mut text = String::from("FROM ghcr.io/dbt-labs/dbt-core:1.4.1 AS base\n");
    for i in 0..500 {
        text.push_str(&format!("RUN echo step {i} && apt-get install -y curl=7.88.1-10\n"));
    }
    let path = PathBuf::from("/w/Dockerfile");
    let mut workspace = Workspace { root: Some(PathBuf::from("/w")), ..Workspace::default() };
    workspace.insert(SourceFile::new(path.clone(), FileKind::Dockerfile, text.clone()));
    // A workspace the size of a real repository: the handler clones its map of Arcs.
    for i in 0..1000 {
        let other = PathBuf::from(format!("/w/svc{i}/Dockerfile"));
        workspace.insert(SourceFile::new(other, FileKind::Dockerfile, "FROM alpine:3.20.3\n".into()));
    }
    let facts = facts();
    let iterations = if quick { 200 } else { 2000 };
    let (median, p95) = measure(iterations, || {
        let snapshot = workspace.clone();
        black_box(hover(&snapshot, Path::new(&path), 20, &facts));
    });
    let (keyword, _) = measure(iterations, || {
        black_box(hover(&workspace, Path::new(&path), text.len() - 10, &facts));
    });
    let markdown = hover(&workspace, Path::new(&path), 20, &facts).map_or(0, |h| h.markdown.len());
    println!("| hover | median | p95 |");
    println!("|---|---|---|");
    println!(
        "| cached image (501-line Dockerfile, 1,001-file workspace snapshot, {markdown} bytes of Markdown) | {} | {} |",
        fmt(median),
        fmt(p95)
    );
    println!("| inside a RUN line (no hover: rules only) | {} | |", fmt(keyword));
    if check && median.as_micros() >= 1000 {
        eprintln!("hover on a cached image took {} (target: under 1 ms)", fmt(median));
        std::process::exit(1);
    }
}
