//! Text -> `model::Config`: source map (files, `include`, `@id`, `$NAME`), lexer (nom), statement
//! tree, validation with keepalived's defaults and derivations, and rustc-style diagnostics.
//!
//! The front-end reproduces keepalived 2.2.7's reading of `keepalived.conf` (inventory §1) and
//! its `-t` verdict: every finding carries the `config_err_t` level keepalived would record, so
//! [`Loaded::test_exit_code`] matches `keepalived -t`. Our own extra advice is a
//! [`Severity::Note`] without level and never changes that code.

mod diag;
mod dump;
mod dump_globals;
pub mod dump_routes;
mod dump_track;
pub mod keywords;
mod lexer;
mod script;
mod source;
mod tree;
mod validate;

use std::path::Path;

pub use diag::{Diagnostic, Level, Severity, Span};
pub use dump::dump;
pub(crate) use validate::runtime::valid_name as runtime_name_ok;

use crate::model;

/// How to load a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// For `@id` lines (`-i`); keepalived's default is the host name up to the first dot.
    pub config_id: String,
    /// Check the host as keepalived does at start: interface names exist (in the current
    /// network namespace) and script files exist and are executable. Off in tests.
    pub check_interfaces: bool,
    /// `-e/--all-config`: every `include` gets all of `includea`'s checks (read, match,
    /// wildcard match, brace match), so a missing or unreadable file stops keepalived (exit 6),
    /// and a missing main file is an error (`-t` exits 4). Default off.
    pub all_config: bool,
}

impl Default for LoadOptions {
    /// keepalived's defaults: config-id from the host name, host checks on.
    fn default() -> Self {
        let host = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default();
        let id = host.split('.').next().unwrap_or("").to_string();
        Self {
            config_id: id,
            check_interfaces: true,
            all_config: false,
        }
    }
}

/// The outcome of loading: the model when keepalived would run it, and every diagnostic.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// `Some` exactly when nothing fatal was found (keepalived would run this configuration).
    pub config: Option<model::Config>,
    /// Every finding, in file order, then whole-configuration checks.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// keepalived's `-t` exit code (inventory §5.5): 0 OK; 2 a keyword missing its value;
    /// 4 only "cannot run" errors; 5 any other error or warning; 6 scripts without
    /// `enable_script_security` or a missing `includea` file. A missing main file gives 0,
    /// as in keepalived 2.2.7.
    pub fn test_exit_code(&self) -> i32 {
        diag::test_exit_code(&self.diagnostics)
    }

    /// True when keepalived would refuse to run (its VRRP child exits 2 / not configured 6):
    /// missing parameter, missing `virtual_router_id`, non-existent interface, unreadable
    /// file, duplicate VRID, VRRPv3 without VIP…
    pub fn is_fatal(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Fatal)
    }
}

/// `loaded` as one JSON object for `--config-test --json` (tools, editors, CI):
/// `{"exit_code":N,"fatal":bool,"diagnostics":[{"severity","message","file","line","col",
/// "len","level","help"}…]}`; `file`/`line`/`col`/`len` are `null` for whole-configuration
/// findings, `level` is keepalived's `config_err_t` name or `null`, `help` may be `null`.
pub fn diagnostics_json(loaded: &Loaded) -> String {
    diag::to_json(
        &loaded.diagnostics,
        loaded.test_exit_code(),
        loaded.is_fatal(),
    )
}

/// Loads `path` and everything it includes. The only filesystem access of the front-end
/// (with the host checks of [`LoadOptions::check_interfaces`]).
pub fn load(path: &Path, opts: &LoadOptions) -> Loaded {
    match std::fs::read(path) {
        Ok(bytes) => {
            // Valid UTF-8 (the usual case) is checked in one fast pass and not copied.
            let text = match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            };
            let dir = path.parent().map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            });
            run(&path.display().to_string(), text, dir, opts)
        }
        Err(e) => {
            // keepalived 2.2.7 logs this but records no error: `-t` exits 0; with `-e` it is
            // a file error and `-t` exits 4.
            let d = Diagnostic::new(
                Severity::Fatal,
                opts.all_config.then_some(Level::FileNotFound),
                format!("Config files missing '{}': {e}", path.display()),
            );
            Loaded {
                config: None,
                diagnostics: vec![d],
            }
        }
    }
}

/// The loader tests' way in: `text` as `k.conf`, config id `main`, host checks off (no
/// interface or script lookups, so results do not depend on the machine).
#[cfg(test)]
pub(crate) fn load_test(text: &str) -> Loaded {
    let opts = LoadOptions {
        config_id: "main".into(),
        check_interfaces: false,
        all_config: false,
    };
    load_str("k.conf", text, &opts)
}

#[cfg(test)]
impl Loaded {
    /// The diagnostics' messages in file order: what the loader tests compare.
    pub(crate) fn messages(&self) -> Vec<String> {
        self.diagnostics.iter().map(|d| d.message.clone()).collect()
    }
}

/// Loads a configuration held in memory, named `name` in diagnostics. Relative includes
/// resolve against the directory part of `name`.
pub fn load_str(name: &str, text: &str, opts: &LoadOptions) -> Loaded {
    let dir = Path::new(name)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    run(name, text, dir, opts)
}

fn run(name: &str, text: impl Into<String>, dir: Option<&Path>, opts: &LoadOptions) -> Loaded {
    let mut rep = source::Reporter::default();
    let mut reader = source::Reader::new(&mut rep, &opts.config_id);
    if opts.all_config {
        reader.set_include_check(source::INCLUDE_ALL);
    }
    reader.read_text(name, text, dir);
    let lines = std::mem::take(&mut reader.lines);
    let stmts = tree::build(lines, &mut rep);
    let config = validate::validate(&stmts, &mut rep, opts);
    let loaded = Loaded {
        config: Some(config),
        diagnostics: rep.diags,
    };
    if loaded.is_fatal() {
        return Loaded {
            config: None,
            ..loaded
        };
    }
    loaded
}

#[cfg(test)]
mod tests;
