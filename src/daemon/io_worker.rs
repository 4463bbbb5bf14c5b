//! The I/O worker: one task that performs the slow side effects of transitions (netlink address
//! changes, gratuitous ARP bursts, notify scripts, mails) strictly in the order the event loop
//! queued them, so `notify_master` always runs after its VIPs are in place, while the loop
//! itself never waits on any of it.

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
    /// Notify scripts and (when `smtp`) an alert mail.
    Notify {
        scripts: Box<model::NotifyScripts>,
        notification: notify::Notification,
        smtp: bool,
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
                if notification.state == notify::NotifyState::Stop {
                    // keepalived gives STOP scripts up to 1 s before the daemon goes away.
                    notify::run_stop_scripts(
                        &scripts,
                        ctx.script_user.as_ref(),
                        &notification.instance,
                        notification.priority,
                    )
                    .await;
                } else {
                    notify::run_scripts(&scripts, ctx.script_user.as_ref(), &notification);
                }
                if smtp {
                    notify::spawn_smtp_alert(&ctx.global, &ctx.local_name, &notification);
                }
            }
        }
    }
    let _ = &mut ctx;
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
