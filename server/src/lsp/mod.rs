//! The language server: a thin translation between the protocol and the analysis layer.

pub mod config;
pub mod convert;
pub mod document;
pub mod framing;
pub mod input;
pub mod lookups;
pub mod output;
pub mod publish;
pub mod rendered;
pub mod server;
pub mod state;

use tower_lsp_server::{LspService, Server as Transport};

/// Serves LSP over stdin/stdout until the client exits or stdin closes. Frames pass through
/// [`framing::guard`] first, so one malformed message cannot end the session; everything written
/// goes through [`output`], where pre-serialised publishes join the transport's frames.
pub async fn run_stdio() {
    let (outbox, writer) = output::start(output::RawStdout::open());
    let server_outbox = outbox.clone();
    let (service, socket) = LspService::new(move |client| server::Server::new(client, server_outbox.clone()));
    let (guarded, reader) = tokio::io::duplex(1024 * 1024);
    let stdin = match input::stdin() {
        Ok(stdin) => stdin,
        Err(e) => {
            eprintln!("driftls: cannot start the thread that reads stdin: {e}");
            return;
        }
    };
    tokio::spawn(framing::guard(stdin, guarded));
    let (transport_out, transport_frames) = tokio::io::duplex(1024 * 1024);
    let forward = tokio::spawn(output::forward_transport(transport_frames, outbox));
    Transport::new(reader, transport_out, socket).serve(service).await;
    // The transport dropped its end: forward what it wrote last (the `shutdown` answer), then
    // let the writer finish, but never hang on a client that stopped reading.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        let _ = forward.await;
        let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    })
    .await;
}
