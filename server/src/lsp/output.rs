//! The one writer of stdout. tower-lsp-server's transport writes its frames into a pipe that is
//! read here frame by frame; publishes arrive already serialised (most of a publish is the same
//! bytes as the previous one, see [`crate::lsp::rendered`]) and skip the transport, which would
//! turn them into a `serde_json::Value` tree first. Whole frames go through one bounded channel
//! to one writer, so frames never interleave and a client that stops reading slows the
//! publisher down instead of filling memory.

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::lsp::framing::{self, Frame};

/// Frames queued for stdout before senders wait.
const QUEUED_FRAMES: usize = 8;

enum Item {
    Frame(Vec<u8>),
    /// The transport ended: write what came before, then stop.
    End,
}

/// Where whole frames are sent to be written.
#[derive(Clone)]
pub struct Outbox(mpsc::Sender<Item>);

impl Outbox {
    /// Queues one JSON-RPC message (the body, without header); waits while the queue is full.
    pub async fn send(&self, body: &[u8]) {
        let _ = self.0.send(Item::Frame(framing::framed(body))).await;
    }
}

/// An outbox and the task that writes its frames to `out` (ends after [`forward_transport`]
/// has seen the transport end and everything before that was written).
pub fn start(out: impl AsyncWrite + Unpin + Send + 'static) -> (Outbox, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUED_FRAMES);
    (Outbox(tx), tokio::spawn(write_all(rx, out)))
}

async fn write_all(mut queue: mpsc::Receiver<Item>, mut out: impl AsyncWrite + Unpin) {
    while let Some(item) = queue.recv().await {
        match item {
            Item::Frame(frame) => {
                if out.write_all(&frame).await.is_err() || out.flush().await.is_err() {
                    return;
                }
            }
            Item::End => return,
        }
    }
}

/// Moves the transport's frames, whole, into the outbox until the transport closes its end.
pub async fn forward_transport(transport: impl AsyncRead + Unpin, outbox: Outbox) {
    let mut reader = BufReader::with_capacity(64 * 1024, transport);
    while let Some(frame) = framing::read_frame(&mut reader).await {
        if let Frame::Body(body) = frame {
            outbox.send(&body).await;
        }
    }
    let _ = outbox.0.send(Item::End).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_frames_and_direct_frames_are_written_whole_and_in_order() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (out_writer, mut out_reader) = tokio::io::duplex(64);
            let (outbox, writer) = start(out_writer);
            let (mut transport_writer, transport_reader) = tokio::io::duplex(16);
            let forward = tokio::spawn(forward_transport(transport_reader, outbox.clone()));
            let collect = tokio::spawn(async move {
                let mut all = Vec::new();
                tokio::io::AsyncReadExt::read_to_end(&mut out_reader, &mut all).await.unwrap();
                all
            });
            outbox.send(br#"{"direct":1}"#).await;
            // Written in pieces smaller than a frame: the reader must reassemble it.
            transport_writer.write_all(b"Content-Length: 11\r\n\r\n{\"tower\":2}").await.unwrap();
            drop(transport_writer);
            forward.await.unwrap();
            writer.await.unwrap();
            drop(outbox);
            let all = String::from_utf8(collect.await.unwrap()).unwrap();
            assert_eq!(all, "Content-Length: 12\r\n\r\n{\"direct\":1}Content-Length: 11\r\n\r\n{\"tower\":2}");
        });
    }
}
