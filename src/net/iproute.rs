//! Virtual and static routes and rules through rtnetlink (`RTM_NEWROUTE` / `RTM_DELROUTE`,
//! `RTM_NEWRULE` / `RTM_DELRULE`), the presence checks the daemon makes before believing a
//! deletion notification, the monitor of route and rule deletions, and the
//! `promote_secondaries` setting.
//!
//! The messages carry exactly what keepalived 2.2.7's `netlink_route()` and `netlink_rule()`
//! put in them, attribute for attribute, so `ip route` / `ip rule` show the same entries
//! whichever daemon installed them, and one can remove what the other added:
//!
//! * routes: protocol `keepalived` (18) unless configured, `NLM_F_CREATE` alone by default
//!   (`prepend`), `NLM_F_EXCL` for `add`, `NLM_F_APPEND` for `append`, `NLM_F_REPLACE` on a
//!   reload; a delete says scope `nowhere` (any) and names the type only if configured;
//!   tables above 255 in `RTA_TABLE`; metrics nested in `RTA_METRICS` with `RTAX_LOCK` last;
//!   nexthops in `RTA_MULTIPATH`; lightweight tunnels in `RTA_ENCAP` + `RTA_ENCAP_TYPE`.
//! * rules: `NLM_F_CREATE | NLM_F_EXCL`, tables below 256 in the header (0 = main), the
//!   preference always set, `FRA_PROTOCOL` 18 on tracked rules.
//!
//! Attributes are written as raw netlink attributes (`DefaultNla`) rather than through the
//! crate's typed enums: the bytes are then keepalived's by construction (unit tested), and the
//! few the crate does not model (ILA locators, `RTA_VIA` from a family-less address, nested
//! metrics order) need no special case.

use std::collections::HashMap;
use std::net::IpAddr;

use futures::StreamExt;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::{
    RuleAction as NlRuleAction, RuleAttribute, RuleFlags, RuleMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::MulticastGroup;
use rtnetlink::packet_core::{
    DefaultNla, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE,
    NLM_F_REQUEST, NetlinkMessage, NetlinkPayload,
};
use tokio::sync::mpsc;

use super::Error;
use crate::model::{Encap, IpEncap, NextHop, RTPROT_KEEPALIVED, Route, RouteOp, Rule, RuleAction};

// linux/rtnetlink.h
const RTA_DST: u16 = 1;
const RTA_SRC: u16 = 2;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_METRICS: u16 = 8;
const RTA_MULTIPATH: u16 = 9;
const RTA_FLOW: u16 = 11;
const RTA_TABLE: u16 = 15;
const RTA_VIA: u16 = 18;
const RTA_PREF: u16 = 20;
const RTA_ENCAP_TYPE: u16 = 21;
const RTA_ENCAP: u16 = 22;
const RTA_EXPIRES: u16 = 23;
const RTA_TTL_PROPAGATE: u16 = 26;
const RTAX_LOCK: u16 = 1;
const RTAX_MTU: u16 = 2;
const RTAX_WINDOW: u16 = 3;
const RTAX_RTT: u16 = 4;
const RTAX_RTTVAR: u16 = 5;
const RTAX_SSTHRESH: u16 = 6;
const RTAX_CWND: u16 = 7;
const RTAX_ADVMSS: u16 = 8;
const RTAX_REORDERING: u16 = 9;
const RTAX_HOPLIMIT: u16 = 10;
const RTAX_INITCWND: u16 = 11;
const RTAX_FEATURES: u16 = 12;
const RTAX_RTO_MIN: u16 = 13;
const RTAX_INITRWND: u16 = 14;
const RTAX_QUICKACK: u16 = 15;
const RTAX_CC_ALGO: u16 = 16;
const RTAX_FASTOPEN_NO_COOKIE: u16 = 17;
const RTAX_FEATURE_ECN: u32 = 1;
const RTNH_F_ONLINK: u8 = 4;
const RT_SCOPE_UNIVERSE: u8 = 0;
const RT_SCOPE_NOWHERE: u8 = 255;
// linux/lwtunnel.h, linux/mpls_iptunnel.h, linux/ila.h
const LWTUNNEL_ENCAP_MPLS: u16 = 1;
const LWTUNNEL_ENCAP_IP: u16 = 2;
const LWTUNNEL_ENCAP_ILA: u16 = 3;
const LWTUNNEL_ENCAP_IP6: u16 = 4;
const LWTUNNEL_IP_ID: u16 = 1;
const LWTUNNEL_IP_DST: u16 = 2;
const LWTUNNEL_IP_SRC: u16 = 3;
const LWTUNNEL_IP_TTL: u16 = 4;
const LWTUNNEL_IP_TOS: u16 = 5;
const LWTUNNEL_IP_FLAGS: u16 = 6;
const MPLS_IPTUNNEL_DST: u16 = 1;
const ILA_ATTR_LOCATOR: u16 = 1;
// linux/fib_rules.h
const FRA_DST: u16 = 1;
const FRA_SRC: u16 = 2;
const FRA_IIFNAME: u16 = 3;
const FRA_GOTO: u16 = 4;
const FRA_PRIORITY: u16 = 6;
const FRA_FWMARK: u16 = 10;
const FRA_FLOW: u16 = 11;
const FRA_TUN_ID: u16 = 12;
const FRA_SUPPRESS_IFGROUP: u16 = 13;
const FRA_SUPPRESS_PREFIXLEN: u16 = 14;
const FRA_TABLE: u16 = 15;
const FRA_FWMASK: u16 = 16;
const FRA_OIFNAME: u16 = 17;
const FRA_L3MDEV: u16 = 19;
const FRA_UID_RANGE: u16 = 20;
const FRA_PROTOCOL: u16 = 21;
const FRA_IP_PROTO: u16 = 22;
const FRA_SPORT_RANGE: u16 = 23;
const FRA_DPORT_RANGE: u16 = 24;
const FR_ACT_TO_TBL: u8 = 1;
const FR_ACT_GOTO: u8 = 2;
const FR_ACT_NOP: u8 = 3;
const FR_ACT_BLACKHOLE: u8 = 6;
const FR_ACT_UNREACHABLE: u8 = 7;
const FR_ACT_PROHIBIT: u8 = 8;
const FIB_RULE_INVERT: u32 = 2;
const RT_TABLE_MAIN: u8 = 254;

/// What a route or rule request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtCmd {
    /// `RTM_NEW*` with the line's `add`/`append`/`prepend` flags.
    Add,
    /// `RTM_NEWROUTE` with `NLM_F_REPLACE` (a reloaded MASTER's kept routes).
    Replace,
    /// `RTM_DEL*`.
    Del,
}

/// Appends one netlink attribute (header, value, padding to 4 bytes).
fn push_nla(buf: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = 4 + value.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(value);
    buf.resize(buf.len() + (4 - len % 4) % 4, 0);
}

fn ip_bytes(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

fn family_of(v6: bool) -> u16 {
    if v6 {
        libc::AF_INET6 as u16
    } else {
        libc::AF_INET as u16
    }
}

/// `RTA_GATEWAY` for a gateway of the route's family, else `RTA_VIA` (`struct rtvia`).
fn gateway(buf: &mut Vec<u8>, route_v6: bool, via: &IpAddr) {
    if via.is_ipv6() == route_v6 {
        push_nla(buf, RTA_GATEWAY, &ip_bytes(via));
    } else {
        let mut v = family_of(via.is_ipv6()).to_ne_bytes().to_vec();
        v.extend(ip_bytes(via));
        push_nla(buf, RTA_VIA, &v);
    }
}

/// `RTA_ENCAP` (nested) then `RTA_ENCAP_TYPE`, as keepalived's `add_encap()`.
fn encap(buf: &mut Vec<u8>, e: &Encap) {
    let mut inner = Vec::new();
    let ty = match e {
        Encap::Mpls(labels) => {
            let mut v = Vec::new();
            for (n, l) in labels.iter().enumerate() {
                // label << 12, bottom-of-stack bit (1 << 8) on the last, network order.
                let mut entry = l << 12;
                if n + 1 == labels.len() {
                    entry |= 1 << 8;
                }
                v.extend_from_slice(&entry.to_be_bytes());
            }
            push_nla(&mut inner, MPLS_IPTUNNEL_DST, &v);
            LWTUNNEL_ENCAP_MPLS
        }
        Encap::Ip(x) | Encap::Ip6(x) => {
            ip_encap(&mut inner, x);
            if matches!(e, Encap::Ip(_)) {
                LWTUNNEL_ENCAP_IP
            } else {
                LWTUNNEL_ENCAP_IP6
            }
        }
        Encap::Ila(loc) => {
            push_nla(&mut inner, ILA_ATTR_LOCATOR, &loc.to_be_bytes());
            LWTUNNEL_ENCAP_ILA
        }
    };
    // keepalived's rta_nest() sets no NLA_F_NESTED; the kernel's lwtunnel parsers accept both.
    push_nla(buf, RTA_ENCAP, &inner);
    push_nla(buf, RTA_ENCAP_TYPE, &ty.to_ne_bytes());
}

/// The `LWTUNNEL_IP*` attributes, same numbers for IPv4 and IPv6 (`tc` = tos, `hoplimit` =
/// ttl).
fn ip_encap(buf: &mut Vec<u8>, x: &IpEncap) {
    if let Some(id) = x.id {
        push_nla(buf, LWTUNNEL_IP_ID, &id.to_be_bytes());
    }
    if let Some(a) = &x.dst {
        push_nla(buf, LWTUNNEL_IP_DST, &ip_bytes(a));
    }
    if let Some(a) = &x.src {
        push_nla(buf, LWTUNNEL_IP_SRC, &ip_bytes(a));
    }
    // keepalived writes the TOS/TC attribute under IPROUTE_BIT_ENCAP_DSFIELD and the TTL /
    // hop limit under IPROUTE_BIT_ENCAP_HOPLIMIT (same bit as _TTL).
    if let Some(t) = x.tos {
        push_nla(buf, LWTUNNEL_IP_TOS, &[t]);
    }
    if let Some(t) = x.ttl {
        push_nla(buf, LWTUNNEL_IP_TTL, &[t]);
    }
    if let Some(f) = x.flags {
        push_nla(buf, LWTUNNEL_IP_FLAGS, &f.to_ne_bytes());
    }
}

/// One `struct rtnexthop` and its attributes.
fn nexthop(buf: &mut Vec<u8>, route_v6: bool, nh: &NextHop, ifindex: u32) {
    let mut attrs = Vec::new();
    if let Some(v) = &nh.via {
        gateway(&mut attrs, route_v6, v);
    }
    if let Some(r) = nh.realms {
        push_nla(&mut attrs, RTA_FLOW, &r.to_ne_bytes());
    }
    if let Some(e) = &nh.encap {
        encap(&mut attrs, e);
    }
    let len = 8 + attrs.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.push(if nh.onlink { RTNH_F_ONLINK } else { 0 });
    buf.push(nh.weight.map_or(0, |w| (w - 1) as u8));
    buf.extend_from_slice(&ifindex.to_ne_bytes());
    buf.extend(attrs);
}

/// The `RTAX_*` metrics in keepalived's order, `RTAX_LOCK` last; empty when none is set.
fn metrics(r: &Route) -> Vec<u8> {
    let m = &r.metrics;
    let mut v = Vec::new();
    if let Some(c) = &m.congctl {
        push_nla(&mut v, RTAX_CC_ALGO, c.as_bytes());
    }
    for (kind, val) in [
        (RTAX_RTT, m.rtt),
        (RTAX_RTTVAR, m.rttvar),
        (RTAX_RTO_MIN, m.rto_min),
        (RTAX_FEATURES, m.features_ecn.then_some(RTAX_FEATURE_ECN)),
        (RTAX_MTU, m.mtu),
        (RTAX_WINDOW, m.window),
        (RTAX_SSTHRESH, m.ssthresh),
        (RTAX_CWND, m.cwnd),
        (RTAX_ADVMSS, m.advmss),
        (RTAX_REORDERING, m.reordering),
        (RTAX_HOPLIMIT, m.hoplimit),
        (RTAX_INITCWND, m.initcwnd),
        (RTAX_INITRWND, m.initrwnd),
        (RTAX_QUICKACK, m.quickack),
        (RTAX_FASTOPEN_NO_COOKIE, m.fastopen_no_cookie),
    ] {
        if let Some(x) = val {
            push_nla(&mut v, kind, &x.to_ne_bytes());
        }
    }
    if !v.is_empty() && m.lock != 0 {
        push_nla(&mut v, RTAX_LOCK, &m.lock.to_ne_bytes());
    }
    v
}

fn rattr(kind: u16, value: Vec<u8>) -> RouteAttribute {
    RouteAttribute::Other(DefaultNla::new(kind, value))
}

/// Splits raw attribute bytes into the message's attribute list.
fn split_nlas(buf: &[u8], out: &mut Vec<RouteAttribute>) {
    let mut i = 0;
    while i + 4 <= buf.len() {
        let len = u16::from_ne_bytes([buf[i], buf[i + 1]]) as usize;
        let kind = u16::from_ne_bytes([buf[i + 2], buf[i + 3]]);
        if len < 4 || i + len > buf.len() {
            break;
        }
        out.push(rattr(kind, buf[i + 4..i + len].to_vec()));
        i += (len + 3) & !3;
    }
}

/// The netlink flags and message for `cmd` on `r` (keepalived's `netlink_route()`).
/// `ifindex` resolves `dev` names (the route's and its nexthops'); a name it cannot resolve
/// is [`Error::NoSuchInterface`].
pub fn route_message(
    cmd: RtCmd,
    r: &Route,
    ifindex: &dyn Fn(&str) -> Option<u32>,
) -> Result<(u16, RouteMessage), Error> {
    let index = |name: &str| ifindex(name).ok_or_else(|| Error::NoSuchInterface(name.into()));
    let v6 = r.is_ipv6();
    let flags = match cmd {
        RtCmd::Del => NLM_F_REQUEST,
        RtCmd::Replace => NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE,
        RtCmd::Add => {
            NLM_F_REQUEST
                | NLM_F_CREATE
                | match r.op {
                    RouteOp::Add => NLM_F_EXCL,
                    RouteOp::Append => NLM_F_APPEND,
                    RouteOp::Prepend => 0,
                }
        }
    };
    let mut msg = RouteMessage::default();
    let h = &mut msg.header;
    h.address_family = if v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    h.table = if r.table < 256 { r.table as u8 } else { 0 };
    h.protocol = RouteProtocol::from(r.protocol());
    let (scope, kind) = match cmd {
        RtCmd::Del => (RT_SCOPE_NOWHERE, if r.kind_set { r.kind } else { 0 }),
        _ => (RT_SCOPE_UNIVERSE, r.kind),
    };
    h.scope = RouteScope::from(r.scope.unwrap_or(scope));
    h.kind = RouteType::from(kind);
    h.destination_prefix_length = r.dst.len;
    h.tos = r.tos;
    if r.onlink {
        h.flags = RouteFlags::from_bits_retain(u32::from(RTNH_F_ONLINK));
    }
    let mut raw = Vec::new();
    if r.table >= 256 {
        push_nla(&mut raw, RTA_TABLE, &r.table.to_ne_bytes());
    }
    push_nla(&mut raw, RTA_DST, &ip_bytes(&r.dst.addr));
    if let Some(s) = &r.src {
        msg.header.source_prefix_length = s.len;
        push_nla(&mut raw, RTA_SRC, &ip_bytes(&s.addr));
    }
    if let Some(p) = &r.pref_src {
        push_nla(&mut raw, RTA_PREFSRC, &ip_bytes(p));
    }
    if let Some(v) = &r.via {
        gateway(&mut raw, v6, v);
    }
    if let Some(e) = &r.encap {
        encap(&mut raw, e);
    }
    if let Some(d) = &r.dev {
        push_nla(&mut raw, RTA_OIF, &index(d)?.to_ne_bytes());
    }
    if let Some(m) = r.metric {
        push_nla(&mut raw, RTA_PRIORITY, &m.to_ne_bytes());
    }
    if let Some(f) = r.realms {
        push_nla(&mut raw, RTA_FLOW, &f.to_ne_bytes());
    }
    if let Some(e) = r.expires {
        push_nla(&mut raw, RTA_EXPIRES, &e.to_ne_bytes());
    }
    if let Some(p) = r.pref {
        push_nla(&mut raw, RTA_PREF, &[p]);
    }
    if let Some(t) = r.ttl_propagate {
        push_nla(&mut raw, RTA_TTL_PROPAGATE, &[u8::from(t)]);
    }
    let m = metrics(r);
    if !m.is_empty() {
        push_nla(&mut raw, RTA_METRICS, &m);
    }
    if !r.nexthops.is_empty() {
        let mut hops = Vec::new();
        for nh in &r.nexthops {
            let idx = match &nh.dev {
                Some(d) => index(d)?,
                None => 0,
            };
            nexthop(&mut hops, v6, nh, idx);
        }
        push_nla(&mut raw, RTA_MULTIPATH, &hops);
    }
    split_nlas(&raw, &mut msg.attributes);
    Ok((flags, msg))
}

fn rule_attr(kind: u16, value: Vec<u8>) -> RuleAttribute {
    RuleAttribute::Other(DefaultNla::new(kind, value))
}

/// The netlink flags and message for `cmd` on `r` (keepalived's `netlink_rule()`).
pub fn rule_message(cmd: RtCmd, r: &Rule) -> (u16, RuleMessage) {
    let flags = match cmd {
        RtCmd::Del => NLM_F_REQUEST,
        _ => NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
    };
    let mut msg = RuleMessage::default();
    msg.header.family = if r.v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    msg.header.tos = r.tos;
    let mut a = Vec::new();
    let action = match r.action {
        RuleAction::Table(t) => {
            if t < 256 {
                msg.header.table = if t == 0 { RT_TABLE_MAIN } else { t as u8 };
            } else {
                a.push(rule_attr(FRA_TABLE, t.to_ne_bytes().to_vec()));
            }
            FR_ACT_TO_TBL
        }
        RuleAction::L3mdev => FR_ACT_TO_TBL,
        RuleAction::Goto(_) => FR_ACT_GOTO,
        RuleAction::Nop => FR_ACT_NOP,
        RuleAction::Blackhole => FR_ACT_BLACKHOLE,
        RuleAction::Unreachable => FR_ACT_UNREACHABLE,
        RuleAction::Prohibit => FR_ACT_PROHIBIT,
    };
    msg.header.action = NlRuleAction::from(action);
    if r.invert {
        msg.header.flags = RuleFlags::from_bits_retain(FIB_RULE_INVERT);
    }
    if let Some(p) = &r.from {
        a.push(rule_attr(FRA_SRC, ip_bytes(&p.addr)));
        msg.header.src_len = p.len;
    }
    if let Some(p) = &r.to {
        a.push(rule_attr(FRA_DST, ip_bytes(&p.addr)));
        msg.header.dst_len = p.len;
    }
    a.push(rule_attr(FRA_PRIORITY, r.priority.to_ne_bytes().to_vec()));
    if let Some(m) = r.fwmark {
        a.push(rule_attr(FRA_FWMARK, m.to_ne_bytes().to_vec()));
    }
    if let Some(m) = r.fwmask {
        a.push(rule_attr(FRA_FWMASK, m.to_ne_bytes().to_vec()));
    }
    if let Some(f) = r.realms {
        a.push(rule_attr(FRA_FLOW, f.to_ne_bytes().to_vec()));
    }
    if let Some(v) = r.suppress_prefixlen {
        a.push(rule_attr(FRA_SUPPRESS_PREFIXLEN, v.to_ne_bytes().to_vec()));
    }
    if let Some(v) = r.suppress_ifgroup {
        a.push(rule_attr(FRA_SUPPRESS_IFGROUP, v.to_ne_bytes().to_vec()));
    }
    let name = |n: &str| {
        let mut v = n.as_bytes().to_vec();
        v.push(0);
        v
    };
    if let Some(i) = &r.iif {
        a.push(rule_attr(FRA_IIFNAME, name(i)));
    }
    if let Some(i) = &r.oif {
        a.push(rule_attr(FRA_OIFNAME, name(i)));
    }
    if let Some(t) = r.tunnel_id {
        a.push(rule_attr(FRA_TUN_ID, t.to_be_bytes().to_vec()));
    }
    if let Some((s, e)) = r.uid_range {
        let mut v = s.to_ne_bytes().to_vec();
        v.extend_from_slice(&e.to_ne_bytes());
        a.push(rule_attr(FRA_UID_RANGE, v));
    }
    if r.action == RuleAction::L3mdev {
        a.push(rule_attr(FRA_L3MDEV, vec![1]));
    }
    if let Some(p) = r.protocol {
        a.push(rule_attr(FRA_PROTOCOL, vec![p]));
    }
    if let Some(p) = r.ip_proto {
        a.push(rule_attr(FRA_IP_PROTO, vec![p]));
    }
    for (kind, range) in [(FRA_SPORT_RANGE, r.sport), (FRA_DPORT_RANGE, r.dport)] {
        if let Some((s, e)) = range {
            let mut v = s.to_ne_bytes().to_vec();
            v.extend_from_slice(&e.to_ne_bytes());
            a.push(rule_attr(kind, v));
        }
    }
    if let RuleAction::Goto(t) = r.action {
        a.push(rule_attr(FRA_GOTO, t.to_ne_bytes().to_vec()));
    }
    msg.attributes = a;
    (flags, msg)
}

/// Sends one request and waits for its acknowledgement.
async fn talk(
    handle: &rtnetlink::Handle,
    flags: u16,
    payload: RouteNetlinkMessage,
    what: String,
) -> Result<(), Error> {
    let mut req = NetlinkMessage::from(payload);
    req.header.flags = flags | NLM_F_ACK;
    let mut handle = handle.clone();
    let mut resp = handle.request(req).map_err(|source| Error::Netlink {
        what: what.clone(),
        source,
    })?;
    while let Some(m) = resp.next().await {
        if let NetlinkPayload::Error(e) = m.payload {
            if e.code.is_some() {
                return Err(Error::Netlink {
                    what,
                    source: rtnetlink::Error::NetlinkError(e),
                });
            }
        }
    }
    Ok(())
}

/// Adds, replaces or deletes a route. The kernel's "already there" (`EEXIST`) and "not
/// there" (`ESRCH`) come back as [`Error::Netlink`]; see [`Error::netlink_errno`].
pub async fn route_request(
    handle: &rtnetlink::Handle,
    cmd: RtCmd,
    r: &Route,
    ifindex: &(dyn Fn(&str) -> Option<u32> + Sync),
) -> Result<(), Error> {
    let (flags, msg) = route_message(cmd, r, ifindex)?;
    let payload = match cmd {
        RtCmd::Del => RouteNetlinkMessage::DelRoute(msg),
        _ => RouteNetlinkMessage::NewRoute(msg),
    };
    let verb = match cmd {
        RtCmd::Add => "add",
        RtCmd::Replace => "replace",
        RtCmd::Del => "delete",
    };
    let what = format!("{verb} route {}/{}", r.dst.addr, r.dst.len);
    talk(handle, flags, payload, what).await
}

/// Adds or deletes a rule (`EEXIST` / `ENOENT` come back as [`Error::Netlink`]).
pub async fn rule_request(handle: &rtnetlink::Handle, cmd: RtCmd, r: &Rule) -> Result<(), Error> {
    let (flags, msg) = rule_message(cmd, r);
    let payload = match cmd {
        RtCmd::Del => RouteNetlinkMessage::DelRule(msg),
        _ => RouteNetlinkMessage::NewRule(msg),
    };
    let verb = if cmd == RtCmd::Del { "delete" } else { "add" };
    let what = format!("{verb} rule priority {}", r.priority);
    talk(handle, flags, payload, what).await
}

/// A route the kernel reported (dump or notification), reduced to what identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSeen {
    /// IPv6.
    pub v6: bool,
    /// Table (`RTA_TABLE`, else the header's).
    pub table: u32,
    /// Destination (unspecified for a default route).
    pub dst: IpAddr,
    /// Its length.
    pub dst_len: u8,
    /// TOS.
    pub tos: u8,
    /// `RTA_PRIORITY`, 0 when absent.
    pub priority: u32,
    /// `RTA_OIF`.
    pub oif: Option<u32>,
    /// `rtm_protocol`.
    pub protocol: u8,
}

impl RouteSeen {
    fn from_message(m: &RouteMessage) -> Option<Self> {
        let v6 = match m.header.address_family {
            AddressFamily::Inet => false,
            AddressFamily::Inet6 => true,
            _ => return None,
        };
        let mut s = RouteSeen {
            v6,
            table: u32::from(m.header.table),
            dst: if v6 {
                IpAddr::from([0u16; 8])
            } else {
                IpAddr::from([0u8; 4])
            },
            dst_len: m.header.destination_prefix_length,
            tos: m.header.tos,
            priority: 0,
            oif: None,
            protocol: u8::from(m.header.protocol),
        };
        for a in &m.attributes {
            match a {
                RouteAttribute::Table(t) => s.table = *t,
                RouteAttribute::Destination(RouteAddress::Inet(x)) => s.dst = IpAddr::V4(*x),
                RouteAttribute::Destination(RouteAddress::Inet6(x)) => s.dst = IpAddr::V6(*x),
                RouteAttribute::Priority(p) => s.priority = *p,
                RouteAttribute::Oif(i) => s.oif = Some(*i),
                _ => {}
            }
        }
        Some(s)
    }
}

/// Whether `seen` is `r` by keepalived's key (`route_is_ours()`): table, family, destination
/// and length, TOS, and for a virtual route also the metric and the interface (`oif` = the
/// configured `dev`'s index). A route without `metric` matches the kernel's default (0 over
/// IPv4, 1024 over IPv6: keepalived compares with 0 and so never recognises its IPv6 routes).
pub fn route_matches(r: &Route, oif: Option<u32>, seen: &RouteSeen, virtual_route: bool) -> bool {
    if seen.v6 != r.is_ipv6()
        || seen.table != r.table
        || seen.dst_len != r.dst.len
        || seen.dst != r.dst.addr
        || seen.tos != r.tos
    {
        return false;
    }
    if !virtual_route {
        return true;
    }
    let metric = r.metric.unwrap_or(if r.is_ipv6() { 1024 } else { 0 });
    seen.priority == metric && (oif.is_none() || seen.oif == oif)
}

/// A rule the kernel reported, reduced to what keepalived's `compare_rule()` looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSeen {
    /// IPv6.
    pub v6: bool,
    /// `FRA_PRIORITY`.
    pub priority: Option<u32>,
    /// `fib_rule_hdr.action`.
    pub action: u8,
    /// `FRA_GOTO`.
    pub goto: Option<u32>,
    /// `FRA_TABLE`, else the header's table.
    pub table: u32,
    /// `FIB_RULE_INVERT`.
    pub invert: bool,
    /// `FRA_SRC` and `src_len`.
    pub from: Option<(IpAddr, u8)>,
    /// `FRA_DST` and `dst_len`.
    pub to: Option<(IpAddr, u8)>,
    /// TOS.
    pub tos: u8,
    /// `FRA_FWMARK`.
    pub fwmark: Option<u32>,
    /// `FRA_FWMASK`.
    pub fwmask: Option<u32>,
    /// `FRA_IIFNAME`.
    pub iif: Option<String>,
    /// `FRA_OIFNAME`.
    pub oif: Option<String>,
    /// `FRA_PROTOCOL`.
    pub protocol: Option<u8>,
}

impl RuleSeen {
    fn from_message(m: &RuleMessage) -> Option<Self> {
        let v6 = match m.header.family {
            AddressFamily::Inet => false,
            AddressFamily::Inet6 => true,
            _ => return None,
        };
        let mut s = RuleSeen {
            v6,
            action: u8::from(m.header.action),
            table: u32::from(m.header.table),
            invert: m.header.flags.bits() & FIB_RULE_INVERT != 0,
            tos: m.header.tos,
            ..Default::default()
        };
        for a in &m.attributes {
            match a {
                RuleAttribute::Priority(p) => s.priority = Some(*p),
                RuleAttribute::Goto(g) => s.goto = Some(*g),
                RuleAttribute::Table(t) => s.table = *t,
                RuleAttribute::Source(x) => s.from = Some((*x, m.header.src_len)),
                RuleAttribute::Destination(x) => s.to = Some((*x, m.header.dst_len)),
                RuleAttribute::FwMark(x) => s.fwmark = Some(*x),
                RuleAttribute::FwMask(x) => s.fwmask = Some(*x),
                RuleAttribute::Iifname(x) => s.iif = Some(x.clone()),
                RuleAttribute::Oifname(x) => s.oif = Some(x.clone()),
                RuleAttribute::Protocol(p) => s.protocol = Some(u8::from(*p)),
                _ => {}
            }
        }
        Some(s)
    }
}

/// Whether `seen` is `r` (keepalived's `compare_rule()` on the fields rules are written
/// with: family, preference, action and its table or target, `not`, selectors, TOS, mark and
/// interfaces).
pub fn rule_matches(r: &Rule, seen: &RuleSeen) -> bool {
    let (action, table, goto) = match r.action {
        RuleAction::Table(t) => (FR_ACT_TO_TBL, t, None),
        RuleAction::L3mdev => (FR_ACT_TO_TBL, 0, None),
        RuleAction::Goto(g) => (FR_ACT_GOTO, 0, Some(g)),
        RuleAction::Nop => (FR_ACT_NOP, 0, None),
        RuleAction::Blackhole => (FR_ACT_BLACKHOLE, 0, None),
        RuleAction::Unreachable => (FR_ACT_UNREACHABLE, 0, None),
        RuleAction::Prohibit => (FR_ACT_PROHIBIT, 0, None),
    };
    let prefix = |p: &Option<crate::model::Prefix>| p.map(|p| (p.addr, p.len));
    seen.v6 == r.v6
        && seen.priority == Some(r.priority)
        && seen.action == action
        && (action != FR_ACT_TO_TBL || seen.table == table)
        && seen.goto == goto
        && seen.invert == r.invert
        && seen.from == prefix(&r.from)
        && seen.to == prefix(&r.to)
        && seen.tos == r.tos
        && seen.fwmark == r.fwmark
        && (r.fwmask.is_none() || seen.fwmask == r.fwmask)
        && seen.iif == r.iif
        && seen.oif == r.oif
}

/// Dumps the routes (every table) or rules of one family.
async fn dump(
    handle: &rtnetlink::Handle,
    v6: bool,
    rules: bool,
) -> Result<Vec<RouteNetlinkMessage>, Error> {
    let family = if v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    let payload = if rules {
        let mut m = RuleMessage::default();
        m.header.family = family;
        RouteNetlinkMessage::GetRule(m)
    } else {
        let mut m = RouteMessage::default();
        m.header.address_family = family;
        RouteNetlinkMessage::GetRoute(m)
    };
    let what = if rules { "dump rules" } else { "dump routes" }.to_string();
    let mut req = NetlinkMessage::from(payload);
    req.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut handle = handle.clone();
    let mut resp = handle.request(req).map_err(|source| Error::Netlink {
        what: what.clone(),
        source,
    })?;
    let mut out = Vec::new();
    while let Some(m) = resp.next().await {
        match m.payload {
            NetlinkPayload::InnerMessage(x) => out.push(x),
            NetlinkPayload::Error(e) if e.code.is_some() => {
                return Err(Error::Netlink {
                    what,
                    source: rtnetlink::Error::NetlinkError(e),
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Whether the kernel holds `r` now (virtual routes also by metric and interface).
pub async fn route_present(
    handle: &rtnetlink::Handle,
    r: &Route,
    oif: Option<u32>,
    virtual_route: bool,
) -> Result<bool, Error> {
    Ok(dump(handle, r.is_ipv6(), false).await?.iter().any(|m| {
        matches!(m, RouteNetlinkMessage::NewRoute(x)
            if RouteSeen::from_message(x).is_some_and(|s| route_matches(r, oif, &s, virtual_route)))
    }))
}

/// Whether the kernel holds `r` now.
pub async fn rule_present(handle: &rtnetlink::Handle, r: &Rule) -> Result<bool, Error> {
    Ok(dump(handle, r.v6, true).await?.iter().any(|m| {
        matches!(m, RouteNetlinkMessage::NewRule(x)
            if RuleSeen::from_message(x).is_some_and(|s| rule_matches(r, &s)))
    }))
}

/// What [`monitor_routes`] reports: deletions of routes and rules that may be keepalived's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtEvent {
    /// `RTM_DELROUTE` of a route with protocol `keepalived` (18).
    RouteDeleted(RouteSeen),
    /// `RTM_DELRULE` of a rule without `FRA_PROTOCOL` or with protocol 18.
    RuleDeleted(RuleSeen),
    /// Notifications were lost (`ENOBUFS`): check what should be there.
    Overrun,
}

/// Subscribes to the route and rule notifications of the families asked for (keepalived's
/// `set_extra_netlink_monitoring()`: only when something tracked needs them, since a full
/// routing table churns a lot) and reports the deletions that may concern us.
pub fn monitor_routes(
    v4_routes: bool,
    v6_routes: bool,
    v4_rules: bool,
    v6_rules: bool,
) -> Result<mpsc::Receiver<RtEvent>, Error> {
    let mut groups = Vec::new();
    for (on, g) in [
        (v4_routes, MulticastGroup::Ipv4Route),
        (v6_routes, MulticastGroup::Ipv6Route),
        (v4_rules, MulticastGroup::Ipv4Rule),
        (v6_rules, MulticastGroup::Ipv6Rule),
    ] {
        if on {
            groups.push(g);
        }
    }
    let (conn, _handle, mut messages) =
        rtnetlink::new_multicast_connection(&groups).map_err(Error::NetlinkSocket)?;
    let conn = tokio::spawn(conn);
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        while let Some((msg, _)) = messages.next().await {
            let ev = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelRoute(m)) => {
                    RouteSeen::from_message(&m)
                        .filter(|s| s.protocol == RTPROT_KEEPALIVED)
                        .map(RtEvent::RouteDeleted)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelRule(m)) => {
                    RuleSeen::from_message(&m)
                        .filter(|s| s.protocol.is_none_or(|p| p == RTPROT_KEEPALIVED))
                        .map(RtEvent::RuleDeleted)
                }
                NetlinkPayload::Overrun(_) => Some(RtEvent::Overrun),
                _ => None,
            };
            if let Some(ev) = ev {
                if tx.send(ev).await.is_err() {
                    break;
                }
            }
        }
        conn.abort();
    });
    Ok(rx)
}

/// `net.ipv4.conf.IF.promote_secondaries`: set to 1 (deleting a primary address then promotes
/// a secondary of the same subnet instead of deleting them all). Returns true when it was 0,
/// so the caller resets it at exit as keepalived does.
pub fn set_promote_secondaries(ifname: &str) -> std::io::Result<bool> {
    super::check_ifname(ifname).map_err(std::io::Error::other)?;
    let path = format!("/proc/sys/net/ipv4/conf/{ifname}/promote_secondaries");
    if std::fs::read_to_string(&path)?.trim() == "1" {
        return Ok(false);
    }
    std::fs::write(&path, "1")?;
    Ok(true)
}

/// Puts `promote_secondaries` back to 0 (it was 0 before [`set_promote_secondaries`]).
pub fn reset_promote_secondaries(ifname: &str) -> std::io::Result<()> {
    super::check_ifname(ifname).map_err(std::io::Error::other)?;
    std::fs::write(
        format!("/proc/sys/net/ipv4/conf/{ifname}/promote_secondaries"),
        "0",
    )
}

/// Interface indices by name, for [`route_message`]'s resolver.
pub type IfIndices = HashMap<String, u32>;

/// The indices of `names` now (`RTM_GETLINK` each); names that do not exist are left out.
pub async fn ifindices(handle: &rtnetlink::Handle, names: &[&str]) -> IfIndices {
    let mut out = IfIndices::new();
    for n in names {
        if out.contains_key(*n) || super::check_ifname(n).is_err() {
            continue;
        }
        let link = handle
            .link()
            .get()
            .match_name((*n).to_string())
            .execute()
            .next()
            .await;
        if let Some(Ok(l)) = link {
            out.insert((*n).to_string(), l.header.index);
        }
    }
    out
}

/// The interfaces a route names (`dev` and its nexthops').
pub fn route_devs(r: &Route) -> Vec<&str> {
    r.dev
        .iter()
        .chain(r.nexthops.iter().filter_map(|n| n.dev.as_ref()))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests;
