//! The lab's answer tables (tests/lab/answers/*.tsv, described in its
//! README.md) as written: the `# benchmark:` and `# roles:` comment lines and
//! the CHECK, STATUS, REASON rows. What the rows must say is each test's.

/// One table as written.
pub struct Table {
    pub benchmark: Option<String>,
    pub roles: Option<Vec<String>>,
    /// `file:line` and the row's (check id, status, reason), in file order.
    pub rows: Vec<(String, [String; 3])>,
}

/// Reads `text`, the table named `file` in messages. A row that is not
/// three tab-separated cells fails the test.
pub fn read(file: &str, text: &str) -> Table {
    let mut table = Table { benchmark: None, roles: None, rows: Vec::new() };
    for (n, line) in text.lines().enumerate() {
        let at = format!("{file}:{}", n + 1);
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim();
            if let Some(id) = comment.strip_prefix("benchmark:") {
                table.benchmark = Some(id.trim().to_string());
            } else if let Some(list) = comment.strip_prefix("roles:") {
                table.roles = Some(list.split_whitespace().map(str::to_string).collect());
            }
            continue;
        }
        let cells: Vec<String> = line.split('\t').map(str::to_string).collect();
        let cells: [String; 3] = cells
            .try_into()
            .unwrap_or_else(|_| panic!("{at}: CHECK, STATUS and REASON separated by tabs: {line:?}"));
        table.rows.push((at, cells));
    }
    table
}
