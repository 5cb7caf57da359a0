use super::*;

fn outline(yaml: &Yaml, text: &str) -> String {
    fn walk(node: &Node, text: &str, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        match &node.kind {
            NodeKind::Mapping(pairs) => {
                for p in pairs {
                    out.push_str(&format!("{pad}{} @{:?}\n", p.key.as_str().unwrap_or("?"), p.key.range));
                    if let Some(v) = &p.value {
                        walk(v, text, depth + 1, out);
                    }
                }
            }
            NodeKind::Sequence(items) => {
                for i in items {
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
