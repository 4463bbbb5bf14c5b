//! `reload_check_config [FILE]` (keepalived's `start_validate_reload_conf_child()`): a reload
//! runs only when the new configuration passes `-t` (status 0), and `-t`'s report of it is
//! left in FILE (emptied first; `/dev/null` by default). keepalived also refuses to start with
//! a configuration that is not clean when it is set.

use std::io::Write as _;

use crate::config::Loaded;

/// The line keepalived logs when the check fails.
pub fn failed_line(file: &str) -> String {
    format!("New config failed validation, see {file} for details")
}

/// Writes `loaded`'s diagnostics to `file` as `-t=FILE` reports them, after emptying it, and
/// says whether the configuration passed (`-t` status 0). A file that cannot be written is
/// logged as keepalived logs its truncation failure; the verdict stands.
pub fn check(file: &str, loaded: &Loaded) -> bool {
    let text: String = loaded
        .diagnostics
        .iter()
        .map(|d| {
            let mut s = d.to_string();
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        })
        .collect();
    use std::os::unix::fs::OpenOptionsExt;
    let written = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(file)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        tracing::info!(
            "truncate of config check log {file} failed ({}) - {e}",
            e.raw_os_error().unwrap_or(0)
        );
    }
    loaded.test_exit_code() == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, load_str};

    fn load(text: &str) -> Loaded {
        let opts = LoadOptions {
            config_id: "main".into(),
            check_interfaces: false,
            all_config: false,
        };
        load_str("k.conf", text, &opts)
    }

    #[test]
    fn the_report_replaces_the_file_and_the_verdict_is_the_exit_status() {
        let dir = std::env::temp_dir().join(format!("ka-reload-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("check.log");
        std::fs::write(&file, "old report\n").unwrap();
        let f = file.to_str().unwrap();
        let bad = load("global_defs {\n router_id X\n priorty 3\n}\n");
        assert!(!check(f, &bad));
        let report = std::fs::read_to_string(&file).unwrap();
        assert!(report.contains("Unknown keyword 'priorty'"), "{report}");
        assert!(!report.contains("old report"));
        let good = load("global_defs {\n router_id X\n}\n");
        assert!(check(f, &good));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "");
        assert_eq!(
            failed_line(f),
            format!("New config failed validation, see {f} for details")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
