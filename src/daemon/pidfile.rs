//! Pid files as keepalived 2.2.7 names and writes them (inventory §5.2, `core/pidfile.c`,
//! `core/main.c`): where they go (`/run`, or `/run/keepalived/` with `use_pid_dir`, and
//! `/run/keepalived/NAMESPACE/` in a network namespace; `_INSTANCE` before `.pid`), the
//! directories made for them, the files themselves (`PID\n`, mode 0644, removed at exit), and
//! the "already running" check.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// keepalived's `RUNSTATEDIR` (Debian's build): the pid files' home without `use_pid_dir`.
pub const RUN_DIR: &str = "/run";
/// keepalived's `KEEPALIVED_PID_DIR`: the pid files' home with `use_pid_dir`.
pub const PID_DIR: &str = "/run/keepalived";

/// Where this run's pid files go, and the directories to make for them (outermost first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The parent's pid file (`-p`).
    pub main: PathBuf,
    /// The VRRP process's pid file (`-r`).
    pub vrrp: PathBuf,
    /// Made (mode 0755) before the files are written, removed at exit when empty.
    pub dirs: Vec<PathBuf>,
}

/// keepalived's choice of pid file paths.
///
/// `-p`/`-r` win. Otherwise a namespace, an `instance` or `use_pid_dir` put them in
/// `/run/keepalived/`, an instance name adds `_NAME` (`keepalived_NAME.pid`, `vrrp_NAME.pid`).
/// In a namespace keepalived bind-mounts `/run/keepalived/NAMESPACE` over `/run/keepalived` in
/// a mount namespace of its own, so everyone else sees the files in
/// `/run/keepalived/NAMESPACE/`: that is where we write them, without the mount.
pub fn layout(
    main: Option<&Path>,
    vrrp: Option<&Path>,
    namespace: Option<&str>,
    instance: Option<&str>,
    use_pid_dir: bool,
) -> Layout {
    let pid_dir = use_pid_dir || namespace.is_some() || instance.is_some();
    let mut dirs = Vec::new();
    let base = if pid_dir {
        dirs.push(PathBuf::from(PID_DIR));
        match namespace {
            Some(ns) => {
                let d = Path::new(PID_DIR).join(ns);
                dirs.push(d.clone());
                d
            }
            None => PathBuf::from(PID_DIR),
        }
    } else {
        PathBuf::from(RUN_DIR)
    };
    let name = |stem: &str| match instance {
        Some(i) => base.join(format!("{stem}_{i}.pid")),
        None => base.join(format!("{stem}.pid")),
    };
    Layout {
        main: main.map_or_else(|| name("keepalived"), Path::to_path_buf),
        vrrp: vrrp.map_or_else(|| name("vrrp"), Path::to_path_buf),
        dirs: if pid_dir { dirs } else { Vec::new() },
    }
}

/// The pid directories of a [`Layout`], made at start and removed (when empty) on drop, as
/// keepalived's `create_pid_dir()` / `remove_pid_dir()`.
#[derive(Debug)]
pub struct PidDirs {
    made: Vec<PathBuf>,
}

impl PidDirs {
    /// Makes each directory (rwxr-xr-x whatever the umask; an existing one is fine).
    pub fn create(dirs: &[PathBuf]) -> io::Result<Self> {
        let mut made = Vec::new();
        for d in dirs {
            match fs::DirBuilder::new().mode(0o755).create(d) {
                Ok(()) => {
                    fs::set_permissions(d, fs::Permissions::from_mode(0o755))?;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
            made.push(d.clone());
        }
        Ok(Self { made })
    }
}

impl Drop for PidDirs {
    fn drop(&mut self) {
        // Innermost first; a directory another daemon still uses is not empty and stays.
        for d in self.made.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}

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

/// The VRRP pid file: keepalived starts its VRRP child, and so writes `vrrp.pid`, only when
/// the configuration has VRRP work or `--all` is given; a reload that brings some starts it.
#[derive(Debug)]
pub struct VrrpPid {
    path: PathBuf,
    all: bool,
    file: Option<PidFile>,
}

impl VrrpPid {
    /// Not written yet; `all` is `--all`.
    pub fn new(path: PathBuf, all: bool) -> Self {
        Self {
            path,
            all,
            file: None,
        }
    }

    /// Writes the file once `config` has instances (or always with `--all`). Never removes
    /// it before exit: keepalived's VRRP child keeps running when a reload empties it.
    pub fn update(&mut self, config: &crate::model::Config) {
        let has_work = self.all || !config.instances.is_empty();
        if self.file.is_some() || !has_work {
            return;
        }
        match PidFile::create(&self.path) {
            Ok(f) => self.file = Some(f),
            Err(e) => tracing::error!("Unable to write pid file {}: {e}", self.path.display()),
        }
    }

    /// Whether the file is written.
    pub fn written(&self) -> bool {
        self.file.is_some()
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

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn paths_follow_keepalived_for_each_combination() {
        let l = layout(None, None, None, None, false);
        assert_eq!(
            (l.main, l.vrrp, l.dirs.len()),
            (p("/run/keepalived.pid"), p("/run/vrrp.pid"), 0)
        );
        let l = layout(None, None, None, None, true);
        assert_eq!(
            (l.main, l.vrrp, l.dirs),
            (
                p("/run/keepalived/keepalived.pid"),
                p("/run/keepalived/vrrp.pid"),
                vec![p("/run/keepalived")]
            )
        );
        // `instance` alone implies the directory and names the files.
        let l = layout(None, None, None, Some("east"), false);
        assert_eq!(
            (l.main, l.vrrp),
            (
                p("/run/keepalived/keepalived_east.pid"),
                p("/run/keepalived/vrrp_east.pid")
            )
        );
        // A namespace: the files keepalived writes behind its bind mount, as seen outside it
        // (observed with 2.2.7: /run/keepalived/NS/keepalived_INST.pid).
        let l = layout(None, None, Some("blue"), Some("east"), false);
        assert_eq!(
            (l.main, l.vrrp, l.dirs),
            (
                p("/run/keepalived/blue/keepalived_east.pid"),
                p("/run/keepalived/blue/vrrp_east.pid"),
                vec![p("/run/keepalived"), p("/run/keepalived/blue")]
            )
        );
        let l = layout(None, None, Some("blue"), None, false);
        assert_eq!(l.main, p("/run/keepalived/blue/keepalived.pid"));
        // -p / -r win over all of it.
        let l = layout(
            Some(Path::new("/tmp/a.pid")),
            Some(Path::new("/tmp/b.pid")),
            Some("blue"),
            Some("east"),
            true,
        );
        assert_eq!((l.main, l.vrrp), (p("/tmp/a.pid"), p("/tmp/b.pid")));
    }

    #[test]
    fn pid_dirs_are_0755_and_removed_only_when_empty() {
        let root = std::env::temp_dir().join(format!("ka-piddir-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let outer = root.join("keepalived");
        let inner = outer.join("blue");
        {
            let _dirs = PidDirs::create(&[outer.clone(), inner.clone()]).unwrap();
            let mode = |d: &Path| fs::metadata(d).unwrap().permissions().mode() & 0o777;
            assert_eq!((mode(&outer), mode(&inner)), (0o755, 0o755));
            // Another daemon's file in the outer directory keeps it at exit.
            fs::write(outer.join("other.pid"), "1\n").unwrap();
        }
        assert!(!inner.exists() && outer.exists());
        fs::remove_file(outer.join("other.pid")).unwrap();
        drop(PidDirs::create(std::slice::from_ref(&outer)).unwrap());
        assert!(!outer.exists());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn vrrp_pid_only_with_instances_or_all() {
        let dir = std::env::temp_dir().join(format!("ka-vrrppid-{}", std::process::id()));
        let path = dir.join("vrrp.pid");
        let empty = crate::model::Config::default();
        let mut v = VrrpPid::new(path.clone(), false);
        v.update(&empty);
        assert!(!v.written() && !path.exists());
        let opts = crate::config::LoadOptions {
            config_id: "x".into(),
            check_interfaces: false,
            all_config: false,
        };
        let text =
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n}\n";
        let with = crate::config::load_str("k.conf", text, &opts)
            .config
            .unwrap();
        assert_eq!(with.instances.len(), 1);
        v.update(&with);
        assert!(v.written() && path.exists());
        // A later reload without instances leaves it.
        v.update(&empty);
        assert!(path.exists());
        drop(v);
        assert!(!path.exists());
        let mut all = VrrpPid::new(path.clone(), true);
        all.update(&empty);
        assert!(all.written());
        drop(all);
        let _ = fs::remove_dir_all(&dir);
    }

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
