//! `vrrp_track_process` (inventory §3.5, keepalived's `track_process.c`): which processes match,
//! how many are running, and the quorum with its fork/terminate delays.
//!
//! Processes are learnt as keepalived learns them: one scan of `/proc` at start, then the
//! kernel's proc connector (a `NETLINK_CONNECTOR` socket subscribed to `CN_IDX_PROC`) reports
//! every fork, exec, comm change and exit, and only the process concerned is looked at. The
//! connector reports only to the initial network and PID namespaces and needs `CAP_NET_ADMIN`.
//! Where the subscription is refused or not acknowledged (a daemon started inside a network or
//! PID namespace, as in our labs) keepalived 2.2.7 logs `Failed to set/clear process event
//! listen` and its weight-0 process trackers hold the instance in FAULT for good; we rescan
//! `/proc` once a second instead (KNOWN_DIVERGENCES.md).
//!
//! The quorum rules ([`QuorumPolicy`]) are pure and run on virtual time in tests; the runner
//! ([`watch_processes`]) owns the socket and timers and sends `TrackEvent::Process` values.

use std::collections::HashSet;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::model::{ParamMatch, TrackEvent, TrackProcess};

/// How often `/proc` is rescanned when the proc connector is not available.
pub const SCAN_INTERVAL: Duration = Duration::from_secs(1);

// ---- matching ------------------------------------------------------------------------------

/// `check_params()`: the process's arguments (`cmdline` after `argv[0]`, each NUL-terminated)
/// against the configured ones.
fn check_params(p: &TrackProcess, params: &[u8]) -> bool {
    let mut want = Vec::new();
    for a in &p.params {
        want.extend_from_slice(a.as_bytes());
        want.push(0);
    }
    match p.param_match {
        ParamMatch::None => true,
        ParamMatch::Exact => params == want.as_slice(),
        _ if want.is_empty() => true,
        _ if params.len() < want.len() => false,
        ParamMatch::Partial => params.starts_with(&want),
        // The last configured argument may be a prefix of the process's.
        ParamMatch::Initial => params.starts_with(&want[..want.len() - 1]),
    }
}

/// Whether a process with this `comm` (from `/proc/PID/stat`, `None` for a zombie) and
/// `cmdline` (`/proc/PID/cmdline`) is one of `p`'s: its name is compared exactly (`sshd` is not
/// `ssh`) with `argv[0]` under `full_command`, else with `comm`.
pub fn matches(p: &TrackProcess, comm: Option<&str>, cmdline: &[u8]) -> bool {
    let (name, params): (&[u8], &[u8]) = if p.full_command {
        match cmdline.iter().position(|&b| b == 0) {
            Some(n) => (&cmdline[..n], &cmdline[n + 1..]),
            None => (cmdline, &[]),
        }
    } else {
        match comm {
            Some(c) => (c.as_bytes(), &[]),
            None => return false,
        }
    };
    if name.is_empty() || name != p.process.as_bytes() {
        return false;
    }
    !p.full_command || check_params(p, params)
}

/// `comm` from the text of `/proc/PID/stat` (between the first `(` and the last `)`), `None`
/// for a zombie or an unreadable line.
pub fn stat_comm(stat: &str) -> Option<&str> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    if close < open {
        return None;
    }
    let state = stat[close + 1..].trim_start().chars().next();
    if state == Some('Z') {
        return None;
    }
    Some(&stat[open + 1..close])
}

/// Reads one process and returns, for each tracker, whether it matches. `None` when the
/// process is gone.
fn probe(pid: u32, procs: &[TrackProcess]) -> Option<Vec<bool>> {
    let need_cmdline = procs.iter().any(|p| p.full_command);
    let need_comm = procs.iter().any(|p| !p.full_command);
    let comm_text = if need_comm {
        Some(std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    } else {
        None
    };
    let cmdline = if need_cmdline {
        std::fs::read(format!("/proc/{pid}/cmdline")).ok()?
    } else {
        Vec::new()
    };
    let comm = comm_text.as_deref().and_then(stat_comm);
    Some(procs.iter().map(|p| matches(p, comm, &cmdline)).collect())
}

/// The matching pids of each tracker, keepalived's per-process bookkeeping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessSets {
    sets: Vec<HashSet<u32>>,
}

impl ProcessSets {
    /// Scans every process in `/proc`.
    pub fn scan(procs: &[TrackProcess]) -> Self {
        let mut s = Self {
            sets: vec![HashSet::new(); procs.len()],
        };
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for e in dir.flatten() {
                if let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) {
                    s.check(pid, procs);
                }
            }
        }
        s
    }

    /// Looks at one process again (exec, comm change, a tracked parent's fork).
    pub fn check(&mut self, pid: u32, procs: &[TrackProcess]) {
        match probe(pid, procs) {
            Some(m) => {
                for (set, hit) in self.sets.iter_mut().zip(m) {
                    if hit {
                        set.insert(pid);
                    } else {
                        set.remove(&pid);
                    }
                }
            }
            None => self.exit(pid),
        }
    }

    /// A process ended.
    pub fn exit(&mut self, pid: u32) {
        for set in &mut self.sets {
            set.remove(&pid);
        }
    }

    /// True when any tracker counts `pid`.
    pub fn tracks(&self, pid: u32) -> bool {
        self.sets.iter().any(|s| s.contains(&pid))
    }

    /// Matching processes per tracker.
    pub fn counts(&self) -> Vec<u32> {
        self.sets.iter().map(|s| s.len() as u32).collect()
    }
}

// ---- quorum --------------------------------------------------------------------------------

/// One tracker's state while it runs: what keepalived's `json_version 2` dump reports of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessStatus {
    /// Matching processes now (`num_cur_proc`), whatever the delays.
    pub current: u32,
    /// The quorum last reported to the instances.
    pub have_quorum: bool,
    /// A gained quorum waits for `fork_delay`.
    pub fork_delay_running: bool,
    /// A lost quorum waits for `terminate_delay`.
    pub terminate_delay_running: bool,
}

/// keepalived's quorum bookkeeping for one `vrrp_track_process`: the quorum is
/// `quorum <= count <= quorum_max`; gaining it counts after `fork_delay`, losing it after
/// `terminate_delay`, and a change that reverts before its delay ends is never reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumPolicy {
    quorum: u32,
    quorum_max: u32,
    fork_delay: Duration,
    terminate_delay: Duration,
    count: u32,
    have_quorum: bool,
    /// The delay running, if any: its end and whether it is the fork (gain) delay.
    pending: Option<(Instant, bool)>,
}

impl QuorumPolicy {
    /// The state from the first scan, taken at once (no delay at startup, as keepalived).
    pub fn new(p: &TrackProcess, count: u32) -> Self {
        Self {
            quorum: p.quorum,
            quorum_max: p.quorum_max,
            fork_delay: p.fork_delay,
            terminate_delay: p.terminate_delay,
            count,
            have_quorum: p.has_quorum(count),
            pending: None,
        }
    }

    /// The quorum last reported.
    pub fn have_quorum(&self) -> bool {
        self.have_quorum
    }

    /// The count, quorum and running delay, as keepalived's JSON dump shows them.
    pub fn status(&self) -> ProcessStatus {
        ProcessStatus {
            current: self.count,
            have_quorum: self.have_quorum,
            fork_delay_running: matches!(self.pending, Some((_, true))),
            terminate_delay_running: matches!(self.pending, Some((_, false))),
        }
    }

    fn in_quorum(&self, count: u32) -> bool {
        count >= self.quorum && count <= self.quorum_max
    }

    /// A new count of matching processes; `Some(quorum)` when the reported state changes now.
    pub fn handle_count(&mut self, now: Instant, count: u32) -> Option<bool> {
        let was = self.in_quorum(self.count);
        self.count = count;
        let is = self.in_quorum(count);
        if was == is {
            return None;
        }
        match self.pending {
            // The opposite delay was running: the change it waited for is undone.
            Some((_, fork)) if fork != is => {
                self.pending = None;
                return None;
            }
            _ => {}
        }
        let delay = if is {
            self.fork_delay
        } else {
            self.terminate_delay
        };
        if !delay.is_zero() {
            self.pending = Some((now + delay, is));
            return None;
        }
        self.report(is)
    }

    fn report(&mut self, q: bool) -> Option<bool> {
        if q == self.have_quorum {
            return None;
        }
        self.have_quorum = q;
        Some(q)
    }

    /// When [`QuorumPolicy::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.map(|(at, _)| at)
    }

    /// A delay ended: the quorum as it is now is reported if it changed.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<bool> {
        match self.pending {
            Some((at, _)) if at <= now => {
                self.pending = None;
                let q = self.in_quorum(self.count);
                self.report(q)
            }
            _ => None,
        }
    }
}

// ---- the proc connector --------------------------------------------------------------------

const NETLINK_CONNECTOR: libc::c_int = 11;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const NLMSG_HDRLEN: usize = 16;
const CN_MSG_LEN: usize = 20;
const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_COMM: u32 = 0x200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// A process event from the connector, threads already filtered out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcEvent {
    /// A new process (not a thread) `child` of `parent`.
    Fork {
        /// Parent's pid.
        parent: u32,
        /// Child's pid.
        child: u32,
    },
    /// `pid` exec'd or renamed itself: look at it again.
    Changed(u32),
    /// `pid` ended.
    Exit(u32),
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..off + 4)
        .map(|s| u32::from_ne_bytes(s.try_into().expect("4 bytes")))
}

/// Decodes one datagram of netlink messages carrying `struct proc_event`s.
pub fn parse_events(buf: &[u8]) -> Vec<ProcEvent> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + NLMSG_HDRLEN <= buf.len() {
        let Some(len) = u32_at(buf, off).map(|l| l as usize) else {
            break;
        };
        if len < NLMSG_HDRLEN || off + len > buf.len() {
            break;
        }
        let msg = &buf[off..off + len];
        // cn_msg, then proc_event: what, cpu, timestamp (8), event data.
        let ev = NLMSG_HDRLEN + CN_MSG_LEN;
        let data = ev + 16;
        let idx = u32_at(msg, NLMSG_HDRLEN);
        if idx == Some(CN_IDX_PROC) {
            let what = u32_at(msg, ev);
            let f = |k: usize| u32_at(msg, data + 4 * k);
            match what {
                Some(PROC_EVENT_FORK) => {
                    if let (Some(ptgid), Some(cpid), Some(ctgid)) = (f(1), f(2), f(3)) {
                        if cpid == ctgid {
                            out.push(ProcEvent::Fork {
                                parent: ptgid,
                                child: cpid,
                            });
                        }
                    }
                }
                Some(PROC_EVENT_EXEC) | Some(PROC_EVENT_COMM) => {
                    if let (Some(pid), Some(tgid)) = (f(0), f(1)) {
                        if pid == tgid {
                            out.push(ProcEvent::Changed(pid));
                        }
                    }
                }
                Some(PROC_EVENT_EXIT) => {
                    if let (Some(pid), Some(tgid)) = (f(0), f(1)) {
                        if pid == tgid {
                            out.push(ProcEvent::Exit(pid));
                        }
                    }
                }
                _ => {}
            }
        }
        off += (len + 3) & !3;
    }
    out
}

/// True when `buf` starts with a netlink message from the proc connector.
fn is_proc_message(buf: &[u8]) -> bool {
    u32_at(buf, 0).is_some_and(|l| l as usize >= NLMSG_HDRLEN + 8)
        && u32_at(buf, NLMSG_HDRLEN) == Some(CN_IDX_PROC)
}

struct Connector(OwnedFd);

impl AsRawFd for Connector {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Opens the proc connector and asks for every process event.
fn open_connector() -> std::io::Result<Connector> {
    // SAFETY: plain socket(2); the descriptor is owned at once.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            NETLINK_CONNECTOR,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let addr = nix::sys::socket::NetlinkAddr::new(0, CN_IDX_PROC);
    nix::sys::socket::bind(fd.as_raw_fd(), &addr)?;
    let mut msg = Vec::with_capacity(NLMSG_HDRLEN + CN_MSG_LEN + 4);
    let total = (NLMSG_HDRLEN + CN_MSG_LEN + 4) as u32;
    msg.extend_from_slice(&total.to_ne_bytes());
    msg.extend_from_slice(&(libc::NLMSG_DONE as u16).to_ne_bytes());
    msg.extend_from_slice(&0u16.to_ne_bytes()); // flags
    msg.extend_from_slice(&0u32.to_ne_bytes()); // seq
    msg.extend_from_slice(&std::process::id().to_ne_bytes());
    msg.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    msg.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes()); // seq
    msg.extend_from_slice(&0u32.to_ne_bytes()); // ack
    msg.extend_from_slice(&4u16.to_ne_bytes()); // len
    msg.extend_from_slice(&0u16.to_ne_bytes()); // flags
    msg.extend_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
    nix::sys::socket::send(fd.as_raw_fd(), &msg, nix::sys::socket::MsgFlags::empty())?;
    // The kernel acknowledges a subscription it accepts before send() returns, and ignores
    // one from another PID or user namespace; from another network namespace the socket
    // opens but never hears anything. No acknowledgement = no events: fall back to scanning.
    // The acknowledgement is queued synchronously on current kernels; a few short retries
    // cover older ones (at most 100 ms, only where the connector is unusable).
    let mut buf = [0u8; 256];
    let mut acked = false;
    for _ in 0..10 {
        match recv(fd.as_raw_fd(), &mut buf) {
            Ok(n) => {
                acked = is_proc_message(&buf[..n]);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e),
        }
    }
    if !acked {
        return Err(std::io::Error::other(
            "no acknowledgement from the proc connector (not in the initial network and PID namespaces)",
        ));
    }
    Ok(Connector(fd))
}

// ---- the runner ----------------------------------------------------------------------------

/// The process watcher task; dropping it stops watching.
#[derive(Debug, Default)]
pub struct ProcessWatcher {
    task: Option<JoinHandle<()>>,
    /// Each tracker's state, in configuration order, as the task last published it.
    status: Option<watch::Receiver<Vec<ProcessStatus>>>,
}

impl ProcessWatcher {
    /// Each tracker's state now, in configuration order (empty when none is watched).
    pub fn status(&self) -> Vec<ProcessStatus> {
        self.status
            .as_ref()
            .map(|r| r.borrow().clone())
            .unwrap_or_default()
    }
}

impl Drop for ProcessWatcher {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Scans `/proc` now and returns every tracker's quorum as events (to give the instances
/// before they start), with the task that follows the processes and sends
/// `TrackEvent::Process` on `tx` when a quorum is gained or lost (after its delay).
pub fn watch_processes(
    procs: &[TrackProcess],
    tx: UnboundedSender<TrackEvent>,
) -> (ProcessWatcher, Vec<TrackEvent>) {
    if procs.is_empty() {
        return (ProcessWatcher::default(), Vec::new());
    }
    // Subscribed before the scan, so no process starting in between is missed.
    // SAFETY: the connector socket is owned by the AsyncFd from here on and never closed or
    // replaced while registered.
    let connector = match open_connector().and_then(|c| {
        unsafe { AsyncFd::register_with_interest(c, Interest::READABLE) }
            .map_err(std::io::Error::from)
    }) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::info!(
                "Process events unavailable ({e}): vrrp_track_process rescans /proc every {}s",
                SCAN_INTERVAL.as_secs()
            );
            None
        }
    };
    let sets = ProcessSets::scan(procs);
    let now = Instant::now();
    let policies: Vec<QuorumPolicy> = procs
        .iter()
        .zip(sets.counts())
        .map(|(p, n)| QuorumPolicy::new(p, n))
        .collect();
    let initial = procs
        .iter()
        .zip(&policies)
        .map(|(p, q)| {
            tracing::info!(
                "Tracked process {} has {}quorum",
                p.name,
                if q.have_quorum() { "" } else { "no " }
            );
            TrackEvent::Process {
                name: p.name.clone(),
                quorum: q.have_quorum(),
            }
        })
        .collect();
    let (status_tx, status) = watch::channel(policies.iter().map(QuorumPolicy::status).collect());
    let task = tokio::spawn(run(
        procs.to_vec(),
        sets,
        policies,
        connector,
        now,
        tx,
        status_tx,
    ));
    let w = ProcessWatcher {
        task: Some(task),
        status: Some(status),
    };
    (w, initial)
}

async fn run(
    procs: Vec<TrackProcess>,
    mut sets: ProcessSets,
    mut policies: Vec<QuorumPolicy>,
    connector: Option<AsyncFd<Connector>>,
    start: Instant,
    tx: UnboundedSender<TrackEvent>,
    status: watch::Sender<Vec<ProcessStatus>>,
) {
    let mut next_scan = connector.is_none().then(|| start + SCAN_INTERVAL);
    let mut buf = vec![0u8; 8192];
    loop {
        let timer = policies
            .iter()
            .filter_map(QuorumPolicy::poll_timeout)
            .chain(next_scan)
            .min();
        let sleep = async {
            match timer {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let readable = async {
            match &connector {
                Some(c) => c.readable().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => {
                let now = Instant::now();
                if next_scan.is_some_and(|t| t <= now) {
                    sets = ProcessSets::scan(&procs);
                    next_scan = Some(now + SCAN_INTERVAL);
                }
            }
            guard = readable => {
                let Ok(mut guard) = guard else { return };
                let n = recv(guard.get_inner().as_raw_fd(), &mut buf);
                match n {
                    Ok(n) => {
                        for ev in parse_events(&buf[..n]) {
                            match ev {
                                ProcEvent::Fork { parent, child } => {
                                    if sets.tracks(parent) {
                                        sets.check(child, &procs);
                                    }
                                }
                                ProcEvent::Changed(pid) => sets.check(pid, &procs),
                                ProcEvent::Exit(pid) => sets.exit(pid),
                            }
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        guard.clear_ready();
                    }
                    Err(e) => {
                        // ENOBUFS: events were lost; the only safe view is a fresh scan.
                        tracing::info!("Process events overrun ({e}): rescanning /proc");
                        sets = ProcessSets::scan(&procs);
                    }
                }
            }
        }
        let now = Instant::now();
        let mut events = Vec::new();
        for ((p, q), n) in procs.iter().zip(&mut policies).zip(sets.counts()) {
            let change = q.handle_count(now, n).or(q.handle_timeout(now));
            if let Some(quorum) = change {
                tracing::info!(
                    "Quorum {} for tracked process {}",
                    if quorum { "gained" } else { "lost" },
                    p.name
                );
                events.push(TrackEvent::Process {
                    name: p.name.clone(),
                    quorum,
                });
            }
        }
        // Published before the events go out: whoever hears of a change sees its count.
        let now_status: Vec<ProcessStatus> = policies.iter().map(QuorumPolicy::status).collect();
        status.send_if_modified(|s| {
            let changed = *s != now_status;
            if changed {
                *s = now_status;
            }
            changed
        });
        for ev in events {
            if tx.send(ev).is_err() {
                return;
            }
        }
    }
}

/// `recv(2)` on the connector socket.
fn recv(fd: RawFd, buf: &mut [u8]) -> std::io::Result<usize> {
    nix::sys::socket::recv(fd, buf, nix::sys::socket::MsgFlags::empty()).map_err(Into::into)
}

#[cfg(test)]
mod tests;
