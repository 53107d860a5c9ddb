//! junit report writer.
