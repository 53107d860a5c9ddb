//! json report writer.
