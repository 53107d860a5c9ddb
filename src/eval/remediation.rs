//! A check's remediation for one host: the `{path}` placeholder filled in
//! from what the evaluation judged there. It lives here, beside the
//! outcome it reads, so that the benchmark model knows nothing of outcomes.

use crate::benchmark::{Benchmark, Check, Test, PATH_PLACEHOLDER};
use crate::outcome::{Outcome, Source};
use std::sync::Arc;

/// `{path}` becomes the file the test judged on the host (the only file
/// source of the outcome), else the first candidate path, else the setting
/// that names the file. Without a placeholder, it is the check's own text,
/// shared.
pub fn remediation(benchmark: &Benchmark, check: &Check, outcome: &Outcome) -> Arc<str> {
    // A byte search first: most remediations have no brace at all, and a
    // substring search sets itself up anew for each of a run's results.
    if !check.remediation.as_bytes().contains(&b'{') || !check.remediation.contains(PATH_PLACEHOLDER) {
        return Arc::clone(&check.remediation);
    }
    let judged: Vec<&str> = outcome
        .sources
        .iter()
        .filter_map(|s| match s {
            Source::File { path } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    let path = match (judged.as_slice(), &check.test) {
        ([one], _) => one.to_string(),
        (_, Some(Test::File { paths, .. })) => paths[0].clone(),
        (_, Some(Test::FileFrom { setting, .. })) => {
            format!("<the file named by {}>", benchmark.setting(*setting))
        }
        _ => PATH_PLACEHOLDER.to_string(),
    };
    check.remediation.replace(PATH_PLACEHOLDER, &path).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::load_builtin;
    use crate::outcome::Status;

    fn outcome(files: &[&str]) -> Outcome {
        Outcome {
            status: Status::Fail,
            expected: String::new(),
            actual: String::new(),
            sources: files.iter().map(|p| Source::File { path: p.to_string() }).collect(),
            notes: Vec::new(),
            automated_verdict: None,
        }
    }

    #[test]
    fn fills_in_the_judged_file() {
        let benchmark = load_builtin("cis-1.12").unwrap();
        // 4.1.1: a file test with several candidate paths.
        let file = benchmark.check("4.1.1").unwrap();
        let Some(Test::File { paths, .. }) = &file.test else { panic!("4.1.1 is a file test") };
        let with = |path: &str| file.remediation.replace(PATH_PLACEHOLDER, path);
        assert!(file.remediation.contains(PATH_PLACEHOLDER));
        // (sources of the outcome, the path the remediation names)
        let table: [(&[&str], &str); 3] = [
            (&["/judged"], "/judged"),
            (&["/a", "/b"], &paths[0]),
            (&[], &paths[0]),
        ];
        for (sources, named) in table {
            assert_eq!(&*remediation(&benchmark, file, &outcome(sources)), with(named), "{sources:?}");
        }
        // 4.1.3: a file named by a setting, none judged.
        let from = benchmark.check("4.1.3").unwrap();
        let Some(Test::FileFrom { setting, .. }) = &from.test else { panic!("4.1.3 is a file-from test") };
        let named = format!("<the file named by {}>", benchmark.setting(*setting));
        assert_eq!(
            &*remediation(&benchmark, from, &outcome(&[])),
            from.remediation.replace(PATH_PLACEHOLDER, &named)
        );
    }

    #[test]
    fn without_a_placeholder_the_text_is_shared() {
        let benchmark = load_builtin("cis-1.12").unwrap();
        let check = benchmark.check("1.2.1").unwrap();
        assert!(!check.remediation.contains(PATH_PLACEHOLDER));
        assert!(Arc::ptr_eq(&remediation(&benchmark, check, &outcome(&["/x"])), &check.remediation));
    }
}
