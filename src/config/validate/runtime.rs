//! The keywords that shape the daemon's surroundings rather than VRRP: the top-level
//! `net_namespace`, `instance` and `use_pid_dir` (keepalived 2.2.7 `global_parser.c`,
//! messages as its handlers word them), and our `vrrp_vip_lifetime` extension in `global_defs`.

use super::super::diag::Severity;
use super::super::tree::Stmt;
use super::Validator;

/// Shortest `vrrp_vip_lifetime`: the MASTER renews a third of the way in, so 3 s gives one
/// renewal a second; anything shorter would race the kernel's once-a-second expiry sweep.
pub(crate) const VIP_LIFETIME_MIN: u64 = 3;
/// Longest: below the kernel's "forever" (`INFINITY_LIFE_TIME`, `u32::MAX`) by a wide margin.
pub(crate) const VIP_LIFETIME_MAX: u64 = i32::MAX as u64;

/// A namespace or instance name becomes a path component (`/run/netns/NAME`,
/// `/run/keepalived/NAME/`, `keepalived_NAME.pid`): one that could leave its directory is
/// refused, where keepalived would use it as written.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}

impl Validator<'_> {
    /// A top-level keyword of this module; false when `stmt` is not one.
    pub(super) fn runtime_top(&mut self, stmt: &Stmt) -> bool {
        let kw = stmt.keyword();
        match kw {
            "net_namespace" | "instance" => {
                let what = kw;
                let Some(t) = stmt.line.words.get(1) else {
                    self.error(&stmt.line.span, format!("{what} name missing - ignoring"));
                    return true;
                };
                let name = t.text.clone();
                if !valid_name(&name) {
                    self.error(
                        &t.span,
                        format!("invalid {what} name '{name}': it names a file, so it cannot be empty, '.', '..' or hold '/'"),
                    );
                    return true;
                }
                let g = &mut self.config.global;
                let slot = if kw == "instance" {
                    &mut g.instance_name
                } else {
                    &mut g.net_namespace
                };
                if slot.is_some() {
                    self.error(
                        &t.span,
                        format!("Duplicate {what} definition {name} - ignoring"),
                    );
                } else {
                    *slot = Some(name);
                    g.use_pid_dir = true;
                }
            }
            "use_pid_dir" => self.config.global.use_pid_dir = true,
            _ => return false,
        }
        true
    }

    /// A `global_defs` keyword of this module; false when `stmt` is not one.
    pub(super) fn runtime_global(&mut self, stmt: &Stmt) -> bool {
        if stmt.keyword() != "vrrp_vip_lifetime" {
            return false;
        }
        let Some(t) = self.arg(stmt, 1) else {
            return true;
        };
        let msg = format!(
            "vrrp_vip_lifetime '{}' is invalid: seconds in [{VIP_LIFETIME_MIN}, {VIP_LIFETIME_MAX}]",
            t.text
        );
        let v = self.uint(t, VIP_LIFETIME_MIN, VIP_LIFETIME_MAX);
        if v.is_none() {
            self.error(&t.span, msg);
        }
        if let Some(v) = v {
            self.config.global.vrrp_vip_lifetime = Some(v as u32);
            let span = stmt.line.span.clone();
            self.rep.at(
                Severity::Note,
                None,
                &span,
                "`vrrp_vip_lifetime` is a keepalived-rs extension: keepalived reports it as an unknown keyword",
            );
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Loaded;

    fn load(text: &str) -> Loaded {
        crate::config::load_test(text)
    }

    #[test]
    fn namespace_instance_and_pid_dir_as_keepalived_reads_them() {
        let l = load("net_namespace blue\ninstance east\nglobal_defs {\n router_id X\n}\n");
        assert!(l.messages().is_empty(), "{:?}", l.messages());
        assert_eq!(l.test_exit_code(), 0);
        let g = &l.config.as_ref().unwrap().global;
        assert_eq!(g.net_namespace.as_deref(), Some("blue"));
        assert_eq!(g.instance_name.as_deref(), Some("east"));
        assert!(g.use_pid_dir, "both imply use_pid_dir");
        let d = crate::config::dump(l.config.as_ref().unwrap());
        assert!(
            d.contains("  net_namespace blue\n") && d.contains("  instance east\n"),
            "{d}"
        );

        let g = load("use_pid_dir\n").config.unwrap().global;
        assert!(g.use_pid_dir && g.net_namespace.is_none() && g.instance_name.is_none());
        let g = load("global_defs {\n router_id X\n}\n")
            .config
            .unwrap()
            .global;
        assert!(!g.use_pid_dir);

        // keepalived's handlers: the first one wins, a missing name is an error, not fatal.
        let l = load("net_namespace blue\nnet_namespace red\ninstance\n");
        assert_eq!(
            l.messages(),
            [
                "Duplicate net_namespace definition red - ignoring",
                "instance name missing - ignoring"
            ]
        );
        assert_eq!(l.test_exit_code(), 5);
        assert_eq!(
            l.config.unwrap().global.net_namespace.as_deref(),
            Some("blue")
        );
        // Inside global_defs they are unknown, as in keepalived.
        let l = load("global_defs {\n net_namespace blue\n}\n");
        assert_eq!(l.messages(), ["Unknown keyword 'net_namespace'"]);
    }

    #[test]
    fn names_that_would_leave_their_directory_are_refused() {
        for bad in ["..", "a/b", "."] {
            let l = load(&format!("net_namespace {bad}\ninstance {bad}\n"));
            let g = &l.config.as_ref().unwrap().global;
            assert!(
                g.net_namespace.is_none() && g.instance_name.is_none(),
                "{bad}"
            );
            assert_eq!(l.messages().len(), 2, "{bad}: {:?}", l.messages());
        }
    }

    #[test]
    fn vip_lifetime_is_an_extension_with_a_range() {
        let l = load("global_defs {\n vrrp_vip_lifetime 30\n}\n");
        assert_eq!(
            l.config.as_ref().unwrap().global.vrrp_vip_lifetime,
            Some(30)
        );
        // Said to be ours, without changing -t's verdict.
        assert!(l.messages()[0].contains("keepalived-rs extension"));
        assert_eq!(l.test_exit_code(), 0);
        assert!(
            crate::config::dump(l.config.as_ref().unwrap()).contains("  vrrp_vip_lifetime 30s\n")
        );
        for bad in ["2", "0", "-5", "x"] {
            let l = load(&format!("global_defs {{\n vrrp_vip_lifetime {bad}\n}}\n"));
            assert_eq!(
                l.config.as_ref().unwrap().global.vrrp_vip_lifetime,
                None,
                "{bad}"
            );
            assert!(
                l.messages()
                    .iter()
                    .any(|m| m.starts_with("vrrp_vip_lifetime '")),
                "{bad}: {:?}",
                l.messages()
            );
        }
        assert_eq!(
            load("global_defs {\n router_id X\n}\n")
                .config
                .unwrap()
                .global
                .vrrp_vip_lifetime,
            None
        );
    }
}
