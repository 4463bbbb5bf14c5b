//! The nftables firewall keepalived 2.2.7 (built with nftables) puts in front of the VIPs of
//! instances without accept mode (`no_accept`, strict mode), and around its VMACs, over
//! nf_tables netlink as keepalived does (no `nft` needed at run time).
//!
//! What it builds, in tables `ip TABLE` and `ip6 TABLE` (`TABLE` = `nftables`, default
//! `keepalived`; chain priority `nftables_priority`, default -1):
//!
//! ```text
//! table ip keepalived {
//!     set vips { type ipv4_addr }
//!     chain out { type filter hook output priority filter - 1; policy accept;
//!         ip saddr @vips drop }
//!     chain in { type filter hook input priority filter - 1; policy accept;
//!         ip daddr @vips drop }
//! }
//! table ip6 keepalived {
//!     set vips { type ipv6_addr }
//!     set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert } }
//!     set vips_link_local { type ipv6_addr . iface_index }      (or vips_link_local_name, ifname)
//!     chain out { … icmpv6 type @neighbor-discovery accept
//!         ip6 saddr fe80::/10 goto out_link_local
//!         ip6 saddr @vips drop }
//!     chain in { … the same with daddr and in_link_local }
//!     chain in_link_local { ip6 daddr . iif @vips_link_local drop }
//!     chain out_link_local { ip6 saddr . oif @vips_link_local drop }
//! }
//! ```
//!
//! and when (`vrrp_handle_accept_mode()`, `nft_update_addresses()`): nothing at start; the
//! first time an instance that drops becomes MASTER, its tables are created (a table of that
//! name left by an earlier run is deleted first, in the same batch), and its VIPs go into the
//! sets before the addresses are added; they leave the sets after the addresses are removed;
//! at exit both tables are deleted. Each step is one atomic batch.
//!
//! VMACs (`nft_add_vmac()`, `nft_remove_vmac()`), in the same tables, as soon as a VMAC is
//! made, for its family (and the other one when its instance has eVIPs of it):
//!
//! ```text
//! table ip keepalived {
//!     map vmac_map { type iface_index : iface_index; elements = { "vrrp.51" : "eth0" } }
//!     chain out { …
//!         ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map drop }
//! }
//! table ip6 keepalived {
//!     map vmac_map { … }    set vmac_set { type iface_index; elements = { "vrrp.52" } }
//!     chain out { …
//!         icmpv6 type mld2-listener-report meta oifkind "macvlan" dup to ip6 daddr device oif map @vmac_map drop
//!         icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @vmac_set drop }
//! }
//! ```
//!
//! A report a VMAC sends for the groups it joined (224.0.0.18, ff02::12, its addresses'
//! solicited-node groups) leaves from the parent with the parent's MAC instead of the
//! virtual one, so that a switch never learns the virtual MAC on a backup's port when the
//! backup answers a querier; an IPv6 VMAC never solicits routers. A VMAC leaves the sets when it is
//! deleted. Not for an IPv4 VMAC under `disable_local_igmp`, which sends no such report.
//!
//! [`Ruleset`] decides the messages (pure, tested against batches captured from keepalived);
//! [`Firewall`] sends them.

mod msg;
mod socket;
#[cfg(test)]
mod tests;

pub use msg::Family;
pub use socket::Error;

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model;
use msg::{ChainHook, Msg, SetElem, SetKind};

/// One entry of the drop sets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Element {
    /// An IPv4 VIP: `vips` of `ip TABLE`.
    V4(Ipv4Addr),
    /// A global IPv6 VIP: `vips` of `ip6 TABLE`.
    V6(Ipv6Addr),
    /// A link-local VIP and its interface index: `vips_link_local`.
    LinkLocal {
        /// The VIP.
        addr: Ipv6Addr,
        /// The interface it is on.
        ifindex: u32,
    },
    /// A link-local VIP and its interface name (`dont_track_primary` instances, unless
    /// `nftables_ifindex`): `vips_link_local_name`.
    LinkLocalName {
        /// The VIP.
        addr: Ipv6Addr,
        /// The interface it is on (at most 15 bytes).
        ifname: String,
    },
}

impl Element {
    fn set(&self) -> SetKind {
        match self {
            Element::V4(_) => SetKind::Vips4,
            Element::V6(_) => SetKind::Vips6,
            Element::LinkLocal { .. } => SetKind::LinkLocalIndex,
            Element::LinkLocalName { .. } => SetKind::LinkLocalName,
        }
    }

    /// The set key: the address, then the interface as `nft` concatenates it.
    fn key(&self) -> Vec<u8> {
        match self {
            Element::V4(a) => a.octets().to_vec(),
            Element::V6(a) => a.octets().to_vec(),
            Element::LinkLocal { addr, ifindex } => {
                let mut k = addr.octets().to_vec();
                // iface_index is a host-order u32, as the kernel's meta iif gives it.
                k.extend_from_slice(&ifindex.to_ne_bytes());
                k
            }
            Element::LinkLocalName { addr, ifname } => {
                let mut k = addr.octets().to_vec();
                let mut name = [0u8; 16];
                let n = ifname.len().min(15);
                name[..n].copy_from_slice(&ifname.as_bytes()[..n]);
                k.extend_from_slice(&name);
                k
            }
        }
    }
}

/// The drop-set entries for an instance's addresses (`nft_update_ipv4_address()`,
/// `nft_update_ipv6_address()`): `vips` are the (interface index, VIP) pairs the daemon adds,
/// `ifname` names an index. A link-local VIP is matched with its interface name when the
/// instance has `dont_track_primary`, the VIP is on the instance's own interface and
/// `nftables_ifindex` is off; otherwise with its interface index.
pub fn elements(
    cfg: &model::Instance,
    fw: &model::Firewall,
    vips: &[(u32, model::VirtualAddr)],
    ifname: impl Fn(u32) -> Option<String>,
) -> Vec<Element> {
    vips.iter()
        .filter_map(|(ifindex, vip)| match vip.addr {
            IpAddr::V4(a) => Some(Element::V4(a)),
            IpAddr::V6(a) if !a.is_unicast_link_local() => Some(Element::V6(a)),
            IpAddr::V6(addr) => {
                let own_if = vip.dev.is_none() || vip.dev == cfg.interface;
                if !fw.ifindex && cfg.dont_track_primary && own_if {
                    ifname(*ifindex).map(|ifname| Element::LinkLocalName { addr, ifname })
                } else {
                    Some(Element::LinkLocal {
                        addr,
                        ifindex: *ifindex,
                    })
                }
            }
        })
        .collect()
}

/// A change to the VMAC rules (keepalived's `nft_add_vmac()` / `nft_remove_vmac()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmacChange {
    /// The VMAC `ifindex`, a macvlan on `parent`: in each of `families` (the VMAC's own family
    /// first, then the other one when its instance has eVIPs of it) its IGMP (MLD) reports
    /// leave from the parent instead, and over IPv6 its router solicitations are dropped.
    Add {
        /// The VMAC.
        ifindex: u32,
        /// Its parent.
        parent: u32,
        /// `ip`, `ip6` or both, in keepalived's order.
        families: Vec<Family>,
    },
    /// The VMAC `ifindex` leaves the sets (it is deleted, or its instance is gone).
    Remove {
        /// The VMAC.
        ifindex: u32,
    },
}

/// How the tables are made (from `global_defs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Table name (both families).
    pub table: String,
    /// Base chain priority.
    pub priority: i32,
    /// A `counter` in every rule.
    pub counters: bool,
}

impl Settings {
    /// The settings `global_defs` gives, if it names a table.
    pub fn from_model(fw: &model::Firewall) -> Option<Self> {
        Some(Self {
            table: fw.table.clone()?,
            priority: fw.priority,
            counters: fw.counters,
        })
    }
}

/// What exists in the kernel, as far as this process made it (keepalived's
/// `ipv4_table_setup`, `ipv4_vips_setup`, … flags), and which instance holds which entry.
#[derive(Debug, Clone)]
pub struct Ruleset {
    settings: Settings,
    v4_table: bool,
    v4_vips: bool,
    v6_table: bool,
    v6_vips: bool,
    ll_index: bool,
    ll_name: bool,
    /// The VMAC sets and rules of `ip` / `ip6` are made (`ipv4_igmp_setup`, …).
    v4_igmp: bool,
    v6_igmp: bool,
    /// VMACs in the VMAC sets: index -> (parent index, families in the order added).
    vmacs: BTreeMap<u32, (u32, Vec<Family>)>,
    /// Set ids handed out so far (libnftnl's transaction ids; never reused in a process).
    set_ids: u32,
    /// Entries per instance.
    held: HashMap<String, Vec<Element>>,
    /// How many instances hold each entry: it is in the kernel while this is non-zero.
    count: BTreeMap<Element, usize>,
}

impl Ruleset {
    /// Nothing created yet.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            v4_table: false,
            v4_vips: false,
            v6_table: false,
            v6_vips: false,
            ll_index: false,
            ll_name: false,
            v4_igmp: false,
            v6_igmp: false,
            vmacs: BTreeMap::new(),
            set_ids: 0,
            held: HashMap::new(),
            count: BTreeMap::new(),
        }
    }

    /// The settings the tables are (or will be) made with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// True once a table has been created (and not deleted since).
    pub fn has_tables(&self) -> bool {
        self.v4_table || self.v6_table
    }

    /// Makes `instance` hold exactly `wanted` and returns the batch that gets the kernel
    /// there (empty when nothing changes). Before the first table is created, `exists` is
    /// asked whether a table of that name is already there (left by a run that was killed):
    /// such tables are deleted at the start of the batch, as keepalived does.
    pub(crate) fn set(
        &mut self,
        instance: &str,
        wanted: Vec<Element>,
        mut exists: impl FnMut(Family) -> bool,
    ) -> Vec<Msg> {
        let mut wanted_dedup = Vec::new();
        for e in wanted {
            if !wanted_dedup.contains(&e) {
                wanted_dedup.push(e);
            }
        }
        let old = self.held.remove(instance).unwrap_or_default();
        let mut del = Vec::new();
        for e in old.iter().filter(|e| !wanted_dedup.contains(e)) {
            let n = self.count.get_mut(e).expect("held entries are counted");
            *n -= 1;
            if *n == 0 {
                self.count.remove(e);
                del.push(e.clone());
            }
        }
        let mut add = Vec::new();
        for e in wanted_dedup.iter().filter(|e| !old.contains(e)) {
            let n = self.count.entry(e.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                add.push(e.clone());
            }
        }
        if !wanted_dedup.is_empty() {
            self.held.insert(instance.to_owned(), wanted_dedup);
        }

        let mut msgs = Vec::new();
        for e in &add {
            self.setup_for(e, &mut msgs, &mut exists);
        }
        let table = self.settings.table.clone();
        for (list, is_add) in [(&del, false), (&add, true)] {
            for kind in [
                SetKind::Vips4,
                SetKind::Vips6,
                SetKind::LinkLocalIndex,
                SetKind::LinkLocalName,
            ] {
                let keys: Vec<SetElem> = list
                    .iter()
                    .filter(|e| e.set() == kind)
                    .map(|e| SetElem::key(e.key()))
                    .collect();
                if !keys.is_empty() {
                    msgs.push(msg::set_elems(&table, kind, None, &keys, is_add));
                }
            }
        }
        msgs
    }

    /// True when `change` would send nothing.
    fn vmac_noop(&self, change: &VmacChange) -> bool {
        match change {
            VmacChange::Add {
                ifindex,
                parent,
                families,
            } => {
                families.is_empty() && !self.vmacs.contains_key(ifindex)
                    || self.vmacs.get(ifindex) == Some(&(*parent, families.clone()))
            }
            VmacChange::Remove { ifindex } => !self.vmacs.contains_key(ifindex),
        }
    }

    /// Applies a VMAC change and returns its batch (`nft_add_vmac()`, `nft_remove_vmac()`):
    /// per family, the first VMAC makes the table if needed (`exists` as for [`Ruleset::set`]),
    /// the VMAC sets and their rules, then every VMAC adds its entries. A VMAC added again
    /// with other settings first leaves the sets in the same batch; removing a VMAC that is
    /// not there sends nothing.
    pub(crate) fn vmac(
        &mut self,
        change: VmacChange,
        mut exists: impl FnMut(Family) -> bool,
    ) -> Vec<Msg> {
        let mut msgs = Vec::new();
        if self.vmac_noop(&change) {
            return msgs;
        }
        match change {
            VmacChange::Remove { ifindex } => self.remove_vmac(ifindex, &mut msgs),
            VmacChange::Add {
                ifindex,
                parent,
                mut families,
            } => {
                self.remove_vmac(ifindex, &mut msgs);
                families.dedup();
                for &f in &families {
                    let ids = self.setup_igmp(f, &mut msgs, &mut exists);
                    self.vmac_elems(f, ifindex, parent, ids, true, &mut msgs);
                }
                if !families.is_empty() {
                    self.vmacs.insert(ifindex, (parent, families));
                }
            }
        }
        msgs
    }

    fn remove_vmac(&mut self, ifindex: u32, msgs: &mut Vec<Msg>) {
        if let Some((parent, families)) = self.vmacs.remove(&ifindex) {
            for f in families {
                self.vmac_elems(f, ifindex, parent, (None, None), false, msgs);
            }
        }
    }

    /// A VMAC's entries of one family: `vmac_map` (VMAC to parent), and over IPv6 `vmac_set`;
    /// `ids` are the sets' ids when they are made in the same batch.
    fn vmac_elems(
        &self,
        f: Family,
        ifindex: u32,
        parent: u32,
        ids: (Option<u32>, Option<u32>),
        add: bool,
        msgs: &mut Vec<Msg>,
    ) {
        let t = &self.settings.table;
        // iface_index keys and values are host-order u32, as the kernel's meta oif gives them.
        let map = SetElem {
            key: ifindex.to_ne_bytes().to_vec(),
            data: Some(parent.to_ne_bytes().to_vec()),
        };
        msgs.push(msg::set_elems(t, SetKind::VmacMap(f), ids.0, &[map], add));
        if f == Family::V6 {
            let set = SetElem::key(ifindex.to_ne_bytes().to_vec());
            msgs.push(msg::set_elems(t, SetKind::VmacSet, ids.1, &[set], add));
        }
    }

    /// `nft_setup_igmp()`: the table if needed, `vmac_map` (and `vmac_set` over IPv6) and the
    /// rules using them; the new sets' ids, or none when they were there already.
    fn setup_igmp(
        &mut self,
        f: Family,
        msgs: &mut Vec<Msg>,
        exists: &mut impl FnMut(Family) -> bool,
    ) -> (Option<u32>, Option<u32>) {
        let done = match f {
            Family::V4 => self.v4_igmp,
            Family::V6 => self.v6_igmp,
        };
        if done {
            return (None, None);
        }
        self.setup_table(f, msgs, exists);
        let s = self.settings.clone();
        let map = self.next_set_id();
        msgs.push(msg::new_set(&s.table, SetKind::VmacMap(f), map));
        let set = (f == Family::V6).then(|| {
            let id = self.next_set_id();
            msgs.push(msg::new_set(&s.table, SetKind::VmacSet, id));
            id
        });
        msgs.push(msg::move_igmp(f, &s.table, s.counters));
        match f {
            Family::V4 => self.v4_igmp = true,
            Family::V6 => {
                msgs.push(msg::drop_router_solicit(&s.table, s.counters));
                self.v6_igmp = true;
            }
        }
        (Some(map), set)
    }

    /// Deletes the tables this process created (keepalived's `nft_cleanup()` at exit).
    pub(crate) fn cleanup(&mut self) -> Vec<Msg> {
        let mut msgs = Vec::new();
        for (made, family) in [(self.v4_table, Family::V4), (self.v6_table, Family::V6)] {
            if made {
                msgs.push(msg::del_table(family, &self.settings.table));
            }
        }
        *self = Self {
            set_ids: self.set_ids,
            ..Self::new(self.settings.clone())
        };
        msgs
    }

    fn next_set_id(&mut self) -> u32 {
        self.set_ids += 1;
        self.set_ids
    }

    /// Whatever `e` needs that is not there yet, in keepalived's order.
    fn setup_for(
        &mut self,
        e: &Element,
        msgs: &mut Vec<Msg>,
        exists: &mut impl FnMut(Family) -> bool,
    ) {
        match e {
            Element::V4(_) => self.setup_v4_vips(msgs, exists),
            Element::V6(_) => self.setup_v6_vips(msgs, exists),
            Element::LinkLocal { .. } | Element::LinkLocalName { .. } => {
                self.setup_v6_vips(msgs, exists);
                let kind = e.set();
                let done = if kind == SetKind::LinkLocalName {
                    &mut self.ll_name
                } else {
                    &mut self.ll_index
                };
                if !*done {
                    *done = true;
                    self.setup_link_local(kind, msgs);
                }
            }
        }
    }

    /// Before the first table of the process: tables left by an earlier run go.
    fn delete_leftovers(&self, msgs: &mut Vec<Msg>, exists: &mut impl FnMut(Family) -> bool) {
        if self.has_tables() {
            return;
        }
        // Both asked before either is deleted, as keepalived's check_and_delete_tables().
        let found: Vec<Family> = [Family::V4, Family::V6]
            .into_iter()
            .filter(|f| exists(*f))
            .collect();
        for f in found {
            tracing::info!("Deleting old {} {} table", f.name(), self.settings.table);
            msgs.push(msg::del_table(f, &self.settings.table));
        }
    }

    /// `nft_setup_ipv4()` / `nft_setup_ipv6()`: the table and its `out` chain, once; tables
    /// left by an earlier run go first.
    fn setup_table(
        &mut self,
        f: Family,
        msgs: &mut Vec<Msg>,
        exists: &mut impl FnMut(Family) -> bool,
    ) {
        let made = match f {
            Family::V4 => self.v4_table,
            Family::V6 => self.v6_table,
        };
        if made {
            return;
        }
        self.delete_leftovers(msgs, exists);
        let s = &self.settings;
        msgs.push(msg::new_table(f, &s.table));
        msgs.push(msg::base_chain(
            f,
            &s.table,
            "out",
            ChainHook::Output,
            s.priority,
        ));
        match f {
            Family::V4 => self.v4_table = true,
            Family::V6 => self.v6_table = true,
        }
    }

    /// `nft_setup_ipv4()` + `nft_setup_ipv4_vips()`.
    fn setup_v4_vips(&mut self, msgs: &mut Vec<Msg>, exists: &mut impl FnMut(Family) -> bool) {
        if self.v4_vips {
            return;
        }
        let s = self.settings.clone();
        self.setup_table(Family::V4, msgs, exists);
        msgs.push(msg::base_chain(
            Family::V4,
            &s.table,
            "in",
            ChainHook::Input,
            s.priority,
        ));
        let id = self.next_set_id();
        msgs.push(msg::new_set(&s.table, SetKind::Vips4, id));
        msgs.push(msg::vips_drop(Family::V4, &s.table, false, s.counters));
        msgs.push(msg::vips_drop(Family::V4, &s.table, true, s.counters));
        self.v4_vips = true;
    }

    /// `nft_setup_ipv6()` + `nft_setup_ipv6_vips()`.
    fn setup_v6_vips(&mut self, msgs: &mut Vec<Msg>, exists: &mut impl FnMut(Family) -> bool) {
        if self.v6_vips {
            return;
        }
        let s = self.settings.clone();
        let t = s.table.as_str();
        self.setup_table(Family::V6, msgs, exists);
        msgs.push(msg::base_chain(
            Family::V6,
            t,
            "in",
            ChainHook::Input,
            s.priority,
        ));
        msgs.push(msg::chain(Family::V6, t, "in_link_local"));
        msgs.push(msg::chain(Family::V6, t, "out_link_local"));
        let id = self.next_set_id();
        msgs.push(msg::new_set(t, SetKind::Vips6, id));
        let nd = self.next_set_id();
        msgs.push(msg::new_set(t, SetKind::NeighborDiscovery, nd));
        // ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT
        msgs.push(msg::set_elems(
            t,
            SetKind::NeighborDiscovery,
            Some(nd),
            &[SetElem::key(vec![135]), SetElem::key(vec![136])],
            true,
        ));
        msgs.push(msg::nd_accept(t, "in", s.counters));
        msgs.push(msg::link_local_goto(t, false, s.counters));
        msgs.push(msg::nd_accept(t, "out", s.counters));
        msgs.push(msg::link_local_goto(t, true, s.counters));
        msgs.push(msg::vips_drop(Family::V6, t, false, s.counters));
        msgs.push(msg::vips_drop(Family::V6, t, true, s.counters));
        self.v6_vips = true;
    }

    /// `setup_link_local_checks()`: the set and the two rules matching VIP and interface.
    fn setup_link_local(&mut self, kind: SetKind, msgs: &mut Vec<Msg>) {
        let s = self.settings.clone();
        let id = self.next_set_id();
        msgs.push(msg::new_set(&s.table, kind, id));
        msgs.push(msg::link_local_drop(&s.table, false, kind, s.counters));
        msgs.push(msg::link_local_drop(&s.table, true, kind, s.counters));
    }
}

/// The firewall of a running daemon: a [`Ruleset`] and the netlink socket it is applied
/// through, opened on first use (a configuration that never drops never opens one).
#[derive(Debug)]
pub struct Firewall {
    rules: Ruleset,
    socket: Option<socket::NftSocket>,
}

impl Firewall {
    /// Nothing created yet.
    pub fn new(settings: Settings) -> Self {
        Self {
            rules: Ruleset::new(settings),
            socket: None,
        }
    }

    /// The settings the tables are made with.
    pub fn settings(&self) -> &Settings {
        self.rules.settings()
    }

    /// Makes `instance`'s entries in the drop sets exactly `wanted` (empty: none). On a
    /// failure nothing is considered changed, so a later call tries again.
    pub fn set(&mut self, instance: &str, wanted: Vec<Element>) -> Result<(), Error> {
        let noop = wanted.is_empty() && !self.rules.held.contains_key(instance);
        self.apply(noop, |rules, exists| rules.set(instance, wanted, exists))
    }

    /// Adds or removes a VMAC's entries in the IGMP/MLD rules; as [`Firewall::set`] on a
    /// failure.
    pub fn vmac(&mut self, change: VmacChange) -> Result<(), Error> {
        let noop = self.rules.vmac_noop(&change);
        self.apply(noop, |rules, exists| rules.vmac(change, exists))
    }

    /// Runs `change` on the rules (with the table probe) and sends its batch; the rules are
    /// put back as they were when that fails. `noop`: nothing to send, no socket needed.
    fn apply(
        &mut self,
        noop: bool,
        change: impl FnOnce(&mut Ruleset, &mut dyn FnMut(Family) -> bool) -> Vec<Msg>,
    ) -> Result<(), Error> {
        let before = self.rules.clone();
        let sock = match &mut self.socket {
            Some(s) => s,
            None if noop => return Ok(()),
            None => self.socket.insert(socket::NftSocket::open()?),
        };
        let table = self.rules.settings.table.clone();
        let mut probe_err = None;
        let msgs = change(&mut self.rules, &mut |f| {
            sock.table_exists(f, &table).unwrap_or_else(|e| {
                probe_err.get_or_insert(e);
                false
            })
        });
        let sent = match probe_err {
            Some(e) => Err(e),
            None => sock.exchange(msgs),
        };
        if sent.is_err() {
            self.rules = before;
        }
        sent
    }

    /// Deletes the tables (at exit).
    pub fn cleanup(&mut self) -> Result<(), Error> {
        let msgs = self.rules.cleanup();
        match (&mut self.socket, msgs.is_empty()) {
            (_, true) => Ok(()),
            (Some(s), false) => s.exchange(msgs),
            (None, false) => socket::NftSocket::open()?.exchange(msgs),
        }
    }
}
