//! Text forms of addresses, routes and rules: the `-d` dump lines of eVIPs, virtual and static
//! routes and rules (format of [`super::dump`]), and the one-line forms the daemon logs
//! (`Restoring deleted static route …`), modelled on keepalived's `format_iproute()` /
//! `format_iprule()`. Nothing is printed for what is not configured, so dumps of other
//! configurations are unchanged.

use std::fmt::Write;
use std::net::IpAddr;

use crate::model::{
    Config, Encap, Instance, Prefix, RT_TABLE_MAIN, Route, RouteOp, Rule, RuleAction, VirtualAddr,
};

/// `ADDR[/LEN]`: the length only when not a host prefix (keepalived's `ipaddresstos()`).
fn prefix(p: &Prefix) -> String {
    let full = if p.is_ipv6() { 128 } else { 32 };
    if p.len == full {
        p.addr.to_string()
    } else {
        format!("{}/{}", p.addr, p.len)
    }
}

fn family(a: &IpAddr) -> &'static str {
    if a.is_ipv6() { "inet6" } else { "inet" }
}

fn realms(r: u32) -> String {
    if r >> 16 != 0 {
        format!("realms {}/{}", r >> 16, r & 0xffff)
    } else {
        format!("realm {}", r & 0xffff)
    }
}

fn encap(e: &Encap) -> String {
    match e {
        Encap::Mpls(l) => {
            let l: Vec<String> = l.iter().map(|x| format!("{x:x}")).collect();
            format!(" encap mpls {}", l.join("/"))
        }
        Encap::Ip(x) | Encap::Ip6(x) => {
            let (name, tos, ttl) = if matches!(e, Encap::Ip(_)) {
                ("ip", "tos", "ttl")
            } else {
                ("ip6", "tc", "hoplimit")
            };
            let mut s = format!(" encap {name}");
            if let Some(v) = x.id {
                let _ = write!(s, " id {v}");
            }
            if let Some(v) = x.dst {
                let _ = write!(s, " dst {v}");
            }
            if let Some(v) = x.src {
                let _ = write!(s, " src {v}");
            }
            if let Some(v) = x.tos {
                let _ = write!(s, " {tos} {v}");
            }
            if let Some(v) = x.ttl {
                let _ = write!(s, " {ttl} {v}");
            }
            if let Some(v) = x.flags {
                let _ = write!(s, " flags 0x{v:x}");
            }
            s
        }
        Encap::Ila(l) => format!(" encap ila {l}"),
    }
}

/// One route as keepalived's `format_iproute()` prints it (`prepend 203.0.113.0/24 via inet
/// 198.51.100.1 dev eth0 table 100 proto 18 …`).
pub fn route_text(r: &Route) -> String {
    let mut s = String::from(match r.op {
        RouteOp::Add => "add ",
        RouteOp::Append => "append ",
        RouteOp::Prepend => "prepend ",
    });
    if r.kind != crate::model::RTN_UNICAST {
        let name = crate::model::RTN_NAMES.iter().find(|(k, _)| *k == r.kind);
        match name {
            Some((_, n)) => {
                let _ = write!(s, "{n} ");
            }
            None => {
                let _ = write!(s, "{} ", r.kind);
            }
        }
    }
    s.push_str(&prefix(&r.dst));
    if let Some(p) = &r.src {
        let _ = write!(s, " from {}", prefix(p));
    }
    if let Some(a) = r.pref_src {
        let _ = write!(s, " src {a}");
    }
    if r.tos_set {
        let _ = write!(s, " tos {}", r.tos);
    }
    if let Some(e) = &r.encap {
        s.push_str(&encap(e));
    }
    if let Some(v) = r.via {
        let _ = write!(s, " via {} {v}", family(&v));
    }
    if let Some(d) = &r.dev {
        let _ = write!(s, " dev {d}");
    }
    if r.table != RT_TABLE_MAIN {
        let _ = write!(s, " table {}", r.table);
    }
    if let Some(p) = r.protocol {
        let _ = write!(s, " proto {p}");
    }
    if let Some(v) = r.scope {
        let _ = write!(s, " scope {v}");
    }
    if let Some(v) = r.metric {
        let _ = write!(s, " metric {v}");
    }
    if r.onlink {
        s.push_str(" onlink");
    }
    if let Some(v) = r.realms {
        let _ = write!(s, " {}", realms(v));
    }
    if let Some(v) = r.expires {
        let _ = write!(s, " expires {v}sec");
    }
    let m = &r.metrics;
    let lock = |bit: u32| {
        if m.lock & (1 << bit) != 0 {
            "lock "
        } else {
            ""
        }
    };
    if let Some(c) = &m.congctl {
        let _ = write!(s, " congctl {}{c}", lock(16));
    }
    for (name, v, bit) in [
        ("rtt", m.rtt, 4),
        ("rttvar", m.rttvar, 5),
        ("rto_min", m.rto_min, 13),
        ("mtu", m.mtu, 2),
        ("window", m.window, 3),
        ("ssthresh", m.ssthresh, 6),
        ("cwnd", m.cwnd, 7),
        ("advmss", m.advmss, 8),
        ("reordering", m.reordering, 9),
        ("hoplimit", m.hoplimit, 10),
        ("initcwnd", m.initcwnd, 11),
        ("initrwnd", m.initrwnd, 14),
        ("quickack", m.quickack, 15),
        ("fastopen_no_cookie", m.fastopen_no_cookie, 17),
    ] {
        if let Some(v) = v {
            let _ = write!(s, " {name} {}{v}", lock(bit));
        }
    }
    if m.features_ecn {
        s.push_str(" features ecn");
    }
    if let Some(p) = r.pref {
        let name = match p {
            3 => "low",
            0 => "medium",
            1 => "high",
            _ => "unknown",
        };
        let _ = write!(s, " pref {name}");
    }
    if let Some(t) = r.ttl_propagate {
        let _ = write!(s, " ttl-propagate {}abled", if t { "en" } else { "dis" });
    }
    for nh in &r.nexthops {
        s.push_str(" nexthop");
        if let Some(v) = nh.via {
            let _ = write!(s, " via {} {v}", family(&v));
        }
        if let Some(d) = &nh.dev {
            let _ = write!(s, " dev {d}");
        }
        if let Some(w) = nh.weight {
            let _ = write!(s, " weight {w}");
        }
        if nh.onlink {
            s.push_str(" onlink");
        }
        if let Some(v) = nh.realms {
            let _ = write!(s, " {}", realms(v));
        }
        if let Some(e) = &nh.encap {
            s.push_str(&encap(e));
        }
    }
    if r.no_track {
        s.push_str(" no_track");
    }
    if let Some(g) = &r.track_group {
        let _ = write!(s, " track_group {g}");
    }
    s
}

/// One rule as keepalived's `format_iprule()` prints it (`from 198.51.100.0/24 priority 100
/// tos 0x0 lookup 100`).
pub fn rule_text(r: &Rule) -> String {
    let mut s = String::new();
    if r.from.is_none() && r.to.is_none() && r.v6 {
        s.push_str("inet6 ");
    }
    if r.invert {
        s.push_str("not ");
    }
    match &r.from {
        Some(p) => {
            let _ = write!(s, "from {}", prefix(p));
        }
        None => s.push_str("from all"),
    }
    if let Some(p) = &r.to {
        let _ = write!(s, " to {}", prefix(p));
    }
    let _ = write!(s, " priority {}", r.priority);
    let _ = write!(s, " tos 0x{:x}", r.tos);
    if let Some(m) = r.fwmark {
        let _ = write!(s, " fwmark 0x{m:x}");
        if let Some(k) = r.fwmask.filter(|k| *k != u32::MAX) {
            let _ = write!(s, "/0x{k:x}");
        }
    }
    if let Some(i) = &r.iif {
        let _ = write!(s, " iif {i}");
    }
    if let Some(i) = &r.oif {
        let _ = write!(s, " oif {i}");
    }
    if let Some(v) = r.suppress_prefixlen {
        let _ = write!(s, " suppress_prefixlen {v}");
    }
    if let Some(v) = r.suppress_ifgroup {
        let _ = write!(s, " suppress_ifgroup {v}");
    }
    if let Some(v) = r.tunnel_id {
        let _ = write!(s, " tunnel-id {v}");
    }
    if let Some((a, b)) = r.uid_range {
        let _ = write!(s, " uidrange {a}-{b}");
    }
    if r.action == RuleAction::L3mdev {
        s.push_str(" l3mdev");
    }
    if let Some(p) = r.protocol {
        let _ = write!(s, " protocol {p}");
    }
    if let Some(p) = r.ip_proto {
        let _ = write!(s, " ipproto {p}");
    }
    if let Some((a, b)) = r.sport {
        let _ = write!(s, " sport {a}-{b}");
    }
    if let Some((a, b)) = r.dport {
        let _ = write!(s, " dport {a}-{b}");
    }
    if let Some(v) = r.realms {
        let _ = write!(s, " realms {}/{}", v >> 16, v & 0xffff);
    }
    match r.action {
        RuleAction::Table(t) => {
            let _ = write!(s, " lookup {t}");
        }
        RuleAction::L3mdev => s.push_str(" lookup 0"),
        RuleAction::Goto(t) => {
            let _ = write!(s, " goto {t}");
        }
        RuleAction::Nop => s.push_str(" nop"),
        RuleAction::Blackhole => s.push_str(" type blackhole"),
        RuleAction::Unreachable => s.push_str(" type unreachable"),
        RuleAction::Prohibit => s.push_str(" type prohibit"),
    }
    if r.no_track {
        s.push_str(" no_track");
    }
    if let Some(g) = &r.track_group {
        let _ = write!(s, " track_group {g}");
    }
    s
}

/// An address line of the dump (the VIP format of [`super::dump`]).
fn addr_text(v: &VirtualAddr, instance_if: Option<&str>) -> String {
    let mut l = format!("{}/{}", v.addr, v.prefix_len);
    if let Some(b) = v.brd {
        let _ = write!(l, " brd {b}");
    }
    let _ = write!(
        l,
        " dev {}",
        v.dev.as_deref().or(instance_if).unwrap_or("-")
    );
    let _ = write!(l, " scope {}", v.scope);
    if let Some(lb) = &v.label {
        let _ = write!(l, " label {lb}");
    }
    if v.no_track {
        l.push_str(" no_track");
    }
    l
}

/// An instance's eVIPs, routes, rules and the flags of this area, after its VIPs.
pub(super) fn dump_instance(s: &mut String, i: &Instance) {
    let line = |s: &mut String, depth: usize, k: &str, v: &str| {
        let _ = writeln!(s, "{}{k} {v}", "  ".repeat(depth));
    };
    if !i.vips_excluded.is_empty() {
        line(
            s,
            1,
            "virtual_ipaddress_excluded",
            &format!("{} address(es)", i.vips_excluded.len()),
        );
        for v in &i.vips_excluded {
            line(s, 2, "evip", &addr_text(v, i.interface.as_deref()));
        }
    }
    for r in &i.virtual_routes {
        line(s, 1, "virtual_route", &route_text(r));
    }
    for r in &i.virtual_rules {
        line(s, 1, "virtual_rule", &rule_text(r));
    }
    if !i.implicit_interfaces.is_empty() {
        line(
            s,
            1,
            "implicit_track_interface",
            &format!("[{}]", i.implicit_interfaces.join(", ")),
        );
    }
    if i.promote_secondaries {
        line(s, 1, "promote_secondaries", "true");
    }
    if i.track_src_ip {
        line(s, 1, "track_src_ip", "true");
    }
}

/// `static_ipaddress`, `static_routes`, `static_rules`, after the sync groups.
pub(super) fn dump_static(s: &mut String, c: &Config) {
    if !c.static_addresses.is_empty() {
        let _ = writeln!(s, "static_ipaddress");
        for v in &c.static_addresses {
            let _ = writeln!(s, "  {}", addr_text(v, None));
        }
    }
    if !c.static_routes.is_empty() {
        let _ = writeln!(s, "static_routes");
        for r in &c.static_routes {
            let _ = writeln!(s, "  {}", route_text(r));
        }
    }
    if !c.static_rules.is_empty() {
        let _ = writeln!(s, "static_rules");
        for r in &c.static_rules {
            let _ = writeln!(s, "  {}", rule_text(r));
        }
    }
}
