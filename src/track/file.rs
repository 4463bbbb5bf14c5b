//! `track_file` watchers (inventory §3.4, keepalived's `track_file.c`): the file's content read
//! as an integer, watched with inotify on its directory (`IN_CLOSE_WRITE`, `IN_DELETE`,
//! `IN_MOVED_FROM`/`IN_MOVED_TO`), never polled. A deleted or moved-away file reads 0.
//!
//! [`watch_files`] sets the watches up and reads every file synchronously, so the daemon can
//! give the instances their values before they start; the changes then arrive as
//! `TrackEvent::File` values on the daemon's channel from one tokio task.

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::model::{TrackEvent, TrackFile};

/// keepalived reads at most this many bytes of a track file.
const READ_MAX: usize = 127;

/// C's `strtol(buf, NULL, 0)` on the first 127 bytes, then keepalived's range check: leading
/// white space, an optional sign, `0x` for hex, a leading `0` for octal, digits up to the
/// first that does not fit (none at all = 0). `None` when the number overflows a `long` or
/// lies outside `i32::MIN..=i32::MAX + 1` (keepalived logs `Invalid number` and ignores it).
pub fn parse_value(buf: &[u8]) -> Option<i64> {
    let buf = &buf[..buf.len().min(READ_MAX)];
    let mut i = 0;
    while i < buf.len() && matches!(buf[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = match buf.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut radix = 10;
    if buf.get(i) == Some(&b'0') {
        let hex = matches!(buf.get(i + 1), Some(b'x' | b'X'))
            && buf.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit());
        if hex {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let mut value: i128 = 0;
    let mut overflow = false;
    while let Some(d) = buf.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        value = value * i128::from(radix) + i128::from(d);
        if value > i128::from(i64::MAX) + 1 {
            overflow = true;
            value = i128::from(i64::MAX) + 1;
        }
        i += 1;
    }
    let value = if neg { -value } else { value };
    if overflow || value > i128::from(i64::MAX) {
        return None;
    }
    let value = value as i64;
    (i64::from(i32::MIN)..=i64::from(i32::MAX) + 1)
        .contains(&value)
        .then_some(value)
}

/// `process_track_file()`: the file's value now. A file that cannot be opened or is empty
/// reads 0; `None` = an invalid number, which leaves the previous value in force.
pub fn read_value(path: &Path) -> Option<i64> {
    use std::io::Read;
    let mut buf = [0u8; READ_MAX];
    let Ok(mut f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    else {
        return Some(0);
    };
    let n = f.read(&mut buf).unwrap_or(0);
    if n == 0 {
        return Some(0);
    }
    let v = parse_value(&buf[..n]);
    if v.is_none() {
        tracing::info!("Invalid number read from {} - ignoring", path.display());
    }
    v
}

/// `init_file [VALUE] [overwrite]` (`track_file_end_handler()`): create the file holding
/// `VALUE\n` if it does not exist; with `overwrite` also replace an existing regular file,
/// except on a reload.
pub fn init_file(f: &TrackFile, reload: bool) -> Result<(), String> {
    let Some(init) = f.init else { return Ok(()) };
    let path = Path::new(&f.path);
    if let Ok(meta) = std::fs::metadata(path) {
        if !init.overwrite {
            return Ok(());
        }
        if !meta.file_type().is_file() {
            return Err(format!(
                "Cannot initialise track file {} - it is not a regular file",
                f.name
            ));
        }
        if reload {
            return Ok(());
        }
    }
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        writeln!(file, "{}", init.value)
    };
    write().map_err(|_| format!("Unable to initialise track file {}", f.name))
}

/// Where a track file is watched: its resolved directory and its name in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The file's path with its directory (and the file itself, if it exists) resolved.
    pub path: PathBuf,
    /// The directory watched.
    pub dir: PathBuf,
    /// The file's name within `dir`, as inotify reports it.
    pub file: OsString,
}

/// `init_track_files()`'s path resolution: `realpath` of the file, or when it does not exist
/// of its directory, which must exist.
pub fn resolve(f: &TrackFile) -> Result<Resolved, String> {
    let p = Path::new(&f.path);
    let full = match std::fs::canonicalize(p) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let name = p.file_name().ok_or_else(|| {
                format!(
                    "Track file directory for {} does not exist - removing",
                    f.name
                )
            })?;
            match std::fs::canonicalize(dir) {
                Ok(d) if d.is_dir() => d.join(name),
                _ => {
                    return Err(format!(
                        "Track file directory for {} does not exist - removing",
                        f.name
                    ));
                }
            }
        }
        Err(_) => {
            return Err(format!(
                "track file {} is not accessible - ignoring",
                f.name
            ));
        }
    };
    let dir = full.parent().unwrap_or(Path::new("/")).to_path_buf();
    let file = full.file_name().unwrap_or_default().to_os_string();
    Ok(Resolved {
        path: full,
        dir,
        file,
    })
}

/// The watcher task; dropping it stops watching.
#[derive(Debug, Default)]
pub struct FileWatcher {
    task: Option<JoinHandle<()>>,
}

impl Drop for FileWatcher {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// tokio's `AsyncFd` wants `AsRawFd`; nix's `Inotify` offers `AsFd`.
struct InotifyFd(Inotify);

impl AsRawFd for InotifyFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

struct Watched {
    name: String,
    path: PathBuf,
    wd: i32,
    file: OsString,
    value: i64,
}

/// Sets up one inotify watch per file's directory, reads every file now and returns the
/// current values as events (to give the instances before they start) with the task that
/// sends `TrackEvent::File` on `tx` whenever a value changes. Files whose directory is missing
/// are logged and dropped, as keepalived does. With `reload`, `init_file … overwrite` leaves
/// existing files alone.
pub fn watch_files(
    files: &[TrackFile],
    reload: bool,
    tx: UnboundedSender<TrackEvent>,
) -> (FileWatcher, Vec<TrackEvent>) {
    if files.is_empty() {
        return (FileWatcher::default(), Vec::new());
    }
    let inotify = match Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC) {
        Ok(i) => Some(i),
        Err(e) => {
            tracing::error!("Unable to monitor track files: {e}");
            None
        }
    };
    let mut watched = Vec::new();
    let mut initial = Vec::new();
    for f in files {
        if let Err(e) = init_file(f, reload) {
            tracing::error!("{e}");
        }
        let r = match resolve(f) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("{e}");
                continue;
            }
        };
        // The watch comes before the read, so no write between the two is missed.
        let wd = inotify.as_ref().and_then(|i| {
            let mask = AddWatchFlags::IN_CLOSE_WRITE
                | AddWatchFlags::IN_DELETE
                | AddWatchFlags::IN_MOVED_FROM
                | AddWatchFlags::IN_MOVED_TO;
            match i.add_watch(&r.dir, mask) {
                Ok(wd) => Some(wd.as_raw()),
                Err(e) => {
                    tracing::error!("Unable to watch track file {}: {e}", f.name);
                    None
                }
            }
        });
        let value = read_value(&r.path).unwrap_or(0);
        initial.push(TrackEvent::File {
            name: f.name.clone(),
            value,
        });
        if let Some(wd) = wd {
            watched.push(Watched {
                name: f.name.clone(),
                path: r.path,
                wd,
                file: r.file,
                value,
            });
        }
    }
    let Some(inotify) = inotify.filter(|_| !watched.is_empty()) else {
        return (FileWatcher::default(), initial);
    };
    // SAFETY: the inotify descriptor is owned by the AsyncFd from here on and never closed or
    // replaced while registered.
    let fd =
        match unsafe { AsyncFd::register_with_interest(InotifyFd(inotify), Interest::READABLE) } {
            Ok(fd) => fd,
            Err(e) => {
                tracing::error!("Unable to monitor track files: {e}");
                return (FileWatcher::default(), initial);
            }
        };
    let task = tokio::spawn(watch_loop(fd, watched, tx));
    (FileWatcher { task: Some(task) }, initial)
}

async fn watch_loop(
    fd: AsyncFd<InotifyFd>,
    mut watched: Vec<Watched>,
    tx: UnboundedSender<TrackEvent>,
) {
    loop {
        let Ok(mut guard) = fd.readable().await else {
            return;
        };
        let events = match guard.get_inner().0.read_events() {
            Ok(ev) => ev,
            Err(nix::errno::Errno::EAGAIN) => {
                guard.clear_ready();
                continue;
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                tracing::info!("inotify read() returned error {e}");
                return;
            }
        };
        for ev in events {
            if ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                // Events were lost: every file's value is read again.
                for w in &mut watched {
                    if let Some(v) = read_value(&w.path) {
                        if tx_changed(&tx, w, v).is_err() {
                            return;
                        }
                    }
                }
                continue;
            }
            if ev.mask.contains(AddWatchFlags::IN_ISDIR) {
                continue;
            }
            let Some(w) = watched
                .iter_mut()
                .find(|w| w.wd == ev.wd.as_raw() && ev.name.as_ref() == Some(&w.file))
            else {
                continue;
            };
            let gone = ev
                .mask
                .intersects(AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_FROM);
            let value = if gone { Some(0) } else { read_value(&w.path) };
            if let Some(v) = value {
                if tx_changed(&tx, w, v).is_err() {
                    return;
                }
            }
        }
    }
}

/// Sends the new value when it differs from the last one sent.
fn tx_changed(tx: &UnboundedSender<TrackEvent>, w: &mut Watched, value: i64) -> Result<(), ()> {
    if w.value == value {
        return Ok(());
    }
    w.value = value;
    tx.send(TrackEvent::File {
        name: w.name.clone(),
        value,
    })
    .map_err(|_| ())
}

#[cfg(test)]
mod tests;
