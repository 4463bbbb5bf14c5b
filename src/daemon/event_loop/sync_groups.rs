//! The daemon's side of `vrrp_sync_group`: keeps [`vrrp::sync::SyncGroups`] in step with the
//! slots, runs its rules before actions are routed, and turns its group events into group
//! notifications (scripts, FIFO line, mail) on the I/O worker.

use std::time::Instant;

use super::{Daemon, Job};
use crate::notify::{GroupNotification, NotifyState};
use crate::vrrp::sync::{GroupEvent, SyncGroups};
use crate::vrrp::{self, State};

impl Daemon {
    /// Rebuilds the groups over the current slots (start, reload) and flags the members.
    pub(super) fn rebuild_sync(&mut self, previous: Option<&SyncGroups>) {
        let names: Vec<String> = self.slots.iter().map(|s| s.cfg.name.clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.sync = SyncGroups::new(&self.config.sync_groups, &names, previous);
        let mut engines: Vec<&mut vrrp::Instance> =
            self.slots.iter_mut().map(|s| &mut s.engine).collect();
        self.sync.attach(Instant::now(), &mut engines);
    }

    /// Applies the group rules; returns the group events split into first states (announced
    /// before the members' start-up notifies) and the rest.
    pub(super) fn sync_reconcile(&mut self, now: Instant) -> (Vec<GroupEvent>, Vec<GroupEvent>) {
        let mut engines: Vec<&mut vrrp::Instance> =
            self.slots.iter_mut().map(|s| &mut s.engine).collect();
        self.sync.reconcile(now, &mut engines);
        std::iter::from_fn(|| self.sync.poll_event()).partition(|e| e.initial)
    }

    /// Queues each event's group notifications: log line, scripts, FIFO line, mail (not for
    /// STOP, as instance mails).
    pub(super) fn send_group_notifies(&self, events: Vec<GroupEvent>) {
        let global_smtp = !self.config.global.notification_email.is_empty()
            && self.config.global.smtp_server.is_some();
        for e in events {
            let Some(g) = self.config.sync_groups.iter().find(|g| g.name == e.group) else {
                continue;
            };
            let state = match e.to {
                State::Master => NotifyState::Master,
                State::Backup => NotifyState::Backup,
                State::Fault => NotifyState::Fault,
                State::Init => NotifyState::Stop,
            };
            tracing::debug!("VRRP_Group({}) now {state}", e.group);
            let _ = self.io_tx.send(Job::GroupNotify {
                scripts: Box::new(g.notify.clone()),
                notification: GroupNotification {
                    group: e.group,
                    state,
                },
                smtp: global_smtp && g.smtp_alert && state != NotifyState::Stop,
            });
        }
    }
}
