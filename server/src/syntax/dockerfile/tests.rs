use super::*;
use proptest::prelude::*;

fn assert_same(incremental: &Dockerfile, text: &str) {
    let fresh = Dockerfile::parse(text);
    assert_eq!(incremental.directives, fresh.directives, "directives differ for {text:?}");
    let a: Vec<_> = incremental.instructions.iter().map(|l| (l.start, &*l.instruction)).collect();
    let b: Vec<_> = fresh.instructions.iter().map(|l| (l.start, &*l.instruction)).collect();
    assert_eq!(a, b, "instructions differ for {text:?}");
}

const SAMPLE: &str = "# syntax=docker/dockerfile:1\nARG BASE=python:3.12\nFROM ${BASE} AS build\nRUN apt-get update && \\\n  # pinned below\n\n  apt-get install -y curl\nCOPY <<EOF /etc/motd\nhéllo 😀\nEOF\nFROM build\nRUN <<-A cat >/x\n\tbody\n\tA\nENV A=1 B=\"x y\"\r\nVOLUME /data\r\nWORKDIR /usr/app\nCOPY . .\n";

#[test]
fn single_edit_reparses_only_what_it_touches() {
    let mut text = String::from(SAMPLE);
    let mut tree = Dockerfile::parse(&text);
    let at = text.find("/etc/motd").unwrap();
    text.insert(at, 'x');
    let stats = tree.edit(TextRange::empty(at), 1, &text);
    assert_same(&tree, &text);
    assert_eq!(stats, ReparseStats { reparsed: 1, reused: 9 });
}

#[test]
fn typing_a_continuation_swallows_the_next_line_then_releases_it() {
    let mut text = String::from("FROM a\nRUN x\nRUN y\nRUN z\n");
    let mut tree = Dockerfile::parse(&text);
    let at = text.find("RUN x").unwrap() + 5;
    text.insert_str(at, " \\");
    tree.edit(TextRange::empty(at), 2, &text);
    assert_same(&tree, &text);
    assert_eq!(tree.instructions.len(), 3);
    text.replace_range(at..at + 2, "");
    tree.edit(TextRange::new(at, at + 2), 0, &text);
    assert_same(&tree, &text);
    assert_eq!(tree.instructions.len(), 4);
}

#[derive(Debug, Clone)]
enum Edit {
    Insert { at: usize, text: String },
    Delete { at: usize, len: usize },
    JoinLine { nth: usize },
}

fn snippet() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "x",
        " ",
        "\n",
        "\r\n",
        "\\",
        "\\\n",
        "#",
        "# c\n",
        "é",
        "😀",
        "<<EOF",
        "\nEOF\n",
        "EOF",
        "FROM ",
        "RUN ",
        "COPY ",
        "\t",
        "'",
        "\"",
        "ARG X=1\n",
        "--mount=type=cache,target=/r ",
        "AS b",
        "# escape=`\n",
        "`\n",
    ])
    .prop_map(str::to_string)
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), snippet()).prop_map(|(at, text)| Edit::Insert { at, text }),
        (any::<usize>(), 0usize..12).prop_map(|(at, len)| Edit::Delete { at, len }),
        any::<usize>().prop_map(|nth| Edit::JoinLine { nth }),
    ]
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn random_edits_match_a_fresh_parse(edits in prop::collection::vec(edit(), 1..25)) {
        let mut text = String::from(SAMPLE);
        let mut tree = Dockerfile::parse(&text);
        for e in edits {
            let (range, inserted) = match e {
                Edit::Insert { at, text: s } => {
                    let at = floor_boundary(&text, at % (text.len() + 1));
                    text.insert_str(at, &s);
                    (TextRange::empty(at), s.len())
                }
                Edit::Delete { at, len } => {
                    let start = floor_boundary(&text, at % (text.len() + 1));
                    let end = floor_boundary(&text, start + len);
                    text.replace_range(start..end, "");
                    (TextRange::new(start, end), 0)
                }
                Edit::JoinLine { nth } => {
                    let breaks: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
                    if breaks.is_empty() { continue; }
                    let at = breaks[nth % breaks.len()];
                    text.replace_range(at..at + 1, "");
                    (TextRange::new(at, at + 1), 0)
                }
            };
            tree.edit(range, inserted, &text);
            assert_same(&tree, &text);
        }
    }
}
