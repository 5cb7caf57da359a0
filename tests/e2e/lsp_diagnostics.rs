//! Diagnostics over real stdio, as an editor sees them.

use expect_test::expect;
use serde_json::json;

use crate::support::{Client, fixtures, summary, temp_dir, uri};

fn utf16_client() -> serde_json::Value {
    json!({ "workspace": { "configuration": true, "didChangeConfiguration": { "dynamicRegistration": true } } })
}

#[test]
fn fixture_dockerfile_gets_expected_codes_at_expected_ranges() {
    let root = fixtures().join("seed-003-drift-sources");
    let path = root.join("Dockerfile");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut client = Client::start(&root, utf16_client());
    let u = uri(&path);
    client.open(&u, "dockerfile", &text);
    let diagnostics = client.diagnostics(&u, Some(1));
    expect![[r#"
        [
            "image-floating-tag 1:16-1:22",
            "image-unpinned 1:16-1:22",
            "package-upgrade 7:22-7:37",
            "package-unpinned 8:4-8:19",
            "add-url-unchecked 11:4-11:76",
            "remote-script-pipe 12:4-12:73",
            "package-unpinned 15:4-15:16",
        ]
    "#]]
    .assert_debug_eq(&summary(&diagnostics));
    let first = &diagnostics[0];
    assert_eq!(first["source"], "driftls");
    assert_eq!(first["severity"], 3, "information");
    assert!(first["message"].as_str().unwrap().contains("ARG BASE_FLAVOR"));
    assert_eq!(client.shutdown().code(), Some(0));
}

#[test]
fn typing_and_deleting_updates_diagnostics_after_each_edit() {
    let dir = temp_dir("typing");
    let u = uri(&dir.join("Dockerfile"));
    let mut client = Client::start(&dir, utf16_client());
    client.open(
        &u,
        "dockerfile",
        "FROM alpine:3.20.3@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067\n",
    );
    assert!(client.diagnostics(&u, Some(1)).is_empty());
    // Type a RUN line one character at a time.
    let line = "RUN curl -s https://x/i.sh | sh";
    let mut version = 1;
    for i in 0..line.len() {
        version += 1;
        client.change(&u, version, (1, i as u32), (1, i as u32), &line[i..=i]);
        let found = summary(&client.diagnostics(&u, Some(version)));
        // The pipe is a finding only once `sh` is complete.
        let expected: Vec<String> =
            if i + 1 == line.len() { vec!["remote-script-pipe 1:4-1:31".into()] } else { vec![] };
        assert_eq!(found, expected, "after typing {:?}", &line[..=i]);
    }
    // Delete the interpreter: the pipe into `sh` is gone.
    version += 1;
    client.change(&u, version, (1, 27), (1, 31), "");
    assert!(client.diagnostics(&u, Some(version)).is_empty());
    // Drop the digest and the patch version: the tag now floats.
    version += 1;
    client.change(&u, version, (0, 16), (0, 90), "");
    expect![[r#"
        [
            "image-unpinned 0:5-0:16",
            "image-floating-tag 0:12-0:16",
        ]
    "#]]
    .assert_debug_eq(&summary(&client.diagnostics(&u, Some(version))));
    // A half-typed line in between does not lose the rest.
    version += 1;
    client.change(&u, version, (1, 0), (1, 0), "RU\n");
    expect![[r#"
        [
            "image-unpinned 0:5-0:16",
            "image-floating-tag 0:12-0:16",
        ]
    "#]]
    .assert_debug_eq(&summary(&client.diagnostics(&u, Some(version))));
    assert_eq!(client.shutdown().code(), Some(0));
}

#[test]
fn non_ascii_before_the_image_gives_exact_utf16_and_utf8_ranges() {
    let dir = temp_dir("unicode");
    let u = uri(&dir.join("Dockerfile"));
    let text = "# ünïcödé 😀\nFROM --platform=é😀 node:latest AS web\n";
    // UTF-16 client: é is 1 unit, 😀 is 2.
    let mut client = Client::start(&dir, utf16_client());
    client.open(&u, "dockerfile", text);
    let found = summary(&client.diagnostics(&u, Some(1)));
    assert_eq!(found, ["image-unpinned 1:20-1:31", "image-latest 1:25-1:31"]);
    drop(client);
    // A client that offers UTF-8 gets byte columns: é is 2 bytes, 😀 is 4.
    let mut client = Client::start(&dir, json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } }));
    client.open(&u, "dockerfile", text);
    let found = summary(&client.diagnostics(&u, Some(1)));
    assert_eq!(found, ["image-unpinned 1:23-1:34", "image-latest 1:28-1:34"]);
}

#[test]
fn crlf_document_ranges() {
    let dir = temp_dir("crlf");
    let u = uri(&dir.join("Dockerfile"));
    let mut client = Client::start(&dir, utf16_client());
    client.open(&u, "dockerfile", "FROM scratch\r\nRUN apt-get update && \\\r\n    apt-get install -y curl\r\n");
    assert_eq!(summary(&client.diagnostics(&u, Some(1))), ["package-unpinned 2:4-2:19"]);
}

#[test]
fn closing_a_document_clears_its_diagnostics() {
    let dir = temp_dir("close");
    let u = uri(&dir.join("Dockerfile"));
    let mut client = Client::start(&dir, utf16_client());
    client.open(&u, "dockerfile", "FROM ubuntu\n");
    assert_eq!(client.diagnostics(&u, Some(1)).len(), 2);
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": u } }));
    let cleared = client.wait_for("cleared diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(u)
            && m["params"]["version"].is_null()
    });
    assert_eq!(cleared["params"]["diagnostics"], json!([]));
}

#[test]
fn files_detected_by_name_and_language_id() {
    let dir = temp_dir("kinds");
    let mut client = Client::start(&dir, utf16_client());
    for (name, language) in
        [("api.Dockerfile", "plaintext"), ("Containerfile", "plaintext"), ("build.txt", "dockerfile")]
    {
        let u = uri(&dir.join(name));
        client.open(&u, language, "FROM ubuntu:latest\n");
        assert_eq!(summary(&client.diagnostics(&u, Some(1))).len(), 2, "{name}");
    }
    let u = uri(&dir.join("notes.txt"));
    client.open(&u, "plaintext", "FROM ubuntu:latest\n");
    assert!(client.diagnostics(&u, Some(1)).is_empty());
}

#[test]
fn editor_settings_turn_rules_off_and_change_severity() {
    let dir = temp_dir("settings");
    let u = uri(&dir.join("Dockerfile"));
    let mut client = Client::start(&dir, utf16_client());
    client.open(&u, "dockerfile", "FROM ubuntu:latest\n");
    assert_eq!(summary(&client.diagnostics(&u, Some(1))), ["image-unpinned 0:5-0:18", "image-latest 0:12-0:18"]);
    // The server's startup `workspace/configuration` may be answered (with no settings) just
    // before this push, and its task resume after it: the push must win.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "driftls": { "rules": { "image-unpinned": "off", "image-latest": "error" } } } }),
    );
    let found = client.wait_summary(&u, &["image-latest 0:12-0:18"]);
    assert_eq!(found[0]["severity"], 1);
    // Settings pulled with workspace/configuration when the notification carries none.
    client.configuration = json!({ "rules": { "image-latest": "off" } });
    client.notify("workspace/didChangeConfiguration", json!({ "settings": null }));
    client.wait_summary(&u, &["image-unpinned 0:5-0:18"]);
}

#[test]
fn initialization_options_stand_when_the_client_answers_it_has_no_settings_section() {
    let dir = temp_dir("init-options");
    let u = uri(&dir.join("Dockerfile"));
    let options = json!({ "rules": { "image-latest": "off" } });
    // `client.configuration` is `null`: what Neovim answers when only `init_options` are set.
    let mut client = Client::start_with(Client::spawn(), &dir, utf16_client(), options);
    client.open(&u, "dockerfile", "FROM ubuntu:latest\n");
    assert_eq!(summary(&client.diagnostics(&u, Some(1))), ["image-unpinned 0:5-0:18"]);
    client.wait_for("the note on the null section", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"].as_str().is_some_and(|t| t.contains("initializationOptions stand"))
    });
    client.change(&u, 2, (1, 0), (1, 0), "FROM node:latest\n");
    assert_eq!(summary(&client.diagnostics(&u, Some(2))), ["image-unpinned 0:5-0:18", "image-unpinned 1:5-1:16"]);
}

#[test]
fn project_settings_file_and_its_errors() {
    let dir = temp_dir("project-settings");
    std::fs::write(dir.join(".driftls.toml"), "[rules]\nimage-unpinned = \"off\"\nimage-lates = \"off\"\n").unwrap();
    let u = uri(&dir.join("Dockerfile"));
    let mut client = Client::start(&dir, utf16_client());
    // The malformed key gets one diagnostic on the settings file, which is not even open.
    let settings_uri = uri(&dir.join(".driftls.toml"));
    client.wait_summary(&settings_uri, &["config-invalid 2:0-2:11"]);
    // The valid part still applies.
    client.open(&u, "dockerfile", "FROM ubuntu:latest\n");
    client.wait_summary(&u, &["image-latest 0:12-0:18"]);
    // Editing the settings file in the editor applies at once.
    client.open(&settings_uri, "toml", "[rules]\nimage-latest = \"off\"\n");
    client.wait_summary(&settings_uri, &[]);
    client.wait_summary(&u, &["image-unpinned 0:5-0:18"]);
    // Broken TOML: one diagnostic, and every rule back at its default.
    client.change(&settings_uri, 2, (0, 0), (0, 1), "");
    client.wait_summary(&settings_uri, &["config-invalid 0:5-0:5"]);
    client.wait_summary(&u, &["image-unpinned 0:5-0:18", "image-latest 0:12-0:18"]);
}

#[test]
fn a_burst_of_edits_publishes_the_newest_version_and_never_goes_back() {
    let dir = temp_dir("burst");
    let u = uri(&dir.join("Dockerfile"));
    let mut client = Client::start(&dir, utf16_client());
    client.open(&u, "dockerfile", "FROM scratch\n");
    client.diagnostics(&u, Some(1));
    let last = 301;
    for version in 2..=last {
        let col = (version - 2) as u32;
        client.change(&u, version, (1, col), (1, col), if version == last { "\n" } else { "x" });
    }
    client.change(&u, last + 1, (2, 0), (2, 0), "RUN pip install flask\n");
    let mut seen = Vec::new();
    loop {
        let m = client.wait_for("publish", |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(u)
        });
        let v = m["params"]["version"].as_i64().unwrap();
        seen.push(v);
        if v == last + 1 {
            assert_eq!(summary(m["params"]["diagnostics"].as_array().unwrap()), ["package-unpinned 2:4-2:15"]);
            break;
        }
    }
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "versions went back: {seen:?}");
}
