//! `virtual_routes` / `static_routes` and `virtual_rules` / `static_rules` lines (inventory §3.8,
//! §4.3): plain data with keepalived 2.2.7's derivations applied (`alloc_route()`,
//! `alloc_rule()` in `vrrp_iproute.c` / `vrrp_iprule.c`): families resolved, names from
//! `/etc/iproute2/rt_*` turned into numbers, the protocol forced to `keepalived` (18) on
//! tracked items, a preference given to every rule.

use std::net::IpAddr;

/// `RTPROT_KEEPALIVED`: the protocol keepalived stamps on the routes and rules it tracks, so it
/// can tell its own from others in netlink notifications.
pub const RTPROT_KEEPALIVED: u8 = 18;
/// `RT_TABLE_MAIN`.
pub const RT_TABLE_MAIN: u32 = 254;
/// `RTN_UNICAST`, the default route type.
pub const RTN_UNICAST: u8 = 1;

/// Route type names as iproute2 and keepalived spell them (`rtntypes[]` of `rttables.c`),
/// in keepalived's lookup order (`broadcast` and `brd` are both 3).
pub const RTN_NAMES: &[(u8, &str)] = &[
    (2, "local"),
    (10, "nat"),
    (3, "broadcast"),
    (3, "brd"),
    (4, "anycast"),
    (5, "multicast"),
    (8, "prohibit"),
    (7, "unreachable"),
    (6, "blackhole"),
    (11, "xresolve"),
    (1, "unicast"),
    (9, "throw"),
];

/// An address with a prefix length: a route destination or source, a rule selector.
/// `default` / `any` / `all` are the unspecified address of the family with length 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    /// The address (`0.0.0.0` / `::` for `default`).
    pub addr: IpAddr,
    /// The prefix length (32 / 128 when written without `/N`).
    pub len: u8,
}

impl Prefix {
    /// True for the IPv6 family.
    pub fn is_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }
}

/// How a route is added (`add`, `prepend`, `append` on the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RouteOp {
    /// keepalived's default: `NLM_F_CREATE` only, like `ip route prepend`.
    #[default]
    Prepend,
    /// `add`: `NLM_F_EXCL`, like `ip route add`.
    Add,
    /// `append`: `NLM_F_APPEND`.
    Append,
}

/// The `RTAX_*` metrics of a route (`mtu`, `advmss`, `rtt`, …), each set only when given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RouteMetrics {
    /// `mtu [lock] N`.
    pub mtu: Option<u32>,
    /// `window N`.
    pub window: Option<u32>,
    /// `rtt [lock] TIME`, in 1/8 ms (the kernel's unit).
    pub rtt: Option<u32>,
    /// `rttvar [lock] TIME`, in 1/4 ms.
    pub rttvar: Option<u32>,
    /// `ssthresh [lock] N`.
    pub ssthresh: Option<u32>,
    /// `cwnd [lock] N`.
    pub cwnd: Option<u32>,
    /// `advmss [lock] N`.
    pub advmss: Option<u32>,
    /// `reordering [lock] N`.
    pub reordering: Option<u32>,
    /// `hoplimit N`.
    pub hoplimit: Option<u32>,
    /// `initcwnd N`.
    pub initcwnd: Option<u32>,
    /// `initrwnd N`.
    pub initrwnd: Option<u32>,
    /// `rto_min [lock] TIME`, in ms.
    pub rto_min: Option<u32>,
    /// `quickack 0|1`.
    pub quickack: Option<u32>,
    /// `fastopen_no_cookie 0|1`.
    pub fastopen_no_cookie: Option<u32>,
    /// `features ecn`.
    pub features_ecn: bool,
    /// `congctl [lock] NAME`.
    pub congctl: Option<String>,
    /// `RTAX_LOCK`: bit `1 << RTAX_x` for each metric written with `lock`.
    pub lock: u32,
}

impl RouteMetrics {
    /// True when no metric is set (no `RTA_METRICS` attribute is sent).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A lightweight tunnel encapsulation (`encap …`, Linux 4.4+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Encap {
    /// `encap mpls L1/L2/…`: the labels, outermost first.
    Mpls(Vec<u32>),
    /// `encap ip [id N] [dst A] [src A] [tos T] [ttl N] [flags N]` (IPv4 endpoints).
    Ip(IpEncap),
    /// `encap ip6 [id N] [dst A] [src A] [tc T] [hoplimit N] [flags N]` (IPv6 endpoints).
    Ip6(IpEncap),
    /// `encap ila LOCATOR` (64 bits).
    Ila(u64),
}

/// The fields of `encap ip` / `encap ip6`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IpEncap {
    /// `id N`.
    pub id: Option<u64>,
    /// `dst ADDR`.
    pub dst: Option<IpAddr>,
    /// `src ADDR`.
    pub src: Option<IpAddr>,
    /// `tos` / `tc`.
    pub tos: Option<u8>,
    /// `ttl` / `hoplimit`.
    pub ttl: Option<u8>,
    /// `flags N`.
    pub flags: Option<u16>,
}

/// One `nexthop …` (or the legacy `or ADDR`) of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NextHop {
    /// `via [inet|inet6] ADDR`.
    pub via: Option<IpAddr>,
    /// `dev IF`.
    pub dev: Option<String>,
    /// `weight N` (1..=256).
    pub weight: Option<u16>,
    /// `onlink`.
    pub onlink: bool,
    /// `realms [FROM/]TO`.
    pub realms: Option<u32>,
    /// `encap …`.
    pub encap: Option<Encap>,
}

/// One `virtual_routes` / `static_routes` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    /// Destination (`to`, or the bare prefix); `default` is the unspecified address /0.
    pub dst: Prefix,
    /// `from PREFIX`: source prefix (IPv6 only).
    pub src: Option<Prefix>,
    /// `src ADDR`: the preferred source address (`RTA_PREFSRC`).
    pub pref_src: Option<IpAddr>,
    /// `via [inet|inet6] ADDR` (or the deprecated `gw`). Of the other family, it goes as
    /// `RTA_VIA`.
    pub via: Option<IpAddr>,
    /// `dev IF` / `oif IF`.
    pub dev: Option<String>,
    /// `tos` / `dsfield` (0 when not given).
    pub tos: u8,
    /// `tos` was given.
    pub tos_set: bool,
    /// `table T` (default main, 254).
    pub table: u32,
    /// `protocol P`; forced to [`RTPROT_KEEPALIVED`] on tracked routes. `None` = keepalived's
    /// default, which is also 18.
    pub protocol: Option<u8>,
    /// `scope S`; `None` = universe (the kernel may pick link for a route without gateway).
    pub scope: Option<u8>,
    /// Route type (`blackhole`, `unreachable`, `prohibit`, `throw`, `local`, …): `RTN_*`.
    pub kind: u8,
    /// The type was written (a delete then names it too).
    pub kind_set: bool,
    /// `metric` / `priority` / `preference N`.
    pub metric: Option<u32>,
    /// `onlink` (`RTNH_F_ONLINK`).
    pub onlink: bool,
    /// `realms [FROM/]TO` (IPv4).
    pub realms: Option<u32>,
    /// `expires N` seconds (IPv6).
    pub expires: Option<u32>,
    /// `pref low|medium|high|N` (IPv6 router preference).
    pub pref: Option<u8>,
    /// `ttl-propagate enabled|disabled` (MPLS).
    pub ttl_propagate: Option<bool>,
    /// `RTAX_*` metrics.
    pub metrics: RouteMetrics,
    /// `encap …`.
    pub encap: Option<Encap>,
    /// `nexthop …` entries (or the two hops of `via A or B`); empty for a single path.
    pub nexthops: Vec<NextHop>,
    /// `add` / `append` / `prepend` (default).
    pub op: RouteOp,
    /// `no_track`, or a route keepalived cannot track (no `dev`): a deletion behind our back
    /// is ignored and the route's interface is not tracked.
    pub no_track: bool,
    /// `track_group NAME` (static routes only).
    pub track_group: Option<String>,
}

impl Route {
    /// True for an IPv6 route.
    pub fn is_ipv6(&self) -> bool {
        self.dst.is_ipv6()
    }

    /// The protocol put in `rtm_protocol`: configured, else keepalived's own.
    pub fn protocol(&self) -> u8 {
        self.protocol.unwrap_or(RTPROT_KEEPALIVED)
    }
}

/// What a rule does (`fib_rule_hdr.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleAction {
    /// `table T` / `lookup T` (`FR_ACT_TO_TBL`).
    Table(u32),
    /// `l3mdev` (`FR_ACT_TO_TBL` without a table, `FRA_L3MDEV`).
    L3mdev,
    /// `goto N` (`FR_ACT_GOTO`).
    Goto(u32),
    /// `nop`.
    Nop,
    /// `blackhole`.
    Blackhole,
    /// `unreachable`.
    Unreachable,
    /// `prohibit`.
    Prohibit,
}

/// One `virtual_rules` / `static_rules` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// True for an IPv6 rule (`inet6`, or an IPv6 selector).
    pub v6: bool,
    /// `not`.
    pub invert: bool,
    /// `from PREFIX`.
    pub from: Option<Prefix>,
    /// `to PREFIX`.
    pub to: Option<Prefix>,
    /// `preference` / `order` / `priority N`; keepalived assigns 16384, 16383, … per family
    /// when none is given.
    pub priority: u32,
    /// `tos` / `dsfield`.
    pub tos: u8,
    /// `fwmark N[/MASK]`.
    pub fwmark: Option<u32>,
    /// The `/MASK` of `fwmark`.
    pub fwmask: Option<u32>,
    /// `realms [FROM/]TO` (IPv4).
    pub realms: Option<u32>,
    /// `suppress_prefixlength N` / `sup_pl`.
    pub suppress_prefixlen: Option<u32>,
    /// `suppress_ifgroup G` / `sup_group`.
    pub suppress_ifgroup: Option<u32>,
    /// `dev` / `iif IF`.
    pub iif: Option<String>,
    /// `oif IF`.
    pub oif: Option<String>,
    /// `tunnel-id N`.
    pub tunnel_id: Option<u64>,
    /// `uidrange A-B`.
    pub uid_range: Option<(u32, u32)>,
    /// `protocol N`; forced to [`RTPROT_KEEPALIVED`] unless `no_track`.
    pub protocol: Option<u8>,
    /// `ipproto P`.
    pub ip_proto: Option<u8>,
    /// `sport A[-B]`.
    pub sport: Option<(u16, u16)>,
    /// `dport A[-B]`.
    pub dport: Option<(u16, u16)>,
    /// The action.
    pub action: RuleAction,
    /// `no_track`: a deletion behind our back is ignored, `iif`/`oif` are not tracked.
    pub no_track: bool,
    /// `track_group NAME` (static rules only).
    pub track_group: Option<String>,
}
