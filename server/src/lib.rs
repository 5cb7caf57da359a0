//! driftls: a language server and CI checker for Docker image drift and volume pitfalls.
//! See ARCHITECTURE.md for the layers and what may depend on what.

pub mod analysis;
pub mod cli;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
#[doc(hidden)]
pub mod generate;
pub mod lsp;
pub mod registry;
pub mod syntax;
pub mod text;
