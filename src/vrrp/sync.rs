//! `vrrp_sync_group`: members move together (keepalived 2.2.7 `vrrp_sync.c`, inventory §3.7),
//! sans-IO like the instances it coordinates.
//!
//! After any input the daemon calls [`SyncGroups::reconcile`] with every instance; it applies
//! keepalived's rules and queues a [`GroupEvent`] per group state change:
//!
//! * a member with a fault of its own puts the group in FAULT: every other member is held in
//!   FAULT (a MASTER sends priority 0 and drops its VIPs) — `Syncing instances to FAULT state`;
//! * the group leaves FAULT only when no member has a fault of its own: every member enters
//!   BACKUP — `Syncing instances to BACKUP state`;
//! * a member's master-down timer only *asks* for MASTER (keepalived's wantstate); the group
//!   goes MASTER when every member asks (or one is MASTER already, e.g. an address owner) —
//!   `Syncing instances to MASTER state` — so the members never split between two nodes;
//! * a MASTER member dropping to BACKUP (a better advert) takes the others to BACKUP.
//!
//! Group notifications follow the members' own, as keepalived's `send_group_notifies()`
//! comes after the members' `send_instance_notifies()`.

use std::collections::VecDeque;
use std::time::Instant;

use tracing::info;

use super::{Instance, State};
use crate::model;

/// A sync group changed state: run its notify scripts, FIFO line and mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEvent {
    /// The `vrrp_sync_group` name.
    pub group: String,
    /// Previous group state ([`State::Init`] before its first state).
    pub from: State,
    /// New state; [`State::Init`] means the group is stopping (`STOP` notifies).
    pub to: State,
    /// The group's BACKUP announced at start (keepalived's `vrrp_init_state()`), which
    /// comes before its members' start-up notifies; every other event comes after them.
    pub initial: bool,
}

#[derive(Debug)]
struct Group {
    name: String,
    /// Indices into the instance slice given to [`SyncGroups::reconcile`].
    members: Vec<usize>,
    state: State,
}

/// Every sync group of a configuration, with its current state.
#[derive(Debug, Default)]
pub struct SyncGroups {
    groups: Vec<Group>,
    events: VecDeque<GroupEvent>,
}

/// Upper bound on rule applications per group and call: each one changes the group state,
/// and FAULT → BACKUP → MASTER is the longest chain.
const MAX_STEPS: usize = 4;

impl SyncGroups {
    /// Groups of `groups` over the instances named `instances` (their order is the order of
    /// the slice later given to [`SyncGroups::reconcile`]); members not found are left out.
    /// `previous` carries group states over a reload (by group name), so an unchanged group
    /// does not notify again.
    pub fn new(
        groups: &[model::SyncGroup],
        instances: &[&str],
        previous: Option<&SyncGroups>,
    ) -> Self {
        let groups = groups
            .iter()
            .map(|g| Group {
                name: g.name.clone(),
                members: g
                    .members
                    .iter()
                    .filter_map(|m| instances.iter().position(|n| n == m))
                    .collect(),
                state: previous
                    .and_then(|p| p.state(&g.name))
                    .unwrap_or(State::Init),
            })
            .filter(|g| !g.members.is_empty())
            .collect();
        Self {
            groups,
            events: VecDeque::new(),
        }
    }

    /// Flags every instance as a member or not; call once the instances exist (and after a
    /// reload), before their start-up.
    pub fn attach(&self, now: Instant, instances: &mut [&mut Instance]) {
        for (i, inst) in instances.iter_mut().enumerate() {
            inst.set_sync_member(now, self.groups.iter().any(|g| g.members.contains(&i)));
        }
    }

    /// The state of group `name`, if it exists.
    pub fn state(&self, name: &str) -> Option<State> {
        self.groups.iter().find(|g| g.name == name).map(|g| g.state)
    }

    /// Names of the groups, in configuration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().map(|g| g.name.as_str())
    }

    /// The next group state change, in order.
    pub fn poll_event(&mut self) -> Option<GroupEvent> {
        self.events.pop_front()
    }

    /// Applies the group rules after the instances handled an input (see the module docs).
    /// Idempotent: with nothing new it changes nothing.
    pub fn reconcile(&mut self, now: Instant, instances: &mut [&mut Instance]) {
        for gi in 0..self.groups.len() {
            self.lower_prio_garps(gi, now, instances);
            for _ in 0..MAX_STEPS {
                if !self.step(gi, now, instances) {
                    break;
                }
            }
        }
    }

    /// A MASTER member that heard a lower-priority advert sent its lower-priority GARP burst;
    /// keepalived's `vrrp_state_master_rx()` also sends every other member's (those with
    /// `garp_lower_prio_repeat`), so the peer's ARP caches are refreshed for the whole group.
    fn lower_prio_garps(&self, gi: usize, now: Instant, inst: &mut [&mut Instance]) {
        let members = &self.groups[gi].members;
        if members.iter().any(|&m| m >= inst.len()) {
            return;
        }
        for &m in members {
            if inst[m].take_lower_prio_seen() {
                for &o in members.iter().filter(|&&o| o != m) {
                    inst[o].garp_lower_prio(now);
                }
            }
        }
    }

    /// Daemon stop, after every instance's `handle_shutdown`: each group reports STOP.
    pub fn handle_shutdown(&mut self) {
        for g in &mut self.groups {
            let from = std::mem::replace(&mut g.state, State::Init);
            self.events.push_back(GroupEvent {
                group: g.name.clone(),
                from,
                to: State::Init,
                initial: false,
            });
        }
    }

    fn set(&mut self, gi: usize, to: State) {
        self.set_event(gi, to, false);
    }

    fn set_event(&mut self, gi: usize, to: State, initial: bool) {
        let g = &mut self.groups[gi];
        let from = std::mem::replace(&mut g.state, to);
        self.events.push_back(GroupEvent {
            group: g.name.clone(),
            from,
            to,
            initial,
        });
    }

    /// One rule; true when the group state changed.
    fn step(&mut self, gi: usize, now: Instant, inst: &mut [&mut Instance]) -> bool {
        let g = &self.groups[gi];
        let name = g.name.clone();
        let members = g.members.clone();
        let state = g.state;
        if members.iter().any(|&m| m >= inst.len()) {
            // Built over another instance list: nothing sensible to do, and no panic.
            return false;
        }
        let any = |f: &dyn Fn(&Instance) -> bool| members.iter().any(|&m| f(inst[m]));
        let all = |f: &dyn Fn(&Instance) -> bool| members.iter().all(|&m| f(inst[m]));

        if any(&|i| i.has_own_fault()) {
            // Idempotent; also holds a member started or released meanwhile.
            for &m in &members {
                inst[m].handle_sync_fault(now, &name);
            }
            if state == State::Fault {
                return false;
            }
            info!("VRRP_Group({name}) Syncing instances to FAULT state");
            self.set(gi, State::Fault);
            return true;
        }
        if any(&|i| i.is_settling()) {
            if state == State::Init {
                for &m in &members {
                    inst[m].handle_sync_hold_at_start(&name);
                }
            }
            return false;
        }
        if state == State::Fault {
            info!("VRRP_Group({name}) Syncing instances to BACKUP state");
            for &m in &members {
                inst[m].handle_sync_backup(now, &name);
            }
            self.set(gi, State::Backup);
            return true;
        }
        if state != State::Master {
            let someone_master = any(&|i| i.state() == State::Master);
            let all_want = any(&|i| i.wants_master()) && all(&|i| i.wants_master());
            if someone_master || all_want {
                info!("VRRP_Group({name}) Syncing instances to MASTER state");
                // Those that asked first, as keepalived moves the others after the trigger.
                let mut order: Vec<usize> = members.clone();
                order.sort_by_key(|&m| !inst[m].wants_master());
                for m in order {
                    inst[m].handle_sync_master(now, &name);
                }
                self.set(gi, State::Master);
                return true;
            }
            if state == State::Init {
                if any(&|i| i.is_held_by_group()) {
                    // The last start-up script result is in: members come up, then the
                    // group says BACKUP (keepalived's try_up_instance() + vrrp_sync_backup()).
                    info!("VRRP_Group({name}) Syncing instances to BACKUP state");
                    for &m in &members {
                        inst[m].handle_sync_backup(now, &name);
                    }
                    self.set(gi, State::Backup);
                } else {
                    // keepalived's initial group state, announced at start: BACKUP.
                    self.set_event(gi, State::Backup, true);
                }
                return true;
            }
            return false;
        }
        // MASTER group: a member that dropped to BACKUP takes the others with it.
        if any(&|i| i.state() == State::Backup) {
            info!("VRRP_Group({name}) Syncing instances to BACKUP state");
            for &m in &members {
                if inst[m].state() == State::Master {
                    inst[m].handle_sync_backup(now, &name);
                }
            }
            self.set(gi, State::Backup);
            return true;
        }
        false
    }
}

/// The configuration a member runs with: its own trackers plus its group's `track_script`
/// and `track_interface` lines (keepalived adds the group's trackers to every member; one
/// listed in both uses the group's weight).
pub fn member_config(inst: &model::Instance, groups: &[model::SyncGroup]) -> model::Instance {
    let mut out = inst.clone();
    for g in groups.iter().filter(|g| g.members.contains(&inst.name)) {
        for t in &g.track_scripts {
            out.track_scripts.retain(|o| o.name != t.name);
            out.track_scripts.push(t.clone());
        }
        for t in &g.track_interfaces {
            out.track_interfaces.retain(|o| o.name != t.name);
            out.track_interfaces.push(t.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests;
