//! Raw `IPPROTO_VRRP` sockets over IPv6 (VRRPv3, RFC 5798 §5.1.2), set up as keepalived's
//! `open_vrrp_read_socket()` / `open_vrrp_send_socket()` do for `AF_INET6` (inventory §8.1,
//! §8.2).
//!
//! Unlike IPv4 there is no header to build: the kernel writes the IPv6 header (hop limit 255
//! for the group, traffic class 0xc0) and, through `IPV6_CHECKSUM` at offset 6, computes the
//! VRRP checksum over the standard pseudo-header on send and verifies it on receive. The source
//! and destination addresses and the hop limit of a received advert come as ancillary data.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::size_of;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd};

use nix::sys::socket::{
    ControlMessage, ControlMessageOwned, MsgFlags, SockaddrIn6, recvmsg, sendmsg, setsockopt,
    sockopt,
};
use socket2::{Domain, Protocol, SockFilter, Socket, Type};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::socket::IPPROTO_VRRP;
use super::{Error, check_ifname};

/// Offset of the checksum in the VRRP header, for `IPV6_CHECKSUM`.
const VRRP_CHECKSUM_OFFSET: libc::c_int = 6;

/// One advert received by [`VrrpSocket6::recv`]: the VRRP message is in the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received6 {
    /// Length of the VRRP message (no IPv6 header: raw IPv6 sockets strip it).
    pub len: usize,
    /// The sender (normally its link-local address).
    pub src: Ipv6Addr,
    /// The destination (group or our unicast address), from `IPV6_PKTINFO`.
    pub dst: Ipv6Addr,
    /// The hop limit it arrived with, from `IPV6_HOPLIMIT` (RFC 5798 requires 255).
    pub hop_limit: u8,
}

/// The pair of raw IPv6 VRRP sockets of one interface and mode.
///
/// The receive socket is always bound to an address, as keepalived's is: an unbound raw IPv6
/// socket receives every multicast datagram of its protocol whatever it joined (the kernel's
/// `raw_v6_match()` accepts any destination for an unbound socket), so a unicast-mode socket
/// must be bound to its own unicast address to stay deaf to the group.
#[derive(Debug)]
pub struct VrrpSocket6 {
    rx: AsyncFd<Socket>,
    tx: Socket,
    ifname: String,
    ifindex: u32,
    /// The address the receive socket is bound to: the group or a unicast source.
    local: Ipv6Addr,
}

impl VrrpSocket6 {
    /// Opens both sockets on `ifname` (index `ifindex`). `local` selects the mode: a multicast
    /// group (normally ff02::12) is joined and bound to; a unicast address (`unicast_src_ip`,
    /// or the interface's link-local) is bound to with `IPV6_FREEBIND`, so it may be configured
    /// later, and only adverts sent to it are received.
    ///
    /// Needs `CAP_NET_RAW` and a tokio runtime.
    pub fn open(ifname: &str, ifindex: u32, local: Ipv6Addr) -> Result<Self, Error> {
        check_ifname(ifname)?;
        if ifindex == 0 {
            return Err(Error::InvalidInterfaceIndex(ifname.to_owned()));
        }
        if local.is_unspecified() {
            return Err(Error::InvalidAddress {
                addr: local.into(),
                reason: "a VRRP socket needs a group or a local unicast address",
            });
        }
        let fail = |what: &'static str| {
            move |source: io::Error| Error::Socket {
                what,
                ifname: ifname.to_owned(),
                source,
            }
        };

        let rx = raw_socket6().map_err(fail("socket(AF_INET6, IPPROTO_VRRP) for receiving"))?;
        rx.set_multicast_all_v6(false)
            .map_err(fail("IPV6_MULTICAST_ALL"))?;
        rx.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("SO_BINDTODEVICE"))?;
        if local.is_multicast() {
            rx.join_multicast_v6(&local, ifindex)
                .map_err(fail("IPV6_ADD_MEMBERSHIP"))?;
        } else {
            rx.set_freebind_v6(true).map_err(fail("IPV6_FREEBIND"))?;
        }
        // The scope id matters only for link-scoped addresses; the interface is right for all.
        rx.bind(&SocketAddrV6::new(local, 0, 0, ifindex).into())
            .map_err(fail("bind to the local address"))?;
        setsockopt(&rx.as_fd(), sockopt::Ipv6RecvHopLimit, &true)
            .map_err(|e| fail("IPV6_RECVHOPLIMIT")(e.into()))?;
        setsockopt(&rx.as_fd(), sockopt::Ipv6RecvPacketInfo, &true)
            .map_err(|e| fail("IPV6_RECVPKTINFO")(e.into()))?;
        set_ipv6_checksum(&rx).map_err(fail("IPV6_CHECKSUM"))?;
        rx.set_nonblocking(true).map_err(fail("O_NONBLOCK"))?;
        // SAFETY: `rx` is an open socket that the AsyncFd owns from here on; its fd is never
        // closed or swapped while registered (we only use it through `get_ref`).
        let rx = unsafe { AsyncFd::register_with_interest(rx, Interest::READABLE) }
            .map_err(|e| fail("register with the tokio reactor")(e.into()))?;

        let tx = raw_socket6().map_err(fail("socket(AF_INET6, IPPROTO_VRRP) for sending"))?;
        tx.attach_filter(&[SockFilter::new(0x06, 0, 0, 0)])
            .map_err(fail("SO_ATTACH_FILTER"))?;
        set_ipv6_checksum(&tx).map_err(fail("IPV6_CHECKSUM"))?;
        tx.set_multicast_hops_v6(255)
            .map_err(fail("IPV6_MULTICAST_HOPS"))?;
        tx.set_multicast_if_v6(ifindex)
            .map_err(fail("IPV6_MULTICAST_IF"))?;
        tx.set_multicast_loop_v6(false)
            .map_err(fail("IPV6_MULTICAST_LOOP"))?;
        tx.set_tclass_v6(0xc0).map_err(fail("IPV6_TCLASS"))?;
        tx.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("SO_BINDTODEVICE"))?;
        tx.set_nonblocking(true).map_err(fail("O_NONBLOCK"))?;

        Ok(Self {
            rx,
            tx,
            ifname: ifname.to_owned(),
            ifindex,
            local,
        })
    }

    /// The interface the sockets are bound to.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// Its index.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The address the receive socket is bound to (the multicast group, or a unicast source):
    /// only adverts sent to it arrive.
    pub fn local(&self) -> Ipv6Addr {
        self.local
    }

    /// Sends a VRRP message (from its version byte on; the checksum field may be anything, the
    /// kernel overwrites it) to `dst`, from `src` when given (keepalived uses the interface's
    /// link-local address) or from the kernel's choice. Never blocks.
    pub fn send(&self, vrrp: &[u8], src: Option<Ipv6Addr>, dst: Ipv6Addr) -> Result<(), Error> {
        self.send_with_hop_limit(vrrp, src, dst, None)
    }

    /// [`VrrpSocket6::send`] with an `IPV6_HOPLIMIT` for this datagram (`unicast_ttl`);
    /// `None` = the socket's hop limits (255 to the group, the kernel default to a peer).
    pub fn send_with_hop_limit(
        &self,
        vrrp: &[u8],
        src: Option<Ipv6Addr>,
        dst: Ipv6Addr,
        hop_limit: Option<u8>,
    ) -> Result<(), Error> {
        if vrrp.len() < 8 {
            return Err(Error::BadDatagram {
                len: vrrp.len(),
                reason: "shorter than a VRRP header",
            });
        }
        let fail = |source: io::Error| Error::Socket {
            what: "send advert",
            ifname: self.ifname.clone(),
            source,
        };
        // Link-scoped destinations need the interface as scope.
        let to = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, self.ifindex));
        let info = src.map(|src| libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: src.octets(),
            },
            ipi6_ifindex: self.ifindex,
        });
        let hops = hop_limit.map(libc::c_int::from);
        let mut cmsgs: Vec<ControlMessage> =
            info.iter().map(ControlMessage::Ipv6PacketInfo).collect();
        cmsgs.extend(hops.iter().map(ControlMessage::Ipv6HopLimit));
        let sent = sendmsg(
            self.tx.as_raw_fd(),
            &[IoSlice::new(vrrp)],
            &cmsgs,
            MsgFlags::empty(),
            Some(&to),
        )
        .map_err(|e| fail(e.into()))?;
        if sent != vrrp.len() {
            return Err(fail(io::Error::new(
                io::ErrorKind::WriteZero,
                "advert sent partially",
            )));
        }
        Ok(())
    }

    /// Waits for the next advert and copies the VRRP message into `buf` (cut if longer).
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Received6, Error> {
        loop {
            let mut guard = self.rx.readable().await.map_err(|source| Error::Socket {
                what: "wait for adverts",
                ifname: self.ifname.clone(),
                source,
            })?;
            match guard.try_io(|fd| recv_one(fd.get_ref(), buf)) {
                Ok(Ok(received)) => return Ok(received),
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                // No pktinfo or hop limit: not something the kernel sends with our options
                // set; skip the datagram rather than invent the missing fields.
                Ok(Err(e)) if e.kind() == io::ErrorKind::InvalidData => continue,
                Ok(Err(source)) => {
                    return Err(Error::Socket {
                        what: "receive advert",
                        ifname: self.ifname.clone(),
                        source,
                    });
                }
                Err(_would_block) => continue,
            }
        }
    }
}

fn recv_one(socket: &Socket, buf: &mut [u8]) -> io::Result<Received6> {
    let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrIn6>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::empty(),
    )
    .map_err(io::Error::from)?;
    let missing = |what| io::Error::new(io::ErrorKind::InvalidData, what);
    let src = msg.address.map(|a| a.ip()).ok_or(missing("no source"))?;
    let (mut dst, mut hop_limit) = (None, None);
    for c in msg.cmsgs().map_err(io::Error::from)? {
        match c {
            ControlMessageOwned::Ipv6PacketInfo(info) => {
                dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr))
            }
            ControlMessageOwned::Ipv6HopLimit(h) => hop_limit = u8::try_from(h).ok(),
            _ => {}
        }
    }
    Ok(Received6 {
        len: msg.bytes,
        src,
        dst: dst.ok_or(missing("no IPV6_PKTINFO"))?,
        hop_limit: hop_limit.ok_or(missing("no IPV6_HOPLIMIT"))?,
    })
}

fn raw_socket6() -> io::Result<Socket> {
    Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(IPPROTO_VRRP)))
}

/// `IPV6_CHECKSUM` = 6: the kernel fills the VRRP checksum on send and drops bad ones on
/// receive. Neither socket2 nor nix offers this option.
fn set_ipv6_checksum(socket: &Socket) -> io::Result<()> {
    let offset: libc::c_int = VRRP_CHECKSUM_OFFSET;
    // SAFETY: the fd is a live socket owned by `socket`; the value points to an initialised
    // c_int that outlives the call, and the length given is its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_CHECKSUM,
            (&offset as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[tokio::test]
    async fn bad_arguments_are_errors_not_panics() {
        let group: Ipv6Addr = "ff02::12".parse().unwrap();
        assert!(matches!(
            VrrpSocket6::open("", 1, group),
            Err(Error::InvalidInterfaceName(_))
        ));
        assert!(matches!(
            VrrpSocket6::open("lo", 0, group),
            Err(Error::InvalidInterfaceIndex(_))
        ));
        assert!(matches!(
            VrrpSocket6::open("lo", 1, Ipv6Addr::UNSPECIFIED),
            Err(Error::InvalidAddress { .. })
        ));
    }
}
