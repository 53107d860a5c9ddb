//! What evaluation derives from one host's facts, remembered while that
//! host's checks are evaluated. Every check that reads a setting of the
//! API server would otherwise parse its forty-odd flags again, and compare
//! them with its static pod manifest again: on a control-plane host that
//! was most of evaluation time.
//!
//! The memory lives only inside `for_host`, which `audit` wraps around the
//! evaluation of one host's checks against one benchmark; there each
//! component's derivations are a function of the component alone. Outside
//! it (a single check evaluated on its own) nothing is remembered.

use crate::component::Component;
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// One host's memoized values, by kind and component.
type Memo = HashMap<(Kind, Component), Rc<dyn Any>>;

thread_local! {
    static HOST: RefCell<Option<Memo>> =
        const { RefCell::new(None) };
}

/// What is remembered about a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The command line the component runs with, or would run with.
    CommandLine,
    /// The command line its static pod manifest would start it with.
    Manifest,
}

/// Runs `evaluate` with a fresh memory, forgotten afterwards even if it
/// panics. Evaluation on this thread must concern one host and one
/// benchmark until it returns.
pub fn for_host<T>(evaluate: impl FnOnce() -> T) -> T {
    struct Forget(Option<HashMap<(Kind, Component), Rc<dyn Any>>>);
    impl Drop for Forget {
        fn drop(&mut self) {
            HOST.with_borrow_mut(|host| *host = self.0.take());
        }
    }
    let outer = HOST.with_borrow_mut(|host| host.replace(HashMap::new()));
    let _restore = Forget(outer);
    evaluate()
}

/// The remembered value of `kind` for `component`, derived by `derive` the
/// first time it is asked for inside `for_host`.
pub fn remember<T: 'static>(kind: Kind, component: Component, derive: impl FnOnce() -> T) -> Rc<T> {
    let known = HOST.with_borrow(|host| {
        host.as_ref()
            .and_then(|memo| memo.get(&(kind, component)).cloned())
    });
    if let Some(value) = known {
        return value
            .downcast::<T>()
            .expect("one kind of derivation has one type");
    }
    let value = Rc::new(derive());
    HOST.with_borrow_mut(|host| {
        if let Some(memo) = host {
            memo.insert((kind, component), value.clone());
        }
    });
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn remembers_within_a_host_only() {
        let calls = Cell::new(0);
        let derive = || {
            calls.set(calls.get() + 1);
            calls.get()
        };
        // Outside a host: derived every time.
        assert_eq!(*remember(Kind::CommandLine, Component::Kubelet, derive), 1);
        assert_eq!(*remember(Kind::CommandLine, Component::Kubelet, derive), 2);
        for_host(|| {
            assert_eq!(*remember(Kind::CommandLine, Component::Kubelet, derive), 3);
            assert_eq!(*remember(Kind::CommandLine, Component::Kubelet, derive), 3);
            // Another kind or component is another derivation.
            assert_eq!(*remember(Kind::Manifest, Component::Kubelet, derive), 4);
            assert_eq!(*remember(Kind::CommandLine, Component::Etcd, derive), 5);
        });
        // The next host starts afresh.
        for_host(|| assert_eq!(*remember(Kind::CommandLine, Component::Kubelet, derive), 6));
        assert_eq!(*remember(Kind::CommandLine, Component::Kubelet, derive), 7);
    }

    #[test]
    fn forgets_after_a_panic() {
        let outcome = std::panic::catch_unwind(|| {
            for_host(|| {
                remember(Kind::CommandLine, Component::Kubelet, || 1);
                panic!("evaluation failed");
            })
        });
        assert!(outcome.is_err());
        assert_eq!(*remember(Kind::CommandLine, Component::Kubelet, || 2), 2);
    }
}
