//! `.kittify/config.yaml`, read once by a command. Each setting's reader decides what a missing
//! or broken file means, as 3.1.1 did: the lane strategy and the risk policy fall back to their
//! defaults, an invalid file stops a merge that needs `merge.strategy`.

use std::path::Path;

/// Where the project's settings live, from the project root.
pub const CONFIG_PATH: &str = ".kittify/config.yaml";

/// The settings file as read.
#[derive(Debug, Clone, Default)]
pub enum Config {
    /// No file, or one that could not be read.
    #[default]
    Missing,
    /// Not valid YAML: the parser's message.
    Invalid(String),
    /// The parsed document.
    Yaml(yaml_serde::Value),
}

impl Config {
    /// Reads `<root>/.kittify/config.yaml`.
    pub fn read(root: &Path) -> Config {
        let Ok(text) = std::fs::read_to_string(root.join(CONFIG_PATH)) else {
            return Config::Missing;
        };
        match yaml_serde::from_str(&text) {
            Ok(value) => Config::Yaml(value),
            Err(e) => Config::Invalid(e.to_string()),
        }
    }

    /// `section.key`, when the file is valid YAML and has it.
    pub fn get(&self, section: &str, key: &str) -> Option<&yaml_serde::Value> {
        match self {
            Config::Yaml(value) => value.get(section)?.get(key),
            Config::Missing | Config::Invalid(_) => None,
        }
    }
}
