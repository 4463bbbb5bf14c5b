//! The I/O worker: one task that performs the slow side effects of transitions (netlink address
//! changes, gratuitous ARP / unsolicited NA bursts, notify scripts and FIFO lines, mails)
//! strictly in the order the event loop queued them, so `notify_master` always runs after its
//! VIPs are in place, while the loop itself never waits on any of it. Notify scripts go to
//! per-instance ordered queues ([`notify::Notifier`]), so a slow script delays neither this
//! worker nor other instances.

use super::route_jobs;
use crate::model;
use crate::net::{self, RtCmd};
use crate::notify;
use std::net::IpAddr;
use tokio::sync::mpsc;

/// One side effect, queued by the event loop.
#[derive(Debug)]
pub enum Job {
    /// Add the instance's VIPs (`(VI) setting VIPs.`).
    AddVips {
        instance: String,
        vips: Vec<(u32, model::VirtualAddr)>,
    },
    /// Remove them (`(VI) removing VIPs.`).
    RemoveVips {
        instance: String,
        vips: Vec<(u32, model::VirtualAddr)>,
    },
    /// An instance's `virtual_routes` and `virtual_rules`: set (routes, then rules) or removed
    /// (rules, then routes), as keepalived's `vrrp_state_become_master()` /
    /// `vrrp_restore_interface()`.
    Routes {
        instance: String,
        add: bool,
        routes: Vec<model::Route>,
        rules: Vec<model::Rule>,
    },
    /// A reloaded MASTER's routes and rules changed (old, new).
    UpdateRoutes {
        instance: String,
        old: Box<(Vec<model::Route>, Vec<model::Rule>)>,
        new: Box<(Vec<model::Route>, Vec<model::Rule>)>,
    },
    /// `static_ipaddress` / `static_routes` / `static_rules` set or removed; `clean_first`
    /// removes what a killed run left before setting them.
    Static {
        add: bool,
        clean_first: bool,
        addresses: Vec<model::VirtualAddr>,
        routes: Vec<model::Route>,
        rules: Vec<model::Rule>,
    },
    /// Something a MASTER set was reported deleted: if it is still gone once the jobs queued
    /// before are done, tell the loop ([`route_jobs::Feedback::Lost`]).
    Verify {
        instance: String,
        epoch: u64,
        item: Box<route_jobs::Owned>,
    },
    /// A static item was reported deleted: put it back if it is still gone.
    Reinstate(Box<route_jobs::Owned>),
    /// Make the instance's entries in the nftables drop sets exactly `elements`
    /// (`(VI) setting firewall drop rule` / `removing` when empty); the tables are created on
    /// first use and deleted when the worker ends.
    Firewall {
        instance: String,
        elements: Vec<net::nftables::Element>,
    },
    /// A VMAC's entries in the IGMP/MLD rules (`name` for the log), added when it is made,
    /// removed when it goes (keepalived's `firewall_add_vmac()` / `firewall_remove_vmac()`).
    VmacFirewall {
        name: String,
        change: net::nftables::VmacChange,
    },
    /// One announcement burst: `repeat` rounds of one frame per VIP in config order, a
    /// gratuitous ARP for an IPv4 VIP and an unsolicited NA for an IPv6 one, as keepalived's
    /// `vrrp_send_link_update()` (same repeat and delays for both, inventory §8.9).
    Garp {
        instance: String,
        frames: Vec<Announce>,
        repeat: u32,
    },
    /// Notify scripts, the notify FIFO line and (when `smtp`) an alert mail, in that order.
    Notify {
        scripts: Box<model::NotifyScripts>,
        notification: notify::Notification,
        smtp: bool,
        /// When the transition happened: its scripts' timings are reported from it.
        at: Option<std::time::Instant>,
    },
    /// A sync group's notify scripts, FIFO line and (when `smtp`) mail, in that order.
    GroupNotify {
        scripts: Box<model::NotifyScripts>,
        notification: notify::GroupNotification,
        smtp: bool,
    },
    /// Answer once every job queued before this one is done (a reload deletes a dropped
    /// instance's VMACs only after its VIPs are off them).
    Barrier(tokio::sync::oneshot::Sender<()>),
    /// At stop: delete the VMACs (`(instance, name, index)`), then put back the sysctls
    /// changed for them.
    VmacTeardown {
        vmacs: Vec<(String, String, u32)>,
        restores: Vec<net::vmac::Restore>,
    },
    /// A reload took effect: reopen the notify FIFOs (restarting their scripts) and use the new
    /// global section for mails. Jobs queued before it still use the old ones.
    Reload {
        global: Box<model::Global>,
        script_user: Option<model::ScriptUser>,
    },
}

/// One VIP to announce and the interface it lives on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    /// Interface index.
    pub ifindex: u32,
    /// Its name, for the IPv6 forwarding setting that decides the NA Router flag.
    pub ifname: String,
    /// Its MAC: the frames' source and the NA target link-layer address.
    pub mac: [u8; 6],
    /// The VIP.
    pub ip: IpAddr,
}

/// What the worker needs besides the jobs.
pub struct Context {
    /// Netlink handle for addresses.
    pub netlink: rtnetlink::Handle,
    /// The user scripts run as when they name none (`exec::default_script_user`).
    pub script_user: Option<model::ScriptUser>,
    /// Global section for mails.
    pub global: model::Global,
    /// Local node name.
    pub local_name: String,
    /// Where notify script timings go (the metrics endpoint), if anywhere.
    pub timings: Option<mpsc::UnboundedSender<notify::ScriptTiming>>,
    /// Answers to [`Job::Verify`].
    pub feedback: mpsc::UnboundedSender<route_jobs::Feedback>,
}

/// The VIPs this worker has set, per instance. With `vrrp_vip_lifetime` they are renewed
/// every third of the lifetime, so a MASTER's VIPs never run out while the daemon lives and
/// vanish by themselves within the lifetime once it is killed; a reload that changes the
/// lifetime applies the new one (or forever) to them at once.
#[derive(Debug, Default)]
struct Lifetimes {
    set: std::collections::HashMap<String, Vec<(u32, model::VirtualAddr)>>,
    /// Renewals that failed, logged once until one succeeds again.
    failing: std::collections::HashSet<(u32, IpAddr)>,
}

impl Lifetimes {
    fn added(&mut self, instance: &str, vips: &[(u32, model::VirtualAddr)]) {
        let set = self.set.entry(instance.to_string()).or_default();
        for v in vips {
            if !set.contains(v) {
                set.push(v.clone());
            }
        }
    }

    fn removed(&mut self, instance: &str, vips: &[(u32, model::VirtualAddr)]) {
        if let Some(set) = self.set.get_mut(instance) {
            set.retain(|v| !vips.contains(v));
            if set.is_empty() {
                self.set.remove(instance);
            }
        }
    }

    /// Renews every VIP set with `lifetime` (`None`: back to forever, after a reload that
    /// dropped the keyword).
    async fn renew(&mut self, netlink: &rtnetlink::Handle, lifetime: Option<u32>) {
        for (instance, vips) in &self.set {
            for (ifindex, vip) in vips {
                let key = (*ifindex, vip.addr);
                match net::replace_address(netlink, *ifindex, vip, lifetime).await {
                    Ok(()) => {
                        self.failing.remove(&key);
                    }
                    Err(e) => {
                        if self.failing.insert(key) {
                            tracing::error!(
                                "({instance}) cannot renew the lifetime of {}/{}: {e}",
                                vip.addr,
                                vip.prefix_len
                            );
                        }
                    }
                }
            }
        }
    }
}

/// How often VIPs with a `lifetime` of that many seconds are renewed: a third of it.
fn renew_period(lifetime: u32) -> std::time::Duration {
    std::time::Duration::from_millis(u64::from(lifetime) * 1000 / 3)
}

/// Run jobs until the sender side is dropped and the queue is empty.
pub async fn run(mut ctx: Context, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut lifetimes = Lifetimes::default();
    let mut next_renewal: Option<tokio::time::Instant> = None;
    let mut garp = std::collections::HashMap::<u32, net::GarpSender>::new();
    // `vrrp_garp_interval` / `vrrp_gna_interval`: frames go through per-interface queues.
    let mut pacer = super::garp_pacer::Pacer::default();
    // Opened before the first job so the start-up `BACKUP` line is not lost.
    let mut notifier = notify::Notifier::new(&ctx.global, ctx.script_user.clone());
    if let Some(tx) = ctx.timings.clone() {
        notifier = notifier.with_timings(tx);
    }
    // `no_email_faults` and keepalived's `last_email_state` per instance.
    let mut mail_gate = notify::MailGate::default();
    // No-accept instances' drop rules, made on first use (`nft_*` in keepalived).
    let mut firewall: Option<net::nftables::Firewall> = None;
    loop {
        let job = match next_renewal {
            Some(at) => tokio::select! {
                job = rx.recv() => job,
                () = tokio::time::sleep_until(at) => {
                    let lifetime = ctx.global.vrrp_vip_lifetime;
                    lifetimes.renew(&ctx.netlink, lifetime).await;
                    next_renewal = lifetime
                        .filter(|_| !lifetimes.set.is_empty())
                        .map(|l| tokio::time::Instant::now() + renew_period(l));
                    continue;
                }
            },
            None => rx.recv().await,
        };
        let Some(job) = job else { break };
        match job {
            Job::Firewall { instance, elements } => {
                firewall_job(&mut firewall, &ctx.global.firewall, &instance, elements)
            }
            Job::VmacFirewall { name, change } => {
                vmac_firewall_job(&mut firewall, &ctx.global.firewall, &name, change)
            }
            Job::AddVips { instance, vips } => {
                tracing::debug!("({instance}) setting VIPs.");
                let lifetime = ctx.global.vrrp_vip_lifetime;
                for (ifindex, vip) in &vips {
                    let added = match lifetime {
                        // Replace: a leftover without a lifetime gets ours too.
                        Some(_) => {
                            net::replace_address(&ctx.netlink, *ifindex, vip, lifetime).await
                        }
                        None => net::add_address(&ctx.netlink, *ifindex, vip).await,
                    };
                    if let Err(e) = added {
                        tracing::error!(
                            "({instance}) cannot add {}/{}: {e}",
                            vip.addr,
                            vip.prefix_len
                        );
                    }
                }
                lifetimes.added(&instance, &vips);
                if let Some(l) = lifetime {
                    next_renewal
                        .get_or_insert_with(|| tokio::time::Instant::now() + renew_period(l));
                }
            }
            Job::RemoveVips { instance, vips } => {
                tracing::debug!("({instance}) removing VIPs.");
                lifetimes.removed(&instance, &vips);
                if lifetimes.set.is_empty() {
                    next_renewal = None;
                }
                for (ifindex, vip) in &vips {
                    if let Err(e) = net::del_address(&ctx.netlink, *ifindex, vip).await {
                        tracing::debug!(
                            "({instance}) cannot remove {}/{}: {e}",
                            vip.addr,
                            vip.prefix_len
                        );
                    }
                }
            }
            Job::Routes {
                instance,
                add,
                routes,
                rules,
            } => {
                let h = &ctx.netlink;
                if add {
                    tracing::debug!("({instance}) setting Virtual Routes");
                    route_jobs::routes(h, &instance, RtCmd::Add, &routes).await;
                    route_jobs::rules(h, &instance, RtCmd::Add, &rules).await;
                } else {
                    tracing::debug!("({instance}) removing Virtual Routes");
                    route_jobs::rules(h, &instance, RtCmd::Del, &rules).await;
                    route_jobs::routes(h, &instance, RtCmd::Del, &routes).await;
                }
            }
            Job::UpdateRoutes { instance, old, new } => {
                let (o, n) = (&*old, &*new);
                route_jobs::update(&ctx.netlink, &instance, (&o.0, &o.1), (&n.0, &n.1)).await;
            }
            Job::Static {
                add,
                clean_first,
                addresses,
                routes,
                rules,
            } => {
                route_jobs::statics(&ctx.netlink, add, clean_first, &addresses, &routes, &rules)
                    .await;
            }
            Job::Verify {
                instance,
                epoch,
                item,
            } => {
                if !route_jobs::present(&ctx.netlink, &item).await {
                    let _ = ctx
                        .feedback
                        .send(route_jobs::Feedback::Lost { instance, epoch });
                }
            }
            Job::Reinstate(item) => route_jobs::reinstate(&ctx.netlink, &item).await,
            Job::Garp {
                instance,
                frames,
                repeat,
            } => {
                // Read once per burst: the Router flag follows the interface's forwarding
                // setting at the time, as keepalived checks it when it sends.
                let router: std::collections::HashMap<u32, bool> = frames
                    .iter()
                    .filter(|f| f.ip.is_ipv6())
                    .map(|f| (f.ifindex, net::ipv6_forwarding(&f.ifname)))
                    .collect();
                for _ in 0..repeat {
                    for Announce {
                        ifindex,
                        ifname,
                        mac,
                        ip,
                    } in &frames
                    {
                        let paced =
                            super::garp_pacer::Pacer::pace(&ctx.global, ifname, *ifindex, ip);
                        if let Some((key, gap)) = paced {
                            let r = router.get(ifindex).copied().unwrap_or(false);
                            pacer.enqueue(key, &instance, *ifindex, *mac, *ip, r, gap);
                            continue;
                        }
                        let sender = match garp.entry(*ifindex) {
                            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                            std::collections::hash_map::Entry::Vacant(v) => {
                                match net::GarpSender::open(*ifindex, *mac) {
                                    Ok(s) => v.insert(s),
                                    Err(e) => {
                                        tracing::error!(
                                            "({instance}) cannot open gratuitous ARP socket: {e}"
                                        );
                                        continue;
                                    }
                                }
                            }
                        };
                        let sent = match ip {
                            IpAddr::V4(v4) => {
                                tracing::debug!(
                                    "Sending gratuitous ARP on ifindex {ifindex} for {ip}"
                                );
                                sender.send(*v4)
                            }
                            IpAddr::V6(v6) => {
                                tracing::debug!(
                                    "Sending unsolicited NA on ifindex {ifindex} for {ip}"
                                );
                                let r = router.get(ifindex).copied().unwrap_or(false);
                                sender.send_na(*v6, r)
                            }
                        };
                        if let Err(e) = sent {
                            tracing::error!("({instance}) announcing {ip} failed: {e}");
                        }
                    }
                }
            }
            Job::Notify {
                scripts,
                notification,
                smtp,
                at,
            } => {
                match at {
                    Some(at) => notifier.notify_at(&scripts, &notification, at),
                    None => notifier.notify(&scripts, &notification),
                }
                if smtp && mail_gate.admit(&notification, ctx.global.no_email_faults) {
                    notify::spawn_smtp_alert(&ctx.global, &ctx.local_name, &notification);
                }
            }
            Job::GroupNotify {
                scripts,
                notification,
                smtp,
            } => {
                notifier.notify_group(&scripts, &notification);
                if smtp {
                    notify::spawn_group_smtp_alert(&ctx.global, &ctx.local_name, &notification);
                }
            }
            Job::Barrier(done) => {
                let _ = done.send(());
            }
            Job::VmacTeardown { vmacs, restores } => {
                for (instance, name, index) in vmacs {
                    match net::vmac::delete(&ctx.netlink, index).await {
                        Ok(()) => {
                            tracing::info!("({instance}) Success removing VMAC interface {name}")
                        }
                        Err(e) => {
                            tracing::info!("({instance}) Error removing VMAC interface {name}: {e}")
                        }
                    }
                    // netlink_link_del_vmac(): its firewall entries go after the link.
                    let change = net::nftables::VmacChange::Remove { ifindex: index };
                    vmac_firewall_job(&mut firewall, &ctx.global.firewall, &name, change);
                }
                for r in &restores {
                    let done = net::vmac::restore(&ctx.netlink, r).await;
                    match (r, done) {
                        (net::vmac::Restore::Sysctl { path, value, .. }, Ok(true)) => {
                            // Only all/default are worth keepalived's NOTICE.
                            let key = path.strip_prefix("/proc/sys/").unwrap_or(path);
                            let key = key.to_string_lossy().replace('/', ".");
                            if key.contains(".all.") || key.contains(".default.") {
                                tracing::info!("NOTICE: resetting sysctl {key} to {value}");
                            }
                        }
                        (net::vmac::Restore::Devconf { name, .. }, Err(e)) => {
                            tracing::info!("Unable to reset parameters for {name}: {e}");
                        }
                        _ => {}
                    }
                }
            }
            Job::Reload {
                global,
                script_user,
            } => {
                if let Some(fw) = &firewall {
                    if global.firewall.table.as_deref() != Some(fw.settings().table.as_str()) {
                        tracing::info!(
                            "Cannot change nftables table name at a reload - please restart keepalived"
                        );
                    }
                }
                notifier.reload(&global, script_user.clone());
                if global.vrrp_vip_lifetime != ctx.global.vrrp_vip_lifetime {
                    // The VIPs in place take the new lifetime (or forever) at once.
                    lifetimes
                        .renew(&ctx.netlink, global.vrrp_vip_lifetime)
                        .await;
                    next_renewal = global
                        .vrrp_vip_lifetime
                        .filter(|_| !lifetimes.set.is_empty())
                        .map(|l| tokio::time::Instant::now() + renew_period(l));
                }
                ctx.global = *global;
                ctx.script_user = script_user;
            }
        }
    }
    // After the last VIPs went, as keepalived's firewall_fini() at exit.
    if let Some(mut fw) = firewall {
        if let Err(e) = fw.cleanup() {
            tracing::error!("Removing the firewall tables failed: {e}");
        }
    }
    // FIFOs closed (readers see end of file after the STOP lines), then queued scripts run;
    // the caller bounds how long it waits for this.
    notifier.shutdown().await;
}

/// One `Job::Firewall`. The kernel answers a batch inside the send, so this never waits on
/// anything slow; a failure is logged and the next change for the instance tries again.
fn firewall_job(
    firewall: &mut Option<net::nftables::Firewall>,
    cfg: &model::Firewall,
    instance: &str,
    elements: Vec<net::nftables::Element>,
) {
    let verb = if elements.is_empty() {
        "removing"
    } else {
        "setting"
    };
    tracing::debug!("({instance}) {verb} firewall drop rule");
    let Some(fw) = firewall_of(firewall, cfg) else {
        return;
    };
    if let Err(e) = fw.set(instance, elements) {
        tracing::error!("({instance}) {verb} firewall drop rule failed: {e}");
    }
}

/// One `Job::VmacFirewall`, as [`firewall_job`].
fn vmac_firewall_job(
    firewall: &mut Option<net::nftables::Firewall>,
    cfg: &model::Firewall,
    name: &str,
    change: net::nftables::VmacChange,
) {
    let verb = match change {
        net::nftables::VmacChange::Add { .. } => "adding",
        net::nftables::VmacChange::Remove { .. } => "removing",
    };
    let Some(fw) = firewall_of(firewall, cfg) else {
        return;
    };
    if let Err(e) = fw.vmac(change) {
        tracing::error!("{verb} the firewall rules of VMAC {name} failed: {e}");
    }
}

/// The firewall, made on first use; `None` when no table is configured.
fn firewall_of<'a>(
    firewall: &'a mut Option<net::nftables::Firewall>,
    cfg: &model::Firewall,
) -> Option<&'a mut net::nftables::Firewall> {
    if firewall.is_none() {
        *firewall = Some(net::nftables::Firewall::new(
            net::nftables::Settings::from_model(cfg)?,
        ));
    }
    firewall.as_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vip(last: u8) -> (u32, model::VirtualAddr) {
        (
            2,
            model::VirtualAddr {
                addr: IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, last)),
                prefix_len: 32,
                brd: None,
                dev: None,
                scope: 0,
                label: None,
                no_track: false,
            },
        )
    }

    #[test]
    fn renewed_every_third_of_the_lifetime() {
        assert_eq!(renew_period(3), std::time::Duration::from_secs(1));
        assert_eq!(renew_period(10), std::time::Duration::from_millis(3333));
    }

    #[test]
    fn the_set_follows_additions_and_removals_per_instance() {
        let mut l = Lifetimes::default();
        l.added("VI_1", &[vip(1), vip(2)]);
        // A reload's partial add (UpdateVips) extends, a repeated add does not duplicate.
        l.added("VI_1", &[vip(2), vip(3)]);
        l.added("VI_2", &[vip(9)]);
        assert_eq!(l.set["VI_1"], vec![vip(1), vip(2), vip(3)]);
        l.removed("VI_1", &[vip(2)]);
        assert_eq!(l.set["VI_1"], vec![vip(1), vip(3)]);
        l.removed("VI_1", &[vip(1), vip(3)]);
        assert!(!l.set.contains_key("VI_1"));
        l.removed("VI_2", &[vip(9)]);
        assert!(l.set.is_empty(), "nothing left to renew");
    }
}
