//! The daemon's side of VMAC (inventory §8.10): makes or takes over an instance's macvlans
//! before it starts, as keepalived's `vrrp_complete_instance()` + `netlink_link_add_vmac()`
//! do, with their log lines; folds the VMAC's link state into the instance's own interface
//! state (parent down or VMAC down = FAULT); recreates a VMAC deleted under it; sends the
//! `garp_extra_if` announcements; removes the VMACs and puts the sysctls back at stop; keeps
//! each VMAC's entries in keepalived's IGMP/MLD firewall rules (`net::nftables`) in step:
//! added before it comes up, removed when it goes.
//!
//! An instance sends and receives its adverts on the VMAC, unless `vmac_xmit_base`: the
//! parent would not even see them, since a private macvlan takes every frame whose source is
//! its own MAC, and the other node's adverts carry that same virtual MAC. Its IPv4 advert
//! source stays the parent's primary address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Instant;

use super::{Daemon, Link, Slot};
use crate::daemon::io_worker::{Announce, Job};
use crate::model::{self, TrackEvent, Vmac};
use crate::net::nftables::{Family, VmacChange};
use crate::net::{self, vmac};

/// A VMAC this daemon made or took over, removed at stop (keepalived's `is_ours`).
#[derive(Debug, Clone)]
pub(super) struct OwnedVmac {
    /// The instance it belongs to.
    pub(super) instance: String,
    /// Its name.
    pub(super) name: String,
    /// Its index.
    pub(super) index: u32,
    /// Its parent's index, when keepalived's sysctls were set for it (IPv4, made by us).
    pub(super) configured_parent: Option<u32>,
}

/// The interface an instance's VRRP sockets are on: its VMAC, unless `vmac_xmit_base`, else
/// its interface.
pub(super) fn socket_ifname(cfg: &model::Instance) -> Option<&str> {
    match &cfg.vmac.own {
        Some(v) if !cfg.vmac.xmit_base => Some(&v.ifname),
        _ => cfg.interface.as_deref(),
    }
}

/// The families of a VMAC's IGMP/MLD rules (`netlink_link_add_vmac()` calling
/// `firewall_add_vmac()`): its own, then the other one when it is the instance's own VMAC and
/// the instance has eVIPs of that family; none for an IPv4 VMAC under `disable_local_igmp`,
/// which sends no report for link-local groups (keepalived skips the IPv4 VMAC entirely then,
/// even its other family).
pub(super) fn igmp_families(
    cfg: &model::Instance,
    vmac: &Vmac,
    disable_local_igmp: bool,
) -> Vec<Family> {
    if !vmac.ipv6 && disable_local_igmp {
        return Vec::new();
    }
    let (family, other) = if vmac.ipv6 {
        (Family::V6, Family::V4)
    } else {
        (Family::V4, Family::V6)
    };
    let own = cfg
        .vmac
        .own
        .as_ref()
        .is_some_and(|o| o.ifname == vmac.ifname);
    let other_evip = cfg
        .vips_excluded
        .iter()
        .any(|v| v.addr.is_ipv6() != vmac.ipv6);
    let mut out = vec![family];
    if own && other_evip {
        out.push(other);
    }
    out
}

impl Daemon {
    /// Waits until the I/O worker has done every job queued so far.
    async fn io_settled(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.io_tx.send(Job::Barrier(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// Queues a change of the VMAC firewall rules.
    fn vmac_firewall(&self, name: &str, change: VmacChange) {
        let _ = self.io_tx.send(Job::VmacFirewall {
            name: name.to_owned(),
            change,
        });
    }

    /// Makes (or takes over) every VMAC of `cfg` and registers it as a link; renames in `cfg`
    /// a VMAC found under another name. Returns false when the instance's own VMAC could not
    /// be had (the instance then stays in FAULT, as keepalived's does).
    pub(super) async fn setup_vmacs(&mut self, cfg: &mut model::Instance) -> bool {
        let mut own_ok = true;
        let wanted: Vec<(bool, Vmac)> = cfg
            .vmac
            .own
            .iter()
            .map(|v| (true, v.clone()))
            .chain(cfg.vmac.for_vips.iter().map(|v| (false, v.clone())))
            .collect();
        for (own, want) in wanted {
            let xmit_base = own && cfg.vmac.xmit_base;
            match self.make_vmac(cfg, &want, xmit_base).await {
                Some(name) if name != want.ifname => rename(cfg, &want.ifname, &name),
                Some(_) => {}
                None => own_ok &= !own,
            }
        }
        own_ok
    }

    /// One VMAC: plan, act, configure, bring up; its final name, or `None` when impossible.
    async fn make_vmac(
        &mut self,
        cfg: &model::Instance,
        want: &Vmac,
        xmit_base: bool,
    ) -> Option<String> {
        let iname = &cfg.name;
        let parent = match self.known_link(&want.parent).await {
            Ok(l) => (l.index, l.mac, l.link_local_v6),
            Err(e) => {
                tracing::error!("({iname}) VMAC {}: {e}", want.ifname);
                return None;
            }
        };
        let (parent_index, parent_mac, parent_ll) = parent;
        let links = match vmac::links(&self.netlink).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("({iname}) VMAC {}: {e}", want.ifname);
                return None;
            }
        };
        let mut name = want.ifname.clone();
        let mut made = true;
        let result = match vmac::plan(&links, &want.ifname, parent_index, want.mac) {
            vmac::Plan::Reuse { name: found, .. } => {
                tracing::info!("({iname}) Found matching interface {found}");
                if found != want.ifname && cfg.vmac.name_configured {
                    tracing::info!(
                        "({iname}) vmac name mismatch {} <=> {found}. changing to {found}.",
                        want.ifname
                    );
                }
                name = found;
                made = false;
                Ok(())
            }
            vmac::Plan::Create => vmac::create(&self.netlink, &name, parent_index, want.mac).await,
            vmac::Plan::Update { index } => {
                tracing::info!("({iname}) Update old VMAC interface {name} due to wrong MAC/mode ");
                vmac::update(&self.netlink, index, want.mac).await
            }
            vmac::Plan::Replace { index } => {
                tracing::info!(
                    "({iname}) Removing old VMAC interface {name} due to conflicting interface"
                );
                // nft_add_vmac()'s old interface: its entries go (if it had any).
                self.vmac_firewall(&name, VmacChange::Remove { ifindex: index });
                match vmac::delete(&self.netlink, index).await {
                    Ok(()) => vmac::create(&self.netlink, &name, parent_index, want.mac).await,
                    Err(e) => Err(e),
                }
            }
            vmac::Plan::Conflict => {
                tracing::info!("VMAC {name} conflicts with existing interface");
                return None;
            }
        };
        if let Err(e) = result {
            tracing::info!("({iname}): Unable to create VMAC interface {name}: {e}");
            return None;
        }
        let index = match net::interface(&self.netlink, &name).await {
            Ok(i) => i.index,
            Err(e) => {
                tracing::error!("({iname}) VMAC {name}: {e}");
                return None;
            }
        };
        if made {
            tracing::info!("({iname}): Success creating VMAC interface {name}");
        }
        let mut configured_parent = None;
        if made && !want.ipv6 {
            match self
                .vmac_host
                .configure(&self.netlink, index, parent_index, &want.parent)
                .await
            {
                Ok(done) => {
                    configured_parent = Some(parent_index);
                    for (key, from, to) in done.notices {
                        tracing::info!("NOTICE: setting sysctl {key} from {from} to {to}");
                    }
                }
                Err(e) => tracing::info!("Unable to set parameters for {name}: {e}"),
            }
        }
        // firewall_add_vmac(), in place before the VMAC comes up and joins its groups. A VMAC
        // taken over gets its entries too (keepalived 2.2.7 adds none then, and relies on the
        // killed run's tables; KNOWN_DIVERGENCES.md).
        let families = igmp_families(cfg, want, self.config.global.disable_local_igmp);
        if !families.is_empty() {
            let change = VmacChange::Add {
                ifindex: index,
                parent: parent_index,
                families,
            };
            self.vmac_firewall(&name, change);
            self.io_settled().await;
        }
        // IPv6 stays off on an IPv4 VMAC: no MLD or router solicitation with the virtual MAC.
        if let Err(e) = vmac::set_ipv6_disabled(&name, !want.ipv6) {
            tracing::warn!("({iname}) {name}: {e}");
        }
        if let Err(e) = vmac::bring_up(&self.netlink, index).await {
            tracing::error!("({iname}) cannot bring {name} up: {e}");
        }
        if want.ipv6 {
            self.vmac_link_local(cfg, index, &name, parent_ll, parent_mac, xmit_base)
                .await;
        }
        match net::interface(&self.netlink, &name).await {
            Ok(i) => {
                self.links.insert(name.clone(), Link::new(i));
            }
            Err(e) => {
                tracing::error!("({iname}) VMAC {name}: {e}");
                return None;
            }
        }
        self.vmacs.retain(|v| v.name != name);
        self.vmacs.push(OwnedVmac {
            instance: iname.clone(),
            name: name.clone(),
            index,
            configured_parent,
        });
        Some(name)
    }

    /// An IPv6 VMAC's link-local address (`set_link_local_address()`): the configured source,
    /// else the parent's link-local, else one made from the parent's MAC; none with
    /// `vmac_xmit_base`, whose adverts leave from the parent.
    async fn vmac_link_local(
        &mut self,
        cfg: &model::Instance,
        index: u32,
        name: &str,
        parent_ll: Option<Ipv6Addr>,
        parent_mac: [u8; 6],
        xmit_base: bool,
    ) {
        let have = vmac::link_locals(&self.netlink, index)
            .await
            .unwrap_or_default();
        if xmit_base {
            for a in have {
                let _ = vmac::del_link_local(&self.netlink, index, a).await;
            }
            return;
        }
        let addr = match cfg.src_ip {
            Some(IpAddr::V6(a)) => a,
            _ => parent_ll.unwrap_or_else(|| vmac::eui64_link_local(parent_mac)),
        };
        if have.contains(&addr) {
            return;
        }
        if let Err(e) = vmac::add_link_local(&self.netlink, index, addr).await {
            tracing::info!(
                "({}) adding link-local address to {name} failed: {e}",
                cfg.name
            );
        }
    }

    /// The instance's own interface as the engine must see it: its parent up and, with a
    /// VMAC, the VMAC up too (keepalived tracks both).
    pub(super) fn own_link_up(&self, cfg: &model::Instance, parent_up: bool) -> bool {
        parent_up
            && cfg
                .vmac
                .own
                .as_ref()
                .is_none_or(|v| self.links.get(&v.ifname).is_some_and(|l| l.up))
    }

    /// The event slot `s` gets for a link change: a change of its VMAC or of its parent is
    /// the parent's combined state; anything else as it came.
    pub(super) fn link_event_for(&self, s: &Slot, ev: &net::LinkEvent) -> TrackEvent {
        if let (Some(own), Some(parent)) = (&s.cfg.vmac.own, &s.cfg.interface) {
            if ev.name == own.ifname || &ev.name == parent {
                let parent_up = self.links.get(parent).is_some_and(|l| l.up);
                return TrackEvent::Interface {
                    name: parent.clone(),
                    up: self.own_link_up(&s.cfg, parent_up),
                };
            }
        }
        TrackEvent::Interface {
            name: ev.name.clone(),
            up: ev.up,
        }
    }

    /// A link event about one of our VMACs, with the state the kernel reports now: the events
    /// of its creation (down, then up) are still queued when the instance starts, and acting
    /// on them would take it through FAULT for nothing (keepalived reads them back first).
    pub(super) async fn fresh_vmac_event(&self, mut ev: net::LinkEvent) -> net::LinkEvent {
        if self.vmacs.iter().any(|v| v.name == ev.name) {
            ev.up = net::interface(&self.netlink, &ev.name)
                .await
                .is_ok_and(|i| i.up);
        }
        ev
    }

    /// A VMAC of ours reported down may have been deleted: keepalived makes it again (the
    /// instance is in FAULT meanwhile and leaves it when the new one is up).
    pub(super) async fn vmac_maybe_deleted(&mut self, ev: &net::LinkEvent) {
        if ev.up || !self.vmacs.iter().any(|v| v.name == ev.name) {
            return;
        }
        if !matches!(
            net::interface(&self.netlink, &ev.name).await,
            Err(net::Error::NoSuchInterface(_))
        ) {
            return;
        }
        tracing::info!("Interface {} deleted", ev.name);
        self.links.remove(&ev.name);
        let Some(i) = self
            .slots
            .iter()
            .position(|s| s.cfg.vmac.all().any(|v| v.ifname == ev.name))
        else {
            return;
        };
        let mut cfg = model::Instance::clone(&self.slots[i].cfg);
        let Some(want) = cfg.vmac.all().find(|v| v.ifname == ev.name).cloned() else {
            return;
        };
        let own = cfg
            .vmac
            .own
            .as_ref()
            .is_some_and(|o| o.ifname == want.ifname);
        // vrrp_if.c: a VMAC going leaves the firewall sets; the new one comes in.
        if let Some(v) = self.vmacs.iter().find(|v| v.name == ev.name) {
            self.vmac_firewall(&v.name, VmacChange::Remove { ifindex: v.index });
        }
        // The deleted VMAC's parent settings were counted; the new one counts again.
        if let Some(p) = self
            .vmacs
            .iter()
            .find(|v| v.name == ev.name)
            .and_then(|v| v.configured_parent)
        {
            if let Some(r) = self.vmac_host.release(p) {
                let _ = vmac::restore(&self.netlink, &r).await;
            }
        }
        let xmit_base = own && cfg.vmac.xmit_base;
        let Some(name) = self.make_vmac(&cfg, &want, xmit_base).await else {
            return;
        };
        rename(&mut cfg, &want.ifname, &name);
        // Its up state comes with the new link's own netlink event.
        self.link_up.remove(&name);
        if own && !xmit_base {
            // New sockets: the old ones were bound to the deleted interface.
            let s = &self.slots[i];
            let reopened = if s.v6 {
                let local = match cfg.mcast_group {
                    IpAddr::V6(g) => g,
                    IpAddr::V4(_) => super::MCAST_GROUP6,
                };
                self.link6(&name, local)
                    .await
                    .map(|sock| (sock.ifindex(), None, Some(sock)))
            } else {
                let group = match cfg.mcast_group {
                    IpAddr::V4(g) => g,
                    IpAddr::V6(_) => Ipv4Addr::new(224, 0, 0, 18),
                };
                self.link4(&name, Some(group))
                    .await
                    .map(|sock| (sock.ifindex(), Some(sock), None))
            };
            match reopened {
                Ok((index, sock4, sock6)) => {
                    let s = &mut self.slots[i];
                    s.ifindex = index;
                    if sock4.is_some() {
                        s.socket4 = sock4;
                    }
                    if sock6.is_some() {
                        s.socket6 = sock6;
                    }
                }
                Err(e) => tracing::error!("({}) {e}", cfg.name),
            }
        }
        self.slots[i].cfg = Arc::new(cfg);
        self.slots_moved();
    }

    /// `garp_extra_if`: while MASTER, at the first advert after each interval, one gratuitous
    /// ARP (or NA) per other interface carrying VIPs (`vrrp_send_vmac_update()`): VMACs only,
    /// or every interface with `all`; the instance's own interface only with `vmac_xmit_base`.
    pub(super) fn garp_extra_if(&mut self, i: usize, now: Instant) {
        let s = &self.slots[i];
        let Some(gx) = s.cfg.vmac.garp_extra_if else {
            return;
        };
        if s.garp_extra_due.is_none_or(|due| now <= due) {
            return;
        }
        let own_if = s
            .cfg
            .vmac
            .own
            .as_ref()
            .map(|v| v.ifname.clone())
            .or(s.cfg.interface.clone());
        let mut frames: Vec<Announce> = Vec::new();
        for vip in &s.cfg.vips {
            let Some(dev) = vip.dev.clone().or(s.cfg.interface.clone()) else {
                continue;
            };
            let ours = s.cfg.vmac.all().any(|v| v.ifname == dev);
            if !ours && !gx.all {
                continue;
            }
            if Some(&dev) == own_if.as_ref() && !s.cfg.vmac.xmit_base {
                continue;
            }
            let Some(l) = self.links.get(&dev) else {
                continue;
            };
            if frames.iter().any(|f| f.ifindex == l.index) {
                continue;
            }
            frames.push(Announce {
                ifindex: l.index,
                ifname: dev.clone(),
                mac: l.mac,
                ip: vip.addr,
            });
        }
        let instance = s.cfg.name.clone();
        self.slots[i].garp_extra_due = Some(now + gx.interval);
        if !frames.is_empty() {
            let _ = self.io_tx.send(Job::Garp {
                instance,
                frames,
                repeat: 1,
            });
        }
    }

    /// Removes the VMACs of `instance` now (a reload dropped it), and puts its parents' ARP
    /// settings back when no other VMAC relies on them.
    pub(super) async fn remove_vmacs_of(&mut self, instance: &str) {
        let (gone, kept): (Vec<OwnedVmac>, Vec<OwnedVmac>) = std::mem::take(&mut self.vmacs)
            .into_iter()
            .partition(|v| v.instance == instance);
        self.vmacs = kept;
        if gone.is_empty() {
            return;
        }
        // Its VIPs come off first, as keepalived's vrrp_restore_interface() precedes the
        // VMAC's removal; the worker does that in queue order.
        self.io_settled().await;
        for v in gone {
            match vmac::delete(&self.netlink, v.index).await {
                Ok(()) => tracing::info!("({instance}) Success removing VMAC interface {}", v.name),
                Err(e) => {
                    tracing::info!("({instance}) Error removing VMAC interface {}: {e}", v.name)
                }
            }
            self.vmac_firewall(&v.name, VmacChange::Remove { ifindex: v.index });
            self.links.remove(&v.name);
            self.link_up.remove(&v.name);
            if let Some(r) = v.configured_parent.and_then(|p| self.vmac_host.release(p)) {
                let _ = vmac::restore(&self.netlink, &r).await;
            }
        }
    }

    /// `disable_local_igmp` at start (not on reload), before any VMAC joins the group.
    pub(super) fn disable_local_igmp(&mut self) {
        if self.config.global.disable_local_igmp {
            if let Err(e) = self.vmac_host.disable_local_igmp() {
                tracing::info!(
                    "Unable to write {}: {e}",
                    vmac::IGMP_LINK_LOCAL_MCAST_REPORTS
                );
                // As keepalived: the reports stay on, so IPv4 VMACs need their rules.
                self.config.global.disable_local_igmp = false;
            }
        }
    }

    /// A reload cannot change `disable_local_igmp` (keepalived says so and keeps it).
    pub(super) fn check_local_igmp_reload(&self, new: &model::Global) {
        if new.disable_local_igmp != self.config.global.disable_local_igmp {
            tracing::info!(
                "Cannot change disable_local_igmp at a reload - please restart keepalived"
            );
        }
    }

    /// At stop: queue the removal of every VMAC (not with `-V`) and the restoration of the
    /// sysctls after the VIP removals already queued, as keepalived's
    /// `shutdown_vrrp_instances()` follows `restore_vrrp_interfaces()`; `disable_local_igmp`'s
    /// sysctl is put back in any case.
    pub(super) fn queue_vmac_teardown(&mut self, release: bool) {
        let (vmacs, restores): (Vec<(String, String, u32)>, Vec<vmac::Restore>) = if release {
            let v = self
                .vmacs
                .drain(..)
                .map(|v| (v.instance, v.name, v.index))
                .collect();
            (v, self.vmac_host.teardown())
        } else {
            (
                Vec::new(),
                self.vmac_host.restore_local_igmp().into_iter().collect(),
            )
        };
        if !vmacs.is_empty() || !restores.is_empty() {
            let _ = self.io_tx.send(Job::VmacTeardown { vmacs, restores });
        }
    }
}

/// A VMAC found under another name: the instance uses that name from now on.
fn rename(cfg: &mut model::Instance, from: &str, to: &str) {
    for v in cfg.vmac.own.iter_mut().chain(cfg.vmac.for_vips.iter_mut()) {
        if v.ifname == from {
            v.ifname = to.to_owned();
        }
    }
    for vip in &mut cfg.vips {
        if vip.dev.as_deref() == Some(from) {
            vip.dev = Some(to.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrp::instance::tests::cfg;

    fn vmac(name: &str, ipv6: bool) -> Vmac {
        Vmac {
            ifname: name.into(),
            parent: "eth0".into(),
            mac: model::vrrp_mac(51, ipv6),
            ipv6,
        }
    }

    fn evip(addr: &str) -> model::VirtualAddr {
        let mut v = cfg(100).vips[0].clone();
        v.addr = addr.parse().unwrap();
        v
    }

    #[test]
    fn igmp_families_are_keepalived_s() {
        let mut c = cfg(100);
        c.vmac.own = Some(vmac("vrrp.51", false));
        let own = c.vmac.own.clone().unwrap();
        let x0 = vmac("vrrp1.51", false);
        assert_eq!(igmp_families(&c, &own, false), [Family::V4]);
        // An eVIP of the other family adds it to the instance's own VMAC only.
        c.vips_excluded.push(evip("2001:db8::60"));
        assert_eq!(igmp_families(&c, &own, false), [Family::V4, Family::V6]);
        assert_eq!(igmp_families(&c, &x0, false), [Family::V4]);
        // disable_local_igmp: nothing for an IPv4 VMAC, even its other family.
        assert!(igmp_families(&c, &own, true).is_empty());
        // An IPv6 VMAC always has its rules, its own family first.
        let mut c6 = cfg(100);
        c6.vmac.own = Some(vmac("vrrp.52", true));
        let own6 = c6.vmac.own.clone().unwrap();
        c6.vips_excluded.push(evip("198.51.100.62"));
        assert_eq!(igmp_families(&c6, &own6, true), [Family::V6, Family::V4]);
        assert_eq!(
            igmp_families(&c6, &vmac("vrrp6.52", true), true),
            [Family::V6]
        );
    }
}
