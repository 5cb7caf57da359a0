//! Document links and hovers that need no registry: image references link to their registry's
//! page, a compose `build:` to its files; keywords explain themselves; offline, an image hover
//! says what is missing without waiting.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Client, temp_dir, uri};

#[test]
fn links_to_registry_pages_and_build_files() {
    let dir = temp_dir("lsp-links");
    let dockerfile =
        "FROM python:3.12-slim AS base\nFROM ghcr.io/dbt-labs/dbt-core:1.4.1\nFROM registry.internal:5000/app:1\n";
    let compose = "services:\n  web:\n    build:\n      context: .\n      dockerfile: Dockerfile\n  db:\n    image: postgres:16.4\n";
    std::fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    let mut client = Client::start(&dir, json!({}));
    let du = uri(&dir.join("Dockerfile"));
    client.open(&du, "dockerfile", dockerfile);
    let links = client.request("textDocument/documentLink", json!({ "textDocument": { "uri": du } }));
    let targets: Vec<(u64, u64, &str)> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["range"]["start"]["line"].as_u64().unwrap(),
                l["range"]["start"]["character"].as_u64().unwrap(),
                l["target"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            (0, 5, "https://hub.docker.com/_/python"),
            (1, 5, "https://github.com/dbt-labs/dbt-core/pkgs/container/dbt-core"),
        ]
    );
    let cu = uri(&dir.join("compose.yaml"));
    client.open(&cu, "dockercompose", compose);
    // The workspace scan tells which build paths exist; ask until the links appear.
    let mut found = Vec::new();
    for _ in 0..50 {
        let links = client.request("textDocument/documentLink", json!({ "textDocument": { "uri": cu } }));
        found = links.as_array().unwrap().iter().map(|l| l["target"].as_str().unwrap().to_string()).collect();
        if found.len() == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(found, [uri(&dir), du.clone(), "https://hub.docker.com/_/postgres".to_string()]);
}

#[test]
fn keyword_hovers_and_an_offline_image_hover_answers_at_once() {
    let dir = temp_dir("lsp-hover-offline");
    let text = "FROM alpine:3.20.3\nWORKDIR /srv\nRUN apk add curl\n";
    std::fs::write(dir.join("Dockerfile"), text).unwrap();
    let mut client = Client::start_with(Client::spawn(), &dir, json!({}), json!({ "offline": true }));
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", text);
    client.diagnostics(&u, Some(1));
    let hover = |client: &mut Client, line: u32, character: u32| {
        client.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": u }, "position": { "line": line, "character": character } }),
        )
    };
    let keyword = hover(&mut client, 1, 3);
    assert!(keyword["contents"]["value"].as_str().unwrap().starts_with("**WORKDIR**: sets the working directory"));
    assert_eq!(
        keyword["range"],
        json!({ "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 7 } })
    );
    let started = Instant::now();
    let image = hover(&mut client, 0, 8);
    let value = image["contents"]["value"].as_str().unwrap();
    assert!(value.contains("docker.io/library/alpine:3.20.3"), "{value}");
    assert!(value.contains("has not answered"), "{value}");
    assert!(started.elapsed() < Duration::from_secs(3), "offline hover waited {:?}", started.elapsed());
    // A finding's rule explains itself.
    let rule = hover(&mut client, 2, 6);
    let value = rule["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("**`package-unpinned`**: "), "{value}");
    assert_eq!(rule["range"]["start"], json!({ "line": 2, "character": 4 }));
    // Nothing there: no hover.
    assert!(hover(&mut client, 3, 0).is_null());
}
