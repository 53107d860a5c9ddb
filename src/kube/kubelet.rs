//! The kubelet's configuration files: the file named by `--config` and the
//! `--config-dir` drop-ins (KEP-3983: `*.conf` files in lexical order, each
//! overriding the ones before it and the base file). Flags override all of
//! them; that precedence is applied in `kube.rs`.

use crate::facts::{Document, Facts};
use crate::kube::config::{self, Doc};
use crate::kube::flags::Args;
use serde_json::Value as Json;
use std::rc::Rc;

/// Config documents, each with its path.
pub type Documents = Vec<(String, Rc<Json>)>;

/// The kubelet's config documents in increasing precedence, each with its
/// path. `Ok(None)`: the kubelet runs without `--config`.
pub fn documents(
    facts: &Facts,
    args: &Args,
    cwd: Option<&str>,
) -> Result<Option<Documents>, String> {
    let Some(config) = args.effective("config", false, false) else {
        return Ok(None);
    };
    let path = resolve(&config, cwd).ok_or_else(|| {
        format!(
            "kubelet --config={config} is relative and the kubelet's working directory is unknown"
        )
    })?;
    let mut documents = vec![(path.clone(), load(facts, &path)?)];
    if let Some(dir) = args
        .effective("config-dir", false, false)
        .filter(|d| !d.is_empty())
    {
        let dir = resolve(&dir, cwd).ok_or_else(|| {
            format!("kubelet --config-dir={dir} is relative and the kubelet's working directory is unknown")
        })?;
        // The drop-ins are the `*.conf` documents read from the directory; a
        // directory that could not be read is an error, not "no drop-ins".
        if let Some(Document::Error { reason }) = facts.documents.get(&dir) {
            return Err(format!(
                "kubelet config directory {dir} could not be read: {reason}"
            ));
        }
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let mut drop_ins: Vec<&String> = facts
            .documents
            .keys()
            .filter(|k| {
                k.strip_prefix(&prefix)
                    .is_some_and(|name| !name.contains('/') && name.ends_with(".conf"))
            })
            .collect();
        drop_ins.sort();
        for drop_in in drop_ins {
            documents.push((drop_in.clone(), load(facts, drop_in)?));
        }
    }
    Ok(Some(documents))
}

/// The document that sets `key` last, with the value it sets.
pub fn lookup<'d>(documents: &'d [(String, Rc<Json>)], key: &str) -> Option<(&'d str, &'d Json)> {
    documents
        .iter()
        .rev()
        .find_map(|(path, doc)| config::lookup(doc, key).map(|v| (path.as_str(), v)))
}

fn load(facts: &Facts, path: &str) -> Result<Rc<Json>, String> {
    match config::read(facts, path) {
        Doc::Text(text) => config::parse(text)
            .map_err(|e| format!("kubelet config file {path} could not be parsed: {e}")),
        Doc::Missing => Err(format!("kubelet config file {path} does not exist")),
        Doc::Unavailable(reason) => Err(format!("kubelet config file {path} {reason}")),
    }
}

/// An absolute path as the process sees it: relative paths are relative to
/// its working directory.
pub fn resolve(path: &str, cwd: Option<&str>) -> Option<String> {
    if path.starts_with('/') {
        Some(path.to_string())
    } else {
        cwd.map(|cwd| {
            format!(
                "{}/{}",
                cwd.trim_end_matches('/'),
                path.trim_start_matches("./")
            )
        })
    }
}
