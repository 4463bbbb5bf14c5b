//! Observability beyond keepalived: the snapshot of every instance that the event loop
//! publishes, read by the metrics endpoint ([`metrics`], `--metrics-listen`) and the status
//! socket ([`status`], `keepalived --status`), each served from tasks of their own.
//!
//! The loop never waits on a reader and holds no lock for one: it builds a [`Snapshot`] (plain
//! values) only when a reader asks for a fresher one, and hands it over a watch channel.
//! Readers ask only when the one they hold is older than [`FRESH`], and asks coalesce into one
//! permit, so however many clients connect the loop builds at most one snapshot per pass and
//! about ten a second (under 1 ms each for 1000 instances), and none while nobody looks: a
//! failover of many instances costs the loop nothing here. What a reader shows is therefore
//! at most [`FRESH`] old. Text is rendered on blocking threads, off the loop's. Counters that
//! change off the loop (script runs, notify script timings) are read from their own sources.

pub mod http;
pub mod metrics;
pub mod status;

use crate::notify::ScriptTiming;
use crate::track::RunCounts;
use crate::vrrp::{State, Stats};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, mpsc, watch};

/// A snapshot younger than this is served as it is.
pub const FRESH: Duration = Duration::from_millis(100);
/// How long a reader waits for the loop to publish a fresher snapshot before it serves the
/// one it has (the loop is busy, or stopping).
const WAIT: Duration = Duration::from_millis(500);

/// Everything the observers show, as the loop saw it at `taken`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Monotonic time it was built (readers' freshness test).
    pub taken: Instant,
    /// Wall-clock time it was built (the status's "ago").
    pub taken_wall: SystemTime,
    /// When the daemon started.
    pub started: SystemTime,
    /// The daemon's process id.
    pub pid: u32,
    /// Every `vrrp_instance`, in configuration order.
    pub instances: Vec<InstanceView>,
    /// Every `vrrp_script` with its run counts (read at render time).
    pub scripts: Vec<(String, Arc<RunCounts>)>,
    /// Received packets that could not be decoded, by error, in name order.
    pub bad_packets: Vec<(String, u64)>,
}

impl Snapshot {
    /// An empty snapshot (before the loop's first).
    pub fn empty(started: SystemTime) -> Self {
        Self {
            taken: Instant::now(),
            taken_wall: SystemTime::now(),
            started,
            pid: std::process::id(),
            instances: Vec::new(),
            scripts: Vec::new(),
            bad_packets: Vec::new(),
        }
    }
}

/// One instance in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceView {
    /// `vrrp_instance` name.
    pub name: String,
    /// Its interface (empty when none).
    pub interface: String,
    /// `virtual_router_id`.
    pub vrid: u8,
    /// Current state.
    pub state: State,
    /// Configured priority.
    pub base_priority: u8,
    /// Priority after tracking weights.
    pub effective_priority: u8,
    /// keepalived's counters (those of `keepalived.stats`, plus version and checksum errors).
    pub stats: Stats,
    /// State changes since start (any from/to, INIT included).
    pub transitions: u64,
    /// The last one: from, to, reason (its log text) and when; `None` before the first.
    pub last: Option<(State, State, String)>,
    /// Wall clock of the last state change (start time before the first).
    pub last_transition: SystemTime,
    /// The current master: this node's address while MASTER, the source of the last advert
    /// accepted from the master while BACKUP, none otherwise.
    pub master: Option<IpAddr>,
    /// This node is the master.
    pub master_is_self: bool,
    /// Priority of the last advert accepted as BACKUP (keepalived's `master_priority`).
    pub master_priority: u8,
    /// `virtual_ipaddress` as `ADDR/LEN`, in configuration order.
    pub vips: Vec<String>,
}

/// What the loop keeps per instance for observers only: the engine and the dumps need none
/// of it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// State changes since start.
    pub transitions: u64,
    /// The last one: from, to and the reason's text.
    pub last: Option<(State, State, String)>,
    /// Source of the last advert accepted from a master as BACKUP.
    pub master: Option<IpAddr>,
}

impl Facts {
    /// Records a state change the engine reported.
    pub fn transition(&mut self, from: State, to: State, reason: &crate::vrrp::Reason) {
        self.transitions += 1;
        self.last = Some((from, to, reason.to_string()));
    }
}

/// The loop's end of the channel.
pub struct Publisher {
    tx: watch::Sender<Arc<Snapshot>>,
    wanted: Arc<Notify>,
}

/// A reader's end: cheap to clone, one per serving task.
#[derive(Clone)]
pub struct Reader {
    rx: watch::Receiver<Arc<Snapshot>>,
    wanted: Arc<Notify>,
}

/// A new channel holding an empty snapshot.
pub fn channel(started: SystemTime) -> (Publisher, Reader) {
    let (tx, rx) = watch::channel(Arc::new(Snapshot::empty(started)));
    let wanted = Arc::new(Notify::new());
    (
        Publisher {
            tx,
            wanted: wanted.clone(),
        },
        Reader { rx, wanted },
    )
}

impl Publisher {
    /// What readers signal when they want a fresher snapshot: await `notified()` on it (a
    /// lost wake-up is impossible: an ask made while nobody waits is kept as a permit).
    pub fn asks(&self) -> Arc<Notify> {
        self.wanted.clone()
    }

    #[cfg(test)]
    async fn wanted(&self) {
        self.wanted.notified().await;
    }

    /// Hands `snapshot` to the readers; never waits.
    pub fn publish(&self, snapshot: Snapshot) {
        self.tx.send_replace(Arc::new(snapshot));
    }
}

impl Reader {
    /// The latest snapshot, after asking the loop for a new one if it is older than [`FRESH`]
    /// (waiting at most [`WAIT`] for it).
    pub async fn fresh(&mut self) -> Arc<Snapshot> {
        let stale = self.rx.borrow_and_update().taken.elapsed() >= FRESH;
        if stale {
            self.wanted.notify_one();
            let _ = tokio::time::timeout(WAIT, self.rx.changed()).await;
        }
        self.rx.borrow_and_update().clone()
    }
}

/// The observers of one daemon run. Dropping it removes the status socket.
pub struct Observers {
    /// The loop's end of the snapshot channel.
    pub publisher: Publisher,
    /// Where the notifier reports notify script timings (with the metrics endpoint only).
    pub timings: Option<mpsc::UnboundedSender<ScriptTiming>>,
    /// When the daemon started.
    pub started: SystemTime,
    _socket: Option<status::Socket>,
}

/// Opens the status socket at `status_path` and, with `--metrics-listen`, the metrics
/// endpoint, and starts serving both. Failing to open either is logged and the daemon runs
/// on without it: VRRP service matters more than its monitoring.
pub fn start(
    metrics_listen: Option<SocketAddr>,
    status_path: Option<&Path>,
    started: SystemTime,
) -> Observers {
    let (publisher, reader) = channel(started);
    let mut socket = None;
    if let Some(path) = status_path {
        match status::Socket::bind(path) {
            Ok(mut s) => {
                if let Some(serving) = s.serve(reader.clone()) {
                    tokio::spawn(serving);
                }
                socket = Some(s);
            }
            Err(e) => tracing::error!("Unable to create status socket {}: {e}", path.display()),
        }
    }
    let mut timings = None;
    if let Some(addr) = metrics_listen {
        match metrics::bind(addr) {
            Ok(listener) => {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(metrics::serve(listener, reader, rx));
                timings = Some(tx);
                tracing::info!("Serving metrics on http://{addr}/metrics");
            }
            Err(e) => tracing::error!("Unable to serve metrics on {addr}: {e}"),
        }
    }
    Observers {
        publisher,
        timings,
        started,
        _socket: socket,
    }
}

/// keepalived's state numbers (`VRRP_STATE_*`), as its JSON dump and the exporters use them.
pub fn state_number(s: State) -> u8 {
    super::dump::state_number(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stale_reader_asks_once_and_gets_what_the_loop_publishes() {
        let started = SystemTime::UNIX_EPOCH;
        let (publisher, mut reader) = channel(started);
        // The loop side: answer one ask.
        let loop_side = tokio::spawn(async move {
            publisher.wanted().await;
            let mut s = Snapshot::empty(started);
            s.pid = 42;
            publisher.publish(s);
            publisher
        });
        tokio::time::sleep(FRESH).await;
        assert_eq!(reader.fresh().await.pid, 42);
        let publisher = loop_side.await.unwrap();
        // Gone publisher: the reader still serves the last snapshot.
        drop(publisher);
        tokio::time::sleep(FRESH).await;
        assert_eq!(reader.fresh().await.pid, 42);
    }
}
