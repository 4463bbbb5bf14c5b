//! The `global_defs` keywords of the signal dumps: `state_dump_file`, `stats_dump_file`,
//! `json_dump_file` (keepalived 2.3.3+), `json_version` (2.2.8+), `data_use_instance` and
//! `tmp_config_directory` (2.2.7), with the messages of the handlers in keepalived's
//! `global_parser.c`. keepalived 2.2.7 does not know the first four: they follow the releases
//! that added them (KNOWN_DIVERGENCES.md).

use super::super::tree::Stmt;
use super::Validator;
use crate::model::JsonVersion;

/// The keywords of this module that take exactly one word, where more is an error rather
/// than the usual note about extra words.
pub(super) const ONE_PATH: [&str; 3] = ["state_dump_file", "stats_dump_file", "json_dump_file"];

impl Validator<'_> {
    /// A `global_defs` keyword of this module; false when `stmt` is not one.
    pub(super) fn dump_files_global(&mut self, stmt: &Stmt) -> bool {
        let kw = stmt.keyword();
        let w = &stmt.line.words;
        match kw {
            "state_dump_file" | "stats_dump_file" | "json_dump_file" => {
                // keepalived wants exactly one non-empty word and ignores the line otherwise.
                match w.get(1) {
                    Some(p) if w.len() == 2 && !p.text.is_empty() => {
                        let d = &mut self.config.global.dumps;
                        let slot = match kw {
                            "state_dump_file" => &mut d.state,
                            "stats_dump_file" => &mut d.stats,
                            _ => &mut d.json,
                        };
                        *slot = Some(p.text.clone());
                    }
                    _ => self.error(&stmt.line.span, format!("{kw} requires a non-empty path")),
                }
            }
            "data_use_instance" => {
                // keepalived's message misspells the keyword; tools may match it.
                if let Some(b) = self.boolean(stmt, "global date_use_instance") {
                    self.config.global.dumps.data_use_instance = b;
                }
            }
            "json_version" => {
                let Some(t) = w.get(1) else {
                    self.error(&stmt.line.span, "json_version requires version");
                    return true;
                };
                let v = self.uint_lenient(t, 1, 2).or_else(|v| {
                    self.error(&t.span, "Invalid JSON version");
                    v.ok_or(())
                });
                match v {
                    Ok(1) => self.config.global.dumps.json_version = JsonVersion::V1,
                    Ok(_) => self.config.global.dumps.json_version = JsonVersion::V2,
                    Err(()) => {}
                }
            }
            "tmp_config_directory" => {
                if self.config.global.tmp_config_directory.is_some() {
                    self.error(
                        &stmt.line.span,
                        "tmp_config_directory already specified - ignoring",
                    );
                } else if let Some(d) = w.get(1) {
                    self.config.global.tmp_config_directory = Some(d.text.clone());
                } else {
                    self.error(
                        &stmt.line.span,
                        "tmp_config_directory missing directory name",
                    );
                }
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Loaded;
    use crate::model::{DumpFiles, JsonVersion};

    fn load(globals: &str) -> Loaded {
        crate::config::load_test(&format!("global_defs {{\n{globals}\n}}\n"))
    }

    #[test]
    fn defaults_are_keepalived_s() {
        let l = load(" router_id X");
        let g = &l.config.as_ref().unwrap().global;
        assert_eq!(g.dumps, DumpFiles::default());
        assert_eq!(g.dumps.json_version, JsonVersion::V1);
        assert!(!g.dumps.data_use_instance && g.tmp_config_directory.is_none());
        let d = crate::config::dump(l.config.as_ref().unwrap());
        assert!(
            !d.contains("dump_file") && !d.contains("json_version"),
            "{d}"
        );
    }

    #[test]
    fn values_are_kept_as_written() {
        let l = load(
            " state_dump_file /var/run/ka/\n stats_dump_file s.txt\n json_dump_file /srv/k.json\n \
             data_use_instance\n json_version 2\n tmp_config_directory /run/kacfg",
        );
        assert!(l.messages().is_empty(), "{:?}", l.messages());
        assert_eq!(l.test_exit_code(), 0);
        let g = &l.config.as_ref().unwrap().global;
        assert_eq!(g.dumps.state.as_deref(), Some("/var/run/ka/"));
        assert_eq!(g.dumps.stats.as_deref(), Some("s.txt"));
        assert_eq!(g.dumps.json.as_deref(), Some("/srv/k.json"));
        assert!(g.dumps.data_use_instance);
        assert_eq!(g.dumps.json_version, JsonVersion::V2);
        assert_eq!(g.tmp_config_directory.as_deref(), Some("/run/kacfg"));
        let d = crate::config::dump(l.config.as_ref().unwrap());
        for line in [
            "  state_dump_file /var/run/ka/\n",
            "  stats_dump_file s.txt\n",
            "  json_dump_file /srv/k.json\n",
            "  data_use_instance true\n",
            "  json_version 2\n",
            "  tmp_config_directory /run/kacfg\n",
        ] {
            assert!(d.contains(line), "missing {line:?} in\n{d}");
        }
        // A later value replaces an earlier one, as keepalived's handlers do.
        let g =
            load(" json_version 2\n json_version 1\n data_use_instance on\n data_use_instance no")
                .config
                .unwrap()
                .global;
        assert_eq!(g.dumps.json_version, JsonVersion::V1);
        assert!(!g.dumps.data_use_instance);
    }

    #[test]
    fn bad_values_get_keepalived_s_messages_and_are_ignored() {
        let l = load(
            " state_dump_file\n stats_dump_file /a /b\n json_dump_file \"\"\n json_version 3\n \
             json_version\n json_version x\n data_use_instance maybe\n tmp_config_directory\n \
             tmp_config_directory /a\n tmp_config_directory /b",
        );
        assert_eq!(
            l.messages(),
            [
                "state_dump_file requires a non-empty path",
                "stats_dump_file requires a non-empty path",
                "json_dump_file requires a non-empty path",
                "number '3' outside range [1, 2]",
                "Invalid JSON version",
                "json_version requires version",
                "invalid number 'x'",
                "Invalid JSON version",
                "Invalid value 'maybe' for global date_use_instance specified",
                "tmp_config_directory missing directory name",
                "tmp_config_directory already specified - ignoring",
            ]
        );
        // General errors: -t exits 5, the daemon still runs.
        assert_eq!(l.test_exit_code(), 5);
        assert!(!l.is_fatal());
        let g = &l.config.as_ref().unwrap().global;
        assert_eq!(g.dumps, DumpFiles::default());
        assert_eq!(g.tmp_config_directory.as_deref(), Some("/a"));
    }
}
