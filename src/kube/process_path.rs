//! A path a process was given, as the absolute path it names: the one place
//! that resolves a relative path against the process's working directory,
//! for the files its flags and config fields name.

/// `path` as the process resolves it: relative paths are relative to its
/// working directory `cwd` (a leading `./` dropped). `subject` is how the
/// report shows where the path was given (`kubelet --config`,
/// `--kubeconfig=kubelet.conf`); the error names it when the path is
/// relative and the working directory is unknown.
pub fn resolve(subject: &str, path: &str, cwd: Option<&str>) -> Result<String, String> {
    if path.starts_with('/') {
        return Ok(path.to_string());
    }
    match cwd {
        Some(cwd) => Ok(format!(
            "{}/{}",
            cwd.trim_end_matches('/'),
            path.trim_start_matches("./")
        )),
        None => Err(format!(
            "{subject} names the relative path {path} and the process's working directory is unknown"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_to_the_working_directory() {
        let unknown = "kubelet --config names the relative path k.yaml and the process's working directory is unknown";
        // (path, working directory, resolved)
        let table: [(&str, Option<&str>, Result<&str, &str>); 9] = [
            ("/etc/k.yaml", None, Ok("/etc/k.yaml")),
            ("/etc/k.yaml", Some("/var/lib"), Ok("/etc/k.yaml")),
            ("k.yaml", Some("/var/lib/kubelet"), Ok("/var/lib/kubelet/k.yaml")),
            ("k.yaml", Some("/var/lib/kubelet/"), Ok("/var/lib/kubelet/k.yaml")),
            ("./k.yaml", Some("/var/lib/kubelet"), Ok("/var/lib/kubelet/k.yaml")),
            ("conf/k.yaml", Some("/"), Ok("/conf/k.yaml")),
            ("k.yaml", Some("/"), Ok("/k.yaml")),
            ("../k.yaml", Some("/a/b"), Ok("/a/b/../k.yaml")),
            ("k.yaml", None, Err(unknown)),
        ];
        for (path, cwd, expected) in table {
            let expected = expected.map(str::to_string).map_err(str::to_string);
            assert_eq!(resolve("kubelet --config", path, cwd), expected, "{path:?} in {cwd:?}");
        }
    }
}
