//! Interfaces: one-shot lookup at startup and the netlink monitor of link and address changes.
//!
//! An interface is *up* for VRRP when it is both administratively up and running
//! (`IFF_UP && IFF_RUNNING`, keepalived's `FLAGS_UP`, inventory §3.3): a veth whose peer is down
//! or a NIC without carrier is down even though `ip link` says `UP`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures::{StreamExt, TryStreamExt};
use netlink_packet_route::address::{AddressAttribute, AddressHeaderFlags, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::MulticastGroup;
use rtnetlink::packet_core::NetlinkPayload;
use tokio::sync::mpsc;

use super::{Error, check_ifname};

/// What VRRP needs to know about an interface at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Its name.
    pub name: String,
    /// Its index (never 0).
    pub index: u32,
    /// Its hardware address: the source of GARPs and adverts. All zeros when it has none
    /// (loopback, tun).
    pub mac: [u8; 6],
    /// `IFF_UP && IFF_RUNNING`.
    pub up: bool,
    /// The first non-secondary IPv4 address: the advert source when no `unicast_src_ip` /
    /// `mcast_src_ip` is configured (inventory §8.1).
    pub primary_v4: Option<Ipv4Addr>,
    /// The first IPv6 link-local address: the source of VRRPv3 IPv6 adverts (inventory §8.1).
    pub link_local_v6: Option<Ipv6Addr>,
}

/// A change of an interface's VRRP link state, for `TrackEvent::Interface`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEvent {
    /// Interface name.
    pub name: String,
    /// Interface index.
    pub index: u32,
    /// `IFF_UP && IFF_RUNNING` now; false when the interface was deleted.
    pub up: bool,
}

/// An address appeared on or disappeared from an interface (a VIP deleted by hand, the advert
/// source address removed: inventory §8.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrEvent {
    /// Interface index.
    pub index: u32,
    /// The address (`IFA_LOCAL` for IPv4, `IFA_ADDRESS` for IPv6).
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix_len: u8,
    /// True for `RTM_NEWADDR`, false for `RTM_DELADDR`.
    pub added: bool,
}

/// What [`monitor`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// A link changed between up and down (or was first seen, or was deleted).
    Link(LinkEvent),
    /// An IPv4 or IPv6 address was added or removed.
    Addr(AddrEvent),
    /// The kernel dropped notifications (netlink receive buffer full, `ENOBUFS`): events were
    /// lost, so re-read the state of every interface that matters with [`interface`]. Link
    /// events after this one are reported even if the state looks unchanged.
    Overrun,
}

/// Looks up the interface `name` (`RTM_GETLINK`, then an address dump for its primary IPv4).
pub async fn interface(handle: &rtnetlink::Handle, name: &str) -> Result<Interface, Error> {
    check_ifname(name)?;
    let link = handle
        .link()
        .get()
        .match_name(name)
        .execute()
        .try_next()
        .await
        .map_err(|source| {
            let err = Error::Netlink {
                what: format!("get link {name}"),
                source,
            };
            match err.netlink_errno() {
                Some(libc::ENODEV) => Error::NoSuchInterface(name.to_owned()),
                _ => err,
            }
        })?
        .ok_or_else(|| Error::NoSuchInterface(name.to_owned()))?;
    let index = link.header.index;
    let up = is_up(link.header.flags);
    let mac = link
        .attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::Address(bytes) => <[u8; 6]>::try_from(bytes.as_slice()).ok(),
            _ => None,
        })
        .unwrap_or([0; 6]);
    let addrs: Vec<AddressMessage> = handle
        .address()
        .get()
        .set_link_index_filter(index)
        .execute()
        .try_collect()
        .await
        .map_err(|source| Error::Netlink {
            what: format!("dump addresses of {name}"),
            source,
        })?;
    Ok(Interface {
        name: name.to_owned(),
        index,
        mac,
        up,
        primary_v4: primary_v4(&addrs),
        link_local_v6: link_local_v6(&addrs),
    })
}

/// Subscribes to link and address changes and returns them as a channel.
///
/// Link events are deduplicated: one is sent when an interface is first seen, then only when
/// its up/down state changes, and when it is deleted. Lost notifications are reported as
/// [`NetEvent::Overrun`]. The channel closes only if the netlink socket fails; the daemon should
/// then reopen it and resync with [`interface`]. Dropping the receiver stops the monitor.
/// Needs a tokio runtime. `rcvbuf` is `vrrp_netlink_monitor_rcv_bufs[_force]`.
pub fn monitor(rcvbuf: crate::model::RcvBuf) -> Result<mpsc::Receiver<NetEvent>, Error> {
    let groups = [
        MulticastGroup::Link,
        MulticastGroup::Ipv4Ifaddr,
        MulticastGroup::Ipv6Ifaddr,
    ];
    let (mut conn, _handle, mut messages) =
        rtnetlink::new_multicast_connection(&groups).map_err(Error::NetlinkSocket)?;
    // `vrrp_netlink_monitor_rcv_bufs[_force]`: room for bursts of link/address changes.
    super::set_rcvbuf(std::os::fd::AsRawFd::as_raw_fd(conn.socket_mut()), rcvbuf);
    let conn = tokio::spawn(conn);
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        let mut seen: HashMap<u32, bool> = HashMap::new();
        while let Some((msg, _)) = messages.next().await {
            let Some(event) = on_payload(&mut seen, msg.payload) else {
                continue;
            };
            if tx.send(event).await.is_err() {
                break;
            }
        }
        conn.abort();
    });
    Ok(rx)
}

/// One netlink datagram from the multicast socket: a notification or the overrun marker
/// netlink-proto inserts when the kernel reported `ENOBUFS`.
fn on_payload(
    seen: &mut HashMap<u32, bool>,
    payload: NetlinkPayload<RouteNetlinkMessage>,
) -> Option<NetEvent> {
    match payload {
        NetlinkPayload::InnerMessage(msg) => translate(seen, msg),
        NetlinkPayload::Overrun(_) => {
            seen.clear();
            Some(NetEvent::Overrun)
        }
        _ => None,
    }
}

/// Turns one rtnetlink notification into an event, or nothing when it changes nothing VRRP
/// cares about. `seen` holds the last reported state per interface index.
fn translate(seen: &mut HashMap<u32, bool>, msg: RouteNetlinkMessage) -> Option<NetEvent> {
    match msg {
        RouteNetlinkMessage::NewLink(link) => {
            let event = link_event(&link)?;
            if seen.insert(event.index, event.up) == Some(event.up) {
                return None;
            }
            Some(NetEvent::Link(event))
        }
        RouteNetlinkMessage::DelLink(link) => {
            let mut event = link_event(&link)?;
            seen.remove(&event.index);
            event.up = false;
            Some(NetEvent::Link(event))
        }
        RouteNetlinkMessage::NewAddress(addr) => addr_event(&addr, true).map(NetEvent::Addr),
        RouteNetlinkMessage::DelAddress(addr) => addr_event(&addr, false).map(NetEvent::Addr),
        _ => None,
    }
}

fn is_up(flags: LinkFlags) -> bool {
    flags.contains(LinkFlags::Up | LinkFlags::Running)
}

fn link_event(link: &LinkMessage) -> Option<LinkEvent> {
    let name = link.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(name) => Some(name.clone()),
        _ => None,
    })?;
    Some(LinkEvent {
        name,
        index: link.header.index,
        up: is_up(link.header.flags),
    })
}

fn addr_event(msg: &AddressMessage, added: bool) -> Option<AddrEvent> {
    // For IPv4, IFA_ADDRESS is the peer on point-to-point links; IFA_LOCAL is ours.
    let addr = match msg.header.family {
        AddressFamily::Inet => msg.attributes.iter().find_map(|a| match a {
            AddressAttribute::Local(ip) => Some(*ip),
            _ => None,
        }),
        AddressFamily::Inet6 => msg.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(ip) => Some(*ip),
            _ => None,
        }),
        _ => None,
    }?;
    Some(AddrEvent {
        index: msg.header.index,
        addr,
        prefix_len: msg.header.prefix_len,
        added,
    })
}

fn primary_v4(addrs: &[AddressMessage]) -> Option<Ipv4Addr> {
    addrs
        .iter()
        .filter(|m| m.header.family == AddressFamily::Inet)
        .filter(|m| !m.header.flags.contains(AddressHeaderFlags::Secondary))
        .find_map(|m| {
            m.attributes.iter().find_map(|a| match a {
                AddressAttribute::Local(IpAddr::V4(ip)) => Some(*ip),
                _ => None,
            })
        })
}

fn link_local_v6(addrs: &[AddressMessage]) -> Option<Ipv6Addr> {
    addrs
        .iter()
        .filter(|m| m.header.family == AddressFamily::Inet6)
        .find_map(|m| {
            m.attributes.iter().find_map(|a| match a {
                AddressAttribute::Address(IpAddr::V6(ip)) if ip.is_unicast_link_local() => {
                    Some(*ip)
                }
                _ => None,
            })
        })
}

#[cfg(test)]
mod unit {
    use super::*;

    fn link(index: u32, name: &str, flags: LinkFlags) -> LinkMessage {
        let mut m = LinkMessage::default();
        m.header.index = index;
        m.header.flags = flags;
        m.attributes.push(LinkAttribute::IfName(name.into()));
        m
    }

    fn v4(index: u32, ip: [u8; 4], flags: AddressHeaderFlags) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header.family = AddressFamily::Inet;
        m.header.index = index;
        m.header.prefix_len = 24;
        m.header.flags = flags;
        m.attributes
            .push(AddressAttribute::Local(IpAddr::V4(Ipv4Addr::from(ip))));
        m
    }

    #[test]
    fn up_needs_both_up_and_running() {
        assert!(is_up(
            LinkFlags::Up | LinkFlags::Running | LinkFlags::Broadcast
        ));
        assert!(!is_up(LinkFlags::Up), "admin up without carrier");
        assert!(!is_up(LinkFlags::Running));
    }

    #[test]
    fn link_events_are_deduplicated_per_index() {
        let mut seen = HashMap::new();
        let up = LinkFlags::Up | LinkFlags::Running;
        let ev =
            |seen: &mut HashMap<u32, bool>, m| translate(seen, RouteNetlinkMessage::NewLink(m));
        assert_eq!(
            ev(&mut seen, link(3, "eth0", up)),
            Some(NetEvent::Link(LinkEvent {
                name: "eth0".into(),
                index: 3,
                up: true
            }))
        );
        assert_eq!(ev(&mut seen, link(3, "eth0", up)), None, "same state again");
        assert_eq!(
            ev(&mut seen, link(4, "eth1", up)),
            Some(NetEvent::Link(LinkEvent {
                name: "eth1".into(),
                index: 4,
                up: true
            })),
            "other interface"
        );
        assert_eq!(
            ev(&mut seen, link(3, "eth0", LinkFlags::Up)),
            Some(NetEvent::Link(LinkEvent {
                name: "eth0".into(),
                index: 3,
                up: false
            }))
        );
        assert_eq!(
            translate(&mut seen, RouteNetlinkMessage::DelLink(link(4, "eth1", up))),
            Some(NetEvent::Link(LinkEvent {
                name: "eth1".into(),
                index: 4,
                up: false
            })),
            "deletion reports down"
        );
        assert!(ev(&mut seen, link(4, "eth1", up)).is_some(), "recreated");
    }

    #[test]
    fn overrun_is_reported_and_forgets_states() {
        let mut seen = HashMap::new();
        let up = LinkFlags::Up | LinkFlags::Running;
        let new = |m| NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(m));
        assert!(on_payload(&mut seen, new(link(3, "eth0", up))).is_some());
        assert!(on_payload(&mut seen, new(link(3, "eth0", up))).is_none());
        assert_eq!(
            on_payload(&mut seen, NetlinkPayload::Overrun(Vec::new())),
            Some(NetEvent::Overrun)
        );
        assert!(
            on_payload(&mut seen, new(link(3, "eth0", up))).is_some(),
            "after lost events the state is reported again"
        );
        assert_eq!(on_payload(&mut seen, NetlinkPayload::Noop), None);
    }

    #[test]
    fn address_events_use_local_for_ipv4() {
        let mut seen = HashMap::new();
        let mut m = v4(2, [198, 51, 100, 7], AddressHeaderFlags::empty());
        m.attributes.insert(
            0,
            AddressAttribute::Address(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 99))),
        );
        assert_eq!(
            translate(&mut seen, RouteNetlinkMessage::DelAddress(m)),
            Some(NetEvent::Addr(AddrEvent {
                index: 2,
                addr: "198.51.100.7".parse().unwrap(),
                prefix_len: 24,
                added: false
            }))
        );
    }

    #[test]
    fn primary_is_first_non_secondary_ipv4() {
        let addrs = [
            v4(2, [198, 51, 100, 9], AddressHeaderFlags::Secondary),
            v4(2, [198, 51, 100, 1], AddressHeaderFlags::Permanent),
            v4(2, [198, 51, 100, 2], AddressHeaderFlags::empty()),
        ];
        assert_eq!(primary_v4(&addrs), Some(Ipv4Addr::new(198, 51, 100, 1)));
        assert_eq!(primary_v4(&addrs[..1]), None);
    }

    #[test]
    fn link_local_is_the_fe80_address() {
        let v6 = |ip: &str| {
            let mut m = AddressMessage::default();
            m.header.family = AddressFamily::Inet6;
            m.attributes
                .push(AddressAttribute::Address(ip.parse().unwrap()));
            m
        };
        let addrs = [
            v4(2, [198, 51, 100, 1], AddressHeaderFlags::empty()),
            v6("2001:db8::1"),
            v6("fe80::1"),
        ];
        assert_eq!(link_local_v6(&addrs), Some("fe80::1".parse().unwrap()));
        assert_eq!(link_local_v6(&addrs[..2]), None);
    }
}
