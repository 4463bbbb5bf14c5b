//! The only place that spawns processes: `vrrp_script` checks and `notify*` scripts are run the
//! way keepalived's `system_call_script()` runs them (inventory §3.1, §6.2).
//!
//! * `fork` + `execve(argv[0], argv, environ)`: no shell, no `$PATH` search at exec time
//!   (a bare name is resolved against `$PATH` first, as keepalived does when loading the config).
//! * stdin, stdout and stderr are `/dev/null`; no other descriptor survives (`O_CLOEXEC`).
//! * the child is its own process-group leader (`setpgid(0, 0)`) so a timeout kills everything
//!   the script started; it gets `PR_SET_PDEATHSIG = SIGTERM` so it dies with the daemon.
//! * uid/gid of the script user (else the daemon's own), supplementary groups reduced to the
//!   primary group when running as root; umask and working directory inherited.
//! * environment inherited minus `IFS`, `LD_PRELOAD`, `LD_LIBRARY_PATH` (keepalived ≥ 2.3).
//!
//! **Exec failures count as exit status 0.** keepalived's child logs
//! `Error exec-ing command '…', error N: …` and calls `exit(0)` when `execve` (or dropping
//! privileges) fails, so a script file without `#!` (ENOEXEC) is a *successful* check in
//! keepalived 2.2.7 built without libmagic (inventory §11 trap 6). [`run`] reproduces this: the
//! failure is logged and the result is [`Outcome::Exited`]`(0)`. Rust's `Command` would instead run
//! such a file through `/bin/sh` (glibc `execvp`), which is why the child calls `execve` itself.
//!
//! Every child is reaped: [`run`] waits for it, [`spawn_detached`] leaves a tokio task waiting.

use std::ffi::{CString, OsString};
use std::future::Future;
use std::io;
use std::os::raw::c_char;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use crate::model::ScriptUser;

/// How long a process group gets between our SIGTERM and the first SIGKILL (keepalived: 2 s).
const TERM_GRACE: Duration = Duration::from_secs(2);
/// Interval between SIGKILLs to a process group that refuses to die (keepalived: 10 s).
const KILL_REPEAT: Duration = Duration::from_secs(10);
/// Environment variables keepalived ≥ 2.3 removes before exec (`system_call_script()`).
const UNSAFE_ENV: [&str; 3] = ["IFS", "LD_PRELOAD", "LD_LIBRARY_PATH"];
/// The account keepalived runs scripts as when `script_user` is not set, if it exists.
const DEFAULT_SCRIPT_ACCOUNT: &str = "keepalived_script";
/// Added to an errno to tell "execve/setuid failed in the child" apart from a failed fork in
/// the `io::Error` std hands back from `spawn` (std forwards the raw code unchanged).
const CHILD_EXEC_ERRNO_BASE: i32 = 0x4b00_0000;

/// The nice value every child is given back (`i32::MIN` = leave it).
static CHILD_NICE: AtomicI32 = AtomicI32::new(i32::MIN);
/// Whether children get back [`CHILD_RTTIME_CUR`] / [`CHILD_RTTIME_MAX`] as `RLIMIT_RTTIME`.
static CHILD_RTTIME_SET: AtomicBool = AtomicBool::new(false);
static CHILD_RTTIME_CUR: AtomicU64 = AtomicU64::new(0);
static CHILD_RTTIME_MAX: AtomicU64 = AtomicU64::new(0);

/// What a script gets back of the daemon's own scheduling, as keepalived's children do in
/// `reset_process_priorities()`: the nice value and `RLIMIT_RTTIME` the daemon had before
/// `vrrp_priority` / `vrrp_rt_priority` changed them (`None` = unchanged). A real-time policy
/// needs nothing here: it is set with `SCHED_RESET_ON_FORK`.
pub fn set_child_resets(nice: Option<i32>, rttime: Option<(u64, u64)>) {
    CHILD_NICE.store(nice.unwrap_or(i32::MIN), Ordering::Relaxed);
    if let Some((cur, max)) = rttime {
        CHILD_RTTIME_CUR.store(cur, Ordering::Relaxed);
        CHILD_RTTIME_MAX.store(max, Ordering::Relaxed);
    }
    CHILD_RTTIME_SET.store(rttime.is_some(), Ordering::Relaxed);
}

/// What to run and how.
#[derive(Debug, Clone, Copy)]
pub struct ExecSpec<'a> {
    /// argv; `argv[0]` is the program (absolute path, or a bare name looked up in `$PATH`).
    pub argv: &'a [String],
    /// Run as this user (and group); `None` = the daemon's own uid/gid.
    pub user: Option<&'a ScriptUser>,
    /// Kill the process group when it runs longer than this (SIGTERM, SIGKILL 2 s later, again
    /// every 10 s). `None` = never.
    pub timeout: Option<Duration>,
}

/// How a process run by [`run`] ended, classified as keepalived's `vrrp_script_child_thread()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exited normally with this status (also `0` when `execve` failed, see module docs; also a
    /// script that caught our SIGTERM and exited by itself).
    Exited(i32),
    /// Killed by this signal, not sent by us.
    Signaled(i32),
    /// The timeout expired and the process died from our SIGTERM/SIGKILL.
    TimedOut,
    /// No process was started (bad argv, unknown user, fork failure); no result at all.
    SpawnFailed(String),
}

/// Why a process could not be started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `argv` is empty.
    #[error("empty command")]
    EmptyArgv,
    /// An argument or environment entry contains a NUL byte.
    #[error("argument contains a NUL byte: {0:?}")]
    NulByte(String),
    /// The script user does not exist.
    #[error("script user '{0}' does not exist")]
    UnknownUser(String),
    /// The script group does not exist.
    #[error("script group '{0}' does not exist")]
    UnknownGroup(String),
    /// `enable_script_security`: the script would run with root privileges from a path a
    /// non-root user can change, or it is gone (checked again right before each run, see
    /// [`crate::exec_security::set_enforced`]). The text says why.
    #[error("{0}")]
    Insecure(String),
    /// Not called from within a tokio runtime.
    #[error("no tokio runtime to supervise the child")]
    NoRuntime,
    /// `fork` (or setting up stdio) failed.
    #[error("cannot spawn '{program}': {source}")]
    Spawn {
        /// `argv[0]`.
        program: String,
        /// The OS error.
        source: io::Error,
    },
    /// The child was forked but `execve` (or dropping privileges) failed; keepalived's child
    /// exits 0 in that case.
    #[error("Error exec-ing command '{program}', error {errno}: {source}")]
    Exec {
        /// `argv[0]`.
        program: String,
        /// The errno of the failed call.
        errno: i32,
        /// The same errno as an error.
        source: io::Error,
    },
}

/// Everything the child needs, built in the parent because only async-signal-safe calls are
/// allowed between `fork` and `execve`.
struct Prepared {
    program: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
    uid: libc::uid_t,
    gid: libc::gid_t,
}

/// NULL-terminated pointer arrays into a [`Prepared`], moved into the `pre_exec` closure.
struct ExecPtrs {
    _owner: Prepared,
    program: *const c_char,
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    uid: libc::uid_t,
    gid: libc::gid_t,
}

// SAFETY: the pointers point into `_owner`'s heap buffers, which move with the struct and are
// never mutated; the closure holding it only reads them.
unsafe impl Send for ExecPtrs {}
unsafe impl Sync for ExecPtrs {}

impl ExecPtrs {
    fn new(p: Prepared) -> Self {
        let program = p.program.as_ptr();
        let argv = p
            .argv
            .iter()
            .map(|a| a.as_ptr())
            .chain([std::ptr::null()])
            .collect();
        let envp = p
            .envp
            .iter()
            .map(|a| a.as_ptr())
            .chain([std::ptr::null()])
            .collect();
        Self {
            program,
            argv,
            envp,
            uid: p.uid,
            gid: p.gid,
            _owner: p,
        }
    }

    /// Runs in the forked child: only async-signal-safe calls, no allocation.
    fn child_exec(&self) -> io::Result<()> {
        let fail = || {
            let errno = io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL);
            Err(io::Error::from_raw_os_error(CHILD_EXEC_ERRNO_BASE + errno))
        };
        // SAFETY: plain syscalls on values owned by `self`; the arrays are NULL-terminated.
        unsafe {
            // Before dropping privileges: lowering the nice value needs them. Failures are
            // ignored (keepalived only logs them).
            let nice = CHILD_NICE.load(Ordering::Relaxed);
            if nice != i32::MIN {
                libc::setpriority(libc::PRIO_PROCESS, 0, nice);
            }
            if CHILD_RTTIME_SET.load(Ordering::Relaxed) {
                let lim = libc::rlimit {
                    rlim_cur: CHILD_RTTIME_CUR.load(Ordering::Relaxed),
                    rlim_max: CHILD_RTTIME_MAX.load(Ordering::Relaxed),
                };
                libc::setrlimit(libc::RLIMIT_RTTIME, &lim);
            }
            if self.gid != libc::getgid() && libc::setgid(self.gid) != 0 {
                return fail();
            }
            // Only root may shrink the supplementary groups; keepalived always runs as root,
            // a non-root daemon (tests) just keeps its own.
            if libc::geteuid() == 0 && libc::setgroups(1, &self.gid) != 0 {
                return fail();
            }
            if self.uid != libc::getuid() && libc::setuid(self.uid) != 0 {
                return fail();
            }
            // keepalived closes every descriptor above 2 in the child (close_range). Marking
            // them close-on-exec instead has the same effect on a successful exec, and keeps
            // std's error pipe working should execve fail. Crates that open fds without
            // O_CLOEXEC (netlink sockets, pipes) can then never leak into a script.
            libc::close_range(
                3,
                libc::c_uint::MAX,
                libc::CLOSE_RANGE_CLOEXEC as libc::c_int,
            );
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGTERM as libc::c_ulong,
                0,
                0,
                0,
            );
            libc::execve(self.program, self.argv.as_ptr(), self.envp.as_ptr());
        }
        fail()
    }
}

fn cstring(s: impl Into<Vec<u8>>) -> Result<CString, Error> {
    CString::new(s).map_err(|e| Error::NulByte(String::from_utf8_lossy(&e.into_vec()).into_owned()))
}

/// Resolves `user` to (uid, gid): the group is the named one, else the user's primary group.
fn resolve_user(user: Option<&ScriptUser>) -> Result<(libc::uid_t, libc::gid_t), Error> {
    let Some(u) = user else {
        // SAFETY: getuid/getgid cannot fail.
        return Ok(unsafe { (libc::getuid(), libc::getgid()) });
    };
    let pw = nix::unistd::User::from_name(&u.user)
        .ok()
        .flatten()
        .ok_or_else(|| Error::UnknownUser(u.user.clone()))?;
    let gid = match &u.group {
        None => pw.gid,
        Some(g) => {
            nix::unistd::Group::from_name(g)
                .ok()
                .flatten()
                .ok_or_else(|| Error::UnknownGroup(g.clone()))?
                .gid
        }
    };
    Ok((pw.uid.as_raw(), gid.as_raw()))
}

/// A bare program name is looked up in `$PATH` (keepalived does this once at load time and
/// warns); a name containing `/` is used as is.
fn resolve_program(argv0: &str) -> PathBuf {
    if argv0.contains('/') {
        return PathBuf::from(argv0);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(argv0);
        if is_executable(&candidate) {
            return candidate;
        }
    }
    PathBuf::from(argv0)
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn prepare(spec: &ExecSpec<'_>) -> Result<Prepared, Error> {
    let argv0 = spec.argv.first().ok_or(Error::EmptyArgv)?;
    let (uid, gid) = resolve_user(spec.user)?;
    let resolved = resolve_program(argv0);
    crate::exec_security::check_before_exec(&resolved, uid, gid).map_err(Error::Insecure)?;
    let program = cstring(resolved.into_os_string().into_vec())?;
    let argv = spec
        .argv
        .iter()
        .map(|a| cstring(a.as_bytes()))
        .collect::<Result<_, _>>()?;
    let envp = script_env(std::env::vars_os())?;
    Ok(Prepared {
        program,
        argv,
        envp,
        uid,
        gid,
    })
}

/// A script's environment: the daemon's, less what keepalived ≥ 2.3 strips (`UNSAFE_ENV`).
fn script_env(vars: impl Iterator<Item = (OsString, OsString)>) -> Result<Vec<CString>, Error> {
    vars.filter(|(k, _)| !UNSAFE_ENV.iter().any(|u| k.as_bytes() == u.as_bytes()))
        .map(|(k, v)| {
            let mut kv: OsString = k;
            kv.push("=");
            kv.push(v);
            cstring(kv.into_vec())
        })
        .collect()
}

fn spawn_child(spec: &ExecSpec<'_>) -> Result<tokio::process::Child, Error> {
    let prepared = prepare(spec)?;
    let program = spec.argv[0].clone();
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(Error::NoRuntime);
    }
    let ptrs = ExecPtrs::new(prepared);
    let mut cmd = tokio::process::Command::new(&program);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(false);
    // SAFETY: `child_exec` only makes async-signal-safe syscalls and allocates nothing.
    unsafe {
        cmd.pre_exec(move || ptrs.child_exec());
    }
    cmd.spawn().map_err(|e| match e.raw_os_error() {
        Some(code) if code >= CHILD_EXEC_ERRNO_BASE => {
            let errno = code - CHILD_EXEC_ERRNO_BASE;
            Error::Exec {
                program,
                errno,
                source: io::Error::from_raw_os_error(errno),
            }
        }
        _ => Error::Spawn { program, source: e },
    })
}

/// Where a supervised child is in keepalived's kill sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    /// SIGTERM sent to the group.
    Requesting,
    /// SIGKILL sent to the group.
    Forcing,
}

/// Sends `sig` to the process group `pgid`; false when the group no longer exists.
fn kill_group(pgid: i32, sig: libc::c_int) -> bool {
    // SAFETY: kill(2) with a negative pid addresses the process group we created.
    unsafe { libc::kill(-pgid, sig) == 0 }
}

fn classify(status: io::Result<ExitStatus>, phase: Phase, pgid: i32) -> Outcome {
    let status = match status {
        Ok(s) => s,
        Err(e) => return Outcome::SpawnFailed(format!("wait failed: {e}")),
    };
    if let Some(code) = status.code() {
        return Outcome::Exited(code);
    }
    let sig = status.signal().unwrap_or(0);
    if phase == Phase::Requesting && sig == libc::SIGTERM {
        // The leader obeyed our SIGTERM; make sure whatever it started goes too.
        kill_group(pgid, libc::SIGKILL);
    }
    let ours = (phase == Phase::Requesting && sig == libc::SIGTERM)
        || (phase == Phase::Forcing && (sig == libc::SIGKILL || sig == libc::SIGTERM));
    if ours {
        Outcome::TimedOut
    } else {
        Outcome::Signaled(sig)
    }
}

/// Waits for `child`, enforcing `timeout` with keepalived's kill sequence.
async fn supervise(
    mut child: tokio::process::Child,
    timeout: Option<Duration>,
    kill_on_drop: bool,
) -> Outcome {
    let Some(pgid) = child.id().map(|p| p as i32) else {
        return classify(child.wait().await, Phase::Running, 0);
    };
    // Declared after `child`, so it runs before the child is dropped (and possibly reaped):
    // the process group id cannot have been reused yet.
    let mut guard = GroupGuard {
        pgid,
        armed: kill_on_drop,
    };
    let outcome = wait_with_timeout(&mut child, pgid, timeout).await;
    guard.armed = false;
    outcome
}

/// SIGKILLs a process group when the future waiting for its leader is dropped unfinished
/// (a runner stopped at reload or shutdown must not leave its check script behind).
struct GroupGuard {
    pgid: i32,
    armed: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            kill_group(self.pgid, libc::SIGKILL);
        }
    }
}

async fn wait_with_timeout(
    child: &mut tokio::process::Child,
    pgid: i32,
    timeout: Option<Duration>,
) -> Outcome {
    let Some(limit) = timeout else {
        return classify(child.wait().await, Phase::Running, pgid);
    };
    if let Ok(status) = tokio::time::timeout(limit, child.wait()).await {
        return classify(status, Phase::Running, pgid);
    }
    let mut phase = Phase::Requesting;
    kill_group(pgid, libc::SIGTERM);
    let mut wait = TERM_GRACE;
    loop {
        if let Ok(status) = tokio::time::timeout(wait, child.wait()).await {
            return classify(status, phase, pgid);
        }
        if phase == Phase::Forcing {
            tracing::info!("Script child (PID {pgid}) failed to terminate after kill");
            wait = KILL_REPEAT;
        }
        phase = Phase::Forcing;
        kill_group(pgid, libc::SIGKILL);
    }
}

/// Runs `spec` to completion and classifies how it ended (inventory §3.1).
///
/// fork+exec `argv[0]` directly (no shell), stdin/stdout/stderr `/dev/null`, own process group
/// (`setpgid(0, 0)`), uid/gid of `user` (else the daemon's), umask inherited. On timeout: SIGTERM
/// to the process group, SIGKILL 2 s later if still alive, then every 10 s. An `execve` failure
/// (e.g. a file without `#!`) is logged and reported as `Exited(0)`, as keepalived does.
/// Dropping the future before it resolves SIGKILLs the process group.
/// Must be awaited inside a tokio runtime.
pub async fn run(spec: ExecSpec<'_>) -> Outcome {
    match spawn_child(&spec) {
        Ok(child) => supervise(child, spec.timeout, true).await,
        Err(e @ Error::Exec { .. }) => {
            tracing::error!("{e}");
            Outcome::Exited(0)
        }
        Err(e) => Outcome::SpawnFailed(e.to_string()),
    }
}

/// Fire and forget (notify scripts): spawns `spec`, leaves a tokio task that reaps the child
/// (applying `spec.timeout` if any), and returns the child's pid at once.
///
/// An `execve` failure is logged here (keepalived's child logs it) and returned as
/// [`Error::Exec`]; callers need not log it again. Must be called inside a tokio runtime.
pub fn spawn_detached(spec: ExecSpec<'_>) -> Result<u32, Error> {
    let child = spawn_child(&spec).inspect_err(|e| {
        if matches!(e, Error::Exec { .. }) {
            tracing::error!("{e}");
        }
    })?;
    let pid = child.id().unwrap_or(0);
    tokio::spawn(supervise(child, spec.timeout, false));
    Ok(pid)
}

/// The user scripts without their own `user` run as (keepalived's `get_default_script_user()`):
/// `script_user` if configured, else the `keepalived_script` account if it exists, else `None`
/// (the daemon's own uid/gid, normally root). Pass the result as `default_user` to the runners.
pub fn default_script_user(script_user: Option<&ScriptUser>) -> Option<ScriptUser> {
    if let Some(u) = script_user {
        return Some(u.clone());
    }
    match nix::unistd::User::from_name(DEFAULT_SCRIPT_ACCOUNT) {
        Ok(Some(_)) => Some(ScriptUser {
            user: DEFAULT_SCRIPT_ACCOUNT.to_owned(),
            group: None,
        }),
        _ => None,
    }
}

/// Starts `spec` now and returns a future that reaps it, sending SIGKILL to its process group
/// if it is still running after `grace` (`spec.timeout` is ignored). This is how keepalived
/// runs `notify_stop` at shutdown (`child_killed_thread()`: 1 s, then SIGKILL, no SIGTERM) so
/// that the daemon can wait for it before exiting. Errors as [`spawn_detached`].
pub fn spawn_kill_after(
    spec: ExecSpec<'_>,
    grace: Duration,
) -> Result<impl Future<Output = Outcome> + Send + 'static, Error> {
    let mut child = spawn_child(&spec).inspect_err(|e| {
        if matches!(e, Error::Exec { .. }) {
            tracing::error!("{e}");
        }
    })?;
    let pgid = child.id().map_or(0, |p| p as i32);
    Ok(async move {
        if let Ok(status) = tokio::time::timeout(grace, child.wait()).await {
            return classify(status, Phase::Running, pgid);
        }
        if pgid > 0 {
            kill_group(pgid, libc::SIGKILL);
        }
        classify(child.wait().await, Phase::Forcing, pgid)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A private scratch directory removed on drop.
    pub(crate) struct Scratch(pub PathBuf);

    impl Scratch {
        pub(crate) fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "ka-rs-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            Self(dir)
        }

        /// Writes an executable file and returns its path as a string.
        pub(crate) fn script(&self, name: &str, body: &str) -> String {
            let p = self.0.join(name);
            std::fs::write(&p, body).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p.to_string_lossy().into_owned()
        }

        pub(crate) fn path(&self, name: &str) -> String {
            self.0.join(name).to_string_lossy().into_owned()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    async fn run_argv(words: &[&str], timeout: Option<Duration>) -> Outcome {
        let a = argv(words);
        run(ExecSpec {
            argv: &a,
            user: None,
            timeout,
        })
        .await
    }

    /// Polls for a file written by a detached child; bounded (10 s).
    pub(crate) async fn wait_for_file(path: &str) -> String {
        for _ in 0..200 {
            if let Ok(s) = std::fs::read_to_string(path) {
                if s.ends_with('\n') {
                    return s;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{path} never written");
    }

    fn process_alive(pid: i32) -> bool {
        // A zombie still answers kill(0); look at its state instead.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(s) => !s
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z'),
            Err(_) => false,
        }
    }

    #[tokio::test]
    async fn exit_codes_are_reported() {
        let d = Scratch::new("exec");
        let s = d.script("code.sh", "#!/bin/sh\nexit \"$1\"\n");
        assert_eq!(run_argv(&[&s, "0"], None).await, Outcome::Exited(0));
        assert_eq!(run_argv(&[&s, "3"], None).await, Outcome::Exited(3));
        assert_eq!(run_argv(&["/bin/false"], None).await, Outcome::Exited(1));
        // A bare name is found in $PATH.
        assert_eq!(run_argv(&["true"], None).await, Outcome::Exited(0));
    }

    #[tokio::test]
    async fn foreign_signal_is_signaled_not_timed_out() {
        let d = Scratch::new("exec");
        let s = d.script("selfkill.sh", "#!/bin/sh\nkill -USR1 $$\nsleep 5\n");
        assert_eq!(
            run_argv(&[&s], Some(Duration::from_secs(20))).await,
            Outcome::Signaled(libc::SIGUSR1)
        );
    }

    #[tokio::test]
    async fn timeout_sends_term() {
        let d = Scratch::new("exec");
        let s = d.script("hang.sh", "#!/bin/sh\nexec sleep 30\n");
        assert_eq!(
            run_argv(&[&s], Some(Duration::from_millis(200))).await,
            Outcome::TimedOut
        );
    }

    #[tokio::test]
    async fn timeout_escalates_to_kill_when_term_is_trapped() {
        let d = Scratch::new("exec");
        let marker = d.path("trapped");
        let s = d.script(
            "trap.sh",
            &format!("#!/bin/sh\ntrap 'echo term >> {marker}' TERM\nwhile :; do sleep 0.1; done\n"),
        );
        assert_eq!(
            run_argv(&[&s], Some(Duration::from_millis(1000))).await,
            Outcome::TimedOut
        );
        // The script saw the TERM (and survived it), so the KILL is what ended it.
        assert!(std::fs::read_to_string(&marker).unwrap().contains("term"));
    }

    #[tokio::test]
    async fn script_that_exits_on_term_reports_its_status() {
        let d = Scratch::new("exec");
        let s = d.script(
            "exit3.sh",
            "#!/bin/sh\ntrap 'exit 3' TERM\nwhile :; do sleep 0.1; done\n",
        );
        assert_eq!(
            run_argv(&[&s], Some(Duration::from_millis(1000))).await,
            Outcome::Exited(3)
        );
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_process_group() {
        let d = Scratch::new("exec");
        let pidfile = d.path("child.pid");
        // The script starts a grandchild that ignores nothing, records its pid, and waits.
        let s = d.script(
            "tree.sh",
            &format!("#!/bin/sh\nsleep 30 &\necho $! > {pidfile}\nwait\n"),
        );
        assert_eq!(
            run_argv(&[&s], Some(Duration::from_millis(1000))).await,
            Outcome::TimedOut
        );
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let mut alive = true;
        for _ in 0..100 {
            alive = process_alive(pid);
            if !alive {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!alive, "grandchild {pid} survived the timeout");
    }

    /// keepalived ≥ 2.3 strips IFS, LD_PRELOAD and LD_LIBRARY_PATH; everything else (PATH,
    /// HOME, the user's own variables) reaches the script unchanged, in order.
    #[test]
    fn script_env_strips_only_the_unsafe_variables() {
        let vars = [
            ("PATH", "/usr/bin:/bin"),
            ("IFS", " "),
            ("LD_PRELOAD", "/tmp/evil.so"),
            ("MY_VAR", "a=b c"),
            ("LD_LIBRARY_PATH", "/tmp"),
            ("LD_PRELOAD_NOT", "kept"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let env = script_env(vars.into_iter()).unwrap();
        let env: Vec<&str> = env.iter().map(|c| c.to_str().unwrap()).collect();
        assert_eq!(
            env,
            ["PATH=/usr/bin:/bin", "MY_VAR=a=b c", "LD_PRELOAD_NOT=kept"]
        );
    }

    /// A script inherits the daemon's umask (keepalived sets none of its own for scripts).
    #[tokio::test]
    async fn script_inherits_the_daemon_umask() {
        let d = Scratch::new("exec");
        let out = d.path("umask");
        let s = d.script("umask.sh", &format!("#!/bin/sh\numask > {out}\n"));
        assert_eq!(run_argv(&[&s], None).await, Outcome::Exited(0));
        // Read the process umask without changing it for good (umask() can only be read by
        // setting it; put straight back).
        let mask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
        nix::sys::stat::umask(mask);
        let got = std::fs::read_to_string(&out).unwrap();
        assert_eq!(got.trim(), format!("{:04o}", mask.bits()));
    }

    #[tokio::test]
    async fn own_process_group_and_devnull_stdio() {
        let d = Scratch::new("exec");
        let out = d.path("out");
        // `$(…)` runs in a subshell but `$$` still names the script, whose fds are untouched.
        let s = d.script(
            "probe.sh",
            &format!(
                "#!/bin/sh\npid=$$\npgid=$(cut -d' ' -f5 /proc/$pid/stat)\n\
                 fds=$(for f in /proc/$pid/fd/*; do echo \"${{f##*/}}=$(readlink $f)\"; done)\n\
                 printf '%s\\n%s\\n%s\\n' \"$pid\" \"$pgid\" \"$fds\" > {out}\n"
            ),
        );
        assert_eq!(run_argv(&[&s], None).await, Outcome::Exited(0));
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], lines[0], "script must lead its own process group");
        let fds: Vec<(&str, &str)> = lines[2..]
            .iter()
            .map(|l| l.split_once('=').unwrap())
            .collect();
        for want in ["0", "1", "2"] {
            assert!(
                fds.contains(&(want, "/dev/null")),
                "fd {want} not /dev/null: {fds:?}"
            );
        }
        // Anything else is the shell's own doing (its substitution pipe, its saved copy of a
        // standard fd, the script it reads), never a descriptor inherited from the daemon.
        for (fd, target) in &fds {
            assert!(
                *target == "/dev/null" || target.starts_with("pipe:") || *target == s,
                "leaked fd {fd} -> {target}"
            );
        }
    }

    #[tokio::test]
    async fn file_without_shebang_counts_as_success() {
        let d = Scratch::new("exec");
        let marker = d.path("ran");
        let s = d.script("noshebang", &format!("echo ran > {marker}\nexit 1\n"));
        // keepalived 2.2.7 (no libmagic): execve fails with ENOEXEC, the child exits 0.
        assert_eq!(run_argv(&[&s], None).await, Outcome::Exited(0));
        assert!(
            !Path::new(&marker).exists(),
            "must not be run through a shell"
        );
        let a = argv(&[&s]);
        let e = spawn_detached(ExecSpec {
            argv: &a,
            user: None,
            timeout: None,
        })
        .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Exec {
                    errno: libc::ENOEXEC,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn bad_specs_fail_to_spawn() {
        assert!(matches!(run_argv(&[], None).await, Outcome::SpawnFailed(_)));
        let a = argv(&["/bin/true"]);
        let nobody = ScriptUser {
            user: "no-such-user-ka-rs".into(),
            group: None,
        };
        let out = run(ExecSpec {
            argv: &a,
            user: Some(&nobody),
            timeout: None,
        })
        .await;
        assert!(matches!(out, Outcome::SpawnFailed(ref m) if m.contains("no-such-user-ka-rs")));
    }

    #[tokio::test]
    async fn runs_as_the_script_user() {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipping: not root, cannot switch user");
            return;
        }
        let Ok(Some(nobody)) = nix::unistd::User::from_name("nobody") else {
            eprintln!("skipping: no 'nobody' account");
            return;
        };
        let d = Scratch::new("exec");
        let out = d.path("id");
        std::fs::set_permissions(&d.0, std::fs::Permissions::from_mode(0o777)).unwrap();
        let s = d.script(
            "id.sh",
            &format!("#!/bin/sh\necho $(id -u) $(id -g) > {out}\n"),
        );
        let a = argv(&[&s]);
        let user = ScriptUser {
            user: "nobody".into(),
            group: None,
        };
        let o = run(ExecSpec {
            argv: &a,
            user: Some(&user),
            timeout: None,
        })
        .await;
        assert_eq!(o, Outcome::Exited(0));
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text.trim(), format!("{} {}", nobody.uid, nobody.gid));
    }

    #[tokio::test]
    async fn kill_after_grace_kills_the_group() {
        let d = Scratch::new("exec");
        let s = d.script("hang.sh", "#!/bin/sh\ntrap '' TERM\nexec sleep 30\n");
        let a = argv(&[&s]);
        let spec = ExecSpec {
            argv: &a,
            user: None,
            timeout: None,
        };
        let fut = spawn_kill_after(spec, Duration::from_millis(200)).unwrap();
        let out = tokio::time::timeout(Duration::from_secs(10), fut)
            .await
            .unwrap();
        assert_eq!(out, Outcome::TimedOut);
        let quick = spawn_kill_after(
            ExecSpec {
                argv: &argv(&["/bin/true"]),
                ..spec
            },
            Duration::from_secs(5),
        );
        assert_eq!(quick.unwrap().await, Outcome::Exited(0));
    }

    #[test]
    fn default_script_user_prefers_script_user() {
        let u = ScriptUser {
            user: "alice".into(),
            group: Some("staff".into()),
        };
        assert_eq!(default_script_user(Some(&u)), Some(u));
        let fallback = default_script_user(None);
        let exists = matches!(
            nix::unistd::User::from_name("keepalived_script"),
            Ok(Some(_))
        );
        assert_eq!(fallback.is_some(), exists);
    }

    #[tokio::test]
    async fn dropping_a_run_kills_the_script() {
        let d = Scratch::new("exec");
        let pidfile = d.path("pid");
        let s = d.script(
            "p.sh",
            &format!("#!/bin/sh\necho $$ > {pidfile}\nexec sleep 30\n"),
        );
        let a = argv(&[&s]);
        let run = run(ExecSpec {
            argv: &a,
            user: None,
            timeout: None,
        });
        let pid_text = async {
            loop {
                if let Ok(t) = std::fs::read_to_string(&pidfile) {
                    if t.ends_with('\n') {
                        return t;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let pid: i32 = tokio::select! {
            _ = run => panic!("sleep 30 finished"),
            t = tokio::time::timeout(Duration::from_secs(10), pid_text) => t.unwrap().trim().parse().unwrap(),
        };
        let mut alive = true;
        for _ in 0..250 {
            alive = process_alive(pid);
            if !alive {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!alive, "script {pid} survived its dropped run");
    }

    #[tokio::test]
    async fn detached_child_runs_and_is_reaped() {
        let d = Scratch::new("exec");
        let out = d.path("out");
        let s = d.script("w.sh", &format!("#!/bin/sh\necho \"$@\" > {out}\n"));
        let a = argv(&[&s, "a", "b c"]);
        let pid = spawn_detached(ExecSpec {
            argv: &a,
            user: None,
            timeout: None,
        })
        .unwrap();
        assert!(pid > 0);
        assert_eq!(wait_for_file(&out).await, "a b c\n");
        let mut reaped = false;
        for _ in 0..200 {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                reaped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(reaped, "detached child {pid} left a zombie");
    }
}
