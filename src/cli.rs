//! Command-line definitions (clap derive only; no logic).
