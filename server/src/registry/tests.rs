//! The client against misbehaving servers on loopback: every failure is a typed error within
//! the deadline, never a hang or a panic. (The real registry is exercised end to end.)

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use oci_client::secrets::RegistryAuth;

use crate::registry::client::{LookupError, RegistryClient, RegistrySettings};
use crate::registry::endpoint::Refusal;

fn client(timeout_ms: u64) -> RegistryClient {
    RegistryClient::new(RegistrySettings { timeout: Duration::from_millis(timeout_ms), ..RegistrySettings::default() })
}

/// A server that answers every connection with `response` (or holds it open when `None`).
fn serve(response: Option<&'static str>) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(false).unwrap();
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(5);
        listener.set_nonblocking(true).unwrap();
        let mut held = Vec::new();
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf);
                    match response {
                        Some(r) => {
                            let _ = stream.write_all(r.as_bytes());
                        }
                        None => held.push(stream),
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (port, handle)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn nothing_listening_is_a_network_error() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let result = runtime().block_on(client(2_000).digest(&format!("127.0.0.1:{port}/x:1"), &RegistryAuth::Anonymous));
    assert!(matches!(result, Err(LookupError::Network(_)) | Err(LookupError::Timeout)), "{result:?}");
}

#[test]
fn a_server_that_never_answers_times_out_within_the_deadline() {
    let (port, _server) = serve(None);
    let start = Instant::now();
    let result = runtime().block_on(client(500).digest(&format!("127.0.0.1:{port}/x:1"), &RegistryAuth::Anonymous));
    assert!(matches!(result, Err(LookupError::Timeout) | Err(LookupError::Network(_))), "{result:?}");
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
}

#[test]
fn server_errors_and_garbage_are_typed_errors() {
    let (port, _server) =
        serve(Some("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    let result = runtime().block_on(client(2_000).resolve(&format!("127.0.0.1:{port}/x:1"), &RegistryAuth::Anonymous));
    assert!(result.is_err(), "{result:?}");
    let (port, _server) = serve(Some(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"a\": [1",
    ));
    let result = runtime().block_on(client(2_000).resolve(&format!("127.0.0.1:{port}/x:1"), &RegistryAuth::Anonymous));
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn offline_and_metadata_addresses_make_no_request() {
    let offline = RegistryClient::new(RegistrySettings { offline: true, ..RegistrySettings::default() });
    let result = runtime().block_on(offline.digest("ghcr.io/o/r:1", &RegistryAuth::Anonymous));
    assert_eq!(result, Err(LookupError::Offline));
    let result = runtime().block_on(client(1_000).digest("169.254.169.254/latest:meta-data", &RegistryAuth::Anonymous));
    assert_eq!(result, Err(LookupError::Refused(Refusal::Metadata)));
    let result = runtime().block_on(client(1_000).digest("10.0.0.5:5000/internal/app:1", &RegistryAuth::Anonymous));
    assert_eq!(result, Err(LookupError::Refused(Refusal::Private)));
}

/// A server answering each connection with the next of `responses` (the last one repeats), and
/// recording every request head it saw.
fn serve_sequence(responses: Vec<String>) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().flatten().enumerate().take(64) {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = vec![0u8; 8192];
            let read = stream.read(&mut buf).unwrap_or(0);
            log.lock().unwrap().push(String::from_utf8_lossy(&buf[..read]).to_string());
            let response = responses.get(n).or(responses.last()).cloned().unwrap_or_default();
            let _ = stream.write_all(response.replace("{port}", &port.to_string()).as_bytes());
        }
    });
    (port, seen)
}

fn tls_hello_safe(status: &str, headers: &str, body: &str) -> String {
    format!("HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
}

#[test]
fn wrong_digests_429_redirect_loops_and_truncated_bodies_are_errors() {
    let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;
    let ok = tls_hello_safe("200 OK", "", "{}");
    let wrong = tls_hello_safe(
        "200 OK",
        &format!(
            "Content-Type: application/vnd.docker.distribution.manifest.v2+json\r\nDocker-Content-Digest: sha256:{}\r\n",
            "0".repeat(64)
        ),
        manifest,
    );
    // Each lookup: HTTPS attempt (answered as plain HTTP: an error), /v2/ for the token, then the
    // manifest; the plain retry repeats /v2/ and the manifest.
    let (port, _) = serve_sequence(vec![ok.clone(), ok.clone(), wrong]);
    let result = runtime().block_on(client(2_000).resolve(&format!("127.0.0.1:{port}/x:1"), &RegistryAuth::Anonymous));
    assert!(matches!(result, Err(LookupError::Malformed(ref m)) if m.contains("digest")), "{result:?}");

    let busy = tls_hello_safe("429 Too Many Requests", "Retry-After: 120\r\n", "slow down");
    let (port, _) = serve_sequence(vec![ok.clone(), ok.clone(), busy]);
    let result = runtime().block_on(client(2_000).digest(&format!("127.0.0.1:{port}/x:1"), &RegistryAuth::Anonymous));
    assert!(matches!(result, Err(LookupError::Network(ref m)) if m.contains("429")), "{result:?}");

    let looping = tls_hello_safe("302 Found", "Location: http://127.0.0.1:{port}/v2/x/manifests/1\r\n", "");
    let (port, _) = serve_sequence(vec![ok.clone(), ok.clone(), looping]);
    let started = Instant::now();
    let result = runtime().block_on(client(2_000).resolve(&format!("127.0.0.1:{port}/x:1"), &RegistryAuth::Anonymous));
    assert!(result.is_err(), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let truncated = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.distribution.manifest.v2+json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{\"schemaVersion\":2".to_string();
    let (port, _) = serve_sequence(vec![ok.clone(), ok, truncated]);
    let result = runtime().block_on(client(2_000).resolve(&format!("127.0.0.1:{port}/x:1"), &RegistryAuth::Anonymous));
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn credentials_do_not_follow_a_redirect_to_another_host() {
    // The other host records what it is sent.
    let (other, other_seen) = serve_sequence(vec![tls_hello_safe("404 Not Found", "", "")]);
    let redirect = tls_hello_safe(
        "307 Temporary Redirect",
        &format!("Location: http://localhost:{other}/v2/x/manifests/1\r\n"),
        "",
    );
    let ok = tls_hello_safe("200 OK", "", "{}");
    let (port, _) = serve_sequence(vec![ok.clone(), ok, redirect]);
    let auth = RegistryAuth::Basic("ci".into(), "Redirect-s3cret".into());
    let _ = runtime().block_on(client(2_000).digest(&format!("127.0.0.1:{port}/x:1"), &auth));
    let seen = other_seen.lock().unwrap().join("\n");
    assert!(!seen.is_empty(), "the redirect was followed to the other host");
    assert!(!seen.to_ascii_lowercase().contains("authorization"), "{seen}");
}
