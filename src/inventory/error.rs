//! Inventory errors: each one names the file, the 1-based line and column,
//! and the key path (`hosts[1].connect_timeout`) it is about, so a user can
//! jump straight to it. Owns the byte offset → line:column conversion.

use std::fmt;
use std::path::{Path, PathBuf};

/// A 1-based line and column; the column counts characters, not bytes,
/// as editors do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text`. An offset past the end (an
    /// error "at end of file") is placed just after the last character.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// One problem in an inventory file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryError {
    pub file: PathBuf,
    /// `None` when the file could not be read at all.
    pub position: Option<Position>,
    /// The key path, e.g. `hosts[0].port`; `None` for TOML syntax errors and
    /// read errors, which are not about one key.
    pub key: Option<String>,
    pub message: String,
}

impl InventoryError {
    pub(crate) fn read(file: &Path, error: &std::io::Error) -> InventoryError {
        InventoryError {
            file: file.to_path_buf(),
            position: None,
            key: None,
            message: format!("cannot read: {error}"),
        }
    }
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(Position { line, column }) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InventoryError {}

/// Every problem found in one inventory file, in file order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct InventoryErrors(pub Vec<InventoryError>);

impl fmt::Display for InventoryErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(f, "{error}")?;
        }
        match self.0.len() {
            1 => write!(f, "1 error in the inventory"),
            n => write!(f, "{n} errors in the inventory"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(text: &str, offset: usize, line: usize, column: usize) {
        assert_eq!(Position::of_offset(text, offset), Position { line, column });
    }

    #[test]
    fn offsets_become_one_based_lines_and_character_columns() {
        case("", 0, 1, 1);
        case("abc", 0, 1, 1);
        case("abc", 2, 1, 3);
        case("abc\ndef", 3, 1, 4);
        case("abc\ndef", 4, 2, 1);
        case("abc\ndef", 6, 2, 3);
        case("abc\n", 99, 2, 1);
        // "é" is two bytes but one column.
        case("é = 1", 3, 1, 3);
        // An offset inside a multi-byte character counts from its start.
        case("é", 1, 1, 1);
    }

    #[test]
    fn errors_render_with_location_and_key() {
        let error = InventoryError {
            file: PathBuf::from("inventory.toml"),
            position: Some(Position {
                line: 12,
                column: 19,
            }),
            key: Some("hosts[1].connect_timeout".to_string()),
            message: "invalid duration \"5 sec\"".to_string(),
        };
        assert_eq!(
            error.to_string(),
            "inventory.toml:12:19: hosts[1].connect_timeout: invalid duration \"5 sec\""
        );
        let syntax = InventoryError {
            key: None,
            ..error.clone()
        };
        assert_eq!(
            syntax.to_string(),
            "inventory.toml:12:19: invalid duration \"5 sec\""
        );
        let read = InventoryError::read(
            Path::new("x.toml"),
            &std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(read.to_string(), "x.toml: cannot read: gone");
        assert_eq!(
            InventoryErrors(vec![error.clone(), read]).to_string(),
            "inventory.toml:12:19: hosts[1].connect_timeout: invalid duration \"5 sec\"\n\
             x.toml: cannot read: gone\n\
             2 errors in the inventory"
        );
        assert_eq!(
            InventoryErrors(vec![syntax]).to_string(),
            "inventory.toml:12:19: invalid duration \"5 sec\"\n1 error in the inventory"
        );
    }
}
