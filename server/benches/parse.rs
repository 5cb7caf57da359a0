//! `cargo bench`: full parse, full parse + every rule, and a one-character incremental edit
//! (re-parse; re-parse + every rule from scratch; re-parse + every rule with the analysis memo)
//! on generated Dockerfiles of 100, 1,000 and 10,000 lines. Prints a Markdown table (medians and
//! 95th percentiles) for BENCHMARKS.md. A harness of our own: no timing inside tests.

use std::hint::black_box;

use driftls::analysis::{DockerfileMemo, ImageFacts, RuleSettings, diagnostics};
use driftls::generate;
use driftls::syntax::TextRange;
use driftls::syntax::dockerfile::Dockerfile;

mod common;

use common::{fmt, measure};

fn main() {
    // `cargo bench -- --quick` runs fewer iterations (CI's regression check).
    let quick = std::env::args().any(|a| a == "--quick");
    // `--once`: one full parse + rules of the 10,000-line file, for callgrind's instruction count.
    if std::env::args().any(|a| a == "--once") {
        let text = generate::dockerfile(10_000, 42);
        let tree = Dockerfile::parse(&text);
        let found = diagnostics::dockerfile(&tree, &text, &ImageFacts::default(), &RuleSettings::default());
        println!("{} findings", found.len());
        return;
    }
    // `--once-edit`: the 10,000-line file analysed once with a memo, then ten one-character
    // edits each way; run under `valgrind --tool=callgrind --toggle-collect='parse::edit_*'`
    // for the instruction count of the edits alone.
    if std::env::args().any(|a| a == "--once-edit") {
        let (facts, settings) = (ImageFacts::default(), RuleSettings::default());
        let text = generate::dockerfile(10_000, 42);
        let (at, with_char) = edit_site(&text);
        let mut tree = Dockerfile::parse(&text);
        let mut memo = DockerfileMemo::new();
        diagnostics::dockerfile_incremental(&tree, &text, &facts, &settings, &mut memo);
        let mut inserted = false;
        for _ in 0..10 {
            let current = type_or_delete(&mut tree, at, &text, &with_char, &mut inserted);
            black_box(edit_memo(&tree, current, &facts, &settings, &mut memo));
        }
        for _ in 0..10 {
            let current = type_or_delete(&mut tree, at, &text, &with_char, &mut inserted);
            black_box(edit_fresh(&tree, current, &facts, &settings));
        }
        return;
    }
    let facts = ImageFacts::default();
    let settings = RuleSettings::default();
    println!(
        "| lines | instructions | full parse | full parse + rules | 1-char edit (reparse) | 1-char edit + rules | 1-char edit + rules (memo) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut edit_medians = Vec::new();
    let mut memo_medians = Vec::new();
    for lines in [100usize, 1_000, 10_000] {
        let text = generate::dockerfile(lines, 42);
        let iterations = if quick { 20 } else { (2_000_000 / lines).clamp(50, 2_000) };
        let parsed = Dockerfile::parse(&text);
        let (parse_median, parse_p95) = measure(iterations, || {
            black_box(Dockerfile::parse(black_box(&text)));
        });
        let (full_median, full_p95) = measure(iterations, || {
            let tree = Dockerfile::parse(&text);
            black_box(diagnostics::dockerfile(&tree, &text, &facts, &settings));
        });
        // Type one character into the middle of a RUN line, then delete it again.
        let (at, with_char) = edit_site(&text);
        let mut tree = parsed.clone();
        let mut inserted = false;
        let (edit_median, edit_p95) = measure((iterations * 4).max(2_000), || {
            if inserted {
                tree.edit(TextRange::new(at, at + 1), 0, &text);
            } else {
                tree.edit(TextRange::empty(at), 1, &with_char);
            }
            inserted = !inserted;
            black_box(&tree);
        });
        let mut tree = parsed.clone();
        let mut inserted = false;
        let (edit_rules_median, edit_rules_p95) = measure(iterations, || {
            let current = type_or_delete(&mut tree, at, &text, &with_char, &mut inserted);
            black_box(edit_fresh(&tree, current, &facts, &settings));
        });
        // The same with the memo the server keeps per document (filled by the warm-up).
        let mut tree = parsed.clone();
        let mut inserted = false;
        let mut memo = DockerfileMemo::new();
        let (edit_memo_median, edit_memo_p95) = measure((iterations * 4).max(2_000), || {
            let current = type_or_delete(&mut tree, at, &text, &with_char, &mut inserted);
            black_box(edit_memo(&tree, current, &facts, &settings, &mut memo));
        });
        edit_medians.push(edit_median);
        memo_medians.push(edit_memo_median);
        println!(
            "| {} | {} | {} (p95 {}) | {} (p95 {}) | {} (p95 {}) | {} (p95 {}) | {} (p95 {}) |",
            text.lines().count(),
            parsed.instructions.len(),
            fmt(parse_median),
            fmt(parse_p95),
            fmt(full_median),
            fmt(full_p95),
            fmt(edit_median),
            fmt(edit_p95),
            fmt(edit_rules_median),
            fmt(edit_rules_p95),
            fmt(edit_memo_median),
            fmt(edit_memo_p95)
        );
    }
    let ratio = edit_medians[2].as_secs_f64() / edit_medians[0].as_secs_f64();
    let memo_ratio = memo_medians[2].as_secs_f64() / memo_medians[0].as_secs_f64();
    println!("\nincremental edit, 10,000 lines / 100 lines: {ratio:.2}x");
    println!("incremental edit + rules (memo), 10,000 lines / 100 lines: {memo_ratio:.2}x");
    // `--check`: fail only on a gross regression, measured against a baseline from this same
    // run (noise on a shared machine hits both sizes alike): an edit must not grow with the file.
    if std::env::args().any(|a| a == "--check") && ratio > 3.0 {
        eprintln!(
            "regression: a one-character edit on 10,000 lines costs {ratio:.2}x the edit on 100 lines (limit 3x)"
        );
        std::process::exit(1);
    }
}

/// Where the bench types: into the middle of a RUN line; and the text with the character.
fn edit_site(text: &str) -> (usize, String) {
    let at = text[text.len() / 2..].find("apt-get install").map(|i| text.len() / 2 + i + 3).expect("a RUN line");
    let mut with_char = text.to_string();
    with_char.insert(at, 'x');
    (at, with_char)
}

/// Types the character, or deletes it when it is there; returns the text after the edit.
fn type_or_delete<'a>(
    tree: &mut Dockerfile,
    at: usize,
    text: &'a str,
    with_char: &'a str,
    inserted: &mut bool,
) -> &'a str {
    let current = if *inserted {
        tree.edit(TextRange::new(at, at + 1), 0, text);
        text
    } else {
        tree.edit(TextRange::empty(at), 1, with_char);
        with_char
    };
    *inserted = !*inserted;
    current
}

#[inline(never)]
fn edit_fresh(tree: &Dockerfile, text: &str, facts: &ImageFacts, settings: &RuleSettings) -> usize {
    diagnostics::dockerfile(tree, text, facts, settings).len()
}

#[inline(never)]
fn edit_memo(
    tree: &Dockerfile,
    text: &str,
    facts: &ImageFacts,
    settings: &RuleSettings,
    memo: &mut DockerfileMemo,
) -> usize {
    diagnostics::dockerfile_incremental(tree, text, facts, settings, memo).len()
}
