//! Go's `time.ParseDuration`, which every Kubernetes component uses for
//! duration flags and config fields. Durations are compared as durations, so
//! `0s`, `0` and `0h0m0s` are the same value.

/// Parses a Go duration string into nanoseconds.
pub fn parse(text: &str) -> Result<i128, String> {
    let invalid = || format!("{text:?} is not a Go duration (e.g. 30s, 4h0m0s)");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    // Go accepts a bare "0" (and only that number) without a unit.
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(f) => {
                let n = f.bytes().take_while(u8::is_ascii_digit).count();
                f.split_at(n)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(i, _)| i);
        let (unit, after) = after.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(invalid()),
        };
        let whole: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut value = whole.checked_mul(scale).ok_or_else(invalid)?;
        if !frac_part.is_empty() {
            let digits = &frac_part[..frac_part.len().min(18)];
            let numerator: i128 = digits.parse().map_err(|_| invalid())?;
            value += numerator * scale / 10i128.pow(digits.len() as u32);
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        rest = after;
    }
    // Go's Duration is an int64 of nanoseconds.
    if total > i64::MAX as i128 {
        return Err(invalid());
    }
    Ok(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(text: &str, expected: Option<i128>) {
        assert_eq!(parse(text).ok(), expected, "{text:?}");
    }

    #[test]
    fn go_durations() {
        const S: i128 = 1_000_000_000;
        case("0", Some(0));
        case("0s", Some(0));
        case("0h0m0s", Some(0));
        case("-0", Some(0));
        case("30s", Some(30 * S));
        case("4h0m0s", Some(4 * 3600 * S));
        case("1h30m", Some(5400 * S));
        case("1.5h", Some(5400 * S));
        case(".5s", Some(S / 2));
        case("100ms", Some(S / 10));
        case("2us", Some(2000));
        case("2\u{b5}s", Some(2000));
        case("-5m", Some(-300 * S));
        case("5", None);
        case("", None);
        case("s", None);
        case("5d", None);
        case("1h 30m", None);
        case("0x10s", None);
        case(".s", None);
        case("10000000000h", None);
    }
}
