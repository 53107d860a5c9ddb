//! Kubernetes semantics: how components read their flags, config files and
//! defaults.
