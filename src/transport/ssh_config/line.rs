//! One line of an OpenSSH client configuration split into its keyword and
//! arguments, by the rules of OpenSSH's `readconf.c` (`strdelim` for the
//! keyword, `argv_split` for the arguments): the keyword ends at whitespace
//! or at one `=` (so `Port=22`, `Port = 22` and `Port 22` are the same);
//! arguments are separated by spaces and tabs, may be quoted with `"` or
//! `'`, and `\` escapes a quote, a backslash or (outside quotes) a space; a
//! `#` that starts an argument ends the line.

/// A line with a keyword.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Lowercased: keywords are case-insensitive.
    pub keyword: String,
    /// As written, for messages.
    pub written: String,
    /// 1-based column of the keyword, in characters.
    pub column: usize,
    pub args: Vec<String>,
}

/// `None` for a blank or comment line; an error for a keyword without an
/// argument or an unclosed quote (OpenSSH refuses both).
pub fn split(text: &str) -> Result<Option<Line>, String> {
    let text = text.trim_end_matches([' ', '\t', '\r', '\n', '\u{c}']);
    let start = text.len() - text.trim_start_matches([' ', '\t']).len();
    let rest = &text[start..];
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(None);
    }
    let end = rest.find([' ', '\t', '=']).unwrap_or(rest.len());
    let written = &rest[..end];
    let mut after = rest[end..].trim_start_matches([' ', '\t']);
    if let Some(value) = after.strip_prefix('=') {
        after = value.trim_start_matches([' ', '\t']);
    }
    if after.is_empty() {
        return Err(format!("no argument after keyword {written:?}"));
    }
    let args = split_args(after).ok_or_else(|| "invalid quotes".to_string())?;
    Ok(Some(Line {
        keyword: written.to_ascii_lowercase(),
        written: written.to_string(),
        column: text[..start].chars().count() + 1,
        args,
    }))
}

/// `argv_split` with comments: `None` for an unclosed quote.
fn split_args(text: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut args = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], ' ' | '\t') {
            i += 1;
            continue;
        }
        if chars[i] == '#' {
            break;
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            match (c, quote) {
                ('\\', _) if matches!(chars.get(i + 1), Some('\'' | '"' | '\\'))
                    || (quote.is_none() && chars.get(i + 1) == Some(&' ')) =>
                {
                    arg.push(chars[i + 1]);
                    i += 1;
                }
                (' ' | '\t', None) => break,
                ('"' | '\'', None) => quote = Some(c),
                (_, Some(open)) if c == open => quote = None,
                _ => arg.push(c),
            }
            i += 1;
        }
        if quote.is_some() {
            return None;
        }
        args.push(arg);
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line's keyword as written, its column and its arguments.
    type Expected<'a> = Option<(&'a str, usize, &'a [&'a str])>;

    #[track_caller]
    fn case(text: &str, expected: Result<Expected, &str>) {
        let got = split(text);
        let expected = expected
            .map(|line| {
                line.map(|(keyword, column, args)| Line {
                    keyword: keyword.to_ascii_lowercase(),
                    written: keyword.to_string(),
                    column,
                    args: args.iter().map(|arg| arg.to_string()).collect(),
                })
            })
            .map_err(str::to_string);
        assert_eq!(got, expected, "{text:?}");
    }

    #[test]
    fn keyword_and_arguments_as_openssh_splits_them() {
        case("", Ok(None));
        case("   \t ", Ok(None));
        case("# a comment", Ok(None));
        case("  # indented comment", Ok(None));
        case("HostName example.com", Ok(Some(("HostName", 1, &["example.com"]))));
        case("  hostname\texample.com  \r", Ok(Some(("hostname", 3, &["example.com"]))));
        case("Port=22", Ok(Some(("Port", 1, &["22"]))));
        case("Port = 22", Ok(Some(("Port", 1, &["22"]))));
        case("Port =22", Ok(Some(("Port", 1, &["22"]))));
        // Only one '=' separates: a second one is the value's.
        case("User==x", Ok(Some(("User", 1, &["=x"]))));
        case("Host a b  !c", Ok(Some(("Host", 1, &["a", "b", "!c"]))));
        case("Host a,b", Ok(Some(("Host", 1, &["a,b"]))));
        case(
            "IdentityFile \"/keys/my key\"",
            Ok(Some(("IdentityFile", 1, &["/keys/my key"]))),
        );
        case("IdentityFile '/keys/my key'", Ok(Some(("IdentityFile", 1, &["/keys/my key"]))));
        case("IdentityFile /keys/my\\ key", Ok(Some(("IdentityFile", 1, &["/keys/my key"]))));
        case("IdentityFile /a\"b c\"d", Ok(Some(("IdentityFile", 1, &["/ab cd"]))));
        case("User \"it\\\"s\"", Ok(Some(("User", 1, &["it\"s"]))));
        case("IdentityFile C:\\x", Ok(Some(("IdentityFile", 1, &["C:\\x"]))));
        case("Port 22 # the default", Ok(Some(("Port", 1, &["22"]))));
        case("User a#b", Ok(Some(("User", 1, &["a#b"]))));
        case("User \"#quoted\"", Ok(Some(("User", 1, &["#quoted"]))));
        case("UserKnownHostsFile \"\"", Ok(Some(("UserKnownHostsFile", 1, &[""]))));
        case("Port # nothing", Ok(Some(("Port", 1, &[]))));
        case("HostName", Err("no argument after keyword \"HostName\""));
        case("HostName =  ", Err("no argument after keyword \"HostName\""));
        case("IdentityFile \"/keys/open", Err("invalid quotes"));
    }
}
