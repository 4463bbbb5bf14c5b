//! The I/O worker: one task that performs the slow side effects of transitions (netlink address
//! changes, gratuitous ARP / unsolicited NA bursts, notify scripts and FIFO lines, mails)
//! strictly in the order the event loop queued them, so `notify_master` always runs after its
//! VIPs are in place, while the loop itself never waits on any of it. Notify scripts go to
//! per-instance ordered queues ([`notify::Notifier`]), so a slow script delays neither this
//! worker nor other instances.

use crate::model;
use crate::net;
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
    /// Make the instance's entries in the nftables drop sets exactly `elements`
    /// (`(VI) setting firewall drop rule` / `removing` when empty); the tables are created on
    /// first use and deleted when the worker ends.
    Firewall {
        instance: String,
        elements: Vec<net::nftables::Element>,
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
}

/// Run jobs until the sender side is dropped and the queue is empty.
pub async fn run(mut ctx: Context, mut rx: mpsc::UnboundedReceiver<Job>) {
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
    while let Some(job) = rx.recv().await {
        match job {
            Job::Firewall { instance, elements } => {
                firewall_job(&mut firewall, &ctx.global.firewall, &instance, elements)
            }
            Job::AddVips { instance, vips } => {
                tracing::debug!("({instance}) setting VIPs.");
                for (ifindex, vip) in &vips {
                    if let Err(e) = net::add_address(&ctx.netlink, *ifindex, vip).await {
                        tracing::error!(
                            "({instance}) cannot add {}/{}: {e}",
                            vip.addr,
                            vip.prefix_len
                        );
                    }
                }
            }
            Job::RemoveVips { instance, vips } => {
                tracing::debug!("({instance}) removing VIPs.");
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
                        ifindex, mac, ip, ..
                    } in &frames
                    {
                        let gap = super::garp_pacer::Pacer::gap(
                            ip,
                            ctx.global.vrrp_garp_interval,
                            ctx.global.vrrp_gna_interval,
                        );
                        if !gap.is_zero() {
                            let r = router.get(ifindex).copied().unwrap_or(false);
                            pacer.enqueue(&instance, *ifindex, *mac, *ip, r, gap);
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
    let fw = match firewall {
        Some(fw) => fw,
        None => match net::nftables::Settings::from_model(cfg) {
            Some(s) => firewall.insert(net::nftables::Firewall::new(s)),
            None => return,
        },
    };
    if let Err(e) = fw.set(instance, elements) {
        tracing::error!("({instance}) {verb} firewall drop rule failed: {e}");
    }
}
