//! Virtual addresses on interfaces, through rtnetlink `RTM_NEWADDR` / `RTM_DELADDR`.
//!
//! The messages carry exactly what keepalived's `netlink_ipaddress()` puts in them (inventory
//! §4.3): `IFA_LOCAL`, the configured prefix (a bare VIP is /32, so no subnet route appears),
//! `IFA_BROADCAST` only when `brd` was given, the numeric scope, `IFA_LABEL`; for IPv6 the
//! `nodad` flag (VRRP is its own duplicate detection) and, for a /128, a preferred lifetime of 0
//! so the VIP is never chosen as a source address. A delete names the address by `IFA_LOCAL`
//! and `IFA_ADDRESS` and prefix only, so it matches whatever label the address carries.

use std::net::IpAddr;

use futures::TryStreamExt;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressMessage, AddressScope, CacheInfo,
};

use super::Error;
use crate::model::VirtualAddr;

/// `EEXIST`: the kernel's answer to adding an address that is already there.
const EEXIST: i32 = libc::EEXIST;
/// `EADDRNOTAVAIL`: the kernel's answer to deleting an address that is not there.
const EADDRNOTAVAIL: i32 = libc::EADDRNOTAVAIL;
/// `INFINITY_LIFE_TIME` of `struct ifa_cacheinfo`.
const FOREVER: u32 = u32::MAX;

/// Which of the two address requests a message is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrOp {
    /// `RTM_NEWADDR`.
    Add,
    /// `RTM_DELADDR`.
    Del,
}

/// Builds the `ifaddrmsg` and attributes for adding or deleting `vip` on `ifindex`.
///
/// Pure, so the exact attributes are unit tested. Refuses what the kernel would reject or
/// silently misread: a prefix longer than the family allows, `brd` or `label` on IPv6, a label
/// longer than 15 bytes or containing NUL.
pub fn address_message(
    op: AddrOp,
    ifindex: u32,
    vip: &VirtualAddr,
) -> Result<AddressMessage, Error> {
    address_message_with_lifetime(op, ifindex, vip, None)
}

/// [`address_message`] with a valid lifetime of `lifetime` seconds on an add (`IFA_CACHEINFO`,
/// as `ip addr add … valid_lft L preferred_lft L`): the kernel removes the address by itself
/// once it runs out (`vrrp_vip_lifetime`). The preferred lifetime is the same, except for an
/// IPv6 /128, which stays deprecated (preferred 0) as without a lifetime. `None` = forever.
pub fn address_message_with_lifetime(
    op: AddrOp,
    ifindex: u32,
    vip: &VirtualAddr,
    lifetime: Option<u32>,
) -> Result<AddressMessage, Error> {
    let cache = |preferred: u32, valid: u32| {
        let mut c = CacheInfo::default();
        c.ifa_preferred = preferred;
        c.ifa_valid = valid;
        AddressAttribute::CacheInfo(c)
    };
    let invalid = |reason| Error::InvalidAddress {
        addr: vip.addr,
        reason,
    };
    let mut msg = AddressMessage::default();
    msg.header.index = ifindex;
    msg.header.prefix_len = vip.prefix_len;
    match vip.addr {
        IpAddr::V4(_) => {
            if vip.prefix_len > 32 {
                return Err(invalid("IPv4 prefix length above 32"));
            }
            msg.header.family = AddressFamily::Inet;
            msg.header.scope = AddressScope::from(vip.scope);
            msg.attributes.push(AddressAttribute::Local(vip.addr));
            match op {
                AddrOp::Add => {
                    if let Some(brd) = vip.brd {
                        msg.attributes.push(AddressAttribute::Broadcast(brd));
                    }
                    if let Some(label) = &vip.label {
                        if label.is_empty() || label.len() > 15 || label.contains('\0') {
                            return Err(invalid("label must be 1 to 15 bytes without NUL"));
                        }
                        msg.attributes.push(AddressAttribute::Label(label.clone()));
                    }
                    if let Some(l) = lifetime {
                        msg.attributes.push(cache(l, l));
                    }
                }
                AddrOp::Del => msg.attributes.push(AddressAttribute::Address(vip.addr)),
            }
        }
        IpAddr::V6(_) => {
            if vip.prefix_len > 128 {
                return Err(invalid("IPv6 prefix length above 128"));
            }
            if vip.brd.is_some() {
                return Err(invalid("brd is IPv4 only"));
            }
            if vip.label.is_some() {
                return Err(invalid("label is IPv4 only"));
            }
            msg.header.family = AddressFamily::Inet6;
            msg.attributes.push(AddressAttribute::Local(vip.addr));
            if op == AddrOp::Add {
                match (vip.prefix_len == 128, lifetime) {
                    (true, l) => msg.attributes.push(cache(0, l.unwrap_or(FOREVER))),
                    (false, Some(l)) => msg.attributes.push(cache(l, l)),
                    (false, None) => {}
                }
                msg.attributes
                    .push(AddressAttribute::Flags(AddressFlags::Nodad));
            }
        }
    }
    Ok(msg)
}

/// Adds `vip` to the interface `ifindex` (`ip addr add`), as keepalived does on becoming MASTER.
///
/// An address already present is [`Error::AddressExists`], which callers may treat as success.
pub async fn add_address(
    handle: &rtnetlink::Handle,
    ifindex: u32,
    vip: &VirtualAddr,
) -> Result<(), Error> {
    let msg = address_message(AddrOp::Add, ifindex, vip)?;
    let mut req = handle.address().add(ifindex, vip.addr, vip.prefix_len);
    *req.message_mut() = msg;
    req.execute().await.map_err(|source| {
        let err = Error::Netlink {
            what: format!(
                "add address {}/{} on ifindex {ifindex}",
                vip.addr, vip.prefix_len
            ),
            source,
        };
        match err.netlink_errno() {
            Some(EEXIST) => Error::AddressExists {
                addr: vip.addr,
                prefix_len: vip.prefix_len,
                ifindex,
            },
            _ => err,
        }
    })
}

/// Adds `vip` to `ifindex`, or renews it if present (`ip addr replace`), with a valid lifetime
/// of `lifetime` seconds (`None`: forever again). A MASTER renews its VIPs this way well
/// before they run out (`vrrp_vip_lifetime`), so only a daemon that is gone lets them expire.
pub async fn replace_address(
    handle: &rtnetlink::Handle,
    ifindex: u32,
    vip: &VirtualAddr,
    lifetime: Option<u32>,
) -> Result<(), Error> {
    let msg = address_message_with_lifetime(AddrOp::Add, ifindex, vip, lifetime)?;
    let mut req = handle
        .address()
        .add(ifindex, vip.addr, vip.prefix_len)
        .replace();
    *req.message_mut() = msg;
    req.execute().await.map_err(|source| Error::Netlink {
        what: format!(
            "replace address {}/{} on ifindex {ifindex}",
            vip.addr, vip.prefix_len
        ),
        source,
    })
}

/// Removes `vip` from the interface `ifindex` (`ip addr del`), whatever label it carries.
///
/// An address that is not there is [`Error::AddressNotPresent`], which callers may ignore.
pub async fn del_address(
    handle: &rtnetlink::Handle,
    ifindex: u32,
    vip: &VirtualAddr,
) -> Result<(), Error> {
    let msg = address_message(AddrOp::Del, ifindex, vip)?;
    handle.address().del(msg).execute().await.map_err(|source| {
        let err = Error::Netlink {
            what: format!(
                "delete address {}/{} on ifindex {ifindex}",
                vip.addr, vip.prefix_len
            ),
            source,
        };
        match err.netlink_errno() {
            Some(EADDRNOTAVAIL) => Error::AddressNotPresent {
                addr: vip.addr,
                prefix_len: vip.prefix_len,
                ifindex,
            },
            _ => err,
        }
    })
}

/// Whether `addr` (any prefix, any label) is configured on the interface `ifindex`.
///
/// Used at startup to remove VIPs left behind by a crashed run (inventory §4.3).
pub async fn has_address(
    handle: &rtnetlink::Handle,
    ifindex: u32,
    addr: IpAddr,
) -> Result<bool, Error> {
    let mut dump = handle
        .address()
        .get()
        .set_link_index_filter(ifindex)
        .set_address_filter(addr)
        .execute();
    let found = dump.try_next().await.map_err(|source| Error::Netlink {
        what: format!("dump addresses of ifindex {ifindex}"),
        source,
    })?;
    // Drain the dump so the request completes cleanly on the shared connection.
    while dump
        .try_next()
        .await
        .map_err(|source| Error::Netlink {
            what: format!("dump addresses of ifindex {ifindex}"),
            source,
        })?
        .is_some()
    {}
    Ok(found.is_some())
}

#[cfg(test)]
mod unit {
    use super::*;
    use netlink_packet_route::address::AddressHeaderFlags;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn vip4(prefix_len: u8) -> VirtualAddr {
        VirtualAddr {
            addr: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10)),
            prefix_len,
            brd: None,
            dev: None,
            scope: 0,
            label: None,
            no_track: false,
        }
    }

    #[test]
    fn bare_ipv4_vip_is_local_only_with_no_broadcast() {
        let msg = address_message(AddrOp::Add, 3, &vip4(32)).unwrap();
        assert_eq!(msg.header.family, AddressFamily::Inet);
        assert_eq!(msg.header.index, 3);
        assert_eq!(msg.header.prefix_len, 32);
        assert_eq!(msg.header.scope, AddressScope::Universe);
        assert_eq!(msg.header.flags, AddressHeaderFlags::empty());
        assert_eq!(
            msg.attributes,
            vec![AddressAttribute::Local("198.51.100.10".parse().unwrap())]
        );
    }

    #[test]
    fn a_lifetime_is_cacheinfo_and_keeps_ipv6_host_vips_deprecated() {
        let info = |msg: &AddressMessage| {
            msg.attributes.iter().find_map(|a| match a {
                AddressAttribute::CacheInfo(c) => Some((c.ifa_preferred, c.ifa_valid)),
                _ => None,
            })
        };
        let v4 = address_message_with_lifetime(AddrOp::Add, 3, &vip4(32), Some(30)).unwrap();
        assert_eq!(info(&v4), Some((30, 30)));
        assert_eq!(
            info(&address_message(AddrOp::Add, 3, &vip4(32)).unwrap()),
            None
        );
        // A delete never carries it.
        let del = address_message_with_lifetime(AddrOp::Del, 3, &vip4(32), Some(30)).unwrap();
        assert_eq!(info(&del), None);
        let host6 = VirtualAddr {
            addr: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x50)),
            prefix_len: 128,
            ..vip4(32)
        };
        let m = address_message_with_lifetime(AddrOp::Add, 3, &host6, Some(30)).unwrap();
        assert_eq!(info(&m), Some((0, 30)));
        let m = address_message_with_lifetime(AddrOp::Add, 3, &host6, None).unwrap();
        assert_eq!(info(&m), Some((0, FOREVER)));
        let net6 = VirtualAddr {
            prefix_len: 64,
            ..host6
        };
        let m = address_message_with_lifetime(AddrOp::Add, 3, &net6, Some(30)).unwrap();
        assert_eq!(info(&m), Some((30, 30)));
        assert_eq!(info(&address_message(AddrOp::Add, 3, &net6).unwrap()), None);
    }

    #[test]
    fn ipv4_add_carries_brd_scope_and_label() {
        let vip = VirtualAddr {
            prefix_len: 24,
            brd: Some(Ipv4Addr::new(198, 51, 100, 255)),
            scope: 253,
            label: Some("eth0:vip".into()),
            ..vip4(24)
        };
        let msg = address_message(AddrOp::Add, 7, &vip).unwrap();
        assert_eq!(msg.header.scope, AddressScope::Link);
        assert_eq!(msg.header.prefix_len, 24);
        assert_eq!(
            msg.attributes,
            vec![
                AddressAttribute::Local(vip.addr),
                AddressAttribute::Broadcast(Ipv4Addr::new(198, 51, 100, 255)),
                AddressAttribute::Label("eth0:vip".into()),
            ]
        );
    }

    #[test]
    fn ipv4_delete_names_address_without_label_or_brd() {
        let vip = VirtualAddr {
            brd: Some(Ipv4Addr::new(198, 51, 100, 255)),
            label: Some("eth0:vip".into()),
            ..vip4(32)
        };
        let msg = address_message(AddrOp::Del, 7, &vip).unwrap();
        assert_eq!(
            msg.attributes,
            vec![
                AddressAttribute::Local(vip.addr),
                AddressAttribute::Address(vip.addr)
            ]
        );
    }

    #[test]
    fn ipv6_host_vip_is_deprecated_and_nodad() {
        let vip = VirtualAddr {
            addr: IpAddr::V6("2001:db8::10".parse::<Ipv6Addr>().unwrap()),
            prefix_len: 128,
            scope: 0,
            ..vip4(128)
        };
        let msg = address_message(AddrOp::Add, 2, &vip).unwrap();
        assert_eq!(msg.header.family, AddressFamily::Inet6);
        let mut cache = CacheInfo::default();
        cache.ifa_preferred = 0;
        cache.ifa_valid = u32::MAX;
        assert_eq!(
            msg.attributes,
            vec![
                AddressAttribute::Local(vip.addr),
                AddressAttribute::CacheInfo(cache),
                AddressAttribute::Flags(AddressFlags::Nodad),
            ]
        );
        let wide = VirtualAddr {
            prefix_len: 64,
            ..vip.clone()
        };
        let msg = address_message(AddrOp::Add, 2, &wide).unwrap();
        assert!(
            !msg.attributes
                .iter()
                .any(|a| matches!(a, AddressAttribute::CacheInfo(_))),
            "only a /128 is deprecated"
        );
    }

    #[test]
    fn impossible_addresses_are_refused() {
        assert!(matches!(
            address_message(AddrOp::Add, 1, &vip4(33)),
            Err(Error::InvalidAddress { .. })
        ));
        let long_label = VirtualAddr {
            label: Some("a-label-too-long".into()),
            ..vip4(32)
        };
        assert!(address_message(AddrOp::Add, 1, &long_label).is_err());
        let v6_label = VirtualAddr {
            addr: "2001:db8::1".parse().unwrap(),
            label: Some("x".into()),
            ..vip4(128)
        };
        assert!(address_message(AddrOp::Add, 1, &v6_label).is_err());
        let v6_long = VirtualAddr {
            addr: "2001:db8::1".parse().unwrap(),
            ..vip4(129)
        };
        assert!(address_message(AddrOp::Del, 1, &v6_long).is_err());
    }
}
