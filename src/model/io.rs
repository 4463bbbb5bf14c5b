//! How the daemon talks to the kernel and when it starts: the `global_defs` keywords
//! `log_unknown_vrids`, `random_seed`, `dynamic_interfaces`, `vrrp_netlink_*_rcv_bufs[_force]`,
//! `vrrp_rx_bufs_policy`, `vrrp_rx_bufs_multiplier`, `reload_check_config`,
//! `vrrp_delay_after_boot`, and the unicast options of an instance (`unicast_fault_no_peer`,
//! `old_unicast_checksum`), after validation.

use std::time::Duration;

/// A netlink socket's receive buffer: `vrrp_netlink_cmd_rcv_bufs` /
/// `vrrp_netlink_monitor_rcv_bufs` and their `_force` (`SO_RCVBUFFORCE`, past
/// `net.core.rmem_max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RcvBuf {
    /// Bytes asked for (the kernel doubles it); 0 = the kernel's default.
    pub size: u32,
    /// `SO_RCVBUFFORCE` instead of `SO_RCVBUF`.
    pub force: bool,
}

/// `vrrp_rx_bufs_policy`: how big the VRRP sockets' receive buffers are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RxBufsPolicy {
    /// The kernel's default.
    #[default]
    Default,
    /// `MTU`: the multiplier times the interface MTU, per instance on the socket.
    Mtu,
    /// `ADVERT`: the multiplier times the instance's advert size, per instance.
    Advert,
    /// A size in bytes, per instance.
    Size(u32),
}

/// The I/O and start-up keywords of `global_defs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoSettings {
    /// `log_unknown_vrids`: log adverts for a VRID no instance on the interface has.
    pub log_unknown_vrids: bool,
    /// `random_seed N`: seed of `${_RANDOM}` for the lines after it, so that generated
    /// values repeat from one load to the next (keepalived documents this; 2.2.7 resets the
    /// seed before using it).
    pub random_seed: Option<u32>,
    /// `dynamic_interfaces`: an instance whose interface does not exist yet waits for it
    /// (FAULT) instead of stopping the daemon.
    pub dynamic_interfaces: bool,
    /// `dynamic_interfaces allow_if_changes`: an interface deleted and created again (new
    /// index) is followed.
    pub allow_if_changes: bool,
    /// `vrrp_netlink_cmd_rcv_bufs[_force]`.
    pub netlink_cmd_rcvbuf: RcvBuf,
    /// `vrrp_netlink_monitor_rcv_bufs[_force]`.
    pub netlink_monitor_rcvbuf: RcvBuf,
    /// `vrrp_rx_bufs_policy`.
    pub rx_bufs_policy: RxBufsPolicy,
    /// `vrrp_rx_bufs_multiplier` (default 3).
    pub rx_bufs_multiplier: u32,
    /// `reload_check_config [FILE]`: a reload's configuration is checked before it is used,
    /// and the findings written to FILE (`/dev/null` when none is given).
    pub reload_check_config: Option<String>,
    /// `vrrp_delay_after_boot SECS` (keepalived 2.4.0+): VRRP starts no earlier than this
    /// long after the system booted (folded into `vrrp_startup_delay` when read).
    pub vrrp_delay_after_boot: Option<Duration>,
}

impl Default for IoSettings {
    fn default() -> Self {
        Self {
            log_unknown_vrids: false,
            random_seed: None,
            dynamic_interfaces: false,
            allow_if_changes: false,
            netlink_cmd_rcvbuf: RcvBuf::default(),
            netlink_monitor_rcvbuf: RcvBuf::default(),
            rx_bufs_policy: RxBufsPolicy::Default,
            rx_bufs_multiplier: 3,
            reload_check_config: None,
            vrrp_delay_after_boot: None,
        }
    }
}

/// `old_unicast_checksum`: the VRRPv3 checksum keepalived ≤ 1.3.6 put on unicast IPv4
/// adverts (pseudo-header with the multicast group, not the peer, as destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OldUnicastChecksum {
    /// Not configured: RFC checksums, switching to the old one for good when a unicast
    /// advert only checks out that way (keepalived's automatic mode).
    #[default]
    Auto,
    /// `old_unicast_checksum never`: RFC checksums only.
    Never,
    /// `old_unicast_checksum`: the old checksum, sent and expected.
    Always,
}

/// An instance's unicast options beyond its peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnicastOptions {
    /// `unicast_fault_no_peer`: without peers the instance stays in FAULT instead of falling
    /// back to multicast.
    pub fault_no_peer: bool,
    /// `old_unicast_checksum [never]`.
    pub old_checksum: OldUnicastChecksum,
}
