//! OpenSSH's pattern lists, as allowed_signers' `namespaces="..."` option
//! uses them: comma-separated patterns where `*` matches any run of
//! characters, `?` any one, and a pattern starting with `!` excludes what
//! it matches. A name is in the list when some plain pattern matches it and
//! no negated one does.

/// Whether `name` is in the comma-separated pattern list `list`.
pub fn in_list(name: &str, list: &str) -> bool {
    let mut included = false;
    for pattern in list.split(',') {
        match pattern.strip_prefix('!') {
            Some(excluded) if matches(name.as_bytes(), excluded.as_bytes()) => return false,
            Some(_) => {}
            None => included |= matches(name.as_bytes(), pattern.as_bytes()),
        }
    }
    included
}

/// Glob match of the whole of `name` against `pattern`.
fn matches(name: &[u8], pattern: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        // Every split point, shortest first; patterns are a few bytes long.
        Some((b'*', rest)) => (0..=name.len()).any(|skip| matches(&name[skip..], rest)),
        Some((b'?', rest)) => !name.is_empty() && matches(&name[1..], rest),
        Some((c, rest)) => name.first() == Some(c) && matches(&name[1..], rest),
    }
}

#[cfg(test)]
mod tests {
    use super::in_list;

    #[test]
    fn pattern_lists_match_as_openssh_does() {
        let table = [
            ("hardbench-evidence", "hardbench-evidence", true),
            ("hardbench-evidence", "git,file", false),
            ("hardbench-evidence", "git,hardbench-evidence", true),
            ("hardbench-evidence", "hardbench-*", true),
            ("hardbench-evidence", "*", true),
            ("hardbench-evidence", "hardbench-?vidence", true),
            ("hardbench-evidence", "hardbench-?", false),
            ("hardbench-evidence", "*,!hardbench-*", false),
            ("hardbench-evidence", "!git", false),
            ("hardbench-evidence", "!git,*", true),
            ("hardbench-evidence", "", false),
            ("hardbench-evidence", "hardbench", false),
            ("", "*", true),
        ];
        for (name, list, expected) in table {
            assert_eq!(in_list(name, list), expected, "{name:?} in {list:?}");
        }
    }
}
