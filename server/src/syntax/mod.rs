//! Text → error-tolerant trees with exact byte ranges. No IO, no analysis, no protocol types.

pub mod ci_yaml;
pub mod deploy;
pub mod dockerfile;
pub mod file_kind;
pub mod image_ref;
pub mod shell;
pub mod text_range;
pub mod variables;
pub mod words;
pub mod yaml;

pub use text_range::TextRange;
