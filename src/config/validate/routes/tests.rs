//! Address, route and rule lines through the public loader, against keepalived 2.2.7's
//! `alloc_ipaddress()`, `alloc_route()` and `alloc_rule()` (messages observed with `-t`).

use std::net::IpAddr;

use crate::config::Loaded;
use crate::config::diag::Severity;
use crate::model::{
    Encap, IpEncap, NextHop, Prefix, RTPROT_KEEPALIVED, Route, RouteOp, Rule, RuleAction,
};

fn load(text: &str) -> Loaded {
    crate::config::load_test(text)
}

/// An instance on eth0 with one VIP and `extra` in its body.
fn instance(extra: &str) -> Loaded {
    load(&format!(
        "vrrp_instance VI {{\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {{\n198.51.100.50\n}}\n{extra}\n}}\n"
    ))
}

/// Every diagnostic but our own notes (keepalived prints those nowhere).
fn messages(l: &Loaded) -> Vec<String> {
    l.diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Note)
        .map(|d| d.message.clone())
        .collect()
}

fn routes(lines: &str) -> (Vec<Route>, Vec<String>) {
    let l = instance(&format!("virtual_routes {{\n{lines}\n}}"));
    let m = messages(&l);
    let c = l.config.expect("loads");
    (c.instances[0].virtual_routes.clone(), m)
}

fn rules(lines: &str) -> (Vec<Rule>, Vec<String>) {
    let l = instance(&format!("virtual_rules {{\n{lines}\n}}"));
    let m = messages(&l);
    let c = l.config.expect("loads");
    (c.instances[0].virtual_rules.clone(), m)
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

#[test]
fn a_tracked_route_gets_keepalived_protocol() {
    let (r, m) =
        routes("src 198.51.100.50 to 203.0.113.0/24 via 198.51.100.1 dev eth0 table 100 metric 5");
    assert!(m.is_empty(), "{m:?}");
    let r = &r[0];
    assert_eq!(r.dst, p("203.0.113.0/24"));
    assert_eq!(r.pref_src, Some(ip("198.51.100.50")));
    assert_eq!(r.via, Some(ip("198.51.100.1")));
    assert_eq!(r.dev.as_deref(), Some("eth0"));
    assert_eq!((r.table, r.metric), (100, Some(5)));
    assert_eq!(r.protocol, Some(RTPROT_KEEPALIVED));
    assert!(!r.no_track);
    assert_eq!(r.op, RouteOp::Prepend);
}

#[test]
fn a_route_without_dev_is_not_tracked() {
    let (r, m) = routes("blackhole 203.0.113.0/24");
    assert_eq!(
        m,
        ["Warning - cannot track route 203.0.113.0/24 with no interface specified, not tracking"]
    );
    assert!(r[0].no_track);
    assert_eq!((r[0].kind, r[0].kind_set), (6, true));
    let (r, m) = routes("203.0.113.0/24 dev eth0 no_track protocol static");
    assert!(m.is_empty(), "{m:?}");
    assert_eq!(r[0].protocol, Some(4), "no_track keeps the protocol");
    let (r, m) = routes("203.0.113.0/24 dev eth0 protocol static");
    assert_eq!(
        m,
        ["Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol"]
    );
    assert_eq!(r[0].protocol, Some(18));
}

#[test]
fn keepalived_route_quirks() {
    // `inet6` steps over the next word, so `default` is lost.
    let (r, m) = routes("inet6 default via 2001:db8::1 dev eth0");
    assert!(r.is_empty());
    assert!(
        m.contains(&"Route must have a destination".to_string()),
        "{m:?}"
    );
    // `default` after the family is known.
    let (r, m) = routes("src 198.51.100.50 default via 198.51.100.1 dev eth0");
    assert!(r.is_empty());
    assert_eq!(
        m,
        ["Cannot mix IPv4 and IPv6 addresses for route (default)"]
    );
    // The type goes first, without `to`.
    let (r, m) = routes("to blackhole 203.0.113.0/24\nblackhole to 203.0.113.0/24");
    assert!(r.is_empty());
    assert_eq!(
        m,
        [
            "VRRP parsed invalid IP blackhole. skipping IP...",
            "unknown route keyword blackhole",
            "VRRP parsed invalid IP to. skipping IP...",
            "unknown route keyword to"
        ]
    );
    // `default` first is fine and takes the family of what follows.
    let (r, m) = routes("default via 2001:db8::1 dev eth0");
    assert!(m.is_empty(), "{m:?}");
    assert_eq!(r[0].dst, p("::/0"));
}

#[test]
fn deprecated_gw_and_or() {
    let (r, m) = routes("203.0.113.0/24 gw 198.51.100.1 or 198.51.100.2 dev eth0");
    assert_eq!(
        m,
        [
            "\"gw\" for routes is deprecated. Please use \"via\"",
            "\"or\" for routes is deprecated. Please use \"nexthop\""
        ]
    );
    assert_eq!(r[0].via, None);
    assert_eq!(
        r[0].nexthops,
        [
            NextHop {
                via: Some(ip("198.51.100.1")),
                ..NextHop::default()
            },
            NextHop {
                via: Some(ip("198.51.100.2")),
                ..NextHop::default()
            }
        ]
    );
}

#[test]
fn nexthops_metrics_and_options() {
    let (r, m) = routes(
        "203.0.113.0/24 dev eth0 mtu lock 1400 advmss 1360 rtt 1.5s rto_min 300ms initcwnd 10 \
         congctl lock cubic features ecn quickack 1 onlink append \
         nexthop via 198.51.100.1 dev eth0 weight 2 nexthop via 198.51.100.2 onlink",
    );
    assert!(m.is_empty(), "{m:?}");
    let r = &r[0];
    let x = &r.metrics;
    assert_eq!(
        (x.mtu, x.advmss, x.initcwnd, x.quickack),
        (Some(1400), Some(1360), Some(10), Some(1))
    );
    assert_eq!(x.rtt, Some(12000), "1.5 s in 1/8 ms");
    assert_eq!(x.rto_min, Some(300));
    assert_eq!(x.congctl.as_deref(), Some("cubic"));
    assert!(x.features_ecn);
    assert_eq!(x.lock, (1 << 2) | (1 << 16));
    assert!(r.onlink);
    assert_eq!(r.op, RouteOp::Append);
    assert_eq!(r.nexthops.len(), 2);
    assert_eq!(r.nexthops[0].weight, Some(2));
    assert!(r.nexthops[1].onlink);
}

#[test]
fn route_value_errors() {
    let (r, m) = routes(
        "203.0.113.0/24 dev eth0 metric x\n203.0.113.0/24 dev eth0 table nosuch\n203.0.113.0/33 dev eth0\n203.0.113.0/24 dev eth0 rtt 50ms",
    );
    assert_eq!(
        m,
        [
            "invalid number 'x'",
            "Invalid metric x specified for route",
            "Routing table nosuch not found for route",
            "number '33' outside range [0, 32]",
            "Invalid address prefix len 33 for address 203.0.113.0/33 - using 32",
        ]
    );
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].dst, p("203.0.113.0/32"), "a bad length falls back");
    assert_eq!(r[1].metrics.rtt, Some(1600));
}

#[test]
fn encapsulations() {
    let (r, m) = routes(
        "203.0.113.0/24 dev eth0 encap mpls 100/200\n203.0.113.0/24 dev eth0 encap ip id 7 dst 198.51.100.9 ttl 3\n203.0.113.0/24 dev eth0 encap ip6 tc bad",
    );
    // A bad encapsulation leaves keepalived on the failing keyword, read again as a
    // destination: the route is lost.
    assert_eq!(
        m,
        [
            "tc value tc is invalid for ip6 encapsulation",
            "VRRP parsed invalid IP tc. skipping IP...",
            "unknown route keyword tc"
        ]
    );
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].encap, Some(Encap::Mpls(vec![100, 200])));
    assert_eq!(
        r[1].encap,
        Some(Encap::Ip(IpEncap {
            id: Some(7),
            dst: Some(ip("198.51.100.9")),
            ttl: Some(3),
            ..IpEncap::default()
        }))
    );
}

#[test]
fn a_missing_value_is_fatal() {
    let l = instance("virtual_routes {\n203.0.113.0/24 via\n}");
    assert_eq!(l.test_exit_code(), 2);
    assert!(messages(&l)[0].contains("missing a parameter after keyword `via` at word position 3"));
}

#[test]
fn rules_and_their_preferences() {
    let (r, m) = rules(
        "from 198.51.100.0/24 table 100 priority 100\nto 203.0.113.0/24 lookup main\nnot fwmark 0x10/0xff blackhole preference 0x20 no_track\niif eth0 goto 200 pref 10",
    );
    assert_eq!(
        m,
        [
            "Rule has no preference specified - setting to 16384. This is probably not what you want.",
            "Unknown rule option pref"
        ]
    );
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].from, Some(p("198.51.100.0/24")));
    assert_eq!((r[0].action, r[0].priority), (RuleAction::Table(100), 100));
    assert_eq!(r[0].protocol, Some(RTPROT_KEEPALIVED));
    assert_eq!(
        (r[1].action, r[1].priority),
        (RuleAction::Table(254), 16384)
    );
    assert!(r[2].invert && r[2].no_track);
    assert_eq!((r[2].fwmark, r[2].fwmask), (Some(16), Some(255)));
    assert_eq!(
        (r[2].action, r[2].priority, r[2].protocol),
        (RuleAction::Blackhole, 32, None)
    );
}

#[test]
fn rule_quirks() {
    let (r, m) = rules(
        "inet6 from 2001:db8::/64 table 100 priority 10\nfrom 198.51.100.0/24 sport 80 table 100 priority 11\niif eth0 goto 5 priority 10\nfrom all table 100 priority 12\ntable 0",
    );
    assert_eq!(
        m,
        [
            "Unknown rule option 2001:db8::/64",
            "invalid sport range 80",
            "Invalid rule - preference 10 >= goto target 5",
            "Table 0 is not valid"
        ]
    );
    assert_eq!(r.len(), 2, "a refused port range keeps the rule");
    assert_eq!(r[0].sport, None);
    assert_eq!(r[1].from, Some(p("0.0.0.0/0")));
    // Automatic preferences count down per family across instances.
    let l = load(
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 1\nvirtual_ipaddress {\n198.51.100.50\n}\nvirtual_rules {\nfrom 198.51.100.0/24 table 10\n}\n}\nvrrp_instance B {\ninterface eth0\nvirtual_router_id 2\nvirtual_ipaddress {\n198.51.100.51\n}\nvirtual_rules {\nfrom 198.51.100.0/24 table 11\nto 2001:db8::/64 table 11\n}\n}\n",
    );
    let c = l.config.unwrap();
    let prios: Vec<u32> = c
        .instances
        .iter()
        .flat_map(|i| i.virtual_rules.iter().map(|r| r.priority))
        .collect();
    assert_eq!(prios, [16384, 16383, 16384]);
}

#[test]
fn evips_and_the_ip_address_grammar() {
    let l = instance(
        "virtual_ipaddress_excluded {\n2001:db8::5/64 dev eth1\n203.0.113.9/24 brd + label eth0:e1\n203.0.113.10 brd\n2001:db8::6 brd +\n203.0.113.11 scope bogus no_track\n}",
    );
    let c = l.config.as_ref().unwrap();
    let e = &c.instances[0].vips_excluded;
    assert_eq!(
        messages(&l),
        [
            "No brd parameter specified for 203.0.113.10",
            "VRRP is trying to assign a broadcast brd to the IPv6 address 2001:db8::6 !!?? WTF... skipping VIP...",
            "Invalid scope 'bogus' specified for 203.0.113.11 - ignoring"
        ]
    );
    assert_eq!(e.len(), 3, "eVIPs may mix families");
    assert_eq!(e[1].brd, Some("203.0.113.255".parse().unwrap()));
    assert!(e[2].no_track);
    // Interfaces of eVIPs are tracked, but not the instance's own one.
    assert_eq!(c.instances[0].implicit_interfaces, ["eth1"]);
}

#[test]
fn implicit_tracking_of_routes_and_rules() {
    let l = load(
        "vrrp_instance VI {\ninterface eth0\nvirtual_router_id 51\ndont_track_primary\ntrack_interface {\neth2 weight 10\n}\nvirtual_ipaddress {\n198.51.100.50\n}\nvirtual_routes {\n203.0.113.0/24 dev eth0\n}\nvirtual_rules {\niif eth2 table 5 priority 1\noif eth3 table 5 priority 2 no_track\n}\n}\n",
    );
    let i = &l.config.as_ref().unwrap().instances[0];
    assert_eq!(i.implicit_interfaces, ["eth0", "eth2"]);
    assert_eq!(
        i.track_interfaces[0].weight, 0,
        "keepalived drops the weight"
    );
}

#[test]
fn static_blocks_and_default_interface() {
    let l = load(
        "track_group G {\ngroup {\nVI\n}\n}\nglobal_defs {\ndefault_interface eth1\n}\nstatic_ipaddress {\n203.0.113.1/24\n203.0.113.2/24 dev eth2 track_group G\n}\nstatic_routes {\n198.18.0.0/15 via 203.0.113.254 dev eth1 track_group nope\n}\nstatic_rules {\nfrom 198.18.0.0/15 table 7 priority 7\n}\n",
    );
    let c = l.config.as_ref().unwrap();
    assert_eq!(c.static_addresses[0].dev.as_deref(), Some("eth1"));
    assert_eq!(c.static_addresses[1].dev.as_deref(), Some("eth2"));
    assert_eq!(c.static_routes.len(), 1);
    assert_eq!(c.static_routes[0].track_group, None);
    assert_eq!(c.static_rules[0].action, RuleAction::Table(7));
    let m = messages(&l);
    assert!(
        m.contains(&"track_group nope not found".to_string()),
        "{m:?}"
    );
}

#[test]
fn no_virtual_ipaddress_allows_an_empty_v3_instance() {
    let l = load(
        "vrrp_instance VI {\ninterface eth0\nvirtual_router_id 51\nversion 3\nno_virtual_ipaddress\n}\n",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", messages(&l));
    assert!(!l.is_fatal());
    let l = load("vrrp_instance VI {\ninterface eth0\nvirtual_router_id 51\nversion 3\n}\n");
    assert!(l.is_fatal());
}

#[test]
fn too_many_vips_become_evips() {
    let vips: String = (0..100)
        .map(|i| format!("2001:db8::{:x}\n", i + 1))
        .collect();
    let l = instance("").config.unwrap();
    assert!(l.instances[0].vips_excluded.is_empty());
    let l = load(&format!(
        "vrrp_instance VI {{\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {{\n{vips}}}\n}}\n"
    ));
    let m = messages(&l);
    let c = l.config.unwrap();
    assert_eq!(c.instances[0].vips.len(), 89);
    assert_eq!(c.instances[0].vips_excluded.len(), 11);
    assert!(m.iter().any(|x| x == "(VI) Number of VIPs (100) exceeds maximum/space available in packet (max 89 addresses) - excess moved to eVIPs"), "{m:?}");
}

#[test]
fn track_src_ip_needs_a_configured_source() {
    let l = instance("track_src_ip");
    assert!(!l.config.unwrap().instances[0].track_src_ip);
    let l = instance("track_src_ip\nunicast_src_ip 198.51.100.2\nunicast_peer {\n198.51.100.3\n}");
    assert!(l.config.unwrap().instances[0].track_src_ip);
}
