//! One host as evaluation reads it: its facts and the benchmark they are
//! judged against, with what is derived from them remembered for as long as
//! the context lives. Every check that reads a setting of the API server
//! would otherwise parse its forty-odd flags again and compare them with its
//! static pod manifest again, and every kubelet or etcd setting would parse
//! the same config file again: on a control-plane host that was most of
//! evaluation time.
//!
//! `audit` builds one context per host and benchmark and passes it by
//! reference through `eval` into `kube::observe`; it is dropped with the
//! host's evaluation, so nothing outlives one host and no state is global.

use super::flags::Args;
use super::kubelet::Documents;
use super::{config, derive_command_line, derive_planned, CommandLine};
use crate::benchmark::Benchmark;
use crate::component::Component;
use crate::distro::host::Computed;
use crate::facts::Facts;
use serde_json::Value as Json;
use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What is remembered per component, shared with whoever asks for it.
type PerComponent<T> = RefCell<BTreeMap<Component, Rc<T>>>;

pub struct HostContext<'f> {
    pub facts: &'f Facts,
    pub benchmark: &'f Benchmark,
    /// What the platform's distribution computed for the components it runs
    /// in its own process (`kube::distribution`), computed once per host by
    /// whoever builds the context; `None` when it runs none here.
    distribution: Option<&'f Result<Computed, String>>,
    /// Per component: the command line it runs with, or would run with.
    command_lines: PerComponent<Result<CommandLine, String>>,
    /// Per component: the command line its static pod manifest would start
    /// it with; `None` when the manifest is not there as text.
    planned: PerComponent<Option<Result<Args, String>>>,
    /// Per path: the configuration document parsed.
    parsed: RefCell<BTreeMap<String, Result<Rc<Json>, String>>>,
    /// The kubelet's config documents (`kubelet::documents`), which every
    /// kubelet setting read from them would otherwise gather again.
    kubelet_documents: OnceCell<Rc<Result<Option<Documents>, String>>>,
}

impl<'f> HostContext<'f> {
    pub fn new(
        facts: &'f Facts,
        benchmark: &'f Benchmark,
        distribution: Option<&'f Result<Computed, String>>,
    ) -> HostContext<'f> {
        HostContext {
            facts,
            benchmark,
            distribution,
            command_lines: RefCell::default(),
            planned: RefCell::default(),
            parsed: RefCell::default(),
            kubelet_documents: OnceCell::new(),
        }
    }

    /// Whether the component runs on this host, as its platform runs it.
    pub fn runs(&self, component: Component) -> bool {
        super::distribution::runs(self.facts, self.benchmark.platform_def(), self.distribution, component)
    }

    pub(super) fn distribution(&self) -> Option<&'f Result<Computed, String>> {
        self.distribution
    }

    pub(super) fn command_line(&self, component: Component) -> Rc<Result<CommandLine, String>> {
        remember(&self.command_lines, component, || derive_command_line(self, component))
    }

    pub(super) fn planned(&self, component: Component) -> Rc<Option<Result<Args, String>>> {
        remember(&self.planned, component, || derive_planned(self, component))
    }

    /// The kubelet's config documents, gathered by `derive` the first time
    /// they are asked for.
    pub(super) fn kubelet_documents(
        &self,
        derive: impl FnOnce() -> Result<Option<Documents>, String>,
    ) -> Rc<Result<Option<Documents>, String>> {
        Rc::clone(self.kubelet_documents.get_or_init(|| Rc::new(derive())))
    }

    /// `text`, the document `config::read` found at `path`, parsed the way
    /// Kubernetes does (`config::parse`), once however many checks read it.
    pub fn parse(&self, path: &str, text: &str) -> Result<Rc<Json>, String> {
        if let Some(known) = self.parsed.borrow().get(path) {
            return known.clone();
        }
        let result = config::parse(text).map(Rc::new);
        self.parsed.borrow_mut().insert(path.to_string(), result.clone());
        result
    }
}

/// The value for `component` in `memory`, derived the first time it is asked for.
fn remember<T>(memory: &PerComponent<T>, component: Component, derive: impl FnOnce() -> T) -> Rc<T> {
    if let Some(known) = memory.borrow().get(&component) {
        return Rc::clone(known);
    }
    let value = Rc::new(derive());
    memory.borrow_mut().insert(component, Rc::clone(&value));
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::load_builtin;
    use crate::facts::{Document, Process};

    #[test]
    fn derives_once_per_context() {
        let benchmark = load_builtin("cis-1.12").unwrap();
        let mut facts = Facts::default();
        facts.processes.push(Process {
            name: Component::Kubelet.name().into(),
            pid: 7,
            argv: vec!["kubelet".into(), "--config=/k.yaml".into()],
            cwd: None,
            env: Vec::new(),
            owner: None,
        });
        facts.documents.insert("/k.yaml".into(), Document::Text { content: "a: 1\n".into(), truncated: false });
        let host = HostContext::new(&facts, &benchmark, None);
        let first = host.command_line(Component::Kubelet);
        assert!(Rc::ptr_eq(&first, &host.command_line(Component::Kubelet)));
        assert!(!Rc::ptr_eq(&first, &host.command_line(Component::Etcd)));
        let parsed = host.parse("/k.yaml", "a: 1\n").unwrap();
        assert!(Rc::ptr_eq(&parsed, &host.parse("/k.yaml", "a: 1\n").unwrap()));
        let gather = || Ok(Some(Documents { base: None, drop_ins: Vec::new() }));
        let documents = host.kubelet_documents(gather);
        assert!(Rc::ptr_eq(&documents, &host.kubelet_documents(|| unreachable!("gathered once per context"))));
        // Another host (another context) derives afresh.
        let next = HostContext::new(&facts, &benchmark, None);
        assert!(!Rc::ptr_eq(&first, &next.command_line(Component::Kubelet)));
        assert!(!Rc::ptr_eq(&parsed, &next.parse("/k.yaml", "a: 1\n").unwrap()));
        assert!(!Rc::ptr_eq(&documents, &next.kubelet_documents(gather)));
    }
}
