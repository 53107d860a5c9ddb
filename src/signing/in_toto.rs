//! The in-toto Statement (v1) of a run, with the test-result predicate
//! (v0.1): the subjects are the files the run produced, each with its
//! sha256; the predicate says whether every test passed and names each
//! test under its verdict. The caller maps its report to [`TestResult`]
//! (a test is whatever it names: a check on a host, say).

use serde::Serialize;
use std::collections::BTreeMap;

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const TEST_RESULT_PREDICATE_TYPE: &str = "https://in-toto.io/attestation/test-result/v0.1";

/// One file the statement is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A file named `name` whose content has the sha256 `sha256` (hex).
    pub fn sha256(name: impl Into<String>, sha256: impl Into<String>) -> Self {
        Subject { name: name.into(), digest: BTreeMap::from([("sha256".to_string(), sha256.into())]) }
    }
}

/// A configuration the tests ran with (a benchmark definition, a waivers
/// file), as an in-toto ResourceDescriptor: its name and sha256.
pub type Configuration = Subject;

/// The verdict of one test, and of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TestVerdict {
    Passed,
    Warned,
    Failed,
}

/// The test-result predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub result: TestVerdict,
    pub configuration: Vec<Configuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub passed_tests: Vec<String>,
    pub warned_tests: Vec<String>,
    pub failed_tests: Vec<String>,
}

impl TestResult {
    /// The result of `tests` (name, verdict): failed if any failed, else
    /// warned if any warned, else passed. Names and configurations are
    /// sorted, so the same run gives the same bytes.
    pub fn new(
        tests: impl IntoIterator<Item = (String, TestVerdict)>,
        mut configuration: Vec<Configuration>,
        url: Option<String>,
    ) -> Self {
        let (mut passed_tests, mut warned_tests, mut failed_tests) = (Vec::new(), Vec::new(), Vec::new());
        for (name, verdict) in tests {
            match verdict {
                TestVerdict::Passed => passed_tests.push(name),
                TestVerdict::Warned => warned_tests.push(name),
                TestVerdict::Failed => failed_tests.push(name),
            }
        }
        for names in [&mut passed_tests, &mut warned_tests, &mut failed_tests] {
            names.sort();
        }
        configuration.sort();
        let result = if !failed_tests.is_empty() {
            TestVerdict::Failed
        } else if !warned_tests.is_empty() {
            TestVerdict::Warned
        } else {
            TestVerdict::Passed
        };
        TestResult { result, configuration, url, passed_tests, warned_tests, failed_tests }
    }
}

/// An in-toto Statement about `subject` with a test-result predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    statement_type: &'static str,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: &'static str,
    predicate: TestResult,
}

impl Statement {
    /// The subjects are sorted by name.
    pub fn test_result(mut subject: Vec<Subject>, predicate: TestResult) -> Self {
        subject.sort();
        Statement { statement_type: STATEMENT_TYPE, subject, predicate_type: TEST_RESULT_PREDICATE_TYPE, predicate }
    }

    /// The statement's JSON: the DSSE payload.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a statement serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_statement_has_the_shape_of_the_specs() {
        let predicate = TestResult::new(
            [
                ("w-1/4.1.1".to_string(), TestVerdict::Failed),
                ("cp-1/1.1.1".to_string(), TestVerdict::Passed),
                ("cp-1/1.2.1".to_string(), TestVerdict::Warned),
                ("cp-1/1.1.0".to_string(), TestVerdict::Passed),
            ],
            vec![Subject::sha256("benchmark/cis-1.10/benchmark.toml", "bb")],
            None,
        );
        let statement = Statement::test_result(
            vec![Subject::sha256("report.json", "22"), Subject::sha256("facts/cp-1.json", "11")],
            predicate,
        );
        let json: serde_json::Value = serde_json::from_slice(&statement.to_json()).unwrap();
        assert_eq!(
            json,
            json!({
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [
                    {"name": "facts/cp-1.json", "digest": {"sha256": "11"}},
                    {"name": "report.json", "digest": {"sha256": "22"}}
                ],
                "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
                "predicate": {
                    "result": "FAILED",
                    "configuration": [{"name": "benchmark/cis-1.10/benchmark.toml", "digest": {"sha256": "bb"}}],
                    "passedTests": ["cp-1/1.1.0", "cp-1/1.1.1"],
                    "warnedTests": ["cp-1/1.2.1"],
                    "failedTests": ["w-1/4.1.1"]
                }
            })
        );
    }

    #[test]
    fn the_result_is_the_worst_verdict() {
        let result = |verdicts: &[TestVerdict]| {
            TestResult::new(verdicts.iter().enumerate().map(|(i, v)| (i.to_string(), *v)), vec![], None).result
        };
        assert_eq!(result(&[]), TestVerdict::Passed);
        assert_eq!(result(&[TestVerdict::Passed]), TestVerdict::Passed);
        assert_eq!(result(&[TestVerdict::Passed, TestVerdict::Warned]), TestVerdict::Warned);
        assert_eq!(result(&[TestVerdict::Failed, TestVerdict::Warned, TestVerdict::Passed]), TestVerdict::Failed);
        let url = TestResult::new([], vec![], Some("https://ci.example/run/7".into()));
        assert_eq!(serde_json::to_value(url).unwrap()["url"], "https://ci.example/run/7");
    }
}
