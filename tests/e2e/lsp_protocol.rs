//! The server survives what editors and users send it, and exits cleanly.

use serde_json::json;

use crate::support::{Client, summary, temp_dir, uri};

#[test]
fn out_of_range_and_inverted_edits_never_break_the_document() {
    let dir = temp_dir("bad-edits");
    let u = uri(&dir.join("Dockerfile"));
    let mut client = Client::start(&dir, json!({}));
    client.open(&u, "dockerfile", "FROM scratch\n");
    client.diagnostics(&u, Some(1));
    // A position past the end means the end (LSP): the text is appended.
    client.change(&u, 2, (99, 5), (99, 5), "FROM ubuntu\n");
    assert_eq!(summary(&client.diagnostics(&u, Some(2))), ["image-untagged 1:5-1:11", "image-unpinned 1:5-1:11"]);
    // A column past the line end means the line end.
    client.change(&u, 3, (1, 500), (1, 500), ":latest");
    assert_eq!(summary(&client.diagnostics(&u, Some(3))), ["image-unpinned 1:5-1:18", "image-latest 1:12-1:18"]);
    // An inverted range is refused and logged; the document is unchanged.
    client.change(&u, 4, (1, 10), (1, 2), "zzz");
    assert_eq!(summary(&client.diagnostics(&u, Some(4))), ["image-unpinned 1:5-1:18", "image-latest 1:12-1:18"]);
    assert!(client.logs.iter().any(|l| l.contains("change ignored")), "{:?}", client.logs);
    // Edits to a document that was never opened are logged, not fatal.
    client.change(&uri(&dir.join("Nope.Dockerfile")), 1, (0, 0), (0, 0), "x");
    client.change(&u, 5, (1, 12), (1, 18), "24.04");
    assert_eq!(summary(&client.diagnostics(&u, Some(5))), ["image-unpinned 1:5-1:17", "image-floating-tag 1:12-1:17"]);
    assert!(client.logs.iter().any(|l| l.contains("not open")), "{:?}", client.logs);
    assert_eq!(client.shutdown().code(), Some(0));
}

#[test]
fn binary_content_is_analysed_without_panicking() {
    let dir = temp_dir("binary");
    let u = uri(&dir.join("Dockerfile"));
    let mut client = Client::start(&dir, json!({}));
    client.open(&u, "dockerfile", "\u{0}\u{1}FROM\u{0} ubuntu\u{7f}\nRUN \u{feff}curl x | sh\n\u{0}");
    client.diagnostics(&u, Some(1));
    client.change(&u, 2, (0, 0), (5, 0), "FROM alpine\n");
    assert_eq!(summary(&client.diagnostics(&u, Some(2))), ["image-untagged 0:5-0:11", "image-unpinned 0:5-0:11"]);
}

#[test]
fn exits_when_stdin_closes() {
    let dir = temp_dir("stdin-close");
    let client = Client::start(&dir, json!({}));
    let status = client.close_stdin();
    assert!(status.success() || status.code().is_some(), "{status:?}");
}

#[test]
fn exits_after_shutdown_and_exit() {
    let dir = temp_dir("exit");
    let client = Client::start(&dir, json!({}));
    assert_eq!(client.shutdown().code(), Some(0));
}
