//! The registry harness against the real `docker-registry`: what is pushed is what the registry
//! serves back (tags, digests, manifests, index platforms, config blobs), auth and TLS are
//! enforced, and the registry is gone once the harness is dropped.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::registry::{self, DOCKER_MANIFEST, MANIFEST_ACCEPT, OCI_INDEX, Registry};

/// A node-like image: a `VOLUME`, an `ONBUILD` and the other config fields, two real layers.
fn app_config() -> Value {
    registry::image_config(
        "linux",
        "amd64",
        json!({
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_VERSION=20.11.1"],
            "WorkingDir": "/usr/app",
            "User": "node",
            "Volumes": { "/usr/app": {} },
            "OnBuild": ["COPY . /usr/app"],
            "Entrypoint": ["docker-entrypoint.sh"],
            "Cmd": ["node"],
            "ExposedPorts": { "3000/tcp": {} },
            "Labels": { "org.opencontainers.image.version": "1.2.3" },
        }),
        &[
            ("/bin/sh -c #(nop) ADD file:rootfs.tar.xz in / ", false),
            ("ENV NODE_VERSION=20.11.1", true),
            ("RUN /bin/sh -c npm ci # buildkit", false),
            ("VOLUME [/usr/app]", true),
            ("ONBUILD COPY . /usr/app", true),
        ],
    )
}

fn start() -> Registry {
    Registry::start().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn registry_single_platform_image_round_trips() {
    let registry = start();
    assert_eq!(registry.host, format!("127.0.0.1:{}", registry.port));
    assert_eq!(registry.url("/v2/"), format!("http://127.0.0.1:{}/v2/", registry.port));
    let config = app_config();

    let digest = registry.push_image("team/app", "1.2.3", &config).expect("push");
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");
    assert_eq!(registry.head_digest("team/app", "1.2.3").expect("HEAD"), digest);
    assert_eq!(registry.tags("team/app").expect("tags"), ["1.2.3"]);

    let manifest = registry.get_manifest("team/app", "1.2.3").expect("GET manifest");
    assert_eq!(manifest.header("Content-Type"), Some(DOCKER_MANIFEST));
    assert_eq!(manifest.header("docker-content-digest"), Some(digest.as_str()));
    assert_eq!(registry::digest(&manifest.body), digest);
    let manifest = manifest.json().expect("manifest JSON");
    let config_bytes = serde_json::to_vec(&config).expect("json");
    assert_eq!(manifest["mediaType"], json!(DOCKER_MANIFEST));
    assert_eq!(manifest["config"]["digest"], json!(registry::digest(&config_bytes)));
    assert_eq!(manifest["config"]["size"], json!(config_bytes.len()));
    // One layer per non-empty history entry, as the config's diff IDs say.
    assert_eq!(manifest["layers"].as_array().map(Vec::len), Some(2));
    assert_eq!(config["rootfs"]["diff_ids"].as_array().map(Vec::len), Some(2));

    let served = registry.get_blob("team/app", manifest["config"]["digest"].as_str().expect("digest")).expect("config");
    let served: Value = serde_json::from_slice(&served).expect("config JSON");
    assert_eq!(served["config"]["Volumes"], json!({ "/usr/app": {} }));
    assert_eq!(served["config"]["OnBuild"], json!(["COPY . /usr/app"]));
    assert_eq!((served["os"].as_str(), served["architecture"].as_str()), (Some("linux"), Some("amd64")));
    assert_eq!(served, config);
    let layer =
        registry.get_blob("team/app", manifest["layers"][0]["digest"].as_str().expect("digest")).expect("layer");
    assert_eq!(layer, registry::test_layer().gzip);

    // A second tag of the same image resolves to the same digest; an unknown tag does not resolve.
    assert_eq!(registry.push_image("team/app", "1.2", &config).expect("push again"), digest);
    assert_eq!(registry.tags("team/app").expect("tags"), ["1.2", "1.2.3"]);
    let missing = registry.head_digest("team/app", "9.9").expect_err("unknown tag");
    assert!(missing.contains("expected HTTP 200, got 404"), "{missing}");

    // Dropping the harness stops the registry.
    let pid = registry.pid();
    drop(registry);
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "docker-registry {pid} still running after drop");
}

#[test]
fn registry_multi_platform_index_lists_both_platforms() {
    let registry = start();
    let history = [("ADD rootfs.tar /", false), ("VOLUME [/data]", true)];
    let amd64 = registry::image_config("linux", "amd64", json!({ "Volumes": { "/data": {} } }), &history);
    let arm64 =
        registry::image_config("linux", "arm64", json!({ "Volumes": { "/data": {} }, "User": "1000" }), &history);

    let index_digest = registry
        .push_index("library/base", "3", &[("linux", "amd64", amd64.clone()), ("linux", "arm64", arm64.clone())])
        .expect("push index");
    assert_eq!(registry.head_digest("library/base", "3").expect("HEAD"), index_digest);

    let index = registry.get_manifest("library/base", "3").expect("GET index");
    assert_eq!(index.header("content-type"), Some(OCI_INDEX));
    assert_eq!(registry::digest(&index.body), index_digest);
    let index = index.json().expect("index JSON");
    assert_eq!(index["mediaType"], json!(OCI_INDEX));
    let entries = index["manifests"].as_array().expect("manifests");
    let platforms: Vec<(&str, &str)> = entries
        .iter()
        .map(|m| (m["platform"]["os"].as_str().unwrap_or("?"), m["platform"]["architecture"].as_str().unwrap_or("?")))
        .collect();
    assert_eq!(platforms, [("linux", "amd64"), ("linux", "arm64")]);

    // Each entry is a pushed image whose config is the one given for its platform.
    for (entry, config) in entries.iter().zip([&amd64, &arm64]) {
        let digest = entry["digest"].as_str().expect("digest");
        let manifest = registry.get_manifest("library/base", digest).expect("GET platform manifest");
        assert_eq!(manifest.header("content-type"), Some(DOCKER_MANIFEST));
        assert_eq!(entry["size"], json!(manifest.body.len()));
        let manifest = manifest.json().expect("manifest JSON");
        let blob =
            registry.get_blob("library/base", manifest["config"]["digest"].as_str().expect("digest")).expect("config");
        assert_eq!(&serde_json::from_slice::<Value>(&blob).expect("config JSON"), config);
    }
    // Only the index is tagged.
    assert_eq!(registry.tags("library/base").expect("tags"), ["3"]);
}

#[test]
fn registry_with_auth_and_tls_requires_credentials() {
    let (registry, pem) = Registry::start_with_auth_and_tls("driftls", "s3cret pass").unwrap_or_else(|e| panic!("{e}"));
    let certificate = std::fs::read_to_string(&pem).expect("PEM");
    assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"), "{certificate}");
    assert!(registry.url("/v2/").starts_with("https://127.0.0.1:"));

    let digest = registry.push_image("private/app", "1.0", &app_config()).expect("push over TLS with auth");
    let path = "/v2/private/app/manifests/1.0";
    let accept = MANIFEST_ACCEPT.join(", ");
    let head = |credentials| registry.request_as(credentials, "HEAD", path, &[("Accept", &accept)], b"").expect("HEAD");

    let anonymous = head(None);
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").is_some_and(|h| h.starts_with("Basic")), "{anonymous:?}");
    assert_eq!(anonymous.header("docker-content-digest"), None);
    assert_eq!(head(Some(("driftls", "wrong"))).status, 401);

    let authenticated = head(Some(("driftls", "s3cret pass")));
    assert_eq!(authenticated.status, 200);
    assert_eq!(authenticated.header("docker-content-digest"), Some(digest.as_str()));
    assert_eq!(registry.head_digest("private/app", "1.0").expect("HEAD"), digest);

    let pid = registry.pid();
    drop(registry);
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "docker-registry {pid} still running after drop");
}

/// The pushed layer is a real gzipped tar (as `tar` reads it), and its diff ID is in the config.
#[test]
fn registry_test_layer_is_a_gzipped_tar() {
    let layer = registry::test_layer();
    let mut tar = Command::new("tar")
        .args(["-tzf", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tar");
    std::io::Write::write_all(&mut tar.stdin.take().expect("stdin"), &layer.gzip).expect("write to tar");
    let output = tar.wait_with_output().expect("tar");
    assert!(output.status.success(), "tar: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "driftls-test-layer.txt\n");
    let config = registry::image_config("linux", "arm/v7", json!({}), &[]);
    assert_eq!(config["rootfs"]["diff_ids"], json!([registry::digest(&layer.tar)]));
    assert_eq!((config["architecture"].as_str(), config["variant"].as_str()), (Some("arm"), Some("v7")));
}

/// The client reads headers case-insensitively and decodes chunked bodies, though distribution
/// sends `Content-Length` on the endpoints the harness uses.
#[test]
fn registry_client_parses_chunked_and_sized_responses() {
    let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\nDocker-Content-Digest: sha256:ab\r\n\r\n\
                    4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n";
    let response = registry::parse_response(chunked, false).expect("chunked");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("DOCKER-CONTENT-DIGEST"), Some("sha256:ab"));
    assert_eq!(response.json().expect("json"), json!({ "a": 1 }));

    let sized = b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}";
    assert_eq!(registry::parse_response(sized, false).expect("sized").body, b"{}");
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 529\r\n\r\n";
    assert!(registry::parse_response(head, true).expect("HEAD").body.is_empty());
    assert!(registry::parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}", false).is_err());
}
