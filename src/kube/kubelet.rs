//! The kubelet's configuration files: the file named by `--config` and the
//! `--config-dir` drop-ins (KEP-3983: `*.conf` files in lexical order, each
//! overriding the ones before it and the base file). Flags override all of
//! them; that precedence is applied in `kube.rs`. Only the `--config` file
//! goes through the kubelet's defaulting (see `defaulting`).

use crate::benchmark::Setting;
use crate::facts::Document;
use crate::kube::config::{self, Doc};
use crate::kube::defaulting::{self, Field, Layer};
use crate::kube::flags::Args;
use crate::kube::process_path;
use crate::kube::HostContext;
use serde_json::Value as Json;
use std::rc::Rc;

/// The kubelet's config documents: the `--config` file, which the kubelet
/// decodes and defaults, and the `--config-dir` drop-ins, merged over it in
/// lexical order as written (cmd/kubelet/app/server.go: the drop-ins are
/// merged with or without `--config`, over the flag-based configuration
/// when there is none).
pub struct Documents {
    pub base: Option<(String, Rc<Json>)>,
    pub drop_ins: Vec<(String, Rc<Json>)>,
}

/// The kubelet's config documents, each with its path. `Ok(None)`: the
/// kubelet runs on flags alone.
pub fn documents(host: &HostContext<'_>, args: &Args, cwd: Option<&str>) -> Result<Option<Documents>, String> {
    let facts = host.facts;
    let base = match args.effective("config", false, false).filter(|c| !c.is_empty()) {
        Some(config) => {
            let path = process_path::resolve("kubelet --config", &config, cwd)?;
            let doc = load(host, &path)?;
            Some((path, doc))
        }
        None => None,
    };
    let mut drop_ins = Vec::new();
    let config_dir = args
        .effective("config-dir", false, false)
        .filter(|d| !d.is_empty());
    if let Some(dir) = &config_dir {
        let dir = process_path::resolve("kubelet --config-dir", dir, cwd)?;
        // The drop-ins are the `*.conf` documents read from the directory; a
        // directory that could not be read is an error, not "no drop-ins".
        if let Some(Document::Error { reason }) = facts.documents.get(&dir) {
            return Err(format!(
                "kubelet config directory {dir} could not be read: {reason}"
            ));
        }
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let mut names: Vec<&String> = facts
            .documents
            .keys()
            .filter(|k| {
                k.strip_prefix(&prefix)
                    .is_some_and(|name| !name.contains('/') && name.ends_with(".conf"))
            })
            .collect();
        names.sort();
        for drop_in in names {
            drop_ins.push((drop_in.clone(), load(host, drop_in)?));
        }
    }
    if base.is_none() && config_dir.is_none() {
        return Ok(None);
    }
    Ok(Some(Documents { base, drop_ins }))
}

/// The document that decides `key`, with what the kubelet reads there: the
/// last drop-in that sets it, else the `--config` file through the
/// kubelet's defaulting (`default`: the value defaulting gives a zero field).
pub fn lookup<'d>(
    documents: &'d Documents,
    setting: &Setting,
    key: &str,
    default: Option<&str>,
) -> Option<(&'d str, Field)> {
    let drop_in = documents.drop_ins.iter().rev().find_map(|(path, doc)| {
        match defaulting::field(setting, doc, key, Layer::DropIn, default) {
            Field::Absent => None,
            found => Some((path.as_str(), found)),
        }
    });
    drop_in.or_else(|| {
        let (path, doc) = documents.base.as_ref()?;
        match defaulting::field(setting, doc, key, Layer::Defaulted, default) {
            Field::Absent => None,
            found => Some((path.as_str(), found)),
        }
    })
}

fn load(host: &HostContext<'_>, path: &str) -> Result<Rc<Json>, String> {
    match config::read(host.facts, path) {
        Doc::Text(text) => host
            .parse(path, text)
            .map_err(|e| format!("kubelet config file {path} could not be parsed: {e}")),
        Doc::Missing => Err(format!("kubelet config file {path} does not exist")),
        Doc::Unavailable(reason) => Err(format!("kubelet config file {path} {reason}")),
    }
}
