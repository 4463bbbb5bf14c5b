//! `keepalived --status` (beyond keepalived): a Unix socket the daemon serves, root only,
//! and the client that prints what it answers: each instance's state, priorities, current
//! master, VIPs and the reason and time of its last transition.
//!
//! The socket sits beside the pid file: `-p /run/keepalived.pid` (the default) gives
//! `/run/keepalived.sock`, so several daemons started with their own `-p` each have one and
//! `keepalived --status -p FILE` picks one. It is created mode 0600 by the (root) daemon,
//! removed at exit, and a connection from another user than root or the daemon's is refused.

use super::{InstanceView, Reader, Snapshot};
use crate::vrrp::State;
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// What the client sends; anything else gets an error line.
const REQUEST: &str = "status\n";
/// How long either side waits for the other.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// LSB `status` exit code: the program is not running.
pub const EXIT_NOT_RUNNING: i32 = 3;
/// LSB `status` exit code: the status is unknown (no permission, no answer).
pub const EXIT_UNKNOWN: i32 = 4;

/// The status socket of the daemon whose pid file is `pid_file`: the same path with `.sock`
/// for its extension (`/run/keepalived.pid` -> `/run/keepalived.sock`).
pub fn socket_path(pid_file: &Path) -> PathBuf {
    pid_file.with_extension("sock")
}

/// The bound socket; the file is removed when it is dropped.
pub struct Socket {
    path: PathBuf,
    listener: Option<tokio::net::UnixListener>,
}

impl Socket {
    /// Binds `path` with mode 0600. A file left by a daemon that died is replaced; a socket
    /// another daemon still answers on is an error.
    pub fn bind(path: &Path) -> std::io::Result<Self> {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "another daemon answers on it",
            ));
        }
        match std::fs::symlink_metadata(path) {
            Ok(m) if std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()) => {
                std::fs::remove_file(path)?;
            }
            Ok(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a file that is not a socket is in the way",
                ));
            }
            Err(_) => {}
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // bind() creates the file with the umask applied: narrow it first so that no one
        // else can connect between bind() and the chmod below.
        let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
        let bound = std::os::unix::net::UnixListener::bind(path);
        nix::sys::stat::umask(old);
        let std_listener = bound?;
        // From here on the file is ours: dropping `socket` on an error removes it.
        let mut socket = Self {
            path: path.to_path_buf(),
            listener: None,
        };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        std_listener.set_nonblocking(true)?;
        socket.listener = Some(tokio::net::UnixListener::from_std(std_listener)?);
        Ok(socket)
    }

    /// Serves the socket until the runtime ends (the file stays until `self` is dropped).
    pub fn serve(
        &mut self,
        reader: Reader,
    ) -> Option<impl std::future::Future<Output = ()> + use<>> {
        let listener = self.listener.take()?;
        Some(serve(listener, reader))
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn serve(listener: tokio::net::UnixListener, reader: Reader) {
    let me = nix::unistd::geteuid().as_raw();
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!("status socket: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let allowed = stream
            .peer_cred()
            .is_ok_and(|c| c.uid() == 0 || c.uid() == me);
        let reader = reader.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(IO_TIMEOUT, answer(stream, reader, allowed)).await;
        });
    }
}

async fn answer(
    mut stream: tokio::net::UnixStream,
    mut reader: Reader,
    allowed: bool,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 64];
    while !buf.contains(&b'\n') && buf.len() < 256 {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let reply = if !allowed {
        "error: permission denied\n".to_string()
    } else if buf == REQUEST.as_bytes() {
        let snap = reader.fresh().await;
        // Off the loop's thread, as the metrics text.
        tokio::task::spawn_blocking(move || render(&snap))
            .await
            .unwrap_or_default()
    } else {
        "error: unknown request\n".to_string()
    };
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}

/// Why `--status` could not print a status.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens there.
    #[error("no keepalived daemon is running (no status socket {path}: {source})")]
    NotRunning {
        path: String,
        source: std::io::Error,
    },
    /// The socket is there but could not be used.
    #[error("cannot query the daemon on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The daemon refused or did not understand.
    #[error("the daemon on {path} answered: {answer}")]
    Refused { path: String, answer: String },
}

impl ClientError {
    /// The exit code for it (LSB `status` codes).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::NotRunning { .. } => EXIT_NOT_RUNNING,
            Self::Io { .. } | Self::Refused { .. } => EXIT_UNKNOWN,
        }
    }
}

/// `keepalived --status`: asks the daemon on `path` and returns its text.
pub fn query(path: &Path) -> Result<String, ClientError> {
    let shown = path.display().to_string();
    let io = |source| ClientError::Io {
        path: shown.clone(),
        source,
    };
    let mut s = std::os::unix::net::UnixStream::connect(path).map_err(|source| {
        use std::io::ErrorKind::*;
        match source.kind() {
            NotFound | ConnectionRefused => ClientError::NotRunning {
                path: shown.clone(),
                source,
            },
            _ => io(source),
        }
    })?;
    s.set_read_timeout(Some(IO_TIMEOUT)).map_err(io)?;
    s.set_write_timeout(Some(IO_TIMEOUT)).map_err(io)?;
    s.write_all(REQUEST.as_bytes()).map_err(io)?;
    let mut text = String::new();
    s.read_to_string(&mut text).map_err(io)?;
    if let Some(e) = text.strip_prefix("error: ") {
        return Err(ClientError::Refused {
            path: shown,
            answer: e.trim_end().to_string(),
        });
    }
    Ok(text)
}

/// "3 s", "2 min 5 s", "1 h 4 min", "2 d 3 h".
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        3600..86400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

fn local_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%Y-%m-%d %H:%M:%S %z")
        .to_string()
}

fn ago(now: SystemTime, t: SystemTime) -> String {
    human(now.duration_since(t).unwrap_or_default())
}

/// The text `--status` prints: a heading line, then one block per instance.
pub fn render(snap: &Snapshot) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "keepalived-rs {} (Keepalived v{}), pid {}, running since {} ({})",
        env!("CARGO_PKG_VERSION"),
        crate::daemon::cli::KEEPALIVED_COMPAT,
        snap.pid,
        local_time(snap.started),
        ago(snap.taken_wall, snap.started)
    );
    if snap.instances.is_empty() {
        s.push_str("No VRRP instance.\n");
    }
    for i in &snap.instances {
        s.push('\n');
        instance_block(&mut s, i, snap.taken_wall);
    }
    s
}

fn instance_block(s: &mut String, i: &InstanceView, now: SystemTime) {
    let _ = writeln!(s, "VRRP Instance {}", i.name);
    let mut kv = |k: &str, v: &str| {
        let _ = writeln!(s, "  {:<17}{v}", format!("{k}:"));
    };
    kv("State", &i.state.to_string());
    kv(
        "Priority",
        &format!("{} (base {})", i.effective_priority, i.base_priority),
    );
    let intf = if i.interface.is_empty() {
        "none"
    } else {
        &i.interface
    };
    kv("Interface", &format!("{intf}, VRID {}", i.vrid));
    let master = match (i.master, i.state) {
        (Some(a), _) if i.master_is_self => format!("{a} (this node)"),
        (Some(a), State::Backup) if i.master_priority > 0 => {
            format!("{a} (priority {})", i.master_priority)
        }
        (Some(a), _) => a.to_string(),
        (None, State::Master) => "this node".to_string(),
        (None, _) => "unknown".to_string(),
    };
    kv("Master", &master);
    let vips = if i.vips.is_empty() {
        "none".to_string()
    } else {
        i.vips.join(", ")
    };
    kv("Virtual IPs", &vips);
    match &i.last {
        Some((from, to, reason)) => {
            kv(
                "Last transition",
                &format!(
                    "{from} -> {to} at {} ({} ago)",
                    local_time(i.last_transition),
                    ago(now, i.last_transition)
                ),
            );
            kv("Reason", reason);
        }
        None => kv("Last transition", "none"),
    }
    kv("Transitions", &i.transitions.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrp::Stats;
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Instant;

    fn view(name: &str, state: State) -> InstanceView {
        InstanceView {
            name: name.into(),
            interface: "eth0".into(),
            vrid: 51,
            state,
            base_priority: 100,
            effective_priority: 90,
            stats: Stats::default(),
            transitions: 2,
            last: Some((
                State::Master,
                state,
                "advert from 198.51.100.2 with higher priority 150".into(),
            )),
            last_transition: SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
            master: Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2))),
            master_is_self: false,
            master_priority: 150,
            vips: vec!["198.51.100.10/24".into(), "198.51.100.11/32".into()],
        }
    }

    #[test]
    fn socket_sits_beside_the_pid_file() {
        assert_eq!(
            socket_path(Path::new("/run/keepalived.pid")),
            PathBuf::from("/run/keepalived.sock")
        );
        assert_eq!(
            socket_path(Path::new("/run/ka/node2")),
            PathBuf::from("/run/ka/node2.sock")
        );
    }

    #[test]
    fn status_text_names_state_priorities_master_vips_and_reason() {
        let snap = Snapshot {
            taken: Instant::now(),
            taken_wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_125),
            started: SystemTime::UNIX_EPOCH + Duration::from_secs(900),
            pid: 77,
            instances: vec![view("VI_1", State::Backup)],
            scripts: Vec::new(),
            bad_packets: Vec::new(),
        };
        let text = render(&snap);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains(", pid 77, running since "), "{text}");
        assert!(lines[0].ends_with("(3 min 45 s)"), "{text}");
        assert_eq!(lines[1], "");
        assert_eq!(
            &lines[2..6],
            [
                "VRRP Instance VI_1",
                "  State:           BACKUP",
                "  Priority:        90 (base 100)",
                "  Interface:       eth0, VRID 51",
            ]
        );
        assert_eq!(lines[6], "  Master:          198.51.100.2 (priority 150)");
        assert_eq!(
            lines[7],
            "  Virtual IPs:     198.51.100.10/24, 198.51.100.11/32"
        );
        assert!(
            lines[8].starts_with("  Last transition: MASTER -> BACKUP at ")
                && lines[8].ends_with(" (2 min 5 s ago)"),
            "{text}"
        );
        assert_eq!(
            lines[9],
            "  Reason:          advert from 198.51.100.2 with higher priority 150"
        );
        assert_eq!(lines[10], "  Transitions:     2");
        let mut me = view("VI_2", State::Master);
        me.master_is_self = true;
        me.master = Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)));
        let mut block = String::new();
        instance_block(&mut block, &me, snap.taken_wall);
        assert!(block.contains("  Master:          198.51.100.1 (this node)\n"));
    }

    #[test]
    fn durations_read_like_a_person_says_them() {
        assert_eq!(human(Duration::from_secs(59)), "59 s");
        assert_eq!(human(Duration::from_secs(3599)), "59 min 59 s");
        assert_eq!(human(Duration::from_secs(7300)), "2 h 1 min");
        assert_eq!(human(Duration::from_secs(90000)), "1 d 1 h");
    }

    #[tokio::test]
    async fn socket_is_0600_answers_status_and_is_removed_when_dropped() {
        let dir = std::env::temp_dir().join(format!("ka-status-{}", std::process::id()));
        let path = dir.join("keepalived.sock");
        let _ = std::fs::remove_dir_all(&dir);
        // No daemon yet: the client says so with LSB's "not running".
        let err = query(&path).unwrap_err();
        assert_eq!(err.exit_code(), EXIT_NOT_RUNNING);
        assert!(
            err.to_string()
                .starts_with("no keepalived daemon is running")
        );
        let (publisher, reader) = super::super::channel(SystemTime::now());
        let mut snap = Snapshot::empty(SystemTime::now());
        snap.instances.push(view("VI_9", State::Fault));
        publisher.publish(snap);
        let mut sock = Socket::bind(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A second daemon cannot take the socket over while the first one answers.
        assert!(Socket::bind(&path).is_err());
        let server = tokio::spawn(sock.serve(reader).unwrap());
        let text = tokio::task::spawn_blocking({
            let path = path.clone();
            move || query(&path)
        })
        .await
        .unwrap()
        .unwrap();
        assert!(text.contains("VRRP Instance VI_9\n  State:           FAULT\n"));
        server.abort();
        drop(sock);
        assert!(!path.exists());
        // A socket file left by a daemon that died is replaced.
        let stale = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(stale);
        let again = Socket::bind(&path).unwrap();
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
