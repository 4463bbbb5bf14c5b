//! The messages against the bytes keepalived 2.2.7 sends for the same configuration lines
//! (captured with `strace -e write=` on its netlink socket in a namespace where eth0 is
//! ifindex 3; header fields after `nlmsghdr` compared byte for byte).

use std::net::IpAddr;

use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::packet_core::Emitable;
use rtnetlink::packet_core::{NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};

use super::*;
use crate::model::{
    NextHop, Prefix, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_KEEPALIVED, Route, RouteMetrics, Rule,
    RuleAction,
};

fn eth0(name: &str) -> Option<u32> {
    (name == "eth0").then_some(3)
}

fn p(s: &str) -> Prefix {
    let (a, l) = s.split_once('/').unwrap();
    Prefix {
        addr: a.parse().unwrap(),
        len: l.parse().unwrap(),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn route(dst: &str) -> Route {
    Route {
        dst: p(dst),
        src: None,
        pref_src: None,
        via: None,
        dev: None,
        tos: 0,
        tos_set: false,
        table: RT_TABLE_MAIN,
        protocol: Some(RTPROT_KEEPALIVED),
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
    }
}

fn rule(priority: u32, action: RuleAction) -> Rule {
    Rule {
        v6: false,
        invert: false,
        from: None,
        to: None,
        priority,
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
        protocol: Some(RTPROT_KEEPALIVED),
        ip_proto: None,
        sport: None,
        dport: None,
        action,
        no_track: false,
        track_group: None,
    }
}

fn hex(payload: &RouteNetlinkMessage) -> String {
    let mut buf = vec![0u8; payload.buffer_len()];
    payload.emit(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn route_hex(cmd: RtCmd, r: &Route) -> (u16, String) {
    let (flags, m) = route_message(cmd, r, &eth0).unwrap();
    let payload = if cmd == RtCmd::Del {
        RouteNetlinkMessage::DelRoute(m)
    } else {
        RouteNetlinkMessage::NewRoute(m)
    };
    (flags, hex(&payload))
}

fn rule_hex(cmd: RtCmd, r: &Rule) -> (u16, String) {
    let (flags, m) = rule_message(cmd, r);
    let payload = if cmd == RtCmd::Del {
        RouteNetlinkMessage::DelRule(m)
    } else {
        RouteNetlinkMessage::NewRule(m)
    };
    (flags, hex(&payload))
}

#[test]
fn route_with_src_via_dev_table_metric() {
    // src 198.51.100.10 192.0.2.0/24 via 198.51.100.254 dev eth0 table 100 metric 50
    let mut r = route("192.0.2.0/24");
    r.pref_src = Some(ip("198.51.100.10"));
    r.via = Some(ip("198.51.100.254"));
    r.dev = Some("eth0".into());
    r.table = 100;
    r.metric = Some(50);
    assert_eq!(
        route_hex(RtCmd::Add, &r),
        (
            NLM_F_REQUEST | NLM_F_CREATE,
            "02180000641200010000000008000100c000020008000700c633640a08000500c63364fe08000400030000000800060032000000".into()
        )
    );
    assert_eq!(
        route_hex(RtCmd::Del, &r),
        (
            NLM_F_REQUEST,
            "021800006412ff000000000008000100c000020008000700c633640a08000500c63364fe08000400030000000800060032000000".into()
        )
    );
}

#[test]
fn blackhole_in_a_table_above_255() {
    // blackhole 192.0.2.128/25 table 1000 (untracked: no dev, protocol still 18)
    let mut r = route("192.0.2.128/25");
    r.kind = 6;
    r.kind_set = true;
    r.table = 1000;
    r.no_track = true;
    assert_eq!(
        route_hex(RtCmd::Add, &r).1,
        "02190000001200060000000008000f00e803000008000100c0000280"
    );
    assert_eq!(
        route_hex(RtCmd::Del, &r).1,
        "021900000012ff060000000008000f00e803000008000100c0000280"
    );
}

#[test]
fn metrics_lock_onlink_append() {
    // 198.18.0.0/24 dev eth0 via 198.51.100.254 mtu lock 1400 advmss 1360 onlink append
    let mut r = route("198.18.0.0/24");
    r.dev = Some("eth0".into());
    r.via = Some(ip("198.51.100.254"));
    r.metrics.mtu = Some(1400);
    r.metrics.advmss = Some(1360);
    r.metrics.lock = 1 << 2;
    r.onlink = true;
    r.op = RouteOp::Append;
    assert_eq!(
        route_hex(RtCmd::Add, &r),
        (
            NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND,
            "02180000fe1200010400000008000100c612000008000500c63364fe08000400030000001c000800080002007805000008000800500500000800010004000000".into()
        )
    );
    r.op = RouteOp::Add;
    assert_eq!(
        route_hex(RtCmd::Add, &r).0,
        NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL
    );
    assert_eq!(
        route_hex(RtCmd::Replace, &r).0,
        NLM_F_REQUEST | NLM_F_CREATE | rtnetlink::packet_core::NLM_F_REPLACE
    );
}

#[test]
fn multipath() {
    // 198.18.1.0/24 dev eth0 nexthop via 198.51.100.253 weight 2 nexthop via 198.51.100.254
    let mut r = route("198.18.1.0/24");
    r.dev = Some("eth0".into());
    r.nexthops = vec![
        NextHop {
            via: Some(ip("198.51.100.253")),
            weight: Some(2),
            ..NextHop::default()
        },
        NextHop {
            via: Some(ip("198.51.100.254")),
            ..NextHop::default()
        },
    ];
    assert_eq!(
        route_hex(RtCmd::Add, &r).1,
        "02180000fe1200010000000008000100c6120100080004000300000024000900100000010000000008000500c63364fd100000000000000008000500c63364fe"
    );
}

#[test]
fn ipv6_route() {
    // 2001:db8:9::/48 via 2001:db8::fe dev eth0 metric 7
    let mut r = route("2001:db8:9::/48");
    r.via = Some(ip("2001:db8::fe"));
    r.dev = Some("eth0".into());
    r.metric = Some(7);
    assert_eq!(
        route_hex(RtCmd::Add, &r).1,
        "0a300000fe120001000000001400010020010db80009000000000000000000001400050020010db80000000000000000000000fe08000400030000000800060007000000"
    );
    assert_eq!(
        route_hex(RtCmd::Del, &r).1,
        "0a300000fe12ff00000000001400010020010db80009000000000000000000001400050020010db80000000000000000000000fe08000400030000000800060007000000"
    );
}

#[test]
fn an_unknown_interface_is_an_error() {
    let mut r = route("192.0.2.0/24");
    r.dev = Some("nope0".into());
    assert!(matches!(
        route_message(RtCmd::Add, &r, &eth0),
        Err(Error::NoSuchInterface(n)) if n == "nope0"
    ));
}

#[test]
fn encapsulations_nest_under_rta_encap() {
    let mut r = route("192.0.2.3/32");
    r.encap = Some(Encap::Mpls(vec![100, 200]));
    // RTA_ENCAP { MPLS_IPTUNNEL_DST: 100<<12, 200<<12 | bottom of stack }, RTA_ENCAP_TYPE 1.
    assert_eq!(
        route_hex(RtCmd::Add, &r).1,
        "02200000fe1200010000000008000100c00002031000160 00c00010000064000000c81000600150001000000"
            .replace(' ', "")
    );
    r.encap = Some(Encap::Ila(0x0001_0002_0003_0004));
    // RTA_ENCAP { ILA_ATTR_LOCATOR: the four groups in network order }, RTA_ENCAP_TYPE 3.
    assert_eq!(
        route_hex(RtCmd::Add, &r).1,
        "02200000fe1200010000000008000100c0000203100016000c000100 0001000200030004 0600150003000000"
            .replace(' ', "")
    );
    r.encap = Some(Encap::Ip(IpEncap {
        id: Some(7),
        dst: Some(ip("203.0.113.9")),
        ttl: Some(4),
        ..IpEncap::default()
    }));
    // { LWTUNNEL_IP_ID (be64), LWTUNNEL_IP_DST, LWTUNNEL_IP_TTL }, type 2.
    assert_eq!(
        route_hex(RtCmd::Add, &r).1,
        "02200000fe1200010000000008000100c000020320001600 0c0001000000000000000007 08000200cb007109 0500040004000000 0600150002000000"
            .replace(' ', "")
    );
}

#[test]
fn rules_as_keepalived_sends_them() {
    // from 198.51.100.0/24 table 100 priority 100
    let mut a = rule(100, RuleAction::Table(100));
    a.from = Some(p("198.51.100.0/24"));
    assert_eq!(
        rule_hex(RtCmd::Add, &a),
        (
            NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
            "02001800640000010000000008000200c633640008000600640000000500150012000000".into()
        )
    );
    assert_eq!(
        rule_hex(RtCmd::Del, &a),
        (
            NLM_F_REQUEST,
            "02001800640000010000000008000200c633640008000600640000000500150012000000".into()
        )
    );
    // not to 192.0.2.0/24 fwmark 0x10/0xff iif eth0 lookup 1000 priority 101
    let mut b = rule(101, RuleAction::Table(1000));
    b.invert = true;
    b.to = Some(p("192.0.2.0/24"));
    b.fwmark = Some(0x10);
    b.fwmask = Some(0xff);
    b.iif = Some("eth0".into());
    assert_eq!(
        rule_hex(RtCmd::Add, &b).1,
        "02180000000000010200000008000f00e803000008000100c0000200080006006500000008000a001000000008001000ff0000000900030065746830000000000500150012000000"
    );
    // from 2001:db8::/64 goto 300 priority 102
    let mut c = rule(102, RuleAction::Goto(300));
    c.v6 = true;
    c.from = Some(p("2001:db8::/64"));
    assert_eq!(
        rule_hex(RtCmd::Add, &c).1,
        "0a00400000000002000000001400020020010db800000000000000000000000008000600660000000500150012000000080004002c010000"
    );
    // from all blackhole priority 103 no_track
    let mut d = rule(103, RuleAction::Blackhole);
    d.from = Some(p("0.0.0.0/0"));
    d.protocol = None;
    d.no_track = true;
    assert_eq!(
        rule_hex(RtCmd::Add, &d).1,
        "02000000000000060000000008000200000000000800060067000000"
    );
}

#[test]
fn notifications_match_by_keepalived_key() {
    let mut r = route("192.0.2.0/24");
    r.dev = Some("eth0".into());
    r.table = 100;
    let seen = RouteSeen {
        v6: false,
        table: 100,
        dst: ip("192.0.2.0"),
        dst_len: 24,
        tos: 0,
        priority: 0,
        oif: Some(3),
        protocol: 18,
    };
    assert!(route_matches(&r, Some(3), &seen, true));
    assert!(!route_matches(&r, Some(4), &seen, true), "other interface");
    let other_table = RouteSeen {
        table: 254,
        ..seen.clone()
    };
    assert!(!route_matches(&r, Some(3), &other_table, true));
    r.metric = Some(5);
    assert!(!route_matches(&r, Some(3), &seen, true), "metric differs");
    assert!(
        route_matches(&r, Some(3), &seen, false),
        "static: no metric/oif"
    );
    let mut v6 = route("2001:db8:9::/48");
    v6.dev = Some("eth0".into());
    let seen6 = RouteSeen {
        v6: true,
        table: 254,
        dst: ip("2001:db8:9::"),
        dst_len: 48,
        tos: 0,
        priority: 1024,
        oif: Some(3),
        protocol: 18,
    };
    assert!(
        route_matches(&v6, Some(3), &seen6, true),
        "IPv6 default metric"
    );

    let mut ru = rule(100, RuleAction::Table(100));
    ru.from = Some(p("198.51.100.0/24"));
    let rs = RuleSeen {
        v6: false,
        priority: Some(100),
        action: 1,
        table: 100,
        from: Some((ip("198.51.100.0"), 24)),
        protocol: Some(18),
        ..Default::default()
    };
    assert!(rule_matches(&ru, &rs));
    assert!(!rule_matches(
        &ru,
        &RuleSeen {
            priority: Some(101),
            ..rs.clone()
        }
    ));
    assert!(!rule_matches(&ru, &RuleSeen { table: 200, ..rs }));
}

/// Against a real kernel in a namespace: install, see, remove routes and rules, and notice a
/// deletion behind our back through the monitor.
#[test]
fn kernel_round_trip_and_deletion_monitor() {
    use crate::net::testns::{Netns, on_fresh_thread};
    use crate::net::{connect, interface};
    let Some(ns) = Netns::create("iproute") else {
        return;
    };
    ns.veth("rA", &ns, "rB");
    ns.ip(&["link", "set", "rA", "up"]);
    ns.ip(&["link", "set", "rB", "up"]);
    ns.ip(&["addr", "add", "198.51.100.1/24", "dev", "rA"]);
    on_fresh_thread(move |rt| {
        rt.block_on(async {
            ns.enter();
            let h = connect().unwrap();
            let idx = interface(&h, "rA").await.unwrap().index;
            let resolve = move |n: &str| (n == "rA").then_some(idx);
            let mut r = route("192.0.2.0/24");
            r.via = Some(ip("198.51.100.254"));
            r.dev = Some("rA".into());
            r.table = 100;
            let mut bh = route("192.0.2.128/25");
            bh.kind = 6;
            bh.kind_set = true;
            bh.no_track = true;
            let mut ru = rule(100, RuleAction::Table(100));
            ru.from = Some(p("198.51.100.0/24"));
            let mut events = monitor_routes(true, false, true, false).unwrap();

            assert!(!route_present(&h, &r, Some(idx), true).await.unwrap());
            route_request(&h, RtCmd::Add, &r, &resolve).await.unwrap();
            route_request(&h, RtCmd::Add, &bh, &resolve).await.unwrap();
            rule_request(&h, RtCmd::Add, &ru).await.unwrap();
            assert!(route_present(&h, &r, Some(idx), true).await.unwrap());
            assert!(rule_present(&h, &ru).await.unwrap());
            let routes = ns.ip(&["route", "show", "table", "all"]);
            assert!(
                routes
                    .contains("192.0.2.0/24 via 198.51.100.254 dev rA table 100 proto keepalived"),
                "{routes}"
            );
            assert!(
                routes.contains("blackhole 192.0.2.128/25 proto keepalived"),
                "{routes}"
            );
            let rules = ns.ip(&["rule"]);
            assert!(
                rules.contains("100:\tfrom 198.51.100.0/24 lookup 100 proto keepalived"),
                "{rules}"
            );
            // The same rule twice: EEXIST, as keepalived's NLM_F_EXCL makes it.
            let again = rule_request(&h, RtCmd::Add, &ru).await.unwrap_err();
            assert_eq!(again.netlink_errno(), Some(libc::EEXIST));

            // Deleted behind our back: the monitor reports both, and they match.
            ns.ip(&["route", "del", "192.0.2.0/24", "table", "100"]);
            ns.ip(&["rule", "del", "priority", "100"]);
            let mut seen_route = false;
            let mut seen_rule = false;
            for _ in 0..10 {
                let ev = tokio::time::timeout(std::time::Duration::from_secs(2), events.recv())
                    .await
                    .expect("a notification")
                    .expect("monitor alive");
                match ev {
                    RtEvent::RouteDeleted(s) => {
                        seen_route |= route_matches(&r, Some(idx), &s, true)
                    }
                    RtEvent::RuleDeleted(s) => seen_rule |= rule_matches(&ru, &s),
                    RtEvent::Overrun => {}
                }
                if seen_route && seen_rule {
                    break;
                }
            }
            assert!(seen_route && seen_rule);
            assert!(!route_present(&h, &r, Some(idx), true).await.unwrap());
            assert!(!rule_present(&h, &ru).await.unwrap());
            let gone = route_request(&h, RtCmd::Del, &r, &resolve)
                .await
                .unwrap_err();
            assert_eq!(gone.netlink_errno(), Some(libc::ESRCH));
            route_request(&h, RtCmd::Del, &bh, &resolve).await.unwrap();
            assert!(
                !ns.ip(&["route", "show", "table", "all"])
                    .contains("blackhole")
            );

            // promote_secondaries: set once, reported as changed, reset.
            assert!(set_promote_secondaries("rA").unwrap());
            assert!(!set_promote_secondaries("rA").unwrap(), "already 1");
            reset_promote_secondaries("rA").unwrap();
            assert!(set_promote_secondaries("rA").unwrap());
        })
    });
}
