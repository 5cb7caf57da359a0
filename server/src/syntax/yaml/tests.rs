use super::*;

fn outline(yaml: &Yaml, text: &str) -> String {
    fn walk(node: &Node, text: &str, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        match &node.kind {
            NodeKind::Mapping(pairs) => {
                for p in pairs.iter() {
                    out.push_str(&format!("{pad}{} @{:?}\n", p.key.as_str().unwrap_or("?"), p.key.range));
                    if let Some(v) = &p.value {
                        walk(v, text, depth + 1, out);
                    }
                }
            }
            NodeKind::Sequence(items) => {
                for i in items.iter() {
                    out.push_str(&format!("{pad}-\n"));
                    walk(i, text, depth + 1, out);
                }
            }
            NodeKind::Scalar(s) => {
                out.push_str(&format!("{pad}{:?} {:?} `{}`\n", s.value, s.style, &text[node.range.as_range()]))
            }
            NodeKind::Alias(a) => out.push_str(&format!("{pad}*{a}\n")),
            NodeKind::Other => out.push_str(&format!("{pad}?\n")),
        }
    }
    let mut out = String::new();
    if let Some(root) = &yaml.root {
        walk(root, text, 0, &mut out);
    }
    out
}

#[test]
fn compose_shapes_with_positions() {
    let text = "x-base: &base\n  restart: no\nservices:\n  wéb😀:\n    <<: *base\n    image: \"postgres:16\"\n    volumes:\n      - /var/lib/postgresql/data\n      - 'db:/data'\n    command: |\n      run\n      this\n";
    let yaml = Yaml::parse(text);
    assert!(!yaml.has_error);
    expect_test::expect![[r#"
        x-base @0..6
          restart @16..23
            "no" Plain `no`
        services @28..36
          wéb😀 @40..48
            << @54..56
              *base
            image @68..73
              "postgres:16" DoubleQuoted `"postgres:16"`
            volumes @93..100
              -
                "/var/lib/postgresql/data" Plain `/var/lib/postgresql/data`
              -
                "db:/data" SingleQuoted `'db:/data'`
            command @158..165
              "run\nthis\n" Block `|
              run
              this
        `
    "#]]
    .assert_eq(&outline(&yaml, text));
    let root = yaml.root.as_ref().unwrap();
    let services = yaml.get(root, "services").unwrap();
    let web = &services.pairs()[0];
    let web_value = web.value.as_ref().unwrap();
    assert_eq!(yaml.get(web_value, "restart").and_then(|n| n.as_str()), Some("no"), "merge key applied");
}

#[test]
fn a_broken_line_keeps_the_rest() {
    let text = "services:\n  app:\n    imag\n    image: nginx:1.27\n  db:\n    image: postgres\n";
    let yaml = Yaml::parse(text);
    assert!(yaml.has_error);
    let out = outline(&yaml, text);
    assert!(out.contains("\"nginx:1.27\""), "{out}");
    assert!(out.contains("\"postgres\""), "{out}");
}

#[test]
fn alias_bombs_do_not_expand() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for c in 'b'..='z' {
        text.push_str(&format!(
            "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
        prev = c;
    }
    let yaml = Yaml::parse(&text);
    assert_eq!(yaml.anchors.len(), 26);
    let root = yaml.root.as_ref().unwrap();
    let z = yaml.get(root, "z").unwrap();
    assert_eq!(z.items().len(), 9);
}

#[test]
fn incremental_edits_match_a_fresh_parse() {
    let mut text = String::from(
        "services:\n  app:\n    image: nginx:1.27\n    volumes:\n      - .:/app\n  db:\n    image: postgres:16\n",
    );
    let mut yaml = Yaml::parse(&text);
    let edits: [(&str, &str); 5] = [
        ("nginx:1.27", "nginx:latest"),
        ("- .:/app", "- .:/app\n      - /app/node_modules"),
        ("  db:\n", "  db\n"),
        ("  db\n", "  db:\n"),
        ("postgres:16", "\"postgres\""),
    ];
    for (from, to) in edits {
        let at = text.find(from).unwrap();
        let old = text.clone();
        text.replace_range(at..at + from.len(), to);
        yaml.edit(TextRange::new(at, at + from.len()), to.len(), &old, &text);
        let fresh = Yaml::parse(&text);
        assert_eq!(yaml.root, fresh.root, "after {from:?} -> {to:?}");
    }
}

#[test]
fn odd_inputs_do_not_panic() {
    for text in [
        "",
        "- a\n- b\n",
        "\t\tservices:\n\t- x",
        "key: \"unterminated\n",
        "[",
        "a: b: c",
        "&x *x",
        "? complex\n: key\n",
        "\u{0}\u{1}",
    ] {
        let yaml = Yaml::parse(text);
        let _ = outline(&yaml, text);
    }
}

#[test]
fn files_past_the_grammar_limit_are_read_in_chunks() {
    // tree-sitter-yaml gives up on documents past about 512 KiB; such files are read a
    // top-level key (or a group of its children) at a time.
    let mut big = String::from("x-common: &common\n  restart: always\nservices:\n");
    for i in 0..40_000 {
        big.push_str(&format!("  svc{i}:\n    image: app{i}:1.2.3\n"));
    }
    big.push_str("volumes:\n  data:\n");
    let yaml = Yaml::parse(&big);
    let root = yaml.root.as_ref().unwrap();
    let services = yaml.get(root, "services").unwrap();
    assert_eq!(services.pairs().len(), 40_000);
    let last = &services.pairs()[39_999];
    assert_eq!(&big[last.key.range.as_range()], "svc39999");
    let image = yaml.get(last.value.as_ref().unwrap(), "image").unwrap();
    assert_eq!(&big[image.range.as_range()], "app39999:1.2.3");
    assert!(yaml.get(root, "volumes").is_some());
    assert_eq!(yaml.anchors.len(), 1);
}

/// Applies `edits` (`at`, deleted length, inserted text; positions clamped to the text and to
/// character boundaries) one after another, incrementally, and checks every version against a
/// fresh parse: the same tree (every range), the same anchors, the same error flag.
/// Returns how many pairs were reused in all.
fn check_edits_against_fresh_parse(start: &str, edits: &[(usize, usize, String)]) -> Result<usize, String> {
    let mut reused = 0;
    let mut text = start.to_string();
    let mut yaml = Yaml::parse(&text);
    for (step, (at, len, insert)) in edits.iter().enumerate() {
        let mut s = (*at).min(text.len());
        while !text.is_char_boundary(s) {
            s -= 1;
        }
        let mut e = (s + len).min(text.len());
        while !text.is_char_boundary(e) {
            e += 1;
        }
        let old = text.clone();
        text.replace_range(s..e, insert);
        // Half the edits through the shared-tree path the server takes, half in place.
        if step % 2 == 0 {
            let points =
                EditPoints { start: point(&old, s), old_end: point(&old, e), new_end: point(&text, s + insert.len()) };
            yaml = yaml.edited(TextRange::new(s, e), insert.len(), points, &text);
        } else {
            yaml.edit(TextRange::new(s, e), insert.len(), &old, &text);
        }
        reused += yaml.reused;
        let fresh = Yaml::parse(&text);
        let context = || format!("step {step}: {s}..{e} -> {insert:?}\n--- text\n{text}");
        if yaml.root != fresh.root {
            return Err(format!(
                "trees differ after {}\n--- incremental\n{}\n--- fresh\n{}",
                context(),
                outline(&yaml, &text),
                outline(&fresh, &text)
            ));
        }
        if yaml.anchors != fresh.anchors {
            return Err(format!("anchors differ after {}", context()));
        }
        if yaml.has_error != fresh.has_error {
            return Err(format!("error flags differ after {}", context()));
        }
    }
    Ok(reused)
}

#[test]
fn edits_at_the_start_middle_and_end_match_a_fresh_parse() {
    let text = crate::generate::compose(120, 7);
    let mid = text.len() / 2;
    let image = text[mid..].find("image: ").map(|i| mid + i + "image: ".len()).unwrap();
    let service = text[mid..].find("\n  svc").map(|i| mid + i + 1).unwrap();
    let end = text.len();
    let s = |x: &str| x.to_string();
    let edits = vec![
        // Inside a scalar (tree-sitter reports no changed range), typed and deleted.
        (image + 2, 0, s("x")),
        (image + 2, 1, s("")),
        // At the very start and the very end.
        (0, 0, s("version: \"3\"\n")),
        (0, 13, s("")),
        (end, 0, s("volumes-extra:\n  a: {}\n")),
        (end, 23, s("")),
        // A whole line added and removed in the middle; a service renamed.
        (service, 0, s("  added:\n    image: nginx\n")),
        (service, 26, s("")),
        (service + 2, 3, s("SVC")),
        (service + 2, 3, s("svc")),
        // YAML broken (a half-typed key, an unterminated quote, a tab) and fixed again.
        (image - 7, 0, s("    imag\n")),
        (image - 7, 9, s("")),
        (image, 0, s("\"")),
        (image, 1, s("")),
        (service, 0, s("\t")),
        (service, 1, s("")),
        // An anchor and an alias added after the point, and the merge key removed.
        (service, 0, s("  base: &base\n    user: \"1000\"\n")),
        (end, 0, s("x-copy: *base\n")),
        (0, 0, s("x-more: &more {a: 1}\n")),
        // Indentation changed: a service's keys move out of it.
        (service + 1, 1, s("")),
        (service + 1, 0, s(" ")),
    ];
    let reused = check_edits_against_fresh_parse(&text, &edits).unwrap();
    assert!(reused > 50, "pairs reused: {reused}");
}

#[test]
fn an_edit_reuses_what_it_did_not_touch() {
    let text = crate::generate::compose(300, 42);
    let yaml = Yaml::parse(&text);
    let at = text.len() / 2 + text[text.len() / 2..].find("image: ").unwrap() + "image: ".len() + 1;
    let mut edited_text = text.clone();
    edited_text.insert(at, 'x');
    let points =
        EditPoints { start: point(&text, at), old_end: point(&text, at), new_end: point(&edited_text, at + 1) };
    let edited = yaml.edited(TextRange::empty(at), 1, points, &edited_text);
    assert_eq!(edited.root, Yaml::parse(&edited_text).root);
    let services = |y: &Yaml| y.get(y.root.as_ref().unwrap(), "services").unwrap().pairs().to_vec();
    let (before, after) = (services(&yaml), services(&edited));
    assert_eq!(before.len(), after.len());
    let mut shared = 0;
    let mut moved = 0;
    for (old, new) in before.iter().zip(&after) {
        let body = |p: &Pair| match &p.value.as_ref().unwrap().kind {
            NodeKind::Mapping(pairs) => pairs.clone(),
            _ => unreachable!("a service is a mapping"),
        };
        if old.range.end as usize <= at {
            // Before the edit: the very same nodes.
            assert!(Arc::ptr_eq(&body(old), &body(new)), "{:?}", old.key.as_str());
            shared += 1;
        } else if old.range.start as usize > at {
            // After it: one byte later.
            assert_eq!(new.range, old.range.shift(1));
            moved += 1;
        }
    }
    assert!(shared > 5 && moved > 5, "{shared} shared, {moved} moved");
    // Every service but the edited one, and the other top-level keys but `services`.
    assert!(edited.reused >= before.len() - 1, "{} reused", edited.reused);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    /// Random edits anywhere in a compose file (inside scalars, across lines, breaking and
    /// mending the YAML) read the same incrementally as from scratch, with the same ranges.
    #[test]
    fn random_edits_match_a_fresh_parse(
        seed in 0u64..4,
        edits in proptest::collection::vec(
            (0usize..6000, 0usize..12, "[a-z0-9:\\-\"'&*#{}\\[\\] \n]{0,8}|( {2,4}[a-z]{1,5}: [a-z]{0,4}\n)"),
            1..12,
        ),
    ) {
        let text = crate::generate::compose(60 + 20 * seed as usize, seed);
        let edits: Vec<(usize, usize, String)> =
            edits.into_iter().map(|(at, len, insert)| (at * text.len() / 6000, len, insert)).collect();
        if let Err(e) = check_edits_against_fresh_parse(&text, &edits) {
            proptest::prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn get_agrees_with_merged_pairs() {
    let text = "\
a: &a {x: 1, y: 2}
b: &b {y: 3, z: 4, <<: *a}
c: &c [1, 2]
m1:
  <<: [*b, *a]
  w: 5
  x: own
m2:
  <<: *b
  <<: {q: 6, x: 7}
m3:
  <<: *c
  k: 1
m4:
  w: 1
  w: 2
  <<:
";
    let yaml = Yaml::parse(text);
    let root = yaml.root.as_ref().unwrap();
    for top in root.pairs() {
        let node = top.value.as_ref().unwrap();
        for key in ["x", "y", "z", "w", "q", "k", "<<", "none"] {
            let expected = yaml.merged_pairs(node).into_iter().find(|p| p.key.as_str() == Some(key));
            let got = yaml.get_pair(node, key);
            assert_eq!(got.map(|p| p.range), expected.map(|p| p.range), "{:?}.{key}", top.key.as_str());
        }
    }
    let m1 = yaml.get(root, "m1").unwrap();
    assert_eq!(yaml.get(m1, "x").and_then(Node::as_str), Some("own"));
    assert_eq!(yaml.get(m1, "y").and_then(Node::as_str), Some("3"));
    assert_eq!(yaml.get(m1, "z").and_then(Node::as_str), Some("4"));
}

#[test]
fn edits_alternating_between_sections_keep_reusing() {
    // An edit in `volumes:` reuses `services:` whole; the next edit, inside a service, must
    // still find the other services.
    let text = crate::generate::compose(300, 42);
    let volumes = |t: &str| t.find("\nvolumes:\n").unwrap() + "\nvolumes:\n".len() + 2;
    let image = |t: &str| t.len() / 3 + t[t.len() / 3..].find("image: ").unwrap() + "image: ".len() + 1;
    let top = |t: &str| t.find("-common").unwrap();
    let places: [&dyn Fn(&str) -> usize; 6] = [&volumes, &image, &top, &image, &volumes, &image];
    let mut yaml = Yaml::parse(&text);
    let mut current = text.clone();
    for (step, place) in places.into_iter().enumerate() {
        let at = place(&current);
        let old = current.clone();
        current.insert(at, 'q');
        yaml.edit(TextRange::empty(at), 1, &old, &current);
        assert_eq!(yaml.root, Yaml::parse(&current).root, "step {step}");
        let services = yaml.get(yaml.root.as_ref().unwrap(), "services").unwrap().pairs().len();
        if step % 2 == 1 {
            assert!(yaml.reused >= services - 1, "step {step}: {} reused of {services}", yaml.reused);
        }
    }
}
