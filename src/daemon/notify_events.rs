//! Which instance notifications the engine's actions become (inventory §6.1, §6.4): the state
//! notifications, keepalived's `DELETED`-or-`FAULT` rule for instances a reload removes, the
//! `MASTER_RX_LOWER_PRI` event, the `MASTER_PRIORITY`/`BACKUP_PRIORITY` FIFO lines of
//! `notify_priority_changes`, and the lines `fifo_write_vrrp_states_on_reload` rewrites.
//! Pure functions, so the rules are tested without a daemon.

use crate::model::NotifyScripts;
use crate::notify::NotifyState;
use crate::vrrp::{Action, Reason, State};

/// The state an instance was in when each of `actions` was emitted, `now` being its state
/// after all of them: the `to` of the last transition before the action, else the `from` of
/// the first transition after it, else `now`. A priority change reports `MASTER_PRIORITY`
/// only if the instance was MASTER at that moment, as keepalived's
/// `send_instance_priority_notifies()` looks at the state when the priority changes.
pub(super) fn states_before(actions: &[Action], now: State) -> Vec<State> {
    let mut out = Vec::with_capacity(actions.len());
    for k in 0..actions.len() {
        let before = actions[..k].iter().rev().find_map(|a| match a {
            Action::Transition { to, .. } => Some(*to),
            _ => None,
        });
        let after = actions[k..].iter().find_map(|a| match a {
            Action::Transition { from, .. } => Some(*from),
            _ => None,
        });
        out.push(before.or(after).unwrap_or(now));
    }
    out
}

/// The notification of a transition: `to` as a state, STOP for a shutdown, and for a deletion
/// [`NotifyState::for_deletion`] (nothing when a FAULT instance without `notify_deleted` goes).
pub(super) fn transition_state(
    from: State,
    to: State,
    reason: &Reason,
    scripts: &NotifyScripts,
) -> Option<NotifyState> {
    match to {
        State::Master => Some(NotifyState::Master),
        State::Backup => Some(NotifyState::Backup),
        State::Fault => Some(NotifyState::Fault),
        State::Init if *reason == Reason::Deleted => {
            NotifyState::for_deletion(scripts.notify_deleted, from == State::Fault)
        }
        State::Init => Some(NotifyState::Stop),
    }
}

/// The FIFO event of a priority change with `notify_priority_changes`, by the state at that
/// moment.
pub(super) fn priority_event(state_then: State) -> NotifyState {
    if state_then == State::Master {
        NotifyState::MasterPriority
    } else {
        NotifyState::BackupPriority
    }
}

/// With `fifo_write_vrrp_states_on_reload`, the state line an instance kept by a reload writes
/// again: keepalived 2.2.7's `vrrp_init_state()` rewrites it for an instance whose state did
/// not change and that is not a MASTER staying MASTER (that one takes the reload-master path,
/// which writes nothing).
pub(super) fn reload_state_line(enabled: bool, before: State, after: State) -> Option<NotifyState> {
    if !enabled || before != after {
        return None;
    }
    match after {
        State::Backup => Some(NotifyState::Backup),
        State::Fault => Some(NotifyState::Fault),
        State::Master | State::Init => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrp::wire::{Advert, AdvertAuth};

    fn t(from: State, to: State) -> Action {
        Action::Transition {
            from,
            to,
            reason: Reason::MasterNoResponse,
        }
    }

    fn prio(from: u8, to: u8) -> Action {
        Action::PriorityChanged { from, to }
    }

    #[test]
    fn state_at_each_action() {
        use State::*;
        let adv = Action::SendAdvert(Advert {
            version: crate::model::Version::V2,
            vrid: 1,
            priority: 100,
            advert_int: crate::model::Centis::from_secs(1),
            auth: AdvertAuth::None,
            addrs: vec![],
        });
        // No transitions: the current state.
        assert_eq!(states_before(&[prio(100, 90)], Master), [Master]);
        // Priority change while MASTER, then a step down in the same batch.
        let acts = [prio(100, 90), adv.clone(), t(Master, Backup), prio(90, 80)];
        assert_eq!(
            states_before(&acts, Backup),
            [Master, Master, Master, Backup]
        );
        assert_eq!(priority_event(Master), NotifyState::MasterPriority);
        assert_eq!(priority_event(Fault), NotifyState::BackupPriority);
        assert_eq!(priority_event(Backup), NotifyState::BackupPriority);
    }

    #[test]
    fn deletion_reports_deleted_or_fault_as_keepalived() {
        let mut scripts = NotifyScripts::default();
        let del =
            |from, s: &NotifyScripts| transition_state(from, State::Init, &Reason::Deleted, s);
        assert_eq!(del(State::Master, &scripts), Some(NotifyState::Fault));
        assert_eq!(del(State::Backup, &scripts), Some(NotifyState::Fault));
        assert_eq!(del(State::Fault, &scripts), None);
        scripts.notify_deleted = true;
        assert_eq!(del(State::Fault, &scripts), Some(NotifyState::Deleted));
        assert_eq!(del(State::Master, &scripts), Some(NotifyState::Deleted));
        assert_eq!(
            transition_state(State::Master, State::Init, &Reason::Shutdown, &scripts),
            Some(NotifyState::Stop)
        );
        assert_eq!(
            transition_state(State::Init, State::Backup, &Reason::Startup, &scripts),
            Some(NotifyState::Backup)
        );
    }

    #[test]
    fn reload_lines_only_for_unchanged_backup_and_fault() {
        use State::*;
        assert_eq!(reload_state_line(false, Backup, Backup), None);
        assert_eq!(
            reload_state_line(true, Backup, Backup),
            Some(NotifyState::Backup)
        );
        assert_eq!(
            reload_state_line(true, Fault, Fault),
            Some(NotifyState::Fault)
        );
        assert_eq!(reload_state_line(true, Master, Master), None);
        // A state change notified on its own already.
        assert_eq!(reload_state_line(true, Backup, Fault), None);
    }
}
