//! The firewall jobs of instances without accept mode (`no_accept`, strict mode): which VIPs
//! the nftables drop sets must hold for an instance, queued to the I/O worker around the
//! address jobs in keepalived's order (`vrrp_handle_accept_mode()`: the drop rule before the
//! VIPs are added, removed after they are).

use super::Link;
use super::io_worker::Job;
use crate::model;
use crate::net::nftables;
use std::collections::HashMap;

/// The job that makes `cfg`'s drop-set entries exactly those of `vips` (none: empty), or
/// `None` for an instance that accepts traffic (or owns its VIPs) and so never has any.
pub(super) fn job(
    cfg: &model::Instance,
    fw: &model::Firewall,
    links: &HashMap<String, Link>,
    vips: &[(u32, model::VirtualAddr)],
) -> Option<Job> {
    if !cfg.drops_vip_traffic() {
        return None;
    }
    let ifname = |index: u32| {
        links
            .iter()
            .find(|(_, l)| l.index == index)
            .map(|(name, _)| name.clone())
    };
    Some(Job::Firewall {
        instance: cfg.name.clone(),
        elements: nftables::elements(cfg, fw, vips, ifname),
    })
}

/// After a reload, for an instance that stays MASTER: accept mode (or ownership) changed,
/// so its VIPs go into the drop sets or out of them (`clear_diff_vrrp_vip()`).
pub(super) fn accept_changed(
    old: &model::Instance,
    new: &model::Instance,
    fw: &model::Firewall,
    links: &HashMap<String, Link>,
    vips: &[(u32, model::VirtualAddr)],
) -> Option<Job> {
    match (old.drops_vip_traffic(), new.drops_vip_traffic()) {
        (false, true) => job(new, fw, links, vips),
        (true, false) => Some(Job::Firewall {
            instance: old.name.clone(),
            elements: Vec::new(),
        }),
        _ => None,
    }
}
