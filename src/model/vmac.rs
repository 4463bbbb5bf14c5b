//! VMAC: the macvlan interfaces keepalived creates so that a virtual router keeps one MAC
//! address whoever is master (`use_vmac`, `use_vmac_addr`, a VIP's `use_vmac`,
//! `vmac_xmit_base`, `garp_extra_if`; inventory §8.10).

use std::time::Duration;

/// The first four octets of every VRRP virtual MAC (RFC 5798 §7.3): `00:00:5e:00`, then
/// `01` (IPv4) or `02` (IPv6), then the VRID.
pub const VRRP_MAC_PREFIX: [u8; 4] = [0x00, 0x00, 0x5e, 0x00];

/// The RFC 5798 §7.3 virtual router MAC of `vrid`: `00:00:5e:00:01:VRID` over IPv4,
/// `00:00:5e:00:02:VRID` over IPv6.
pub const fn vrrp_mac(vrid: u8, ipv6: bool) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if ipv6 { 0x02 } else { 0x01 }, vrid]
}

/// One macvlan interface an instance owns: created (or taken over) at start, in private mode,
/// on `parent`, with `mac`; deleted at stop (keepalived's `netlink_link_add_vmac()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vmac {
    /// Its name (1 to 15 bytes): configured, else `<vmac_prefix>.<VRID>` (or, when that is
    /// taken, `<prefix>1.<VRID>`, `<prefix>2.<VRID>`…; IPv6 tries `<prefix>6.<VRID>` first).
    pub ifname: String,
    /// The interface it sits on: the instance's `interface`, or a VIP's `dev`.
    pub parent: String,
    /// Its MAC: configured on the `use_vmac` line, else [`vrrp_mac`].
    pub mac: [u8; 6],
    /// The family of the addresses it carries: an IPv6 VMAC keeps IPv6 enabled and gets a
    /// link-local address (the advert source); an IPv4 one has IPv6 disabled.
    pub ipv6: bool,
}

/// The VMAC settings of an instance after `vrrp_complete_instance()`'s rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstanceVmac {
    /// `use_vmac [NAME] [MAC]`: the instance's own VMAC. Its VIPs without `dev` (and those
    /// with `dev` = the instance interface) go on it, and adverts are sent from it unless
    /// `xmit_base`. `None` = no `use_vmac`.
    pub own: Option<Vmac>,
    /// `use_vmac NAME` named the interface (a name we chose may be replaced at start by the
    /// name of a matching macvlan left by an earlier run).
    pub name_configured: bool,
    /// A MAC was given on the `use_vmac` line (not allowed in strict mode).
    pub mac_configured: bool,
    /// That MAC had five octets: the VRID is its sixth.
    pub mac_uses_vrid: bool,
    /// `vmac_xmit_base` (forced with unicast peers, cleared in strict mode): adverts are sent
    /// and received on the parent interface, only VIPs and their GARPs use the VMAC.
    pub xmit_base: bool,
    /// `use_vmac_addr`: VIPs on other interfaces get a VMAC of their own on that interface.
    pub use_vmac_addr: bool,
    /// The VMACs for VIPs on other interfaces (`use_vmac_addr`, or a VIP's `use_vmac`
    /// option), one per (interface, family); those VIPs' `dev` names them.
    pub for_vips: Vec<Vmac>,
    /// `garp_extra_if` (else `vrrp_garp_extra_if`): while MASTER, one gratuitous ARP (or NA)
    /// per extra interface carrying VIPs, at the first advert after each interval. `None` when
    /// unset, 0, or when there is no such interface (keepalived disables it then).
    pub garp_extra_if: Option<GarpExtraIf>,
}

impl InstanceVmac {
    /// Every VMAC the instance creates: its own first, then those of its VIPs.
    pub fn all(&self) -> impl Iterator<Item = &Vmac> {
        self.own.iter().chain(self.for_vips.iter())
    }
}

/// `garp_extra_if [all] SECS` / `vrrp_garp_extra_if [all] SECS` (deprecated spellings
/// `vmac_garp_intvl`, `vrrp_vmac_garp_intvl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpExtraIf {
    /// The interval (whole seconds, 1 to 86400).
    pub interval: Duration,
    /// `all`: every other interface carrying VIPs, not only VMACs.
    pub all: bool,
}
