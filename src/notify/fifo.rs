//! Notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`, inventory §6.4): one line per instance
//! state notification, `INSTANCE "VI_1" MASTER 100`, written where a local reader (often the
//! `*_notify_fifo_script` we start) picks the events up in order.
//!
//! The FIFO is opened `O_RDWR | O_NONBLOCK` as keepalived does: holding both ends means the open
//! never waits for a reader and a write never blocks the daemon; when nobody reads and the pipe
//! buffer is full, the line is dropped (keepalived ignores `EAGAIN` the same way).

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::exec::{self, ExecSpec};
use crate::model::{NotifyFifo, ScriptUser};

use super::NotifyState;

/// `mkfifo` mode before the umask (keepalived: `S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH`).
const FIFO_MODE: u32 = 0o644;

/// The FIFO line for an instance notification: `INSTANCE "NAME" STATE PRIO\n`, PRIO being the
/// effective priority (also for STOP), as keepalived's `notify_fifo()` writes it. Events use
/// the same shape: `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150`, `… MASTER_PRIORITY 90`.
pub fn instance_line(instance: &str, state: NotifyState, priority: u8) -> String {
    format!("INSTANCE \"{instance}\" {state} {priority}\n")
}

/// Why a FIFO is not used. keepalived logs these and carries on without the FIFO.
#[derive(Debug, thiserror::Error)]
pub enum FifoError {
    /// `mkfifo` failed for a reason other than "exists".
    #[error("Unable to create {kind}notify fifo {path}: {source}")]
    Create {
        /// `""` or `"vrrp_"`.
        kind: &'static str,
        /// The configured path.
        path: String,
        /// The OS error.
        source: nix::Error,
    },
    /// `open` failed (for instance a symlink, refused with `O_NOFOLLOW`).
    #[error("Unable to open {kind}notify fifo {path}: {source}")]
    Open {
        /// `""` or `"vrrp_"`.
        kind: &'static str,
        /// The configured path.
        path: String,
        /// The OS error.
        source: io::Error,
    },
    /// The path exists but is not a FIFO, or belongs to someone else: another user could have
    /// planted it, so it is refused.
    #[error("{kind}notify fifo {path} is not a fifo we own - not using")]
    NotOurs {
        /// `""` or `"vrrp_"`.
        kind: &'static str,
        /// The configured path.
        path: String,
    },
    /// The FIFO's user or group does not exist.
    #[error("Invalid user/group for {kind} fifo {path} - ignoring")]
    User {
        /// `""` or `"vrrp_"`.
        kind: &'static str,
        /// The configured path.
        path: String,
    },
}

/// An open notify FIFO. Dropping it closes it the way keepalived's `fifo_close()` does: the
/// path is unlinked first (only if we created it, so a reader looping on re-open cannot reopen
/// a stale one), then our descriptor is closed (the reader sees end of file once it has read
/// what is buffered), then the FIFO script's process group gets SIGTERM.
#[derive(Debug)]
pub struct Fifo {
    path: PathBuf,
    file: File,
    created: bool,
    /// Process group of the running `*_notify_fifo_script` (it leads its own group).
    script_pgid: Option<i32>,
}

impl Fifo {
    /// Creates (if absent) and opens the FIFO of `cfg`, then starts its script with the FIFO
    /// path appended as the last argument. `kind` is `""` (notify_fifo) or `"vrrp_"`.
    ///
    /// A FIFO we create gets mode `0644 & ~umask` and is given to the configured user (else
    /// `default_user`, keepalived's default script user) when that is not us. An existing path
    /// must be a FIFO owned by us or by that user. Scripts run as their own user, else
    /// `default_user`. Must be called inside a tokio runtime when a script is configured.
    pub fn open(
        cfg: &NotifyFifo,
        kind: &'static str,
        default_user: Option<&ScriptUser>,
    ) -> Result<Self, FifoError> {
        let path = PathBuf::from(&cfg.path);
        let owner = cfg.user.as_ref().or(default_user);
        let (uid, gid) = resolve(owner).ok_or_else(|| FifoError::User {
            kind,
            path: cfg.path.clone(),
        })?;
        let me = nix::unistd::Uid::current().as_raw();
        let my_gid = nix::unistd::Gid::current().as_raw();
        let mode = nix::sys::stat::Mode::from_bits_truncate(FIFO_MODE);
        let created = match nix::unistd::mkfifo(&path, mode) {
            Ok(()) => true,
            Err(nix::Error::EEXIST) => false,
            Err(source) => {
                return Err(FifoError::Create {
                    kind,
                    path: cfg.path.clone(),
                    source,
                });
            }
        };
        if created && (uid != me || gid != my_gid) {
            let chown = std::os::unix::fs::chown(
                &path,
                (uid != me).then_some(uid),
                (gid != my_gid).then_some(gid),
            );
            if chown.is_err() {
                tracing::info!("Failed to set uid:gid for fifo {}", cfg.path);
            }
        }
        let unlink_created = |path: &Path| {
            if created {
                let _ = std::fs::remove_file(path);
            }
        };
        // O_RDWR: we are a reader too, so the open does not wait for one and writes never
        // fail with EPIPE; O_NOFOLLOW: a planted symlink is refused.
        let file = match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(&path)
        {
            Ok(f) => f,
            Err(source) => {
                unlink_created(&path);
                return Err(FifoError::Open {
                    kind,
                    path: cfg.path.clone(),
                    source,
                });
            }
        };
        let ours = file
            .metadata()
            .is_ok_and(|m| m.file_type().is_fifo() && (m.uid() == me || m.uid() == uid));
        if !ours {
            unlink_created(&path);
            return Err(FifoError::NotOurs {
                kind,
                path: cfg.path.clone(),
            });
        }
        let mut fifo = Self {
            path,
            file,
            created,
            script_pgid: None,
        };
        if let Some(cmd) = &cfg.script {
            let mut argv = cmd.argv.clone();
            argv.push(cfg.path.clone());
            match exec::spawn_detached(ExecSpec {
                argv: &argv,
                user: cmd.user.as_ref().or(default_user),
                timeout: None,
            }) {
                Ok(pid) if pid > 0 => fifo.script_pgid = Some(pid as i32),
                Ok(_) | Err(exec::Error::Exec { .. }) => {}
                Err(e) => tracing::warn!("{kind}notify_fifo_script {:?} not run: {e}", argv[0]),
            }
        }
        Ok(fifo)
    }

    /// The FIFO's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this FIFO was created by us (and so is removed when closed).
    pub fn created(&self) -> bool {
        self.created
    }

    /// Writes one line in a single `write` (lines are far below `PIPE_BUF`, so a reader never
    /// sees two lines interleaved). Never blocks: `Ok(false)` means the pipe was full and the
    /// line was dropped, as keepalived drops it.
    pub fn write_line(&self, line: &str) -> io::Result<bool> {
        match (&self.file).write(line.as_bytes()) {
            Ok(n) if n == line.len() => Ok(true),
            Ok(_) => Err(io::Error::new(io::ErrorKind::WriteZero, "short write")),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
        // The descriptor closes right after this body; the script gets SIGTERM now, and a
        // reader that outlives it (or ignores TERM) still reads everything buffered.
        if let Some(pgid) = self.script_pgid.take() {
            // SAFETY: kill(2) on the process group our script leads.
            unsafe {
                libc::kill(-pgid, libc::SIGTERM);
            }
        }
    }
}

/// The FIFOs of one configuration: `notify_fifo` then `vrrp_notify_fifo`; every VRRP line goes
/// to both. A FIFO that cannot be used is logged and left out, as keepalived does.
#[derive(Debug, Default)]
pub struct Fifos {
    open: Vec<Fifo>,
}

impl Fifos {
    /// Opens `notify_fifo` and `vrrp_notify_fifo` (the latter is ignored when it names the
    /// same path, or every line would be written twice to one pipe) and starts their scripts.
    pub fn open(
        notify_fifo: Option<&NotifyFifo>,
        vrrp_notify_fifo: Option<&NotifyFifo>,
        default_user: Option<&ScriptUser>,
    ) -> Self {
        let mut open = Vec::new();
        let vrrp = match (notify_fifo, vrrp_notify_fifo) {
            (Some(g), Some(v)) if g.path == v.path => {
                tracing::info!(
                    "notify FIFO {} has been specified for global and vrrp FIFO - ignoring vrrp FIFO",
                    v.path
                );
                None
            }
            (_, v) => v,
        };
        for (cfg, kind) in [(notify_fifo, ""), (vrrp, "vrrp_")] {
            let Some(cfg) = cfg else { continue };
            match Fifo::open(cfg, kind, default_user) {
                Ok(f) => open.push(f),
                Err(e) => tracing::info!("{e}"),
            }
        }
        Self { open }
    }

    /// The open FIFOs, `notify_fifo` first.
    pub fn iter(&self) -> impl Iterator<Item = &Fifo> {
        self.open.iter()
    }

    /// Writes `line` to every open FIFO; a full pipe drops it silently, other errors are logged.
    pub fn write_line(&self, line: &str) {
        for f in &self.open {
            match f.write_line(line) {
                Ok(true) => {}
                Ok(false) => tracing::debug!(
                    "notify fifo {} full: dropped {}",
                    f.path.display(),
                    line.trim_end()
                ),
                Err(e) => tracing::info!("notify fifo {} write error: {e}", f.path.display()),
            }
        }
    }
}

/// (uid, gid) of `user`, else ours; `None` when the user or group does not exist.
fn resolve(user: Option<&ScriptUser>) -> Option<(u32, u32)> {
    let Some(u) = user else {
        return Some((
            nix::unistd::Uid::current().as_raw(),
            nix::unistd::Gid::current().as_raw(),
        ));
    };
    let pw = nix::unistd::User::from_name(&u.user).ok().flatten()?;
    let gid = match &u.group {
        None => pw.gid,
        Some(g) => nix::unistd::Group::from_name(g).ok().flatten()?.gid,
    };
    Some((pw.uid.as_raw(), gid.as_raw()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::exec::tests::{Scratch, wait_for_file};
    use crate::model::ScriptCommand;
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;

    pub(crate) fn cfg(path: &str) -> NotifyFifo {
        NotifyFifo {
            path: path.to_owned(),
            user: None,
            script: None,
        }
    }

    /// Reads what is buffered in the FIFO through a second, non-blocking reader.
    pub(crate) fn drain(path: &str) -> String {
        let mut r = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match r.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read: {e}"),
            }
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn line_format() {
        assert_eq!(
            instance_line("VI_1", NotifyState::Master, 100),
            "INSTANCE \"VI_1\" MASTER 100\n"
        );
        assert_eq!(
            instance_line("web 2", NotifyState::Backup, 0),
            "INSTANCE \"web 2\" BACKUP 0\n"
        );
        assert_eq!(
            instance_line("VI_1", NotifyState::Fault, 255),
            "INSTANCE \"VI_1\" FAULT 255\n"
        );
    }

    #[test]
    fn creates_a_fifo_with_0644_under_the_umask_and_removes_it_on_close() {
        let d = Scratch::new("fifo");
        let path = d.path("notify.fifo");
        let f = Fifo::open(&cfg(&path), "", None).unwrap();
        assert!(f.created());
        let meta = std::fs::metadata(&path).unwrap();
        assert!(meta.file_type().is_fifo());
        // Read, not set: the umask is process-wide and other tests create files meanwhile.
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
            .unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o644 & !umask);
        drop(f);
        assert!(!Path::new(&path).exists(), "created FIFO not removed");
    }

    #[test]
    fn lines_are_written_and_read_in_order() {
        let d = Scratch::new("fifo");
        let path = d.path("notify.fifo");
        let f = Fifo::open(&cfg(&path), "vrrp_", None).unwrap();
        for (s, p) in [(NotifyState::Backup, 100), (NotifyState::Master, 100)] {
            assert!(f.write_line(&instance_line("VI_1", s, p)).unwrap());
        }
        assert_eq!(
            drain(&path),
            "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n"
        );
    }

    /// Nobody reads: writes fill the pipe, then every further line is dropped without blocking.
    #[test]
    fn a_full_fifo_without_reader_drops_lines_and_never_blocks() {
        let d = Scratch::new("fifo");
        let path = d.path("notify.fifo");
        let f = Fifo::open(&cfg(&path), "", None).unwrap();
        let line = instance_line("VI_1", NotifyState::Master, 100);
        // A pipe holds at most 1 MiB by default (pipe-max-size); 100k lines are 2.6 MB.
        let mut written = 0usize;
        let mut dropped = 0usize;
        for _ in 0..100_000 {
            if f.write_line(&line).unwrap() {
                written += 1;
            } else {
                dropped += 1;
            }
        }
        assert!(written > 0, "nothing written");
        assert!(dropped > 0, "pipe never filled");
        // Only whole lines are buffered.
        let got = drain(&path);
        assert_eq!(got.len(), written * line.len());
        assert!(got.lines().all(|l| l == line.trim_end()));
        // Once drained, writing works again.
        assert!(f.write_line(&line).unwrap());
    }

    #[test]
    fn an_existing_fifo_is_used_and_kept() {
        let d = Scratch::new("fifo");
        let path = d.path("mine.fifo");
        nix::unistd::mkfifo(
            Path::new(&path),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let f = Fifo::open(&cfg(&path), "", None).unwrap();
        assert!(!f.created());
        assert!(f.write_line("x\n").unwrap());
        drop(f);
        assert!(
            Path::new(&path).exists(),
            "a FIFO we did not create was removed"
        );
    }

    #[test]
    fn a_regular_file_or_symlink_is_refused_and_left_alone() {
        let d = Scratch::new("fifo");
        let file = d.path("plain");
        std::fs::write(&file, "keep").unwrap();
        let e = Fifo::open(&cfg(&file), "vrrp_", None).unwrap_err();
        assert!(matches!(e, FifoError::NotOurs { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            format!("vrrp_notify fifo {file} is not a fifo we own - not using")
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");

        let target = d.path("target.fifo");
        nix::unistd::mkfifo(
            Path::new(&target),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let link = d.path("link.fifo");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = Fifo::open(&cfg(&link), "", None).unwrap_err();
        assert!(matches!(e, FifoError::Open { .. }), "{e}");
    }

    #[test]
    fn a_missing_directory_or_unknown_user_is_an_error() {
        let d = Scratch::new("fifo");
        let path = d.path("no/such/dir/fifo");
        assert!(matches!(
            Fifo::open(&cfg(&path), "", None),
            Err(FifoError::Create { .. })
        ));
        let mut c = cfg(&d.path("f"));
        c.user = Some(ScriptUser {
            user: "no-such-user-ka-rs".into(),
            group: None,
        });
        assert!(matches!(
            Fifo::open(&c, "", None),
            Err(FifoError::User { .. })
        ));
        assert!(!Path::new(&d.path("f")).exists());
    }

    /// The FIFO script gets the FIFO path as its last argument, reads the lines, and is
    /// SIGTERMed when the FIFO is closed.
    #[tokio::test]
    async fn the_fifo_script_gets_the_path_reads_lines_and_is_terminated() {
        let d = Scratch::new("fifo");
        let path = d.path("vrrp.fifo");
        let args = d.path("args.out");
        let lines = d.path("lines.out");
        let term = d.path("term.out");
        // Records argv, then copies lines until TERM (logged, after what was read so far).
        let script = d.script(
            "reader",
            &format!(
                "#!/bin/bash\nprintf '%s|' \"$@\" > {args}.tmp; echo >> {args}.tmp; mv {args}.tmp {args}\n\
                 trap 'echo term > {term}; exit 0' TERM\n\
                 while read -r -t 0.2 line <&3 || [ $? -gt 128 ]; do [ -n \"$line\" ] && echo \"$line\" >> {lines}; line=; done 3< \"${{@: -1}}\"\nsleep 5 & wait $!\n"
            ),
        );
        let mut c = cfg(&path);
        c.script = Some(ScriptCommand {
            argv: vec![script, "first".into()],
            user: None,
        });
        let fifos = Fifos::open(None, Some(&c), None);
        assert_eq!(fifos.iter().count(), 1);
        assert_eq!(wait_for_file(&args).await, format!("first|{path}|\n"));
        fifos.write_line(&instance_line("VI_1", NotifyState::Backup, 100));
        fifos.write_line(&instance_line("VI_1", NotifyState::Master, 100));
        let mut got = String::new();
        for _ in 0..200 {
            got = std::fs::read_to_string(&lines).unwrap_or_default();
            if got.lines().count() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            got,
            "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n"
        );
        drop(fifos);
        assert_eq!(wait_for_file(&term).await, "term\n");
        assert!(!Path::new(&path).exists());
    }

    #[test]
    fn same_path_for_both_fifos_is_used_once() {
        let d = Scratch::new("fifo");
        let path = d.path("both.fifo");
        let fifos = Fifos::open(Some(&cfg(&path)), Some(&cfg(&path)), None);
        assert_eq!(fifos.iter().count(), 1);
        fifos.write_line("INSTANCE \"VI_1\" MASTER 100\n");
        assert_eq!(drain(&path), "INSTANCE \"VI_1\" MASTER 100\n");

        let other = d.path("vrrp.fifo");
        let fifos2 = Fifos::open(Some(&cfg(&d.path("g.fifo"))), Some(&cfg(&other)), None);
        assert_eq!(fifos2.iter().count(), 2);
        fifos2.write_line("INSTANCE \"VI_1\" STOP 100\n");
        assert_eq!(drain(&d.path("g.fifo")), "INSTANCE \"VI_1\" STOP 100\n");
        assert_eq!(drain(&other), "INSTANCE \"VI_1\" STOP 100\n");
    }
}
