//! End-to-end tests: the built `driftls` binary, driven over stdio like an editor and from the
//! command line like CI.

mod check_cli;
mod lsp_diagnostics;
mod lsp_features;
mod lsp_hostile;
mod lsp_project;
mod lsp_protocol;
mod lsp_registry;
mod lsp_registry_faults;
mod lsp_robustness;
mod lsp_soak;
mod registry;
mod registry_client;
mod registry_smoke;
mod support;
