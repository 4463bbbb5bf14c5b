//! Script security (`enable_script_security`, `script_user`): decides, as keepalived 2.2.7's
//! `check_script_secure()` does, whether a script may run, where its executable really is, and
//! whether a root-run script lives in a path a non-root user could change (inventory §2.3,
//! §6.2; peers.md §4 item 7).
//!
//! It is a leaf module (std, nix and `model` only) beside `exec` rather than inside `track` or
//! `exec` because two sides need the same verdict: `config` (so `-t` reports and drops unsafe
//! scripts as keepalived does, and `config` may not use `exec`), and `exec` itself, which asks
//! again right before a root-run script is started while [`set_enforced`] is on.
//!
//! keepalived's rules, reproduced:
//! * a bare name is searched in `$PATH` (regular file executable by the script's uid/gid);
//! * the path is canonicalised (`realpath`); when the final name differs (a symlink with another
//!   name) the link's name is kept in the canonical directory if it is the same file, and then
//!   both that path and the real file's path are checked;
//! * only scripts that would run with root privileges are path-checked: uid 0 or gid 0, or a
//!   set-uid/set-gid root file;
//! * every prefix of the path, from `/` to the file, is `lstat`ed: each directory and the file
//!   must be owned by root, and no directory without the sticky bit, nor the file, may be
//!   writable by a non-root group or by others. A symlink as the last component only needs a
//!   root owner (its mode means nothing).
//!
//! keepalived only logs `Unsafe permissions found for script '…'`; [`Unsafe`] also names the
//! offending component, its owner and mode, and which rule it breaks.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::model::ScriptUser;

const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_ISVTX: u32 = 0o1000;
const S_IXUSR: u32 = 0o100;
const S_IXGRP: u32 = 0o010;
const S_IXOTH: u32 = 0o001;
const S_IWGRP: u32 = 0o020;
const S_IWOTH: u32 = 0o002;

/// Why a path component makes a root-run script unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeRule {
    /// Owned by a user other than root.
    NotRootOwned,
    /// Group-writable and its group is not root (a directory without the sticky bit, or the
    /// file itself).
    GroupWritable,
    /// Writable by everybody (a directory without the sticky bit, or the file itself).
    WorldWritable,
}

/// The first unsafe component of a script's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsafe {
    /// The path keepalived names in its log line (the script as it will be run, or its real
    /// file when that differs).
    pub script: PathBuf,
    /// The offending component (`/`, a directory, or the file itself).
    pub component: PathBuf,
    /// Its owner.
    pub uid: u32,
    /// Its group.
    pub gid: u32,
    /// Its permission bits (with set-id and sticky bits).
    pub mode: u32,
    /// The rule it breaks.
    pub rule: UnsafeRule,
}

impl Unsafe {
    /// keepalived's log line: `Unsafe permissions found for script '/x.sh' - disabling.`
    /// (without ` - disabling` when `enable_script_security` is off).
    pub fn keepalived_line(&self, disabling: bool) -> String {
        format!(
            "Unsafe permissions found for script '{}'{}.",
            self.script.display(),
            if disabling { " - disabling" } else { "" }
        )
    }
}

impl fmt::Display for Unsafe {
    /// Our detail: which component, its owner and mode, and why that matters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.rule {
            UnsafeRule::NotRootOwned => "is not owned by root",
            UnsafeRule::GroupWritable => "is writable by its non-root group",
            UnsafeRule::WorldWritable => "is writable by everybody",
        };
        write!(
            f,
            "'{}' (owner uid {} gid {}, mode {:04o}) {why}",
            self.component.display(),
            self.uid,
            self.gid,
            self.mode & 0o7777
        )
    }
}

/// Why a script cannot run at all (keepalived's `SC_NOTFOUND`, or `SC_INHIBIT` for a wrong
/// file type). `Display` is keepalived's log line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRunnable {
    /// A bare name not found in `$PATH`.
    #[error("Cannot find script {0} in path - disabling")]
    NotInPath(String),
    /// A bare name found in `$PATH` but not executable by the script's user.
    #[error("Permissions failure for script {0} in path - disabling")]
    PathPermission(String),
    /// `realpath` failed.
    #[error("Script {script} cannot be accessed - {reason}")]
    Inaccessible {
        /// `argv[0]`.
        script: String,
        /// `strerror`.
        reason: String,
    },
    /// A path component could not be `lstat`ed during the security walk.
    #[error("check_script_secure could not find script '{0}' - disabling")]
    Vanished(String),
    /// A non-final component is not a directory, or the file is neither regular nor a symlink.
    #[error("Wrong file type found in script path '{0}'.")]
    WrongType(String),
    /// Not executable by the uid/gid it would run as (keepalived drops it with this warning).
    #[error("WARNING - script '{script}' is not executable for uid:gid {uid}:{gid} - disabling.")]
    NotExecutable {
        /// The path as it would be run.
        script: String,
        /// Script uid.
        uid: u32,
        /// Script gid.
        gid: u32,
    },
}

/// What [`check_script`] found for one runnable script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// What `argv[0]` becomes (keepalived rewrites it): the `$PATH` match of a bare name,
    /// then canonicalised as described in the module docs. Unchanged for `</…` tests.
    pub program: String,
    /// A bare name resolved through `$PATH` (keepalived warns: `Please specify full path`).
    pub from_path_search: bool,
    /// `</…` file-open tests run through `/bin/sh` (keepalived's `SC_SYSTEM`): not checked.
    pub system: bool,
    /// The first unsafe component when the script would run with root privileges. With
    /// `enable_script_security` the script must not run; without, keepalived runs it and
    /// reports ` There are insecure scripts.`
    pub insecure: Option<Unsafe>,
}

/// uid and gid a script runs as: `user` (its group, else its primary group), or the daemon's
/// own when `None`. `None` when the user or group does not exist.
pub fn script_ids(user: Option<&ScriptUser>) -> Option<(u32, u32)> {
    let Some(u) = user else {
        return Some((
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        ));
    };
    let pw = nix::unistd::User::from_name(&u.user).ok().flatten()?;
    let gid = match &u.group {
        None => pw.gid,
        Some(g) => nix::unistd::Group::from_name(g).ok().flatten()?.gid,
    };
    Some((pw.uid.as_raw(), gid.as_raw()))
}

/// keepalived's `is_executable()`: root needs any x bit; the owner needs `u+x`; others are
/// judged by group (`g+x`) or other (`o+x`) bits.
fn is_executable(m: &std::fs::Metadata, uid: u32, gid: u32) -> bool {
    let mode = m.mode();
    (uid == 0 && mode & (S_IXUSR | S_IXGRP | S_IXOTH) != 0)
        || (uid == m.uid() && mode & S_IXUSR != 0)
        || (uid != m.uid()
            && ((gid == m.gid() && mode & S_IXGRP != 0) || (gid != m.gid() && mode & S_IXOTH != 0)))
}

/// `</dev/tcp/…`-style tests: `<`, optional blanks, then `/`.
fn is_system_test(argv0: &str) -> bool {
    argv0
        .strip_prefix('<')
        .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with('/'))
}

/// glibc `execvp`-style search, as keepalived's `find_path()`.
fn find_in_path(name: &str, uid: u32, gid: u32) -> Result<PathBuf, NotRunnable> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
    let mut denied = false;
    for dir in path.as_bytes().split(|&b| b == b':') {
        let dir = if dir.is_empty() {
            Path::new(".")
        } else {
            Path::new(OsStr::from_bytes(dir))
        };
        let candidate = dir.join(name);
        if let Ok(m) = std::fs::metadata(&candidate) {
            if m.is_file() && is_executable(&m, uid, gid) {
                return Ok(candidate);
            }
            denied = true;
        }
    }
    Err(if denied {
        NotRunnable::PathPermission(name.to_owned())
    } else {
        NotRunnable::NotInPath(name.to_owned())
    })
}

/// keepalived's `check_security()`: walks `/`, each directory, then the file, without following
/// symlinks. `Ok(Some(_))` = the first unsafe component.
fn check_path(file: &Path) -> Result<Option<Unsafe>, NotRunnable> {
    let shown = file.display().to_string();
    let mut prefixes: Vec<PathBuf> = file.ancestors().map(Path::to_path_buf).collect();
    prefixes.retain(|p| !p.as_os_str().is_empty());
    prefixes.reverse();
    let last = prefixes.len().saturating_sub(1);
    for (i, p) in prefixes.iter().enumerate() {
        let m = std::fs::symlink_metadata(p).map_err(|_| NotRunnable::Vanished(shown.clone()))?;
        let ft = m.file_type();
        let is_last = i == last;
        if (!is_last && !ft.is_dir()) || (is_last && !ft.is_file() && !ft.is_symlink()) {
            return Err(NotRunnable::WrongType(shown));
        }
        let mode = m.mode();
        let checked_bits = (ft.is_dir() && mode & S_ISVTX == 0) || ft.is_file();
        let rule = if m.uid() != 0 {
            Some(UnsafeRule::NotRootOwned)
        } else if checked_bits && m.gid() != 0 && mode & S_IWGRP != 0 {
            Some(UnsafeRule::GroupWritable)
        } else if checked_bits && mode & S_IWOTH != 0 {
            Some(UnsafeRule::WorldWritable)
        } else {
            None
        };
        if let Some(rule) = rule {
            return Ok(Some(Unsafe {
                script: file.to_path_buf(),
                component: p.clone(),
                uid: m.uid(),
                gid: m.gid(),
                mode,
                rule,
            }));
        }
    }
    Ok(None)
}

/// Checks `argv0` for a script that runs as `uid:gid`, as keepalived's `check_script_secure()`
/// does when loading the configuration (see the module docs). `Err` = it cannot run at all.
pub fn check_script(argv0: &str, uid: u32, gid: u32) -> Result<Checked, NotRunnable> {
    if is_system_test(argv0) {
        return Ok(Checked {
            program: argv0.to_owned(),
            from_path_search: false,
            system: true,
            insecure: None,
        });
    }
    let (given, from_path_search) = if argv0.contains('/') {
        (PathBuf::from(argv0), false)
    } else {
        (find_in_path(argv0, uid, gid)?, true)
    };
    let real = std::fs::canonicalize(&given).map_err(|e| NotRunnable::Inaccessible {
        script: argv0.to_owned(),
        reason: strerror(&e),
    })?;
    // Keep the name the script was called by when it is a symlink to a differently named
    // file in the same place: some programs act on their argv[0].
    let mut program = real.clone();
    let mut real_file: Option<PathBuf> = None;
    if given != real && given.file_name() != real.file_name() {
        if let (Some(dir), Some(name)) = (real.parent(), given.file_name()) {
            let keep = dir.join(name);
            let same = match (std::fs::metadata(&real), std::fs::metadata(&keep)) {
                (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            if same {
                program = keep;
                real_file = Some(real.clone());
            }
        }
    }
    let shown = program.display().to_string();
    let meta = std::fs::metadata(real_file.as_ref().unwrap_or(&program))
        .map_err(|_| NotRunnable::Vanished(shown.clone()))?;
    if !is_executable(&meta, uid, gid) {
        return Err(NotRunnable::NotExecutable {
            script: shown,
            uid,
            gid,
        });
    }
    let mode = meta.mode();
    let privileged = uid == 0
        || gid == 0
        || (meta.uid() == 0 && mode & S_IXUSR != 0 && mode & S_ISUID != 0)
        || (meta.gid() == 0 && mode & S_IXGRP != 0 && mode & S_ISGID != 0);
    let mut insecure = None;
    if privileged {
        insecure = check_path(&program)?;
        if insecure.is_none() {
            if let Some(r) = &real_file {
                insecure = check_path(r)?;
            }
        }
    }
    Ok(Checked {
        program: shown,
        from_path_search,
        system: false,
        insecure,
    })
}

fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    // "No such file or directory (os error 2)" -> keepalived's strerror() text.
    match s.rfind(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Whether `exec` re-checks root-run scripts right before starting them.
static ENFORCED: AtomicBool = AtomicBool::new(false);

/// Turns the pre-exec check on (`enable_script_security`) or off. The daemon sets it when it
/// starts and on every reload. keepalived checks only when loading the configuration; checking
/// again catches a path made unsafe while the daemon runs.
pub fn set_enforced(on: bool) {
    ENFORCED.store(on, Ordering::Relaxed);
}

/// The pre-exec check `exec` calls with the program it is about to run and the ids it will run
/// with: `Err(reason)` when [`set_enforced`] is on and the script is unsafe or gone.
pub fn check_before_exec(program: &Path, uid: u32, gid: u32) -> Result<(), String> {
    pre_exec_verdict(ENFORCED.load(Ordering::Relaxed), program, uid, gid)
}

fn pre_exec_verdict(enforced: bool, program: &Path, uid: u32, gid: u32) -> Result<(), String> {
    if !enforced {
        return Ok(());
    }
    let Some(argv0) = program.to_str() else {
        return Ok(());
    };
    match check_script(argv0, uid, gid) {
        Ok(Checked {
            insecure: Some(u), ..
        }) => Err(format!("{} ({u})", u.keepalived_line(true))),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    /// A root-owned 0755 scratch directory under a root-owned, sticky /tmp-like parent.
    struct Tree(PathBuf);

    impl Tree {
        fn new(tag: &str) -> Option<Self> {
            if !nix::unistd::geteuid().is_root() {
                eprintln!("skipping: script security tests need root (chown)");
                return None;
            }
            use std::sync::atomic::AtomicU32;
            static N: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "ka-rs-sec-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let t = Self(dir);
            t.chmod("", 0o755);
            Some(t)
        }
        fn p(&self, rel: &str) -> PathBuf {
            if rel.is_empty() {
                self.0.clone()
            } else {
                self.0.join(rel)
            }
        }
        fn dir(&self, rel: &str, mode: u32) -> PathBuf {
            std::fs::create_dir_all(self.p(rel)).unwrap();
            self.chmod(rel, mode);
            self.p(rel)
        }
        fn file(&self, rel: &str, mode: u32) -> String {
            std::fs::write(self.p(rel), "#!/bin/sh\nexit 0\n").unwrap();
            self.chmod(rel, mode);
            self.p(rel).display().to_string()
        }
        fn chmod(&self, rel: &str, mode: u32) {
            std::fs::set_permissions(self.p(rel), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        fn chown(&self, rel: &str, uid: u32, gid: u32) {
            std::os::unix::fs::lchown(self.p(rel), Some(uid), Some(gid)).unwrap();
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The temp dir and its parents must be root-safe for the path-walk cases to mean anything.
    fn temp_is_safe(t: &Tree) -> bool {
        let probe = t.file("probe", 0o755);
        let ok = check_path(Path::new(&probe)).is_ok_and(|u| u.is_none());
        if !ok {
            eprintln!("skipping: the temp dir is not root-safe on this host");
        }
        ok
    }

    #[test]
    fn root_owned_tree_is_safe() {
        let Some(t) = Tree::new("ok") else { return };
        if !temp_is_safe(&t) {
            return;
        }
        t.dir("bin", 0o755);
        let s = t.file("bin/ok.sh", 0o755);
        let c = check_script(&s, 0, 0).unwrap();
        assert_eq!(c.program, s);
        assert_eq!(c.insecure, None);
        assert!(!c.system && !c.from_path_search);
    }

    #[test]
    fn names_the_offending_component_owner_and_mode() {
        let Some(t) = Tree::new("dir") else { return };
        if !temp_is_safe(&t) {
            return;
        }
        // A directory owned by uid 1000 in the middle of the path.
        t.dir("home", 0o755);
        t.chown("home", 1000, 1000);
        t.dir("home/sub", 0o755);
        let s = t.file("home/sub/x.sh", 0o755);
        let u = check_script(&s, 0, 0).unwrap().insecure.unwrap();
        assert_eq!(u.component, t.p("home"));
        assert_eq!((u.uid, u.gid, u.mode & 0o7777), (1000, 1000, 0o755));
        assert_eq!(u.rule, UnsafeRule::NotRootOwned);
        assert_eq!(
            u.keepalived_line(true),
            format!("Unsafe permissions found for script '{s}' - disabling.")
        );
        assert_eq!(
            u.to_string(),
            format!(
                "'{}' (owner uid 1000 gid 1000, mode 0755) is not owned by root",
                t.p("home").display()
            )
        );
    }

    #[test]
    fn writable_bits_follow_keepalived_s_rules() {
        let Some(t) = Tree::new("bits") else { return };
        if !temp_is_safe(&t) {
            return;
        }
        // World-writable directory without sticky bit: unsafe.
        t.dir("w", 0o777);
        let s = t.file("w/a.sh", 0o755);
        let u = check_script(&s, 0, 0).unwrap().insecure.unwrap();
        assert_eq!(
            (u.component.clone(), u.rule),
            (t.p("w"), UnsafeRule::WorldWritable)
        );
        // Sticky world-writable directory (like /tmp): fine.
        t.dir("sticky", 0o1777);
        let s = t.file("sticky/b.sh", 0o755);
        assert_eq!(check_script(&s, 0, 0).unwrap().insecure, None);
        // Group-writable file with a non-root group: unsafe; with group root: fine.
        t.dir("g", 0o755);
        let s = t.file("g/c.sh", 0o775);
        t.chown("g/c.sh", 0, 1000);
        let u = check_script(&s, 0, 0).unwrap().insecure.unwrap();
        assert_eq!(
            (u.component.clone(), u.rule),
            (t.p("g/c.sh"), UnsafeRule::GroupWritable)
        );
        t.chown("g/c.sh", 0, 0);
        assert_eq!(check_script(&s, 0, 0).unwrap().insecure, None);
        // World-writable file: unsafe.
        let s = t.file("g/d.sh", 0o757);
        let u = check_script(&s, 0, 0).unwrap().insecure.unwrap();
        assert_eq!(u.rule, UnsafeRule::WorldWritable);
        assert_eq!(u.component, t.p("g/d.sh"));
    }

    #[test]
    fn non_root_scripts_are_not_path_checked_but_must_be_executable() {
        let Some(t) = Tree::new("user") else { return };
        t.dir("w", 0o777);
        let s = t.file("w/a.sh", 0o755);
        // Run as uid/gid 65534: no privilege, so no path walk.
        assert_eq!(check_script(&s, 65534, 65534).unwrap().insecure, None);
        // Owner-only executable file, owned by root: not executable for 65534.
        let s = t.file("w/b.sh", 0o700);
        assert_eq!(
            check_script(&s, 65534, 65534).unwrap_err(),
            NotRunnable::NotExecutable {
                script: s.clone(),
                uid: 65534,
                gid: 65534
            }
        );
        assert_eq!(
            check_script(&s, 65534, 65534).unwrap_err().to_string(),
            format!(
                "WARNING - script '{s}' is not executable for uid:gid 65534:65534 - disabling."
            )
        );
        // gid 0 alone makes a script privileged: the path walk applies.
        let s = t.file("w/c.sh", 0o755);
        assert!(check_script(&s, 65534, 0).unwrap().insecure.is_some());
    }

    #[test]
    fn symlinks_are_resolved_and_both_paths_checked() {
        let Some(t) = Tree::new("link") else { return };
        if !temp_is_safe(&t) {
            return;
        }
        t.dir("real", 0o755);
        let target = t.file("real/impl.sh", 0o755);
        t.dir("links", 0o755);
        // Same name, other directory: the canonical path is run and checked.
        symlink(&target, t.p("links/impl.sh")).unwrap();
        let c = check_script(&t.p("links/impl.sh").display().to_string(), 0, 0).unwrap();
        assert_eq!(c.program, target);
        // Another name in the same directory as the target: that name is kept.
        symlink("impl.sh", t.p("real/alias")).unwrap();
        let c = check_script(&t.p("real/alias").display().to_string(), 0, 0).unwrap();
        assert_eq!(c.program, t.p("real/alias").display().to_string());
        assert_eq!(c.insecure, None);
        // A symlink owned by a non-root user is unsafe, though its mode is 0777.
        t.chown("real/alias", 1000, 1000);
        let u = check_script(&t.p("real/alias").display().to_string(), 0, 0)
            .unwrap()
            .insecure
            .unwrap();
        assert_eq!(u.component, t.p("real/alias"));
        assert_eq!(u.rule, UnsafeRule::NotRootOwned);
        // The link is safe but its target lives in an unsafe directory: found via the real path.
        t.chown("real/alias", 0, 0);
        t.chmod("real", 0o777);
        let u = check_script(&t.p("links/impl.sh").display().to_string(), 0, 0)
            .unwrap()
            .insecure
            .unwrap();
        assert_eq!(u.component, t.p("real"));
    }

    #[test]
    fn missing_scripts_path_search_and_system_tests() {
        assert!(matches!(
            check_script("/nonexistent/dir/x.sh", 0, 0),
            Err(NotRunnable::Inaccessible { .. })
        ));
        assert_eq!(
            check_script("/nonexistent/dir/x.sh", 0, 0)
                .unwrap_err()
                .to_string(),
            "Script /nonexistent/dir/x.sh cannot be accessed - No such file or directory"
        );
        assert_eq!(
            check_script("no-such-command-ka-rs", 0, 0).unwrap_err(),
            NotRunnable::NotInPath("no-such-command-ka-rs".into())
        );
        let sh = check_script("sh", 0, 0).unwrap();
        assert!(sh.from_path_search);
        assert!(sh.program.starts_with('/'), "{}", sh.program);
        let sys = check_script("</dev/tcp/127.0.0.1/80", 0, 0).unwrap();
        assert!(sys.system && sys.insecure.is_none());
    }

    #[test]
    fn wrong_file_type_in_path() {
        let Some(t) = Tree::new("type") else { return };
        t.dir("d", 0o755);
        // A directory named like a script is not runnable.
        t.dir("d/x.sh", 0o755);
        let err = check_path(&t.p("d/x.sh")).unwrap_err();
        assert!(matches!(err, NotRunnable::WrongType(_)), "{err:?}");
    }

    #[test]
    fn pre_exec_check_only_when_enforced() {
        let Some(t) = Tree::new("enf") else { return };
        t.dir("w", 0o777);
        let s = t.file("w/a.sh", 0o755);
        // The switch is process-wide and off in tests; the verdict itself is tested directly.
        assert_eq!(pre_exec_verdict(false, Path::new(&s), 0, 0), Ok(()));
        let err = pre_exec_verdict(true, Path::new(&s), 0, 0).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "Unsafe permissions found for script '{s}' - disabling. ('"
            )),
            "{err}"
        );
        // Not privileged: allowed even when enforced.
        assert_eq!(pre_exec_verdict(true, Path::new(&s), 65534, 65534), Ok(()));
        // Gone since load time.
        assert!(pre_exec_verdict(true, Path::new("/nonexistent/x"), 0, 0).is_err());
    }
}
