//! Static pod manifests: the command line a control-plane component is
//! started with, used when the component is not running. Where a
//! platform keeps each manifest is platform data (`platforms/*.toml`).

use crate::kube::config;

/// The container's argv: `spec.containers[0].command` followed by `args`.
/// When `command` is absent (the image's entrypoint runs), argv[0] is
/// unknown and an empty placeholder stands in for it.
pub fn argv(text: &str) -> Result<Vec<String>, String> {
    let doc = config::parse(text)?;
    let container = doc
        .pointer("/spec/containers/0")
        .ok_or("the manifest has no spec.containers[0]")?;
    let strings = |key: &str| -> Result<Vec<String>, String> {
        match container.get(key) {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_string)
                        .ok_or(format!("spec.containers[0].{key} holds a non-string"))
                })
                .collect(),
            Some(_) => Err(format!("spec.containers[0].{key} is not a list")),
        }
    };
    let mut argv = strings("command")?;
    if argv.is_empty() {
        argv.push(String::new());
    }
    argv.extend(strings("args")?);
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_and_args() {
        let yaml = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --profiling=false\n    args: [\"--audit-log-maxage=30\"]\n    image: x\n";
        assert_eq!(
            argv(yaml).unwrap(),
            vec![
                "kube-apiserver",
                "--profiling=false",
                "--audit-log-maxage=30"
            ]
        );
        assert_eq!(
            argv("spec:\n  containers:\n  - args: [--a]\n").unwrap(),
            vec!["", "--a"]
        );
        assert!(argv("spec: {}\n").is_err());
        assert!(argv("spec:\n  containers:\n  - command: kube-apiserver\n").is_err());
    }
}
