//! A guard in front of tower-lsp-server's reader. Its codec ends the whole session at the first
//! malformed message (the framed stream stops after a decode error), so one bad frame from a
//! client would take the server down. Here every frame is checked first: a body that is not a
//! JSON object (broken JSON, a batch array, invalid UTF-8) or a frame without a usable
//! `Content-Length` is replaced by a harmless `$/`-notification the server ignores, and the
//! problem is logged on stderr. Frames larger than [`MAX_FRAME_BYTES`] are skipped unread.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// The largest message read (a 50 MB document is ~52 MB of JSON).
pub const MAX_FRAME_BYTES: usize = 256 * 1024 * 1024;

const REPLACEMENT: &str = r#"{"jsonrpc":"2.0","method":"$/driftls/malformedMessage","params":null}"#;

/// One frame read from a byte stream.
pub enum Frame {
    /// A body of at most [`MAX_FRAME_BYTES`].
    Body(Vec<u8>),
    /// A header block without a usable `Content-Length`.
    NoLength,
    /// A body over the limit, skipped unread.
    Oversize(usize),
}

/// Reads the next frame; `None` at the end of the stream (or when it breaks off mid-frame).
pub async fn read_frame(reader: &mut (impl AsyncBufRead + Unpin)) -> Option<Frame> {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            if saw_header {
                break;
            }
            continue; // stray blank lines between frames
        }
        saw_header = true;
        if let Some((name, value)) = trimmed.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let Some(length) = length else { return Some(Frame::NoLength) };
    if length > MAX_FRAME_BYTES {
        let mut sink = tokio::io::sink();
        let skipped = tokio::io::copy(&mut (&mut *reader).take(length as u64), &mut sink).await.ok()?;
        return (skipped == length as u64).then_some(Frame::Oversize(length));
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Frame::Body(body))
}

/// `body` with its `Content-Length` header, ready to write.
pub fn framed(body: &[u8]) -> Vec<u8> {
    let header = format!("Content-Length: {}\r\n\r\n", body.len());
    let mut frame = Vec::with_capacity(header.len() + body.len());
    frame.extend_from_slice(header.as_bytes());
    frame.extend_from_slice(body);
    frame
}

/// Copies frames from `input` to `output`, replacing malformed ones, until `input` ends.
pub async fn guard(input: impl AsyncRead + Unpin, mut output: impl AsyncWrite + Unpin) {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    while let Some(frame) = read_frame(&mut reader).await {
        let body = match frame {
            Frame::Body(body) if is_json_object(&body) => body,
            Frame::Body(body) => {
                eprintln!("driftls: a malformed message ({} bytes, not a JSON-RPC object) was dropped", body.len());
                REPLACEMENT.as_bytes().to_vec()
            }
            Frame::NoLength => {
                eprintln!("driftls: a message without a valid Content-Length header was dropped");
                continue;
            }
            Frame::Oversize(length) => {
                eprintln!("driftls: a message of {length} bytes (over {MAX_FRAME_BYTES}) was skipped");
                continue;
            }
        };
        if output.write_all(&framed(&body)).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}

/// Whether `body` is a JSON object (what JSON-RPC messages are), without building a tree.
fn is_json_object(body: &[u8]) -> bool {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    first == Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(input: &[u8]) -> String {
        let mut out = Vec::new();
        guard(input, &mut out).await;
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn malformed_frames_are_replaced_and_good_ones_pass() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"x"}"#;
        let input = format!(
            "Content-Length: 9\r\n\r\n{{\"a\": [1,Content-Length: 2\r\n\r\n[]\r\nX-Other: 1\r\n\r\nContent-Length: {}\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n{good}",
            good.len()
        );
        let out = rt.block_on(run(input.as_bytes()));
        let replaced = format!("Content-Length: {}\r\n\r\n{REPLACEMENT}", REPLACEMENT.len());
        assert_eq!(out, format!("{replaced}{replaced}Content-Length: {}\r\n\r\n{good}", good.len()));
        // Invalid UTF-8 and a truncated stream end quietly.
        let out = rt.block_on(run(b"Content-Length: 3\r\n\r\n{\xff}Content-Length: 99\r\n\r\n{"));
        assert_eq!(out, replaced);
    }
}
