//! Hostile and careless clients: malformed JSON-RPC, unknown methods, requests before
//! `initialize` and after `shutdown`, 10,000 rapid edits, a 50 MB document, alias bombs in
//! YAML, cancelled requests. The server answers what it can, refuses the rest with protocol
//! errors, and keeps its documents right.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Client, fresh_home, summary, temp_dir, uri};

#[test]
fn malformed_messages_unknown_methods_and_requests_out_of_order() {
    let dir = temp_dir("hostile-protocol");
    let mut client = Client::spawn();
    // Before initialize: refused with "server not initialized".
    let early = client.request_raw(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///x" }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(early["error"]["code"], json!(-32002), "{early}");
    let mut client = Client::start_with(client, &dir, json!({}), Value::Null);
    // A body that is not JSON, then JSON that is not JSON-RPC: both ignored, the server goes on.
    client.send_raw("Content-Length: 9\r\n\r\n{\"a\": [1,");
    client.send_raw("Content-Length: 2\r\n\r\n[]");
    // An unknown request is answered "method not found"; an unknown notification is ignored.
    let unknown = client.request_raw("driftls/doesNotExist", json!({}));
    assert_eq!(unknown["error"]["code"], json!(-32601), "{unknown}");
    client.notify("$/somethingElse", json!({ "x": 1 }));
    // Still serving.
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", "FROM alpine\n");
    assert_eq!(summary(&client.diagnostics(&u, Some(1))), ["image-untagged 0:5-0:11", "image-unpinned 0:5-0:11"]);
    // After shutdown: requests are refused, then exit ends the process cleanly.
    client.request("shutdown", Value::Null);
    let late = client.request_raw(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": { "line": 0, "character": 6 } }),
    );
    assert_eq!(late["error"]["code"], json!(-32600), "{late}");
    assert_eq!(client.shutdown_after_shutdown().code(), Some(0));
}

#[test]
fn ten_thousand_rapid_edits_end_in_the_right_diagnostics() {
    let dir = temp_dir("hostile-rapid");
    let mut client = Client::start(&dir, json!({}));
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", "FROM scratch\n");
    client.diagnostics(&u, Some(1));
    // Type `FROM ubuntu:latest` on line 1 one character at a time, with deletions in between,
    // without waiting: 10,000 edits.
    let target = "FROM ubuntu:latest";
    let mut version = 1;
    let mut typed = 0usize;
    for i in 0..10_000 {
        version += 1;
        if i % 3 == 2 && typed > 0 {
            client.change(&u, version, (1, typed as u32 - 1), (1, typed as u32), "");
            typed -= 1;
        } else if typed < target.len() {
            client.change(&u, version, (1, typed as u32), (1, typed as u32), &target[typed..typed + 1]);
            typed += 1;
        } else {
            // Complete: replace the whole line with itself.
            client.change(&u, version, (1, 0), (1, typed as u32), target);
        }
    }
    let last = client.diagnostics(&u, Some(version));
    let expected = {
        let mut fresh = Client::start(&temp_dir("hostile-rapid-fresh"), json!({}));
        let f = uri(&dir.join("Fresh.Dockerfile"));
        fresh.open(&f, "dockerfile", &format!("FROM scratch\n{}", &target[..typed]));
        summary(&fresh.diagnostics(&f, Some(1)))
    };
    assert_eq!(summary(&last), expected);
    assert!(!expected.is_empty());
}

#[test]
fn a_50_mb_document_gets_one_information_diagnostic_and_the_server_stays_responsive() {
    let dir = temp_dir("hostile-huge");
    let mut client = Client::start(&dir, json!({}));
    let big = uri(&dir.join("Dockerfile"));
    let line = "RUN echo 0123456789012345678901234567890123456789012345678901234567890123456789\n";
    let text = format!("FROM alpine\n{}", line.repeat(50 * 1024 * 1024 / line.len()));
    client.open(&big, "dockerfile", &text);
    let found = client.diagnostics(&big, Some(1));
    assert_eq!(found.len(), 1, "{:?}", summary(&found));
    assert_eq!(found[0]["severity"], json!(3));
    assert!(found[0]["message"].as_str().unwrap().contains("stopped analysing"));
    // Another document is still analysed at once.
    let small = uri(&dir.join("small.Dockerfile"));
    let started = Instant::now();
    client.open(&small, "dockerfile", "FROM alpine\n");
    assert_eq!(summary(&client.diagnostics(&small, Some(1))).len(), 2);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn yaml_alias_bombs_do_not_explode() {
    let dir = temp_dir("hostile-aliases");
    // Ten levels of ten aliases each: 10^10 nodes if expanded.
    let mut text = String::from("x-a0: &a0 [\"lol\"]\n");
    for level in 1..10 {
        let refs: Vec<String> = (0..10).map(|_| format!("*a{}", level - 1)).collect();
        text.push_str(&format!("x-a{level}: &a{level} [{}]\n", refs.join(", ")));
    }
    // Merge keys chained through every level too.
    text.push_str("x-m0: &m0\n  image: alpine:3.20.3\n");
    for level in 1..10 {
        text.push_str(&format!("x-m{level}: &m{level}\n  <<: [*m{}, *m{}]\n", level - 1, level - 1));
    }
    text.push_str("services:\n  app:\n    <<: *m9\n    volumes: *a9\n");
    std::fs::write(dir.join("compose.yaml"), &text).unwrap();
    let mut client = Client::start(&dir, json!({}));
    let u = uri(&dir.join("compose.yaml"));
    let started = Instant::now();
    client.open(&u, "dockercompose", &text);
    client.diagnostics(&u, Some(1));
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let status = std::fs::read_to_string(format!("/proc/{}/status", client.pid())).unwrap();
    let peak: u64 =
        status.lines().find(|l| l.starts_with("VmHWM:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB");
    assert_eq!(client.shutdown().code(), Some(0));
}

#[test]
fn a_cancelled_request_is_answered_as_cancelled() {
    let dir = temp_dir("hostile-cancel");
    // A registry that accepts and never answers: the hover waits for the lookup.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let home = fresh_home();
    let client =
        Client::spawn_with(&[("DRIFTLS_CACHE_DIR", home.join("cache")), ("DOCKER_CONFIG", home.join("docker"))]);
    let mut client = Client::start_with(client, &dir, json!({}), json!({ "registry": { "timeoutMs": 20000 } }));
    let u = uri(&dir.join("Dockerfile"));
    let text = format!("FROM 127.0.0.1:{port}/team/app:1.0.0\n");
    client.open(&u, "dockerfile", &text);
    client.diagnostics(&u, Some(1));
    let id = 4242;
    client.send(&json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
        "params": { "textDocument": { "uri": u }, "position": { "line": 0, "character": 8 } } }));
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    client.notify("$/cancelRequest", json!({ "id": id }));
    let answer = client.wait_for("the cancelled hover", |m| m["id"] == json!(id));
    assert_eq!(answer["error"]["code"], json!(-32800), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
