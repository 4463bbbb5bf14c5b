//! The inputs and queries `vrrp::sync` uses to move the members of a `vrrp_sync_group`
//! together (keepalived's `vrrp_sync.c`). The instance itself only stops taking MASTER on its
//! own timer (it asks instead, see [`Instance::wants_master`]) and stays in FAULT while its
//! group holds it there; every group decision is made by the coordinator.

use std::time::Instant;

use tracing::info;

use super::{Action, FaultCause, Instance, Reason, State};

impl Instance {
    /// Marks the instance as a sync-group member (or not, after a reload). A member's expired
    /// master-down timer only records that it wants MASTER. One no longer in a group is no
    /// longer held in FAULT by it: it leaves FAULT unless a fault of its own remains.
    pub fn set_sync_member(&mut self, now: Instant, member: bool) {
        self.sync_member = member;
        if !member {
            self.want_master = false;
            if self.sync_fault.take().is_some() && self.state == State::Fault {
                self.update_fault(now);
            }
        }
    }

    /// True for a sync-group member.
    pub fn is_sync_member(&self) -> bool {
        self.sync_member
    }

    /// A lower-priority advert reached this MASTER member since the last call (cleared).
    pub fn take_lower_prio_seen(&mut self) -> bool {
        std::mem::take(&mut self.sync_lower_prio_seen)
    }

    /// keepalived's `wantstate == MASTER`: MASTER, or a BACKUP whose master-down timer fired
    /// while its group held it back (cleared by an accepted advert).
    pub fn wants_master(&self) -> bool {
        self.state == State::Master || (self.state == State::Backup && self.want_master)
    }

    /// A fault of its own (link, source address, weight-0 tracker): what puts its group in
    /// FAULT. A fault forced by the group is not one.
    pub fn has_own_fault(&self) -> bool {
        self.state != State::Init && self.fault_cause().is_some()
    }

    /// Not started, or in the silent start-up FAULT waiting for first script results: the
    /// group waits for it before settling.
    pub fn is_settling(&self) -> bool {
        self.state == State::Init || (self.silent_fault && self.waiting_for_scripts())
    }

    /// A group member is still waiting for its first script results at start: keepalived
    /// holds every member silently in `FAULT (init)` meanwhile. A BACKUP whose start-up
    /// transition has not been drained yet takes that silent FAULT instead (no transition,
    /// no notify); the group later releases it with [`Instance::handle_sync_backup`].
    pub fn handle_sync_hold_at_start(&mut self, group: &str) {
        let pending = self.actions.iter().position(|a| {
            matches!(
                a,
                Action::Transition {
                    from: State::Init,
                    to: State::Backup,
                    ..
                }
            )
        });
        let (State::Backup, Some(i)) = (self.state, pending) else {
            return;
        };
        self.actions.remove(i);
        self.set_state(State::Fault);
        self.silent_fault = true;
        self.sync_fault = Some(group.to_owned());
        self.sands = None;
        info!("({}) Entering FAULT STATE (init)", self.cfg.name);
    }

    /// Held by its group (start-up hold or group FAULT) with no fault of its own.
    pub fn is_held_by_group(&self) -> bool {
        self.state == State::Fault && self.sync_fault.is_some() && self.fault_cause().is_none()
    }

    /// The group goes MASTER (`vrrp_sync_master()`): a BACKUP member becomes MASTER now,
    /// with the usual advert, VIPs and GARP burst. The member whose own timer asked keeps its
    /// own reason; the others report [`Reason::SyncGroup`].
    pub fn handle_sync_master(&mut self, now: Instant, group: &str) {
        if self.state != State::Backup {
            return;
        }
        let reason = if self.want_master {
            std::mem::replace(&mut self.next_master_reason, Reason::MasterNoResponse)
        } else {
            Reason::SyncGroup(group.to_owned())
        };
        self.become_master(now, State::Backup, reason);
    }

    /// The group goes BACKUP (`vrrp_sync_backup()`): a MASTER member steps down without a
    /// priority-0 advert; a member held in FAULT by the group is released and, unless a fault
    /// of its own remains, enters BACKUP.
    pub fn handle_sync_backup(&mut self, now: Instant, group: &str) {
        match self.state {
            State::Master => self.leave_master(now, Reason::SyncGroup(group.to_owned())),
            State::Fault => {
                self.sync_fault = None;
                if self.fault_cause().is_none() && !self.waiting_for_scripts() {
                    self.leave_fault(now);
                }
            }
            State::Init | State::Backup => self.sync_fault = None,
        }
    }

    /// The group goes FAULT (`vrrp_sync_fault()`): held in FAULT until the group releases it.
    /// A MASTER sends one priority-0 advert and removes its VIPs, as keepalived's
    /// `vrrp_state_leave_master()` with wantstate FAULT. A BACKUP whose start-up transition
    /// has not been drained yet reports `FAULT (init)` instead, as keepalived starts every
    /// member of a faulty group in FAULT.
    pub fn handle_sync_fault(&mut self, _now: Instant, group: &str) {
        self.sync_fault = Some(group.to_owned());
        let reason = Reason::Fault(FaultCause::SyncGroup(group.to_owned()));
        let from = match self.state {
            State::Init | State::Fault => return,
            State::Master => {
                // Not counted in pri_zero_sent: keepalived counts only its stop adverts.
                self.send_advert(0);
                self.actions.push_back(Action::RemoveVips);
                self.stats.release_master += 1;
                State::Master
            }
            State::Backup => {
                let pending = self.actions.iter().position(|a| {
                    matches!(
                        a,
                        Action::Transition {
                            from: State::Init,
                            to: State::Backup,
                            ..
                        }
                    )
                });
                match pending {
                    Some(i) => {
                        self.actions.remove(i);
                        State::Init
                    }
                    None => State::Backup,
                }
            }
        };
        self.set_state(State::Fault);
        self.sands = None;
        self.garp_delay_at = None;
        self.garp_refresh_at = None;
        self.preempt_time = None;
        self.master_adver_int = self.cfg.advert_int;
        self.actions.push_back(Action::Transition {
            from,
            to: State::Fault,
            reason,
        });
    }
}
