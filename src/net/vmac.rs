//! VMAC interfaces on the host, as keepalived's `vrrp_vmac.c` and `vrrp_if_config.c` make
//! them (inventory §8.10): a macvlan in private mode on the parent with the virtual router MAC,
//! IPv6 address generation off, up; the IPv4 sysctls keepalived sets on it and on its parent
//! (and `all`/`default` `rp_filter`), each remembered so it can be put back; IPv6 disabled on
//! an IPv4 VMAC; the link-local address of an IPv6 one.
//!
//! The messages are built by pure functions (unit tested attribute by attribute); the async
//! functions only send them. Deciding what to do with an interface already there is
//! [`plan`]'s job, also pure. Nothing here logs: the daemon words what happened as keepalived
//! does.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage, CacheInfo};
use netlink_packet_route::link::{
    AfSpecInet, AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoData, InfoKind, InfoMacVlan,
    LinkAttribute, LinkFlags, LinkInfo, LinkMessage, MacVlanMode,
};
use rtnetlink::packet_core::{DefaultNla, Emitable};

use super::{Error, check_ifname};

/// `IFLA_INET_CONF`: the nest of IPv4 devconf values inside `IFLA_AF_SPEC`/`AF_INET`.
const IFLA_INET_CONF: u16 = 1;
/// `IPV4_DEVCONF_RP_FILTER` (linux/ip.h; the attribute type is the 1-based index).
pub const DEVCONF_RP_FILTER: u16 = 8;
/// `IPV4_DEVCONF_ARPFILTER`.
pub const DEVCONF_ARP_FILTER: u16 = 13;
/// `IPV4_DEVCONF_ARP_IGNORE`.
pub const DEVCONF_ARP_IGNORE: u16 = 19;
/// `IPV4_DEVCONF_PROMOTE_SECONDARIES`.
pub const DEVCONF_PROMOTE_SECONDARIES: u16 = 20;
/// `IPV4_DEVCONF_ACCEPT_LOCAL`.
pub const DEVCONF_ACCEPT_LOCAL: u16 = 23;

/// What keepalived sets on a VMAC it creates (`vmac_sysctl[]`): no ARP replies for the
/// parent's addresses, hear other local instances' adverts, receive with no address of its own,
/// keep other addresses when one is deleted.
pub const VMAC_DEVCONF: [(u16, u32); 4] = [
    (DEVCONF_ARP_IGNORE, 1),
    (DEVCONF_ACCEPT_LOCAL, 1),
    (DEVCONF_RP_FILTER, 0),
    (DEVCONF_PROMOTE_SECONDARIES, 1),
];

/// What keepalived sets on the parent of a VMAC (`parent_sysctl[]`): the parent must not
/// answer ARP for the VIPs, which are on the VMAC.
pub const PARENT_DEVCONF: [(u16, u32); 2] = [(DEVCONF_ARP_IGNORE, 1), (DEVCONF_ARP_FILTER, 1)];

/// An interface as the VMAC decisions see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSummary {
    /// Its name.
    pub name: String,
    /// Its index.
    pub index: u32,
    /// `IFLA_LINK`: the interface a macvlan sits on.
    pub parent: Option<u32>,
    /// `IFLA_INFO_KIND` is `macvlan`.
    pub macvlan: bool,
    /// Its macvlan mode is `private`.
    pub private: bool,
    /// Its MAC (zeros when it has none).
    pub mac: [u8; 6],
}

/// What to do for a wanted VMAC, given the interfaces already there (keepalived's
/// `vrrp_complete_instance()` search, then `netlink_link_add_vmac()`'s checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// A private macvlan with the MAC is on the parent already (left by an earlier run):
    /// use it, under its own name ("Found matching interface").
    Reuse {
        /// Its name (may differ from the wanted one).
        name: String,
        /// Its index.
        index: u32,
    },
    /// Nothing has the name: create it.
    Create,
    /// A macvlan with the name is on the parent with another MAC or mode: change them
    /// ("Update old VMAC interface … due to wrong MAC/mode").
    Update {
        /// Its index.
        index: u32,
    },
    /// A macvlan with the name is on another interface: delete it, then create ("Removing
    /// old VMAC interface … due to conflicting interface").
    Replace {
        /// Its index.
        index: u32,
    },
    /// Something else has the name ("VMAC … conflicts with existing interface"): no VMAC.
    Conflict,
}

/// Decides what [`Plan`] applies to the VMAC `name` with `mac` on `parent` (an index).
pub fn plan(links: &[LinkSummary], name: &str, parent: u32, mac: [u8; 6]) -> Plan {
    if let Some(l) = links
        .iter()
        .find(|l| l.parent == Some(parent) && l.macvlan && l.private && l.mac == mac)
    {
        return Plan::Reuse {
            name: l.name.clone(),
            index: l.index,
        };
    }
    match links.iter().find(|l| l.name == name) {
        None => Plan::Create,
        Some(l) if !l.macvlan => Plan::Conflict,
        Some(l) if l.parent == Some(parent) => Plan::Update { index: l.index },
        Some(l) => Plan::Replace { index: l.index },
    }
}

/// `IFLA_LINKINFO { kind macvlan, data { mode private } }`: private mode lets the VMAC
/// receive frames whose source is its own MAC (the other node's adverts carry it too).
fn macvlan_private() -> LinkAttribute {
    LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::MacVlan),
        LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(
            MacVlanMode::Private,
        )])),
    ])
}

/// `RTM_NEWLINK` (to be sent with `NLM_F_CREATE | NLM_F_EXCL`) creating the VMAC `name` on
/// `parent` with `mac`, in keepalived's attribute order.
pub fn create_message(name: &str, parent: u32, mac: [u8; 6]) -> Result<LinkMessage, Error> {
    check_ifname(name)?;
    if parent == 0 {
        return Err(Error::InvalidInterfaceIndex(name.to_owned()));
    }
    let mut m = LinkMessage::default();
    m.attributes.push(macvlan_private());
    m.attributes.push(LinkAttribute::Link(parent));
    m.attributes.push(LinkAttribute::IfName(name.to_owned()));
    m.attributes.push(LinkAttribute::Address(mac.to_vec()));
    Ok(m)
}

/// `RTM_NEWLINK` on the existing macvlan `index` giving it private mode and `mac`.
pub fn update_message(index: u32, mac: [u8; 6]) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes.push(macvlan_private());
    m.attributes.push(LinkAttribute::Address(mac.to_vec()));
    m
}

/// `IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE none } }`: no EUI-64 link-local from
/// the virtual MAC (RFC 5798 §7.4); the kernel ignores it in the creating message.
pub fn addr_gen_none_message(index: u32) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes
        .push(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
            vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::None)],
        )]));
    m
}

/// `RTM_NEWLINK` setting `IFF_UP` on `index` (and nothing else).
pub fn up_message(index: u32) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.header.flags = LinkFlags::Up;
    m.header.change_mask = LinkFlags::Up;
    m
}

/// `IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF { type: value, … } } }` on `index`, as keepalived's
/// `netlink_set_interface_flags()` builds it: only the listed values, zeros included
/// (netlink-packet-route's own devconf request leaves zeros out, and `rp_filter 0` is one).
pub fn devconf_message(index: u32, values: &[(u16, u32)]) -> LinkMessage {
    let mut conf = Vec::new();
    for &(kind, value) in values {
        let nla = DefaultNla::new(kind, value.to_ne_bytes().to_vec());
        let mut buf = vec![0u8; nla.buffer_len()];
        nla.emit(&mut buf);
        conf.extend_from_slice(&buf);
    }
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes
        .push(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet(vec![
            AfSpecInet::Other(DefaultNla::new(IFLA_INET_CONF, conf)),
        ])]));
    m
}

/// The link-local address keepalived gives an IPv6 VMAC (`add_link_local_address()`): /64,
/// `nodad`, preferred lifetime 0 (never chosen as a source by the kernel), valid forever.
pub fn link_local_message(index: u32, addr: Ipv6Addr) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = AddressFamily::Inet6;
    m.header.prefix_len = 64;
    m.header.index = index;
    let mut cache = CacheInfo::default();
    cache.ifa_preferred = 0;
    cache.ifa_valid = u32::MAX;
    m.attributes.push(AddressAttribute::CacheInfo(cache));
    m.attributes.push(AddressAttribute::Local(IpAddr::V6(addr)));
    m.attributes
        .push(AddressAttribute::Flags(AddressFlags::Nodad));
    m
}

/// `make_link_local_address()`: fe80::/64 with the modified EUI-64 of `mac` (U/L bit flipped,
/// ff:fe in the middle), used when the parent has no link-local address of its own.
pub fn eui64_link_local(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ])
}

fn netlink_err(what: String) -> impl FnOnce(rtnetlink::Error) -> Error {
    move |source| Error::Netlink { what, source }
}

/// Every interface of the namespace with what [`plan`] needs (`RTM_GETLINK` dump).
pub async fn links(handle: &rtnetlink::Handle) -> Result<Vec<LinkSummary>, Error> {
    let msgs: Vec<LinkMessage> = handle
        .link()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(netlink_err("dump links".into()))?;
    Ok(msgs.iter().map(summary).collect())
}

fn summary(l: &LinkMessage) -> LinkSummary {
    let mut s = LinkSummary {
        name: String::new(),
        index: l.header.index,
        parent: None,
        macvlan: false,
        private: false,
        mac: [0; 6],
    };
    for a in &l.attributes {
        match a {
            LinkAttribute::IfName(n) => s.name = n.clone(),
            LinkAttribute::Link(p) => s.parent = Some(*p),
            LinkAttribute::Address(m) => {
                if let Ok(m) = <[u8; 6]>::try_from(m.as_slice()) {
                    s.mac = m;
                }
            }
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    match i {
                        LinkInfo::Kind(InfoKind::MacVlan) => s.macvlan = true,
                        LinkInfo::Data(InfoData::MacVlan(d)) => {
                            s.private = d
                                .iter()
                                .any(|x| matches!(x, InfoMacVlan::Mode(MacVlanMode::Private)))
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    s
}

/// Creates the VMAC (`ip link add link PARENT name NAME address MAC type macvlan mode
/// private`).
pub async fn create(
    handle: &rtnetlink::Handle,
    name: &str,
    parent: u32,
    mac: [u8; 6],
) -> Result<(), Error> {
    let m = create_message(name, parent, mac)?;
    handle
        .link()
        .add(m)
        .execute()
        .await
        .map_err(netlink_err(format!(
            "create macvlan {name} on ifindex {parent}"
        )))
}

/// Gives the macvlan `index` private mode and `mac`.
pub async fn update(handle: &rtnetlink::Handle, index: u32, mac: [u8; 6]) -> Result<(), Error> {
    handle
        .link()
        .change(update_message(index, mac))
        .execute()
        .await
        .map_err(netlink_err(format!("update macvlan ifindex {index}")))
}

/// Deletes the interface `index` (`RTM_DELLINK`).
pub async fn delete(handle: &rtnetlink::Handle, index: u32) -> Result<(), Error> {
    handle
        .link()
        .del(index)
        .execute()
        .await
        .map_err(netlink_err(format!("delete link ifindex {index}")))
}

/// Turns IPv6 address generation off on `index`, then sets it up (two messages, as the
/// kernel would otherwise add an EUI-64 address while handling the first).
pub async fn bring_up(handle: &rtnetlink::Handle, index: u32) -> Result<(), Error> {
    handle
        .link()
        .change(addr_gen_none_message(index))
        .execute()
        .await
        .map_err(netlink_err(format!(
            "addr_gen_mode none on ifindex {index}"
        )))?;
    handle
        .link()
        .change(up_message(index))
        .execute()
        .await
        .map_err(netlink_err(format!("set ifindex {index} up")))
}

/// Sets IPv4 devconf values of `index` ([`devconf_message`]).
pub async fn set_devconf(
    handle: &rtnetlink::Handle,
    index: u32,
    values: &[(u16, u32)],
) -> Result<(), Error> {
    handle
        .link()
        .change(devconf_message(index, values))
        .execute()
        .await
        .map_err(netlink_err(format!("set IPv4 devconf on ifindex {index}")))
}

/// Adds the IPv6 VMAC's link-local address ([`link_local_message`]); already there is fine.
pub async fn add_link_local(
    handle: &rtnetlink::Handle,
    index: u32,
    addr: Ipv6Addr,
) -> Result<(), Error> {
    let mut req = handle.address().add(index, IpAddr::V6(addr), 64);
    *req.message_mut() = link_local_message(index, addr);
    match req.execute().await {
        Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code().abs() == libc::EEXIST => Ok(()),
        r => r.map_err(netlink_err(format!(
            "add link-local {addr}/64 on ifindex {index}"
        ))),
    }
}

/// Removes the link-local address `addr`/64 from `index`.
pub async fn del_link_local(
    handle: &rtnetlink::Handle,
    index: u32,
    addr: Ipv6Addr,
) -> Result<(), Error> {
    let mut m = link_local_message(index, addr);
    m.attributes
        .retain(|a| matches!(a, AddressAttribute::Local(_)));
    handle
        .address()
        .del(m)
        .execute()
        .await
        .map_err(netlink_err(format!(
            "delete link-local {addr}/64 on ifindex {index}"
        )))
}

/// The IPv6 link-local addresses on `index` (`RTM_GETADDR` dump).
pub async fn link_locals(handle: &rtnetlink::Handle, index: u32) -> Result<Vec<Ipv6Addr>, Error> {
    let msgs: Vec<AddressMessage> = handle
        .address()
        .get()
        .set_link_index_filter(index)
        .execute()
        .try_collect()
        .await
        .map_err(netlink_err(format!("dump addresses of ifindex {index}")))?;
    Ok(msgs
        .iter()
        .filter(|m| m.header.family == AddressFamily::Inet6)
        .flat_map(|m| m.attributes.iter())
        .filter_map(|a| match a {
            AddressAttribute::Address(IpAddr::V6(a)) if a.is_unicast_link_local() => Some(*a),
            _ => None,
        })
        .collect())
}

/// `/proc/sys/net/<family>/conf/<ifname>/<key>`.
pub fn sysctl_path(family: &str, ifname: &str, key: &str) -> PathBuf {
    Path::new("/proc/sys/net")
        .join(family)
        .join("conf")
        .join(ifname)
        .join(key)
}

/// Reads a one-digit sysctl as keepalived's `get_sysctl()` does (its first character).
pub fn read_sysctl(path: &Path) -> Option<u32> {
    let s = std::fs::read_to_string(path).ok()?;
    s.chars().next()?.to_digit(10)
}

/// Writes a sysctl.
pub fn write_sysctl(path: &Path, value: u32) -> Result<(), Error> {
    std::fs::write(path, value.to_string()).map_err(|source| Error::Socket {
        what: "write sysctl",
        ifname: path.display().to_string(),
        source,
    })
}

/// `net.ipv6.conf.IF.disable_ipv6`: keepalived turns IPv6 off on an IPv4 VMAC
/// (`link_set_ipv6()`), so it sends no MLD or router solicitations with the virtual MAC.
pub fn set_ipv6_disabled(ifname: &str, disabled: bool) -> Result<(), Error> {
    check_ifname(ifname)?;
    write_sysctl(
        &sysctl_path("ipv6", ifname, "disable_ipv6"),
        u32::from(disabled),
    )
}

/// `net.ipv4.igmp_link_local_mcast_reports`, which `disable_local_igmp` sets to 0.
pub const IGMP_LINK_LOCAL_MCAST_REPORTS: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

/// A parent whose `arp_ignore`/`arp_filter` we changed, and what they were.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParentArp {
    name: String,
    arp_ignore: u32,
    arp_filter: u32,
    /// VMACs on it that asked for the change (keepalived's `reset_arp_config` count).
    users: u32,
}

/// `all.rp_filter` and what was raised so that it could be 0 (`clear_rp_filter()`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct RpFilter {
    /// The value `all.rp_filter` had.
    all: u32,
    /// The value `default.rp_filter` had, when it was raised to `all`.
    default: Option<u32>,
    /// Interfaces whose `rp_filter` was raised to `all`, with their old value.
    raised: Vec<(String, u32)>,
}

/// One change to undo: what a [`VmacHost`] hands back when a VMAC goes or the daemon stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    /// Put these devconf values back on an interface.
    Devconf {
        /// The interface's name (for messages).
        name: String,
        /// Its index.
        index: u32,
        /// The values.
        values: Vec<(u16, u32)>,
    },
    /// Write a sysctl back if it still holds the value we set (keepalived only restores what
    /// nobody changed since).
    Sysctl {
        /// The file.
        path: PathBuf,
        /// The value we set.
        ours: u32,
        /// The value to put back.
        value: u32,
    },
}

/// The host settings changed for VMACs, to be put back: keepalived's `reset_arp_config`
/// count per parent and its saved `rp_filter` values.
#[derive(Debug, Default)]
pub struct VmacHost {
    parents: HashMap<u32, ParentArp>,
    rp_filter: Option<RpFilter>,
    /// `disable_local_igmp` turned the reports off (they were on).
    local_igmp_off: bool,
}

/// What [`VmacHost::configure`] did, for keepalived's NOTICE lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Configured {
    /// `(sysctl, from, to)` for `all.rp_filter` and `default.rp_filter` changes.
    pub notices: Vec<(String, u32, u32)>,
}

impl VmacHost {
    /// `set_interface_parameters()` for a freshly made IPv4 VMAC `index` on `parent`: first
    /// `all.rp_filter` to 0 (after raising `default` and every interface to its value, so
    /// nothing else loosens), then [`VMAC_DEVCONF`] on the VMAC and [`PARENT_DEVCONF`] on
    /// the parent unless it has both already, counting the VMACs that rely on it.
    pub async fn configure(
        &mut self,
        handle: &rtnetlink::Handle,
        index: u32,
        parent: u32,
        parent_name: &str,
    ) -> Result<Configured, Error> {
        let mut done = Configured::default();
        if self.rp_filter.is_none() {
            done.notices = self.clear_rp_filter();
        }
        set_devconf(handle, index, &VMAC_DEVCONF).await?;
        if let Some(p) = self.parents.get_mut(&parent) {
            p.users += 1;
            return Ok(done);
        }
        let ignore = read_sysctl(&sysctl_path("ipv4", parent_name, "arp_ignore"));
        let filter = read_sysctl(&sysctl_path("ipv4", parent_name, "arp_filter"));
        if ignore != Some(1) || filter != Some(1) {
            set_devconf(handle, parent, &PARENT_DEVCONF).await?;
            self.parents.insert(
                parent,
                ParentArp {
                    name: parent_name.to_owned(),
                    arp_ignore: ignore.unwrap_or(0),
                    arp_filter: filter.unwrap_or(0),
                    users: 1,
                },
            );
        }
        Ok(done)
    }

    /// `clear_rp_filter()`: a VMAC needs `rp_filter` 0, which `all.rp_filter` > 0 overrides.
    fn clear_rp_filter(&mut self) -> Vec<(String, u32, u32)> {
        let all_path = sysctl_path("ipv4", "all", "rp_filter");
        let Some(all) = read_sysctl(&all_path).filter(|&v| v > 0) else {
            return Vec::new();
        };
        let mut saved = RpFilter {
            all,
            ..RpFilter::default()
        };
        let mut notices = Vec::new();
        let default_path = sysctl_path("ipv4", "default", "rp_filter");
        if let Some(d) = read_sysctl(&default_path).filter(|&d| d < all) {
            if write_sysctl(&default_path, all).is_ok() {
                notices.push(("net.ipv4.conf.default.rp_filter".into(), d, all));
                saved.default = Some(d);
            }
        }
        if let Ok(dir) = std::fs::read_dir("/proc/sys/net/ipv4/conf") {
            let mut names: Vec<String> = dir
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n != "all" && n != "default")
                .collect();
            names.sort();
            for n in names {
                let p = sysctl_path("ipv4", &n, "rp_filter");
                if let Some(v) = read_sysctl(&p).filter(|&v| v < all) {
                    if write_sysctl(&p, all).is_ok() {
                        saved.raised.push((n, v));
                    }
                }
            }
        }
        if write_sysctl(&all_path, 0).is_ok() {
            notices.push(("net.ipv4.conf.all.rp_filter".into(), all, 0));
        }
        self.rp_filter = Some(saved);
        notices
    }

    /// `set_disable_local_igmp()`: no IGMP reports for link-local groups while we run (only
    /// when they were on). Errors are the caller's to log.
    pub fn disable_local_igmp(&mut self) -> Result<(), Error> {
        let path = Path::new(IGMP_LINK_LOCAL_MCAST_REPORTS);
        if read_sysctl(path) == Some(1) {
            write_sysctl(path, 0)?;
            self.local_igmp_off = true;
        }
        Ok(())
    }

    /// `reset_disable_local_igmp()`: what to put back at stop, also with `-V`.
    pub fn restore_local_igmp(&mut self) -> Option<Restore> {
        std::mem::take(&mut self.local_igmp_off).then(|| Restore::Sysctl {
            path: PathBuf::from(IGMP_LINK_LOCAL_MCAST_REPORTS),
            ours: 0,
            value: 1,
        })
    }

    /// `reset_interface_parameters()` for a VMAC on `parent` that goes: when it was the last
    /// one relying on the parent's ARP settings, what to put back.
    pub fn release(&mut self, parent: u32) -> Option<Restore> {
        let p = self.parents.get_mut(&parent)?;
        p.users -= 1;
        if p.users > 0 {
            return None;
        }
        let p = self.parents.remove(&parent)?;
        Some(Restore::Devconf {
            name: p.name,
            index: parent,
            values: vec![
                (DEVCONF_ARP_IGNORE, p.arp_ignore),
                (DEVCONF_ARP_FILTER, p.arp_filter),
            ],
        })
    }

    /// Everything still to put back when the daemon stops: `restore_rp_filter()` (only values
    /// still as we set them) and every parent's ARP settings.
    pub fn teardown(&mut self) -> Vec<Restore> {
        let mut out: Vec<Restore> = self.restore_local_igmp().into_iter().collect();
        if let Some(rp) = self.rp_filter.take() {
            out.push(Restore::Sysctl {
                path: sysctl_path("ipv4", "all", "rp_filter"),
                ours: 0,
                value: rp.all,
            });
            if let Some(d) = rp.default {
                out.push(Restore::Sysctl {
                    path: sysctl_path("ipv4", "default", "rp_filter"),
                    ours: rp.all,
                    value: d,
                });
            }
            for (n, v) in rp.raised {
                out.push(Restore::Sysctl {
                    path: sysctl_path("ipv4", &n, "rp_filter"),
                    ours: rp.all,
                    value: v,
                });
            }
        }
        let mut parents: Vec<(u32, ParentArp)> = self.parents.drain().collect();
        parents.sort_by_key(|(i, _)| *i);
        for (index, p) in parents {
            out.push(Restore::Devconf {
                name: p.name,
                index,
                values: vec![
                    (DEVCONF_ARP_IGNORE, p.arp_ignore),
                    (DEVCONF_ARP_FILTER, p.arp_filter),
                ],
            });
        }
        out
    }
}

/// Applies one [`Restore`]; a sysctl changed by someone else since is left alone (returns
/// false then).
pub async fn restore(handle: &rtnetlink::Handle, r: &Restore) -> Result<bool, Error> {
    match r {
        Restore::Devconf { index, values, .. } => {
            set_devconf(handle, *index, values).await.map(|()| true)
        }
        Restore::Sysctl { path, ours, value } => {
            if read_sysctl(path) != Some(*ours) {
                return Ok(false);
            }
            write_sysctl(path, *value).map(|()| true)
        }
    }
}

#[cfg(test)]
mod unit;
