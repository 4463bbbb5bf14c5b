//! keepalived's `check_vrrp_script_security()` at load time (inventory §2.3, §6.2): every
//! `vrrp_script`, `notify*` and notify-FIFO script is checked with
//! [`crate::exec_security::check_script`] for the user it will run as. Scripts that cannot run
//! are dropped (a `vrrp_script` is also untracked, so its instances behave as if it were not
//! tracked); with `enable_script_security`, so are root-run scripts in a path a non-root user
//! could change. Then the `SECURITY VIOLATION` line when scripts run without script security.
//!
//! The checks touch the file system, so they run only with host checks on (`-t` and the daemon;
//! golden tests turn them off and every configured script then counts as present).

use super::Validator;
use crate::config::diag::{Level, Severity};
use crate::exec_security::{self, NotRunnable, Unsafe};
use crate::model::{ScriptCommand, ScriptUser};

/// What happens to one script.
pub(super) enum Verdict {
    /// It runs (perhaps insecurely, when script security is off).
    Run { insecure: bool },
    /// A `</…` test: no file to check, not counted as a script.
    System,
    /// Not run: unsafe with script security on, or a wrong file type in its path.
    Inhibit { insecure: bool },
    /// Not run: missing or inaccessible; `is_script` when the file itself was found.
    NotFound { is_script: bool },
    /// Not run: not executable by its user.
    NotExecutable,
}

impl Verdict {
    pub(super) fn runs(&self) -> bool {
        matches!(self, Self::Run { .. } | Self::System)
    }

    /// keepalived's `SC_ISSCRIPT`: the file exists, so it counts for `SECURITY VIOLATION`.
    pub(super) fn is_script(&self) -> bool {
        match self {
            Self::Run { .. } | Self::Inhibit { .. } | Self::NotExecutable => true,
            Self::NotFound { is_script } => *is_script,
            Self::System => false,
        }
    }

    pub(super) fn insecure(&self) -> bool {
        matches!(
            self,
            Self::Run { insecure: true } | Self::Inhibit { insecure: true }
        )
    }
}

impl Validator<'_> {
    /// The user scripts without their own run as (`get_default_script_user()`): `script_user`,
    /// else `keepalived_script` if that account exists, else the daemon itself.
    pub(super) fn default_script_user(&self) -> Option<ScriptUser> {
        if let Some(u) = &self.config.global.script_user {
            return Some(u.clone());
        }
        let account = ScriptUser {
            user: "keepalived_script".into(),
            group: None,
        };
        super::user_exists(&account).then_some(account)
    }

    /// Checks one command, logging keepalived's lines; rewrites `argv[0]` to the program
    /// keepalived would exec (path search, canonical path) when it runs.
    /// `kind` names the script in keepalived's user messages: `None` for a `vrrp_script`,
    /// else the notify type (`notify`, `vrrp_notify_fifo`).
    pub(super) fn check_command(
        &mut self,
        cmd: &mut ScriptCommand,
        default: Option<&ScriptUser>,
        kind: Option<&str>,
    ) -> Verdict {
        if !self.opts.check_interfaces {
            return Verdict::Run { insecure: false };
        }
        let security = self.config.global.enable_script_security;
        let argv0 = cmd.argv[0].clone();
        if let Some(kind) = kind {
            if cmd.user.is_none() && self.default_user_failed() {
                self.rep.global(
                    Severity::Warning,
                    None,
                    format!("Failed to set default user for {kind} script {argv0} - ignoring"),
                );
                return Verdict::NotFound { is_script: false };
            }
        }
        let user = cmd.user.as_ref().or(default);
        let Some((uid, gid)) = exec_security::script_ids(user) else {
            // notify_script_init() / vrrp_vscript_user_handler(): the script is dropped.
            match kind {
                Some(kind) => self.rep.global(
                    Severity::Warning,
                    None,
                    format!("Invalid user/group for {kind} script {argv0} - ignoring"),
                ),
                None => self.rep.global(
                    Severity::Error,
                    Some(Level::GeneralError),
                    format!("Unable to set uid/gid for script {}", cmd.argv.join(" ")),
                ),
            };
            return Verdict::NotFound { is_script: false };
        };
        match exec_security::check_script(&argv0, uid, gid) {
            Ok(c) if c.system => Verdict::System,
            Ok(c) => {
                if c.from_path_search {
                    self.rep.global(
                        Severity::Warning,
                        None,
                        format!(
                            "WARNING - script `{argv0}` resolved by path search to `{}`. Please specify full path.",
                            c.program
                        ),
                    );
                }
                let insecure = c.insecure.is_some();
                if let Some(u) = &c.insecure {
                    self.report_unsafe(u, security);
                    if security {
                        return Verdict::Inhibit { insecure };
                    }
                }
                cmd.argv[0] = c.program;
                Verdict::Run { insecure }
            }
            Err(e) => {
                self.rep.global(Severity::Warning, None, e.to_string());
                match e {
                    NotRunnable::WrongType(_) => Verdict::Inhibit { insecure: false },
                    NotRunnable::NotExecutable { .. } => Verdict::NotExecutable,
                    NotRunnable::Vanished(_) => Verdict::NotFound { is_script: true },
                    NotRunnable::NotInPath(_)
                    | NotRunnable::PathPermission(_)
                    | NotRunnable::Inaccessible { .. } => Verdict::NotFound { is_script: false },
                }
            }
        }
    }

    /// The script's own user (if any) exists: a missing one was reported on its own.
    fn user_known(&self, cmd: &ScriptCommand) -> bool {
        cmd.user.is_none() || exec_security::script_ids(cmd.user.as_ref()).is_some()
    }

    /// keepalived's line, plus what it does not say: the component, its owner and mode.
    fn report_unsafe(&mut self, u: &Unsafe, disabling: bool) {
        let d = self
            .rep
            .global(Severity::Warning, None, u.keepalived_line(disabling));
        d.help = Some(format!(
            "{u}; a script run as root must not be changeable by another user: make every \
             directory up to / and the file root-owned and not group/other writable, or run \
             it as an unprivileged `script_user`"
        ));
    }

    /// See the module docs. Call once every block is read.
    pub(super) fn script_security(&mut self) {
        let default = self.default_script_user();
        let mut is_script = false;
        let mut insecure = false;
        let mut tally = |v: &Verdict| {
            is_script |= v.is_script();
            insecure |= v.insecure();
        };

        let mut scripts = std::mem::take(&mut self.config.scripts);
        let mut dropped = Vec::new();
        for s in &mut scripts {
            let v = self.check_command(&mut s.command, default.as_ref(), None);
            tally(&v);
            let why = match v {
                Verdict::Inhibit { .. } => "due to insecure",
                Verdict::NotFound { is_script } if is_script || self.user_known(&s.command) => {
                    "since not found/accessible"
                }
                _ => "",
            };
            if !why.is_empty() {
                self.rep.global(
                    Severity::Error,
                    Some(Level::GeneralError),
                    format!("Disabling track script {} {why}", s.name),
                );
            }
            if !v.runs() {
                dropped.push(s.name.clone());
            }
        }
        scripts.retain(|s| !dropped.contains(&s.name));
        self.config.scripts = scripts;

        let mut instances = std::mem::take(&mut self.config.instances);
        for i in &mut instances {
            i.track_scripts.retain(|t| !dropped.contains(&t.name));
            let n = &mut i.notify;
            for (kw, slot) in [
                ("notify_backup", &mut n.backup),
                ("notify_master", &mut n.master),
                ("notify_fault", &mut n.fault),
                ("notify_stop", &mut n.stop),
                ("notify_deleted", &mut n.deleted),
                ("notify", &mut n.generic),
                ("notify_master_rx_lower_pri", &mut n.master_rx_lower_pri),
            ] {
                let Some(cmd) = slot else { continue };
                let v = self.check_command(cmd, default.as_ref(), Some("notify"));
                tally(&v);
                if !v.runs() {
                    self.rep
                        .global(
                            Severity::Note,
                            None,
                            format!("({}) {kw} script {} not run", i.name, cmd.argv[0]),
                        )
                        .help = Some("see the previous message for the reason".into());
                    *slot = None;
                }
            }
        }
        self.config.instances = instances;

        // Sync groups: same rules for their tracked scripts and notify scripts.
        let mut groups = std::mem::take(&mut self.config.sync_groups);
        for g in &mut groups {
            g.track_scripts.retain(|t| !dropped.contains(&t.name));
            let n = &mut g.notify;
            for (kw, slot) in [
                ("notify_backup", &mut n.backup),
                ("notify_master", &mut n.master),
                ("notify_fault", &mut n.fault),
                ("notify_stop", &mut n.stop),
                ("notify", &mut n.generic),
            ] {
                let Some(cmd) = slot else { continue };
                let v = self.check_command(cmd, default.as_ref(), Some("notify"));
                tally(&v);
                if !v.runs() {
                    self.rep
                        .global(
                            Severity::Note,
                            None,
                            format!("({}) {kw} script {} not run", g.name, cmd.argv[0]),
                        )
                        .help = Some("see the previous message for the reason".into());
                    *slot = None;
                }
            }
        }
        self.config.sync_groups = groups;

        // Taken out while checked (check_command borrows self); put back below.
        let mut fifos = [
            self.config.global.notify_fifo.take(),
            self.config.global.vrrp_notify_fifo.take(),
        ];
        for (prefix, fifo) in ["", "vrrp_"].into_iter().zip(fifos.iter_mut()) {
            let Some(f) = fifo else { continue };
            let Some(cmd) = &mut f.script else { continue };
            let kind = format!("{prefix}notify_fifo");
            let v = self.check_command(cmd, default.as_ref(), Some(&kind));
            tally(&v);
            if !v.runs() {
                self.rep.global(
                    Severity::Note,
                    None,
                    format!(
                        "{prefix}notify_fifo_script {} for {} not run",
                        cmd.argv[0], f.path
                    ),
                );
                f.script = None;
            }
        }
        let [all, vrrp] = fifos;
        self.config.global.notify_fifo = all;
        self.config.global.vrrp_notify_fifo = vrrp;

        if is_script && !self.config.global.enable_script_security {
            let d = self.rep.global(
                Severity::Warning,
                Some(Level::SecurityError),
                format!(
                    "SECURITY VIOLATION - scripts are being executed but script_security not enabled.{}",
                    if insecure {
                        " There are insecure scripts."
                    } else {
                        ""
                    }
                ),
            );
            d.help = Some("add `enable_script_security` (and `script_user`) to global_defs".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{LoadOptions, Loaded, load_str};
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    fn load(text: &str) -> Loaded {
        let opts = LoadOptions {
            config_id: "main".into(),
            check_interfaces: true,
            all_config: false,
        };
        load_str("k.conf", text, &opts)
    }

    /// A root-owned scratch dir with a safe script and one in a world-writable subdirectory.
    struct Dir(PathBuf);

    impl Dir {
        fn new(tag: &str) -> Option<Self> {
            if !nix::unistd::geteuid().is_root() {
                eprintln!("skipping: needs root");
                return None;
            }
            let d = std::env::temp_dir().join(format!("ka-rs-scsec-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(d.join("open")).unwrap();
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::set_permissions(d.join("open"), std::fs::Permissions::from_mode(0o777))
                .unwrap();
            for p in ["safe.sh", "open/unsafe.sh"] {
                std::fs::write(d.join(p), "#!/bin/sh\nexit 0\n").unwrap();
                std::fs::set_permissions(d.join(p), std::fs::Permissions::from_mode(0o755))
                    .unwrap();
            }
            Some(Self(d))
        }
        fn p(&self, rel: &str) -> String {
            self.0.join(rel).display().to_string()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn conf(d: &Dir, security: bool) -> String {
        format!(
            "global_defs {{\n{}\n dynamic_interfaces\n script_user root\n vrrp_notify_fifo /run/ka-rs-never.fifo\n \
             vrrp_notify_fifo_script {open}\n}}\n\
             vrrp_script good {{\n script {safe}\n}}\nvrrp_script bad {{\n script {open}\n}}\n\
             vrrp_instance VI_1 {{\n interface ka-rs-none\n virtual_router_id 51\n virtual_ipaddress {{\n  198.51.100.1\n }}\n \
             track_script {{\n  good\n  bad\n }}\n notify_master {safe}\n notify_backup {open}\n \
             notify_master_rx_lower_pri {open}\n}}\n",
            if security {
                "enable_script_security"
            } else {
                ""
            },
            safe = d.p("safe.sh"),
            open = d.p("open/unsafe.sh"),
        )
    }

    #[test]
    fn unsafe_scripts_are_disabled_with_script_security() {
        let Some(d) = Dir::new("on") else { return };
        let l = load(&conf(&d, true));
        let m = l.messages();
        let line = format!(
            "Unsafe permissions found for script '{}' - disabling.",
            d.p("open/unsafe.sh")
        );
        assert!(m.contains(&line), "{m:?}");
        assert!(m.contains(&"Disabling track script bad due to insecure".to_string()));
        // The help names the world-writable directory, its owner and its mode.
        let help = l
            .diagnostics
            .iter()
            .find(|x| x.message == line)
            .and_then(|x| x.help.clone())
            .unwrap();
        assert!(
            help.starts_with(&format!(
                "'{}' (owner uid 0 gid 0, mode 0777) is writable by everybody",
                d.p("open")
            )),
            "{help}"
        );
        let c = l.config.as_ref().unwrap();
        assert_eq!(c.scripts.len(), 1);
        assert_eq!(c.scripts[0].name, "good");
        let i = &c.instances[0];
        assert_eq!(
            i.track_scripts
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            ["good"]
        );
        assert_eq!(i.notify.master.as_ref().unwrap().argv[0], d.p("safe.sh"));
        assert_eq!(i.notify.backup, None);
        assert_eq!(i.notify.master_rx_lower_pri, None);
        assert_eq!(c.global.vrrp_notify_fifo.as_ref().unwrap().script, None);
        assert!(!m.iter().any(|x| x.starts_with("SECURITY VIOLATION")));
        // keepalived's config error for the disabled track script: -t exits 5.
        assert_eq!(l.test_exit_code(), 5);
    }

    #[test]
    fn without_script_security_they_run_and_the_violation_says_so() {
        let Some(d) = Dir::new("off") else { return };
        let l = load(&conf(&d, false));
        let m = l.messages();
        assert!(m.contains(&format!(
            "Unsafe permissions found for script '{}'.",
            d.p("open/unsafe.sh")
        )));
        assert!(m.contains(
            &"SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts."
                .to_string()
        ));
        let c = l.config.as_ref().unwrap();
        assert_eq!(c.scripts.len(), 2);
        assert!(c.instances[0].notify.backup.is_some());
        assert_eq!(l.test_exit_code(), 6);
    }

    #[test]
    fn unknown_users_drop_their_scripts_as_keepalived() {
        let Some(d) = Dir::new("users") else { return };
        let text = format!(
            "global_defs {{\n enable_script_security\n dynamic_interfaces\n script_user root\n}}\n\
             vrrp_script chk {{\n script {safe}\n user ka-rs-no-such-user\n}}\n\
             vrrp_instance VI_1 {{\n interface ka-rs-none\n virtual_router_id 51\n virtual_ipaddress {{\n  198.51.100.1\n }}\n \
             track_script {{\n  chk\n }}\n notify_master {safe} ka-rs-no-such-user\n}}\n",
            safe = d.p("safe.sh")
        );
        let l = load(&text);
        let m = l.messages();
        assert!(
            m.contains(&format!(
                "Unable to set uid/gid for script {}",
                d.p("safe.sh")
            )),
            "{m:?}"
        );
        assert!(m.contains(&format!(
            "Invalid user/group for notify script {} - ignoring",
            d.p("safe.sh")
        )));
        assert!(!m.iter().any(|x| x.contains("since not found")), "{m:?}");
        let c = l.config.as_ref().unwrap();
        assert!(c.scripts.is_empty());
        assert!(c.instances[0].track_scripts.is_empty());
        assert_eq!(c.instances[0].notify.master, None);
    }

    #[test]
    fn missing_and_non_executable_scripts() {
        let Some(d) = Dir::new("missing") else { return };
        std::fs::set_permissions(d.0.join("safe.sh"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let text = format!(
            "global_defs {{\n enable_script_security\n dynamic_interfaces\n script_user root\n}}\n\
             vrrp_instance VI_1 {{\n interface ka-rs-none\n virtual_router_id 51\n virtual_ipaddress {{\n  198.51.100.1\n }}\n \
             notify_master {}\n notify_fault /nonexistent/ka-rs/x.sh\n}}\n",
            d.p("safe.sh")
        );
        let l = load(&text);
        let m = l.messages();
        assert!(m.contains(&format!(
            "WARNING - script '{}' is not executable for uid:gid 0:0 - disabling.",
            d.p("safe.sh")
        )));
        assert!(
            m.contains(
                &"Script /nonexistent/ka-rs/x.sh cannot be accessed - No such file or directory"
                    .to_string()
            )
        );
        let i = &l.config.as_ref().unwrap().instances[0];
        assert_eq!((&i.notify.master, &i.notify.fault), (&None, &None));
        assert_eq!(l.test_exit_code(), 0, "{m:?}");
    }
}
