//! The configuration of distributions that start the Kubernetes components
//! themselves (k3s, and RKE2's same configuration scheme): what the service
//! manager starts, the distribution's own configuration files, and the
//! arguments the distribution computes for each embedded component.
//!
//! Everything here is pure: inputs are document texts as the gathering read
//! them, each with its path, and outputs are typed values that say where
//! every piece came from (`Source`). Reading files is the gathering's job;
//! judging the values is the evaluation's.
//!
//! The order of computation, as k3s does it:
//! 1. `systemd_unit`: the unit's `ExecStart=` (unit file, then its drop-ins)
//!    with its environment, split into argv as systemd splits it;
//! 2. `options`: k3s's options from its environment variables, then
//!    `config.yaml` and `config.yaml.d/*.yaml` (`config_yaml`), then the
//!    command line;
//! 3. `component_args`: each component's built-in defaults (`defaults`, data
//!    in `platforms/k3s/`) overridden by the `<component>-arg` options;
//! 4. `datastore`: which datastore the server uses, and so whether the etcd
//!    checks apply;
//!
//! `host` runs steps 1 to 4 for one host over its gathered documents.

pub mod component_args;
pub mod config_yaml;
pub mod datastore;
pub mod defaults;
pub mod host;
pub mod options;
pub mod source;
pub mod systemd_unit;
