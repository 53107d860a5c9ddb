//! Confirmation from the journal, never a source: k3s logs one
//! `Running <component> --flag=value ...` line per component at each start
//! (`logrus.Infof("Running kube-apiserver %s", config.ArgString(args))` in
//! pkg/daemons/control/server.go). Journal rotation deletes it on a
//! long-running node, so the computed arguments never depend on it; where a
//! line is still there it is compared with them and each disagreement is
//! reported.
//!
//! The logged text joins the arguments with single spaces, unquoted, so a
//! value containing a space cannot be told apart from two arguments; such
//! values are reported as disagreements, never guessed.

use crate::distro::component_args::ComponentArgs;

/// The arguments of the last `Running <component>` line in `journal`.
pub fn last_running_line(journal: &str, component: &str) -> Option<Vec<String>> {
    let marker = format!("Running {component} ");
    journal.lines().rev().find_map(|line| {
        let start = line.find(&marker)? + marker.len();
        let rest = &line[start..];
        // logrus ends the quoted msg with `"`; quotes inside are `\"`.
        let mut text = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(next) => text.push(next),
                    None => break,
                },
                '"' => break,
                c => text.push(c),
            }
        }
        Some(
            text.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )
    })
}

/// Disagreements between the computed arguments and the logged ones, each a
/// sentence; empty when they agree.
pub fn disagreements(computed: &ComponentArgs, logged: &[String]) -> Vec<String> {
    let computed_argv = computed.argv();
    let name = computed.component.name();
    let mut notes = Vec::new();
    for arg in logged {
        if !computed_argv.contains(arg) {
            notes.push(format!(
                "the journal's last \"Running {name}\" line has {arg}, which the computation does not give"
            ));
        }
    }
    for (arg, computed) in computed_argv.iter().zip(&computed.args) {
        if !logged.contains(arg) {
            notes.push(format!(
                "the computation gives {arg} (from {}), which the journal's last \"Running {name}\" line does not have: the configuration may have changed since that start",
                computed.source
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::Component;
    use crate::distro::component_args::Arg;
    use crate::distro::source::Source;

    const JOURNAL: &str = "May 26 22:08:40 server-0 k3s[2226]: time=\"2026-05-26T22:08:40Z\" level=info msg=\"Running kube-apiserver --old=1\"\n\
May 26 22:08:48 server-0 k3s[2226]: time=\"2026-05-26T22:08:48Z\" level=info msg=\"Running kube-apiserver --anonymous-auth=false --profiling=false --x=\\\"q\\\"\"\n\
May 26 22:08:49 server-0 k3s[2226]: time=\"2026-05-26T22:08:49Z\" level=info msg=\"Running kube-scheduler --profiling=false\"\n";

    fn computed(args: &[(&str, &str)]) -> ComponentArgs {
        ComponentArgs {
            component: Component::KubeApiserver,
            args: args
                .iter()
                .map(|(f, v)| Arg {
                    flag: f.to_string(),
                    value: v.to_string(),
                    source: Source::BuiltIn {
                        citation: "test".into(),
                    },
                })
                .collect(),
            config_dir: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_last_line_of_the_component_is_read() {
        assert_eq!(
            last_running_line(JOURNAL, "kube-apiserver").unwrap(),
            ["--anonymous-auth=false", "--profiling=false", "--x=\"q\""]
        );
        assert_eq!(
            last_running_line(JOURNAL, "kube-scheduler").unwrap(),
            ["--profiling=false"]
        );
        assert_eq!(last_running_line(JOURNAL, "kubelet"), None);
    }

    #[test]
    fn agreement_is_silent_and_each_difference_is_named() {
        let logged = last_running_line(JOURNAL, "kube-apiserver").unwrap();
        let same = computed(&[
            ("anonymous-auth", "false"),
            ("profiling", "false"),
            ("x", "\"q\""),
        ]);
        assert!(disagreements(&same, &logged).is_empty());
        let other = computed(&[
            ("anonymous-auth", "true"),
            ("profiling", "false"),
            ("x", "\"q\""),
        ]);
        let notes = disagreements(&other, &logged);
        assert_eq!(notes.len(), 2, "{notes:#?}");
        assert!(
            notes[0].contains("has --anonymous-auth=false, which the computation does not give")
        );
        assert!(notes[1].contains("gives --anonymous-auth=true (from built-in default (test))"));
    }
}
