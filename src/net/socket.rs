//! Raw `IPPROTO_VRRP` sockets over IPv4: one receive and one send socket per interface and mode
//! (multicast or unicast), shared by every VRID on it, set up with the options keepalived's `open_vrrp_read_socket()` /
//! `open_vrrp_send_socket()` use (inventory §8.2).

use std::io::{self, Read};
use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, SockFilter, Socket, Type};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::{Error, check_ifname};

/// IP protocol number of VRRP (RFC 5798 §5.1.1.4).
pub const IPPROTO_VRRP: i32 = 112;

/// `BPF_RET | BPF_K` with k = 0: a classic BPF program of one instruction that drops every
/// packet.
const BPF_RET_DROP: SockFilter = SockFilter::new(0x06, 0, 0, 0);

/// The pair of raw VRRP sockets of one interface.
///
/// In multicast mode the receive socket joins the group and is bound to it, as keepalived's
/// is, so it sees only adverts sent to that group: a unicast advert never reaches a multicast
/// instance (inventory §8.12, "unicast on one side, multicast on the other"). In unicast mode it
/// joins nothing and is not bound to an address: it sees every protocol-112 datagram addressed
/// to this host on the interface, and the daemon filters on the destination and VRID.
/// `IP_MULTICAST_ALL` is off in both modes so groups joined by other sockets do not leak in. An
/// interface with both multicast and unicast instances needs one `VrrpSocket` of each mode.
///
/// The send socket writes whole IPv4 datagrams (`IP_HDRINCL`: the caller's header, TTL, TOS and
/// ID go out unchanged; the kernel fills the header checksum and total length, and the ID or
/// source only when they are 0). It never
/// loops multicast back to this host and drops everything it would receive.
#[derive(Debug)]
pub struct VrrpSocket {
    rx: AsyncFd<Socket>,
    tx: Socket,
    ifname: String,
    ifindex: u32,
    /// The group the receive socket joined and is bound to; `None` in unicast mode.
    group: Option<Ipv4Addr>,
}

impl VrrpSocket {
    /// Opens both sockets on `ifname` (index `ifindex`); when `join`, the receive socket joins
    /// the multicast `group` on that interface and binds to it (multicast mode; `group` is
    /// ignored otherwise).
    ///
    /// Needs `CAP_NET_RAW` and a tokio runtime (the receive socket registers with its reactor).
    pub fn open(ifname: &str, ifindex: u32, group: Ipv4Addr, join: bool) -> Result<Self, Error> {
        check_ifname(ifname)?;
        if ifindex == 0 {
            return Err(Error::InvalidInterfaceIndex(ifname.to_owned()));
        }
        if join && !group.is_multicast() {
            return Err(Error::InvalidAddress {
                addr: group.into(),
                reason: "not an IPv4 multicast group",
            });
        }
        let fail = |what: &'static str| {
            move |source: io::Error| Error::Socket {
                what,
                ifname: ifname.to_owned(),
                source,
            }
        };

        let rx = raw_socket().map_err(fail("socket(IPPROTO_VRRP) for receiving"))?;
        rx.set_multicast_all_v4(false)
            .map_err(fail("IP_MULTICAST_ALL"))?;
        rx.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("SO_BINDTODEVICE"))?;
        if join {
            rx.join_multicast_v4_n(&group, &InterfaceIndexOrAddress::Index(ifindex))
                .map_err(fail("IP_ADD_MEMBERSHIP"))?;
            rx.bind(&SocketAddrV4::new(group, 0).into())
                .map_err(fail("bind to the multicast group"))?;
        }
        rx.set_nonblocking(true).map_err(fail("O_NONBLOCK"))?;
        // SAFETY: `rx` is an open socket that the AsyncFd owns from here on; its fd is never
        // closed or swapped while registered (we only read through `get_ref`).
        let rx = unsafe { AsyncFd::register_with_interest(rx, Interest::READABLE) }
            .map_err(|e| fail("register with the tokio reactor")(e.into()))?;

        let tx = raw_socket().map_err(fail("socket(IPPROTO_VRRP) for sending"))?;
        // Installed first so that nothing is queued on a socket nobody reads.
        tx.attach_filter(&[BPF_RET_DROP])
            .map_err(fail("SO_ATTACH_FILTER"))?;
        tx.set_header_included_v4(true)
            .map_err(fail("IP_HDRINCL"))?;
        set_multicast_if_index(&tx, ifindex).map_err(fail("IP_MULTICAST_IF"))?;
        tx.set_multicast_loop_v4(false)
            .map_err(fail("IP_MULTICAST_LOOP"))?;
        tx.set_multicast_ttl_v4(255)
            .map_err(fail("IP_MULTICAST_TTL"))?;
        tx.set_tos_v4(0xc0).map_err(fail("IP_TOS"))?;
        tx.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("SO_BINDTODEVICE"))?;
        tx.set_nonblocking(true).map_err(fail("O_NONBLOCK"))?;

        Ok(Self {
            rx,
            tx,
            ifname: ifname.to_owned(),
            ifindex,
            group: join.then_some(group),
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

    /// The multicast group it receives (multicast mode), or `None` (unicast mode: every
    /// VRRP datagram addressed to this host on the interface).
    pub fn group(&self) -> Option<Ipv4Addr> {
        self.group
    }

    /// Sends a complete IPv4 datagram (header included, as `vrrp::wire` emits it) to `dst`
    /// (the group or a unicast peer). Never blocks: a full socket buffer is an error, as a lost
    /// advert on the wire would be.
    pub fn send(&self, datagram: &[u8], dst: Ipv4Addr) -> Result<(), Error> {
        check_datagram(datagram)?;
        let to = SockAddr::from(SocketAddrV4::new(dst, 0));
        let sent = self
            .tx
            .send_to(datagram, &to)
            .map_err(|source| Error::Socket {
                what: "send advert",
                ifname: self.ifname.clone(),
                source,
            })?;
        if sent != datagram.len() {
            return Err(Error::Socket {
                what: "send advert",
                ifname: self.ifname.clone(),
                source: io::Error::new(io::ErrorKind::WriteZero, "datagram sent partially"),
            });
        }
        Ok(())
    }

    /// Waits for the next datagram and copies it, IPv4 header included, into `buf`; returns its
    /// length. A datagram longer than `buf` is cut, so give at least the interface MTU.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<usize, Error> {
        loop {
            let mut guard = self.rx.readable().await.map_err(|source| Error::Socket {
                what: "wait for adverts",
                ifname: self.ifname.clone(),
                source,
            })?;
            match guard.try_io(|fd| (&mut fd.get_ref()).read(buf)) {
                Ok(Ok(n)) => return Ok(n),
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
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

/// Binds a throw-away raw VRRP socket to `addr` as keepalived binds an instance's unicast
/// receive socket (`open_vrrp_read_socket()`: no `IP_FREEBIND`, a link-local address scoped
/// to `ifindex`): `EADDRNOTAVAIL` when the address is not one of this host's, which keepalived
/// answers with FAULT ("src address not configured").
pub fn probe_unicast_source(addr: std::net::IpAddr, ifindex: u32) -> io::Result<()> {
    let (domain, to) = match addr {
        std::net::IpAddr::V4(a) => (Domain::IPV4, SockAddr::from(SocketAddrV4::new(a, 0))),
        std::net::IpAddr::V6(a) => {
            let scope = if a.is_unicast_link_local() {
                ifindex
            } else {
                0
            };
            let sa = std::net::SocketAddrV6::new(a, 0, 0, scope);
            (Domain::IPV6, SockAddr::from(sa))
        }
    };
    Socket::new(domain, Type::RAW, Some(Protocol::from(IPPROTO_VRRP)))?.bind(&to)
}

fn raw_socket() -> io::Result<Socket> {
    Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(IPPROTO_VRRP)))
}

/// `IP_MULTICAST_IF` by interface index (`struct ip_mreqn`), which socket2 only offers by
/// address; the interface may have no IPv4 address of its own.
fn set_multicast_if_index(socket: &Socket, ifindex: u32) -> io::Result<()> {
    let mreqn = libc::ip_mreqn {
        imr_multiaddr: libc::in_addr { s_addr: 0 },
        imr_address: libc::in_addr { s_addr: 0 },
        imr_ifindex: ifindex as libc::c_int,
    };
    // SAFETY: the fd is a live socket owned by `socket`; the option value points to an
    // initialised `ip_mreqn` that outlives the call, and the length given is its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            (&mreqn as *const libc::ip_mreqn).cast(),
            size_of::<libc::ip_mreqn>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Refuses what the kernel would reject with a bare `EINVAL`, with a message saying why.
fn check_datagram(d: &[u8]) -> Result<(), Error> {
    let bad = |reason| {
        Err(Error::BadDatagram {
            len: d.len(),
            reason,
        })
    };
    if d.len() < 20 {
        return bad("shorter than an IPv4 header");
    }
    if d[0] >> 4 != 4 {
        return bad("version is not 4");
    }
    let ihl = usize::from(d[0] & 0x0f) * 4;
    if ihl < 20 || ihl > d.len() {
        return bad("header length field out of range");
    }
    if d.len() > usize::from(u16::MAX) {
        return bad("longer than 65535 bytes");
    }
    Ok(())
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn datagram_checks() {
        let mut d = [0u8; 28];
        d[0] = 0x45;
        assert!(check_datagram(&d).is_ok());
        assert!(matches!(
            check_datagram(&d[..19]),
            Err(Error::BadDatagram { len: 19, .. })
        ));
        d[0] = 0x65;
        assert!(check_datagram(&d).is_err(), "IPv6 version nibble");
        d[0] = 0x48;
        assert!(check_datagram(&d).is_err(), "IHL 32 beyond 28 bytes");
        d[0] = 0x44;
        assert!(check_datagram(&d).is_err(), "IHL 16 below minimum");
    }

    #[tokio::test]
    async fn bad_arguments_are_errors_not_panics() {
        assert!(matches!(
            VrrpSocket::open("", 1, Ipv4Addr::new(224, 0, 0, 18), true),
            Err(Error::InvalidInterfaceName(_))
        ));
        assert!(matches!(
            VrrpSocket::open("a-name-too-long-x", 1, Ipv4Addr::new(224, 0, 0, 18), true),
            Err(Error::InvalidInterfaceName(_))
        ));
        assert!(matches!(
            VrrpSocket::open("lo", 0, Ipv4Addr::new(224, 0, 0, 18), true),
            Err(Error::InvalidInterfaceIndex(_))
        ));
        assert!(matches!(
            VrrpSocket::open("lo", 1, Ipv4Addr::new(198, 51, 100, 1), true),
            Err(Error::InvalidAddress { .. })
        ));
    }
}
