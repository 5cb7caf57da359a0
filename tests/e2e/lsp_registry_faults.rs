//! The server against registries that fail: nothing listening, a server that accepts and never
//! answers, one that answers 500, one that sends malformed JSON, one that sends a 100 MB
//! manifest. The server keeps answering, the text's diagnostics stay, no error diagnostic and
//! no `image-not-found` appear, each failure is logged, and memory stays bounded.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Client, fresh_home, summary, temp_dir, uri};

#[derive(Clone, Copy)]
enum Fault {
    Hang,
    ServerError,
    Malformed,
    Huge,
}

/// A registry-shaped server on loopback that misbehaves as `fault` says.
fn serve(fault: Fault) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, fault));
        }
    });
    port
}

fn answer(mut stream: TcpStream, fault: Fault) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // A TLS handshake gets what Go's HTTP server sends: a 400, so the client falls back to HTTP.
    if stream.peek(&mut byte).is_ok() && byte[0] == 0x16 {
        let _ = stream.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
        return;
    }
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let digest = format!("sha256:{}", "0".repeat(64));
    let manifest_type = "application/vnd.docker.distribution.manifest.v2+json";
    let reply = |stream: &mut TcpStream, status: &str, headers: &str, body: &[u8]| {
        let head = format!("HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    };
    match fault {
        Fault::Hang => std::thread::sleep(Duration::from_secs(30)),
        Fault::ServerError => reply(&mut stream, "500 Internal Server Error", "", b"oops"),
        _ if head.starts_with("GET /v2/ ") => reply(&mut stream, "200 OK", "", b"{}"),
        _ if head.starts_with("HEAD ") => {
            let headers = format!("Content-Type: {manifest_type}\r\nDocker-Content-Digest: {digest}\r\n");
            let _ = stream.write_all(
                format!("HTTP/1.1 200 OK\r\n{headers}Content-Length: 300\r\nConnection: close\r\n\r\n").as_bytes(),
            );
        }
        Fault::Malformed => {
            let headers = format!("Content-Type: {manifest_type}\r\n");
            reply(&mut stream, "200 OK", &headers, b"{\"schemaVersion\": 2, \"config\": [1, 2");
        }
        Fault::Huge => {
            // 100 MB, chunked: no length to refuse up front.
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Type: {manifest_type}\r\nTransfer-Encoding: chunked\r\n\r\n");
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk, b"\r\n".to_vec()].concat();
            for _ in 0..(100 * 1024 * 1024 / (64 * 1024)) {
                if stream.write_all(&framed).is_err() {
                    return;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        }
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn failing_registries_never_block_never_become_diagnostics_and_memory_stays_bounded() {
    let dead = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let ports = [dead, serve(Fault::Hang), serve(Fault::ServerError), serve(Fault::Malformed), serve(Fault::Huge)];
    let dir = temp_dir("lsp-registry-faults");
    let text: String = ports.iter().map(|p| format!("FROM 127.0.0.1:{p}/team/app:1.0.3\n")).collect();
    std::fs::write(dir.join("Dockerfile"), &text).expect("write");
    let home = fresh_home();
    let client =
        Client::spawn_with(&[("DRIFTLS_CACHE_DIR", home.join("cache")), ("DOCKER_CONFIG", home.join("docker"))]);
    let mut client = Client::start_with(client, &dir, json!({}), json!({ "registry": { "timeoutMs": 4000 } }));
    let u = uri(&dir.join("Dockerfile"));
    client.open(&u, "dockerfile", &text);
    let first = client.diagnostics(&u, Some(1));
    let offline_summary = summary(&first);
    assert_eq!(offline_summary.len(), 5, "{first:#?}");

    // While the lookups run (one of them waits for its deadline), edits elsewhere are answered.
    let other = uri(&dir.join("other.Dockerfile"));
    let started = Instant::now();
    client.open(&other, "dockerfile", "FROM alpine\n");
    let answered = client.diagnostics(&other, Some(1));
    assert_eq!(summary(&answered), ["image-untagged 0:5-0:11", "image-unpinned 0:5-0:11"]);
    assert!(started.elapsed() < Duration::from_secs(3), "the server waited for the registry: {:?}", started.elapsed());

    // Every failure is logged (none shows as a diagnostic).
    for port in &ports {
        let needle = format!("no registry answer for `127.0.0.1:{port}/team/app:1.0.3`");
        if !client.logs.iter().any(|l| l.contains(&needle)) {
            client.wait_for(&needle, |m| {
                m["method"] == "window/logMessage"
                    && m["params"]["message"].as_str().is_some_and(|t| t.contains(&needle))
            });
        }
    }
    let reasons = client.logs.join("\n");
    assert!(reasons.contains("did not answer in time"), "{reasons}");
    assert!(reasons.contains("HTTP 500"), "{reasons}");
    assert!(reasons.contains("unexpected answer"), "{reasons}");
    assert!(reasons.contains("more than driftls reads"), "{reasons}");

    // The document still has exactly its text's findings, and nothing at error level.
    client.change(&u, 2, (5, 0), (5, 0), "# edited\n");
    let after = client.diagnostics(&u, Some(2));
    assert_eq!(summary(&after), offline_summary);
    assert!(after.iter().all(|d| d["severity"] != json!(1) && d["code"] != json!("image-not-found")), "{after:#?}");

    // The 100 MB manifest was refused as it streamed, not read whole.
    let peak = peak_rss_kib(client.pid());
    assert!(peak > 0 && peak < 80 * 1024, "peak RSS {peak} KiB");
    assert_eq!(client.shutdown().code(), Some(0));
}
