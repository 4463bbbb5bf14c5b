//! Gratuitous ARP for IPv4 VIPs, sent as whole Ethernet frames on an `AF_PACKET` socket.
//!
//! keepalived announces a VIP with an ARP *request* whose sender and target protocol addresses
//! are both the VIP and whose target hardware address is the broadcast address (inventory §8.9,
//! `vrrp_arp.c`, observed with tcpdump). Switches learn the MAC from the Ethernet source and
//! hosts refresh their ARP caches from the sender fields.

use std::mem::size_of;
use std::net::Ipv4Addr;

use socket2::{Domain, SockAddr, SockAddrStorage, Socket, Type};

use super::Error;

/// Length of a gratuitous ARP frame: 14 bytes of Ethernet header + 28 bytes of ARP.
pub const GARP_FRAME_LEN: usize = 42;

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

/// An `AF_PACKET` socket that sends gratuitous ARPs out of one interface.
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
        let frame = garp_frame(self.mac, vip);
        self.socket
            .send_to(&frame, &self.dest)
            .map(drop)
            .map_err(|source| Error::Socket {
                what: "send gratuitous ARP",
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
