//! The VMAC netlink messages byte by byte, the reuse/create decisions, and one namespace test
//! that makes a VMAC as keepalived does and checks what `ip` and `/proc` then say.

use super::*;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressHeaderFlags;
use rtnetlink::packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage};

const MAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x01, 51];

/// The bytes the kernel receives for `msg` as `RTM_NEWLINK` with `flags`.
fn wire(msg: LinkMessage, flags: u16) -> Vec<u8> {
    let mut m = NetlinkMessage::from(RouteNetlinkMessage::NewLink(msg));
    m.header.flags = flags;
    m.header.sequence_number = 7;
    m.finalize();
    let mut buf = vec![0u8; m.buffer_len()];
    m.serialize(&mut buf);
    buf
}

/// One netlink attribute: length, type, value, padding to 4 bytes.
fn nla(kind: u16, value: &[u8]) -> Vec<u8> {
    let len = 4 + value.len();
    let mut v = Vec::new();
    v.extend_from_slice(&(len as u16).to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(value);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

/// `struct nlmsghdr` + `struct ifinfomsg` for RTM_NEWLINK (16) on `index`.
fn header(total: usize, flags: u16, index: u32, ifi_flags: u32, change: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(total as u32).to_ne_bytes());
    v.extend_from_slice(&16u16.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&7u32.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]); // family AF_UNSPEC, pad, type 0
    v.extend_from_slice(&index.to_ne_bytes());
    v.extend_from_slice(&ifi_flags.to_ne_bytes());
    v.extend_from_slice(&change.to_ne_bytes());
    v
}

fn message(flags: u16, index: u32, ifi_flags: u32, change: u32, attrs: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = attrs.concat();
    let mut v = header(32 + body.len(), flags, index, ifi_flags, change);
    v.extend_from_slice(&body);
    v
}

/// Nests carry no `NLA_F_NESTED` flag, as in keepalived's messages (the kernel parses these
/// attributes as nests either way).
const NESTED: u16 = 0;

/// IFLA_LINKINFO (18) { IFLA_INFO_KIND (1) "macvlan", IFLA_INFO_DATA (2) { IFLA_MACVLAN_MODE
/// (1) = MACVLAN_MODE_PRIVATE (1) } }.
fn linkinfo_private() -> Vec<u8> {
    let data = nla(1, &1u32.to_ne_bytes());
    let info = [nla(1, b"macvlan\0"), nla(2 | NESTED, &data)].concat();
    nla(18 | NESTED, &info)
}

#[test]
fn create_message_bytes_in_keepalived_s_attribute_order() {
    let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    let got = wire(create_message("vrrp.51", 2, MAC).unwrap(), flags);
    let want = message(
        flags,
        0,
        0,
        0,
        &[
            linkinfo_private(),
            nla(5, &2u32.to_ne_bytes()), // IFLA_LINK
            nla(3, b"vrrp.51\0"),        // IFLA_IFNAME
            nla(1, &MAC),                // IFLA_ADDRESS
        ],
    );
    assert_eq!(got, want);
    assert!(matches!(
        create_message("a-name-too-long-x", 2, MAC),
        Err(Error::InvalidInterfaceName(_))
    ));
    assert!(matches!(
        create_message("vrrp.51", 0, MAC),
        Err(Error::InvalidInterfaceIndex(_))
    ));
}

#[test]
fn update_up_and_addr_gen_messages() {
    let flags = NLM_F_REQUEST | NLM_F_ACK;
    assert_eq!(
        wire(update_message(9, MAC), flags),
        message(flags, 9, 0, 0, &[linkinfo_private(), nla(1, &MAC)])
    );
    // IFF_UP in both ifi_flags and ifi_change: nothing else changes.
    assert_eq!(wire(up_message(9), flags), message(flags, 9, 1, 1, &[]));
    // IFLA_AF_SPEC (26) { AF_INET6 (10) { IFLA_INET6_ADDR_GEN_MODE (8) = NONE (1) } }.
    let inet6 = nla(10 | NESTED, &nla(8, &[1]));
    assert_eq!(
        wire(addr_gen_none_message(9), flags),
        message(flags, 9, 0, 0, &[nla(26 | NESTED, &inet6)])
    );
}

#[test]
fn devconf_message_carries_exactly_the_values_zeros_included() {
    let flags = NLM_F_REQUEST | NLM_F_ACK;
    let conf: Vec<u8> = [(19u16, 1u32), (23, 1), (8, 0), (20, 1)]
        .iter()
        .flat_map(|&(k, v)| nla(k, &v.to_ne_bytes()))
        .collect();
    // IFLA_AF_SPEC { AF_INET (2) { IFLA_INET_CONF (1) { … } } }
    let inet = nla(2 | NESTED, &nla(1 | NESTED, &conf));
    assert_eq!(
        wire(devconf_message(4, &VMAC_DEVCONF), flags),
        message(flags, 4, 0, 0, &[nla(26 | NESTED, &inet)])
    );
    assert_eq!(
        PARENT_DEVCONF,
        [(DEVCONF_ARP_IGNORE, 1), (DEVCONF_ARP_FILTER, 1)]
    );
}

#[test]
fn link_local_is_deprecated_nodad_64() {
    let ll: Ipv6Addr = "fe80::487:c5ff:fed2:b6d".parse().unwrap();
    let m = link_local_message(3, ll);
    assert_eq!(m.header.family, AddressFamily::Inet6);
    assert_eq!(m.header.prefix_len, 64);
    assert_eq!(m.header.index, 3);
    assert_eq!(m.header.flags, AddressHeaderFlags::empty());
    let mut cache = CacheInfo::default();
    cache.ifa_preferred = 0;
    cache.ifa_valid = u32::MAX;
    assert_eq!(
        m.attributes,
        vec![
            AddressAttribute::CacheInfo(cache),
            AddressAttribute::Local(IpAddr::V6(ll)),
            AddressAttribute::Flags(AddressFlags::Nodad),
        ]
    );
}

#[test]
fn eui64_flips_the_local_bit() {
    assert_eq!(
        eui64_link_local([0x06, 0x87, 0xc5, 0xd2, 0x0b, 0x6d]),
        "fe80::487:c5ff:fed2:b6d".parse::<Ipv6Addr>().unwrap()
    );
}

fn link(name: &str, index: u32, parent: Option<u32>, macvlan: bool, private: bool) -> LinkSummary {
    LinkSummary {
        name: name.into(),
        index,
        parent,
        macvlan,
        private,
        mac: MAC,
    }
}

#[test]
fn plan_reuses_a_match_under_any_name_then_goes_by_name() {
    let eth0 = LinkSummary {
        mac: [2, 0, 0, 0, 0, 1],
        ..link("eth0", 2, None, false, false)
    };
    // A matching leftover, even under another name, is taken over.
    let links = vec![eth0.clone(), link("old.51", 5, Some(2), true, true)];
    assert_eq!(
        plan(&links, "vrrp.51", 2, MAC),
        Plan::Reuse {
            name: "old.51".into(),
            index: 5
        }
    );
    // Not private, or another MAC: not a match; by name it is updated in place.
    let links = vec![eth0.clone(), link("vrrp.51", 5, Some(2), true, false)];
    assert_eq!(plan(&links, "vrrp.51", 2, MAC), Plan::Update { index: 5 });
    let mut other_mac = link("vrrp.51", 5, Some(2), true, true);
    other_mac.mac[5] = 52;
    assert_eq!(
        plan(&[eth0.clone(), other_mac], "vrrp.51", 2, MAC),
        Plan::Update { index: 5 }
    );
    // Same name on another parent: replaced; not a macvlan: a conflict; absent: created.
    let links = vec![eth0.clone(), link("vrrp.51", 5, Some(3), true, true)];
    assert_eq!(plan(&links, "vrrp.51", 2, MAC), Plan::Replace { index: 5 });
    let links = vec![eth0.clone(), link("vrrp.51", 5, None, false, false)];
    assert_eq!(plan(&links, "vrrp.51", 2, MAC), Plan::Conflict);
    assert_eq!(plan(&[eth0], "vrrp.51", 2, MAC), Plan::Create);
}

#[test]
fn parent_settings_are_counted_and_restored_once() {
    let mut host = VmacHost::default();
    host.parents.insert(
        2,
        ParentArp {
            name: "eth0".into(),
            arp_ignore: 0,
            arp_filter: 2,
            users: 2,
        },
    );
    assert_eq!(host.release(2), None, "another VMAC still relies on it");
    assert_eq!(
        host.release(2),
        Some(Restore::Devconf {
            name: "eth0".into(),
            index: 2,
            values: vec![(DEVCONF_ARP_IGNORE, 0), (DEVCONF_ARP_FILTER, 2)]
        })
    );
    assert_eq!(host.release(2), None);
    assert!(host.teardown().is_empty());
}

/// A VMAC made in a namespace with these functions, as the daemon makes it: private macvlan
/// with the MAC, addrgenmode none, up, keepalived's sysctls on it and its parent, all put back
/// after delete + teardown.
#[test]
fn a_vmac_in_a_namespace() {
    use super::super::testns::{Netns, on_fresh_thread};
    let Some(ns) = Netns::create("vmac") else {
        return;
    };
    let peer = Netns::create("vmacp").expect("second namespace");
    ns.veth("eth0", &peer, "p0");
    ns.ip(&["link", "set", "eth0", "up"]);
    peer.ip(&["link", "set", "p0", "up"]);
    let name = ns.name().to_owned();
    let ip = |args: &[&str]| {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &name])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ip(&["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2"]);
    let ns = std::sync::Arc::new(ns);
    let ns2 = ns.clone();
    let (host_left, eth0_index) = on_fresh_thread(move |rt| {
        rt.block_on(async {
            ns2.enter();
            let h = super::super::connect().unwrap();
            let eth0 = super::super::interface(&h, "eth0").await.unwrap();
            assert_eq!(
                plan(&links(&h).await.unwrap(), "vrrp.51", eth0.index, MAC),
                Plan::Create
            );
            create(&h, "vrrp.51", eth0.index, MAC).await.unwrap();
            let v = super::super::interface(&h, "vrrp.51").await.unwrap();
            assert_eq!(v.mac, MAC);
            let mut host = VmacHost::default();
            let done = host
                .configure(&h, v.index, eth0.index, "eth0")
                .await
                .unwrap();
            assert_eq!(
                done.notices,
                vec![
                    ("net.ipv4.conf.default.rp_filter".to_string(), 0, 2),
                    ("net.ipv4.conf.all.rp_filter".to_string(), 2, 0)
                ]
            );
            set_ipv6_disabled("vrrp.51", true).unwrap();
            bring_up(&h, v.index).await.unwrap();
            // Taken over, not recreated, on a second look.
            assert_eq!(
                plan(&links(&h).await.unwrap(), "vrrp.51", eth0.index, MAC),
                Plan::Reuse {
                    name: "vrrp.51".into(),
                    index: v.index
                }
            );
            let sysctl = |i: &str, k: &str| read_sysctl(&sysctl_path("ipv4", i, k)).unwrap();
            assert_eq!(
                [
                    sysctl("vrrp.51", "arp_ignore"),
                    sysctl("vrrp.51", "accept_local"),
                    sysctl("vrrp.51", "rp_filter"),
                    sysctl("vrrp.51", "promote_secondaries"),
                    sysctl("eth0", "arp_ignore"),
                    sysctl("eth0", "arp_filter"),
                    sysctl("eth0", "rp_filter"),
                    sysctl("all", "rp_filter"),
                ],
                [1, 1, 0, 1, 1, 1, 2, 0]
            );
            delete(&h, v.index).await.unwrap();
            let restores = host.teardown();
            for r in &restores {
                restore(&h, r).await.unwrap();
            }
            (
                [
                    sysctl("eth0", "arp_ignore"),
                    sysctl("eth0", "arp_filter"),
                    sysctl("eth0", "rp_filter"),
                    sysctl("all", "rp_filter"),
                    sysctl("default", "rp_filter"),
                ],
                eth0.index,
            )
        })
    });
    assert_eq!(host_left, [0, 0, 0, 2, 0], "everything as it was");
    assert!(eth0_index > 0);
    assert!(!ip(&["ip", "link"]).contains("vrrp.51"));
}
