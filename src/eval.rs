//! Evaluates one check against one host's facts. Pure: no IO, no clock, no
//! logging; one `Check` serves every host.
//!
//! A test yields a three-valued verdict: pass, fail, or error (a fact it
//! needs could not be collected, with the host's reason). Combinations use
//! Kleene logic: `all` fails if any part fails, else errors if any part
//! errors; `any` passes if any part passes, else errors if any part errors.
//! Then the check's kind decides the status: automated → pass/fail (warn
//! when unscored) or error; manual → `manual`, with what was observed and
//! what automated evaluation would have said in a note.

pub mod operator;

use crate::benchmark::{Benchmark, Check, Setting, Test};
use crate::facts::{FileFact, FileKind, FileStat, Facts};
use crate::kube::{self, kubelet, value::Value};
use crate::outcome::{Outcome, Source, Status};
use operator::{mode_text, Predicate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    Error,
}

impl Verdict {
    fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// What one test concluded, with its evidence.
struct Judgement {
    verdict: Verdict,
    expected: String,
    actual: String,
    sources: Vec<Source>,
    notes: Vec<String>,
}

impl Judgement {
    fn new(verdict: Verdict, expected: String, actual: String) -> Judgement {
        Judgement { verdict, expected, actual, sources: Vec::new(), notes: Vec::new() }
    }

    fn passed(pass: bool, expected: String, actual: String) -> Judgement {
        Judgement::new(if pass { Verdict::Pass } else { Verdict::Fail }, expected, actual)
    }
}

pub fn evaluate(facts: &Facts, benchmark: &Benchmark, check: &Check) -> Outcome {
    let Some(test) = &check.test else {
        return Outcome {
            status: Status::Manual,
            expected: "reviewed by a person (see the remediation)".into(),
            actual: "nothing is observed automatically for this recommendation".into(),
            sources: Vec::new(),
            notes: Vec::new(),
        };
    };
    let judgement = judge(facts, benchmark, test);
    let mut notes = judgement.notes;
    let status = if check.automated {
        match judgement.verdict {
            Verdict::Pass => Status::Pass,
            Verdict::Fail if check.scored => Status::Fail,
            Verdict::Fail => Status::Warn,
            Verdict::Error => Status::Error,
        }
    } else {
        notes.push(format!("automated evaluation would be: {}", judgement.verdict.name()));
        Status::Manual
    };
    Outcome { status, expected: judgement.expected, actual: judgement.actual, sources: judgement.sources, notes }
}

fn judge(facts: &Facts, benchmark: &Benchmark, test: &Test) -> Judgement {
    match test {
        Test::Setting { setting, predicate } => judge_setting(facts, benchmark, benchmark.setting(*setting), predicate),
        Test::File { paths, predicate, if_exists } => judge_file(facts, paths, predicate, *if_exists),
        Test::FileFrom { setting, predicate, if_set } => {
            judge_file_from(facts, benchmark, benchmark.setting(*setting), predicate, *if_set)
        }
        Test::All(tests) => combine(tests.iter().map(|t| judge(facts, benchmark, t)).collect(), true),
        Test::Any(tests) => combine(tests.iter().map(|t| judge(facts, benchmark, t)).collect(), false),
    }
}

fn combine(parts: Vec<Judgement>, all: bool) -> Judgement {
    let has = |v: Verdict| parts.iter().any(|p| p.verdict == v);
    let (decisive, fallback) = if all { (Verdict::Fail, Verdict::Pass) } else { (Verdict::Pass, Verdict::Fail) };
    let verdict = if has(decisive) {
        decisive
    } else if has(Verdict::Error) {
        Verdict::Error
    } else {
        fallback
    };
    let joiner = if all { " and " } else { " or " };
    let expected = parts.iter().map(|p| p.expected.as_str()).collect::<Vec<_>>().join(joiner);
    let actual = parts.iter().map(|p| p.actual.as_str()).collect::<Vec<_>>().join("; ");
    let mut judgement = Judgement::new(verdict, expected, actual);
    for part in parts {
        for source in part.sources {
            if !judgement.sources.contains(&source) {
                judgement.sources.push(source);
            }
        }
        for note in part.notes {
            if !judgement.notes.contains(&note) {
                judgement.notes.push(note);
            }
        }
    }
    judgement
}

fn judge_setting(facts: &Facts, benchmark: &Benchmark, setting: &Setting, predicate: &Predicate) -> Judgement {
    let expected = predicate.expected(&setting.flag());
    let observation = match kube::observe(facts, benchmark, setting) {
        Ok(o) => o,
        Err(reason) => return Judgement::new(Verdict::Error, expected, reason),
    };
    let typed = observation.value.as_deref().map(|text| Value::parse(setting.kind, text));
    let mut judgement = match typed {
        Some(Err(problem)) => Judgement::new(Verdict::Fail, expected, format!("{} (the value {problem})", observation.shown)),
        Some(Ok(value)) => Judgement::passed(predicate.test_value(Some(&value), observation.given()), expected, observation.shown.clone()),
        None => Judgement::passed(predicate.test_value(None, false), expected, observation.shown.clone()),
    };
    judgement.sources.push(observation.source(setting));
    judgement.notes = observation.notes;
    judgement
}

fn judge_file(facts: &Facts, paths: &[String], predicate: &Predicate, if_exists: bool) -> Judgement {
    let expected = predicate.expected("file");
    for path in paths {
        match facts.files.get(path) {
            None => return Judgement::new(Verdict::Error, expected, format!("{path} was not collected")),
            Some(FileFact::Error { reason }) => {
                return Judgement::new(Verdict::Error, expected, format!("{path} could not be examined: {reason}"))
            }
            Some(FileFact::Missing) => continue,
            Some(FileFact::Present(stat)) => return judge_stat(path, stat, predicate, expected),
        }
    }
    let actual = match paths {
        [one] => format!("file {one} does not exist"),
        many => format!("none of {} exists", many.join(", ")),
    };
    let mut judgement = Judgement::passed(if_exists, expected, actual);
    judgement.sources = paths.iter().map(|p| Source::File { path: p.clone() }).collect();
    judgement
}

fn judge_stat(path: &str, stat: &FileStat, predicate: &Predicate, expected: String) -> Judgement {
    let pass = predicate.test_file(stat);
    let actual = match predicate {
        Predicate::ModeAtMost(_) => format!("permissions {}", mode_text(stat.mode)),
        Predicate::Owner { .. } => owner_text(stat, pass),
        _ => format!("file {path} exists"),
    };
    let mut judgement = Judgement::passed(pass, expected, actual);
    judgement.sources.push(Source::File { path: path.into() });
    if stat.kind == FileKind::Symlink {
        judgement.notes.push(format!("{path} is a symbolic link; the link's own metadata was judged, not its target's"));
    }
    judgement
}

fn owner_text(stat: &FileStat, pass: bool) -> String {
    let user = stat.user.clone().unwrap_or_else(|| stat.uid.to_string());
    let group = stat.group.clone().unwrap_or_else(|| stat.gid.to_string());
    if pass {
        format!("owner {user}:{group}")
    } else {
        format!("owner {user}:{group} (uid {}, gid {})", stat.uid, stat.gid)
    }
}

fn judge_file_from(facts: &Facts, benchmark: &Benchmark, setting: &Setting, predicate: &Predicate, if_set: bool) -> Judgement {
    let expected = predicate.expected("file");
    let observation = match kube::observe(facts, benchmark, setting) {
        Ok(o) => o,
        Err(reason) => return Judgement::new(Verdict::Error, expected, reason),
    };
    let source = observation.source(setting);
    let Some(path) = observation.value.as_deref().filter(|p| !p.is_empty()) else {
        let actual = format!("{} runs without {}", setting.component, setting.flag());
        let mut judgement = Judgement::passed(if_set, expected, actual);
        judgement.sources.push(source);
        return judgement;
    };
    let Some(path) = kubelet::resolve(path, observation.base_dir.as_deref()) else {
        let actual = format!("{} names the relative path {path} and the process's working directory is unknown", observation.shown);
        return Judgement::new(Verdict::Error, expected, actual);
    };
    let mut judgement = judge_file(facts, std::slice::from_ref(&path), predicate, false);
    judgement.sources.insert(0, source);
    judgement.notes.splice(0..0, observation.notes);
    judgement
}
