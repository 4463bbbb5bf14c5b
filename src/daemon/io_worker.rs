//! The I/O worker: one task that performs the slow side effects of transitions (netlink address
//! changes, gratuitous ARP bursts, notify scripts and FIFO lines, mails) strictly in the order
//! the event loop queued them, so `notify_master` always runs after its VIPs are in place, while
//! the loop itself never waits on any of it. Notify scripts go to per-instance ordered queues
//! ([`notify::Notifier`]), so a slow script delays neither this worker nor other instances.

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
    /// One gratuitous ARP burst: `repeat` rounds of one frame per IPv4 VIP.
    Garp {
        instance: String,
        frames: Vec<(u32, [u8; 6], std::net::Ipv4Addr)>,
        repeat: u32,
    },
    /// Notify scripts, the notify FIFO line and (when `smtp`) an alert mail, in that order.
    Notify {
        scripts: Box<model::NotifyScripts>,
        notification: notify::Notification,
        smtp: bool,
    },
    /// A reload took effect: reopen the notify FIFOs (restarting their scripts) and use the new
    /// global section for mails. Jobs queued before it still use the old ones.
    Reload {
        global: Box<model::Global>,
        script_user: Option<model::ScriptUser>,
    },
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
}

/// Run jobs until the sender side is dropped and the queue is empty.
pub async fn run(mut ctx: Context, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut garp = std::collections::HashMap::<u32, net::GarpSender>::new();
    // Opened before the first job so the start-up `BACKUP` line is not lost.
    let mut notifier = notify::Notifier::new(&ctx.global, ctx.script_user.clone());
    while let Some(job) = rx.recv().await {
        match job {
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
                for _ in 0..repeat {
                    for (ifindex, mac, ip) in &frames {
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
                        tracing::debug!("Sending gratuitous ARP on ifindex {ifindex} for {ip}");
                        if let Err(e) = sender.send(*ip) {
                            tracing::error!("({instance}) gratuitous ARP for {ip} failed: {e}");
                        }
                    }
                }
            }
            Job::Notify {
                scripts,
                notification,
                smtp,
            } => {
                notifier.notify(&scripts, &notification);
                if smtp {
                    notify::spawn_smtp_alert(&ctx.global, &ctx.local_name, &notification);
                }
            }
            Job::Reload {
                global,
                script_user,
            } => {
                notifier.reload(&global, script_user.clone());
                ctx.global = *global;
                ctx.script_user = script_user;
            }
        }
    }
    // FIFOs closed (readers see end of file after the STOP lines), then queued scripts run;
    // the caller bounds how long it waits for this.
    notifier.shutdown().await;
}

/// The IPv4 addresses of a VIP list (GARP is IPv4 only; IPv6 NA is issue 5).
pub fn ipv4_vips(
    vips: &[(u32, model::VirtualAddr)],
) -> impl Iterator<Item = (u32, std::net::Ipv4Addr)> + '_ {
    vips.iter().filter_map(|(i, v)| match v.addr {
        IpAddr::V4(a) => Some((*i, a)),
        IpAddr::V6(_) => None,
    })
}
