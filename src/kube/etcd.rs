//! etcd's configuration sources. etcd reads `--config-file` (or
//! `ETCD_CONFIG_FILE`) and, when one is given, ignores every other
//! command-line flag and environment variable (etcd's `config.parse`: "other
//! configuration command line flags and environment variables will be
//! ignored"). Otherwise a flag wins over its `ETCD_*` variable.

use crate::kube::config::{self, Doc};
use crate::kube::flags::Args;
use crate::kube::HostContext;
use serde_json::Value as Json;
use std::rc::Rc;

/// The config file etcd loaded, if any: its path and parsed contents.
pub fn config_file(
    host: &HostContext<'_>,
    args: &Args,
    env: &[(String, String)],
) -> Result<Option<(String, Rc<Json>)>, String> {
    let path = args
        .effective("config-file", false, false)
        .or_else(|| env_value(env, "ETCD_CONFIG_FILE").map(str::to_string))
        .filter(|p| !p.is_empty());
    let Some(path) = path else {
        return Ok(None);
    };
    match config::read(host.facts, &path) {
        Doc::Text(text) => host
            .parse(&path, text)
            .map(|doc| Some((path.clone(), doc)))
            .map_err(|e| format!("etcd config file {path} could not be parsed: {e}")),
        Doc::Missing => Err(format!("etcd config file {path} does not exist")),
        Doc::Unavailable(reason) => Err(format!("etcd config file {path} {reason}")),
    }
}

/// The value etcd takes from an environment variable. Go's os.Getenv sees
/// the first definition of a name (syscall/env_unix.go `copyenv` drops the
/// later ones), and etcd ignores a variable that is empty (pkg/flags/flag.go
/// `setFlagFromEnv`: `if val != ""`), as if it were unset.
pub fn env_value<'e>(env: &'e [(String, String)], name: &str) -> Option<&'e str> {
    env.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}
