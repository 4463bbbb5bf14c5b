//! Namespace tests of the socket side of the knobs: `unicast_ttl` as the IPv6 hop limit of one
//! datagram, and a configured IPv6 group (`vrrp_mcast_group6`) joined and heard.

use std::net::Ipv6Addr;
use std::time::Duration;

use tokio::time::timeout;

use super::testns::{Netns, on_fresh_thread};
use super::*;

const PATIENCE: Duration = Duration::from_secs(5);

#[test]
fn ipv6_hop_limit_per_datagram_and_a_configured_group() {
    if !std::path::Path::new("/proc/sys/net/ipv6").exists() {
        eprintln!("skipped: the kernel has no IPv6");
        return;
    }
    let Some(a) = Netns::create("knoba") else {
        return;
    };
    let Some(b) = Netns::create("knobb") else {
        return;
    };
    a.veth("vA", &b, "vB");
    a.ip(&["addr", "add", "2001:db8::1/64", "dev", "vA", "nodad"]);
    b.ip(&["addr", "add", "2001:db8::2/64", "dev", "vB", "nodad"]);
    a.ip(&["link", "set", "vA", "up"]);
    b.ip(&["link", "set", "vB", "up"]);
    let (a6, b6): (Ipv6Addr, Ipv6Addr) = (
        "2001:db8::1".parse().unwrap(),
        "2001:db8::2".parse().unwrap(),
    );
    let group: Ipv6Addr = "ff02::1:12".parse().unwrap();
    on_fresh_thread(move |rt| {
        rt.block_on(async {
            a.enter();
            let ia = interface(&connect().unwrap(), "vA").await.unwrap();
            let sa = VrrpSocket6::open("vA", ia.index, group).unwrap();
            b.enter();
            let ib = interface(&connect().unwrap(), "vB").await.unwrap();
            let sb_group = VrrpSocket6::open("vB", ib.index, group).unwrap();
            let sb = VrrpSocket6::open("vB", ib.index, b6).unwrap();
            let mut advert = vec![0x31, 61, 200, 1, 0x00, 0x64, 0, 0];
            advert.extend_from_slice(&"2001:db8::50".parse::<Ipv6Addr>().unwrap().octets());
            let mut buf = [0u8; 2048];

            // unicast_ttl 7: that hop limit on the wire.
            sa.send_with_hop_limit(&advert, Some(a6), b6, Some(7))
                .unwrap();
            let r = timeout(PATIENCE, sb.recv(&mut buf))
                .await
                .expect("unicast advert")
                .unwrap();
            assert_eq!((r.src, r.dst, r.hop_limit), (a6, b6, 7));
            // No unicast_ttl: the kernel's unicast default, not 255.
            sa.send_with_hop_limit(&advert, Some(a6), b6, None).unwrap();
            let r = timeout(PATIENCE, sb.recv(&mut buf))
                .await
                .expect("unicast advert")
                .unwrap();
            assert_ne!(r.hop_limit, 7);

            // A group other than ff02::12 is joined: its adverts arrive, hop limit 255.
            sa.send(&advert, Some(a6), group).unwrap();
            let r = timeout(PATIENCE, sb_group.recv(&mut buf))
                .await
                .expect("advert to the configured group")
                .unwrap();
            assert_eq!((r.dst, r.hop_limit), (group, 255));
        })
    });
}
