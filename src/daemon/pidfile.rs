//! Pid files as keepalived writes them (inventory §5.2): `PID\n`, mode 0644, removed at exit;
//! a file naming a live `keepalived` process means the daemon is already running.

use std::fs;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A written pid file, removed on drop.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Write our pid to `path` (creating the directory if needed).
    pub fn create(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("pid.tmp");
        {
            use io::Write as _;
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o644)
                .open(&tmp)?;
            writeln!(f, "{}", std::process::id())?;
        }
        // Set explicitly: our umask (keepalived's 0177) must not narrow the pid file's mode.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))?;
        fs::rename(&tmp, path)?;
        Ok(Self {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The pid in `path` if it names a running process called `keepalived` other than us.
pub fn running_pid(path: &Path) -> Option<u32> {
    let pid: u32 = fs::read_to_string(path).ok()?.trim().parse().ok()?;
    if pid == std::process::id() {
        return None;
    }
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == "keepalived").then_some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pid_and_removes_it_on_drop() {
        let dir = std::env::temp_dir().join(format!("ka-pid-{}", std::process::id()));
        let path = dir.join("sub/keepalived.pid");
        {
            let _p = PidFile::create(&path).unwrap();
            assert_eq!(
                fs::read_to_string(&path).unwrap(),
                format!("{}\n", std::process::id())
            );
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o644
            );
            // Our own pid never counts as "already running".
            assert_eq!(running_pid(&path), None);
        }
        assert!(!path.exists());
        fs::write(&path, "1\n").unwrap();
        // pid 1 is not a keepalived process.
        assert_eq!(running_pid(&path), None);
        let _ = fs::remove_dir_all(&dir);
    }
}
