//! The validated configuration: plain typed data with keepalived's defaults already applied.
//! No behaviour and no text: spans stop in `config`, and every module downstream reads only this.

mod dumps;
mod firewall;
mod io;
mod process;
mod route;
mod sync_group;
mod track;
mod types;
mod vmac;

pub use dumps::*;
pub use firewall::*;
pub use io::*;
pub use process::*;
pub use route::*;
pub use sync_group::*;
pub use track::*;
pub use types::*;
pub use vmac::*;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// A whole `keepalived.conf` after validation and `vrrp_complete_instance()`-style derivation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// `global_defs { … }`.
    pub global: Global,
    /// `vrrp_script NAME { … }` blocks that are tracked by at least one instance
    /// (unused ones are dropped with a warning, as keepalived does).
    pub scripts: Vec<VrrpScript>,
    /// `track_file NAME { … }` / `vrrp_track_file` blocks tracked by at least one instance.
    pub track_files: Vec<TrackFile>,
    /// `vrrp_track_process NAME { … }` blocks tracked by at least one instance.
    pub track_processes: Vec<TrackProcess>,
    /// `vrrp_instance NAME { … }` blocks, in config order.
    pub instances: Vec<Instance>,
    /// `vrrp_sync_group NAME { … }` blocks with at least one existing member, in config order.
    pub sync_groups: Vec<SyncGroup>,
    /// `interface_up_down_delays { IF DOWN [UP] … }`: link changes acted on only after they
    /// last this long, per interface (already reduced for the instances on it).
    pub interface_up_down_delays: Vec<IfUpDownDelay>,
    /// `static_ipaddress { … }`: set at start, never moved by VRRP, removed at exit; `dev`
    /// is always resolved (`default_interface`, else `eth0`).
    pub static_addresses: Vec<VirtualAddr>,
    /// `static_routes { … }`.
    pub static_routes: Vec<Route>,
    /// `static_rules { … }`.
    pub static_rules: Vec<Rule>,
}

/// One `garp_group { … }`: its interfaces share one pace for gratuitous ARPs and for
/// unsolicited NAs, instead of the global `vrrp_garp_interval` / `vrrp_gna_interval`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GarpGroup {
    /// `garp_interval`: minimum gap between two gratuitous ARPs on all of `interfaces`
    /// together; `None` = not paced (the global value does not apply to a grouped interface).
    pub garp_interval: Option<Duration>,
    /// `gna_interval`: the same for unsolicited neighbour advertisements.
    pub gna_interval: Option<Duration>,
    /// `interface IF` lines and `interfaces { … }` words, each in one group only.
    pub interfaces: Vec<String>,
}

/// One line of `interface_up_down_delays` (keepalived's `down_debounce_timer` and
/// `up_debounce_timer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfUpDownDelay {
    /// Interface name.
    pub interface: String,
    /// How long the interface must stay down before instances tracking it see it down.
    pub down: Duration,
    /// How long it must stay up before they see it up (keepalived 2.2.7: 0 when only the
    /// down delay is written).
    pub up: Duration,
}

/// `global_defs { … }` (inventory §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    /// `router_id`; `None` means keepalived's local name (host name) is used.
    pub router_id: Option<String>,
    /// `notification_email { … }`: every word of every line, in order.
    pub notification_email: Vec<String>,
    /// `notification_email_from`.
    pub notification_email_from: Option<String>,
    /// `smtp_server HOST [PORT]`.
    pub smtp_server: Option<SmtpServer>,
    /// `smtp_helo_name`; `None` means the local name.
    pub smtp_helo_name: Option<String>,
    /// `smtp_connect_timeout` (seconds, default 30): bounds the connect and each reply wait.
    pub smtp_connect_timeout: Duration,
    /// `smtp_alert [BOOL]`, unset by default.
    pub smtp_alert: Option<bool>,
    /// `smtp_alert_vrrp [BOOL]`, unset by default; overrides `smtp_alert` for VRRP.
    pub smtp_alert_vrrp: Option<bool>,
    /// `script_user USER [GROUP]`.
    pub script_user: Option<ScriptUser>,
    /// `enable_script_security`.
    pub enable_script_security: bool,
    /// `vrrp_version` (default 2).
    pub vrrp_version: Version,
    /// `vrrp_mcast_group4` (default 224.0.0.18).
    pub vrrp_mcast_group4: Ipv4Addr,
    /// `vrrp_garp_master_delay` (default 5 s; 0 = no second burst).
    pub vrrp_garp_master_delay: Centis,
    /// `vrrp_garp_master_repeat` (default 5 GARPs per VIP per burst).
    pub vrrp_garp_master_repeat: u32,
    /// `vrrp_garp_master_refresh` (default 0 = off).
    pub vrrp_garp_master_refresh: Centis,
    /// `vrrp_garp_master_refresh_repeat` (default 1).
    pub vrrp_garp_master_refresh_repeat: u32,
    /// `vrrp_mcast_group6` (default ff02::12): group of IPv6 multicast instances.
    pub vrrp_mcast_group6: Ipv6Addr,
    /// `vrrp_garp_lower_prio_delay`; `None` = `vrrp_garp_master_delay` (resolved per instance).
    pub vrrp_garp_lower_prio_delay: Option<Centis>,
    /// `vrrp_garp_lower_prio_repeat`; `None` = `vrrp_garp_master_repeat`.
    pub vrrp_garp_lower_prio_repeat: Option<u32>,
    /// `vrrp_down_timer_adverts` (1..=100, default 3): adverts missed before master-down.
    pub vrrp_down_timer_adverts: u32,
    /// `vrrp_garp_interval` (default 0 = back to back): minimum gap between two gratuitous
    /// ARPs sent on one interface, microsecond resolution.
    pub vrrp_garp_interval: Duration,
    /// `vrrp_gna_interval` (default 0): the same for unsolicited neighbour advertisements.
    pub vrrp_gna_interval: Duration,
    /// `garp_group { … }` blocks (top level, kept here beside the intervals they replace).
    pub garp_groups: Vec<GarpGroup>,
    /// `vrrp_min_garp` was given (already applied to the `vrrp_garp_master_*` values still at
    /// their defaults when it was read: repeat 1, delay 0, refresh repeat 0).
    pub vrrp_min_garp: bool,
    /// `vrrp_lower_prio_no_advert` (default false).
    pub vrrp_lower_prio_no_advert: bool,
    /// `vrrp_higher_prio_send_advert` (default false).
    pub vrrp_higher_prio_send_advert: bool,
    /// `vrrp_check_unicast_src` (default false).
    pub vrrp_check_unicast_src: bool,
    /// `vrrp_skip_check_adv_addr` (default false).
    pub vrrp_skip_check_adv_addr: bool,
    /// `vrrp_startup_delay` (default 0): at daemon start (not on reload) no BACKUP master-down
    /// timer ends before this has passed.
    pub vrrp_startup_delay: Duration,
    /// `vrrp_owner_ignore_adverts` (keepalived 2.3.3+, default false).
    pub vrrp_owner_ignore_adverts: bool,
    /// `v3_checksum_as_v2` (keepalived 2.2.8+, default false).
    pub v3_checksum_as_v2: bool,
    /// `notify_fifo PATH [USER [GROUP]]` (+ `notify_fifo_script`): the FIFO for every
    /// process's events; here, the VRRP lines (inventory §6.4). `None` = not configured.
    pub notify_fifo: Option<NotifyFifo>,
    /// `vrrp_notify_fifo PATH [USER [GROUP]]` (+ `vrrp_notify_fifo_script`): VRRP lines only.
    /// Both FIFOs get every line when both are set (unless they name the same path).
    pub vrrp_notify_fifo: Option<NotifyFifo>,
    /// `no_email_faults` (default off): no alert mail for FAULT transitions.
    pub no_email_faults: bool,
    /// `vrrp_notify_priority_changes [BOOL]` (default false): the default of every instance's
    /// `notify_priority_changes` (FIFO `MASTER_PRIORITY`/`BACKUP_PRIORITY` lines).
    pub vrrp_notify_priority_changes: bool,
    /// `fifo_write_vrrp_states_on_reload` (default off): after a reload, instances whose state
    /// did not change write their state line to the notify FIFOs again.
    pub fifo_write_vrrp_states_on_reload: bool,
    /// `umask MASK` (number, or `IWGRP|IWOTH`-style bit names): the daemon's umask, inherited
    /// by every script; `-u` on the command line wins. `None` = keepalived's default, 0177.
    pub umask: Option<u32>,
    /// `net_namespace NAME` (a top-level keyword, outside `global_defs`): the network namespace
    /// (`/run/netns/NAME`, as `ip netns` names it) the daemon runs in; `-s NAME` overrides it.
    /// Implies pid files under `/run/keepalived/NAME/` and `_NAME` on the syslog ident.
    pub net_namespace: Option<String>,
    /// `instance NAME` (top level): tells several daemons in one namespace apart, in pid file
    /// names (`keepalived_NAME.pid`) and the syslog ident (`_NAME`).
    pub instance_name: Option<String>,
    /// `use_pid_dir` (top level; implied by `net_namespace` and `instance`): pid files go in
    /// `/run/keepalived/`.
    pub use_pid_dir: bool,
    /// `vrrp_vip_lifetime SECONDS` (a keepalived-rs extension; keepalived reports it as an
    /// unknown keyword): VIPs are installed with this valid lifetime and a MASTER renews it
    /// every third of it, so the kernel removes them by itself if the daemon is killed.
    /// `None` = forever, as keepalived.
    pub vrrp_vip_lifetime: Option<u32>,
    /// `default_interface IF` (default `eth0`): where `static_ipaddress` lines without `dev` go.
    pub default_interface: Option<String>,
    /// `vmac_prefix` (default `vrrp`): the names of instances' own VMACs, `<prefix>.<VRID>`.
    pub vmac_prefix: Option<String>,
    /// `vmac_addr_prefix` (default `vmac_prefix`): the names of VMACs made for VIPs on other
    /// interfaces.
    pub vmac_addr_prefix: Option<String>,
    /// `vrrp_garp_extra_if [all] SECS`: every instance's `garp_extra_if` unless it sets one.
    pub vrrp_garp_extra_if: Option<GarpExtraIf>,
    /// `disable_local_igmp`: `net.ipv4.igmp_link_local_mcast_reports` is 0 while the daemon
    /// runs (no IGMP reports for 224.0.0.18, which a VMAC would send with the virtual MAC);
    /// read at start only.
    pub disable_local_igmp: bool,
    /// `vrrp_strict` (any value turns it on, as in keepalived 2.2.7): the default of every
    /// instance's `strict_mode`.
    pub vrrp_strict: bool,
    /// The nftables keywords (inventory §2.6).
    pub firewall: Firewall,
    /// Where the signal dumps are written and the JSON layout.
    pub dumps: DumpFiles,
    /// `tmp_config_directory DIR`: where keepalived's parent keeps the copy of the
    /// configuration its children re-read. We have no children: kept for the dump and for the
    /// reload rule (it cannot change at a reload).
    pub tmp_config_directory: Option<String>,
    /// Scheduling, memory and names of the daemon process.
    pub process: ProcessSettings,
    /// `startup_script`: run (and waited for) before VRRP starts; not on a reload.
    pub startup_script: Option<StartStopScript>,
    /// `shutdown_script`: run (and waited for) after VRRP has stopped, before exiting.
    pub shutdown_script: Option<StartStopScript>,
    /// Netlink and VRRP socket buffers, unknown VRIDs, dynamic interfaces, reload checks.
    pub io: IoSettings,
}

impl Default for Global {
    fn default() -> Self {
        Self {
            router_id: None,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_helo_name: None,
            smtp_connect_timeout: Duration::from_secs(30),
            smtp_alert: None,
            smtp_alert_vrrp: None,
            script_user: None,
            enable_script_security: false,
            vrrp_version: Version::V2,
            vrrp_mcast_group4: Ipv4Addr::new(224, 0, 0, 18),
            vrrp_garp_master_delay: Centis::from_secs(5),
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: Centis::ZERO,
            vrrp_garp_master_refresh_repeat: 1,
            notify_fifo: None,
            vrrp_notify_fifo: None,
            no_email_faults: false,
            vrrp_notify_priority_changes: false,
            fifo_write_vrrp_states_on_reload: false,
            umask: None,
            net_namespace: None,
            instance_name: None,
            use_pid_dir: false,
            vrrp_vip_lifetime: None,
            vrrp_mcast_group6: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            vrrp_garp_lower_prio_delay: None,
            vrrp_garp_lower_prio_repeat: None,
            vrrp_down_timer_adverts: 3,
            vrrp_garp_interval: Duration::ZERO,
            vrrp_gna_interval: Duration::ZERO,
            garp_groups: Vec::new(),
            vrrp_min_garp: false,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_check_unicast_src: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_startup_delay: Duration::ZERO,
            vrrp_owner_ignore_adverts: false,
            v3_checksum_as_v2: false,
            default_interface: None,
            vmac_prefix: None,
            vmac_addr_prefix: None,
            vrrp_garp_extra_if: None,
            disable_local_igmp: false,
            vrrp_strict: false,
            firewall: Firewall::default(),
            dumps: DumpFiles::default(),
            tmp_config_directory: None,
            process: ProcessSettings::default(),
            startup_script: None,
            shutdown_script: None,
            io: IoSettings::default(),
        }
    }
}

/// `smtp_server HOST [PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// An IP address or a host name (resolved when a mail is sent).
    pub host: String,
    /// Default 25.
    pub port: u16,
}

/// A notify FIFO and the script that reads it (inventory §6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyFifo {
    /// The FIFO's path, as written; created with mode `0644 & ~umask` if absent.
    pub path: String,
    /// `USER [GROUP]` after the path: owner given to a FIFO we create, and the other owner
    /// (besides ourselves) an existing FIFO may have. `None` = ours only.
    pub user: Option<ScriptUser>,
    /// `*_notify_fifo_script CMD [USER [GROUP]]`: started when the FIFO is opened with the
    /// FIFO's path appended as its last argument (the argv here is as configured, without it).
    pub script: Option<ScriptCommand>,
}

/// A user (and optionally group) scripts run as: `USER [[:]GROUP]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptUser {
    /// User name as written.
    pub user: String,
    /// Group name as written; `None` = the user's primary group.
    pub group: Option<String>,
}

/// A command to execute as keepalived does (inventory §1.3): argv split from the quoted string,
/// no shell, `argv[0]` run as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptCommand {
    /// argv, `argv[0]` is the program.
    pub argv: Vec<String>,
    /// Per-script user; `None` = `script_user` or root.
    pub user: Option<ScriptUser>,
}

/// `vrrp_script NAME { … }` (inventory §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpScript {
    /// The block's name, referenced from `track_script`.
    pub name: String,
    /// `script`.
    pub command: ScriptCommand,
    /// `interval` (default 1 s, millisecond resolution).
    pub interval: Duration,
    /// `timeout`; `None` = use `interval`.
    pub timeout: Option<Duration>,
    /// `weight N` (−253..=253, default 0 = fault tracker).
    pub weight: i32,
    /// `weight N reverse`.
    pub reverse: bool,
    /// `rise` (default 1).
    pub rise: u32,
    /// `fall` (default 1).
    pub fall: u32,
    /// `init_fail`.
    pub init_fail: bool,
}

/// `vrrp_instance NAME { … }` after derivation (inventory §4.1, §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The block's name (`VI_1`): log prefix `(VI_1)`, notify argv, mails.
    pub name: String,
    /// `state MASTER|BACKUP`: the initial wish only.
    pub initial_state: InitialState,
    /// `interface`.
    pub interface: Option<String>,
    /// `virtual_router_id` (1..=255).
    pub vrid: u8,
    /// `priority` (1..=255; 255 = address owner). Default 100, or 255 with `state MASTER`
    /// and no `priority` (inventory §11.1).
    pub priority: u8,
    /// `advert_int`, already rounded for the version (v2: whole seconds).
    pub advert_int: Centis,
    /// `version`, or `vrrp_version`.
    pub version: Version,
    /// `authentication { auth_type PASS; auth_pass … }` (v2 only).
    pub auth: Option<Auth>,
    /// `virtual_ipaddress { … }`: the addresses adverts list.
    pub vips: Vec<VirtualAddr>,
    /// `virtual_ipaddress_excluded { … }` (eVIPs): set and removed with the VIPs, announced
    /// with gratuitous ARPs, never listed in adverts; may mix families.
    pub vips_excluded: Vec<VirtualAddr>,
    /// `virtual_routes { … }`: installed while MASTER.
    pub virtual_routes: Vec<Route>,
    /// `virtual_rules { … }`: installed while MASTER.
    pub virtual_rules: Vec<Rule>,
    /// Interfaces tracked implicitly as fault trackers (keepalived's `TRACK_ADDR`,
    /// `TRACK_ROUTE`, `TRACK_RULE`): the `dev` of VIPs/eVIPs (not `no_track`; not the
    /// instance's own interface with `dont_track_primary`), of tracked routes and the
    /// `iif`/`oif` of tracked rules. Sorted, without duplicates; may hold the instance's own
    /// interface (a route or rule on it tracks it even with `dont_track_primary`).
    pub implicit_interfaces: Vec<String>,
    /// `promote_secondaries`: `net.ipv4.conf.IF.promote_secondaries` is set on the instance's
    /// interface while running (and reset at exit if it was 0).
    pub promote_secondaries: bool,
    /// `track_src_ip` (only with `unicast_src_ip`/`mcast_src_ip`): FAULT while that address
    /// is not on the interface.
    pub track_src_ip: bool,
    /// `track_script { … }`.
    pub track_scripts: Vec<TrackScript>,
    /// `track_interface { … }`.
    pub track_interfaces: Vec<TrackInterface>,
    /// `track_file { … }` (none by default).
    pub track_files: Vec<TrackRef>,
    /// `track_process { … }` (none by default).
    pub track_processes: Vec<TrackRef>,
    /// `dont_track_primary`.
    pub dont_track_primary: bool,
    /// `nopreempt` (already cleared for owners and `state MASTER`).
    pub nopreempt: bool,
    /// `preempt_delay` (0 = none).
    pub preempt_delay: Duration,
    /// `notify*` scripts.
    pub notify: NotifyScripts,
    /// Effective `smtp_alert` (instance, else `smtp_alert_vrrp`, else `smtp_alert`, else false).
    pub smtp_alert: bool,
    /// Effective `notify_priority_changes` (instance, else `vrrp_notify_priority_changes`,
    /// default false): a priority change writes `MASTER_PRIORITY`/`BACKUP_PRIORITY` FIFO lines.
    pub notify_priority_changes: bool,
    /// `unicast_src_ip` (or `mcast_src_ip`): the advert source address.
    pub src_ip: Option<IpAddr>,
    /// `unicast_peer { … }`; non-empty means unicast mode.
    pub unicast_peers: Vec<IpAddr>,
    /// Multicast group adverts go to (`vrrp_mcast_group4`, or `vrrp_mcast_group6` for IPv6).
    /// Its family is the instance's (see [`Instance::is_ipv6`]).
    pub mcast_group: IpAddr,
    /// `garp_master_delay` (else the global).
    pub garp_master_delay: Centis,
    /// `garp_master_repeat` (else the global).
    pub garp_master_repeat: u32,
    /// `garp_master_refresh` (else the global; 0 = off).
    pub garp_master_refresh: Centis,
    /// `garp_master_refresh_repeat` (else the global).
    pub garp_master_refresh_repeat: u32,
    /// `garp_lower_prio_delay` (else the global, else `garp_master_delay`'s global; 0 in
    /// strict mode): second burst after a MASTER saw a lower-priority advert.
    pub garp_lower_prio_delay: Centis,
    /// `garp_lower_prio_repeat` (same inheritance; 0 in strict mode): rounds of the burst a
    /// MASTER sends on a lower-priority advert (0 = none).
    pub garp_lower_prio_repeat: u32,
    /// `down_timer_adverts` (1..=100, else the global, 3; forced to 3 in strict mode):
    /// Master_Down_Interval = N · Master_Adver_Interval + Skew_Time.
    pub down_timer_adverts: u32,
    /// `lower_prio_no_advert` (else the global; true in strict mode): a MASTER does not answer
    /// a lower-priority advert with one of its own.
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert` (else the global; false in strict mode): a MASTER sends one
    /// advert before yielding to a better one.
    pub higher_prio_send_advert: bool,
    /// `owner_ignore_adverts` (keepalived 2.3.3+; else the global; owners only, true in strict
    /// mode): an address owner drops every received advert.
    pub owner_ignore_adverts: bool,
    /// `skip_check_adv_addr` (else the global): a BACKUP checks the advert's VIP list only when
    /// the sender differs from the last master seen. Any valid BOOL enables it (2.2.7's quirk).
    pub skip_check_adv_addr: bool,
    /// `check_unicast_src` (or global `vrrp_check_unicast_src`): a unicast instance drops
    /// adverts whose source is not one of its `unicast_peer`s.
    pub check_unicast_src: bool,
    /// `unicast_ttl` (0..=255, unicast only): TTL / hop limit of unicast adverts; `None` =
    /// 255 over IPv4, the kernel's default over IPv6.
    pub unicast_ttl: Option<u8>,
    /// `v3_checksum_as_v2` (keepalived 2.2.8+; else the global): VRRPv3 over IPv4 sends its
    /// checksum without the pseudo-header and accepts any received checksum.
    pub v3_checksum_as_v2: bool,
    /// `use_vmac`, `vmac_xmit_base`, `use_vmac_addr`, `garp_extra_if` (inventory §8.10).
    pub vmac: InstanceVmac,
    /// `strict_mode`, else `vrrp_strict` (inventory §4.5).
    pub strict: bool,
    /// Accept mode (`accept` / `no_accept`): default on, but off in strict mode for non-owners,
    /// and forced off for VRRPv2 in strict mode (RFC 3768 has no accept mode).
    pub accept: bool,
    /// `unicast_fault_no_peer`, `old_unicast_checksum`.
    pub unicast_opts: UnicastOptions,
}

impl Instance {
    /// True when adverts go to unicast peers instead of the multicast group.
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    /// True for an IPv6 instance (keepalived's `vrrp->family`: that of the first of its VIPs,
    /// source address and peers written, or `native_ipv6`; IPv4 without any), carried by the
    /// family of [`Instance::mcast_group`].
    pub fn is_ipv6(&self) -> bool {
        self.mcast_group.is_ipv6()
    }

    /// True for the address owner (priority 255, inventory §8.8).
    pub fn is_owner(&self) -> bool {
        self.priority == 255
    }

    /// True when, while MASTER, keepalived drops traffic to and from the VIPs with its
    /// nftables rules: no accept mode and not the address owner (`vrrp_handle_accept_mode()`).
    pub fn drops_vip_traffic(&self) -> bool {
        !self.accept && !self.is_owner()
    }
}

/// `state` keyword: the state an instance wishes to start in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    /// `state MASTER`.
    Master,
    /// `state BACKUP` (and the default for non-owners).
    Backup,
}

/// `authentication { … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `auth_type PASS`: the password, NUL-padded to the 8 bytes put in the advert.
    Pass([u8; 8]),
}

/// One line of `virtual_ipaddress { … }` (inventory §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualAddr {
    /// The address.
    pub addr: IpAddr,
    /// `/LEN`; a bare address is /32 (IPv4) or /128 (IPv6).
    pub prefix_len: u8,
    /// `brd B` (already resolved for `+`/`-`).
    pub brd: Option<Ipv4Addr>,
    /// The interface it goes on: `dev IF`, or the VMAC it was put on (`use_vmac`,
    /// `use_vmac_addr`); `None` = the instance interface.
    pub dev: Option<String>,
    /// `scope S` as the numeric rtnetlink scope (global = 0, site = 200, link = 253, host = 254, nowhere = 255).
    pub scope: u8,
    /// `label L` (IPv4 only, ≤15 chars).
    pub label: Option<String>,
    /// `no_track`: deleting it behind our back does not make the instance leave MASTER (a
    /// static address is not restored), and its interface is not tracked.
    pub no_track: bool,
}

/// One line of `track_script { … }`: `NAME [weight N [reverse|noreverse]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackScript {
    /// The `vrrp_script` name.
    pub name: String,
    /// Weight override; `None` = the script's own weight.
    pub weight: Option<i32>,
    /// `reverse`/`noreverse` override; `None` = the script's own.
    pub reverse: Option<bool>,
}

/// One line of `track_interface { … }`: `IF [weight N [reverse]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInterface {
    /// Interface name.
    pub name: String,
    /// Weight (0 = fault tracker).
    pub weight: i32,
    /// `reverse`.
    pub reverse: bool,
}

/// The `notify*` keywords of an instance (inventory §6.1). Boxed commands: most are absent,
/// and every instance holds this twice (its configuration and the running copy).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotifyScripts {
    /// `notify_master`.
    pub master: Option<Box<ScriptCommand>>,
    /// `notify_backup`.
    pub backup: Option<Box<ScriptCommand>>,
    /// `notify_fault`.
    pub fault: Option<Box<ScriptCommand>>,
    /// `notify_stop`.
    pub stop: Option<Box<ScriptCommand>>,
    /// `notify`: gets `INSTANCE NAME STATE PRIO` appended.
    pub generic: Option<Box<ScriptCommand>>,
    /// `notify_deleted [CMD]` was given (default off): an instance removed by a reload notifies
    /// `DELETED` instead of keepalived's historical `FAULT`.
    pub notify_deleted: bool,
    /// The command of `notify_deleted CMD`, run when the instance is removed by a reload.
    pub deleted: Option<Box<ScriptCommand>>,
    /// `notify_master_rx_lower_pri`: run each time a MASTER receives a lower-priority advert.
    pub master_rx_lower_pri: Option<Box<ScriptCommand>>,
}
