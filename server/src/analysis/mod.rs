//! Pure functions of (documents, image facts, settings) → diagnostics. No IO, no protocol types.

pub mod actions;
pub mod catalogue;
pub mod compose;
pub mod diagnostic;
pub mod diagnostics;
pub mod dockerfile_model;
pub mod history;
pub mod hover;
pub mod image_facts;
pub mod links;
pub mod memo;
pub mod pin;
pub mod rules;
pub mod settings;
pub mod stage_facts;
pub mod suppression;
pub mod tags;
pub mod workspace;

pub use catalogue::Rule;
pub use diagnostic::{Diagnostic, Related, Severity};
pub use image_facts::ImageFacts;
pub use memo::DockerfileMemo;
pub use settings::RuleSettings;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_actions;
#[cfg(test)]
mod tests_compose;
#[cfg(test)]
mod tests_hover;
#[cfg(test)]
mod tests_memo;
#[cfg(test)]
mod tests_pin;
