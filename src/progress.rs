//! The progress bar: hosts done out of total, and the hosts in flight. Drawn
//! on stderr, only when stderr is a terminal and --no-progress is not given,
//! so machine output on stdout and in files is never interleaved with it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::sync::Mutex;

pub struct Progress {
    bar: ProgressBar,
    in_flight: Mutex<BTreeSet<String>>,
}

impl Progress {
    pub fn new(total: usize, enabled: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if enabled && std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {pos}/{len} hosts {wide_msg}")
                    .expect("the template is valid"),
            );
        }
        Progress { bar, in_flight: Mutex::new(BTreeSet::new()) }
    }

    /// A progress that never draws (tests, offline evaluation).
    pub fn hidden() -> Progress {
        Progress::new(0, false)
    }

    pub fn started(&self, host: &str) {
        let mut in_flight = self.in_flight.lock().expect("never poisoned");
        in_flight.insert(host.to_string());
        self.show(&in_flight);
    }

    pub fn finished(&self, host: &str) {
        let mut in_flight = self.in_flight.lock().expect("never poisoned");
        in_flight.remove(host);
        self.bar.inc(1);
        self.show(&in_flight);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn show(&self, in_flight: &BTreeSet<String>) {
        if self.bar.is_hidden() {
            return;
        }
        // Host names come from the inventory, but keep the terminal safe anyway.
        let names: Vec<String> = in_flight
            .iter()
            .take(4)
            .map(|n| n.chars().filter(|c| !c.is_control()).collect())
            .collect();
        let more = in_flight.len().saturating_sub(names.len());
        let suffix = if more > 0 { format!(" +{more}") } else { String::new() };
        self.bar.set_message(format!("{}{suffix}", names.join(" ")));
    }
}
