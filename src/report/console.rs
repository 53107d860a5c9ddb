//! console report writer.
