//! One invocation end to end.
