//! The one place where text from hosts and benchmark files is made safe to
//! show. Hosts are not trusted: a process argument, a config value or an
//! error message may carry terminal escape sequences, carriage returns that
//! overwrite a line, bidi overrides that reorder it, or characters that XML
//! 1.0 forbids. Every writer passes every string it did not write itself
//! through `sanitize` (or `sanitize_multiline`), which replaces each such
//! character with a visible escape, so nothing is lost and nothing acts.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Every hazardous character escaped, newlines included: for values that
/// must stay on one line (names, actual and expected values, attributes), so
/// that a newline inside a host value cannot forge a line of the report.
pub(crate) fn sanitize(text: &str) -> Cow<'_, str> {
    escape_where(text, is_hazard)
}

/// Like `sanitize`, but `\n` is kept: for free text that the writer lays
/// out as a block of its own (JUnit descriptions).
pub(crate) fn sanitize_multiline(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && is_hazard(c))
}

fn escape_where(text: &str, hazard: impl Fn(char) -> bool) -> Cow<'_, str> {
    if is_printable_ascii(text) || !text.chars().any(&hazard) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hazard(c) {
            push_escape(&mut escaped, c);
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// Printable ASCII holds no hazard, and most text is only that: this tells
/// without decoding characters. It folds over every byte, rather than
/// stopping at the first that is not printable, so that the compiler checks
/// many bytes at a time.
pub(crate) fn is_printable_ascii(text: &str) -> bool {
    text.bytes()
        .fold(true, |printable, b| printable & (b' '..b'\x7f').contains(&b))
}

/// Characters that act instead of showing, or that XML 1.0 does not allow.
/// All of them are in the Basic Multilingual Plane.
pub(crate) fn is_hazard(c: char) -> bool {
    matches!(c,
        // C0 controls (NUL, BEL, BS, TAB, LF, CR, ESC...) and DEL.
        '\u{0}'..='\u{1f}' | '\u{7f}'
        // C1 controls: U+009B is a one-character CSI on some terminals.
        | '\u{80}'..='\u{9f}'
        // Bidi marks, embeddings, overrides and isolates ("Trojan Source").
        | '\u{61c}' | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Line and paragraph separators: a line break to some renderers.
        | '\u{2028}' | '\u{2029}'
        // Not characters in XML 1.0 (the rest of its exclusions are C0
        // controls or surrogates, which a Rust string cannot hold).
        | '\u{fffe}' | '\u{ffff}')
}

/// The escape as a Rust string literal would spell it, so it reads as an
/// escape and not as the character.
fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_ascii() => write!(out, "\\x{:02x}", u32::from(c)).expect("writing to a String"),
        c => write!(out, "\\u{{{:x}}}", u32::from(c)).expect("writing to a String"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(raw: &str, one_line: &str, multiline: &str) {
        assert_eq!(sanitize(raw), one_line, "sanitize({raw:?})");
        assert_eq!(
            sanitize_multiline(raw),
            multiline,
            "sanitize_multiline({raw:?})"
        );
    }

    #[test]
    fn escapes_every_hazard_visibly() {
        case("", "", "");
        case(
            "--profiling=false",
            "--profiling=false",
            "--profiling=false",
        );
        case("a\nb", "a\\nb", "a\nb");
        case("a\r\nb", "a\\r\\nb", "a\\r\nb");
        case("\t", "\\t", "\\t");
        case("\0", "\\x00", "\\x00");
        case("\x07", "\\x07", "\\x07");
        case("\x08", "\\x08", "\\x08");
        case(
            "\x1b[31mred\x1b[0m",
            "\\x1b[31mred\\x1b[0m",
            "\\x1b[31mred\\x1b[0m",
        );
        case(
            "\x1b]0;title\x07",
            "\\x1b]0;title\\x07",
            "\\x1b]0;title\\x07",
        );
        case("\x1f", "\\x1f", "\\x1f");
        case("\x7f", "\\x7f", "\\x7f");
        case("\u{80}", "\\u{80}", "\\u{80}");
        case("\u{9b}2J", "\\u{9b}2J", "\\u{9b}2J");
        case("\u{9f}", "\\u{9f}", "\\u{9f}");
        case("\u{61c}", "\\u{61c}", "\\u{61c}");
        case(
            "\u{200e}\u{200f}",
            "\\u{200e}\\u{200f}",
            "\\u{200e}\\u{200f}",
        );
        case(
            "admin\u{202e}fdp.exe",
            "admin\\u{202e}fdp.exe",
            "admin\\u{202e}fdp.exe",
        );
        case(
            "\u{202a}\u{202b}\u{202c}\u{202d}",
            "\\u{202a}\\u{202b}\\u{202c}\\u{202d}",
            "\\u{202a}\\u{202b}\\u{202c}\\u{202d}",
        );
        case(
            "\u{2066}x\u{2069}",
            "\\u{2066}x\\u{2069}",
            "\\u{2066}x\\u{2069}",
        );
        case(
            "\u{2067}\u{2068}",
            "\\u{2067}\\u{2068}",
            "\\u{2067}\\u{2068}",
        );
        case(
            "\u{2028}\u{2029}",
            "\\u{2028}\\u{2029}",
            "\\u{2028}\\u{2029}",
        );
        case(
            "\u{fffe}\u{ffff}",
            "\\u{fffe}\\u{ffff}",
            "\\u{fffe}\\u{ffff}",
        );
    }

    #[test]
    fn keeps_printable_text_as_is() {
        // Replacement characters, markup and non-ASCII letters are text.
        for text in [
            "\u{fffd}",
            "]]>",
            "<a href=\"x\">&amp;'",
            "Größe ≤ 600",
            "日本",
            "\u{1f600}",
            "\u{a0}",
            "C:\\x1b",
        ] {
            case(text, text, text);
        }
    }
}
