//! The server with a real registry (Debian's `docker-registry` on loopback): the seed-000
//! project's findings that only the base image's config can give, a re-pushed tag turning a
//! pin stale after the TTL, a missing tag, and the disk cache answering once the registry is
//! gone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::registry::{Registry, image_config};
use crate::support::{Client, base64, copy_fixture, fresh_home, uri};

fn dbt_config(volume: &str) -> Value {
    image_config(
        "linux",
        "amd64",
        json!({
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "WorkingDir": "/usr/app",
            "Entrypoint": ["dbt"],
            "Volumes": { volume: {} },
        }),
        &[("/bin/sh -c #(nop) ADD file:abc in / ", false), ("/bin/sh -c #(nop)  VOLUME [/usr/app]", true)],
    )
}

/// The seed-000 fixture with its images moved to the test registry.
fn seed_project(registry: &Registry) -> PathBuf {
    let dir = copy_fixture("seed-000-dbt");
    for (file, from, to) in [
        ("Dockerfile", "ghcr.io", registry.host.as_str()),
        ("docker-compose.yml", "ourfancyregistry.lan", registry.host.as_str()),
    ] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).expect("read").replace(from, to);
        std::fs::write(&path, text).expect("write");
    }
    dir
}

fn start(home: &Path, root: &Path, options: Value) -> Client {
    let client =
        Client::spawn_with(&[("DRIFTLS_CACHE_DIR", home.join("cache")), ("DOCKER_CONFIG", home.join("docker"))]);
    Client::start_with(client, root, json!({}), options)
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics.iter().map(|d| d["code"].as_str().unwrap_or("?").to_string()).collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Waits for a publish of `uri` that has every code of `expected`; returns its diagnostics.
fn wait_codes(client: &mut Client, uri: &str, expected: &[&str]) -> Vec<Value> {
    let message = client.wait_for(&format!("{expected:?} in {uri}"), |m| {
        m.get("method") == Some(&json!("textDocument/publishDiagnostics")) && m["params"]["uri"] == json!(uri) && {
            let found = codes(m["params"]["diagnostics"].as_array().map_or(&[][..], |a| a.as_slice()));
            expected.iter().all(|c| found.iter().any(|f| f == c))
        }
    });
    message["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
}

fn open_seed(client: &mut Client, dir: &Path) -> [String; 3] {
    let files = [("Dockerfile", "dockerfile"), ("docker-compose.yml", "dockercompose"), ("Jenkinsfile", "groovy")];
    files.map(|(name, language)| {
        let path = dir.join(name);
        let u = uri(&path);
        client.open(&u, language, &std::fs::read_to_string(&path).expect("read"));
        u
    })
}

/// Every registry finding of the seed appears, in each file, at the right place.
fn expect_seed_findings(client: &mut Client, uris: &[String; 3]) {
    let dockerfile = wait_codes(client, &uris[0], &["volume-inherited", "volume-write-after-declare"]);
    let at = |d: &[Value], code: &str| -> Vec<String> {
        d.iter()
            .filter(|x| x["code"] == json!(code))
            .map(|x| format!("{}:{}", x["range"]["start"]["line"], x["range"]["start"]["character"]))
            .collect()
    };
    assert_eq!(at(&dockerfile, "volume-inherited"), ["1:5"], "{dockerfile:#?}");
    assert_eq!(at(&dockerfile, "volume-write-after-declare"), ["10:17", "12:17"], "{dockerfile:#?}");
    let inherited = dockerfile.iter().find(|d| d["code"] == json!("volume-inherited")).expect("inherited");
    assert!(inherited["message"].as_str().unwrap().contains("/usr/app"), "{inherited}");
    let compose = wait_codes(client, &uris[1], &["compose-anonymous-volume"]);
    assert_eq!(at(&compose, "compose-anonymous-volume"), ["2:11"], "{compose:#?}");
    let jenkins = wait_codes(client, &uris[2], &["deploy-up-keeps-anonymous-volumes"]);
    assert_eq!(at(&jenkins, "deploy-up-keeps-anonymous-volumes").len(), 1, "{jenkins:#?}");
    for d in dockerfile.iter().chain(&compose).chain(&jenkins) {
        assert_ne!(d["code"], json!("image-not-found"), "{d}");
    }
}

#[test]
fn seed_000_over_lsp_then_offline_from_the_disk_cache() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    registry.push_image("dbt-labs/dbt-core", "1.4.1", &dbt_config("/usr/app")).expect("push base");
    registry.push_image("dbtstuff", "latest", &dbt_config("/usr/app")).expect("push app");
    let dir = seed_project(&registry);
    let home = fresh_home();

    let mut client = start(&home, &dir, Value::Null);
    let uris = open_seed(&mut client, &dir);
    expect_seed_findings(&mut client, &uris);
    assert!(client.shutdown().success());

    // The registry is gone: a new server answers from the disk cache, online or offline.
    drop(registry);
    for options in [Value::Null, json!({ "offline": true })] {
        let mut client = start(&home, &dir, options);
        let uris = open_seed(&mut client, &dir);
        expect_seed_findings(&mut client, &uris);
        assert!(client.shutdown().success());
    }

    // Without the cache and offline, the same files give only what the text shows.
    let mut client = start(&fresh_home(), &dir, json!({ "offline": true }));
    let uris = open_seed(&mut client, &dir);
    let dockerfile = client.diagnostics(&uris[0], None);
    assert!(!codes(&dockerfile).contains(&"volume-inherited".to_string()), "{dockerfile:#?}");
}

#[test]
fn a_re_pushed_tag_makes_the_pin_stale_after_the_ttl_and_a_missing_tag_is_reported() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let first = registry.push_image("team/app", "1.0.3", &dbt_config("/data")).expect("push");
    let dir = crate::support::temp_dir("lsp-registry-stale");
    let host = &registry.host;
    let text = format!("FROM {host}/team/app:1.0.3@{first} AS pinned\nFROM {host}/team/app:9.9.9\n");
    std::fs::write(dir.join("Dockerfile"), &text).expect("write");
    let mut client = start(&fresh_home(), &dir, json!({ "registry": { "tagTtlSeconds": 1 } }));
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", &text);
    let found = wait_codes(&mut client, &u, &["image-not-found"]);
    let missing = found.iter().find(|d| d["code"] == json!("image-not-found")).expect("not found");
    assert_eq!(missing["range"]["start"], json!({ "line": 1, "character": 5 }));
    assert_eq!(missing["severity"], json!(2));
    assert!(!codes(&found).contains(&"image-pin-stale".to_string()), "{found:#?}");

    let moved = registry.push_image("team/app", "1.0.3", &dbt_config("/srv")).expect("re-push");
    assert_ne!(moved, first);
    std::thread::sleep(Duration::from_millis(1500));
    // The next analysis after the TTL asks again, and the answer re-publishes.
    client.change(&u, 2, (2, 0), (2, 0), "# touched\n");
    let stale = wait_codes(&mut client, &u, &["image-pin-stale"]);
    let d = stale.iter().find(|d| d["code"] == json!("image-pin-stale")).expect("stale");
    let digest_column = format!("FROM {host}/team/app:1.0.3@").len();
    assert_eq!(d["range"]["start"], json!({ "line": 0, "character": digest_column }));
    assert_eq!(d["severity"], json!(3));
    assert!(d["message"].as_str().unwrap().contains(&moved), "{d}");
    // "Update pin" rewrites the digest to what the tag resolves to now.
    let text = format!("{text}# touched\n");
    let update = action_titled(&mut client, &u, 0, None, "Update pin to");
    assert_eq!(
        apply(&text, &update, &u).lines().next(),
        Some(format!("FROM {host}/team/app:1.0.3@{moved} AS pinned").as_str())
    );
}

fn code_actions(client: &mut Client, u: &str, line: u32, only: Option<&str>) -> Vec<Value> {
    let mut context = json!({ "diagnostics": [] });
    if let Some(kind) = only {
        context["only"] = json!([kind]);
    }
    let range = json!({ "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 200 } });
    let result = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": range, "context": context }),
    );
    result.as_array().cloned().unwrap_or_default()
}

/// Asks for actions until one whose title starts with `prefix` appears (lookups it needs run
/// in the background after the first ask).
fn action_titled(client: &mut Client, u: &str, line: u32, only: Option<&str>, prefix: &str) -> Value {
    for _ in 0..50 {
        if let Some(found) = code_actions(client, u, line, only)
            .into_iter()
            .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with(prefix)))
        {
            return found;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no `{prefix}` action on line {line} of {u}");
}

fn apply(text: &str, action: &Value, u: &str) -> String {
    let edits = action["edit"]["changes"][u].as_array().cloned().unwrap_or_else(|| panic!("no edits in {action}"));
    crate::support::apply_edits(text, &edits)
}

fn hover_text(client: &mut Client, u: &str, line: u32, character: u32) -> String {
    let result = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": { "line": line, "character": character } }),
    );
    result["contents"]["value"].as_str().unwrap_or("").to_string()
}

#[test]
fn hovers_show_what_the_base_image_brings_and_pins_are_one_action() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let host = registry.host.clone();
    let base = registry.push_image("dbt-labs/dbt-core", "1.4.1", &dbt_config("/usr/app")).expect("push base");
    let app = registry.push_image("team/app", "1.0.3", &dbt_config("/data")).expect("push app");
    let dir = crate::support::temp_dir("lsp-registry-hover");
    let text = format!(
        "ARG APP={host}/team/app:1.0.3\nFROM {host}/dbt-labs/dbt-core:1.4.1 AS base\nWORKDIR /usr/app\nFROM base AS build\nFROM $APP\n"
    );
    std::fs::write(dir.join("Dockerfile"), &text).expect("write");
    let compose = format!("services:\n  app:\n    image: \"{host}/team/app:1.0.3\"\n");
    std::fs::write(dir.join("compose.yaml"), &compose).expect("write");
    let mut client = start(&fresh_home(), &dir, Value::Null);
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", &text);
    // Both images answered: the base stage, the stage built on it and `FROM $APP` inherit volumes.
    client.wait_for("both lookups", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(u)
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().filter(|d| d["code"] == json!("volume-inherited")).count() == 3)
    });

    // The base image: its config and history, VOLUME called out.
    let hover = hover_text(&mut client, &u, 1, 12);
    for needle in [
        &format!("Resolves now to `{base}`"),
        "Declares `VOLUME [\"/usr/app\"]`",
        "VOLUME [\"/usr/app\"]",
        "WORKDIR /usr/app",
        "ENV PATH=/usr/local/bin:/usr/bin:/bin",
        "ENTRYPOINT [\"dbt\"]",
        "Inherited instructions",
    ] {
        assert!(hover.contains(needle), "`{needle}` missing from:\n{hover}");
    }
    // A local stage: the chain down to the registry image.
    let chain = hover_text(&mut client, &u, 3, 6);
    assert!(chain.contains("Stage chain") && chain.contains("WORKDIR /usr/app"), "{chain}");
    assert!(chain.contains("VOLUME [\"/usr/app\"]"), "{chain}");
    // A keyword.
    assert!(hover_text(&mut client, &u, 2, 2).contains("working directory"));

    // Pin in place, keeping `AS base`; pin the ARG default; pin all at once.
    let pin = action_titled(&mut client, &u, 1, None, "Pin to sha256:");
    let pinned = apply(&text, &pin, &u);
    assert_eq!(pinned.lines().nth(1), Some(format!("FROM {host}/dbt-labs/dbt-core:1.4.1@{base} AS base").as_str()));
    let pin_arg = action_titled(&mut client, &u, 0, None, "Pin to sha256:");
    assert_eq!(
        apply(&text, &pin_arg, &u).lines().next(),
        Some(format!("ARG APP={host}/team/app:1.0.3@{app}").as_str())
    );
    let all = action_titled(&mut client, &u, 0, Some("source"), "Pin all images");
    assert_eq!(all["kind"], json!("source.pinDigests.driftls"));
    let everything = apply(&text, &all, &u);
    assert!(everything.contains(&format!("1.4.1@{base} AS base")) && everything.contains(&format!("1.0.3@{app}\n")));

    // Compose keeps its quotes.
    let cu = uri(&dir.join("compose.yaml"));
    client.open(&cu, "dockercompose", &compose);
    let pin = action_titled(&mut client, &cu, 2, None, "Pin to sha256:");
    assert_eq!(
        apply(&compose, &pin, &cu).lines().nth(2),
        Some(format!("    image: \"{host}/team/app:1.0.3@{app}\"").as_str())
    );
    let hover = hover_text(&mut client, &cu, 2, 14);
    assert!(hover.contains("VOLUME [\"/data\"]"), "{hover}");
}

#[test]
fn a_multi_platform_image_shows_its_platforms_and_from_platform_picks_the_config() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let host = registry.host.clone();
    let config = |arch: &str, volume: &str| {
        image_config(
            "linux",
            arch,
            json!({ "Volumes": { volume: {} }, "OnBuild": ["COPY . /app/src"], "User": "app" }),
            &[("/bin/sh -c #(nop)  ONBUILD COPY . /app/src", true)],
        )
    };
    let index = registry
        .push_index(
            "team/multi",
            "2.0.0",
            &[("linux", "amd64", config("amd64", "/amd")), ("linux", "arm64", config("arm64", "/arm"))],
        )
        .expect("push index");
    let dir = crate::support::temp_dir("lsp-registry-platforms");
    let text = format!("FROM {host}/team/multi:2.0.0\nFROM --platform=linux/arm64 {host}/team/multi:2.0.0\n");
    std::fs::write(dir.join("Dockerfile"), &text).expect("write");
    let mut client = start(&fresh_home(), &dir, json!({ "registry": { "platform": "linux/amd64" } }));
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", &text);
    // Right after opening, the lookup is still running: the hover waits for it.
    let amd = hover_text(&mut client, &u, 0, 8);
    client.wait_for("both platforms", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(u)
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().filter(|d| d["code"] == json!("volume-inherited")).count() == 2)
    });
    assert!(amd.contains("Platforms: `linux/amd64`, `linux/arm64` (shown: `linux/amd64`)"), "{amd}");
    assert!(amd.contains("VOLUME [\"/amd\"]") && !amd.contains("/arm\""), "{amd}");
    assert!(amd.contains(&format!("Resolves now to `{index}`")), "{amd}");
    assert!(amd.contains("ONBUILD triggers") && amd.contains("COPY . /app/src") && amd.contains("USER app"), "{amd}");
    let arm = hover_text(&mut client, &u, 1, 30);
    assert!(arm.contains("(shown: `linux/arm64`)") && arm.contains("VOLUME [\"/arm\"]"), "{arm}");
    // The pin is the index digest whatever the platform.
    let pin = action_titled(&mut client, &u, 1, None, "Pin to sha256:");
    assert_eq!(
        apply(&text, &pin, &u).lines().nth(1),
        Some(format!("FROM --platform=linux/arm64 {host}/team/multi:2.0.0@{index}").as_str())
    );
}

#[test]
fn a_pin_resolved_later_waits_for_the_registry() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let host = registry.host.clone();
    let digest = registry.push_image("team/late", "3.1.4", &dbt_config("/data")).expect("push");
    let dir = crate::support::temp_dir("lsp-registry-resolve");
    let text = format!("FROM {host}/team/late:3.1.4 AS app\n");
    std::fs::write(dir.join("Dockerfile"), &text).expect("write");
    let capabilities = json!({ "textDocument": { "codeAction": { "resolveSupport": { "properties": ["edit"] } } } });
    let client = Client::spawn();
    let mut client = Client::start_with(client, &dir, capabilities, Value::Null);
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", &text);
    let start = "FROM ".len();
    let end = start + format!("{host}/team/late:3.1.4").len();
    let action = json!({
        "title": "Pin to its digest (asks the registry)",
        "kind": "quickfix",
        "data": { "pin": { "uri": u, "start": start, "end": end } },
    });
    let resolved = client.request("codeAction/resolve", action);
    assert_eq!(apply(&text, &resolved, &u), format!("FROM {host}/team/late:3.1.4@{digest} AS app\n"), "{resolved}");
    // A stale range (the document changed) resolves to no edit, not an error.
    let stale = json!({ "title": "x", "data": { "pin": { "uri": u, "start": 0, "end": 10_000 } } });
    assert!(client.request("codeAction/resolve", stale).get("edit").is_none());
}

#[test]
fn latest_is_pinned_to_the_version_tag_with_the_same_digest() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let host = registry.host.clone();
    let current = registry.push_image("library-ish/node", "latest", &dbt_config("/a")).expect("push latest");
    assert_eq!(registry.push_image("library-ish/node", "22.11.0", &dbt_config("/a")).expect("push"), current);
    assert_eq!(registry.push_image("library-ish/node", "22.11", &dbt_config("/a")).expect("push"), current);
    registry.push_image("library-ish/node", "22.10.0", &dbt_config("/old")).expect("push older");
    let dir = crate::support::temp_dir("lsp-registry-version-pin");
    let text = format!("FROM {host}/library-ish/node:latest\nFROM {host}/library-ish/node AS untagged\n");
    std::fs::write(dir.join("Dockerfile"), &text).expect("write");
    let capabilities = json!({ "textDocument": { "codeAction": { "resolveSupport": { "properties": ["edit"] } } } });
    let mut client = Client::start_with(Client::spawn(), &dir, capabilities, Value::Null);
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", &text);
    for (line, expected) in [
        (0, format!("FROM {host}/library-ish/node:22.11.0@{current}")),
        (1, format!("FROM {host}/library-ish/node:22.11.0@{current} AS untagged")),
    ] {
        let offered = action_titled(&mut client, &u, line, None, "Pin to the version tag");
        assert!(offered.get("edit").is_none(), "resolved later: {offered}");
        let resolved = client.request("codeAction/resolve", offered);
        assert_eq!(apply(&text, &resolved, &u).lines().nth(line as usize), Some(expected.as_str()), "{resolved}");
        assert!(resolved["title"].as_str().unwrap().starts_with("Pin to 22.11.0@sha256:"), "{resolved}");
    }
}

#[test]
fn pin_all_on_five_images_is_one_edit_with_five_digests() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let host = registry.host.clone();
    let digests: Vec<String> = (1..=5)
        .map(|i| registry.push_image(&format!("team/svc{i}"), "1.0.0", &dbt_config(&format!("/v{i}"))).expect("push"))
        .collect();
    let dir = crate::support::temp_dir("lsp-registry-pin-all");
    let text: String = (1..=5).map(|i| format!("FROM {host}/team/svc{i}:1.0.0 AS s{i}\n")).collect();
    std::fs::write(dir.join("Dockerfile"), &text).expect("write");
    let capabilities = json!({ "textDocument": { "codeAction": { "resolveSupport": { "properties": ["edit"] } } } });
    let mut client = Client::start_with(Client::spawn(), &dir, capabilities, Value::Null);
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", &text);
    let offered = action_titled(&mut client, &u, 0, Some("source"), "Pin all images");
    let action = if offered.get("edit").is_some() { offered } else { client.request("codeAction/resolve", offered) };
    assert_eq!(action["title"], json!("Pin all images in this file (5 digests)"), "{action}");
    assert_eq!(action["edit"]["changes"][&u].as_array().map(Vec::len), Some(5));
    let expected: String =
        (1..=5).map(|i| format!("FROM {host}/team/svc{i}:1.0.0@{} AS s{i}\n", digests[i - 1])).collect();
    assert_eq!(apply(&text, &action, &u), expected);
}

#[test]
fn credentials_from_config_json_reach_a_tls_registry_and_appear_in_no_output() {
    let password = "Lsp-s3cr3t-never-shown";
    let (registry, pem) = Registry::start_with_auth_and_tls("ci", password).expect("TLS registry");
    let digest = registry.push_image("team/private", "4.0.1", &dbt_config("/secret-data")).expect("push");
    let host = registry.host.clone();
    let home = fresh_home();
    std::fs::create_dir_all(home.join("docker")).expect("mkdir");
    let auth = base64(format!("ci:{password}").as_bytes());
    std::fs::write(home.join("docker/config.json"), json!({ "auths": { host.clone(): { "auth": auth } } }).to_string())
        .expect("write config.json");
    let dir = crate::support::temp_dir("lsp-registry-credentials");
    let text = format!("FROM {host}/team/private:4.0.1\nFROM {host}/team/nothing-here:1.0.0\n");
    std::fs::write(dir.join("Dockerfile"), &text).expect("write");
    let mut client = start(&home, &dir, json!({ "registry": { "caFiles": [pem] } }));
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", &text);
    wait_codes(&mut client, &u, &["volume-inherited", "image-not-found"]);
    let hover = hover_text(&mut client, &u, 0, 8);
    assert!(hover.contains(&format!("Resolves now to `{digest}`")) && hover.contains("/secret-data"), "{hover}");
    // Nothing the server sent (diagnostics, logs, messages, hovers), and nothing it cached, holds
    // the password or the encoded pair.
    let mut outputs: Vec<String> = client.transcript.clone();
    assert!(client.shutdown().success());
    for entry in walk(&home.join("cache")) {
        outputs.push(std::fs::read_to_string(&entry).unwrap_or_default());
    }
    assert!(!outputs.is_empty(), "the disk cache was written");
    outputs.push(hover);
    let everything = outputs.join("\n");
    assert!(!everything.contains(password) && !everything.contains(&auth));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}
