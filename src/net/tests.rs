//! Network-namespace tests of the whole module: real sockets and netlink over veth pairs.
//! Each skips when namespaces are unavailable (see `testns`), and every wait is bounded.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use tokio::time::timeout;

use super::testns::{Netns, on_fresh_thread};
use super::*;
use crate::model::VirtualAddr;

const A_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const B_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// Generous bound for anything to cross a veth; only a failing test ever waits this long.
const PATIENCE: Duration = Duration::from_secs(5);

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A VRRPv2 advert for VRID `vrid` inside a full IPv4 datagram, checksums filled, as keepalived
/// builds it (TOS 0xc0, TTL 255, no DF): this module only carries bytes, so any valid datagram
/// would do, but a realistic one makes the test meaningful.
fn advert_datagram(src: Ipv4Addr, dst: Ipv4Addr, vrid: u8, ident: u16) -> Vec<u8> {
    advert_with_priority(src, dst, vrid, 100, ident)
}

/// [`advert_datagram`] with a chosen priority: one VIP 198.51.100.50, no auth, 1 s interval.
fn advert_with_priority(src: Ipv4Addr, dst: Ipv4Addr, vrid: u8, prio: u8, ident: u16) -> Vec<u8> {
    let mut vrrp = vec![0x21, vrid, prio, 1, 0, 1, 0, 0, 198, 51, 100, 50];
    vrrp.extend_from_slice(&[0; 8]);
    let c = checksum(&vrrp);
    vrrp[6..8].copy_from_slice(&c.to_be_bytes());
    let total = (20 + vrrp.len()) as u16;
    let mut ip = vec![0x45, 0xc0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&ident.to_be_bytes());
    ip.extend_from_slice(&[0, 0, 255, 112, 0, 0]);
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let c = checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&vrrp);
    ip
}

/// Two hosts joined by a veth pair `vA` (198.51.100.1/24) — `vB` (198.51.100.2/24), both up.
fn two_hosts(tag: &str) -> Option<(Netns, Netns)> {
    let a = Netns::create(&format!("{tag}a"))?;
    let b = Netns::create(&format!("{tag}b"))?;
    a.veth("vA", &b, "vB");
    a.ip(&["addr", "add", "198.51.100.1/24", "dev", "vA"]);
    b.ip(&["addr", "add", "198.51.100.2/24", "dev", "vB"]);
    a.ip(&["link", "set", "vA", "up"]);
    b.ip(&["link", "set", "vB", "up"]);
    Some((a, b))
}

#[test]
fn adverts_cross_a_veth_by_multicast_and_unicast() {
    let Some((a, b)) = two_hosts("adv") else {
        return;
    };
    on_fresh_thread(move |rt| {
        rt.block_on(async {
            a.enter();
            let ha = connect().unwrap();
            let ia = interface(&ha, "vA").await.unwrap();
            assert_eq!(ia.primary_v4, Some(A_IP));
            let sa = VrrpSocket::open("vA", ia.index, GROUP, true).unwrap();
            b.enter();
            let hb = connect().unwrap();
            let ib = interface(&hb, "vB").await.unwrap();
            let sb = VrrpSocket::open("vB", ib.index, GROUP, true).unwrap();
            // A unicast-mode socket on the same interface: it joins nothing, and with
            // IP_MULTICAST_ALL off it must not inherit the group `sb` joined.
            let sb_unicast = VrrpSocket::open("vB", ib.index, GROUP, false).unwrap();
            assert_eq!((sb.ifname(), sb.ifindex()), ("vB", ib.index));

            let mut buf = [0u8; 2048];
            let mcast = advert_datagram(A_IP, GROUP, 51, 1);
            sa.send(&mcast, GROUP).unwrap();
            let n = timeout(PATIENCE, sb.recv(&mut buf))
                .await
                .expect("multicast advert reaches B")
                .unwrap();
            assert_eq!(&buf[..n], &mcast[..], "datagram arrives byte for byte");
            assert_eq!(buf[8], 255, "TTL 255 kept (header included)");
            assert_eq!(buf[1], 0xc0, "TOS kept");

            let ucast = advert_datagram(A_IP, B_IP, 51, 2);
            sa.send(&ucast, B_IP).unwrap();
            let n = timeout(PATIENCE, sb_unicast.recv(&mut buf))
                .await
                .expect("unicast advert reaches the unicast-mode socket")
                .unwrap();
            assert_eq!(
                &buf[..n],
                &ucast[..],
                "the unicast-mode socket skips the multicast sent before"
            );
            // The multicast-mode socket is bound to the group: it skips the unicast advert and
            // gets the next multicast one.
            let mcast2 = advert_datagram(A_IP, GROUP, 51, 3);
            sa.send(&mcast2, GROUP).unwrap();
            let n = timeout(PATIENCE, sb.recv(&mut buf))
                .await
                .expect("second multicast advert reaches B")
                .unwrap();
            assert_eq!(
                &buf[..n],
                &mcast2[..],
                "a multicast instance never sees unicast adverts"
            );

            // With IP_MULTICAST_LOOP off A never hears its own multicast: the first datagram
            // A's receive socket gets is B's advert, not a copy of those A sent earlier.
            let reply = advert_datagram(B_IP, GROUP, 52, 1);
            sb.send(&reply, GROUP).unwrap();
            let n = timeout(PATIENCE, sa.recv(&mut buf))
                .await
                .expect("B's multicast advert reaches A")
                .unwrap();
            assert_eq!(
                &buf[..n],
                &reply[..],
                "A must not receive its own multicast"
            );

            assert!(matches!(
                sa.send(&mcast[..10], GROUP),
                Err(Error::BadDatagram { len: 10, .. })
            ));
        })
    });
}

/// keepalived binds a unicast receive socket to its source: an address the host does not
/// have fails with EADDRNOTAVAIL (the instance goes to FAULT), one it has binds, link-local
/// ones with the interface as scope. The sockets say what they are bound to.
#[test]
fn unicast_source_probe_and_socket_keys() {
    let Some((a, _b)) = two_hosts("src") else {
        return;
    };
    on_fresh_thread(move |rt| {
        rt.block_on(async {
            a.enter();
            a.ip(&["addr", "add", "fe80::1:1/64", "dev", "vA", "nodad"]);
            let h = connect().unwrap();
            let i = interface(&h, "vA").await.unwrap();
            let ip = |s: &str| s.parse::<IpAddr>().unwrap();
            probe_unicast_source(A_IP.into(), i.index).expect("own address binds");
            probe_unicast_source(ip("fe80::1:1"), i.index).expect("own link-local binds");
            for absent in ["198.51.100.99", "fe80::99", "2001:db8::99"] {
                let e = probe_unicast_source(ip(absent), i.index).unwrap_err();
                assert_eq!(e.raw_os_error(), Some(libc::EADDRNOTAVAIL), "{absent}");
            }
            let m = VrrpSocket::open("vA", i.index, GROUP, true).unwrap();
            let u = VrrpSocket::open("vA", i.index, GROUP, false).unwrap();
            assert_eq!((m.group(), u.group()), (Some(GROUP), None));
            let g6: Ipv6Addr = "ff02::12".parse().unwrap();
            let s6 = VrrpSocket6::open("vA", i.index, g6).unwrap();
            assert_eq!(s6.local(), g6);
        })
    });
}

#[test]
fn vip_add_delete_and_presence() {
    let Some(a) = Netns::create("vip") else {
        return;
    };
    a.veth("vA", &a, "vA2");
    a.ip(&["link", "set", "vA", "up"]);
    on_fresh_thread(move |rt| {
        let show = || a.ip(&["-4", "addr", "show", "dev", "vA"]);
        rt.block_on(async {
            a.enter();
            let h = connect().unwrap();
            let idx = interface(&h, "vA").await.unwrap().index;
            let host = VirtualAddr {
                addr: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 50)),
                prefix_len: 32,
                brd: None,
                dev: None,
                scope: 0,
                label: Some("vA:vip".into()),
                no_track: false,
            };
            let net = VirtualAddr {
                addr: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 60)),
                prefix_len: 24,
                brd: Some(Ipv4Addr::new(198, 51, 100, 255)),
                dev: None,
                scope: 253,
                label: None,
                no_track: false,
            };
            assert!(!has_address(&h, idx, host.addr).await.unwrap());
            add_address(&h, idx, &host).await.unwrap();
            add_address(&h, idx, &net).await.unwrap();
            let out = show();
            assert!(
                out.contains("inet 198.51.100.50/32 scope global vA:vip"),
                "bare VIP is a /32 with its label:\n{out}"
            );
            assert!(
                out.contains("inet 198.51.100.60/24 brd 198.51.100.255 scope link vA"),
                "brd and scope honoured:\n{out}"
            );
            assert!(has_address(&h, idx, host.addr).await.unwrap());
            assert!(matches!(
                add_address(&h, idx, &host).await,
                Err(Error::AddressExists { .. })
            ));

            del_address(&h, idx, &host).await.unwrap();
            del_address(&h, idx, &net).await.unwrap();
            let out = show();
            assert!(
                !out.contains("198.51.100.50") && !out.contains("198.51.100.60"),
                "{out}"
            );
            assert!(!has_address(&h, idx, host.addr).await.unwrap());
            assert!(matches!(
                del_address(&h, idx, &host).await,
                Err(Error::AddressNotPresent { .. })
            ));
            assert!(matches!(
                interface(&h, "nosuch0").await,
                Err(Error::NoSuchInterface(_))
            ));

            // IPv6: a /128 VIP is added deprecated (never a source address) and without DAD.
            let v6 = VirtualAddr {
                addr: "2001:db8::50".parse().unwrap(),
                prefix_len: 128,
                brd: None,
                dev: None,
                scope: 0,
                label: None,
                no_track: false,
            };
            add_address(&h, idx, &v6).await.unwrap();
            let out = a.ip(&["-6", "addr", "show", "dev", "vA"]);
            let line = out
                .lines()
                .find(|l| l.contains("inet6 2001:db8::50/128"))
                .unwrap_or_else(|| panic!("IPv6 VIP missing:\n{out}"));
            assert!(
                line.contains("nodad") && line.contains("deprecated"),
                "{out}"
            );
            assert!(out.contains("preferred_lft 0sec"), "{out}");
            assert!(has_address(&h, idx, v6.addr).await.unwrap());
            del_address(&h, idx, &v6).await.unwrap();
            assert!(!has_address(&h, idx, v6.addr).await.unwrap());
            assert!(matches!(
                del_address(&h, idx, &v6).await,
                Err(Error::AddressNotPresent { .. })
            ));
        })
    });
}

#[test]
fn vip_lifetime_is_set_renewed_cleared_and_enforced_by_the_kernel() {
    let Some(a) = Netns::create("vlft") else {
        return;
    };
    a.veth("vL", &a, "vL2");
    a.ip(&["link", "set", "vL", "up"]);
    on_fresh_thread(move |rt| {
        let line = |fam: &str, addr: &str| {
            let out = a.ip(&[fam, "addr", "show", "dev", "vL"]);
            // `ip` prints the lifetimes on the line after the address.
            let mut it = out.lines();
            it.find(|l| l.contains(addr))?;
            it.next().map(str::to_string)
        };
        rt.block_on(async {
            a.enter();
            let h = connect().unwrap();
            let idx = interface(&h, "vL").await.unwrap().index;
            let v4 = VirtualAddr {
                addr: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 70)),
                prefix_len: 32,
                brd: None,
                dev: None,
                scope: 0,
                label: None,
                no_track: false,
            };
            let v6 = VirtualAddr {
                addr: "2001:db8::70".parse().unwrap(),
                prefix_len: 128,
                ..v4.clone()
            };
            // Added with a lifetime; replaced (renewed) while present; forever again.
            replace_address(&h, idx, &v4, Some(600)).await.unwrap();
            replace_address(&h, idx, &v6, Some(600)).await.unwrap();
            let l = line("-4", "198.51.100.70/32").expect("IPv4 VIP added");
            assert!(
                l.contains("valid_lft 600sec preferred_lft 600sec")
                    || l.contains("valid_lft 599sec"),
                "{l}"
            );
            let l = line("-6", "2001:db8::70/128").expect("IPv6 VIP added");
            assert!(
                l.contains("preferred_lft 0sec") && !l.contains("forever"),
                "{l}"
            );
            replace_address(&h, idx, &v4, Some(900)).await.unwrap();
            let l = line("-4", "198.51.100.70/32").unwrap();
            assert!(
                l.contains("valid_lft 900sec") || l.contains("valid_lft 899sec"),
                "renewed: {l}"
            );
            replace_address(&h, idx, &v4, None).await.unwrap();
            let l = line("-4", "198.51.100.70/32").unwrap();
            assert!(l.contains("valid_lft forever preferred_lft forever"), "{l}");
            replace_address(&h, idx, &v6, None).await.unwrap();
            let l = line("-6", "2001:db8::70/128").unwrap();
            assert!(
                l.contains("valid_lft forever") && l.contains("preferred_lft 0sec"),
                "{l}"
            );
            // Left alone, a VIP with a 1 s lifetime is removed by the kernel (polled, at most 6 s).
            replace_address(&h, idx, &v4, Some(1)).await.unwrap();
            replace_address(&h, idx, &v6, Some(1)).await.unwrap();
            let mut gone = false;
            for _ in 0..60 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                if !has_address(&h, idx, v4.addr).await.unwrap()
                    && !has_address(&h, idx, v6.addr).await.unwrap()
                {
                    gone = true;
                    break;
                }
            }
            assert!(gone, "expired VIPs still present");
        })
    });
}

/// An `AF_PACKET` socket receiving frames of `ethertype` arriving on `ifindex`.
fn sniffer(ifindex: u32, ethertype: u16) -> Socket {
    let s = Socket::new(
        Domain::PACKET,
        Type::RAW,
        Some(i32::from(ethertype.to_be()).into()),
    )
    .unwrap();
    s.bind(&garp::link_addr(ifindex, ethertype, [0; 6]))
        .unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s
}

/// Whether `expected` is among the next frames on `sniffer` (other traffic of the same
/// EtherType — IPv6 autoconfiguration, MLD — may share the wire; at most 50 are examined).
fn sees_frame(sniffer: &Socket, expected: &[u8]) -> bool {
    let mut frame = [0u8; 2048];
    (0..50).any(|_| {
        let n = (&mut &*sniffer)
            .read(&mut frame)
            .expect("a frame within the timeout");
        n >= expected.len() && frame[..expected.len()] == *expected
    })
}

#[test]
fn garp_and_na_are_seen_on_the_peer() {
    let Some((a, b)) = two_hosts("garp") else {
        return;
    };
    on_fresh_thread(move |rt| {
        rt.block_on(async {
            a.enter();
            let ia = interface(&connect().unwrap(), "vA").await.unwrap();
            assert_ne!(ia.mac, [0; 6], "veth has a MAC");
            let sender = GarpSender::open(ia.index, ia.mac).unwrap();
            assert!(!ipv6_forwarding("vA"), "a fresh namespace does not forward");
            b.enter();
            let ib = interface(&connect().unwrap(), "vB").await.unwrap();
            let arp = sniffer(ib.index, 0x0806);
            let ipv6 = sniffer(ib.index, 0x86dd);

            let vip = Ipv4Addr::new(198, 51, 100, 50);
            sender.send(vip).unwrap();
            assert!(
                sees_frame(&arp, &garp_frame(ia.mac, vip)),
                "the gratuitous ARP arrives unchanged on vB"
            );
            let vip6: Ipv6Addr = "2001:db8::50".parse().unwrap();
            sender.send_na(vip6, false).unwrap();
            assert!(
                sees_frame(&ipv6, &na_frame(ia.mac, vip6, false)),
                "the unsolicited NA arrives unchanged on vB"
            );
        })
    });
}

#[test]
fn monitor_reports_link_down_then_up_and_addresses() {
    let Some((a, b)) = two_hosts("mon") else {
        return;
    };
    on_fresh_thread(move |rt| {
        rt.block_on(async {
            a.enter();
            let h = connect().unwrap();
            let mut events = monitor(Default::default()).unwrap();
            let ia = interface(&h, "vA").await.unwrap();
            assert!(ia.up);

            // The peer going down takes vA's carrier away: IFF_RUNNING drops, IFF_UP stays.
            b.ip(&["link", "set", "vB", "down"]);
            wait_link(&mut events, "vA", false).await;
            assert!(!interface(&h, "vA").await.unwrap().up);
            b.ip(&["link", "set", "vB", "up"]);
            wait_link(&mut events, "vA", true).await;
            assert!(interface(&h, "vA").await.unwrap().up);

            a.ip(&["addr", "add", "198.51.100.77/32", "dev", "vA"]);
            a.ip(&["addr", "del", "198.51.100.77/32", "dev", "vA"]);
            let want = |added| {
                NetEvent::Addr(AddrEvent {
                    index: ia.index,
                    addr: "198.51.100.77".parse().unwrap(),
                    prefix_len: 32,
                    added,
                })
            };
            wait_for(&mut events, &want(true)).await;
            wait_for(&mut events, &want(false)).await;
        })
    });
}

async fn wait_link(events: &mut tokio::sync::mpsc::Receiver<NetEvent>, name: &str, up: bool) {
    let want = |ev: &NetEvent| matches!(ev, NetEvent::Link(l) if l.name == name && l.up == up);
    for _ in 0..100 {
        let ev = timeout(PATIENCE, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no link event for {name} up={up}"))
            .expect("monitor alive");
        if want(&ev) {
            return;
        }
    }
    panic!("link event for {name} up={up} not among 100 events");
}

async fn wait_for(events: &mut tokio::sync::mpsc::Receiver<NetEvent>, want: &NetEvent) {
    for _ in 0..100 {
        let ev = timeout(PATIENCE, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no {want:?}"))
            .expect("monitor alive");
        if &ev == want {
            return;
        }
    }
    panic!("{want:?} not among 100 events");
}

/// A real keepalived started by a test inside a namespace; stopped (SIGTERM, then SIGKILL after
/// a bounded wait) and its files removed on drop.
struct RealKeepalived {
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl RealKeepalived {
    const BIN: &str = "/usr/sbin/keepalived";

    fn start(ns: &Netns, config: &str) -> RealKeepalived {
        let dir = std::env::temp_dir().join(format!("{}-ka", ns.name()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("keepalived.conf");
        std::fs::write(&conf, config).unwrap();
        let log = std::fs::File::create(dir.join("log")).unwrap();
        let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
        let child = std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                ns.name(),
                Self::BIN,
                "-n",
                "-l",
                "-D",
                "-P",
            ])
            .args(["-f", &p("keepalived.conf"), "-p", &p("ka.pid")])
            .args(["-r", &p("vrrp.pid"), "-c", &p("checkers.pid")])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start keepalived");
        RealKeepalived { child, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for RealKeepalived {
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        // `ip netns exec` execs keepalived in place, so the child pid is keepalived's parent
        // process, which stops its VRRP child on SIGTERM.
        let pid = Pid::from_raw(self.child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Interop at the socket level with keepalived 2.2.7: its adverts reach a `VrrpSocket`
/// unchanged (TTL 255, group 224.0.0.18), and adverts sent through a `VrrpSocket` are accepted
/// by it (a higher priority makes the real MASTER step down and remove its VIP).
#[test]
fn real_keepalived_hears_and_is_heard() {
    if !std::path::Path::new(RealKeepalived::BIN).exists() {
        eprintln!("skipped: {} not installed", RealKeepalived::BIN);
        return;
    }
    let Some((a, b)) = two_hosts("ka") else {
        return;
    };
    let config = "global_defs {\n  router_id ka_net_test\n}\n\
        vrrp_instance VI_1 {\n  state BACKUP\n  interface vB\n  virtual_router_id 51\n\
        priority 100\n  advert_int 1\n  virtual_ipaddress {\n    198.51.100.50\n  }\n}\n";
    let daemon = RealKeepalived::start(&b, config);
    on_fresh_thread(move |rt| {
        rt.block_on(async {
            a.enter();
            let ia = interface(&connect().unwrap(), "vA").await.unwrap();
            let sa = VrrpSocket::open("vA", ia.index, GROUP, true).unwrap();

            // keepalived becomes MASTER after its master-down interval (about 3.6 s) and then
            // advertises every second.
            let mut buf = [0u8; 2048];
            let n = timeout(Duration::from_secs(15), sa.recv(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("no advert from keepalived:\n{}", daemon.log()))
                .unwrap();
            let d = &buf[..n];
            assert_eq!(d[0], 0x45, "IPv4 header without options");
            assert_eq!((d[8], d[9]), (255, 112), "TTL 255, protocol 112");
            assert_eq!(d[12..16], B_IP.octets(), "source = vB's primary address");
            assert_eq!(d[16..20], GROUP.octets());
            assert_eq!(
                d[20..24],
                [0x21, 51, 100, 1],
                "v2 advert, VRID 51, prio 100, 1 VIP"
            );
            assert_eq!(d[28..32], [198, 51, 100, 50]);

            // Now outrank it: a valid advert with priority 200 every second. keepalived steps
            // down to BACKUP and removes the VIP (bounded: at most 10 adverts).
            let mut demoted = false;
            for ident in 1..=10u16 {
                let adv = advert_with_priority(A_IP, GROUP, 51, 200, ident);
                sa.send(&adv, GROUP).unwrap();
                tokio::time::sleep(Duration::from_secs(1)).await;
                // keepalived's own words for having accepted and compared our advert.
                let accepted = daemon
                    .log()
                    .contains("received advert from 198.51.100.1 with higher priority 200");
                if accepted
                    && !b
                        .ip(&["-4", "addr", "show", "dev", "vB"])
                        .contains("198.51.100.50")
                {
                    demoted = true;
                    break;
                }
            }
            assert!(
                demoted,
                "keepalived did not accept our adverts:\n{}",
                daemon.log()
            );
            drop(daemon);
        })
    });
}

/// One's complement checksum of a VRRPv3 message over the IPv6 pseudo-header (RFC 5798 §5.2.8);
/// 0 when the message's own checksum is right.
fn v3_ipv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut data = Vec::new();
    data.extend_from_slice(&src.octets());
    data.extend_from_slice(&dst.octets());
    data.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    data.extend_from_slice(&[0, 0, 0, 112]);
    data.extend_from_slice(msg);
    checksum(&data)
}

#[test]
fn ipv6_adverts_cross_a_veth_with_kernel_checksums() {
    if !std::path::Path::new("/proc/sys/net/ipv6").exists() {
        eprintln!("skipped: the kernel has no IPv6");
        return;
    }
    let Some((a, b)) = two_hosts("adv6") else {
        return;
    };
    a.ip(&["addr", "add", "2001:db8::1/64", "dev", "vA", "nodad"]);
    b.ip(&["addr", "add", "2001:db8::2/64", "dev", "vB", "nodad"]);
    let (a6, b6): (Ipv6Addr, Ipv6Addr) = (
        "2001:db8::1".parse().unwrap(),
        "2001:db8::2".parse().unwrap(),
    );
    let group: Ipv6Addr = "ff02::12".parse().unwrap();
    on_fresh_thread(move |rt| {
        rt.block_on(async {
            a.enter();
            let ia = interface(&connect().unwrap(), "vA").await.unwrap();
            let sa = VrrpSocket6::open("vA", ia.index, group).unwrap();
            b.enter();
            let ib = interface(&connect().unwrap(), "vB").await.unwrap();
            let sb = VrrpSocket6::open("vB", ib.index, group).unwrap();
            let sb_unicast = VrrpSocket6::open("vB", ib.index, b6).unwrap();

            // VRRPv3: VRID 60, priority 200, one VIP, 100 cs; checksum left 0 for the kernel.
            let mut advert = vec![0x31, 60, 200, 1, 0x00, 0x64, 0, 0];
            advert.extend_from_slice(&"2001:db8::50".parse::<Ipv6Addr>().unwrap().octets());
            let mut buf = [0u8; 2048];

            sa.send(&advert, Some(a6), group).unwrap();
            let r = timeout(PATIENCE, sb.recv(&mut buf))
                .await
                .expect("multicast v6 advert")
                .unwrap();
            assert_eq!(
                (r.src, r.dst, r.hop_limit, r.len),
                (a6, group, 255, advert.len())
            );
            assert_eq!(buf[..6], advert[..6]);
            assert_eq!(buf[8..r.len], advert[8..]);
            assert_eq!(
                v3_ipv6_checksum(a6, group, &buf[..r.len]),
                0,
                "kernel filled the checksum"
            );

            sa.send(&advert, Some(a6), b6).unwrap();
            let r = timeout(PATIENCE, sb_unicast.recv(&mut buf))
                .await
                .expect("unicast v6 advert")
                .unwrap();
            assert_eq!(
                (r.src, r.dst),
                (a6, b6),
                "the unicast socket skips the multicast one"
            );
            assert_eq!(v3_ipv6_checksum(a6, b6, &buf[..r.len]), 0);

            // The group-bound socket skipped the unicast advert; A never hears its own.
            advert[2] = 100;
            sb.send(&advert, Some(b6), group).unwrap();
            let r = timeout(PATIENCE, sa.recv(&mut buf))
                .await
                .expect("B's v6 advert")
                .unwrap();
            assert_eq!(
                (r.src, buf[2]),
                (b6, 100),
                "A must not receive its own multicast"
            );
            sa.send(&advert, Some(a6), group).unwrap();
            let r = timeout(PATIENCE, sb.recv(&mut buf))
                .await
                .expect("second v6 advert")
                .unwrap();
            assert_eq!(
                (r.dst, buf[2]),
                (group, 100),
                "no unicast on the multicast socket"
            );

            assert!(matches!(
                sa.send(&advert[..4], None, group),
                Err(Error::BadDatagram { len: 4, .. })
            ));
        })
    });
}

/// `vrrp_netlink_*_rcv_bufs`: the size asked for reaches the socket (the kernel doubles it),
/// and 0 leaves the kernel's default.
#[test]
fn netlink_receive_buffers_are_set_as_configured() {
    use std::os::fd::AsRawFd;
    let get = |fd| {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt(2) into an int.
        unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut v as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        v
    };
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let fd = sock.as_raw_fd();
    let before = get(fd);
    super::set_rcvbuf(
        fd,
        crate::model::RcvBuf {
            size: 0,
            force: false,
        },
    );
    assert_eq!(get(fd), before);
    super::set_rcvbuf(
        fd,
        crate::model::RcvBuf {
            size: 40_000,
            force: false,
        },
    );
    assert_eq!(get(fd), 80_000);
}
