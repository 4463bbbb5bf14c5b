//! Which instances a received advert is for: keepalived's socket pool
//! (`vrrp_create_sockpool()`, `vrrp_dispatcher_read()`), where every (interface, family,
//! multicast group or unicast source) has a receive socket of its own and an advert reaches
//! only the instances attached to the socket it came in on.
//!
//! Unicast and multicast are separate VRID spaces, and so are IPv4 and IPv6: one interface
//! may carry VRID 51 as an IPv4 multicast, an IPv4 unicast, an IPv6 multicast and an IPv6
//! unicast instance at once. Unicast instances sharing a local address and a VRID (keepalived
//! refuses them only when they also share a peer) are told apart by the advert's source: it
//! goes to the one listing it as a `unicast_peer`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a receive socket is bound to, beside its interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Bound {
    /// IPv4 multicast mode: joined to and bound to this group.
    Group4(Ipv4Addr),
    /// IPv4 unicast mode: not bound to an address (so that a source address that changes
    /// needs no new socket); the destination is checked here instead.
    Unicast4,
    /// IPv6: bound to this address, the group (multicast mode) or the instance's source
    /// (unicast mode).
    Local6(Ipv6Addr),
}

/// One receive socket: its interface index and what it is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct SockKey {
    /// The interface (the VMAC with `use_vmac`).
    pub(super) ifindex: u32,
    /// Group or address.
    pub(super) bound: Bound,
}

impl SockKey {
    /// The key of an IPv4 socket pair.
    pub(super) fn of4(s: &crate::net::VrrpSocket) -> Self {
        Self {
            ifindex: s.ifindex(),
            bound: s.group().map_or(Bound::Unicast4, Bound::Group4),
        }
    }

    /// The key of an IPv6 socket pair.
    pub(super) fn of6(s: &crate::net::VrrpSocket6) -> Self {
        Self {
            ifindex: s.ifindex(),
            bound: Bound::Local6(s.local()),
        }
    }
}

/// What the dispatcher needs to know of one instance.
#[derive(Debug, Clone, Copy)]
pub(super) struct Member<'a> {
    /// The socket it receives on (`None` while it has none, e.g. no IPv6 source yet).
    pub(super) sock: Option<SockKey>,
    /// `virtual_router_id`.
    pub(super) vrid: u8,
    /// Its advert source: a unicast advert must be addressed to it.
    pub(super) src: Option<IpAddr>,
    /// `unicast_peer`s (empty in multicast mode).
    pub(super) peers: &'a [IpAddr],
}

/// The indices (into `members`) of the instances an advert for `vrid` from `src` to `dst`,
/// received on `sock`, is for; empty when it is for none ("Unknown VRID"). `dst` is `None`
/// when it could not be read (a datagram that failed to decode). A scan of every member: the
/// daemon asks an [`Index`] instead, this is its reference.
pub(super) fn recipients<'a>(
    members: impl IntoIterator<Item = Member<'a>>,
    sock: SockKey,
    vrid: u8,
    src: IpAddr,
    dst: Option<IpAddr>,
) -> Vec<usize> {
    select(members.into_iter().enumerate(), sock, vrid, src, dst)
}

/// Of the numbered `members`, those an advert is for (see [`recipients`]).
fn select<'a>(
    members: impl Iterator<Item = (usize, Member<'a>)>,
    sock: SockKey,
    vrid: u8,
    src: IpAddr,
    dst: Option<IpAddr>,
) -> Vec<usize> {
    let candidates: Vec<(usize, Member<'a>)> = members
        .filter(|(_, m)| m.sock == Some(sock) && m.vrid == vrid)
        // The unbound IPv4 unicast socket hears every local address: an advert unicast to
        // another one is not for this instance (keepalived binds to the source instead).
        .filter(|(_, m)| m.peers.is_empty() || dst.is_none_or(|d| Some(d) == m.src))
        .collect();
    if candidates.len() <= 1 {
        return candidates.into_iter().map(|(i, _)| i).collect();
    }
    // keepalived's VRRP_FLAG_UNICAST_DUPLICATE_VRID: the instance whose peer sent it.
    candidates
        .into_iter()
        .filter(|(_, m)| m.peers.contains(&src))
        .map(|(i, _)| i)
        .take(1)
        .collect()
}

/// The members by (socket, VRID), keepalived's per-socket VRID trees: an advert costs a
/// lookup, not a scan of every instance (1000 instances hear 500 adverts a second in
/// `bench/scale.sh`). Built from the members as they are; whoever changes which socket a
/// member uses, or the members themselves, builds a new one.
#[derive(Debug, Default)]
pub(super) struct Index(HashMap<(SockKey, u8), Vec<usize>>);

impl Index {
    /// The index of `members` (numbered in order).
    pub(super) fn build<'a>(members: impl IntoIterator<Item = Member<'a>>) -> Self {
        let mut map: HashMap<(SockKey, u8), Vec<usize>> = HashMap::new();
        for (i, m) in members.into_iter().enumerate() {
            if let Some(sock) = m.sock {
                map.entry((sock, m.vrid)).or_default().push(i);
            }
        }
        Self(map)
    }

    /// [`recipients`] among the members this index was built from; `member(i)` gives member
    /// `i` as it is now (its source and peers may have changed since the build).
    pub(super) fn recipients<'a>(
        &self,
        member: impl Fn(usize) -> Member<'a>,
        sock: SockKey,
        vrid: u8,
        src: IpAddr,
        dst: Option<IpAddr>,
    ) -> Vec<usize> {
        let listed = self.0.get(&(sock, vrid)).map_or(&[][..], Vec::as_slice);
        select(listed.iter().map(|&i| (i, member(i))), sock, vrid, src, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IF: u32 = 2;
    const G4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
    const G6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn key(bound: Bound) -> SockKey {
        SockKey { ifindex: IF, bound }
    }

    fn member<'a>(bound: Bound, vrid: u8, src: &str, peers: &'a [IpAddr]) -> Member<'a> {
        Member {
            sock: Some(key(bound)),
            vrid,
            src: Some(ip(src)),
            peers,
        }
    }

    /// One interface, VRID 51 four times over: each advert reaches exactly its own kind.
    #[test]
    fn modes_and_families_are_separate_vrid_spaces() {
        let p4 = [ip("198.51.100.2")];
        let p6 = [ip("fe80::2")];
        let local6 = ip("fe80::1");
        let IpAddr::V6(l6) = local6 else { panic!() };
        let m = [
            member(Bound::Group4(G4), 51, "198.51.100.1", &[]),
            member(Bound::Unicast4, 51, "198.51.100.1", &p4),
            member(Bound::Local6(G6), 51, "fe80::1", &[]),
            member(Bound::Local6(l6), 51, "fe80::1", &p6),
        ];
        let from4 = ip("198.51.100.2");
        let from6 = ip("fe80::2");
        let to = |b, s, d: &str| recipients(m, key(b), 51, s, Some(ip(d)));
        assert_eq!(to(Bound::Group4(G4), from4, "224.0.0.18"), [0]);
        assert_eq!(to(Bound::Unicast4, from4, "198.51.100.1"), [1]);
        assert_eq!(to(Bound::Local6(G6), from6, "ff02::12"), [2]);
        assert_eq!(to(Bound::Local6(l6), from6, "fe80::1"), [3]);
        // Another VRID on the same sockets is for nobody.
        assert!(recipients(m, key(Bound::Group4(G4)), 52, from4, None).is_empty());
        // Another group joined on the interface is another socket.
        let other = Bound::Group4(Ipv4Addr::new(224, 0, 0, 118));
        assert!(to(other, from4, "224.0.0.118").is_empty());
        // Another interface too.
        let elsewhere = SockKey {
            ifindex: IF + 1,
            bound: Bound::Unicast4,
        };
        assert!(recipients(m, elsewhere, 51, from4, Some(ip("198.51.100.1"))).is_empty());
    }

    #[test]
    fn unicast_advert_must_be_addressed_to_the_instance_source() {
        let p = [ip("198.51.100.9")];
        let m = [
            member(Bound::Unicast4, 51, "198.51.100.1", &p),
            member(Bound::Unicast4, 52, "198.51.100.3", &p),
        ];
        let k = key(Bound::Unicast4);
        let from = ip("198.51.100.9");
        assert_eq!(recipients(m, k, 51, from, Some(ip("198.51.100.1"))), [0]);
        assert!(recipients(m, k, 51, from, Some(ip("198.51.100.3"))).is_empty());
        // A datagram that could not be decoded (no destination read) still counts on it.
        assert_eq!(recipients(m, k, 52, from, None), [1]);
    }

    #[test]
    fn duplicate_unicast_vrid_goes_to_the_instance_whose_peer_sent_it() {
        let pa = [ip("198.51.100.2")];
        let pb = [ip("198.51.100.3"), ip("198.51.100.4")];
        let m = [
            member(Bound::Unicast4, 51, "198.51.100.1", &pa),
            member(Bound::Unicast4, 51, "198.51.100.1", &pb),
        ];
        let k = key(Bound::Unicast4);
        let to = |from: &str| recipients(m, k, 51, ip(from), Some(ip("198.51.100.1")));
        assert_eq!(to("198.51.100.2"), [0]);
        assert_eq!(to("198.51.100.4"), [1]);
        assert!(to("198.51.100.5").is_empty(), "nobody's peer");
        // A single unicast instance hears a non-peer: its own check_unicast_src decides.
        assert_eq!(
            recipients(m[..1].iter().copied(), k, 51, ip("198.51.100.5"), None),
            [0]
        );
    }

    #[test]
    fn an_instance_without_a_socket_hears_nothing() {
        let m = [Member {
            sock: None,
            vrid: 51,
            src: None,
            peers: &[],
        }];
        assert!(recipients(m, key(Bound::Local6(G6)), 51, ip("fe80::2"), None).is_empty());
    }

    /// The index answers as the full scan does, for every socket, VRID, source and
    /// destination over a mix of modes, families, duplicates and a member with no socket; and
    /// it reads each member as it is now, not as it was when built.
    #[test]
    fn the_index_answers_as_the_scan() {
        let pa = [ip("198.51.100.2")];
        let pb = [ip("198.51.100.3"), ip("198.51.100.4")];
        let p6 = [ip("fe80::2")];
        let IpAddr::V6(l6) = ip("fe80::1") else {
            panic!()
        };
        let mut m = [
            member(Bound::Group4(G4), 51, "198.51.100.1", &[]),
            member(Bound::Group4(G4), 52, "198.51.100.1", &[]),
            member(Bound::Unicast4, 51, "198.51.100.1", &pa),
            member(Bound::Unicast4, 51, "198.51.100.1", &pb),
            member(Bound::Unicast4, 52, "198.51.100.7", &pa),
            member(Bound::Local6(G6), 51, "fe80::1", &[]),
            member(Bound::Local6(l6), 51, "fe80::1", &p6),
            Member {
                sock: None,
                vrid: 51,
                src: None,
                peers: &[],
            },
        ];
        let socks = [
            key(Bound::Group4(G4)),
            key(Bound::Unicast4),
            key(Bound::Local6(G6)),
            key(Bound::Local6(l6)),
            SockKey {
                ifindex: IF + 1,
                bound: Bound::Unicast4,
            },
        ];
        let srcs = ["198.51.100.2", "198.51.100.3", "198.51.100.9", "fe80::2"].map(ip);
        let dsts = [
            None,
            Some(ip("198.51.100.1")),
            Some(ip("198.51.100.7")),
            Some(ip("fe80::1")),
        ];
        let index = Index::build(m.iter().copied());
        let mut answered = 0;
        for round in 0..2 {
            if round == 1 {
                // A source changes after the build (a new primary address): no rebuild needed.
                m[4].src = Some(ip("198.51.100.8"));
            }
            for sock in socks {
                for vrid in [51, 52, 53] {
                    for src in srcs {
                        for dst in dsts {
                            let want = recipients(m.iter().copied(), sock, vrid, src, dst);
                            let got = index.recipients(|i| m[i], sock, vrid, src, dst);
                            assert_eq!(got, want, "{sock:?} vrid {vrid} {src} -> {dst:?}");
                            answered += usize::from(!want.is_empty());
                        }
                    }
                }
            }
        }
        // Not a comparison of two empty answers: most cases reach someone.
        assert!(answered > 40, "{answered}");
        let gone = recipients(
            m.iter().copied(),
            key(Bound::Unicast4),
            52,
            srcs[0],
            dsts[2],
        );
        assert!(gone.is_empty(), "the moved source no longer hears it");
    }
}
