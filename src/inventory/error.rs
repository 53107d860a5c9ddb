//! Inventory errors: each one names the file, the 1-based line and column,
//! and the key path (`hosts[1].connect_timeout`) it is about, so a user can
//! jump straight to it. One problem is a `toml_file::Problem`, as in every
//! input file; this module owns the set of them that stops an inventory.

use std::fmt;

pub use crate::toml_file::Position;

/// One problem in an inventory file.
pub type InventoryError = crate::toml_file::Problem;

/// Every problem found in one inventory file, in file order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct InventoryErrors(pub Vec<InventoryError>);

impl fmt::Display for InventoryErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::toml_file::write_list(f, &self.0, "the inventory")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    #[test]
    fn every_error_then_a_count() {
        let error = InventoryError {
            file: PathBuf::from("inventory.toml"),
            position: Some(Position {
                line: 12,
                column: 19,
            }),
            key: Some("hosts[1].connect_timeout".to_string()),
            message: "invalid duration \"5 sec\"".to_string(),
        };
        let read = InventoryError::read(
            Path::new("x.toml"),
            &std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(
            InventoryErrors(vec![error.clone(), read]).to_string(),
            "inventory.toml:12:19: hosts[1].connect_timeout: invalid duration \"5 sec\"\n\
             x.toml: cannot read: gone\n\
             2 errors in the inventory"
        );
        assert_eq!(
            InventoryErrors(vec![error]).to_string(),
            "inventory.toml:12:19: hosts[1].connect_timeout: invalid duration \"5 sec\"\n\
             1 error in the inventory"
        );
    }
}
