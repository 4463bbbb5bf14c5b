//! `dynamic_interfaces`: an instance whose interface does not exist yet does not stop the
//! daemon (keepalived 2.2.7 creates the interface entry with index 0 and the instance stays in
//! FAULT); it starts once netlink reports the interface. With `allow_if_changes`, an
//! interface deleted and created again under a new index is followed the same way.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::{Daemon, Slot};
use crate::model;
use crate::net;
use crate::vrrp;

impl Daemon {
    /// Adds an instance, or with `dynamic_interfaces` one whose interface is missing waits for
    /// it in FAULT (a slot with index 0, no socket).
    pub(super) async fn add_or_wait(
        &mut self,
        now: Instant,
        cfg: &model::Instance,
        boot: bool,
    ) -> Result<(), i32> {
        if self.config.global.io.dynamic_interfaces {
            if let Some(ifname) = &cfg.interface {
                if !self.links.contains_key(ifname)
                    && net::interface(&self.netlink, ifname).await.is_err()
                {
                    tracing::info!(
                        "({}) interface {ifname} does not exist yet: FAULT until it appears (dynamic_interfaces)",
                        cfg.name
                    );
                    self.push_waiting(now, cfg);
                    return Ok(());
                }
            }
        }
        self.add_instance(now, cfg, boot).await
    }

    fn push_waiting(&mut self, now: Instant, cfg: &model::Instance) {
        let merged = vrrp::sync::member_config(cfg, &self.config.sync_groups);
        let mut engine = vrrp::Instance::shared(Arc::new(merged), &self.config.scripts);
        for ev in self.trackers.current() {
            engine.handle_track(now, ev);
        }
        // No interface: down, so FAULT from the start.
        engine.handle_startup(now, None, false);
        let v6 = engine.is_ipv6();
        self.slots.push(Slot {
            cfg: engine.shared_config(),
            engine,
            ifindex: 0,
            src: None,
            ip_id: 0,
            last_transition: SystemTime::now(),
            master_priority: 0,
            v6,
            socket4: None,
            socket6: None,
            facts: Default::default(),
            master_epoch: 0,
            garp_extra_due: None,
            old_unicast_sum: None,
        });
        self.slots_moved();
    }

    /// A link event: instances waiting for this interface start now; with `allow_if_changes`
    /// so do those whose interface came back under a new index. Each keeps its place.
    pub(super) async fn dynamic_link(&mut self, now: Instant, ev: &net::LinkEvent) {
        let io = &self.config.global.io;
        if !io.dynamic_interfaces {
            return;
        }
        let renumbered = io.allow_if_changes
            && self
                .links
                .get(&ev.name)
                .is_some_and(|l| l.index != ev.index);
        let restart: Vec<usize> = (self.slots.iter().enumerate())
            .filter(|(_, s)| s.cfg.interface.as_deref() == Some(ev.name.as_str()))
            .filter(|(_, s)| s.ifindex == 0 || (renumbered && s.cfg.vmac.own.is_none()))
            .map(|(i, _)| i)
            .collect();
        if restart.is_empty() || net::interface(&self.netlink, &ev.name).await.is_err() {
            return;
        }
        if renumbered {
            tracing::info!("Interface {} is back with index {}", ev.name, ev.index);
            self.links.remove(&ev.name);
        }
        let old_sync = std::mem::take(&mut self.sync);
        for i in restart {
            let name = self.slots[i].cfg.name.clone();
            let Some(cfg) = self
                .config
                .instances
                .iter()
                .find(|c| c.name == name)
                .cloned()
            else {
                continue;
            };
            tracing::info!("({name}) interface {} is present: starting", ev.name);
            match self.add_instance(now, &cfg, false).await {
                Ok(()) => {
                    let started = self.slots.pop().expect("add_instance pushed it");
                    self.slots[i] = started;
                    self.slots_moved();
                    self.sched.touch(i);
                }
                Err(code) => {
                    tracing::error!("({name}) cannot start on {} (status {code})", ev.name)
                }
            }
        }
        self.rebuild_sync(Some(&old_sync));
    }
}
