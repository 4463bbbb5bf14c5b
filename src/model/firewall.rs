//! The firewall keepalived puts in front of the VIPs of instances without accept mode
//! (inventory §2.6): the nftables keywords of `global_defs` after validation.

/// `nftables`, `nftables_priority`, `nftables_ifindex`, `nftables_counters` (and the legacy
/// `vrrp_iptables`, which keepalived 2.2.7 built without iptables maps to nftables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firewall {
    /// Name of the `ip` and `ip6` tables: `nftables [TABLE]` (default `keepalived`),
    /// `vrrp_iptables`, or set to `keepalived` because an instance needs drop rules
    /// (keepalived's `vrrp_nf_table_name`). `None` = no instance needs a firewall.
    pub table: Option<String>,
    /// `nftables_priority` (default -1): priority of the `in` and `out` base chains. Reset to
    /// -1 by a later `nftables` or `vrrp_iptables`, as keepalived's handlers do.
    pub priority: i32,
    /// `nftables_ifindex`: link-local VIPs are always matched with the interface index, even
    /// for `dont_track_primary` instances (which otherwise match the interface name).
    pub ifindex: bool,
    /// `nftables_counters`: every rule counts what it matches.
    pub counters: bool,
}

impl Default for Firewall {
    fn default() -> Self {
        Self {
            table: None,
            priority: -1,
            ifindex: false,
            counters: false,
        }
    }
}

/// The table name keepalived uses when none is configured (`DEFAULT_NFTABLES_TABLE`).
pub const DEFAULT_NFTABLES_TABLE: &str = "keepalived";
