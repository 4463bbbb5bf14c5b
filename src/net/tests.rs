//! Network-namespace tests of the whole module: real sockets and netlink over veth pairs.
//! Each skips when namespaces are unavailable (see `testns`), and every wait is bounded.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
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
    let mut vrrp = vec![0x21, vrid, 100, 1, 0, 1, 0, 0, 198, 51, 100, 50];
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
            let n = timeout(PATIENCE, sb.recv(&mut buf))
                .await
                .expect("unicast advert reaches B")
                .unwrap();
            assert_eq!(&buf[..n], &ucast[..]);
            let n = timeout(PATIENCE, sb_unicast.recv(&mut buf))
                .await
                .expect("unicast advert reaches the unicast-mode socket")
                .unwrap();
            assert_eq!(
                &buf[..n],
                &ucast[..],
                "the unicast-mode socket skips the multicast sent before"
            );

            // With IP_MULTICAST_LOOP off A never hears its own multicast: the first datagram
            // A's receive socket gets is B's reply, not the copy of its own advert sent earlier.
            let reply = advert_datagram(B_IP, A_IP, 52, 1);
            sb.send(&reply, A_IP).unwrap();
            let n = timeout(PATIENCE, sa.recv(&mut buf))
                .await
                .expect("unicast reply reaches A")
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
            };
            let net = VirtualAddr {
                addr: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 60)),
                prefix_len: 24,
                brd: Some(Ipv4Addr::new(198, 51, 100, 255)),
                dev: None,
                scope: 253,
                label: None,
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
            let vip6: std::net::Ipv6Addr = "2001:db8::50".parse().unwrap();
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
            let mut events = monitor().unwrap();
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
