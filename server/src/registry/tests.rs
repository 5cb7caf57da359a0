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
