//! The network namespace the daemon runs in and the names that set one run apart from another
//! (keepalived 2.2.7 `core/namespaces.c`, `core/main.c`): `net_namespace NAME` or `-s NAME`
//! (which wins), entered once at start through `/run/netns/NAME` before any socket is opened;
//! `instance NAME`; the `_NAME` suffixes they give the syslog idents; and the refusal to change
//! either at a reload.

use std::fmt;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use crate::model::Global;

/// Where `ip netns` keeps its named namespaces (keepalived's `RUNSTATEDIR "/netns/"`).
pub const NETNS_DIR: &str = "/run/netns";

/// The namespace and instance names of this run, fixed at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `-s NAME`, else `net_namespace NAME`.
    pub net_namespace: Option<String>,
    /// `instance NAME`.
    pub instance: Option<String>,
    /// `-s NAME` as given: a reload keeps it over the file's `net_namespace`.
    namespace_override: Option<String>,
}

impl Identity {
    /// The names in force for `global` with `-s` (`override_ns`) applied.
    pub fn new(override_ns: Option<&str>, global: &Global) -> Self {
        Self {
            net_namespace: override_ns
                .map(str::to_string)
                .or_else(|| global.net_namespace.clone()),
            instance: global.instance_name.clone(),
            namespace_override: override_ns.map(str::to_string),
        }
    }

    /// `_NAMESPACE_INSTANCE` (each part only when set): what keepalived's
    /// `make_syslog_ident()` appends to `Keepalived` and `Keepalived_vrrp`.
    pub fn ident_suffix(&self) -> String {
        let mut s = String::new();
        for part in [&self.net_namespace, &self.instance].into_iter().flatten() {
            s.push('_');
            s.push_str(part);
        }
        s
    }

    /// keepalived's parent refuses a reload that would change the namespace or the instance
    /// name, and keeps running the old configuration; these are its log lines (empty: go on).
    pub fn reload_refusals(&self, new: &Global) -> Vec<&'static str> {
        let next = Self::new(self.namespace_override.as_deref(), new);
        let mut out = Vec::new();
        if next.net_namespace != self.net_namespace {
            out.push("Cannot change network namespace at a reload - please restart keepalived");
        }
        if next.instance != self.instance {
            out.push("Cannot change instance name at a reload - please restart keepalived");
        }
        out
    }
}

/// Why the namespace could not be entered, worded as keepalived logs it.
#[derive(Debug)]
pub enum EnterError {
    /// `/run/netns/NAME` could not be opened (no such namespace).
    Open(PathBuf),
    /// `setns()` refused it.
    Setns(i32),
}

impl fmt::Display for EnterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open(p) => write!(f, "Failed to open {}", p.display()),
            Self::Setns(errno) => write!(f, "setns() failed with error {errno}"),
        }
    }
}

/// Moves the calling thread into the named network namespace, as keepalived's
/// `set_namespaces()`: the namespace must exist (`ip netns add NAME`); keepalived does not
/// create it. Call before any other thread or socket exists: threads started later inherit it.
pub fn enter(name: &str) -> Result<(), EnterError> {
    let path = PathBuf::from(NETNS_DIR).join(name);
    let file = std::fs::File::open(&path).map_err(|_| EnterError::Open(path.clone()))?;
    // SAFETY: setns takes a valid open descriptor (owned by `file` for the whole call) and a
    // namespace type constant; it changes only this thread's network namespace.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(EnterError::Setns(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(ns: Option<&str>, inst: Option<&str>) -> Global {
        Global {
            net_namespace: ns.map(str::to_string),
            instance_name: inst.map(str::to_string),
            ..Global::default()
        }
    }

    #[test]
    fn suffixes_as_make_syslog_ident() {
        let id = Identity::new(None, &global(Some("blue"), Some("east")));
        assert_eq!(id.ident_suffix(), "_blue_east");
        assert_eq!(
            Identity::new(None, &global(None, Some("east"))).ident_suffix(),
            "_east"
        );
        assert_eq!(Identity::new(None, &global(None, None)).ident_suffix(), "");
        // -s wins over the file.
        let id = Identity::new(Some("red"), &global(Some("blue"), None));
        assert_eq!(id.net_namespace.as_deref(), Some("red"));
        assert_eq!(id.ident_suffix(), "_red");
    }

    #[test]
    fn a_reload_may_not_change_namespace_or_instance() {
        let id = Identity::new(None, &global(Some("blue"), Some("east")));
        assert!(
            id.reload_refusals(&global(Some("blue"), Some("east")))
                .is_empty()
        );
        assert_eq!(
            id.reload_refusals(&global(None, Some("west"))),
            [
                "Cannot change network namespace at a reload - please restart keepalived",
                "Cannot change instance name at a reload - please restart keepalived"
            ]
        );
        // With -s the file's net_namespace does not matter, before or after.
        let id = Identity::new(Some("red"), &global(Some("blue"), None));
        assert!(id.reload_refusals(&global(Some("green"), None)).is_empty());
    }

    #[test]
    fn a_missing_namespace_is_keepalived_s_open_failure() {
        let e = enter("ka-no-such-namespace-for-tests").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Failed to open /run/netns/ka-no-such-namespace-for-tests"
        );
    }
}
