//! The two quantities an inventory spells as text: durations ("5s") and
//! byte sizes ("8MiB"). Parsing only; the error messages are the ones the
//! user sees, so they show what a valid value looks like.

use std::time::Duration;

/// A positive duration in humantime syntax without spaces: "5s", "1m30s",
/// "500ms".
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {text:?}: expected e.g. \"5s\", \"500ms\", \"1m\"");
    // humantime also accepts "5 sec" and "1m 30s"; one spelling per value
    // keeps inventories greppable, and whitespace inside a value is more
    // often a typo than an intent.
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err(invalid());
    }
    let duration = humantime::parse_duration(text).map_err(|_| invalid())?;
    if duration.is_zero() {
        return Err(format!(
            "duration {text:?} is zero; a timeout must be positive"
        ));
    }
    Ok(duration)
}

/// A positive byte count: a plain number of bytes ("1048576") or a number
/// with a binary unit ("512KiB", "8MiB", "1GiB").
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
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let bytes = number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("size {text:?} is too large"))?;
    check_size(bytes)
}

/// A size given as a TOML integer, already in bytes.
pub fn size_from_integer(bytes: i128) -> Result<u64, String> {
    let bytes = u64::try_from(bytes).map_err(|_| format!("size {bytes} is out of range"))?;
    check_size(bytes)
}

fn check_size(bytes: u64) -> Result<u64, String> {
    if bytes == 0 {
        return Err("size is zero; the output cap must be positive".to_string());
    }
    Ok(bytes)
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
        size(
            "99999999999GiB",
            Err("size \"99999999999GiB\" is too large"),
        );
        assert_eq!(size_from_integer(4096), Ok(4096));
        assert_eq!(
            size_from_integer(0),
            Err("size is zero; the output cap must be positive".into())
        );
        assert_eq!(size_from_integer(-1), Err("size -1 is out of range".into()));
    }
}
