//! A soak session: random edits, hovers and code actions across ten documents (Dockerfiles,
//! compose files, deploy scripts), first with the registry up, then with it gone. No crash, RSS
//! flat, and at the end every document's diagnostics equal those of a fresh server given the
//! final texts. `DRIFTLS_SOAK_SECONDS` sets the length (default 20; the 30-minute run is
//! `DRIFTLS_SOAK_SECONDS=1800 cargo test --test e2e soak -- --nocapture`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::registry::{Registry, image_config};
use crate::support::{Client, fresh_home, summary, temp_dir, uri};

/// A small deterministic generator (no dependency, same sequence on every machine).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// `(line, character)` of byte `offset` in `text` (UTF-16 columns).
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let column = before.rsplit('\n').next().unwrap_or("").encode_utf16().count() as u32;
    (line, column)
}

const SNIPPETS: [&str; 12] =
    ["x", "\n", " ", "\\\n", ":", "@", "é", "RUN apt-get install curl\n", "  - /data\n", "$", "\"", "😀"];

#[test]
fn a_soak_session_keeps_the_server_alive_flat_and_right() {
    let seconds: u64 = std::env::var("DRIFTLS_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let host = registry.host.clone();
    let config = |volume: &str| {
        image_config("linux", "amd64", json!({ "Volumes": { volume: {} }, "WorkingDir": "/srv" }), &[("VOLUME", true)])
    };
    registry.push_image("team/base", "1.0.0", &config("/data")).expect("push");
    registry.push_image("team/app", "2.0.0", &config("/srv")).expect("push");
    let dir = temp_dir("soak");
    let mut docs: Vec<(String, &str, String)> = Vec::new();
    for i in 0..5 {
        let text = format!(
            "FROM {host}/team/base:1.0.0 AS base\nWORKDIR /data\nCOPY . .\nFROM base\nRUN apt-get install -y curl=7.88\nFROM {host}/team/app:2.0.0\n# {i}\n"
        );
        docs.push((format!("svc{i}/Dockerfile"), "dockerfile", text));
    }
    for i in 0..3 {
        let text = format!(
            "services:\n  app:\n    image: {host}/team/app:2.0.0\n    volumes:\n      - ./src:/srv/src\n  web:\n    build: ../svc{i}\n# {i}\n"
        );
        docs.push((format!("c{i}/compose.yaml"), "dockercompose", text));
    }
    docs.push((
        "c0/deploy.sh".into(),
        "shellscript",
        "#!/bin/sh\nset -e\ndocker compose pull\ndocker compose up -d\n".into(),
    ));
    docs.push(("c1/Makefile".into(), "makefile", "deploy:\n\tdocker compose up -d --build\n".into()));
    for (path, _, text) in &docs {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, text).unwrap();
    }
    let home = fresh_home();
    let env = [("DRIFTLS_CACHE_DIR", home.join("cache")), ("DOCKER_CONFIG", home.join("docker"))];
    let mut client =
        Client::start_with(Client::spawn_with(&env), &dir, json!({}), json!({ "registry": { "timeoutMs": 1000 } }));
    let uris: Vec<String> = docs.iter().map(|(p, _, _)| uri(&dir.join(p))).collect();
    let mut versions = vec![1i64; docs.len()];
    let mut waited = vec![0i64; docs.len()];
    for ((_, language, text), u) in docs.iter().zip(&uris) {
        client.open(u, language, text);
    }
    let mut rng = Rng(0x5eed_d00d);
    let started = Instant::now();
    let total = Duration::from_secs(seconds);
    let mut registry = Some(registry);
    let mut rss_early = 0;
    let mut ops = 0u64;
    while started.elapsed() < total {
        ops += 1;
        if registry.is_some() && started.elapsed() > total / 2 {
            registry = None; // the registry goes away for the second half
        }
        if rss_early == 0 && started.elapsed() > total / 4 {
            rss_early = rss_kib(client.pid());
        }
        let d = rng.below(docs.len());
        let text = &mut docs[d].2;
        let operation = rng.below(10);
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        match operation {
            0..=5 => {
                // An edit: insert a snippet or delete a few characters.
                let (start, end, new) = if rng.below(3) == 0 && at < text.len() {
                    let mut end = (at + 1 + rng.below(4)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    (at, end, "")
                } else {
                    (at, at, SNIPPETS[rng.below(SNIPPETS.len())])
                };
                let (s, e) = (position(text, start), position(text, end));
                versions[d] += 1;
                client.change(&uris[d], versions[d], s, e, new);
                text.replace_range(start..end, new);
            }
            6..=7 => {
                let (line, character) = position(text, at);
                let hover = client.request_raw(
                    "textDocument/hover",
                    json!({ "textDocument": { "uri": uris[d] }, "position": { "line": line, "character": character } }),
                );
                assert!(hover.get("error").is_none(), "hover failed: {hover}");
            }
            _ => {
                let (line, _) = position(text, at);
                let actions = client.request_raw(
                    "textDocument/codeAction",
                    json!({ "textDocument": { "uri": uris[d] }, "range": { "start": { "line": line, "character": 0 },
                            "end": { "line": line + 3, "character": 0 } }, "context": { "diagnostics": [] } }),
                );
                assert!(actions.get("error").is_none(), "codeAction failed: {actions}");
            }
        }
        if ops.is_multiple_of(50) && waited[d] < versions[d] {
            // Let the publisher catch up now and then (as a human typist would). A publish is
            // consumed by the wait, so each version is waited for once.
            client.diagnostics(&uris[d], Some(versions[d]));
            waited[d] = versions[d];
        }
    }
    // Settle: a new (empty) change to every document after a pause, and its publish. (The last
    // versions' publishes may already have been consumed by the waits above.)
    std::thread::sleep(Duration::from_millis(1500));
    let mut last = Vec::new();
    for (u, v) in uris.iter().zip(&versions) {
        client.change(u, v + 1, (0, 0), (0, 0), "");
        last.push(summary(&client.diagnostics(u, Some(v + 1))));
    }
    let rss_end = rss_kib(client.pid());
    assert!(
        rss_end < rss_early * 2 + 20 * 1024,
        "RSS grew from {rss_early} KiB to {rss_end} KiB over {ops} operations"
    );
    assert_eq!(client.shutdown().code(), Some(0), "the server exits cleanly after {ops} operations");

    // A fresh server, offline from the same disk cache, given the final texts. Registry "not
    // found" answers are not cached on disk, so `image-not-found` is left out of the comparison.
    let fresh_dir = temp_dir("soak-fresh");
    for (path, _, text) in &docs {
        let full = fresh_dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, text).unwrap();
    }
    let mut fresh = Client::start_with(Client::spawn_with(&env), &fresh_dir, json!({}), json!({ "offline": true }));
    let keep = |s: Vec<String>| s.into_iter().filter(|c| !c.starts_with("image-not-found")).collect::<Vec<_>>();
    for (i, (path, language, text)) in docs.iter().enumerate() {
        let u = uri(&fresh_dir.join(path));
        fresh.open(&u, language, text);
        // The workspace scan can re-publish once more; take the settled answer.
        let expected = keep(last[i].clone());
        let got = fresh.wait_for(&format!("fresh diagnostics of {path}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == json!(u)
                && keep(summary(m["params"]["diagnostics"].as_array().map_or(&[][..], |a| a.as_slice()))) == expected
        });
        let _: &Value = &got;
    }
    eprintln!("soak: {ops} operations in {seconds} s; RSS {rss_early} KiB at a quarter, {rss_end} KiB at the end");
}
