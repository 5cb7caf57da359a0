//! The language server: a thin translation between the protocol and the analysis layer.

pub mod config;
pub mod convert;
pub mod document;
pub mod framing;
pub mod lookups;
pub mod publish;
pub mod server;
pub mod state;

use tower_lsp_server::{LspService, Server as Transport};

/// Serves LSP over stdin/stdout until the client exits or stdin closes. Frames pass through
/// [`framing::guard`] first, so one malformed message cannot end the session.
pub async fn run_stdio() {
    let (service, socket) = LspService::new(server::Server::new);
    let (guarded, reader) = tokio::io::duplex(1024 * 1024);
    tokio::spawn(framing::guard(tokio::io::stdin(), guarded));
    Transport::new(reader, tokio::io::stdout(), socket).serve(service).await;
}
