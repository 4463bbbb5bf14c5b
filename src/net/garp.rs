//! Gratuitous ARP for IPv4 VIPs and unsolicited neighbour advertisements for IPv6 VIPs, sent
//! as whole Ethernet frames on an `AF_PACKET` socket.
//!
//! keepalived announces an IPv4 VIP with an ARP *request* whose sender and target protocol
//! addresses are both the VIP and whose target hardware address is the broadcast address, and
//! an IPv6 VIP with an unsolicited NA from the VIP to all-nodes with the Override flag and the
//! target link-layer address option (inventory §8.9, `vrrp_arp.c`, `vrrp_ndisc.c`, observed
//! with tcpdump). Switches learn the MAC from the Ethernet source and hosts refresh their
//! neighbour caches.

use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr};

use socket2::{Domain, SockAddr, SockAddrStorage, Socket, Type};

use super::Error;

/// Length of a gratuitous ARP frame: 14 bytes of Ethernet header + 28 bytes of ARP.
pub const GARP_FRAME_LEN: usize = 42;

/// Length of an unsolicited NA frame: Ethernet 14 + IPv6 40 + NA 24 + target link-layer
/// address option 8.
pub const NA_FRAME_LEN: usize = 86;

/// `ETH_P_IPV6`.
const ETH_P_IPV6: u16 = 0x86dd;
/// `IPPROTO_ICMPV6`.
const IPPROTO_ICMPV6: u8 = 58;
/// `ND_NEIGHBOR_ADVERT`.
const ND_NEIGHBOR_ADVERT: u8 = 136;
/// `ND_NA_FLAG_ROUTER` (first byte of the flags word).
const NA_FLAG_ROUTER: u8 = 0x80;
/// `ND_NA_FLAG_OVERRIDE`.
const NA_FLAG_OVERRIDE: u8 = 0x20;
/// `ND_OPT_TARGET_LINKADDR`.
const ND_OPT_TARGET_LINKADDR: u8 = 2;

/// `ETH_P_ARP`.
const ETH_P_ARP: u16 = 0x0806;
/// `ETH_P_IP`, the ARP protocol type for IPv4.
const ETH_P_IP: u16 = 0x0800;
/// `ARPHRD_ETHER`.
const HTYPE_ETHER: u16 = 1;
/// `ARPOP_REQUEST`.
const ARPOP_REQUEST: u16 = 1;
const BROADCAST: [u8; 6] = [0xff; 6];

/// The gratuitous ARP frame keepalived sends for `ip` from an interface with MAC `mac`.
///
/// Ethernet dst ff:ff:ff:ff:ff:ff, src `mac`, type 0x0806; ARP htype 1, ptype 0x0800, hlen 6,
/// plen 4, op 1 (request), sha `mac`, spa `ip`, tha ff:ff:ff:ff:ff:ff, tpa `ip`.
pub fn garp_frame(mac: [u8; 6], ip: Ipv4Addr) -> [u8; GARP_FRAME_LEN] {
    let mut f = [0u8; GARP_FRAME_LEN];
    f[0..6].copy_from_slice(&BROADCAST);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETH_P_ARP.to_be_bytes());
    f[14..16].copy_from_slice(&HTYPE_ETHER.to_be_bytes());
    f[16..18].copy_from_slice(&ETH_P_IP.to_be_bytes());
    f[18] = 6;
    f[19] = 4;
    f[20..22].copy_from_slice(&ARPOP_REQUEST.to_be_bytes());
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&ip.octets());
    f[32..38].copy_from_slice(&BROADCAST);
    f[38..42].copy_from_slice(&ip.octets());
    f
}

/// The unsolicited neighbour advertisement keepalived sends for the IPv6 VIP `ip` from an
/// interface with MAC `mac`.
///
/// Ethernet dst 33:33:00:00:00:01, src `mac`, type 0x86dd; IPv6 traffic class 0, flow 0,
/// payload 32, next header 58, hop limit 255, src `ip`, dst ff02::1; ICMPv6 type 136 code 0,
/// flags Override (+ Router when `router`, i.e. IPv6 forwarding is on for the interface),
/// target `ip`, option 2 length 1 carrying `mac`; the ICMPv6 checksum over the IPv6
/// pseudo-header.
pub fn na_frame(mac: [u8; 6], ip: Ipv6Addr, router: bool) -> [u8; NA_FRAME_LEN] {
    const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
    let mut f = [0u8; NA_FRAME_LEN];
    f[0..6].copy_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETH_P_IPV6.to_be_bytes());
    let ip6 = &mut f[14..54];
    ip6[0] = 0x60;
    ip6[4..6].copy_from_slice(&32u16.to_be_bytes());
    ip6[6] = IPPROTO_ICMPV6;
    ip6[7] = 255;
    ip6[8..24].copy_from_slice(&ip.octets());
    ip6[24..40].copy_from_slice(&ALL_NODES.octets());
    let icmp = &mut f[54..86];
    icmp[0] = ND_NEIGHBOR_ADVERT;
    icmp[4] = NA_FLAG_OVERRIDE | if router { NA_FLAG_ROUTER } else { 0 };
    icmp[8..24].copy_from_slice(&ip.octets());
    icmp[24] = ND_OPT_TARGET_LINKADDR;
    icmp[25] = 1;
    icmp[26..32].copy_from_slice(&mac);
    let sum = icmpv6_checksum(ip, ALL_NODES, &f[54..86]);
    f[56..58].copy_from_slice(&sum.to_be_bytes());
    f
}

/// RFC 4443 §2.3: one's complement sum over the IPv6 pseudo-header and the ICMPv6 message
/// (whose checksum field must be zero).
fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut pseudo = Vec::with_capacity(40 + msg.len());
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, IPPROTO_ICMPV6]);
    pseudo.extend_from_slice(msg);
    let mut sum: u32 = pseudo
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether IPv6 forwarding is on for `ifname` in the calling thread's network namespace, which
/// decides the Router flag of [`na_frame`] as in keepalived. Unreadable means off.
pub fn ipv6_forwarding(ifname: &str) -> bool {
    if ifname.is_empty() || ifname.contains('/') || ifname == "." || ifname == ".." {
        return false;
    }
    std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{ifname}/forwarding"))
        .is_ok_and(|v| v.trim() != "0")
}

/// An `AF_PACKET` socket that sends gratuitous ARPs and unsolicited NAs out of one interface.
///
/// The socket is opened with protocol 0, so the kernel never queues received frames on it.
#[derive(Debug)]
pub struct GarpSender {
    socket: Socket,
    dest: SockAddr,
    ifindex: u32,
    mac: [u8; 6],
}

impl GarpSender {
    /// Opens the socket for the interface `ifindex` whose MAC (the frames' source) is `mac`.
    /// Needs `CAP_NET_RAW`.
    pub fn open(ifindex: u32, mac: [u8; 6]) -> Result<Self, Error> {
        let ifname = format!("ifindex {ifindex}");
        if ifindex == 0 {
            return Err(Error::InvalidInterfaceIndex(ifname));
        }
        let socket =
            Socket::new(Domain::PACKET, Type::RAW, None).map_err(|source| Error::Socket {
                what: "socket(AF_PACKET)",
                ifname: ifname.clone(),
                source,
            })?;
        socket
            .set_nonblocking(true)
            .map_err(|source| Error::Socket {
                what: "O_NONBLOCK",
                ifname,
                source,
            })?;
        Ok(Self {
            socket,
            dest: link_addr(ifindex, ETH_P_ARP, BROADCAST),
            ifindex,
            mac,
        })
    }

    /// Sends one gratuitous ARP for `vip`. Never blocks: a full device queue is an error, as a
    /// lost frame on the wire would be.
    pub fn send(&self, vip: Ipv4Addr) -> Result<(), Error> {
        self.send_frame(&garp_frame(self.mac, vip), "send gratuitous ARP")
    }

    /// Sends one unsolicited neighbour advertisement for the IPv6 `vip`; `router` sets the
    /// Router flag (see [`ipv6_forwarding`]). Never blocks.
    pub fn send_na(&self, vip: Ipv6Addr, router: bool) -> Result<(), Error> {
        self.send_frame(&na_frame(self.mac, vip, router), "send unsolicited NA")
    }

    fn send_frame(&self, frame: &[u8], what: &'static str) -> Result<(), Error> {
        // The destination MAC and EtherType are in the frame itself; the sockaddr only selects
        // the interface (SOCK_RAW packet sockets send the buffer as is).
        self.socket
            .send_to(frame, &self.dest)
            .map(drop)
            .map_err(|source| Error::Socket {
                what,
                ifname: format!("ifindex {}", self.ifindex),
                source,
            })
    }
}

/// A `sockaddr_ll` naming the interface, the EtherType and the destination MAC.
pub(crate) fn link_addr(ifindex: u32, ethertype: u16, dest: [u8; 6]) -> SockAddr {
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: `sockaddr_ll` is a platform sockaddr type smaller than `sockaddr_storage`, and the
    // storage is zeroed, which is a valid `sockaddr_ll`.
    let ll = unsafe { storage.view_as::<libc::sockaddr_ll>() };
    ll.sll_family = libc::AF_PACKET as u16;
    ll.sll_protocol = ethertype.to_be();
    ll.sll_ifindex = ifindex as i32;
    ll.sll_halen = 6;
    ll.sll_addr[..6].copy_from_slice(&dest);
    // SAFETY: the storage now holds an initialised `sockaddr_ll` and the length is its size.
    unsafe {
        SockAddr::new(
            storage,
            size_of::<libc::sockaddr_ll>() as socket2::socklen_t,
        )
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn garp_frame_matches_keepalived_byte_for_byte() {
        let mac = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30];
        let frame = garp_frame(mac, Ipv4Addr::new(198, 51, 100, 50));
        #[rustfmt::skip]
        let expected: [u8; 42] = [
            // Ethernet: broadcast dst, interface MAC src, EtherType ARP
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,
            0x08, 0x06,
            // ARP: htype 1, ptype IPv4, hlen 6, plen 4, op 1 (request)
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
            // sha, spa
            0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 198, 51, 100, 50,
            // tha = broadcast, tpa = VIP
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 198, 51, 100, 50,
        ];
        assert_eq!(frame, expected);
    }

    #[test]
    fn na_frame_matches_keepalived_layout() {
        let mac = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30];
        let vip: Ipv6Addr = "2001:db8::50".parse().unwrap();
        let all_nodes: Ipv6Addr = "ff02::1".parse().unwrap();
        let f = na_frame(mac, vip, false);
        assert_eq!(f[0..6], [0x33, 0x33, 0, 0, 0, 1]);
        assert_eq!(f[6..12], mac);
        assert_eq!(f[12..14], [0x86, 0xdd]);
        // IPv6: version 6, tc 0, flow 0, payload 32, ICMPv6, hop limit 255, VIP -> ff02::1
        assert_eq!(f[14..22], [0x60, 0, 0, 0, 0, 32, 58, 255]);
        assert_eq!(f[22..38], vip.octets());
        assert_eq!(f[38..54], all_nodes.octets());
        // NA: type 136 code 0, checksum (checked by tcpdump: "icmp6 sum ok"), flags Override
        // only, target VIP, option 2 length 1 with the MAC
        assert_eq!(f[54..58], [136, 0, 0x7a, 0x4d]);
        assert_eq!(f[58..62], [0x20, 0, 0, 0]);
        assert_eq!(f[62..78], vip.octets());
        assert_eq!(f[78..80], [2, 1]);
        assert_eq!(f[80..86], mac);
        // A correct checksum makes the sum over pseudo-header + message come out as zero.
        assert_eq!(icmpv6_checksum(vip, all_nodes, &f[54..]), 0);
        let r = na_frame(mac, vip, true);
        assert_eq!(r[58], 0xa0, "Router | Override");
        assert_eq!(icmpv6_checksum(vip, all_nodes, &r[54..]), 0);
    }

    #[test]
    fn icmpv6_checksum_known_value() {
        // Echo request 2001:db8::1 -> 2001:db8::2, id 0x1234 seq 1, no data. Pseudo-header:
        // src 0x2001+0x0db8+0x0001 = 0x2dba, dst 0x2dbb, length 8, next header 0x3a: 0x5bb7.
        // Message: 0x8000+0x1234+0x0001 = 0x9235. Total 0xedec, complement 0x1213.
        let msg = [0x80, 0, 0, 0, 0x12, 0x34, 0, 1];
        let sum = icmpv6_checksum(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
            &msg,
        );
        assert_eq!(sum, 0x1213);
    }

    #[test]
    fn forwarding_of_odd_names_is_off() {
        assert!(!ipv6_forwarding("../../../etc"));
        assert!(!ipv6_forwarding(""));
        assert!(!ipv6_forwarding("no-such-if0"));
    }

    #[test]
    fn link_addr_is_a_packet_sockaddr() {
        let a = link_addr(4, ETH_P_ARP, BROADCAST);
        assert_eq!(a.family() as i32, libc::AF_PACKET);
        assert_eq!(a.len() as usize, size_of::<libc::sockaddr_ll>());
    }

    #[test]
    fn ifindex_zero_is_refused() {
        assert!(matches!(
            GarpSender::open(0, [0; 6]),
            Err(Error::InvalidInterfaceIndex(_))
        ));
    }
}
