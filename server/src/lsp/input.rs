//! Standard input, read by one thread of its own. tokio's `stdin()` hands every read to the
//! blocking pool; under a fast stream of small messages (keystrokes) the next read often finds
//! the last one's thread not yet idle and starts another: one session grew to 14 such threads,
//! each with a stack and a malloc arena. One thread that blocks in `read` and hands over what
//! it read costs one wake-up per read and no thread churn.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;

/// Reads at a time handed over before the reading thread waits.
const QUEUED_READS: usize = 4;

/// The largest single read.
const READ_BYTES: usize = 64 * 1024;

/// An `AsyncRead` over what a reading thread read.
pub struct ThreadedReader {
    reads: mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
}

/// Starts a thread that reads `input` until its end or an error.
pub fn spawn(input: impl Read + Send + 'static) -> io::Result<ThreadedReader> {
    let (tx, reads) = mpsc::channel(QUEUED_READS);
    std::thread::Builder::new().name("driftls-input".into()).spawn(move || read_all(input, tx))?;
    Ok(ThreadedReader { reads, current: Vec::new(), at: 0 })
}

/// Standard input, read by a thread of its own.
pub fn stdin() -> io::Result<ThreadedReader> {
    spawn(io::stdin())
}

fn read_all(mut input: impl Read, tx: mpsc::Sender<io::Result<Vec<u8>>>) {
    let mut buffer = vec![0u8; READ_BYTES];
    loop {
        let read = match input.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => Ok(buffer[..n].to_vec()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
        let failed = read.is_err();
        if tx.blocking_send(read).is_err() || failed {
            return;
        }
    }
}

impl AsyncRead for ThreadedReader {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.at >= this.current.len() {
            match this.reads.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())), // the end: nothing put
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(Some(Ok(read))) => {
                    this.current = read;
                    this.at = 0;
                }
            }
        }
        let n = (this.current.len() - this.at).min(buf.remaining());
        buf.put_slice(&this.current[this.at..this.at + n]);
        this.at += n;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// Gives its bytes in reads of at most `step` bytes, then fails.
    struct Trickle {
        bytes: Vec<u8>,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.bytes.is_empty() {
                return Err(io::Error::other("gone"));
            }
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn bytes_arrive_in_order_whatever_the_read_sizes_then_the_error() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
            let mut reader = spawn(Trickle { bytes: bytes.clone(), step: 7_001 }).unwrap();
            let mut got = vec![0u8; bytes.len()];
            // Small reads on this side too: a read may take part of what the thread read.
            for chunk in got.chunks_mut(333) {
                reader.read_exact(chunk).await.unwrap();
            }
            assert_eq!(got, bytes);
            let err = reader.read(&mut [0u8; 8]).await.unwrap_err();
            assert_eq!(err.to_string(), "gone");
        });
    }

    #[test]
    fn the_end_of_input_reads_as_zero_bytes() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let mut reader = spawn(io::Cursor::new(b"abc".to_vec())).unwrap();
            let mut all = Vec::new();
            reader.read_to_end(&mut all).await.unwrap();
            assert_eq!(all, b"abc");
        });
    }
}
