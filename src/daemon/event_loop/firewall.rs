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

/// After a reload, for an instance that stays MASTER: when accept mode, ownership or its
/// name changed, its VIPs go into the drop sets under the new name or out of them under the
/// old one (`clear_diff_vrrp_vip()`); new entries first, so a VIP kept is never let through.
pub(super) fn reloaded(
    old: &model::Instance,
    new: &model::Instance,
    fw: &model::Firewall,
    links: &HashMap<String, Link>,
    vips: &[(u32, model::VirtualAddr)],
) -> Vec<Job> {
    let renamed = old.name != new.name;
    let mut jobs = Vec::new();
    if new.drops_vip_traffic() && (renamed || !old.drops_vip_traffic()) {
        jobs.extend(job(new, fw, links, vips));
    }
    if old.drops_vip_traffic() && (renamed || !new.drops_vip_traffic()) {
        jobs.push(Job::Firewall {
            instance: old.name.clone(),
            elements: Vec::new(),
        });
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrp::instance::tests::cfg;

    fn fw() -> model::Firewall {
        model::Firewall {
            table: Some("keepalived".into()),
            ..Default::default()
        }
    }

    fn no_accept(mut c: model::Instance) -> model::Instance {
        c.accept = false;
        c
    }

    fn pairs(c: &model::Instance) -> Vec<(u32, model::VirtualAddr)> {
        c.vips.iter().map(|v| (2, v.clone())).collect()
    }

    /// (instance, number of entries) of each job.
    fn summary(jobs: Vec<Job>) -> Vec<(String, usize)> {
        jobs.into_iter()
            .map(|j| match j {
                Job::Firewall { instance, elements } => (instance, elements.len()),
                other => panic!("not a firewall job: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn only_non_accepting_non_owners_get_jobs() {
        let links = HashMap::new();
        let c = cfg(100);
        assert!(job(&c, &fw(), &links, &pairs(&c)).is_none());
        let owner = no_accept(cfg(255));
        assert!(job(&owner, &fw(), &links, &pairs(&owner)).is_none());
        let c = no_accept(cfg(100));
        assert_eq!(
            summary(job(&c, &fw(), &links, &pairs(&c)).into_iter().collect()),
            [("VI_1".to_string(), 2)]
        );
    }

    #[test]
    fn a_reload_moves_the_entries_when_accept_mode_or_the_name_changes() {
        let links = HashMap::new();
        let acc = cfg(100);
        let drop = no_accept(cfg(100));
        let v = pairs(&drop);
        assert!(summary(reloaded(&acc, &acc, &fw(), &links, &v)).is_empty());
        assert!(summary(reloaded(&drop, &drop, &fw(), &links, &v)).is_empty());
        assert_eq!(
            summary(reloaded(&acc, &drop, &fw(), &links, &v)),
            [("VI_1".to_string(), 2)]
        );
        assert_eq!(
            summary(reloaded(&drop, &acc, &fw(), &links, &v)),
            [("VI_1".to_string(), 0)]
        );
        // Becoming the owner stops the dropping too.
        let owner = no_accept(cfg(255));
        assert_eq!(
            summary(reloaded(&drop, &owner, &fw(), &links, &v)),
            [("VI_1".to_string(), 0)]
        );
        // Renamed: the new name takes the entries before the old one lets go.
        let renamed = model::Instance {
            name: "VI_9".into(),
            ..drop.clone()
        };
        assert_eq!(
            summary(reloaded(&drop, &renamed, &fw(), &links, &v)),
            [("VI_9".to_string(), 2), ("VI_1".to_string(), 0)]
        );
    }
}
