//! One `vrrp_instance` as a sans-IO state machine (RFC 3768 §6.4, RFC 5798 §6.4), reproducing
//! keepalived 2.2.7 as a peer sees it: start as BACKUP, the master-down timer, preemption,
//! priority 0 on stop, FAULT from trackers, the GARP bursts of a new master.
//!
//! Inputs are `handle_*(now, …)` calls; outputs are [`Action`]s drained with
//! [`Instance::poll_action`] and one deadline from [`Instance::poll_timeout`]. Every state
//! change goes through one of four functions (`become_master`, `leave_master`, `enter_fault`,
//! `leave_fault`) that emit their side effects in a fixed order.
//!
//! Log lines: this module logs keepalived's receive-path lines (validation errors, rate-limited
//! to once per kind until a good packet or a state change), election lines (`… with higher
//! priority …`, `… lower priority … forcing new election`, `… - discarding`), `Changing
//! effective priority from A to B` and the `-D` detail lines. The `(VI) Entering X STATE` lines
//! belong to the daemon, which logs them from [`Action::Transition`].

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{debug, info};

use super::timer::{master_down_interval_n_us, skew_time_us, us};
use super::wire::{self, Advert, AdvertAuth, DecodeError};
use crate::model::{self, Auth, Centis, InitialState, TrackEvent, Version, VirtualAddr};
use file_process::{TrackedFile, TrackedProcess};

/// Longest `preempt_delay` keepalived accepts.
const MAX_PREEMPT_DELAY: Duration = Duration::from_secs(1000);

/// The RFC state of an instance, as keepalived names it in logs, notify argv and dumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not started yet, or stopped.
    Init,
    /// Listening for the master's adverts.
    Backup,
    /// Owning the virtual addresses and advertising.
    Master,
    /// A fault tracker (link, weight-0 script or interface) is down.
    Fault,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Init => "INIT",
            Self::Backup => "BACKUP",
            Self::Master => "MASTER",
            Self::Fault => "FAULT",
        })
    }
}

/// What made an instance enter FAULT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultCause {
    /// The instance's own interface is down (not with `dont_track_primary`).
    InterfaceDown(String),
    /// No source address: neither `unicast_src_ip`/`mcast_src_ip` nor an interface IPv4
    /// (IPv6 instance: no link-local address on the interface).
    NoSourceAddress,
    /// A weight-0 `track_script` is KO (or OK, with `reverse`).
    Script(String),
    /// A weight-0 `track_interface` is down (or up, with `reverse`).
    TrackedInterface(String),
    /// A `track_file` is in fault: weight 0 and a non-zero value (zero, with `reverse`), or
    /// `value × weight` at −254 or below.
    TrackedFile(String),
    /// A weight-0 `track_process` lost its quorum (or has it, with `reverse`).
    TrackedProcess(String),
    /// Another member of this `vrrp_sync_group` (named) is in FAULT.
    SyncGroup(String),
    /// `unicast_fault_no_peer` without any `unicast_peer`: a configuration fault, for good.
    NoUnicastPeers,
}

impl fmt::Display for FaultCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InterfaceDown(i) => write!(f, "interface {i} down"),
            Self::NoSourceAddress => f.write_str("no source address for interface"),
            Self::Script(s) => write!(f, "tracked script {s} in fault"),
            Self::TrackedInterface(i) => write!(f, "tracked interface {i} in fault"),
            Self::TrackedFile(t) => write!(f, "tracked file {t} in fault"),
            Self::TrackedProcess(p) => write!(f, "tracked process {p} quorum not achieved"),
            Self::SyncGroup(g) => write!(f, "sync group {g} in fault"),
            Self::NoUnicastPeers => f.write_str("unicast without any peers"),
        }
    }
}

/// Why a transition happened; its `Display` is meant for log lines and mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Startup into BACKUP (or FAULT via [`Reason::Fault`]).
    Startup,
    /// The address owner (priority 255, `state MASTER`) takes over at once.
    AddressOwner,
    /// Master_Down_timer fired: no adverts from the master.
    MasterNoResponse,
    /// Master_Down_timer (set to Skew_Time) fired after the master sent priority 0.
    PriorityZero,
    /// Master_Down_timer fired while a lower-priority master's adverts were being discarded.
    Preempted,
    /// A MASTER received an advert with a higher priority.
    HigherPriority {
        /// Sender.
        from: IpAddr,
        /// Its priority.
        priority: u8,
    },
    /// A MASTER received an advert with its own priority from a higher address.
    EqualPriorityHigherAddress {
        /// Sender.
        from: IpAddr,
        /// The shared priority.
        priority: u8,
    },
    /// A fault tracker went down.
    Fault(FaultCause),
    /// The last fault cleared.
    FaultCleared,
    /// `handle_shutdown`: the daemon is stopping.
    Shutdown,
    /// `handle_delete`: a reload removed the instance from the configuration.
    Deleted,
    /// Moved by its `vrrp_sync_group` (named) to the state another member entered.
    SyncGroup(String),
    /// A MASTER's VIP, eVIP, virtual route or rule (not `no_track`) was deleted behind its
    /// back (keepalived's `set_vrrp_backup()`).
    OwnedDeleted,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Startup => f.write_str("startup"),
            Self::AddressOwner => f.write_str("address owner"),
            Self::MasterNoResponse => f.write_str("no advert received from master"),
            Self::PriorityZero => f.write_str("master sent priority 0"),
            Self::Preempted => f.write_str("preempting lower priority master"),
            Self::HigherPriority { from, priority } => {
                write!(f, "advert from {from} with higher priority {priority}")
            }
            Self::EqualPriorityHigherAddress { from, priority } => write!(
                f,
                "advert from {from} with same priority {priority} but higher IP address"
            ),
            Self::Fault(c) => write!(f, "fault: {c}"),
            Self::FaultCleared => f.write_str("fault cleared"),
            Self::Shutdown => f.write_str("shutdown"),
            Self::Deleted => f.write_str("removed by reload"),
            Self::SyncGroup(g) => write!(f, "sync group {g}"),
            Self::OwnedDeleted => f.write_str("an address, route or rule it set was deleted"),
        }
    }
}

/// What the daemon must do, in the order emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this advert to the multicast group, or one copy to each unicast peer (v3 over
    /// IPv4: checksum per destination, see [`wire::emit_ipv4`]; over IPv6 the kernel computes
    /// it, see [`Advert::emit_ipv6`]). Priority 0 means "master stopping".
    SendAdvert(Advert),
    /// Set what a MASTER owns, from [`Instance::config`]: the VIPs and eVIPs
    /// (`virtual_ipaddress`, `virtual_ipaddress_excluded`), then the `virtual_routes`, then
    /// the `virtual_rules` (keepalived's `vrrp_state_become_master()` order).
    AddVips,
    /// Remove them: rules, routes, then VIPs and eVIPs (`vrrp_restore_interface()` order).
    RemoveVips,
    /// A reloaded MASTER's VIP or eVIP list changed: delete `removed`, add `added`, keep the
    /// rest.
    UpdateVips {
        /// In the old config, not in the new one.
        removed: Vec<VirtualAddr>,
        /// In the new config, not in the old one.
        added: Vec<VirtualAddr>,
    },
    /// One gratuitous ARP / unsolicited NA burst: `repeat` rounds, each one packet per VIP in
    /// config order.
    SendGarp {
        /// Rounds.
        repeat: u32,
    },
    /// The instance changed state: log `(NAME) Entering TO STATE` (with ` (init)` when
    /// `from == Init`), run the notify scripts, FIFO and SMTP alert.
    ///
    /// `to == State::Init` with [`Reason::Shutdown`] is the stop: notify `STOP` (notify_stop,
    /// then generic `notify … STOP PRIO`) with [`Instance::effective_priority`]; by then any
    /// priority-0 advert and `RemoveVips` have already been emitted.
    Transition {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// A MASTER received an advert with a lower priority (or the same priority from a lower
    /// address) and answered it with an advert of its own (emitted just before). keepalived's
    /// `send_event_notify(MASTER_RX_LOWER_PRI)`: `notify_master_rx_lower_pri` runs and the
    /// FIFO gets `INSTANCE "NAME" MASTER_RX_LOWER_PRI PRIO`, on every such advert.
    MasterRxLowerPri {
        /// The sender of the lower-priority advert.
        from: IpAddr,
        /// Our effective priority (the FIFO line's PRIO).
        priority: u8,
    },
    /// The effective priority changed (log already written by the engine); for
    /// `notify_priority_changes` and dumps.
    PriorityChanged {
        /// Old effective priority.
        from: u8,
        /// New effective priority.
        to: u8,
    },
}

/// keepalived's per-instance counters (SIGUSR2 stats dump, SNMP), same names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Adverts that passed every check up to the VIP list (keepalived counts before it).
    pub advert_rcvd: u64,
    /// Adverts emitted (each [`Action::SendAdvert`], not each unicast copy).
    pub advert_sent: u64,
    /// Transitions to MASTER.
    pub become_master: u64,
    /// Transitions out of MASTER (to BACKUP or FAULT).
    pub release_master: u64,
    /// Bad length or IP total length.
    pub packet_len_err: u64,
    /// TTL not 255 in multicast mode.
    pub ip_ttl_err: u64,
    /// Type not ADVERTISEMENT.
    pub invalid_type_rcvd: u64,
    /// Never incremented, as in keepalived: a v2 interval mismatch is a silent drop.
    pub advert_interval_err: u64,
    /// VIP count or list differs from ours, or multicast/unicast mismatch.
    pub addr_list_err: u64,
    /// v2 auth type not 0, 1 or 2.
    pub invalid_authtype: u64,
    /// v2 auth type differs from ours (or AH received).
    pub authtype_mismatch: u64,
    /// v2 password differs.
    pub auth_failure: u64,
    /// Priority-0 adverts received (and accepted).
    pub pri_zero_rcvd: u64,
    /// Priority-0 stops sent (one per stop, though leaving for FAULT emits two adverts).
    pub pri_zero_sent: u64,
    /// Version differs from ours.
    pub vers_err: u64,
    /// VRRP checksum wrong.
    pub chk_err: u64,
}

/// A `track_script` line resolved against its `vrrp_script`.
#[derive(Debug, Clone)]
struct TrackedScript {
    name: String,
    weight: i32,
    reverse: bool,
    /// `None` until the first result.
    ok: Option<bool>,
    /// A weight-0 script present at startup holds the instance in a silent FAULT until its
    /// first result; one added by a reload does not (keepalived's `INIT_RELOAD`).
    blocks_until_known: bool,
}

/// A `track_interface` line (the instance's own interface excluded).
#[derive(Debug, Clone)]
struct TrackedInterface {
    name: String,
    weight: i32,
    reverse: bool,
    up: Option<bool>,
}

/// Contribution of a weighted tracker (inventory §3.2): nothing until the first result, then
/// `+w` while OK for a positive weight, `w` while KO for a negative one; `reverse` negates.
fn contribution(weight: i32, reverse: bool, ok: Option<bool>) -> i32 {
    let Some(ok) = ok else { return 0 };
    let signed = if reverse { -weight } else { weight };
    match (weight > 0, ok) {
        (true, true) | (false, false) => signed,
        _ => 0,
    }
}

/// Validation failures, one bit each, for rate-limited logging.
#[derive(Debug, Clone, Copy)]
enum Check {
    Decode = 1,
    Ttl = 2,
    Version = 4,
    AuthType = 8,
    AuthMismatch = 16,
    Password = 32,
    Interval = 64,
    Cast = 128,
    Count = 256,
    List = 512,
    V3Interval = 1024,
    OwnerIgnore = 2048,
    UnicastSrc = 4096,
}

/// Pending delayed lower-priority GARP bursts are capped: keepalived arms one timer per
/// lower-priority advert, so a peer flooding adverts could otherwise grow the queue unbounded.
const MAX_LOWER_PRIO_GARPS: usize = 1024;

/// One `vrrp_instance`: see the module docs.
#[derive(Debug)]
pub struct Instance {
    /// Shared with the daemon's slot: one copy per instance, not two (issue 5's RSS target).
    cfg: Arc<model::Instance>,
    state: State,
    /// Advert source and tie-break address (IPv6 instance: the interface link-local).
    primary: Option<IpAddr>,
    link_up: bool,
    scripts: Vec<TrackedScript>,
    interfaces: Vec<TrackedInterface>,
    /// `implicit_interfaces`: fault trackers (name, last state seen).
    implicit: Vec<(String, Option<bool>)>,
    files: Vec<TrackedFile>,
    processes: Vec<TrackedProcess>,
    /// `priority`, lowered to 254 when two owners collide (keepalived 2.2.7).
    base_priority: u8,
    effective_priority: u8,
    /// Master_Adver_Interval: own interval, or (v3 BACKUP) the master's.
    master_adver_int: Centis,
    /// keepalived's `ms_down_timer`: the last master-down duration armed, µs. Mirrored because
    /// a priority change shifts the deadline by the difference against it.
    ms_down_timer: u64,
    /// BACKUP: master-down deadline. MASTER: next advert.
    sands: Option<Instant>,
    /// Second GARP burst after `garp_master_delay`.
    garp_delay_at: Option<Instant>,
    /// Next refresh burst, checked at each advert as keepalived does.
    garp_refresh_at: Option<Instant>,
    /// End of `preempt_delay` once a lower-priority master was first seen.
    preempt_time: Option<Instant>,
    /// Delayed `garp_lower_prio_repeat` bursts, one per lower-priority advert seen as MASTER
    /// (keepalived arms a timer each time), in deadline order.
    garp_lower_prio_at: VecDeque<Instant>,
    /// `vrrp_startup_delay`: until then a BACKUP's master-down deadline is counted from this
    /// instant instead of from now (keepalived's `vrrp_delayed_start_time`).
    startup_until: Option<Instant>,
    /// Source of the last advert a BACKUP accepted or discarded as coming from a lower-priority
    /// master (`master_saddr`): with `skip_check_adv_addr`, adverts from it skip the VIP checks.
    master_saddr: Option<IpAddr>,
    next_master_reason: Reason,
    /// In FAULT only waiting for first script results: nothing announced yet.
    silent_fault: bool,
    actions: VecDeque<Action>,
    stats: Stats,
    logged: u32,
    /// Member of a `vrrp_sync_group`: the master-down timer only asks to become MASTER
    /// ([`Instance::wants_master`]); `vrrp::sync` decides (keepalived's wantstate).
    sync_member: bool,
    /// BACKUP whose master-down timer fired while held by its sync group.
    want_master: bool,
    /// A MASTER member heard a lower-priority advert: its group sends the other members'
    /// lower-priority GARP bursts too (taken by `vrrp::sync`).
    sync_lower_prio_seen: bool,
    /// Held in FAULT by its sync group (name), whatever its own trackers say.
    sync_fault: Option<String>,
}

impl Instance {
    /// An instance in [`State::Init`]; `scripts` resolves `track_script` names (a name not
    /// found is ignored, as keepalived does for disabled scripts).
    pub fn new(cfg: &model::Instance, scripts: &[model::VrrpScript]) -> Self {
        Self::shared(Arc::new(cfg.clone()), scripts)
    }

    /// [`Instance::new`] over a configuration the caller keeps too.
    pub fn shared(cfg: Arc<model::Instance>, scripts: &[model::VrrpScript]) -> Self {
        let mut inst = Self {
            state: State::Init,
            primary: None,
            link_up: true,
            scripts: Vec::new(),
            interfaces: Vec::new(),
            implicit: Vec::new(),
            files: Vec::new(),
            processes: Vec::new(),
            base_priority: cfg.priority,
            effective_priority: cfg.priority,
            master_adver_int: cfg.advert_int,
            cfg,
            ms_down_timer: 0,
            sands: None,
            garp_delay_at: None,
            garp_refresh_at: None,
            preempt_time: None,
            garp_lower_prio_at: VecDeque::new(),
            startup_until: None,
            master_saddr: None,
            next_master_reason: Reason::MasterNoResponse,
            silent_fault: false,
            actions: VecDeque::new(),
            stats: Stats::default(),
            logged: 0,
            sync_member: false,
            sync_lower_prio_seen: false,
            want_master: false,
            sync_fault: None,
        };
        inst.resolve_trackers(scripts, true);
        inst.effective_priority = inst.compute_priority();
        inst.ms_down_timer = inst.master_down_us();
        inst
    }

    fn resolve_trackers(&mut self, scripts: &[model::VrrpScript], at_start: bool) {
        let old_scripts = std::mem::take(&mut self.scripts);
        self.scripts = self
            .cfg
            .track_scripts
            .iter()
            .filter_map(|t| {
                let s = scripts.iter().find(|s| s.name == t.name)?;
                let old = old_scripts.iter().find(|o| o.name == t.name);
                Some(TrackedScript {
                    name: t.name.clone(),
                    weight: t.weight.unwrap_or(s.weight),
                    reverse: t.reverse.unwrap_or(s.reverse),
                    ok: old.and_then(|o| o.ok),
                    blocks_until_known: old.map_or(at_start, |o| o.blocks_until_known),
                })
            })
            .collect();
        let old_implicit = std::mem::take(&mut self.implicit);
        self.implicit = (self.cfg.implicit_interfaces.iter())
            .map(|n| {
                let up = old_implicit.iter().find(|(o, _)| o == n).and_then(|o| o.1);
                (n.clone(), up)
            })
            .collect();
        let old_ifs = std::mem::take(&mut self.interfaces);
        let own = self.cfg.interface.clone();
        self.interfaces = self
            .cfg
            .track_interfaces
            .iter()
            .filter(|t| own.as_deref() != Some(t.name.as_str()))
            .map(|t| TrackedInterface {
                name: t.name.clone(),
                weight: t.weight,
                reverse: t.reverse,
                up: old_ifs.iter().find(|o| o.name == t.name).and_then(|o| o.up),
            })
            .collect();
        let old_files = std::mem::take(&mut self.files);
        self.files = (self.cfg.track_files.iter())
            .map(|t| TrackedFile::new(t, &old_files))
            .collect();
        let old_procs = std::mem::take(&mut self.processes);
        self.processes = (self.cfg.track_processes.iter())
            .map(|t| TrackedProcess::new(t, &old_procs))
            .collect();
    }

    /// The instance name (`vrrp_instance NAME`), the `(NAME)` of log lines.
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// The configuration in force (the VIPs [`Action::AddVips`]/[`Action::RemoveVips`] mean).
    pub fn config(&self) -> &model::Instance {
        &self.cfg
    }

    /// The same, shared.
    pub fn shared_config(&self) -> Arc<model::Instance> {
        Arc::clone(&self.cfg)
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// `clamp(priority + Σ weighted trackers, 1, 254)`, or 255 for the address owner.
    pub fn effective_priority(&self) -> u8 {
        self.effective_priority
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// `STATS_CLEAR` (SIGRTMAX-1): every counter back to 0; state and timers are untouched.
    pub fn clear_stats(&mut self) {
        self.stats = Stats::default();
    }

    /// The configured `priority`, or 254 when keepalived 2.2.7 demotes a colliding owner.
    pub fn base_priority(&self) -> u8 {
        self.base_priority
    }

    /// Master_Adver_Interval in use (v3 BACKUP: learnt from the master's adverts).
    pub fn master_adver_int(&self) -> Centis {
        self.master_adver_int
    }

    /// Master_Down_Interval for the current priority and Master_Adver_Interval.
    pub fn master_down_interval(&self) -> Duration {
        us(self.master_down_us())
    }

    /// The earliest deadline at which [`Instance::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.sands,
            self.garp_delay_at,
            self.garp_lower_prio_at.front().copied(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// `vrrp_startup_delay` at daemon start (never on reload): until `until`, every
    /// master-down deadline a BACKUP arms counts from `until` rather than from now, so no
    /// backup takes over before the delay plus a full Master_Down_Interval (keepalived 2.2.7's
    /// `vrrp_init_instance_sands()`; adverts are still processed meanwhile). Call before
    /// [`Instance::handle_startup`].
    pub fn set_startup_delay(&mut self, until: Instant) {
        self.startup_until = Some(until);
    }

    /// The BACKUP deadline `ms_down_timer` from now, or from the end of the startup delay.
    fn arm_down_timer(&mut self, now: Instant) {
        let base = match self.startup_until {
            Some(until) if now < until => until,
            _ => {
                self.startup_until = None;
                now
            }
        };
        self.sands = Some(base + us(self.ms_down_timer));
    }

    /// The next thing to do, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    // ---- time arithmetic -------------------------------------------------------------------

    fn skew_us(&self) -> u64 {
        skew_time_us(
            self.cfg.version,
            self.effective_priority,
            self.master_adver_int,
        )
    }

    fn master_down_us(&self) -> u64 {
        master_down_interval_n_us(
            self.cfg.version,
            self.effective_priority,
            self.master_adver_int,
            self.cfg.down_timer_adverts.clamp(1, 100),
        )
    }

    // ---- trackers --------------------------------------------------------------------------

    fn is_owner(&self) -> bool {
        self.base_priority == 255
    }

    fn compute_priority(&self) -> u8 {
        if self.is_owner() {
            return 255;
        }
        let total = i32::from(self.base_priority)
            + self
                .scripts
                .iter()
                .filter(|s| s.weight != 0)
                .map(|s| contribution(s.weight, s.reverse, s.ok))
                .sum::<i32>()
            + self
                .interfaces
                .iter()
                .filter(|i| i.weight != 0)
                .map(|i| contribution(i.weight, i.reverse, i.up))
                .sum::<i32>()
            + self.files.iter().map(|f| f.contribution()).sum::<i32>()
            + (self.processes.iter())
                .map(|p| p.contribution())
                .sum::<i32>();
        total.clamp(1, 254) as u8
    }

    /// The first active fault, in keepalived's order of concern: link, address, scripts,
    /// other interfaces.
    fn fault_cause(&self) -> Option<FaultCause> {
        // keepalived counts it as a configuration fault: nothing clears it but a reload.
        if self.cfg.unicast_opts.fault_no_peer && self.cfg.unicast_peers.is_empty() {
            return Some(FaultCause::NoUnicastPeers);
        }
        if !self.cfg.dont_track_primary && !self.link_up {
            let name = self.cfg.interface.clone().unwrap_or_default();
            return Some(FaultCause::InterfaceDown(name));
        }
        if self.primary.is_none() {
            return Some(FaultCause::NoSourceAddress);
        }
        if let Some(s) = self
            .scripts
            .iter()
            .find(|s| s.weight == 0 && s.ok == Some(s.reverse))
        {
            return Some(FaultCause::Script(s.name.clone()));
        }
        if let Some(f) = self.files.iter().find(|f| f.is_fault()) {
            return Some(FaultCause::TrackedFile(f.name.clone()));
        }
        if let Some(p) = self.processes.iter().find(|p| p.is_fault()) {
            return Some(FaultCause::TrackedProcess(p.name.clone()));
        }
        if let Some((name, _)) = self.implicit.iter().find(|i| i.1 == Some(false)) {
            return Some(FaultCause::TrackedInterface(name.clone()));
        }
        self.interfaces
            .iter()
            .find(|i| i.weight == 0 && i.up == Some(i.reverse))
            .map(|i| FaultCause::TrackedInterface(i.name.clone()))
    }

    fn waiting_for_scripts(&self) -> bool {
        self.scripts
            .iter()
            .any(|s| s.weight == 0 && s.blocks_until_known && s.ok.is_none())
    }

    /// Applies a priority change: log, action, and (BACKUP) shift the master-down deadline by
    /// the change against the last armed `ms_down_timer` (`vrrp_set_effective_priority()`).
    fn update_priority(&mut self) {
        let new = self.compute_priority();
        if new == self.effective_priority {
            return;
        }
        info!(
            "({}) Changing effective priority from {} to {}",
            self.cfg.name, self.effective_priority, new
        );
        self.actions.push_back(Action::PriorityChanged {
            from: self.effective_priority,
            to: new,
        });
        self.effective_priority = new;
        let old = self.ms_down_timer;
        self.ms_down_timer = self.master_down_us();
        if self.state == State::Backup {
            if let Some(at) = self.sands {
                self.sands = Some(if self.ms_down_timer >= old {
                    at + us(self.ms_down_timer - old)
                } else {
                    at.checked_sub(us(old - self.ms_down_timer)).unwrap_or(at)
                });
            }
        }
    }

    /// Re-evaluates FAULT after any tracker or address change.
    fn update_fault(&mut self, now: Instant) {
        let cause = self.fault_cause();
        match (self.state, cause) {
            (State::Backup | State::Master, Some(c)) => self.enter_fault(now, c),
            (State::Fault, Some(c)) if self.silent_fault => {
                // The silent startup wait turns into a real fault: now it is announced.
                self.silent_fault = false;
                self.set_state(State::Fault);
                self.actions.push_back(Action::Transition {
                    from: State::Init,
                    to: State::Fault,
                    reason: Reason::Fault(c),
                });
            }
            (State::Fault, None) if !self.waiting_for_scripts() && self.sync_fault.is_none() => {
                self.leave_fault(now)
            }
            _ => {}
        }
    }

    // ---- outputs ---------------------------------------------------------------------------

    fn advert(&self, priority: u8) -> Advert {
        let auth = match (self.cfg.version, &self.cfg.auth) {
            (Version::V2, Some(Auth::Pass(pw))) => AdvertAuth::Pass(*pw),
            _ => AdvertAuth::None,
        };
        Advert {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            priority,
            advert_int: self.cfg.advert_int,
            auth,
            addrs: self.advert_addrs(),
        }
    }

    /// True for an IPv6 instance ([`model::Instance::is_ipv6`], as the configuration decided
    /// it). Its adverts go over IPv6 and carry only IPv6 VIPs.
    pub fn is_ipv6(&self) -> bool {
        self.cfg.is_ipv6()
    }

    /// The VIPs an advert lists: those of the instance's family, config order, at most 255.
    fn advert_addrs(&self) -> Vec<IpAddr> {
        let v6 = self.is_ipv6();
        self.cfg
            .vips
            .iter()
            .map(|v| v.addr)
            .filter(|a| a.is_ipv6() == v6)
            .take(255)
            .collect()
    }

    fn send_advert(&mut self, priority: u8) {
        self.stats.advert_sent += 1;
        self.actions
            .push_back(Action::SendAdvert(self.advert(priority)));
    }

    fn send_priority_zero(&mut self) {
        self.send_advert(0);
        self.stats.pri_zero_sent += 1;
        debug!("({}) sent 0 priority", self.cfg.name);
    }

    fn set_state(&mut self, to: State) {
        if to != self.state {
            self.logged = 0;
        }
        if to != State::Backup {
            self.want_master = false;
        }
        self.state = to;
    }

    // ---- transitions -----------------------------------------------------------------------

    /// `vrrp_state_goto_master()` + `vrrp_state_become_master()`: advert first (so the old
    /// master drops the VIPs before our GARPs), then the transition, VIPs, first GARP burst,
    /// and the timers for the delayed and refresh bursts.
    fn become_master(&mut self, now: Instant, from: State, reason: Reason) {
        self.stats.become_master += 1;
        self.set_state(State::Master);
        self.silent_fault = false;
        self.master_adver_int = self.cfg.advert_int;
        self.ms_down_timer = self.master_down_us();
        self.preempt_time = None;
        self.sands = Some(now + self.cfg.advert_int.to_duration());
        let prio = self.effective_priority;
        self.send_advert(prio);
        self.actions.push_back(Action::Transition {
            from,
            to: State::Master,
            reason,
        });
        self.actions.push_back(Action::AddVips);
        if self.cfg.garp_master_repeat > 0 {
            self.actions.push_back(Action::SendGarp {
                repeat: self.cfg.garp_master_repeat,
            });
        }
        self.garp_delay_at = (self.cfg.garp_master_delay > Centis::ZERO)
            .then(|| now + self.cfg.garp_master_delay.to_duration());
        self.garp_refresh_at = (self.cfg.garp_master_refresh > Centis::ZERO)
            .then(|| now + self.cfg.garp_master_refresh.to_duration());
    }

    /// MASTER send timer (`vrrp_state_master_tx()`): the advert, then a refresh burst once
    /// `garp_master_refresh` has passed since the last one.
    fn master_tx(&mut self, now: Instant) {
        let prio = self.effective_priority;
        self.send_advert(prio);
        if let Some(at) = self.garp_refresh_at {
            if now > at {
                self.actions.push_back(Action::SendGarp {
                    repeat: self.cfg.garp_master_refresh_repeat,
                });
                self.garp_refresh_at = Some(now + self.cfg.garp_master_refresh.to_duration());
            }
        }
        self.sands = Some(now + self.cfg.advert_int.to_duration());
    }

    /// MASTER → BACKUP on a better advert (`vrrp_state_leave_master()`).
    fn leave_master(&mut self, now: Instant, reason: Reason) {
        self.stats.release_master += 1;
        self.garp_delay_at = None;
        self.garp_refresh_at = None;
        self.preempt_time = None;
        self.actions.push_back(Action::RemoveVips);
        self.set_state(State::Backup);
        self.actions.push_back(Action::Transition {
            from: State::Master,
            to: State::Backup,
            reason,
        });
        self.next_master_reason = Reason::MasterNoResponse;
        self.ms_down_timer = self.master_down_us();
        self.arm_down_timer(now);
    }

    /// Any state → FAULT. A MASTER first sends priority 0 (twice, as keepalived's
    /// `vrrp_state_leave_master()` + `vrrp_restore_interface()` do) and drops its VIPs.
    fn enter_fault(&mut self, _now: Instant, cause: FaultCause) {
        let from = self.state;
        if from == State::Master {
            self.send_advert(0);
            self.send_priority_zero();
            self.actions.push_back(Action::RemoveVips);
            self.stats.release_master += 1;
        }
        self.set_state(State::Fault);
        self.sands = None;
        self.garp_delay_at = None;
        self.garp_refresh_at = None;
        self.master_adver_int = self.cfg.advert_int;
        self.actions.push_back(Action::Transition {
            from,
            to: State::Fault,
            reason: Reason::Fault(cause),
        });
    }

    /// FAULT → BACKUP when every fault cleared (`try_up_instance()`): timer = MDI with our own
    /// interval. An owner still in its silent startup wait goes straight to MASTER, since
    /// keepalived keeps its wish to be MASTER until a real fault.
    fn leave_fault(&mut self, now: Instant) {
        let was_silent = self.silent_fault;
        self.silent_fault = false;
        self.master_adver_int = self.cfg.advert_int;
        self.preempt_time = None;
        if was_silent && self.wants_master_at_start() {
            self.become_master(now, State::Fault, Reason::AddressOwner);
            return;
        }
        self.set_state(State::Backup);
        self.actions.push_back(Action::Transition {
            from: State::Fault,
            to: State::Backup,
            reason: Reason::FaultCleared,
        });
        self.next_master_reason = Reason::MasterNoResponse;
        self.ms_down_timer = self.master_down_us();
        self.arm_down_timer(now);
    }

    fn wants_master_at_start(&self) -> bool {
        self.is_owner() && self.cfg.initial_state == InitialState::Master
    }

    // ---- inputs ----------------------------------------------------------------------------

    /// Starts the instance (keepalived's `vrrp_init_state()`): FAULT if a fault tracker is
    /// down or there is no source address; a silent FAULT (no transition, no notify) while a
    /// weight-0 script present at startup has not reported yet; MASTER at once for an owner
    /// with `state MASTER`; otherwise BACKUP with Master_Down_Interval, also for `state MASTER`.
    ///
    /// `primary` is the advert source and tie-break address (`unicast_src_ip`/`mcast_src_ip`
    /// if set, else the interface's primary IPv4, or for an IPv6 instance its link-local
    /// address); `link_up` the interface's state now.
    /// Tracker events received before this call are taken into account.
    pub fn handle_startup(&mut self, now: Instant, primary: Option<IpAddr>, link_up: bool) {
        if self.state != State::Init {
            return;
        }
        self.primary = primary;
        self.link_up = link_up;
        self.master_adver_int = self.cfg.advert_int;
        self.effective_priority = self.compute_priority();
        self.ms_down_timer = self.master_down_us();
        self.next_master_reason = Reason::MasterNoResponse;
        let group_fault = self.sync_fault.clone().map(FaultCause::SyncGroup);
        if let Some(cause) = self.fault_cause().or(group_fault) {
            self.set_state(State::Fault);
            self.actions.push_back(Action::Transition {
                from: State::Init,
                to: State::Fault,
                reason: Reason::Fault(cause),
            });
        } else if self.waiting_for_scripts() {
            self.set_state(State::Fault);
            self.silent_fault = true;
            info!("({}) Entering FAULT STATE (init)", self.cfg.name);
        } else if self.wants_master_at_start() {
            self.become_master(now, State::Init, Reason::AddressOwner);
        } else {
            self.set_state(State::Backup);
            self.arm_down_timer(now);
            self.actions.push_back(Action::Transition {
                from: State::Init,
                to: State::Backup,
                reason: Reason::Startup,
            });
        }
    }

    /// The source address appeared, changed or disappeared (netlink). Losing it is a fault.
    pub fn handle_source_address(&mut self, now: Instant, primary: Option<IpAddr>) {
        self.primary = primary;
        if self.state != State::Init {
            self.update_fault(now);
        }
    }

    /// A tracker result for this instance (events for names it does not track are ignored).
    /// The instance's own interface is a fault tracker unless `dont_track_primary`. Before
    /// [`Instance::handle_startup`] the result is only recorded.
    pub fn handle_track(&mut self, now: Instant, ev: &TrackEvent) {
        match ev {
            TrackEvent::Script { name, ok } => {
                for s in self.scripts.iter_mut().filter(|s| &s.name == name) {
                    s.ok = Some(*ok);
                }
            }
            TrackEvent::Interface { name, up } => {
                if self.cfg.interface.as_deref() == Some(name.as_str()) {
                    self.link_up = *up;
                }
                for i in self.interfaces.iter_mut().filter(|i| &i.name == name) {
                    i.up = Some(*up);
                }
                for i in self.implicit.iter_mut().filter(|i| &i.0 == name) {
                    i.1 = Some(*up);
                }
            }
            TrackEvent::File { name, value } => {
                for f in self.files.iter_mut().filter(|f| &f.name == name) {
                    f.set(*value);
                }
            }
            TrackEvent::Process { name, quorum } => {
                for p in self.processes.iter_mut().filter(|p| &p.name == name) {
                    p.set(*quorum);
                }
            }
        }
        if self.state == State::Init {
            self.effective_priority = self.compute_priority();
            return;
        }
        self.update_priority();
        self.update_fault(now);
    }

    /// Fires every expired timer: the master-down timer (BACKUP → MASTER), the advert timer
    /// (MASTER sends), the delayed GARP burst.
    pub fn handle_timeout(&mut self, now: Instant) {
        while self.garp_lower_prio_at.front().is_some_and(|at| *at <= now) {
            self.garp_lower_prio_at.pop_front();
            // keepalived's timer fires whatever the state, but sends only while the VIPs are set.
            if self.state == State::Master {
                self.actions.push_back(Action::SendGarp {
                    repeat: self.cfg.garp_lower_prio_repeat,
                });
            }
        }
        if self.garp_delay_at.is_some_and(|at| at <= now) {
            self.garp_delay_at = None;
            if self.state == State::Master {
                self.actions.push_back(Action::SendGarp {
                    repeat: self.cfg.garp_master_repeat,
                });
            }
        }
        if self.sands.is_none_or(|at| at > now) {
            return;
        }
        match self.state {
            State::Backup if self.sync_member => {
                debug!("({}) Receive advertisement timeout", self.cfg.name);
                // keepalived's vrrp_sync_can_goto_master(): wait another Master_Down_Interval
                // unless the sync group lets every member go (decided by `vrrp::sync`).
                self.want_master = true;
                self.ms_down_timer = self.master_down_us();
                self.sands = Some(now + us(self.ms_down_timer));
            }
            State::Backup => {
                debug!("({}) Receive advertisement timeout", self.cfg.name);
                let reason =
                    std::mem::replace(&mut self.next_master_reason, Reason::MasterNoResponse);
                self.become_master(now, State::Backup, reason);
            }
            State::Master => self.master_tx(now),
            State::Init | State::Fault => self.sands = None,
        }
    }

    /// A datagram for this VRID failed [`wire::parse_ipv4`] or [`wire::parse_ipv6`]: count it as keepalived does
    /// (only while BACKUP or MASTER; FAULT and INIT ignore packets before any check).
    pub fn handle_decode_error(&mut self, _now: Instant, src: IpAddr, err: &DecodeError) {
        if !matches!(self.state, State::Backup | State::Master) {
            return;
        }
        match err.counter() {
            Some(wire::Counter::PacketLenErr) => self.stats.packet_len_err += 1,
            Some(wire::Counter::AuthtypeMismatch) => self.stats.authtype_mismatch += 1,
            Some(wire::Counter::VersErr) => self.stats.vers_err += 1,
            Some(wire::Counter::InvalidTypeRcvd) => self.stats.invalid_type_rcvd += 1,
            Some(wire::Counter::ChkErr) => self.stats.chk_err += 1,
            None => return,
        }
        let msg = match err {
            DecodeError::Checksum => format!(
                "Invalid VRRPv{} checksum from {src}",
                self.cfg.version.number()
            ),
            other => format!("{other} from {src}"),
        };
        self.log_once(Check::Decode, &msg);
    }

    fn log_once(&mut self, check: Check, msg: &str) {
        let bit = check as u32;
        if self.logged & bit == 0 {
            self.logged |= bit;
            info!(target: super::RX_LOG, "({}) {}", self.cfg.name, msg);
        }
    }

    /// `vrrp_check_packet()` after the wire checks, in keepalived's order; `Err` = not accepted.
    /// `check_vip_addr` false (a BACKUP with `skip_check_adv_addr` hearing the master it
    /// already knows) skips the VIP count and list checks and the unicast source check.
    fn check_packet(&mut self, pkt: &wire::Received, check_vip_addr: bool) -> Result<(), ()> {
        let adv = &pkt.advert;
        let src = pkt.src;
        let multicast = !self.cfg.is_unicast();
        if multicast && pkt.ttl != wire::VRRP_TTL {
            self.stats.ip_ttl_err += 1;
            let m = format!(
                "invalid TTL/HL from {src}. Received {} and expect 255",
                pkt.ttl
            );
            self.log_once(Check::Ttl, &m);
            return Err(());
        }
        if adv.version != self.cfg.version {
            self.stats.vers_err += 1;
            let m = format!(
                "wrong VRRP version from {src}. Received {} and expect {}",
                adv.version.number(),
                self.cfg.version.number()
            );
            self.log_once(Check::Version, &m);
            return Err(());
        }
        if adv.version == Version::V2 {
            let got = adv.auth.type_byte();
            if got > 2 {
                self.stats.invalid_authtype += 1;
                self.log_once(Check::AuthType, &format!("Invalid auth type: {got}"));
                return Err(());
            }
            let want = match self.cfg.auth {
                Some(Auth::Pass(_)) => 1,
                None => 0,
            };
            if got != want {
                self.stats.authtype_mismatch += 1;
                let m = format!("received a {got} auth from {src}, expecting {want}!");
                self.log_once(Check::AuthMismatch, &m);
                return Err(());
            }
            if let (Some(Auth::Pass(ours)), AdvertAuth::Pass(theirs)) = (&self.cfg.auth, &adv.auth)
            {
                // Constant time, as keepalived: no early exit on the first differing byte.
                let diff = ours.iter().zip(theirs).fold(0u8, |d, (a, b)| d | (a ^ b));
                if diff != 0 {
                    self.stats.auth_failure += 1;
                    let m = format!("received an invalid passwd from {src}!");
                    self.log_once(Check::Password, &m);
                    return Err(());
                }
            }
            if adv.advert_int.as_secs() != self.cfg.advert_int.as_secs() {
                let m = format!(
                    "advertisement interval mismatch with {src} mine={} sec rcv'd={} sec",
                    self.cfg.advert_int.as_secs(),
                    adv.advert_int.as_secs()
                );
                self.log_once(Check::Interval, &m);
                return Err(());
            }
        }
        if check_vip_addr && adv.addrs.len() != self.advert_addrs().len() {
            self.stats.addr_list_err += 1;
            let m = format!(
                "received an unexpected ip number count {}, expected {}!",
                adv.addrs.len(),
                self.advert_addrs().len()
            );
            self.log_once(Check::Count, &m);
            return Err(());
        }
        if adv.version == Version::V3 && adv.advert_int != self.cfg.advert_int {
            let m = format!(
                "advertisement interval mismatch with {src} mine={} sec rcv'd={} sec",
                self.cfg.advert_int, adv.advert_int
            );
            self.log_once(Check::V3Interval, &m);
        }
        if pkt.dst.is_multicast() != multicast {
            self.stats.addr_list_err += 1;
            let (want, got) = if multicast {
                ("mult", "un")
            } else {
                ("un", "mult")
            };
            let m = format!("Expected {want}icast packet but received {got}icast packet");
            self.log_once(Check::Cast, &m);
            return Err(());
        }
        if self.cfg.owner_ignore_adverts && self.effective_priority == 255 {
            let m = format!("Dropping packet(s) from {src} since we are address owner");
            self.log_once(Check::OwnerIgnore, &m);
            return Err(());
        }
        self.stats.advert_rcvd += 1;
        if !check_vip_addr {
            // Neither the VIP list nor the unicast source is looked at (keepalived nests both
            // under `check_vip_addr`).
        } else if let Some(missing) = self
            .advert_addrs()
            .into_iter()
            .find(|a| !adv.addrs.contains(a))
        {
            self.stats.addr_list_err += 1;
            let m = format!(
                "ip address associated with VRID {} not present in MASTER advert: {missing}",
                self.cfg.vrid
            );
            self.log_once(Check::List, &m);
            return Err(());
        } else if self.cfg.is_unicast()
            && self.cfg.check_unicast_src
            && !self.cfg.unicast_peers.contains(&src)
        {
            let m = format!("unicast source address {src} not a unicast peer");
            self.log_once(Check::UnicastSrc, &m);
            return Err(());
        }
        if adv.priority == 0 {
            self.stats.pri_zero_rcvd += 1;
        }
        // A good packet re-arms every validation log line, as keepalived's rate limiter does.
        self.logged &= Check::V3Interval as u32;
        Ok(())
    }

    /// A decoded advert for this instance. Ignored unless BACKUP or MASTER, or when the VRID
    /// is not ours. Checks follow keepalived 2.2.7 (inventory §8.3), including its VIP rule: a
    /// count or list different from ours is discarded (`addr_list_err`), which with peers
    /// configured differently leads to two masters, as with a real 2.2.7.
    pub fn handle_packet(&mut self, now: Instant, pkt: &wire::Received) {
        if !matches!(self.state, State::Backup | State::Master) || pkt.advert.vrid != self.cfg.vrid
        {
            return;
        }
        let check_vip_addr = !(self.state == State::Backup
            && self.cfg.skip_check_adv_addr
            && self.master_saddr == Some(pkt.src));
        if self.check_packet(pkt, check_vip_addr).is_err() {
            return;
        }
        match self.state {
            State::Backup => self.backup_rx(now, pkt),
            State::Master => self.master_rx(now, pkt),
            State::Init | State::Fault => {}
        }
    }

    fn adopt_master_interval(&mut self, adv: &Advert) {
        if self.cfg.version == Version::V3 && adv.advert_int != self.master_adver_int {
            debug!(
                "({}) advertisement interval updated from {}ms to {}ms by master",
                self.cfg.name,
                self.master_adver_int.0 * 10,
                adv.advert_int.0 * 10
            );
            self.master_adver_int = adv.advert_int;
        }
    }

    /// `vrrp_state_backup()` (RFC 3768 §6.4.2, inventory §8.6).
    fn backup_rx(&mut self, now: Instant, pkt: &wire::Received) {
        let p = pkt.advert.priority;
        let e = self.effective_priority;
        if p == 0 {
            debug!(
                "({}) Backup received priority 0 advertisement",
                self.cfg.name
            );
            self.ms_down_timer = self.skew_us();
            self.next_master_reason = Reason::PriorityZero;
            self.arm_down_timer(now);
            return;
        }
        self.master_saddr = Some(pkt.src);
        // keepalived accepts 0–1000 s; bounding it here keeps `now + delay` from overflowing.
        let delay = self.cfg.preempt_delay.min(MAX_PREEMPT_DELAY);
        let in_preempt_delay =
            !delay.is_zero() && self.preempt_time.is_none_or(|until| until > now);
        if self.cfg.nopreempt || p >= e || in_preempt_delay {
            // Held back by a sync group, it wanted MASTER; a master it accepts ends that.
            self.want_master = false;
            self.adopt_master_interval(&pkt.advert);
            self.ms_down_timer = self.master_down_us();
            self.next_master_reason = Reason::MasterNoResponse;
            if !delay.is_zero() {
                if p >= e {
                    self.preempt_time = None;
                } else if self.preempt_time.is_none() {
                    debug!("({}) start preempt delay", self.cfg.name);
                    self.preempt_time = Some(now + delay);
                }
            }
            self.arm_down_timer(now);
        } else {
            info!(
                target: super::RX_LOG,
                "({}) received lower priority ({}) advert from {} - discarding",
                self.cfg.name, p, pkt.src
            );
            // Not accepted: the master-down deadline keeps running.
            self.next_master_reason = Reason::Preempted;
            if let Some(at) = self.sands {
                self.ms_down_timer = at.saturating_duration_since(now).as_micros() as u64;
                // Re-armed with what is left, which only moves it during the startup delay.
                self.arm_down_timer(now);
            }
        }
    }

    /// `vrrp_state_master_rx()` (RFC 3768 §6.4.3, inventory §8.6).
    fn master_rx(&mut self, now: Instant, pkt: &wire::Received) {
        let p = pkt.advert.priority;
        let cmp = saddr_cmp(pkt.src, self.primary);
        let e0 = self.effective_priority;
        let better = p > e0 || (p == e0 && cmp.is_gt());
        if p == 0 || (self.cfg.higher_prio_send_advert && better) {
            self.send_advert(e0);
            if p == 0 {
                debug!("({}) Master received priority 0 message", self.cfg.name);
                self.rearm_after_rx(now);
                return;
            }
        }
        if p == self.effective_priority {
            if cmp.is_eq() {
                info!(
                    target: super::RX_LOG,
                    "({}) WARNING - equal priority advert received from remote host with our IP address.",
                    self.cfg.name
                );
            } else if self.effective_priority == 255 {
                // keepalived 2.2.7 resolves two owners by stepping this one down to 254.
                info!(
                    "({}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority",
                    self.cfg.name
                );
                self.base_priority = 254;
                self.update_priority();
            }
        }
        let e = self.effective_priority;
        if p < e || (p == e && cmp.is_lt()) {
            info!(
                target: super::RX_LOG,
                "({}) Received advert from {} with lower priority {}, ours {}{}",
                self.cfg.name,
                pkt.src,
                p,
                e,
                if self.cfg.lower_prio_no_advert {
                    ""
                } else {
                    ", forcing new election"
                }
            );
            if !self.cfg.lower_prio_no_advert {
                self.send_advert(e);
            }
            self.garp_lower_prio(now);
            self.sync_lower_prio_seen = self.sync_member;
            self.rearm_after_rx(now);
            self.actions.push_back(Action::MasterRxLowerPri {
                from: pkt.src,
                priority: e,
            });
        } else if p > e || (p == e && cmp.is_gt()) {
            let reason = if p > e {
                info!(
                    "({}) Master received advert from {} with higher priority {}, ours {}",
                    self.cfg.name, pkt.src, p, e
                );
                Reason::HigherPriority {
                    from: pkt.src,
                    priority: p,
                }
            } else {
                info!(
                    "({}) Master received advert from {} with same priority {} but higher IP address than ours",
                    self.cfg.name, pkt.src, p
                );
                Reason::EqualPriorityHigherAddress {
                    from: pkt.src,
                    priority: p,
                }
            };
            self.adopt_master_interval(&pkt.advert);
            self.leave_master(now, reason);
        } else {
            // Equal priority from our own address: nothing sent, but the timer is re-armed.
            self.rearm_after_rx(now);
        }
    }

    /// The `garp_lower_prio_repeat` burst now and its delayed repeat after
    /// `garp_lower_prio_delay` (keepalived's `vrrp_send_link_update()` plus a timer): what a
    /// MASTER does on hearing a lower-priority advert, and what its sync group makes the other
    /// members do. Frames go out only while the VIPs are set, i.e. in MASTER.
    pub(crate) fn garp_lower_prio(&mut self, now: Instant) {
        if self.cfg.garp_lower_prio_repeat == 0 {
            return;
        }
        if self.state == State::Master {
            self.actions.push_back(Action::SendGarp {
                repeat: self.cfg.garp_lower_prio_repeat,
            });
        }
        if self.cfg.garp_lower_prio_delay > Centis::ZERO
            && self.garp_lower_prio_at.len() < MAX_LOWER_PRIO_GARPS
        {
            self.garp_lower_prio_at
                .push_back(now + self.cfg.garp_lower_prio_delay.to_duration());
        }
    }

    /// After an advert a MASTER keeps its state for, keepalived re-arms the send timer a full
    /// interval from now, except with `lower_prio_no_advert` (nothing was sent, so the
    /// schedule stands).
    fn rearm_after_rx(&mut self, now: Instant) {
        if !self.cfg.lower_prio_no_advert {
            self.sands = Some(now + self.cfg.advert_int.to_duration());
        }
    }

    /// An advert outside the schedule; the next one is an interval after it.
    fn master_tx_extra(&mut self, now: Instant) {
        let prio = self.effective_priority;
        self.send_advert(prio);
        self.sands = Some(now + self.cfg.advert_int.to_duration());
    }

    /// Stops the instance (SIGTERM): a MASTER sends priority 0 and removes its VIPs; every
    /// started instance then reports `Transition { to: Init, reason: Shutdown }` (notify STOP).
    pub fn handle_shutdown(&mut self, now: Instant) {
        self.stop(now, Reason::Shutdown);
    }

    /// A reload removed the instance (keepalived's `clear_diff_vrrp()`): as a stop, a MASTER
    /// sends priority 0 and removes its VIPs, then `Transition { to: Init, reason: Deleted }`
    /// (notify `DELETED`, or `FAULT` without `notify_deleted`: the daemon's choice).
    pub fn handle_delete(&mut self, now: Instant) {
        self.stop(now, Reason::Deleted);
    }

    fn stop(&mut self, _now: Instant, reason: Reason) {
        let from = self.state;
        if from == State::Init {
            return;
        }
        if from == State::Master {
            self.send_priority_zero();
            self.actions.push_back(Action::RemoveVips);
        }
        self.set_state(State::Init);
        self.silent_fault = false;
        self.sands = None;
        self.garp_delay_at = None;
        self.garp_refresh_at = None;
        self.actions.push_back(Action::Transition {
            from,
            to: State::Init,
            reason,
        });
    }

    /// Applies a reloaded configuration for the same instance (matched by the daemon on VRID,
    /// interface, family, unicast/multicast). The state is kept with no transition; tracker
    /// results carry over by name; the new priority takes effect through the normal rules.
    /// A MASTER diffs its VIPs ([`Action::UpdateVips`], then a GARP burst if any were added or
    /// refresh is configured) and sends an advert at once so peers see the new priority.
    pub fn handle_reload(
        &mut self,
        now: Instant,
        cfg: Arc<model::Instance>,
        scripts: &[model::VrrpScript],
    ) {
        let old = std::mem::replace(&mut self.cfg, Arc::clone(&cfg));
        self.resolve_trackers(scripts, false);
        self.base_priority = cfg.priority;
        if self.state == State::Init {
            self.effective_priority = self.compute_priority();
            return;
        }
        if self.state != State::Backup || self.cfg.version == Version::V2 {
            self.master_adver_int = self.cfg.advert_int;
        }
        self.update_priority();
        if self.state == State::Master {
            // VIPs and eVIPs alike (keepalived's clear_diff_vrrp_vip() walks both lists).
            let old_all: Vec<&VirtualAddr> = old.vips.iter().chain(&old.vips_excluded).collect();
            let new_all: Vec<&VirtualAddr> = cfg.vips.iter().chain(&cfg.vips_excluded).collect();
            let removed: Vec<VirtualAddr> = (old_all.iter())
                .filter(|v| !new_all.contains(v))
                .map(|v| (*v).clone())
                .collect();
            let added: Vec<VirtualAddr> = (new_all.iter())
                .filter(|v| !old_all.contains(v))
                .map(|v| (*v).clone())
                .collect();
            let any_added = !added.is_empty();
            if any_added || !removed.is_empty() {
                self.actions
                    .push_back(Action::UpdateVips { removed, added });
            }
            if any_added || cfg.garp_master_refresh > Centis::ZERO {
                self.actions.push_back(Action::SendGarp {
                    repeat: cfg.garp_master_repeat,
                });
                self.garp_delay_at = (cfg.garp_master_delay > Centis::ZERO)
                    .then(|| now + cfg.garp_master_delay.to_duration());
            }
            self.garp_refresh_at = (cfg.garp_master_refresh > Centis::ZERO)
                .then(|| now + cfg.garp_master_refresh.to_duration());
            self.master_tx_extra(now);
        }
        self.update_fault(now);
    }
}

/// `vrrp_saddr_cmp()`: the sender's address against ours, for the equal-priority tie-break.
/// IPv4 compares as a host-order integer, IPv6 as four big-endian 32-bit words, which is what
/// the derived orderings of [`std::net::Ipv4Addr`] and [`std::net::Ipv6Addr`] (octets,
/// lexicographically) give. Different families, or no address of ours, compare equal, as
/// keepalived's "simple sanity" check returns 0.
fn saddr_cmp(theirs: IpAddr, ours: Option<IpAddr>) -> Ordering {
    match (theirs, ours) {
        (IpAddr::V4(a), Some(IpAddr::V4(b))) => a.cmp(&b),
        (IpAddr::V6(a), Some(IpAddr::V6(b))) => a.cmp(&b),
        (IpAddr::V4(a), None) => a.cmp(&std::net::Ipv4Addr::UNSPECIFIED),
        (IpAddr::V6(a), None) => a.cmp(&std::net::Ipv6Addr::UNSPECIFIED),
        _ => Ordering::Equal,
    }
}

mod file_process;
mod owned;
mod sync_hooks;

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod notify_tests;

#[cfg(test)]
mod knob_tests;

#[cfg(test)]
mod hostile_tests;
