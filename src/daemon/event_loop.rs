//! The one event loop: owns every `vrrp::Instance`, feeds it packets, tracker events, link
//! events, signals and time, and routes the actions it emits. Adverts are sent from here (a
//! raw-socket send never blocks); everything slow goes to the I/O worker in order.

use super::dump;
use super::io_worker::{self, Job};
use super::notify_events;
use super::sched::Sched;
use crate::config::{self, LoadOptions};
use crate::model::{self, TrackEvent};
use crate::net;
use crate::notify::{self, NotifyState};
use crate::track::{self, debounce::Decision};
use crate::vrrp::{self, Action, State, wire};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

mod dispatch;
mod dynamic;
mod firewall;
mod observed;
mod owned;
mod sync_groups;
mod vmacs;

/// What the loop needs besides the configuration.
pub struct Settings {
    /// `-f` path, re-read on SIGHUP.
    pub config_path: PathBuf,
    /// Options for re-reading it.
    pub load_opts: LoadOptions,
    /// `-V`: at stop, keep VIPs and send no priority 0.
    pub dont_release_vrrp: bool,
    /// Node name for mails.
    pub local_name: String,
    /// `--metrics-listen`: serve Prometheus metrics there.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// The `--status` socket to serve (beside the pid file).
    pub status_socket: Option<PathBuf>,
    /// `vrrp.pid`, written once there is VRRP work (a reload may bring the first).
    pub vrrp_pid: super::pidfile::VrrpPid,
    /// Namespace and instance names: a reload may not change them.
    pub identity: super::namespace::Identity,
    /// `-a`: log every address change netlink reports.
    pub address_monitoring: bool,
    /// keepalived's temp directory (`$TMPDIR` or `/tmp`), where the dumps go by default.
    pub tmp_dir: PathBuf,
    /// The process's scheduling as applied at start (`vrrp_priority`, `vrrp_rt_priority`…).
    pub process_sched: super::process_sched::ProcessSched,
}

/// Signals the loop acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Reload,
    Stop,
    Data,
    Stats,
    /// `STATS_CLEAR` (SIGRTMAX-1): write the stats, then zero them.
    StatsClear,
    /// `JSON` (SIGRTMIN+2): `keepalived.json`.
    Json,
    /// SIGXCPU: the soft `RLIMIT_RTTIME` (`vrrp_rlimit_rttime`) was reached.
    Xcpu,
}

/// One `vrrp_instance` at run time.
struct Slot {
    /// The engine's configuration, shared with it (one copy per instance in memory).
    cfg: Arc<model::Instance>,
    engine: vrrp::Instance,
    ifindex: u32,
    /// Advert source address (tie-break address too): IPv4, or for an IPv6 instance the
    /// configured source or the interface's link-local address.
    src: Option<IpAddr>,
    /// IPv4 ID counter: starts at 1, never 0 (inventory §8.1).
    ip_id: u16,
    /// Wall clock of the last state change, for the dumps.
    last_transition: SystemTime,
    /// Priority of the master's last advert accepted as BACKUP (keepalived's `master_priority`).
    master_priority: u8,
    /// An IPv6 instance: its adverts go through `socket6`, only IPv6 adverts reach it.
    v6: bool,
    /// The IPv4 socket pair it sends and receives with (its mode's), shared per interface.
    socket4: Option<Arc<net::VrrpSocket>>,
    /// The IPv6 socket pair it sends with (group or unicast source), shared per interface.
    socket6: Option<Arc<net::VrrpSocket6>>,
    /// Transitions, last reason and master, for `--status` and the metrics.
    facts: super::observe::Facts,
    /// Counts its turns as MASTER: a deletion check answers for one turn only (`owned.rs`).
    master_epoch: u64,
    /// `garp_extra_if`: when the next extra-interface announcement is due (MASTER only).
    garp_extra_due: Option<Instant>,
    /// keepalived's old unicast VRRPv3 checksum is in use (`old_unicast_checksum`, or seen
    /// from the peer): computed with this group (`vrrp_mcast_group4`) as destination.
    old_unicast_sum: Option<Ipv4Addr>,
}

/// The old unicast checksum as configured: always, or not (yet).
fn old_unicast_sum(cfg: &model::Instance, group: Ipv4Addr) -> Option<Ipv4Addr> {
    (cfg.unicast_opts.old_checksum == model::OldUnicastChecksum::Always).then_some(group)
}

impl Slot {
    /// The socket it receives on: its IPv4 pair's, or its IPv6 pair's.
    fn sock_key(&self) -> Option<dispatch::SockKey> {
        match (&self.socket4, &self.socket6) {
            (Some(s), _) if !self.v6 => Some(dispatch::SockKey::of4(s)),
            (_, Some(s)) if self.v6 => Some(dispatch::SockKey::of6(s)),
            _ => None,
        }
    }

    /// What the dispatcher needs to know of it.
    fn member(&self) -> dispatch::Member<'_> {
        dispatch::Member {
            sock: self.sock_key(),
            vrid: self.cfg.vrid,
            src: self.src,
            peers: &self.cfg.unicast_peers,
        }
    }
}

struct Link {
    index: u32,
    mac: [u8; 6],
    up: bool,
    primary_v4: Option<Ipv4Addr>,
    /// First link-local address when the link was first resolved: IPv6 advert source.
    link_local_v6: Option<Ipv6Addr>,
    /// IPv4 VRRP sockets by the group they joined, `None` for the unicast one: keepalived
    /// has one per group and one per unicast source (ours is unbound, see `dispatch.rs`).
    sockets4: HashMap<Option<Ipv4Addr>, Arc<net::VrrpSocket>>,
    /// IPv6 VRRP sockets by the address they are bound to (the group, or a unicast source):
    /// keepalived's sockpool has one per interface, family and group/source.
    sockets6: HashMap<Ipv6Addr, Arc<net::VrrpSocket6>>,
}

impl Link {
    fn new(i: net::Interface) -> Self {
        Self {
            index: i.index,
            mac: i.mac,
            up: i.up,
            primary_v4: i.primary_v4,
            link_local_v6: i.link_local_v6,
            sockets4: HashMap::new(),
            sockets6: HashMap::new(),
        }
    }
}

/// One received advert as its socket delivered it.
enum Incoming {
    /// A whole IPv4 datagram (raw IPv4 sockets include the header).
    V4(Vec<u8>),
    /// A bare VRRP message (raw IPv6 sockets strip the header) with the IPv6 fields the
    /// kernel gave as ancillary data.
    V6 {
        vrrp: Vec<u8>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hop_limit: u8,
    },
}

/// ff02::12, the VRRP group over IPv6 (RFC 5798 §5.1.2.2).
const MCAST_GROUP6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

struct Daemon {
    settings: Settings,
    config: model::Config,
    slots: Vec<Slot>,
    links: HashMap<String, Link>,
    netlink: rtnetlink::Handle,
    io_tx: mpsc::UnboundedSender<Job>,
    pkt_tx: mpsc::UnboundedSender<(dispatch::SockKey, Incoming)>,
    track_tx: mpsc::UnboundedSender<TrackEvent>,
    runners: Option<track::Runners>,
    /// `track_file` / `vrrp_track_process` watchers and their current values.
    trackers: super::trackers::FileProcessTrackers,
    /// Packets that failed to decode, counted by error kind (for rate-limited logging).
    bad_packets: HashMap<String, u64>,
    /// Last link state the instances were told, so repeated events change nothing.
    link_up: HashMap<String, bool>,
    /// `interface_up_down_delays`: link changes waiting out their interface's delay.
    debounce: track::debounce::Debounce,
    /// State counts last told to systemd (`STATUS=`), so it is sent only on a change.
    status_counts: Option<dump::StateCounts>,
    /// A state changed since `STATUS=` was last computed.
    status_dirty: bool,
    /// Deadlines and the slots the current event reached.
    sched: Sched,
    /// `vrrp_sync_group`s over `slots` (member indices are slot indices).
    sync: vrrp::sync::SyncGroups,
    /// The status socket and metrics endpoint, fed snapshots (see `observed.rs`).
    observe: super::observe::Observers,
    /// Interfaces whose `promote_secondaries` we set (reset at exit).
    promoted: Vec<String>,
    /// Sysctls changed for VMACs, to be put back.
    vmac_host: net::vmac::VmacHost,
    /// The VMACs made or taken over, removed at stop.
    vmacs: Vec<vmacs::OwnedVmac>,
    /// The slots by (socket, VRID), built at the first advert after [`Daemon::slots_moved`].
    dispatch: std::cell::OnceCell<dispatch::Index>,
}

/// Run until SIGTERM/SIGINT; returns the exit code.
pub async fn run(config: model::Config, settings: Settings) -> i32 {
    let (sig_tx, mut sig_rx) = mpsc::unbounded_channel();
    if let Err(e) = spawn_signal_thread(sig_tx) {
        tracing::error!("Unable to install signal handlers: {e}");
        return 1;
    }
    let netlink = match net::connect_with(config.global.io.netlink_cmd_rcvbuf) {
        Ok(n) => n,
        Err(e) => {
            tracing::error!("Unable to open netlink: {e}");
            return 1;
        }
    };
    let observe = super::observe::start(
        settings.metrics_listen,
        settings.status_socket.as_deref(),
        SystemTime::now(),
    );
    let (io_tx, io_rx) = mpsc::unbounded_channel();
    let (feedback_tx, mut feedback_rx) = mpsc::unbounded_channel();
    let worker = tokio::spawn(io_worker::run(
        io_worker::Context {
            netlink: netlink.clone(),
            script_user: crate::exec::default_script_user(config.global.script_user.as_ref()),
            global: config.global.clone(),
            local_name: settings.local_name.clone(),
            timings: observe.timings.clone(),
            feedback: feedback_tx,
        },
        io_rx,
    ));
    let (pkt_tx, mut pkt_rx) = mpsc::unbounded_channel();
    let (track_tx, mut track_rx) = mpsc::unbounded_channel();
    let mut link_rx = match net::monitor(config.global.io.netlink_monitor_rcvbuf) {
        Ok(rx) => rx,
        Err(e) => {
            tracing::error!("Unable to monitor links: {e}");
            return 1;
        }
    };
    let mut d = Daemon {
        settings,
        config: model::Config::default(),
        slots: Vec::new(),
        links: HashMap::new(),
        netlink,
        io_tx,
        pkt_tx,
        track_tx,
        runners: None,
        trackers: Default::default(),
        bad_packets: HashMap::new(),
        link_up: HashMap::new(),
        debounce: Default::default(),
        status_counts: None,
        status_dirty: true,
        sched: Sched::default(),
        sync: Default::default(),
        observe,
        promoted: Vec::new(),
        vmac_host: Default::default(),
        vmacs: Vec::new(),
        dispatch: Default::default(),
    };
    if let Err(code) = d.start(config, true).await {
        return code;
    }
    release_free_memory();
    let mut route_rx = d.route_monitor();
    let timer = match super::timer::Deadline::new() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("Unable to create the protocol timer: {e}");
            return 1;
        }
    };
    notify_systemd("READY=1");
    d.sched.begin();
    d.settle();
    let snapshot_asked = d.observe.publisher.asks();
    loop {
        let deadline = d.sched.next();
        // Every arm but adverts and timers may reach any instance (see `Sched::begin`).
        d.sched.begin();
        tokio::select! {
            Some((sock, pkt)) = pkt_rx.recv() => {
                d.sched.only();
                let now = Instant::now();
                d.handle_packet(now, sock, &pkt);
                // Adverts that queued up meanwhile, in the same pass (bounded: timers and
                // signals must not starve behind a flood).
                for _ in 0..64 {
                    let Ok((sock, pkt)) = pkt_rx.try_recv() else { break };
                    d.handle_packet(now, sock, &pkt);
                }
            }
            Some(ev) = track_rx.recv() => {
                let now = Instant::now();
                d.trackers.observe(&ev);
                for s in &mut d.slots { s.engine.handle_track(now, &ev); }
            }
            Some(ev) = link_rx.recv() => {
                if d.settings.address_monitoring {
                    log_address_change(&ev);
                }
                match ev {
                    net::NetEvent::Link(link) => {
                        let link = d.fresh_vmac_event(link).await;
                        d.handle_link(Instant::now(), link.clone());
                        d.vmac_maybe_deleted(&link).await;
                        d.dynamic_link(Instant::now(), &link).await;
                    }
                    net::NetEvent::Addr(a) => {
                        d.handle_owned_address(Instant::now(), &a);
                        if a.addr.is_ipv4() {
                            d.handle_address(a).await;
                        } else {
                            d.handle_addr(Instant::now(), a).await;
                        }
                    }
                    net::NetEvent::Overrun => d.refresh_links().await,
                }
            }
            Some(ev) = owned::recv_some(&mut route_rx) => d.handle_rt_event(ev),
            Some(fb) = feedback_rx.recv() => d.handle_feedback(Instant::now(), fb),
            Some(sig) = sig_rx.recv() => match sig {
                Signal::Stop => break,
                Signal::Reload => {
                    d.reload().await;
                    route_rx = d.route_monitor();
                }
                Signal::Data => d.write_data(),
                Signal::Stats => d.write_stats(),
                Signal::StatsClear => {
                    d.write_stats();
                    for s in &mut d.slots { s.engine.clear_stats(); }
                }
                Signal::Json => d.write_json(),
                // keepalived's `log_sigxcpu()`; the default action would dump core.
                Signal::Xcpu => tracing::info!(
                    "VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be increased"
                ),
            },
            () = sleep_until(d.debounce.poll_timeout()) => {
                let now = Instant::now();
                for (name, up) in d.debounce.expired(now) {
                    d.apply_link(now, &name, up);
                }
            }
            () = snapshot_asked.notified() => {
                d.sched.only();
                d.publish();
            }
            () = timer.wait(deadline) => {
                d.sched.only();
                // Adverts that arrived while this process waited for the CPU come before any
                // timer: yield_now() wakes the loop only after the I/O driver has been polled,
                // so the socket readers forward what the kernel holds first. A backup kept off
                // the CPU past its master-down time by load then still hears the adverts its
                // master sent, instead of taking over on a stale timer (keepalived's scheduler
                // also runs reads before timers; bench/fast_v3.sh measures the false
                // transitions this prevents).
                tokio::task::yield_now().await;
                let now = Instant::now();
                for _ in 0..64 {
                    let Ok((sock, pkt)) = pkt_rx.try_recv() else { break };
                    d.handle_packet(now, sock, &pkt);
                }
                // keepalived's scheduler: a timer served too late may make us real-time.
                if let Some(late) = deadline.and_then(|dl| now.checked_duration_since(dl)) {
                    d.settings.process_sched.handle_late(late);
                }
                for i in d.sched.expired(now) {
                    let s = &mut d.slots[i];
                    if s.engine.poll_timeout().is_some_and(|t| t <= now) {
                        s.engine.handle_timeout(now);
                    }
                }
            }
        }
        d.settle();
    }
    notify_systemd("STOPPING=1");
    tracing::info!("Stopping");
    d.shutdown_all();
    d.queue_vmac_teardown(!d.settings.dont_release_vrrp);
    d.runners = None;
    let promoted = std::mem::take(&mut d.promoted);
    // The configuration in force at the end decides (a reload may have changed it).
    let shutdown = d.config.global.shutdown_script.clone();
    let script_user = crate::exec::default_script_user(d.config.global.script_user.as_ref());
    drop(d);
    // Let queued address removals and STOP notifies finish; bounded so a stuck netlink
    // request cannot keep a stopping daemon alive.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), worker).await;
    promoted.iter().for_each(|i| {
        if let Err(e) = net::reset_promote_secondaries(i) {
            tracing::warn!("cannot reset promote_secondaries on {i}: {e}");
        }
    });
    // keepalived's parent runs it once its children have stopped, and exits after it.
    if let Some(s) = &shutdown {
        super::start_stop::run(super::start_stop::Kind::Shutdown, s, script_user.as_ref()).await;
    }
    0
}

/// Hands the memory freed after reading a configuration (its statement tree and source
/// lines, transient) back to the kernel: glibc keeps freed heap pages otherwise, and the
/// daemon's resident size would stay at its start-up peak (1000 instances: 19.3 MB, 16.0 MB
/// with this).
fn release_free_memory() {
    // SAFETY: malloc_trim only returns free heap memory to the kernel; it has no other effect.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Sleeps until `at`, or forever without a deadline (a `select!` arm that never fires).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
        None => std::future::pending().await,
    }
}

/// `-a`: keepalived's `Netlink reflector reports IP A added to|removed from IF`, for every
/// address on every interface.
fn log_address_change(ev: &net::NetEvent) {
    let net::NetEvent::Addr(a) = ev else { return };
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes if_indextoname may write, NUL included.
    let name = unsafe { libc::if_indextoname(a.index, buf.as_mut_ptr()) };
    let ifname = if name.is_null() {
        format!("ifindex {}", a.index)
    } else {
        // SAFETY: on success `buf` holds a NUL-terminated name.
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    let what = if a.added { "added to" } else { "removed from" };
    tracing::info!("Netlink reflector reports IP {} {what} {ifname}", a.addr);
}

/// signal-hook delivers signals on a thread of its own; the loop receives them as values.
fn spawn_signal_thread(tx: mpsc::UnboundedSender<Signal>) -> std::io::Result<()> {
    use signal_hook::consts::*;
    // glibc's numbering, computed at run time as keepalived and `--signum` do.
    let json = libc::SIGRTMIN() + 2;
    let stats_clear = libc::SIGRTMAX() - 1;
    let mut signals = signal_hook::iterator::Signals::new([
        SIGHUP,
        SIGTERM,
        SIGINT,
        SIGUSR1,
        SIGUSR2,
        json,
        stats_clear,
        SIGXCPU,
    ])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let s = match sig {
                    SIGHUP => Signal::Reload,
                    SIGUSR1 => Signal::Data,
                    SIGUSR2 => Signal::Stats,
                    s if s == json => Signal::Json,
                    s if s == stats_clear => Signal::StatsClear,
                    SIGXCPU => Signal::Xcpu,
                    _ => Signal::Stop,
                };
                if tx.send(s).is_err() {
                    break;
                }
            }
        })?;
    Ok(())
}

/// `sd_notify` without libsystemd: one datagram to `$NOTIFY_SOCKET` when run by systemd.
fn notify_systemd(state: &str) {
    if let Ok(path) = std::env::var("NOTIFY_SOCKET") {
        if let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() {
            let _ = sock.send_to(state.as_bytes(), path);
        }
    }
}

/// The key keepalived matches instances by across a reload (inventory §4.4): not the name.
/// A changed VMAC (name, MAC, xmit_base, VIP VMACs) makes a new instance here.
type InstanceKey = (
    u8,
    bool,
    Option<String>,
    bool,
    Option<IpAddr>,
    Option<(String, [u8; 6], bool)>,
    Vec<model::Vmac>,
);

fn instance_key(i: &model::Instance) -> InstanceKey {
    (
        i.vrid,
        // keepalived's `vrrp_exist()` compares the family first: an IPv4 and an IPv6 instance
        // with one VRID on one interface are two instances, whatever their order in the file.
        i.is_ipv6(),
        i.interface.clone(),
        i.is_unicast(),
        i.src_ip,
        i.vmac
            .own
            .as_ref()
            .map(|v| (v.ifname.clone(), v.mac, i.vmac.xmit_base)),
        i.vmac.for_vips.clone(),
    )
}

impl Daemon {
    /// Bring up links, sockets, instances and trackers for `config`. `boot` removes VIPs
    /// left behind by a previous run before the first election.
    async fn start(&mut self, config: model::Config, boot: bool) -> Result<(), i32> {
        let now = Instant::now();
        crate::exec_security::set_enforced(config.global.enable_script_security);
        self.config = config;
        self.trackers.apply(&self.config, false, &self.track_tx);
        let delay = self.config.global.vrrp_startup_delay;
        if boot && !delay.is_zero() {
            tracing::info!("Delaying startup for {} seconds", delay.as_secs_f64());
        }
        if boot {
            self.static_job(true, true);
            self.disable_local_igmp();
        }
        let instances = self.config.instances.clone();
        for cfg in &instances {
            self.add_or_wait(now, cfg, boot).await?;
        }
        self.rebuild_sync(None);
        self.restart_runners();
        self.drain_actions();
        Ok(())
    }

    fn restart_runners(&mut self) {
        let user = crate::exec::default_script_user(self.config.global.script_user.as_ref());
        let counts = self.runners.as_ref().map(|r| r.counts().to_vec());
        self.runners = None; // stops the old runners and their running checks first
        self.runners = Some(track::spawn_script_runners_counted(
            &self.config.scripts,
            user.as_ref(),
            self.track_tx.clone(),
            &counts.unwrap_or_default(),
        ));
    }

    /// Resolve (and remember) an interface.
    async fn known_link(&mut self, name: &str) -> Result<&mut Link, String> {
        if !self.links.contains_key(name) {
            let i = net::interface(&self.netlink, name)
                .await
                .map_err(|e| format!("interface {name}: {e}"))?;
            self.link_known(name, i.up);
            self.links.insert(name.to_string(), Link::new(i));
        }
        Ok(self.links.get_mut(name).expect("inserted above"))
    }

    /// Resolve (and remember) an interface, opening its IPv6 VRRP sockets bound to `local`
    /// (the group, joined, or a unicast source) unless already open, and return them.
    async fn link6(
        &mut self,
        name: &str,
        local: Ipv6Addr,
    ) -> Result<Arc<net::VrrpSocket6>, String> {
        let tx = self.pkt_tx.clone();
        let link = self.known_link(name).await?;
        if let Some(sock) = link.sockets6.get(&local) {
            return Ok(sock.clone());
        }
        let sock = net::VrrpSocket6::open(name, link.index, local)
            .map_err(|e| format!("VRRP IPv6 socket on {name}: {e}"))?;
        let sock = Arc::new(sock);
        link.sockets6.insert(local, sock.clone());
        let key = dispatch::SockKey::of6(&sock);
        let rx_sock = sock.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            loop {
                match rx_sock.recv(&mut buf).await {
                    Ok(r) => {
                        let msg = Incoming::V6 {
                            vrrp: buf[..r.len.min(buf.len())].to_vec(),
                            src: r.src,
                            dst: r.dst,
                            hop_limit: r.hop_limit,
                        };
                        if tx.send((key, msg)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!(target: vrrp::RX_LOG, "VRRP IPv6 socket receive error: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Ok(sock)
    }

    /// Resolve (and remember) an interface, opening its IPv4 VRRP sockets for `group`
    /// (joined) or, without one, its unicast sockets, unless already open, and return them.
    async fn link4(
        &mut self,
        name: &str,
        group: Option<Ipv4Addr>,
    ) -> Result<Arc<net::VrrpSocket>, String> {
        let tx = self.pkt_tx.clone();
        let link = self.known_link(name).await?;
        if let Some(sock) = link.sockets4.get(&group) {
            return Ok(sock.clone());
        }
        let join = group.is_some();
        let sock = net::VrrpSocket::open(
            name,
            link.index,
            group.unwrap_or(Ipv4Addr::UNSPECIFIED),
            join,
        )
        .map_err(|e| format!("VRRP socket on {name}: {e}"))?;
        let sock = Arc::new(sock);
        link.sockets4.insert(group, sock.clone());
        let key = dispatch::SockKey::of4(&sock);
        let rx_sock = sock.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            loop {
                match rx_sock.recv(&mut buf).await {
                    Ok(n) => {
                        if tx.send((key, Incoming::V4(buf[..n].to_vec()))).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!(target: vrrp::RX_LOG, "VRRP socket receive error: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Ok(sock)
    }

    async fn add_instance(
        &mut self,
        now: Instant,
        cfg: &model::Instance,
        boot: bool,
    ) -> Result<(), i32> {
        // A sync-group member also tracks what its group tracks.
        let mut merged = vrrp::sync::member_config(cfg, &self.config.sync_groups);
        // Its VMACs first: its VIPs go on them, and leftovers are removed from them.
        let vmac_ok = self.setup_vmacs(&mut merged).await;
        let merged = Arc::new(merged);
        let cfg: &model::Instance = &merged;
        let Some(ifname) = cfg.interface.clone() else {
            tracing::error!(
                "({}) instances without an interface are not supported yet",
                cfg.name
            );
            return Err(2);
        };
        let mut engine = vrrp::Instance::shared(Arc::clone(&merged), &self.config.scripts);
        let v6 = engine.is_ipv6();
        if boot && v6 {
            // Before the link-local is read: a link-local VIP left by a killed run is listed
            // before the interface's own address and would be taken as the advert source.
            let vips = self.vip_targets(cfg).await;
            self.remove_leftover_vips(cfg, &vips).await;
        }
        // With use_vmac the sockets are on the VMAC (vmacs.rs); the source stays the parent's.
        let sock_if = vmacs::socket_ifname(cfg).unwrap_or(&ifname).to_owned();
        let parent_up = match self.known_link(&ifname).await {
            Ok(l) => l.up,
            Err(e) => {
                tracing::error!("({}) {e}", cfg.name);
                return Err(2);
            }
        };
        let (index, _, src, socket6, socket4) = if v6 {
            match self.open_ipv6(cfg, &sock_if).await {
                Ok((index, up, src, socket6)) => (index, up, src, socket6, None),
                Err(e) => {
                    tracing::error!("({}) {e}", cfg.name);
                    return Err(2);
                }
            }
        } else {
            // Each mode has its own sockets (keepalived's sockpool), so an interface may
            // carry multicast and unicast instances at once.
            let group = match cfg.mcast_group {
                IpAddr::V4(g) => g,
                IpAddr::V6(_) => Ipv4Addr::new(224, 0, 0, 18),
            };
            let sock = match self
                .link4(&sock_if, (!cfg.is_unicast()).then_some(group))
                .await
            {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("({}) {e}", cfg.name);
                    return Err(2);
                }
            };
            let up = self.links.get(&sock_if).is_some_and(|l| l.up);
            let primary = self.links.get(&ifname).and_then(|l| l.primary_v4);
            let src = match cfg.src_ip {
                Some(IpAddr::V4(a)) => Some(a),
                _ => primary,
            };
            (sock.ifindex(), up, src.map(IpAddr::V4), None, Some(sock))
        };
        // Also registers the links of VIPs with `dev`, which `vip_pairs` looks up.
        let vips = self.vip_targets(cfg).await;
        if boot && !v6 {
            self.remove_leftover_vips(cfg, &vips).await;
        }
        self.register_route_links(cfg).await;
        self.prepare_instance(cfg, boot);
        let src = self.tracked_source(cfg, index, src).await;
        let (src, socket6) = if unicast_source_refused(cfg, index) {
            (None, None)
        } else {
            (src, socket6)
        };
        // Tracked interfaces' current state first, so startup sees them as they are.
        let tracked =
            (cfg.track_interfaces.iter().map(|t| &t.name)).chain(&cfg.implicit_interfaces);
        for name in tracked {
            match net::interface(&self.netlink, name).await {
                Ok(i) => {
                    self.link_known(name, i.up);
                    engine.handle_track(
                        now,
                        &TrackEvent::Interface {
                            name: name.clone(),
                            up: i.up,
                        },
                    )
                }
                Err(e) => tracing::error!("({}) track_interface {name}: {e}", cfg.name),
            }
        }
        for ev in self.trackers.current() {
            engine.handle_track(now, ev);
        }
        if boot && !self.config.global.vrrp_startup_delay.is_zero() {
            engine.set_startup_delay(now + self.config.global.vrrp_startup_delay);
        }
        let up = vmac_ok && self.own_link_up(cfg, parent_up);
        engine.handle_startup(now, src, up);
        self.slots.push(Slot {
            cfg: engine.shared_config(),
            engine,
            ifindex: index,
            src,
            ip_id: 0,
            last_transition: SystemTime::now(),
            master_priority: 0,
            v6,
            socket4,
            socket6,
            facts: Default::default(),
            master_epoch: 0,
            garp_extra_due: None,
            old_unicast_sum: old_unicast_sum(cfg, self.config.global.vrrp_mcast_group4),
        });
        self.slots_moved();
        Ok(())
    }

    /// A reload binds again the unicast sources refused at start (keepalived reopens its
    /// socket pool then): an instance whose address is now there leaves FAULT.
    async fn retry_unicast_sources(&mut self, now: Instant) {
        for i in 0..self.slots.len() {
            let s = &self.slots[i];
            let Some(src) = s
                .cfg
                .src_ip
                .filter(|_| s.src.is_none() && s.cfg.is_unicast())
            else {
                continue;
            };
            if s.cfg.track_src_ip || net::probe_unicast_source(src, s.ifindex).is_err() {
                continue;
            }
            let socket6 = match (src, vmacs::socket_ifname(&s.cfg).map(str::to_owned)) {
                (IpAddr::V6(a), Some(ifname)) => match self.link6(&ifname, a).await {
                    Ok(sock) => Some(sock),
                    Err(e) => {
                        tracing::error!("({}) {e}", self.slots[i].cfg.name);
                        continue;
                    }
                },
                _ => None,
            };
            let s = &mut self.slots[i];
            if socket6.is_some() {
                s.socket6 = socket6;
            }
            s.src = Some(src);
            s.engine.handle_source_address(now, s.src);
            self.slots_moved();
        }
    }

    /// Leftovers of a run that died: keepalived removes configured VIPs at start. This is the
    /// place for every leftover found before the first election: VMAC links (`vrrp.VRID@IF`)
    /// a killed run made belong here too once `use_vmac` is built (keepalived deletes them in
    /// `vrrp_restore_interfaces_startup()` / when it recreates them). VIPs installed with a
    /// `vrrp_vip_lifetime` may already have expired; removing one that is gone is harmless.
    async fn remove_leftover_vips(
        &mut self,
        cfg: &model::Instance,
        vips: &[(u32, model::VirtualAddr)],
    ) {
        for (ifindex, vip) in vips {
            if net::has_address(&self.netlink, *ifindex, vip.addr)
                .await
                .unwrap_or(false)
            {
                tracing::info!(
                    "({}) removing leftover VIP {}/{}",
                    cfg.name,
                    vip.addr,
                    vip.prefix_len
                );
                let _ = net::del_address(&self.netlink, *ifindex, vip).await;
            }
        }
    }

    /// Link and socket of an IPv6 instance: (ifindex, link up, advert source, socket). The
    /// source is `unicast_src_ip`/`mcast_src_ip` if IPv6, else the interface's link-local
    /// address (keepalived sends from it); without one the engine starts in FAULT and no
    /// unicast socket can be bound. Multicast instances share the socket joined to the group.
    async fn open_ipv6(
        &mut self,
        cfg: &model::Instance,
        ifname: &str,
    ) -> Result<(u32, bool, Option<IpAddr>, Option<Arc<net::VrrpSocket6>>), String> {
        // Re-read: the cached one may predate DAD or the removal of leftover VIPs. A link-local
        // VIP held by a running MASTER is listed first and is never the source: then the
        // cached address (read before it was added) stays.
        let vip_addrs: Vec<IpAddr> = self
            .config
            .instances
            .iter()
            .flat_map(|i| i.vips.iter().map(|v| v.addr))
            .collect();
        let is_vip = |a: &Ipv6Addr| vip_addrs.contains(&IpAddr::V6(*a));
        let fresh = net::interface(&self.netlink, ifname)
            .await
            .ok()
            .map(|i| i.link_local_v6);
        let link = self.known_link(ifname).await?;
        match fresh {
            Some(Some(a)) if !is_vip(&a) => link.link_local_v6 = Some(a),
            Some(None) => link.link_local_v6 = None,
            _ => {}
        }
        if link.link_local_v6.as_ref().is_some_and(is_vip) {
            link.link_local_v6 = None;
        }
        let (index, up, link_local) = (link.index, link.up, link.link_local_v6);
        let src = match cfg.src_ip {
            Some(IpAddr::V6(a)) => Some(a),
            _ => link_local,
        };
        let local = if cfg.is_unicast() {
            src
        } else {
            if cfg
                .vips
                .first()
                .is_some_and(|v| matches!(v.addr, IpAddr::V6(a) if !a.is_unicast_link_local()))
            {
                // keepalived 2.2.7 says so at start (an error only in strict mode, which the
                // config checker reports).
                tracing::info!(
                    "({}) the first IPv6 VIP address should be link local",
                    cfg.name
                );
            }
            Some(match cfg.mcast_group {
                IpAddr::V6(g) => g,
                IpAddr::V4(_) => MCAST_GROUP6,
            })
        };
        if src.is_none() {
            tracing::warn!(
                "({}) no IPv6 link-local address on {ifname}: no source for adverts",
                cfg.name
            );
        }
        let socket = match local {
            Some(local) => Some(self.link6(ifname, local).await?),
            None => None,
        };
        Ok((index, up, src.map(IpAddr::V6), socket))
    }

    /// (ifindex, VIP) pairs: `dev` when given, else the instance interface.
    async fn vip_targets(&mut self, cfg: &model::Instance) -> Vec<(u32, model::VirtualAddr)> {
        let mut out = Vec::new();
        for vip in cfg.vips.iter().chain(&cfg.vips_excluded) {
            let Some(dev) = vip.dev.clone().or_else(|| cfg.interface.clone()) else {
                continue;
            };
            let index = match self.links.get(&dev) {
                Some(l) => l.index,
                None => match net::interface(&self.netlink, &dev).await {
                    Ok(i) => {
                        let index = i.index;
                        self.link_known(&dev, i.up);
                        self.links.insert(dev.clone(), Link::new(i));
                        index
                    }
                    Err(e) => {
                        tracing::error!("({}) VIP {} on {dev}: {e}", cfg.name, vip.addr);
                        continue;
                    }
                },
            };
            out.push((index, vip.clone()));
        }
        out
    }

    /// The instances attached to `sock` (keepalived's per-socket VRID tree) with `vrid`
    /// that an advert from `src` to `dst` is for (`dispatch.rs`).
    fn recipients(
        &self,
        sock: dispatch::SockKey,
        vrid: u8,
        src: IpAddr,
        dst: Option<IpAddr>,
    ) -> Vec<usize> {
        let index = (self.dispatch)
            .get_or_init(|| dispatch::Index::build(self.slots.iter().map(Slot::member)));
        let to = index.recipients(|i| self.slots[i].member(), sock, vrid, src, dst);
        // Debug builds (every test and lab) check the index against a full scan, so a change
        // of slots or sockets that forgot to call `slots_moved` cannot go unnoticed.
        debug_assert_eq!(
            to,
            dispatch::recipients(self.slots.iter().map(Slot::member), sock, vrid, src, dst),
            "dispatch index out of date"
        );
        to
    }

    /// Slots were added, removed or reordered, or one got another socket: the dispatch index
    /// is rebuilt at the next advert.
    fn slots_moved(&mut self) {
        self.dispatch = std::cell::OnceCell::new();
    }

    fn handle_packet(&mut self, now: Instant, sock: dispatch::SockKey, pkt: &Incoming) {
        // Each socket has its own instances, as keepalived's sockpool: an advert reaches only
        // those of its family and mode (multicast group or unicast) on its interface.
        let ifindex = sock.ifindex;
        let parsed = match pkt {
            Incoming::V4(dg) => self.parse_ipv4(sock, dg).map_err(|e| {
                let who = wire::peek_ipv4(dg).map(|(src, vrid)| (IpAddr::V4(src), vrid));
                (e, who)
            }),
            Incoming::V6 {
                vrrp,
                src,
                dst,
                hop_limit,
            } => wire::parse_ipv6(vrrp, *src, *dst, *hop_limit).map_err(|e| {
                let who = wire::peek_vrid(vrrp).map(|vrid| (IpAddr::V6(*src), vrid));
                (e, who)
            }),
        };
        let rx = match parsed {
            Ok(rx) => rx,
            Err((e, who)) => {
                // Counted on the instance the datagram was meant for, when it can be told.
                if let Some((src, vrid)) = who {
                    for i in self.recipients(sock, vrid, src, None) {
                        self.slots[i].engine.handle_decode_error(now, src, &e);
                        self.sched.touch(i);
                    }
                }
                let key = e.to_string();
                let n = self.bad_packets.entry(key.clone()).or_insert(0);
                *n += 1;
                // Rate limit: the first of each kind, then every 100th.
                if *n == 1 || *n % 100 == 0 {
                    tracing::warn!(target: vrrp::RX_LOG, "bad VRRP packet on ifindex {ifindex}: {key} (seen {n} times)");
                }
                return;
            }
        };
        let to = self.recipients(sock, rx.advert.vrid, rx.src, Some(rx.dst));
        let known = !to.is_empty();
        for i in to {
            let s = &mut self.slots[i];
            self.sched.touch(i);
            if Some(rx.src) == s.src {
                continue; // our own advert looped back
            }
            let before = s.engine.stats().advert_rcvd;
            s.engine.handle_packet(now, &rx);
            if let Some(p) = accepted_master_priority(s, before, rx.advert.priority) {
                s.master_priority = p;
                s.facts.master = Some(rx.src);
            }
        }
        if !known {
            // keepalived's line, with `log_unknown_vrids` only.
            let name = (self.links.iter())
                .find(|(_, l)| l.index == ifindex)
                .map_or_else(|| ifindex.to_string(), |(n, _)| n.clone());
            if self.config.global.io.log_unknown_vrids {
                tracing::info!(
                    "Unknown VRID({}) received on interface({name}). ignoring...",
                    rx.advert.vrid
                );
            } else {
                tracing::trace!(
                    "Unknown VRID({}) received on interface({name}). ignoring...",
                    rx.advert.vrid
                );
            }
        }
    }

    /// [`wire::parse_ipv4`], but a VRRPv3 checksum is not verified when an instance on this
    /// interface with this VRID has `v3_checksum_as_v2` (keepalived 2.2.8+), and is verified
    /// keepalived's old unicast way for an instance using it. A unicast instance not told
    /// otherwise (`old_unicast_checksum never`) switches to the old way for good when an
    /// advert sent to it only checks out that way, as keepalived does.
    fn parse_ipv4(
        &mut self,
        sock: dispatch::SockKey,
        dg: &[u8],
    ) -> Result<wire::Received, wire::DecodeError> {
        let group = self.config.global.vrrp_mcast_group4;
        let slot = wire::peek_ipv4(dg).and_then(|(src, vrid)| {
            self.recipients(sock, vrid, IpAddr::V4(src), None)
                .first()
                .copied()
        });
        if let Some(s) = slot.map(|i| &self.slots[i]) {
            if let (Some(g), false) = (s.old_unicast_sum, s.cfg.v3_checksum_as_v2) {
                return wire::parse_ipv4_old_unicast_checksum(dg, g);
            }
        }
        let auto = slot.filter(|&i| {
            let c = &self.slots[i].cfg;
            c.is_unicast()
                && !c.v3_checksum_as_v2
                && c.unicast_opts.old_checksum == model::OldUnicastChecksum::Auto
        });
        let first = wire::parse_ipv4(dg);
        if let (Err(wire::DecodeError::Checksum), Some(i)) = (&first, auto) {
            if let Ok(rx) = wire::parse_ipv4_old_unicast_checksum(dg, group) {
                if rx.dst != IpAddr::V4(group) {
                    let s = &mut self.slots[i];
                    s.old_unicast_sum = Some(group);
                    tracing::info!(
                        "({}) Setting unicast VRRPv3 checksum to old version",
                        s.cfg.name
                    );
                    return Ok(rx);
                }
            }
        }
        match first {
            Err(wire::DecodeError::Checksum)
                if wire::peek_ipv4(dg).is_some_and(|(src, vrid)| {
                    (self.recipients(sock, vrid, IpAddr::V4(src), None).iter())
                        .any(|&i| self.slots[i].cfg.v3_checksum_as_v2)
                }) =>
            {
                wire::parse_ipv4_v3_checksum_as_v2(dg)
            }
            other => other,
        }
    }

    fn handle_link(&mut self, now: Instant, ev: net::LinkEvent) {
        let tracked = self.links.contains_key(&ev.name)
            || self.slots.iter().any(|s| {
                s.cfg.track_interfaces.iter().any(|t| t.name == ev.name)
                    || s.cfg.implicit_interfaces.contains(&ev.name)
            });
        if !tracked {
            return;
        }
        let (down_delay, up_delay) = self
            .config
            .interface_up_down_delays
            .iter()
            .find(|d| d.interface == ev.name)
            .map_or((Duration::ZERO, Duration::ZERO), |d| (d.down, d.up));
        let applied = self.link_up.get(&ev.name).copied();
        match self
            .debounce
            .observe(now, &ev.name, ev.up, applied, down_delay, up_delay)
        {
            Decision::Apply => self.apply_link(now, &ev.name, ev.up),
            Decision::Delay(at) => tracing::info!(
                "{}: Adding link change to {} delay by {} ms",
                ev.name,
                if ev.up { "up" } else { "down" },
                at.saturating_duration_since(now).as_millis()
            ),
            Decision::Cancelled => tracing::info!("Delay timer for {} cancelled", ev.name),
            Decision::Ignore => {}
        }
    }

    /// The state the instances first see for an interface, without an event.
    fn link_known(&mut self, name: &str, up: bool) {
        self.link_up.entry(name.to_owned()).or_insert(up);
        self.debounce.known(name, up);
    }

    /// A link change (after its `interface_up_down_delays` delay, if any) reaches the
    /// instances tracking the interface.
    fn apply_link(&mut self, now: Instant, name: &str, up: bool) {
        self.link_up.insert(name.to_owned(), up);
        if let Some(link) = self.links.get_mut(name) {
            link.up = up;
        }
        tracing::info!(
            "Netlink reports {} {}",
            name,
            if up { "up" } else { "down" }
        );
        let ev = net::LinkEvent {
            name: name.to_owned(),
            index: self.links.get(name).map_or(0, |l| l.index),
            up,
        };
        // A VMAC instance sees its parent and its VMAC as one interface (vmacs.rs).
        let events: Vec<TrackEvent> = self
            .slots
            .iter()
            .map(|s| self.link_event_for(s, &ev))
            .collect();
        for (s, te) in self.slots.iter_mut().zip(events) {
            s.engine.handle_track(now, &te);
        }
    }

    /// An IPv4 address came or went on an interface we use: the primary address (advert
    /// source and tie-break) of instances without `unicast_src_ip` may have changed, and an
    /// instance that started with none leaves FAULT once it has one (inventory §8.13).
    async fn handle_address(&mut self, ev: net::AddrEvent) {
        if !ev.addr.is_ipv4() {
            return;
        }
        let Some(name) = self
            .links
            .iter()
            .find(|(_, l)| l.index == ev.index)
            .map(|(n, _)| n.clone())
        else {
            return;
        };
        let Ok(i) = net::interface(&self.netlink, &name).await else {
            return;
        };
        let link = self.links.get_mut(&name).expect("found above");
        if link.primary_v4 == i.primary_v4 {
            return;
        }
        link.primary_v4 = i.primary_v4;
        let now = Instant::now();
        for s in self
            .slots
            .iter_mut()
            .filter(|s| !s.v6 && s.cfg.interface.as_ref() == Some(&name) && s.cfg.src_ip.is_none())
        {
            s.src = i.primary_v4.map(IpAddr::V4);
            s.engine.handle_source_address(now, s.src);
        }
    }

    /// An address came or went. Only IPv6 link-local changes matter here: they are the source
    /// of IPv6 instances without a configured one, so an instance started before its
    /// interface had one (FAULT, no source) recovers when it appears, and one whose address
    /// is removed goes to FAULT. Configured VIPs are never taken as the source.
    async fn handle_addr(&mut self, now: Instant, ev: net::AddrEvent) {
        let IpAddr::V6(addr) = ev.addr else { return };
        if !addr.is_unicast_link_local()
            || self
                .config
                .instances
                .iter()
                .any(|i| i.vips.iter().any(|v| v.addr == ev.addr))
        {
            return;
        }
        let Some(name) = self
            .links
            .iter()
            .find(|(_, l)| l.index == ev.index)
            .map(|(n, _)| n.clone())
        else {
            return;
        };
        let current = self.links.get(&name).and_then(|l| l.link_local_v6);
        let new = match (ev.added, current) {
            (true, None) => Some(addr),
            (false, Some(c)) if c == addr => net::interface(&self.netlink, &name)
                .await
                .ok()
                .and_then(|i| i.link_local_v6)
                .filter(|a| *a != addr),
            _ => return,
        };
        if let Some(l) = self.links.get_mut(&name) {
            l.link_local_v6 = new;
        }
        tracing::info!(
            "{name}: IPv6 link-local source now {}",
            new.map_or_else(|| "none".to_string(), |a| a.to_string())
        );
        for i in 0..self.slots.len() {
            let s = &self.slots[i];
            if !s.v6 || s.ifindex != ev.index || s.cfg.src_ip.is_some() {
                continue;
            }
            let unicast = s.cfg.is_unicast();
            let cfg_name = s.cfg.name.clone();
            let mut socket6 = s.socket6.clone();
            if unicast {
                // The unicast socket is bound to the source address itself.
                socket6 = match new {
                    Some(a) => match self.link6(&name, a).await {
                        Ok(sock) => Some(sock),
                        Err(e) => {
                            tracing::error!("({cfg_name}) {e}");
                            None
                        }
                    },
                    None => None,
                };
            }
            let s = &mut self.slots[i];
            s.socket6 = socket6;
            s.src = new.map(IpAddr::V6);
            s.engine.handle_source_address(now, s.src);
            self.slots_moved();
        }
    }

    /// After a netlink overrun events were lost: re-read every known link's state.
    async fn refresh_links(&mut self) {
        let names: Vec<String> = self.links.keys().cloned().collect();
        for name in names {
            if let Ok(i) = net::interface(&self.netlink, &name).await {
                self.handle_link(
                    Instant::now(),
                    net::LinkEvent {
                        name,
                        index: i.index,
                        up: i.up,
                    },
                );
            }
        }
    }

    /// After an event: route the actions of the instances it reached, re-arm their
    /// deadlines, and tell systemd when the state counts changed.
    fn settle(&mut self) {
        let mut touched = self.sched.take(self.slots.len());
        if self.sync.names().next().is_some() {
            // A group may move members the event did not reach: every instance, as before.
            self.drain_actions();
            touched = (0..self.slots.len()).collect();
        } else {
            for &i in &touched {
                self.drain_slot(i);
            }
        }
        for &i in &touched {
            let deadline = self.slots[i].engine.poll_timeout();
            self.sched.rearm(i, deadline);
        }
        if self.status_dirty {
            self.status_dirty = false;
            self.update_status();
        }
    }

    /// Route every pending action of every instance, after the sync-group rules.
    fn drain_actions(&mut self) {
        // Group rules first; a group's first state is announced before its members' (as
        // keepalived's vrrp_init_state()), later changes after them.
        let (first, later) = self.sync_reconcile(Instant::now());
        self.send_group_notifies(first);
        for i in 0..self.slots.len() {
            self.drain_slot(i);
        }
        self.send_group_notifies(later);
    }

    /// Route every pending action of slot `i`.
    fn drain_slot(&mut self, i: usize) {
        let global_smtp = !self.config.global.notification_email.is_empty()
            && self.config.global.smtp_server.is_some();
        {
            let mut notifies = Vec::new();
            let actions: Vec<Action> =
                std::iter::from_fn(|| self.slots[i].engine.poll_action()).collect();
            let states = notify_events::states_before(&actions, self.slots[i].engine.state());
            let mut advert_sent = false;
            for (action, state_then) in actions.into_iter().zip(states) {
                let slot = &mut self.slots[i];
                match action {
                    Action::SendAdvert(adv) => {
                        send_advert(slot, &adv);
                        advert_sent = true;
                    }
                    Action::AddVips | Action::RemoveVips => {
                        let vips = vip_pairs(&slot.cfg, slot.ifindex, &self.links);
                        let instance = slot.cfg.name.clone();
                        // keepalived: drop rules, addresses, routes, rules in; rules, routes,
                        // addresses, drop rules out.
                        let add = matches!(action, Action::AddVips);
                        let routes = owned::routes_job(&slot.cfg, add);
                        let fw = &self.config.global.firewall;
                        let mut jobs = Vec::new();
                        if add {
                            jobs.extend(firewall::job(&slot.cfg, fw, &self.links, &vips));
                            jobs.push(Job::AddVips { instance, vips });
                            jobs.extend(routes);
                        } else {
                            jobs.extend(routes);
                            jobs.push(Job::RemoveVips { instance, vips });
                            jobs.extend(firewall::job(&slot.cfg, fw, &self.links, &[]));
                        }
                        for job in jobs {
                            let _ = self.io_tx.send(job);
                        }
                    }
                    Action::UpdateVips { removed, added } => {
                        let instance = slot.cfg.name.clone();
                        let pairs = |vips: &[model::VirtualAddr]| {
                            let cfg = model::Instance {
                                vips: vips.to_vec(),
                                vips_excluded: Vec::new(),
                                ..model::Instance::clone(&slot.cfg)
                            };
                            vip_pairs(&cfg, slot.ifindex, &self.links)
                        };
                        if !removed.is_empty() {
                            let _ = self.io_tx.send(Job::RemoveVips {
                                instance: instance.clone(),
                                vips: pairs(&removed),
                            });
                        }
                        // The drop sets follow the new list: removed VIPs are gone already,
                        // added ones are dropped before they appear.
                        let all = vip_pairs(&slot.cfg, slot.ifindex, &self.links);
                        let fw = &self.config.global.firewall;
                        if let Some(j) = firewall::job(&slot.cfg, fw, &self.links, &all) {
                            let _ = self.io_tx.send(j);
                        }
                        if !added.is_empty() {
                            let _ = self.io_tx.send(Job::AddVips {
                                instance,
                                vips: pairs(&added),
                            });
                        }
                    }
                    Action::SendGarp { repeat } => {
                        let vips = vip_pairs(&slot.cfg, slot.ifindex, &self.links);
                        let frames =
                            vips.iter()
                                .filter_map(|(idx, vip)| {
                                    self.links.iter().find(|(_, l)| l.index == *idx).map(
                                        |(name, l)| io_worker::Announce {
                                            ifindex: *idx,
                                            ifname: name.clone(),
                                            mac: l.mac,
                                            ip: vip.addr,
                                        },
                                    )
                                })
                                .collect();
                        let _ = self.io_tx.send(Job::Garp {
                            instance: slot.cfg.name.clone(),
                            frames,
                            repeat,
                        });
                    }
                    Action::Transition { from, to, reason } => {
                        self.status_dirty = true;
                        if to == State::Master {
                            slot.master_epoch += 1;
                        }
                        slot.last_transition = SystemTime::now();
                        slot.facts.transition(from, to, &reason);
                        slot.garp_extra_due = slot
                            .cfg
                            .vmac
                            .garp_extra_if
                            .filter(|_| to == State::Master)
                            .map(|g| Instant::now() + g.interval);
                        log_transition(&slot.cfg.name, from, to, &reason);
                        let scripts = &slot.cfg.notify;
                        if let Some(state) =
                            notify_events::transition_state(from, to, &reason, scripts)
                        {
                            notifies.push(notify::Notification {
                                instance: slot.cfg.name.clone(),
                                state,
                                priority: slot.engine.effective_priority(),
                            });
                        }
                    }
                    Action::PriorityChanged { from, to } => {
                        // The engine logged "Changing effective priority" already.
                        // 255 -> 254 is two owners colliding: keepalived lowers the priority
                        // there without its priority notification.
                        if slot.cfg.notify_priority_changes && from != 255 {
                            notifies.push(notify::Notification {
                                instance: slot.cfg.name.clone(),
                                state: notify_events::priority_event(state_then),
                                priority: to,
                            });
                        }
                    }
                    Action::MasterRxLowerPri { priority, .. } => {
                        notifies.push(notify::Notification {
                            instance: slot.cfg.name.clone(),
                            state: NotifyState::MasterRxLowerPri,
                            priority,
                        });
                    }
                }
            }
            if advert_sent {
                self.garp_extra_if(i, Instant::now());
            }
            // Notifies after the address and ARP work queued above: scripts see the VIPs.
            let now = Instant::now();
            for n in notifies {
                // STOP mails are never delivered by keepalived (it exits first); events send none.
                let smtp = global_smtp
                    && self.slots[i].cfg.smtp_alert
                    && n.state.is_state()
                    && n.state != NotifyState::Stop;
                let _ = self.io_tx.send(Job::Notify {
                    scripts: Box::new(self.slots[i].cfg.notify.clone()),
                    notification: n,
                    smtp,
                    at: Some(now),
                });
            }
        }
    }

    fn shutdown_all(&mut self) {
        let now = Instant::now();
        if self.settings.dont_release_vrrp {
            // -V: no priority 0 and VIPs stay; still tell STOP to the scripts.
            for s in &self.slots {
                let n = notify::Notification {
                    instance: s.cfg.name.clone(),
                    state: NotifyState::Stop,
                    priority: s.engine.effective_priority(),
                };
                let _ = self.io_tx.send(Job::Notify {
                    scripts: Box::new(s.cfg.notify.clone()),
                    notification: n,
                    smtp: false,
                    at: None,
                });
            }
            self.sync.handle_shutdown();
            let events = std::iter::from_fn(|| self.sync.poll_event()).collect();
            self.send_group_notifies(events);
            // keepalived clears the static entries even with -V.
            self.static_job(false, false);
            return;
        }
        for s in &mut self.slots {
            s.engine.handle_shutdown(now);
        }
        self.sync.handle_shutdown();
        self.drain_actions();
        self.static_job(false, false);
    }

    /// SIGHUP: validate the whole new config first; keep the running one if it is unusable.
    async fn reload(&mut self) {
        let started = Instant::now();
        tracing::info!("Reloading");
        notify_systemd("RELOADING=1");
        let loaded = config::load(&self.settings.config_path, &self.settings.load_opts);
        if let Some(file) = &self.config.global.io.reload_check_config {
            if !super::reload_check::check(file, &loaded) {
                tracing::info!("{}", super::reload_check::failed_line(file));
                notify_systemd("READY=1");
                return;
            }
        }
        let new = match loaded.config {
            Some(c) if !loaded.is_fatal() => c,
            _ => {
                tracing::error!(
                    "New configuration is not valid, keeping the running configuration:"
                );
                for d in &loaded.diagnostics {
                    tracing::error!("{}", d.to_string().lines().next().unwrap_or_default());
                }
                notify_systemd("READY=1");
                return;
            }
        };
        let mut refused = self.settings.identity.reload_refusals(&new.global);
        if new.global.tmp_config_directory != self.config.global.tmp_config_directory {
            refused.push("Cannot change config_directory at a reload - please restart keepalived");
        }
        if !refused.is_empty() {
            for r in refused {
                tracing::info!(target: super::logging::PARENT, "{r}");
            }
            notify_systemd("READY=1");
            return;
        }
        self.check_local_igmp_reload(&new.global);
        // keepalived's VRRP child applies the (new) process settings again at a reload, and
        // its parent renames itself when `process_name` changed.
        if new.global.process != self.config.global.process {
            self.settings.process_sched.apply(&new.global.process);
        }
        if new.global.process.process_name != self.config.global.process.process_name {
            super::process_sched::set_process_name(new.global.process.process_name.as_deref());
        }
        // keepalived closes and reopens its notify FIFOs on reload; mails use the new globals.
        let _ = self.io_tx.send(Job::Reload {
            global: Box::new(new.global.clone()),
            script_user: crate::exec::default_script_user(new.global.script_user.as_ref()),
        });
        let now = Instant::now();
        let [static_gone, static_new] = owned::static_diff(&self.config, &new);
        if let Some(job) = static_gone {
            let _ = self.io_tx.send(job);
        }
        self.trackers.apply(&new, true, &self.track_tx);
        // Group member indices change with the slots: rebuilt below, states carried over.
        let old_sync = std::mem::take(&mut self.sync);
        // Send one advert from every MASTER first, as keepalived does, so peers never time out.
        let old_slots = std::mem::take(&mut self.slots);
        let mut kept = Vec::new();
        let mut removed = Vec::new();
        let mut states_before_reload = Vec::new();
        // MASTERs whose routes or rules changed: (name, old routes, old rules).
        let mut route_updates = Vec::new();
        let mut new_cfgs: Vec<Option<model::Instance>> =
            new.instances.iter().cloned().map(Some).collect();
        for mut s in old_slots {
            let key = instance_key(&s.cfg);
            match new_cfgs
                .iter_mut()
                .find(|c| c.as_ref().is_some_and(|c| instance_key(c) == key))
            {
                Some(c) => {
                    let c = vrrp::sync::member_config(
                        &c.take().expect("matched above"),
                        &new.sync_groups,
                    );
                    states_before_reload.push((c.name.clone(), s.engine.state()));
                    if s.engine.state() == State::Master {
                        let vips = vip_pairs(&c, s.ifindex, &self.links);
                        let fw = &new.global.firewall;
                        for j in firewall::reloaded(&s.cfg, &c, fw, &self.links, &vips) {
                            let _ = self.io_tx.send(j);
                        }
                        if s.cfg.virtual_routes != c.virtual_routes
                            || s.cfg.virtual_rules != c.virtual_rules
                        {
                            let old = (s.cfg.virtual_routes.clone(), s.cfg.virtual_rules.clone());
                            route_updates.push((c.name.clone(), old));
                        }
                    }
                    let c = Arc::new(c);
                    s.engine.handle_reload(now, Arc::clone(&c), &new.scripts);
                    for ev in self.trackers.current() {
                        s.engine.handle_track(now, ev);
                    }
                    // keepalived rebuilds its instances: a checksum mode it detected is
                    // detected again from the next advert.
                    s.old_unicast_sum = old_unicast_sum(&c, new.global.vrrp_mcast_group4);
                    s.cfg = c;
                    kept.push(s);
                }
                None => removed.push(s),
            }
        }
        for mut s in removed {
            tracing::info!("({}) removed by reload", s.cfg.name);
            let name = s.cfg.name.clone();
            s.engine.handle_delete(now);
            self.slots = vec![s];
            self.slots_moved();
            self.drain_actions();
            self.slots.clear();
            self.remove_vmacs_of(&name).await;
        }
        self.slots = kept;
        self.slots_moved();
        self.retry_unicast_sources(now).await;
        let scripts_changed = self.config.scripts != new.scripts;
        crate::exec_security::set_enforced(new.global.enable_script_security);
        self.config = new;
        for c in new_cfgs.into_iter().flatten() {
            if let Err(code) = self.add_or_wait(now, &c, false).await {
                tracing::error!("({}) cannot start after reload (status {code})", c.name);
            }
        }
        self.rebuild_sync(Some(&old_sync));
        if scripts_changed {
            self.restart_runners();
        }
        self.drain_actions();
        // After the VIP changes: a new route may use a new VIP as its source. One that left
        // MASTER meanwhile removed its new routes; the old ones are removed here.
        for (name, old) in route_updates {
            let Some(s) = self.slots.iter().find(|s| s.cfg.name == name) else {
                continue;
            };
            let new = if s.engine.state() == State::Master {
                (s.cfg.virtual_routes.clone(), s.cfg.virtual_rules.clone())
            } else {
                Default::default()
            };
            let _ = self.io_tx.send(Job::UpdateRoutes {
                instance: name,
                old: Box::new(old),
                new: Box::new(new),
            });
        }
        if let Some(job) = static_new {
            let _ = self.io_tx.send(job);
        }
        self.status_dirty = true;
        let rewrite = self.config.global.fifo_write_vrrp_states_on_reload;
        for (name, before) in states_before_reload {
            let Some(s) = self.slots.iter().find(|s| s.cfg.name == name) else {
                continue;
            };
            if let Some(state) = notify_events::reload_state_line(rewrite, before, s.engine.state())
            {
                // No scripts: only the FIFO line is written again.
                let _ = self.io_tx.send(Job::Notify {
                    scripts: Box::default(),
                    notification: notify::Notification {
                        instance: name,
                        state,
                        priority: s.engine.effective_priority(),
                    },
                    smtp: false,
                    at: None,
                });
            }
        }
        self.settings.vrrp_pid.update(&self.config);
        release_free_memory();
        // The time to apply is measured by bench/scale.sh --reloads.
        tracing::info!("Reload complete in {} usec", started.elapsed().as_micros());
        notify_systemd("READY=1");
    }

    /// What every dump reads: the engines plus the wall-clock facts only the daemon keeps.
    fn dump_views(&self) -> Vec<dump::InstanceDump<'_>> {
        self.slots
            .iter()
            .map(|s| dump::InstanceDump {
                engine: &s.engine,
                last_transition: s.last_transition,
                master_priority: s.master_priority,
                vmac_up: s
                    .cfg
                    .vmac
                    .own
                    .as_ref()
                    .is_some_and(|v| self.vmacs.iter().any(|o| o.name == v.ifname)),
            })
            .collect()
    }

    /// Where a dump goes: the `*_dump_file` keywords, `data_use_instance`, `$TMPDIR`.
    fn dump_path(&self, kind: dump::DumpKind) -> PathBuf {
        let id = &self.settings.identity;
        dump::dump_path(
            kind,
            &self.config.global.dumps,
            &self.settings.tmp_dir,
            id.net_namespace.as_deref(),
            id.instance.as_deref(),
        )
    }

    /// SIGUSR2 (and STATS_CLEAR): `keepalived.stats`, keepalived's layout.
    fn write_stats(&self) {
        let text = dump::stats_file(&self.dump_views());
        dump::write_atomically(self.dump_path(dump::DumpKind::Stats), text);
    }

    /// SIGUSR1: `keepalived.data`, each instance's state, then the running configuration.
    fn write_data(&self) {
        let text = dump::data_file(&self.dump_views(), &self.config);
        dump::write_atomically(self.dump_path(dump::DumpKind::Data), text);
    }

    /// SIGRTMIN+2: `keepalived.json` in the configured `json_version`.
    fn write_json(&self) {
        let processes: Vec<dump::ProcessDump<'_>> = (self.trackers.processes().into_iter())
            .map(|(config, status)| dump::ProcessDump { config, status })
            .collect();
        let text = dump::json(&self.dump_views(), &self.config, &processes);
        dump::write_atomically(self.dump_path(dump::DumpKind::Json), text);
    }

    /// `STATUS=2 MASTER, 1 BACKUP` to systemd whenever the counts change.
    fn update_status(&mut self) {
        let counts = dump::state_counts(self.slots.iter().map(|s| s.engine.state()));
        if self.status_counts != Some(counts) {
            self.status_counts = Some(counts);
            notify_systemd(&format!("STATUS={}", dump::status_summary(&counts)));
        }
    }
}

/// keepalived binds a unicast instance's receive socket to its configured `unicast_src_ip`:
/// when that is not an address of this host the bind fails and the instance stays in FAULT
/// (`open_sockpool_socket()`). Ours are not bound to it (`dispatch.rs`), so the same check
/// is made here, with keepalived's lines.
fn unicast_source_refused(cfg: &model::Instance, ifindex: u32) -> bool {
    let Some(src) = cfg.src_ip.filter(|_| cfg.is_unicast()) else {
        return false;
    };
    let Err(e) = net::probe_unicast_source(src, ifindex) else {
        return false;
    };
    let code = e.raw_os_error().unwrap_or(0);
    tracing::info!(
        "bind unicast_src {src} failed {code} - {}",
        nix::errno::Errno::from_raw(code).desc()
    );
    tracing::info!(
        "({}): entering FAULT state (src address not configured)",
        cfg.name
    );
    true
}

/// keepalived's `master_priority` rule: a BACKUP records the priority of an advert it accepted
/// (counted) and heeded -- not a priority 0, not a lower-priority advert it is about to preempt.
fn accepted_master_priority(s: &Slot, rcvd_before: u64, priority: u8) -> Option<u8> {
    let cfg = s.engine.config();
    let heeded =
        priority >= s.engine.effective_priority() || cfg.nopreempt || !cfg.preempt_delay.is_zero();
    (s.engine.stats().advert_rcvd > rcvd_before
        && s.engine.state() == State::Backup
        && priority != 0
        && heeded)
        .then_some(priority)
}

/// (ifindex, address) of the VIPs and eVIPs: `dev` when given, else the instance interface.
fn vip_pairs(
    cfg: &model::Instance,
    ifindex: u32,
    links: &HashMap<String, Link>,
) -> Vec<(u32, model::VirtualAddr)> {
    cfg.vips
        .iter()
        .chain(&cfg.vips_excluded)
        .filter_map(|v| match &v.dev {
            None => Some((ifindex, v.clone())),
            Some(dev) => links.get(dev).map(|l| (l.index, v.clone())),
        })
        .collect()
}

fn send_advert(slot: &mut Slot, adv: &wire::Advert) {
    if slot.v6 {
        send_advert6(slot, adv);
        return;
    }
    // The VMAC's socket with use_vmac (vmacs.rs), else the interface's, in the slot's mode.
    let (Some(sock), Some(IpAddr::V4(src))) = (&slot.socket4, slot.src) else {
        tracing::warn!(
            "({}) no IPv4 source address on the interface: advert not sent",
            slot.cfg.name
        );
        return;
    };
    slot.ip_id = slot.ip_id.wrapping_add(1).max(1);
    let dsts: Vec<Ipv4Addr> = if slot.cfg.is_unicast() {
        slot.cfg
            .unicast_peers
            .iter()
            .filter_map(|p| match p {
                IpAddr::V4(a) => Some(*a),
                IpAddr::V6(_) => None,
            })
            .collect()
    } else {
        match slot.cfg.mcast_group {
            IpAddr::V4(g) => vec![g],
            IpAddr::V6(_) => vec![],
        }
    };
    // keepalived: `unicast_ttl` for unicast copies, 255 otherwise.
    let ttl = match slot.cfg.unicast_ttl {
        Some(t) if slot.cfg.is_unicast() => t,
        _ => 255,
    };
    for dst in dsts {
        let dg = match slot.old_unicast_sum {
            Some(group) if !slot.cfg.v3_checksum_as_v2 => {
                wire::emit_ipv4_old_unicast_checksum(adv, src, dst, ttl, slot.ip_id, group)
            }
            _ => wire::emit_ipv4_as(adv, src, dst, ttl, slot.ip_id, slot.cfg.v3_checksum_as_v2),
        };
        if let Err(e) = sock.send(&dg, dst) {
            tracing::warn!("({}) advert to {dst} not sent: {e}", slot.cfg.name);
        }
    }
}

/// An IPv6 advert: one bare VRRP message for the group or every IPv6 unicast peer, sent from
/// the link-local (or configured) source; the kernel adds the header and the checksum.
fn send_advert6(slot: &Slot, adv: &wire::Advert) {
    let (Some(sock), Some(IpAddr::V6(src))) = (&slot.socket6, slot.src) else {
        tracing::warn!(
            "({}) no IPv6 source address on the interface: advert not sent",
            slot.cfg.name
        );
        return;
    };
    let msg = adv.emit_ipv6();
    let dsts: Vec<Ipv6Addr> = if slot.cfg.is_unicast() {
        slot.cfg
            .unicast_peers
            .iter()
            .filter_map(|p| match p {
                IpAddr::V6(a) => Some(*a),
                IpAddr::V4(_) => None,
            })
            .collect()
    } else {
        vec![match slot.cfg.mcast_group {
            IpAddr::V6(g) => g,
            IpAddr::V4(_) => MCAST_GROUP6,
        }]
    };
    let hops = slot.cfg.unicast_ttl.filter(|_| slot.cfg.is_unicast());
    for dst in dsts {
        if let Err(e) = sock.send_with_hop_limit(&msg, Some(src), dst, hops) {
            tracing::warn!("({}) advert to {dst} not sent: {e}", slot.cfg.name);
        }
    }
}

fn log_transition(name: &str, from: State, to: State, reason: &vrrp::Reason) {
    let init = if from == State::Init { " (init)" } else { "" };
    match to {
        State::Master => tracing::info!("({name}) Entering MASTER STATE"),
        State::Backup => tracing::info!("({name}) Entering BACKUP STATE{init}"),
        State::Fault => tracing::info!("({name}) Entering FAULT STATE{init}"),
        State::Init => tracing::info!("({name}) Stopping"),
    }
    tracing::debug!("({name}) transition {from} -> {to}: {reason}");
}

#[cfg(test)]
mod tests {
    use super::instance_key;

    /// Reload matching (inventory §4.4): the family and the unicast source are part of the
    /// key, the name and the priority are not.
    #[test]
    fn reload_matches_by_vrid_family_interface_and_mode_not_by_name() {
        let conf = |v4_first: bool, name4: &str, prio: u8| {
            let v4 = format!(
                "vrrp_instance {name4} {{ interface eth0\n virtual_router_id 51\n priority {prio}\n \
                 virtual_ipaddress {{ 198.51.100.10 }} }}\n"
            );
            let v6 = "vrrp_instance V6 { interface eth0\n virtual_router_id 51\n \
                      virtual_ipaddress { 2001:db8::10 } }\n"
                .to_string();
            let uni = "vrrp_instance U { interface eth0\n virtual_router_id 51\n \
                       unicast_src_ip 198.51.100.1\n unicast_peer { 198.51.100.2 }\n \
                       virtual_ipaddress { 198.51.100.11 } }\n";
            let text = if v4_first {
                v4 + &v6 + uni
            } else {
                v6 + &v4 + uni
            };
            let loaded = crate::config::load_test(&text);
            let config = loaded
                .config
                .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
            config.instances
        };
        let old = conf(true, "V4", 100);
        let keys: Vec<_> = old.iter().map(instance_key).collect();
        assert_eq!(keys.len(), 3);
        assert!(
            keys[0] != keys[1] && keys[0] != keys[2] && keys[1] != keys[2],
            "{keys:?}"
        );
        // Reordered, renamed and reprioritised: each still finds its own old self.
        let new = conf(false, "RENAMED", 150);
        let find = |name: &str| {
            let i = new.iter().find(|i| i.name == name).expect("present");
            keys.iter().position(|k| *k == instance_key(i))
        };
        assert_eq!(find("RENAMED"), Some(0));
        assert_eq!(find("V6"), Some(1));
        assert_eq!(find("U"), Some(2));
    }
}
