//! The lines with content of a document that `block` reads, found as it
//! asks for them in one pass over each byte, which also notes what `block`
//! would otherwise search every line for again: where its first `: `
//! stands, whether a second follows, and whether the line holds something
//! `block` declines outright (a byte other than printable ASCII, a `#`
//! after a space, a document marker past the first document's start).

/// A line with content: its indentation, its text without the indentation
/// and trailing spaces, and where in the text a colon ends a key.
#[derive(Clone, Copy)]
pub(super) struct Line<'t> {
    pub(super) indent: usize,
    pub(super) text: &'t str,
    /// The first colon followed by a space or ending the text, which is
    /// where a block mapping's plain key ends.
    pub(super) colon: Option<usize>,
    /// Whether another such colon follows the first: the value after the
    /// key would then hold one, which a plain scalar may not.
    pub(super) colons_after: bool,
}

impl<'t> Line<'t> {
    /// The line's text from byte `from`, a line of its own (what follows
    /// `- `); only `-` and spaces may stand before `from`.
    pub(super) fn from(self, from: usize, indent: usize) -> Line<'t> {
        Line {
            indent,
            text: &self.text[from..],
            // No colon stands before `from`.
            colon: self.colon.map(|at| at - from),
            colons_after: self.colons_after,
        }
    }
}

/// The bytes that are text and nothing more to the scan: printable ASCII
/// but `:` and `#`. The rest are line feeds, those two, and what `block`
/// declines (tab, CR, BOM, control, non-ASCII).
const TEXT: [bool; 256] = {
    let mut text = [false; 256];
    let mut b = b' ';
    while b <= b'~' {
        text[b as usize] = b != b':' && b != b'#';
        b += 1;
    }
    text
};

/// Of eight bytes read as a little-endian word, the high bit of each that
/// is no `TEXT` byte, eight at once: below a space (line feed, tab,
/// control), above `~`, `:` or `#`. Bytes above the first such one may be
/// marked wrongly (borrows and carries run upwards), so only the lowest
/// mark is to be trusted; that one is exact.
fn stops(word: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let above_tilde = (word.wrapping_add(ONES) | word) & HIGH;
    below_space | above_tilde | zero(word ^ (ONES * u64::from(b':'))) | zero(word ^ (ONES * u64::from(b'#')))
}

pub(super) struct Lines<'t> {
    text: &'t str,
    /// Where the next line to scan starts.
    at: usize,
    /// The next line with content, scanned already.
    next: Option<Line<'t>>,
    /// Whether the document starts with `---`.
    explicit_start: bool,
    /// Whether a line with content came already.
    content: bool,
    declined: bool,
}

impl<'t> Lines<'t> {
    pub(super) fn new(text: &'t str) -> Lines<'t> {
        let mut lines = Lines {
            text,
            at: 0,
            next: None,
            explicit_start: false,
            content: false,
            declined: false,
        };
        lines.next = lines.scan();
        lines
    }

    /// The next line with content; `None` at the end of the text, and
    /// from a line on that `block` declines.
    pub(super) fn peek(&self) -> Option<Line<'t>> {
        self.next
    }

    pub(super) fn advance(&mut self) {
        self.next = self.scan();
    }

    /// Takes `line` for the next line instead of the one there.
    pub(super) fn replace(&mut self, line: Line<'t>) {
        self.next = Some(line);
    }

    /// Whether the document starts with `---` (the first document's
    /// explicit start is all `block` takes of the document markers).
    pub(super) fn explicit_start(&self) -> bool {
        self.explicit_start
    }

    /// Whether a line met so far makes `block` decline the text.
    pub(super) fn declined(&self) -> bool {
        self.declined
    }

    fn decline(&mut self) -> Option<Line<'t>> {
        self.declined = true;
        self.at = self.text.len();
        None
    }

    fn scan(&mut self) -> Option<Line<'t>> {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            let start = self.at;
            let mut at = start;
            while at < bytes.len() && bytes[at] == b' ' {
                at += 1;
            }
            let content = at;
            let comment = at < bytes.len() && bytes[at] == b'#';
            let (mut colon, mut colons_after) = (None, false);
            loop {
                while let Some(word) = bytes.get(at..at + 8) {
                    let stops = stops(u64::from_le_bytes(word.try_into().unwrap_or_default()));
                    if stops != 0 {
                        at += stops.trailing_zeros() as usize / 8;
                        break;
                    }
                    at += 8;
                }
                while at < bytes.len() && TEXT[usize::from(bytes[at])] {
                    at += 1;
                }
                match bytes.get(at) {
                    None | Some(b'\n') => break,
                    Some(b':') => {
                        if matches!(bytes.get(at + 1), None | Some(b' ' | b'\n')) {
                            if colon.is_none() {
                                colon = Some(at - content);
                            } else {
                                colons_after = true;
                            }
                        }
                    }
                    // A comment after content (`a: b # c`), or a `#` that a
                    // quoted scalar would hold: both declined. (Unless the
                    // line is a comment, content comes before the `#`.)
                    Some(b'#') if comment || bytes[at - 1] != b' ' => {}
                    Some(_) => return self.decline(),
                }
                at += 1;
            }
            self.at = at + 1;
            let mut end = at;
            while end > content && bytes[end - 1] == b' ' {
                end -= 1;
            }
            if comment || end == content {
                continue;
            }
            let text = &self.text[content..end];
            let indent = content - start;
            if indent == 0 && is_marker(text) {
                if text == "---" && !self.content && !self.explicit_start {
                    self.explicit_start = true;
                    continue;
                }
                return self.decline();
            }
            self.content = true;
            return Some(Line { indent, text, colon, colons_after });
        }
        None
    }
}

/// `---` or `...` at the start of a line.
fn is_marker(content: &str) -> bool {
    (content.starts_with("---") || content.starts_with("..."))
        && content.as_bytes().get(3).is_none_or(|&b| b == b' ')
}
