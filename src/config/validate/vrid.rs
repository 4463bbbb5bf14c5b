//! VRID conflicts between instances, once every instance is read: keepalived's
//! `check_vrid_conflicts()`. Two instances may share a VRID on one interface when they differ
//! in family (IPv4/IPv6) or mode (multicast/unicast), each pair having sockets of its own;
//! two multicast instances of one family may not; two unicast ones may, unless their local
//! addresses are the same and they list a common peer (then an advert could not be told
//! apart by its source).

use std::net::{IpAddr, Ipv6Addr};

use super::Validator;
use crate::config::diag::{Level, Severity};
use crate::model::Instance;

/// An instance's local address for this check: configured, else its interface's first
/// address of the family (read only with host checks), else unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Local {
    Known(IpAddr),
    /// The interface's, whatever it is: equal for two instances on one interface.
    Interface,
    Unknown,
}

impl Validator<'_> {
    pub(super) fn check_vrid_conflicts(&mut self) {
        let mut found = Vec::new();
        let all = &self.config.instances;
        // Only instances with one VRID can conflict: pair them within VRID buckets (1000
        // instances over 250 VRIDs is 1,500 pairs instead of 500,000), in the file's order.
        let mut by_vrid: std::collections::HashMap<u8, Vec<usize>> = Default::default();
        for (n, a) in all.iter().enumerate() {
            by_vrid.entry(a.vrid).or_default().push(n);
        }
        let mut pairs: Vec<(usize, usize)> = by_vrid
            .values()
            .flat_map(|v| {
                v.iter()
                    .enumerate()
                    .flat_map(move |(k, &n)| v[k + 1..].iter().map(move |&m| (n, m)))
            })
            .collect();
        pairs.sort_unstable();
        for (n, m) in pairs {
            let (a, b) = (&all[n], &all[m]);
            if a.is_ipv6() != b.is_ipv6() || a.is_unicast() != b.is_unicast() {
                continue;
            }
            if a.is_unicast() {
                if a.interface.is_some() && b.interface.is_some() && a.interface != b.interface {
                    continue;
                }
                let (la, lb) = (self.local(a), self.local(b));
                let same = match (la, lb) {
                    (Local::Known(x), Local::Known(y)) => x == y,
                    (Local::Interface, Local::Interface) => a.interface == b.interface,
                    _ => false,
                };
                if !same || !a.unicast_peers.iter().any(|p| b.unicast_peers.contains(p)) {
                    continue;
                }
                found.push((
                    b.name.clone(),
                    format!(
                        "({}) duplicate VRID conflict with {} VRID {}",
                        a.name, b.name, a.vrid
                    ),
                    "these unicast instances share a local address, a VRID and a peer: \
                         an advert from that peer could be for either; give one another VRID",
                ));
                continue;
            }
            // Multicast: the group is the same for every instance of a family here.
            if a.interface != b.interface || a.mcast_group != b.mcast_group {
                continue;
            }
            found.push((
                b.name.clone(),
                format!(
                    "{} and {} both use VRID {} with IPv{} on interface {}",
                    a.name,
                    b.name,
                    a.vrid,
                    if a.is_ipv6() { 6 } else { 4 },
                    a.interface.as_deref().unwrap_or("(none)")
                ),
                "two multicast instances of one family on one interface need different \
                     virtual_router_ids (keepalived refuses to start); a unicast instance or \
                     one of the other family may share it",
            ));
        }
        for (name, msg, help) in found {
            let Some(span) = self.instance_spans.get(&name).cloned() else {
                continue;
            };
            self.rep
                .at(Severity::Fatal, Some(Level::GeneralError), &span, msg)
                .help = Some(help.into());
        }
    }

    fn local(&self, i: &Instance) -> Local {
        if let Some(a) = i.src_ip {
            return Local::Known(a);
        }
        let Some(ifname) = i.interface.as_deref() else {
            return Local::Unknown;
        };
        if !self.opts.check_interfaces {
            return Local::Interface;
        }
        interface_address(ifname, i.is_ipv6()).map_or(Local::Unknown, Local::Known)
    }
}

/// The address keepalived takes from the interface: its first IPv4 address, or its first
/// IPv6 link-local one.
fn interface_address(ifname: &str, v6: bool) -> Option<IpAddr> {
    let addrs = nix::ifaddrs::getifaddrs().ok()?;
    addrs
        .filter(|a| a.interface_name == ifname)
        .filter_map(|a| a.address)
        .find_map(|sa| {
            if v6 {
                sa.as_sockaddr_in6()
                    .map(|s| s.ip())
                    .filter(Ipv6Addr::is_unicast_link_local)
                    .map(IpAddr::V6)
            } else {
                sa.as_sockaddr_in().map(|s| IpAddr::V4(s.ip()))
            }
        })
}
