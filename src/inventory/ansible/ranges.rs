//! Host ranges in Ansible inventories: `node[01:20]` is node01 … node20,
//! `db-[a:c]` is db-a, db-b, db-c, `[1:10:2]` takes every second number.
//! As in Ansible, a start with a leading zero pads every number to its
//! width, an empty start is 0, and letters range over single characters.
//! Several ranges in one name expand to every combination, in order.

/// The most hosts one pattern may expand to: far above any fleet, low
/// enough that a typo such as `node[0:99999999]` is an error, not a hang.
pub const MAX_HOSTS: usize = 100_000;

/// The names `pattern` stands for; a name without brackets is itself.
pub fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        if pattern.contains(']') {
            return Err(format!("host pattern {pattern:?} has ']' without '['"));
        }
        return Ok(vec![pattern.to_string()]);
    };
    let close = pattern[open..]
        .find(']')
        .map(|at| open + at)
        .ok_or_else(|| format!("host range in {pattern:?} has no closing ']'"))?;
    let (head, range, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let items =
        range_items(range).map_err(|why| format!("host range [{range}] in {pattern:?}: {why}"))?;
    let tails = expand(tail)?;
    if items.len().saturating_mul(tails.len()) > MAX_HOSTS {
        return Err(format!(
            "host pattern {pattern:?} expands to more than {MAX_HOSTS} hosts"
        ));
    }
    Ok(items
        .iter()
        .flat_map(|item| tails.iter().map(move |tail| format!("{head}{item}{tail}")))
        .collect())
}

/// The items of one `start:end[:stride]`.
fn range_items(range: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = range.split(':').collect();
    let (start, end, stride) = match parts[..] {
        [start, end] => (start, end, None),
        [start, end, stride] => (start, end, Some(stride)),
        _ => return Err("expected start:end or start:end:stride".into()),
    };
    let stride = match stride {
        None => 1,
        Some(text) => match text.parse::<usize>() {
            Ok(step) if step > 0 => step,
            _ => return Err(format!("stride {text:?} is not a positive integer")),
        },
    };
    let letter = |text: &str| {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Some(c),
            _ => None,
        }
    };
    if let (Some(first), Some(last)) = (letter(start), letter(end)) {
        if first > last {
            return Err(format!("{first} comes after {last}"));
        }
        return Ok((first..=last).step_by(stride).map(String::from).collect());
    }
    let start = if start.is_empty() { "0" } else { start };
    let number = |text: &str| {
        text.parse::<u64>()
            .ok()
            .filter(|_| text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("{text:?} is neither a number nor a single letter"))
    };
    let (first, last) = (number(start)?, number(end)?);
    if first > last {
        return Err(format!("{first} is greater than {last}"));
    }
    if (last - first) / stride as u64 >= MAX_HOSTS as u64 {
        return Err(format!("expands to more than {MAX_HOSTS} hosts"));
    }
    let width = if start.len() > 1 && start.starts_with('0') {
        if start.len() != end.len() {
            return Err("a zero-padded range needs a start and an end of the same width".into());
        }
        start.len()
    } else {
        0
    };
    Ok((first..=last)
        .step_by(stride)
        .map(|n| format!("{n:0width$}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let cases: &[(&str, Result<&[&str], &str>)] = &[
            ("node1", Ok(&["node1"])),
            ("node[1:3]", Ok(&["node1", "node2", "node3"])),
            ("node[08:11]", Ok(&["node08", "node09", "node10", "node11"])),
            ("n[:2]", Ok(&["n0", "n1", "n2"])),
            ("w[1:7:3].lan", Ok(&["w1.lan", "w4.lan", "w7.lan"])),
            ("db-[a:c]", Ok(&["db-a", "db-b", "db-c"])),
            ("r[1:2]-[a:b]", Ok(&["r1-a", "r1-b", "r2-a", "r2-b"])),
            ("[9:10]", Ok(&["9", "10"])),
            ("10.0.0.[1:2]", Ok(&["10.0.0.1", "10.0.0.2"])),
            ("node[1:3", Err("host range in \"node[1:3\" has no closing ']'")),
            ("node1:3]", Err("host pattern \"node1:3]\" has ']' without '['")),
            ("node[3:1]", Err("host range [3:1] in \"node[3:1]\": 3 is greater than 1")),
            ("node[c:a]", Err("host range [c:a] in \"node[c:a]\": c comes after a")),
            ("node[1]", Err("host range [1] in \"node[1]\": expected start:end or start:end:stride")),
            ("node[1:2:0]", Err("host range [1:2:0] in \"node[1:2:0]\": stride \"0\" is not a positive integer")),
            ("node[a:9]", Err("host range [a:9] in \"node[a:9]\": \"a\" is neither a number nor a single letter")),
            ("node[+1:2]", Err("host range [+1:2] in \"node[+1:2]\": \"+1\" is neither a number nor a single letter")),
            ("node[01:100]", Err("host range [01:100] in \"node[01:100]\": a zero-padded range needs a start and an end of the same width")),
            ("node[0:100000]", Err("host range [0:100000] in \"node[0:100000]\": expands to more than 100000 hosts")),
            ("n[0:999]-[0:999]", Err("host pattern \"n[0:999]-[0:999]\" expands to more than 100000 hosts")),
        ];
        for (pattern, expected) in cases {
            let expected =
                expected.map(|names| names.iter().map(|n| n.to_string()).collect::<Vec<_>>());
            assert_eq!(
                expand(pattern),
                expected.map_err(str::to_string),
                "{pattern}"
            );
        }
        assert_eq!(expand("n[0:99999]").unwrap().len(), MAX_HOSTS);
    }
}
