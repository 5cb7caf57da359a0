//! The language server: a thin translation between the protocol and the analysis layer.

pub mod config;
pub mod convert;
pub mod document;
pub mod lookups;
pub mod publish;
pub mod server;
pub mod state;

use tower_lsp_server::{LspService, Server as Transport};

/// Serves LSP over stdin/stdout until the client exits or stdin closes.
pub async fn run_stdio() {
    let (service, socket) = LspService::new(server::Server::new);
    Transport::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service).await;
}
