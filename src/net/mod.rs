//! The only module with sockets: VRRP raw sockets, netlink addresses and links, gratuitous ARP
//! and unsolicited neighbour advertisements.
//!
//! It moves bytes and kernel state, never VRRP meaning: adverts are encoded and decoded by
//! `vrrp::wire` (whole IPv4 datagrams, since keepalived sends with `IP_HDRINCL`; bare VRRP
//! messages over IPv6, whose header the kernel builds), and the daemon
//! decides when to add an address or send a GARP. Everything here follows what keepalived does
//! to the kernel (inventory §8.1, §8.2, §8.9, §8.13, §4.3), so that `ip addr`, `tcpdump` and a
//! real keepalived peer cannot tell the difference.
//!
//! | Piece | Kernel interface |
//! |---|---|
//! | [`VrrpSocket`], [`VrrpSocket6`] | raw `IPPROTO_VRRP` (112) sockets, one receive + one send per interface and mode |
//! | [`add_address`], [`del_address`], [`has_address`] | rtnetlink `RTM_NEWADDR` / `RTM_DELADDR` / dump |
//! | [`interface`] | rtnetlink `RTM_GETLINK` + address dump |
//! | [`monitor`] | rtnetlink multicast groups `RTNLGRP_LINK`, `RTNLGRP_IPV4_IFADDR`, `RTNLGRP_IPV6_IFADDR` |
//! | [`route_request`], [`rule_request`], [`route_present`], [`rule_present`] | rtnetlink `RTM_NEWROUTE`/`RTM_DELROUTE`, `RTM_NEWRULE`/`RTM_DELRULE`, dumps |
//! | [`monitor_routes`] | `RTNLGRP_IPV4_ROUTE`, `RTNLGRP_IPV6_ROUTE`, `RTNLGRP_IPV4_RULE`, `RTNLGRP_IPV6_RULE` |
//! | [`set_promote_secondaries`] | `/proc/sys/net/ipv4/conf/IF/promote_secondaries` |
//! | [`GarpSender`], [`garp_frame`], [`na_frame`] | `AF_PACKET` raw frames (gratuitous ARP, unsolicited NA) |
//! | [`vmac`] | rtnetlink `RTM_NEWLINK` / `RTM_DELLINK` (macvlan, devconf, addr_gen_mode), `/proc/sys/net` |
//! | [`nftables::Firewall`] | nf_tables netlink batches (`NETLINK_NETFILTER`): the VIP drop rules of `no_accept` |
//!
//! Functions that touch netlink or create async sockets must run inside a tokio runtime (they
//! spawn the netlink connection or register with the reactor).

mod addr;
mod garp;
mod iproute;
mod link;
pub mod nftables;
mod socket;
mod socket6;
pub mod vmac;

#[cfg(test)]
mod knob_tests;
#[cfg(test)]
pub(crate) mod testns;
#[cfg(test)]
mod tests;

pub use addr::{
    AddrOp, add_address, address_message, address_message_with_lifetime, del_address, has_address,
    replace_address,
};
pub use garp::{GARP_FRAME_LEN, GarpSender, NA_FRAME_LEN, garp_frame, ipv6_forwarding, na_frame};
pub use iproute::{
    IfIndices, RouteSeen, RtCmd, RtEvent, RuleSeen, ifindices, monitor_routes,
    reset_promote_secondaries, route_devs, route_matches, route_message, route_present,
    route_request, rule_matches, rule_message, rule_present, rule_request, set_promote_secondaries,
};
pub use link::{AddrEvent, Interface, LinkEvent, NetEvent, interface, monitor};
pub use socket::{IPPROTO_VRRP, VrrpSocket, probe_unicast_source};
pub use socket6::{Received6, VrrpSocket6};

use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd as _;

/// Errors of the network plane. Each says what was attempted and on which interface or address,
/// so the daemon can log it as is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A socket call failed (`what` names the call, e.g. `"SO_BINDTODEVICE"`).
    #[error("{what} on {ifname}: {source}")]
    Socket {
        /// The operation that failed.
        what: &'static str,
        /// Interface name, or `ifindex N` when only the index is known.
        ifname: String,
        /// The OS error.
        source: io::Error,
    },
    /// A netlink request was refused or the netlink socket failed.
    #[error("netlink {what}: {source}")]
    Netlink {
        /// The request, e.g. `"add address 198.51.100.10/32 on ifindex 3"`.
        what: String,
        /// The error from rtnetlink (a kernel NACK carries the errno).
        source: rtnetlink::Error,
    },
    /// Opening the netlink socket itself failed.
    #[error("netlink socket: {0}")]
    NetlinkSocket(#[source] io::Error),
    /// `RTM_NEWADDR` answered `EEXIST`: the address is already on the interface.
    #[error("address {addr}/{prefix_len} already present on ifindex {ifindex}")]
    AddressExists {
        /// The address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
        /// The interface.
        ifindex: u32,
    },
    /// `RTM_DELADDR` answered `EADDRNOTAVAIL`: the address was not on the interface.
    #[error("address {addr}/{prefix_len} not present on ifindex {ifindex}")]
    AddressNotPresent {
        /// The address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
        /// The interface.
        ifindex: u32,
    },
    /// The virtual address cannot be expressed to the kernel (prefix too long, label on IPv6…).
    #[error("invalid virtual address {addr}: {reason}")]
    InvalidAddress {
        /// The address.
        addr: IpAddr,
        /// Why.
        reason: &'static str,
    },
    /// No interface with that name exists (in this network namespace).
    #[error("interface {0} does not exist")]
    NoSuchInterface(String),
    /// The interface name cannot be passed to the kernel (empty, too long, NUL inside).
    #[error("invalid interface name {0:?}: must be 1 to 15 bytes without NUL")]
    InvalidInterfaceName(String),
    /// The interface index is 0 (no interface).
    #[error("invalid interface index 0 for {0}")]
    InvalidInterfaceIndex(String),
    /// The buffer handed to [`VrrpSocket::send`] is not an IPv4 datagram with a complete header.
    #[error("not a complete IPv4 datagram ({len} bytes): {reason}")]
    BadDatagram {
        /// Length of the buffer.
        len: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Error {
    /// The errno of a kernel NACK, if this is one.
    pub fn netlink_errno(&self) -> Option<i32> {
        match self {
            Error::Netlink {
                source: rtnetlink::Error::NetlinkError(msg),
                ..
            } => Some(msg.raw_code().abs()),
            _ => None,
        }
    }
}

/// Opens an rtnetlink connection for requests and spawns its driver on the current tokio
/// runtime. The returned handle is cheap to clone; the connection lives until every clone is
/// dropped.
pub fn connect() -> Result<rtnetlink::Handle, Error> {
    connect_with(crate::model::RcvBuf::default())
}

/// [`connect`] with the socket's receive buffer set to `vrrp_netlink_cmd_rcv_bufs[_force]`.
pub fn connect_with(rcvbuf: crate::model::RcvBuf) -> Result<rtnetlink::Handle, Error> {
    let (mut conn, handle, _) = rtnetlink::new_connection().map_err(Error::NetlinkSocket)?;
    set_rcvbuf(conn.socket_mut().as_raw_fd(), rcvbuf);
    tokio::spawn(conn);
    Ok(handle)
}

/// keepalived's `netlink_set_rx_buf_size()` for a configured size: `SO_RCVBUF`, or
/// `SO_RCVBUFFORCE` (which may pass `net.core.rmem_max`); failures are logged as keepalived
/// logs them. Size 0 keeps the kernel's default.
pub(crate) fn set_rcvbuf(fd: std::os::fd::RawFd, rcvbuf: crate::model::RcvBuf) {
    if rcvbuf.size == 0 {
        return;
    }
    let size = libc::c_int::try_from(rcvbuf.size).unwrap_or(libc::c_int::MAX);
    let opt = if rcvbuf.force {
        libc::SO_RCVBUFFORCE
    } else {
        libc::SO_RCVBUF
    };
    // SAFETY: setsockopt(2) on a socket we own, with an int value.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            opt,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        let e = std::io::Error::last_os_error();
        let errno = e.raw_os_error().unwrap_or(0);
        if rcvbuf.force {
            tracing::info!("cant set SO_RCVBUFFORCE IP option. errno={errno} ({e})");
        } else {
            tracing::info!("Cannot set SO_RCVBUF IP option. errno={errno} ({e})");
        }
    }
}

/// Checks an interface name the way the kernel will (`IFNAMSIZ` is 16 including the NUL).
fn check_ifname(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > 15 || name.contains('\0') {
        return Err(Error::InvalidInterfaceName(name.to_owned()));
    }
    Ok(())
}
