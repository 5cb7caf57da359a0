//! The one writer of stdout. tower-lsp-server's transport writes its frames into a pipe that is
//! read here frame by frame; publishes arrive already serialised (most of a publish is the same
//! bytes as the previous one, see [`crate::lsp::rendered`]) and skip the transport, which would
//! turn them into a `serde_json::Value` tree first. Whole frames go through one channel, bounded
//! by frames and by bytes, to one writer, so frames never interleave and a client that stops
//! reading slows the publisher down instead of filling memory. The writer is a thread of its own
//! that writes each frame's pieces with unbuffered `writev` calls (no copy into one buffer, nor
//! into a line buffer that scans for newlines).

use std::io::{self, IoSlice, Write};
use std::sync::Arc;

use tokio::io::{AsyncRead, BufReader};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::lsp::framing::{self, Frame};

/// The pipe buffer asked for on stdout.
const PIPE_BYTES: libc::c_int = 1024 * 1024;

/// Frames queued for stdout before senders wait.
const QUEUED_FRAMES: usize = 8;

/// KiB of frames queued or being written before senders wait. A publish of a 10,000-line
/// Dockerfile is 0.9 MB: eight of them waited behind an editor that read slowly while the user
/// typed (7 MB, the resident set grew from 18 to 27 MiB in a burst of edits).
const QUEUED_KIB: usize = 1024;

/// A message body in pieces: `head`, then `items` joined by commas, then `tail`. A publish
/// shares the JSON of its diagnostics with the document's render ([`crate::lsp::rendered`]),
/// and the writer hands the pieces to `writev` as they are: no megabyte copied into one
/// buffer first on every keystroke in a large file. The items are shared as one list, not
/// one by one: no reference count per item bounces between the writer's core and the
/// analysis's.
pub struct Body {
    head: Vec<u8>,
    items: Arc<Vec<String>>,
    tail: &'static [u8],
}

impl Body {
    /// A body in one piece.
    pub fn whole(bytes: Vec<u8>) -> Body {
        Body { head: bytes, items: Arc::default(), tail: b"" }
    }

    /// `head`, the `items` separated by commas, `tail`.
    pub fn joined(head: Vec<u8>, items: Arc<Vec<String>>, tail: &'static [u8]) -> Body {
        Body { head, items, tail }
    }

    pub fn len(&self) -> usize {
        let items: usize = self.items.iter().map(|i| i.len()).sum();
        self.head.len() + items + self.items.len().saturating_sub(1) + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body in one buffer (tests, and writers that are no file).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.len());
        for slice in self.slices(&[]) {
            bytes.extend_from_slice(&slice);
        }
        bytes
    }

    /// `header` and the pieces of the body, in order.
    fn slices<'a>(&'a self, header: &'a [u8]) -> Vec<IoSlice<'a>> {
        let mut slices = Vec::with_capacity(2 * self.items.len() + 3);
        slices.push(IoSlice::new(header));
        slices.push(IoSlice::new(&self.head));
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                slices.push(IoSlice::new(b","));
            }
            slices.push(IoSlice::new(item.as_bytes()));
        }
        slices.push(IoSlice::new(self.tail));
        slices.retain(|s| !s.is_empty());
        slices
    }

    /// Writes `header` and the body with as few `writev` calls as the pieces allow.
    fn write_to(&self, header: &[u8], out: &mut impl Write) -> io::Result<()> {
        let mut slices = self.slices(header);
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match out.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

enum Item {
    /// A header and its body, and its share of [`QUEUED_KIB`] (given back once written).
    Frame(String, Body, OwnedSemaphorePermit),
    /// The transport ended: write what came before, then stop.
    End,
}

/// Where whole frames are sent to be written.
#[derive(Clone)]
pub struct Outbox {
    queue: mpsc::Sender<Item>,
    room: Arc<Semaphore>,
}

impl Outbox {
    /// Queues one JSON-RPC message (the body, without header); waits while the queue is full.
    pub async fn send(&self, body: Vec<u8>) {
        self.send_body(Body::whole(body)).await;
    }

    /// Queues a message given in pieces; waits while the queue is full (a frame larger than
    /// the whole room waits until everything before it was written).
    pub async fn send_body(&self, body: Body) {
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        let kib = (body.len() / 1024 + 1).min(QUEUED_KIB) as u32;
        let Ok(permit) = self.room.clone().acquire_many_owned(kib).await else { return };
        let _ = self.queue.send(Item::Frame(header, body, permit)).await;
    }
}

/// An outbox and the thread that writes its frames to `out` (ends after [`forward_transport`]
/// has seen the transport end and everything before that was written).
pub fn start(out: impl Write + Send + 'static) -> (Outbox, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUED_FRAMES);
    let writer = std::thread::Builder::new()
        .name("driftls-output".into())
        .spawn(move || write_all(rx, out))
        .expect("spawn the output thread");
    (Outbox { queue: tx, room: Arc::new(Semaphore::new(QUEUED_KIB)) }, writer)
}

fn write_all(mut queue: mpsc::Receiver<Item>, mut out: impl Write) {
    while let Some(item) = queue.blocking_recv() {
        match item {
            Item::Frame(header, body, permit) => {
                let written = body.write_to(header.as_bytes(), &mut out);
                if written.and_then(|_| out.flush()).is_err() {
                    return;
                }
                drop((body, permit));
            }
            Item::End => return,
        }
    }
}

/// Standard output without the line buffer of `std::io::Stdout` (which would scan every frame
/// for its last newline): each frame is written as it is.
pub struct RawStdout(std::mem::ManuallyDrop<std::fs::File>);

impl RawStdout {
    pub fn open() -> RawStdout {
        use std::os::fd::{AsFd, AsRawFd, FromRawFd};
        let fd = std::io::stdout().as_fd().as_raw_fd();
        // A publish of a large file is about 1 MB: with the default 64 KiB pipe the writer and
        // the editor take turns twenty times per publish. Ask for 1 MiB (the usual limit for
        // unprivileged processes); when stdout is no pipe, or the limit is lower, nothing changes.
        // SAFETY: fcntl on an open descriptor with an integer argument touches no memory.
        let _ = unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_BYTES) };
        // SAFETY: fd 1 is open for the life of the process, and `ManuallyDrop` never closes it.
        RawStdout(std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) }))
    }
}

impl Write for RawStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
        self.0.write_vectored(bufs)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Moves the transport's frames, whole, into the outbox until the transport closes its end.
pub async fn forward_transport(transport: impl AsyncRead + Unpin, outbox: Outbox) {
    let mut reader = BufReader::with_capacity(64 * 1024, transport);
    while let Some(frame) = framing::read_frame(&mut reader).await {
        if let Frame::Body(body) = frame {
            outbox.send(body).await;
        }
    }
    let _ = outbox.queue.send(Item::End).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes at most `limit` bytes and `max_slices` slices per call, as a pipe may.
    struct Stingy {
        written: Vec<u8>,
        limit: usize,
        max_slices: usize,
    }

    impl Write for Stingy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let mut room = self.limit;
            for buf in bufs.iter().take(self.max_slices) {
                let n = buf.len().min(room);
                self.written.extend_from_slice(&buf[..n]);
                room -= n;
                if room == 0 {
                    break;
                }
            }
            Ok(self.limit - room)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn senders_wait_while_a_megabyte_is_queued_and_go_on_once_it_is_read() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (mut out_reader, out_writer) = std::io::pipe().unwrap();
            let (outbox, writer) = start(out_writer);
            let frame = |fill: u8| vec![fill; 600 * 1024];
            // Nobody reads yet: the writer holds the first frame, the second has no room.
            outbox.send(frame(b'a')).await;
            let collect = {
                let second = outbox.send(frame(b'b'));
                tokio::pin!(second);
                let waited = tokio::time::timeout(std::time::Duration::from_millis(300), &mut second).await;
                assert!(waited.is_err(), "a second 600 KiB frame was queued beside the first");
                let collect = std::thread::spawn(move || {
                    let mut all = Vec::new();
                    std::io::Read::read_to_end(&mut out_reader, &mut all).unwrap();
                    all
                });
                second.await;
                collect
            };
            let _ = outbox.queue.send(Item::End).await;
            drop(outbox);
            tokio::task::spawn_blocking(move || writer.join().unwrap()).await.unwrap();
            let all = collect.join().unwrap();
            let header = format!("Content-Length: {}\r\n\r\n", 600 * 1024);
            assert_eq!(all.len(), 2 * (header.len() + 600 * 1024));
            assert_eq!(all[header.len()], b'a');
            assert_eq!(all[all.len() - 1], b'b');
        });
    }

    #[test]
    fn a_body_in_pieces_is_written_whole_through_partial_writes() {
        let items: Vec<String> = (0..3000).map(|i| format!("{{\"n\":{i}}}")).collect();
        let body = Body::joined(b"{\"a\":[".to_vec(), Arc::new(items), b"]}");
        let expected =
            format!("{{\"a\":[{}]}}", (0..3000).map(|i| format!("{{\"n\":{i}}}")).collect::<Vec<_>>().join(","));
        assert_eq!(body.len(), expected.len());
        assert_eq!(String::from_utf8(body.to_bytes()).unwrap(), expected);
        for (limit, max_slices) in [(1, 1), (7, 3), (4096, 1024), (usize::MAX, 1024)] {
            let mut out = Stingy { written: Vec::new(), limit, max_slices };
            body.write_to(b"H:", &mut out).unwrap();
            assert_eq!(String::from_utf8(out.written).unwrap(), format!("H:{expected}"), "limit {limit}");
        }
        let empty = Body::joined(b"[".to_vec(), Arc::default(), b"]");
        assert_eq!(empty.to_bytes(), b"[]");
        assert_eq!(Body::whole(b"{}".to_vec()).len(), 2);
    }

    #[test]
    fn transport_frames_and_direct_frames_are_written_whole_and_in_order() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (out_reader, out_writer) = std::io::pipe().unwrap();
            let (outbox, writer) = start(out_writer);
            let (mut transport_writer, transport_reader) = tokio::io::duplex(16);
            use tokio::io::AsyncWriteExt;
            let forward = tokio::spawn(forward_transport(transport_reader, outbox.clone()));
            let collect = std::thread::spawn(move || {
                let mut all = Vec::new();
                std::io::Read::read_to_end(&mut { out_reader }, &mut all).unwrap();
                all
            });
            outbox.send(br#"{"direct":1}"#.to_vec()).await;
            // Written in pieces smaller than a frame: the reader must reassemble it.
            transport_writer.write_all(b"Content-Length: 11\r\n\r\n{\"tower\":2}").await.unwrap();
            drop(transport_writer);
            forward.await.unwrap();
            writer.join().unwrap();
            drop(outbox);
            let all = String::from_utf8(collect.join().unwrap()).unwrap();
            assert_eq!(all, "Content-Length: 12\r\n\r\n{\"direct\":1}Content-Length: 11\r\n\r\n{\"tower\":2}");
        });
    }
}
