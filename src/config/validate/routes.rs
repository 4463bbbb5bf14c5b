//! Addresses, routes and rules as keepalived 2.2.7 reads them (inventory §3.8, §4.3):
//! `virtual_ipaddress` / `virtual_ipaddress_excluded` / `static_ipaddress` lines
//! (`alloc_ipaddress()`), `virtual_routes` / `static_routes` lines (`alloc_route()`,
//! `parse_nexthops()`, `parse_encap()`), `virtual_rules` / `static_rules` lines
//! (`alloc_rule()`), the instance flags `promote_secondaries`, `track_src_ip`,
//! `no_virtual_ipaddress`, and the derivations of `vrrp_complete_instance()` that concern them
//! (interfaces tracked implicitly, VIPs beyond what an advert holds moved to eVIPs).
//!
//! keepalived's quirks are reproduced because `-t` must agree with it; the ones users trip on
//! get a help line: `inet`/`inet6` swallow the next word, a type word must come before `to`,
//! `default` only works as the first word of a route that names no family yet, a single port
//! in `sport`/`dport` is refused, an untracked route (no `dev`) is never re-added.

mod names;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr};

use super::super::diag::{Level, Severity, Span};
use super::super::source::Token;
use super::super::tree::Stmt;
use super::{RawInstance, Validator, interface_exists};
use crate::model::{
    Encap, IpEncap, NextHop, Prefix, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_KEEPALIVED, Route,
    RouteMetrics, RouteOp, Rule, RuleAction, VirtualAddr,
};
use names::{RtNames, Table, rtn_type, scan_u16_range, scan_u32_range, strtoul};

/// `RTAX_*` indices, for the `lock` bits.
const RTAX_MTU: u32 = 2;
const RTAX_RTT: u32 = 4;
const RTAX_RTTVAR: u32 = 5;
const RTAX_SSTHRESH: u32 = 6;
const RTAX_CWND: u32 = 7;
const RTAX_ADVMSS: u32 = 8;
const RTAX_REORDERING: u32 = 9;
const RTAX_RTO_MIN: u32 = 13;
const RTAX_CC_ALGO: u32 = 16;
/// `RULE_START_PRIORITY`: the first preference keepalived gives a rule without one.
const RULE_START_PRIORITY: u32 = 16384;
/// `ICMPV6_ROUTER_PREF_*`.
const PREF_LOW: u8 = 3;
const PREF_MEDIUM: u8 = 0;
const PREF_HIGH: u8 = 1;
/// `MAX_MPLS_LABELS` in keepalived.
const MAX_MPLS_LABELS: usize = 2;
/// `DEFAULT_MTU`: the interface MTU assumed when it cannot be read.
const DEFAULT_MTU: usize = 1500;

/// What the route and rule parsers keep between lines: the name tables, the next preference
/// of a rule without one (per family, shared by every instance and the static rules, as
/// keepalived's process-wide counters), and the `track_group` names seen so far.
#[derive(Debug)]
pub(super) struct RouteState {
    names: RtNames,
    next_rule_priority: [u32; 2],
    /// `track_group NAME { … }` blocks read so far (the blocks themselves are skipped).
    pub(super) track_groups: Vec<String>,
    /// `default_interface` could not be found: keepalived caches the failure.
    default_if_missing: bool,
}

impl RouteState {
    pub(super) fn new(host_files: bool) -> Self {
        Self {
            names: RtNames::new(host_files),
            next_rule_priority: [RULE_START_PRIORITY; 2],
            track_groups: Vec::new(),
            default_if_missing: false,
        }
    }
}

/// The instance keywords of this module as written.
#[derive(Debug, Default)]
pub(super) struct RawRoutes {
    pub(super) vips_excluded: Vec<VirtualAddr>,
    pub(super) virtual_routes: Vec<Route>,
    pub(super) virtual_rules: Vec<Rule>,
    pub(super) promote_secondaries: bool,
    pub(super) track_src_ip: bool,
    pub(super) no_virtual_ipaddress: bool,
}

/// The derived values [`Validator::complete_routes`] hands to the instance (the VIPs that
/// stay are left in [`RawInstance::vips`]).
pub(super) struct Completed {
    pub(super) vips_excluded: Vec<VirtualAddr>,
    pub(super) virtual_routes: Vec<Route>,
    pub(super) virtual_rules: Vec<Rule>,
    pub(super) implicit_interfaces: Vec<String>,
    pub(super) promote_secondaries: bool,
    pub(super) track_src_ip: bool,
    pub(super) allow_no_vips: bool,
}

/// keepalived's `ipaddresstos()`: the address, with `/LEN` unless a host address.
fn addr_text(addr: IpAddr, len: u8) -> String {
    let full = if addr.is_ipv6() { 128 } else { 32 };
    if len == full {
        addr.to_string()
    } else {
        format!("{addr}/{len}")
    }
}

/// Family of a route or rule while its line is read (`AF_UNSPEC` = `None`).
type Family = Option<bool>;

/// A `parse_route()` result: an address and length, or `default`/`any`/`all` (no family).
#[derive(Debug, Clone, Copy)]
struct RouteAddr {
    /// `None` = `AF_UNSPEC` (`default`), else true for IPv6.
    v6: Family,
    addr: Option<IpAddr>,
    len: u8,
}

impl RouteAddr {
    /// The prefix once the line's family is known (keepalived fills `default` in last).
    fn resolve(self, v6: bool) -> Prefix {
        let unspec = if v6 {
            IpAddr::from([0u16; 8])
        } else {
            IpAddr::from([0u8; 4])
        };
        Prefix {
            addr: self.addr.unwrap_or(unspec),
            len: self.len,
        }
    }
}

impl Validator<'_> {
    // ---- C number readers with keepalived's messages (-t mode: no "WARNING - ") -----------

    fn number_error(&mut self, t: &Token, msg: String) {
        self.rep
            .at(Severity::Error, Some(Level::InvalidNumber), &t.span, msg);
    }

    /// `read_unsigned_func()` for a 32-bit `unsigned`, base 0 or 10.
    fn c_unsigned(&mut self, t: &Token, base: u32, min: u64, max: u64) -> Option<u32> {
        let s = t.text.as_str();
        let trimmed = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
        let n = strtoul(trimmed, base);
        let msg = if trimmed.starts_with('-') {
            format!("negative number '{s}'")
        } else if n.end != trimmed.len() {
            format!("invalid number '{s}'")
        } else if n.overflow || n.value > u64::from(u32::MAX) {
            format!("number '{s}' outside unsigned integer range")
        } else if n.value < min || n.value > max {
            format!("number '{s}' outside range [{min}, {max}]")
        } else {
            return Some(n.value as u32);
        };
        self.number_error(t, msg);
        None
    }

    /// `read_unsigned64_func()`, base 10.
    fn c_unsigned64(&mut self, t: &Token) -> Option<u64> {
        let s = t.text.as_str();
        let trimmed = s.trim_start_matches([' ', '\t']);
        let n = strtoul(trimmed, 10);
        let msg = if trimmed.starts_with('-') {
            format!("negative number '{s}'")
        } else if n.end != trimmed.len() {
            format!("invalid number '{s}'")
        } else if n.overflow {
            format!("number '{s}' outside unsigned 64 bit range")
        } else {
            return Some(n.value);
        };
        self.number_error(t, msg);
        None
    }

    /// `get_u8()` / `get_u16()` / `get_u32()`: the number, else its error then `errmsg`.
    fn get_uint(&mut self, t: &Token, max: u64, errmsg: &str) -> Option<u32> {
        let v = self.c_unsigned(t, 10, 0, max);
        if v.is_none() {
            self.error(&t.span, errmsg.replace("%s", &t.text));
        }
        v
    }

    /// `read_decimal_unsigned_long_func()` on `s` (part of `t`): `N[.frac]` × 10^`shift`, at
    /// most `max`. Too many decimals is an error but the value is used, rounded.
    fn c_decimal(&mut self, t: &Token, s: &str, shift: u32, max: u64) -> Option<u64> {
        if s.starts_with('-') {
            self.number_error(t, format!("negative number '{s}'"));
            return None;
        }
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let mut frac = frac.to_string();
        let mut round_up = false;
        if frac.len() > shift as usize {
            self.number_error(t, format!("number '{s}' has too many decimal places"));
            round_up = frac.as_bytes()[shift as usize] >= b'5';
            frac.truncate(shift as usize);
        }
        while frac.len() < shift as usize {
            frac.push('0');
        }
        let digits = format!("{int}{frac}");
        let n = strtoul(&digits, 10);
        if n.end != digits.len() {
            self.number_error(t, format!("invalid number '{s}'"));
            return None;
        }
        if n.overflow {
            self.number_error(t, format!("number '{s}' outside unsigned decimal range"));
            return None;
        }
        let v = n.value + u64::from(round_up);
        if v > max {
            // `%lu.%*.*lu`: a zero fraction with no digits prints nothing after the point.
            let scale = 10u64.pow(shift);
            let frac_text = |x: u64| {
                if shift == 0 {
                    String::new()
                } else {
                    format!("{:0w$}", x % scale, w = shift as usize)
                }
            };
            self.number_error(
                t,
                format!(
                    "number '{s}' outside range [0.{}, {}.{}]",
                    frac_text(0),
                    max / scale,
                    frac_text(max)
                ),
            );
            return None;
        }
        Some(v)
    }

    /// `get_time_rtt()`: `N` in the kernel's unit, or `Ns`/`Nms` (decimals allowed), clamped
    /// to 200 ms ..= 120 s. `None` = invalid (the caller reports it).
    fn get_time_rtt(&mut self, t: &Token, unit_mult: u64) -> Option<u32> {
        const RTT_MIN_MS: u64 = 200;
        const RTT_MAX_MS: u64 = 120_000;
        let s = t.text.trim_start_matches([' ', '\t']);
        let (num, shift, raw) = match s.find(['s', 'S']) {
            Some(p) => {
                let suffix = s[p..].to_ascii_lowercase();
                if !matches!(suffix.as_str(), "s" | "sec" | "secs") {
                    return None;
                }
                let (end, shift) = if p > 0 && s.as_bytes()[p - 1].eq_ignore_ascii_case(&b'm') {
                    (p - 1, 0)
                } else {
                    (p, 3)
                };
                if end == 0 {
                    return None;
                }
                (&s[..end], shift, false)
            }
            None => (s, 0, true),
        };
        if num.contains(['e', 'E']) {
            self.rep.at(
                Severity::Note,
                None,
                &t.span,
                format!("rtt value exponential form {s} no longer supported"),
            );
            return None;
        }
        let mut v = self.c_decimal(t, num, shift, RTT_MAX_MS * unit_mult)?;
        if !raw {
            v *= unit_mult;
        }
        if v > RTT_MAX_MS * unit_mult {
            self.rep.at(
                Severity::Note,
                None,
                &t.span,
                format!(
                    "rtt value {s} exceeds maximum {}s, resetting",
                    RTT_MAX_MS / 1000
                ),
            );
            v = RTT_MAX_MS * unit_mult;
        } else if v < RTT_MIN_MS * unit_mult {
            self.rep.at(
                Severity::Note,
                None,
                &t.span,
                format!("rtt value {s} below minimum {RTT_MIN_MS}ms, resetting"),
            );
            v = RTT_MIN_MS * unit_mult;
        }
        Some(v as u32)
    }

    // ---- addresses ---------------------------------------------------------------------------

    /// `parse_ipaddress()`: family from the presence of `:`, an optional `/LEN` when
    /// `allow_subnet` (a bad one falls back to the full length with an error).
    fn parse_ipaddress(&mut self, t: &Token, allow_subnet: bool) -> Option<(IpAddr, u8)> {
        let s = t.text.as_str();
        let v6 = s.contains(':');
        let full: u8 = if v6 { 128 } else { 32 };
        let mut len = full;
        let mut addr_s = s;
        if allow_subnet {
            if let Some((a, l)) = s.split_once('/') {
                let lt = Token {
                    text: l.to_string(),
                    span: t.span.clone(),
                };
                match self.c_unsigned(&lt, 10, 0, u64::from(full)) {
                    Some(v) => len = v as u8,
                    None => self.error(
                        &t.span,
                        format!("Invalid address prefix len {l} for address {s} - using {full}"),
                    ),
                }
                addr_s = a;
            }
        }
        let parsed = if v6 {
            addr_s.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
        } else {
            addr_s.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
        };
        match parsed {
            Some(a) => Some((a, len)),
            None => {
                self.error(
                    &t.span,
                    format!("VRRP parsed invalid IP {s}. skipping IP..."),
                );
                None
            }
        }
    }

    /// `parse_route()`: `default`/`any`/`all` (no family yet), the deprecated `default6`, or
    /// an address with an optional prefix.
    fn parse_route(&mut self, t: &Token) -> Option<RouteAddr> {
        match t.text.as_str() {
            "default" | "any" | "all" => Some(RouteAddr {
                v6: None,
                addr: None,
                len: 0,
            }),
            "default6" => {
                self.rep.at(
                    Severity::Note,
                    None,
                    &t.span,
                    "'default6' is deprecated - please replace with 'inet6 default'",
                );
                Some(RouteAddr {
                    v6: Some(true),
                    addr: None,
                    len: 0,
                })
            }
            _ => self.parse_ipaddress(t, true).map(|(a, l)| RouteAddr {
                v6: Some(a.is_ipv6()),
                addr: Some(a),
                len: l,
            }),
        }
    }

    /// With host checks on, reports `msg` and keepalived's "Non-existent interface" fatal
    /// when the interface `t` names does not exist; true when it may be used.
    fn known_interface(&mut self, t: &Token, msg: String) -> bool {
        if self.check_ifs() && !interface_exists(&t.text) {
            self.error(&t.span, msg);
            self.nonexistent_interface(&t.span);
            return false;
        }
        true
    }

    /// One `virtual_ipaddress` / `virtual_ipaddress_excluded` / `static_ipaddress` line
    /// (`alloc_ipaddress()`); `None` when keepalived drops it.
    pub(super) fn ip_address_line(
        &mut self,
        item: &Stmt,
        static_addr: bool,
    ) -> Option<VirtualAddr> {
        let w = &item.line.words;
        let first = &w[0];
        let (addr, mut prefix_len) = self.parse_ipaddress(first, true)?;
        let v6 = addr.is_ipv6();
        let mut v = VirtualAddr {
            addr,
            prefix_len,
            brd: None,
            dev: None,
            scope: 0,
            label: None,
            no_track: false,
        };
        let mut brd_mode: i8 = 0; // -1 '+', -2 '-'
        let mut have_brd = false;
        let mut peer: Option<IpAddr> = None;
        let mut track_group = false;
        let mut missing: Option<&Token> = None;
        let mut i = 1;
        while i < w.len() {
            let str = &w[i];
            let avail = w.len() >= i + 2;
            let takes = matches!(
                str.text.as_str(),
                "dev" | "scope" | "broadcast" | "brd" | "label" | "peer" | "preferred_lft"
            ) || (static_addr && str.text == "track_group");
            if takes && !avail {
                missing = Some(str);
                break;
            }
            match str.text.as_str() {
                "dev" => {
                    i += 1;
                    if v.dev.is_some() {
                        self.error(
                            &str.span,
                            format!(
                                "Cannot specify ipaddress device more than once for {}",
                                first.text
                            ),
                        );
                        return None;
                    }
                    let d = &w[i];
                    if self.check_ifs() && !interface_exists(&d.text) {
                        self.error(
                            &d.span,
                            format!(
                                "WARNING - interface {} for ip address {} doesn't exist",
                                d.text, first.text
                            ),
                        );
                        self.nonexistent_interface(&d.span);
                        return None;
                    }
                    v.dev = Some(d.text.clone());
                }
                "scope" => {
                    i += 1;
                    match self.routes.names.find_u8(Table::Scopes, &w[i].text) {
                        Some(s) => v.scope = s,
                        None => self.error(
                            &w[i].span,
                            format!(
                                "Invalid scope '{}' specified for {} - ignoring",
                                w[i].text, first.text
                            ),
                        ),
                    }
                }
                "broadcast" | "brd" => {
                    if v6 {
                        self.error(
                            &str.span,
                            format!(
                                "VRRP is trying to assign a broadcast {} to the IPv6 address {} !!?? WTF... skipping VIP...",
                                str.text, first.text
                            ),
                        );
                        return None;
                    }
                    have_brd = true;
                    i += 1;
                    match w[i].text.as_str() {
                        "-" => brd_mode = -2,
                        "+" => brd_mode = -1,
                        p => match p.parse::<Ipv4Addr>() {
                            Ok(b) => v.brd = Some(b),
                            Err(_) => {
                                self.error(
                                    &w[i].span,
                                    format!(
                                        "VRRP is trying to assign invalid broadcast {p}. skipping VIP..."
                                    ),
                                );
                                return None;
                            }
                        },
                    }
                }
                "label" => {
                    i += 1;
                    let l = &w[i];
                    if l.text.len() >= 16 {
                        self.error(
                            &l.span,
                            format!(
                                "Address label {} is longer than maximum length 15 - removing address",
                                l.text
                            ),
                        );
                        return None;
                    }
                    v.label = Some(l.text.clone());
                }
                "peer" => {
                    i += 1;
                    let p = &w[i];
                    if peer.is_some() {
                        self.error(
                            &p.span,
                            format!("Peer {} - another peer has already been specified", p.text),
                        );
                        // keepalived does not step over the address: it is read again as an
                        // option ("Unknown configuration entry").
                        continue;
                    }
                    match self.parse_ipaddress(p, false) {
                        None => self.error(&p.span, format!("Invalid peer address {}", p.text)),
                        Some((a, _)) if a.is_ipv6() != v6 => self.error(
                            &p.span,
                            format!("Peer address {} does not match address family", p.text),
                        ),
                        Some((a, l)) => {
                            if prefix_len != if v6 { 128 } else { 32 } {
                                self.error(
                                    &p.span,
                                    "Cannot specify address prefix when specifying peer address - ignoring",
                                );
                            }
                            prefix_len = l;
                            peer = Some(a);
                            self.options_not_acted_on("peer", &str.span);
                        }
                    }
                }
                "home" | "-nodad" | "mngtmpaddr" | "noprefixroute" | "autojoin" => {
                    self.options_not_acted_on(&str.text, &str.span);
                }
                "no_track" => v.no_track = true,
                "preferred_lft" => {
                    i += 1;
                    let p = &w[i];
                    if p.text != "forever"
                        && self.c_unsigned(p, 10, 0, u64::from(u32::MAX)).is_none()
                    {
                        self.error(&p.span, format!("preferred_lft {} is invalid", p.text));
                    }
                    self.options_not_acted_on("preferred_lft", &str.span);
                }
                "track_group" if static_addr => {
                    i += 1;
                    let g = &w[i];
                    if track_group {
                        self.error(&g.span, format!("track_group {} is a duplicate", g.text));
                        break;
                    }
                    if self.routes.track_groups.contains(&g.text) {
                        track_group = true;
                        self.options_not_acted_on("track_group", &str.span);
                    } else {
                        self.error(&g.span, format!("track_group {} not found", g.text));
                    }
                }
                // A VIP's own VMAC: acted on by the `virtual_ipaddress` caller (`vmac.rs`).
                "use_vmac" if !static_addr => {}
                other => {
                    let msg =
                        format!("Unknown configuration entry '{other}' for ip address - ignoring");
                    if other
                        .split('/')
                        .next()
                        .is_some_and(|a| a.parse::<IpAddr>().is_ok())
                    {
                        self.error_help(
                            &str.span,
                            msg,
                            format!("keepalived reads one address per line: put `{other}` on a line of its own"),
                        );
                    } else {
                        self.error(&str.span, msg);
                    }
                }
            }
            i += 1;
        }
        if let Some(m) = missing {
            self.error(
                &m.span,
                format!("No {} parameter specified for {}", m.text, first.text),
            );
            return None;
        }
        v.prefix_len = prefix_len;
        if have_brd && peer.is_some() {
            self.error(
                &first.span,
                "Cannot specify broadcast and peer addresses - ignoring broadcast address",
            );
            v.brd = None;
        } else if brd_mode < 0 && prefix_len <= 30 {
            let base = match peer.unwrap_or(addr) {
                IpAddr::V4(a) => u32::from(a),
                IpAddr::V6(_) => 0,
            };
            let host = u32::MAX.checked_shr(u32::from(prefix_len)).unwrap_or(0);
            v.brd = Some(Ipv4Addr::from(if brd_mode == -1 {
                base | host
            } else {
                base & !host
            }));
        } else if brd_mode < 0 {
            self.error(
                &first.span,
                format!("Address prefix length {prefix_len} too long for broadcast"),
            );
        }
        if static_addr && v.dev.is_none() {
            let name = self
                .config
                .global
                .default_interface
                .clone()
                .unwrap_or_else(|| "eth0".to_string());
            if self.routes.default_if_missing || (self.check_ifs() && !interface_exists(&name)) {
                self.routes.default_if_missing = true;
                self.rep.at(
                    Severity::Error,
                    Some(Level::Fatal),
                    &first.span,
                    format!(
                        "Static address {} requires either an interface or default interface must exist",
                        first.text
                    ),
                );
                self.nonexistent_interface(&first.span);
                return None;
            }
            v.dev = Some(name);
        }
        if v6 {
            if v.scope != 0 {
                self.error(
                    &first.span,
                    format!(
                        "Cannot specify scope for IPv6 addresses ({}) - ignoring scope",
                        first.text
                    ),
                );
                v.scope = 0;
            }
            if v.label.is_some() {
                self.error(
                    &first.span,
                    format!(
                        "Cannot specify label for IPv6 addresses ({}) - ignoring label",
                        first.text
                    ),
                );
                v.label = None;
            }
        }
        Some(v)
    }

    /// Address options we parse but do not apply: one note for the whole configuration.
    fn options_not_acted_on(&mut self, opt: &str, span: &Span) {
        self.note_once(
            "virtual_ipaddress",
            "options",
            span,
            format!("ip address option `{opt}` is not acted on by keepalived-rs"),
        );
    }

    // ---- routes ------------------------------------------------------------------------------

    /// The word at `i`, or keepalived's fatal "missing a parameter" (`null_strvec()`).
    fn slot<'s>(&mut self, item: &'s Stmt, i: usize) -> Option<&'s Token> {
        let t = item.line.words.get(i);
        if t.is_none() {
            self.missing(item, i);
        }
        t
    }

    /// Unifies the line's family with one more element (`Cannot mix …` on a conflict).
    fn same_family(family: &mut Family, v6: Family) -> bool {
        match *family {
            None => {
                *family = v6;
                true
            }
            Some(f) => v6 == Some(f),
        }
    }

    /// `[lock] N` of a metric: returns the index of the value word.
    fn lock_word(&mut self, item: &Stmt, i: &mut usize, lock: &mut u32, bit: u32) -> Option<()> {
        *i += 1;
        if self.slot(item, *i)?.text == "lock" {
            *lock |= 1 << bit;
            *i += 1;
        }
        Some(())
    }

    /// One `virtual_routes` / `static_routes` line (`alloc_route()`); `None` when keepalived
    /// drops it. `allow_track_group` for static routes.
    pub(super) fn route_line(&mut self, item: &Stmt, allow_track_group: bool) -> Option<Route> {
        let w = &item.line.words;
        let mut family: Family = None;
        let mut dst: Option<RouteAddr> = None;
        let mut dest_word: Option<&Token> = None;
        let mut src: Option<RouteAddr> = None;
        let mut r = Route {
            dst: Prefix {
                addr: IpAddr::from([0u8; 4]),
                len: 0,
            },
            src: None,
            pref_src: None,
            via: None,
            dev: None,
            tos: 0,
            tos_set: false,
            table: RT_TABLE_MAIN,
            protocol: None,
            scope: None,
            kind: RTN_UNICAST,
            kind_set: false,
            metric: None,
            onlink: false,
            realms: None,
            expires: None,
            pref: None,
            ttl_propagate: None,
            metrics: RouteMetrics::default(),
            encap: None,
            nexthops: Vec::new(),
            op: RouteOp::Prepend,
            no_track: false,
            track_group: None,
        };
        let mut do_nexthop = false;
        let mut vrf_route = false;
        let mix = "Cannot mix IPv4 and IPv6 addresses for route";
        let mut i = 0;
        while i < w.len() {
            let str = &w[i];
            match str.text.as_str() {
                "inet6" | "inet" => {
                    let v6 = str.text == "inet6";
                    if !Self::same_family(&mut family, Some(v6)) {
                        let msg = if v6 {
                            "inet6 specified for IPv4 route"
                        } else {
                            "inet specified for IPv6 route"
                        };
                        self.error(&str.span, msg);
                        return None;
                    }
                    // keepalived steps over the word after `inet`/`inet6` too.
                    i += 1;
                    if let Some(next) = w.get(i) {
                        self.note_help(
                            &next.span,
                            format!("keepalived skips `{}` after `{}`", next.text, str.text),
                            "write the family after the destination, or leave it out: the addresses give it",
                        );
                    }
                }
                "src" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some((a, _)) = self.parse_ipaddress(t, false) else {
                        self.error(&t.span, format!("invalid route src address {}", t.text));
                        return None;
                    };
                    if !Self::same_family(&mut family, Some(a.is_ipv6())) {
                        self.error(&t.span, mix);
                        return None;
                    }
                    r.pref_src = Some(a);
                }
                "as" => {
                    i += 1;
                    if self.slot(item, i)?.text == "to" {
                        i += 1;
                    }
                    self.error(&str.span, "\"as to\" for MPLS only - ignoring");
                }
                "via" | "gw" => {
                    if str.text == "gw" {
                        self.error(
                            &str.span,
                            "\"gw\" for routes is deprecated. Please use \"via\"",
                        );
                    }
                    i += 1;
                    let mut t = self.slot(item, i)?;
                    let fam = match t.text.as_str() {
                        "inet" | "inet6" => {
                            let f = Some(t.text == "inet6");
                            i += 1;
                            t = self.slot(item, i)?;
                            f
                        }
                        _ => family,
                    };
                    if !Self::same_family(&mut family, fam) {
                        self.error(&t.span, mix);
                        return None;
                    }
                    let Some((a, _)) = self.parse_ipaddress(t, false) else {
                        self.error(&t.span, format!("invalid route via address {}", t.text));
                        return None;
                    };
                    if !Self::same_family(&mut family, Some(a.is_ipv6())) {
                        self.error(&t.span, mix);
                        return None;
                    }
                    r.via = Some(a);
                }
                "from" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(a) = self.parse_route(t) else {
                        self.error(&t.span, format!("invalid route from address {}", t.text));
                        return None;
                    };
                    if a.v6 != Some(true) {
                        self.error(
                            &t.span,
                            format!("route from address only supported with IPv6 ({})", t.text),
                        );
                        return None;
                    }
                    if !Self::same_family(&mut family, a.v6) {
                        self.error(&t.span, mix);
                        return None;
                    }
                    src = Some(a);
                }
                "tos" | "dsfield" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.find_u8(Table::Dsfield, &t.text) else {
                        self.error(&t.span, format!("TOS value {} is invalid", t.text));
                        return None;
                    };
                    r.tos = v;
                    r.tos_set = true;
                }
                "table" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.find(Table::Tables, &t.text) else {
                        self.error(
                            &t.span,
                            format!("Routing table {} not found for route", t.text),
                        );
                        return None;
                    };
                    r.table = v;
                }
                "protocol" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.find_u8(Table::Protos, &t.text) else {
                        self.error(
                            &t.span,
                            format!("Protocol {} not found or invalid for route", t.text),
                        );
                        return None;
                    };
                    r.protocol = Some(v);
                }
                "scope" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.find_u8(Table::Scopes, &t.text) else {
                        self.error(
                            &t.span,
                            format!("Scope {} not found or invalid for route", t.text),
                        );
                        return None;
                    };
                    r.scope = Some(v);
                }
                "metric" | "priority" | "preference" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    r.metric = Some(self.get_uint(
                        t,
                        u64::from(u32::MAX),
                        "Invalid metric %s specified for route",
                    )?);
                }
                "dev" | "oif" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let msg = format!(
                        "WARNING - interface {} for VROUTE nexthop doesn't exist",
                        t.text
                    );
                    if !self.known_interface(t, msg) {
                        return None;
                    }
                    r.dev = Some(t.text.clone());
                }
                "onlink" => r.onlink = true,
                "encap" => {
                    let mut e = None;
                    self.parse_encap(item, &mut i, &mut e)?;
                    r.encap = e;
                }
                "expires" => {
                    i += 1;
                    if family == Some(false) {
                        self.error(&str.span, "expires is only valid for IPv6");
                        return None;
                    }
                    family = Some(true);
                    let t = self.slot(item, i)?;
                    r.expires = Some(self.get_uint(
                        t,
                        u64::from(u32::MAX),
                        "Invalid expires time %s specified for route",
                    )?);
                }
                "mtu" | "advmss" | "reordering" | "cwnd" | "ssthresh" => {
                    let (bit, msg) = match str.text.as_str() {
                        "mtu" => (RTAX_MTU, "Invalid MTU %s specified for route"),
                        "advmss" => (RTAX_ADVMSS, "Invalid advmss %s specified for route"),
                        "reordering" => (
                            RTAX_REORDERING,
                            "Invalid reordering value %s specified for route",
                        ),
                        "cwnd" => (RTAX_CWND, "Invalid cwnd value %s specified for route"),
                        _ => (
                            RTAX_SSTHRESH,
                            "Invalid ssthresh value %s specified for route",
                        ),
                    };
                    self.lock_word(item, &mut i, &mut r.metrics.lock, bit)?;
                    let t = self.slot(item, i)?;
                    let v = Some(self.get_uint(t, u64::from(u32::MAX), msg)?);
                    let m = &mut r.metrics;
                    match str.text.as_str() {
                        "mtu" => m.mtu = v,
                        "advmss" => m.advmss = v,
                        "reordering" => m.reordering = v,
                        "cwnd" => m.cwnd = v,
                        _ => m.ssthresh = v,
                    }
                }
                "hoplimit" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    r.metrics.hoplimit =
                        Some(self.get_uint(t, 255, "Invalid hoplimit %s specified for route")?);
                }
                "window" | "initcwnd" | "initrwnd" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let msg = format!("Invalid {} value %s specified for route", str.text);
                    let v = Some(self.get_uint(t, u64::from(u32::MAX), &msg)?);
                    match str.text.as_str() {
                        "window" => r.metrics.window = v,
                        "initcwnd" => r.metrics.initcwnd = v,
                        _ => r.metrics.initrwnd = v,
                    }
                }
                "rtt" | "rttvar" | "rto_min" => {
                    let (bit, unit) = match str.text.as_str() {
                        "rtt" => (RTAX_RTT, 8),
                        "rttvar" => (RTAX_RTTVAR, 4),
                        _ => (RTAX_RTO_MIN, 1),
                    };
                    self.lock_word(item, &mut i, &mut r.metrics.lock, bit)?;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.get_time_rtt(t, unit) else {
                        let msg = if str.text == "rto_min" {
                            format!("Invalid rto_min value {} specified for route", t.text)
                        } else {
                            format!("Invalid {} {} for route", str.text, t.text)
                        };
                        self.error(&t.span, msg);
                        return None;
                    };
                    match str.text.as_str() {
                        "rtt" => r.metrics.rtt = Some(v),
                        "rttvar" => r.metrics.rttvar = Some(v),
                        _ => r.metrics.rto_min = Some(v),
                    }
                }
                "realms" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.realms(&t.text) else {
                        self.error(&t.span, format!("Invalid realms {} for route", t.text));
                        return None;
                    };
                    if family == Some(true) {
                        self.error(&t.span, "realms are only valid for IPv4");
                        return None;
                    }
                    family = Some(false);
                    r.realms = Some(v);
                }
                "features" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    if t.text == "ecn" {
                        r.metrics.features_ecn = true;
                    } else {
                        self.error(&t.span, format!("feature {} not supported", t.text));
                    }
                }
                "quickack" | "fastopen_no_cookie" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let msg = format!("Invalid {} value %s specified for route", str.text);
                    let v = Some(self.get_uint(t, 1, &msg)?);
                    if str.text == "quickack" {
                        r.metrics.quickack = v;
                    } else {
                        r.metrics.fastopen_no_cookie = v;
                    }
                }
                "congctl" => {
                    self.lock_word(item, &mut i, &mut r.metrics.lock, RTAX_CC_ALGO)?;
                    r.metrics.congctl = Some(self.slot(item, i)?.text.clone());
                }
                "pref" => {
                    i += 1;
                    if family == Some(false) {
                        self.error(&str.span, "pref is only valid for IPv6");
                        return None;
                    }
                    family = Some(true);
                    let t = self.slot(item, i)?;
                    r.pref = Some(match t.text.as_str() {
                        "low" => PREF_LOW,
                        "medium" => PREF_MEDIUM,
                        "high" => PREF_HIGH,
                        _ => self.get_uint(t, 255, "Invalid pref value %s specified for route")?
                            as u8,
                    });
                }
                "ttl-propagate" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    r.ttl_propagate = Some(match t.text.as_str() {
                        "enabled" => true,
                        "disabled" => false,
                        other => {
                            self.error(
                                &t.span,
                                format!("ttl-propagate value {other} not recognised"),
                            );
                            false
                        }
                    });
                }
                "add" => r.op = RouteOp::Add,
                "prepend" => r.op = RouteOp::Prepend,
                "append" => r.op = RouteOp::Append,
                "or" => {
                    self.error(
                        &str.span,
                        "\"or\" for routes is deprecated. Please use \"nexthop\"",
                    );
                    if !r.nexthops.is_empty() {
                        self.error(
                            &str.span,
                            "\"or\" route already specified - ignoring subsequent",
                        );
                        i += 2;
                        continue;
                    }
                    let first = NextHop {
                        via: r.via.take(),
                        ..NextHop::default()
                    };
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some((a, _)) = self.parse_ipaddress(t, false) else {
                        self.error(&t.span, format!("Invalid \"or\" address {}", t.text));
                        return None;
                    };
                    r.nexthops.push(first);
                    r.nexthops.push(NextHop {
                        via: Some(a),
                        ..NextHop::default()
                    });
                }
                "nexthop" => {
                    if r.nexthops.is_empty() {
                        do_nexthop = true;
                    } else {
                        self.error(&str.span, "Cannot specify nexthops with \"or\" route");
                    }
                    break;
                }
                "no_track" => r.no_track = true,
                "track_group" if allow_track_group => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    if r.track_group.is_some() {
                        self.error(&t.span, format!("track_group {} is a duplicate", t.text));
                        break;
                    }
                    if self.routes.track_groups.contains(&t.text) {
                        r.track_group = Some(t.text.clone());
                    } else {
                        self.error(&t.span, format!("track_group {} not found", t.text));
                    }
                }
                "vrf" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    if self.opts.check_interfaces && !interface_exists(&t.text) {
                        self.error(&t.span, format!("VRF {} not found for route", t.text));
                        return None;
                    }
                    if self.opts.check_interfaces && !interface_is_vrf(&t.text) {
                        self.error(
                            &t.span,
                            format!("Route specified VRF {} is not a VRF", t.text),
                        );
                        return None;
                    }
                    vrf_route = true;
                }
                _ => {
                    // `[to] [TYPE] PREFIX`: the type is looked up on the word before `to`'s
                    // argument, so `to blackhole X` and `blackhole to X` both fail.
                    if str.text == "to" {
                        i += 1;
                    }
                    if let Some(k) = rtn_type(&str.text) {
                        r.kind = k;
                        r.kind_set = true;
                        i += 1;
                    }
                    let t = self.slot(item, i)?;
                    let Some(a) = self.parse_route(t) else {
                        let d = self.rep.at(
                            Severity::Error,
                            Some(Level::GeneralError),
                            &t.span,
                            format!("unknown route keyword {}", t.text),
                        );
                        if t.text == "to" || rtn_type(&t.text).is_some() {
                            d.help = Some(
                                "keepalived wants the route type first and no `to` after it: \
                                 `blackhole 203.0.113.0/24`"
                                    .into(),
                            );
                        }
                        return None;
                    };
                    dest_word = Some(t);
                    if family.is_none() {
                        family = a.v6;
                    } else if family != a.v6 {
                        let d = self.rep.at(
                            Severity::Error,
                            Some(Level::GeneralError),
                            &t.span,
                            format!("{mix} ({})", t.text),
                        );
                        if a.v6.is_none() {
                            d.help = Some(
                                "keepalived takes `default` only as the first address of the \
                                 line; write `0.0.0.0/0` (or `::/0`) instead"
                                    .into(),
                            );
                        }
                        return None;
                    }
                    dst = Some(a);
                }
            }
            i += 1;
        }
        if do_nexthop {
            self.parse_nexthops(item, i, &mut r, &mut family);
        } else if i < w.len() {
            self.error(
                &w[i].span,
                format!("Route has trailing nonsense - {}", w[i].text),
            );
            return None;
        }
        let Some(dst) = dst else {
            self.error(&item.line.span, "Route must have a destination");
            return None;
        };
        if !r.no_track {
            if r.protocol.is_some_and(|p| p != RTPROT_KEEPALIVED) {
                self.error(
                    &item.line.span,
                    format!(
                        "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED({RTPROT_KEEPALIVED}), resetting protocol"
                    ),
                );
            }
            r.protocol = Some(RTPROT_KEEPALIVED);
            if r.dev.is_none() {
                let d = self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &item.line.span,
                    format!(
                        "Warning - cannot track route {} with no interface specified, not tracking",
                        dest_word.map_or("(null)", |t| t.text.as_str())
                    ),
                );
                d.help = Some(
                    "add `dev IF` to the route (or `no_track` to say so): keepalived neither \
                     re-adds it nor leaves MASTER when it is deleted"
                        .into(),
                );
                r.no_track = true;
            }
        }
        if r.track_group.is_some() && r.dev.is_none() {
            self.error(
                &item.line.span,
                "Static route cannot have track group if no oif specified",
            );
            r.track_group = None;
        }
        let v6 = family.unwrap_or(false);
        r.dst = dst.resolve(v6);
        r.src = src.map(|s| s.resolve(v6));
        if vrf_route {
            self.rep.at(
                Severity::Warning,
                None,
                &item.line.span,
                "routes in a VRF (`vrf`) are not supported by keepalived-rs - route ignored",
            );
            return None;
        }
        Some(r)
    }

    /// `parse_nexthops()`: `nexthop [via [inet|inet6] A] [dev IF] [weight N] [onlink]
    /// [realms R] [encap …]`, repeated. An error drops that hop and those after it, never
    /// the route.
    fn parse_nexthops(&mut self, item: &Stmt, mut i: usize, r: &mut Route, family: &mut Family) {
        let w = &item.line.words;
        // keepalived's `family` here outlives a hop: `inet6` on one applies to the next.
        let mut nh_family: Family = None;
        while i < w.len() && w[i].text == "nexthop" {
            i += 1;
            let mut nh = NextHop::default();
            while i < w.len() {
                let str = &w[i];
                match str.text.as_str() {
                    "via" => {
                        i += 1;
                        let Some(mut t) = self.slot(item, i) else {
                            return;
                        };
                        if matches!(t.text.as_str(), "inet" | "inet6") {
                            nh_family = Some(t.text == "inet6");
                            i += 1;
                            let Some(n) = self.slot(item, i) else { return };
                            t = n;
                        }
                        if nh_family.is_some() && !Self::same_family(family, nh_family) {
                            self.error(&t.span, "IPv4/6 mismatch for nexthop");
                            return;
                        }
                        let Some((a, _)) = self.parse_ipaddress(t, false) else {
                            self.error(&t.span, format!("invalid nexthop address {}", t.text));
                            return;
                        };
                        if family.is_some_and(|f| f != a.is_ipv6()) {
                            self.error(&t.span, "Address family mismatch for next hop");
                            return;
                        }
                        *family = Some(a.is_ipv6());
                        nh.via = Some(a);
                    }
                    "dev" => {
                        i += 1;
                        let Some(t) = self.slot(item, i) else { return };
                        let msg = format!(
                            "WARNING - interface {} for VROUTE nexthop doesn't exist",
                            t.text
                        );
                        if !self.known_interface(t, msg) {
                            return;
                        }
                        nh.dev = Some(t.text.clone());
                    }
                    "weight" => {
                        i += 1;
                        let Some(t) = self.slot(item, i) else { return };
                        let Some(v) =
                            self.get_uint(t, 256, "Invalid weight %s specified for route")
                        else {
                            return;
                        };
                        if v == 0 {
                            self.error(&t.span, "Invalid weight 0 specified for route");
                            return;
                        }
                        nh.weight = Some(v as u16);
                    }
                    "onlink" => nh.onlink = true,
                    "encap" => {
                        let mut e = None;
                        if self.parse_encap(item, &mut i, &mut e).is_none() {
                            return;
                        }
                        nh.encap = e;
                    }
                    "realms" => {
                        i += 1;
                        let Some(t) = self.slot(item, i) else { return };
                        let Some(v) = self.routes.names.realms(&t.text) else {
                            self.error(&t.span, format!("Invalid realms {} for route", t.text));
                            return;
                        };
                        if !Self::same_family(family, Some(false)) {
                            self.error(&t.span, "realms are only supported for IPv4");
                            return;
                        }
                        nh.realms = Some(v);
                    }
                    "as" => {
                        // `as [to] ADDR`: refused, and the hops from here are dropped.
                        if self.slot(item, i + 1).is_none() {
                            return;
                        }
                        self.error(&str.span, "'as [to]' (nat) not supported");
                        return;
                    }
                    _ => break,
                }
                i += 1;
            }
            r.nexthops.push(nh);
        }
        if i < w.len() {
            self.error(
                &w[i].span,
                format!("Route has trailing nonsense after nexthops - {}", w[i].text),
            );
        }
    }

    /// `parse_encap()`: `encap ip|ip6|mpls|ila …`. keepalived ignores the outcome of a bad
    /// encapsulation (the route stays, without it); `None` only for a missing parameter.
    fn parse_encap(&mut self, item: &Stmt, i: &mut usize, out: &mut Option<Encap>) -> Option<()> {
        let w = &item.line.words;
        *i += 1;
        if w.len() <= *i {
            self.error(&w[*i - 1].span, "Missing encap type");
            return Some(());
        }
        let ty = &w[*i];
        *i += 1;
        match ty.text.as_str() {
            "ip" | "ip6" => {
                let v6 = ty.text == "ip6";
                let mut e = IpEncap::default();
                let mut ok = true;
                while *i + 1 < w.len() {
                    let (k, v) = (&w[*i], &w[*i + 1]);
                    match k.text.as_str() {
                        "id" => match self.c_unsigned64(v) {
                            Some(x) => e.id = Some(x),
                            None => {
                                let m = if v6 {
                                    "id %s value invalid for IPv6 encapsulation"
                                } else {
                                    "encap id %s value is invalid"
                                };
                                self.error(&v.span, m.replace("%s", &v.text));
                                ok = false;
                                break;
                            }
                        },
                        "dst" | "src" => {
                            let name = if v6 { "ip6" } else { "ip" };
                            let Some((a, _)) = self.parse_ipaddress(v, false) else {
                                self.error(
                                    &v.span,
                                    format!("Invalid encap {name} {} {}", k.text, v.text),
                                );
                                ok = false;
                                break;
                            };
                            if a.is_ipv6() != v6 {
                                let m = if v6 {
                                    format!(
                                        "IPv4 address {} not valid for ip6 encapsulation",
                                        v.text
                                    )
                                } else {
                                    format!(
                                        "IPv6 address {} not valid for ip encapsulation",
                                        v.text
                                    )
                                };
                                self.error(&v.span, m);
                                ok = false;
                                break;
                            }
                            if k.text == "dst" {
                                e.dst = Some(a);
                            } else {
                                e.src = Some(a);
                            }
                        }
                        "tos" if !v6 => match self.routes.names.find_u8(Table::Dsfield, &v.text) {
                            Some(x) => e.tos = Some(x),
                            None => {
                                self.error(
                                    &v.span,
                                    format!("dsfield {} not valid for ip encapsulation", v.text),
                                );
                                ok = false;
                                break;
                            }
                        },
                        "tc" if v6 => match self.routes.names.find_u8(Table::Dsfield, &v.text) {
                            Some(x) => e.tos = Some(x),
                            None => {
                                // keepalived prints the keyword here, not the value.
                                self.error(
                                    &v.span,
                                    format!("tc value {} is invalid for ip6 encapsulation", k.text),
                                );
                                ok = false;
                                break;
                            }
                        },
                        "ttl" if !v6 => {
                            match self.get_uint(v, 255, "ttl %s is not valid for ip encapsulation")
                            {
                                Some(x) => e.ttl = Some(x as u8),
                                None => {
                                    ok = false;
                                    break;
                                }
                            }
                        }
                        "hoplimit" if v6 => match self.get_uint(
                            v,
                            255,
                            "Invalid hoplimit %s specified for ip6 encapsulation",
                        ) {
                            Some(x) => e.ttl = Some(x as u8),
                            None => {
                                ok = false;
                                break;
                            }
                        },
                        "flags" => {
                            let m = if v6 {
                                "flags %s is not valid for ip6 encapsulation"
                            } else {
                                "flags %s is not valid for ip encapsulation"
                            };
                            match self.get_uint(v, u64::from(u16::MAX), m) {
                                Some(x) => e.flags = Some(x as u16),
                                None => {
                                    ok = false;
                                    break;
                                }
                            }
                        }
                        _ => break,
                    }
                    *i += 2;
                }
                if ok && e.dst.is_none() && e.id.is_none() {
                    let name = if v6 { "ip6" } else { "ip" };
                    self.error(
                        &ty.span,
                        format!("address or id missing for {name} encapsulation"),
                    );
                    ok = false;
                }
                if ok {
                    *out = Some(if v6 { Encap::Ip6(e) } else { Encap::Ip(e) });
                }
            }
            "mpls" => {
                if *i >= w.len() {
                    self.error(&ty.span, "missing address for MPLS encapsulation");
                } else {
                    let t = &w[*i];
                    *i += 1;
                    match parse_mpls(&t.text) {
                        Some(labels) => *out = Some(Encap::Mpls(labels)),
                        None => self.error(
                            &t.span,
                            format!("invalid mpls address {} for encapsulation", t.text),
                        ),
                    }
                }
            }
            "ila" => {
                if *i >= w.len() {
                    self.error(&ty.span, "missing locator for ILA encapsulation");
                } else {
                    let t = &w[*i];
                    *i += 1;
                    match parse_addr64(&t.text) {
                        Some(l) => *out = Some(Encap::Ila(l)),
                        None => self.error(
                            &t.span,
                            format!("invalid locator {} for ila encapsulation", t.text),
                        ),
                    }
                }
            }
            other => {
                self.error(&ty.span, format!("Unknown encap type - {other}"));
                return Some(());
            }
        }
        *i -= 1;
        Some(())
    }

    // ---- rules -------------------------------------------------------------------------------

    /// One `virtual_rules` / `static_rules` line (`alloc_rule()`); `None` when keepalived
    /// drops it.
    pub(super) fn rule_line(&mut self, item: &Stmt, allow_track_group: bool) -> Option<Rule> {
        let w = &item.line.words;
        let mut family: Family = None;
        let mut from: Option<RouteAddr> = None;
        let mut to: Option<RouteAddr> = None;
        let mut priority: Option<u32> = None;
        let mut table: u32 = 0;
        let mut action: Option<RuleAction> = None;
        let mut table_option = false;
        let mut l3mdev = false;
        let mut r = Rule {
            v6: false,
            invert: false,
            from: None,
            to: None,
            priority: 0,
            tos: 0,
            fwmark: None,
            fwmask: None,
            realms: None,
            suppress_prefixlen: None,
            suppress_ifgroup: None,
            iif: None,
            oif: None,
            tunnel_id: None,
            uid_range: None,
            protocol: None,
            ip_proto: None,
            sport: None,
            dport: None,
            action: RuleAction::Nop,
            no_track: false,
            track_group: None,
        };
        let mixed = "rule specification has mixed IPv4 and IPv6";
        let mut i = 0;
        while i < w.len() {
            let str = &w[i];
            match str.text.as_str() {
                "inet6" | "inet" => {
                    let v6 = str.text == "inet6";
                    if !Self::same_family(&mut family, Some(v6)) {
                        let msg = if v6 {
                            "inet6 specified for IPv4 rule"
                        } else {
                            "inet specified for IPv6 rule"
                        };
                        self.error(&str.span, msg);
                        return None;
                    }
                    i += 1;
                    if let Some(next) = w.get(i) {
                        self.note_help(
                            &next.span,
                            format!("keepalived skips `{}` after `{}`", next.text, str.text),
                            "leave the family out when an address gives it, or put it last",
                        );
                    }
                }
                "from" | "to" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(a) = self.parse_route(t) else {
                        self.error(
                            &t.span,
                            format!("Invalid rule {} address {}", str.text, t.text),
                        );
                        return None;
                    };
                    if family.is_none() {
                        family = a.v6;
                    } else if family != a.v6 {
                        self.error(&t.span, mixed);
                        return None;
                    }
                    if str.text == "from" {
                        from = Some(a);
                    } else {
                        to = Some(a);
                    }
                }
                "table" | "lookup" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.find(Table::Tables, &t.text) else {
                        self.error(
                            &t.span,
                            format!("Routing table {} not found for rule", t.text),
                        );
                        return None;
                    };
                    if v == 0 {
                        self.error(&t.span, "Table 0 is not valid");
                        return None;
                    }
                    table = v;
                    if action.is_some() {
                        self.error(&str.span, "Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule");
                        return None;
                    }
                    action = Some(RuleAction::Table(v));
                }
                "not" => r.invert = true,
                "preference" | "order" | "priority" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.c_unsigned(t, 0, 0, u64::from(u32::MAX)) else {
                        self.error(
                            &t.span,
                            format!("Invalid rule preference {} specified", str.text),
                        );
                        return None;
                    };
                    priority = Some(v);
                }
                "tos" | "dsfield" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.find_u8(Table::Dsfield, &t.text) else {
                        self.error(&t.span, format!("TOS value {} is invalid", t.text));
                        return None;
                    };
                    r.tos = v;
                }
                "fwmark" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    match parse_fwmark(&t.text) {
                        Some((mark, mask)) => {
                            r.fwmark = Some(mark);
                            r.fwmask = mask;
                        }
                        None => {
                            self.error(
                                &t.span,
                                format!("Invalid rule fwmark {} specified", t.text),
                            );
                            return None;
                        }
                    }
                }
                "realms" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.realms(&t.text) else {
                        self.error(&t.span, format!("invalid realms {} for rule", t.text));
                        return None;
                    };
                    r.realms = Some(v);
                    table_option = true;
                    if !Self::same_family(&mut family, Some(false)) {
                        self.error(&t.span, "realms is only valid for IPv4");
                        return None;
                    }
                }
                "suppress_prefixlength" | "sup_pl" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.c_unsigned(t, 10, 0, i32::MAX as u64) else {
                        self.error(
                            &t.span,
                            format!("Invalid suppress_prefixlength {} specified", str.text),
                        );
                        return None;
                    };
                    r.suppress_prefixlen = Some(v);
                    table_option = true;
                }
                "suppress_ifgroup" | "sup_group" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.routes.names.find(Table::Groups, &t.text) else {
                        self.error(&t.span, format!("suppress_group {} is invalid", t.text));
                        return None;
                    };
                    r.suppress_ifgroup = Some(v);
                    table_option = true;
                }
                "dev" | "iif" | "oif" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let msg = format!("WARNING - interface {} for rule doesn't exist", t.text);
                    if !self.known_interface(t, msg) {
                        return None;
                    }
                    if str.text == "oif" {
                        r.oif = Some(t.text.clone());
                    } else {
                        r.iif = Some(t.text.clone());
                    }
                }
                "tunnel-id" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(v) = self.c_unsigned64(t) else {
                        self.error(&t.span, format!("Invalid tunnel-id {} specified", str.text));
                        return None;
                    };
                    r.tunnel_id = Some(v);
                }
                "uidrange" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    let Some(range) = scan_u32_range(&t.text) else {
                        self.error(&t.span, format!("Invalid uidrange {} specified", str.text));
                        return None;
                    };
                    r.uid_range = Some(range);
                }
                "l3mdev" => {
                    l3mdev = true;
                    if action.is_some() {
                        self.error(&str.span, "Cannot specify l3mdev with other action");
                        return None;
                    }
                    action = Some(RuleAction::L3mdev);
                }
                "protocol" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    match self.c_unsigned(t, 10, 0, 255) {
                        Some(v) => r.protocol = Some(v as u8),
                        None => self.error(&t.span, format!("Invalid protocol {}", t.text)),
                    }
                }
                "ipproto" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    match self.routes.names.ip_proto(&t.text) {
                        Some(p) => r.ip_proto = Some(p),
                        None => self.error(&t.span, format!("Invalid ipproto {}", t.text)),
                    }
                }
                "sport" | "dport" => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    match scan_u16_range(&t.text) {
                        (2, a, b) => {
                            if str.text == "sport" {
                                r.sport = Some((a, b));
                            } else {
                                r.dport = Some((a, b));
                            }
                        }
                        (n, a, _) => {
                            let d = self.rep.at(
                                Severity::Error,
                                Some(Level::GeneralError),
                                &t.span,
                                format!("invalid {} range {}", str.text, t.text),
                            );
                            if n == 1 {
                                d.help = Some(format!(
                                    "keepalived 2.2.7 takes only a range here: write `{a}-{a}`"
                                ));
                            }
                        }
                    }
                }
                "no_track" => r.no_track = true,
                "track_group" if allow_track_group => {
                    i += 1;
                    let t = self.slot(item, i)?;
                    if r.track_group.is_some() {
                        self.error(&t.span, format!("track_group {} is a duplicate", t.text));
                        break;
                    }
                    if self.routes.track_groups.contains(&t.text) {
                        r.track_group = Some(t.text.clone());
                    } else {
                        self.error(&t.span, format!("track_group {} not found", t.text));
                    }
                }
                _ => {
                    let mut word = str;
                    if word.text == "type" {
                        i += 1;
                        word = self.slot(item, i)?;
                    }
                    let a = match word.text.as_str() {
                        "goto" => {
                            i += 1;
                            let t = self.slot(item, i)?;
                            let Some(v) = self.c_unsigned(t, 10, 0, u64::from(u32::MAX)) else {
                                self.error(
                                    &t.span,
                                    format!("Invalid target {} specified", word.text),
                                );
                                return None;
                            };
                            RuleAction::Goto(v)
                        }
                        "nop" => RuleAction::Nop,
                        other => match rtn_type(other) {
                            Some(6) => RuleAction::Blackhole,
                            Some(7) => RuleAction::Unreachable,
                            Some(8) => RuleAction::Prohibit,
                            Some(_) => {
                                self.error(&word.span, format!("Invalid rule action {other}"));
                                return None;
                            }
                            None => {
                                self.error(&word.span, format!("Unknown rule option {other}"));
                                return None;
                            }
                        },
                    };
                    if action.is_some() {
                        self.error(&word.span, "Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule");
                        return None;
                    }
                    action = Some(a);
                }
            }
            i += 1;
        }
        if let Some(RuleAction::Goto(target)) = action {
            match priority {
                Some(p) if p >= target => {
                    self.error(
                        &item.line.span,
                        format!("Invalid rule - preference {p} >= goto target {target}"),
                    );
                    return None;
                }
                Some(_) => {}
                None => {
                    self.error(
                        &item.line.span,
                        format!("Invalid rule - goto target {target} specified without preference"),
                    );
                    return None;
                }
            }
        }
        let Some(action) = action else {
            self.error(&item.line.span, "No action specified for rule - ignoring");
            return None;
        };
        if !matches!(action, RuleAction::Table(_) | RuleAction::L3mdev) && table_option {
            self.error(
                &item.line.span,
                "suppressor/realm specified for non table action - skipping",
            );
            return None;
        }
        if table != 0 && l3mdev {
            self.error(
                &item.line.span,
                "table cannot be specified for l3mdev rules",
            );
            return None;
        }
        if !r.no_track {
            if r.protocol.is_some_and(|p| p != RTPROT_KEEPALIVED) {
                self.error(
                    &item.line.span,
                    format!(
                        "Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED({RTPROT_KEEPALIVED}), resetting protocol"
                    ),
                );
            }
            r.protocol = Some(RTPROT_KEEPALIVED);
        }
        if r.track_group.is_some() && r.iif.is_none() {
            self.error(
                &item.line.span,
                "Static rule cannot have track_group if dev/iif not specified",
            );
            r.track_group = None;
        }
        let v6 = family.unwrap_or(false);
        r.v6 = v6;
        r.from = from.map(|a| a.resolve(v6));
        r.to = to.map(|a| a.resolve(v6));
        r.action = action;
        r.priority = match priority {
            Some(p) => p,
            None => {
                let slot = &mut self.routes.next_rule_priority[usize::from(v6)];
                let p = *slot;
                *slot = slot.wrapping_sub(1);
                let d = self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &item.line.span,
                    format!(
                        "Rule has no preference specified - setting to {p}. This is probably not what you want."
                    ),
                );
                d.help = Some(
                    "give each rule a `preference N`: automatic ones depend on the order of \
                     the whole configuration"
                        .into(),
                );
                p
            }
        };
        Some(r)
    }

    // ---- blocks ------------------------------------------------------------------------------

    /// `alloc_value_block()`'s complaint about words between the keyword and `{`.
    fn value_block<'s>(&mut self, st: &'s Stmt) -> &'s [Stmt] {
        if let Some(extra) = st.line.words.get(1) {
            self.error(
                &extra.span,
                format!(
                    "Block {} has extra parameters {} ...",
                    st.keyword(),
                    extra.text
                ),
            );
        }
        self.block(st)
    }

    /// Top-level `static_ipaddress`, `static_routes`, `static_rules`.
    pub(super) fn static_block(&mut self, st: &Stmt) {
        self.in_child = true;
        let body = self.value_block(st);
        for item in body {
            match st.keyword() {
                "static_ipaddress" => {
                    if let Some(a) = self.ip_address_line(item, true) {
                        self.config.static_addresses.push(a);
                    }
                }
                "static_routes" => {
                    if let Some(r) = self.route_line(item, true) {
                        self.config.static_routes.push(r);
                    }
                }
                _ => {
                    if let Some(r) = self.rule_line(item, true) {
                        self.config.static_rules.push(r);
                    }
                }
            }
        }
        self.in_child = false;
    }

    /// The instance keywords of this module; false when `st` is not one of them.
    pub(super) fn instance_routes_keyword(&mut self, r: &mut RawInstance, st: &Stmt) -> bool {
        match st.keyword() {
            "virtual_ipaddress_excluded" => {
                let body = self.value_block(st);
                for item in body {
                    if let Some(a) = self.ip_address_line(item, false) {
                        if item.line.words[1..].iter().any(|t| t.text == "use_vmac") {
                            // The eVIP gets a VMAC of its own (`vmac.rs`), as a VIP does.
                            r.vmac.vip_use_vmac.push(a.addr);
                        }
                        r.routes.vips_excluded.push(a);
                    }
                }
            }
            "virtual_routes" => {
                let body = self.value_block(st);
                for item in body {
                    if let Some(x) = self.route_line(item, false) {
                        r.routes.virtual_routes.push(x);
                    }
                }
            }
            "virtual_rules" => {
                let body = self.value_block(st);
                for item in body {
                    if let Some(x) = self.rule_line(item, false) {
                        r.routes.virtual_rules.push(x);
                    }
                }
            }
            "promote_secondaries" => r.routes.promote_secondaries = true,
            "track_src_ip" => r.routes.track_src_ip = true,
            "no_virtual_ipaddress" => r.routes.no_virtual_ipaddress = true,
            _ => return false,
        }
        true
    }

    /// `vrrp_complete_instance()` for this module: VIPs beyond what one advert holds become
    /// eVIPs; addresses without an interface are dropped; `track_src_ip` needs a configured
    /// source; the interfaces of addresses, routes and rules are tracked.
    pub(super) fn complete_routes(
        &mut self,
        r: &mut RawInstance,
        span: &Span,
        strict: bool,
        auth_len: usize,
    ) -> Completed {
        let name = r.name.clone();
        let raw = std::mem::take(&mut r.routes);
        let v6 = r.family_v6().unwrap_or(false);
        let mut vips = std::mem::take(&mut r.vips);
        let mut evips = raw.vips_excluded;
        let interface = r.interface.as_ref().map(|x| x.0.clone());

        // The advert must fit the interface MTU (keepalived counts an Ethernet header too).
        let mtu = interface
            .as_deref()
            .filter(|_| self.opts.check_interfaces)
            .and_then(|i| self.if_facts(i).mtu)
            .unwrap_or(DEFAULT_MTU);
        let max = if v6 {
            mtu.saturating_sub(14 + 40 + 8) / 16
        } else {
            mtu.saturating_sub(14 + 20 + 8 + auth_len) / 4
        }
        .min(255);
        if vips.len() > max {
            self.error(
                span,
                format!(
                    "({name}) Number of VIPs ({}) exceeds maximum/space available in packet (max {max} addresses) - excess moved to eVIPs",
                    vips.len()
                ),
            );
            evips.extend(vips.split_off(max));
        }

        // Addresses need an interface: `dev`, else the instance's.
        if interface.is_none() {
            for (list, e) in [(&mut vips, ""), (&mut evips, "e")] {
                let (keep, drop): (Vec<_>, Vec<_>) =
                    list.drain(..).partition(|a: &VirtualAddr| a.dev.is_some());
                for a in drop {
                    self.error(
                        span,
                        format!(
                            "({name}): no interface for {e}vip {} - removing",
                            addr_text(a.addr, a.prefix_len)
                        ),
                    );
                }
                *list = keep;
            }
        }

        let mut track_src_ip = raw.track_src_ip;
        if track_src_ip && r.src_ip.is_none() {
            // keepalived clears the flag silently without a configured source.
            self.note_help(
                span,
                format!("({name}) track_src_ip without unicast_src_ip/mcast_src_ip - ignored"),
                "track_src_ip watches the configured advert source address",
            );
            track_src_ip = false;
        }

        let mut allow_no_vips = raw.no_virtual_ipaddress;
        if allow_no_vips && strict {
            self.rep.at(
                Severity::Warning,
                Some(Level::Warning),
                span,
                format!(
                    "({name}) no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress"
                ),
            );
            allow_no_vips = false;
        }

        // Implicit tracking (TRACK_ADDR / TRACK_ROUTE / TRACK_RULE).
        let mut implicit: Vec<String> = Vec::new();
        for a in vips.iter().chain(evips.iter()) {
            if a.no_track {
                continue;
            }
            let dev = a.dev.clone().or_else(|| interface.clone());
            let Some(dev) = dev else { continue };
            // With dont_track_primary, addresses on the instance's own interface do not
            // make it tracked again.
            if r.dont_track_primary && Some(&dev) == interface.as_ref() {
                continue;
            }
            implicit.push(dev);
        }
        for x in raw.virtual_routes.iter().filter(|x| !x.no_track) {
            implicit.extend(x.dev.clone());
        }
        for x in raw.virtual_rules.iter().filter(|x| !x.no_track) {
            implicit.extend(x.iif.clone());
            implicit.extend(x.oif.clone());
        }
        implicit.sort();
        implicit.dedup();
        // keepalived turns a weighted `track_interface` on such an interface into a fault
        // tracker (`add_vrrp_to_interface()` keeps the last weight given, 0 here).
        for t in r.track_interfaces.iter_mut() {
            if t.weight != 0 && implicit.contains(&t.name) {
                self.note_help(
                    span,
                    format!(
                        "({name}) track_interface {} weight {} ignored: an address, route or rule of the instance uses it",
                        t.name, t.weight
                    ),
                    "keepalived tracks the interface of a VIP, route or rule as a fault tracker (weight 0); add `no_track` to that line to keep the weight",
                );
                t.weight = 0;
            }
        }
        // Those on the own interface are the own-interface tracker, unless routes or rules
        // bring it back under `dont_track_primary`; the others stay in the list.
        if !r.dont_track_primary {
            implicit.retain(|i| Some(i) != interface.as_ref());
        }
        r.vips = vips;
        Completed {
            vips_excluded: evips,
            virtual_routes: raw.virtual_routes,
            virtual_rules: raw.virtual_rules,
            implicit_interfaces: implicit,
            promote_secondaries: raw.promote_secondaries,
            track_src_ip,
            allow_no_vips,
        }
    }
}

/// `fwmark N[/MASK]`, both `strtoul(…, 0)` within 32 bits; no sign, no space after `/`.
fn parse_fwmark(s: &str) -> Option<(u32, Option<u32>)> {
    let t = s.trim_start_matches([' ', '\t']);
    if t.starts_with('-') {
        return None;
    }
    let a = strtoul(t, 0);
    if a.value > u64::from(u32::MAX) {
        return None;
    }
    let rest = &t[a.end..];
    let (mask, rest) = match rest.strip_prefix('/') {
        Some(m) => {
            if m.starts_with(|c: char| c.is_ascii_whitespace() || c == '-') {
                return None;
            }
            let b = strtoul(m, 0);
            if b.value > u64::from(u32::MAX) {
                return None;
            }
            (Some(b.value as u32), &m[b.end..])
        }
        None => (None, rest),
    };
    rest.is_empty().then_some((a.value as u32, mask))
}

/// `parse_mpls_address()`: up to two labels `L1/L2`, each at most 20 bits.
fn parse_mpls(s: &str) -> Option<Vec<u32>> {
    let mut labels = Vec::new();
    let mut rest = s.trim_start_matches([' ', '\t']);
    while labels.len() < MAX_MPLS_LABELS {
        if rest.starts_with('-') || rest.starts_with(|c: char| c.is_ascii_whitespace()) {
            return None;
        }
        let n = strtoul(rest, 0);
        if n.end == 0 || n.value > 0xF_FFFF {
            return None;
        }
        labels.push(n.value as u32);
        let tail = &rest[n.end..];
        if tail.is_empty() {
            return Some(labels);
        }
        rest = tail.strip_prefix('/')?;
    }
    None
}

/// `get_addr64()`: an ILA locator `XXXX:XXXX:XXXX:XXXX` (four hex groups of 16 bits).
fn parse_addr64(s: &str) -> Option<u64> {
    let s = s.trim_start_matches([' ', '\t']);
    let groups: Vec<&str> = s.split(':').collect();
    if groups.len() != 4 {
        return None;
    }
    let mut v = 0u64;
    for g in groups {
        if g.is_empty() || !g.chars().next().is_some_and(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let n = strtoul(g, 16);
        if n.end != g.len() || n.value > 0xffff {
            return None;
        }
        v = (v << 16) | n.value;
    }
    Some(v)
}

/// A VRF master device (`DEVTYPE=vrf` in its uevent).
fn interface_is_vrf(name: &str) -> bool {
    std::fs::read_to_string(format!("/sys/class/net/{name}/uevent"))
        .is_ok_and(|s| s.lines().any(|l| l == "DEVTYPE=vrf"))
}
