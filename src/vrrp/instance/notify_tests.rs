//! Virtual-time tests of the notify events the engine emits: `MasterRxLowerPri` (keepalived's
//! `send_event_notify()` from `vrrp_state_master_rx()`), the removal by a reload
//! (`Reason::Deleted`) and `PriorityChanged` around transitions.

use super::tests::{A, B, C, cfg, drain, ms, prio_of, rx, started, to_master, transition};
use super::*;

#[test]
fn master_rx_lower_pri_follows_the_answering_advert_every_time() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    for k in 1..=3 {
        i.handle_packet(t1 + ms(100 * k), &rx(&c, A, 50));
        let acts = drain(&mut i);
        // The answering advert, the `garp_lower_prio_repeat` burst (default 5), then the event.
        assert_eq!(acts.len(), 3, "{acts:?}");
        assert_eq!(prio_of(&acts[0]), Some(100));
        assert_eq!(acts[1], Action::SendGarp { repeat: 5 });
        assert_eq!(
            acts[2],
            Action::MasterRxLowerPri {
                from: A.into(),
                priority: 100
            }
        );
    }
    // Equal priority from a lower address is "lower" too.
    i.handle_packet(t1 + ms(500), &rx(&c, A, 100));
    assert_eq!(
        drain(&mut i)[2],
        Action::MasterRxLowerPri {
            from: A.into(),
            priority: 100
        }
    );
    // Not for priority 0, a higher priority, or a higher address.
    i.handle_packet(t1 + ms(600), &rx(&c, A, 0));
    assert!(
        !drain(&mut i)
            .iter()
            .any(|a| matches!(a, Action::MasterRxLowerPri { .. }))
    );
    i.handle_packet(t1 + ms(700), &rx(&c, C, 100));
    assert!(
        !drain(&mut i)
            .iter()
            .any(|a| matches!(a, Action::MasterRxLowerPri { .. }))
    );
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn a_backup_never_reports_lower_priority_adverts() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    drain(&mut i);
    i.handle_packet(t0 + ms(100), &rx(&c, A, 50));
    assert!(
        !drain(&mut i)
            .iter()
            .any(|a| matches!(a, Action::MasterRxLowerPri { .. }))
    );
}

#[test]
fn delete_master_releases_then_reports_deleted() {
    let t0 = Instant::now();
    let mut i = started(&cfg(100), t0, A);
    let t1 = to_master(&mut i);
    i.handle_delete(t1 + ms(10));
    let acts = drain(&mut i);
    assert_eq!(acts.iter().filter_map(prio_of).collect::<Vec<_>>(), [0]);
    assert_eq!(
        acts[1..],
        [
            Action::RemoveVips,
            transition(State::Master, State::Init, Reason::Deleted)
        ]
    );
    assert_eq!(i.stats().pri_zero_sent, 1);
    assert_eq!(i.poll_timeout(), None);

    // A BACKUP only reports the removal; the FAULT-or-DELETED choice is the daemon's.
    let mut j = started(&cfg(100), t0, A);
    drain(&mut j);
    j.handle_delete(t0 + ms(5));
    assert_eq!(
        drain(&mut j),
        [transition(State::Backup, State::Init, Reason::Deleted)]
    );
    assert_eq!(Reason::Deleted.to_string(), "removed by reload");
}

#[test]
fn priority_change_is_reported_before_the_transition_it_causes() {
    // A MASTER with a weighted script losing its weight, then a higher peer taking over:
    // the change happens while MASTER (MASTER_PRIORITY), the step down comes later.
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.track_scripts = vec![model::TrackScript {
        name: "chk".into(),
        weight: None,
        reverse: None,
    }];
    let script = model::VrrpScript {
        name: "chk".into(),
        command: model::ScriptCommand {
            argv: vec!["/bin/true".into()],
            user: None,
        },
        interval: std::time::Duration::from_secs(1),
        timeout: None,
        weight: -30,
        reverse: false,
        rise: 1,
        fall: 1,
        init_fail: false,
    };
    let mut i = Instance::new(&c, &[script]);
    i.handle_startup(t0, Some(B.into()), true);
    drain(&mut i);
    let t1 = to_master(&mut i);
    i.handle_track(
        t1 + ms(10),
        &TrackEvent::Script {
            name: "chk".into(),
            ok: false,
        },
    );
    i.handle_packet(t1 + ms(20), &rx(&c, A, 90));
    let acts = drain(&mut i);
    assert_eq!(acts[0], Action::PriorityChanged { from: 100, to: 70 });
    assert_eq!(
        acts.last(),
        Some(&transition(
            State::Master,
            State::Backup,
            Reason::HigherPriority {
                from: A.into(),
                priority: 90
            }
        ))
    );
}
