//! The two quantities an inventory spells as text: durations ("5s") and
//! byte sizes ("8MiB"), each bounded. Parsing only; the error messages are
//! the ones the user sees, so they show what a valid value looks like.
//!
//! The bounds keep every later computation in range: a deadline is
//! `Instant::now() + timeout` (which panics on overflow, and did for
//! "292471208677y"), and the output cap sizes a buffer.

use std::time::Duration;

/// The longest timeout accepted. A gathering takes seconds; a day is
/// already a typo, and far from any overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// The largest output cap accepted: real hosts send a few MiB.
pub const MAX_SIZE: u64 = 1 << 30;

/// A positive duration of at most `MAX_DURATION`, in humantime syntax
/// without spaces: "5s", "1m30s", "500ms".
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {text:?}: expected e.g. \"5s\", \"500ms\", \"1m\"");
    // humantime also accepts "5 sec" and "1m 30s"; one spelling per value
    // keeps inventories greppable, and whitespace inside a value is more
    // often a typo than an intent.
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err(invalid());
    }
    let duration = match humantime::parse_duration(text) {
        Ok(duration) => duration,
        Err(humantime::DurationError::NumberOverflow) => return Err(too_long(text)),
        Err(_) => return Err(invalid()),
    };
    if duration.is_zero() {
        return Err(format!(
            "duration {text:?} is zero; a timeout must be positive"
        ));
    }
    if duration > MAX_DURATION {
        return Err(too_long(text));
    }
    Ok(duration)
}

fn too_long(text: &str) -> String {
    format!("duration {text:?} is too long: at most 24h")
}

/// A positive byte count of at most `MAX_SIZE`: a plain number of bytes
/// ("1048576") or a number with a binary unit ("512KiB", "8MiB", "1GiB").
pub fn parse_size(text: &str) -> Result<u64, String> {
    let invalid = || {
        format!("invalid size {text:?}: expected e.g. \"8MiB\", \"512KiB\", \"1048576\" (bytes)")
    };
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let multiplier: u64 = match unit {
        "" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err(invalid()),
    };
    if number.is_empty() {
        return Err(invalid());
    }
    // Digits beyond u64 are a number too large, not a malformed one.
    let bytes = number
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(multiplier));
    check_size(bytes, &format!("{text:?}"))
}

/// A size given as a TOML integer, already in bytes (`text` as written).
pub fn size_from_integer(bytes: i128, text: &str) -> Result<u64, String> {
    if bytes < 0 {
        return Err(format!("size {text} is negative; the output cap must be positive"));
    }
    check_size(u64::try_from(bytes).ok(), text)
}

/// `None` is a number beyond u64.
fn check_size(bytes: Option<u64>, text: &str) -> Result<u64, String> {
    match bytes {
        Some(0) => Err("size is zero; the output cap must be positive".to_string()),
        Some(bytes) if bytes <= MAX_SIZE => Ok(bytes),
        _ => Err(format!("size {text} is too large: at most 1GiB")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn duration(text: &str, expected: Result<Duration, &str>) {
        assert_eq!(parse_duration(text), expected.map_err(str::to_string));
    }

    #[track_caller]
    fn size(text: &str, expected: Result<u64, &str>) {
        assert_eq!(parse_size(text), expected.map_err(str::to_string));
    }

    #[test]
    fn durations() {
        duration("5s", Ok(Duration::from_secs(5)));
        duration("1m30s", Ok(Duration::from_secs(90)));
        duration("500ms", Ok(Duration::from_millis(500)));
        duration("1m", Ok(Duration::from_secs(60)));
        let bad =
            |t: &str| format!("invalid duration {t:?}: expected e.g. \"5s\", \"500ms\", \"1m\"");
        for text in ["5 sec", "1m 30s", " 5s", "", "5", "five seconds", "-5s"] {
            duration(text, Err(&bad(text)));
        }
        duration(
            "0s",
            Err("duration \"0s\" is zero; a timeout must be positive"),
        );
        duration(
            "0ms",
            Err("duration \"0ms\" is zero; a timeout must be positive"),
        );
        // Bounded: "292471208677y" once passed and then overflowed a deadline.
        duration("24h", Ok(MAX_DURATION));
        duration("1d", Ok(MAX_DURATION));
        duration("86399s1000ms", Ok(MAX_DURATION));
        let long = |t: &str| format!("duration {t:?} is too long: at most 24h");
        for text in ["24h1ns", "2d", "1y", "292471208677y", "18446744073709551615s", "99999999999999999999999h"] {
            duration(text, Err(&long(text)));
        }
    }

    #[test]
    fn sizes() {
        size("8MiB", Ok(8 * 1024 * 1024));
        size("512KiB", Ok(512 * 1024));
        size("1GiB", Ok(1 << 30));
        size("1048576", Ok(1_048_576));
        let bad = |t: &str| {
            format!("invalid size {t:?}: expected e.g. \"8MiB\", \"512KiB\", \"1048576\" (bytes)")
        };
        for text in ["8MB", "8 MiB", "8mib", "MiB", "", "-1", "1.5MiB", "8MiBs"] {
            size(text, Err(&bad(text)));
        }
        size("0", Err("size is zero; the output cap must be positive"));
        size("0KiB", Err("size is zero; the output cap must be positive"));
        size("1GiB", Ok(MAX_SIZE));
        size("1024MiB", Ok(MAX_SIZE));
        size("1073741824", Ok(MAX_SIZE));
        let large = |t: &str| format!("size {t:?} is too large: at most 1GiB");
        for text in ["1073741825", "1025MiB", "2GiB", "99999999999GiB", "18446744073709551616", "8388608GiB"] {
            size(text, Err(&large(text)));
        }
        assert_eq!(size_from_integer(4096, "4096"), Ok(4096));
        assert_eq!(size_from_integer(1 << 30, "0x40000000"), Ok(MAX_SIZE));
        assert_eq!(
            size_from_integer(0, "0"),
            Err("size is zero; the output cap must be positive".into())
        );
        assert_eq!(
            size_from_integer(-1, "-1"),
            Err("size -1 is negative; the output cap must be positive".into())
        );
        assert_eq!(
            size_from_integer((1 << 30) + 1, "1_073_741_825"),
            Err("size 1_073_741_825 is too large: at most 1GiB".into())
        );
        assert_eq!(
            size_from_integer(i128::MAX, "170141183460469231731687303715884105727"),
            Err("size 170141183460469231731687303715884105727 is too large: at most 1GiB".into())
        );
    }
}
